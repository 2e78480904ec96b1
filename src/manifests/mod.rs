//! Offline validation of rendered objects against the Kubernetes API
//! schema of a chosen minor version, as kubeval/kubeconform do, but with
//! the schemas built in and no network.
//!
//! The schemas are the API's OpenAPI definitions in JSON Schema form with
//! `additionalProperties: false` (so a misspelled field is caught), made
//! compact by `tools/gen-k8s-schemas.py`: descriptions dropped, about
//! 250 KB a version. A version's schema is parsed only when `compose
//! validate` asks for it, and each kind's validator is compiled once.

use compose_yaml::{json, Node};
use serde_json::Value;
use std::collections::HashMap;

/// The embedded versions, oldest first; the last is the default.
pub(crate) const VERSIONS: &[(&str, &str)] = &[
    ("1.29", include_str!("schemas/v1.29.json")),
    ("1.31", include_str!("schemas/v1.31.json")),
    ("1.33", include_str!("schemas/v1.33.json")),
];

/// The version used when none is asked for.
pub(crate) fn default_version() -> &'static str {
    VERSIONS.last().map_or("", |(v, _)| v)
}

/// One schema violation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    /// `Kind/namespace/name` (or `Kind/name`).
    pub(crate) object: String,
    /// The file the object came from, when known.
    pub(crate) source: Option<String>,
    /// The field, e.g. `spec.template.spec.containers[0].image`.
    pub(crate) field: String,
    /// The object's position in the list validated.
    pub(crate) index: usize,
    /// Where in the object the problem is, as a JSON pointer: the field,
    /// or the one key that should not be there.
    pub(crate) pointer: String,
    /// What is wrong.
    pub(crate) message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(s) = &self.source {
            write!(f, "{s}: ")?;
        }
        write!(
            f,
            "{}: {}: {}",
            self.object,
            if self.field.is_empty() {
                "(object)"
            } else {
                &self.field
            },
            self.message
        )
    }
}

/// What validation found: problems, and the kinds it has no schema for.
#[derive(Debug, Default)]
pub(crate) struct Report {
    /// Violations, in object order.
    pub(crate) problems: Vec<Problem>,
    /// `apiVersion/kind` of objects skipped for want of a schema (custom
    /// resources), each once.
    pub(crate) skipped: Vec<String>,
    /// How many objects were checked.
    pub(crate) checked: usize,
}

/// Errors of the validator itself.
#[derive(Debug)]
pub(crate) enum Error {
    /// The version is not embedded.
    UnknownVersion(String),
    /// An embedded schema does not load (a build defect).
    Schema(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::UnknownVersion(v) => {
                let known: Vec<&str> = VERSIONS.iter().map(|(v, _)| *v).collect();
                write!(
                    f,
                    "Kubernetes version `{v}` is not built in; known: {}",
                    known.join(", ")
                )
            }
            Error::Schema(m) => write!(f, "internal error: embedded Kubernetes schema: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// Checks every object (with the file it came from, when known) against
/// the schema of Kubernetes `version` (`1.29`, or `v1.29`).
pub(crate) fn validate(
    objects: &[(&Node, Option<String>)],
    version: &str,
) -> Result<Report, Error> {
    let v = version.trim_start_matches('v');
    let v = v.split('.').take(2).collect::<Vec<_>>().join(".");
    let text = VERSIONS
        .iter()
        .find(|(k, _)| *k == v)
        .map(|(_, t)| *t)
        .ok_or_else(|| Error::UnknownVersion(version.to_string()))?;
    let doc: Value = serde_json::from_str(text).map_err(|e| Error::Schema(e.to_string()))?;
    let kinds = doc
        .get("kinds")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::Schema("no kinds".into()))?;
    let defs = doc.get("$defs").cloned().unwrap_or(Value::Null);
    // Each kind's validator, or why the project's own CRD gave none (a
    // schema the library refuses is a problem of the CRD, reported on
    // every object of its kind).
    let mut validators: HashMap<String, Result<jsonschema::Validator, String>> = HashMap::new();
    let mut custom = custom_schemas(objects);
    let mut report = Report::default();
    for (index, (o, source)) in objects.iter().enumerate() {
        let api = o.str_at(&["apiVersion"]).unwrap_or("");
        let kind = o.str_at(&["kind"]).unwrap_or("");
        let key = format!("{api}/{kind}");
        if !validators.contains_key(&key) {
            let compiled = match (kinds.get(&key).and_then(Value::as_str), custom.remove(&key)) {
                (Some(def), _) => {
                    let schema =
                        serde_json::json!({"$ref": format!("#/$defs/{def}"), "$defs": defs});
                    Ok(jsonschema::validator_for(&schema)
                        .map_err(|e| Error::Schema(format!("{key}: {e}")))?)
                }
                (None, Some(schema)) => jsonschema::validator_for(&schema).map_err(|e| {
                    format!("the CustomResourceDefinition's schema for {key} cannot be used: {e}")
                }),
                (None, None) => {
                    if !report.skipped.contains(&key) {
                        report.skipped.push(key);
                    }
                    continue;
                }
            };
            validators.insert(key.clone(), compiled);
        }
        let Some(compiled) = validators.get(&key) else {
            continue;
        };
        report.checked += 1;
        let validator = match compiled {
            Ok(v) => v,
            Err(message) => {
                report.problems.push(Problem {
                    object: crate::deploy::object_label(o),
                    source: source.clone(),
                    field: String::new(),
                    index,
                    pointer: String::new(),
                    message: message.clone(),
                });
                continue;
            }
        };
        let instance: Value =
            serde_json::from_str(&json::to_json(o)).map_err(|e| Error::Schema(e.to_string()))?;
        let object = crate::deploy::object_label(o);
        // The schema library quotes the value it rejected; a Secret's
        // values stay out of the report.
        let secrets = compose_kustomize::redact::Secrets::of_objects([*o]);
        for err in validator.iter_errors(&instance) {
            report.problems.push(Problem {
                object: object.clone(),
                source: source.clone(),
                field: field_path(err.instance_path().as_str()),
                index,
                pointer: pointer_of(&err),
                message: secrets.scrub(&err.to_string()),
            });
        }
    }
    Ok(report)
}

/// JSON Schemas for the custom resources whose CustomResourceDefinitions
/// are among `objects`, keyed `group/version/Kind` like the built-in ones.
///
/// A CRD's `openAPIV3Schema` is nearly JSON Schema; the Kubernetes
/// extensions are translated: `x-kubernetes-int-or-string` accepts an
/// integer or a string, `nullable` adds null, and an object with
/// `properties` refuses other fields (as the API server's strict field
/// validation does) unless it has `additionalProperties` or
/// `x-kubernetes-preserve-unknown-fields`. `apiVersion`, `kind` and
/// `metadata` are always allowed at the top.
fn custom_schemas(objects: &[(&Node, Option<String>)]) -> HashMap<String, Value> {
    let mut out = HashMap::new();
    for (o, _) in objects {
        if o.str_at(&["kind"]) != Some("CustomResourceDefinition")
            || o.str_at(&["apiVersion"]) != Some("apiextensions.k8s.io/v1")
        {
            continue;
        }
        let (Some(group), Some(kind)) = (
            o.str_at(&["spec", "group"]),
            o.str_at(&["spec", "names", "kind"]),
        ) else {
            continue;
        };
        let Some(Node::Seq(versions)) = o.get_path(&["spec", "versions"]) else {
            continue;
        };
        for v in versions {
            let (Some(name), Some(schema)) = (
                v.str_at(&["name"]),
                v.get_path(&["schema", "openAPIV3Schema"]),
            ) else {
                continue;
            };
            let Ok(mut schema) = serde_json::from_str::<Value>(&json::to_json(schema)) else {
                continue;
            };
            translate(&mut schema);
            if let Some(props) = schema.as_object_mut().and_then(|m| {
                m.entry("properties")
                    .or_insert_with(|| serde_json::json!({}))
                    .as_object_mut()
            }) {
                props
                    .entry("apiVersion")
                    .or_insert_with(|| serde_json::json!({"type": "string"}));
                props
                    .entry("kind")
                    .or_insert_with(|| serde_json::json!({"type": "string"}));
                props.insert("metadata".into(), serde_json::json!({"type": "object"}));
            }
            out.insert(format!("{group}/{name}/{kind}"), schema);
        }
    }
    out
}

/// Rewrites the Kubernetes extensions of a CRD schema node in place (see
/// [`custom_schemas`]).
fn translate(node: &mut Value) {
    let Some(m) = node.as_object_mut() else {
        return;
    };
    for key in ["properties", "patternProperties"] {
        if let Some(Value::Object(props)) = m.get_mut(key) {
            props.values_mut().for_each(translate);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(v) = m.get_mut(key) {
            translate(v);
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(list)) = m.get_mut(key) {
            list.iter_mut().for_each(translate);
        }
    }
    if m.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        m.remove("type");
        m.insert(
            "anyOf".into(),
            serde_json::json!([{"type": "integer"}, {"type": "string"}]),
        );
    }
    if m.get("nullable") == Some(&Value::Bool(true)) {
        if let Some(Value::String(t)) = m.get("type").cloned() {
            m.insert("type".into(), serde_json::json!([t, "null"]));
        }
    }
    let open = m.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
        || m.contains_key("additionalProperties");
    if m.contains_key("properties") && !open {
        m.insert("additionalProperties".into(), Value::Bool(false));
    }
}

/// `/spec/containers/0/image` -> `spec.containers[0].image`.
/// The JSON pointer of what `err` is about: its field, or the key that
/// should not be there when there is exactly one.
fn pointer_of(err: &jsonschema::ValidationError<'_>) -> String {
    let at = err.instance_path().as_str().to_string();
    match err.kind() {
        jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected }
            if unexpected.len() == 1 =>
        {
            format!(
                "{at}/{}",
                compose_yaml::parse::pointer_segment(&unexpected[0])
            )
        }
        _ => at,
    }
}

fn field_path(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.split('/').skip(1) {
        let part = part.replace("~1", "/").replace("~0", "~");
        if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_stream;

    fn check(text: &str, version: &str) -> Report {
        let nodes = parse_stream(text).unwrap();
        let objects: Vec<(&Node, Option<String>)> = nodes
            .iter()
            .map(|n| (n, Some("app.yaml".to_string())))
            .collect();
        validate(&objects, version).unwrap()
    }

    const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: ns}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers:\n      - name: api\n        image: shop/api:1.0\n        ports: [{containerPort: 8080}]\n";

    #[test]
    fn a_valid_deployment_passes_in_every_version() {
        for (v, _) in VERSIONS {
            let r = check(DEPLOYMENT, v);
            assert_eq!(r.problems, vec![], "{v}");
            assert_eq!(r.checked, 1);
        }
    }

    #[test]
    fn wrong_types_and_unknown_fields_name_object_field_and_file() {
        let bad = DEPLOYMENT
            .replace("replicas: 2", "replicas: two")
            .replace("containerPort: 8080", "containerPort: 8080, hostPortt: 1");
        let r = check(&bad, "1.29");
        let shown: Vec<String> = r.problems.iter().map(ToString::to_string).collect();
        assert_eq!(r.problems.len(), 2, "{shown:#?}");
        assert!(
            shown.iter().any(
                |p| p.starts_with("app.yaml: Deployment/ns/api: spec.replicas: ")
                    && p.contains("two")
            ),
            "{shown:#?}"
        );
        assert!(
            shown.iter().any(|p| p.starts_with(
                "app.yaml: Deployment/ns/api: spec.template.spec.containers[0].ports[0]: "
            ) && p.contains("hostPortt")),
            "{shown:#?}"
        );
    }

    const CRD: &str = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: widgets.example.com}\nspec:\n  group: example.com\n  names: {kind: Widget, plural: widgets}\n  scope: Namespaced\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n        type: object\n        properties:\n          spec:\n            type: object\n            required: [size]\n            properties:\n              size: {type: integer}\n              port: {x-kubernetes-int-or-string: true}\n              note: {type: string, nullable: true}\n              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}\n";

    #[test]
    fn custom_resources_are_checked_against_their_crd() {
        let good = "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3, port: http, note: null, extra: {anything: [1]}}\n";
        let r = check(&format!("{CRD}{good}"), "1.33");
        assert_eq!(r.problems, vec![], "a valid custom resource passes");
        assert_eq!((r.checked, r.skipped.clone()), (2, vec![]));
        let bad = "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: big, port: 8080, colour: red}\n";
        let r = check(&format!("{CRD}{bad}"), "1.33");
        let shown: Vec<String> = r.problems.iter().map(ToString::to_string).collect();
        assert_eq!(r.problems.len(), 2, "{shown:#?}");
        assert!(
            shown
                .iter()
                .any(|p| p.contains("Widget/w: spec.size: ") && p.contains("big")),
            "{shown:#?}"
        );
        assert!(
            shown
                .iter()
                .any(|p| p.contains("Widget/w: spec: ") && p.contains("colour")),
            "{shown:#?}"
        );
        // A schema the library refuses is reported on every object of the kind.
        let broken = CRD.replace("size: {type: integer}", "size: {type: 5}");
        let two = format!(
            "{broken}{good}---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w2}}\n"
        );
        let r = check(&two, "1.33");
        let shown: Vec<String> = r.problems.iter().map(ToString::to_string).collect();
        // The CRD itself breaks the API's own CRD schema too.
        assert_eq!((r.checked, r.problems.len()), (3, 3), "{shown:#?}");
        assert!(
            shown[0].contains("CustomResourceDefinition/widgets.example.com: spec.versions[0]"),
            "{shown:#?}"
        );
        for name in ["Widget/w:", "Widget/w2:"] {
            assert!(
                shown.iter().any(|p| p.contains(name)
                    && p.contains("schema for example.com/v1/Widget cannot be used")),
                "{shown:#?}"
            );
        }
        // Another version of the same kind has no schema: skipped, as before.
        let other = "---\napiVersion: example.com/v2\nkind: Widget\nmetadata: {name: w}\n";
        assert_eq!(
            check(&format!("{CRD}{other}"), "1.33").skipped,
            vec!["example.com/v2/Widget".to_string()]
        );
    }

    #[test]
    fn secret_values_stay_out_of_the_report() {
        let r = check("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: [hunter2-MARKER]\n", "1.33");
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        let shown = r.problems[0].to_string();
        assert!(
            shown.contains("stringData.password") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn versions_differ_where_the_api_did() {
        // `trafficDistribution` on Services arrived in 1.30.
        let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  trafficDistribution: PreferClose\n  ports: [{port: 80}]\n";
        assert_eq!(check(svc, "1.31").problems, vec![]);
        assert_eq!(check(svc, "v1.29").problems.len(), 1);
    }

    #[test]
    fn custom_kinds_are_skipped_and_unknown_versions_refused() {
        let r = check(
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n",
            "1.33",
        );
        assert_eq!(
            (r.checked, r.skipped.clone()),
            (0, vec!["example.com/v1/Widget".to_string()])
        );
        assert!(matches!(
            validate(&[], "1.12"),
            Err(Error::UnknownVersion(_))
        ));
    }
}
