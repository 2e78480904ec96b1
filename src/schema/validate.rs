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
    // (layer, line, col, diagnostic) for a stable, readable order.
    let mut found: Found = Vec::new();
    for err in validator.iter_errors(&values.tree) {
        report(&err, schema, values, components, &mut found);
    }
    if found.is_empty() {
        return Ok(());
    }
    found.sort_by_key(|f| (f.0, f.1, f.2));
    Err(found.into_iter().map(|(_, _, _, d)| d).collect())
}

/// The errors of the one branch of an `anyOf` that is not `null` (how an
/// optional value is written), when there is exactly one: what the user
/// got wrong is inside that branch.
fn optional_branch<'e>(
    context: &'e [Vec<jsonschema::ValidationError<'static>>],
) -> Option<&'e [jsonschema::ValidationError<'static>]> {
    let is_null_branch = |errs: &Vec<jsonschema::ValidationError>| {
        errs.len() == 1
            && matches!(errs[0].kind(), ValidationErrorKind::Type { kind: jsonschema::error::TypeKind::Single(t) } if t.to_string() == "null")
    };
    let rest: Vec<&Vec<jsonschema::ValidationError>> =
        context.iter().filter(|b| !is_null_branch(b)).collect();
    match rest.as_slice() {
        [only] if rest.len() < context.len() => Some(only.as_slice()),
        _ => None,
    }
}

/// Turns one violation into diagnostics.
fn report(
    err: &jsonschema::ValidationError,
    schema: &Value,
    values: &Loaded,
    components: &[String],
    found: &mut Found,
) {
    let tree = &values.tree;
    {
        if let ValidationErrorKind::AnyOf { context } = err.kind() {
            if let Some(branch) = optional_branch(context) {
                for e in branch {
                    report(e, schema, values, components, found);
                }
                return;
            }
        }
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
                        d = d.with_note(format!("help: the project's components are {list}"));
                    }
                    record(found, values, &child, d);
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
                record(found, values, &pointer, d);
            }
            ValidationErrorKind::Pattern { pattern } => {
                let d = Diagnostic {
                    origin: values.origin(&pointer, false),
                    message: pattern_message(&shown, instance, pattern),
                    notes: Vec::new(),
                };
                record(found, values, &pointer, d);
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
                record(found, values, &pointer, d);
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
                record(found, values, &pointer, d);
            }
            _ => {
                let d = Diagnostic {
                    origin: values.origin(&pointer, false),
                    message: format!("{shown}: {err}"),
                    notes: Vec::new(),
                };
                record(found, values, &pointer, d);
            }
        }
    }
}

/// Grammars with a name of their own, for messages: (pattern, what a
/// value must be, examples).
const NAMED_PATTERNS: &[(&str, &str)] = &[(
    super::component::QUANTITY_PATTERN,
    "is not a Kubernetes quantity (such as 500m, 2, 1.5, 512Mi or 2Gi)",
)];

fn pattern_message(shown: &str, instance: &Value, pattern: &str) -> String {
    match NAMED_PATTERNS.iter().find(|(p, _)| *p == pattern) {
        Some((_, what)) => format!("{shown}: {} {what}", short(instance)),
        None => format!(
            "{shown}: {} does not match the pattern `{pattern}`",
            short(instance)
        ),
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
        let infos: Vec<_> = comps
            .iter()
            .map(|c| super::super::ComponentInfo::named(c))
            .collect();
        let schema = super::super::generate(&infos, &Default::default()).unwrap();
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
    fn quantities_follow_the_kubernetes_grammar() {
        let out = check(&[("v.yaml", "api:\n  resources:\n    limits:\n      cpu: 2x\n      memory: 512Mi\n    requests:\n      cpu: 0.5\n")]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(
            out[0].starts_with("v.yaml:4:12: api.resources.limits.cpu: \"2x\" is not a Kubernetes quantity (such as 500m, 2, 1.5, 512Mi or 2Gi)\n"),
            "{}",
            out[0]
        );
        let out = check(&[("v.yaml", "api:\n  resources:\n    limit:\n      cpu: 1\n")]);
        assert!(
            out[0].contains("help: did you mean `limits`?"),
            "{}",
            out[0]
        );
        let out = check(&[("v.yaml", "api:\n  env:\n    \"BAD NAME\": x\n")]);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].starts_with("v.yaml:3:"), "{}", out[0]);
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
