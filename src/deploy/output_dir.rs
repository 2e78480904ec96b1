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
//! - Only files end in `.yaml`: a namespace folder whose name would (a
//!   namespace such as `configmap-x.yaml`, which Kubernetes refuses but a
//!   stream may hold) ends in `_yaml` instead, so it never takes the name
//!   of the file of an object without a namespace.
//! - When two objects land on the same path (same kind and name in two API
//!   groups, or names equal once lowercased), the later one in stream order
//!   gets `-2`, then `-3`, ... before `.yaml`.
//!
//! Names do not depend on an object's position, so adding one object adds
//! one file and renames nothing, which keeps Git diffs of DIR small. They
//! carry no apply order either: `compose apply` orders its waves itself.
//! Each file holds exactly the document the build printed for the object.
//!
//! # Safety and atomicity
//!
//! compose replaces only folders it created itself: each one holds a
//! marker file, [`MARKER`]. A DIR without it (`--output-dir values`, a
//! mistyped `--output-dir src`) is refused, and so is a marked DIR that
//! holds anything compose would not have written there (a file other than
//! `.yaml`, or folders nested deeper than one level).
//!
//! Files are written into a fresh hidden folder beside DIR and synced to
//! disk. Only when every file is written does compose switch the two in
//! one step (on Linux, `renameat2` with `RENAME_EXCHANGE`), so DIR is never
//! missing, even when compose is killed: it holds either the old files or
//! the new ones. The old folder is then deleted. Where the file system
//! cannot exchange two names, DIR is moved aside and the new folder
//! renamed into place. A failure before the switch removes the new folder
//! and leaves DIR as it was. Hidden folders left beside DIR by a run that
//! was killed (they carry the marker and the process id of a process that
//! no longer runs) are removed by the next run.

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
            // Only files end in `.yaml`: a folder with such a name could
            // be the file of an object without a namespace.
            if ns.ends_with(".yaml") {
                let dot = ns.len() - ".yaml".len();
                ns.replace_range(dot..=dot, "_");
            }
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

/// The marker file in every folder compose writes; a folder without it
/// is never replaced.
pub const MARKER: &str = ".compose-output";

/// What the marker says to someone who opens it.
const MARKER_TEXT: &str = "This folder was written by `compose render --output-dir`, which replaces\nit as a whole on its next run. Files added here are not kept: compose\nrefuses to replace the folder while it holds any.\n";

/// Writes one file per object into `dir`, replacing it atomically (see the
/// module docs). Returns the written paths relative to `dir`, in stream
/// order.
pub fn write_output_dir(manifests: &[Node], dir: &Path) -> Result<Vec<PathBuf>, DeployError> {
    write_with(manifests, dir, &mut write_synced)
}

/// Writes a new file and syncs it to disk.
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn io_error(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> DeployError {
    let path = path.to_path_buf();
    move |source| DeployError::Io {
        path,
        action,
        source,
    }
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
    fs::create_dir_all(&parent).map_err(io_error(&parent, "creating"))?;
    remove_leftovers(&parent, base);

    let tag = unique_tag();
    let fresh = parent.join(format!("{}{tag}", temp_prefix(base)));
    fs::create_dir(&fresh).map_err(io_error(&fresh, "creating"))?;
    let names = file_names(manifests);
    if let Err(e) = fill(&fresh, manifests, &names, write) {
        let _ = fs::remove_dir_all(&fresh);
        return Err(e);
    }
    if let Err(e) = switch(&fresh, dir, exists) {
        let _ = fs::remove_dir_all(&fresh);
        return Err(e);
    }
    // Make the renames durable; the new DIR is in place either way.
    let _ = crate::owned::sync_dir(&parent);
    if exists {
        // The old files now sit at the fresh folder's name: a hidden
        // leftover beside DIR, so failing to delete them does not undo the
        // write (the next run removes them).
        let _ = fs::remove_dir_all(&fresh);
    }
    Ok(names)
}

/// Puts the complete folder `fresh` at `dir`. With `exists`, the old `dir`
/// ends up at `fresh`'s name; `dir` is never missing where the system can
/// exchange two names in one step.
fn switch(fresh: &Path, dir: &Path, exists: bool) -> Result<(), DeployError> {
    if !exists {
        return rename_new(fresh, dir).map_err(io_error(dir, "creating"));
    }
    match exchange(fresh, dir) {
        Ok(()) => Ok(()),
        Err(e) if exchange_unsupported(&e) => {
            // Two renames: DIR is missing between them.
            let mut old = fresh.as_os_str().to_owned();
            old.push(".old");
            let old = PathBuf::from(old);
            fs::rename(dir, &old).map_err(io_error(dir, "moving aside"))?;
            if let Err(source) = fs::rename(fresh, dir) {
                let _ = fs::rename(&old, dir);
                return Err(DeployError::Io {
                    path: dir.to_path_buf(),
                    action: "replacing",
                    source,
                });
            }
            fs::rename(&old, fresh).map_err(io_error(&old, "moving aside"))
        }
        Err(source) => Err(DeployError::Io {
            path: dir.to_path_buf(),
            action: "replacing",
            source,
        }),
    }
}

/// Renames `from` to `to`, which must not exist (on Linux checked by the
/// rename itself, so a folder made meanwhile is never replaced).
pub(crate) fn rename_new(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    match renameat2(from, to, libc::RENAME_NOREPLACE) {
        Err(e) if exchange_unsupported(&e) => {}
        other => return other,
    }
    if fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::from(io::ErrorKind::AlreadyExists));
    }
    fs::rename(from, to)
}

/// Exchanges the names of `a` and `b` in one step.
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    return renameat2(a, b, libc::RENAME_EXCHANGE);
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (a, b);
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

/// Whether an exchange failed because the system or file system has none.
fn exchange_unsupported(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Unsupported
        || matches!(e.raw_os_error(), Some(code) if code == libc::EINVAL || code == libc::ENOSYS)
}

#[cfg(target_os = "linux")]
fn renameat2(from: &Path, to: &Path, flags: libc::c_uint) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    };
    let (from, to) = (c(from)?, c(to)?);
    // SAFETY: both paths are NUL-terminated and outlive the call; the raw
    // system call is used so no particular C library version is needed.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            flags,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// How the hidden folders of a run writing `base` begin.
fn temp_prefix(base: &str) -> String {
    format!(".{base}.compose-")
}

/// Removes what runs that were killed left beside `base` in `parent`:
/// hidden folders named for `base`, holding the marker, whose process no
/// longer runs. Anything else is left alone.
fn remove_leftovers(parent: &Path, base: &str) {
    let prefix = temp_prefix(base);
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = rest
            .split(['-', '.'])
            .next()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let path = e.path();
        let marked = fs::symlink_metadata(path.join(MARKER)).is_ok_and(|m| m.is_file());
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && marked && !process_runs(pid) {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// Whether process `pid` still runs (then its folders are its own).
fn process_runs(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        // SAFETY: signal 0 only asks whether the process exists.
        let r = unsafe { libc::kill(pid, 0) };
        r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    true
}

fn fill(
    root: &Path,
    manifests: &[Node],
    names: &[PathBuf],
    write: &mut dyn FnMut(&Path, &[u8]) -> io::Result<()>,
) -> Result<(), DeployError> {
    let marker = root.join(MARKER);
    write_synced(&marker, MARKER_TEXT.as_bytes()).map_err(io_error(&marker, "writing"))?;
    let mut folders = vec![root.to_path_buf()];
    for (doc, rel) in manifests.iter().zip(names) {
        let path = root.join(rel);
        if let Some(folder) = path.parent() {
            if !folders.iter().any(|f| f == folder) {
                fs::create_dir_all(folder).map_err(io_error(folder, "creating"))?;
                folders.push(folder.to_path_buf());
            }
        }
        write(&path, emit_document(doc).as_bytes()).map_err(io_error(&path, "writing"))?;
    }
    for f in &folders {
        crate::owned::sync_dir(f).map_err(io_error(f, "writing"))?;
    }
    Ok(())
}

/// Refuses to replace a folder compose did not create (it has no
/// [`MARKER`]) or that holds anything compose would not write.
fn check_replaceable(dir: &Path) -> Result<(), DeployError> {
    let foreign = |p: &Path| {
        DeployError::Invalid(format!(
            "refusing to replace {}: it holds {}, which compose did not write",
            dir.display(),
            p.display()
        ))
    };
    let marker = dir.join(MARKER);
    if !fs::symlink_metadata(&marker).is_ok_and(|m| m.is_file()) {
        return Err(DeployError::Invalid(format!(
            "refusing to replace {}: compose did not create it (it has no {MARKER} file); remove it or name a new folder",
            dir.display()
        )));
    }
    let read = |d: &Path| -> Result<Vec<(PathBuf, fs::FileType)>, DeployError> {
        let entries = fs::read_dir(d).map_err(io_error(d, "reading"))?;
        let mut out = Vec::new();
        for e in entries {
            let e = e.map_err(io_error(d, "reading"))?;
            let t = e.file_type().map_err(io_error(&e.path(), "reading"))?;
            out.push((e.path(), t));
        }
        Ok(out)
    };
    let is_yaml = |p: &Path| p.extension().is_some_and(|x| x == "yaml");
    for (path, t) in read(dir)? {
        if path == marker {
            continue;
        }
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

    /// Every file under `dir` but the marker, relative, sorted, with its
    /// content; the marker must be there.
    fn tree(dir: &Path) -> Vec<(String, String)> {
        assert_eq!(fs::read_to_string(dir.join(MARKER)).unwrap(), MARKER_TEXT);
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p != dir.join(MARKER) {
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
    fn a_namespace_folder_never_takes_a_file_name() {
        // A namespace such as `configmap-x.yaml` named the folder of a
        // top-level file (ConfigMap x without a namespace): the write
        // failed with "File exists" in whichever came second.
        let top = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n";
        let inner =
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: w\n  namespace: ConfigMap-X.YAML\n";
        let long = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: z\n  namespace: {}.yaml.more\n",
            "n".repeat(MAX_STEM - ".yaml".len())
        );
        let names = file_names(&docs(&[inner, top, &long]));
        assert_eq!(
            names,
            vec![
                PathBuf::from("configmap-x_yaml/secret-w.yaml"),
                PathBuf::from("configmap-x.yaml"),
                PathBuf::from(format!(
                    "{}_yaml/secret-z.yaml",
                    "n".repeat(MAX_STEM - ".yaml".len())
                )),
            ]
        );
        let t = TempDir::new("nsfile");
        let out = t.0.join("out");
        write_output_dir(&docs(&[top, inner]), &out).unwrap();
        assert_eq!(
            tree(&out),
            vec![
                ("configmap-x.yaml".to_string(), top.to_string()),
                (
                    "configmap-x_yaml/secret-w.yaml".to_string(),
                    inner.to_string()
                ),
            ]
        );
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
        let message = (write_with(&docs(&[NS]), &out, &mut failing))
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("writing "), "{message}");
        assert!(message.ends_with("/namespace-shop.yaml: boom"), "{message}");
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
        let message = (write_output_dir(&docs(&[NS]), &file))
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("output folder "), "{message}");
        assert!(
            message.ends_with("/file exists and is not a folder"),
            "{message}"
        );
        assert_eq!(
            siblings(&t.0),
            vec!["file".to_string(), "project".to_string()]
        );
    }

    #[test]
    fn refuses_folders_of_yaml_files_it_did_not_create() {
        // `--output-dir values` once deleted the values files: a folder
        // of YAML files looks like compose's output, but has no marker.
        let t = TempDir::new("values");
        let values = t.0.join("values");
        fs::create_dir_all(values.join("nested")).unwrap();
        fs::write(values.join("values.yaml"), "name: keep\n").unwrap();
        fs::write(values.join("nested/values-dev.yaml"), "a: 1\n").unwrap();
        let e = write_output_dir(&docs(&[NS]), &values).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("refusing to replace {}: compose did not create it (it has no .compose-output file); remove it or name a new folder", values.display())
        );
        assert_eq!(
            fs::read_to_string(values.join("values.yaml")).unwrap(),
            "name: keep\n"
        );
        assert_eq!(siblings(&t.0), vec!["values".to_string()]);
        // An empty folder is not compose's either.
        let empty = t.0.join("empty");
        fs::create_dir(&empty).unwrap();
        let message = (write_output_dir(&docs(&[NS]), &empty))
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("refusing to replace "), "{message}");
        assert!(message.ends_with("/empty: compose did not create it (it has no .compose-output file); remove it or name a new folder"), "{message}");
        // A folder compose wrote, then added to, is refused too.
        let out = t.0.join("out");
        write_output_dir(&docs(&[NS]), &out).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();
        let e = write_output_dir(&docs(&[NS]), &out).unwrap_err();
        assert!(
            e.to_string()
                .contains("notes.txt, which compose did not write"),
            "{e}"
        );
    }

    #[test]
    fn leftovers_of_killed_runs_are_removed() {
        let t = TempDir::new("leftover");
        let out = t.0.join("out");
        // What a run killed before its switch leaves: a marked hidden
        // folder whose process is gone (no process has this id).
        let dead = t.0.join(".out.compose-4294967295-1-0");
        fs::create_dir(&dead).unwrap();
        fs::write(dead.join(MARKER), MARKER_TEXT).unwrap();
        fs::write(dead.join("namespace-shop.yaml"), NS).unwrap();
        // A hidden folder of a run that still goes on, and one without a
        // marker, are not touched.
        let live = t.0.join(format!(".out.compose-{}-1-0", std::process::id()));
        fs::create_dir(&live).unwrap();
        fs::write(live.join(MARKER), MARKER_TEXT).unwrap();
        let unmarked = t.0.join(".out.compose-4294967295-2-0");
        fs::create_dir(&unmarked).unwrap();
        write_output_dir(&docs(&[NS]), &out).unwrap();
        let mut expected = vec![
            "out".to_string(),
            live.file_name().unwrap().to_string_lossy().into_owned(),
            unmarked.file_name().unwrap().to_string_lossy().into_owned(),
        ];
        expected.sort();
        assert_eq!(siblings(&t.0), expected);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_switch_exchanges_both_names_in_one_step() {
        let t = TempDir::new("exchange");
        let (a, b) = (t.0.join("a"), t.0.join("b"));
        fs::create_dir(&a).unwrap();
        fs::create_dir(&b).unwrap();
        fs::write(a.join("x"), "from a").unwrap();
        fs::write(b.join("x"), "from b").unwrap();
        match exchange(&a, &b) {
            Ok(()) => {
                assert_eq!(fs::read_to_string(a.join("x")).unwrap(), "from b");
                assert_eq!(fs::read_to_string(b.join("x")).unwrap(), "from a");
            }
            // A file system without exchange (the fallback then renames).
            Err(e) => assert!(exchange_unsupported(&e), "{e}"),
        }
        // Creating never replaces a folder that appeared meanwhile.
        let e = rename_new(&a, &b).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists, "{e}");
    }

    #[test]
    fn invalid_objects_write_nothing() {
        let t = TempDir::new("invalid");
        let out = t.0.join("out");
        let bad = vec![Node::str("x")];
        assert_eq!(
            write_output_dir(&bad, &out).unwrap_err().to_string(),
            "document 1 is a string, not a Kubernetes object"
        );
        assert!(!out.exists());
    }
}
