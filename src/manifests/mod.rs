//! Offline validation of rendered objects against the Kubernetes API
//! schema of a chosen minor version, as kubeval/kubeconform do, but with
//! the schemas built in and no network.
//!
//! The schemas are the API's OpenAPI definitions in JSON Schema form with
//! `additionalProperties: false` (so a misspelled field is caught), made
//! compact by `tools/gen-k8s-schemas.py`: descriptions dropped, about
//! 250 KB a version. A version's schema is parsed only when `compose
//! validate` asks for it, and each kind's validator is compiled once.

use crate::kustomize::yaml::{json, Node};
use serde_json::Value;
use std::collections::HashMap;

/// The embedded versions, oldest first; the last is the default.
pub const VERSIONS: &[(&str, &str)] = &[
    ("1.29", include_str!("schemas/v1.29.json")),
    ("1.31", include_str!("schemas/v1.31.json")),
    ("1.33", include_str!("schemas/v1.33.json")),
];

/// The version used when none is asked for.
pub fn default_version() -> &'static str {
    VERSIONS.last().map_or("", |(v, _)| v)
}

/// One schema violation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// `Kind/namespace/name` (or `Kind/name`).
    pub object: String,
    /// The file the object came from, when known.
    pub source: Option<String>,
    /// The field, e.g. `spec.template.spec.containers[0].image`.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(s) = &self.source {
            write!(f, "{s}: ")?;
        }
        write!(f, "{}: {}: {}", self.object, if self.field.is_empty() { "(object)" } else { &self.field }, self.message)
    }
}

/// What validation found: problems, and the kinds it has no schema for.
#[derive(Debug, Default)]
pub struct Report {
    /// Violations, in object order.
    pub problems: Vec<Problem>,
    /// `apiVersion/kind` of objects skipped for want of a schema (custom
    /// resources), each once.
    pub skipped: Vec<String>,
    /// How many objects were checked.
    pub checked: usize,
}

/// Errors of the validator itself.
#[derive(Debug)]
pub enum Error {
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
                write!(f, "Kubernetes version `{v}` is not built in; known: {}", known.join(", "))
            }
            Error::Schema(m) => write!(f, "internal error: embedded Kubernetes schema: {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// Checks every object (with the file it came from, when known) against
/// the schema of Kubernetes `version` (`1.29`, or `v1.29`).
pub fn validate(objects: &[(Node, Option<String>)], version: &str) -> Result<Report, Error> {
    let v = version.trim_start_matches('v');
    let v = v.split('.').take(2).collect::<Vec<_>>().join(".");
    let text = VERSIONS.iter().find(|(k, _)| *k == v).map(|(_, t)| *t).ok_or_else(|| Error::UnknownVersion(version.to_string()))?;
    let doc: Value = serde_json::from_str(text).map_err(|e| Error::Schema(e.to_string()))?;
    let kinds = doc.get("kinds").and_then(Value::as_object).ok_or_else(|| Error::Schema("no kinds".into()))?;
    let defs = doc.get("$defs").cloned().unwrap_or(Value::Null);
    let mut validators: HashMap<String, jsonschema::Validator> = HashMap::new();
    let mut report = Report::default();
    for (o, source) in objects {
        let api = o.str_at(&["apiVersion"]).unwrap_or("");
        let kind = o.str_at(&["kind"]).unwrap_or("");
        let key = format!("{api}/{kind}");
        let Some(def) = kinds.get(&key).and_then(Value::as_str) else {
            if !report.skipped.contains(&key) {
                report.skipped.push(key);
            }
            continue;
        };
        report.checked += 1;
        if !validators.contains_key(def) {
            let schema = serde_json::json!({"$ref": format!("#/$defs/{def}"), "$defs": defs});
            let compiled = jsonschema::validator_for(&schema).map_err(|e| Error::Schema(format!("{def}: {e}")))?;
            validators.insert(def.to_string(), compiled);
        }
        let Some(validator) = validators.get(def) else { continue };
        let instance: Value = serde_json::from_str(&json::to_json(o)).map_err(|e| Error::Schema(e.to_string()))?;
        let object = crate::deploy::object_label(o);
        // The schema library quotes the value it rejected; a Secret's
        // values stay out of the report.
        let secrets = crate::kustomize::redact::Secrets::of_objects([o]);
        for err in validator.iter_errors(&instance) {
            report.problems.push(Problem {
                object: object.clone(),
                source: source.clone(),
                field: field_path(err.instance_path().as_str()),
                message: secrets.scrub(&err.to_string()),
            });
        }
    }
    Ok(report)
}

/// `/spec/containers/0/image` -> `spec.containers[0].image`.
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
    use crate::kustomize::yaml::parse_stream;

    fn check(text: &str, version: &str) -> Report {
        let objects: Vec<(Node, Option<String>)> = parse_stream(text).unwrap().into_iter().map(|n| (n, Some("app.yaml".to_string()))).collect();
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
        let bad = DEPLOYMENT.replace("replicas: 2", "replicas: two").replace("containerPort: 8080", "containerPort: 8080, hostPortt: 1");
        let r = check(&bad, "1.29");
        let shown: Vec<String> = r.problems.iter().map(ToString::to_string).collect();
        assert_eq!(r.problems.len(), 2, "{shown:#?}");
        assert!(shown.iter().any(|p| p.starts_with("app.yaml: Deployment/ns/api: spec.replicas: ") && p.contains("two")), "{shown:#?}");
        assert!(shown.iter().any(|p| p.starts_with("app.yaml: Deployment/ns/api: spec.template.spec.containers[0].ports[0]: ") && p.contains("hostPortt")), "{shown:#?}");
    }

    #[test]
    fn secret_values_stay_out_of_the_report() {
        let r = check("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: [hunter2-MARKER]\n", "1.33");
        assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
        let shown = r.problems[0].to_string();
        assert!(shown.contains("stringData.password") && !shown.contains("hunter2"), "{shown}");
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
        let r = check("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n", "1.33");
        assert_eq!((r.checked, r.skipped.clone()), (0, vec!["example.com/v1/Widget".to_string()]));
        assert!(matches!(validate(&[], "1.12"), Err(Error::UnknownVersion(_))));
    }
}
