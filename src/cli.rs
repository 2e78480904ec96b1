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
    /// Values flags for the bare form.
    #[command(flatten)]
    pub values: ValuesArgs,
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
    Render(ValuesArgs),
    /// Print the generated kustomization.yaml instead of building it.
    Template(ValuesArgs),
    /// Load and validate the values only.
    Validate(ValuesArgs),
    /// Print the values JSON Schema of the project (draft-07).
    Schema(SchemaArgs),
    /// Build a kustomization directory; a drop-in for `kubectl kustomize`.
    Kustomize(KustomizeArgs),
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
    #[arg(long = "load-restrictor", value_enum, default_value = "LoadRestrictionsRootOnly")]
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
