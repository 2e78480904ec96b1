//! The built-in knobs of a component, on the example project: each one
//! reaches its own component's objects and nothing else, `kubectl
//! kustomize` of the generated kustomization agrees, and each kind of bad
//! input is an error at the values key that caused it, with exit 1 and
//! nothing printed on stdout.

use crate::support::{assert_kubectl_agrees, copy_project, kubectl_or_skip, run_compose, TempDir};
use compose_yaml::{parse_stream, Node};
use std::path::Path;

/// The built objects, by `Kind/name`.
fn objects(out: &[u8]) -> Vec<(String, Node)> {
    parse_stream(&String::from_utf8_lossy(out))
        .unwrap_or_else(|e| panic!("output is not YAML: {e:?}"))
        .into_iter()
        .map(|n| {
            let id = format!(
                "{}/{}",
                n.str_at(&["kind"]).unwrap_or(""),
                n.str_at(&["metadata", "name"]).unwrap_or("")
            );
            (id, n)
        })
        .collect()
}

fn object<'a>(all: &'a [(String, Node)], id: &str) -> &'a Node {
    all.iter()
        .find(|(i, _)| i == id)
        .map(|(_, n)| n)
        .unwrap_or_else(|| panic!("no {id} in the output"))
}

fn pod_spec(n: &Node) -> &Node {
    n.get_path(&["spec", "template", "spec"])
        .unwrap_or_else(|| panic!("no pod template"))
}

/// A file of extra values in the project's values folder.
fn write(project: &Path, rel: &str, text: &str) {
    let path = project.join(rel);
    std::fs::create_dir_all(path.parent().unwrap_or(project)).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
}

const SCHEDULING: &str = "# yaml-language-server: $schema=../schema/values.schema.json
api:
  env:
    LOG_FORMAT: text
    FEATURE_X: \"on\"
  nodeSelector:
    kubernetes.io/arch: arm64
  tolerations:
    - key: dedicated
      operator: Equal
      value: api
      effect: NoSchedule
  affinity:
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          podAffinityTerm:
            topologyKey: kubernetes.io/hostname
            labelSelector:
              matchLabels:
                app.kubernetes.io/component: api
  podAnnotations:
    prometheus.io/scrape: \"true\"
";

#[test]
fn pod_knobs_reach_their_component_only() {
    if !kubectl_or_skip("knobs against kubectl kustomize") {
        return;
    }
    let p = copy_project("knobs-pod").unwrap_or_else(|e| panic!("{e}"));
    write(p.path(), "values/scheduling.yaml", SCHEDULING);
    let out = assert_kubectl_agrees(p.path(), &["--env", "prod", "-f", "scheduling.yaml"]);
    let all = objects(&out);
    let api = pod_spec(object(&all, "Deployment/arches-api"));
    assert_eq!(
        api.str_at(&["nodeSelector", "kubernetes.io/arch"]),
        Some("arm64")
    );
    assert_eq!(
        api.get_path(&["tolerations"])
            .and_then(Node::as_seq)
            .map(Vec::len),
        Some(1)
    );
    assert!(api.get_path(&["affinity", "podAntiAffinity"]).is_some());
    let env = api
        .get_path(&["containers"])
        .and_then(Node::as_seq)
        .unwrap()[0]
        .get("env")
        .and_then(Node::as_seq)
        .unwrap();
    let value_of = |name: &str| {
        env.iter()
            .find(|e| e.str_at(&["name"]) == Some(name))
            .and_then(|e| e.str_at(&["value"]))
    };
    assert_eq!(value_of("LOG_FORMAT"), Some("text"));
    assert_eq!(value_of("FEATURE_X"), Some("on"));
    assert_eq!(
        value_of("PORT"),
        Some("3001"),
        "the manifest's own env stays"
    );
    let annotations = object(&all, "Deployment/arches-api")
        .get_path(&["spec", "template", "metadata", "annotations"])
        .unwrap();
    assert_eq!(annotations.str_at(&["prometheus.io/scrape"]), Some("true"));
    // Another component's workload is untouched.
    let platform = pod_spec(object(&all, "Deployment/arches-platform"));
    assert!(platform.get("nodeSelector").is_none() && platform.get("tolerations").is_none());
}

/// Two components run the same image repository with different tags; each
/// keeps its own (the generated `images:` of old were global).
#[test]
fn one_repository_two_components_two_tags() {
    if !kubectl_or_skip("image scoping against kubectl kustomize") {
        return;
    }
    let p = TempDir::new("knobs-images").unwrap_or_else(|e| panic!("{e}"));
    for name in ["api", "worker"] {
        write(
            p.path(),
            &format!("components/{name}/kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - deployment.yaml\n",
        );
        write(
            p.path(),
            &format!("components/{name}/deployment.yaml"),
            &format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-{name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: {name}\n          image: acme/core:latest\n"),
        );
    }
    write(
        p.path(),
        "values/values.yaml",
        "name: app\napi:\n  enabled: true\n  image:\n    repository: acme/core\n    tag: \"1.0\"\nworker:\n  enabled: true\n  image:\n    repository: acme/core\n    tag: \"2.0\"\n",
    );
    let out = assert_kubectl_agrees(p.path(), &[]);
    let all = objects(&out);
    let image = |id: &str| {
        pod_spec(object(&all, id))
            .get_path(&["containers"])
            .and_then(Node::as_seq)
            .and_then(|c| c[0].str_at(&["image"]))
            .map(str::to_string)
    };
    assert_eq!(
        image("Deployment/app-api").as_deref(),
        Some("acme/core:1.0")
    );
    assert_eq!(
        image("Deployment/app-worker").as_deref(),
        Some("acme/core:2.0")
    );
}

/// A bad knob: exit 1, nothing on stdout, and this message on stderr.
fn refused(args: &[&str], extra: Option<(&str, &str)>) -> String {
    let p = copy_project("knobs-bad").unwrap_or_else(|e| panic!("{e}"));
    if let Some((rel, text)) = extra {
        write(p.path(), rel, text);
    }
    let out = run_compose(p.path(), args).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_knob_that_would_change_nothing_is_an_error_at_its_key() {
    let e = refused(&["--env", "dev", "--set", "redis.replicas=2"], None);
    assert_eq!(
        e.lines().next(),
        Some("--set redis.replicas=2: redis.replicas: `redis` is disabled in this environment, so this changes nothing")
    );
    let e = refused(&["--env", "prod", "--set", "ingress.replicas=2"], None);
    assert!(
        e.starts_with("--set ingress.replicas=2: ingress.replicas: component `ingress` has no Deployment or StatefulSet to scale (its objects: Ingress/arches)\n"),
        "{e}"
    );
    let e = refused(
        &["--env", "prod", "--set", "ingress.resources.limits.cpu=1"],
        None,
    );
    assert!(
        e.starts_with("--set ingress.resources.limits.cpu=1: ingress.resources: component `ingress` has no workload with a pod template, so this changes nothing (its objects: Ingress/arches)\n"),
        "{e}"
    );
    let e = refused(&["--env", "prod", "--set", "api.storage.size=1Gi"], None);
    assert!(e.starts_with("--set api.storage.size=1Gi: api.storage: component `api` has no PersistentVolumeClaim or StatefulSet volumeClaimTemplates, so this changes nothing"), "{e}");
    let e = refused(
        &["--env", "prod", "--set", "api.autoscaling.maxReplicas=4"],
        None,
    );
    assert!(e.starts_with("--set api.autoscaling.maxReplicas=4: api.autoscaling: component `api` has no HorizontalPodAutoscaler, so this changes nothing"), "{e}");
    assert!(
        e.contains("help: add one to the component's manifests"),
        "{e}"
    );
    let e = refused(
        &["--env", "prod", "--set", "api.ingress.host=x.example.com"],
        None,
    );
    assert!(
        e.starts_with(
            "--set api.ingress.host=x.example.com: api.ingress: component `api` has no Ingress"
        ),
        "{e}"
    );
}

#[test]
fn bad_knob_values_are_located_in_their_file() {
    let bad = "api:\n  image:\n    repository: arches/apii\n";
    let e = refused(
        &["--env", "dev", "-f", "bad.yaml"],
        Some(("values/bad.yaml", bad)),
    );
    assert!(
        e.starts_with("values/bad.yaml:3:17: api.image.repository: no container of component `api` uses the image `arches/apii`\n"),
        "{e}"
    );
    assert!(e.contains("help: did you mean `arches/api`?"), "{e}");
    let bad = "api:\n  resources:\n    limits:\n      cpu: 2x\n";
    let e = refused(
        &["--env", "dev", "-f", "bad.yaml"],
        Some(("values/bad.yaml", bad)),
    );
    assert!(
        e.starts_with("values/bad.yaml:4:12: api.resources.limits.cpu: \"2x\" is not a Kubernetes quantity (such as 500m, 2, 1.5, 512Mi or 2Gi)\n"),
        "{e}"
    );
    let bad = "scraper:\n  autoscaling:\n    minReplicas: 20\n";
    let e = refused(
        &["--env", "prod", "-f", "bad.yaml"],
        Some(("values/bad.yaml", bad)),
    );
    assert!(
        e.starts_with("values/bad.yaml:3:18: scraper.autoscaling: minReplicas (20) is greater than maxReplicas (10) for HorizontalPodAutoscaler/arches-scraper\n"),
        "{e}"
    );
    let bad = "api:\n  env:\n    DATABASE_PASSWORD: hunter2\n";
    let e = refused(
        &["--env", "dev", "-f", "bad.yaml"],
        Some(("values/bad.yaml", bad)),
    );
    assert!(
        e.starts_with("values/bad.yaml:3:5: api.env.DATABASE_PASSWORD: container `api` of Deployment/arches-api sets `DATABASE_PASSWORD` from a Secret or ConfigMap (valueFrom); a value here would conflict with it\n"),
        "{e}"
    );
    let bad = "api:\n  container: apii\n  resources:\n    limits:\n      cpu: 1\n";
    let e = refused(
        &["--env", "dev", "-f", "bad.yaml"],
        Some(("values/bad.yaml", bad)),
    );
    assert!(
        e.starts_with("values/bad.yaml:2:14: api.container: Deployment/arches-api of component `api` has no container `apii` (its containers: api)\n"),
        "{e}"
    );
}

#[test]
fn settings_need_a_generated_config_map() {
    let e = refused(
        &[
            "--env",
            "dev",
            "--set",
            "settingsConfigMap=other",
            "--set",
            "settings.A=b",
        ],
        None,
    );
    assert!(
        e.starts_with("--set settings.A=b: settings: neither the base nor an enabled component generates a ConfigMap named `other`, so these settings would reach no pod\n"),
        "{e}"
    );
    assert!(
        e.contains(
            "help: set `settingsConfigMap` to one of the generated ConfigMaps: arches-config"
        ),
        "{e}"
    );
}
