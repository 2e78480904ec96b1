//! `compose build --output-dir DIR`: one file per object, written
//! atomically.
//!
//! # Naming scheme
//!
//! - An object with `metadata.namespace` goes to `<namespace>/<kind>-<name>.yaml`.
//! - An object without one (cluster-scoped objects such as Namespaces and
//!   CRDs, or namespaced objects left to kubectl's default namespace) goes to
//!   `<kind>-<name>.yaml` at the top of DIR.
//! - Kind, name and namespace are lowercased; any character other than
//!   `a-z`, `0-9`, `.`, `_` and `-` becomes `_` (RBAC names such as
//!   `system:auth` become `system_auth`), a leading `.` becomes `_` so no
//!   name is hidden or climbs out of DIR, and a file stem is cut to 200
//!   bytes to stay within file-name limits.
//! - When two objects land on the same path (same kind and name in two API
//!   groups, or names equal once lowercased), the later one in stream order
//!   gets `-2`, then `-3`, ... before `.yaml`.
//!
//! Names do not depend on an object's position, so adding one object adds
//! one file and renames nothing, which keeps Git diffs of DIR small. They
//! carry no apply order either: `compose apply` orders its waves itself.
//! Each file holds exactly the document the build printed for the object.
//!
//! # Atomicity
//!
//! Files are written into a fresh hidden folder beside DIR. Only when every
//! file is written does compose move the old DIR aside, rename the new
//! folder to DIR and delete the old one. A failure before that removes the
//! new folder and leaves DIR as it was; nothing stale survives a success,
//! since DIR is replaced as a whole.
//!
//! Because DIR is replaced whole, compose refuses to replace a DIR holding
//! anything it would not have written (files other than `.yaml`, or folders
//! nested deeper than one level), so `--output-dir .` cannot wipe a project.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::{check_object, kind_of, name_of, namespace_of, DeployError};
use compose_yaml::{emit_document, Node};

/// The longest file stem compose writes, in bytes.
const MAX_STEM: usize = 200;

/// The relative path each object is written to, in stream order (see the
/// module docs for the scheme).
pub fn file_names(manifests: &[Node]) -> Vec<PathBuf> {
    let mut used: HashSet<PathBuf> = HashSet::new();
    let mut out = Vec::with_capacity(manifests.len());
    for doc in manifests {
        let mut stem = format!("{}-{}", sanitize(kind_of(doc)), sanitize(name_of(doc)));
        stem.truncate(MAX_STEM);
        let folder = namespace_of(doc).map(|ns| {
            let mut ns = sanitize(ns);
            ns.truncate(MAX_STEM);
            PathBuf::from(ns)
        });
        let at = |file: String| match &folder {
            Some(f) => f.join(file),
            None => PathBuf::from(file),
        };
        let mut path = at(format!("{stem}.yaml"));
        let mut n = 2;
        while used.contains(&path) {
            path = at(format!("{stem}-{n}.yaml"));
            n += 1;
        }
        used.insert(path.clone());
        out.push(path);
    }
    out
}

/// Lowercases and replaces anything unsafe in a path component.
fn sanitize(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with('.') {
        out.replace_range(0..out.len().min(1), "_");
    }
    out
}

/// Writes one file per object into `dir`, replacing it atomically (see the
/// module docs). Returns the written paths relative to `dir`, in stream
/// order.
pub fn write_output_dir(manifests: &[Node], dir: &Path) -> Result<Vec<PathBuf>, DeployError> {
    write_with(manifests, dir, &mut |path, bytes| fs::write(path, bytes))
}

/// [`write_output_dir`] with the file writer injected, so tests can make a
/// write fail midway.
fn write_with(
    manifests: &[Node],
    dir: &Path,
    write: &mut dyn FnMut(&Path, &[u8]) -> io::Result<()>,
) -> Result<Vec<PathBuf>, DeployError> {
    for (i, d) in manifests.iter().enumerate() {
        check_object(d, i)?;
    }
    let Some(base) = dir.file_name().and_then(|n| n.to_str()) else {
        return Err(DeployError::Invalid(format!(
            "output folder {} must end in a plain folder name",
            dir.display()
        )));
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let exists = match fs::symlink_metadata(dir) {
        Ok(m) if m.is_dir() => true,
        Ok(_) => {
            return Err(DeployError::Invalid(format!(
                "output folder {} exists and is not a folder",
                dir.display()
            )))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(source) => {
            return Err(DeployError::Io {
                path: dir.to_path_buf(),
                action: "reading",
                source,
            })
        }
    };
    if exists {
        check_replaceable(dir)?;
    }
    fs::create_dir_all(&parent).map_err(|source| DeployError::Io {
        path: parent.clone(),
        action: "creating",
        source,
    })?;

    let tag = unique_tag();
    let fresh = parent.join(format!(".{base}.compose-new-{tag}"));
    fs::create_dir(&fresh).map_err(|source| DeployError::Io {
        path: fresh.clone(),
        action: "creating",
        source,
    })?;
    let names = file_names(manifests);
    if let Err(e) = fill(&fresh, manifests, &names, write) {
        let _ = fs::remove_dir_all(&fresh);
        return Err(e);
    }

    if exists {
        let old = parent.join(format!(".{base}.compose-old-{tag}"));
        if let Err(source) = fs::rename(dir, &old) {
            let _ = fs::remove_dir_all(&fresh);
            return Err(DeployError::Io {
                path: dir.to_path_buf(),
                action: "moving aside",
                source,
            });
        }
        if let Err(source) = fs::rename(&fresh, dir) {
            // Put the old folder back so DIR is never missing.
            let _ = fs::rename(&old, dir);
            let _ = fs::remove_dir_all(&fresh);
            return Err(DeployError::Io {
                path: dir.to_path_buf(),
                action: "replacing",
                source,
            });
        }
        // The new DIR is complete and in place; the old copy is only a
        // hidden leftover beside it, so failing to delete it does not undo
        // the write.
        let _ = fs::remove_dir_all(&old);
    } else if let Err(source) = fs::rename(&fresh, dir) {
        let _ = fs::remove_dir_all(&fresh);
        return Err(DeployError::Io {
            path: dir.to_path_buf(),
            action: "creating",
            source,
        });
    }
    Ok(names)
}

fn fill(
    root: &Path,
    manifests: &[Node],
    names: &[PathBuf],
    write: &mut dyn FnMut(&Path, &[u8]) -> io::Result<()>,
) -> Result<(), DeployError> {
    for (doc, rel) in manifests.iter().zip(names) {
        let path = root.join(rel);
        if let Some(folder) = path.parent() {
            fs::create_dir_all(folder).map_err(|source| DeployError::Io {
                path: folder.to_path_buf(),
                action: "creating",
                source,
            })?;
        }
        write(&path, emit_document(doc).as_bytes()).map_err(|source| DeployError::Io {
            path: path.clone(),
            action: "writing",
            source,
        })?;
    }
    Ok(())
}

/// Refuses to replace a folder holding anything compose would not write.
fn check_replaceable(dir: &Path) -> Result<(), DeployError> {
    let foreign = |p: &Path| {
        DeployError::Invalid(format!(
            "refusing to replace {}: it holds {}, which compose did not write",
            dir.display(),
            p.display()
        ))
    };
    let read = |d: &Path| -> Result<Vec<(PathBuf, fs::FileType)>, DeployError> {
        let entries = fs::read_dir(d).map_err(|source| DeployError::Io {
            path: d.to_path_buf(),
            action: "reading",
            source,
        })?;
        let mut out = Vec::new();
        for e in entries {
            let e = e.map_err(|source| DeployError::Io {
                path: d.to_path_buf(),
                action: "reading",
                source,
            })?;
            let t = e.file_type().map_err(|source| DeployError::Io {
                path: e.path(),
                action: "reading",
                source,
            })?;
            out.push((e.path(), t));
        }
        Ok(out)
    };
    let is_yaml = |p: &Path| p.extension().is_some_and(|x| x == "yaml");
    for (path, t) in read(dir)? {
        if t.is_dir() {
            for (inner, it) in read(&path)? {
                if !(it.is_file() && is_yaml(&inner)) {
                    return Err(foreign(&inner));
                }
            }
        } else if !(t.is_file() && is_yaml(&path)) {
            return Err(foreign(&path));
        }
    }
    Ok(())
}

/// A suffix no other run (or thread) is using for its temporary folders.
fn unique_tag() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}-{}-{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::parse_manifests;

    struct TempDir(PathBuf);
    impl TempDir {
        fn new(name: &str) -> TempDir {
            let d =
                std::env::temp_dir().join(format!("compose-outdir-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&d);
            fs::create_dir_all(&d).unwrap();
            TempDir(d)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// Every file under `dir`, relative, sorted, with its content.
    fn tree(dir: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                    out.push((rel, fs::read_to_string(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    }

    /// Entries beside DIR: nothing temporary may be left there.
    fn siblings(parent: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(parent)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    const NS: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n";
    const CM: &str = "apiVersion: v1\ndata:\n  a: b\nkind: ConfigMap\nmetadata:\n  name: cfg\n  namespace: shop\n";
    const ROLE: &str =
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: system:Reader\n";

    fn docs(texts: &[&str]) -> Vec<Node> {
        parse_manifests(&texts.join("---\n")).unwrap()
    }

    #[test]
    fn naming_scheme() {
        let names = file_names(&docs(&[NS, CM, ROLE]));
        assert_eq!(
            names,
            vec![
                PathBuf::from("namespace-shop.yaml"),
                PathBuf::from("shop/configmap-cfg.yaml"),
                PathBuf::from("clusterrole-system_reader.yaml"),
            ]
        );
    }

    #[test]
    fn collisions_get_numbered_in_stream_order() {
        let a = "apiVersion: a.example.com/v1\nkind: Thing\nmetadata:\n  name: x\n";
        let b = "apiVersion: b.example.com/v1\nkind: Thing\nmetadata:\n  name: X\n";
        let c = "apiVersion: c.example.com/v1\nkind: Thing\nmetadata:\n  name: x-2\n";
        let names = file_names(&docs(&[a, b, c]));
        assert_eq!(
            names,
            vec![
                PathBuf::from("thing-x.yaml"),
                PathBuf::from("thing-x-2.yaml"),
                PathBuf::from("thing-x-2-2.yaml")
            ]
        );
    }

    #[test]
    fn hostile_names_stay_inside_dir() {
        let d = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ../../etc/passwd\n  namespace: ..\n";
        let names = file_names(&docs(&[d]));
        assert_eq!(
            names,
            vec![PathBuf::from("_./configmap-_._.._etc_passwd.yaml")]
        );
        let long = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {}\n",
            "n".repeat(300)
        );
        let name = &file_names(&docs(&[&long]))[0];
        assert_eq!(name.to_string_lossy().len(), MAX_STEM + ".yaml".len());
    }

    #[test]
    fn writes_one_file_per_object_and_replaces_stale_files() {
        let t = TempDir::new("ok");
        let out = t.0.join("out");
        write_output_dir(&docs(&[NS, CM]), &out).unwrap();
        assert_eq!(
            tree(&out),
            vec![
                ("namespace-shop.yaml".to_string(), NS.to_string()),
                ("shop/configmap-cfg.yaml".to_string(), CM.to_string())
            ]
        );
        // A second build without the ConfigMap leaves no trace of it.
        write_output_dir(&docs(&[NS, ROLE]), &out).unwrap();
        assert_eq!(
            tree(&out),
            vec![
                (
                    "clusterrole-system_reader.yaml".to_string(),
                    ROLE.to_string()
                ),
                ("namespace-shop.yaml".to_string(), NS.to_string()),
            ]
        );
        assert_eq!(siblings(&t.0), vec!["out".to_string()]);
    }

    #[test]
    fn a_failure_midway_leaves_the_old_dir_intact() {
        let t = TempDir::new("fail");
        let out = t.0.join("out");
        write_output_dir(&docs(&[CM]), &out).unwrap();
        let before = tree(&out);
        let mut calls = 0;
        let mut failing = |p: &Path, b: &[u8]| {
            calls += 1;
            if calls == 2 {
                return Err(io::Error::other("disk full"));
            }
            fs::write(p, b)
        };
        let e = write_with(&docs(&[NS, ROLE, CM]), &out, &mut failing).unwrap_err();
        assert!(e.to_string().contains("disk full"), "{e}");
        assert_eq!(tree(&out), before);
        assert_eq!(
            siblings(&t.0),
            vec!["out".to_string()],
            "no temporary folder may be left"
        );
    }

    #[test]
    fn a_failure_on_first_write_creates_nothing() {
        let t = TempDir::new("failnew");
        let out = t.0.join("out");
        let mut failing = |_: &Path, _: &[u8]| Err(io::Error::other("boom"));
        assert!(write_with(&docs(&[NS]), &out, &mut failing).is_err());
        assert_eq!(siblings(&t.0), Vec::<String>::new());
    }

    #[test]
    fn refuses_to_replace_foreign_folders() {
        let t = TempDir::new("foreign");
        let out = t.0.join("project");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("Cargo.toml"), "x").unwrap();
        let e = write_output_dir(&docs(&[NS]), &out).unwrap_err();
        assert!(e.to_string().starts_with("refusing to replace"), "{e}");
        assert_eq!(fs::read_to_string(out.join("Cargo.toml")).unwrap(), "x");

        let file = t.0.join("file");
        fs::write(&file, "x").unwrap();
        assert!(write_output_dir(&docs(&[NS]), &file).is_err());
        assert_eq!(
            siblings(&t.0),
            vec!["file".to_string(), "project".to_string()]
        );
    }

    #[test]
    fn invalid_objects_write_nothing() {
        let t = TempDir::new("invalid");
        let out = t.0.join("out");
        let bad = vec![Node::str("x")];
        assert!(write_output_dir(&bad, &out).is_err());
        assert!(!out.exists());
    }
}
