//! A resource: one Kubernetes object plus the build facts kustomize keeps
//! beside it while it builds (names it had before, prefixes and suffixes it
//! received, whether it wants a content hash).
//!
//! kustomize stores those facts as internal annotations and strips them
//! before output; here they are typed fields, so nothing can leak into the
//! printed manifests.

use compose_yaml::{Mapping, Node, Str};
use std::fmt;

/// Group, version and kind of an object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Gvk {
    /// API group; empty for the core group.
    pub group: Str,
    /// API version, such as `v1`.
    pub version: Str,
    /// Kind, such as `Deployment`.
    pub kind: Str,
}

impl Gvk {
    /// Splits an `apiVersion` (`apps/v1` or `v1`) and pairs it with `kind`.
    pub fn from_api_version(api_version: &str, kind: &str) -> Gvk {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (Str::from(g), Str::from(v)),
            // The apiVersion of kustomize's old builtin plugin configs.
            None if api_version == "builtin" => (Str::from(api_version), Str::default()),
            None => (Str::default(), Str::from(api_version)),
        };
        Gvk {
            group,
            version,
            kind: Str::from(kind),
        }
    }

    /// The `apiVersion` field value.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether `self`, used as a selector, matches `other`: every non-empty
    /// field of the selector must be equal.
    pub(crate) fn selects(&self, other: &Gvk) -> bool {
        (self.group.is_empty() || self.group == other.group)
            && (self.version.is_empty() || self.version == other.version)
            && (self.kind.is_empty() || self.kind == other.kind)
    }
}

impl fmt::Display for Gvk {
    /// kustomize's form: `Kind.version.group`, with `[noKind]`, `[noVer]`
    /// and `[noGrp]` for empty parts. Sorting depends on this text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn or<'s>(s: &'s str, default: &'static str) -> &'s str {
            if s.is_empty() {
                default
            } else {
                s
            }
        }
        write!(
            f,
            "{}.{}.{}",
            or(&self.kind, "[noKind]"),
            or(&self.version, "[noVer]"),
            or(&self.group, "[noGrp]")
        )
    }
}

/// Identity of an object: its kind and name within a namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResId {
    /// Group, version, kind.
    pub gvk: Gvk,
    /// `metadata.name`.
    pub name: Str,
    /// `metadata.namespace`; empty when unset.
    pub namespace: Str,
}

impl fmt::Display for ResId {
    /// kustomize's form: `Kind.version.group/name.namespace`, with
    /// `[noName]` and `[noNs]` for empty parts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = if self.namespace.is_empty() {
            "[noNs]"
        } else {
            &self.namespace
        };
        let name = if self.name.is_empty() {
            "[noName]"
        } else {
            &self.name
        };
        write!(f, "{}/{}.{}", self.gvk, name, ns)
    }
}

/// Build facts carried beside a resource, never printed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BuildMeta {
    /// Earlier identities, oldest first, recorded whenever the name,
    /// namespace or kind changes. Name references match on these.
    pub(crate) previous_ids: Vec<ResId>,
    /// Prefixes added by `namePrefix`, innermost first.
    pub(crate) prefixes: Vec<String>,
    /// Suffixes added by `nameSuffix`, innermost first.
    pub(crate) suffixes: Vec<String>,
    /// The object wants a content-hash suffix (generated ConfigMaps and
    /// Secrets, or the `kustomize.config.k8s.io/needs-hash` annotation).
    pub needs_hash: bool,
    /// `behavior` of the generator that made it (`create`, `merge`, `replace`).
    pub(crate) behavior: Option<String>,
    /// Path of the file it came from, relative to the build root, for
    /// `buildMetadata: [originAnnotations]`.
    pub origin: Option<String>,
    /// Whether the object was generated (by a generator) rather than loaded.
    pub generated: bool,
    /// Entries of the `alpha.config.kubernetes.io/transformations`
    /// annotation (`buildMetadata: [transformerAnnotations]`), one YAML
    /// list item each, in the order the transformers ran.
    pub(crate) transformations: Vec<String>,
}

/// One object and its build facts.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// The object itself; always a mapping.
    pub node: Node,
    /// Facts about how it was built.
    pub meta: BuildMeta,
}

/// The objects of a YAML stream, for tests.
#[cfg(test)]
pub(crate) fn resources_of(text: &str) -> Vec<Resource> {
    compose_yaml::parse_stream(text)
        .unwrap()
        .into_iter()
        .map(Resource::new)
        .collect()
}

impl Resource {
    /// Wraps a mapping node.
    pub fn new(node: Node) -> Resource {
        Resource {
            node,
            meta: BuildMeta::default(),
        }
    }

    /// The top-level mapping, mutably. Turns a non-mapping into an empty one.
    pub(crate) fn map_mut(&mut self) -> &mut Mapping {
        if !matches!(self.node, Node::Map(_)) {
            self.node = Node::map();
        }
        match &mut self.node {
            Node::Map(m) => m,
            _ => unreachable!("just made a mapping"),
        }
    }

    /// `apiVersion`, or empty.
    pub(crate) fn api_version(&self) -> &str {
        self.node.str_at(&["apiVersion"]).unwrap_or("")
    }

    /// `kind`, or empty.
    pub fn kind(&self) -> &str {
        self.node.str_at(&["kind"]).unwrap_or("")
    }

    /// Group, version and kind.
    pub fn gvk(&self) -> Gvk {
        Gvk::from_api_version(self.api_version(), self.kind())
    }

    /// `metadata.name`, or empty.
    pub fn name(&self) -> &str {
        self.node.str_at(&["metadata", "name"]).unwrap_or("")
    }

    /// `metadata.namespace`, or empty.
    pub fn namespace(&self) -> &str {
        self.node.str_at(&["metadata", "namespace"]).unwrap_or("")
    }

    /// The current identity.
    pub fn id(&self) -> ResId {
        ResId {
            gvk: self.gvk(),
            name: self.name().into(),
            namespace: self.namespace().into(),
        }
    }

    /// The identity the object had when it was first loaded or generated.
    pub fn original_id(&self) -> ResId {
        self.meta
            .previous_ids
            .first()
            .cloned()
            .unwrap_or_else(|| self.id())
    }

    /// The `metadata` mapping, created when missing.
    pub fn metadata_mut(&mut self) -> &mut Mapping {
        let meta = self.map_mut().entry_or_insert_with("metadata", Node::map);
        if !matches!(meta, Node::Map(_)) {
            *meta = Node::map();
        }
        match meta {
            Node::Map(m) => m,
            _ => unreachable!("just made a mapping"),
        }
    }

    /// Records the current identity in the history, then renames.
    pub(crate) fn set_name(&mut self, name: &str) {
        if self.name() == name {
            return;
        }
        self.remember_id();
        self.metadata_mut().insert("name", Node::str(name));
    }

    /// Appends the current identity to the history unless it is already
    /// the newest entry.
    pub(crate) fn remember_id(&mut self) {
        let id = self.id();
        if self.meta.previous_ids.last() != Some(&id) {
            // Objects are renamed once or twice, and a vector's default
            // growth (to four ids) cost more than the objects' own names
            // on large trees.
            self.meta.previous_ids.reserve_exact(1);
            self.meta.previous_ids.push(id);
        }
    }

    /// `metadata.labels` as pairs of strings (non-string values skipped).
    pub(crate) fn labels(&self) -> Vec<(String, String)> {
        string_pairs(self.node.get_path(&["metadata", "labels"]))
    }

    /// `metadata.annotations` as pairs of strings (non-string values skipped).
    pub(crate) fn annotations(&self) -> Vec<(String, String)> {
        string_pairs(self.node.get_path(&["metadata", "annotations"]))
    }

    /// One annotation's value.
    pub(crate) fn annotation(&self, key: &str) -> Option<&str> {
        self.node.str_at(&["metadata", "annotations", key])
    }
}

fn string_pairs(node: Option<&Node>) -> Vec<(String, String)> {
    match node {
        Some(Node::Map(m)) => m
            .iter()
            .filter_map(|(k, v)| v.scalar_text().map(|s| (k.to_string(), s)))
            .collect(),
        _ => Vec::new(),
    }
}
