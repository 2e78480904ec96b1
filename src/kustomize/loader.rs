//! Reading kustomizations and the files they name, under kustomize's load
//! restrictions.
//!
//! Every kustomization directory gets its own [`Loader`] rooted there.
//! With the default root-only restriction a loader reads only files at or
//! below its root (after symbolic links are resolved), while other
//! kustomization directories (bases, components) may live anywhere except
//! above a directory already being built, which would be a cycle.

use super::error::{Error, Result};
use super::fs::{clean, FileSystem};
use super::openapi::OpenApi;
use super::yaml::{self, Node};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The file names kustomize accepts for a kustomization, in its order.
pub const KUSTOMIZATION_FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// How far outside its root a kustomization may read files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LoadRestrictor {
    /// Only files at or below the kustomization's directory (the default).
    #[default]
    RootOnly,
    /// Any file (`--load-restrictor LoadRestrictionsNone`).
    None,
}

/// Reads files for one kustomization directory.
pub struct Loader<'a> {
    fs: &'a dyn FileSystem,
    /// The kustomization directory, clean and absolute.
    root: PathBuf,
    /// `root` with links resolved, for the containment check.
    real_root: PathBuf,
    restrictor: LoadRestrictor,
    /// Roots of the kustomizations that led here, outermost first.
    ancestors: Vec<PathBuf>,
    /// The build's schema state, which kustomize keeps for the whole
    /// build: every loader derived from the top one shares it.
    openapi: Rc<OpenApi>,
    /// Threads for parsing many files at once.
    threads: usize,
}

impl<'a> Loader<'a> {
    /// A loader for the top-level directory of a build.
    pub fn new(fs: &'a dyn FileSystem, dir: &Path, restrictor: LoadRestrictor) -> Result<Loader<'a>> {
        let root = clean(dir);
        if !fs.is_dir(&root) {
            return Err(Error::invalid_at(&root, "must build at directory: not a valid directory"));
        }
        let real_root = fs.real_path(&root).unwrap_or_else(|_| root.clone());
        Ok(Loader { fs, root, real_root, restrictor, ancestors: Vec::new(), openapi: Rc::new(OpenApi::default()), threads: 1 })
    }

    /// The kustomization directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The name of the kustomization directory (after links are resolved,
    /// as kustomize names it).
    pub fn dir_name(&self) -> String {
        let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
        name(&self.real_root).or_else(|| name(&self.root)).unwrap_or_default()
    }

    /// The build's OpenAPI schema state.
    pub fn openapi(&self) -> &OpenApi {
        &self.openapi
    }

    /// The file system underneath.
    pub fn fs(&self) -> &'a dyn FileSystem {
        self.fs
    }

    /// `path` relative to this root, cleaned.
    pub fn resolve(&self, path: &str) -> PathBuf {
        clean(&self.root.join(path))
    }

    /// A loader for a base or component directory named by `path`.
    pub fn child(&self, path: &str) -> Result<Loader<'a>> {
        let dir = self.resolve(path);
        if !self.fs.is_dir(&dir) {
            return Err(Error::invalid_at(&dir, "must build at directory: not a valid directory"));
        }
        let real = self.fs.real_path(&dir).unwrap_or_else(|_| dir.clone());
        let mut ancestors = self.ancestors.clone();
        ancestors.push(self.real_root.clone());
        for a in &ancestors {
            if a.starts_with(&real) {
                return Err(Error::invalid(format!(
                    "cycle detected: candidate root '{}' contains visited root '{}'",
                    real.display(),
                    a.display()
                )));
            }
        }
        Ok(Loader { fs: self.fs, root: dir, real_root: real, restrictor: self.restrictor, ancestors, openapi: Rc::clone(&self.openapi), threads: self.threads })
    }

    /// Whether `path` names a file (as opposed to a directory or nothing).
    pub fn is_file(&self, path: &str) -> bool {
        self.fs.is_file(&self.resolve(path))
    }

    /// Whether `path` names a directory.
    pub fn is_dir(&self, path: &str) -> bool {
        self.fs.is_dir(&self.resolve(path))
    }

    /// The bytes of a file, refusing files outside the root when restricted.
    pub fn read(&self, path: &str) -> Result<Vec<u8>> {
        let full = self.resolve(path);
        // The restriction is checked before any byte is read. A path that
        // cannot be resolved does not exist, and the read below says so.
        if self.restrictor == LoadRestrictor::RootOnly {
            if let Ok(real) = self.fs.real_path(&full) {
                if !real.starts_with(&self.real_root) {
                    let target = (clean(&real) != clean(&full)).then_some(real);
                    return Err(Error::Restricted { path: full, target, root: self.root.clone() });
                }
            }
        }
        // Reading first and explaining a failure afterwards saves a
        // metadata call per file on the common path.
        self.fs.read(&full).map_err(|e| {
            let reason = if self.fs.is_dir(&full) {
                "is a directory, not a file".to_string()
            } else if !self.fs.is_file(&full) {
                "no such file or directory".to_string()
            } else {
                e.to_string()
            };
            Error::Io { path: full.clone(), reason }
        })
    }

    /// A file as UTF-8 text.
    pub fn read_text(&self, path: &str) -> Result<String> {
        let bytes = self.read(path)?;
        String::from_utf8(bytes).map_err(|_| Error::invalid_at(self.resolve(path), "file is not valid UTF-8"))
    }

    /// Parses a YAML file into its documents.
    pub fn read_yaml(&self, path: &str) -> Result<Vec<Node>> {
        let text = self.read_text(path)?;
        parse_file(&self.resolve(path), &text)
    }

    /// Parses many files at once: they are read one after the other (each
    /// under the load restriction), then parsed on up to the loader's
    /// thread count. Results come in the order of `paths`.
    pub fn read_yaml_all(&self, paths: &[&str]) -> Vec<Result<Vec<Node>>> {
        let texts: Vec<(PathBuf, Result<String>)> = paths.iter().map(|p| (self.resolve(p), self.read_text(p))).collect();
        // Starting threads costs tens of microseconds; below this much text
        // one thread is faster.
        const PARALLEL_BYTES: usize = 256 * 1024;
        let bytes: usize = texts.iter().map(|(_, t)| t.as_ref().map_or(0, String::len)).sum();
        let threads = if bytes < PARALLEL_BYTES { 1 } else { self.threads };
        super::parallel::map_ordered(&texts, threads, 2, |(full, text)| match text {
            Ok(text) => parse_file(full, text),
            Err(e) => Err(e.clone()),
        })
    }

    /// Uses up to `threads` threads where work can be split.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Finds and reads this directory's kustomization file. Returns its
    /// name and text.
    pub fn kustomization_text(&self) -> Result<(String, String)> {
        let mut found = Vec::new();
        for name in KUSTOMIZATION_FILE_NAMES {
            if self.fs.is_file(&self.root.join(name)) {
                found.push(name);
            }
        }
        match found.as_slice() {
            [] => Err(Error::invalid(format!(
                "unable to find one of 'kustomization.yaml', 'kustomization.yml' or 'Kustomization' in directory '{}'",
                self.root.display()
            ))),
            [name] => Ok((name.to_string(), self.read_text(name)?)),
            _ => Err(Error::invalid(format!("Found multiple kustomization files under: {}", self.root.display()))),
        }
    }

    /// A path relative to `base` for messages and origin annotations.
    pub fn relative_to(&self, base: &Path, path: &str) -> String {
        let full = self.resolve(path);
        match full.strip_prefix(base) {
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => full.to_string_lossy().into_owned(),
        }
    }
}

/// The documents of one file's text; errors name the file.
fn parse_file(full: &Path, text: &str) -> Result<Vec<Node>> {
    yaml::parse_stream(text).map_err(|error| Error::Yaml { path: full.to_path_buf(), error })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kustomize::fs::InMemory;

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
        assert!(matches!(l.read("../secret.txt"), Err(Error::Restricted { .. })));
        let open = Loader::new(&fs, Path::new("/p/app"), LoadRestrictor::None).unwrap();
        assert!(open.read("../secret.txt").is_ok());
    }

    #[test]
    fn bases_may_sit_beside_but_not_above() {
        let fs = tree();
        let l = Loader::new(&fs, Path::new("/p/app"), LoadRestrictor::RootOnly).unwrap();
        assert!(l.child("../base").is_ok());
        assert!(l.child("..").is_err());
        assert!(l.child(".").is_err());
    }

    #[test]
    fn finds_exactly_one_kustomization_file() {
        let mut fs = tree();
        let l = Loader::new(&fs, Path::new("/p/app"), LoadRestrictor::RootOnly).unwrap();
        assert_eq!(l.kustomization_text().unwrap().0, "kustomization.yaml");
        fs.add_file("/p/app/Kustomization", "");
        let l = Loader::new(&fs, Path::new("/p/app"), LoadRestrictor::RootOnly).unwrap();
        assert!(l.kustomization_text().is_err());
    }
}
