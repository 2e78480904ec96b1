//! The engine's error type.
//!
//! Every error has a kind ([`ErrorKind`]) and says what went wrong in
//! kustomize's words where kustomize has words for it, so that searching
//! the message finds kustomize's own issues and answers. When the place
//! is known, the error points at it ([`Location`]): the kustomization
//! line that lists a missing resource, the key of a misspelt field, the
//! line of a patch that does not parse or does not apply. A step that
//! wraps an error says what it was doing and keeps the error as its
//! [`source`](std::error::Error::source).
//!
//! Secret values never go into a message: variants carry names and paths,
//! not data, and the steps that transform objects scrub a failing step's
//! message of the Secrets' values (see `redact`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The fix an error of the root restriction suggests.
pub(crate) const RESTRICTED_HINT: &str =
    "loads are restricted to the kustomization root; pass --load-restrictor LoadRestrictionsNone to allow it";

/// What kind of problem an error is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file or directory could not be read, or is not there.
    Io,
    /// A file is not valid YAML.
    Yaml,
    /// A path leaves the kustomization root while loads are restricted.
    Restricted,
    /// A feature kustomize has and compose does not.
    Unsupported,
    /// A kustomization file itself: an unknown field, a value of the wrong
    /// type, a wrong kind or apiVersion, a file with nothing in it.
    Kustomization,
    /// An object: missing its kind or name, or clashing with another.
    Resource,
    /// A patch that cannot be read, finds no target, or does not apply.
    Patch,
    /// A `configMapGenerator` or `secretGenerator` entry, or its sources.
    Generator,
    /// The settings of a builtin transformer (labels, images, replicas,
    /// namespace, name affixes, sort order, selectors), or what it met.
    Transformer,
    /// A name reference, var or replacement that cannot be resolved.
    Reference,
    /// A transformer configuration, CRD or OpenAPI schema file.
    Configuration,
}

/// A place in a file. Lines and columns count from 1; a column counts
/// characters. Line 0 names the file alone, column 0 the line alone.
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    /// The file.
    pub path: PathBuf,
    /// The line, from 1; 0 when only the file is known.
    pub line: usize,
    /// The column, from 1; 0 when unknown.
    pub column: usize,
    /// The file's text, for an excerpt of the line; `None` when it is not
    /// at hand or must not be shown.
    pub source: Option<Arc<str>>,
}

impl Location {
    /// The file alone.
    pub(crate) fn file(path: impl Into<PathBuf>) -> Location {
        Location {
            path: path.into(),
            line: 0,
            column: 0,
            source: None,
        }
    }

    /// A line and column of a file.
    pub(crate) fn at(path: impl Into<PathBuf>, line: usize, column: usize) -> Location {
        Location {
            path: path.into(),
            line,
            column,
            source: None,
        }
    }

    /// The same place, with the file's text for an excerpt.
    pub fn with_source(mut self, source: Arc<str>) -> Location {
        self.source = Some(source);
        self
    }

    /// The text of the line pointed at, when the source is at hand.
    pub(crate) fn line_text(&self) -> Option<&str> {
        let source = self.source.as_deref()?;
        source.lines().nth(self.line.checked_sub(1)?)
    }

    /// `path:line:column` with the path as given to `fmt_path`.
    pub(crate) fn display_with(&self, path: &Path) -> String {
        match (self.line, self.column) {
            (0, _) => path.display().to_string(),
            (l, 0) => format!("{}:{l}", path.display()),
            (l, c) => format!("{}:{l}:{c}", path.display()),
        }
    }
}

impl fmt::Display for Location {
    /// `path:line:column`, `path:line` or `path`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_with(&self.path))
    }
}

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
    /// A kustomization, or a file or object it names, says something the
    /// engine cannot accept.
    Invalid {
        /// What kind of problem it is.
        kind: ErrorKind,
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
    /// An error with the place it points at, and the fix when it is
    /// obvious.
    At {
        /// Where.
        location: Box<Location>,
        /// A suggested fix, e.g. "did you mean `resources`?".
        hint: Option<String>,
        /// The error.
        source: Box<Error>,
    },
}

impl Error {
    /// An error of `kind`.
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::Invalid {
            kind,
            message: message.into(),
        }
    }

    /// A [`ErrorKind::Kustomization`] error.
    pub(crate) fn kustomization(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Kustomization, message)
    }

    /// A [`ErrorKind::Resource`] error.
    pub(crate) fn resource(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Resource, message)
    }

    /// A [`ErrorKind::Patch`] error.
    pub(crate) fn patch(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Patch, message)
    }

    /// A [`ErrorKind::Generator`] error.
    pub(crate) fn generator(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Generator, message)
    }

    /// A [`ErrorKind::Transformer`] error.
    pub(crate) fn transformer(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Transformer, message)
    }

    /// A [`ErrorKind::Reference`] error.
    pub(crate) fn reference(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Reference, message)
    }

    /// A [`ErrorKind::Configuration`] error.
    pub(crate) fn configuration(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Configuration, message)
    }

    /// What kind of problem this is (a wrapped error's kind).
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Io { .. } => ErrorKind::Io,
            Error::Yaml { .. } => ErrorKind::Yaml,
            Error::Invalid { kind, .. } => *kind,
            Error::Restricted { .. } => ErrorKind::Restricted,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::Context { source, .. } | Error::At { source, .. } => source.kind(),
        }
    }

    /// Where the error points, when that is known: the place attached to
    /// it, or the line and column of a YAML error.
    pub fn location(&self) -> Option<Location> {
        match self {
            Error::At { location, .. } => Some((**location).clone()),
            Error::Yaml { path, error } => {
                Some(Location::at(path.clone(), error.pos.line, error.pos.col))
            }
            Error::Context { source, .. } => source.location(),
            _ => None,
        }
    }

    /// The suggested fix, when there is one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            Error::At { hint: Some(h), .. } => Some(h),
            Error::At { source, .. } | Error::Context { source, .. } => source.hint(),
            Error::Restricted { .. } => Some(RESTRICTED_HINT),
            _ => None,
        }
    }

    /// The error pointing at `location`, unless it already points
    /// somewhere (the innermost place is the most precise).
    pub(crate) fn at(self, location: Location) -> Error {
        if self.location().is_some() {
            return self;
        }
        Error::At {
            location: Box::new(location),
            hint: None,
            source: Box::new(self),
        }
    }

    /// The error pointing at `path` (the file alone), unless it already
    /// points somewhere.
    pub(crate) fn at_file(self, path: impl Into<PathBuf>) -> Error {
        self.at(Location::file(path))
    }

    /// The error pointing at `location`, with a suggested fix (which
    /// takes the place of any fix the error suggests itself).
    pub fn at_with_hint(self, location: Location, hint: impl Into<String>) -> Error {
        Error::At {
            location: Box::new(location),
            hint: Some(hint.into()),
            source: Box::new(self),
        }
    }

    /// The error without the places it points at in the file `path` (a
    /// text the reader cannot see, such as one assembled in memory), and
    /// without their hints; other places stay.
    pub fn without_places_in(self, path: &Path) -> Error {
        match self {
            Error::At {
                location,
                hint,
                source,
            } => {
                let source = source.without_places_in(path);
                if location.path == path {
                    source
                } else {
                    Error::At {
                        location,
                        hint,
                        source: Box::new(source),
                    }
                }
            }
            Error::Context { context, source } => Error::Context {
                context,
                source: Box::new(source.without_places_in(path)),
            },
            other => other,
        }
    }

    /// Changes the place the error points at, if it points somewhere.
    pub fn map_location(self, f: impl FnOnce(Location) -> Location) -> Error {
        match self {
            Error::At {
                location,
                hint,
                source,
            } => Error::At {
                location: Box::new(f(*location)),
                hint,
                source,
            },
            Error::Context { context, source } => Error::Context {
                context,
                source: Box::new(source.map_location(f)),
            },
            Error::Yaml { path, error } => {
                let here = Location::at(path.clone(), error.pos.line, error.pos.col);
                let there = f(here.clone());
                if there == here {
                    return Error::Yaml { path, error };
                }
                Error::At {
                    location: Box::new(there),
                    hint: None,
                    source: Box::new(Error::Yaml { path, error }),
                }
            }
            other => other,
        }
    }

    /// Wraps the error with what was being done.
    pub fn context(self, context: impl Into<String>) -> Error {
        Error::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }

    /// What went wrong, without the place: each step's words, then the
    /// cause's.
    pub fn message(&self) -> String {
        let mut out = String::new();
        self.write_message(&mut out);
        out
    }

    fn write_message(&self, out: &mut String) {
        use fmt::Write as _;
        match self {
            Error::Io { path, reason } => {
                let _ = write!(out, "{}: {reason}", path.display());
            }
            Error::Yaml { error, .. } => {
                let _ = write!(out, "invalid YAML: {}", error.message);
            }
            Error::Invalid { message, .. } => out.push_str(message),
            Error::Restricted { path, target, root } => {
                let _ = write!(
                    out,
                    "security; file '{}'{} is not in or below '{}'",
                    path.display(),
                    target
                        .as_ref()
                        .map(|t| format!(" (a link to '{}')", t.display()))
                        .unwrap_or_default(),
                    root.display()
                );
            }
            Error::Unsupported {
                feature,
                path: Some(p),
            } => {
                let _ = write!(
                    out,
                    "{}: `{feature}` is not supported by compose",
                    p.display()
                );
            }
            Error::Unsupported {
                feature,
                path: None,
            } => {
                let _ = write!(out, "`{feature}` is not supported by compose");
            }
            Error::Context { context, source } => {
                out.push_str(context);
                out.push_str(": ");
                source.write_message(out);
            }
            Error::At { source, .. } => source.write_message(out),
        }
    }
}

impl fmt::Display for Error {
    /// `place: message`, or the message alone.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = self.location() {
            write!(f, "{l}: ")?;
        }
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Yaml { error, .. } => Some(error),
            Error::Context { source, .. } | Error::At { source, .. } => Some(&**source),
            _ => None,
        }
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn kind_location_and_source_survive_context() {
        let e = Error::patch("replace operation does not apply")
            .at(Location::at("/k/patch.yaml", 3, 5))
            .context("applying patch");
        assert_eq!(e.kind(), ErrorKind::Patch);
        assert_eq!(e.location(), Some(Location::at("/k/patch.yaml", 3, 5)));
        assert_eq!(
            e.to_string(),
            "/k/patch.yaml:3:5: applying patch: replace operation does not apply"
        );
        assert_eq!(
            e.message(),
            "applying patch: replace operation does not apply"
        );
        let inner = e.source().and_then(|s| s.source()).map(ToString::to_string);
        assert_eq!(inner.as_deref(), Some("replace operation does not apply"));
    }

    #[test]
    fn the_innermost_place_wins() {
        let e = Error::kustomization("x")
            .at(Location::at("/a", 1, 1))
            .at(Location::at("/b", 2, 2));
        assert_eq!(e.location(), Some(Location::at("/a", 1, 1)));
        let yaml = Error::Yaml {
            path: "/r.yaml".into(),
            error: compose_yaml::ParseError {
                pos: compose_yaml::Pos { line: 4, col: 2 },
                message: "bad".into(),
            },
        }
        .at(Location::at("/k", 9, 9));
        assert_eq!(yaml.to_string(), "/r.yaml:4:2: invalid YAML: bad");
        assert_eq!(yaml.kind(), ErrorKind::Yaml);
    }

    #[test]
    fn places_in_a_file_can_be_dropped() {
        let e = Error::patch("x")
            .at(Location::at("/gen/k.yaml", 3, 5))
            .context("step");
        let e = e.without_places_in(Path::new("/gen/k.yaml"));
        assert_eq!(e.location(), None);
        assert_eq!(e.to_string(), "step: x");
        let kept = Error::patch("x")
            .at(Location::at("/real/p.yaml", 3, 5))
            .without_places_in(Path::new("/gen/k.yaml"));
        assert_eq!(kept.location(), Some(Location::at("/real/p.yaml", 3, 5)));
    }

    #[test]
    fn places_print_as_far_as_known() {
        assert_eq!(Location::file("/k/a.yaml").to_string(), "/k/a.yaml");
        assert_eq!(Location::at("/k/a.yaml", 3, 0).to_string(), "/k/a.yaml:3");
        let l = Location::at("k.yaml", 2, 1).with_source("a: 1\nresourcez: []\n".into());
        assert_eq!(l.line_text(), Some("resourcez: []"));
    }
}
