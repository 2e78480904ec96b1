//! Selecting objects for replacements and vars by identity.
//!
//! These selectors compare identities exactly (no regular expressions,
//! unlike patch targets) and match an object when its current identity or
//! any identity it had earlier is selected, as kustomize does. An empty
//! part selects anything. A namespace compares by effective namespace:
//! empty means `default`, and cluster-scoped kinds have none.

use super::label_selector::LabelSelector;
use crate::config::{effective_namespace, gvk_fields, string_field, type_error};
use crate::error::Result;
use crate::resource::{Gvk, ResId, Resource};
use compose_yaml::Node;

/// An identity selector with optional label and annotation selectors.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct IdSelector {
    /// Group, version, kind; empty parts select anything.
    pub(crate) gvk: Gvk,
    /// Exact name, or empty.
    pub(crate) name: String,
    /// Namespace, or empty.
    pub(crate) namespace: String,
    /// Kubernetes label selector text, or empty.
    pub(crate) label_selector: String,
    /// Annotation selector text (label-selector syntax), or empty.
    pub(crate) annotation_selector: String,
}

impl IdSelector {
    /// Reads `{group, version, kind, name, namespace, labelSelector,
    /// annotationSelector}` (keys match case-insensitively, unknown keys
    /// are ignored, as kustomize's decoder does).
    pub(crate) fn from_node(node: &Node, what: &str) -> Result<IdSelector> {
        let m = match node {
            Node::Map(m) => m,
            Node::Null => return Ok(IdSelector::default()),
            other => return Err(type_error(what, "object", other)),
        };
        Ok(IdSelector {
            gvk: gvk_fields(m)?,
            name: string_field(m, "name")?.unwrap_or_default(),
            namespace: string_field(m, "namespace")?.unwrap_or_default(),
            label_selector: string_field(m, "labelSelector")?.unwrap_or_default(),
            annotation_selector: string_field(m, "annotationSelector")?.unwrap_or_default(),
        })
    }

    /// The identity part is empty (selects everything).
    pub(crate) fn id_is_empty(&self) -> bool {
        self.gvk == Gvk::default() && self.name.is_empty() && self.namespace.is_empty()
    }

    /// Whether this selector's identity part selects `id`.
    pub(crate) fn selects_id(&self, id: &ResId) -> bool {
        (self.name.is_empty() || self.name == id.name)
            && (self.namespace.is_empty()
                || effective_namespace(&self.gvk, &self.namespace)
                    == effective_namespace(&id.gvk, &id.namespace))
            && self.gvk.selects(&id.gvk)
    }

    /// Whether the label and annotation selectors match the object.
    pub(crate) fn matches_meta(&self, r: &Resource) -> Result<bool> {
        if !self.annotation_selector.is_empty() {
            let sel = LabelSelector::parse(&self.annotation_selector)?;
            if !sel.matches(&r.annotations()) {
                return Ok(false);
            }
        }
        if !self.label_selector.is_empty() {
            let sel = LabelSelector::parse(&self.label_selector)?;
            if !sel.matches(&r.labels()) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// kustomize's text for the selector's identity:
    /// `Kind.version.group/name.namespace` with placeholders for empty parts.
    pub(crate) fn id_string(&self) -> String {
        let or = |s: &str, d: &str| {
            if s.is_empty() {
                d.to_string()
            } else {
                s.to_string()
            }
        };
        format!(
            "{}.{}.{}/{}.{}",
            or(&self.gvk.kind, "[noKind]"),
            or(&self.gvk.version, "[noVer]"),
            or(&self.gvk.group, "[noGrp]"),
            or(&self.name, "[noName]"),
            or(&self.namespace, "[noNs]")
        )
    }
}

/// The object's current identity followed by its earlier ones (kustomize
/// gives earlier identities the current group and version).
pub(crate) fn all_ids(r: &Resource) -> Vec<ResId> {
    let current = r.id();
    let mut ids = vec![current.clone()];
    for prev in &r.meta.previous_ids {
        ids.push(ResId {
            gvk: Gvk {
                group: current.gvk.group.clone(),
                version: current.gvk.version.clone(),
                kind: prev.gvk.kind.clone(),
            },
            name: prev.name.clone(),
            namespace: prev.namespace.clone(),
        });
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_one;

    #[test]
    fn selects_by_parts() {
        let s = IdSelector::from_node(
            &parse_one("kind: Deployment\nname: web\n").unwrap(),
            "select",
        )
        .unwrap();
        let id = |k: &str, n: &str, ns: &str| ResId {
            gvk: Gvk {
                group: "apps".into(),
                version: "v1".into(),
                kind: k.into(),
            },
            name: n.into(),
            namespace: ns.into(),
        };
        assert!(s.selects_id(&id("Deployment", "web", "x")));
        assert!(!s.selects_id(&id("Deployment", "web2", "x")));
        assert!(!s.selects_id(&id("StatefulSet", "web", "x")));
        // a `default` namespace selects objects without one
        let s =
            IdSelector::from_node(&parse_one("namespace: default\n").unwrap(), "select").unwrap();
        assert!(s.selects_id(&id("Deployment", "web", "")));
        assert!(!s.selects_id(&id("Deployment", "web", "other")));
        assert_eq!(s.id_string(), "[noKind].[noVer].[noGrp]/[noName].default");
    }
}
