//! Builtin transformers read from their configuration form, the YAML
//! objects users list under `transformers:`:
//!
//! ```yaml
//! apiVersion: builtin
//! kind: LabelTransformer
//! metadata: {name: add-labels}
//! labels: {team: a}
//! fieldSpecs: [{path: metadata/labels, create: true}]
//! ```
//!
//! Fields are decoded the way kustomize's JSON-based decoder does it:
//! case-insensitive keys, unknown keys ignored, strict value types. The
//! prefix and suffix transformers require `fieldSpecs`, as kustomize does.

use super::{
    add_annotations, add_labels, add_prefix, add_prefix_suffix, add_suffix,
    labels_annotations::string_map, set_images, set_namespace, set_replicas, ImageSpec,
    NamespaceOptions, ReplicaSpec, SubjectMode,
};
use crate::config::{self, FieldSpec};
use crate::error::{Error, Result};
use crate::resource::Resource;
use compose_yaml::{Mapping, Node};
use std::collections::BTreeMap;

/// A configured builtin transformer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Builtin {
    /// `PrefixSuffixTransformer` (legacy): prefix and suffix at once.
    PrefixSuffix {
        /// Prefix to add.
        prefix: String,
        /// Suffix to add.
        suffix: String,
        /// Fields to change.
        field_specs: Vec<FieldSpec>,
    },
    /// `PrefixTransformer`.
    Prefix {
        /// Prefix to add.
        prefix: String,
        /// Fields to change.
        field_specs: Vec<FieldSpec>,
    },
    /// `SuffixTransformer`.
    Suffix {
        /// Suffix to add.
        suffix: String,
        /// Fields to change.
        field_specs: Vec<FieldSpec>,
    },
    /// `LabelTransformer`.
    Labels {
        /// Labels to set.
        labels: BTreeMap<String, String>,
        /// Fields to set them in.
        field_specs: Vec<FieldSpec>,
    },
    /// `AnnotationsTransformer`.
    Annotations {
        /// Annotations to set.
        annotations: BTreeMap<String, String>,
        /// Fields to set them in.
        field_specs: Vec<FieldSpec>,
    },
    /// `NamespaceTransformer`; the namespace is its `metadata.namespace`.
    Namespace {
        /// Target namespace (nothing happens when empty).
        namespace: String,
        /// Fields besides `metadata/namespace`.
        field_specs: Vec<FieldSpec>,
        /// `unsetOnly` and `setRoleBindingSubjects`.
        options: NamespaceOptions,
    },
    /// `ImageTagTransformer`.
    ImageTag {
        /// The `imageTag` entry.
        image: ImageSpec,
        /// Image fields.
        field_specs: Vec<FieldSpec>,
    },
    /// `ReplicaCountTransformer`.
    ReplicaCount {
        /// The `replica` entry.
        replica: ReplicaSpec,
        /// Replica fields.
        field_specs: Vec<FieldSpec>,
    },
}

/// Reads a builtin transformer's configuration object. Kinds this module
/// does not implement give [`Error::Unsupported`] naming the kind.
pub(crate) fn builtin_from_node(node: &Node) -> Result<Builtin> {
    let m = match node {
        Node::Map(m) => m,
        other => {
            return Err(Error::transformer(format!(
                "transformer configuration must be a mapping, not a {}",
                other.kind_name()
            )))
        }
    };
    let kind = m.get("kind").and_then(Node::as_str).unwrap_or("");
    let s = |key: &str| config::string_field_lenient(m, key).map(Option::unwrap_or_default);
    let specs = || config::spec_list(m, "fieldSpecs");
    let required_specs = || -> Result<Vec<FieldSpec>> {
        match config::json_field(m, "fieldSpecs") {
            None | Some(Node::Null) => {
                Err(Error::transformer("fieldSpecs is not expected to be nil"))
            }
            Some(_) => specs(),
        }
    };
    let built = match kind {
        "PrefixSuffixTransformer" => Builtin::PrefixSuffix {
            prefix: s("prefix")?,
            suffix: s("suffix")?,
            field_specs: required_specs()?,
        },
        "PrefixTransformer" => Builtin::Prefix {
            prefix: s("prefix")?,
            field_specs: required_specs()?,
        },
        "SuffixTransformer" => Builtin::Suffix {
            suffix: s("suffix")?,
            field_specs: required_specs()?,
        },
        "LabelTransformer" => Builtin::Labels {
            labels: string_map(m, "labels", true)?,
            field_specs: specs()?,
        },
        "AnnotationsTransformer" => Builtin::Annotations {
            annotations: string_map(m, "annotations", true)?,
            field_specs: specs()?,
        },
        "NamespaceTransformer" => Builtin::Namespace {
            namespace: metadata_namespace(m)?,
            field_specs: specs()?,
            options: NamespaceOptions {
                unset_only: config::bool_field(m, "unsetOnly")?.unwrap_or(false),
                subjects: SubjectMode::parse(&s("setRoleBindingSubjects")?)?,
            },
        },
        "ImageTagTransformer" => Builtin::ImageTag {
            image: ImageSpec::from_config_node(
                config::json_field(m, "imageTag").unwrap_or(&Node::Null),
            )?,
            field_specs: specs()?,
        },
        "ReplicaCountTransformer" => Builtin::ReplicaCount {
            replica: ReplicaSpec::from_config_node(
                config::json_field(m, "replica").unwrap_or(&Node::Null),
            )?,
            field_specs: specs()?,
        },
        other => {
            return Err(Error::Unsupported {
                feature: format!("builtin transformer kind {other:?}"),
                path: None,
            })
        }
    };
    Ok(built)
}

fn metadata_namespace(m: &Mapping) -> Result<String> {
    match config::json_field(m, "metadata") {
        None | Some(Node::Null) => Ok(String::new()),
        Some(Node::Map(meta)) => Ok(config::string_field(meta, "namespace")?.unwrap_or_default()),
        Some(other) => Err(config::type_error("metadata", "types.ObjectMeta", other)),
    }
}

impl Builtin {
    /// The configuration kind, e.g. `LabelTransformer`.
    #[cfg(test)]
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Builtin::PrefixSuffix { .. } => "PrefixSuffixTransformer",
            Builtin::Prefix { .. } => "PrefixTransformer",
            Builtin::Suffix { .. } => "SuffixTransformer",
            Builtin::Labels { .. } => "LabelTransformer",
            Builtin::Annotations { .. } => "AnnotationsTransformer",
            Builtin::Namespace { .. } => "NamespaceTransformer",
            Builtin::ImageTag { .. } => "ImageTagTransformer",
            Builtin::ReplicaCount { .. } => "ReplicaCountTransformer",
        }
    }

    /// Runs the transformer over `resources`.
    pub(crate) fn apply(&self, resources: &mut [Resource]) -> Result<()> {
        match self {
            Builtin::PrefixSuffix {
                prefix,
                suffix,
                field_specs,
            } => add_prefix_suffix(resources, prefix, suffix, field_specs),
            Builtin::Prefix {
                prefix,
                field_specs,
            } => add_prefix(resources, prefix, field_specs),
            Builtin::Suffix {
                suffix,
                field_specs,
            } => add_suffix(resources, suffix, field_specs),
            Builtin::Labels {
                labels,
                field_specs,
            } => add_labels(resources, labels, field_specs),
            Builtin::Annotations {
                annotations,
                field_specs,
            } => add_annotations(resources, annotations, field_specs),
            Builtin::Namespace {
                namespace,
                field_specs,
                options,
            } => set_namespace(resources, namespace, field_specs, *options),
            Builtin::ImageTag { image, field_specs } => set_images(resources, image, field_specs),
            Builtin::ReplicaCount {
                replica,
                field_specs,
            } => set_replicas(resources, replica, field_specs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_one;

    use crate::resource::resources_of as resources;

    #[test]
    fn legacy_prefix_suffix_case() {
        // oracle conformance case: baked-apple-pie
        let t = builtin_from_node(
            &parse_one("apiVersion: builtin\nkind: PrefixSuffixTransformer\nmetadata:\n  name: notImportantHere\nprefix: baked-\nsuffix: -pie\nfieldSpecs:\n- path: metadata/name\n").unwrap(),
        )
        .unwrap();
        let mut rs = resources("apiVersion: v1\nkind: Service\nmetadata:\n  name: apple\n");
        t.apply(&mut rs).unwrap();
        assert_eq!(rs[0].name(), "baked-apple-pie");
    }

    #[test]
    fn inline_namespace_transformer_case() {
        // oracle conformance case: NamespaceTransformer with metadata.namespace test
        let t = builtin_from_node(
            &parse_one("apiVersion: builtin\nkind: NamespaceTransformer\nmetadata:\n  name: not-important-to-example\n  namespace: test\nfieldSpecs:\n- path: metadata/namespace\n  create: true\n").unwrap(),
        )
        .unwrap();
        let mut rs = resources(
            "apiVersion: apps/v1\nkind: ConfigMap\nmetadata:\n  name: whatever\ndata: {}\n",
        );
        t.apply(&mut rs).unwrap();
        assert_eq!(rs[0].node, parse_one("apiVersion: apps/v1\nkind: ConfigMap\nmetadata:\n  name: whatever\n  namespace: test\ndata: {}\n").unwrap());
    }

    #[test]
    fn every_kind_parses() {
        for (text, kind) in [
            ("kind: PrefixTransformer\nprefix: a-\nfieldSpecs: []\n", "PrefixTransformer"),
            ("kind: SuffixTransformer\nsuffix: -a\nfieldSpecs: []\n", "SuffixTransformer"),
            ("kind: LabelTransformer\nlabels: {a: b}\nfieldSpecs: [{path: metadata/labels, create: true}]\n", "LabelTransformer"),
            ("kind: AnnotationsTransformer\nannotations: {a: b}\n", "AnnotationsTransformer"),
            ("kind: ImageTagTransformer\nimageTag: {name: nginx, newTag: \"2\"}\nfieldSpecs: [{path: spec/containers/image}]\n", "ImageTagTransformer"),
            ("kind: ReplicaCountTransformer\nreplica: {name: d, count: 2}\nfieldSpecs: [{path: spec/replicas, create: true, kind: Deployment}]\n", "ReplicaCountTransformer"),
            ("kind: NamespaceTransformer\nmetadata: {namespace: x}\nunsetOnly: true\nsetRoleBindingSubjects: none\n", "NamespaceTransformer"),
        ] {
            let b = builtin_from_node(&parse_one(text).unwrap()).unwrap();
            assert_eq!(b.kind(), kind);
        }
    }

    #[test]
    fn config_errors() {
        assert_eq!(
            builtin_from_node(&parse_one("kind: PrefixTransformer\nprefix: a-\n").unwrap())
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("fieldSpecs is not expected to be nil")
        );
        assert_eq!(
            (builtin_from_node(
                &parse_one("kind: NamespaceTransformer\nsetRoleBindingSubjects: bogus\n").unwrap(),
            )).err().map(|e| e.to_string()).as_deref(),
            Some("invalid value \"bogus\" for setRoleBindingSubjects: must be one of \"defaultOnly\", \"none\" or \"allServiceAccounts\""));
        assert_eq!(
            builtin_from_node(&parse_one("kind: LabelTransformer\nlabels: {a: [1]}\n").unwrap(),)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("json: cannot unmarshal array into Go struct field labels of type string")
        );
        match builtin_from_node(&parse_one("kind: HelmChartInflationGenerator\n").unwrap()) {
            Err(Error::Unsupported { feature, .. }) => {
                assert!(feature.contains("HelmChartInflationGenerator"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn lenient_values() {
        // oracle: `annotations: {a: 1.20}` in an AnnotationsTransformer gives "1.2"; `true` gives "true"
        let b = builtin_from_node(
            &parse_one("kind: AnnotationsTransformer\nannotations: {a: 1.20, b: true, c: 0x10}\n")
                .unwrap(),
        )
        .unwrap();
        match b {
            Builtin::Annotations { annotations, .. } => {
                let v: Vec<&str> = annotations.values().map(String::as_str).collect();
                assert_eq!(v, vec!["1.2", "true", "16"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn image_replica_suffix_configs() {
        // oracle: these three configs over a Widget and a Deployment named w
        let mut rs = resources("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\nspec:\n  box:\n    image: nginx:1\n  containers:\n  - image: nginx\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\n");
        for text in [
            "apiVersion: builtin\nkind: ImageTagTransformer\nmetadata:\n  name: it\nimageTag:\n  name: nginx\n  newTag: 1.20\nfieldSpecs:\n- path: spec/box/image\n  kind: Widget\n",
            "apiVersion: builtin\nkind: ReplicaCountTransformer\nmetadata:\n  name: rc\nreplica:\n  name: w\n  count: 4\nfieldSpecs:\n- path: spec/size\n  kind: Widget\n  create: true\n",
            "apiVersion: builtin\nkind: SuffixTransformer\nmetadata:\n  name: sx\nsuffix: -z\nfieldSpecs:\n- path: metadata/name\n  kind: Widget\n",
        ] {
            builtin_from_node(&parse_one(text).unwrap()).unwrap().apply(&mut rs).unwrap();
        }
        let want = resources("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w-z\nspec:\n  box:\n    image: nginx:1.2\n  containers:\n  - image: nginx:1.2\n  size: 4\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: w\n");
        let got: Vec<Node> = rs.iter().map(|r| r.node.clone()).collect();
        let want: Vec<Node> = want.iter().map(|r| r.node.clone()).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn label_transformer_applies() {
        let t = builtin_from_node(
            &parse_one("apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: x}\nlabels: {team: a}\nfieldSpecs:\n- path: metadata/labels\n  create: true\n- kind: Deployment\n  path: spec/selector/matchLabels\n").unwrap(),
        )
        .unwrap();
        let mut rs = resources("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n");
        t.apply(&mut rs).unwrap();
        assert_eq!(rs[0].node, parse_one("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  labels: {team: a}\n").unwrap());
    }
}
