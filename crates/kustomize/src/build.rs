//! The build: kustomize's accumulation of a kustomization tree, then the
//! steps that run once at the top (hash suffixes, name references, vars,
//! local-config removal, sorting).
//!
//! For each kustomization, in kustomize's order: its resources (files, and
//! other kustomizations built on their own first), its transformer
//! configurations, its generators, its components (which act on
//! everything accumulated so far), its transformers, then its vars.
//! Hash suffixes are computed only at the top, over final content, which is
//! why an overlay's patch to a generated ConfigMap changes its hash.

use super::config::{object_hash, same_object};
use super::error::{Error, Location, Result};
use super::fs::FileSystem;
use super::generate::{self, GeneratorKind, GeneratorOptions};
use super::kustomization::Kustomization;
use super::loader::{LoadRestrictor, Loader};
use super::openapi_choice;
use super::resource::{ResId, Resource};
use super::sort;
use super::transformer_steps;
use compose_yaml::Node;
use rustc_hash::FxHashMap as HashMap;
use std::path::Path;

/// Options of a build, as `kubectl kustomize` flags set them.
#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// `--load-restrictor`.
    pub load_restrictor: LoadRestrictor,
    /// Threads for parsing and printing; 0 means one per core. The output
    /// is the same for every value.
    pub threads: usize,
    /// Record where each object came from (`Resource::meta.origin`) even
    /// when the kustomization asks for no build metadata; nothing printed
    /// changes.
    pub track_origins: bool,
    /// Where to note each patch whose `target` selects no object when it
    /// runs (kustomize applies it as no change); `None` notes nothing.
    pub unmatched_patches: Option<super::loader::UnmatchedSink>,
    /// Shown the objects after every step of the build (see
    /// [`super::observe`]); `None` shows nothing.
    pub observer: Option<std::sync::Arc<dyn super::observe::Observer>>,
}

/// How deeply kustomizations may nest in a build on the caller's thread,
/// whose stack may be small (2 MiB for a test's thread). A deeper tree is
/// built again from the start on a thread of its own with a stack of
/// [`DEEP_STACK`], where kustomizations may nest up to
/// [`super::loader::MAX_NESTING`] deep. Trees that deep are rare, so the
/// usual build pays nothing for them.
const SHALLOW_NESTING: usize = 48;

/// The stack of a deep build's thread: room for every level up to
/// [`super::loader::MAX_NESTING`] (only the part used is ever touched).
const DEEP_STACK: usize = 1 << 30;

/// Builds the kustomization in `dir` and returns its objects in output
/// order.
pub fn build(fs: &dyn FileSystem, dir: &Path, opts: &BuildOptions) -> Result<Vec<Resource>> {
    let (result, too_deep) = build_nested(fs, dir, opts, SHALLOW_NESTING);
    if !too_deep {
        return result;
    }
    // The deep build notes its own unmatched patches.
    if let Some(sink) = &opts.unmatched_patches {
        sink.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
    if let Some(observer) = &opts.observer {
        observer.restart();
    }
    std::thread::scope(|scope| {
        let deep = std::thread::Builder::new()
            .name("deep-build".into())
            .stack_size(DEEP_STACK)
            .spawn_scoped(scope, || {
                build_nested(fs, dir, opts, super::loader::MAX_NESTING).0
            });
        match deep.map(|t| t.join()) {
            Ok(Ok(deep)) => deep,
            // No thread (or it failed): the shallow build's error stands.
            _ => result,
        }
    })
}

/// [`build`] with kustomizations nested up to `depth_limit` deep; also
/// whether the build failed for nesting deeper.
fn build_nested(
    fs: &dyn FileSystem,
    dir: &Path,
    opts: &BuildOptions,
    depth_limit: usize,
) -> (Result<Vec<Resource>>, bool) {
    let loader = match Loader::new(fs, dir, opts.load_restrictor) {
        Ok(l) => l
            .with_threads(super::parallel::thread_count(opts.threads))
            .with_depth_limit(depth_limit)
            .with_unmatched_sink(opts.unmatched_patches.clone())
            .with_observer(opts.observer.clone()),
        Err(e) => return (Err(e), false),
    };
    let result = build_with(&loader, opts);
    let too_deep = result.is_err() && loader.went_too_deep();
    (result, too_deep)
}

fn build_with(loader: &Loader<'_>, opts: &BuildOptions) -> Result<Vec<Resource>> {
    // A Component named directly builds as if it were a Kustomization.
    let kust = load_kustomization(loader)?;
    openapi_choice::enter(loader, &kust, true)?;
    let mut acc = Accumulator::default();
    // kustomize tracks origins only when the top kustomization asks for
    // build metadata; the top's setting then holds for the whole tree.
    let origin = if kust.str_list("buildMetadata").is_empty() && !opts.track_origins {
        None
    } else {
        Some(String::new())
    };
    accumulate(loader, &kust, &mut acc, origin.as_deref())?;
    transformer_steps::finish(&mut acc, &kust, loader)
        .map_err(|e| super::redact::Secrets::of(&acc.resources).scrub_error(e))?;
    drop_local_config(&mut acc.resources);
    sort::apply(&mut acc.resources, kust.get("sortOptions"))?;
    for r in acc.resources.iter_mut() {
        normalize_annotations(r, false);
    }
    transformer_steps::finish_metadata(&mut acc.resources, &kust)?;
    // Refused here rather than while printing, so that nothing is printed
    // of a build that fails; the first unprintable object in output order
    // is the one named.
    super::parallel::try_chunks_mut(
        &mut acc.resources,
        loader.threads(),
        super::parallel::MIN_OBJECTS_PER_SPLIT,
        |_, rs| {
            rs.iter().try_for_each(|r| {
                check_printable(&r.node).map_err(|e| e.context(format!("printing {}", r.id())))
            })
        },
    )?;
    Ok(acc.resources)
}

/// Builds and prints, as `kubectl kustomize` prints.
pub fn build_yaml(fs: &dyn FileSystem, dir: &Path, opts: &BuildOptions) -> Result<String> {
    let resources = build(fs, dir, opts)?;
    let mut out = String::new();
    print(
        resources,
        super::parallel::thread_count(opts.threads),
        |text, printed, still| {
            // Grow the output by this text plus as much again for every
            // object still to print at this text's average size: growing a
            // large string by doubling copies it over and over. With one text
            // the size is exact.
            if out.capacity() - out.len() < text.len() {
                out.reserve(text.len() + text.len() / printed.max(1) * still);
            }
            out.push_str(text);
            true
        },
    );
    Ok(out)
}

/// Prints built objects as `kubectl kustomize` prints them (documents
/// separated by `---`), handing the text to `write` up to a few dozen
/// objects at a time, in order, with how many objects the text holds and
/// how many are still to come; `write` returns whether to go on (a reader
/// that went away needs no more text).
///
/// Objects print independently, on up to `threads` threads, and each is
/// freed once printed. Only a few texts are in hand at any time and their
/// buffers are reused, so printing needs little memory beyond the objects
/// whatever the output's size (fresh memory costs a page fault per 4 KiB,
/// a large part of printing megabytes). [`build`] has already refused
/// what cannot be printed, so printing cannot fail.
pub fn print(
    resources: Vec<Resource>,
    threads: usize,
    write: impl FnMut(&str, usize, usize) -> bool,
) {
    /// The most objects per text (of small objects; large ones go fewer
    /// at a time): handing a text between threads then costs little.
    const MAX_RUN: usize = 64;
    let render = |first: usize, part: &mut Vec<Resource>, out: &mut String| {
        // Large objects come in short runs (runs are sized from the
        // average text): their buffer is sized once up front, and replaced
        // rather than grown when too small, since growing copies it whole.
        // Long runs of small objects reuse their buffers as they are.
        if part.len() <= 4 {
            let wanted: usize = part
                .iter()
                .map(|r| compose_yaml::emit::estimated_len(&r.node) + 4)
                .sum();
            let wanted = wanted + wanted / 8;
            if out.capacity() < wanted {
                *out = String::with_capacity(wanted);
            }
        }
        for (i, r) in part.drain(..).enumerate() {
            if first + i > 0 {
                out.push_str("---\n");
            }
            compose_yaml::emit::emit_document_into(&r.node, out);
        }
    };
    super::parallel::stream_ordered(resources, threads, MAX_RUN, render, write);
}

/// Go's JSON encoder refuses NaN and infinities, so kustomize fails on them.
fn check_printable(n: &Node) -> Result<()> {
    match n {
        Node::Float(f) if !f.is_finite() => Err(Error::resource(format!(
            "json: unsupported value: {}",
            compose_yaml::float::yaml_float(*f)
        ))),
        Node::Seq(s) => s.iter().try_for_each(check_printable),
        Node::Map(m) => m.iter().try_for_each(|(_, v)| check_printable(v)),
        _ => Ok(()),
    }
}

/// What a kustomization has gathered so far: its objects and the rules
/// collected from it and its bases.
#[derive(Default)]
pub(crate) struct Accumulator {
    /// The objects, in load order.
    pub(crate) resources: Vec<Resource>,
    /// Positions of `resources` by current id, for the duplicate check.
    ids: IdIndex,
    /// Positions by every id (earlier and current) of every object, for
    /// generators that merge into an existing object.
    any_ids: IdIndex,
    /// Transformer configurations (`configurations:` files and CRD
    /// specs), merged from bases.
    pub(crate) config: transformer_steps::Config,
    /// `vars:` entries, merged from bases, each tied to its object.
    pub(crate) vars: super::refs::VarSet,
}

impl Accumulator {
    /// Adds objects, refusing one whose id is already present. The first
    /// objects are taken as they are, without a copy of the list.
    pub(crate) fn append(&mut self, mut resources: Vec<Resource>) -> Result<()> {
        let start = self.resources.len();
        if start == 0 {
            self.resources = resources;
        } else {
            self.resources.append(&mut resources);
        }
        for pos in start..self.resources.len() {
            let r = &self.resources[pos];
            let id = r.id();
            let hash = object_hash(&id);
            if self
                .ids
                .get(hash)
                .any(|p| same_object(&self.resources[p].id(), &id))
            {
                self.resources.truncate(pos);
                return Err(Error::resource(format!(
                    "may not add resource with an already registered id: {id}"
                )));
            }
            for prev in &r.meta.previous_ids {
                self.any_ids.insert(object_hash(prev), pos);
            }
            self.any_ids.insert(hash, pos);
            self.ids.insert(hash, pos);
        }
        Ok(())
    }

    /// Rebuilds the id index after transformers changed names.
    pub(crate) fn reindex(&mut self) {
        self.ids.clear();
        self.any_ids.clear();
        for (pos, r) in self.resources.iter().enumerate() {
            for prev in &r.meta.previous_ids {
                self.any_ids.insert(object_hash(prev), pos);
            }
            let hash = object_hash(&r.id());
            self.any_ids.insert(hash, pos);
            self.ids.insert(hash, pos);
        }
    }

    /// Frees the id indexes once no object will be added or looked up
    /// by id again (before the final steps, whose own tables then fit
    /// in the memory these held).
    pub(crate) fn release_indexes(&mut self) {
        self.ids = IdIndex::default();
        self.any_ids = IdIndex::default();
    }

    /// Positions of the objects that have or had `id` (compared as
    /// [`same_id`] compares), in order, each once.
    fn positions_of(&self, id: &ResId) -> Vec<usize> {
        let mut found: Vec<usize> = self
            .any_ids
            .get(object_hash(id))
            .filter(|&p| {
                let r = &self.resources[p];
                same_object(&r.id(), id)
                    || r.meta.previous_ids.iter().any(|prev| same_object(prev, id))
            })
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Takes in another accumulator's objects, rules and vars.
    fn merge(&mut self, other: Accumulator) -> Result<()> {
        self.config.merge(&other.config)?;
        self.append(other.resources)?;
        self.vars.merge_set(other.vars)?;
        Ok(())
    }

    /// Adds generated objects: `create` appends, `merge` and `replace`
    /// fold into the object they name.
    fn absorb(&mut self, r: Resource) -> Result<()> {
        let id = r.id();
        let matches = self.positions_of(&id);
        let behavior = r.meta.behavior.clone().unwrap_or_else(|| "create".into());
        match matches.as_slice() {
            [] => {
                if behavior != "create" {
                    return Err(Error::generator(format!(
                        "id {id} does not exist; cannot merge or replace"
                    )));
                }
                self.append(vec![r])
            }
            [i] => {
                let old = &self.resources[*i];
                let merged = match behavior.as_str() {
                    "replace" => transformer_steps::merge_generated(old, r, false),
                    "merge" => transformer_steps::merge_generated(old, r, true),
                    other => {
                        return Err(Error::generator(format!(
                            "id {id} exists; can not use behavior: '{other}', behavior must be merge or replace"
                        )))
                    }
                };
                self.resources[*i] = merged;
                self.reindex();
                Ok(())
            }
            _ => Err(Error::generator(format!(
                "found multiple objects that could accept merge of {id}"
            ))),
        }
    }
}

/// Object positions by id hash. It holds no ids of its own (on large
/// trees a map of full ids took more memory than the objects' names
/// themselves): callers check every position it yields against the
/// object there. One position may be listed under several hashes.
#[derive(Default)]
struct IdIndex {
    /// Hash to the newest link with that hash.
    heads: HashMap<u64, u32>,
    /// Per link: the position, then the previous link with the same
    /// hash ([`IdIndex::END`] for none).
    links: Vec<(u32, u32)>,
}

impl IdIndex {
    const END: u32 = u32::MAX;

    fn clear(&mut self) {
        self.heads.clear();
        self.links.clear();
    }

    fn insert(&mut self, hash: u64, pos: usize) {
        let link = u32::try_from(self.links.len()).unwrap_or(Self::END);
        let pos = u32::try_from(pos).unwrap_or(Self::END);
        let prev = self.heads.insert(hash, link).unwrap_or(Self::END);
        self.links.push((pos, prev));
    }

    /// Positions listed under `hash`, newest first.
    fn get(&self, hash: u64) -> impl Iterator<Item = usize> + '_ {
        let mut next = self.heads.get(&hash).copied().unwrap_or(Self::END);
        std::iter::from_fn(move || {
            let &(pos, prev) = self.links.get(next as usize)?;
            next = prev;
            Some(pos as usize)
        })
    }
}

/// Reads and parses the kustomization file of a loader's directory.
pub(crate) fn load_kustomization(loader: &Loader<'_>) -> Result<Kustomization> {
    loader.kustomization()
}

fn is_remote(path: &str) -> bool {
    path.contains("://")
        || path.starts_with("github.com/")
        || path.starts_with("git@")
        || path.starts_with("gitlab.com/")
}

/// One kustomization's contribution, into `acc` (a fresh accumulator for a
/// Kustomization, the parent's for a Component).
fn accumulate(
    loader: &Loader<'_>,
    kust: &Kustomization,
    acc: &mut Accumulator,
    origin: Option<&str>,
) -> Result<()> {
    for f in ["helmCharts", "helmChartInflationGenerator", "helmGlobals"] {
        if kust.get(f).is_some() {
            return Err(Error::Unsupported {
                feature: f.into(),
                path: Some(loader.root().join(&kust.file_name)),
            });
        }
    }
    accumulate_resources(loader, kust, acc, origin)
        .map_err(|e| e.context("accumulating resources"))?;
    loader.observe(kust, "resources", None, &acc.resources);
    let own = transformer_steps::Config::of_files(loader, &kust.str_list("configurations"))?;
    acc.config.merge(&own)?;
    let crds = transformer_steps::Config::of_crds(loader, &kust.str_list("crds"))?;
    acc.config.merge(&crds)?;
    run_generators(loader, kust, acc, origin)?;
    let components = kust.str_list("components");
    let local: Vec<&str> = components
        .iter()
        .map(String::as_str)
        .filter(|p| !is_remote(p))
        .collect();
    loader.ahead(&local, |ahead| -> Result<()> {
        for (i, path) in components.iter().enumerate() {
            accumulate_component(loader, path, ahead, acc, origin)
                .map_err(|e| e.at(place(loader, kust, &kust.item_pointer("components", i))))?;
        }
        Ok(())
    })?;
    transformer_steps::run(loader, kust, acc, origin)?;
    if !kust.str_list("validators").is_empty() {
        return Err(Error::Unsupported {
            feature: "validators".into(),
            path: Some(loader.root().join(&kust.file_name)),
        });
    }
    let vars = super::refs::vars::parse_vars(kust.list("vars"))?;
    acc.vars.merge_vars(&acc.resources, &vars)?;
    Ok(())
}

/// One entry of a `components` list, accumulated into `acc`.
fn accumulate_component(
    loader: &Loader<'_>,
    path: &str,
    ahead: &mut super::prefetch::Ahead,
    acc: &mut Accumulator,
    origin: Option<&str>,
) -> Result<()> {
    if is_remote(path) {
        return Err(Error::Unsupported {
            feature: format!("remote component {path}"),
            path: None,
        });
    }
    let child = loader
        .child_ahead(path, ahead)
        .map_err(|e| e.context("accumulating components"))?;
    let ck = load_kustomization(&child).map_err(|e| {
        e.context(format!(
            "couldn't make target for path '{}'",
            child.root().display()
        ))
    })?;
    openapi_choice::enter(&child, &ck, false).map_err(|e| e.context("accumulating components"))?;
    if !ck.is_component() {
        return Err(Error::kustomization(format!(
            "accumulating components: expected kind 'Component' for path '{}' but got '{}'",
            child.root().display(),
            ck.kind
        )));
    }
    accumulate(
        &child,
        &ck,
        acc,
        origin.map(|o| join_origin(o, path)).as_deref(),
    )
    .map_err(|e| {
        e.context(format!(
            "accumulating components: recursed accumulation of path '{}'",
            child.root().display()
        ))
    })?;
    // kustomize takes a Component's accumulation back into a
    // fresh one, which merges its configuration anew.
    acc.config.remerge()?;
    Ok(())
}

/// `base/file` for origin annotations, cleaned like Go's `filepath.Join`.
pub(crate) fn join_origin(base: &str, path: &str) -> String {
    let joined = if base.is_empty() {
        path.to_string()
    } else {
        format!("{base}/{path}")
    };
    let cleaned = super::fs::clean(Path::new(&joined));
    cleaned.to_string_lossy().into_owned()
}

fn accumulate_resources(
    loader: &Loader<'_>,
    kust: &Kustomization,
    acc: &mut Accumulator,
    origin: Option<&str>,
) -> Result<()> {
    let paths = kust.str_list("resources");
    // The listed files are read and parsed up front, on all cores; each
    // result (or error) is used at its place in the list below, so errors
    // surface in the same order as when reading one file at a time.
    let is_file: Vec<bool> = paths
        .iter()
        .map(|p| !is_remote(p) && loader.is_file(p))
        .collect();
    let files: Vec<&str> = paths
        .iter()
        .zip(&is_file)
        .filter(|(_, f)| **f)
        .map(|(p, _)| p.as_str())
        .collect();
    let mut parsed = loader.read_yaml_all(&files).into_iter();
    let dirs: Vec<&str> = paths
        .iter()
        .zip(&is_file)
        .filter(|(p, f)| !**f && !is_remote(p))
        .map(|(p, _)| p.as_str())
        .collect();
    loader.ahead(&dirs, |ahead| {
        accumulate_listed(
            loader,
            kust,
            &paths,
            &is_file,
            &mut parsed,
            ahead,
            acc,
            origin,
        )
    })
}

/// Where item `pointer` of the kustomization file is, for a message.
pub(crate) fn place(loader: &Loader<'_>, kust: &Kustomization, pointer: &str) -> Location {
    let path = loader.root().join(&kust.file_name);
    match loader.read_text(&kust.file_name) {
        Ok(text) => super::kustomization::locate(&path, &text, pointer),
        Err(_) => Location::file(path),
    }
}

/// The loop of [`accumulate_resources`] over its list, in order: parsed
/// files from `parsed`, directories built on their own. An error about an
/// entry points at its line in the kustomization, unless it points at a
/// line of its own.
#[allow(clippy::too_many_arguments)]
fn accumulate_listed(
    loader: &Loader<'_>,
    kust: &Kustomization,
    paths: &[String],
    is_file: &[bool],
    parsed: &mut impl Iterator<Item = Result<Vec<Node>>>,
    ahead: &mut super::prefetch::Ahead,
    acc: &mut Accumulator,
    origin: Option<&str>,
) -> Result<()> {
    for (i, (path, &is_file)) in paths.iter().zip(is_file).enumerate() {
        let docs = if is_file { parsed.next() } else { None };
        accumulate_entry(loader, path, docs, ahead, acc, origin)
            .map_err(|e| e.at(place(loader, kust, &kust.item_pointer("resources", i))))?;
    }
    Ok(())
}

/// One entry of a `resources` list: a file's parsed documents, or a
/// directory built on its own.
fn accumulate_entry(
    loader: &Loader<'_>,
    path: &str,
    docs: Option<Result<Vec<Node>>>,
    ahead: &mut super::prefetch::Ahead,
    acc: &mut Accumulator,
    origin: Option<&str>,
) -> Result<()> {
    if is_remote(path) {
        return Err(Error::Unsupported {
            feature: format!("remote resource {path}"),
            path: None,
        });
    }
    if let Some(docs) = docs {
        let docs = docs.map_err(|e| e.context(format!("accumulating resources from '{path}'")))?;
        let mut resources = resources_from_documents(docs)
            .map_err(|e| e.context(format!("accumulating resources from '{path}'")))?;
        loader.openapi().met_all(resources.iter().map(|r| &r.node));
        if let Some(o) = origin {
            let text = format!("path: {}\n", join_origin(o, path));
            for r in resources.iter_mut() {
                r.meta.origin = Some(text.clone());
            }
        }
        acc.append(resources)
            .map_err(|e| e.context(format!("merging resources from '{path}'")))?;
        return Ok(());
    }
    if !loader.is_dir(path) {
        // Neither a file nor a directory: nothing, or a FIFO or a device,
        // which the read names without opening it.
        let e = match loader.read(path) {
            Err(e) => e,
            Ok(_) => Error::Io {
                path: loader.resolve(path),
                reason: "no such file or directory".into(),
            },
        };
        return Err(e.context(format!("accumulating resources from '{path}'")));
    }
    let child = loader.child_ahead(path, ahead)?;
    let ck = load_kustomization(&child).map_err(|e| {
        e.context(format!(
            "couldn't make target for path '{}'",
            child.root().display()
        ))
    })?;
    openapi_choice::enter(&child, &ck, false)?;
    if ck.is_component() {
        return Err(Error::kustomization(format!(
            "expected kind != 'Component' for path '{}'",
            child.root().display()
        )));
    }
    let mut sub = Accumulator::default();
    accumulate(
        &child,
        &ck,
        &mut sub,
        origin.map(|o| join_origin(o, path)).as_deref(),
    )
    .map_err(|e| {
        e.context(format!(
            "recursed accumulation of path '{}'",
            child.root().display()
        ))
    })?;
    acc.merge(sub).map_err(|e| {
        e.context(format!(
            "recursed merging from path '{}'",
            child.root().display()
        ))
    })?;
    Ok(())
}

/// Turns a file's documents into objects: empty documents are skipped,
/// `…List` kinds are unpacked (their items go after the file's other
/// documents, as kustomize queues them), and each object needs a kind
/// and a name.
pub(crate) fn resources_from_documents(docs: Vec<Node>) -> Result<Vec<Resource>> {
    let mut out = Vec::with_capacity(docs.len());
    let mut queue = std::collections::VecDeque::from(docs);
    let mut validated = 0usize;
    let original = queue.len();
    while let Some(doc) = queue.pop_front() {
        let is_original = validated < original;
        validated += 1;
        let map = match doc {
            Node::Null => continue,
            Node::Map(m) if m.is_empty() => continue,
            Node::Map(m) => m,
            _ => return Err(Error::resource("missing Resource metadata")),
        };
        let node = Node::Map(map);
        if is_original && has_null_in_list(&node) {
            return Err(Error::resource("empty item in a list of the object"));
        }
        // kustomize validates the file's own documents, not list items.
        if is_original {
            validate_metadata(&node)?;
        }
        let kind = node.str_at(&["kind"]).unwrap_or("").to_string();
        if kind.ends_with("List") {
            match node.get("items") {
                // Without `items` it is an ordinary object whose kind
                // happens to end in "List".
                None => {}
                Some(Node::Null) => continue,
                Some(Node::Seq(items)) => {
                    for item in items {
                        queue.push_back(item.clone());
                    }
                    continue;
                }
                Some(_) => return Err(Error::resource(format!("expected array in {kind}/items"))),
            }
        }
        let mut r = Resource::new(node);
        normalize_annotations(&mut r, true);
        out.push(r);
    }
    Ok(out)
}

/// kustomize rewrites `metadata.annotations` through a string map when it
/// reads an object and again before it prints: values become strings
/// (null becomes ""). On reading, annotations with nothing in them are
/// dropped: an empty map, and also a null (`annotations:` with no value,
/// as Helm often renders it), an empty list or a scalar. `labels` are not
/// read that way: an empty `labels:` stays and prints as `labels: null`.
pub(crate) fn normalize_annotations(r: &mut Resource, drop_empty: bool) {
    let Some(Node::Map(meta)) = r.node.get_mut("metadata") else {
        return;
    };
    let ann = match meta.get_mut("annotations") {
        Some(Node::Map(ann)) if !ann.is_empty() => ann,
        // A list with items: kustomize v5.5.0 crashes on it; it is left
        // as it is.
        Some(Node::Seq(items)) if !items.is_empty() => return,
        Some(_) => {
            if drop_empty {
                meta.remove("annotations");
            }
            return;
        }
        None => return,
    };
    for (_, v) in ann.iter_mut() {
        if let Some(s) = v.scalar_text() {
            if !matches!(v, Node::Str(_)) {
                *v = Node::str(s);
            }
        }
    }
}

fn validate_metadata(node: &Node) -> Result<()> {
    let Some(meta) = node.get("metadata") else {
        if node
            .get("kind")
            .and_then(Node::as_str)
            .is_some_and(|k| k.ends_with("List"))
        {
            return Ok(());
        }
        return Err(Error::resource("missing Resource metadata"));
    };
    if !matches!(meta, Node::Map(_)) {
        return Err(Error::resource("missing Resource metadata"));
    }
    let kind = node.str_at(&["kind"]).unwrap_or("");
    if kind.is_empty() {
        return Err(Error::resource("missing kind in object"));
    }
    if !kind.ends_with("List") && node.str_at(&["metadata", "name"]).unwrap_or("").is_empty() {
        return Err(Error::resource(format!(
            "missing metadata.name in object of kind {kind}"
        )));
    }
    Ok(())
}

fn has_null_in_list(n: &Node) -> bool {
    match n {
        Node::Seq(items) => items.iter().any(|i| i.is_null() || has_null_in_list(i)),
        Node::Map(m) => m.iter().any(|(_, v)| has_null_in_list(v)),
        _ => false,
    }
}

fn run_generators(
    loader: &Loader<'_>,
    kust: &Kustomization,
    acc: &mut Accumulator,
    origin: Option<&str>,
) -> Result<()> {
    let global = GeneratorOptions::from_node(kust.get("generatorOptions"))?;
    for (field, kind) in [
        ("configMapGenerator", GeneratorKind::ConfigMap),
        ("secretGenerator", GeneratorKind::Secret),
    ] {
        for (i, entry) in kust.list(field).iter().enumerate() {
            // An error about an entry points at its line; a Secret's
            // entry is named, not shown, as its line may hold a literal.
            let at = |e: Error| {
                let mut here = place(loader, kust, &kust.item_pointer(field, i));
                if kind == GeneratorKind::Secret {
                    here.source = None;
                }
                e.at(here)
            };
            let mut r = generate::generate(kind, entry, &global, loader).map_err(at)?;
            if let Some(o) = origin {
                r.meta.origin = Some(generator_origin(
                    &join_origin(o, &kust.file_name),
                    kind.plugin_kind(),
                    None,
                ));
            }
            acc.absorb(r)
                .map_err(|e| at(e.context("merging from generator")))?;
            loader.observe(kust, field, Some(i), &acc.resources);
        }
    }
    // `generators:` entries: builtin generator configs, inline or in files.
    for (i, entry) in kust.str_list("generators").into_iter().enumerate() {
        let (docs, configured_in) = match inline_config(&entry) {
            Some(docs) => (docs, kust.file_name.clone()),
            None if is_remote(&entry) => {
                return Err(Error::Unsupported {
                    feature: format!("remote generator `{entry}`"),
                    path: Some(loader.root().join(&kust.file_name)),
                });
            }
            None if loader.is_dir(&entry) => {
                (configs_from_directory(loader, &entry)?, entry.clone())
            }
            None => (loader.read_yaml(&entry)?, entry.clone()),
        };
        loader
            .openapi()
            .met_all(docs.iter().filter(|d| !d.is_null()));
        for doc in docs.into_iter().filter(|d| !d.is_null()) {
            let config_name = doc.str_at(&["metadata", "name"]).map(str::to_string);
            let mut r = plugin_generator(&doc, loader)?;
            if let Some(o) = origin {
                r.meta.origin = Some(generator_origin(
                    &join_origin(o, &configured_in),
                    doc.str_at(&["kind"]).unwrap_or(""),
                    config_name.as_deref(),
                ));
            }
            acc.absorb(r)
                .map_err(|e| e.context("merging from generator"))?;
        }
        loader.observe(kust, "generators", Some(i), &acc.resources);
    }
    Ok(())
}

/// The objects a kustomization directory named under `transformers:`
/// produces: builtin transformer configs, built like a base.
pub(crate) fn configs_from_directory(loader: &Loader<'_>, path: &str) -> Result<Vec<Node>> {
    let child = loader.child(path)?;
    let ck = load_kustomization(&child)?;
    openapi_choice::enter(&child, &ck, false)?;
    let mut sub = Accumulator::default();
    accumulate(&child, &ck, &mut sub, None)?;
    Ok(sub.resources.into_iter().map(|r| r.node).collect())
}

/// An entry of `generators:`/`transformers:` written inline: YAML text
/// holding at least one object with a kind, rather than a path.
pub(crate) fn inline_config(entry: &str) -> Option<Vec<Node>> {
    if !entry.contains('\n') && !entry.contains(':') {
        return None;
    }
    let docs = compose_yaml::parse_stream(entry).ok()?;
    let objects = docs
        .iter()
        .filter(|d| d.str_at(&["kind"]).is_some())
        .count();
    (objects > 0).then_some(docs)
}

/// Runs one builtin generator config (`apiVersion: builtin`). Global
/// `generatorOptions` do not apply to these, as in kustomize.
fn plugin_generator(doc: &Node, loader: &Loader<'_>) -> Result<Resource> {
    let kind = doc.str_at(&["kind"]).unwrap_or("");
    let gen_kind = match kind {
        "ConfigMapGenerator" => GeneratorKind::ConfigMap,
        "SecretGenerator" => GeneratorKind::Secret,
        "IAMPolicyGenerator" => return iam_policy(doc),
        other => {
            return Err(Error::Unsupported {
                feature: format!("generator kind `{other}` (plugins are not run)"),
                path: None,
            });
        }
    };
    let mut entry = doc.clone();
    let meta_name = doc.str_at(&["metadata", "name"]).unwrap_or("").to_string();
    let meta_ns = doc
        .str_at(&["metadata", "namespace"])
        .unwrap_or("")
        .to_string();
    if let Some(m) = entry.as_map_mut() {
        // Plugin configs are decoded leniently: unknown fields are ignored.
        const KNOWN: &[&str] = &[
            "name",
            "namespace",
            "behavior",
            "literals",
            "files",
            "envs",
            "env",
            "options",
            "type",
        ];
        m.retain(|k, _| KNOWN.contains(&k));
        // The config's own name and namespace fall back to its metadata.
        if m.get("name")
            .and_then(Node::as_str)
            .unwrap_or("")
            .is_empty()
        {
            m.insert("name", Node::str(meta_name));
        }
        if m.get("namespace")
            .and_then(Node::as_str)
            .unwrap_or("")
            .is_empty()
            && !meta_ns.is_empty()
        {
            m.insert("namespace", Node::str(meta_ns));
        }
    }
    generate::generate(gen_kind, &entry, &GeneratorOptions::default(), loader)
}

/// kustomize's builtin `IAMPolicyGenerator` (GKE workload identity): a
/// ServiceAccount annotated with the Google service account it acts as.
fn iam_policy(doc: &Node) -> Result<Resource> {
    let cloud = doc.str_at(&["cloud"]).unwrap_or("");
    if cloud != "gke" {
        return Err(Error::generator(format!(
            "IAMPolicyGenerator: unsupported cloud `{cloud}`; only gke is known"
        )));
    }
    let sa = doc.str_at(&["kubernetesService", "name"]).unwrap_or("");
    let ns = doc
        .str_at(&["kubernetesService", "namespace"])
        .unwrap_or("");
    let gsa = doc.str_at(&["serviceAccount", "name"]).unwrap_or("");
    let project = doc.str_at(&["serviceAccount", "projectId"]).unwrap_or("");
    if sa.is_empty() || gsa.is_empty() || project.is_empty() {
        return Err(Error::generator("IAMPolicyGenerator needs kubernetesService.name, serviceAccount.name and serviceAccount.projectId"));
    }
    let mut text = format!(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {sa}\n  annotations:\n    iam.gke.io/gcp-service-account: {gsa}@{project}.iam.gserviceaccount.com\n"
    );
    if !ns.is_empty() {
        text.push_str(&format!("  namespace: {ns}\n"));
    }
    let node = compose_yaml::parse_one(&text)
        .map_err(|e| Error::generator(format!("IAMPolicyGenerator: {e}")))?;
    let mut r = Resource::new(node);
    r.meta.generated = true;
    Ok(r)
}

/// The origin annotation text of a generated object.
fn generator_origin(configured_in: &str, kind: &str, name: Option<&str>) -> String {
    let mut s = format!(
        "configuredIn: {configured_in}\nconfiguredBy:\n  apiVersion: builtin\n  kind: {kind}\n"
    );
    if let Some(n) = name {
        s.push_str(&format!("  name: {n}\n"));
    }
    s
}

/// kustomize drops objects annotated `config.kubernetes.io/local-config: "true"`.
fn drop_local_config(resources: &mut Vec<Resource>) {
    resources.retain(|r| r.annotation("config.kubernetes.io/local-config") != Some("true"));
}

#[cfg(test)]
mod tests {
    //! Whole builds in memory. Each expected text is what `kubectl
    //! kustomize` printed for the same tree.
    use super::*;
    use crate::fs::InMemory;

    /// The same bytes for every thread count, on a tree large enough for
    /// parsing and printing to be split.
    #[test]
    fn output_does_not_depend_on_the_thread_count() {
        let mut fs = InMemory::new();
        let mut resources = String::from("namePrefix: p-\nresources:\n");
        for f in 0..40 {
            let mut text = String::new();
            for i in 0..200 {
                text.push_str(&format!(
                    "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{f}-{i}\ndata:\n  z: \"{i}\"\n  a: |\n    line one of {f}\n    line two {i}\n"
                ));
            }
            fs.add_file(format!("/t/f{f}.yaml"), text);
            resources.push_str(&format!("- f{f}.yaml\n"));
        }
        fs.add_file("/t/kustomization.yaml", resources);
        let run = |threads| {
            build_yaml(
                &fs,
                Path::new("/t"),
                &BuildOptions {
                    threads,
                    ..BuildOptions::default()
                },
            )
            .unwrap()
        };
        let one = run(1);
        assert_eq!(one.matches("kind: ConfigMap").count(), 8000);
        assert!(one.starts_with("apiVersion: v1\ndata:\n  a: |\n    line one of 0\n    line two 0\n  z: \"0\"\nkind: ConfigMap\nmetadata:\n  name: p-cm-0-0\n---\n"));
        for threads in [2, 3, 7] {
            assert!(run(threads) == one, "threads={threads}");
        }
    }

    /// A tree of many components builds to the same bytes with any thread
    /// count and with origins tracked, and a component still cannot read
    /// another's files.
    #[test]
    fn components_build_the_same_with_any_thread_count() {
        let mut fs = InMemory::new();
        let mut top = String::from("resources:\n- base\ncomponents:\n");
        fs.add_file("/t/base/kustomization.yaml", "resources:\n- cm.yaml\n");
        fs.add_file(
            "/t/base/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base\n",
        );
        for c in 0..30 {
            let mut text = String::new();
            for i in 0..40 {
                text.push_str(&format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{c}-{i}\ndata:\n  k: {}\n", "v".repeat(200)));
            }
            fs.add_file(
                format!("/t/c{c}/kustomization.yaml"),
                "kind: Component\nresources:\n- objects.yaml\n",
            );
            fs.add_file(format!("/t/c{c}/objects.yaml"), text);
            top.push_str(&format!("- c{c}\n"));
        }
        fs.add_file("/t/kustomization.yaml", top);
        let run = |fs: &InMemory, threads| {
            build_yaml(
                fs,
                Path::new("/t"),
                &BuildOptions {
                    threads,
                    ..BuildOptions::default()
                },
            )
        };
        let one = run(&fs, 1).unwrap();
        assert_eq!(one.matches("kind: ConfigMap").count(), 1201);
        for threads in [2, 4] {
            assert!(run(&fs, threads).unwrap() == one, "threads={threads}");
        }
        let tracked = build_yaml(
            &fs,
            Path::new("/t"),
            &BuildOptions {
                track_origins: true,
                ..BuildOptions::default()
            },
        )
        .unwrap();
        assert!(tracked == one, "tracking origins changes nothing printed");
        // Files that a helper thread loads ahead fail as without it: c7's
        // objects do not parse, nor does c9's kustomization, and c12 has
        // two kustomization files.
        for (path, text, says) in [
            ("/t/c7/objects.yaml", "a: [\n", "c7/objects.yaml"),
            (
                "/t/c9/kustomization.yaml",
                "kind: [\n",
                "c9/kustomization.yaml",
            ),
            (
                "/t/c12/Kustomization",
                "kind: Component\n",
                "multiple kustomization files",
            ),
        ] {
            let mut broken = fs.clone();
            broken.add_file(path, text);
            let want = run(&broken, 1).unwrap_err().to_string();
            assert!(want.contains(says), "{want}");
            for threads in [2, 4] {
                assert_eq!(
                    run(&broken, threads).unwrap_err().to_string(),
                    want,
                    "threads={threads}"
                );
            }
        }
        // c1 now also lists c0's file, which lies outside c1's root.
        fs.add_file(
            "/t/c1/kustomization.yaml",
            "kind: Component\nresources:\n- objects.yaml\n- ../c0/objects.yaml\n",
        );
        for threads in [1, 2] {
            let err = run(&fs, threads).unwrap_err().to_string();
            assert!(
                err.contains("c0/objects.yaml") && err.contains("is not in or below '/t/c1'"),
                "threads={threads}: {err}"
            );
        }
    }

    /// The steps that split many objects over the cores (labels,
    /// annotations, images, patches with a target) give the same bytes
    /// as one thread, delete the same objects, and fail with the same
    /// first error.
    #[test]
    fn split_steps_match_one_thread() {
        let mut fs = InMemory::new();
        let mut objects = String::new();
        for i in 0..700 {
            let kind = if i % 2 == 0 { "Deployment" } else { "Service" };
            let image = format!("img{}", i % 5);
            objects.push_str(&format!(
                "---\napiVersion: {}\nkind: {kind}\nmetadata:\n  name: o{i}\n  labels:\n    n: \"{i}\"\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: {image}:1\n        envFrom:\n        - configMapRef:\n            name: settings\n",
                if kind == "Deployment" { "apps/v1" } else { "v1" }
            ));
        }
        fs.add_file("/t/objects.yaml", objects);
        let kustomization = |extra: &str| {
            format!(
                "resources: [objects.yaml]\nnamePrefix: p-\nconfigMapGenerator:\n- name: settings\n  literals: [A=1]\nlabels:\n- pairs: {{team: a}}\n  includeSelectors: false\ncommonLabels: {{app: x}}\ncommonAnnotations: {{note: why}}\nimages:\n- name: img3\n  newTag: \"2\"\n- name: img4\n  newName: other\npatches:\n- target: {{kind: Deployment}}\n  patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {{name: any}}\n    spec: {{replicas: 2}}\n- target: {{kind: Service, labelSelector: \"n in (1,3,5,601,603)\"}}\n  patch: |-\n    $patch: delete\n    apiVersion: v1\n    kind: Service\n    metadata: {{name: any}}\n- target: {{kind: Service}}\n  patch: |-\n    - op: add\n      path: /spec/type\n      value: ClusterIP\n{extra}"
            )
        };
        let run = |fs: &InMemory, threads| {
            build_yaml(
                fs,
                Path::new("/t"),
                &BuildOptions {
                    threads,
                    ..BuildOptions::default()
                },
            )
        };
        fs.add_file("/t/kustomization.yaml", kustomization(""));
        let one = run(&fs, 1).unwrap();
        assert_eq!(one.matches("kind: Deployment").count(), 350);
        // The generated ConfigMap gets its hash, and every Deployment's
        // reference follows it (a Service's pod template is no reference).
        let hashed = one
            .split("name: p-settings-")
            .nth(1)
            .and_then(|rest| rest.split('\n').next())
            .unwrap_or("");
        assert_eq!(hashed.len(), 10, "{hashed}");
        assert_eq!(
            one.matches(&format!("name: p-settings-{hashed}\n")).count(),
            351
        );
        assert_eq!(one.matches("name: settings\n").count(), 345);
        assert_eq!(
            one.matches("kind: Service").count(),
            345,
            "five Services deleted"
        );
        assert_eq!(
            one.matches("image: img3:2").count(),
            138,
            "less the deleted o3 and o603"
        );
        assert_eq!(one.matches("image: other:1").count(), 140);
        assert_eq!(
            one.matches("note: why").count(),
            350 * 2 + 345 + 1,
            "Deployments carry it in their pod template too"
        );
        for threads in [2, 3] {
            assert!(run(&fs, threads).unwrap() == one, "threads={threads}");
        }
        // A patch that fails on objects in different chunks reports the
        // first object's failure, as one pass does: o300's field is a
        // list, o650's a string, and a map cannot merge into either.
        let failing = "- target: {kind: Deployment, labelSelector: \"n in (300,650)\"}\n  patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata: {name: any}\n    spec: {extra: {k: v}}\n";
        fs.add_file("/t/kustomization.yaml", kustomization(failing));
        let objects = fs.read(Path::new("/t/objects.yaml")).unwrap();
        let objects = String::from_utf8(objects)
            .unwrap()
            .replace(
                "name: o300\n  labels:\n    n: \"300\"\nspec:\n",
                "name: o300\n  labels:\n    n: \"300\"\nspec:\n  extra: [a]\n",
            )
            .replace(
                "name: o650\n  labels:\n    n: \"650\"\nspec:\n",
                "name: o650\n  labels:\n    n: \"650\"\nspec:\n  extra: s\n",
            );
        assert_eq!(objects.matches("extra:").count(), 2);
        fs.add_file("/t/objects.yaml", objects);
        let want = run(&fs, 1).unwrap_err().to_string();
        assert!(want.contains("expected SequenceNode"), "{want}");
        for threads in [2, 3] {
            assert_eq!(
                run(&fs, threads).unwrap_err().to_string(),
                want,
                "threads={threads}"
            );
        }
    }

    /// A Secret's source that is not `key=value` may be the secret itself:
    /// errors name the source, never its text. (ConfigMaps keep
    /// kustomize's message, which quotes the literal.)
    #[test]
    fn secret_sources_never_appear_in_errors() {
        let literal = build_tree(&[(
            "kustomization.yaml",
            "secretGenerator:\n- name: s\n  literals:\n  - user=admin\n  - hunter2-very-secret\n",
        )])
        .unwrap_err()
        .to_string();
        assert!(
            literal.contains("literal #2") && !literal.contains("hunter2"),
            "{literal}"
        );
        let env = build_tree(&[
            (
                "kustomization.yaml",
                "secretGenerator:\n- name: s\n  envs:\n  - creds.env\n",
            ),
            ("creds.env", "USER=admin\nhunter2 very secret\n"),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            env.contains("creds.env") && !env.contains("hunter2"),
            "{env}"
        );
        let config_map = build_tree(&[(
            "kustomization.yaml",
            "configMapGenerator:\n- name: c\n  literals:\n  - not-a-pair\n",
        )])
        .unwrap_err()
        .to_string();
        assert!(config_map.contains("not-a-pair"), "{config_map}");
    }

    /// A JSON patch that takes away an object's kind or name fails, as
    /// in kubectl (which reads the object back and refuses it).
    #[test]
    fn a_json_patch_may_not_take_away_kind_or_name() {
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n";
        for (ops, want) in [
            ("[{op: remove, path: /kind}]", "missing kind in object"),
            (
                "[{op: remove, path: /metadata/name}]",
                "missing metadata.name in object",
            ),
            (
                "[{op: replace, path: '', value: {a: 1}}]",
                "missing kind in object",
            ),
        ] {
            let k = format!(
                "resources: [cm.yaml]\npatches:\n- target: {{kind: ConfigMap}}\n  patch: \"{ops}\"\n"
            );
            let e = build_tree(&[("kustomization.yaml", &k), ("cm.yaml", cm)]).unwrap_err();
            assert_eq!(
                e.message(),
                format!("applying patch to ConfigMap.v1.[noGrp]/c.[noNs]: {want}"),
                "{ops}"
            );
        }
    }

    /// Each located error: its kind, and the place it names.
    #[test]
    fn errors_have_kinds_and_places() {
        use crate::error::ErrorKind;
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n";
        let case = |files: &[(&str, &str)]| build_tree(files).unwrap_err();
        let e = case(&[(
            "kustomization.yaml",
            "namePrefix: p-\nresourcez: [cm.yaml]\n",
        )]);
        assert_eq!(e.kind(), ErrorKind::Kustomization);
        let at = e.location().unwrap();
        assert_eq!(
            (at.path.as_path(), at.line, at.column),
            (Path::new("/t/kustomization.yaml"), 2, 1)
        );
        assert_eq!(at.line_text(), Some("resourcez: [cm.yaml]"));
        assert_eq!(e.hint(), Some("did you mean `resources`?"));

        let e = case(&[
            ("kustomization.yaml", "resources:\n- cm.yaml\n- gone.yaml\n"),
            ("cm.yaml", cm),
        ]);
        assert_eq!(e.kind(), ErrorKind::Io);
        assert_eq!(e.location().map(|l| (l.line, l.column)), Some((3, 3)));

        let e = case(&[
            (
                "kustomization.yaml",
                "bases: [gone]\nresources: [cm.yaml]\n",
            ),
            ("cm.yaml", cm),
        ]);
        assert_eq!(
            e.location().map(|l| (l.line, l.column)),
            Some((1, 9)),
            "{e}"
        );

        let e = case(&[
            (
                "kustomization.yaml",
                "resources: [cm.yaml]\npatches:\n- path: p.yaml\n",
            ),
            ("cm.yaml", cm),
            (
                "p.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: [x]\n",
            ),
        ]);
        assert_eq!(e.kind(), ErrorKind::Patch);
        assert_eq!(e.location(), Some(Location::file("/t/p.yaml")));

        let e = case(&[
            ("kustomization.yaml", "resources: [cm.yaml]\npatches:\n- target: {kind: ConfigMap}\n  patch: |\n\n    - op: remove\n      path: /data/x\n"),
            ("cm.yaml", cm),
        ]);
        assert_eq!(e.kind(), ErrorKind::Patch);
        let at = e.location().unwrap();
        assert_eq!((at.line, at.column), (6, 7));
        assert_eq!(at.source, None, "lines of a patch's text are not shown");

        let e = case(&[(
            "kustomization.yaml",
            "configMapGenerator:\n- name: c\n  literals: [not-a-pair]\n",
        )]);
        assert_eq!(e.kind(), ErrorKind::Generator);
        let at = e.location().unwrap();
        assert_eq!((at.line, at.column), (2, 3));
        assert_eq!(at.line_text(), Some("- name: c"));
        let e = case(&[(
            "kustomization.yaml",
            "secretGenerator: [{name: s, literals: [hunter2-pair]}]\n",
        )]);
        let at = e.location().unwrap();
        assert_eq!((at.line, at.column), (1, 19));
        assert_eq!(at.source, None, "a Secret's entry is not shown");
    }

    fn build_tree(files: &[(&str, &str)]) -> Result<String> {
        let mut fs = InMemory::new();
        for (p, c) in files {
            fs.add_file(format!("/t/{p}"), *c);
        }
        build_yaml(&fs, Path::new("/t"), &BuildOptions::default())
    }
    #[test]
    fn generators_and_lists() {
        let files = [
            (
                "kustomization.yaml",
                r#"resources:
- objects.yaml
configMapGenerator:
- name: settings
  envs: [app.env]
  literals: [MODE="fast"]
  files: [conf/app.ini]
secretGenerator:
- name: creds
  literals: [TOKEN=abc]
  type: kubernetes.io/opaque
generatorOptions:
  labels:
    generated: "yes"
"#,
            ),
            (
                "objects.yaml",
                r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata:
    name: web
  spec:
    ports:
    - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
---
apiVersion: v1
kind: Namespace
metadata:
  name: apps
"#,
            ),
            (
                "app.env",
                r#"# comment
LEVEL=info

REGION=eu
"#,
            ),
            (
                "conf/app.ini",
                r#"[main]
threads = 4
"#,
            ),
        ];
        assert_eq!(
            build_tree(&files).unwrap(),
            r#"apiVersion: v1
kind: Namespace
metadata:
  name: apps
---
apiVersion: v1
data:
  LEVEL: info
  MODE: fast
  REGION: eu
  app.ini: |
    [main]
    threads = 4
kind: ConfigMap
metadata:
  labels:
    generated: "yes"
  name: settings-8d2fh9hg6c
---
apiVersion: v1
data:
  TOKEN: YWJj
kind: Secret
metadata:
  labels:
    generated: "yes"
  name: creds-h49kmbt2t2
type: kubernetes.io/opaque
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
"#
        );
    }

    #[test]
    fn components_accumulate_in_order() {
        let files = [
            (
                "kustomization.yaml",
                r#"resources:
- base
components:
- extra
"#,
            ),
            (
                "base/kustomization.yaml",
                r#"resources:
- pod.yaml
configMapGenerator:
- name: cfg
  literals: [A=1]
"#,
            ),
            (
                "base/pod.yaml",
                r#"apiVersion: v1
kind: Pod
metadata:
  name: p
"#,
            ),
            (
                "extra/kustomization.yaml",
                r#"apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
- svc.yaml
configMapGenerator:
- name: cfg
  behavior: merge
  literals: [B=2]
"#,
            ),
            (
                "extra/svc.yaml",
                r#"apiVersion: v1
kind: Service
metadata:
  name: s
"#,
            ),
        ];
        assert_eq!(
            build_tree(&files).unwrap(),
            r#"apiVersion: v1
data:
  A: "1"
  B: "2"
kind: ConfigMap
metadata:
  name: cfg-66h9cbh964
---
apiVersion: v1
kind: Service
metadata:
  name: s
---
apiVersion: v1
kind: Pod
metadata:
  name: p
"#
        );
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let files = [
            ("kustomization.yaml", "resources: [a.yaml, b.yaml]\n"),
            (
                "a.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n",
            ),
            (
                "b.yaml",
                "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: default\n",
            ),
        ];
        let err = build_tree(&files).unwrap_err().to_string();
        assert!(err.contains("already registered id"), "{err}");
    }

    #[test]
    fn files_outside_the_root_are_refused() {
        let mut fs = InMemory::new();
        fs.add_file("/t/app/kustomization.yaml", "resources: [../pod.yaml]\n");
        fs.add_file(
            "/t/pod.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n",
        );
        let err = build_yaml(&fs, Path::new("/t/app"), &BuildOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("is not in or below"), "{err}");
        let open = BuildOptions {
            load_restrictor: LoadRestrictor::None,
            ..BuildOptions::default()
        };
        assert!(build_yaml(&fs, Path::new("/t/app"), &open).is_ok());
    }

    #[test]
    fn a_base_that_contains_its_overlay_is_a_cycle() {
        let files = [
            ("kustomization.yaml", "resources: [sub]\n"),
            ("sub/kustomization.yaml", "resources: [..]\n"),
        ];
        let err = build_tree(&files).unwrap_err().to_string();
        assert!(err.contains("cycle detected"), "{err}");
    }

    #[test]
    fn missing_names_and_kinds_are_refused() {
        let files = [
            ("kustomization.yaml", "resources: [a.yaml]\n"),
            ("a.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {}\n"),
        ];
        assert_eq!(
            build_tree(&files).err().map(|e| e.to_string()).as_deref(),
            Some("/t/kustomization.yaml:1:13: accumulating resources: accumulating resources from 'a.yaml': missing metadata.name in object of kind Pod"));
        let files = [
            ("kustomization.yaml", "resources: [a.yaml]\n"),
            ("a.yaml", "apiVersion: v1\nmetadata:\n  name: x\n"),
        ];
        assert_eq!(
            build_tree(&files).err().map(|e| e.to_string()).as_deref(),
            Some("/t/kustomization.yaml:1:13: accumulating resources: accumulating resources from 'a.yaml': missing kind in object"));
    }
}
