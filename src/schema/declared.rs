//! Values a project declares itself.
//!
//! A project adds its own typed keys next to the built-in ones: top-level
//! keys in the project file (`values:`), a component's own keys in
//! `values.schema.yaml` inside the component. Each key is declared with a
//! small, closed subset of JSON Schema ([`Declaration`]), so a misspelt
//! keyword (`typ: string`) is a located error rather than a schema that
//! quietly accepts anything. Objects are closed unless they say
//! otherwise: an unknown key stays an error, as for built-in values.
//!
//! The declarations are merged into the committed schema by
//! `compose schema --write`, so editors complete, hover and check project
//! keys exactly like the built-in ones.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The file, inside a component, that declares the component's own keys.
pub(crate) const COMPONENT_DECLARATIONS: &str = "values.schema.yaml";

/// The declaration of one project value: a subset of JSON Schema
/// (draft-07).
#[derive(Clone, Debug, Deserialize, JsonSchema, PartialEq, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Declaration {
    /// The JSON type: `string`, `integer`, `number`, `boolean`, `object`
    /// or `array`, or a list of them.
    #[serde(rename = "type")]
    pub(crate) kind: Kind,
    /// What the value means; editors show it on hover.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    /// A short name for the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
    /// The keys of an object, each declared in turn.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) properties: Option<BTreeMap<String, Declaration>>,
    /// Keys an object must have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) required: Option<Vec<String>>,
    /// Keys an object may have besides `properties`: `false` (the
    /// default) refuses them, or a declaration they must all meet (a map).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) additional_properties: Option<Additional>,
    /// The items of an array.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) items: Option<Box<Declaration>>,
    /// The only values allowed.
    #[serde(rename = "enum", skip_serializing_if = "Option::is_none")]
    pub(crate) one_of_values: Option<Vec<Value>>,
    /// A regular expression a string must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) pattern: Option<String>,
    /// The smallest number allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) minimum: Option<f64>,
    /// The largest number allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) maximum: Option<f64>,
    /// The shortest string allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) min_length: Option<u64>,
    /// The longest string allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_length: Option<u64>,
    /// The fewest items allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) min_items: Option<u64>,
    /// The most items allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max_items: Option<u64>,
    /// Example values, for editors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) examples: Option<Vec<Value>>,
}

/// A JSON type name, or several.
#[derive(Clone, Debug, Deserialize, JsonSchema, PartialEq, Serialize)]
#[serde(untagged)]
pub(crate) enum Kind {
    /// One type.
    One(TypeName),
    /// Any of these types.
    Any(Vec<TypeName>),
}

/// A JSON type name.
#[derive(Clone, Copy, Debug, Deserialize, JsonSchema, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TypeName {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// A mapping.
    Object,
    /// A list.
    Array,
}

/// What an object accepts besides its declared keys.
#[derive(Clone, Debug, Deserialize, JsonSchema, PartialEq, Serialize)]
#[serde(untagged)]
pub(crate) enum Additional {
    /// `false` refuses other keys; `true` accepts anything.
    Allowed(bool),
    /// Other keys must meet this declaration.
    Each(Box<Declaration>),
}

impl Declaration {
    /// The declaration as JSON Schema, objects closed unless they say
    /// otherwise.
    pub(crate) fn to_schema(&self) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        close_objects(&mut v);
        v
    }
}

/// Adds `additionalProperties: false` to every object schema that does not
/// say what other keys it takes.
fn close_objects(v: &mut Value) {
    let Some(o) = v.as_object_mut() else {
        return;
    };
    let is_object = match o.get("type") {
        Some(Value::String(t)) => t == "object",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
        _ => false,
    };
    if is_object && !o.contains_key("additionalProperties") {
        o.insert("additionalProperties".into(), Value::Bool(false));
    }
    if let Some(Value::Object(props)) = o.get_mut("properties") {
        props.values_mut().for_each(close_objects);
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = o.get_mut(key) {
            close_objects(child);
        }
    }
}

/// The declarations of a file: key to schema.
pub(crate) fn schemas(decls: &BTreeMap<String, Declaration>) -> Map<String, Value> {
    decls
        .iter()
        .map(|(k, d)| (k.clone(), d.to_schema()))
        .collect()
}

/// The schema of a declarations file (`values.schema.yaml`): a mapping
/// of keys to declarations.
pub(crate) fn file_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut s = generator
        .into_root_schema_for::<BTreeMap<String, Declaration>>()
        .to_value();
    super::unwrap_descriptions(&mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_closed_unless_they_say_otherwise() {
        let d: Declaration = serde_json::from_value(serde_json::json!({
            "type": "object",
            "properties": {
                "host": {"type": "string"},
                "options": {"type": "object", "additionalProperties": {"type": "string"}},
                "tags": {"type": "array", "items": {"type": "object"}},
            }
        }))
        .unwrap();
        let s = d.to_schema();
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(
            s["properties"]["options"]["additionalProperties"]["type"],
            "string"
        );
        assert_eq!(
            s["properties"]["tags"]["items"]["additionalProperties"],
            false
        );
        assert!(s["properties"]["host"]
            .get("additionalProperties")
            .is_none());
    }

    #[test]
    fn a_misspelt_keyword_is_refused() {
        let e = serde_json::from_value::<Declaration>(serde_json::json!({"typ": "string"}));
        assert!(e.unwrap_err().to_string().contains("unknown field `typ`"));
    }
}
