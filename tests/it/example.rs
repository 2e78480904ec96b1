//! The example project at the repository root, end to end.
//!
//! For each environment `<env>` with a folder in `tests/fixtures/example/`:
//! - `compose --values values-<env>.yaml`, run from the project root exactly
//!   as a user types it, prints `expected.yaml` byte for byte (that golden is
//!   kubectl's output for the fixture kustomization, see
//!   `tools/update-goldens.sh`);
//! - `compose template --values values-<env>.yaml` generates a kustomization
//!   structurally equal to the fixture `kustomization.yaml`.

use crate::support::{assert_same_bytes, read, root, run_compose, same_yaml, stdout_of};

fn fixture(env: &str, file: &str) -> std::path::PathBuf {
    root().join("tests/fixtures/example").join(env).join(file)
}

fn render_matches_golden(env: &str) {
    let values = format!("values-{env}.yaml");
    let expected = read(&fixture(env, "expected.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let out = run_compose(&root(), ["--values", values.as_str()]).unwrap_or_else(|e| panic!("{e}"));
    let actual =
        stdout_of(&format!("compose --values {values}"), out).unwrap_or_else(|e| panic!("{e}"));
    assert_same_bytes(&format!("compose --values {values}"), &expected, &actual);
}

fn template_matches_fixture(env: &str) {
    let values = format!("values-{env}.yaml");
    let expected = read(&fixture(env, "kustomization.yaml")).unwrap_or_else(|e| panic!("{e}"));
    let out = run_compose(&root(), ["template", "--values", values.as_str()])
        .unwrap_or_else(|e| panic!("{e}"));
    let actual = stdout_of(&format!("compose template --values {values}"), out)
        .unwrap_or_else(|e| panic!("{e}"));
    let expected = String::from_utf8_lossy(&expected);
    let actual = String::from_utf8_lossy(&actual);
    let same = same_yaml(&expected, &actual).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        same,
        "compose template --values {values} differs from tests/fixtures/example/{env}/kustomization.yaml\n\
         --- expected\n{expected}--- actual\n{actual}"
    );
}

#[test]
fn dev_render_matches_kubectl_golden() {
    render_matches_golden("dev");
}

#[test]
fn prod_render_matches_kubectl_golden() {
    render_matches_golden("prod");
}

#[test]
fn dev_template_generates_expected_kustomization() {
    template_matches_fixture("dev");
}

#[test]
fn prod_template_generates_expected_kustomization() {
    template_matches_fixture("prod");
}

/// Every environment fixture has its values file, and every values file
/// starts with the modeline that points editors at the committed schema.
#[test]
fn every_fixture_env_has_a_values_file_with_modeline() {
    let dir = root().join("tests/fixtures/example");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    let mut envs = 0;
    for entry in entries.flatten() {
        if !entry.path().is_dir() {
            continue;
        }
        envs += 1;
        let env = entry.file_name().to_string_lossy().into_owned();
        let values = root().join("values").join(format!("values-{env}.yaml"));
        let text = std::fs::read_to_string(&values)
            .unwrap_or_else(|e| panic!("fixture env {env} has no {}: {e}", values.display()));
        assert!(
            text.starts_with("# yaml-language-server: $schema=../schema/values.schema.json\n"),
            "{} must start with the schema modeline",
            values.display()
        );
    }
    assert!(envs >= 2, "expected dev and prod fixtures, found {envs}");
}
