//! Differential test against kubectl (the oracle): for each values file F
//! (and once with a `--set` on top), the kustomization that
//! `compose template --values F` generates, saved at the root of a copy of
//! the project, must build with `kubectl kustomize` to exactly the bytes that
//! `compose --values F` prints.
//!
//! Without kubectl the test says it was skipped, except under CI, where a
//! missing kubectl is a failure.

use crate::support::{assert_kubectl_agrees, copy_project, kubectl_or_skip, root};

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
fn render_equals_kubectl_on_generated_kustomization() {
    if !kubectl_or_skip("differential test against kubectl kustomize") {
        return;
    }
    let files = values_files();
    assert!(!files.is_empty(), "no values/values-*.yaml files found");
    // Each values file alone, and one with a component switched on by --set.
    let mut cases: Vec<Vec<String>> = files
        .iter()
        .map(|f| vec!["--values".to_owned(), f.clone()])
        .collect();
    cases.push(
        ["--values", "values-dev.yaml", "--set", "redis.enabled=true"]
            .map(str::to_owned)
            .to_vec(),
    );
    for args in cases {
        let project = copy_project("diff").unwrap_or_else(|e| panic!("{e}"));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_kubectl_agrees(project.path(), &args);
    }
}
