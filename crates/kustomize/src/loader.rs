//! Reading kustomizations and the files they name, under kustomize's load
//! restrictions.
//!
//! Every kustomization directory gets its own [`Loader`] rooted there.
//! With the default root-only restriction a loader reads only files at or
//! below its root (after symbolic links are resolved), while other
//! kustomization directories (bases, components) may live anywhere except
//! above a directory already being built, which would be a cycle. A base
//! or component is named by a relative path, never an absolute one (as
//! kustomize requires), and under the root-only restriction a directory
//! named inside the root must not be a link that leads out of it (where
//! kustomize follows the link: docs/COMPATIBILITY.md).

use super::error::{Error, ErrorKind, Result};
use super::fs::{clean, FileSystem};
use super::kustomization::Kustomization;
use super::openapi_choice::OpenApi;
use super::prefetch::{self, Ahead, Loaded};
use compose_yaml::Node;
use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

/// The file names kustomize accepts for a kustomization, in its order.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// How far outside its root a kustomization may read files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoadRestrictor {
    /// Only files at or below the kustomization's directory (the default).
    #[default]
    RootOnly,
    /// Any file (`--load-restrictor LoadRestrictionsNone`).
    None,
}

/// One kustomization on the way to a loader: its real root, then the one
/// that listed it.
struct Ancestor {
    real_root: PathBuf,
    parent: Option<Rc<Ancestor>>,
}

/// How deeply kustomizations may nest (bases and components inside each
/// other) unless [`Loader::with_depth_limit`] says otherwise.
pub(crate) const MAX_NESTING: usize = 5_000;

/// Reads files for one kustomization directory.
pub(crate) struct Loader<'a> {
    fs: &'a dyn FileSystem,
    /// The kustomization directory, clean and absolute.
    root: PathBuf,
    /// `root` with links resolved, for the containment check.
    real_root: PathBuf,
    restrictor: LoadRestrictor,
    /// The real roots of the kustomizations that led here, innermost
    /// first: shared with every loader on the way, so a deep tree holds
    /// each root once.
    ancestors: Option<Rc<Ancestor>>,
    /// How many kustomizations led here.
    depth: usize,
    /// How deeply kustomizations may nest in this build (see
    /// [`Loader::with_depth_limit`]), and whether a build went past it.
    depth_limit: usize,
    too_deep: Rc<Cell<bool>>,
    /// The build's schema state, which kustomize keeps for the whole
    /// build: every loader derived from the top one shares it.
    openapi: Rc<OpenApi>,
    /// Threads for parsing many files at once.
    threads: usize,
    /// What a helper thread loaded for this directory (see
    /// [`super::prefetch`]); taken as the build asks for it.
    loaded: RefCell<Loaded>,
    /// Whether a helper thread is loading ahead somewhere in this build:
    /// there is at most one, so a build uses at most two threads for it.
    helper_busy: Rc<Cell<bool>>,
    /// Where patches whose target selects nothing are noted, when the
    /// caller asked ([`super::BuildOptions::unmatched_patches`]).
    unmatched: Option<UnmatchedSink>,
    /// Shown the objects after each step, when the caller asked
    /// ([`super::BuildOptions::observer`]).
    observer: Option<Arc<dyn super::observe::Observer>>,
}

/// Where a build notes its patches whose target selects nothing.
pub type UnmatchedSink = Arc<Mutex<Vec<UnmatchedPatch>>>;

/// A patch with a `target` that selected no object when it ran: kustomize
/// applies it as no change, without a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnmatchedPatch {
    /// The kustomization (or component) file listing the patch.
    pub file: PathBuf,
    /// `patches` or `patchesJson6902`.
    pub field: &'static str,
    /// The patch's place in that list.
    pub index: usize,
}

impl<'a> Loader<'a> {
    /// A loader for the top-level directory of a build.
    pub(crate) fn new(
        fs: &'a dyn FileSystem,
        dir: &Path,
        restrictor: LoadRestrictor,
    ) -> Result<Loader<'a>> {
        let root = clean(dir);
        if !fs.is_dir(&root) {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "must build at directory: not a valid directory: '{}'",
                    root.display()
                ),
            ));
        }
        let real_root = fs.real_path(&root).unwrap_or_else(|_| root.clone());
        Ok(Loader {
            fs,
            root,
            real_root,
            restrictor,
            ancestors: None,
            depth: 0,
            depth_limit: MAX_NESTING,
            too_deep: Rc::default(),
            openapi: Rc::new(OpenApi::default()),
            threads: 1,
            loaded: RefCell::default(),
            helper_busy: Rc::default(),
            unmatched: None,
            observer: None,
        })
    }

    /// The kustomization directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// The name of the kustomization directory (after links are resolved,
    /// as kustomize names it).
    pub(crate) fn dir_name(&self) -> String {
        let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
        name(&self.real_root)
            .or_else(|| name(&self.root))
            .unwrap_or_default()
    }

    /// The build's OpenAPI schema state.
    pub(crate) fn openapi(&self) -> &OpenApi {
        &self.openapi
    }

    /// `path` relative to this root, cleaned.
    pub(crate) fn resolve(&self, path: &str) -> PathBuf {
        clean(&self.root.join(path))
    }

    /// A loader for a base or component directory named by `path`.
    pub(crate) fn child(&self, path: &str) -> Result<Loader<'a>> {
        if Path::new(path).is_absolute() {
            return Err(Error::kustomization(format!(
                "new root '{path}' cannot be absolute"
            )));
        }
        let dir = self.resolve(path);
        if !self.fs.is_dir(&dir) {
            return Err(Error::new(
                ErrorKind::Io,
                format!(
                    "must build at directory: not a valid directory: '{}'",
                    dir.display()
                ),
            ));
        }
        let real = self.fs.real_path(&dir).unwrap_or_else(|_| dir.clone());
        self.permit_dir(&dir, &real)?;
        let ancestors = Rc::new(Ancestor {
            real_root: self.real_root.clone(),
            parent: self.ancestors.clone(),
        });
        // Outermost first, as kustomize looks.
        let mut chain = Vec::with_capacity(self.depth + 1);
        let mut at = Some(&ancestors);
        while let Some(a) = at {
            chain.push(&a.real_root);
            at = a.parent.as_ref();
        }
        for a in chain.into_iter().rev() {
            if a.starts_with(&real) {
                return Err(Error::kustomization(format!(
                    "cycle detected: candidate root '{}' contains visited root '{}'",
                    real.display(),
                    a.display()
                )));
            }
        }
        if self.depth + 1 >= self.depth_limit {
            self.too_deep.set(true);
            return Err(Error::kustomization(format!(
                "kustomizations nest deeper than {} levels (bases and components inside each other, at '{}')",
                self.depth_limit,
                dir.display()
            )));
        }
        Ok(Loader {
            fs: self.fs,
            root: dir,
            real_root: real,
            restrictor: self.restrictor,
            ancestors: Some(ancestors),
            depth: self.depth + 1,
            depth_limit: self.depth_limit,
            too_deep: Rc::clone(&self.too_deep),
            openapi: Rc::clone(&self.openapi),
            threads: self.threads,
            loaded: RefCell::default(),
            helper_busy: Rc::clone(&self.helper_busy),
            unmatched: self.unmatched.clone(),
            observer: self.observer.clone(),
        })
    }

    /// Refuses, when restricted, a directory named inside the root (`dir`,
    /// clean) that a link takes outside it (`real`). A directory named
    /// outside (`../base`) may be anywhere, as in kustomize.
    fn permit_dir(&self, dir: &Path, real: &Path) -> Result<()> {
        if self.restrictor == LoadRestrictor::RootOnly
            && within(dir, &self.root)
            && !within(real, &self.real_root)
        {
            return Err(Error::Restricted {
                path: dir.to_path_buf(),
                target: Some(real.to_path_buf()),
                root: self.root.clone(),
            });
        }
        Ok(())
    }

    /// Whether [`Loader::child`] would accept `path` as far as its
    /// location goes (relative, and not led out of the root by a link).
    fn child_allowed(&self, path: &str) -> bool {
        if Path::new(path).is_absolute() {
            return false;
        }
        let dir = self.resolve(path);
        match self.fs.real_path(&dir) {
            Ok(real) => self.permit_dir(&dir, &real).is_ok(),
            Err(_) => false,
        }
    }

    /// A loader for the directory named by `path`, like [`Loader::child`],
    /// with what a helper loaded for it from `prefetch`.
    pub(crate) fn child_ahead(&self, path: &str, ahead: &mut Ahead) -> Result<Loader<'a>> {
        let child = self.child(path)?;
        if let Some(loaded) = ahead.take(&child.root) {
            *child.loaded.borrow_mut() = loaded;
        }
        Ok(child)
    }

    /// Runs `body` while a helper thread loads the directories among
    /// `paths` (relative to this root) ahead of it, in order: see
    /// [`super::prefetch`]. Without spare threads, or when a helper is already
    /// at work elsewhere in the build, `body` runs without one.
    ///
    /// The helper reads nothing the build could not: it is given only the
    /// directories [`Loader::child`] allows, and under the root-only
    /// restriction it reads only files inside each directory.
    pub(crate) fn ahead<R>(&self, paths: &[&str], body: impl FnOnce(&mut Ahead) -> R) -> R {
        let helper = self.threads > 1 && !self.helper_busy.get();
        let dirs = if helper {
            paths
                .iter()
                .filter(|p| self.child_allowed(p))
                .map(|p| self.resolve(p))
                .collect()
        } else {
            Vec::new()
        };
        self.helper_busy.set(self.helper_busy.get() || helper);
        let restricted = self.restrictor == LoadRestrictor::RootOnly;
        let out = prefetch::run(self.fs, dirs, helper, restricted, body);
        if helper {
            self.helper_busy.set(false);
        }
        out
    }

    /// Whether `path` names a file (as opposed to a directory or nothing).
    pub(crate) fn is_file(&self, path: &str) -> bool {
        self.fs.is_file(&self.resolve(path))
    }

    /// Whether `path` names a directory.
    pub(crate) fn is_dir(&self, path: &str) -> bool {
        self.fs.is_dir(&self.resolve(path))
    }

    /// The bytes of a file, refusing files outside the root when restricted.
    pub(crate) fn read(&self, path: &str) -> Result<Vec<u8>> {
        let full = self.resolve(path);
        self.permit(&full)?;
        self.fs
            .read(&full)
            .map_err(|e| read_error(self.fs, &full, e))
    }

    /// Refuses a file outside the root when restricted. The restriction is
    /// checked before any byte is read. A path that cannot be resolved does
    /// not exist, and the read that follows says so.
    fn permit(&self, full: &Path) -> Result<()> {
        if self.restrictor == LoadRestrictor::RootOnly {
            if let Ok(real) = self.fs.real_path(full) {
                if !within(&real, &self.real_root) {
                    let target = (clean(&real) != clean(full)).then_some(real);
                    return Err(Error::Restricted {
                        path: full.to_path_buf(),
                        target,
                        root: self.root.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// A file as UTF-8 text.
    pub(crate) fn read_text(&self, path: &str) -> Result<String> {
        let bytes = self.read(path)?;
        String::from_utf8(bytes).map_err(|_| {
            Error::new(ErrorKind::Io, "file is not valid UTF-8").at_file(self.resolve(path))
        })
    }

    /// Parses a YAML file into its documents.
    pub(crate) fn read_yaml(&self, path: &str) -> Result<Vec<Node>> {
        let text = self.read_text(path)?;
        parse_file(&self.resolve(path), &text)
    }

    /// Parses many files at once. Each is checked against the load
    /// restriction here, in order; then they are read and parsed on this
    /// thread, joined by up to the loader's thread count once enough bytes
    /// have gone by to pay for starting threads, each thread reading every
    /// file it takes into one buffer of its own. Files a helper thread
    /// already parsed are taken once the restriction allows them. Results
    /// come in the order of `paths`.
    pub(crate) fn read_yaml_all(&self, paths: &[&str]) -> Vec<Result<Vec<Node>>> {
        let mut done: Vec<Option<Result<Vec<Node>>>> = Vec::with_capacity(paths.len());
        let mut to_read: Vec<PathBuf> = Vec::new();
        for p in paths {
            let full = self.resolve(p);
            let preloaded = self.loaded.borrow_mut().docs.remove(&full);
            // What the helper loaded, it read only once the same
            // restriction allowed it (see `prefetch::load`).
            let taken = match preloaded {
                Some(docs) => Some(Ok(docs)),
                None => match self.permit(&full) {
                    Err(e) => Some(Err(e)),
                    Ok(()) => {
                        to_read.push(full);
                        None
                    }
                },
            };
            done.push(taken);
        }
        // Starting threads costs tens of microseconds; below this much text
        // one thread is faster.
        const PARALLEL_BYTES: usize = 256 * 1024;
        let fs = self.fs;
        let parsed = super::parallel::map_ordered(
            &to_read,
            self.threads,
            PARALLEL_BYTES,
            Vec::new,
            |buf, full| match fs.read_into(full, buf) {
                Ok(n) => match std::str::from_utf8(&buf[..n]) {
                    Ok(text) => (parse_file(full, text), n),
                    Err(_) => (
                        Err(Error::new(ErrorKind::Io, "file is not valid UTF-8")
                            .at_file(full.clone())),
                        n,
                    ),
                },
                Err(e) => (Err(read_error(fs, full, e)), 0),
            },
        );
        // One file was read for each empty slot, in order.
        for (slot, result) in done.iter_mut().filter(|d| d.is_none()).zip(parsed) {
            *slot = Some(result);
        }
        done.into_iter().flatten().collect()
    }

    /// How many threads work may be split over.
    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    /// Notes patches whose target selects nothing in `sink`.
    pub(crate) fn with_unmatched_sink(mut self, sink: Option<UnmatchedSink>) -> Self {
        self.unmatched = sink;
        self
    }

    /// Whether patches whose target selects nothing are noted.
    pub(crate) fn notes_unmatched(&self) -> bool {
        self.unmatched.is_some()
    }

    /// Notes a patch whose target selected nothing.
    pub(crate) fn note_unmatched(&self, patch: UnmatchedPatch) {
        if let Some(sink) = &self.unmatched {
            sink.lock().unwrap_or_else(|e| e.into_inner()).push(patch);
        }
    }

    /// Shows the objects to `observer` after each step.
    pub(crate) fn with_observer(
        mut self,
        observer: Option<Arc<dyn super::observe::Observer>>,
    ) -> Self {
        self.observer = observer;
        self
    }

    /// Shows `objects` to the observer, if there is one, after `field`
    /// (entry `index`, when given) of `kust` ran. A final step of the
    /// build ([`super::observe::HASH_SUFFIXES`], ...) is placed at the
    /// file alone.
    pub(crate) fn observe(
        &self,
        kust: &Kustomization,
        field: &'static str,
        index: Option<usize>,
        objects: &[super::resource::Resource],
    ) {
        let Some(observer) = &self.observer else {
            return;
        };
        let file = self.root().join(&kust.file_name);
        let place = match index {
            _ if super::observe::FINAL_STEPS.contains(&field) => {
                super::error::Location::file(&file)
            }
            Some(i) => super::build::place(self, kust, &kust.item_pointer(field, i)),
            None => super::build::place(self, kust, &format!("/{field}#key")),
        };
        let step = super::observe::Step {
            file: &file,
            field,
            index,
            place,
        };
        observer.observe(&step, objects);
    }

    /// Refuses kustomizations nested `limit` deep or more; the build then
    /// fails and [`Loader::went_too_deep`] says why.
    pub(crate) fn with_depth_limit(mut self, limit: usize) -> Self {
        self.depth_limit = limit;
        self
    }

    /// Whether a loader of this build refused a directory for nesting too
    /// deeply.
    pub(crate) fn went_too_deep(&self) -> bool {
        self.too_deep.get()
    }

    /// Uses up to `threads` threads where work can be split.
    pub(crate) fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// The name of this directory's kustomization file: exactly one of
    /// kustomize's accepted names must exist.
    pub(crate) fn kustomization_file(&self) -> Result<&'static str> {
        match kustomization_files(self.fs, &self.root).as_slice() {
            [] => Err(Error::kustomization(format!(
                "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{}'",
                self.root.display()
            ))),
            [name] => Ok(name),
            _ => Err(Error::kustomization(format!("Found multiple kustomization files under: {}", self.root.display()))),
        }
    }

    /// Reads and parses this directory's kustomization file, or takes it
    /// from what a helper loaded.
    pub(crate) fn kustomization(&self) -> Result<Kustomization> {
        let name = self.kustomization_file()?;
        let full = self.root.join(name);
        let preloaded = self.loaded.borrow_mut().kustomization.take();
        if let Some((_, k)) = preloaded.filter(|(p, _)| *p == full) {
            // The helper read it only once the same restriction allowed it.
            return Ok(k);
        }
        let text = self.read_text(name)?;
        Kustomization::parse(&text, name, &self.root)
    }
}

/// Which of kustomize's kustomization file names exist in `dir`, in
/// kustomize's order.
pub(super) fn kustomization_files(fs: &dyn FileSystem, dir: &Path) -> Vec<&'static str> {
    KUSTOMIZATION_FILE_NAMES
        .into_iter()
        .filter(|name| fs.is_file(&dir.join(name)))
        .collect()
}

/// Whether `path` is `root` or below it. Both are clean, so this is
/// `Path::starts_with` compared as bytes (a check made for every file a
/// build reads, where walking both paths' components showed in profiles).
pub(crate) fn within(path: &Path, root: &Path) -> bool {
    let (p, r) = (
        path.as_os_str().as_encoded_bytes(),
        root.as_os_str().as_encoded_bytes(),
    );
    match p.strip_prefix(r) {
        Some([]) => true,
        Some([sep, ..]) => {
            std::path::is_separator(char::from(*sep))
                || r.last()
                    .is_some_and(|c| std::path::is_separator(char::from(*c)))
        }
        None => false,
    }
}

/// A failed read, explained: reading first and asking why afterwards
/// saves a metadata call per file on the common path.
fn read_error(fs: &dyn FileSystem, full: &Path, e: std::io::Error) -> Error {
    let reason = if e.kind() == std::io::ErrorKind::InvalidInput {
        e.to_string()
    } else if fs.is_dir(full) {
        "is a directory, not a file".to_string()
    } else if !fs.is_file(full) {
        "no such file or directory".to_string()
    } else {
        e.to_string()
    };
    Error::Io {
        path: full.to_path_buf(),
        reason,
    }
}

/// The documents of one file's text; errors name the file.
fn parse_file(full: &Path, text: &str) -> Result<Vec<Node>> {
    compose_yaml::parse_stream(text).map_err(|error| Error::Yaml {
        path: full.to_path_buf(),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::InMemory;

    fn tree() -> InMemory {
        let mut fs = InMemory::new();
        fs.add_file("/p/app/kustomization.yaml", "resources: [a.yaml]")
            .add_file("/p/app/a.yaml", "kind: A")
            .add_file("/p/secret.txt", "s")
            .add_file("/p/base/kustomization.yaml", "");
        fs
    }

    #[test]
    fn root_only_refuses_files_above_the_root() {
        let fs = tree();
        let l = Loader::new(&fs, Path::new("/p/app"), LoadRestrictor::RootOnly).unwrap();
        assert!(l.read("a.yaml").is_ok());
        assert!(matches!(
            l.read("../secret.txt"),
            Err(Error::Restricted { .. })
        ));
        let open = Loader::new(&fs, Path::new("/p/app"), LoadRestrictor::None).unwrap();
        assert!(open.read("../secret.txt").is_ok());
    }

    #[test]
    fn within_is_starts_with_for_clean_paths() {
        let paths = [
            "/",
            "/p",
            "/p/app",
            "/p/app/a.yaml",
            "/p/apple",
            "/p/ap",
            "/q/app",
            "/p/app/sub/b.yaml",
            "p/app",
            "p",
        ];
        for path in paths {
            for root in paths {
                let (path, root) = (Path::new(path), Path::new(root));
                assert_eq!(
                    within(path, root),
                    path.starts_with(root),
                    "{} under {}",
                    path.display(),
                    root.display()
                );
            }
        }
    }

    #[test]
    fn bases_may_sit_beside_but_not_above() {
        let fs = tree();
        let l = Loader::new(&fs, Path::new("/p/app"), LoadRestrictor::RootOnly).unwrap();
        assert!(l.child("../base").is_ok());
        assert_eq!(
            l.child("..").err().map(|e| e.to_string()).as_deref(),
            Some("cycle detected: candidate root '/p' contains visited root '/p/app'")
        );
        assert_eq!(
            l.child(".").err().map(|e| e.to_string()).as_deref(),
            Some("cycle detected: candidate root '/p/app' contains visited root '/p/app'")
        );
    }

    #[test]
    fn bases_and_components_are_never_absolute() {
        let fs = tree();
        for restrictor in [LoadRestrictor::RootOnly, LoadRestrictor::None] {
            let l = Loader::new(&fs, Path::new("/p/app"), restrictor).unwrap();
            let e = l.child("/p/base").err().unwrap();
            assert_eq!(e.to_string(), "new root '/p/base' cannot be absolute");
        }
    }

    #[test]
    fn nesting_is_bounded_with_a_clear_error() {
        let mut fs = InMemory::new();
        for i in 0..6 {
            fs.add_file(
                format!("/p/l{i}/kustomization.yaml"),
                format!("resources: [../l{}]", i + 1),
            );
        }
        let top = Loader::new(&fs, Path::new("/p/l0"), LoadRestrictor::RootOnly)
            .unwrap()
            .with_depth_limit(4);
        let mut l = top.child("../l1").unwrap();
        for i in 2..4 {
            l = l.child(&format!("../l{i}")).unwrap();
        }
        assert!(!top.went_too_deep());
        let e = l.child("../l4").err().unwrap();
        assert_eq!(
            e.to_string(),
            "kustomizations nest deeper than 4 levels (bases and components inside each other, at '/p/l4')"
        );
        assert!(top.went_too_deep());
    }

    #[test]
    fn finds_exactly_one_kustomization_file() {
        let mut fs = tree();
        let l = Loader::new(&fs, Path::new("/p/app"), LoadRestrictor::RootOnly).unwrap();
        assert_eq!(l.kustomization_file().unwrap(), "kustomization.yaml");
        fs.add_file("/p/app/Kustomization", "");
        let l = Loader::new(&fs, Path::new("/p/app"), LoadRestrictor::RootOnly).unwrap();
        assert_eq!(
            l.kustomization_file()
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("Found multiple kustomization files under: /p/app")
        );
    }
}
