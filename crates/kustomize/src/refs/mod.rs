//! Transformers that follow references between objects: `replacements`
//! (copy a field of one object into others) and `vars` (`$(NAME)`
//! placeholders filled from fields of named objects).
//!
//! Both address fields with kustomize's dotted paths ([`path`]) and pick
//! objects by identity, current or earlier ([`selector`]), so they keep
//! working after prefixes, suffixes and namespaces have been applied.

pub mod id_selector;
mod label_selector;
mod nameref_oracle;
pub mod path;
pub mod replacements;
pub mod vars;

pub use id_selector::IdSelector;
pub use replacements::{
    apply_replacements, parse_replacements, replacements_from_config, FieldOptions, Replacement,
    Source, TargetSpec,
};
pub use vars::{parse_vars, resolve_vars, Var, VarSet};
