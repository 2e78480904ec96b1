//! The built-in knobs of a component, named as Helm users know them from
//! `helm create` charts, so a values file ports with few edits.
//!
//! These types give the schema (their doc comments are what editors show
//! on hover) and the typed view the knob stage checks. Values that pass
//! through to the manifests unchanged (quantities, tolerations, affinity)
//! are written into the patches from the merged values as the user wrote
//! them, so `cpu: 2` stays the number 2 and `cpu: "2"` the string.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Settings of one component.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Component {
    /// Whether the component is part of the build. Components are off
    /// unless enabled.
    #[serde(default)]
    pub(crate) enabled: bool,
    /// Replica count of the component's workload (a Deployment or
    /// StatefulSet). When absent the manifest's own count is kept.
    #[schemars(range(max = 2147483647))]
    pub(crate) replicas: Option<u32>,
    /// The component's container image: the tag or digest to deploy,
    /// applied to the component's own containers only.
    #[serde(default)]
    pub(crate) image: Image,
    /// Name of the workload that `replicas` scales, when the component has
    /// several and none is named `<name>-<component>`.
    pub(crate) workload: Option<String>,
    /// The container that `resources`, `env` and an image without
    /// `repository` apply to, in each workload of the component. Default:
    /// the container named after the component, else the workload's only
    /// container.
    pub(crate) container: Option<String>,
    /// CPU, memory and other resource requests and limits of the
    /// component's container, merged into the manifest's.
    pub(crate) resources: Option<Resources>,
    /// Environment variables of the component's container, name to value,
    /// merged into the manifest's `env` by name.
    #[serde(default)]
    pub(crate) env: BTreeMap<String, String>,
    /// Bounds and targets of the component's HorizontalPodAutoscaler, which
    /// the component's manifests must include; `enabled: false` leaves it
    /// out of the build.
    pub(crate) autoscaling: Option<Autoscaling>,
    /// Size and storage class of the component's PersistentVolumeClaims
    /// and StatefulSet `volumeClaimTemplates`.
    pub(crate) storage: Option<Storage>,
    /// Node labels the component's pods must match, merged into the pod
    /// spec's `nodeSelector`.
    #[serde(default)]
    pub(crate) node_selector: BTreeMap<String, String>,
    /// Tolerations of the component's pods; replaces the manifest's list.
    pub(crate) tolerations: Option<Vec<Toleration>>,
    /// Affinity of the component's pods, merged into the manifest's as a
    /// strategic merge patch.
    pub(crate) affinity: Option<Affinity>,
    /// Topology spread constraints of the component's pods, merged into
    /// the manifest's by `topologyKey`.
    pub(crate) topology_spread_constraints: Option<Vec<TopologySpreadConstraint>>,
    /// Annotations of the component's pod templates, merged into the
    /// manifest's.
    #[serde(default)]
    pub(crate) pod_annotations: BTreeMap<String, String>,
    /// Host, class, TLS and annotations of the component's Ingress.
    pub(crate) ingress: Option<Ingress>,
}

/// A component's image. `repository` is the image name as the component's
/// manifests write it; `tag` and `digest` replace the manifest's in the
/// component's containers that use it.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Image {
    /// Image name used in the component's manifests, e.g. `arches/api`.
    /// Without it, `tag` and `digest` apply to the component's container
    /// (see `container`).
    pub(crate) repository: Option<String>,
    /// Tag to deploy, e.g. `v1.0.0`. Always a string: quote numbers-looking
    /// tags in YAML (`"1.10"`); `--set` types it as a string by itself.
    #[schemars(regex(pattern = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"))]
    pub(crate) tag: Option<String>,
    /// Digest to pin, e.g. `sha256:0123...`; wins over the tag when both are set.
    #[schemars(regex(
        pattern = r"^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$"
    ))]
    pub(crate) digest: Option<String>,
}

/// Resource requests and limits.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct Resources {
    /// What the scheduler reserves for the container.
    pub(crate) requests: Option<ResourceList>,
    /// The most the container may use.
    pub(crate) limits: Option<ResourceList>,
}

/// Amounts by resource name: `cpu`, `memory`, `ephemeral-storage`, or an
/// extended resource such as `nvidia.com/gpu`.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub(crate) struct ResourceList(pub(crate) BTreeMap<String, Value>);

/// Kubernetes' quantity grammar: a decimal number with an optional binary
/// (Ki..Ei), decimal (m, k, M..E) or exponent suffix.
pub(crate) const QUANTITY_PATTERN: &str =
    r"^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$";

/// The schema of one quantity: a string in the quantity grammar, or a
/// plain non-negative number.
pub(crate) fn quantity_schema(description: &str) -> Value {
    json!({
        "description": description,
        "type": ["string", "number"],
        "pattern": QUANTITY_PATTERN,
        "minimum": 0,
    })
}

impl JsonSchema for ResourceList {
    fn schema_name() -> Cow<'static, str> {
        "ResourceList".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let value = json!({
            "description": "Amounts by resource name, each a Kubernetes quantity (500m, 2, 512Mi, 2Gi).",
            "type": "object",
            "properties": {
                "cpu": quantity_schema("CPU, in cores: `500m` is half a core, `2` two cores."),
                "memory": quantity_schema("Memory, in bytes with a suffix: `512Mi`, `2Gi`."),
                "ephemeral-storage": quantity_schema("Local scratch space: `1Gi`."),
            },
            "patternProperties": {
                r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$":
                    quantity_schema("An extended resource, such as `nvidia.com/gpu`."),
            },
            "additionalProperties": false,
        });
        Schema::try_from(value).unwrap_or_default()
    }
}

/// Bounds and targets of the component's HorizontalPodAutoscaler.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Autoscaling {
    /// `false` leaves the component's HorizontalPodAutoscaler out of the
    /// build (the workload keeps its `replicas`). Default: true.
    pub(crate) enabled: Option<bool>,
    /// The fewest replicas the autoscaler keeps.
    #[schemars(range(min = 1, max = 2147483647))]
    pub(crate) min_replicas: Option<u32>,
    /// The most replicas the autoscaler starts.
    #[schemars(range(min = 1, max = 2147483647))]
    pub(crate) max_replicas: Option<u32>,
    /// Average CPU use, in percent of the requested CPU, the autoscaler
    /// aims at.
    #[serde(rename = "targetCPUUtilizationPercentage")]
    #[schemars(range(min = 1, max = 2147483647))]
    pub(crate) target_cpu_utilization_percentage: Option<u32>,
    /// Average memory use, in percent of the requested memory, the
    /// autoscaler aims at.
    #[serde(rename = "targetMemoryUtilizationPercentage")]
    #[schemars(range(min = 1, max = 2147483647))]
    pub(crate) target_memory_utilization_percentage: Option<u32>,
}

/// Size and class of the component's volumes.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Storage {
    /// Requested size of each claim, a quantity such as `10Gi`.
    #[schemars(schema_with = "size_schema")]
    pub(crate) size: Option<Value>,
    /// StorageClass of each claim; `""` asks for no class (a pre-made
    /// volume).
    pub(crate) storage_class_name: Option<String>,
}

fn size_schema(_: &mut SchemaGenerator) -> Schema {
    Schema::try_from(quantity_schema(
        "Requested size of each claim, a quantity such as `10Gi`.",
    ))
    .unwrap_or_default()
}

/// A toleration, as in a pod spec.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Toleration {
    /// The taint key; empty with `operator: Exists` tolerates every taint.
    pub(crate) key: Option<String>,
    /// `Equal` (default) or `Exists`.
    pub(crate) operator: Option<TolerationOperator>,
    /// The taint value, with `operator: Equal`.
    pub(crate) value: Option<String>,
    /// The taint effect to tolerate; empty tolerates all.
    pub(crate) effect: Option<TaintEffect>,
    /// How long a `NoExecute` taint is tolerated, in seconds.
    pub(crate) toleration_seconds: Option<i64>,
}

/// How a toleration matches a taint's value.
#[derive(Clone, Debug, Deserialize, JsonSchema, PartialEq)]
pub(crate) enum TolerationOperator {
    /// The values must be equal.
    Equal,
    /// Any value.
    Exists,
}

/// A taint's effect.
#[derive(Clone, Debug, Deserialize, JsonSchema, PartialEq)]
pub(crate) enum TaintEffect {
    /// New pods are not scheduled.
    NoSchedule,
    /// New pods are avoided.
    PreferNoSchedule,
    /// Running pods are evicted.
    NoExecute,
}

/// Affinity, as in a pod spec. Each part is written into the pod spec as
/// given; `compose validate` checks it against the Kubernetes schema.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Affinity {
    /// Node affinity: which nodes the pods prefer or require.
    pub(crate) node_affinity: Option<serde_json::Map<String, Value>>,
    /// Pod affinity: which pods these pods are placed near.
    pub(crate) pod_affinity: Option<serde_json::Map<String, Value>>,
    /// Pod anti-affinity: which pods these pods are kept away from.
    pub(crate) pod_anti_affinity: Option<serde_json::Map<String, Value>>,
}

/// A topology spread constraint, as in a pod spec.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TopologySpreadConstraint {
    /// The largest allowed difference in matching pods between domains.
    #[schemars(range(min = 1))]
    pub(crate) max_skew: u32,
    /// The node label whose values are the domains, e.g.
    /// `topology.kubernetes.io/zone`.
    pub(crate) topology_key: String,
    /// What to do when the constraint cannot be met.
    pub(crate) when_unsatisfiable: WhenUnsatisfiable,
    /// Which pods count; usually the component's own pod labels.
    pub(crate) label_selector: Option<serde_json::Map<String, Value>>,
    /// The fewest eligible domains.
    #[schemars(range(min = 1))]
    pub(crate) min_domains: Option<u32>,
    /// Pod label keys whose values narrow the pods that count.
    pub(crate) match_label_keys: Option<Vec<String>>,
    /// `Honor` or `Ignore` the pod's node affinity when counting domains.
    pub(crate) node_affinity_policy: Option<String>,
    /// `Honor` or `Ignore` node taints when counting domains.
    pub(crate) node_taints_policy: Option<String>,
}

/// What to do when a spread constraint cannot be met.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
pub(crate) enum WhenUnsatisfiable {
    /// Keep the pod pending.
    #[default]
    DoNotSchedule,
    /// Schedule it anyway, preferring smaller skew.
    ScheduleAnyway,
}

/// The component's Ingress.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Ingress {
    /// The host every rule of the Ingress serves (and its TLS entries
    /// cover), e.g. `app.example.com`.
    #[schemars(regex(
        pattern = r"^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
    ))]
    pub(crate) host: Option<String>,
    /// The IngressClass (`spec.ingressClassName`), e.g. `nginx`.
    pub(crate) class_name: Option<String>,
    /// TLS of the Ingress.
    pub(crate) tls: Option<IngressTls>,
    /// Annotations of the Ingress, merged into the manifest's.
    #[serde(default)]
    pub(crate) annotations: BTreeMap<String, String>,
}

/// TLS of an Ingress.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct IngressTls {
    /// `false` serves plain HTTP: the Ingress's `tls` section is removed.
    /// Default: true.
    pub(crate) enabled: Option<bool>,
    /// The Secret holding the certificate and key.
    pub(crate) secret_name: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quantity_grammar() {
        // Through the validator that enforces it on values.
        let schema = json!({ "type": "string", "pattern": QUANTITY_PATTERN });
        let v = jsonschema::validator_for(&schema).unwrap();
        let re = |s: &str| v.is_valid(&json!(s));
        for ok in [
            "1",
            "500m",
            "0.5",
            ".5",
            "2Gi",
            "512Mi",
            "1e3",
            "1E3",
            "1E",
            "128974848",
            "+1",
            "1.5G",
        ] {
            assert!(re(ok), "{ok}");
        }
        for bad in ["2x", "", "1.2.3", "Gi", "1 Gi", "-1", "1gi", "1KiB", "m"] {
            assert!(!re(bad), "{bad}");
        }
    }
}
