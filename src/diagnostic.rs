//! Located messages: `path:LINE:COL: message`, then the source line with a
//! caret under the column.
//!
//! Every user-facing problem that has a place (a values file, a `--set`
//! argument, an environment variable, a template line) becomes a
//! [`Diagnostic`]. Rendering is pure (a `String`), so tests can check it and
//! only the printer writes it. Lines and columns are 1-based; a column is
//! counted in characters, as the YAML reader counts it.

use std::fmt::Write as _;
use std::sync::Arc;

/// Where a diagnostic points.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Origin {
    /// A position in a file whose text we hold.
    File {
        /// The path as shown to the user (relative when the user gave it so).
        path: String,
        /// 1-based line; `None` when only the file is known.
        line: Option<usize>,
        /// 1-based column in characters; 0 when unknown.
        col: usize,
        /// The file's text, for the excerpt.
        source: Option<Arc<str>>,
    },
    /// A command-line argument such as `--set api.replicas=three`.
    Arg(String),
    /// An environment variable, by name.
    Env(String),
}

impl Origin {
    /// Where, as a message starts with it: `file:line:column` (as much
    /// of it as is known), the argument, or the environment variable.
    pub(crate) fn place(&self) -> String {
        match self {
            Origin::File {
                path,
                line: Some(l),
                col,
                ..
            } if *col > 0 => format!("{path}:{l}:{col}"),
            Origin::File {
                path,
                line: Some(l),
                ..
            } => format!("{path}:{l}"),
            Origin::File {
                path, line: None, ..
            } => path.clone(),
            Origin::Arg(a) => a.clone(),
            Origin::Env(v) => format!("environment variable {v}"),
        }
    }
}

/// One problem, with where it is and optional hints.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Where, when known.
    pub(crate) origin: Option<Origin>,
    /// What is wrong, lowercase, without a trailing period.
    pub(crate) message: String,
    /// Extra lines (`help: ...`) printed after the excerpt.
    pub(crate) notes: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic without a place.
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            origin: None,
            message: message.into(),
            notes: Vec::new(),
        }
    }

    /// A diagnostic at `origin`.
    pub(crate) fn at(origin: Origin, message: impl Into<String>) -> Self {
        Diagnostic {
            origin: Some(origin),
            message: message.into(),
            notes: Vec::new(),
        }
    }

    /// The same diagnostic without the excerpt of its file (for a file
    /// that must not be quoted).
    pub(crate) fn without_excerpt(mut self) -> Self {
        if let Some(Origin::File { source, .. }) = &mut self.origin {
            *source = None;
        }
        self
    }

    /// Adds a note line.
    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// An engine error: its place (the path relative to `cwd` when the
    /// file is below it), kustomize's message, and the suggested fix as
    /// a `help:` note. The excerpt is the engine's to give: it shows
    /// lines of kustomization files only, scrubbed of Secret values.
    pub(crate) fn from_build(e: &compose_kustomize::Error, cwd: Option<&std::path::Path>) -> Self {
        let origin = e.location().map(|l| {
            let path = cwd
                .and_then(|c| l.path.strip_prefix(c).ok())
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(&l.path);
            Origin::File {
                path: path.display().to_string(),
                line: (l.line > 0).then_some(l.line),
                col: l.column,
                source: l.source.clone(),
            }
        });
        let mut d = Diagnostic {
            origin,
            message: e.message(),
            notes: Vec::new(),
        };
        if let Some(h) = e.hint() {
            d = d.with_note(format!("help: {h}"));
        }
        d
    }

    /// One line, as `kubectl kustomize` reports an error: the message
    /// first, so that it reads (and is searched for) as kubectl's does,
    /// then the place and the notes in parentheses.
    pub(crate) fn one_line(&self) -> String {
        let mut out = self.message.clone();
        let mut extra: Vec<String> = Vec::new();
        if let Some(o) = &self.origin {
            extra.push(format!("at {}", o.place()));
        }
        extra.extend(self.notes.iter().cloned());
        if !extra.is_empty() {
            out.push_str(" (");
            out.push_str(&extra.join("; "));
            out.push(')');
        }
        out
    }

    /// The first line: `origin: message`.
    pub(crate) fn headline(&self) -> String {
        match &self.origin {
            None => self.message.clone(),
            Some(o) => format!("{}: {}", o.place(), self.message),
        }
    }

    /// The full text: headline, excerpt with caret, notes. Ends with a newline.
    pub fn render(&self) -> String {
        let mut out = self.headline();
        out.push('\n');
        if let Some(Origin::File {
            line: Some(l),
            col,
            source: Some(src),
            ..
        }) = &self.origin
        {
            if let Some(text) = src.lines().nth(l.saturating_sub(1)) {
                let num = l.to_string();
                let pad = " ".repeat(num.len());
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{num} | {text}");
                if *col > 0 {
                    // Tabs before the column keep their width so the caret lines up.
                    let lead: String = text
                        .chars()
                        .take(col - 1)
                        .map(|c| if c == '\t' { '\t' } else { ' ' })
                        .collect();
                    let _ = writeln!(out, "{pad} | {lead}^");
                }
            }
        }
        for n in &self.notes {
            let _ = writeln!(out, "  = {n}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_location_excerpt_and_caret() {
        let d = Diagnostic::at(
            Origin::File {
                path: "values/dev.yaml".into(),
                line: Some(2),
                col: 13,
                source: Some("api:\n  replicas: three\n".into()),
            },
            "api.replicas: \"three\" is not of type integer",
        )
        .with_note("help: write a whole number");
        assert_eq!(
            d.render(),
            "values/dev.yaml:2:13: api.replicas: \"three\" is not of type integer\n  |\n2 |   replicas: three\n  |             ^\n  = help: write a whole number\n"
        );
    }

    fn engine_error(files: &[(&str, &str)]) -> compose_kustomize::Error {
        let mut fs = compose_kustomize::fs::InMemory::new();
        for (path, text) in files {
            fs.add_file(path, *text);
        }
        compose_kustomize::build(
            &fs,
            std::path::Path::new("/p/app"),
            &compose_kustomize::BuildOptions::default(),
        )
        .unwrap_err()
    }

    #[test]
    fn engine_errors_render_with_their_place_an_excerpt_and_the_fix() {
        let e = engine_error(&[(
            "/p/app/kustomization.yaml",
            "namePrefix: x-\nresourcez:\n- cm.yaml\n",
        )]);
        let d = Diagnostic::from_build(&e, Some(std::path::Path::new("/p")));
        assert_eq!(
            d.render(),
            "app/kustomization.yaml:2:1: invalid Kustomization: json: unknown field \"resourcez\"\n  |\n2 | resourcez:\n  | ^\n  = help: did you mean `resources`?\n"
        );
        assert_eq!(
            d.one_line(),
            "invalid Kustomization: json: unknown field \"resourcez\" (at app/kustomization.yaml:2:1; help: did you mean `resources`?)"
        );
        // Outside the current directory the path stays as it is.
        let d = Diagnostic::from_build(&e, Some(std::path::Path::new("/elsewhere")));
        assert!(d.headline().starts_with("/p/app/kustomization.yaml:2:1: "));
    }

    /// A misspelt `secretGenerator` written on one line would show its
    /// literals in the excerpt: its line is named, not shown.
    #[test]
    fn a_secret_generator_line_is_not_shown() {
        let e = engine_error(&[(
            "/p/app/kustomization.yaml",
            "secretGenerater: [{name: db, literals: [password=hunter2]}]\n",
        )]);
        let text = Diagnostic::from_build(&e, None).render();
        assert!(
            text.starts_with("/p/app/kustomization.yaml:1:1: invalid Kustomization: json: unknown field \"secretGenerater\"\n"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn renders_args_and_env() {
        assert_eq!(
            Diagnostic::at(Origin::Arg("--set a=b".into()), "bad").headline(),
            "--set a=b: bad"
        );
        assert_eq!(
            Diagnostic::at(Origin::Env("X".into()), "bad").headline(),
            "environment variable X: bad"
        );
        assert_eq!(Diagnostic::new("plain").render(), "plain\n");
    }
}
