//! Validation of merged values, one located diagnostic per violation.
//!
//! Every violation the schema finds is reported (not just the first),
//! each at the layer that supplied the offending value:
//! `values/dev.yaml:4:13: api.replicas: "three" is not of type integer`.
//! Unknown keys point at the key itself and suggest the closest known
//! name. After the schema, a few rules the schema cannot express are
//! checked the same way (an image tag needs the image's repository).

use super::suggest::did_you_mean;
use super::{display_path, known_keys, pointer_to_path, Seg};
use crate::diagnostic::Diagnostic;
use crate::values::Loaded;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

/// Validates `values` against `schema`; `components` are the project's
/// component names (for hints). Returns every problem, sorted by layer
/// and position.
pub fn validate(
    schema: &Value,
    values: &Loaded,
    components: &[String],
) -> Result<(), Vec<Diagnostic>> {
    let validator = match jsonschema::validator_for(schema) {
        Ok(v) => v,
        Err(e) => {
            return Err(vec![Diagnostic::new(format!(
                "internal error: the generated schema is invalid: {e}"
            ))])
        }
    };
    let tree = &values.tree;
    // (layer, line, col, diagnostic) for a stable, readable order.
    let mut found: Found = Vec::new();
    for err in validator.iter_errors(tree) {
        let pointer = err.instance_path().as_str().to_string();
        let path = pointer_to_path(&pointer, tree);
        let shown = display_path(&path);
        let instance = err.instance();
        match err.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    let child = format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"));
                    let mut child_path = path.clone();
                    child_path.push(Seg::Key(key.clone()));
                    let known = known_keys(schema, &path);
                    let mut d = Diagnostic {
                        origin: values.origin(&child, true),
                        message: format!("{}: unknown key `{key}`", display_path(&child_path)),
                        notes: Vec::new(),
                    };
                    if let Some(s) = did_you_mean(key, known.iter().map(String::as_str)) {
                        d = d.with_note(format!("help: did you mean `{s}`?"));
                    } else if path.is_empty() {
                        let list = if components.is_empty() {
                            "none".to_string()
                        } else {
                            components.join(", ")
                        };
                        d = d.with_note(format!(
                            "help: components are the directories under components/ ({list})"
                        ));
                    }
                    record(&mut found, values, &child, d);
                }
            }
            ValidationErrorKind::Type { kind } => {
                let wanted = match kind {
                    jsonschema::error::TypeKind::Single(t) => t.to_string(),
                    jsonschema::error::TypeKind::Multiple(ts) => ts
                        .iter()
                        .map(|t| t.to_string())
                        .filter(|t| t != "null")
                        .collect::<Vec<_>>()
                        .join(" or "),
                };
                let mut d = Diagnostic {
                    origin: values.origin(&pointer, false),
                    message: format!("{shown}: {} is not of type {wanted}", short(instance)),
                    notes: Vec::new(),
                };
                if wanted == "string" && (instance.is_number() || instance.is_boolean()) {
                    d = d.with_note("help: YAML read this as a number or boolean; put it in quotes to keep it a string");
                }
                record(&mut found, values, &pointer, d);
            }
            ValidationErrorKind::Pattern { pattern } => {
                let d = Diagnostic {
                    origin: values.origin(&pointer, false),
                    message: format!(
                        "{shown}: {} does not match the pattern `{pattern}`",
                        short(instance)
                    ),
                    notes: Vec::new(),
                };
                record(&mut found, values, &pointer, d);
            }
            ValidationErrorKind::Minimum { limit } => {
                let d = Diagnostic {
                    origin: values.origin(&pointer, false),
                    message: format!(
                        "{shown}: {} is less than the minimum of {limit}",
                        short(instance)
                    ),
                    notes: Vec::new(),
                };
                record(&mut found, values, &pointer, d);
            }
            ValidationErrorKind::Maximum { limit } => {
                let d = Diagnostic {
                    origin: values.origin(&pointer, false),
                    message: format!(
                        "{shown}: {} is greater than the maximum of {limit}",
                        short(instance)
                    ),
                    notes: Vec::new(),
                };
                record(&mut found, values, &pointer, d);
            }
            _ => {
                let d = Diagnostic {
                    origin: values.origin(&pointer, false),
                    message: format!("{shown}: {err}"),
                    notes: Vec::new(),
                };
                record(&mut found, values, &pointer, d);
            }
        }
    }
    if found.is_empty() {
        semantic_checks(values, components, &mut found);
    }
    if found.is_empty() {
        return Ok(());
    }
    found.sort_by_key(|f| (f.0, f.1, f.2));
    Err(found.into_iter().map(|(_, _, _, d)| d).collect())
}

/// Rules the schema cannot say: an image `tag` or `digest` is useless
/// without the `repository` kustomize must match.
fn semantic_checks(values: &Loaded, components: &[String], found: &mut Found) {
    for c in components {
        let Some(image) = values.tree.get(c).and_then(|v| v.get("image")) else {
            continue;
        };
        if image.get("repository").is_some() {
            continue;
        }
        for field in ["tag", "digest"] {
            if image.get(field).is_some() {
                let pointer = format!("/{c}/image/{field}");
                let d = Diagnostic {
                    origin: values.origin(&pointer, false),
                    message: format!("{c}.image.{field}: is set but {c}.image.repository is not"),
                    notes: vec![format!("help: set {c}.image.repository to the image name the manifests of components/{c} use")],
                };
                record(found, values, &pointer, d);
            }
        }
    }
}

/// Problems with their sort key: (layer, line, column).
type Found = Vec<(usize, usize, usize, Diagnostic)>;

fn record(found: &mut Found, values: &Loaded, pointer: &str, d: Diagnostic) {
    let layer = values.layer_index(pointer).unwrap_or(usize::MAX);
    let (line, col) = match &d.origin {
        Some(crate::diagnostic::Origin::File { line, col, .. }) => (line.unwrap_or(0), *col),
        _ => (0, 0),
    };
    found.push((layer, line, col, d));
}

/// A value for a message: JSON, shortened when long.
fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{file_layer, merge_layers};

    fn check(files: &[(&str, &str)]) -> Vec<String> {
        let comps = vec!["api".to_string(), "redis".to_string()];
        let schema = super::super::generate(&comps).unwrap();
        let layers = files
            .iter()
            .map(|(n, t)| file_layer(n, t).unwrap())
            .collect();
        let loaded = merge_layers(layers).unwrap();
        match validate(&schema, &loaded, &comps) {
            Ok(()) => vec![],
            Err(ds) => ds.iter().map(|d| d.render()).collect(),
        }
    }

    #[test]
    fn valid_values_pass() {
        assert!(check(&[("v.yaml", "namespace: x\napi:\n  enabled: true\n  replicas: 2\n  image:\n    repository: a/api\n    tag: \"1.10\"\n")]).is_empty());
    }

    #[test]
    fn every_violation_is_reported_at_its_layer() {
        let out = check(&[
            (
                "base.yaml",
                "api:\n  replicas: 1\n  image:\n    repository: a\n",
            ),
            (
                "dev.yaml",
                "api:\n  replicas: three\n  enabled: yes\nreddis:\n  enabled: true\n",
            ),
        ]);
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(
            out[0].starts_with("dev.yaml:2:13: api.replicas: \"three\" is not of type integer\n"),
            "{}",
            out[0]
        );
        assert!(
            out[1].starts_with("dev.yaml:3:12: api.enabled: \"yes\" is not of type boolean\n"),
            "{}",
            out[1]
        );
        assert!(
            out[2].starts_with("dev.yaml:4:1: reddis: unknown key `reddis`\n"),
            "{}",
            out[2]
        );
        assert!(out[2].contains("help: did you mean `redis`?"), "{}", out[2]);
    }

    #[test]
    fn numeric_tag_gets_a_quoting_hint() {
        let out = check(&[(
            "v.yaml",
            "api:\n  image:\n    repository: a\n    tag: 1.10\n",
        )]);
        assert_eq!(out.len(), 1);
        assert!(
            out[0].starts_with("v.yaml:4:10: api.image.tag: 1.1 is not of type string\n"),
            "{}",
            out[0]
        );
        assert!(out[0].contains("put it in quotes"));
    }

    #[test]
    fn tag_without_repository_is_reported() {
        let out = check(&[("v.yaml", "api:\n  image:\n    tag: v1\n")]);
        assert_eq!(out.len(), 1);
        assert!(
            out[0].starts_with(
                "v.yaml:3:10: api.image.tag: is set but api.image.repository is not\n"
            ),
            "{}",
            out[0]
        );
    }

    #[test]
    fn negative_replicas_and_nested_unknown_key() {
        let out = check(&[("v.yaml", "api:\n  replicas: -1\n  replica: 2\n")]);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(
            out[0].starts_with("v.yaml:2:13: api.replicas: -1 is less than the minimum of 0\n"),
            "{}",
            out[0]
        );
        assert!(
            out[1].starts_with("v.yaml:3:3: api.replica: unknown key `replica`\n"),
            "{}",
            out[1]
        );
        assert!(out[1].contains("did you mean `replicas`?"));
    }
}
