//! Where the builtin transformers meet the build: their order, the
//! transformer configuration a kustomization tree accumulates, and the
//! steps that run once at the top of a build.
//!
//! kustomize runs a kustomization's builtin transformers in a fixed order
//! (see [`run`]), then the configurations listed under `transformers:`.

use super::build::{self, inline_config, join_origin, Accumulator};
use super::config::{FieldSpec, NameBackReference, TransformerConfig};
use super::error::{Error, Location, Result};
use super::generate::content_hash;
use super::kustomization::Kustomization;
use super::loader::Loader;
use super::observe;
use super::patch;
use super::resource::{Gvk, Resource};
use super::transform::{
    add_annotations, add_labels, add_prefix, add_suffix, builtin_from_node,
    label_entry_field_specs, set_images_all, set_namespace_on, set_replicas_all, ImageSpec,
    LabelEntry, NamespaceOptions, ReplicaSpec, ValueAdd,
};
use compose_yaml::{Mapping, Node, Str};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

/// The transformer configuration of an accumulation, built as kustomize
/// builds it. An accumulation starts with no field specs at all; each
/// base's configuration is merged in, then the kustomization's own
/// (kustomize's defaults merged with its `configurations:` files), then
/// what its `crds:` declare.
///
/// Each merge adds the incoming specs one at a time, in their sorted
/// order, skipping a spec when one already there names the same path for
/// a kind it selects; the result is sorted again. So the order matters:
/// a `configurations:` file that prefixes `metadata/name` of one kind
/// sorts before the default spec for every kind, and the default is
/// skipped: only that kind gets the prefix.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// The merged field specs, shared until one is changed.
    pub(crate) tc: Arc<TransformerConfig>,
}

fn empty_config() -> &'static Arc<TransformerConfig> {
    static EMPTY: OnceLock<Arc<TransformerConfig>> = OnceLock::new();
    EMPTY.get_or_init(|| Arc::new(TransformerConfig::empty()))
}

fn builtin_config() -> &'static Arc<TransformerConfig> {
    static BUILTIN: OnceLock<Arc<TransformerConfig>> = OnceLock::new();
    BUILTIN.get_or_init(|| Arc::new(TransformerConfig::builtin()))
}

impl Default for Config {
    /// No field specs.
    fn default() -> Self {
        Config {
            tc: empty_config().clone(),
        }
    }
}

impl Config {
    /// kustomize's defaults alone.
    pub(crate) fn builtin() -> Config {
        Config {
            tc: builtin_config().clone(),
        }
    }

    /// Merges `other` into this configuration (kustomize's `Merge`).
    pub(crate) fn merge(&mut self, other: &Config) -> Result<()> {
        // Merging nothing only sorts, and a configuration is always
        // sorted; the defaults merged into nothing or into themselves are
        // the defaults (a test checks both).
        if Arc::ptr_eq(&other.tc, empty_config()) {
            return Ok(());
        }
        if Arc::ptr_eq(&other.tc, builtin_config())
            && (Arc::ptr_eq(&self.tc, empty_config()) || Arc::ptr_eq(&self.tc, builtin_config()))
        {
            self.tc = builtin_config().clone();
            return Ok(());
        }
        Arc::make_mut(&mut self.tc).merge(&other.tc)
    }

    /// This configuration merged into an empty one, as kustomize takes a
    /// Component's accumulation back.
    pub(crate) fn remerge(&mut self) -> Result<()> {
        let mut fresh = Config::default();
        fresh.merge(self)?;
        *self = fresh;
        Ok(())
    }

    /// A kustomization's own configuration: kustomize's defaults merged
    /// with its `configurations:` files, which are merged together first.
    pub(crate) fn of_files(loader: &Loader<'_>, paths: &[String]) -> Result<Config> {
        if paths.is_empty() {
            return Ok(Config::builtin());
        }
        let mut loaded = TransformerConfig::empty();
        for path in paths {
            for doc in loader.read_yaml(path)? {
                let tc = TransformerConfig::from_node(&doc)
                    .map_err(|e| e.context(format!("loading configuration '{path}'")))?;
                loaded.merge(&tc)?;
            }
        }
        let mut tc = TransformerConfig::builtin();
        tc.merge(&loaded)?;
        Ok(Config { tc: Arc::new(tc) })
    }

    /// What `crds:` files declare: OpenAPI definitions whose
    /// `x-kubernetes-*` extensions name references, labels, annotations
    /// and identity fields of custom kinds. Each definition makes a
    /// configuration of its own, merged into the file's, and the files'
    /// are merged in turn.
    pub(crate) fn of_crds(loader: &Loader<'_>, paths: &[String]) -> Result<Config> {
        if paths.is_empty() {
            return Ok(Config::default());
        }
        let mut all = TransformerConfig::empty();
        for path in paths {
            let text = loader.read_text(path)?;
            let doc = compose_yaml::parse_one(&text).map_err(|error| Error::Yaml {
                path: loader.resolve(path),
                error,
            })?;
            let Node::Map(defs) = doc else {
                return Err(Error::configuration("unable to parse open API definition")
                    .at_file(loader.resolve(path)));
            };
            let mut file = TransformerConfig::empty();
            let mut names: Vec<&Str> = defs.keys().collect();
            names.sort();
            for name in names {
                let Some(def) = defs.get(name) else { continue };
                let props = def.get_path(&["Schema", "properties"]);
                let looks_like_type = props.is_some_and(|p| {
                    p.get("kind").is_some()
                        && p.get("apiVersion").is_some()
                        && p.get("metadata").is_some()
                });
                if !looks_like_type {
                    continue;
                }
                let kind = name.rsplit('.').next().unwrap_or(name).into();
                let gvk = Gvk {
                    kind,
                    ..Gvk::default()
                };
                let mut one = TransformerConfig::empty();
                crd_fields(&mut one, &gvk, &defs, name, &mut Vec::new(), 0)?;
                file.merge(&one)?;
            }
            all.merge(&file)?;
        }
        Ok(Config { tc: Arc::new(all) })
    }
}

/// Walks one definition's properties (following `$ref`s) for kustomize's
/// CRD extensions.
fn crd_fields(
    tc: &mut TransformerConfig,
    gvk: &Gvk,
    defs: &Mapping,
    type_name: &str,
    path: &mut Vec<String>,
    depth: usize,
) -> Result<()> {
    if depth > 32 {
        return Ok(());
    }
    let Some(Node::Map(props)) = defs
        .get(type_name)
        .and_then(|d| d.get_path(&["Schema", "properties"]))
    else {
        return Ok(());
    };
    for (prop, schema) in props.iter() {
        path.push(prop.to_string());
        let spec = |p: &[String]| FieldSpec {
            gvk: gvk.clone(),
            path: p.join("/"),
            create: false,
        };
        if schema.get("x-kubernetes-annotation").is_some() {
            tc.add_annotation_field_spec(spec(path))?;
        }
        if schema.get("x-kubernetes-label-selector").is_some() {
            tc.add_common_labels_field_spec(spec(path))?;
        }
        if schema.get("x-kubernetes-identity").is_some() {
            tc.add_prefix_field_spec(spec(path))?;
        }
        if let (Some(version), Some(kind)) = (
            schema
                .get("x-kubernetes-object-ref-api-version")
                .and_then(Node::as_str),
            schema
                .get("x-kubernetes-object-ref-kind")
                .and_then(Node::as_str),
        ) {
            let key = schema
                .get("x-kubernetes-object-ref-name-key")
                .and_then(Node::as_str)
                .unwrap_or("name");
            let mut p = path.clone();
            p.push(key.to_string());
            tc.add_name_reference(NameBackReference {
                gvk: Gvk {
                    kind: kind.into(),
                    version: version.into(),
                    ..Gvk::default()
                },
                field_specs: vec![spec(&p)],
            })?;
        }
        if let Some(r) = schema.get("$ref").and_then(Node::as_str) {
            crd_fields(tc, gvk, defs, r, path, depth + 1)?;
        }
        path.pop();
    }
    Ok(())
}

/// Whether the kustomization sets `field` to something (an empty string,
/// list or mapping configures nothing).
fn used(kust: &Kustomization, field: &str) -> bool {
    match kust.get(field) {
        None => false,
        Some(Node::Str(s)) => !s.is_empty(),
        Some(Node::Seq(s)) => !s.is_empty(),
        Some(Node::Map(m)) => !m.is_empty(),
        Some(_) => true,
    }
}

/// One builtin transformer step of [`run`].
type Step = fn(&StepContext<'_, '_>, &mut Accumulator) -> Result<()>;

/// kustomize's builtin transformers in the order it runs them, each with
/// the kustomization field that configures it. A step runs only when its
/// field is [`used`]; a kustomization that uses none of these fields
/// transforms nothing.
const STEPS: &[(&str, Step)] = &[
    ("patchesStrategicMerge", strategic_merge_patches),
    ("patches", patches),
    ("namespace", namespace),
    ("namePrefix", name_prefix),
    ("nameSuffix", name_suffix),
    // each `labels:` entry, then `commonLabels`
    ("labels", labels),
    ("commonLabels", common_labels),
    ("commonAnnotations", common_annotations),
    ("patchesJson6902", json6902_patches),
    ("replicas", replicas),
    ("images", images),
    ("replacements", replacements),
    // the configurations listed under `transformers:` come last
    ("transformers", run_transformer_configs),
];

/// The steps of [`STEPS`] whose entries are shown to an observer one at
/// a time (see [`super::observe`]); the others are shown once each.
const OBSERVED_PER_ENTRY: &[&str] = &["patchesStrategicMerge", "patches", "patchesJson6902"];

/// Runs a kustomization's transformers over everything accumulated, in
/// kustomize's order ([`STEPS`]).
pub(crate) fn run(
    loader: &Loader<'_>,
    kust: &Kustomization,
    acc: &mut Accumulator,
    origin: Option<&str>,
) -> Result<()> {
    if !STEPS.iter().any(|(field, _)| used(kust, field)) {
        return Ok(());
    }
    // Messages of these steps may quote the nodes they met; none may
    // quote a Secret's value. The steps keep every object when they fail,
    // so the Secrets are collected only then.
    run_configured(loader, kust, acc, origin).map_err(|e| {
        super::redact::Secrets::of(&acc.resources)
            .and(super::redact::of_patches(kust, loader))
            .scrub_error(e)
    })
}

/// What every step reads.
struct StepContext<'a, 'l> {
    loader: &'a Loader<'l>,
    kust: &'a Kustomization,
    /// Where the top of the build is, when transformations are noted.
    origin: Option<&'a str>,
    /// This kustomization's file as it is noted, when transformations are.
    here: Option<String>,
}

impl StepContext<'_, '_> {
    /// Notes on every object that transformer `kind` ran.
    fn note(&self, acc: &mut Accumulator, kind: &str) {
        if let Some(h) = &self.here {
            note_transformation(&mut acc.resources, h, kind, None, None);
        }
    }

    /// Runs `f` over the objects, split across cores when there are many.
    /// Name affixes, labels, annotations and images treat each object on
    /// its own (see parallel::chunks_mut).
    fn split(
        &self,
        resources: &mut [Resource],
        f: &(dyn Fn(usize, &mut [Resource]) -> Result<()> + Sync),
    ) -> Result<()> {
        super::parallel::try_chunks_mut(
            resources,
            self.loader.threads(),
            super::parallel::MIN_OBJECTS_PER_SPLIT,
            f,
        )
    }
}

/// Notes patch `index` of `field` when the loader asks and its `target`
/// selects none of `resources` (a target that does not read is left to
/// the patch step, which refuses it).
fn note_unmatched(
    loader: &Loader<'_>,
    kust: &Kustomization,
    field: &'static str,
    index: usize,
    entry: &Node,
    resources: &[Resource],
) {
    if !loader.notes_unmatched() {
        return;
    }
    let Some(target) = entry.get("target").filter(|t| !t.is_null()) else {
        return;
    };
    let Ok(sel) = super::target_selector::Selector::from_node(target) else {
        return;
    };
    if !resources.iter().any(|r| sel.matches(r)) {
        loader.note_unmatched(super::loader::UnmatchedPatch {
            file: loader.root().join(&kust.file_name),
            field,
            index,
        });
    }
}

/// The steps of [`run`], for a kustomization that configures some.
fn run_configured(
    loader: &Loader<'_>,
    kust: &Kustomization,
    acc: &mut Accumulator,
    origin: Option<&str>,
) -> Result<()> {
    let cx = StepContext {
        loader,
        kust,
        origin,
        here: origin.map(|o| join_origin(o, &kust.file_name)),
    };
    for (field, step) in STEPS {
        if used(kust, field) {
            step(&cx, acc)?;
            if !OBSERVED_PER_ENTRY.contains(field) {
                loader.observe(kust, field, None, &acc.resources);
            }
        }
    }
    // Ids only change when a transformer ran; re-indexing after every
    // component would make large trees quadratic.
    acc.reindex();
    Ok(())
}

fn strategic_merge_patches(cx: &StepContext<'_, '_>, acc: &mut Accumulator) -> Result<()> {
    let (loader, kust) = (cx.loader, cx.kust);
    let psm = kust.str_list("patchesStrategicMerge");
    if !psm.is_empty() {
        let place = |i: usize, inner: Option<&Location>| {
            item_place(loader, kust, "patchesStrategicMerge", i, "", inner)
        };
        let after = |i: usize, objects: &[Resource]| {
            loader.observe(kust, "patchesStrategicMerge", Some(i), objects);
        };
        patch::patches_strategic_merge(&mut acc.resources, &psm, loader, &place, &after)?;
        cx.note(acc, "PatchStrategicMergeTransformer");
    }
    Ok(())
}

fn patches(cx: &StepContext<'_, '_>, acc: &mut Accumulator) -> Result<()> {
    let (loader, kust) = (cx.loader, cx.kust);
    for (i, entry) in kust.list("patches").iter().enumerate() {
        note_unmatched(loader, kust, "patches", i, entry, &acc.resources);
        let place = |_: usize, inner: Option<&Location>| {
            item_place(loader, kust, "patches", i, "/patch", inner)
        };
        patch::patches_entry(&mut acc.resources, entry, loader, &place)?;
        loader.observe(kust, "patches", Some(i), &acc.resources);
        cx.note(acc, "PatchTransformer");
    }
    Ok(())
}

fn namespace(cx: &StepContext<'_, '_>, acc: &mut Accumulator) -> Result<()> {
    let ns = cx.kust.str("namespace");
    if !ns.is_empty() {
        let tc = Arc::clone(&acc.config.tc);
        set_namespace_on(
            &mut acc.resources,
            ns,
            &tc.namespace,
            NamespaceOptions::default(),
            cx.loader.threads(),
        )?;
        cx.note(acc, "NamespaceTransformer");
    }
    Ok(())
}

fn name_prefix(cx: &StepContext<'_, '_>, acc: &mut Accumulator) -> Result<()> {
    let prefix = cx.kust.str("namePrefix");
    if !prefix.is_empty() {
        let tc = Arc::clone(&acc.config.tc);
        cx.split(&mut acc.resources, &|_, rs| {
            add_prefix(rs, prefix, &tc.name_prefix)
        })?;
        cx.note(acc, "PrefixTransformer");
    }
    Ok(())
}

fn name_suffix(cx: &StepContext<'_, '_>, acc: &mut Accumulator) -> Result<()> {
    let suffix = cx.kust.str("nameSuffix");
    if !suffix.is_empty() {
        let tc = Arc::clone(&acc.config.tc);
        cx.split(&mut acc.resources, &|_, rs| {
            add_suffix(rs, suffix, &tc.name_suffix)
        })?;
        cx.note(acc, "SuffixTransformer");
    }
    Ok(())
}

fn labels(cx: &StepContext<'_, '_>, acc: &mut Accumulator) -> Result<()> {
    let tc = Arc::clone(&acc.config.tc);
    for entry in cx.kust.list("labels") {
        let entry = LabelEntry::from_node(entry)?;
        let specs = label_entry_field_specs(&entry, &tc)?;
        cx.split(&mut acc.resources, &|_, rs| {
            add_labels(rs, &entry.pairs, &specs)
        })?;
        cx.note(acc, "LabelTransformer");
    }
    Ok(())
}

fn common_labels(cx: &StepContext<'_, '_>, acc: &mut Accumulator) -> Result<()> {
    let common_labels: BTreeMap<String, String> =
        cx.kust.str_map("commonLabels").into_iter().collect();
    if !common_labels.is_empty() {
        let tc = Arc::clone(&acc.config.tc);
        cx.split(&mut acc.resources, &|_, rs| {
            add_labels(rs, &common_labels, &tc.common_labels)
        })?;
        cx.note(acc, "LabelTransformer");
    }
    Ok(())
}

fn common_annotations(cx: &StepContext<'_, '_>, acc: &mut Accumulator) -> Result<()> {
    let annotations: BTreeMap<String, String> =
        cx.kust.str_map("commonAnnotations").into_iter().collect();
    if !annotations.is_empty() {
        let tc = Arc::clone(&acc.config.tc);
        cx.split(&mut acc.resources, &|_, rs| {
            add_annotations(rs, &annotations, &tc.common_annotations)
        })?;
        cx.note(acc, "AnnotationsTransformer");
    }
    Ok(())
}

fn json6902_patches(cx: &StepContext<'_, '_>, acc: &mut Accumulator) -> Result<()> {
    let (loader, kust) = (cx.loader, cx.kust);
    for (i, entry) in kust.list("patchesJson6902").iter().enumerate() {
        note_unmatched(loader, kust, "patchesJson6902", i, entry, &acc.resources);
        let place = |_: usize, inner: Option<&Location>| {
            item_place(loader, kust, "patchesJson6902", i, "/patch", inner)
        };
        patch::patches_json6902_entry(&mut acc.resources, entry, loader, &place)?;
        loader.observe(kust, "patchesJson6902", Some(i), &acc.resources);
        cx.note(acc, "PatchJson6902Transformer");
    }
    Ok(())
}

fn replicas(cx: &StepContext<'_, '_>, acc: &mut Accumulator) -> Result<()> {
    let (loader, kust) = (cx.loader, cx.kust);
    // Each entry is its own transformer in kustomize; applying them
    // together gives the same result in one pass over the objects.
    let replicas = kust
        .list("replicas")
        .iter()
        .enumerate()
        .map(|(i, n)| {
            ReplicaSpec::from_node(n).map_err(|e| {
                e.at(build::place(
                    loader,
                    kust,
                    &kust.item_pointer("replicas", i),
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let tc = Arc::clone(&acc.config.tc);
    set_replicas_all(&mut acc.resources, &replicas, &tc.replicas)?;
    for _ in &replicas {
        cx.note(acc, "ReplicaCountTransformer");
    }
    Ok(())
}

fn images(cx: &StepContext<'_, '_>, acc: &mut Accumulator) -> Result<()> {
    let (loader, kust) = (cx.loader, cx.kust);
    let images = kust
        .list("images")
        .iter()
        .enumerate()
        .map(|(i, n)| {
            ImageSpec::from_node(n)
                .map_err(|e| e.at(build::place(loader, kust, &kust.item_pointer("images", i))))
        })
        .collect::<Result<Vec<_>>>()?;
    if !images.is_empty() {
        let tc = Arc::clone(&acc.config.tc);
        cx.split(&mut acc.resources, &|_, rs| {
            set_images_all(rs, &images, &tc.images)
        })?;
    }
    for _ in &images {
        cx.note(acc, "ImageTagTransformer");
    }
    Ok(())
}

fn replacements(cx: &StepContext<'_, '_>, acc: &mut Accumulator) -> Result<()> {
    let loader = cx.loader;
    let reps = super::refs::parse_replacements(cx.kust.list("replacements"), &mut |p| {
        loader.read_text(p)
    })?;
    if !reps.is_empty() {
        super::refs::apply_replacements(&mut acc.resources, &reps)?;
        cx.note(acc, "ReplacementTransformer");
    }
    Ok(())
}

/// Where item `index` of list `field` of the kustomization is, for a
/// message. A place inside an inline patch's text (`inner`, found under
/// the item's `text` key) becomes its line in the kustomization when the
/// text is a literal block (`|`), or where the text starts otherwise.
fn item_place(
    loader: &Loader<'_>,
    kust: &Kustomization,
    field: &str,
    index: usize,
    text: &str,
    inner: Option<&Location>,
) -> Location {
    let item = kust.item_pointer(field, index);
    let Some(inner) = inner else {
        return build::place(loader, kust, &item);
    };
    let here = build::place(loader, kust, &format!("{item}{text}"));
    let key = build::place(loader, kust, &format!("{item}{text}#key"));
    let mut there = literal_line(&key, &here, inner).unwrap_or(here);
    // A line of a patch's text may hold a value meant for a Secret: it is
    // pointed at, not shown.
    there.source = None;
    there
}

/// The place in a file of `inner`, a place inside a literal block scalar
/// (`key: |`) whose text starts at `here`. Inline patches are trimmed,
/// and the block's text starts at its first line with something on it,
/// so the lines count from there.
fn literal_line(key: &Location, here: &Location, inner: &Location) -> Option<Location> {
    let key_line = key.line_text()?;
    let after_key: String = key_line
        .chars()
        .skip(key.column.saturating_sub(1))
        .collect();
    let indicator = after_key.split_once(':')?.1.trim_start();
    if !indicator.starts_with('|') || here.line <= key.line {
        return None;
    }
    Some(Location {
        line: here.line + inner.line - 1,
        column: if inner.column > 0 {
            here.column - 1 + inner.column
        } else {
            0
        },
        ..here.clone()
    })
}

/// Runs a patch transformer given in its configuration form
/// (`PatchTransformer`, `PatchStrategicMergeTransformer`,
/// `PatchJson6902Transformer`). Returns false for other kinds.
fn patch_config(
    resources: &mut Vec<Resource>,
    doc: &Node,
    kind: &str,
    loader: &Loader<'_>,
    place: patch::Placer<'_>,
) -> Result<bool> {
    let Node::Map(m) = doc else { return Ok(false) };
    let pick = |keys: &[&str]| -> Node {
        let mut out = Mapping::new();
        for (k, v) in m.iter() {
            if keys.contains(&k.as_str()) {
                out.insert(k.clone(), v.clone());
            }
        }
        Node::Map(out)
    };
    match kind {
        "PatchTransformer" => patch::patches_entry(
            resources,
            &pick(&["path", "patch", "target", "options"]),
            loader,
            place,
        )?,
        "PatchJson6902Transformer" => {
            let mut entry = pick(&["path", "target"]);
            if let (Some(op), Some(e)) = (m.get("jsonOp"), entry.as_map_mut()) {
                e.insert("patch", op.clone());
            }
            patch::patches_json6902_entry(resources, &entry, loader, place)?
        }
        "PatchStrategicMergeTransformer" => {
            let mut entries: Vec<String> = match m.get("paths") {
                Some(Node::Seq(items)) => items.iter().filter_map(Node::scalar_text).collect(),
                _ => Vec::new(),
            };
            if let Some(text) = m
                .get("patches")
                .and_then(Node::scalar_text)
                .filter(|t| !t.trim().is_empty())
            {
                entries.push(text);
            }
            if entries.is_empty() {
                return Err(Error::patch("empty file path and empty patch content"));
            }
            patch::patches_strategic_merge(resources, &entries, loader, place, &|_, _| {})?
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Runs the `transformers:` entries: builtin transformer configs, inline,
/// in files, or produced by a kustomization directory.
fn run_transformer_configs(cx: &StepContext<'_, '_>, acc: &mut Accumulator) -> Result<()> {
    let (loader, kust, origin) = (cx.loader, cx.kust, cx.origin);
    for (i, entry) in kust.str_list("transformers").into_iter().enumerate() {
        // A patch inside a transformer configuration is placed at the
        // configuration's entry.
        let place = |_: usize, _: Option<&Location>| {
            build::place(loader, kust, &kust.item_pointer("transformers", i))
        };
        let (docs, configured_in) = match inline_config(&entry) {
            Some(docs) => (docs, kust.file_name.clone()),
            None if loader.is_dir(&entry) => (
                build::configs_from_directory(loader, &entry)?,
                entry.clone(),
            ),
            None => (loader.read_yaml(&entry)?, entry.clone()),
        };
        loader
            .openapi()
            .met_all(docs.iter().filter(|d| !d.is_null()));
        for doc in docs.into_iter().filter(|d| !d.is_null()) {
            let kind = doc.str_at(&["kind"]).unwrap_or("").to_string();
            let mut done = patch_config(&mut acc.resources, &doc, &kind, loader, &place)
                .map_err(|e| e.context(format!("transformer configuration '{entry}'")))?;
            if kind == "ReplacementTransformer" {
                let reps =
                    super::refs::replacements_from_config(&doc, &mut |p| loader.read_text(p))?;
                super::refs::apply_replacements(&mut acc.resources, &reps)?;
                done = true;
            }
            if kind == "ValueAddTransformer" {
                let t =
                    ValueAdd::from_config(&doc, &loader.dir_name(), &mut |p| loader.read_text(p))
                        .map_err(|e| e.context(format!("transformer configuration '{entry}'")))?;
                t.apply(&mut acc.resources)?;
                done = true;
            }
            if !done {
                let t = builtin_from_node(&doc)
                    .map_err(|e| e.context(format!("transformer configuration '{entry}'")))?;
                t.apply(&mut acc.resources)?;
            }
            if let Some(o) = origin {
                note_transformation(
                    &mut acc.resources,
                    &join_origin(o, &configured_in),
                    &kind,
                    doc.str_at(&["metadata", "name"]),
                    doc.str_at(&["metadata", "namespace"]),
                );
            }
        }
    }
    Ok(())
}

/// The steps kustomize runs once, at the top of a build: hash suffixes,
/// then name references, then vars.
/// Hashes and name references treat each object on their own (the
/// references read a table of every object's names made beforehand), so
/// on many objects they run on up to `threads` threads.
pub(crate) fn finish(
    acc: &mut Accumulator,
    kust: &Kustomization,
    loader: &Loader<'_>,
) -> Result<()> {
    let threads = loader.threads();
    acc.release_indexes();
    super::parallel::chunks_mut(
        &mut acc.resources,
        threads,
        super::parallel::MIN_OBJECTS_PER_SPLIT,
        |_, chunk| {
            for r in chunk.iter_mut().filter(|r| r.meta.needs_hash) {
                let h = content_hash(r);
                let name = format!("{}-{h}", r.name());
                r.set_name(&name);
            }
        },
    );
    loader.observe(kust, observe::HASH_SUFFIXES, None, &acc.resources);
    super::nameref::fix_name_references(
        &mut acc.resources,
        &acc.config.tc.name_reference,
        threads,
    )?;
    loader.observe(kust, observe::NAME_REFERENCES, None, &acc.resources);
    super::refs::resolve_vars(&mut acc.resources, &acc.vars, &acc.config.tc)?;
    loader.observe(kust, observe::VARS, None, &acc.resources);
    Ok(())
}

/// Records, on every object present, that a transformer ran (for
/// `buildMetadata: [transformerAnnotations]`). `configured_in` is the file
/// that configured it, relative to the top of the build; `name` and
/// `namespace` come from a transformer config's metadata.
pub(crate) fn note_transformation(
    resources: &mut [Resource],
    configured_in: &str,
    kind: &str,
    name: Option<&str>,
    namespace: Option<&str>,
) {
    let mut entry = format!("- configuredIn: {configured_in}\n  configuredBy:\n    apiVersion: builtin\n    kind: {kind}\n");
    if let Some(n) = name.filter(|n| !n.is_empty()) {
        entry.push_str(&format!("    name: {n}\n"));
    }
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        entry.push_str(&format!("    namespace: {ns}\n"));
    }
    for r in resources.iter_mut() {
        r.meta.transformations.push(entry.clone());
    }
}

/// What kubectl's embedded kustomize reports as its version in the
/// `managedByLabel` build metadata.
pub(crate) const MANAGED_BY_VALUE: &str = "kustomize-(devel)";

/// Last touches on the output: build metadata.
pub(crate) fn finish_metadata(resources: &mut [Resource], kust: &Kustomization) -> Result<()> {
    for option in kust.str_list("buildMetadata") {
        match option.as_str() {
            "originAnnotations" => {
                for r in resources.iter_mut() {
                    if let Some(o) = r.meta.origin.clone() {
                        let meta = r.metadata_mut();
                        let ann = meta.entry_or_insert_with("annotations", Node::map);
                        if let Some(m) = ann.as_map_mut() {
                            m.insert("config.kubernetes.io/origin", Node::str(o));
                        }
                    }
                }
            }
            "managedByLabel" => {
                for r in resources.iter_mut() {
                    let meta = r.metadata_mut();
                    let labels = meta.entry_or_insert_with("labels", Node::map);
                    if let Some(m) = labels.as_map_mut() {
                        m.insert("app.kubernetes.io/managed-by", Node::str(MANAGED_BY_VALUE));
                    }
                }
            }
            "transformerAnnotations" => {
                for r in resources.iter_mut() {
                    if r.meta.transformations.is_empty() {
                        continue;
                    }
                    let text = r.meta.transformations.concat();
                    let meta = r.metadata_mut();
                    let ann = meta.entry_or_insert_with("annotations", Node::map);
                    if let Some(m) = ann.as_map_mut() {
                        m.insert(
                            "alpha.config.kubernetes.io/transformations",
                            Node::str(text),
                        );
                    }
                }
            }
            other => {
                return Err(Error::kustomization(format!(
                    "unknown buildMetadata option `{other}`"
                )))
            }
        }
    }
    Ok(())
}

/// Folds a generated object with `behavior: merge|replace` into the
/// existing one (for `replace` the new origin is kept, for `merge` the old): the existing name, namespace and build facts stay; labels
/// and annotations merge (the new ones win); with `merge_data`, data
/// merges too, otherwise the new data replaces the old.
pub(crate) fn merge_generated(old: &Resource, mut new: Resource, merge_data: bool) -> Resource {
    for field in ["labels", "annotations"] {
        let mut merged: Mapping = old
            .node
            .get_path(&["metadata", field])
            .and_then(Node::as_map)
            .cloned()
            .unwrap_or_default();
        if let Some(Node::Map(m)) = new.node.get_path(&["metadata", field]) {
            for (k, v) in m.iter() {
                merged.insert(k.clone(), v.clone());
            }
        }
        let meta = new.metadata_mut();
        if merged.is_empty() {
            meta.remove(field);
        } else {
            meta.insert(field, Node::Map(merged));
        }
    }
    let name = old.name().to_string();
    let ns = old.namespace().to_string();
    let meta = new.metadata_mut();
    meta.insert("name", Node::str(name));
    if ns.is_empty() {
        meta.remove("namespace");
    } else {
        meta.insert("namespace", Node::str(ns));
    }
    if merge_data {
        for field in ["data", "binaryData"] {
            let Some(Node::Map(old_data)) = old.node.get(field) else {
                continue;
            };
            let mut merged = old_data.clone();
            if let Some(Node::Map(m)) = new.node.get(field) {
                for (k, v) in m.iter() {
                    merged.insert(k.clone(), v.clone());
                }
            }
            new.map_mut().insert(field, Node::Map(merged));
        }
    }
    // The old object's history stays. A hash is added only when both sides
    // want one: merging into a plain (non-generated) object adds none, and
    // an overlay that disables hashes turns the base's off.
    let needs_hash = new.meta.needs_hash && old.meta.needs_hash;
    let new_origin = new.meta.origin.take();
    new.meta = old.meta.clone();
    new.meta.needs_hash = needs_hash;
    if !merge_data && new_origin.is_some() {
        new.meta.origin = new_origin;
    }
    new
}
