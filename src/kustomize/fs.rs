//! The engine's only window on files.
//!
//! Every read goes through [`FileSystem`], so the engine runs the same on
//! disk ([`OnDisk`]), in memory for tests ([`InMemory`]), and on a disk tree
//! with one generated file laid over it ([`Overlay`], used by the values
//! pipeline to build its rendered kustomization without a temporary file).
//!
//! Paths handed to the trait are absolute and lexically clean (see
//! [`clean`]); the loader cleans every path before it asks.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Read-only access to a tree of files.
pub trait FileSystem: Sync {
    /// The bytes of a file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// Whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool;
    /// Whether `path` is a regular file.
    fn is_file(&self, path: &Path) -> bool;
    /// Names of the entries of a directory, sorted.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>>;
    /// The path with symbolic links resolved, for load restrictions.
    /// File systems without links return the path itself.
    fn real_path(&self, path: &Path) -> io::Result<PathBuf> {
        Ok(path.to_path_buf())
    }
}

/// Removes `.` and resolves `..` lexically, as Go's `filepath.Clean` does.
/// `..` above the root stays at the root.
pub fn clean(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() && !path.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The real file system.
///
/// Resolving links walks every component of a path; a build reads
/// thousands of files from a few hundred folders, so the resolved form
/// of each folder is remembered and only the file's own name is checked
/// for being a link.
#[derive(Debug, Default)]
pub struct OnDisk {
    real_dirs: std::sync::Mutex<std::collections::HashMap<PathBuf, PathBuf>>,
}

impl OnDisk {
    /// The real file system, with an empty cache of resolved folders.
    pub fn new() -> Self {
        Self::default()
    }

    fn real_dir(&self, dir: &Path) -> io::Result<PathBuf> {
        if let Some(hit) = self.real_dirs.lock().ok().and_then(|m| m.get(dir).cloned()) {
            return Ok(hit);
        }
        let real = std::fs::canonicalize(dir)?;
        if let Ok(mut m) = self.real_dirs.lock() {
            m.insert(dir.to_path_buf(), real.clone());
        }
        Ok(real)
    }
}

impl FileSystem for OnDisk {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(path)? {
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        Ok(names)
    }
    fn real_path(&self, path: &Path) -> io::Result<PathBuf> {
        // Only a plain last component can be split off: `..` or `.` at the
        // end, or a link, needs the full resolution.
        let (Some(parent), Some(Component::Normal(name))) = (path.parent(), path.components().next_back()) else {
            return std::fs::canonicalize(path);
        };
        let parent = if parent.as_os_str().is_empty() { Path::new(".") } else { parent };
        let meta = std::fs::symlink_metadata(path)?;
        if meta.file_type().is_symlink() {
            return std::fs::canonicalize(path);
        }
        Ok(self.real_dir(parent)?.join(name))
    }
}

/// A file tree held in memory. Directories exist implicitly above files,
/// and can be added empty with [`InMemory::add_dir`].
#[derive(Debug, Default, Clone)]
pub struct InMemory {
    files: BTreeMap<PathBuf, Vec<u8>>,
    dirs: std::collections::BTreeSet<PathBuf>,
}

impl InMemory {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file; parents become directories.
    pub fn add_file(&mut self, path: impl AsRef<Path>, content: impl Into<Vec<u8>>) -> &mut Self {
        let path = clean(path.as_ref());
        let mut parent = path.parent();
        while let Some(p) = parent {
            self.dirs.insert(p.to_path_buf());
            parent = p.parent();
        }
        self.files.insert(path, content.into());
        self
    }

    /// Adds an empty directory.
    pub fn add_dir(&mut self, path: impl AsRef<Path>) -> &mut Self {
        let path = clean(path.as_ref());
        let mut cur = Some(path.as_path());
        while let Some(p) = cur {
            self.dirs.insert(p.to_path_buf());
            cur = p.parent();
        }
        self
    }
}

impl FileSystem for InMemory {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.files
            .get(&clean(path))
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file or directory"))
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.dirs.contains(&clean(path))
    }
    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(&clean(path))
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let path = clean(path);
        if !self.dirs.contains(&path) {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no such file or directory"));
        }
        let mut names: Vec<String> = self
            .files
            .keys()
            .chain(self.dirs.iter())
            .filter(|p| p.parent() == Some(path.as_path()))
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }
}

/// A file system with some files laid over another one. Used to build a
/// generated kustomization that sits beside real files without writing it.
pub struct Overlay<'a, F: FileSystem> {
    /// The tree underneath.
    pub base: &'a F,
    /// Files that shadow (or add to) the base, by clean absolute path.
    pub files: BTreeMap<PathBuf, Vec<u8>>,
}

impl<F: FileSystem> FileSystem for Overlay<'_, F> {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        match self.files.get(&clean(path)) {
            Some(b) => Ok(b.clone()),
            None => self.base.read(path),
        }
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.base.is_dir(path)
    }
    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(&clean(path)) || self.base.is_file(path)
    }
    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut names = self.base.read_dir(path)?;
        let path = clean(path);
        for p in self.files.keys() {
            if p.parent() == Some(path.as_path()) {
                if let Some(n) = p.file_name() {
                    names.push(n.to_string_lossy().into_owned());
                }
            }
        }
        names.sort();
        names.dedup();
        Ok(names)
    }
    fn real_path(&self, path: &Path) -> io::Result<PathBuf> {
        if self.files.contains_key(&clean(path)) {
            return Ok(clean(path));
        }
        self.base.real_path(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_resolves_dots() {
        assert_eq!(clean(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(clean(Path::new("/../a")), PathBuf::from("/a"));
        assert_eq!(clean(Path::new("a/../../b")), PathBuf::from("../b"));
    }

    #[test]
    fn in_memory_lists_children() {
        let mut fs = InMemory::new();
        fs.add_file("/r/a.yaml", "x").add_file("/r/sub/b.yaml", "y");
        assert_eq!(fs.read_dir(Path::new("/r")).unwrap_or_default(), vec!["a.yaml", "sub"]);
        assert!(fs.is_dir(Path::new("/r/sub")));
        assert!(fs.is_file(Path::new("/r/sub/b.yaml")));
    }
}
