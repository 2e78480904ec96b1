//! The OpenAPI facts a strategic merge needs: which definition describes
//! a kind, and for each field its patch strategy, its merge keys and the
//! schema of its value (or, for a list, of its elements).
//!
//! A [`Schema`] is one of three things, as kustomize's schema index can
//! be: the Kubernetes definitions it embeds (the generated table in
//! `merge_keys_table.rs`), the definitions of a custom schema file named by
//! a kustomization's `openapi:` field, or a custom file read on top of the
//! embedded definitions. In the last case kustomize has indexed both: a
//! custom definition replaces the embedded one of the same name wherever
//! a `$ref` names it, a custom kind replaces the embedded one, and
//! everything else of the embedded schema stays visible.

use super::merge_keys_table::{DEFINITIONS, FIELDS, RESOURCES};
use crate::error::{Error, Result};
use compose_yaml::{Mapping, Node};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The schema strategic merges consult.
#[derive(Debug)]
pub enum Schema {
    /// The Kubernetes definitions kustomize embeds.
    Builtin,
    /// Only the definitions of a custom schema file.
    Custom(CustomSchema),
    /// A custom schema file read after the embedded definitions.
    Layered(CustomSchema),
}

/// A position in a schema: a definition or nested schema object, or
/// nothing (the schema does not describe the value).
#[derive(Clone, Copy, Debug)]
pub struct SchemaRef<'s> {
    schema: &'s Schema,
    at: At,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum At {
    Unknown,
    Builtin(u16),
    Custom(u32),
}

/// What the schema says about one field.
#[derive(Clone, Debug)]
pub(crate) struct FieldInfo<'s> {
    /// The field's value (or, for a list, its elements).
    pub(crate) child: SchemaRef<'s>,
    /// `x-kubernetes-patch-strategy`, e.g. `merge` or `merge,retainKeys`.
    pub(crate) strategy: &'s str,
    /// Merge keys (`x-kubernetes-list-map-keys`, else the patch merge
    /// key); none without a patch strategy.
    pub(crate) keys: Cow<'s, [&'s str]>,
}

impl<'s> FieldInfo<'s> {
    fn unknown(schema: &'s Schema) -> FieldInfo<'s> {
        FieldInfo {
            child: SchemaRef {
                schema,
                at: At::Unknown,
            },
            strategy: "",
            keys: Cow::Borrowed(&[]),
        }
    }
}

type BuiltinIndex = (
    HashMap<(u16, &'static str), (i32, &'static str, &'static [&'static str])>,
    HashMap<(&'static str, &'static str), u16>,
);

fn builtin_index() -> &'static BuiltinIndex {
    static INDEX: OnceLock<BuiltinIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let fields = FIELDS
            .iter()
            .map(|&(def, field, child, strategy, keys)| ((def, field), (child, strategy, keys)))
            .collect();
        let kinds = RESOURCES.iter().map(|&(av, k, d)| ((av, k), d)).collect();
        (fields, kinds)
    })
}

/// The embedded definition of that name, if the table keeps it.
fn builtin_definition(name: &str) -> Option<u16> {
    DEFINITIONS
        .binary_search(&name)
        .ok()
        .and_then(|i| u16::try_from(i).ok())
}

impl Schema {
    /// The embedded schema, which holds when no `openapi:` field says
    /// otherwise.
    pub fn builtin() -> &'static Schema {
        static BUILTIN: Schema = Schema::Builtin;
        &BUILTIN
    }

    /// The schema of a kind, or an unknown position if the schema does
    /// not describe it.
    pub fn for_kind(&self, api_version: &str, kind: &str) -> SchemaRef<'_> {
        let custom = match self {
            Schema::Builtin => None,
            Schema::Custom(c) | Schema::Layered(c) => c
                .kinds
                .get(&(api_version.to_string(), kind.to_string()))
                .copied(),
        };
        let at = match (custom, self) {
            (Some(node), _) => At::Custom(node),
            (None, Schema::Builtin | Schema::Layered(_)) => builtin_index()
                .1
                .get(&(api_version, kind))
                .map_or(At::Unknown, |&d| At::Builtin(d)),
            (None, Schema::Custom(_)) => At::Unknown,
        };
        SchemaRef { schema: self, at }
    }

    fn custom(&self) -> Option<&CustomSchema> {
        match self {
            Schema::Builtin => None,
            Schema::Custom(c) | Schema::Layered(c) => Some(c),
        }
    }

    /// Follows a custom node's `$ref`s to the schema they name. A name
    /// the custom file lacks is looked up in the embedded definitions
    /// when those are indexed too.
    fn resolve_custom(&self, mut node: u32) -> At {
        let Some(c) = self.custom() else {
            return At::Unknown;
        };
        // kustomize follows references without a bound; a cycle of
        // references describes nothing, so give up after a while.
        for _ in 0..64 {
            let Some(n) = c.nodes.get(node as usize) else {
                return At::Unknown;
            };
            match &n.reference {
                None => return At::Custom(node),
                Some(Reference::Unresolvable) => return At::Unknown,
                Some(Reference::Pointer(tokens)) => match c.follow(tokens) {
                    Some(next) => node = next,
                    None => {
                        let builtin = match (self, tokens.as_slice()) {
                            (Schema::Layered(_), [defs, name]) if defs == "definitions" => {
                                builtin_definition(name)
                            }
                            _ => None,
                        };
                        return builtin.map_or(At::Unknown, At::Builtin);
                    }
                },
            }
        }
        At::Unknown
    }

    /// An embedded definition reached through the embedded table: when a
    /// custom file was read on top, its definition of the same name is
    /// the one a reference finds.
    fn builtin_child(&self, def: u16) -> At {
        if let Schema::Layered(c) = self {
            let name = DEFINITIONS.get(def as usize).copied().unwrap_or("");
            if let Some(&node) = c.definitions.get(name) {
                return self.resolve_custom(node);
            }
        }
        At::Builtin(def)
    }
}

impl<'s> SchemaRef<'s> {
    /// A position about which nothing is known.
    pub fn unknown() -> SchemaRef<'static> {
        SchemaRef {
            schema: Schema::builtin(),
            at: At::Unknown,
        }
    }

    /// Facts about a field of this schema object.
    pub(crate) fn field(self, name: &str) -> FieldInfo<'s> {
        let schema = self.schema;
        match self.at {
            At::Unknown => FieldInfo::unknown(schema),
            At::Builtin(def) => match builtin_index().0.get(&(def, name)) {
                None => FieldInfo::unknown(schema),
                Some(&(child, strategy, keys)) => {
                    let child =
                        u16::try_from(child).map_or(At::Unknown, |c| schema.builtin_child(c));
                    FieldInfo {
                        child: SchemaRef { schema, at: child },
                        strategy,
                        keys: Cow::Borrowed(keys),
                    }
                }
            },
            At::Custom(node) => {
                let Some(c) = schema.custom() else {
                    return FieldInfo::unknown(schema);
                };
                let Some(n) = c.nodes.get(node as usize) else {
                    return FieldInfo::unknown(schema);
                };
                let Some(&prop) = n.properties.get(name).or(n.additional.as_ref()) else {
                    return FieldInfo::unknown(schema);
                };
                match schema.resolve_custom(prop) {
                    At::Custom(value) => {
                        let Some(v) = c.nodes.get(value as usize) else {
                            return FieldInfo::unknown(schema);
                        };
                        let child = match (v.array, v.items) {
                            (true, Some(items)) => schema.resolve_custom(items),
                            (true, None) => At::Unknown,
                            (false, _) => At::Custom(value),
                        };
                        FieldInfo {
                            child: SchemaRef { schema, at: child },
                            strategy: v.strategy.as_deref().unwrap_or(""),
                            keys: Cow::Owned(v.keys.iter().map(String::as_str).collect()),
                        }
                    }
                    // An embedded definition is an object schema: it has
                    // no patch strategy of its own.
                    other => FieldInfo {
                        child: SchemaRef { schema, at: other },
                        strategy: "",
                        keys: Cow::Borrowed(&[]),
                    },
                }
            }
        }
    }

    /// The schema of a kind, in the same schema as this position.
    pub fn for_kind(self, api_version: &str, kind: &str) -> SchemaRef<'s> {
        self.schema.for_kind(api_version, kind)
    }

    /// Whether the schema describes this position at all.
    pub(crate) fn is_known(self) -> bool {
        self.at != At::Unknown
    }
}

/// The definitions of a custom OpenAPI (Swagger 2.0) document, reduced to
/// what strategic merges read: properties, list items, map values,
/// references, patch strategies and merge keys.
#[derive(Debug, Default)]
pub struct CustomSchema {
    /// Every schema object of the document, definitions and nested ones.
    nodes: Vec<SchemaNode>,
    /// Definition name to node.
    definitions: HashMap<String, u32>,
    /// (apiVersion, kind) to definition, from
    /// `x-kubernetes-group-version-kind`.
    kinds: HashMap<(String, String), u32>,
}

#[derive(Debug, Default)]
struct SchemaNode {
    /// `$ref`: a schema object that is only a pointer to another (other
    /// keys beside it are ignored, as kustomize ignores them).
    reference: Option<Reference>,
    properties: HashMap<String, u32>,
    /// `additionalProperties` given as a schema: the value of every key.
    additional: Option<u32>,
    /// `type: array` (alone).
    array: bool,
    items: Option<u32>,
    strategy: Option<String>,
    keys: Vec<String>,
}

#[derive(Debug)]
enum Reference {
    /// A JSON pointer into the document, as its unescaped tokens.
    Pointer(Vec<String>),
    /// A reference to another document, or no pointer at all.
    Unresolvable,
}

/// Nested schema objects deeper than this are not read.
const MAX_DEPTH: usize = 200;

impl CustomSchema {
    /// Reads a custom schema document (JSON, or YAML of the same shape).
    pub(crate) fn from_node(doc: &Node) -> Result<CustomSchema> {
        let Node::Map(top) = doc else {
            return Err(Error::configuration(
                "invalid schema file: the document is not a mapping",
            ));
        };
        let mut schema = CustomSchema::default();
        let defs = match top.get("definitions") {
            None | Some(Node::Null) => return Ok(schema),
            Some(Node::Map(defs)) => defs,
            Some(_) => {
                return Err(Error::configuration(
                    "invalid schema file: `definitions` is not a mapping",
                ))
            }
        };
        for (name, def) in defs.iter() {
            let id = schema.add(def, 0);
            schema.definitions.insert(name.to_string(), id);
            let Some(Node::Seq(gvks)) = def.get("x-kubernetes-group-version-kind") else {
                continue;
            };
            for gvk in gvks {
                let (Some(version), Some(kind)) = (
                    gvk.get("version").and_then(Node::as_str),
                    gvk.get("kind").and_then(Node::as_str),
                ) else {
                    continue;
                };
                let api_version = match gvk.get("group").and_then(Node::as_str) {
                    Some(g) if !g.is_empty() => format!("{g}/{version}"),
                    _ => version.to_string(),
                };
                schema.kinds.insert((api_version, kind.to_string()), id);
            }
        }
        Ok(schema)
    }

    /// Adds one schema object and what it nests; returns its node.
    fn add(&mut self, node: &Node, depth: usize) -> u32 {
        let id = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX);
        self.nodes.push(SchemaNode::default());
        let Node::Map(m) = node else { return id };
        if depth > MAX_DEPTH {
            return id;
        }
        let mut n = SchemaNode {
            reference: m
                .get("$ref")
                .map(|r| parse_reference(r.as_str().unwrap_or(""))),
            array: match m.get("type") {
                Some(Node::Str(t)) => t == "array",
                Some(Node::Seq(ts)) => matches!(ts.as_slice(), [Node::Str(t)] if t == "array"),
                _ => false,
            },
            ..SchemaNode::default()
        };
        if let Some(Node::Map(props)) = m.get("properties") {
            for (k, v) in props.iter() {
                let child = self.add(v, depth + 1);
                n.properties.insert(k.to_string(), child);
            }
        }
        if let Some(v @ Node::Map(_)) = m.get("additionalProperties") {
            n.additional = Some(self.add(v, depth + 1));
        }
        if let Some(v @ Node::Map(_)) = m.get("items") {
            n.items = Some(self.add(v, depth + 1));
        }
        (n.strategy, n.keys) = strategy_and_keys(m);
        if let Some(slot) = self.nodes.get_mut(id as usize) {
            *slot = n;
        }
        id
    }

    /// The node a pointer names, if the document has it.
    fn follow(&self, tokens: &[String]) -> Option<u32> {
        let [first, name, rest @ ..] = tokens else {
            return None;
        };
        if first != "definitions" {
            return None;
        }
        let mut at = *self.definitions.get(name)?;
        let mut rest = rest;
        while !rest.is_empty() {
            let n = self.nodes.get(at as usize)?;
            (at, rest) = match rest {
                [p, key, more @ ..] if p == "properties" => (*n.properties.get(key)?, more),
                [i, more @ ..] if i == "items" => (n.items?, more),
                [a, more @ ..] if a == "additionalProperties" => (n.additional?, more),
                _ => return None,
            };
        }
        Some(at)
    }
}

/// A `$ref` value. Like kustomize, only its fragment counts: it is a
/// pointer into this document whatever document the reference names.
fn parse_reference(r: &str) -> Reference {
    let Some((_, pointer)) = r.split_once('#') else {
        return Reference::Unresolvable;
    };
    let Some(pointer) = pointer.strip_prefix('/') else {
        return Reference::Unresolvable;
    };
    Reference::Pointer(
        pointer
            .split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// kyaml's reading of the patch extensions: no strategy, no keys; else
/// `x-kubernetes-list-map-keys` if given, else the patch merge key.
fn strategy_and_keys(m: &Mapping) -> (Option<String>, Vec<String>) {
    let Some(strategy) = m.get("x-kubernetes-patch-strategy").and_then(Node::as_str) else {
        return (None, Vec::new());
    };
    let keys = match (
        m.get("x-kubernetes-list-map-keys"),
        m.get("x-kubernetes-patch-merge-key").and_then(Node::as_str),
    ) {
        (Some(Node::Seq(ks)), _) => ks
            .iter()
            .filter_map(Node::as_str)
            .map(str::to_string)
            .collect(),
        (_, Some(k)) => vec![k.to_string()],
        _ => Vec::new(),
    };
    (Some(strategy.to_string()), keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_one;

    fn custom(text: &str) -> CustomSchema {
        CustomSchema::from_node(&parse_one(text).unwrap()).unwrap()
    }

    const DOC: &str = r##"{"definitions": {
      "a.Thing": {
        "x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "Thing"}, {"group": "", "version": "v1", "kind": "Thing"}],
        "properties": {
          "spec": {"type": "object", "properties": {
            "items": {"type": "array", "items": {"$ref": "#/definitions/a.Item"},
                      "x-kubernetes-patch-strategy": "merge", "x-kubernetes-patch-merge-key": "id"},
            "ports": {"type": "array", "items": {"type": "object"}, "x-kubernetes-patch-strategy": "merge",
                      "x-kubernetes-patch-merge-key": "port", "x-kubernetes-list-map-keys": ["port", "protocol"]},
            "tags": {"type": "array", "items": {"type": "string"}, "x-kubernetes-patch-merge-key": "x"},
            "byName": {"type": "object", "additionalProperties": {"$ref": "#/definitions/a.Item"}},
            "pod": {"$ref": "#/definitions/io.k8s.api.core.v1.PodSpec"}
          }}
        }
      },
      "a.Item": {"properties": {"sub": {"$ref": "#/definitions/a.Item/properties/list"},
                                "list": {"type": ["array"], "items": {"type": "string"}, "x-kubernetes-patch-strategy": "merge"}}}
    }}"##;

    #[test]
    fn custom_kinds_fields_and_references() {
        let schema = Schema::Custom(custom(DOC));
        let thing = schema.for_kind("example.com/v1", "Thing");
        assert!(thing.is_known());
        assert!(schema.for_kind("v1", "Thing").is_known());
        assert!(!schema.for_kind("apps/v1", "Deployment").is_known());
        let spec = thing.field("spec").child;
        let items = spec.field("items");
        assert_eq!((items.strategy, &*items.keys), ("merge", &["id"][..]));
        let ports = spec.field("ports");
        assert_eq!(&*ports.keys, &["port", "protocol"][..]);
        // Without a patch strategy there are no keys.
        assert!(spec.field("tags").keys.is_empty());
        // List elements, map values and pointers below a definition.
        let list = items.child.field("list");
        assert_eq!((list.strategy, list.keys.is_empty()), ("merge", true));
        assert_eq!(
            spec.field("byName")
                .child
                .field("anything")
                .child
                .field("list")
                .strategy,
            "merge"
        );
        assert_eq!(items.child.field("sub").strategy, "merge");
        // A reference the file cannot resolve describes nothing.
        assert!(!spec.field("pod").child.is_known());
    }

    #[test]
    fn layered_schemas_fall_back_to_the_builtin_definitions() {
        let schema = Schema::Layered(custom(DOC));
        let pod = schema
            .for_kind("example.com/v1", "Thing")
            .field("spec")
            .child
            .field("pod")
            .child;
        let containers = pod.field("containers");
        assert_eq!(
            (containers.strategy, &*containers.keys),
            ("merge", &["name"][..])
        );
        // Builtin kinds stay known.
        let deployment = schema.for_kind("apps/v1", "Deployment");
        assert_eq!(
            deployment
                .field("spec")
                .child
                .field("template")
                .child
                .field("spec")
                .child
                .field("volumes")
                .strategy,
            "merge,retainKeys"
        );
    }

    #[test]
    fn layered_custom_definitions_replace_builtin_ones_by_name() {
        let doc = r##"{"definitions": {"io.k8s.api.core.v1.Container": {"properties": {
            "env": {"type": "array", "items": {"type": "object"}}}}}}"##;
        let schema = Schema::Layered(custom(doc));
        let container = schema
            .for_kind("v1", "Pod")
            .field("spec")
            .child
            .field("containers")
            .child;
        assert!(container.is_known());
        assert_eq!(container.field("env").strategy, "");
        assert_eq!(
            Schema::Builtin
                .for_kind("v1", "Pod")
                .field("spec")
                .child
                .field("containers")
                .child
                .field("env")
                .strategy,
            "merge"
        );
    }

    #[test]
    fn cycles_of_references_describe_nothing() {
        let doc = r##"{"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"},
            "k": {"x-kubernetes-group-version-kind": [{"version": "v1", "kind": "K"}], "properties": {"x": {"$ref": "#/definitions/a"}}}}}"##;
        let schema = Schema::Custom(custom(doc));
        assert!(!schema.for_kind("v1", "K").field("x").child.is_known());
    }

    #[test]
    fn malformed_documents() {
        assert_eq!(
            CustomSchema::from_node(&parse_one("[1]").unwrap())
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("invalid schema file: the document is not a mapping")
        );
        assert_eq!(
            CustomSchema::from_node(&parse_one("definitions: [1]").unwrap())
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("invalid schema file: `definitions` is not a mapping")
        );
        assert!(CustomSchema::from_node(&parse_one("swagger: '2.0'").unwrap()).is_ok());
    }
}
