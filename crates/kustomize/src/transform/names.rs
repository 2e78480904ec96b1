//! Name prefixes and suffixes: `namePrefix`, `nameSuffix`, and the
//! PrefixTransformer, SuffixTransformer and legacy PrefixSuffixTransformer
//! configuration forms.
//!
//! kustomize never renames CustomResourceDefinitions (any group),
//! APIServices of `apiregistration.k8s.io`, or Namespaces (any group); the
//! kinds are judged by the identity the object had when first loaded. For
//! the `metadata/name` spec the prefix/suffix is recorded in the
//! resource's build facts (name references use them) and the identity
//! before the rename is remembered. The new value is always a string.

use super::{scalar_value, set_scalar_string, wrong_kind};
use crate::config::{apply_field_spec, CreateKind, FieldSpec};
use crate::error::Result;
use crate::resource::{Gvk, Resource};

/// Adds `prefix` to the fields `specs` name.
pub(crate) fn add_prefix(
    resources: &mut [Resource],
    prefix: &str,
    specs: &[FieldSpec],
) -> Result<()> {
    affix(resources, prefix, "", specs)
}

/// Adds `suffix` to the fields `specs` name.
pub(crate) fn add_suffix(
    resources: &mut [Resource],
    suffix: &str,
    specs: &[FieldSpec],
) -> Result<()> {
    affix(resources, "", suffix, specs)
}

/// Adds both at once (the legacy PrefixSuffixTransformer).
pub(crate) fn add_prefix_suffix(
    resources: &mut [Resource],
    prefix: &str,
    suffix: &str,
    specs: &[FieldSpec],
) -> Result<()> {
    affix(resources, prefix, suffix, specs)
}

fn skipped(gvk: &Gvk) -> bool {
    gvk.kind == "CustomResourceDefinition"
        || gvk.kind == "Namespace"
        || (gvk.kind == "APIService" && gvk.group == "apiregistration.k8s.io")
}

fn affix(
    resources: &mut [Resource],
    prefix: &str,
    suffix: &str,
    specs: &[FieldSpec],
) -> Result<()> {
    for r in resources.iter_mut() {
        let original = r.original_id().gvk;
        if skipped(&original) {
            continue;
        }
        for spec in specs {
            if !spec.gvk.selects(&original) {
                continue;
            }
            if spec.path == "metadata/name" {
                if !prefix.is_empty() {
                    r.meta.prefixes.push(prefix.to_string());
                }
                if !suffix.is_empty() {
                    r.meta.suffixes.push(suffix.to_string());
                }
                if !prefix.is_empty() || !suffix.is_empty() {
                    r.remember_id();
                }
            }
            apply_field_spec(&mut r.node, spec, Some(CreateKind::Scalar), &mut |n| {
                let Some(old) = scalar_value(n) else {
                    return Err(wrong_kind("ScalarNode", n));
                };
                set_scalar_string(n, format!("{prefix}{old}{suffix}"))
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TransformerConfig;
    use compose_yaml::Node;

    use crate::resource::resources_of as resources;

    const MIXED: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: crd\n---\napiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata:\n  name: api\n---\napiVersion: foo/v1\nkind: APIService\nmetadata:\n  name: api2\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 23\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: cr\n";

    #[test]
    fn prefix_then_suffix_then_prefix_transformer() {
        // oracle: namePrefix p-, nameSuffix -s, then a PrefixTransformer "1"
        let tc = TransformerConfig::default();
        let mut rs = resources(MIXED);
        add_prefix(&mut rs, "p-", &tc.name_prefix).unwrap();
        add_suffix(&mut rs, "-s", &tc.name_suffix).unwrap();
        add_prefix(
            &mut rs,
            "1",
            &[FieldSpec::new("", "", "", "metadata/name", false)],
        )
        .unwrap();
        let names: Vec<&str> = rs.iter().map(|r| r.name()).collect();
        assert_eq!(
            names,
            vec!["ns", "crd", "api", "1p-api2-s", "1p-23-s", "1p-cr-s"]
        );
        // the numeric name became a string
        assert_eq!(
            rs[4].node.get_path(&["metadata", "name"]),
            Some(&Node::str("1p-23-s"))
        );
        assert_eq!(rs[5].meta.prefixes, vec!["p-".to_string(), "1".to_string()]);
        assert_eq!(rs[5].meta.suffixes, vec!["-s".to_string()]);
        let history: Vec<&str> = rs[5]
            .meta
            .previous_ids
            .iter()
            .map(|id| id.name.as_str())
            .collect();
        assert_eq!(history, vec!["cr", "p-cr", "p-cr-s"]);
        assert!(rs[0].meta.previous_ids.is_empty());
    }

    #[test]
    fn legacy_prefix_suffix() {
        // oracle case: PrefixSuffixTransformer baked-/-pie on a Service apple
        let mut rs = resources("apiVersion: v1\nkind: Service\nmetadata:\n  name: apple\n");
        add_prefix_suffix(
            &mut rs,
            "baked-",
            "-pie",
            &[FieldSpec::new("", "", "", "metadata/name", false)],
        )
        .unwrap();
        assert_eq!(rs[0].name(), "baked-apple-pie");
        assert_eq!(rs[0].original_id().name, "apple");
    }

    #[test]
    fn other_fields_and_creation() {
        let mut rs = resources("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec: {}\n");
        let specs = [
            FieldSpec::new("", "", "Pod", "spec/other", true),
            FieldSpec::new("", "", "Pod", "spec/no", false),
        ];
        add_prefix(&mut rs, "x-", &specs).unwrap();
        assert_eq!(
            rs[0].node.get_path(&["spec", "other"]),
            Some(&Node::str("x-"))
        );
        assert_eq!(rs[0].node.get_path(&["spec", "no"]), None);
        assert_eq!(rs[0].name(), "a");
        assert!(rs[0].meta.prefixes.is_empty());
        let mut rs = resources("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {a: b}\n");
        assert_eq!(
            (add_prefix(
                &mut rs,
                "x-",
                &[FieldSpec::new("", "", "", "metadata/name", false)],
            )).err().map(|e| e.to_string()).as_deref(),
            Some("considering field 'metadata/name' of object Pod.v1.[noGrp]/[noName].[noNs]: wrong node kind: expected ScalarNode but got MappingNode: node contents:\n{\"a\":\"b\"}"));
    }
}
