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

// These docs are for maintainers (`cargo doc --document-private-items`),
// so they link to crate-private items freely.
#![allow(rustdoc::private_intra_doc_links)]

// The crate's API is `run`, for the binary. The modules marked `pub` are
// public only so the fuzz targets (fuzz/) can drive the stages one at a
// time; inside them an item is `pub` only when a fuzz target uses it, and
// everything else is `pub(crate)`, so the compiler reports dead code.
pub(crate) mod cli;
pub(crate) mod compare;
pub mod deploy;
pub mod diagnostic;
pub mod error;
pub(crate) mod explain;
pub(crate) mod field_path;
pub(crate) mod graph;
pub(crate) mod init;
pub(crate) mod inventory;
pub(crate) mod knobs;
pub(crate) mod lint;
pub(crate) mod manifests;
pub(crate) mod owned;
pub mod pipeline;
pub(crate) mod printer;
pub mod project;
pub(crate) mod render;
pub(crate) mod report;
pub mod schema;
pub mod settings;
pub(crate) mod split;
pub mod values;
pub(crate) mod workloads;

use std::ffi::OsString;

/// Runs compose with these arguments (the first is the program name) and
/// returns the process exit code: 0 ok, 1 invalid input, 2 usage error,
/// output that could not be written, or internal error. Everything has
/// been written and flushed by the time it returns.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let mut out = Streams::default();
    let code = run_to(args, &mut out);
    out.stdout(printer::flush());
    out.finish(code)
}

/// What became of the writes of one run: the first write that failed, and
/// whether stdout may still be written.
#[derive(Default)]
struct Streams {
    /// The first failed write (never a closed pipe), on stdout or stderr.
    failed: Option<(&'static str, std::io::Error)>,
    /// stdout failed or was closed: write nothing more there.
    stdout_done: bool,
    /// How error lines start: `Error: ` for the kubectl drop-in.
    prefix: &'static str,
}

impl Streams {
    /// Records the result of a write to stdout.
    fn stdout(&mut self, r: std::io::Result<()>) {
        if let Err(e) = r {
            self.stdout_done = true;
            if printer::is_failure(&e) && self.failed.is_none() {
                self.failed = Some(("stdout", e));
            }
        }
    }

    /// Records the result of a write to stderr.
    fn stderr(&mut self, r: std::io::Result<()>) {
        if let Err(e) = r {
            if printer::is_failure(&e) && self.failed.is_none() {
                self.failed = Some(("stderr", e));
            }
        }
    }

    /// The exit code once everything is written: a failed write turns a
    /// success into [`error::EXIT_USAGE`] (and is reported on stderr when
    /// stderr still works); a failure keeps its own code.
    fn finish(self, code: u8) -> u8 {
        let Some((stream, err)) = self.failed else {
            return code;
        };
        if stream == "stdout" {
            let prefix = if self.prefix.is_empty() {
                "error: "
            } else {
                self.prefix
            };
            let _ = printer::error(prefix, &format!("cannot write to stdout: {err}"));
        }
        if code == 0 {
            error::EXIT_USAGE
        } else {
            code
        }
    }
}

fn run_to(args: impl IntoIterator<Item = OsString>, streams: &mut Streams) -> u8 {
    let cli = match cli::parse(args) {
        Ok(c) => c,
        Err(e) => {
            let on_stderr = e.use_stderr();
            let r = printer::clap(&e);
            if on_stderr {
                streams.stderr(r);
                return error::EXIT_USAGE;
            }
            streams.stdout(r);
            return 0;
        }
    };
    let drop_in = matches!(cli.command, Some(cli::Command::Kustomize(_)));
    // `compare` exits as `diff` does: 1 means "different", so every error
    // is 2.
    let diff_like = matches!(cli.command, Some(cli::Command::Compare(_)));
    streams.prefix = if drop_in { "Error: " } else { "error: " };
    // Variables that are not Unicode cannot name values; skip them rather
    // than fail on an unrelated part of the environment.
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    match execute(cli, env) {
        Ok(out) => {
            for w in &out.warnings {
                streams.stderr(printer::warning(w));
            }
            if let Some(n) = &out.note {
                streams.stderr(printer::error("", n));
            }
            streams.stdout(printer::out(&out.stdout));
            if !streams.stdout_done {
                streams.stdout(printer::objects(out.objects));
            }
            out.code
        }
        Err(err) => {
            let code = report(err, streams, drop_in);
            if diff_like {
                error::EXIT_USAGE
            } else {
                code
            }
        }
    }
}

/// Writes a failed run's error to stderr and returns its exit code;
/// `drop_in`: as the kubectl drop-in writes it.
fn report(err: anyhow::Error, streams: &mut Streams, drop_in: bool) -> u8 {
    match err.downcast::<error::Error>() {
        Ok(error::Error::Diagnostics(ds)) if !drop_in => {
            streams.stderr(printer::diagnostics(&ds));
            error::EXIT_INVALID
        }
        // Engine errors name their place like values diagnostics do:
        // on one line for the kubectl drop-in (kubectl's `Error: `
        // form), with the excerpt and the hint for compose's own
        // commands.
        Ok(error::Error::Build(e)) => {
            let cwd = std::env::current_dir().ok();
            let d = diagnostic::Diagnostic::from_build(&e, cwd.as_deref());
            let r = if d.origin.is_some() && !drop_in {
                printer::diagnostics(&[d])
            } else {
                printer::error(streams.prefix, &d.one_line())
            };
            streams.stderr(r);
            error::EXIT_INVALID
        }
        Ok(e) => {
            streams.stderr(printer::error(streams.prefix, &e.to_string()));
            e.exit_code()
        }
        Err(other) => {
            streams.stderr(printer::error("error: ", &format!("{other:#}")));
            error::EXIT_USAGE
        }
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
        Settings::Render {
            values,
            output_dir,
            destination,
            share,
        } => pipeline::render(
            &values,
            output_dir.as_deref(),
            destination.as_deref(),
            share.as_ref(),
        )?,
        Settings::Apply { values, options } => pipeline::apply(&values, &options)?,
        Settings::Diff { values, options } => pipeline::diff(&values, &options)?,
        Settings::AppSet { project, spec } => pipeline::appset(&project, &spec)?,
        Settings::Compare { a, b, format } => pipeline::compare(&a, &b, format)?,
        Settings::Graph { values, format } => pipeline::graph(&values, format)?,
        Settings::Explain {
            values,
            query,
            format,
        } => pipeline::explain(&values, &query, format)?,
        Settings::Template(vs) => pipeline::template(&vs)?,
        Settings::Validate {
            values,
            kubernetes_version,
            format,
        } => pipeline::validate(&values, kubernetes_version.as_deref(), format)?,
        Settings::Lint {
            values,
            strict,
            format,
        } => pipeline::lint(&values, strict, format)?,
        Settings::LintKustomize {
            dir,
            restrictor,
            strict,
            format,
        } => pipeline::lint_kustomize(&dir, restrictor, strict, format)?,
        Settings::Schema { project, mode } => pipeline::schema_command(&project, mode)?,
        Settings::Kustomize { dir, restrictor } => pipeline::kustomize(&dir, restrictor)?,
        Settings::Init { dir, name } => init::init(&dir, name.as_deref())?,
        Settings::Version => pipeline::version(),
        Settings::Completion(shell) => pipeline::completion(shell),
    })
}
