//! Applying and diffing through the real `kubectl`.
//!
//! # Apply: waves
//!
//! `kubectl apply` sends objects in the order it reads them, and a custom
//! resource is rejected while its CustomResourceDefinition is not yet
//! Established. compose therefore applies in steps, stopping at the first
//! one that fails (nothing after a failed step is sent):
//!
//! 1. **Wave 1**: the `Namespace` and `CustomResourceDefinition` objects,
//!    in stream order (`kubectl apply --server-side ... -f -`).
//! 2. **Wait**: when wave 1 held CRDs, `kubectl wait --for
//!    condition=established --timeout=<wait_timeout> crd/<name>...`, one
//!    call naming every CRD. Skipped in dry-run modes, where nothing was
//!    persisted and so nothing can become Established.
//! 3. **Wave 2**: everything else. With pruning, wave 2 is the *whole*
//!    stream instead (see below).
//! 4. **Rollouts** (only with `wait` and no dry-run): `kubectl rollout
//!    status` for each Deployment, StatefulSet and DaemonSet, in stream order.
//!
//! Every apply is server-side with `--field-manager=compose` (or the one
//! given), except client dry-run: kubectl refuses `--dry-run=client`
//! together with `--server-side`, so that mode runs a plain client-side
//! dry run.
//!
//! # Pruning: ApplySet
//!
//! With `prune`, the last apply carries `--prune --applyset=secrets/<parent>`
//! with `KUBECTL_APPLYSET=true` in kubectl's environment (the flag is alpha
//! and hidden without it). The parent Secret is named
//! `compose-<project>-<environment>`, so each project and environment owns
//! exactly one set and pruning never touches objects another set (or no set)
//! manages. The parent is kept in the one namespace the objects name
//! (`--namespace`), not the context's default, which kubectl hashes into
//! the set's id.
//!
//! The pruning apply receives every object, wave-1 objects included: an
//! ApplySet prunes whatever it tracked before and is missing from the apply
//! that carries `--prune`, so a pruning apply of wave 2 alone would delete
//! the Namespaces and CRDs. Re-applying them server-side is a no-op.
//!
//! An empty stream is refused rather than sent: with pruning, it would
//! delete everything the set tracks.
//!
//! # Diff
//!
//! `kubectl diff --server-side --field-manager=compose -f -` with kubectl's
//! exit codes (0 no changes, 1 changes, >1 error). kubectl's environment is
//! inherited, so `KUBECTL_EXTERNAL_DIFF` works as with plain kubectl.
//!
//! # Arguments
//!
//! Every call is `<subcommand> <subcommand flags> <connection flags>`, where
//! the connection flags are `--request-timeout=<t>` (always, so an
//! unreachable cluster fails fast), then `--context=<c>` and
//! `--kubeconfig=<k>` when set.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::str::FromStr;

use super::{kind_of, name_of, namespace_of, parse_manifests, DeployError};
use compose_yaml::{emit_stream, Mapping, Node};
use std::collections::BTreeSet;

/// The environment variable naming the kubectl program to run (tests point
/// it at a recording stand-in). Only read by [`Kubectl::from_env`].
pub(crate) const KUBECTL_ENV: &str = "COMPOSE_KUBECTL";

/// The field manager compose's server-side applies own their fields as.
pub(crate) const FIELD_MANAGER: &str = "compose";

/// The request timeout used unless the caller chooses one.
pub(crate) const DEFAULT_REQUEST_TIMEOUT: &str = "30s";

/// The timeout for CRD establishment and rollouts unless chosen.
pub(crate) const DEFAULT_WAIT_TIMEOUT: &str = "5m";

/// Where kubectl's own output goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum OutputMode {
    /// kubectl writes straight to compose's stdout and stderr, so users see
    /// its progress live. [`Step::stdout`]/[`Step::stderr`] stay empty.
    #[default]
    Inherit,
    /// kubectl's output is collected into each [`Step`] (the tests at
    /// the kubectl boundary read it).
    #[cfg(test)]
    Capture,
}

/// How to run kubectl: which program and how it reaches the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Kubectl {
    /// The program; a bare name is looked up on PATH.
    pub(crate) program: PathBuf,
    /// `--context`, when set.
    pub(crate) context: Option<String>,
    /// `--kubeconfig`, when set.
    pub(crate) kubeconfig: Option<PathBuf>,
    /// `--request-timeout`, passed on every call (e.g. "30s").
    pub(crate) request_timeout: String,
    /// Extra environment for kubectl, on top of compose's own (which it
    /// always inherits).
    pub(crate) env: Vec<(String, String)>,
    /// Where kubectl's output goes.
    pub(crate) output: OutputMode,
}

impl Default for Kubectl {
    fn default() -> Self {
        Kubectl::from_env()
    }
}

impl Kubectl {
    /// `kubectl` from PATH, or the program named by `COMPOSE_KUBECTL`.
    pub(crate) fn from_env() -> Kubectl {
        Kubectl::with_program(resolve_program(std::env::var_os(KUBECTL_ENV)))
    }

    /// A given program with default settings.
    pub(crate) fn with_program(program: impl Into<PathBuf>) -> Kubectl {
        Kubectl {
            program: program.into(),
            context: None,
            kubeconfig: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT.to_string(),
            env: Vec::new(),
            output: OutputMode::Inherit,
        }
    }

    /// The flags every call ends with.
    pub(crate) fn connection_args(&self) -> Vec<String> {
        let mut args = vec![format!("--request-timeout={}", self.request_timeout)];
        if let Some(c) = &self.context {
            args.push(format!("--context={c}"));
        }
        if let Some(k) = &self.kubeconfig {
            args.push(format!("--kubeconfig={}", k.display()));
        }
        args
    }

    /// Runs one kubectl call and reports it; a non-zero exit is a result,
    /// not an error. `stdin` is fed on a separate thread so a kubectl that
    /// writes a lot before reading everything cannot deadlock us.
    fn run(
        &self,
        kind: StepKind,
        mut args: Vec<String>,
        stdin: Option<String>,
        extra_env: &[(&str, &str)],
    ) -> Result<Step, DeployError> {
        args.extend(self.connection_args());
        let mut cmd = Command::new(&self.program);
        cmd.args(&args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let (out, err) = match self.output {
            OutputMode::Inherit => (Stdio::inherit(), Stdio::inherit()),
            #[cfg(test)]
            OutputMode::Capture => (Stdio::piped(), Stdio::piped()),
        };
        cmd.stdout(out).stderr(err);
        allow_huge_pages(&mut cmd);
        let mut child = cmd.spawn().map_err(|source| DeployError::Spawn {
            program: self.program.clone(),
            source,
        })?;
        let writer = match (child.stdin.take(), stdin) {
            (Some(mut pipe), Some(text)) => Some(std::thread::spawn(move || {
                // A kubectl that exits early closes the pipe; its exit code
                // then says why, so a write error here adds nothing.
                let _ = pipe.write_all(text.as_bytes());
            })),
            _ => None,
        };
        let output = child
            .wait_with_output()
            .map_err(|source| DeployError::Spawn {
                program: self.program.clone(),
                source,
            })?;
        if let Some(w) = writer {
            let _ = w.join();
        }
        Ok(Step {
            kind,
            args,
            exit_code: exit_code(output.status),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }
}

/// The program to run given the value of `COMPOSE_KUBECTL` (unset or empty
/// means `kubectl` from PATH).
pub(crate) fn resolve_program(env_value: Option<OsString>) -> PathBuf {
    match env_value {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from("kubectl"),
    }
}

/// kubectl's exit code; a kubectl killed by a signal reports 128 + the
/// signal number, as shells do.
fn exit_code(status: ExitStatus) -> i32 {
    if let Some(c) = status.code() {
        return c;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128 + sig;
        }
    }
    1
}

/// kubectl's `--dry-run` strategies.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum DryRun {
    /// Really apply.
    #[default]
    None,
    /// kubectl prints what it would send and sends nothing (client-side).
    Client,
    /// The server validates and admits the objects without persisting them.
    Server,
}

impl DryRun {
    /// The flag value kubectl spells.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DryRun::None => "none",
            DryRun::Client => "client",
            DryRun::Server => "server",
        }
    }
}

impl FromStr for DryRun {
    type Err = DeployError;
    fn from_str(s: &str) -> Result<DryRun, DeployError> {
        match s {
            "none" => Ok(DryRun::None),
            "client" => Ok(DryRun::Client),
            "server" => Ok(DryRun::Server),
            other => Err(DeployError::Invalid(format!(
                "invalid dry-run strategy \"{other}\": must be one of none, client, server"
            ))),
        }
    }
}

/// What `compose apply` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApplyOptions {
    /// How to run kubectl.
    pub(crate) kubectl: Kubectl,
    /// `--dry-run`.
    pub(crate) dry_run: DryRun,
    /// Prune objects of this project and environment that left the stream.
    pub(crate) prune: bool,
    /// Wait for rollouts (and, when pruning, for deletions) to finish.
    pub(crate) wait: bool,
    /// Timeout for CRD establishment and each rollout (e.g. "5m").
    pub(crate) wait_timeout: String,
    /// `--force-conflicts`: take over fields another manager owns.
    pub(crate) force_conflicts: bool,
    /// The project name; part of the ApplySet parent's name.
    pub(crate) project: String,
    /// The environment name; part of the ApplySet parent's name.
    pub(crate) environment: String,
    /// `--field-manager` of every server-side apply.
    pub(crate) field_manager: String,
    /// Create the namespaces the objects name and the stream lacks, in
    /// wave 1, outside the ApplySet.
    pub(crate) create_namespace: bool,
}

impl ApplyOptions {
    /// Defaults (real apply, no pruning, no waiting) for a project and
    /// environment, with kubectl from [`Kubectl::from_env`].
    pub(crate) fn new(project: impl Into<String>, environment: impl Into<String>) -> ApplyOptions {
        ApplyOptions {
            kubectl: Kubectl::from_env(),
            dry_run: DryRun::None,
            prune: false,
            wait: false,
            wait_timeout: DEFAULT_WAIT_TIMEOUT.to_string(),
            force_conflicts: false,
            project: project.into(),
            environment: environment.into(),
            field_manager: FIELD_MANAGER.to_string(),
            create_namespace: false,
        }
    }

    /// The ApplySet parent reference, `secrets/compose-<project>-<env>`.
    /// Both names must be DNS labels so the parent's name is valid.
    pub(crate) fn applyset_parent(&self) -> Result<String, DeployError> {
        for (what, v) in [
            ("project", &self.project),
            ("environment", &self.environment),
        ] {
            if !super::is_dns_label(v) {
                return Err(DeployError::Invalid(format!(
                    "{what} name \"{v}\" cannot name an ApplySet: use lowercase letters, digits and '-' (at most 63)"
                )));
            }
        }
        Ok(format!(
            "secrets/compose-{}-{}",
            self.project, self.environment
        ))
    }

    /// Flags shared by every apply call.
    fn apply_args(&self) -> Vec<String> {
        let mut args = vec!["apply".to_string()];
        if self.dry_run != DryRun::Client {
            args.push("--server-side".to_string());
        }
        args.push(format!("--field-manager={}", self.field_manager));
        if self.force_conflicts && self.dry_run != DryRun::Client {
            args.push("--force-conflicts".to_string());
        }
        if self.dry_run != DryRun::None {
            args.push(format!("--dry-run={}", self.dry_run.as_str()));
        }
        args
    }
}

/// Which step of an apply or diff a [`Step`] was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StepKind {
    /// Namespaces and CRDs.
    Wave1,
    /// Waiting for CRDs to be Established.
    WaitCrds,
    /// Everything else (the whole stream when pruning).
    Wave2,
    /// `kubectl rollout status` for one workload (`kind/name`).
    Rollout(String),
    /// `kubectl diff`.
    Diff,
}

/// One kubectl call and what it returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    /// Which step it was.
    pub(crate) kind: StepKind,
    /// The arguments given to kubectl (not including the program).
    pub(crate) args: Vec<String>,
    /// kubectl's exit code.
    pub(crate) exit_code: i32,
    /// kubectl's stdout ([`OutputMode::Capture`] only).
    pub(crate) stdout: String,
    /// kubectl's stderr ([`OutputMode::Capture`] only).
    pub(crate) stderr: String,
}

/// What an apply did. Steps after a failed one never ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ApplyOutcome {
    /// The kubectl calls made, in order.
    pub(crate) steps: Vec<Step>,
}

impl ApplyOutcome {
    /// The failed step, if any (always the last one run).
    pub(crate) fn failed_step(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.exit_code != 0)
    }

    /// Whether every kubectl call succeeded.
    #[cfg(test)]
    pub(crate) fn success(&self) -> bool {
        self.failed_step().is_none()
    }

    /// kubectl's exit code for the apply: 0, or the failed step's code.
    pub(crate) fn exit_code(&self) -> i32 {
        self.failed_step().map_or(0, |s| s.exit_code)
    }
}

fn is_crd(doc: &Node) -> bool {
    kind_of(doc) == "CustomResourceDefinition"
        && doc
            .str_at(&["apiVersion"])
            .is_some_and(|v| v.starts_with("apiextensions.k8s.io/"))
}

/// The namespace of the ApplySet parent: the one namespace the objects
/// name. kubectl would otherwise keep the parent in the context's default
/// namespace, which is part of the set's id, so another context would
/// make another set; and kubectl refuses objects of other namespaces than
/// `--namespace`, so there must be exactly one.
fn applyset_namespace(manifests: &[Node]) -> Result<String, DeployError> {
    let named: BTreeSet<&str> = manifests.iter().filter_map(namespace_of).collect();
    let mut it = named.iter();
    match (it.next(), it.next()) {
        (Some(one), None) => Ok((*one).to_string()),
        (None, _) => Err(DeployError::Invalid(
            "--prune keeps the ApplySet parent in the namespace of the objects, but no object names one; set `namespace` in the values".to_string(),
        )),
        (Some(_), Some(_)) => Err(DeployError::Invalid(format!(
            "--prune keeps the ApplySet parent in the namespace of the objects, but they name several ({}); kubectl applies a set in one namespace",
            named.iter().copied().collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Namespace objects for the namespaces the objects name that the stream
/// does not hold, in name order.
fn missing_namespaces(manifests: &[Node]) -> Vec<Node> {
    let held: BTreeSet<&str> = manifests
        .iter()
        .filter(|d| is_namespace(d))
        .map(name_of)
        .collect();
    let named: BTreeSet<&str> = manifests.iter().filter_map(namespace_of).collect();
    named
        .difference(&held)
        .map(|n| {
            let mut metadata = Mapping::new();
            metadata.insert("name", Node::str(*n));
            let mut ns = Mapping::new();
            ns.insert("apiVersion", Node::str("v1"));
            ns.insert("kind", Node::str("Namespace"));
            ns.insert("metadata", Node::Map(metadata));
            Node::Map(ns)
        })
        .collect()
}

fn is_namespace(doc: &Node) -> bool {
    kind_of(doc) == "Namespace" && doc.str_at(&["apiVersion"]) == Some("v1")
}

/// Workloads whose rollout `kubectl rollout status` can watch.
fn rollout_target(doc: &Node) -> Option<String> {
    let resource = match (doc.str_at(&["apiVersion"]), kind_of(doc)) {
        (Some("apps/v1"), "Deployment") => "deployment",
        (Some("apps/v1"), "StatefulSet") => "statefulset",
        (Some("apps/v1"), "DaemonSet") => "daemonset",
        _ => return None,
    };
    Some(format!("{resource}/{}", name_of(doc)))
}

/// Applies a rendered stream (see the module docs for the steps).
pub(crate) fn apply_yaml(
    manifests: &str,
    opts: &ApplyOptions,
) -> Result<ApplyOutcome, DeployError> {
    apply(&parse_manifests(manifests)?, opts)
}

/// Applies parsed objects (see the module docs for the steps).
///
/// Errors are reserved for problems before or around kubectl (invalid
/// objects or names, kubectl missing); a kubectl that ran and failed is an
/// [`ApplyOutcome`] whose [`exit_code`](ApplyOutcome::exit_code) is non-zero.
pub(crate) fn apply(manifests: &[Node], opts: &ApplyOptions) -> Result<ApplyOutcome, DeployError> {
    for (i, d) in manifests.iter().enumerate() {
        super::check_object(d, i)?;
    }
    if manifests.is_empty() {
        return Err(DeployError::Invalid("no objects to apply".to_string()));
    }
    let parent = if opts.prune {
        Some((opts.applyset_parent()?, applyset_namespace(manifests)?))
    } else {
        None
    };

    let (mut first, rest): (Vec<&Node>, Vec<&Node>) =
        manifests.iter().partition(|d| is_namespace(d) || is_crd(d));
    let created = if opts.create_namespace {
        missing_namespaces(manifests)
    } else {
        Vec::new()
    };
    first.splice(0..0, created.iter());
    let crds: Vec<String> = first
        .iter()
        .filter(|d| is_crd(d))
        .map(|d| format!("crd/{}", name_of(d)))
        .collect();
    let second: Vec<&Node> = if opts.prune {
        manifests.iter().collect()
    } else {
        rest
    };

    let mut outcome = ApplyOutcome { steps: Vec::new() };
    let k = &opts.kubectl;

    if !first.is_empty() {
        let mut args = opts.apply_args();
        args.extend(["-f".to_string(), "-".to_string()]);
        let step = k.run(StepKind::Wave1, args, Some(stream(&first)), &[])?;
        if !record(&mut outcome, step) {
            return Ok(outcome);
        }
        if !crds.is_empty() && opts.dry_run == DryRun::None {
            let mut args = vec![
                "wait".to_string(),
                "--for".to_string(),
                "condition=established".to_string(),
                format!("--timeout={}", opts.wait_timeout),
            ];
            args.extend(crds);
            let step = k.run(StepKind::WaitCrds, args, None, &[])?;
            if !record(&mut outcome, step) {
                return Ok(outcome);
            }
        }
    }

    if !second.is_empty() {
        let mut args = opts.apply_args();
        let mut env: Vec<(&str, &str)> = Vec::new();
        if let Some((p, namespace)) = &parent {
            args.push("--prune".to_string());
            args.push(format!("--applyset={p}"));
            args.push(format!("--namespace={namespace}"));
            if opts.wait && opts.dry_run == DryRun::None {
                // Wait for pruned objects to be gone, finalizers included.
                args.push("--wait".to_string());
            }
            env.push(("KUBECTL_APPLYSET", "true"));
        }
        args.extend(["-f".to_string(), "-".to_string()]);
        let step = k.run(StepKind::Wave2, args, Some(stream(&second)), &env)?;
        if !record(&mut outcome, step) {
            return Ok(outcome);
        }
    }

    if opts.wait && opts.dry_run == DryRun::None {
        for doc in manifests {
            let Some(target) = rollout_target(doc) else {
                continue;
            };
            let mut args = vec![
                "rollout".to_string(),
                "status".to_string(),
                target.clone(),
                "--watch=true".to_string(),
            ];
            if let Some(ns) = namespace_of(doc) {
                args.push(format!("--namespace={ns}"));
            }
            args.push(format!("--timeout={}", opts.wait_timeout));
            let step = k.run(StepKind::Rollout(target), args, None, &[])?;
            if !record(&mut outcome, step) {
                return Ok(outcome);
            }
        }
    }
    Ok(outcome)
}

/// Adds a step; returns whether the apply may go on.
fn record(outcome: &mut ApplyOutcome, step: Step) -> bool {
    let ok = step.exit_code == 0;
    outcome.steps.push(step);
    ok
}

fn stream(docs: &[&Node]) -> String {
    let owned: Vec<Node> = docs.iter().map(|d| (*d).clone()).collect();
    emit_stream(&owned)
}

/// What `compose diff` asks for. The default runs kubectl from
/// [`Kubectl::from_env`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DiffOptions {
    /// How to run kubectl.
    pub(crate) kubectl: Kubectl,
    /// `--force-conflicts` for the server-side dry run behind the diff.
    pub(crate) force_conflicts: bool,
    /// `--field-manager` of the server-side dry run.
    pub(crate) field_manager: String,
}

impl Default for DiffOptions {
    fn default() -> DiffOptions {
        DiffOptions {
            kubectl: Kubectl::default(),
            force_conflicts: false,
            field_manager: FIELD_MANAGER.to_string(),
        }
    }
}

/// kubectl diff's verdict, from its exit code.
#[cfg(test)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DiffStatus {
    /// Exit 0: the cluster matches.
    NoChanges,
    /// Exit 1: differences were found (and shown).
    Changes,
    /// Exit >1 (or a signal): kubectl or the diff program failed.
    Failed,
}

/// What a diff did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DiffOutcome {
    /// The kubectl call.
    pub(crate) step: Step,
}

impl DiffOutcome {
    /// The verdict.
    #[cfg(test)]
    pub(crate) fn status(&self) -> DiffStatus {
        match self.step.exit_code {
            0 => DiffStatus::NoChanges,
            1 => DiffStatus::Changes,
            _ => DiffStatus::Failed,
        }
    }

    /// kubectl's exit code, to be compose's own.
    pub(crate) fn exit_code(&self) -> i32 {
        self.step.exit_code
    }
}

/// Diffs a rendered stream against the cluster.
pub(crate) fn diff_yaml(manifests: &str, opts: &DiffOptions) -> Result<DiffOutcome, DeployError> {
    diff(&parse_manifests(manifests)?, opts)
}

/// Diffs parsed objects against the cluster, all in one kubectl call.
pub(crate) fn diff(manifests: &[Node], opts: &DiffOptions) -> Result<DiffOutcome, DeployError> {
    for (i, d) in manifests.iter().enumerate() {
        super::check_object(d, i)?;
    }
    if manifests.is_empty() {
        return Err(DeployError::Invalid("no objects to diff".to_string()));
    }
    let mut args = vec![
        "diff".to_string(),
        "--server-side".to_string(),
        format!("--field-manager={}", opts.field_manager),
    ];
    if opts.force_conflicts {
        args.push("--force-conflicts".to_string());
    }
    args.extend(["-f".to_string(), "-".to_string()]);
    let step = opts
        .kubectl
        .run(StepKind::Diff, args, Some(emit_stream(manifests)), &[])?;
    Ok(DiffOutcome { step })
}

/// compose turns transparent huge pages off for its own short-lived
/// process (see main.rs); the switch is inherited across exec, so kubectl
/// gets the kernel's default back.
fn allow_huge_pages(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: the closure runs in the child between fork and exec and
        // makes one system call, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0);
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}

#[cfg(test)]
mod tests;
