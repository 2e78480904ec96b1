//! Patches: `patchesStrategicMerge`, `patches` and `patchesJson6902`.
//!
//! Strategic merge follows kustomize v5.5.0's walker step by step (see
//! `smp.rs`): maps merge, `null` deletes, lists whose schema field has the
//! `merge` patch strategy are rebuilt on their merge keys (the patch's
//! elements first, then the object's), other lists are replaced.
//! `$patch: delete`, `replace` and `merge` work on maps, list elements and
//! whole lists. kustomize v5.5.0 does not act on `$setElementOrder`,
//! `$retainKeys` or `$deleteFromPrimitiveList`: they stay in the output as
//! ordinary fields, and so they do here. Kinds the schema does not know
//! (custom resources) have no merge keys, so their lists are replaced.
//!
//! The merge keys come from a table generated from the Kubernetes OpenAPI
//! definitions kustomize embeds (`merge_keys_table.rs`), or from a custom
//! schema file named by the `openapi:` field (see [`Schema`] and the
//! `openapi_choice` module for which one is in force).

mod json6902;
mod merge_keys;
#[allow(missing_docs)]
mod merge_keys_table;
mod smp;

pub use json6902::apply_json6902;
pub use merge_keys::{CustomSchema, Schema, SchemaRef};
pub use smp::strategic_merge;

use super::error::{Error, Location, Result};
use super::loader::Loader;
use super::parallel;
use super::resource::Resource;
use super::target_selector::Selector;
use compose_yaml::Node;
use std::path::{Path, PathBuf};

/// A parsed patch: strategic-merge documents or JSON 6902 operations.
#[derive(Clone, Debug)]
pub enum Patch {
    /// One or more strategic-merge patch documents.
    Strategic(Vec<Node>),
    /// A JSON 6902 operation list.
    Json(Node),
}

/// Parses patch text as kustomize does: objects are a strategic-merge
/// patch, a list is JSON 6902 operations.
///
/// A place in the text is given relative to the text: its line and
/// column, with an empty path, for the caller to place in a file (see
/// [`place_in_file`]).
pub fn parse_patch(text: &str) -> Result<Patch> {
    let docs = compose_yaml::parse_stream(text).map_err(|e| {
        Error::patch(format!("unable to parse SM or JSON patch: {}", e.message))
            .at(in_text(e.pos.line, e.pos.col))
    })?;
    let docs: Vec<Node> = docs.into_iter().filter(|d| !d.is_null()).collect();
    match docs.as_slice() {
        [Node::Seq(_)] => Ok(Patch::Json(docs[0].clone())),
        [] => Err(Error::patch("patch appears to be empty")),
        _ => {
            for d in &docs {
                let Node::Map(_) = d else {
                    return Err(Error::patch(format!(
                        "unable to parse SM or JSON patch from {text}"
                    )));
                };
                if d.str_at(&["kind"]).unwrap_or("").is_empty() {
                    return Err(Error::patch("missing kind in strategic merge patch"));
                }
                if d.str_at(&["metadata", "name"]).unwrap_or("").is_empty() {
                    return Err(Error::patch(
                        "missing metadata.name in strategic merge patch",
                    ));
                }
            }
            Ok(Patch::Strategic(docs))
        }
    }
}

/// A place inside a patch's own text, before the caller says which file
/// holds the text.
fn in_text(line: usize, column: usize) -> Location {
    Location::at(PathBuf::new(), line, column)
}

/// Whether a place is inside a patch's own text (see [`in_text`]).
pub(crate) fn is_in_text(l: &Location) -> bool {
    l.path.as_os_str().is_empty()
}

/// An error about a patch whose text is the file `file`: places in the
/// text become places in that file, and an error with no place names
/// the file.
pub(crate) fn place_in_file(e: Error, file: &Path) -> Error {
    match e.location() {
        Some(l) if is_in_text(&l) => e.map_location(|l| Location {
            path: file.to_path_buf(),
            ..l
        }),
        Some(_) => e,
        None => e.at_file(file),
    }
}

/// Where operation `index` of a JSON patch's text is.
fn op_place(text: &str, index: usize) -> Location {
    match compose_yaml::parse::locate(text, &format!("/{index}")) {
        Some(p) => in_text(p.line, p.col),
        None => in_text(1, 1),
    }
}

/// Applies a strategic-merge patch document to one object, as kustomize's
/// `ApplySmPatch`, with the merge keys `schema` gives: name, kind and
/// namespace are kept unless the patch may change them. Returns false
/// when the patch deleted the object.
pub(crate) fn apply_smp_to(
    target: &mut Resource,
    patch: &Node,
    schema: &Schema,
    allow_name: bool,
    allow_kind: bool,
) -> Result<bool> {
    let name = target.name().to_string();
    let namespace = target.namespace().to_string();
    let kind = target.kind().to_string();
    if allow_name || allow_kind {
        target.remember_id();
    }
    let mut p = patch.clone();
    if let Some(m) = p.as_map_mut() {
        // The target's apiVersion is taken; the patch's kind is kept.
        match target.node.get("apiVersion") {
            Some(v) => m.insert("apiVersion", v.clone()),
            None => m.remove("apiVersion"),
        };
    }
    // Kept for a message: the object is taken apart by the merge. A short
    // apiVersion (`v1`, `apps/v1`) stays inline, with no allocation.
    let api = compose_yaml::Str::from(target.api_version());
    let schema = schema.for_kind(&api, &kind);
    // The object is merged in place of a copy. A Secret is copied all the
    // same: when the merge fails, its values must still be there to be
    // kept out of the message.
    let dest = if kind == "Secret" {
        target.node.clone()
    } else {
        std::mem::replace(&mut target.node, Node::Null)
    };
    let merged = smp::merge_owned(Some(dest), p, schema).map_err(|e| {
        e.context(format!(
            "applying patch to {}",
            id_text(&api, &name, &namespace, &kind)
        ))
    })?;
    let Some(merged) = merged.filter(|n| !matches!(n, Node::Map(m) if m.is_empty())) else {
        return Ok(false);
    };
    target.node = merged;
    if !allow_kind {
        target.map_mut().insert("kind", Node::str(kind));
    }
    if !allow_name {
        target.metadata_mut().insert("name", Node::str(name));
    }
    if namespace.is_empty() {
        target.metadata_mut().remove("namespace");
    } else {
        target
            .metadata_mut()
            .insert("namespace", Node::str(namespace));
    }
    Ok(true)
}

/// The id of an object as kustomize writes it in messages.
fn id_text(api_version: &str, name: &str, namespace: &str, kind: &str) -> String {
    super::resource::ResId {
        gvk: super::resource::Gvk::from_api_version(api_version, kind),
        name: name.into(),
        namespace: namespace.into(),
    }
    .to_string()
}

/// The id a strategic-merge patch document names for itself.
fn own_id(patch: &Node) -> super::resource::ResId {
    let api = patch.str_at(&["apiVersion"]).unwrap_or("");
    let kind = patch.str_at(&["kind"]).unwrap_or("");
    let name = patch.str_at(&["metadata", "name"]).unwrap_or("");
    let ns = patch.str_at(&["metadata", "namespace"]).unwrap_or("");
    super::resource::ResId {
        gvk: super::resource::Gvk::from_api_version(api, kind),
        name: name.into(),
        namespace: ns.into(),
    }
}

/// Finds the single object whose current or earlier id is the patch's own.
fn target_by_own_id(resources: &[Resource], patch: &Node) -> Result<usize> {
    let want = own_id(patch);
    let eff = |id: &super::resource::ResId| {
        let mut id = id.clone();
        if !super::config::is_namespaced(&id.gvk) {
            id.namespace = "_non_namespaceable_".into();
        } else if id.namespace.is_empty() {
            id.namespace = "default".into();
        }
        id
    };
    let want_eff = eff(&want);
    let hits: Vec<usize> = resources
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.meta
                .previous_ids
                .iter()
                .chain(std::iter::once(&r.id()))
                .any(|id| eff(id) == want_eff)
        })
        .map(|(i, _)| i)
        .collect();
    match hits.as_slice() {
        [i] => Ok(*i),
        [] => Err(Error::patch(format!(
            "no matches for Id {want}; failed to find unique target for patch {want}"
        ))),
        _ => Err(Error::patch(format!(
            "multiple matches for Id {want}; failed to find unique target for patch {want}"
        ))),
    }
}

/// Applies strategic-merge documents that select their own targets.
///
/// `patches`: the documents are an entry of `patches:`, not of
/// `patchesStrategicMerge:`. kustomize's `patches:` transformer says which
/// patch found no single target, and crashes (v5.5.0) when a document of
/// a multi-document patch deletes an object and a later document of the
/// same patch is applied; that is refused here as an error instead.
fn apply_by_own_id(
    resources: &mut Vec<Resource>,
    docs: &[Node],
    schema: &Schema,
    allow_name: bool,
    allow_kind: bool,
    patches: bool,
) -> Result<()> {
    let mut deleted = false;
    for doc in docs {
        if deleted && patches {
            return Err(Error::patch(
                "a multi-document patch deletes an object and then patches again; kustomize v5.5.0 crashes on this, so it is refused",
            ));
        }
        let i = target_by_own_id(resources, doc).map_err(|e| {
            if !patches {
                return e;
            }
            e.context(format!(
                "no resource matches strategic merge patch \"{}\"",
                own_id(doc)
            ))
        })?;
        if !apply_smp_to(&mut resources[i], doc, schema, allow_name, allow_kind)? {
            resources.remove(i);
            deleted = true;
        }
    }
    Ok(())
}

/// Says where an entry of a patch list is, for a message: given the
/// entry's index and, for an inline patch, a place inside its text (see
/// [`parse_patch`]), the place in the file that holds the entry.
pub(crate) type Placer<'a> = &'a dyn Fn(usize, Option<&Location>) -> Location;

/// An error about entry `index`. A patch read from `file` has its places
/// in that file, and names the file when it has no place; an inline
/// patch's places, and an error with no place, are placed by `place`.
fn placed(e: Error, index: usize, file: Option<&Path>, place: Placer<'_>) -> Error {
    if let Some(f) = file {
        return place_in_file(e, f);
    }
    match e.location() {
        Some(l) if is_in_text(&l) => {
            let there = place(index, Some(&l));
            e.map_location(|_| there)
        }
        Some(_) => e,
        None => e.at(place(index, None)),
    }
}

/// `patchesStrategicMerge:` entries: inline patches or file paths.
pub(crate) fn patches_strategic_merge(
    resources: &mut Vec<Resource>,
    entries: &[String],
    loader: &Loader<'_>,
    place: Placer<'_>,
    after: &dyn Fn(usize, &[Resource]),
) -> Result<()> {
    // Every patch is read before any is applied, as kustomize loads them.
    let mut all = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let inline = compose_yaml::parse_stream(entry)
            .ok()
            .filter(|docs| docs.iter().any(|d| matches!(d, Node::Map(_))));
        let (text, file) = match inline {
            Some(_) => (entry.clone(), None),
            None => (
                loader
                    .read_text(entry)
                    .map_err(|e| placed(e, i, None, place))?,
                Some(loader.resolve(entry)),
            ),
        };
        let docs = match parse_patch(&text) {
            Ok(Patch::Strategic(docs)) => docs,
            Ok(Patch::Json(_)) => {
                return Err(placed(
                    Error::patch(format!(
                        "'{entry}' is a JSON patch, not a strategic merge patch"
                    )),
                    i,
                    None,
                    place,
                ))
            }
            Err(e) => return Err(placed(e, i, file.as_deref(), place)),
        };
        all.push((i, file, docs));
    }
    let schema = loader.openapi().schema();
    for (i, file, docs) in all {
        apply_by_own_id(resources, &docs, &schema, false, false, false)
            .map_err(|e| placed(e, i, file.as_deref(), place))?;
        after(i, resources);
    }
    Ok(())
}

/// One entry of `patches:`.
pub(crate) fn patches_entry(
    resources: &mut Vec<Resource>,
    entry: &Node,
    loader: &Loader<'_>,
    place: Placer<'_>,
) -> Result<()> {
    let mut file = None;
    patch_entry(resources, entry, loader, &mut file)
        .map_err(|e| placed(e, 0, file.as_deref(), place))
}

fn patch_entry(
    resources: &mut Vec<Resource>,
    entry: &Node,
    loader: &Loader<'_>,
    file: &mut Option<PathBuf>,
) -> Result<()> {
    let Node::Map(m) = entry else {
        return Err(Error::patch("a patches entry must be a mapping"));
    };
    let mut path = String::new();
    let mut inline = String::new();
    let mut target = None;
    let (mut allow_name, mut allow_kind) = (false, false);
    for (k, v) in m.iter() {
        match k.as_str() {
            "path" => path = v.scalar_text().unwrap_or_default(),
            "patch" => inline = v.scalar_text().unwrap_or_default(),
            "target" => target = Some(Selector::from_node(v)?),
            "options" => {
                if let Node::Map(o) = v {
                    for (ok, ov) in o.iter() {
                        let on = matches!(ov, Node::Bool(true));
                        match ok.as_str() {
                            "allowNameChange" => allow_name = on,
                            "allowKindChange" => allow_kind = on,
                            _ => {}
                        }
                    }
                }
            }
            other => {
                return Err(Error::patch(format!(
                    "json: unknown field \"{other}\" in patches entry"
                )))
            }
        }
    }
    // An inline patch is trimmed; places in it count from its first line
    // with something on it.
    let inline = inline.trim().to_string();
    let text = match (path.is_empty(), inline.is_empty()) {
        (true, true) => return Err(Error::patch("must specify one of patch and path")),
        (false, false) => return Err(Error::patch("patch and path can't be set at the same time")),
        (false, true) => {
            let text = loader.read_text(&path).map_err(|e| {
                e.context(format!("failed to get the patch file from path({path})"))
            })?;
            *file = Some(loader.resolve(&path));
            text
        }
        (true, false) => inline,
    };
    match (parse_patch(&text)?, target) {
        (Patch::Strategic(docs), None) => apply_by_own_id(
            resources,
            &docs,
            &loader.openapi().schema(),
            allow_name,
            allow_kind,
            true,
        ),
        (Patch::Strategic(docs), Some(sel)) => {
            let schema = loader.openapi().schema();
            let schema: &Schema = &schema;
            for doc in &docs {
                // Each object is patched on its own, so many objects are
                // split over the cores. A patch that empties an object
                // deletes it; the chunks only mark which, in order.
                // Every object stays in the list when a patch fails, so
                // the caller can still see them (to keep Secret values
                // out of the message).
                let chunks = parallel::chunks_mut(
                    resources,
                    loader.threads(),
                    parallel::MIN_OBJECTS_PER_SPLIT,
                    |_, chunk| {
                        let mut keep = Vec::with_capacity(chunk.len());
                        for r in chunk.iter_mut() {
                            if sel.matches(r) {
                                match apply_smp_to(r, doc, schema, allow_name, allow_kind) {
                                    Ok(kept) => keep.push(kept),
                                    Err(e) => return (keep, Some(e)),
                                }
                            } else {
                                keep.push(true);
                            }
                        }
                        (keep, None)
                    },
                );
                let mut keep = Vec::with_capacity(resources.len());
                let mut failure = None;
                for (flags, error) in chunks {
                    keep.extend(flags);
                    if failure.is_none() {
                        failure = error;
                    }
                    if failure.is_some() {
                        break;
                    }
                }
                // Objects after a failure were not all looked at: they stay.
                keep.resize(resources.len(), true);
                let mut flags = keep.into_iter();
                resources.retain(|_| flags.next().unwrap_or(true));
                if let Some(e) = failure {
                    return Err(e);
                }
            }
            Ok(())
        }
        (Patch::Json(_), None) => Err(Error::patch(format!(
            "must specify a target for JSON patch {text}"
        ))),
        (Patch::Json(ops), Some(sel)) => {
            json_patch_all(resources, &sel, &ops, &text, true, loader.threads())
        }
    }
}

/// One entry of `patchesJson6902:`.
pub(crate) fn patches_json6902_entry(
    resources: &mut [Resource],
    entry: &Node,
    loader: &Loader<'_>,
    place: Placer<'_>,
) -> Result<()> {
    let mut file = None;
    json6902_entry(resources, entry, loader, &mut file)
        .map_err(|e| placed(e, 0, file.as_deref(), place))
}

fn json6902_entry(
    resources: &mut [Resource],
    entry: &Node,
    loader: &Loader<'_>,
    file: &mut Option<PathBuf>,
) -> Result<()> {
    let Node::Map(m) = entry else {
        return Err(Error::patch("a patchesJson6902 entry must be a mapping"));
    };
    let Some(target) = m.get("target").filter(|t| !t.is_null()) else {
        return Err(Error::patch("must specify a target for patch"));
    };
    let sel = Selector::from_node(target)?;
    let text = match (
        m.get("path").and_then(Node::scalar_text),
        m.get("patch").and_then(Node::scalar_text),
    ) {
        (Some(p), None) if !p.is_empty() => {
            let text = loader.read_text(&p)?;
            *file = Some(loader.resolve(&p));
            text
        }
        (None, Some(t)) if !t.trim().is_empty() => t,
        (Some(_), Some(_)) => {
            return Err(Error::patch("patch and path can't be set at the same time"))
        }
        _ => return Err(Error::patch("must specify one of patch and path")),
    };
    let Patch::Json(ops) = parse_patch(&text)? else {
        return Err(Error::patch(
            "patchesJson6902 expects a list of JSON patch operations",
        ));
    };
    json_patch_all(resources, &sel, &ops, &text, false, loader.threads())
}

/// Applies JSON 6902 operations to every object `sel` matches, on all
/// cores when there are many (each object is patched on its own).
/// `remember` records each patched object's identity first, for name
/// references to follow a renamed object.
/// A failing operation points at its place in `text`.
fn json_patch_all(
    resources: &mut [Resource],
    sel: &Selector,
    ops: &Node,
    text: &str,
    remember: bool,
    threads: usize,
) -> Result<()> {
    parallel::try_chunks_mut(
        resources,
        threads,
        parallel::MIN_OBJECTS_PER_SPLIT,
        |_, chunk| {
            for r in chunk.iter_mut().filter(|r| sel.matches(r)) {
                if remember {
                    r.remember_id();
                }
                let had_name = !r.name().is_empty();
                if let Err((op, e)) = json6902::apply_json6902_indexed(&mut r.node, ops) {
                    let e = e.context(format!("applying patch to {}", r.id()));
                    return Err(match op {
                        Some(i) => e.at(op_place(text, i)),
                        None => e,
                    });
                }
                // kustomize reads the patched object back and refuses one
                // that lost its kind or name.
                let lost = if r.kind().is_empty() {
                    "missing kind in object"
                } else if had_name && r.name().is_empty() {
                    "missing metadata.name in object"
                } else {
                    continue;
                };
                return Err(
                    Error::resource(lost).context(format!("applying patch to {}", r.original_id()))
                );
            }
            Ok(())
        },
    )
}
