//! compose: values-driven Kubernetes manifests.
//!
//! ```text
//! argv + env --settings--> Settings
//!   values/values.yaml, --values, --set, env --values--> merged tree + provenance
//!   --schema::validate--> Values (typed) | every violation, located
//!   --render--> kustomization.yaml text (minijinja)
//!   --kustomize engine (in memory, over the project on disk)--> manifests
//!   --printer--> stdout
//! ```
//!
//! `compose kustomize DIR` skips to the engine and prints exactly what
//! `kubectl kustomize DIR` prints. Only [`printer`] writes to the
//! terminal, and only [`run`] chooses the exit code (see [`error`]).

pub mod cli;
pub mod deploy;
pub mod diagnostic;
pub mod error;
pub mod lint;
pub mod manifests;
pub mod pipeline;
pub mod printer;
pub mod project;
pub mod render;
pub mod schema;
pub mod settings;
pub mod values;

use clap::Parser;
use std::ffi::OsString;

/// Runs compose with these arguments (the first is the program name) and
/// returns the process exit code: 0 ok, 1 invalid input, 2 usage or
/// internal error. Everything has been written by the time it returns;
/// the caller only flushes stdout.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            printer::clap(&e);
            return if e.use_stderr() { error::EXIT_USAGE } else { 0 };
        }
    };
    let drop_in = matches!(cli.command, Some(cli::Command::Kustomize(_)));
    // Variables that are not Unicode cannot name values; skip them rather
    // than fail on an unrelated part of the environment.
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    match execute(cli, env) {
        Ok(out) => {
            for w in &out.warnings {
                printer::warning(w);
            }
            if let Some(n) = &out.note {
                printer::error("", n);
            }
            printer::out(&out.stdout);
            printer::objects(out.objects);
            out.code
        }
        Err(err) => match err.downcast::<error::Error>() {
            Ok(error::Error::Diagnostics(ds)) if !drop_in => {
                printer::diagnostics(&ds);
                error::EXIT_INVALID
            }
            Ok(e) => {
                printer::error(if drop_in { "Error: " } else { "error: " }, &e.to_string());
                e.exit_code()
            }
            Err(other) => {
                printer::error("error: ", &format!("{other:#}"));
                error::EXIT_USAGE
            }
        },
    }
}

/// Resolves settings and runs the command. `anyhow` stops here: stages
/// return typed errors, and `run` looks at the type to pick the exit code.
fn execute(
    cli: cli::Cli,
    env: impl IntoIterator<Item = (String, String)>,
) -> anyhow::Result<pipeline::Output> {
    use settings::Settings;
    Ok(match Settings::resolve(cli, env)? {
        Settings::Render { values, output_dir } => {
            pipeline::render(&values, output_dir.as_deref())?
        }
        Settings::Apply { values, options } => pipeline::apply(&values, &options)?,
        Settings::Diff { values, options } => pipeline::diff(&values, &options)?,
        Settings::AppSet { project, spec } => pipeline::appset(&project, &spec)?,
        Settings::Template(vs) => pipeline::template(&vs)?,
        Settings::Validate {
            values,
            kubernetes_version,
        } => pipeline::validate(&values, kubernetes_version.as_deref())?,
        Settings::Lint { values, strict } => pipeline::lint(&values, strict)?,
        Settings::Schema { project, mode } => pipeline::schema_command(&project, mode)?,
        Settings::Kustomize { dir, restrictor } => pipeline::kustomize(&dir, restrictor)?,
    })
}
