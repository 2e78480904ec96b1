//! Lookup of patch strategies and merge keys in the generated table.

use super::schema_table::{DEFINITIONS, FIELDS, RESOURCES};
use rustc_hash::FxHashMap as HashMap;
use std::sync::OnceLock;

/// A position in the schema: a definition (or nothing, for unknown types).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SchemaRef(Option<u16>);

/// What the schema says about one field.
#[derive(Clone, Copy, Debug, Default)]
pub struct FieldInfo {
    /// The field's value (or, for a list, its elements).
    pub child: SchemaRef,
    /// `x-kubernetes-patch-strategy`, e.g. `merge` or `merge,retainKeys`.
    pub strategy: &'static str,
    /// Merge keys (`x-kubernetes-list-map-keys`, else the patch merge key).
    pub keys: &'static [&'static str],
}

type Index = HashMap<(u16, &'static str), FieldInfo>;
/// Definition numbers by (group-version, kind).
type KindIndex = HashMap<(&'static str, &'static str), u16>;

fn index() -> &'static (Index, KindIndex) {
    static INDEX: OnceLock<(Index, KindIndex)> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut fields = HashMap::with_capacity_and_hasher(FIELDS.len(), Default::default());
        for &(def, field, child, strategy, keys) in FIELDS {
            let child = SchemaRef(u16::try_from(child).ok());
            fields.insert((def, field), FieldInfo { child, strategy, keys });
        }
        let kinds = RESOURCES.iter().map(|&(av, k, d)| ((av, k), d)).collect();
        (fields, kinds)
    })
}

impl SchemaRef {
    /// The schema of a kind, if the embedded definitions know it.
    pub fn for_kind(api_version: &str, kind: &str) -> SchemaRef {
        SchemaRef(index().1.get(&(api_version, kind)).copied())
    }

    /// Facts about a field of this definition.
    pub fn field(self, name: &str) -> FieldInfo {
        match self.0 {
            None => FieldInfo::default(),
            Some(d) => index().0.get(&(d, name)).copied().unwrap_or_default(),
        }
    }

    /// The definition's name, for messages.
    pub fn name(self) -> &'static str {
        self.0.and_then(|d| DEFINITIONS.get(d as usize).copied()).unwrap_or("")
    }
}
