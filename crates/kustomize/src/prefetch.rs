//! Loading the directories of a long list ahead of the build, on a second
//! thread.
//!
//! An overlay that lists hundreds of components (or bases) builds them one
//! after another, and each starts by reading its kustomization file and
//! the files its `resources:` names: a handful of small files, each an
//! open, a read and a close, then a parse. That loading does not depend on
//! anything built before, so while the build works on one directory a
//! helper thread loads the next few (and the build itself loads one ahead
//! rather than wait for the helper). The build then takes what was loaded
//! instead of reading it again: the helper reads a file only where the
//! build would (it exists where the listing says, and the load restriction
//! allows it, checked here the way the build checks it), so the build
//! need not check again.
//!
//! The helper hands over only what it loaded without a problem. A missing
//! or unreadable file, text that is not UTF-8, YAML that does not parse:
//! the build meets these itself, by reading as it would without the
//! helper, so errors and output are the same bytes with or without it.
//! It also loads only kustomization files and plain resource files; a
//! directory's generators, patches and nested directories are read by the
//! build as usual. It reads nothing the build would refuse to read: it is
//! given only directories the build may enter, and under the root-only
//! restriction it reads only files inside each directory (links
//! resolved), so a file outside is never opened, however large.

use super::fs::{clean, FileSystem};
use super::kustomization::Kustomization;
use super::loader::{kustomization_files, within};
use compose_yaml::Node;
use rustc_hash::FxHashMap as HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

/// Below this many directories the thread is not worth starting: starting
/// and ending it costs about as much as loading a dozen small directories
/// (measured on trees of four to ten components, which build 7% faster
/// without it).
const MIN_DIRS: usize = 16;

/// How far past the directory the build is at the loading may run. The
/// build takes directories in order, so a few are enough to keep it fed,
/// and the bound keeps the parsed files waiting in memory small.
const LOOKAHEAD: usize = 8;

/// What the helper loaded for one directory.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    /// The directory, clean and absolute, as the build resolves it.
    pub(crate) dir: PathBuf,
    /// The full path of its kustomization file, and the file parsed.
    pub(crate) kustomization: Option<(PathBuf, Kustomization)>,
    /// Its resource files, parsed, by full clean path.
    pub(crate) docs: HashMap<PathBuf, Vec<Node>>,
}

/// The list being loaded, shared by the build and the helper.
struct Shared<'f> {
    fs: &'f dyn FileSystem,
    dirs: Vec<PathBuf>,
    /// Loads are restricted to each directory's root.
    restricted: bool,
    state: Mutex<State>,
    /// Signalled when a directory is loaded, the build moves on, or the
    /// build stops.
    changed: Condvar,
}

struct State {
    /// Whether someone has started loading each directory.
    claimed: Vec<bool>,
    /// Loaded directories not yet taken.
    loaded: Vec<Option<Loaded>>,
    /// Directories before this one are behind the build.
    cursor: usize,
    /// The build has stopped taking.
    stopped: bool,
}

impl Shared<'_> {
    /// The first directory in the window ahead of the build that nobody
    /// has started on, claimed for the caller.
    fn claim_next(&self, state: &mut State) -> Option<usize> {
        let end = (state.cursor + LOOKAHEAD).min(self.dirs.len());
        let i = (state.cursor..end).find(|&i| !state.claimed[i])?;
        state.claimed[i] = true;
        Some(i)
    }

    /// The helper: loads directories in order, staying within the window.
    fn help(&self) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        loop {
            if state.stopped || state.cursor >= self.dirs.len() {
                return;
            }
            let Some(i) = self.claim_next(&mut state) else {
                state = match self.changed.wait(state) {
                    Ok(s) => s,
                    Err(_) => return,
                };
                continue;
            };
            drop(state);
            let loaded = load(self.fs, &self.dirs[i], self.restricted);
            state = match self.state.lock() {
                Ok(s) => s,
                Err(_) => return,
            };
            state.loaded[i] = Some(loaded);
            self.changed.notify_all();
        }
    }
}

/// The build's end of the loading: directories in list order.
pub(crate) struct Ahead<'s, 'f> {
    shared: Option<&'s Shared<'f>>,
}

impl Ahead<'_, '_> {
    /// What was loaded for `dir`. The build asks in list order; entries
    /// before `dir` that were not asked for are dropped. While the helper
    /// is still loading `dir`, the build loads the next directory nobody
    /// has started on, or waits when there is none. None when there is no
    /// helper or `dir` is not among the directories still ahead.
    pub(crate) fn take(&mut self, dir: &Path) -> Option<Loaded> {
        let shared = self.shared?;
        let mut state = shared.state.lock().ok()?;
        let j = (state.cursor..shared.dirs.len()).find(|&j| shared.dirs[j] == dir)?;
        for skipped in state.cursor..j {
            state.loaded[skipped] = None;
        }
        state.cursor = j;
        shared.changed.notify_all();
        loop {
            if let Some(loaded) = state.loaded[j].take() {
                state.cursor = j + 1;
                shared.changed.notify_all();
                return Some(loaded);
            }
            // `dir` itself when nobody has started on it, else the next
            // free one; the build waits only when the whole window is taken.
            match shared.claim_next(&mut state) {
                Some(i) => {
                    drop(state);
                    let loaded = load(shared.fs, &shared.dirs[i], shared.restricted);
                    state = shared.state.lock().ok()?;
                    state.loaded[i] = Some(loaded);
                }
                None => state = shared.changed.wait(state).ok()?,
            }
        }
    }
}

/// Runs `body` with a helper loading `dirs` (clean, absolute, in the order
/// the build will ask for them) when there are enough of them and `helper`
/// allows a thread; otherwise `body` gets an [`Ahead`] that has nothing.
/// With `restricted`, only files inside each directory are read.
pub(crate) fn run<R>(
    fs: &dyn FileSystem,
    dirs: Vec<PathBuf>,
    helper: bool,
    restricted: bool,
    body: impl FnOnce(&mut Ahead) -> R,
) -> R {
    if !helper || dirs.len() < MIN_DIRS {
        return body(&mut Ahead { shared: None });
    }
    let n = dirs.len();
    let shared = Shared {
        fs,
        dirs,
        restricted,
        state: Mutex::new(State {
            claimed: vec![false; n],
            loaded: (0..n).map(|_| None).collect(),
            cursor: 0,
            stopped: false,
        }),
        changed: Condvar::new(),
    };
    std::thread::scope(|scope| {
        let started = std::thread::Builder::new()
            .name("load-ahead".into())
            .spawn_scoped(scope, || shared.help());
        // Without a thread, the build reads everything itself.
        let out = body(&mut Ahead {
            shared: started.is_ok().then_some(&shared),
        });
        // A helper waiting for the build to move on stops, so the scope's
        // join returns.
        if let Ok(mut state) = shared.state.lock() {
            state.stopped = true;
        }
        shared.changed.notify_all();
        out
    })
}

/// Loads one directory as far as it goes without a problem. With
/// `restricted`, a file whose real path is outside the directory's is
/// left alone, as the build would refuse it.
fn load(fs: &dyn FileSystem, dir: &Path, restricted: bool) -> Loaded {
    let mut out = Loaded {
        dir: dir.to_path_buf(),
        ..Loaded::default()
    };
    let real_dir = match restricted.then(|| fs.real_path(dir)) {
        Some(Ok(real)) => Some(real),
        Some(Err(_)) => return out,
        None => None,
    };
    let allowed = |path: &Path| match &real_dir {
        Some(root) => fs.real_path(path).is_ok_and(|real| within(&real, root)),
        None => true,
    };
    let [name] = kustomization_files(fs, &out.dir)[..] else {
        return out;
    };
    let path = out.dir.join(name);
    if !allowed(&path) {
        return out;
    }
    let Some(text) = read_text(fs, &path) else {
        return out;
    };
    let Ok(k) = Kustomization::parse(&text, name, &out.dir) else {
        return out;
    };
    for entry in k.str_list("resources") {
        let full = clean(&out.dir.join(&entry));
        if out.docs.contains_key(&full) || !fs.is_file(&full) || !allowed(&full) {
            continue;
        }
        if let Some(docs) = read_text(fs, &full).and_then(|t| compose_yaml::parse_stream(&t).ok()) {
            out.docs.insert(full, docs);
        }
    }
    out.kustomization = Some((path, k));
    out
}

fn read_text(fs: &dyn FileSystem, path: &Path) -> Option<String> {
    fs.read(path).ok().and_then(|b| String::from_utf8(b).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::InMemory;

    fn tree() -> InMemory {
        let mut fs = InMemory::new();
        for i in 0..6 {
            fs.add_file(
                format!("/p/c{i}/kustomization.yaml"),
                "kind: Component\nresources: [a.yaml, missing.yaml, bad.yaml]\n",
            )
            .add_file(
                format!("/p/c{i}/a.yaml"),
                format!("kind: A\nmetadata: {{name: a{i}}}\n"),
            )
            .add_file(format!("/p/c{i}/bad.yaml"), "a: [\n");
        }
        fs
    }

    fn dirs(n: usize) -> Vec<PathBuf> {
        (0..n).map(|i| PathBuf::from(format!("/p/c{i}"))).collect()
    }

    #[test]
    fn hands_over_what_loaded_cleanly_in_order() {
        let fs = tree();
        let got = run(&fs, dirs(MIN_DIRS + 2), true, true, |ahead| {
            // c1 is never asked for: it is skipped over.
            [0, 2, 5].map(|i| ahead.take(Path::new(&format!("/p/c{i}"))).expect("loaded"))
        });
        for (loaded, i) in got.iter().zip([0, 2, 5]) {
            assert_eq!(loaded.dir, PathBuf::from(format!("/p/c{i}")));
            let (path, k) = loaded.kustomization.as_ref().expect("kustomization");
            assert_eq!(path, &PathBuf::from(format!("/p/c{i}/kustomization.yaml")));
            assert!(k.is_component());
            // The file that parses is there; the missing one and the one
            // that does not parse are left for the build to report.
            let keys: Vec<_> = loaded.docs.keys().cloned().collect();
            assert_eq!(keys, vec![PathBuf::from(format!("/p/c{i}/a.yaml"))]);
        }
    }

    #[test]
    fn no_helper_for_short_lists_or_when_not_allowed() {
        let fs = tree();
        assert!(run(&fs, dirs(MIN_DIRS - 1), true, true, |a| a
            .take(Path::new("/p/c0")))
        .is_none());
        assert!(run(&fs, dirs(MIN_DIRS + 2), false, true, |a| a
            .take(Path::new("/p/c0")))
        .is_none());
    }

    #[test]
    fn stopping_early_does_not_hang() {
        let fs = tree();
        // More directories than the queue holds, and only the first taken.
        let many: Vec<PathBuf> = (0..40)
            .map(|i| PathBuf::from(format!("/p/c{}", i % 6)))
            .collect();
        assert!(run(&fs, many, true, true, |a| a.take(Path::new("/p/c0"))).is_some());
    }

    /// A file system that records every file read.
    struct Recording {
        inner: InMemory,
        reads: Mutex<Vec<PathBuf>>,
    }

    impl FileSystem for Recording {
        fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
            if let Ok(mut r) = self.reads.lock() {
                r.push(path.to_path_buf());
            }
            self.inner.read(path)
        }
        fn is_dir(&self, path: &Path) -> bool {
            self.inner.is_dir(path)
        }
        fn is_file(&self, path: &Path) -> bool {
            self.inner.is_file(path)
        }
        fn read_dir(&self, path: &Path) -> std::io::Result<Vec<String>> {
            self.inner.read_dir(path)
        }
    }

    #[test]
    fn restricted_loading_never_reads_outside_a_directory() {
        let mut inner = tree();
        inner.add_file("/p/outside.yaml", "kind: Huge\nmetadata: {name: h}\n");
        for i in 0..6 {
            inner.add_file(
                format!("/p/c{i}/kustomization.yaml"),
                "kind: Component\nresources: [a.yaml, ../outside.yaml]\n",
            );
        }
        let outside = PathBuf::from("/p/outside.yaml");
        for restricted in [true, false] {
            let fs = Recording {
                inner: inner.clone(),
                reads: Mutex::new(Vec::new()),
            };
            let loaded = run(&fs, dirs(MIN_DIRS + 2), true, restricted, |a| {
                (0..6)
                    .map(|i| a.take(Path::new(&format!("/p/c{i}"))).expect("loaded"))
                    .collect::<Vec<_>>()
            });
            let read_outside = fs.reads.lock().unwrap().contains(&outside);
            assert_eq!(read_outside, !restricted, "restricted: {restricted}");
            assert_eq!(
                loaded[0].docs.contains_key(&outside),
                !restricted,
                "restricted: {restricted}"
            );
        }
    }

    #[test]
    fn a_directory_with_two_kustomization_files_is_left_to_the_build() {
        let mut fs = tree();
        fs.add_file("/p/c3/Kustomization", "");
        let loaded = run(&fs, dirs(MIN_DIRS + 2), true, true, |a| {
            a.take(Path::new("/p/c3")).expect("an entry")
        });
        assert!(loaded.kustomization.is_none() && loaded.docs.is_empty());
    }
}
