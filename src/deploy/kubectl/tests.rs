//! Tests at the kubectl boundary.
//!
//! Most tests run `kubectl-recorder`, a stand-in for kubectl that each test
//! writes into its own temporary folder: a small shell script that records
//! every call's arguments, stdin and the two environment variables compose
//! cares about, then exits with the code the test chose. It never contacts a
//! cluster. The path reaches compose through [`Kubectl::program`], so no
//! test changes the process environment.
//!
//! The last tests run the real kubectl (when it is on PATH) against a
//! kubeconfig whose server is a closed local port: there is no cluster, and
//! compose must hand back kubectl's failure quickly.

use super::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const RECORDER: &str = r#"#!/bin/sh
# kubectl-recorder: a stand-in for kubectl used by compose's tests. It records
# its arguments (one per line), its stdin and two environment variables for
# each call, then exits with the code found in exit-<call number> (default 0).
# It never contacts a cluster.
dir=$(dirname "$0")
n=$(( $(cat "$dir/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$dir/count"
for a in "$@"; do printf '%s\n' "$a"; done > "$dir/call-$n.args"
cat > "$dir/call-$n.stdin"
printf 'KUBECTL_APPLYSET=%s\nKUBECTL_EXTERNAL_DIFF=%s\n' "${KUBECTL_APPLYSET-unset}" "${KUBECTL_EXTERNAL_DIFF-unset}" > "$dir/call-$n.env"
echo "recorded call $n"
echo "recorder stderr $n" >&2
code=0
if [ -f "$dir/exit-$n" ]; then code=$(cat "$dir/exit-$n"); fi
exit "$code"
"#;

/// A fresh folder holding `kubectl-recorder`.
struct Recorder {
    dir: PathBuf,
}

impl Recorder {
    fn new(name: &str) -> Recorder {
        let dir =
            std::env::temp_dir().join(format!("compose-deploy-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let script = dir.join("kubectl-recorder");
        #[cfg(unix)]
        crate::deploy::fake_program::link("kubectl-recorder", RECORDER, &script);
        #[cfg(not(unix))]
        fs::write(&script, RECORDER).unwrap();
        Recorder { dir }
    }

    fn kubectl(&self) -> Kubectl {
        let mut k = Kubectl::with_program(self.dir.join("kubectl-recorder"));
        k.output = OutputMode::Capture;
        k
    }

    fn fail_call(&self, n: usize, code: i32) {
        fs::write(self.dir.join(format!("exit-{n}")), code.to_string()).unwrap();
    }

    fn calls(&self) -> usize {
        fs::read_to_string(self.dir.join("count")).map_or(0, |s| s.trim().parse().unwrap())
    }

    fn args(&self, n: usize) -> Vec<String> {
        fs::read_to_string(self.dir.join(format!("call-{n}.args")))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn stdin(&self, n: usize) -> String {
        fs::read_to_string(self.dir.join(format!("call-{n}.stdin"))).unwrap()
    }

    fn env(&self, n: usize) -> String {
        fs::read_to_string(self.dir.join(format!("call-{n}.env"))).unwrap()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
const CRD: &str =
    "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\n";
const CM: &str =
    "apiVersion: v1\ndata:\n  a: b\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: shop\n";
const DEPLOY: &str =
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n";
const WIDGET: &str =
    "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: shop\n";

/// The stream as kustomize orders it: Namespace, CRD, then the rest.
fn full_stream() -> String {
    [NS, CRD, CM, DEPLOY, WIDGET].join("---\n")
}

fn opts(r: &Recorder) -> ApplyOptions {
    let mut o = ApplyOptions::new("shop", "dev");
    o.kubectl = r.kubectl();
    o
}

#[test]
fn apply_runs_waves_and_waits_for_crds() {
    let r = Recorder::new("waves");
    let out = apply_yaml(&full_stream(), &opts(&r)).unwrap();
    assert!(out.success());
    assert_eq!(out.exit_code(), 0);
    assert_eq!(r.calls(), 3);
    let kinds: Vec<StepKind> = out.steps.iter().map(|s| s.kind.clone()).collect();
    assert_eq!(
        kinds,
        vec![StepKind::Wave1, StepKind::WaitCrds, StepKind::Wave2]
    );

    let apply = [
        "apply",
        "--server-side",
        "--field-manager=compose",
        "-f",
        "-",
        "--request-timeout=30s",
    ];
    assert_eq!(r.args(1), strs(&apply));
    assert_eq!(r.stdin(1), [NS, CRD].join("---\n"));
    assert_eq!(
        r.args(2),
        strs(&[
            "wait",
            "--for",
            "condition=established",
            "--timeout=5m",
            "crd/widgets.example.com",
            "--request-timeout=30s"
        ])
    );
    assert_eq!(r.stdin(2), "");
    assert_eq!(r.args(3), strs(&apply));
    assert_eq!(r.stdin(3), [CM, DEPLOY, WIDGET].join("---\n"));
    assert_eq!(
        r.env(3),
        "KUBECTL_APPLYSET=unset\nKUBECTL_EXTERNAL_DIFF=unset\n"
    );
    // The steps record exactly what the recorder saw, and its output.
    assert_eq!(out.steps[0].args, r.args(1));
    assert_eq!(out.steps[2].stdout, "recorded call 3\n");
    assert_eq!(out.steps[2].stderr, "recorder stderr 3\n");
}

#[test]
fn apply_without_crds_or_namespaces_is_one_call() {
    let r = Recorder::new("single");
    let out = apply_yaml(&[CM, DEPLOY].join("---\n"), &opts(&r)).unwrap();
    assert!(out.success());
    assert_eq!(r.calls(), 1);
    assert_eq!(out.steps[0].kind, StepKind::Wave2);
    assert_eq!(r.stdin(1), [CM, DEPLOY].join("---\n"));
}

#[test]
fn namespaces_alone_skip_the_wait() {
    let r = Recorder::new("nsonly");
    let out = apply_yaml(&[NS, CM].join("---\n"), &opts(&r)).unwrap();
    assert_eq!(
        out.steps.iter().map(|s| s.kind.clone()).collect::<Vec<_>>(),
        vec![StepKind::Wave1, StepKind::Wave2]
    );
    assert_eq!(r.stdin(1), NS);
    assert_eq!(r.stdin(2), CM);
}

#[test]
fn a_failed_wave_stops_everything_after_it() {
    let r = Recorder::new("fail1");
    r.fail_call(1, 1);
    let out = apply_yaml(&full_stream(), &opts(&r)).unwrap();
    assert!(!out.success());
    assert_eq!(out.exit_code(), 1);
    assert_eq!(r.calls(), 1, "nothing may be sent after a failed wave");
    assert_eq!(out.failed_step().unwrap().kind, StepKind::Wave1);
}

#[test]
fn a_crd_that_never_establishes_stops_wave_two() {
    let r = Recorder::new("failwait");
    r.fail_call(2, 1);
    let out = apply_yaml(&full_stream(), &opts(&r)).unwrap();
    assert_eq!(out.exit_code(), 1);
    assert_eq!(r.calls(), 2);
    assert_eq!(out.failed_step().unwrap().kind, StepKind::WaitCrds);
}

#[test]
fn exit_codes_are_kubectls() {
    let r = Recorder::new("code");
    r.fail_call(1, 7);
    let out = apply_yaml(CM, &opts(&r)).unwrap();
    assert_eq!(out.exit_code(), 7);
}

#[test]
fn prune_uses_an_applyset_named_after_project_and_environment() {
    let r = Recorder::new("prune");
    let mut o = opts(&r);
    o.prune = true;
    let out = apply_yaml(&full_stream(), &o).unwrap();
    assert!(out.success());
    assert_eq!(r.calls(), 3);
    // Wave 1 carries no pruning: pruning there would delete wave 2's objects.
    assert_eq!(
        r.args(1),
        strs(&[
            "apply",
            "--server-side",
            "--field-manager=compose",
            "-f",
            "-",
            "--request-timeout=30s"
        ])
    );
    assert_eq!(
        r.env(1),
        "KUBECTL_APPLYSET=unset\nKUBECTL_EXTERNAL_DIFF=unset\n"
    );
    assert_eq!(
        r.args(3),
        strs(&[
            "apply",
            "--server-side",
            "--field-manager=compose",
            "--prune",
            "--applyset=secrets/compose-shop-dev",
            "--namespace=shop",
            "-f",
            "-",
            "--request-timeout=30s"
        ])
    );
    assert_eq!(
        r.env(3),
        "KUBECTL_APPLYSET=true\nKUBECTL_EXTERNAL_DIFF=unset\n"
    );
    // The pruning apply names every object, so none of them is pruned.
    assert_eq!(r.stdin(3), full_stream());
}

#[test]
fn prune_pins_the_parent_to_the_one_namespace_of_the_objects() {
    let r = Recorder::new("prunens");
    let mut o = opts(&r);
    o.prune = true;
    let other = CM.replace("namespace: shop", "namespace: shop-b");
    let e = apply_yaml(&[CM, &other].join("---\n"), &o).unwrap_err();
    assert_eq!(
        e.to_string(),
        "--prune keeps the ApplySet parent in the namespace of the objects, but they name several (shop, shop-b); kubectl applies a set in one namespace"
    );
    let e = apply_yaml(CRD, &o).unwrap_err();
    assert_eq!(
        e.to_string(),
        "--prune keeps the ApplySet parent in the namespace of the objects, but no object names one; set `namespace` in the values"
    );
    assert_eq!(r.calls(), 0);
}

#[test]
fn create_namespace_applies_missing_namespaces_outside_the_set() {
    let r = Recorder::new("createns");
    let mut o = opts(&r);
    o.prune = true;
    o.create_namespace = true;
    o.field_manager = "ci-bot".to_string();
    let stream = [CM, DEPLOY].join("---\n");
    let out = apply_yaml(&stream, &o).unwrap();
    assert!(out.success());
    assert_eq!(r.calls(), 2);
    assert_eq!(
        r.args(1),
        strs(&[
            "apply",
            "--server-side",
            "--field-manager=ci-bot",
            "-f",
            "-",
            "--request-timeout=30s"
        ])
    );
    assert_eq!(r.stdin(1), NS, "the namespace, in wave 1, without --prune");
    assert_eq!(r.stdin(2), stream, "the set holds the objects only");
    assert!(r.args(2).contains(&"--field-manager=ci-bot".to_string()));

    // A namespace the stream holds is not created again.
    let r = Recorder::new("createns2");
    let mut o = opts(&r);
    o.create_namespace = true;
    apply_yaml(&[NS, CM].join("---\n"), &o).unwrap();
    assert_eq!(r.stdin(1), NS);
}

#[test]
fn prune_refuses_names_that_cannot_name_a_parent() {
    let r = Recorder::new("prunebad");
    let mut o = opts(&r);
    o.prune = true;
    o.environment = "Prod_EU".to_string();
    let e = apply_yaml(CM, &o).unwrap_err();
    assert!(
        e.to_string().contains("environment name \"Prod_EU\""),
        "{e}"
    );
    assert_eq!(r.calls(), 0);
}

#[test]
fn dry_run_server_skips_waits() {
    let r = Recorder::new("dryserver");
    let mut o = opts(&r);
    o.dry_run = DryRun::Server;
    o.wait = true;
    o.prune = true;
    let out = apply_yaml(&full_stream(), &o).unwrap();
    assert!(out.success());
    assert_eq!(
        r.calls(),
        2,
        "no CRD wait and no rollout watch in a dry run"
    );
    let wave1 = [
        "apply",
        "--server-side",
        "--field-manager=compose",
        "--dry-run=server",
        "-f",
        "-",
        "--request-timeout=30s",
    ];
    assert_eq!(r.args(1), strs(&wave1));
    assert_eq!(
        r.args(2),
        strs(&[
            "apply",
            "--server-side",
            "--field-manager=compose",
            "--dry-run=server",
            "--prune",
            "--applyset=secrets/compose-shop-dev",
            "--namespace=shop",
            "-f",
            "-",
            "--request-timeout=30s"
        ])
    );
}

#[test]
fn dry_run_client_is_client_side() {
    // kubectl refuses --dry-run=client together with --server-side.
    let r = Recorder::new("dryclient");
    let mut o = opts(&r);
    o.dry_run = DryRun::Client;
    o.force_conflicts = true;
    apply_yaml(CM, &o).unwrap();
    assert_eq!(
        r.args(1),
        strs(&[
            "apply",
            "--field-manager=compose",
            "--dry-run=client",
            "-f",
            "-",
            "--request-timeout=30s"
        ])
    );
}

#[test]
fn wait_watches_rollouts_and_pruned_deletions() {
    let r = Recorder::new("wait");
    let mut o = opts(&r);
    o.wait = true;
    o.prune = true;
    o.force_conflicts = true;
    o.wait_timeout = "90s".to_string();
    o.kubectl.context = Some("kind-dev".to_string());
    o.kubectl.kubeconfig = Some(PathBuf::from("kube.conf"));
    o.kubectl.request_timeout = "5s".to_string();
    let out = apply_yaml(&full_stream(), &o).unwrap();
    assert!(out.success());
    assert_eq!(r.calls(), 4);
    let conn = [
        "--request-timeout=5s",
        "--context=kind-dev",
        "--kubeconfig=kube.conf",
    ];
    let mut want = strs(&[
        "apply",
        "--server-side",
        "--field-manager=compose",
        "--force-conflicts",
        "--prune",
        "--applyset=secrets/compose-shop-dev",
        "--namespace=shop",
        "--wait",
        "-f",
        "-",
    ]);
    want.extend(strs(&conn));
    assert_eq!(r.args(3), want);
    let mut want = strs(&[
        "rollout",
        "status",
        "deployment/web",
        "--watch=true",
        "--namespace=shop",
        "--timeout=90s",
    ]);
    want.extend(strs(&conn));
    assert_eq!(r.args(4), want);
    assert_eq!(
        out.steps[3].kind,
        StepKind::Rollout("deployment/web".to_string())
    );
}

#[test]
fn invalid_input_never_reaches_kubectl() {
    let r = Recorder::new("invalid");
    let message = apply_yaml("kind: [", &opts(&r)).unwrap_err().to_string();
    assert_eq!(
        message,
        "manifests are not valid YAML: line 2, column 1: while parsing a node, did not find expected node content"
    );
    assert_eq!(
        apply_yaml("apiVersion: v1\nkind: ConfigMap\n", &opts(&r))
            .unwrap_err()
            .to_string(),
        "document 1 has no metadata.name"
    );
    let e = apply_yaml("---\n", &opts(&r)).unwrap_err();
    assert_eq!(e.to_string(), "no objects to apply");
    assert!(diff_yaml(
        "",
        &DiffOptions {
            kubectl: r.kubectl(),
            ..DiffOptions::default()
        }
    )
    .is_err());
    assert_eq!(r.calls(), 0);
}

#[test]
fn diff_uses_the_field_manager_given() {
    let r = Recorder::new("difffm");
    diff_yaml(
        CM,
        &DiffOptions {
            kubectl: r.kubectl(),
            field_manager: "ci-bot".to_string(),
            ..DiffOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.args(1)[2], "--field-manager=ci-bot");
}

#[test]
fn diff_passes_exit_codes_and_environment_through() {
    for (code, status) in [
        (0, DiffStatus::NoChanges),
        (1, DiffStatus::Changes),
        (2, DiffStatus::Failed),
    ] {
        let r = Recorder::new(&format!("diff{code}"));
        r.fail_call(1, code);
        let mut k = r.kubectl();
        k.env.push((
            "KUBECTL_EXTERNAL_DIFF".to_string(),
            "diff -u -N".to_string(),
        ));
        let out = diff_yaml(
            &full_stream(),
            &DiffOptions {
                kubectl: k,
                ..DiffOptions::default()
            },
        )
        .unwrap();
        assert_eq!(out.status(), status);
        assert_eq!(out.exit_code(), code);
        assert_eq!(
            r.args(1),
            strs(&[
                "diff",
                "--server-side",
                "--field-manager=compose",
                "-f",
                "-",
                "--request-timeout=30s"
            ])
        );
        assert_eq!(r.stdin(1), full_stream());
        assert_eq!(
            r.env(1),
            "KUBECTL_APPLYSET=unset\nKUBECTL_EXTERNAL_DIFF=diff -u -N\n"
        );
    }
}

#[test]
fn missing_kubectl_is_a_clear_error() {
    let mut o = ApplyOptions::new("shop", "dev");
    o.kubectl = Kubectl::with_program("/nonexistent/compose-test/kubectl");
    let e = apply_yaml(CM, &o).unwrap_err();
    assert_eq!(
        e.to_string(),
        "cannot run kubectl: '/nonexistent/compose-test/kubectl' was not found (install kubectl or set COMPOSE_KUBECTL to its path)"
    );
}

#[test]
fn program_resolution() {
    assert_eq!(resolve_program(None), PathBuf::from("kubectl"));
    assert_eq!(resolve_program(Some("".into())), PathBuf::from("kubectl"));
    assert_eq!(
        resolve_program(Some("/opt/k".into())),
        PathBuf::from("/opt/k")
    );
}

#[test]
fn dry_run_parsing() {
    assert_eq!("server".parse::<DryRun>().unwrap(), DryRun::Server);
    assert_eq!("none".parse::<DryRun>().unwrap(), DryRun::None);
    assert_eq!("client".parse::<DryRun>().unwrap().as_str(), "client");
    assert_eq!(
        "yes".parse::<DryRun>().unwrap_err().to_string(),
        "invalid dry-run strategy \"yes\": must be one of none, client, server"
    );
}

/// The real kubectl, when installed; `None` (with a note) otherwise.
fn real_kubectl() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let found = std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file());
    if found.is_none() {
        println!("note: kubectl is not on PATH; skipping the no-cluster test");
    }
    found
}

/// A kubeconfig whose only cluster is a closed local port. The user has a
/// token because a user without credentials makes kubectl prompt for a
/// password.
fn unreachable_kubeconfig(dir: &Path) -> PathBuf {
    let path = dir.join("kubeconfig");
    fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: none\n  cluster:\n    server: https://127.0.0.1:1\n\
         contexts:\n- name: none\n  context:\n    cluster: none\n    user: none\n\
         users:\n- name: none\n  user:\n    token: not-a-real-token\ncurrent-context: none\n",
    )
    .unwrap();
    path
}

#[test]
fn real_kubectl_without_a_cluster_fails_fast() {
    let Some(program) = real_kubectl() else {
        return;
    };
    let r = Recorder::new("realapply");
    let mut k = Kubectl::with_program(program);
    k.output = OutputMode::Capture;
    k.kubeconfig = Some(unreachable_kubeconfig(&r.dir));
    k.request_timeout = "5s".to_string();
    let mut o = ApplyOptions::new("shop", "dev");
    o.kubectl = k.clone();
    o.prune = true;
    o.wait = true;
    let started = Instant::now();
    let out = apply_yaml(&full_stream(), &o).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert!(!out.success());
    assert_eq!(out.exit_code(), 1);
    assert_eq!(out.steps.len(), 1, "nothing after the failed first wave");
    let err = &out.steps[0].stderr;
    assert!(
        err.contains("127.0.0.1:1") && err.contains("connection refused"),
        "{err}"
    );

    let started = Instant::now();
    let out = diff_yaml(
        &full_stream(),
        &DiffOptions {
            kubectl: k,
            ..DiffOptions::default()
        },
    )
    .unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(out.status(), DiffStatus::Failed);
    assert!(
        out.exit_code() > 1,
        "kubectl diff reports errors above 1, got {}",
        out.exit_code()
    );
}

#[test]
fn real_kubectl_with_an_empty_kubeconfig_fails_fast() {
    let Some(program) = real_kubectl() else {
        return;
    };
    let r = Recorder::new("realempty");
    let empty = r.dir.join("empty-kubeconfig");
    fs::write(&empty, "").unwrap();
    let mut k = Kubectl::with_program(program);
    k.output = OutputMode::Capture;
    k.kubeconfig = Some(empty);
    k.request_timeout = "5s".to_string();
    let mut o = ApplyOptions::new("shop", "dev");
    o.kubectl = k;
    let started = Instant::now();
    let out = apply_yaml(CM, &o).unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_ne!(out.exit_code(), 0, "no cluster can have accepted this");
    assert!(!out.steps[0].stderr.is_empty());
}

#[test]
fn real_kubectl_accepts_the_applyset_flags() {
    // Without KUBECTL_APPLYSET=true kubectl rejects --applyset as an unknown
    // flag; with it, the call gets as far as looking up the parent, which
    // fails only because there is no cluster.
    let Some(program) = real_kubectl() else {
        return;
    };
    let r = Recorder::new("realprune");
    let mut k = Kubectl::with_program(program);
    k.output = OutputMode::Capture;
    k.kubeconfig = Some(unreachable_kubeconfig(&r.dir));
    k.request_timeout = "5s".to_string();
    let mut o = ApplyOptions::new("shop", "dev");
    o.kubectl = k;
    o.prune = true;
    let started = Instant::now();
    let out = apply_yaml(CM, &o).unwrap();
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(out.exit_code(), 1);
    let err = &out.steps[0].stderr;
    assert!(!err.contains("unknown flag"), "{err}");
    assert!(err.contains("secrets/compose-shop-dev"), "{err}");
}
