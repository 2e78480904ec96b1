//! Where the builtin transformers meet the build: their order, the
//! transformer configuration a kustomization tree accumulates, and the
//! steps that run once at the top of a build.
//!
//! kustomize runs a kustomization's builtin transformers in a fixed order
//! (see [`run`]), then the configurations listed under `transformers:`.

use super::build::Accumulator;
use super::error::{Error, Result};
use super::generate::content_hash;
use super::kustomization::Kustomization;
use super::loader::Loader;
use super::resource::{ResId, Resource};
use super::yaml::{Mapping, Node};

/// The transformer configuration of an accumulation.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// `configurations:` documents, merged in order.
    pub documents: Vec<Node>,
}

impl Config {
    /// An id with kustomize's effective namespace, for equality checks:
    /// no namespace and `default` are the same.
    pub fn effective_id(&self, id: &ResId) -> ResId {
        let mut id = id.clone();
        if id.namespace.is_empty() {
            id.namespace = "default".into();
        }
        id
    }

    /// Merges a base's configuration into this one.
    pub fn merge(&mut self, other: Config) -> Result<()> {
        self.documents.extend(other.documents);
        Ok(())
    }

    /// Reads `configurations:` files.
    pub fn add_configurations(&mut self, loader: &Loader<'_>, paths: &[String]) -> Result<()> {
        if !paths.is_empty() {
            return Err(Error::Unsupported { feature: "configurations".into(), path: Some(loader.root().to_path_buf()) });
        }
        Ok(())
    }

    /// Reads `crds:` files.
    pub fn add_crds(&mut self, loader: &Loader<'_>, paths: &[String]) -> Result<()> {
        if !paths.is_empty() {
            return Err(Error::Unsupported { feature: "crds".into(), path: Some(loader.root().to_path_buf()) });
        }
        Ok(())
    }
}

/// The kustomization fields that configure builtin transformers, in the
/// order kustomize runs them.
const TRANSFORMER_FIELDS: &[&str] = &[
    "patchesStrategicMerge",
    "patches",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "labels",
    "commonLabels",
    "commonAnnotations",
    "patchesJson6902",
    "replicas",
    "images",
    "replacements",
    "transformers",
    "openapi",
];

/// Runs a kustomization's transformers over everything accumulated.
pub fn run(loader: &Loader<'_>, kust: &Kustomization, acc: &mut Accumulator) -> Result<()> {
    for f in TRANSFORMER_FIELDS {
        let used = match kust.get(f) {
            None => false,
            Some(Node::Str(s)) => !s.is_empty(),
            Some(Node::Seq(s)) => !s.is_empty(),
            Some(Node::Map(m)) => !m.is_empty(),
            Some(_) => true,
        };
        if used {
            return Err(Error::Unsupported { feature: f.to_string(), path: Some(loader.root().join(&kust.file_name)) });
        }
    }
    acc.reindex();
    Ok(())
}

/// The steps kustomize runs once, at the top of a build: hash suffixes,
/// then name references, then vars.
pub fn finish(acc: &mut Accumulator, _kust: &Kustomization) -> Result<()> {
    for r in acc.resources.iter_mut() {
        if r.meta.needs_hash {
            let h = content_hash(r);
            let name = format!("{}-{h}", r.name());
            r.set_name(&name);
        }
    }
    if !acc.vars.is_empty() {
        return Err(Error::Unsupported { feature: "vars".into(), path: None });
    }
    Ok(())
}

/// Records, on every object present, that a transformer ran (for
/// `buildMetadata: [transformerAnnotations]`). `configured_in` is the file
/// that configured it, relative to the top of the build; `name` and
/// `namespace` come from a transformer config's metadata.
pub fn note_transformation(resources: &mut [Resource], configured_in: &str, kind: &str, name: Option<&str>, namespace: Option<&str>) {
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
pub const MANAGED_BY_VALUE: &str = "kustomize-(devel)";

/// Last touches on the output: build metadata.
pub fn finish_metadata(resources: &mut [Resource], kust: &Kustomization) -> Result<()> {
    for option in kust.str_list("buildMetadata") {
        match option.as_str() {
            "originAnnotations" => {
                for r in resources.iter_mut() {
                    if let Some(o) = r.meta.origin.clone() {
                        let meta = r.metadata_mut();
                        let ann = meta.entry_or_insert_with("annotations", Node::map);
                        if let Some(m) = ann.as_map_mut() {
                            m.insert("config.kubernetes.io/origin", Node::Str(o));
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
                        m.insert("alpha.config.kubernetes.io/transformations", Node::Str(text));
                    }
                }
            }
            other => return Err(Error::invalid(format!("unknown buildMetadata option `{other}`"))),
        }
    }
    Ok(())
}

/// Folds a generated object with `behavior: merge|replace` into the
/// existing one (for `replace` the new origin is kept, for `merge` the old): the existing name, namespace and build facts stay; labels
/// and annotations merge (the new ones win); with `merge_data`, data
/// merges too, otherwise the new data replaces the old.
pub fn merge_generated(old: &Resource, mut new: Resource, merge_data: bool) -> Resource {
    for field in ["labels", "annotations"] {
        let mut merged: Mapping = old.node.get_path(&["metadata", field]).and_then(Node::as_map).cloned().unwrap_or_default();
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
            let Some(Node::Map(old_data)) = old.node.get(field) else { continue };
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
