//! The engine's error type.
//!
//! Messages follow kustomize's tone (lowercase, what went wrong, then
//! where), and each variant keeps the facts a caller may want to inspect.
//! Secret values never go into a message: variants carry names and paths,
//! not data.

use std::fmt;
use std::path::PathBuf;

/// Everything that can go wrong while building.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A file or directory could not be read.
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The system's reason.
        reason: String,
    },
    /// A file is not valid YAML.
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's error, with line and column.
        error: compose_yaml::ParseError,
    },
    /// A kustomization (or a file it names) says something the engine
    /// cannot accept.
    Invalid {
        /// The file or directory concerned, when known.
        path: Option<PathBuf>,
        /// What is wrong, in kustomize's words where it has them.
        message: String,
    },
    /// A path leaves the kustomization root while loads are restricted.
    Restricted {
        /// The offending path.
        path: PathBuf,
        /// Where it leads once links are resolved, when that differs.
        target: Option<PathBuf>,
        /// The root it had to stay in.
        root: PathBuf,
    },
    /// A feature kustomize has and compose does not.
    Unsupported {
        /// The kustomization field or feature.
        feature: String,
        /// Where it was used.
        path: Option<PathBuf>,
    },
    /// An error with the step that was running when it happened.
    Context {
        /// What was being done, e.g. "accumulating resources".
        context: String,
        /// The underlying error.
        source: Box<Error>,
    },
}

impl Error {
    /// An `Invalid` error without a path.
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::Invalid {
            path: None,
            message: message.into(),
        }
    }

    /// An `Invalid` error about `path`.
    pub fn invalid_at(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Invalid {
            path: Some(path.into()),
            message: message.into(),
        }
    }

    /// Wraps the error with what was being done.
    pub fn context(self, context: impl Into<String>) -> Error {
        Error::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, reason } => write!(f, "{}: {reason}", path.display()),
            Error::Yaml { path, error } => write!(f, "{}:{}:{}: invalid YAML: {}", path.display(), error.pos.line, error.pos.col, error.message),
            Error::Invalid { path: Some(p), message } => write!(f, "{}: {message}", p.display()),
            Error::Invalid { path: None, message } => f.write_str(message),
            Error::Restricted { path, target, root } => write!(
                f,
                "security; file '{}'{} is not in or below '{}' (loads are restricted to the kustomization root; pass --load-restrictor LoadRestrictionsNone to allow it)",
                path.display(),
                target.as_ref().map(|t| format!(" (a link to '{}')", t.display())).unwrap_or_default(),
                root.display()
            ),
            Error::Unsupported { feature, path: Some(p) } => write!(f, "{}: `{feature}` is not supported by compose", p.display()),
            Error::Unsupported { feature, path: None } => write!(f, "`{feature}` is not supported by compose"),
            Error::Context { context, source } => write!(f, "{context}: {source}"),
        }
    }
}

impl std::error::Error for Error {}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
