//! The project's own files: the one place where compose reads and writes
//! a file that it finds by itself.
//!
//! compose finds some files without being told: the shared values
//! (`values/values.yaml`), an environment's or tier's values file, a bare
//! `--values NAME` found in the values folder, the kustomization template,
//! the project file, the components' kustomizations, the committed
//! schema. Each is named by a path relative to the project root and must
//! stay under that root once symbolic links are resolved, with the rule
//! the engine applies to a kustomization's files (its
//! `LoadRestrictionsRootOnly`): a link that leads out of the project, as
//! `values/values.yaml -> /proc/self/environ` would, is refused before a
//! byte is read. Only regular files are read: a FIFO would block and a
//! device would never end, so their type is checked before they are
//! opened. A file the user names on the command line (`-f ../x.yaml`) is
//! not a project file and may be anywhere; [`resolves_inside`] tells
//! whether quoting it in an error excerpt is allowed.
//!
//! Writes go through [`write`]: the folder must resolve inside the
//! project, and the file is replaced by a rename, so a link in its place
//! is replaced rather than written through and a reader never sees half a
//! file.

use crate::error::Error;
use crate::project::Project;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Reads the project file at `rel` (relative to the project root) as UTF-8
/// text: `Ok(None)` when nothing is there, an error when it resolves
/// outside the project, is not a regular file, or cannot be read.
pub(crate) fn read(project: &Project, rel: &Path) -> Result<Option<String>, Error> {
    let shown = project.show(rel);
    let path = project.path(rel);
    match fs::symlink_metadata(&path) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => return Ok(None),
        Err(e) => return Err(Error::io(&shown, &e)),
    }
    let bytes = read_confined(&project.root, &path).map_err(|reason| Error::Io {
        path: PathBuf::from(&shown),
        reason,
    })?;
    String::from_utf8(bytes).map(Some).map_err(|_| Error::Io {
        path: PathBuf::from(shown),
        reason: "is not valid UTF-8 text".into(),
    })
}

/// Whether `path` (absolute, or relative to the current directory)
/// resolves to a place inside the project root. A path that cannot be
/// resolved is not inside.
pub(crate) fn resolves_inside(project: &Project, path: &Path) -> bool {
    match (fs::canonicalize(&project.root), fs::canonicalize(path)) {
        (Ok(root), Ok(real)) => real.starts_with(root),
        _ => false,
    }
}

/// The bytes of the regular file `path`, which must resolve inside `root`;
/// the error is the reason, to follow the file's name.
fn read_confined(root: &Path, path: &Path) -> Result<Vec<u8>, String> {
    let real_root =
        fs::canonicalize(root).map_err(|e| format!("cannot resolve the project root: {e}"))?;
    let real = fs::canonicalize(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => "is a link to a file that does not exist".to_string(),
        _ => format!("cannot be resolved: {e}"),
    })?;
    if !real.starts_with(&real_root) {
        return Err(outside(&real, root));
    }
    // The type is checked before the file is opened: opening a FIFO
    // blocks until a writer comes, and a device may never end.
    let meta = fs::metadata(&real).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(not_regular(&meta.file_type()));
    }
    let mut file = open_regular(&real).map_err(|e| e.to_string())?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).min(1 << 24));
    file.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// Opens `real` (links already resolved) for reading, without following a
/// link that took its place since and without blocking on a FIFO that
/// did; the opened file must still be a regular file.
fn open_regular(real: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(real)?;
    let t = file.metadata()?.file_type();
    if !t.is_file() {
        return Err(io::Error::other(not_regular(&t)));
    }
    Ok(file)
}

/// The reason for refusing a file that resolves to `real`, outside `root`.
fn outside(real: &Path, root: &Path) -> String {
    format!(
        "resolves to '{}', outside the project root '{}': compose reads only the project's own files there (a file named on the command line may be anywhere)",
        real.display(),
        root.display()
    )
}

/// The reason for refusing a file that is not a regular file.
fn not_regular(t: &fs::FileType) -> String {
    let what = if t.is_dir() {
        "a directory"
    } else {
        special_kind(t)
    };
    format!("is {what}, not a regular file")
}

#[cfg(unix)]
fn special_kind(t: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &fs::FileType) -> &'static str {
    "a special file"
}

/// Writes `text` to the project file at `rel`: its folder (created when
/// missing) must resolve inside the project; the text goes to a new file
/// beside it, synced, which then replaces `rel` by a rename.
pub(crate) fn write(project: &Project, rel: &Path, text: &str) -> Result<(), Error> {
    let shown = project.show(rel);
    let path = project.path(rel);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(Error::Write {
            path: PathBuf::from(shown),
            reason: "is not a file name".into(),
        });
    };
    confined_dir(&project.root, dir).map_err(|reason| Error::Write {
        path: PathBuf::from(&shown),
        reason,
    })?;
    let failed = |e: io::Error| Error::write(&shown, &e);
    let temp = dir.join(format!(
        ".{}.compose-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, &path)?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result.map_err(failed)
}

/// Creates `dir` when missing, after checking that its nearest existing
/// ancestor (and so everything created below it) resolves inside `root`.
fn confined_dir(root: &Path, dir: &Path) -> Result<(), String> {
    let real_root =
        fs::canonicalize(root).map_err(|e| format!("cannot resolve the project root: {e}"))?;
    let mut existing = dir;
    while fs::symlink_metadata(existing).is_err() {
        existing = match existing.parent() {
            Some(p) => p,
            None => break,
        };
    }
    let real = fs::canonicalize(existing).map_err(|e| format!("cannot resolve its folder: {e}"))?;
    if !real.starts_with(&real_root) {
        return Err(outside(&real, root));
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create its folder: {e}"))?;
    let real = fs::canonicalize(dir).map_err(|e| format!("cannot resolve its folder: {e}"))?;
    if !real.starts_with(&real_root) {
        return Err(outside(&real, root));
    }
    Ok(())
}

/// Makes a rename in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn dir(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("compose-owned-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(d.join("project/values")).unwrap();
        fs::create_dir_all(d.join("outside")).unwrap();
        Dir(d)
    }

    fn project(d: &Dir) -> Project {
        Project::at(&d.0.join("project")).unwrap()
    }

    /// The error's text with the temporary folder replaced by `TMP`.
    fn error(e: Error, d: &Dir) -> String {
        e.to_string()
            .replace(&d.0.to_string_lossy().into_owned(), "TMP")
    }

    #[test]
    fn reads_files_inside_and_nothing_for_absent_ones() {
        let d = dir("inside");
        fs::write(d.0.join("project/values/values.yaml"), "a: 1\n").unwrap();
        let p = project(&d);
        assert_eq!(
            read(&p, Path::new("values/values.yaml"))
                .unwrap()
                .as_deref(),
            Some("a: 1\n")
        );
        assert_eq!(read(&p, Path::new("values/none.yaml")).unwrap(), None);
        assert_eq!(read(&p, Path::new("none/none.yaml")).unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn refuses_links_that_lead_outside_and_special_files() {
        use std::os::unix::fs::symlink;
        let d = dir("outside");
        fs::write(d.0.join("outside/secret.yaml"), "token: s3cr3t\n").unwrap();
        symlink(
            d.0.join("outside/secret.yaml"),
            d.0.join("project/values/values.yaml"),
        )
        .unwrap();
        symlink("/proc/self/environ", d.0.join("project/values/env.yaml")).unwrap();
        symlink(d.0.join("outside"), d.0.join("project/templates")).unwrap();
        symlink("missing.yaml", d.0.join("project/values/dangling.yaml")).unwrap();
        fs::write(d.0.join("project/values/real.yaml"), "a: 1\n").unwrap();
        symlink("real.yaml", d.0.join("project/values/inner.yaml")).unwrap();
        let p = project(&d);
        let e = error(read(&p, Path::new("values/values.yaml")).unwrap_err(), &d);
        assert_eq!(e, "TMP/project/values/values.yaml: resolves to 'TMP/outside/secret.yaml', outside the project root 'TMP/project': compose reads only the project's own files there (a file named on the command line may be anywhere)");
        let e = error(read(&p, Path::new("values/env.yaml")).unwrap_err(), &d);
        assert!(e.contains("resolves to '/proc/"), "{e}");
        assert!(!e.contains("PATH="), "{e}");
        let e = error(
            read(&p, Path::new("templates/secret.yaml")).unwrap_err(),
            &d,
        );
        assert!(e.contains("outside the project root"), "{e}");
        let e = error(read(&p, Path::new("values/dangling.yaml")).unwrap_err(), &d);
        assert_eq!(
            e,
            "TMP/project/values/dangling.yaml: is a link to a file that does not exist"
        );
        // A link that stays inside is followed.
        assert_eq!(
            read(&p, Path::new("values/inner.yaml")).unwrap().as_deref(),
            Some("a: 1\n")
        );
        // A FIFO is refused before it is opened (opening it would block).
        let fifo = d.0.join("project/values/fifo.yaml");
        let c = std::ffi::CString::new(fifo.to_string_lossy().into_owned()).unwrap();
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = error(read(&p, Path::new("values/fifo.yaml")).unwrap_err(), &d);
        assert_eq!(
            e,
            "TMP/project/values/fifo.yaml: is a FIFO, not a regular file"
        );
        symlink("/dev/zero", d.0.join("project/values/zero.yaml")).unwrap();
        let e = error(read(&p, Path::new("values/zero.yaml")).unwrap_err(), &d);
        assert!(e.contains("outside the project root"), "{e}");
        let e = error(read(&p, Path::new("values")).unwrap_err(), &d);
        assert_eq!(e, "TMP/project/values: is a directory, not a regular file");
    }

    #[cfg(unix)]
    #[test]
    fn writes_replace_links_and_stay_inside() {
        use std::os::unix::fs::symlink;
        let d = dir("write");
        let target = d.0.join("outside/schema.json");
        fs::write(&target, "keep").unwrap();
        fs::create_dir_all(d.0.join("project/schema")).unwrap();
        symlink(&target, d.0.join("project/schema/values.schema.json")).unwrap();
        let p = project(&d);
        write(&p, Path::new("schema/values.schema.json"), "{}\n").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
        let written = d.0.join("project/schema/values.schema.json");
        assert!(fs::symlink_metadata(&written).unwrap().is_file());
        assert_eq!(fs::read_to_string(&written).unwrap(), "{}\n");
        // A folder that leads outside is refused, and nothing is created there.
        symlink(d.0.join("outside"), d.0.join("project/linked")).unwrap();
        let e = error(
            write(&p, Path::new("linked/new/values.schema.json"), "{}").unwrap_err(),
            &d,
        );
        assert!(
            e.starts_with(
                "cannot write TMP/project/linked/new/values.schema.json: resolves to 'TMP/outside'"
            ),
            "{e}"
        );
        assert!(!d.0.join("outside/new").exists());
        // Missing folders inside are created; no temporary file is left.
        write(&p, Path::new("a/b/c.json"), "x").unwrap();
        assert_eq!(
            fs::read_to_string(d.0.join("project/a/b/c.json")).unwrap(),
            "x"
        );
        let left: Vec<_> = fs::read_dir(d.0.join("project/a/b")).unwrap().collect();
        assert_eq!(left.len(), 1);
    }
}
