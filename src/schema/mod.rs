//! The values types and the project's effective JSON Schema.
//!
//! The Rust structs below are the single source of truth: their doc
//! comments become the schema's descriptions (so editors show them), and
//! the same structs are what the template stage receives. The schema is
//! JSON Schema draft-07 (what editors and Helm users expect) and never
//! holds a remote `$ref`: every reference points into its own
//! `definitions`.
//!
//! Component names are not known at compile time: they are the
//! directories under `components/`. The effective schema is therefore the
//! generated schema of [`Globals`] plus one property per discovered
//! component, each referring to the [`Component`] definition. The top
//! level keeps `additionalProperties: false`, so a misspelt component
//! (`reddis:`) is an error in the editor and in compose.

pub(crate) mod component;
pub(crate) mod declared;
pub(crate) use compose_kustomize::suggest;
pub mod validate;

pub(crate) use component::Component;

use crate::error::Error;
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Values of a compose project: settings for the whole release, and one
/// entry per component (a directory under `components/`).
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "compose values")]
pub(crate) struct Globals {
    /// Release name. The workload of component `c` is named `<name>-<c>`
    /// (e.g. `arches-api`) unless the component sets `workload`.
    pub(crate) name: Option<String>,
    /// Namespace given to every namespaced object (kustomize `namespace`).
    pub(crate) namespace: Option<String>,
    /// Prefix added to every object name (kustomize `namePrefix`).
    pub(crate) name_prefix: Option<String>,
    /// Suffix added to every object name (kustomize `nameSuffix`).
    pub(crate) name_suffix: Option<String>,
    /// Labels added to every object and to pod templates, never to
    /// selectors (selectors of running workloads cannot change).
    #[serde(default)]
    pub(crate) labels: BTreeMap<String, String>,
    /// Annotations added to every object and to pod templates (kustomize
    /// `commonAnnotations`).
    #[serde(default)]
    pub(crate) annotations: BTreeMap<String, String>,
    /// Registry prepended to every component image that sets a
    /// `repository`, e.g. `ghcr.io/acme`: the image `arches/api` becomes
    /// `ghcr.io/acme/arches/api`.
    pub(crate) image_registry: Option<String>,
    /// Application settings, key to value, merged into the ConfigMap that
    /// the base (or a component) generates under `settingsConfigMap`, so
    /// the pods that use it roll when a setting changes.
    #[serde(default)]
    pub(crate) settings: BTreeMap<String, String>,
    /// The generated ConfigMap that `settings` merges into. Default:
    /// `<name>-config`.
    pub(crate) settings_config_map: Option<String>,
    /// Settings of `compose lint`.
    #[serde(default)]
    pub(crate) lint: LintSettings,
}

/// Settings of `compose lint`.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LintSettings {
    /// Objects the manifests name but that are created outside the
    /// project, as `Kind/name` (e.g. `Secret/arches-secrets`); the
    /// `dangling-reference` rule accepts references to them.
    #[serde(default)]
    pub(crate) external: Vec<String>,
    /// Environments in which `latest-tag` reports images with the `latest`
    /// tag or none (default: `prod` and `production`).
    pub(crate) production_environments: Option<Vec<String>>,
}

/// Validated values: globals plus the components named in the values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Values {
    /// Release-wide settings.
    pub(crate) globals: Globals,
    /// Component settings by name (only the components the values mention).
    pub(crate) components: BTreeMap<String, Component>,
    /// The merged values as loaded, for templates that want raw access.
    pub(crate) raw: Value,
}

impl Values {
    /// Splits a validated tree into globals and components. Declared
    /// keys stay in `raw` only: they are the templates' business.
    pub fn from_tree(
        tree: &Value,
        components: &[ComponentInfo],
        globals_declared: &BTreeMap<String, declared::Declaration>,
    ) -> Result<Values, Error> {
        let obj = tree.as_object().cloned().unwrap_or_default();
        let mut globals = Map::new();
        let mut comps = BTreeMap::new();
        for (k, mut v) in obj {
            if let Some(info) = components.iter().find(|c| c.name == k) {
                if let Some(o) = v.as_object_mut() {
                    o.retain(|key, _| !info.declared.contains_key(key));
                }
                let c: Component = serde_json::from_value(v).map_err(|e| {
                    Error::Internal(format!(
                        "values of component `{k}` passed the schema but not the types: {e}"
                    ))
                })?;
                comps.insert(k, c);
            } else if !globals_declared.contains_key(&k) {
                globals.insert(k, v);
            }
        }
        let globals: Globals = serde_json::from_value(Value::Object(globals)).map_err(|e| {
            Error::Internal(format!(
                "global values passed the schema but not the types: {e}"
            ))
        })?;
        Ok(Values {
            globals,
            components: comps,
            raw: tree.clone(),
        })
    }
}

/// What the schema needs to know of one component.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ComponentInfo {
    /// The component's name (its folder's).
    pub name: String,
    /// Its folder as shown to the user, e.g. `components/api`.
    pub folder: String,
    /// The leading comment of its kustomization file, shown on hover.
    pub summary: Option<String>,
    /// Keys the component declares itself (`values.schema.yaml`).
    pub declared: BTreeMap<String, declared::Declaration>,
}

impl ComponentInfo {
    /// A component with nothing but a name, in `components/`.
    #[cfg(test)]
    pub(crate) fn named(name: &str) -> ComponentInfo {
        ComponentInfo {
            name: name.to_string(),
            folder: format!("components/{name}"),
            ..ComponentInfo::default()
        }
    }
}

/// The effective schema of a project: the globals, the keys the project
/// declares at the top level, and one property per component, in the
/// given order.
pub fn generate(
    components: &[ComponentInfo],
    globals_declared: &BTreeMap<String, declared::Declaration>,
) -> Result<Value, Error> {
    let mut generator = SchemaSettings::draft07().into_generator();
    let component_ref = generator.subschema_for::<Component>().to_value();
    let mut root: Value = generator.root_schema_for::<Globals>().to_value();
    add_key_grammars(&mut root);
    let builtin_globals: Vec<String> = root
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    // Editors show the description of the schema a `$ref` leads to rather
    // than the property's own, so the shared definition carries none:
    // each component's property says what that component is.
    if let Some(Value::Object(def)) = root.pointer_mut("/definitions/Component") {
        def.remove("description");
    }
    let component_def = root
        .pointer("/definitions/Component")
        .cloned()
        .ok_or_else(|| Error::Internal("generated schema has no Component".into()))?;
    let mut definitions = Map::new();
    let mut props = Map::new();
    for (key, schema) in declared::schemas(globals_declared) {
        if builtin_globals.contains(&key) {
            return Err(Error::Usage(format!(
                "the project file declares `{key}`, which is a built-in value; rename the declaration"
            )));
        }
        props.insert(key, schema);
    }
    for c in components {
        let name = &c.name;
        if builtin_globals.contains(name) || props.contains_key(name) {
            return Err(Error::Usage(format!(
                "component folder `{}` has the name of a global value; rename the folder",
                c.folder
            )));
        }
        let reference = if c.declared.is_empty() {
            component_ref.clone()
        } else {
            let def = extended_component(&component_def, c)?;
            let def_name = format!("Component.{name}");
            definitions.insert(def_name.clone(), def);
            json!({ "$ref": format!("#/definitions/{def_name}") })
        };
        let mut description = format!("Component `{name}` (folder `{}`).", c.folder);
        if let Some(summary) = &c.summary {
            description = format!("{summary}\n\n{description}");
        }
        // draft-07 ignores keywords beside `$ref`, so the description sits
        // beside an `allOf` that holds the reference; `type` lets editors
        // complete the key as a mapping.
        props.insert(
            name.clone(),
            json!({ "description": description, "type": "object", "allOf": [reference] }),
        );
    }
    let root_obj = root
        .as_object_mut()
        .ok_or_else(|| Error::Internal("generated schema is not an object".into()))?;
    if let Some(Value::Object(p)) = root_obj.get_mut("properties") {
        p.extend(props);
    }
    if let Some(Value::Object(d)) = root_obj.get_mut("definitions") {
        d.extend(definitions);
    }
    nullable_keys(&mut root);
    if let Some(Value::String(d)) = root.get_mut("description") {
        d.push_str(EMPTY_KEY);
    }
    unwrap_descriptions(&mut root);
    // Readers look for the draft and the title first.
    let mut ordered = Map::new();
    if let Value::Object(mut o) = root {
        for k in [
            "$schema",
            "title",
            "description",
            "type",
            "additionalProperties",
            "properties",
        ] {
            if let Some(v) = o.remove(k) {
                ordered.insert(k.to_string(), v);
            }
        }
        ordered.extend(o);
    }
    Ok(Value::Object(ordered))
}

/// What an empty key means, as the schema's description says it.
pub const EMPTY_KEY: &str = "\n\nA key left empty (`image:`, or `null`, `~`) unsets it: the key and everything the layers below set under it are removed, as if no layer had set it (a required key, such as `storage.size`, is the exception: it must have a value).";

/// Lets every key that compose accepts empty be empty in the schema too.
/// An empty key (YAML null) unsets the key in the merged values, so the
/// schema allows `null` for every property that is not required and for
/// the values of free-form mappings; without it an editor would report
/// `image:` as a wrong type where compose reads it as "unset". List
/// items stay as they are: a null item is a null value, not an unset key.
fn nullable_keys(node: &mut Value) {
    let Value::Object(o) = node else {
        return;
    };
    let required: Vec<String> = o
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if let Some(Value::Object(props)) = o.get_mut("properties") {
        for (k, p) in props.iter_mut() {
            if !required.contains(k) {
                make_nullable(p);
            }
            nullable_keys(p);
        }
    }
    if let Some(ap @ Value::Object(_)) = o.get_mut("additionalProperties") {
        make_nullable(ap);
        nullable_keys(ap);
    }
    if let Some(Value::Object(defs)) = o.get_mut("definitions") {
        defs.values_mut().for_each(nullable_keys);
    }
    if let Some(items) = o.get_mut("items") {
        nullable_keys(items);
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(b)) = o.get_mut(k) {
            b.iter_mut().for_each(nullable_keys);
        }
    }
}

/// Makes one schema accept `null` besides what it accepts.
fn make_nullable(schema: &mut Value) {
    let Value::Object(o) = schema else {
        return;
    };
    let is_null = |b: &Value| b.get("type").and_then(Value::as_str) == Some("null");
    let has_null_branch = ["anyOf", "oneOf"].iter().any(|k| {
        o.get(*k)
            .and_then(Value::as_array)
            .is_some_and(|b| b.iter().any(is_null))
    });
    if !has_null_branch {
        // A reference or a combination is kept whole as one branch
        // beside `null` (keywords beside `$ref` are ignored in draft-07).
        let mut inner = Map::new();
        for k in ["$ref", "allOf", "anyOf", "oneOf"] {
            if let Some(v) = o.remove(k) {
                inner.insert(k.to_string(), v);
            }
        }
        if !inner.is_empty() {
            let branch = match inner.get("allOf").and_then(Value::as_array) {
                Some(all) if inner.len() == 1 && all.len() == 1 => all[0].clone(),
                _ => Value::Object(inner),
            };
            o.insert("anyOf".into(), json!([branch, {"type": "null"}]));
        }
    }
    match o.get_mut("type") {
        Some(Value::String(t)) if t != "null" => {
            let t = std::mem::take(t);
            o.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(ts)) if !ts.iter().any(|t| t == "null") => ts.push(json!("null")),
        _ => {}
    }
    if let Some(Value::Array(e)) = o.get_mut("enum") {
        if !e.contains(&Value::Null) {
            e.push(Value::Null);
        }
    }
}

/// The Component definition with a component's own keys added.
fn extended_component(component_def: &Value, c: &ComponentInfo) -> Result<Value, Error> {
    let mut def = component_def.clone();
    let Some(Value::Object(props)) = def.get_mut("properties") else {
        return Err(Error::Internal("Component has no properties".into()));
    };
    for (key, schema) in declared::schemas(&c.declared) {
        if props.contains_key(&key) {
            return Err(Error::Usage(format!(
                "{}/{}: `{key}` is a built-in key of every component; rename the declaration",
                c.folder,
                declared::COMPONENT_DECLARATIONS
            )));
        }
        props.insert(key, schema);
    }
    if let Some(o) = def.as_object_mut() {
        o.insert(
            "description".into(),
            Value::String(format!("Settings of component `{}`.", c.name)),
        );
    }
    Ok(def)
}

/// Where the schema holds names that follow a grammar of their own:
/// (definition or `""` for the root, property, pattern its keys follow).
const KEY_GRAMMARS: &[(&str, &str, &str)] = &[
    ("Component", "env", r"^[-._a-zA-Z][-._a-zA-Z0-9]*$"),
    ("", "settings", r"^[-._a-zA-Z0-9]+$"),
];

/// Adds the key grammars of [`KEY_GRAMMARS`] as `propertyNames`.
fn add_key_grammars(root: &mut Value) {
    for (def, prop, pattern) in KEY_GRAMMARS {
        let pointer = if def.is_empty() {
            format!("/properties/{prop}")
        } else {
            format!("/definitions/{def}/properties/{prop}")
        };
        if let Some(Value::Object(o)) = root.pointer_mut(&pointer) {
            o.insert("propertyNames".into(), json!({ "pattern": pattern }));
        }
    }
}

/// Doc comments are wrapped at source width; editors wrap by themselves,
/// so single line breaks become spaces (blank lines stay paragraphs).
pub(crate) fn unwrap_descriptions(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                match x {
                    Value::String(s) if k == "description" => {
                        *s = s
                            .split("\n\n")
                            .map(|p| p.replace('\n', " "))
                            .collect::<Vec<_>>()
                            .join("\n\n");
                    }
                    other => unwrap_descriptions(other),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(unwrap_descriptions),
        _ => {}
    }
}

/// The schema as committed: pretty JSON with a final newline.
pub(crate) fn to_text(schema: &Value) -> String {
    let mut s = serde_json::to_string_pretty(schema).unwrap_or_default();
    s.push('\n');
    s
}

/// One step of a values path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

/// Follows local `$ref`s and single-branch wrappers (`allOf` of one,
/// `anyOf` with a null branch) to the schema that says something.
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..32 {
        if let Some(r) = node.get("$ref").and_then(Value::as_str) {
            match r
                .strip_prefix("#/")
                .and_then(|p| root.pointer(&format!("/{p}")))
            {
                Some(n) => {
                    node = n;
                    continue;
                }
                None => return node,
            }
        }
        let branches = node
            .get("allOf")
            .or_else(|| node.get("anyOf"))
            .or_else(|| node.get("oneOf"))
            .and_then(Value::as_array);
        if let Some(b) = branches {
            let non_null: Vec<&Value> = b
                .iter()
                .filter(|s| s.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            let bare = node.get("properties").is_none()
                && node.get("type").is_none_or(|t| {
                    (t == "object" || *t == json!(["object", "null"])) && non_null.len() == 1
                });
            if non_null.len() == 1 && bare {
                node = non_null[0];
                continue;
            }
        }
        return node;
    }
    node
}

/// The sub-schema at a values path, if the schema describes it.
pub(crate) fn schema_at<'a>(root: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    let mut node = resolve(root, root);
    for seg in path {
        node = match seg {
            Seg::Key(k) => match node.get("properties").and_then(|p| p.get(k)) {
                Some(n) => n,
                None => match node.get("additionalProperties") {
                    Some(ap) if ap.is_object() => ap,
                    _ => return None,
                },
            },
            Seg::Index(_) => node.get("items").filter(|i| i.is_object())?,
        };
        node = resolve(root, node);
    }
    Some(node)
}

/// The JSON types allowed at a path (without `null`, which always means
/// "delete" in compose values). `None` when the schema does not say.
pub(crate) fn types_at(root: &Value, path: &[Seg]) -> Option<Vec<String>> {
    let node = schema_at(root, path)?;
    let types: Vec<String> = match node.get("type")? {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => return None,
    };
    Some(types.into_iter().filter(|t| t != "null").collect())
}

/// The keys a mapping at `path` may hold, for did-you-mean.
pub(crate) fn known_keys(root: &Value, path: &[Seg]) -> Vec<String> {
    schema_at(root, path)
        .and_then(|n| n.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

/// Renders a path for messages: `api.image.tag`, `labels["app.kubernetes.io/name"]`, `list[0]`.
pub(crate) fn display_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k)
                if !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Key(k) => out.push_str(&format!("[{}]", serde_json::Value::String(k.clone()))),
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        out.push_str("(top level)");
    }
    out
}

/// Splits a JSON pointer into path segments; digits become indexes only
/// where the instance has a list (the caller passes the instance).
pub(crate) fn pointer_to_path(pointer: &str, instance: &Value) -> Vec<Seg> {
    let mut out = Vec::new();
    let mut cur = Some(instance);
    for raw in pointer.split('/').skip(1) {
        let key = raw.replace("~1", "/").replace("~0", "~");
        match cur {
            Some(Value::Array(a)) => {
                let i = key.parse::<usize>().unwrap_or(0);
                cur = a.get(i);
                out.push(Seg::Index(i));
            }
            Some(Value::Object(o)) => {
                cur = o.get(&key);
                out.push(Seg::Key(key));
            }
            _ => {
                cur = None;
                out.push(Seg::Key(key));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comps() -> Vec<ComponentInfo> {
        vec![ComponentInfo::named("api"), ComponentInfo::named("redis")]
    }

    fn gen(c: &[ComponentInfo]) -> Result<Value, Error> {
        generate(c, &BTreeMap::new())
    }

    #[test]
    fn schema_is_draft07_with_components_and_closed_top() {
        let s = gen(&comps()).unwrap();
        assert_eq!(s["$schema"], "http://json-schema.org/draft-07/schema#");
        assert_eq!(s["additionalProperties"], false);
        assert!(s["properties"]["api"]["anyOf"][0]["$ref"]
            .as_str()
            .unwrap()
            .starts_with("#/definitions/"));
        assert!(s["definitions"]["Component"]["properties"]["replicas"].is_object());
        assert!(!to_text(&s).contains("http://") || !to_text(&s).contains("\"$ref\": \"http"));
    }

    /// An empty key unsets it in compose, so the schema takes `null`
    /// wherever compose does: every key that is not required, and the
    /// values of free-form mappings.
    #[test]
    fn an_empty_key_is_allowed_where_compose_reads_it_as_unset() {
        let s = gen(&comps()).unwrap();
        assert_eq!(s["properties"]["api"]["type"], json!(["object", "null"]));
        assert_eq!(s["properties"]["api"]["anyOf"][1], json!({"type": "null"}));
        assert_eq!(s["properties"]["labels"]["type"], json!(["object", "null"]));
        assert_eq!(
            s["properties"]["labels"]["additionalProperties"]["type"],
            json!(["string", "null"])
        );
        let component = &s["definitions"]["Component"]["properties"];
        assert_eq!(component["enabled"]["type"], json!(["boolean", "null"]));
        // A required key must have a value: an empty one is removed, and
        // its mapping then lacks it.
        let spread = &s["definitions"]["TopologySpreadConstraint"];
        assert_eq!(
            spread["required"],
            json!(["maxSkew", "topologyKey", "whenUnsatisfiable"])
        );
        assert_eq!(spread["properties"]["maxSkew"]["type"], "integer");
        let v = jsonschema::validator_for(&s).unwrap();
        assert!(v.is_valid(&json!({
            "api": null,
            "labels": {"team": null},
            "redis": {"image": null, "replicas": null, "env": null, "enabled": null}
        })));
        assert!(!v.is_valid(&json!({"api": {"replicas": "three"}})));
        assert!(!v.is_valid(
            &json!({"api": {"topologySpreadConstraints": [{"maxSkew": null, "topologyKey": "k"}]}})
        ));
        // Paths through the nullable wrappers still reach their types.
        let path = [Seg::Key("api".into()), Seg::Key("replicas".into())];
        assert_eq!(types_at(&s, &path), Some(vec!["integer".to_string()]));
        let d = s["description"].as_str().unwrap();
        assert!(d.ends_with("A key left empty (`image:`, or `null`, `~`) unsets it: the key and everything the layers below set under it are removed, as if no layer had set it (a required key, such as `storage.size`, is the exception: it must have a value)."), "{d}");
    }

    #[test]
    fn descriptions_come_from_doc_comments() {
        let s = gen(&comps()).unwrap();
        let d = s["properties"]["namespace"]["description"]
            .as_str()
            .unwrap();
        assert!(
            d.starts_with("Namespace given to every namespaced object"),
            "{d}"
        );
        let d = s["properties"]["name"]["description"].as_str().unwrap();
        assert!(!d.contains('\n'), "{d}");
        let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
        assert_eq!(keys[..3], ["$schema", "title", "description"]);
    }

    #[test]
    fn a_component_named_like_a_global_is_refused() {
        let message = gen(&[ComponentInfo::named("namespace")])
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "component folder `components/namespace` has the name of a global value; rename the folder"
        );
    }

    #[test]
    fn types_follow_refs() {
        let s = gen(&comps()).unwrap();
        let k = |p: &[&str]| {
            types_at(
                &s,
                &p.iter()
                    .map(|x| Seg::Key(x.to_string()))
                    .collect::<Vec<_>>(),
            )
        };
        assert_eq!(k(&["api", "replicas"]), Some(vec!["integer".to_string()]));
        assert_eq!(
            k(&["api", "image", "tag"]),
            Some(vec!["string".to_string()])
        );
        assert_eq!(k(&["api", "enabled"]), Some(vec!["boolean".to_string()]));
        assert_eq!(k(&["labels", "team"]), Some(vec!["string".to_string()]));
        assert_eq!(k(&["reddis", "enabled"]), None);
    }

    #[test]
    fn paths_display_like_set_paths() {
        let p = vec![
            Seg::Key("labels".into()),
            Seg::Key("app.kubernetes.io/name".into()),
        ];
        assert_eq!(display_path(&p), "labels[\"app.kubernetes.io/name\"]");
        assert_eq!(
            display_path(&[Seg::Key("a".into()), Seg::Index(2), Seg::Key("b".into())]),
            "a[2].b"
        );
    }

    #[test]
    fn values_split_into_globals_and_components() {
        let tree = json!({"namespace": "n", "api": {"enabled": true, "replicas": 2, "image": {"tag": "1.10"}}});
        let v = Values::from_tree(&tree, &comps(), &BTreeMap::new()).unwrap();
        assert_eq!(v.globals.namespace.as_deref(), Some("n"));
        assert_eq!(v.components["api"].replicas, Some(2));
        assert_eq!(v.components["api"].image.tag.as_deref(), Some("1.10"));
    }
}
