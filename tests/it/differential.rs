//! Differential test against kubectl (the oracle), run only when kubectl is
//! on PATH: for each values file F, the kustomization that
//! `compose template --values F` generates, saved at the root of a copy of
//! the project, must build with `kubectl kustomize` to exactly the bytes that
//! `compose --values F` prints.

use crate::support::{
    assert_same_bytes, copy_project, kubectl_available, kubectl_kustomize, root, run_compose,
    stdout_of,
};

fn values_files() -> Vec<String> {
    let dir = root().join("values");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("values-") && n.ends_with(".yaml"))
        .collect();
    names.sort();
    names
}

#[test]
#[allow(clippy::print_stderr)] // the skip notice must reach the test log
fn render_equals_kubectl_on_generated_kustomization() {
    if !kubectl_available() {
        eprintln!("skipped: kubectl not on PATH (differential test against kubectl kustomize)");
        return;
    }
    let files = values_files();
    assert!(!files.is_empty(), "no values/values-*.yaml files found");
    for file in files {
        let project = copy_project("diff").unwrap_or_else(|e| panic!("{e}"));
        let out = run_compose(project.path(), ["template", "--values", file.as_str()])
            .unwrap_or_else(|e| panic!("{e}"));
        let kustomization = stdout_of(&format!("compose template --values {file}"), out)
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(project.path().join("kustomization.yaml"), &kustomization)
            .unwrap_or_else(|e| panic!("write kustomization.yaml: {e}"));
        let oracle = kubectl_kustomize(project.path()).unwrap_or_else(|e| panic!("{e}"));

        // compose renders from a pristine copy: the saved kustomization.yaml
        // above must not influence it.
        let clean = copy_project("diff-render").unwrap_or_else(|e| panic!("{e}"));
        let out = run_compose(clean.path(), ["--values", file.as_str()])
            .unwrap_or_else(|e| panic!("{e}"));
        let ours =
            stdout_of(&format!("compose --values {file}"), out).unwrap_or_else(|e| panic!("{e}"));
        assert_same_bytes(
            &format!("compose --values {file} vs kubectl kustomize of its template"),
            &oracle,
            &ours,
        );
    }
}
