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
//! instead of reading it again, after the checks it makes for every
//! read (the file must exist where the listing says, and the load
//! restriction must allow it).
//!
//! The helper hands over only what it loaded without a problem. A missing
//! or unreadable file, text that is not UTF-8, YAML that does not parse:
//! the build meets these itself, by reading as it would without the
//! helper, so errors and output are the same bytes with or without it.
//! It also loads only kustomization files and plain resource files; a
//! directory's generators, patches and nested directories are read by the
//! build as usual.

use super::fs::{clean, FileSystem};
use super::kustomization::Kustomization;
use super::loader::kustomization_files;
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
pub struct Loaded {
    /// The directory, clean and absolute, as the build resolves it.
    pub dir: PathBuf,
    /// The full path of its kustomization file, and the file parsed.
    pub kustomization: Option<(PathBuf, Kustomization)>,
    /// Its resource files, parsed, by full clean path.
    pub docs: HashMap<PathBuf, Vec<Node>>,
}

/// The list being loaded, shared by the build and the helper.
struct Shared<'f> {
    fs: &'f dyn FileSystem,
    dirs: Vec<PathBuf>,
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
            let loaded = load(self.fs, &self.dirs[i]);
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
pub struct Ahead<'s, 'f> {
    shared: Option<&'s Shared<'f>>,
}

impl Ahead<'_, '_> {
    /// What was loaded for `dir`. The build asks in list order; entries
    /// before `dir` that were not asked for are dropped. While the helper
    /// is still loading `dir`, the build loads the next directory nobody
    /// has started on, or waits when there is none. None when there is no
    /// helper or `dir` is not among the directories still ahead.
    pub fn take(&mut self, dir: &Path) -> Option<Loaded> {
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
                    let loaded = load(shared.fs, &shared.dirs[i]);
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
pub fn run<R>(
    fs: &dyn FileSystem,
    dirs: Vec<PathBuf>,
    helper: bool,
    body: impl FnOnce(&mut Ahead) -> R,
) -> R {
    if !helper || dirs.len() < MIN_DIRS {
        return body(&mut Ahead { shared: None });
    }
    let n = dirs.len();
    let shared = Shared {
        fs,
        dirs,
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

/// Loads one directory as far as it goes without a problem.
fn load(fs: &dyn FileSystem, dir: &Path) -> Loaded {
    let mut out = Loaded {
        dir: dir.to_path_buf(),
        ..Loaded::default()
    };
    let [name] = kustomization_files(fs, &out.dir)[..] else {
        return out;
    };
    let path = out.dir.join(name);
    let Some(text) = read_text(fs, &path) else {
        return out;
    };
    let Ok(k) = Kustomization::parse(&text, name, &out.dir) else {
        return out;
    };
    for entry in k.str_list("resources") {
        let full = clean(&out.dir.join(&entry));
        if out.docs.contains_key(&full) || !fs.is_file(&full) {
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
        let got = run(&fs, dirs(MIN_DIRS + 2), true, |ahead| {
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
        assert!(run(&fs, dirs(MIN_DIRS - 1), true, |a| a
            .take(Path::new("/p/c0")))
        .is_none());
        assert!(run(&fs, dirs(MIN_DIRS + 2), false, |a| a
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
        assert!(run(&fs, many, true, |a| a.take(Path::new("/p/c0"))).is_some());
    }

    #[test]
    fn a_directory_with_two_kustomization_files_is_left_to_the_build() {
        let mut fs = tree();
        fs.add_file("/p/c3/Kustomization", "");
        let loaded = run(&fs, dirs(MIN_DIRS + 2), true, |a| {
            a.take(Path::new("/p/c3")).expect("an entry")
        });
        assert!(loaded.kustomization.is_none() && loaded.docs.is_empty());
    }
}
