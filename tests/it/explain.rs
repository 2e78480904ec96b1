//! `compose explain`: one field of one rendered object and where its
//! value came from. Every expected line was checked by hand: each place
//! against the file it names (the line and column where the value is
//! written; `(compose template)` lines against what `compose template`
//! prints for the same values), each value against the values files and
//! the rendered manifests.

use crate::support::{root, run_compose, TempDir};
use std::fs;
use std::path::Path;

/// stdout of a successful `compose explain` in `dir`.
fn explain(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    let out = run_compose(dir, all).unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The exit code and stderr of a failed `compose explain` in `dir`.
fn refused(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    let mut all = vec!["explain"];
    all.extend_from_slice(args);
    let out = run_compose(dir, all).unwrap_or_else(|e| panic!("{e}"));
    assert!(out.stdout.is_empty());
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// prod's api replicas: the component writes 1 (line 10 of its
/// Deployment), the generated kustomization's `replicas:` (line 23 of
/// `compose template --env prod`) makes it 3, from `api.replicas` in
/// values-prod.yaml (line 14); values.yaml sets no replicas.
#[test]
fn prod_replicas_come_from_the_prod_values() {
    assert_eq!(
        explain(
            &root(),
            &["--env", "prod", "Deployment/arches-api", "spec.replicas"]
        ),
        "Deployment/arches-api spec.replicas: 3 (namespace arches)\n\
         \n\
         components/api/deployment.yaml:10:13: 1\n\
         (compose template):23:1: replicas: 1 → 3\n  \
         from values api.replicas, set at values/values-prod.yaml:14:13\n"
    );
}

/// A `--set` wins over the file, which the line names as overridden.
#[test]
fn a_set_flag_is_named_over_the_file_it_overrides() {
    let out = explain(
        &root(),
        &[
            "--env",
            "prod",
            "--set",
            "api.replicas=5",
            "deployment/arches-api",
            "spec.replicas",
        ],
    );
    assert!(
        out.ends_with(
            "(compose template):23:1: replicas: 1 → 5\n  \
             from values api.replicas, set at --set api.replicas=5 (over values/values-prod.yaml:14:13)\n"
        ),
        "{out}"
    );
}

/// The image is made of two values: the repository the shared defaults
/// give (values.yaml line 22) and prod's tag (values-prod.yaml line 16).
/// The knob's patch is the first of the generated `patches:` (line 33).
#[test]
fn an_image_names_its_repository_and_its_tag() {
    let field = "spec.template.spec.containers[name=api].image";
    assert_eq!(
        explain(&root(), &["--env", "prod", "Deployment/arches-api", field]),
        format!(
            "Deployment/arches-api {field}: arches/api:v1.0.0 (namespace arches)\n\
             \n\
             components/api/deployment.yaml:37:18: arches/api:latest\n\
             (compose template):33:3: patches[0]: arches/api:latest → arches/api:v1.0.0\n  \
             from values api.image.repository, set at values/values.yaml:22:17\n  \
             from values api.image.tag, set at values/values-prod.yaml:16:10\n"
        )
    );
}

/// `settings` merge into the base's generated ConfigMap (its generator
/// is line 12 of base/kustomization.yaml, the merge line 226 of the
/// generated kustomization); the hash suffix then renames it, and the
/// name references carry the new name into the pods.
#[test]
fn generated_settings_and_the_names_that_follow_them() {
    assert_eq!(
        explain(
            &root(),
            &[
                "--env",
                "prod",
                "ConfigMap/arches-config-5g98f7khgf",
                "data.LOG_LEVEL"
            ]
        ),
        "ConfigMap/arches-config-5g98f7khgf data.LOG_LEVEL: warn (namespace arches)\n\
         \n\
         base/kustomization.yaml:12:5: configMapGenerator[0]: info\n\
         (compose template):226:3: configMapGenerator[0]: info → warn\n  \
         from values settings.LOG_LEVEL, set at values/values-prod.yaml:10:14\n"
    );
    let field = "spec.template.spec.containers[name=api].envFrom[0].configMapRef.name";
    assert_eq!(
        explain(&root(), &["--env", "prod", "Deployment/arches-api", field]),
        format!(
            "Deployment/arches-api {field}: arches-config-5g98f7khgf (namespace arches)\n\
             \n\
             components/api/deployment.yaml:43:23: arches-config\n\
             (compose template): name references: arches-config → arches-config-5g98f7khgf\n"
        )
    );
}

/// A field no file writes: the namespace comes from the project's
/// template (line 3 of the generated kustomization), which takes it from
/// `namespace` in values-prod.yaml.
#[test]
fn the_namespace_comes_from_the_template_and_its_value() {
    assert_eq!(
        explain(
            &root(),
            &[
                "--env",
                "prod",
                "Deployment/arches-api",
                "metadata.namespace"
            ]
        ),
        "Deployment/arches-api metadata.namespace: arches (namespace arches)\n\
         \n\
         components/api/deployment.yaml: (none)\n\
         (compose template):3:1: namespace: (none) → arches\n  \
         from values namespace, set at values/values-prod.yaml:3:12\n"
    );
}

/// The large tier of production in `examples/tiers`: the worker's own
/// template patches the ScaledObject (line 28 of the generated
/// kustomization) with `worker.queue.maxReplicas`, which the tier's file
/// sets over the shared default. Other values hold 16 too (the tier's
/// CPU), but only this one is named like the field.
#[test]
fn a_tier_value_written_by_a_component_template() {
    let dir = root().join("examples/tiers");
    assert_eq!(
        explain(
            &dir,
            &["--env", "production", "--tier", "large", "ScaledObject/tenants-worker", "spec.maxReplicaCount"]
        ),
        "ScaledObject/tenants-worker spec.maxReplicaCount: 16 (namespace tenants-large)\n\
         \n\
         components/worker/scaledobject.yaml:15:20: 4\n\
         (compose template):28:3: patches[1]: 4 → 16\n  \
         from values worker.queue.maxReplicas, set at values/values-tier-large.yaml:20:18 (over values/values.yaml:16:18)\n"
    );
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap_or(dir)).unwrap_or_else(|e| panic!("{e}"));
    fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
}

/// A project whose component patches its own Deployment: a patch file
/// (entry line 7; `replicas: 2` on line 6 of the file) raises the
/// replicas, an inline JSON patch (entry line 8; its `path` on line 12)
/// removes `paused`, another (entry line 13) replaces the container
/// whole (its new `image` on line 20, column 18); a Secret sits beside
/// it.
fn patched_project() -> TempDir {
    let p = TempDir::new("explain").unwrap_or_else(|e| panic!("{e}"));
    write(
        p.path(),
        "components/web/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - deployment.yaml\n  - secret.yaml\npatches:\n  - path: more-replicas.yaml\n  - target:\n      kind: Deployment\n    patch: |-\n      - op: remove\n        path: /spec/paused\n  - target:\n      kind: Deployment\n    patch: |\n      - op: replace\n        path: /spec/template/spec/containers/0\n        value:\n          name: web\n          image: shop/web:2\n",
    );
    write(
        p.path(),
        "components/web/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-web\nspec:\n  paused: true\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: web\n          image: shop/web:1\n",
    );
    write(
        p.path(),
        "components/web/more-replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-web\nspec:\n  replicas: 2\n",
    );
    write(
        p.path(),
        "components/web/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop-db\nstringData:\n  password: hunter2-very-secret\n",
    );
    write(
        p.path(),
        "values/values.yaml",
        "name: shop\nweb:\n  enabled: true\n",
    );
    write(
        p.path(),
        "values/values-dev.yaml",
        "namespace: shop-dev\nweb:\n  replicas: 3\n",
    );
    p
}

#[test]
fn each_patch_of_a_component_is_a_step_of_its_own() {
    let p = patched_project();
    assert_eq!(
        explain(
            p.path(),
            &["--env", "dev", "Deployment/shop-web", "spec.replicas"]
        ),
        "Deployment/shop-web spec.replicas: 3 (namespace shop-dev)\n\
         \n\
         components/web/deployment.yaml:7:13: 1\n\
         components/web/kustomization.yaml:7:5: patches[0]: 1 → 2\n  \
         written at components/web/more-replicas.yaml:6:13\n\
         (compose template):6:1: replicas: 2 → 3\n  \
         from values web.replicas, set at values/values-dev.yaml:3:13\n"
    );
    // A field a patch removed is explained too: it is gone in the render.
    assert_eq!(
        explain(
            p.path(),
            &["--env", "dev", "Deployment/shop-web", "spec.paused"]
        ),
        "Deployment/shop-web spec.paused: (none) (namespace shop-dev)\n\
         \n\
         components/web/deployment.yaml:6:11: true\n\
         components/web/kustomization.yaml:8:5: patches[1]: true → (none)\n  \
         written at components/web/kustomization.yaml:12:15\n"
    );
    // A patch of a parent: the place inside its value.
    let field = "spec.template.spec.containers[name=web].image";
    assert_eq!(
        explain(p.path(), &["--env", "dev", "Deployment/shop-web", field]),
        format!(
            "Deployment/shop-web {field}: shop/web:2 (namespace shop-dev)\n\
             \n\
             components/web/deployment.yaml:12:18: shop/web:1\n\
             components/web/kustomization.yaml:13:5: patches[2]: shop/web:1 → shop/web:2\n  \
             written at components/web/kustomization.yaml:20:18\n"
        )
    );
}

#[test]
fn a_secret_s_value_is_never_shown() {
    let p = patched_project();
    let out = explain(
        p.path(),
        &["--env", "dev", "Secret/shop-db", "stringData.password"],
    );
    assert!(!out.contains("hunter2"), "{out}");
    assert_eq!(
        out,
        "Secret/shop-db stringData.password: [redacted] (namespace shop-dev)\n\
         \n\
         components/web/secret.yaml:6:13: [redacted]\n"
    );
}

/// Names the render does not have exit 1 with the likely fix; a command
/// line that does not read exits 2.
#[test]
fn wrong_objects_and_fields_are_named_with_the_fix() {
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["Deployment/arches-apj", "spec.replicas"],
            1,
            "error: the render has no Deployment/arches-apj; did you mean Deployment/arches-api? (its Deployment objects: arches-api, arches-grafana, arches-platform, arches-scraper, arches-unstructured)\n",
        ),
        (
            &["Deploymnt/arches-api", "spec.replicas"],
            1,
            "error: the render has no Deploymnt/arches-api: it has no object of kind Deploymnt; did you mean Deployment? (its kinds: ConfigMap, Deployment, HorizontalPodAutoscaler, Ingress, Job, NetworkPolicy, PodDisruptionBudget, Service, ServiceAccount, StatefulSet)\n",
        ),
        (
            &["Deployment/arches-api", "spec.replica"],
            1,
            "error: Deployment/arches-api has no field `spec.replica` at any step of the build: `spec` has no `replica`; did you mean `replicas`?\n",
        ),
        (
            &["Deployment/arches-api", "spec.template.spec.containers[name=apx].image"],
            1,
            "error: Deployment/arches-api has no field `spec.template.spec.containers[name=apx].image` at any step of the build: `spec.template.spec.containers` has no `[name=apx]` (its items' name: api)\n",
        ),
        (
            &["-n", "other", "Service/arches-api", "spec"],
            1,
            "error: the render has no Service/arches-api in namespace other (its Service objects: arches-api (namespace arches), arches-database (namespace arches), arches-grafana (namespace arches), arches-loki (namespace arches), arches-platform (namespace arches), arches-redis (namespace arches), arches-storage (namespace arches), arches-unstructured (namespace arches))\n",
        ),
        (
            &["arches-api", "spec.replicas"],
            2,
            "error: `arches-api` is not KIND/NAME (for example Deployment/api)\n",
        ),
        (
            &["Deployment/arches-api", "spec..replicas"],
            2,
            "error: `spec..replicas` has an empty part (for example spec.replicas, or spec.template.spec.containers[name=api].image)\n",
        ),
    ];
    for (args, code, message) in cases {
        let mut all = vec!["--env", "prod"];
        all.extend_from_slice(args);
        let (got, stderr) = refused(&root(), &all);
        assert_eq!((got, stderr.as_str()), (Some(*code), *message), "{args:?}");
    }
}

/// The README's example is what the command prints.
#[test]
fn readme_shows_an_explanation() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap_or_else(|e| panic!("{e}"));
    let command = "$ compose explain ";
    let block = readme
        .split(command)
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_else(|| panic!("README has no `{command}` example"));
    let (line, printed) = block.split_once('\n').unwrap_or_default();
    let args: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(explain(&root(), &args), printed);
}

/// `-o json` prints the same explanation as one document.
#[test]
fn json_holds_the_same_explanation() {
    let out = explain(
        &root(),
        &[
            "--env",
            "prod",
            "Deployment/arches-api",
            "spec.replicas",
            "-o",
            "json",
        ],
    );
    let doc: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(
        doc,
        serde_json::json!({
            "object": "Deployment/arches-api",
            "namespace": "arches",
            "field": "spec.replicas",
            "value": 3,
            "steps": [
                {"place": "components/api/deployment.yaml:10:13", "value": 1},
                {
                    "place": "(compose template):23:1",
                    "step": "replicas",
                    "before": 1,
                    "after": 3,
                    "values": [{
                        "key": "api.replicas",
                        "setAt": "values/values-prod.yaml:14:13",
                        "over": []
                    }],
                    "candidates": false
                }
            ]
        })
    );
}

/// `validate` places a problem of a rendered object where the value at
/// fault was written: the Deployment's `spec` (line 5 of its file) lacks
/// the selector the API requires; the component's patch file writes a
/// word where a number belongs (line 7, after `  minReadySeconds: `).
#[test]
fn validate_points_at_the_line_that_wrote_the_wrong_value() {
    let p = patched_project();
    write(
        p.path(),
        "components/web/more-replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-web\nspec:\n  replicas: 2\n  minReadySeconds: soon\n",
    );
    let out = run_compose(p.path(), ["validate", "--env", "dev"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "components/web/deployment.yaml:5:1: Kubernetes 1.33: Deployment/shop-dev/shop-web: spec: \"selector\" is a required property\n  \
         |\n\
         5 | spec:\n  \
         | ^\n\
         components/web/more-replicas.yaml:7:20: Kubernetes 1.33: Deployment/shop-dev/shop-web: spec.minReadySeconds: \"soon\" is not of types \"null\", \"integer\"\n  \
         |\n\
         7 |   minReadySeconds: soon\n  \
         |                    ^\n\
         error: 2 problems found; nothing was rendered\n"
    );
}

/// `lint` places a finding about a field where the field was written:
/// the `latest` tag at the values file that sets it (line 4, after
/// `    tag: `), the container without resources at its item in the
/// component's file (line 11, after `        - `), the name of a Secret
/// no component has at its volume (line 16, after `secretName: `).
#[test]
fn lint_points_at_the_values_or_the_file_that_wrote_the_field() {
    let p = patched_project();
    write(
        p.path(),
        "values/values-prod.yaml",
        "namespace: shop\nweb:\n  image:\n    tag: latest\n",
    );
    let file = p.path().join("components/web/deployment.yaml");
    let text = fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    let volume = "      volumes:\n        - name: creds\n          secret:\n            secretName: shop-creds\n";
    fs::write(&file, format!("{text}{volume}")).unwrap_or_else(|e| panic!("{e}"));
    let out = run_compose(p.path(), ["lint", "--env", "prod", "-o", "github"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "::warning file=components/web/deployment.yaml,line=16,col=25,title=dangling-reference::Deployment/shop/shop-web: volume `creds` names Secret `shop-creds`, which is not in the output%0Afix: add it to a component, fix the name, or, when it is created outside the project, list `Secret/shop-creds` under `lint.external` in the values\n\
         ::warning file=values/values-prod.yaml,line=4,col=10,title=latest-tag::Deployment/shop/shop-web: container `web` runs `shop/web:latest` in environment `prod`: `latest` moves, so a restart can change what runs%0Afix: set the component's `image.tag` (or a digest) in this environment's values file\n\
         ::warning file=components/web/deployment.yaml,line=11,col=11,title=missing-resources::Deployment/shop/shop-web: container `web` has no resource requests or limits%0Afix: set `resources.requests` (what the scheduler reserves) and `resources.limits` in the component's manifest\n"
    );
}

/// A problem in a Secret is placed at its line, which is not quoted: the
/// line holds the Secret's value (line 6, after `  password: `).
#[test]
fn validate_does_not_quote_a_secret_s_line() {
    let p = patched_project();
    write(
        p.path(),
        "components/web/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: shop-db\nstringData:\n  password: 123456789\n",
    );
    let out = run_compose(p.path(), ["validate", "--env", "dev"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("123456789"), "{stderr}");
    assert!(
        stderr.contains(
            "components/web/secret.yaml:6:13: Kubernetes 1.33: Secret/shop-dev/shop-db: stringData.password: [redacted] is not of types \"null\", \"string\"\ncomponents/web/deployment.yaml:5:1: "
        ),
        "{stderr}"
    );
}

/// In text, a finding about an object starts with the place that wrote
/// the field (the README shows this one).
#[test]
fn lint_text_starts_with_the_place() {
    let p = patched_project();
    write(
        p.path(),
        "values/values-prod.yaml",
        "namespace: shop\nweb:\n  image:\n    tag: latest\n",
    );
    let out = run_compose(p.path(), ["lint", "--env", "prod"]).unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let readme = fs::read_to_string(root().join("README.md")).unwrap_or_else(|e| panic!("{e}"));
    let shown = "values/values-prod.yaml:4:10: Deployment/shop/shop-web: [latest-tag] container `web` runs `shop/web:latest` in environment `prod`: `latest` moves, so a restart can change what runs\n  fix: set the component's `image.tag` (or a digest) in this environment's values file\n";
    assert!(text.contains(shown), "{text}");
    assert!(
        readme.contains(shown),
        "the README's example is out of date"
    );
}

/// The external database of `examples/external-db`: the project's
/// template merges the declared `database` values into the base's
/// generated ConfigMap (its generator on line 10 of the base, the merge
/// on line 11 of the generated kustomization); prod's host (line 7)
/// overrides the shared one (line 6).
#[test]
fn an_external_database_endpoint_comes_from_the_declared_values() {
    let dir = root().join("examples/external-db");
    assert_eq!(
        explain(
            &dir,
            &["--env", "prod", "ConfigMap/docs-config-dk94fb98h5", "data.DATABASE_HOST"]
        ),
        "ConfigMap/docs-config-dk94fb98h5 data.DATABASE_HOST: docs-prod.cluster-abc123.eu-west-1.rds.example.com (namespace docs)\n\
         \n\
         base/kustomization.yaml:10:5: configMapGenerator[0]: (none)\n\
         (compose template):11:3: configMapGenerator[0]: (none) → docs-prod.cluster-abc123.eu-west-1.rds.example.com\n  \
         from values database.host, set at values/values-prod.yaml:7:9 (over values/values.yaml:6:9)\n"
    );
}
