//! The command line, as clap derive types. No logic lives here: `settings`
//! turns these into a resolved [`crate::settings::Settings`].
//!
//! Shape: the project and values flags (`-C`, `-f`, `--set`, `--env`,
//! `--tier`) are global: they may come before or after the subcommand, as
//! in `compose -C dir schema` or `compose schema -C dir`. Without a
//! subcommand compose renders (`compose --env prod`, the form users type).
//! A flag that means nothing to the chosen command is refused by
//! `settings`, never ignored.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

/// The command-line definition, with the help that is built from tables:
/// `lint --help` lists the lint rules.
pub(crate) fn command() -> clap::Command {
    Cli::command().mut_subcommand("lint", |c| c.after_long_help(crate::lint::rules_help()))
}

/// Parses the arguments (the first is the program name) against
/// [`command`].
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Cli, clap::Error> {
    let mut matches = command().try_get_matches_from(args)?;
    Cli::from_arg_matches_mut(&mut matches)
}

/// Values-driven Kubernetes manifests: layered values, JSON Schema
/// validation, a templated kustomization and a built-in kustomize engine.
///
/// Without a subcommand, compose renders: it loads and validates the
/// values, generates the kustomization and prints the built manifests.
#[derive(Debug, Parser)]
#[command(name = "compose", version)]
pub(crate) struct Cli {
    /// What to do; `render` when omitted.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    /// The project and values flags, accepted anywhere on the line.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    /// Flags of the bare form (those of `render`).
    #[command(flatten)]
    pub(crate) render: RenderArgs,
}

/// Flags every values command shares; global, so their place on the
/// command line does not matter.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct GlobalArgs {
    /// The project root (holding `compose.yaml`, or `base/`, `components/`
    /// and `values/`). Default: the current directory.
    #[arg(short = 'C', long = "project", value_name = "DIR", global = true)]
    pub(crate) project: Option<PathBuf>,
    /// The environment: layers `values-<ENV>.yaml` of the values folder
    /// and names the environment for lint, apply and Argo CD. Default:
    /// `COMPOSE_ENV`, or the environment whose file `-f` names.
    #[arg(
        long = "env",
        visible_alias = "environment",
        value_name = "ENV",
        global = true
    )]
    pub(crate) env: Option<String>,
    /// The tier: layers `values-tier-<TIER>.yaml` between the shared
    /// defaults and the environment. Default: `COMPOSE_TIER`.
    #[arg(long = "tier", value_name = "TIER", global = true)]
    pub(crate) tier: Option<String>,
    /// A values file layered after the environment's; repeat to add more
    /// layers (later wins). Looked up relative to the current directory,
    /// then in the project's values folder. `-f values-prod.yaml` is
    /// another way to write `--env prod`.
    #[arg(short = 'f', long = "values", value_name = "FILE", global = true)]
    pub(crate) values: Vec<PathBuf>,
    /// Sets values on the command line, Helm style:
    /// `--set api.replicas=3,api.image.tag=1.10`. Typed by the schema. An
    /// index edits that item of the list the values files hold, as Helm
    /// does: `--set api.tolerations[1].effect=NoSchedule`.
    #[arg(long = "set", value_name = "PATH=VALUE", global = true)]
    pub(crate) set: Vec<String>,
    /// Like `--set`, but every value is a string (`--set-string
    /// api.image.tag=1.10`).
    #[arg(long = "set-string", value_name = "PATH=VALUE", global = true)]
    pub(crate) set_string: Vec<String>,
    /// Sets JSON values: `--set-json 'api.nodeSelector={"disk":"ssd"}'`;
    /// JSON null deletes the key.
    #[arg(long = "set-json", value_name = "PATH=JSON", global = true)]
    pub(crate) set_json: Vec<String>,
    /// Sets a value to a file's content, as a string: `--set-file
    /// settings.CA=ca.pem`.
    #[arg(long = "set-file", value_name = "PATH=FILE", global = true)]
    pub(crate) set_file: Vec<String>,
    /// Sets one string value, everything after the first `=`, commas and
    /// backslashes included.
    #[arg(long = "set-literal", value_name = "PATH=VALUE", global = true)]
    pub(crate) set_literal: Vec<String>,
}

/// Flags of `compose render` (and of the bare form).
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct RenderArgs {
    /// Write one file per object into DIR (replaced as a whole) instead of
    /// printing the stream.
    #[arg(long = "output-dir", value_name = "DIR")]
    pub(crate) output_dir: Option<PathBuf>,
    /// The namespace the manifests are deployed into (Argo CD's plugin
    /// passes the Application's destination namespace): an object naming
    /// another namespace is an error.
    #[arg(long = "destination-namespace", value_name = "NAMESPACE")]
    pub(crate) destination_namespace: Option<String>,
    /// Print one Argo CD Application's share of the render (see `compose
    /// argocd appset --per-component`): the objects written in component
    /// NAME's folder, or with `base` every object of no component that
    /// has an Application of its own.
    #[arg(long = "component", value_name = "NAME")]
    pub(crate) component: Option<String>,
    /// The components with an Application of their own, which `base`
    /// leaves out. Default: every component of the project.
    #[arg(
        long = "app-components",
        value_delimiter = ',',
        value_name = "NAME,...",
        requires = "component"
    )]
    pub(crate) app_components: Option<Vec<String>>,
}

/// `-o`/`--output` of `validate` and `lint`, as kubectl and helm name it.
#[derive(Debug, Clone, Copy, Default, ValueEnum, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    /// Messages for people (the default).
    #[default]
    Text,
    /// One JSON array on stdout, an object per finding: severity, rule,
    /// file, line, column, object, message, fix.
    Json,
    /// GitHub Actions annotations on stdout (`::error file=F,line=L,...`).
    Github,
}

/// `-o` of `validate` and `lint`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct ReportArgs {
    /// How to print problems and findings: `text`, `json` (an array of
    /// records on stdout) or `github` (GitHub Actions annotations on
    /// stdout; lint findings are warnings, or errors with `--strict`).
    /// Exit codes are the same in every format.
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        value_name = "FORMAT",
        default_value = "text"
    )]
    pub(crate) output: OutputFormat,
}

/// `compose validate`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct ValidateArgs {
    /// Kubernetes minor version whose API schema the rendered objects are
    /// checked against (built in: 1.29, 1.31, 1.33; default: the newest).
    #[arg(long = "kubernetes-version", value_name = "VERSION")]
    pub(crate) kubernetes_version: Option<String>,
    /// Check the values only; do not render.
    #[arg(long = "values-only")]
    pub(crate) values_only: bool,
    /// How to print what is found.
    #[command(flatten)]
    pub(crate) report: ReportArgs,
}

/// `compose lint`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct LintArgs {
    /// Findings are errors: exit 1 when there is any.
    #[arg(long)]
    pub(crate) strict: bool,
    /// How to print what is found.
    #[command(flatten)]
    pub(crate) report: ReportArgs,
    /// Lint a plain kustomization directory instead of the project, built
    /// as `compose kustomize DIR` builds it (as `kubectl apply -k`).
    #[arg(short = 'k', long = "kustomize", value_name = "DIR")]
    pub(crate) kustomize: Option<PathBuf>,
    /// With `--kustomize`: whether files outside the kustomization root
    /// may be read.
    #[arg(long = "load-restrictor", value_enum, requires = "kustomize")]
    pub(crate) load_restrictor: Option<LoadRestrictorArg>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Load, validate, render and build; print the manifests (the default).
    #[command(visible_alias = "build")]
    Render(RenderArgs),
    /// Print the generated kustomization.yaml instead of building it.
    Template,
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
    /// Compare the manifests of two environments (or values files, or
    /// tiers): objects only one side has, and each field that differs.
    /// Exit 0 when they are the same, 1 when they differ, 2 on error.
    Compare(CompareArgs),
    /// Render, then draw the application: workloads, Services, Ingresses,
    /// the ConfigMaps, Secrets, claims and ServiceAccounts the pods use,
    /// autoscalers and NetworkPolicies, with the edges between them.
    Graph(GraphArgs),
    /// Render, then show one field of one object and where its value came
    /// from: the file and line that wrote it, each patch or transformer
    /// that changed it, and the values behind the generated steps.
    Explain(ExplainArgs),
    /// Argo CD helpers.
    #[command(subcommand)]
    Argocd(ArgocdCommand),
    /// Start a new project in DIR: project file, base, one component,
    /// values for dev and prod, schemas, Makefile, README. Never
    /// overwrites a file.
    Init(InitArgs),
    /// Print compose's version, the commit it was built from and the
    /// kustomize version its engine matches.
    Version,
    /// Print a shell completion script: `source <(compose completion bash)`.
    Completion(CompletionArgs),
}

/// Flags of `compose init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The folder of the new project (created when missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub(crate) dir: PathBuf,
    /// The project's name (workload names, the prod namespace); default:
    /// the folder's name.
    #[arg(long = "name", value_name = "NAME")]
    pub(crate) name: Option<String>,
}

/// Flags of `compose compare`.
#[derive(Debug, Args, Clone)]
pub(crate) struct CompareArgs {
    /// The first side: an environment (`dev`), or a values file found as
    /// `-f` finds it (an environment's or a tier's file selects it).
    /// Layered over the shared defaults; `-f` and `--set` flags are
    /// layered on both sides after it.
    #[arg(value_name = "A")]
    pub(crate) a: String,
    /// The second side, named as A is.
    #[arg(value_name = "B")]
    pub(crate) b: String,
    /// The tier of side A (default: `--tier`, for both sides).
    #[arg(long = "a-tier", value_name = "TIER")]
    pub(crate) a_tier: Option<String>,
    /// The tier of side B (default: `--tier`, for both sides).
    #[arg(long = "b-tier", value_name = "TIER")]
    pub(crate) b_tier: Option<String>,
    /// How to print the differences.
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        value_name = "FORMAT",
        default_value = "text"
    )]
    pub(crate) output: TextOrJson,
}

/// `--output` values of `compare` and `explain`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum TextOrJson {
    /// For people: `compare` prints one line per object only one side
    /// has, then each changed object with one line per field (`path: A's
    /// value → B's value`); `explain` one line per step.
    Text,
    /// The same as one JSON document.
    Json,
}

/// Flags of `compose graph`.
#[derive(Debug, Args, Clone)]
pub(crate) struct GraphArgs {
    /// The diagram's language: mermaid (drawn by GitHub and GitLab in
    /// Markdown) or Graphviz dot.
    #[arg(long = "format", value_enum, default_value = "mermaid")]
    pub(crate) format: GraphFormat,
}

/// Flags of `compose explain`.
#[derive(Debug, Args, Clone)]
pub(crate) struct ExplainArgs {
    /// The object, as the render names it: `Deployment/arches-api` (the
    /// kind in any case, optionally with its group: `deployment.apps/x`).
    #[arg(value_name = "KIND/NAME")]
    pub(crate) object: String,
    /// The field: `spec.replicas`,
    /// `spec.template.spec.containers[name=api].image`,
    /// `metadata.annotations["example.com/x"]`; as `compose compare`
    /// prints paths (kustomize's `containers.[name=api]` form works too).
    #[arg(value_name = "FIELD")]
    pub(crate) field: String,
    /// The object's namespace, when objects of several namespaces share
    /// the name.
    #[arg(short = 'n', long = "namespace", value_name = "NAMESPACE")]
    pub(crate) namespace: Option<String>,
    /// How to print the explanation.
    #[arg(
        short = 'o',
        long = "output",
        value_enum,
        value_name = "FORMAT",
        default_value = "text"
    )]
    pub(crate) output: TextOrJson,
}

/// `compose graph --format` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum GraphFormat {
    /// A mermaid flowchart.
    Mermaid,
    /// A Graphviz digraph.
    Dot,
}

/// How kubectl reaches the cluster.
#[derive(Debug, Args, Clone)]
pub(crate) struct KubectlArgs {
    /// kubeconfig context to use.
    #[arg(long, value_name = "NAME")]
    pub(crate) context: Option<String>,
    /// kubeconfig file to use.
    #[arg(long, value_name = "FILE")]
    pub(crate) kubeconfig: Option<PathBuf>,
    /// Bound on every request kubectl makes (e.g. `30s`).
    #[arg(
        long = "request-timeout",
        value_name = "DURATION",
        default_value = "30s"
    )]
    pub(crate) request_timeout: String,
}

/// Flags of `compose apply`.
#[derive(Debug, Args)]
pub(crate) struct ApplyArgs {
    /// How kubectl reaches the cluster.
    #[command(flatten)]
    pub(crate) kubectl: KubectlArgs,
    /// Validate with the server (`server`) or locally (`client`) without persisting.
    #[arg(long = "dry-run", value_enum, default_value = "none")]
    pub(crate) dry_run: DryRunArg,
    /// Delete objects of this project and environment that left the stream (ApplySet).
    #[arg(long)]
    pub(crate) prune: bool,
    /// Wait for rollouts (and pruned deletions) to finish.
    #[arg(long)]
    pub(crate) wait: bool,
    /// Timeout for CRD establishment and each rollout.
    #[arg(long = "wait-timeout", value_name = "DURATION", default_value = "5m")]
    pub(crate) wait_timeout: String,
    /// Take over fields another field manager owns.
    #[arg(long = "force-conflicts")]
    pub(crate) force_conflicts: bool,
    /// The field manager of the server-side apply.
    #[arg(long = "field-manager", value_name = "NAME", default_value = "compose")]
    pub(crate) field_manager: String,
    /// Create the namespaces the objects name when the stream does not
    /// hold them, outside the ApplySet, so pruning never deletes them.
    #[arg(long = "create-namespace")]
    pub(crate) create_namespace: bool,
}

/// `--dry-run` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum DryRunArg {
    /// Really apply.
    None,
    /// Client-side dry run.
    Client,
    /// Server-side dry run.
    Server,
}

/// Flags of `compose diff`.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    /// How kubectl reaches the cluster.
    #[command(flatten)]
    pub(crate) kubectl: KubectlArgs,
    /// Take over fields another field manager owns (in the server-side dry run).
    #[arg(long = "force-conflicts")]
    pub(crate) force_conflicts: bool,
    /// The field manager of the server-side dry run (as `apply`'s).
    #[arg(long = "field-manager", value_name = "NAME", default_value = "compose")]
    pub(crate) field_manager: String,
}

/// `compose argocd ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum ArgocdCommand {
    /// Print an ApplicationSet rendering the project with the compose plugin.
    Appset(AppsetArgs),
}

/// Flags of `compose argocd appset`.
#[derive(Debug, Args)]
pub(crate) struct AppsetArgs {
    /// Environments, one Application each (times tiers and clusters).
    /// Default: every environment of the project.
    #[arg(long, value_delimiter = ',', value_name = "ENV,...")]
    pub(crate) envs: Vec<String>,
    /// Tiers, crossed with the environments. Default: every tier of the
    /// project.
    #[arg(long, value_delimiter = ',', value_name = "TIER,...")]
    pub(crate) tiers: Vec<String>,
    /// Argo CD cluster names; every environment goes to each.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub(crate) clusters: Vec<String>,
    /// The Git repository holding the project.
    #[arg(long = "repo-url", value_name = "URL")]
    pub(crate) repo_url: String,
    /// The revision Argo CD tracks.
    #[arg(long, default_value = "HEAD")]
    pub(crate) revision: String,
    /// The project's folder inside the repository.
    #[arg(long, default_value = ".")]
    pub(crate) path: String,
    /// The project's name (names the set, Applications and namespaces);
    /// default: `name` in `values/values.yaml`, else the directory's name.
    #[arg(long = "name", value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// The Argo CD AppProject.
    #[arg(long = "argocd-project", default_value = "default")]
    pub(crate) argocd_project: String,
    /// The namespace Argo CD runs in.
    #[arg(long = "argocd-namespace", default_value = "argocd")]
    pub(crate) argocd_namespace: String,
    /// Automated sync with prune and self-heal.
    #[arg(long = "auto-sync")]
    pub(crate) auto_sync: bool,
    /// One Application per component that brings objects, plus one
    /// (`base`) for every other object, in each environment (app of apps).
    #[arg(long = "per-component")]
    pub(crate) per_component: bool,
}

/// `compose completion`.
#[derive(Debug, Args)]
pub(crate) struct CompletionArgs {
    /// The shell.
    #[arg(value_enum)]
    pub(crate) shell: clap_complete::Shell,
}

/// Flags of `compose schema`.
#[derive(Debug, Args)]
pub(crate) struct SchemaArgs {
    /// Write the values schema (and, with a project file, its schema) in
    /// the project instead of printing.
    #[arg(long, conflicts_with = "check")]
    pub(crate) write: bool,
    /// Exit 1 when a committed schema differs from the generated one.
    #[arg(long)]
    pub(crate) check: bool,
}

/// Flags of `compose kustomize`, named as kubectl names them.
#[derive(Debug, Args)]
pub(crate) struct KustomizeArgs {
    /// The directory holding the kustomization.
    #[arg(value_name = "DIR", default_value = ".")]
    pub(crate) dir: PathBuf,
    /// Whether files outside the kustomization root may be read.
    #[arg(
        long = "load-restrictor",
        value_enum,
        default_value = "LoadRestrictionsRootOnly"
    )]
    pub(crate) load_restrictor: LoadRestrictorArg,
}

/// kubectl's `--load-restrictor` values.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum LoadRestrictorArg {
    /// Only files under the kustomization root.
    #[value(name = "LoadRestrictionsRootOnly")]
    RootOnly,
    /// Any file.
    #[value(name = "LoadRestrictionsNone")]
    None,
}
