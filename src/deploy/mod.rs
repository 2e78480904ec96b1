//! The deploy stage: getting rendered manifests onto a cluster, into a
//! folder, or into Argo CD.
//!
//! compose does not speak the Kubernetes API itself. It drives the real
//! `kubectl`, the tool operators already trust and authenticate with, and
//! reports exactly what kubectl reported. The invariants this module keeps:
//!
//! - Nothing is sent to kubectl unless the whole manifest stream parsed; a
//!   malformed stream is an error before any process starts.
//! - A result says "applied" only when every kubectl step exited 0. The exit
//!   code handed back is kubectl's own, so scripts can rely on it.
//! - Every kubectl call carries `--request-timeout`, so a missing or
//!   unreachable cluster fails fast instead of hanging.
//! - `--output-dir` is replaced atomically: either the old folder or the
//!   complete new one exists, never a half-written mixture, and nothing stale
//!   survives.
//!
//! Submodules:
//! - [`kubectl`]: apply in waves (with ApplySet pruning), diff.
//! - [`output_dir`]: one file per object, written atomically.
//! - [`argocd`]: ApplicationSet generation for the Config Management Plugin
//!   shipped in `deploy/argocd/`.

pub(crate) mod argocd;
pub(crate) mod kubectl;
pub mod output_dir;

/// Stand-in programs for the deploy tests.
#[cfg(test)]
pub(crate) mod fake_program {
    /// Links `link` to the one copy of a script named `name` holding
    /// `text`, written (executable) once per test process. A program
    /// written per test could fail to start ("text file busy"): a child
    /// that another test thread forked while the file was open for writing
    /// holds that descriptor until it execs.
    #[cfg(unix)]
    pub(crate) fn link(name: &'static str, text: &'static str, link: &std::path::Path) {
        use std::collections::HashMap;
        use std::os::unix::fs::PermissionsExt;
        use std::path::PathBuf;
        use std::sync::{Mutex, OnceLock};
        static WRITTEN: OnceLock<Mutex<HashMap<&'static str, PathBuf>>> = OnceLock::new();
        let mut written = WRITTEN.get_or_init(Default::default).lock().unwrap();
        let shared = written.entry(name).or_insert_with(|| {
            let dir =
                std::env::temp_dir().join(format!("compose-fake-programs-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
            path
        });
        std::os::unix::fs::symlink(shared, link).unwrap();
    }
}

use std::fmt;
use std::path::PathBuf;

use compose_yaml::{parse_stream, Node, ParseError};

pub(crate) use argocd::{appset, AppSetSpec};
pub(crate) use kubectl::{apply_yaml, diff_yaml, ApplyOptions, DiffOptions, DryRun, Kubectl};
pub(crate) use output_dir::write_output_dir;

/// Everything that can stop the deploy stage before or around kubectl.
///
/// A kubectl process that ran and failed is not an error here: it is an
/// outcome with kubectl's exit code ([`kubectl::ApplyOutcome`], [`kubectl::DiffOutcome`]).
#[derive(Debug)]
pub enum DeployError {
    /// The manifest stream is not valid YAML.
    Yaml(ParseError),
    /// The manifests or options cannot be deployed as given.
    Invalid(String),
    /// kubectl could not be started at all.
    Spawn {
        /// The program compose tried to run.
        program: PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
    /// A file or folder operation failed.
    Io {
        /// The path concerned.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The system's reason.
        source: std::io::Error,
    },
}

impl fmt::Display for DeployError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeployError::Yaml(e) => write!(f, "manifests are not valid YAML: {e}"),
            DeployError::Invalid(m) => f.write_str(m),
            DeployError::Spawn { program, source } => {
                if source.kind() == std::io::ErrorKind::NotFound {
                    write!(
                        f,
                        "cannot run kubectl: '{}' was not found (install kubectl or set {} to its path)",
                        program.display(),
                        kubectl::KUBECTL_ENV
                    )
                } else {
                    write!(f, "cannot run kubectl '{}': {source}", program.display())
                }
            }
            DeployError::Io {
                path,
                action,
                source,
            } => write!(f, "{action} {}: {source}", path.display()),
        }
    }
}

impl std::error::Error for DeployError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DeployError::Yaml(e) => Some(e),
            DeployError::Spawn { source, .. } | DeployError::Io { source, .. } => Some(source),
            DeployError::Invalid(_) => None,
        }
    }
}

/// Parses a rendered stream into its objects, dropping empty documents
/// (a stream may legitimately end with `---`).
///
/// Every remaining document must be a mapping with `apiVersion`, `kind` and
/// `metadata.name`: kubectl would reject anything else, and catching it here
/// keeps a bad stream from reaching a cluster half-applied.
pub(crate) fn parse_manifests(text: &str) -> Result<Vec<Node>, DeployError> {
    let docs = parse_stream(text).map_err(DeployError::Yaml)?;
    let docs: Vec<Node> = docs.into_iter().filter(|d| !d.is_null()).collect();
    for (i, d) in docs.iter().enumerate() {
        check_object(d, i)?;
    }
    Ok(docs)
}

/// Checks that document number `index` (0-based) is a Kubernetes object.
pub(crate) fn check_object(doc: &Node, index: usize) -> Result<(), DeployError> {
    if doc.as_map().is_none() {
        return Err(DeployError::Invalid(format!(
            "document {} is a {}, not a Kubernetes object",
            index + 1,
            doc.kind_name()
        )));
    }
    for path in [
        &["apiVersion"][..],
        &["kind"][..],
        &["metadata", "name"][..],
    ] {
        if doc.str_at(path).is_none_or(str::is_empty) {
            return Err(DeployError::Invalid(format!(
                "document {} has no {}",
                index + 1,
                path.join(".")
            )));
        }
    }
    Ok(())
}

/// The `kind` of an object ("" when absent).
pub(crate) fn kind_of(doc: &Node) -> &str {
    doc.str_at(&["kind"]).unwrap_or("")
}

/// The `metadata.name` of an object ("" when absent).
pub(crate) fn name_of(doc: &Node) -> &str {
    doc.str_at(&["metadata", "name"]).unwrap_or("")
}

/// The `metadata.namespace` of an object, when set and non-empty.
pub(crate) fn namespace_of(doc: &Node) -> Option<&str> {
    doc.str_at(&["metadata", "namespace"])
        .filter(|s| !s.is_empty())
}

/// `Kind/namespace/name`, or `Kind/name` for an object without a
/// namespace: how messages name an object.
pub(crate) fn object_label(doc: &Node) -> String {
    match namespace_of(doc) {
        Some(ns) => format!("{}/{ns}/{}", kind_of(doc), name_of(doc)),
        None => format!("{}/{}", kind_of(doc), name_of(doc)),
    }
}

/// Whether `s` is a DNS-1123 label: lowercase letters, digits and inner
/// dashes, at most 63 characters. Names compose builds from user input
/// (ApplySet parents, Argo CD applications) must be labels so they are
/// valid wherever Kubernetes puts them.
pub(crate) fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_manifests_drops_empty_documents() {
        let docs =
            parse_manifests("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n")
                .unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(name_of(&docs[0]), "a");
    }

    #[test]
    fn parse_manifests_rejects_non_objects() {
        let e =
            parse_manifests("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n- 1\n")
                .unwrap_err();
        assert_eq!(
            e.to_string(),
            "document 2 is a sequence, not a Kubernetes object"
        );
        let e = parse_manifests("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n").unwrap_err();
        assert_eq!(e.to_string(), "document 1 has no metadata.name");
        assert!(matches!(
            parse_manifests("a: [\n"),
            Err(DeployError::Yaml(_))
        ));
    }

    #[test]
    fn dns_labels() {
        assert!(is_dns_label("web-1"));
        for bad in ["", "-a", "a-", "A", "a_b", "a.b", &"x".repeat(64)] {
            assert!(!is_dns_label(bad), "{bad}");
        }
    }
}
