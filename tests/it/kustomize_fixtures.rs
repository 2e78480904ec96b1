//! `compose kustomize` on the hand-designed trees in
//! `tests/fixtures/kustomize/<name>/`: each has `input/`, an optional `entry`
//! file naming the folder to build relative to `input/` (default `.`), and
//! `expected.yaml`, which is kubectl's output (`tools/update-goldens.sh`).
//! Every fixture runs; the test fails listing each one that differs.
//! `compose lint --kustomize` runs on one of them too.

use crate::support::{read, root, run_compose};

#[test]
fn compose_kustomize_matches_kubectl_goldens() {
    let dir = root().join("tests/fixtures/kustomize");
    let mut cases: Vec<std::path::PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("input").is_dir() && p.join("expected.yaml").is_file())
        .collect();
    cases.sort();
    assert!(
        cases.len() >= 5,
        "expected at least 5 kustomize fixtures, found {}",
        cases.len()
    );

    let mut failures = Vec::new();
    for case in &cases {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let entry = std::fs::read_to_string(case.join("entry"))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| ".".to_string());
        let target = format!("input/{entry}");
        let expected = match read(&case.join("expected.yaml")) {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        match run_compose(case, ["kustomize", target.as_str()]) {
            Err(e) => failures.push(format!("{name}: {e}")),
            Ok(out) if !out.status.success() => failures.push(format!(
                "{name}: compose kustomize {target} failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )),
            Ok(out) if out.stdout != expected => {
                let e = String::from_utf8_lossy(&expected);
                let a = String::from_utf8_lossy(&out.stdout);
                let line = e
                    .lines()
                    .zip(a.lines())
                    .position(|(x, y)| x != y)
                    .unwrap_or_else(|| e.lines().count().min(a.lines().count()));
                failures.push(format!(
                    "{name}: output differs at line {} (expected {} lines, got {})",
                    line + 1,
                    e.lines().count(),
                    a.lines().count()
                ));
            }
            Ok(_) => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} kustomize fixtures failed:\n  {}",
        failures.len(),
        cases.len(),
        failures.join("\n  ")
    );
}

/// The fast YAML reader against the general parser on every YAML file of
/// the repository (fixtures, goldens written by kubectl, the example
/// project): each is declined or read the same, and most are read.
#[test]
fn fast_yaml_reader_agrees_on_every_repository_file() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    for d in ["tests/fixtures", "components", "values"] {
        walk(&root().join(d), &mut files);
    }
    let (mut fast, mut failures) = (0, Vec::new());
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        match compose_yaml::parse::fast_reader_agrees(&text) {
            Ok(true) => fast += 1,
            Ok(false) => {}
            Err(e) => failures.push(format!("{}: {e}", f.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "the readers disagree:\n{}",
        failures.join("\n")
    );
    assert!(
        files.len() > 50 && fast * 10 > files.len() * 9,
        "only {fast} of {} files were read fast",
        files.len()
    );
}

/// `compose lint --kustomize DIR` on a plain tree where kubectl applies
/// three patches as no change, without a word (the golden beside the
/// tree is kubectl's output: only the patch on `web` took effect): a
/// component's patch of an object that a later component brings, a
/// misspelt name, and a JSON 6902 patch of a kind the tree lacks. Each is
/// a finding at its target's line; `--strict` makes them exit 1.
#[test]
fn lint_kustomize_reports_patches_whose_target_selects_nothing() {
    let tree = root().join("tests/fixtures/kustomize/patch-targets-matching-nothing/input");
    let out = run_compose(&tree, ["lint", "--kustomize", "."]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "findings are not errors without --strict"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let fix = "  fix: match the target to an object of this kustomization's resources, or of the components listed before the patch runs; `compose kustomize DIR` prints them\n";
    let expected = [
        "comp/a/kustomization.yaml:5:7: [patch-target-matches-nothing] patches[0]: the target selects no object when the patch runs, so it changes nothing\n",
        "kustomization.yaml:15:7: [patch-target-matches-nothing] patches[1]: the target selects no object when the patch runs, so it changes nothing\n",
        "kustomization.yaml:23:7: [patch-target-matches-nothing] patchesJson6902[0]: the target selects no object when the patch runs, so it changes nothing\n",
    ]
    .map(|line| format!("{line}{fix}"))
    .concat();
    assert!(stdout.starts_with(&expected), "{stdout}");
    assert!(
        !stdout.contains("kustomization.yaml:9:"),
        "the patch on web applies: {stdout}"
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "5 findings (2 objects checked)\n"
    );

    let out = run_compose(&tree, ["lint", "-k", ".", "--strict"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));

    // Values flags mean nothing to a plain tree.
    let out =
        run_compose(&tree, ["lint", "-k", ".", "--env", "prod"]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --env has no effect with `compose lint --kustomize`, which loads no values\n"
    );
}
