//! `compose kustomize` on the hand-designed trees in
//! `tests/fixtures/kustomize/<name>/`: each has `input/`, an optional `entry`
//! file naming the folder to build relative to `input/` (default `.`), and
//! `expected.yaml`, which is kubectl's output (`tools/update-goldens.sh`).
//! Every fixture runs; the test fails listing each one that differs.

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
