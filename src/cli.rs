//! The command line, as clap derive types. No logic lives here: `settings`
//! turns these into a resolved [`crate::settings::Settings`].
//!
//! Shape: the values flags are accepted both on the bare command
//! (`compose --values values-prod.yaml`, the form users type) and on each
//! values subcommand (`compose render --values ...`). The two spellings
//! cannot be mixed in one invocation (`args_conflicts_with_subcommands`),
//! which keeps the meaning of every flag obvious.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Values-driven Kubernetes manifests: layered values, JSON Schema
/// validation, a templated kustomization and a built-in kustomize engine.
///
/// Without a subcommand, compose renders: it loads and validates the
/// values, generates the kustomization and prints the built manifests.
#[derive(Debug, Parser)]
#[command(name = "compose", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; `render` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Flags of the bare form (those of `render`).
    #[command(flatten)]
    pub render: RenderArgs,
}

/// Flags of `compose render` (and of the bare form).
#[derive(Debug, Args, Clone, Default)]
pub struct RenderArgs {
    /// Where the values come from.
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Write one file per object into DIR (replaced as a whole) instead of
    /// printing the stream.
    #[arg(long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
}

/// `compose validate`.
#[derive(Debug, Args, Clone, Default)]
pub struct ValidateArgs {
    /// The values.
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Kubernetes minor version whose API schema the rendered objects are
    /// checked against (built in: 1.29, 1.31, 1.33; default: the newest).
    #[arg(long = "kubernetes-version", value_name = "VERSION")]
    pub kubernetes_version: Option<String>,
    /// Check the values only; do not render.
    #[arg(long = "values-only")]
    pub values_only: bool,
}

/// `compose lint`.
#[derive(Debug, Args, Clone, Default)]
pub struct LintArgs {
    /// The values.
    #[command(flatten)]
    pub values: ValuesArgs,
    /// Findings are errors: exit 1 when there is any.
    #[arg(long)]
    pub strict: bool,
}

/// Where the values come from.
#[derive(Debug, Args, Clone, Default)]
pub struct ValuesArgs {
    /// A values file, layered over `values/values.yaml`; repeat to add more
    /// layers (later wins). Looked up relative to the current directory,
    /// then under the project's `values/` directory.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Sets values on the command line, Helm style:
    /// `--set api.replicas=3,api.image.tag=1.10`. Typed by the schema.
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// The project root (holding `base/`, `components/`, `values/`).
    #[arg(short = 'C', long = "project", value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load, validate, render and build; print the manifests (the default).
    #[command(visible_alias = "build")]
    Render(RenderArgs),
    /// Print the generated kustomization.yaml instead of building it.
    Template(ValuesArgs),
    /// Validate the values, then the rendered objects against the
    /// Kubernetes API schema (built in, offline).
    Validate(ValidateArgs),
    /// Render, then report likely mistakes (rule id, object, fix).
    Lint(LintArgs),
    /// Print the values JSON Schema of the project (draft-07).
    Schema(SchemaArgs),
    /// Build a kustomization directory; a drop-in for `kubectl kustomize`.
    Kustomize(KustomizeArgs),
    /// Render, then apply with kubectl (server-side, in waves).
    Apply(ApplyArgs),
    /// Render, then show `kubectl diff` against the cluster (exit 1 = changes).
    Diff(DiffArgs),
    /// Argo CD helpers.
    #[command(subcommand)]
    Argocd(ArgocdCommand),
}

/// How kubectl reaches the cluster.
#[derive(Debug, Args, Clone)]
pub struct KubectlArgs {
    /// kubeconfig context to use.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// kubeconfig file to use.
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Bound on every request kubectl makes (e.g. `30s`).
    #[arg(
        long = "request-timeout",
        value_name = "DURATION",
        default_value = "30s"
    )]
    pub request_timeout: String,
}

/// Flags of `compose apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Where the values come from.
    #[command(flatten)]
    pub values: ValuesArgs,
    /// How kubectl reaches the cluster.
    #[command(flatten)]
    pub kubectl: KubectlArgs,
    /// Validate with the server (`server`) or locally (`client`) without persisting.
    #[arg(long = "dry-run", value_enum, default_value = "none")]
    pub dry_run: DryRunArg,
    /// Delete objects of this project and environment that left the stream (ApplySet).
    #[arg(long)]
    pub prune: bool,
    /// Wait for rollouts (and pruned deletions) to finish.
    #[arg(long)]
    pub wait: bool,
    /// Timeout for CRD establishment and each rollout.
    #[arg(long = "wait-timeout", value_name = "DURATION", default_value = "5m")]
    pub wait_timeout: String,
    /// Take over fields another field manager owns.
    #[arg(long = "force-conflicts")]
    pub force_conflicts: bool,
    /// Environment name for the ApplySet; default: the last values file's
    /// name without `values-` and `.yaml` (`values-prod.yaml` -> `prod`).
    #[arg(long, value_name = "NAME")]
    pub environment: Option<String>,
}

/// `--dry-run` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DryRunArg {
    /// Really apply.
    None,
    /// Client-side dry run.
    Client,
    /// Server-side dry run.
    Server,
}

/// Flags of `compose diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Where the values come from.
    #[command(flatten)]
    pub values: ValuesArgs,
    /// How kubectl reaches the cluster.
    #[command(flatten)]
    pub kubectl: KubectlArgs,
    /// Take over fields another field manager owns (in the server-side dry run).
    #[arg(long = "force-conflicts")]
    pub force_conflicts: bool,
}

/// `compose argocd ...`.
#[derive(Debug, Subcommand)]
pub enum ArgocdCommand {
    /// Print an ApplicationSet rendering the project with the compose plugin.
    Appset(AppsetArgs),
}

/// Flags of `compose argocd appset`.
#[derive(Debug, Args)]
pub struct AppsetArgs {
    /// Environments (each rendered from `values/values-<env>.yaml`).
    #[arg(long, value_delimiter = ',', required = true, value_name = "ENV,...")]
    pub envs: Vec<String>,
    /// Tiers (`values/values-tier-<tier>.yaml` on top).
    #[arg(long, value_delimiter = ',', value_name = "TIER,...")]
    pub tiers: Vec<String>,
    /// Argo CD cluster names; every environment goes to each.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub clusters: Vec<String>,
    /// The Git repository holding the project.
    #[arg(long = "repo-url", value_name = "URL")]
    pub repo_url: String,
    /// The revision Argo CD tracks.
    #[arg(long, default_value = "HEAD")]
    pub revision: String,
    /// The project's folder inside the repository.
    #[arg(long, default_value = ".")]
    pub path: String,
    /// The project's name (names the set, Applications and namespaces);
    /// default: `name` in `values/values.yaml`, else the directory's name.
    #[arg(long = "name", value_name = "NAME")]
    pub name: Option<String>,
    /// The Argo CD AppProject.
    #[arg(long = "argocd-project", default_value = "default")]
    pub argocd_project: String,
    /// The namespace Argo CD runs in.
    #[arg(long = "argocd-namespace", default_value = "argocd")]
    pub argocd_namespace: String,
    /// Automated sync with prune and self-heal.
    #[arg(long = "auto-sync")]
    pub auto_sync: bool,
    /// The project root.
    #[arg(short = 'C', long = "project", value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
}

/// Flags of `compose schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Write `schema/values.schema.json` in the project instead of printing.
    #[arg(long, conflicts_with = "check")]
    pub write: bool,
    /// Exit 1 when `schema/values.schema.json` differs from the generated schema.
    #[arg(long)]
    pub check: bool,
    /// The project root.
    #[arg(short = 'C', long = "project", value_name = "DIR", default_value = ".")]
    pub project: PathBuf,
}

/// Flags of `compose kustomize`, named as kubectl names them.
#[derive(Debug, Args)]
pub struct KustomizeArgs {
    /// The directory holding the kustomization.
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Whether files outside the kustomization root may be read.
    #[arg(
        long = "load-restrictor",
        value_enum,
        default_value = "LoadRestrictionsRootOnly"
    )]
    pub load_restrictor: LoadRestrictorArg,
}

/// kubectl's `--load-restrictor` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum LoadRestrictorArg {
    /// Only files under the kustomization root.
    #[value(name = "LoadRestrictionsRootOnly")]
    RootOnly,
    /// Any file.
    #[value(name = "LoadRestrictionsNone")]
    None,
}
