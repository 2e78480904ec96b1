//! Transformers that follow references between objects: `replacements`
//! (copy a field of one object into others) and `vars` (`$(NAME)`
//! placeholders filled from fields of named objects).
//!
//! Both address fields with kustomize's dotted paths ([`path`]) and pick
//! objects by identity, current or earlier ([`selector`]), so they keep
//! working after prefixes, suffixes and namespaces have been applied.

pub(crate) mod id_selector;
mod label_selector;
mod nameref_oracle;
pub(crate) mod path;
pub(crate) mod replacements;
pub(crate) mod vars;

pub(crate) use replacements::{apply_replacements, parse_replacements, replacements_from_config};
pub(crate) use vars::{resolve_vars, VarSet};
