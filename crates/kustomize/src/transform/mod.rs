//! The builtin field-spec transformers: namespace, name prefix/suffix,
//! labels, annotations, images and replica counts; and the value-add
//! transformer, which writes one value at given paths.
//!
//! Each transformer is a function over the resources of one build step,
//! taking typed arguments and the field specs it acts on (usually a list of
//! the [`TransformerConfig`](crate::config::TransformerConfig)).
//! [`builtin`] reads the same transformers from their YAML configuration
//! form (`apiVersion: builtin`, `kind: LabelTransformer`, ...), as users
//! write them in `transformers:` files.
//!
//! Behaviour follows kubectl kustomize v5.5.0, including its quirks: the
//! image name of an `images:` entry is a regular expression, a tag suffix
//! is applied by both of kustomize's image passes, and so on. Renames go
//! through [`Resource`](crate::resource::Resource) so earlier
//! identities are recorded for name references.

pub(crate) mod builtin;
mod images;
mod labels_annotations;
mod names;
mod namespace;
mod replicas;
mod valueadd;

pub(crate) use builtin::builtin_from_node;
pub(crate) use images::{set_images, set_images_all, ImageSpec};
pub(crate) use labels_annotations::{
    add_annotations, add_labels, label_entry_field_specs, LabelEntry,
};
pub(crate) use names::{add_prefix, add_prefix_suffix, add_suffix};
pub(crate) use namespace::{set_namespace, set_namespace_on, NamespaceOptions, SubjectMode};
pub(crate) use replicas::{set_replicas, set_replicas_all, ReplicaSpec};
pub(crate) use valueadd::ValueAdd;

use super::error::{Error, Result};
use compose_yaml::Node;

/// The text kustomize reads from a scalar node (its YAML value); `None`
/// for mappings and sequences. A null reads as empty.
pub(crate) fn scalar_value(node: &Node) -> Option<String> {
    match node {
        Node::Null => Some(String::new()),
        other => other.scalar_text(),
    }
}

/// Error for a setter that met a node of the wrong kind.
pub(crate) fn wrong_kind(expected: &str, got: &Node) -> Error {
    let actual = match got {
        Node::Map(_) => "MappingNode",
        Node::Seq(_) => "SequenceNode",
        _ => "ScalarNode",
    };
    Error::transformer(format!(
        "wrong node kind: expected {expected} but got {actual}: node contents:\n{got}"
    ))
}

/// Replaces a scalar (or null) with a string, failing on collections.
pub(crate) fn set_scalar_string(node: &mut Node, value: String) -> Result<()> {
    match node {
        Node::Map(_) | Node::Seq(_) => Err(wrong_kind("ScalarNode", node)),
        _ => {
            *node = Node::str(value);
            Ok(())
        }
    }
}

/// Sets `key: value` (a string) in a mapping. A null node is left alone,
/// as kustomize's setter leaves it; scalars and sequences are errors.
pub(crate) fn set_map_entry(node: &mut Node, key: &str, value: &str) -> Result<()> {
    match node {
        Node::Map(m) => {
            m.insert(key, Node::str(value));
            Ok(())
        }
        Node::Null => Ok(()),
        other => Err(wrong_kind("MappingNode", other)),
    }
}

/// Whether an object node is null or an empty mapping.
pub(crate) fn is_nil_or_empty(node: &Node) -> bool {
    match node {
        Node::Null => true,
        Node::Map(m) => m.is_empty(),
        _ => false,
    }
}
