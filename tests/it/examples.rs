//! The example projects under `examples/`, end to end:
//!
//! - `tiers`: capacity tiers (small, medium, large) crossed with dev,
//!   staging and production; a project template, project-declared values
//!   (`domain`, the worker's `queue`) and component templates (the KEDA
//!   ScaledObject, the Ingress host);
//! - `external-db`: a bundled PostgreSQL or an external one, the endpoint
//!   a declared value that reaches the pods through a generator merge.
//!
//! Every environment (and tier) renders exactly its golden, which kubectl
//! built from `compose template` (`tools/update-goldens.sh examples`);
//! kubectl agrees with the render; the committed schemas are fresh; and
//! bad project values are located errors.

use crate::support::{
    assert_kubectl_agrees, assert_same_bytes, kubectl_or_skip, read, root, run_compose, TempDir,
};
use std::path::PathBuf;

/// (project, env, tier) of every golden, with the golden's path.
fn goldens() -> Vec<(String, String, Option<String>, PathBuf)> {
    let dir = root().join("tests/fixtures/examples");
    let mut out = Vec::new();
    for project in ["tiers", "external-db"] {
        let tiers: Vec<&str> = if project == "tiers" {
            vec!["small", "medium", "large"]
        } else {
            vec![]
        };
        let envs: &[&str] = if project == "tiers" {
            &["dev", "staging", "production"]
        } else {
            &["dev", "prod"]
        };
        for env in envs {
            let pairs: Vec<Option<&str>> = if tiers.is_empty() {
                vec![None]
            } else {
                tiers.iter().map(|t| Some(*t)).collect()
            };
            for tier in pairs {
                let file = match tier {
                    Some(t) => format!("{env}-{t}.yaml"),
                    None => format!("{env}.yaml"),
                };
                out.push((
                    project.to_string(),
                    env.to_string(),
                    tier.map(str::to_string),
                    dir.join(project).join(file),
                ));
            }
        }
    }
    out
}

fn args(env: &str, tier: Option<&str>) -> Vec<String> {
    let mut a = vec!["--env".to_string(), env.to_string()];
    if let Some(t) = tier {
        a.extend(["--tier".to_string(), t.to_string()]);
    }
    a
}

#[test]
fn every_environment_and_tier_renders_its_kubectl_golden() {
    let all = goldens();
    assert_eq!(all.len(), 11);
    for (project, env, tier, golden) in all {
        let expected = read(&golden).unwrap_or_else(|e| panic!("{e}"));
        let a = args(&env, tier.as_deref());
        let out = run_compose(&root().join("examples").join(&project), &a)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "{project} {a:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_same_bytes(&format!("examples/{project} {a:?}"), &expected, &out.stdout);
    }
}

#[test]
fn kubectl_agrees_with_every_environment_and_tier() {
    if !kubectl_or_skip("the example projects against kubectl kustomize") {
        return;
    }
    for (project, env, tier, _) in goldens() {
        let a = args(&env, tier.as_deref());
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        assert_kubectl_agrees(&root().join("examples").join(&project), &a);
    }
}

#[test]
fn the_committed_schemas_are_fresh() {
    for project in ["tiers", "external-db"] {
        let out = run_compose(
            &root().join("examples").join(project),
            ["schema", "--check"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "examples/{project}: {} (run `compose schema --write` there)",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A copy of an example project, to break.
fn copy(project: &str) -> TempDir {
    let tmp = TempDir::new(&format!("example-{project}")).unwrap_or_else(|e| panic!("{e}"));
    crate::support::copy_dir(&root().join("examples").join(project), tmp.path())
        .unwrap_or_else(|e| panic!("{e}"));
    tmp
}

fn failure(project: &TempDir, args: &[&str]) -> String {
    let out = run_compose(project.path(), args).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn declared_values_are_typed_and_checked_like_built_in_ones() {
    let p = copy("external-db");
    let e = failure(&p, &["--env", "dev", "--set", "database.port=fivefour"]);
    assert_eq!(
        e,
        "--set database.port=fivefour: database.port: \"fivefour\" is not of type integer\n"
    );
    std::fs::write(
        p.path().join("values/values-bad.yaml"),
        "database:\n  hots: db.example.com\n  sslMode: always\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let e = failure(&p, &["--env", "bad"]);
    assert!(
        e.starts_with("values/values-bad.yaml:2:3: database.hots: unknown key `hots`\n"),
        "{e}"
    );
    assert!(e.contains("help: did you mean `host`?"), "{e}");
    assert!(
        e.contains("values/values-bad.yaml:3:12: database.sslMode: \"always\" is not one of"),
        "{e}"
    );
}

#[test]
fn a_component_template_can_refuse_values_that_make_no_sense() {
    let p = copy("external-db");
    let e = failure(
        &p,
        &["--env", "prod", "--set", "database.host=docs-postgres"],
    );
    assert!(
        e.starts_with("components/backend/kustomization.yaml.j2:6:4: the bundled postgres is disabled but database.host still names it; set database.host to the external server\n"),
        "{e}"
    );
}

#[test]
fn the_tiers_project_needs_a_tier_and_knows_its_names() {
    let p = copy("tiers");
    let e = failure(&p, &["--env", "staging"]);
    assert!(
        e.starts_with("components/ingress/kustomization.yaml.j2:4:4: the ingress serves <tier>.<domain>: render it with --tier\n"),
        "{e}"
    );
    let e = failure(&p, &["--env", "staging", "--tier", "huge"]);
    assert_eq!(
        e,
        "error: unknown tier `huge`; known tiers: small, medium, large\n"
    );
}

/// kustomize applies a patch whose target selects nothing as no change at
/// all; from a component's template that is an error with a suggestion.
#[test]
fn a_component_patch_that_targets_nothing_is_an_error() {
    let p = copy("tiers");
    let file = p.path().join("components/worker/kustomization.yaml.j2");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    let broken = text.replace("name: tenants-worker", "name: tenants-wrker");
    assert_ne!(text, broken);
    std::fs::write(&file, broken).unwrap_or_else(|e| panic!("{e}"));
    let e = failure(&p, &["--env", "dev", "--tier", "small"]);
    assert_eq!(
        e,
        "components/worker/kustomization.yaml.j2:11:13: patches[0]: the target (group keda.sh, version v1alpha1, kind ScaledObject, name tenants-wrker) selects no object of the build, so the patch would change nothing\n   |\n11 |       name: tenants-wrker\n   |             ^\n  = help: did you mean `tenants-worker`?\n"
    );
}

/// When the engine refuses what a component's template adds, the error
/// names that template, found by building the assembly step by step.
#[test]
fn a_build_error_names_the_component_template_behind_it() {
    let p = copy("tiers");
    let file = p.path().join("components/worker/kustomization.yaml.j2");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    let broken = text.replace(
        "path: /spec/maxReplicaCount",
        "path: /spec/nope/maxReplicaCount",
    );
    assert_ne!(text, broken);
    std::fs::write(&file, broken).unwrap_or_else(|e| panic!("{e}"));
    let e = failure(&p, &["--env", "dev", "--tier", "small"]);
    assert_eq!(
        e,
        "kustomization.yaml:15:7: components/worker/kustomization.yaml.j2: what it adds to the generated kustomization does not build (print the kustomization with `compose template`): applying patch to ScaledObject.v1alpha1.keda.sh/tenants-worker.[noNs]: replace operation does not apply: doc is missing path: /spec/nope/maxReplicaCount: missing value\n"
    );
}

/// A component that patches another component's object misses it when it
/// applies first, and kustomize says nothing; compose names the order
/// that would make the patch apply. With that order kubectl agrees.
#[test]
fn a_component_patch_that_runs_before_its_target_is_an_error() {
    let p = copy("tiers");
    let file = p.path().join("components/api/kustomization.yaml");
    let mut text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    text.push_str(
        "patches:\n  - target:\n      kind: StatefulSet\n      name: tenants-worker\n    patch: |-\n      apiVersion: apps/v1\n      kind: StatefulSet\n      metadata:\n        name: tenants-worker\n        annotations:\n          patched-by-api: \"yes\"\n",
    );
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    let e = failure(&p, &["--env", "dev", "--tier", "small"]);
    assert_eq!(
        e,
        "components/api/kustomization.yaml:11:13: patches[0]: the target (kind StatefulSet, name tenants-worker) selects no object when `api` applies, so the patch changes nothing\n   |\n11 |       name: tenants-worker\n   |             ^\n  = help: StatefulSet/tenants-worker belongs to `worker`, which applies later; list `api` after it in compose.yaml's `order`\n"
    );
    let project = p.path().join("compose.yaml");
    let mut text = std::fs::read_to_string(&project).unwrap_or_else(|e| panic!("{e}"));
    text.push_str("order: [worker, api]\n");
    std::fs::write(&project, text).unwrap_or_else(|e| panic!("{e}"));
    let out = assert_kubectl_agrees(p.path(), &["--env", "dev", "--tier", "small"]);
    assert!(String::from_utf8_lossy(&out).contains("patched-by-api: \"yes\""));
}
