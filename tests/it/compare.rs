//! `compose compare`: the difference between two renders, object by
//! object. The expected reports were checked by hand: every line against
//! the values files (what each environment or tier sets) and against the
//! kubectl goldens of both sides (`tests/fixtures/example/*/expected.yaml`,
//! `tests/fixtures/examples/tiers/production-*.yaml`), whose own line
//! difference lists the same fields.

use crate::support::{root, run_compose};

/// dev against prod of the example project. dev enables api, database,
/// platform and migrations; prod every component, so the objects of
/// ingress, monitoring (grafana, loki), redis, scraper, storage and
/// unstructured are only in prod. In both: the namespace (`arches-dev`,
/// `arches`), prod's `annotations` on every object and pod template,
/// `settings.LOG_LEVEL` (debug, warn) in the generated ConfigMap, whose
/// hashed name the pods' references follow; the replicas, tags and
/// resources each file sets (api's limits in dev are its component's own,
/// dev sets requests only), prod's topology spread for api and the
/// database's resources and storage.
const DEV_PROD: &str = r#"--- dev: values/values.yaml, values/values-dev.yaml
+++ prod: values/values.yaml, values/values-prod.yaml
only in prod: ConfigMap/arches-grafana-datasources-d9c95m9t2g
only in prod: ConfigMap/arches-loki-config-2cmgb8k865
only in prod: Deployment/arches-grafana
only in prod: Deployment/arches-scraper
only in prod: Deployment/arches-unstructured
only in prod: HorizontalPodAutoscaler/arches-scraper
only in prod: HorizontalPodAutoscaler/arches-unstructured
only in prod: Ingress/arches
only in prod: NetworkPolicy/arches-redis
only in prod: NetworkPolicy/arches-storage
only in prod: Service/arches-grafana
only in prod: Service/arches-loki
only in prod: Service/arches-redis
only in prod: Service/arches-storage
only in prod: Service/arches-unstructured
only in prod: StatefulSet/arches-loki
only in prod: StatefulSet/arches-redis
only in prod: StatefulSet/arches-storage
ConfigMap/arches-config-kg9dd88cd5:
  data.LOG_LEVEL: debug → warn
  metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  metadata.name: arches-config-kg9dd88cd5 → arches-config-5g98f7khgf
  metadata.namespace: arches-dev → arches
Deployment/arches-api:
  metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  metadata.namespace: arches-dev → arches
  spec.replicas: 1 → 3
  spec.template.metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  spec.template.spec.containers[name=api].envFrom[0].configMapRef.name: arches-config-kg9dd88cd5 → arches-config-5g98f7khgf
  spec.template.spec.containers[name=api].image: arches/api:latest → arches/api:v1.0.0
  spec.template.spec.containers[name=api].resources.limits.cpu: "1" → "2"
  spec.template.spec.containers[name=api].resources.limits.memory: 512Mi → 1Gi
  spec.template.spec.containers[name=api].resources.requests.cpu: 50m → 500m
  spec.template.spec.containers[name=api].resources.requests.memory: 128Mi → 512Mi
  spec.template.spec.topologySpreadConstraints: (none) → [{"labelSelector":{"matchLabels":{"app.kubernetes.io/component":"api","app.kubernetes.io/name":"arches"}},"maxSkew":1,"topologyKey":"topology.kubernetes.io/zone","whenUnsatisfiable":"ScheduleAnyway"}]
Deployment/arches-platform:
  metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  metadata.namespace: arches-dev → arches
  spec.replicas: 1 → 2
  spec.template.metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  spec.template.spec.containers[name=platform].env[name=API_URL].valueFrom.configMapKeyRef.name: arches-config-kg9dd88cd5 → arches-config-5g98f7khgf
  spec.template.spec.containers[name=platform].image: arches/platform:latest → arches/platform:v1.0.0
Job/arches-migrations:
  metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  metadata.namespace: arches-dev → arches
  spec.template.metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  spec.template.spec.containers[name=migrations].envFrom[0].configMapRef.name: arches-config-kg9dd88cd5 → arches-config-5g98f7khgf
  spec.template.spec.containers[name=migrations].image: arches/migrations:latest → arches/migrations:v1.0.0
NetworkPolicy/arches-api:
  metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  metadata.namespace: arches-dev → arches
NetworkPolicy/arches-database:
  metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  metadata.namespace: arches-dev → arches
PodDisruptionBudget/arches-api:
  metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  metadata.namespace: arches-dev → arches
PodDisruptionBudget/arches-platform:
  metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  metadata.namespace: arches-dev → arches
Service/arches-api:
  metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  metadata.namespace: arches-dev → arches
Service/arches-database:
  metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  metadata.namespace: arches-dev → arches
Service/arches-platform:
  metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  metadata.namespace: arches-dev → arches
ServiceAccount/arches:
  metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  metadata.namespace: arches-dev → arches
StatefulSet/arches-database:
  metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  metadata.namespace: arches-dev → arches
  spec.template.metadata.annotations: (none) → {"arches.example.com/environment":"production"}
  spec.template.spec.containers[name=postgres].resources.limits.cpu: "2" → "4"
  spec.template.spec.containers[name=postgres].resources.limits.memory: 2Gi → 8Gi
  spec.template.spec.containers[name=postgres].resources.requests.cpu: 250m → "1"
  spec.template.spec.containers[name=postgres].resources.requests.memory: 512Mi → 2Gi
  spec.volumeClaimTemplates[metadata.name=data].spec.resources.requests.storage: 2Gi → 100Gi
  spec.volumeClaimTemplates[metadata.name=data].spec.storageClassName: (none) → premium-rwo
"#;

/// The small and the large tier of production in `examples/tiers`: the
/// tier's label (`labels` in each tier file) on every object, pod and
/// volume claim template; the namespace `tenants-<tier>` of the project's
/// template; the Ingress host `<tier>.<domain>`; the resources, storage
/// and queue bounds of each tier file (small sets no `lagThreshold`, so
/// the shared 10 holds). The generated ConfigMap keeps its name: labels
/// are not part of its hash.
const SMALL_LARGE: &str = r#"--- production (tier small): examples/tiers/values/values.yaml, examples/tiers/values/values-tier-small.yaml, examples/tiers/values/values-production.yaml
+++ production (tier large): examples/tiers/values/values.yaml, examples/tiers/values/values-tier-large.yaml, examples/tiers/values/values-production.yaml
ConfigMap/tenants-config-h7f5458kbt:
  metadata.labels["tenants.example.com/tier"]: small → large
  metadata.namespace: tenants-small → tenants-large
Ingress/tenants:
  metadata.labels["tenants.example.com/tier"]: small → large
  metadata.namespace: tenants-small → tenants-large
  spec.rules[0].host: small.tenants.example.com → large.tenants.example.com
  spec.tls[0].hosts[0]: small.tenants.example.com → large.tenants.example.com
ScaledObject/tenants-worker:
  metadata.labels["tenants.example.com/tier"]: small → large
  metadata.namespace: tenants-small → tenants-large
  spec.maxReplicaCount: 4 → 16
  spec.triggers[0].metadata.lagThreshold: "10" → "25"
Service/tenants-api:
  metadata.labels["tenants.example.com/tier"]: small → large
  metadata.namespace: tenants-small → tenants-large
ServiceAccount/tenants:
  metadata.labels["tenants.example.com/tier"]: small → large
  metadata.namespace: tenants-small → tenants-large
StatefulSet/tenants-api:
  metadata.labels["tenants.example.com/tier"]: small → large
  metadata.namespace: tenants-small → tenants-large
  spec.template.metadata.labels["tenants.example.com/tier"]: small → large
  spec.template.spec.containers[name=api].resources.limits.cpu: "1" → "4"
  spec.template.spec.containers[name=api].resources.limits.memory: 1Gi → 4Gi
  spec.template.spec.containers[name=api].resources.requests.cpu: "1" → "4"
  spec.template.spec.containers[name=api].resources.requests.memory: 1Gi → 4Gi
  spec.volumeClaimTemplates[metadata.name=data].metadata.labels["tenants.example.com/tier"]: small → large
  spec.volumeClaimTemplates[metadata.name=data].spec.resources.requests.storage: 50Gi → 200Gi
StatefulSet/tenants-worker:
  metadata.labels["tenants.example.com/tier"]: small → large
  metadata.namespace: tenants-small → tenants-large
  spec.template.metadata.labels["tenants.example.com/tier"]: small → large
  spec.template.spec.containers[name=worker].resources.limits.cpu: "4" → "16"
  spec.template.spec.containers[name=worker].resources.limits.memory: 8Gi → 32Gi
  spec.template.spec.containers[name=worker].resources.requests.cpu: "4" → "16"
  spec.template.spec.containers[name=worker].resources.requests.memory: 8Gi → 32Gi
  spec.volumeClaimTemplates[metadata.name=scratch].metadata.labels["tenants.example.com/tier"]: small → large
  spec.volumeClaimTemplates[metadata.name=scratch].spec.resources.requests.storage: 50Gi → 200Gi
"#;

#[test]
fn compare_dev_and_prod_lists_objects_and_fields() {
    let out = run_compose(&root(), ["compare", "dev", "prod"]).unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), DEV_PROD);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn compare_two_tiers_of_one_environment() {
    let out = run_compose(
        &root().join("examples/tiers"),
        [
            "compare",
            "production",
            "production",
            "--a-tier",
            "small",
            "--b-tier",
            "large",
        ],
    )
    .unwrap();
    let expected = SMALL_LARGE.replace("examples/tiers/", "");
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn compare_sides_named_by_file_and_same_renders() {
    // A values file selects its environment, as `-f` does; only the
    // header's names differ from `compare dev prod`.
    let out = run_compose(
        &root(),
        ["compare", "values-dev.yaml", "values/values-prod.yaml"],
    )
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let expected = DEV_PROD
        .replacen("--- dev:", "--- values-dev.yaml:", 1)
        .replacen("+++ prod:", "+++ values/values-prod.yaml:", 1)
        .replace("only in prod:", "only in values/values-prod.yaml:");
    assert_eq!(text, expected);
    // The same render on both sides: nothing on stdout, exit 0.
    let out = run_compose(
        &root(),
        ["compare", "prod", "prod", "--set", "api.replicas=3"],
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "the manifests of prod and prod are the same (31 objects)\n"
    );
}

#[test]
fn compare_as_json() {
    let out = run_compose(&root(), ["compare", "dev", "prod", "-o", "json"]).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["a"]["name"], "dev");
    assert_eq!(doc["b"]["files"][1], "values/values-prod.yaml");
    assert_eq!(doc["same"], false);
    assert_eq!(doc["onlyInA"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        doc["onlyInB"][0],
        "ConfigMap/arches-grafana-datasources-d9c95m9t2g"
    );
    assert_eq!(doc["onlyInB"].as_array().map(Vec::len), Some(18));
    let api = doc["changed"]
        .as_array()
        .and_then(|c| c.iter().find(|o| o["object"] == "Deployment/arches-api"))
        .unwrap();
    let replicas = api["fields"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["path"] == "spec.replicas"))
        .unwrap();
    assert_eq!(
        replicas,
        &serde_json::json!({"path": "spec.replicas", "a": 1, "b": 3})
    );
    let annotations = &api["fields"][0];
    assert_eq!(
        annotations,
        &serde_json::json!({"path": "metadata.annotations", "b": {"arches.example.com/environment": "production"}})
    );
}

#[test]
fn compare_errors_exit_2() {
    let out = run_compose(&root(), ["compare", "dev", "staging"]).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: unknown environment `staging`; known environments: dev, prod\n"
    );
    let out = run_compose(
        &root(),
        ["compare", "dev", "prod", "--set", "api.replicas=three"],
    )
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = run_compose(&root(), ["--env", "dev", "compare", "dev", "prod"]).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --env has no effect with `compose compare`, which takes the environments as A and B\n"
    );
}
