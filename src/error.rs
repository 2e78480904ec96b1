//! compose's top-level error and its exit codes.
//!
//! Stages return [`Error`]; only `run` turns it into text (through the
//! printer) and an exit code. The codes are a contract for scripts:
//! 0 success, 1 the input is wrong (values, templates, kustomizations),
//! 2 the command line is wrong, the output could not be written (stdout,
//! stderr, `--output-dir`, `schema --write`) or compose itself failed.

use crate::diagnostic::Diagnostic;
use std::fmt;
use std::path::PathBuf;

/// Exit code for invalid input.
pub(crate) const EXIT_INVALID: u8 = 1;
/// Exit code for usage errors, output that could not be written and
/// internal failures.
pub(crate) const EXIT_USAGE: u8 = 2;

/// Everything a compose command can fail with.
#[derive(Debug)]
pub enum Error {
    /// The command line is inconsistent in a way clap cannot see.
    Usage(String),
    /// A `--values` file was found neither where given nor under `values/`.
    ValuesNotFound {
        /// The name as given.
        name: String,
        /// Every place that was tried.
        tried: Vec<PathBuf>,
    },
    /// An environment or tier the project does not have.
    UnknownName {
        /// `environment` or `tier`.
        what: String,
        /// The name as given.
        name: String,
        /// The names the project has.
        known: Vec<String>,
    },
    /// A file of the project could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        reason: String,
    },
    /// An output file could not be written.
    Write {
        /// The file.
        path: PathBuf,
        /// The system's reason.
        reason: String,
    },
    /// One or more located problems in the input (values, schema, template).
    Diagnostics(Vec<Diagnostic>),
    /// The kustomize engine refused the build.
    Build(compose_kustomize::Error),
    /// The deploy stage refused (bad stream, kubectl missing, folder I/O).
    Deploy(crate::deploy::DeployError),
    /// The committed schema differs from the generated one (`schema --check`).
    StaleSchema(PathBuf),
    /// A bug or an environment problem, not the user's input.
    Internal(String),
    /// Wrong input with no file and line to point at (a name given on
    /// the command line or taken from a folder).
    Invalid(String),
}

impl Error {
    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Internal(_) | Error::Write { .. } => EXIT_USAGE,
            Error::Deploy(
                crate::deploy::DeployError::Spawn { .. } | crate::deploy::DeployError::Io { .. },
            ) => EXIT_USAGE,
            _ => EXIT_INVALID,
        }
    }

    /// An I/O error about `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, err: &std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            reason: err.to_string(),
        }
    }

    /// A failed write of `path`.
    pub(crate) fn write(path: impl Into<PathBuf>, err: &std::io::Error) -> Error {
        Error::Write {
            path: path.into(),
            reason: err.to_string(),
        }
    }

    /// A single diagnostic.
    pub(crate) fn diagnostic(d: Diagnostic) -> Error {
        Error::Diagnostics(vec![d])
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) | Error::Internal(m) | Error::Invalid(m) => f.write_str(m),
            Error::ValuesNotFound { name, tried } => {
                let tried: Vec<String> =
                    tried.iter().map(|p| format!("`{}`", p.display())).collect();
                write!(
                    f,
                    "values file `{name}` not found (looked for {})",
                    tried.join(" and ")
                )
            }
            Error::UnknownName { what, name, known } => {
                write!(f, "unknown {what} `{name}`; ")?;
                if known.is_empty() {
                    return write!(f, "the project has no {what}s");
                }
                write!(f, "known {what}s: {}", known.join(", "))?;
                match crate::schema::suggest::did_you_mean(name, known.iter().map(String::as_str)) {
                    Some(s) => write!(f, " (did you mean `{s}`?)"),
                    None => Ok(()),
                }
            }
            Error::Io { path, reason } => write!(f, "{}: {reason}", path.display()),
            Error::Write { path, reason } => {
                write!(f, "cannot write {}: {reason}", path.display())
            }
            Error::Diagnostics(ds) => {
                let lines: Vec<String> = ds.iter().map(Diagnostic::headline).collect();
                f.write_str(&lines.join("\n"))
            }
            Error::Build(e) => write!(f, "{e}"),
            Error::Deploy(e) => write!(f, "{e}"),
            Error::StaleSchema(p) => write!(
                f,
                "{} is out of date; run `compose schema --write`",
                p.display()
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<crate::deploy::DeployError> for Error {
    fn from(e: crate::deploy::DeployError) -> Self {
        Error::Deploy(e)
    }
}

impl From<compose_kustomize::Error> for Error {
    fn from(e: compose_kustomize::Error) -> Self {
        Error::Build(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(Error::Usage("x".into()).exit_code(), 2);
        assert_eq!(Error::Internal("x".into()).exit_code(), 2);
        assert_eq!(Error::Diagnostics(vec![]).exit_code(), 1);
        assert_eq!(
            Error::ValuesNotFound {
                name: "a".into(),
                tried: vec![]
            }
            .exit_code(),
            1
        );
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let e = |name: &str, known: &[&str]| Error::UnknownName {
            what: "environment".into(),
            name: name.into(),
            known: known.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            e("prdo", &["dev", "prod"]).to_string(),
            "unknown environment `prdo`; known environments: dev, prod (did you mean `prod`?)"
        );
        assert_eq!(
            e("staging", &["dev", "prod"]).to_string(),
            "unknown environment `staging`; known environments: dev, prod"
        );
        assert_eq!(
            e("dev", &[]).to_string(),
            "unknown environment `dev`; the project has no environments"
        );
        assert_eq!(e("x", &[]).exit_code(), 1);
    }

    #[test]
    fn values_not_found_names_every_place() {
        let e = Error::ValuesNotFound {
            name: "x.yaml".into(),
            tried: vec!["x.yaml".into(), "values/x.yaml".into()],
        };
        assert_eq!(
            e.to_string(),
            "values file `x.yaml` not found (looked for `x.yaml` and `values/x.yaml`)"
        );
    }
}
