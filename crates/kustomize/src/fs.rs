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
    /// Reads a file into `buf[..n]` and returns `n`, growing `buf` (whose
    /// length is all its usable room) when the file needs more. A caller
    /// that reads many files through one buffer touches fresh memory only
    /// for the largest, where [`read`](Self::read) allocates every file.
    fn read_into(&self, path: &Path, buf: &mut Vec<u8>) -> io::Result<usize> {
        Ok(copy_into(&self.read(path)?, buf))
    }
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
    #[cfg(unix)]
    if path.has_root() {
        return clean_absolute(path);
    }
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

/// [`clean`] for an absolute Unix path, on its bytes: a build cleans
/// several paths per file it reads, and building the result a component
/// at a time through `PathBuf` showed in profiles.
#[cfg(unix)]
fn clean_absolute(path: &Path) -> PathBuf {
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    let bytes = path.as_os_str().as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    for part in bytes.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                let last = out.iter().rposition(|&b| b == b'/').unwrap_or(0);
                out.truncate(last);
            }
            name => {
                out.push(b'/');
                out.extend_from_slice(name);
            }
        }
    }
    if out.is_empty() {
        out.push(b'/');
    }
    PathBuf::from(std::ffi::OsString::from_vec(out))
}

/// The real file system.
///
/// A build reads thousands of files from a few hundred folders and asks,
/// for each, whether it is a file, a folder or a link (the root-only rule
/// must see links). Asking the operating system costs one or two metadata
/// calls per question; instead each folder is listed once, with the type of
/// every entry, and the answers come from that listing. Folders whose
/// listing cannot be read (no permission) fall back to metadata calls.
/// Resolved forms of folders are remembered too, so resolving links walks
/// each folder once rather than every component of every path.
///
/// The caches assume the tree does not change during one build, which is
/// what a build reads anyway: kustomize also reads each file once.
#[derive(Debug, Default)]
pub struct OnDisk {
    real_dirs: std::sync::Mutex<ByPath<PathBuf>>,
    listings: std::sync::Mutex<ByPath<Option<std::sync::Arc<Listing>>>>,
}

/// A folder cache, keyed by [`key`].
type ByPath<V> = rustc_hash::FxHashMap<Box<[u8]>, V>;

/// A clean path's bytes, as the key of the folder caches: hashing the
/// bytes whole is several times faster than `Path`'s own hash, which
/// walks the path component by component, and for clean paths equal bytes
/// mean equal paths.
fn key(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

/// The entries of one folder and their types (links not followed). The
/// maps use a fast non-cryptographic hash: their keys are the project's
/// own paths, asked about several times per file of a build.
type Listing = rustc_hash::FxHashMap<std::ffi::OsString, EntryKind>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EntryKind {
    File,
    Dir,
    Link,
    Other,
}

/// What a folder listing says about a path.
enum Lookup {
    /// The entry exists with this type.
    Found(EntryKind),
    /// The parent folder was listed and has no such entry.
    Missing,
    /// The parent could not be listed (or the path has no parent):
    /// the caller asks the operating system.
    Unknown,
}

impl OnDisk {
    /// The real file system, with empty caches.
    pub fn new() -> Self {
        Self::default()
    }

    fn listing(&self, dir: &Path) -> Option<std::sync::Arc<Listing>> {
        if let Some(hit) = self
            .listings
            .lock()
            .ok()
            .and_then(|m| m.get(key(dir)).cloned())
        {
            return hit;
        }
        let read = || -> io::Result<Listing> {
            let mut out = Listing::default();
            for entry in std::fs::read_dir(dir)? {
                let entry = entry?;
                let t = entry.file_type()?;
                let kind = if t.is_symlink() {
                    EntryKind::Link
                } else if t.is_dir() {
                    EntryKind::Dir
                } else if t.is_file() {
                    EntryKind::File
                } else {
                    EntryKind::Other
                };
                out.insert(entry.file_name(), kind);
            }
            Ok(out)
        };
        let listing = read().ok().map(std::sync::Arc::new);
        if let Ok(mut m) = self.listings.lock() {
            m.insert(key(dir).into(), listing.clone());
        }
        listing
    }

    fn lookup(&self, path: &Path) -> Lookup {
        let (Some(parent), Some(Component::Normal(name))) =
            (path.parent(), path.components().next_back())
        else {
            return Lookup::Unknown;
        };
        if parent.as_os_str().is_empty() {
            return Lookup::Unknown;
        }
        match self.listing(parent) {
            Some(l) => l.get(name).map_or(Lookup::Missing, |k| Lookup::Found(*k)),
            None => Lookup::Unknown,
        }
    }

    /// Refuses to open anything but a regular file (or a directory, whose
    /// read fails on its own): a FIFO would block the build and a device
    /// would never end. The folder listing usually knows the type already;
    /// only a link, or a folder that cannot be listed, costs a call.
    fn check_regular(&self, path: &Path) -> io::Result<()> {
        let special = match self.lookup(path) {
            Lookup::Found(EntryKind::Other) => true,
            Lookup::Found(EntryKind::Link) | Lookup::Unknown => {
                std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir())
            }
            Lookup::Found(EntryKind::File | EntryKind::Dir) | Lookup::Missing => false,
        };
        if special {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, NOT_REGULAR));
        }
        Ok(())
    }

    fn real_dir(&self, dir: &Path) -> io::Result<PathBuf> {
        if let Some(hit) = self
            .real_dirs
            .lock()
            .ok()
            .and_then(|m| m.get(key(dir)).cloned())
        {
            return Ok(hit);
        }
        // A folder that is not a link resolves to its resolved parent plus
        // its name; anything else goes to the operating system.
        let real = match (dir.parent(), dir.file_name(), self.lookup(dir)) {
            (Some(parent), Some(name), Lookup::Found(EntryKind::Dir)) => {
                self.real_dir(parent)?.join(name)
            }
            _ => std::fs::canonicalize(dir)?,
        };
        if let Ok(mut m) = self.real_dirs.lock() {
            m.insert(key(dir).into(), real.clone());
        }
        Ok(real)
    }
}

/// The reason given for a path that is a FIFO, a socket or a device.
pub(crate) const NOT_REGULAR: &str = "is not a regular file (a FIFO, a socket or a device)";

/// How much of a file the first read takes before its size is asked for:
/// most inputs fit.
const FIRST_READ_BYTES: usize = 16 * 1024;

/// Reads `file` into `buf` until `buf` is full or the file ends; the bytes
/// read. Fewer than `buf.len()` means the file has ended.
fn fill(file: &mut std::fs::File, buf: &mut [u8]) -> io::Result<usize> {
    use std::io::Read;
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Copies `bytes` into `buf[..bytes.len()]`, growing `buf` if it is
/// shorter, as [`FileSystem::read_into`] hands a file back.
fn copy_into(bytes: &[u8], buf: &mut Vec<u8>) -> usize {
    if buf.len() < bytes.len() {
        buf.resize(bytes.len(), 0);
    }
    buf[..bytes.len()].copy_from_slice(bytes);
    bytes.len()
}

impl FileSystem for OnDisk {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        // `std::fs::read` asks for the file's size first. Most inputs are
        // small, so the first read goes to a buffer of this thread's, made
        // (and zeroed) once rather than per file, which cost a tenth of a
        // build of thousands of small files; only a file that fills it is
        // asked for its size, so large files still grow once.
        use std::io::Read;
        thread_local! {
            static FIRST_READ: std::cell::RefCell<Box<[u8]>> = std::cell::RefCell::new(vec![0; FIRST_READ_BYTES].into_boxed_slice());
        }
        self.check_regular(path)?;
        let mut file = std::fs::File::open(path)?;
        let mut buf = FIRST_READ.with_borrow_mut(|first| -> io::Result<Vec<u8>> {
            let len = fill(&mut file, first)?;
            if len < FIRST_READ_BYTES {
                return Ok(first[..len].to_vec());
            }
            let size = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
            let mut buf = Vec::with_capacity(size.max(FIRST_READ_BYTES) + 1);
            buf.extend_from_slice(&first[..]);
            Ok(buf)
        })?;
        if buf.len() == FIRST_READ_BYTES {
            file.read_to_end(&mut buf)?;
        }
        Ok(buf)
    }
    fn read_into(&self, path: &Path, buf: &mut Vec<u8>) -> io::Result<usize> {
        self.check_regular(path)?;
        let mut file = std::fs::File::open(path)?;
        if buf.len() < FIRST_READ_BYTES {
            buf.resize(FIRST_READ_BYTES, 0);
        }
        let mut n = 0;
        let mut asked = false;
        loop {
            if n == buf.len() {
                // Only a file that fills the buffer is asked for its size,
                // so that a large one grows the buffer once.
                let size = if asked {
                    0
                } else {
                    file.metadata().map_or(0, |m| m.len() as usize)
                };
                asked = true;
                buf.resize((size + 1).max(n * 2), 0);
            }
            n += fill(&mut file, &mut buf[n..])?;
            if n < buf.len() {
                return Ok(n);
            }
        }
    }
    fn is_dir(&self, path: &Path) -> bool {
        match self.lookup(path) {
            Lookup::Found(EntryKind::Dir) => true,
            Lookup::Found(EntryKind::Link) | Lookup::Unknown => path.is_dir(),
            Lookup::Found(_) | Lookup::Missing => false,
        }
    }
    fn is_file(&self, path: &Path) -> bool {
        match self.lookup(path) {
            Lookup::Found(EntryKind::File) => true,
            Lookup::Found(EntryKind::Link) | Lookup::Unknown => path.is_file(),
            Lookup::Found(_) | Lookup::Missing => false,
        }
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
        let (Some(parent), Some(Component::Normal(name))) =
            (path.parent(), path.components().next_back())
        else {
            return std::fs::canonicalize(path);
        };
        let parent = if parent.as_os_str().is_empty() {
            Path::new(".")
        } else {
            parent
        };
        let is_link = match self.lookup(path) {
            Lookup::Found(kind) => kind == EntryKind::Link,
            Lookup::Missing => {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "no such file or directory",
                ))
            }
            Lookup::Unknown => std::fs::symlink_metadata(path)?.file_type().is_symlink(),
        };
        if is_link {
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
    #[cfg(test)]
    pub(crate) fn add_dir(&mut self, path: impl AsRef<Path>) -> &mut Self {
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
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "no such file or directory",
            ));
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
    fn read_into(&self, path: &Path, buf: &mut Vec<u8>) -> io::Result<usize> {
        match self.files.get(&clean(path)) {
            Some(b) => Ok(copy_into(b, buf)),
            None => self.base.read_into(path, buf),
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

    /// The byte-level cleaning of absolute paths agrees with cleaning
    /// component by component.
    #[cfg(unix)]
    #[test]
    fn absolute_paths_clean_as_components_do() {
        fn by_components(path: &Path) -> PathBuf {
            let mut out = PathBuf::new();
            for c in path.components() {
                match c {
                    Component::CurDir => {}
                    Component::ParentDir => {
                        out.pop();
                    }
                    other => out.push(other.as_os_str()),
                }
            }
            out
        }
        for p in [
            "/",
            "//",
            "/a",
            "/a/",
            "/a//b",
            "/a/./b",
            "/a/../b",
            "/../a",
            "/a/b/../../..",
            "/a/b/c/../../d/./e/",
            "/./.",
            "/a/.b/..c/...",
            "/x/overlays/dev/../../base",
        ] {
            assert_eq!(clean(Path::new(p)), by_components(Path::new(p)), "{p}");
        }
    }

    /// One buffer read through files of every size gives each file's bytes
    /// exactly, the same as `read`, whether it grows or is larger already.
    #[test]
    fn read_into_gives_each_file_whole_through_one_buffer() {
        let base = std::env::temp_dir().join(format!("compose-read-into-{}", std::process::id()));
        std::fs::create_dir_all(&base).unwrap();
        let sizes = [
            0usize,
            5,
            16 * 1024 - 1,
            16 * 1024,
            16 * 1024 + 1,
            100_000,
            3,
            40_000,
        ];
        let mut mem = InMemory::new();
        for (i, size) in sizes.iter().enumerate() {
            let text: String = (0..*size)
                .map(|k| char::from(b'a' + ((k * 7 + i) % 26) as u8))
                .collect();
            std::fs::write(base.join(format!("f{i}")), &text).unwrap();
            mem.add_file(format!("/m/f{i}"), text.as_str());
        }
        let (mut on_disk, mut in_memory) = (Vec::new(), Vec::new());
        for i in 0..sizes.len() {
            let path = base.join(format!("f{i}"));
            let n = OnDisk::new().read_into(&path, &mut on_disk).unwrap();
            assert_eq!(
                &on_disk[..n],
                &std::fs::read(&path).unwrap()[..],
                "file {i}"
            );
            let m = mem
                .read_into(Path::new(&format!("/m/f{i}")), &mut in_memory)
                .unwrap();
            assert_eq!(&in_memory[..m], &on_disk[..n], "file {i}");
        }
        assert_eq!(
            OnDisk::new()
                .read_into(&base.join("missing"), &mut on_disk)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("No such file or directory (os error 2)")
        );
        let _ = std::fs::remove_dir_all(&base);
    }

    /// The folder listings must answer exactly what metadata calls would.
    #[cfg(unix)]
    #[test]
    fn on_disk_answers_from_listings_like_metadata_calls() -> io::Result<()> {
        let base = std::env::temp_dir().join(format!("compose-fs-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("root");
        std::fs::create_dir_all(root.join("sub"))?;
        std::fs::create_dir_all(base.join("outside"))?;
        std::fs::write(root.join("a.yaml"), "a: 1")?;
        std::fs::write(base.join("outside/secret.yaml"), "s: 1")?;
        std::os::unix::fs::symlink(root.join("a.yaml"), root.join("link-in.yaml"))?;
        std::os::unix::fs::symlink(base.join("outside/secret.yaml"), root.join("link-out.yaml"))?;
        std::os::unix::fs::symlink(base.join("outside"), root.join("dir-out"))?;
        let fs = OnDisk::new();
        let real_root = std::fs::canonicalize(&root)?;
        for name in [
            "a.yaml",
            "sub",
            "link-in.yaml",
            "link-out.yaml",
            "dir-out",
            "dir-out/secret.yaml",
            "missing",
            "sub/missing",
        ] {
            let p = root.join(name);
            assert_eq!(fs.is_file(&p), p.is_file(), "is_file {name}");
            assert_eq!(fs.is_dir(&p), p.is_dir(), "is_dir {name}");
            match (fs.real_path(&p), std::fs::canonicalize(&p)) {
                (Ok(ours), Ok(real)) => assert_eq!(ours, real, "real_path {name}"),
                (Err(_), Err(_)) => {}
                (ours, real) => panic!("real_path {name}: {ours:?} against {real:?}"),
            }
        }
        assert!(fs
            .real_path(&root.join("link-out.yaml"))?
            .starts_with(std::fs::canonicalize(base.join("outside"))?));
        assert!(fs
            .real_path(&root.join("link-in.yaml"))?
            .starts_with(&real_root));
        assert_eq!(fs.read(&root.join("a.yaml"))?, b"a: 1");
        // A file larger than the first read buffer comes back whole.
        let big: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        std::fs::write(root.join("big.yaml"), &big)?;
        assert_eq!(OnDisk::new().read(&root.join("big.yaml"))?, big);
        std::fs::remove_dir_all(&base)
    }

    #[test]
    fn in_memory_lists_children() {
        let mut fs = InMemory::new();
        fs.add_file("/r/a.yaml", "x").add_file("/r/sub/b.yaml", "y");
        assert_eq!(
            fs.read_dir(Path::new("/r")).unwrap_or_default(),
            vec!["a.yaml", "sub"]
        );
        assert!(fs.is_dir(Path::new("/r/sub")));
        assert!(fs.is_file(Path::new("/r/sub/b.yaml")));
    }
}
