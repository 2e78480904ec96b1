//! Findings for programs: `validate -o json|github` and `lint -o
//! json|github`.
//!
//! Every problem `validate` reports and every finding of `lint` becomes
//! one [`Record`]: where (file, line, column, object), which rule (or,
//! for `validate`, which kind of error), how severe, what is wrong and how
//! to fix it. Rendering is pure (a `String`); the printer writes it.
//!
//! - `json`: one JSON array of objects, every key always present (`null`
//!   when unknown) and in the order of [`Record`]'s fields, so `jq` and
//!   other tools read it without guessing; `[]` when there is nothing.
//! - `github`: one GitHub Actions workflow command per record
//!   (`::error file=F,line=L,col=C,title=RULE::message`), which the
//!   runner shows as an annotation on the file's line.

use crate::diagnostic::{Diagnostic, Origin};
use serde::Serialize;

/// How `validate` and `lint` print what they find.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Format {
    /// For people: located messages on stderr (`validate`), paragraphs
    /// on stdout (`lint`).
    #[default]
    Text,
    /// A JSON array of records on stdout.
    Json,
    /// GitHub Actions annotations on stdout.
    Github,
}

/// How severe a record is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    /// Makes the command fail: a `validate` problem, a `lint --strict`
    /// finding.
    Error,
    /// A `lint` finding without `--strict`.
    Warning,
}

/// One problem, located.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Record {
    /// `error` or `warning`.
    pub(crate) severity: Severity,
    /// The lint rule (`latest-tag`), or the kind of a `validate` error:
    /// `values`, `render`, `build`, `kubernetes-schema`.
    pub(crate) rule: String,
    /// The file, as compose shows it (relative to the current directory
    /// when it is below it).
    pub(crate) file: Option<String>,
    /// 1-based line in `file`.
    pub(crate) line: Option<usize>,
    /// 1-based column in characters.
    pub(crate) column: Option<usize>,
    /// The object at fault, `Kind/namespace/name` (or `Kind/name`).
    pub(crate) object: Option<String>,
    /// What is wrong.
    pub(crate) message: String,
    /// How to fix it, when compose knows.
    pub(crate) fix: Option<String>,
}

impl Record {
    /// A record of a located message. A place that is not a file (a
    /// `--set` flag, a variable) starts the message, as in the text.
    pub(crate) fn from_diagnostic(d: &Diagnostic, rule: &str, severity: Severity) -> Record {
        let (file, line, column, message) = match &d.origin {
            Some(Origin::File {
                path, line, col, ..
            }) => (
                Some(path.clone()),
                *line,
                (*col > 0 && line.is_some()).then_some(*col),
                d.message.clone(),
            ),
            _ => (None, None, None, d.headline()),
        };
        let notes: Vec<&str> = d
            .notes
            .iter()
            .map(|n| n.strip_prefix("help: ").unwrap_or(n))
            .collect();
        Record {
            severity,
            rule: rule.to_string(),
            file,
            line,
            column,
            object: None,
            message,
            fix: (!notes.is_empty()).then(|| notes.join("; ")),
        }
    }

    /// A lint finding.
    pub(crate) fn from_finding(f: &crate::lint::Finding, severity: Severity) -> Record {
        Record {
            severity,
            rule: f.rule.to_string(),
            file: f.place.file.clone(),
            line: f.place.line,
            column: f.place.column,
            object: f.place.object.clone(),
            message: f.message.clone(),
            fix: Some(f.fix.clone()),
        }
    }
}

/// The records in `format` (`Text` renders nothing: text output is the
/// commands' own).
pub(crate) fn render(format: Format, records: &[Record]) -> String {
    match format {
        Format::Text => String::new(),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(records).unwrap_or_else(|_| "[]".into());
            s.push('\n');
            s
        }
        Format::Github => records.iter().map(github).collect(),
    }
}

/// One workflow command: `::error file=F,line=L,col=C,title=RULE::text`,
/// the text being the object (when there is one), the message and the
/// fix on a line of its own.
fn github(r: &Record) -> String {
    let mut props = Vec::new();
    if let Some(f) = &r.file {
        props.push(format!("file={}", escape_property(f)));
        if let Some(l) = r.line {
            props.push(format!("line={l}"));
            if let Some(c) = r.column {
                props.push(format!("col={c}"));
            }
        }
    }
    props.push(format!("title={}", escape_property(&r.rule)));
    let mut text = match &r.object {
        Some(o) => format!("{o}: {}", r.message),
        None => r.message.clone(),
    };
    if let Some(fix) = &r.fix {
        text.push_str("\nfix: ");
        text.push_str(fix);
    }
    let level = match r.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    format!("::{level} {}::{}\n", props.join(","), escape_data(&text))
}

/// A command's message: `%`, CR and LF are written as `%25`, `%0D` and
/// `%0A`, which the runner turns back into them.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property's value: as a message, and `:` and `,`, which end a
/// property, as `%3A` and `%2C`.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            severity: Severity::Error,
            rule: "values".into(),
            file: Some("values/values-dev.yaml".into()),
            line: Some(4),
            column: Some(13),
            object: None,
            message: "api.replicas: \"three\" is not of type integer".into(),
            fix: None,
        }
    }

    #[test]
    fn json_is_an_array_with_every_key_in_a_fixed_order() {
        assert_eq!(render(Format::Json, &[]), "[]\n");
        let mut w = record();
        w.severity = Severity::Warning;
        w.rule = "latest-tag".into();
        w.file = None;
        w.line = None;
        w.column = None;
        w.object = Some("Deployment/prod/api".into());
        w.message = "image `api` has no tag".into();
        w.fix = Some("pin a tag".into());
        assert_eq!(
            render(Format::Json, &[record(), w]),
            r#"[
  {
    "severity": "error",
    "rule": "values",
    "file": "values/values-dev.yaml",
    "line": 4,
    "column": 13,
    "object": null,
    "message": "api.replicas: \"three\" is not of type integer",
    "fix": null
  },
  {
    "severity": "warning",
    "rule": "latest-tag",
    "file": null,
    "line": null,
    "column": null,
    "object": "Deployment/prod/api",
    "message": "image `api` has no tag",
    "fix": "pin a tag"
  }
]
"#
        );
    }

    #[test]
    fn github_annotations_name_the_place_and_escape_what_they_must() {
        assert_eq!(
            render(Format::Github, &[record()]),
            "::error file=values/values-dev.yaml,line=4,col=13,title=values::api.replicas: \"three\" is not of type integer\n"
        );
        // `%`, CR and LF in the text; `,` and `:` (and `%`) in properties.
        let r = Record {
            severity: Severity::Warning,
            rule: "a:b,c".into(),
            file: Some("dir,1/C:%x.yaml".into()),
            line: Some(2),
            column: None,
            object: Some("ConfigMap/cm".into()),
            message: "100% sure\r\nsecond line".into(),
            fix: Some("say 50%".into()),
        };
        assert_eq!(
            render(Format::Github, &[r]),
            "::warning file=dir%2C1/C%3A%25x.yaml,line=2,title=a%3Ab%2Cc::ConfigMap/cm: 100%25 sure%0D%0Asecond line%0Afix: say 50%25\n"
        );
        // Without a file there is no line either; a place that is not a
        // file is in the message.
        let d = Diagnostic::at(Origin::Arg("--set a=b".into()), "bad, really");
        assert_eq!(
            render(
                Format::Github,
                &[Record::from_diagnostic(&d, "values", Severity::Error)]
            ),
            "::error title=values::--set a=b: bad, really\n"
        );
        assert_eq!(render(Format::Github, &[]), "");
    }

    #[test]
    fn a_diagnostic_keeps_its_place_and_its_help() {
        let d = Diagnostic::at(
            Origin::File {
                path: "values/values.yaml".into(),
                line: Some(3),
                col: 1,
                source: None,
            },
            "unknown key `reddis`",
        )
        .with_note("help: did you mean `redis`?");
        let r = Record::from_diagnostic(&d, "values", Severity::Error);
        assert_eq!(
            (
                r.file.as_deref(),
                r.line,
                r.column,
                r.message.as_str(),
                r.fix.as_deref()
            ),
            (
                Some("values/values.yaml"),
                Some(3),
                Some(1),
                "unknown key `reddis`",
                Some("did you mean `redis`?")
            )
        );
    }
}
