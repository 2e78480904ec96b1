//! `compose init`: a new project that builds at once, agrees with
//! kubectl, and never overwrites anything.

use crate::support::{assert_kubectl_agrees, kubectl_or_skip, run_compose, stdout_of, TempDir};
use std::fs;
use std::path::Path;

/// Every file under `dir`, relative, sorted (hidden ones included).
fn tree(dir: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for e in entries {
            let path = e.unwrap_or_else(|e| panic!("{e}")).path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap_or(&path);
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

const FILES: &[&str] = &[
    "Makefile",
    "README.md",
    "base/kustomization.yaml",
    "base/serviceaccount.yaml",
    "components/web/deployment.yaml",
    "components/web/kustomization.yaml",
    "components/web/service.yaml",
    "compose.yaml",
    "schema/compose.schema.json",
    "schema/values.schema.json",
    "values/values-dev.yaml",
    "values/values-prod.yaml",
    "values/values.yaml",
];

#[test]
fn init_makes_a_project_that_builds_at_once() {
    let tmp = TempDir::new("init").unwrap_or_else(|e| panic!("{e}"));
    let out = run_compose(tmp.path(), ["init", "shop"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "created project `shop` in shop (compose.yaml, base, components, values, Makefile, README.md, schema); try: cd shop && compose --env dev\n"
    );
    let project = tmp.path().join("shop");
    assert_eq!(tree(&project), FILES);
    for f in [
        "values/values.yaml",
        "values/values-dev.yaml",
        "values/values-prod.yaml",
    ] {
        let text = fs::read_to_string(project.join(f)).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schema/values.schema.json\n"),
            "{f}: {text}"
        );
    }
    let text = fs::read_to_string(project.join("compose.yaml")).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.starts_with("# yaml-language-server: $schema=schema/compose.schema.json\n"));

    // The committed schemas are what `compose schema --write` writes.
    let out = run_compose(&project, ["schema", "--check"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "schema/values.schema.json and schema/compose.schema.json are up to date\n"
    );
    assert_eq!(out.status.code(), Some(0));

    for env in ["dev", "prod"] {
        let out = run_compose(&project, ["build", "--env", env]).unwrap_or_else(|e| panic!("{e}"));
        let built =
            stdout_of(&format!("compose build --env {env}"), out).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&built);
        let namespace = if env == "prod" { "shop" } else { "shop-dev" };
        assert_eq!(
            text.matches(&format!("  namespace: {namespace}\n")).count(),
            3,
            "{text}"
        );
        if kubectl_or_skip("init_makes_a_project_that_builds_at_once") {
            let agreed = assert_kubectl_agrees(&project, &["--env", env]);
            assert_eq!(agreed, built);
        }
        // Clean by the project's own rules.
        let out = run_compose(&project, ["lint", "--strict", "--env", env])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let out =
            run_compose(&project, ["validate", "--env", env]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = run_compose(
        &project,
        [
            "argocd",
            "appset",
            "--repo-url",
            "https://git.example.com/shop.git",
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let set = stdout_of("compose argocd appset", out).unwrap_or_else(|e| panic!("{e}"));
    assert!(String::from_utf8_lossy(&set).contains(
        "      - env: dev\n        namespace: shop-dev\n      - env: prod\n        namespace: shop\n"
    ));
}

#[test]
fn init_never_overwrites_and_writes_nothing_when_it_refuses() {
    let tmp = TempDir::new("init-taken").unwrap_or_else(|e| panic!("{e}"));
    fs::write(tmp.path().join("README.md"), "ours\n").unwrap_or_else(|e| panic!("{e}"));
    fs::create_dir(tmp.path().join("values")).unwrap_or_else(|e| panic!("{e}"));
    let out = run_compose(tmp.path(), ["init", "--name", "shop"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: . already holds `values`, `README.md`; compose init never overwrites, so nothing was written (start in a new or empty folder)\n"
    );
    assert_eq!(tree(tmp.path()), ["README.md"]);
    assert_eq!(
        fs::read_to_string(tmp.path().join("README.md")).unwrap_or_default(),
        "ours\n"
    );
    assert!(tmp.path().join("values").is_dir());

    // A second init over a fresh project refuses every entry.
    let out = run_compose(tmp.path(), ["init", "new"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0));
    let before = tree(&tmp.path().join("new"));
    let out = run_compose(tmp.path(), ["init", "new"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: new already holds `compose.yaml`, `base`, `components`, `values`, `Makefile`, `README.md`, `schema`; compose init never overwrites, so nothing was written (start in a new or empty folder)\n"
    );
    assert_eq!(tree(&tmp.path().join("new")), before);
}

#[test]
fn init_needs_a_name_that_can_name_objects() {
    let tmp = TempDir::new("init-name").unwrap_or_else(|e| panic!("{e}"));
    let out = run_compose(tmp.path(), ["init", "My App"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: `My App` (the folder's name) cannot name a project: use lowercase letters, digits and inner '-' (at most 63); give one with --name\n"
    );
    assert!(!tmp.path().join("My App").exists(), "nothing created");
    let out = run_compose(tmp.path(), ["init", "My App", "--name", "my-app"])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0));
    let out =
        run_compose(&tmp.path().join("My App"), ["--env", "dev"]).unwrap_or_else(|e| panic!("{e}"));
    let built = stdout_of("compose --env dev", out).unwrap_or_else(|e| panic!("{e}"));
    assert!(String::from_utf8_lossy(&built).contains("  name: my-app-web\n"));

    let out =
        run_compose(tmp.path(), ["init", "x", "--env", "dev"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --env has no effect with `compose init`, which loads no values\n"
    );
}

/// The README's "Adopt compose in an existing Helm-templated
/// kustomization": a tree where Helm renders the kustomization and
/// kustomize builds the rest, used in place through a project file.
#[test]
fn a_helm_templated_kustomization_renders_in_place_with_a_project_file() {
    let tmp = TempDir::new("adopt").unwrap_or_else(|e| panic!("{e}"));
    let root = tmp.path();
    let write = |rel: &str, text: &str| {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap_or(root)).unwrap_or_else(|e| panic!("{e}"));
        fs::write(p, text).unwrap_or_else(|e| panic!("{e}"));
    };
    // What the Helm pipeline had; compose reads none of the chart's own files.
    write(
        "deployments/helm-minimal/Chart.yaml",
        "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    );
    write(
        "deployments/helm-minimal/templates/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {{ .Values.namespace }}\nresources:\n  - base\n",
    );
    write(
        "deployments/kustomize/base/kustomization.yaml",
        "resources:\n  - serviceaccount.yaml\n",
    );
    write(
        "deployments/kustomize/base/serviceaccount.yaml",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: shop\n",
    );
    write(
        "deployments/kustomize/components/database/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - service.yaml\n",
    );
    write(
        "deployments/kustomize/components/database/service.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: shop-database\nspec:\n  ports:\n    - port: 5432\n",
    );
    write(
        "deployments/kustomize/components/api/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - deployment.yaml\n",
    );
    write(
        "deployments/kustomize/components/api/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: shop-api\nspec:\n  replicas: 1\n  selector:\n    matchLabels: {app: api}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n        - name: api\n          image: shop/api\n",
    );
    // The values, ported to compose's keys, where the chart had them.
    write(
        "deployments/helm-minimal/values.yaml",
        "name: shop\napi:\n  enabled: true\n  image:\n    repository: shop/api\n    tag: \"1.0\"\ndatabase:\n  enabled: true\n",
    );
    write(
        "deployments/helm-minimal/values-dev.yaml",
        "namespace: shop-dev\n",
    );
    write(
        "deployments/helm-minimal/values-prod.yaml",
        "namespace: shop\napi:\n  replicas: 3\n",
    );
    // The rest of the Helm template, as minijinja.
    write(
        "deployments/helm-minimal/kustomization.yaml.j2",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {{ namespace | required('set namespace') }}\nresources:\n  - {{ base }}\ncomponents:\n{% for c in components %}\n  - {{ c.path }}\n{% endfor %}\n",
    );
    // The project file of the README, word for word.
    write(
        "compose.yaml",
        "# yaml-language-server: $schema=schema/compose.schema.json
paths:
  base: deployments/kustomize/base
  components: deployments/kustomize/components
  values: deployments/helm-minimal
  template: deployments/helm-minimal/kustomization.yaml.j2
environments: [dev, prod]
order: [database, api]      # when a component patches another's objects
",
    );
    let out = run_compose(root, ["schema", "--write"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_compose(root, ["template", "--env", "prod"]).unwrap_or_else(|e| panic!("{e}"));
    let template = stdout_of("compose template", out).unwrap_or_else(|e| panic!("{e}"));
    let template = String::from_utf8_lossy(&template);
    assert!(
        template.contains(
            "resources:\n- deployments/kustomize/base\ncomponents:\n- deployments/kustomize/components/database\n- deployments/kustomize/components/api\n"
        ),
        "{template}"
    );
    for env in ["dev", "prod"] {
        let out = run_compose(root, ["build", "--env", env]).unwrap_or_else(|e| panic!("{e}"));
        let built =
            stdout_of(&format!("compose build --env {env}"), out).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&built);
        assert!(text.contains("image: shop/api:1.0\n"), "{text}");
        if env == "prod" {
            assert!(text.contains("  replicas: 3\n"), "{text}");
        }
        if kubectl_or_skip("a_helm_templated_kustomization_renders_in_place") {
            assert_eq!(assert_kubectl_agrees(root, &["--env", env]), built);
        }
    }
}
