//! A repository laid out as "Helm templates only the kustomization":
//! components under `deployments/kustomize/components/<name>/`, the base
//! under `deployments/kustomize/base`, the chart with its `values.yaml`,
//! `values-dev.yaml` and `values-prod.yaml` under
//! `deployments/helm-minimal/`. A project file at the root points compose
//! at those folders; no file moves and the values files keep the chart's
//! keys (`tests/fixtures/blueprint`).
//!
//! Every environment renders exactly its golden, which kubectl built from
//! `compose template` (`tools/update-goldens.sh blueprint`); the chart's
//! own `--values values-prod.yaml` form finds the file in the values
//! folder; the committed schemas are fresh; kubectl agrees with the render.

use crate::support::{
    assert_kubectl_agrees, assert_same_bytes, kubectl_or_skip, read, root, run_compose,
};
use std::path::PathBuf;

const ENVS: &[&str] = &["dev", "prod"];

fn fixture() -> PathBuf {
    root().join("tests/fixtures/blueprint")
}

fn render(args: &[&str]) -> Vec<u8> {
    let out = run_compose(&fixture(), args).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "blueprint {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn golden(env: &str) -> Vec<u8> {
    read(&fixture().join(format!("expected-{env}.yaml"))).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn every_environment_renders_its_kubectl_golden() {
    for env in ENVS {
        let ours = render(&["--env", env]);
        assert_same_bytes(&format!("blueprint --env {env}"), &golden(env), &ours);
    }
}

#[test]
fn the_environments_differ_as_the_values_files_say() {
    let dev = String::from_utf8_lossy(&golden("dev")).into_owned();
    let prod = String::from_utf8_lossy(&golden("prod")).into_owned();
    assert!(dev.contains("namespace: archesai-dev\n"), "{dev}");
    assert!(!dev.contains("name: archesai-redis\n"), "{dev}");
    assert!(dev.contains("name: archesai-migrations\n"), "{dev}");
    assert!(prod.contains("image: archesai/api:v1.0.0\n"), "{prod}");
    assert!(prod.contains("name: archesai-scraper\n"), "{prod}");
    // The api image tag reaches the api component only.
    assert!(prod.contains("image: archesai/api:latest\n"), "{prod}");
}

/// `compose --values values-prod.yaml`, the chart's `-f values-prod.yaml`,
/// run from the root finds the file in the values folder.
#[test]
fn the_charts_values_flag_finds_the_file_in_the_values_folder() {
    assert!(!fixture().join("values-prod.yaml").exists());
    let ours = render(&["--values", "values-prod.yaml"]);
    assert_same_bytes(
        "blueprint --values values-prod.yaml",
        &golden("prod"),
        &ours,
    );
}

#[test]
fn the_committed_schemas_are_fresh() {
    let out = run_compose(&fixture(), ["schema", "--check"]).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "blueprint: {} (run `compose schema --write` there)",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn kubectl_agrees_with_every_environment() {
    if !kubectl_or_skip("the blueprint layout against kubectl kustomize") {
        return;
    }
    for env in ENVS {
        assert_kubectl_agrees(&fixture(), &["--env", env]);
    }
    assert_kubectl_agrees(&fixture(), &["--values", "values-prod.yaml"]);
}
