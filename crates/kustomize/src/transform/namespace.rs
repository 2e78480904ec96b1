//! The namespace transformer: `namespace:` and the NamespaceTransformer
//! configuration form (`metadata.namespace`, `fieldSpecs`, `unsetOnly`,
//! `setRoleBindingSubjects`).
//!
//! kustomize v5.5.0's rules, checked against kubectl:
//! - `metadata/namespace` is never taken from the field specs; it is set
//!   (created if missing) on every object whose type is not known to be
//!   cluster-scoped. Unknown kinds are namespaced;
//! - a `metadata/name` spec only applies to objects of `apiVersion: v1`,
//!   so the v1 Namespace object is renamed to the namespace;
//! - RoleBinding/ClusterRoleBinding subjects are handled by mode, whatever
//!   `subjects/namespace` specs say: `defaultOnly` (the default, and what a
//!   kustomization's `namespace:` uses) sets subjects named `default` of
//!   any kind, `allServiceAccounts` sets subjects of kind ServiceAccount,
//!   `none` sets nothing;
//! - every other spec is set as a string, created where it says `create`;
//! - `unsetOnly` only fills fields that are missing, null or empty;
//! - empty objects are skipped, and two objects may not end up with the
//!   same identity.

use super::{is_nil_or_empty, wrong_kind};
use crate::config::{apply_field_spec, effective_id, gvk_of, is_namespaced, CreateKind, FieldSpec};
use crate::error::{Error, Result};
use crate::parallel;
use crate::resource::{ResId, Resource};
use compose_yaml::Node;
use rustc_hash::FxHashMap as HashMap;

/// Which RoleBinding/ClusterRoleBinding subjects receive the namespace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum SubjectMode {
    /// Subjects named `default` (kustomize's default).
    #[default]
    DefaultOnly,
    /// Subjects of kind ServiceAccount.
    AllServiceAccounts,
    /// No subjects.
    None,
}

impl SubjectMode {
    /// Parses `setRoleBindingSubjects`; empty means the default.
    pub(crate) fn parse(s: &str) -> Result<SubjectMode> {
        match s {
            "" | "defaultOnly" => Ok(SubjectMode::DefaultOnly),
            "allServiceAccounts" => Ok(SubjectMode::AllServiceAccounts),
            "none" => Ok(SubjectMode::None),
            other => Err(Error::transformer(format!(
                "invalid value \"{other}\" for setRoleBindingSubjects: must be one of \"defaultOnly\", \"none\" or \"allServiceAccounts\""
            ))),
        }
    }
}

/// Options of the NamespaceTransformer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NamespaceOptions {
    /// Only set fields that have no value yet.
    pub(crate) unset_only: bool,
    /// Which binding subjects to set.
    pub(crate) subjects: SubjectMode,
}

/// Moves resources to `namespace`. Nothing happens when it is empty.
pub(crate) fn set_namespace(
    resources: &mut [Resource],
    namespace: &str,
    specs: &[FieldSpec],
    opts: NamespaceOptions,
) -> Result<()> {
    set_namespace_on(resources, namespace, specs, opts, 1)
}

/// [`set_namespace`] on up to `threads` threads when there are many
/// objects. Each object moves on its own; the check that no two objects
/// end up with the same identity then runs over the list in order, so it
/// fails at the same object as one pass, and a failure to move an object
/// is reported where one pass would meet it.
pub(crate) fn set_namespace_on(
    resources: &mut [Resource],
    namespace: &str,
    specs: &[FieldSpec],
    opts: NamespaceOptions,
    threads: usize,
) -> Result<()> {
    if namespace.is_empty() {
        return Ok(());
    }
    // counts of effective identities, kept current as objects move, so the
    // conflict check after each object is a lookup
    let mut counts: HashMap<ResId, usize> = HashMap::default();
    for r in resources.iter() {
        *counts.entry(effective_id(r.id())).or_insert(0) += 1;
    }
    // Per chunk: (position, effective identity before and after) of each
    // object moved, in order, and the failure that stopped the chunk.
    type Moves = (Vec<(usize, ResId, ResId)>, Option<Error>);
    let chunks = parallel::chunks_mut(
        resources,
        threads,
        parallel::MIN_OBJECTS_PER_SPLIT,
        |start, chunk| -> Moves {
            let mut moved = Vec::with_capacity(chunk.len());
            for (k, r) in chunk.iter_mut().enumerate() {
                if is_nil_or_empty(&r.node) {
                    continue;
                }
                let before = effective_id(r.id());
                r.remember_id();
                if let Err(e) = transform_one(r, namespace, specs, opts) {
                    return (moved, Some(e));
                }
                moved.push((start + k, before, effective_id(r.id())));
            }
            (moved, None)
        },
    );
    for (moved, failure) in chunks {
        for (i, before, after) in moved {
            if after != before {
                if let Some(c) = counts.get_mut(&before) {
                    *c = c.saturating_sub(1);
                }
                *counts.entry(after.clone()).or_insert(0) += 1;
            }
            if counts.get(&after).copied().unwrap_or(0) != 1 {
                return Err(Error::transformer(format!(
                    "namespace transformation produces ID conflict: {}",
                    resources[i].id()
                )));
            }
        }
        if let Some(e) = failure {
            return Err(e);
        }
    }
    Ok(())
}

/// Sets one object's namespace as kustomize's namespace filter does on
/// its own (no field specs, default options, no conflict check and no
/// record of the earlier identity), as the value-add transformer uses it.
pub(crate) fn move_to_namespace(r: &mut Resource, namespace: &str) -> Result<()> {
    transform_one(r, namespace, &[], NamespaceOptions::default())
}

fn setter<'a>(namespace: &'a str, unset_only: bool) -> impl FnMut(&mut Node) -> Result<()> + 'a {
    move |n: &mut Node| {
        if unset_only && !matches!(n, Node::Null) && n.as_str() != Some("") {
            return Ok(());
        }
        match n {
            Node::Map(_) | Node::Seq(_) => Err(Error::transformer(format!(
                "namespace field specs must target scalar nodes: {}",
                wrong_kind("ScalarNode", n)
            ))),
            _ => {
                *n = Node::str(namespace);
                Ok(())
            }
        }
    }
}

fn transform_one(
    r: &mut Resource,
    namespace: &str,
    specs: &[FieldSpec],
    opts: NamespaceOptions,
) -> Result<()> {
    let gvk = gvk_of(&r.node);
    let is_v1 = r.node.str_at(&["apiVersion"]) == Some("v1");
    let is_binding = gvk.kind == "RoleBinding" || gvk.kind == "ClusterRoleBinding";
    let mut set = setter(namespace, opts.unset_only);

    if is_namespaced(&gvk) {
        let meta = FieldSpec::new("", "", "", "metadata/namespace", true);
        apply_field_spec(&mut r.node, &meta, Some(CreateKind::Scalar), &mut set)?;
    }
    if is_binding {
        set_subjects(&mut r.node, opts, &mut set)?;
    }
    for spec in specs {
        if spec.path == "metadata/namespace" || (!is_v1 && spec.path == "metadata/name") {
            continue;
        }
        let spec_is_binding =
            spec.gvk.kind == "RoleBinding" || spec.gvk.kind == "ClusterRoleBinding";
        if is_binding && spec_is_binding && spec.path == "subjects/namespace" {
            continue;
        }
        apply_field_spec(&mut r.node, spec, Some(CreateKind::Scalar), &mut set)
            .map_err(|e| Error::transformer(format!("namespace transformation failed: {e}")))?;
    }
    Ok(())
}

fn set_subjects(
    node: &mut Node,
    opts: NamespaceOptions,
    set: &mut dyn FnMut(&mut Node) -> Result<()>,
) -> Result<()> {
    let (field, want) = match opts.subjects {
        SubjectMode::None => return Ok(()),
        SubjectMode::DefaultOnly => ("name", "default"),
        SubjectMode::AllServiceAccounts => ("kind", "ServiceAccount"),
    };
    let subjects = match node.get_mut("subjects") {
        None | Some(Node::Null) => return Ok(()),
        Some(Node::Seq(items)) => items,
        Some(other) => return Err(wrong_kind("SequenceNode", other)),
    };
    for subject in subjects.iter_mut() {
        let m = match subject {
            Node::Map(m) => m,
            Node::Null => continue,
            other => return Err(wrong_kind("MappingNode", other)),
        };
        if m.get(field).and_then(Node::scalar_text).as_deref() != Some(want) {
            continue;
        }
        let slot = m.entry_or_insert_with("namespace", || Node::str(""));
        set(slot)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TransformerConfig;

    use crate::resource::resources_of as resources;

    const INPUT: &str = r#"apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
  namespace: oldns
subjects:
- kind: ServiceAccount
  name: default
- kind: ServiceAccount
  name: foo
- kind: ServiceAccount
  name: bar
  namespace: other
- kind: User
  name: default
---
apiVersion: v1
kind: Namespace
metadata:
  name: something
---
apiVersion: example.com/v1
kind: Namespace
metadata:
  name: something2
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: vw
webhooks:
- name: a
  clientConfig:
    service:
      name: svc
      namespace: oldns
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: api
spec:
  service:
    name: s
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crd
spec:
  conversion:
    webhook:
      clientConfig:
        service:
          name: s
          namespace: x
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
---
apiVersion: foo/v1
kind: ClusterRole
metadata:
  name: cr
"#;

    #[test]
    fn kustomization_namespace() {
        // oracle: `namespace: newns` over INPUT
        let tc = TransformerConfig::default();
        let mut rs = resources(INPUT);
        set_namespace(&mut rs, "newns", &tc.namespace, NamespaceOptions::default()).unwrap();
        let want = resources(
            r#"apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: rb
  namespace: newns
subjects:
- kind: ServiceAccount
  name: default
  namespace: newns
- kind: ServiceAccount
  name: foo
- kind: ServiceAccount
  name: bar
  namespace: other
- kind: User
  name: default
  namespace: newns
---
apiVersion: v1
kind: Namespace
metadata:
  name: newns
---
apiVersion: example.com/v1
kind: Namespace
metadata:
  name: something2
  namespace: newns
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: vw
webhooks:
- name: a
  clientConfig:
    service:
      name: svc
      namespace: oldns
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: api
spec:
  service:
    name: s
    namespace: newns
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crd
spec:
  conversion:
    webhook:
      clientConfig:
        service:
          name: s
          namespace: newns
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
  namespace: newns
---
apiVersion: foo/v1
kind: ClusterRole
metadata:
  name: cr
  namespace: newns
"#,
        );
        let got: Vec<Node> = rs.iter().map(|r| r.node.clone()).collect();
        let want: Vec<Node> = want.iter().map(|r| r.node.clone()).collect();
        assert_eq!(got, want);
        // identities are remembered for name references
        assert_eq!(rs[0].original_id().namespace, "oldns");
        assert_eq!(rs[1].original_id().name, "something");
    }

    #[test]
    fn unset_only_and_subject_modes() {
        // oracle: NamespaceTransformer with unsetOnly: true and each mode
        let specs = vec![
            FieldSpec::new("", "", "", "metadata/namespace", true),
            FieldSpec::new("", "", "RoleBinding", "subjects/namespace", false),
            FieldSpec::new("", "", "Namespace", "metadata/name", false),
        ];
        let cases = [
            (
                SubjectMode::AllServiceAccounts,
                [Some("newns"), Some("newns"), Some("other"), None],
            ),
            (SubjectMode::None, [None, None, Some("other"), None]),
            (
                SubjectMode::DefaultOnly,
                [Some("newns"), None, Some("other"), Some("newns")],
            ),
        ];
        for (mode, want) in cases {
            let mut rs = resources(INPUT);
            set_namespace(
                &mut rs,
                "newns",
                &specs,
                NamespaceOptions {
                    unset_only: true,
                    subjects: mode,
                },
            )
            .unwrap();
            assert_eq!(rs[0].namespace(), "oldns");
            assert_eq!(rs[1].name(), "something");
            let subjects = rs[0].node.get("subjects").and_then(Node::as_seq).unwrap();
            let got: Vec<Option<&str>> =
                subjects.iter().map(|s| s.str_at(&["namespace"])).collect();
            assert_eq!(got, want.to_vec(), "{mode:?}");
            assert_eq!(rs[6].namespace(), "newns");
        }
        assert_eq!(
            SubjectMode::parse("bogus").err().map(|e| e.to_string()).as_deref(),
            Some("invalid value \"bogus\" for setRoleBindingSubjects: must be one of \"defaultOnly\", \"none\" or \"allServiceAccounts\""));
    }

    #[test]
    fn exact_default_match_and_empty_namespace() {
        // oracle: only the subject named exactly `default` changes; an empty
        // or null metadata.namespace is replaced
        let mut rs = resources("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: rb\nsubjects:\n- kind: ServiceAccount\n  name: default-foo\n- kind: ServiceAccount\n  name: Default\n- name: default\n  namespace: \"\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: \"\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm2\n  namespace: null\n");
        set_namespace(
            &mut rs,
            "newns",
            &TransformerConfig::default().namespace,
            NamespaceOptions::default(),
        )
        .unwrap();
        let subjects = rs[0].node.get("subjects").and_then(Node::as_seq).unwrap();
        let got: Vec<Option<&str>> = subjects.iter().map(|s| s.str_at(&["namespace"])).collect();
        assert_eq!(got, vec![None, None, Some("newns")]);
        assert_eq!(rs[0].namespace(), "");
        assert_eq!(rs[1].namespace(), "newns");
        assert_eq!(rs[2].namespace(), "newns");
    }

    #[test]
    fn split_over_threads_like_one_pass() {
        // 600 ConfigMaps in namespaces x and y; `clash` is the name of the
        // ones that end up the same, `bad` of one whose namespace field is
        // a mapping, which cannot be set.
        let build = |clash: &[usize], bad: Option<usize>| {
            let mut text = String::new();
            for i in 0..600 {
                let name = if clash.contains(&i) {
                    "same".to_string()
                } else {
                    format!("cm{i}")
                };
                let ns = if Some(i) == bad {
                    "{a: b}".to_string()
                } else {
                    ["x", "y"][i % 2].to_string()
                };
                text.push_str(&format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n"));
            }
            resources(&text)
        };
        let run = |clash: &[usize], bad: Option<usize>, threads: usize| {
            let mut rs = build(clash, bad);
            let r = set_namespace_on(&mut rs, "z", &[], NamespaceOptions::default(), threads)
                .map_err(|e| e.to_string());
            (r, rs.iter().map(|r| r.node.to_string()).collect::<Vec<_>>())
        };
        let cases: [(&[usize], Option<usize>); 5] = [
            (&[], None),
            (&[10, 500], None),
            (&[400, 401], Some(550)),
            (&[400, 401], Some(20)),
            (&[], Some(599)),
        ];
        for (clash, bad) in cases {
            let (want, moved) = run(clash, bad, 1);
            for threads in [2, 3] {
                let (got, got_moved) = run(clash, bad, threads);
                assert_eq!(got, want, "clash={clash:?} bad={bad:?} threads={threads}");
                if want.is_ok() {
                    assert_eq!(got_moved, moved);
                }
            }
            match (clash, bad) {
                ([], None) => assert!(want.is_ok()),
                ([10, 500], _) | ([400, 401], Some(550)) => assert!(
                    want.as_ref()
                        .is_err_and(|e| e.contains("ID conflict") && e.contains("same")),
                    "{want:?}"
                ),
                _ => assert!(
                    want.as_ref().is_err_and(
                        |e| e.contains("namespace field specs must target scalar nodes")
                    ),
                    "{want:?}"
                ),
            }
        }
    }

    #[test]
    fn conflicts_and_empty() {
        // `default` and no namespace are the same place
        let mut rs = resources("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n");
        assert_eq!(
            set_namespace(&mut rs, "default", &[], NamespaceOptions::default())
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("namespace transformation produces ID conflict: ConfigMap.v1.[noGrp]/a.default")
        );
        // moving one object out of a clash is fine
        let mut rs = resources("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: y\n");
        set_namespace(&mut rs, "z", &[], NamespaceOptions::default()).unwrap();
        let mut rs = resources("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: y\n");
        assert_eq!(
            set_namespace(&mut rs, "z", &[], NamespaceOptions::default())
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("namespace transformation produces ID conflict: ConfigMap.v1.[noGrp]/a.z")
        );
        let mut rs = resources("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n");
        set_namespace(&mut rs, "", &[], NamespaceOptions::default()).unwrap();
        assert_eq!(rs[0].namespace(), "");
        let mut rs = resources(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: {a: b}\n",
        );
        assert_eq!(
            set_namespace(&mut rs, "z", &[], NamespaceOptions::default()).err().map(|e| e.to_string()).as_deref(),
            Some("considering field 'metadata/namespace' of object ConfigMap.v1.[noGrp]/a.[noNs]: namespace field specs must target scalar nodes: wrong node kind: expected ScalarNode but got MappingNode: node contents:\n{\"a\":\"b\"}"));
    }
}
