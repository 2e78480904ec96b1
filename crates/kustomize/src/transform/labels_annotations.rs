//! Labels and annotations: `commonLabels`, `labels:` entries,
//! `commonAnnotations`, and their LabelTransformer/AnnotationsTransformer
//! configuration forms.
//!
//! Each pair is set, as a string, in every mapping the field specs name;
//! mappings missing along the way are created where a spec says `create`.
//! A field that holds a scalar or a sequence is an error; a null one is
//! left alone.

use super::set_map_entry;
use crate::config::{
    self, apply_field_specs, merge_all, merge_one, CreateKind, FieldSpec, TransformerConfig,
};
use crate::error::{Error, Result};
use crate::resource::Resource;
use compose_yaml::{Mapping, Node};
use std::collections::BTreeMap;

/// Adds `labels` at every field `specs` name, in every resource.
/// Nothing happens when `labels` is empty.
pub(crate) fn add_labels(
    resources: &mut [Resource],
    labels: &BTreeMap<String, String>,
    specs: &[FieldSpec],
) -> Result<()> {
    add_pairs(resources, labels, specs)
}

/// Adds `annotations` at every field `specs` name, in every resource.
/// Nothing happens when `annotations` is empty.
pub(crate) fn add_annotations(
    resources: &mut [Resource],
    annotations: &BTreeMap<String, String>,
    specs: &[FieldSpec],
) -> Result<()> {
    add_pairs(resources, annotations, specs)
}

fn add_pairs(
    resources: &mut [Resource],
    pairs: &BTreeMap<String, String>,
    specs: &[FieldSpec],
) -> Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    for r in resources.iter_mut() {
        // kustomize applies one pair at a time over all specs, in key order
        for (k, v) in pairs {
            apply_field_specs(&mut r.node, specs, Some(CreateKind::Map), &mut |n| {
                set_map_entry(n, k, v)
            })?;
        }
    }
    Ok(())
}

/// One entry of a kustomization's `labels:` list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct LabelEntry {
    /// The labels.
    pub(crate) pairs: BTreeMap<String, String>,
    /// Also set them in selectors (and templates): the commonLabels specs.
    pub(crate) include_selectors: bool,
    /// Also set them in pod templates (ignored with `include_selectors`).
    pub(crate) include_templates: bool,
    /// Extra fields (`fields:`).
    pub(crate) fields: Vec<FieldSpec>,
}

impl LabelEntry {
    /// Reads `{pairs, includeSelectors, includeTemplates, fields}`, as
    /// strictly as kustomize reads a kustomization: unknown keys (also in
    /// `fields`) and non-string values are errors.
    pub(crate) fn from_node(node: &Node) -> Result<LabelEntry> {
        let m = match node {
            Node::Map(m) => m,
            Node::Null => return Ok(LabelEntry::default()),
            other => return Err(config::type_error("labels", "types.Label", other)),
        };
        config::check_known_fields(
            m,
            &["pairs", "includeSelectors", "includeTemplates", "fields"],
        )?;
        if let Some(Node::Seq(fields)) = config::json_field(m, "fields") {
            for f in fields {
                if let Node::Map(fm) = f {
                    config::check_known_fields(fm, config::FIELD_SPEC_KEYS)?;
                }
            }
        }
        Ok(LabelEntry {
            pairs: string_map(m, "pairs", false)?,
            include_selectors: config::bool_field(m, "includeSelectors")?.unwrap_or(false),
            include_templates: config::bool_field(m, "includeTemplates")?.unwrap_or(false),
            fields: config::spec_list(m, "fields")?,
        })
    }
}

/// The field specs a `labels:` entry acts on: its own `fields`, then the
/// commonLabels specs (with `includeSelectors`) or `metadata/labels` plus,
/// with `includeTemplates`, the template-label specs; then the
/// configuration's `labels` specs. Conflicting `create` flags are errors.
pub(crate) fn label_entry_field_specs(
    entry: &LabelEntry,
    tc: &TransformerConfig,
) -> Result<Vec<FieldSpec>> {
    let mut specs = entry.fields.clone();
    if entry.include_selectors {
        merge_all(&mut specs, &tc.common_labels)?;
    } else {
        merge_one(
            &mut specs,
            FieldSpec::new("", "", "", "metadata/labels", true),
        )?;
        if entry.include_templates {
            merge_all(&mut specs, &tc.template_labels)?;
        }
    }
    merge_all(&mut specs, &tc.labels)?;
    Ok(specs)
}

/// A `map[string]string` field: values must be strings (null reads as
/// empty), as kustomize's JSON decoding demands.
/// With `lenient` (builtin transformer configs), numbers and booleans are
/// taken as their text instead.
pub(crate) fn string_map(
    m: &Mapping,
    key: &str,
    lenient: bool,
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    match config::json_field(m, key) {
        None | Some(Node::Null) => {}
        Some(Node::Map(pairs)) => {
            for (k, v) in pairs.iter() {
                let v = match v {
                    Node::Str(s) => s.to_string(),
                    Node::Null => String::new(),
                    other if lenient && other.is_scalar() => {
                        config::lenient_text(other).unwrap_or_default()
                    }
                    other => return Err(config::type_error(key, "string", other)),
                };
                out.insert(k.to_string(), v);
            }
        }
        Some(other) => {
            return Err(Error::transformer(format!(
                "json: cannot unmarshal {} into Go struct field {key} of type map[string]string",
                match other {
                    Node::Seq(_) => "array",
                    Node::Str(_) => "string",
                    Node::Bool(_) => "bool",
                    _ => "number",
                }
            )))
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_stream;

    use crate::resource::resources_of as resources;

    fn nodes(rs: &[Resource]) -> Vec<Node> {
        rs.iter().map(|r| r.node.clone()).collect()
    }

    fn pairs(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const STS_CRON: &str = "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: s\nspec:\n  volumeClaimTemplates:\n  - metadata:\n      name: v\n  template:\n    spec:\n      containers: []\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: c\n";

    #[test]
    fn common_labels_and_template_labels() {
        // oracle: commonLabels {a: b} plus labels [{pairs: {t: x}, includeTemplates: true}]
        let tc = TransformerConfig::default();
        let mut rs = resources(STS_CRON);
        let entry = LabelEntry {
            pairs: pairs(&[("t", "x")]),
            include_templates: true,
            ..Default::default()
        };
        let specs = label_entry_field_specs(&entry, &tc).unwrap();
        add_labels(&mut rs, &entry.pairs, &specs).unwrap();
        add_labels(&mut rs, &pairs(&[("a", "b")]), &tc.common_labels).unwrap();
        let expected = parse_stream(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  labels:\n    a: b\n    t: x\n  name: s\nspec:\n  selector:\n    matchLabels:\n      a: b\n  template:\n    metadata:\n      labels:\n        a: b\n        t: x\n    spec:\n      containers: []\n  volumeClaimTemplates:\n  - metadata:\n      labels:\n        a: b\n        t: x\n      name: v\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata:\n  labels:\n    a: b\n    t: x\n  name: c\nspec:\n  jobTemplate:\n    metadata:\n      labels:\n        a: b\n        t: x\n    spec:\n      template:\n        metadata:\n          labels:\n            a: b\n            t: x\n",
        )
        .unwrap();
        let got: Vec<Node> = nodes(&rs).iter().map(canonical).collect();
        let want: Vec<Node> = expected.iter().map(canonical).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn label_entries_merge_configured_specs() {
        // oracle: configurations add labels/templateLabels/commonLabels specs;
        // entry a: plain, b: includeSelectors+includeTemplates, c: fields
        let mut tc = TransformerConfig::default();
        let extra = TransformerConfig::from_node(
            &compose_yaml::parse_one(
                "labels:\n- path: spec/fromconfig\n  create: true\ntemplateLabels:\n- path: spec/fromtemplateconfig\n  create: true\ncommonLabels:\n- path: spec/fromcommonconfig\n  create: true\n",
            )
            .unwrap(),
        )
        .unwrap();
        tc.merge(&extra).unwrap();
        let mut rs = resources("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n");
        let entries = [
            LabelEntry {
                pairs: pairs(&[("a", "1")]),
                ..Default::default()
            },
            LabelEntry {
                pairs: pairs(&[("b", "2")]),
                include_selectors: true,
                include_templates: true,
                ..Default::default()
            },
            LabelEntry {
                pairs: pairs(&[("c", "3")]),
                fields: vec![FieldSpec::new("", "", "Deployment", "spec/custom", true)],
                ..Default::default()
            },
        ];
        for e in &entries {
            let specs = label_entry_field_specs(e, &tc).unwrap();
            add_labels(&mut rs, &e.pairs, &specs).unwrap();
        }
        let expected = parse_stream(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels: {a: \"1\", b: \"2\", c: \"3\"}\n  name: d\nspec:\n  custom: {c: \"3\"}\n  fromcommonconfig: {b: \"2\"}\n  fromconfig: {a: \"1\", b: \"2\", c: \"3\"}\n  selector:\n    matchLabels: {b: \"2\"}\n  template:\n    metadata:\n      labels: {b: \"2\"}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  labels: {a: \"1\", b: \"2\", c: \"3\"}\n  name: s\nspec:\n  fromcommonconfig: {b: \"2\"}\n  fromconfig: {a: \"1\", b: \"2\", c: \"3\"}\n  selector: {b: \"2\"}\n",
        )
        .unwrap();
        // key order differs (output sorts keys); compare with sorted keys
        assert_eq!(rs.len(), 2);
        for (got, want) in nodes(&rs).iter().zip(expected.iter()) {
            assert_eq!(canonical(got), canonical(want));
        }
    }

    fn canonical(n: &Node) -> Node {
        match n {
            Node::Map(m) => {
                let mut entries: Vec<(String, Node)> = m
                    .iter()
                    .map(|(k, v)| (k.to_string(), canonical(v)))
                    .collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Node::Map(entries.into_iter().collect())
            }
            Node::Seq(s) => Node::Seq(s.iter().map(canonical).collect()),
            other => other.clone(),
        }
    }

    #[test]
    fn conflicting_label_fields() {
        let tc = TransformerConfig::default();
        let e = LabelEntry {
            pairs: pairs(&[("a", "b")]),
            fields: vec![FieldSpec::new("", "", "", "metadata/labels", false)],
            ..Default::default()
        };
        assert_eq!(
            label_entry_field_specs(&e, &tc)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("conflicting fieldspecs")
        );
    }

    #[test]
    fn wrong_kind_at_label_field_is_an_error() {
        // oracle: Service with `spec.selector: 3` fails; `metadata.labels: [a]` fails
        let tc = TransformerConfig::default();
        for doc in [
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  selector: 3\n",
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels: [a]\n",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: s\nspec:\n  template:\n    spec:\n      affinity: 3\n",
        ] {
            let mut rs = resources(doc);
            assert!(
            add_labels(&mut rs, &pairs(&[("a", "b")]), &tc.common_labels).err().is_some_and(|e| e.to_string().starts_with("considering field '")), "{doc}");
        }
    }

    #[test]
    fn nulls_are_left_alone() {
        // oracle: Job with `matchLabels: null` and Job with `selector: null`
        let tc = TransformerConfig::default();
        let mut rs = resources("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\nspec:\n  selector:\n    matchLabels: null\n");
        add_labels(&mut rs, &pairs(&[("a", "b")]), &tc.common_labels).unwrap();
        let want = parse_stream("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  labels: {a: b}\nspec:\n  selector:\n    matchLabels: null\n  template:\n    metadata:\n      labels: {a: b}\n").unwrap();
        assert_eq!(canonical(&rs[0].node), canonical(&want[0]));
    }

    #[test]
    fn common_annotations_defaults() {
        let tc = TransformerConfig::default();
        let mut rs = resources("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n");
        add_annotations(&mut rs, &pairs(&[("note", "x")]), &tc.common_annotations).unwrap();
        let want = parse_stream("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  annotations: {note: x}\nspec:\n  template:\n    metadata:\n      annotations: {note: x}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations: {note: x}\n").unwrap();
        assert_eq!(nodes(&rs), want);
    }

    #[test]
    fn label_entry_from_node() {
        let n = compose_yaml::parse_one(
            "pairs: {a: b, c: null}\nincludeSelectors: true\nfields:\n- path: x\n",
        )
        .unwrap();
        let e = LabelEntry::from_node(&n).unwrap();
        assert_eq!(e.pairs, pairs(&[("a", "b"), ("c", "")]));
        assert!(e.include_selectors && !e.include_templates);
        assert_eq!(e.fields, vec![FieldSpec::new("", "", "", "x", false)]);
        let n = compose_yaml::parse_one("pairs: {a: true}\n").unwrap();
        assert_eq!(
            LabelEntry::from_node(&n)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("json: cannot unmarshal bool into Go struct field pairs of type string")
        );
        // oracle: `includeVolumeClaimTemplates` is an unknown field in v5.5.0
        let n =
            compose_yaml::parse_one("pairs: {a: b}\nincludeVolumeClaimTemplates: true\n").unwrap();
        assert_eq!(
            LabelEntry::from_node(&n)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("json: unknown field \"includeVolumeClaimTemplates\"")
        );
    }
}
