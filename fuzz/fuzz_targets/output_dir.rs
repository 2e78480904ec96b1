//! `compose render --output-dir DIR` as the command runs it: a stream of
//! objects written one file per object into DIR by `write_output_dir`,
//! over whatever the input puts at DIR and beside it first.
//!
//! Each process works in its own folder of the system's temporary folder
//! (left there when libFuzzer stops). It holds `work/`, the folder DIR is
//! in (DIR is `work/out` unless the input names it), and `outside/`,
//! which holds a file and a folder that looks like compose's output, for
//! links to point at. Both are made again for every input.
//!
//! The input is a stream of objects, one per line:
//! `KIND<TAB>NAMESPACE<TAB>NAME`, then optionally `<TAB>API_VERSION` (`v1`
//! when absent or empty) and `<TAB>TEXT` (the object's `data.value`). An
//! empty NAMESPACE is none; in a field `\n` and `\t` stand for a line
//! break and a tab, and `TEXT*N` is TEXT repeated N times (N at most 300),
//! for long names. A line `-` is a document that is not a mapping; empty
//! lines are skipped. After `#>> NAME` lines come sections:
//! - `--dir`: DIR's name on the first line.
//! - `--state`: what is on disk before the run, one operation per line,
//!   paths relative to the process's folder (`work/out/...`), `{pid}`
//!   replaced by the process id: `d PATH` makes a folder, `f PATH TEXT` a
//!   file, `m PATH` puts compose's marker file in folder PATH, `l PATH
//!   TARGET` makes a symbolic link (TARGET relative, inside the process's
//!   folder), `h PATH SOURCE` a hard link, and `run` writes the objects to
//!   DIR once (its result is not checked).
//!
//! Checks: no panic, errors render; on failure nothing on disk changed
//! (contents, kinds and inode numbers), but leftovers of killed runs may
//! be gone; on success DIR was absent or a folder compose would have
//! written (its marker, `.yaml` files, folders of `.yaml` files), DIR now
//! holds the marker and exactly one file per object, named as
//! `file_names` says, each holding the object's printed document which
//! reads back as the object; nothing beside DIR changed or appeared, and
//! leftovers of killed runs (a marked hidden folder named for DIR, whose
//! process id no process can have) are gone. Valid objects over an absent
//! or compose-written DIR with a plain name must succeed.
#![no_main]

use compose::deploy::output_dir::{file_names, write_output_dir, MARKER};
use compose_fuzz::{has_unicode_break, same_data, split_files};
use compose_yaml::{emit_document, parse_stream, Mapping, Node};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

/// At most this many objects and state operations per input.
const MAX_ITEMS: usize = 100;

/// Above any process id Linux hands out (the largest `pid_max` is 2^22).
const NO_PROCESS: u64 = 1 << 22;

/// The folder of this process.
fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        std::env::temp_dir().join(format!("compose-fuzz-output-dir-{}", std::process::id()))
    })
}

/// One entry on disk, as far as the checks compare them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Dir,
    File(Vec<u8>),
    Link(PathBuf),
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    kind: Kind,
    ino: u64,
}

/// Every entry under `root`, by path relative to it; links not followed.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Entry> {
    let mut out = BTreeMap::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = fs::read_dir(root.join(&rel)) else {
            panic!("reading {}", rel.display());
        };
        for e in entries {
            let e = e.unwrap_or_else(|e| panic!("reading {}: {e}", rel.display()));
            let path = rel.join(e.file_name());
            let full = root.join(&path);
            let m = fs::symlink_metadata(&full)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            let kind = if m.is_dir() {
                stack.push(path.clone());
                Kind::Dir
            } else if m.is_file() {
                Kind::File(fs::read(&full).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            } else if m.file_type().is_symlink() {
                Kind::Link(fs::read_link(&full).unwrap_or_default())
            } else {
                Kind::Other
            };
            out.insert(path, Entry { kind, ino: m.ino() });
        }
    }
    out
}

/// `p` when it is relative, made of plain names only.
fn plain_path(p: &str) -> Option<PathBuf> {
    let path = PathBuf::from(p);
    let plain = !p.is_empty()
        && !p.contains('\0')
        && path.components().all(|c| matches!(c, Component::Normal(_)));
    plain.then_some(path)
}

/// Whether link `target`, placed at `at` (relative to the root), stays
/// inside the root when read as written.
fn target_inside(at: &Path, target: &str) -> bool {
    if target.is_empty() || target.contains('\0') || target.starts_with('/') {
        return false;
    }
    let mut depth = at.components().count() as i64 - 1;
    for c in Path::new(target).components() {
        match c {
            Component::Normal(_) => depth += 1,
            Component::ParentDir => depth -= 1,
            Component::CurDir => {}
            _ => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

/// A field of an object line: `\n` and `\t` unescaped, `TEXT*N` is TEXT
/// repeated N times.
fn field(s: &str) -> String {
    let s = s.replace("\\n", "\n").replace("\\t", "\t");
    if let Some((text, n)) = s.rsplit_once('*') {
        if let Ok(n) = n.parse::<usize>() {
            if n <= 300 {
                return text.repeat(n);
            }
        }
    }
    s
}

fn object(line: &str) -> Node {
    if line == "-" {
        return Node::Seq(vec![Node::str("not an object")]);
    }
    let f: Vec<String> = line.split('\t').map(field).collect();
    let get = |i: usize| f.get(i).cloned().unwrap_or_default();
    let mut meta = Mapping::new();
    meta.insert("name", Node::str(get(2)));
    if !get(1).is_empty() {
        meta.insert("namespace", Node::str(get(1)));
    }
    let mut m = Mapping::new();
    let api = get(3);
    m.insert(
        "apiVersion",
        Node::str(if api.is_empty() {
            "v1".to_string()
        } else {
            api
        }),
    );
    m.insert("kind", Node::str(get(0)));
    m.insert("metadata", Node::Map(meta));
    if let Some(text) = f.get(4) {
        let mut data = Mapping::new();
        data.insert("value", Node::str(text.clone()));
        m.insert("data", Node::Map(data));
    }
    Node::Map(m)
}

/// Whether kubectl would take `doc` as an object: a mapping with
/// non-empty `apiVersion`, `kind` and `metadata.name` strings.
fn is_object(doc: &Node) -> bool {
    [&["apiVersion"][..], &["kind"], &["metadata", "name"]]
        .iter()
        .all(|p| doc.str_at(p).is_some_and(|s| !s.is_empty()))
}

/// Whether the entries at `dir` (relative) are what compose writes: a
/// folder with the marker file, `.yaml` files and folders of `.yaml` files.
fn compose_written(before: &BTreeMap<PathBuf, Entry>, dir: &Path) -> bool {
    if before.get(dir).map(|e| &e.kind) != Some(&Kind::Dir) {
        return false;
    }
    let marker = dir.join(MARKER);
    if !matches!(before.get(&marker).map(|e| &e.kind), Some(Kind::File(_))) {
        return false;
    }
    let yaml = |p: &Path, e: &Entry| {
        matches!(e.kind, Kind::File(_)) && p.extension().is_some_and(|x| x == "yaml")
    };
    before.iter().all(|(p, e)| {
        let Ok(rel) = p.strip_prefix(dir) else {
            return true;
        };
        match rel.components().count() {
            0 => true,
            1 => *p == marker || yaml(p, e) || e.kind == Kind::Dir,
            2 => yaml(p, e),
            _ => false,
        }
    })
}

/// For a name in `work/` of a killed run's hidden folder for DIR `base`:
/// whether it is one at all (a real folder with the marker file) and
/// whether its process id is one no process can have.
fn leftover(before: &BTreeMap<PathBuf, Entry>, p: &Path, base: &str) -> Option<bool> {
    let mut c = p.components();
    if c.next() != Some(Component::Normal("work".as_ref())) || c.clone().count() != 1 {
        return None;
    }
    let name = p.file_name()?.to_str()?;
    let rest = name.strip_prefix(&format!(".{base}.compose-"))?;
    if before.get(p)?.kind != Kind::Dir
        || !matches!(before.get(&p.join(MARKER))?.kind, Kind::File(_))
    {
        return None;
    }
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let ends = matches!(rest[digits.len()..].chars().next(), None | Some('-' | '.'));
    let dead = ends
        && !digits.is_empty()
        && digits
            .parse::<u64>()
            .is_ok_and(|pid| pid >= NO_PROCESS && pid <= u32::MAX as u64);
    Some(dead)
}

fn reset(root: &Path) {
    let _ = fs::remove_dir_all(root);
    for (rel, text) in [
        ("outside/secret", "keep me\n"),
        ("outside/dir/.compose-output", "marker\n"),
        ("outside/dir/namespace-a.yaml", "kind: Namespace\n"),
        ("outside/dir/a/configmap-b.yaml", "kind: ConfigMap\n"),
    ] {
        let path = root.join(rel);
        let made =
            fs::create_dir_all(path.parent().unwrap_or(root)).and_then(|()| fs::write(&path, text));
        if let Err(e) = made {
            panic!("writing {rel}: {e}");
        }
    }
    if let Err(e) = fs::create_dir_all(root.join("work")) {
        panic!("creating work: {e}");
    }
}

/// Carries out one `--state` line; lines that do not fit are skipped.
fn state(root: &Path, line: &str, objects: &[Node], dir: &Path) {
    let line = line.replace("{pid}", &std::process::id().to_string());
    let mut words = line.splitn(3, ' ');
    let op = words.next().unwrap_or("");
    if op == "run" {
        let _ = write_output_dir(objects, dir);
        return;
    }
    let Some(rel) = words.next().and_then(plain_path) else {
        return;
    };
    let arg = words.next().unwrap_or("");
    let path = root.join(&rel);
    let parent = || {
        if let Some(p) = path.parent() {
            let _ = fs::create_dir_all(p);
        }
    };
    match op {
        "d" => {
            let _ = fs::create_dir_all(&path);
        }
        "f" => {
            parent();
            let _ = fs::write(&path, arg);
        }
        "m" => {
            let _ = fs::create_dir_all(&path);
            let _ = fs::write(path.join(MARKER), "marker\n");
        }
        "l" if target_inside(&rel, arg) => {
            parent();
            let _ = std::os::unix::fs::symlink(arg, &path);
        }
        "h" => {
            if let Some(src) = plain_path(arg) {
                parent();
                let _ = fs::hard_link(root.join(src), &path);
            }
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let root = root();
    let sections = split_files(text, "");
    let lines = |name: &str| -> Vec<&str> {
        sections
            .iter()
            .filter(|(n, _)| *n == name)
            .flat_map(|(_, c)| c.lines())
            .collect()
    };
    let objects: Vec<Node> = sections[0]
        .1
        .lines()
        .filter(|l| !l.is_empty())
        .take(MAX_ITEMS)
        .map(object)
        .collect();
    let base = lines("--dir")
        .first()
        .map_or("out".to_string(), |s| s.to_string());
    let Some(dir_rel) = plain_path(&base)
        .filter(|p| p.components().count() == 1)
        .map(|p| Path::new("work").join(p))
    else {
        return;
    };
    let dir = root.join(&dir_rel);

    reset(root);
    for line in lines("--state").iter().take(MAX_ITEMS) {
        state(root, line, &objects, &dir);
    }
    let before = snapshot(root);
    let result = write_output_dir(&objects, &dir);
    let after = snapshot(root);

    let in_dir = |p: &Path| p.starts_with(&dir_rel);
    // Leftovers of killed runs, by folder: whether they must go.
    let leftovers: BTreeMap<&PathBuf, bool> = before
        .keys()
        .filter_map(|p| leftover(&before, p, &base).map(|dead| (p, dead)))
        .collect();
    let removable = |p: &Path| leftovers.keys().any(|l| p.starts_with(l));
    // On success DIR's entries are checked below; on failure none changes.
    let written = |p: &Path| result.is_ok() && in_dir(p);
    for (p, e) in &before {
        if written(p) {
            continue;
        }
        match after.get(p) {
            Some(now) if now == e => {}
            Some(now) => panic!(
                "{} changed ({:?}): {e:?} became {now:?}",
                p.display(),
                result.as_ref().map(|_| ()).map_err(|e| e.to_string())
            ),
            None if removable(p) && !in_dir(p) => {}
            None => panic!("{} was removed: {result:?}", p.display()),
        }
    }
    for p in after.keys() {
        if !before.contains_key(p) && !written(p) {
            panic!("{} was left behind: {result:?}", p.display());
        }
    }

    let names = match result {
        Err(e) => {
            let _ = e.to_string();
            let must_succeed = objects.iter().all(is_object)
                && (!before.contains_key(&dir_rel) || compose_written(&before, &dir_rel))
                && base.len() <= 64
                && base
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            if must_succeed {
                panic!("valid objects over a folder compose may replace failed: {e}");
            }
            return;
        }
        Ok(names) => names,
    };

    if let Some(dead) = leftovers
        .iter()
        .find(|(l, dead)| **dead && after.contains_key(**l))
    {
        panic!("the leftover {} was not removed", dead.0.display());
    }
    if before.contains_key(&dir_rel) && !compose_written(&before, &dir_rel) {
        panic!(
            "replaced {}, which compose did not write",
            dir_rel.display()
        );
    }
    if !objects.iter().all(is_object) {
        panic!("wrote objects that are not Kubernetes objects");
    }
    assert_eq!(names, file_names(&objects), "names differ from file_names");
    let mut expected: BTreeMap<PathBuf, Kind> = BTreeMap::new();
    expected.insert(dir_rel.clone(), Kind::Dir);
    for (doc, name) in objects.iter().zip(&names) {
        let ok = name.components().count() <= 2
            && name.components().all(|c| {
                matches!(c, Component::Normal(s) if !s.to_string_lossy().starts_with('.') && s.len() <= 255)
            })
            && name.extension().is_some_and(|x| x == "yaml");
        if !ok {
            panic!("file name {} is not a plain name", name.display());
        }
        if let Some(parent) = name.parent().filter(|p| !p.as_os_str().is_empty()) {
            expected.insert(dir_rel.join(parent), Kind::Dir);
        }
        let printed = emit_document(doc);
        if expected
            .insert(dir_rel.join(name), Kind::File(printed.clone().into_bytes()))
            .is_some()
        {
            panic!("two objects share {}", name.display());
        }
        if !has_unicode_break(doc) {
            match parse_stream(&printed).as_deref() {
                Ok([back]) if same_data(back, doc) => {}
                other => panic!("{} does not read back: {other:?}", name.display()),
            }
        }
    }
    let marker = dir_rel.join(MARKER);
    if !matches!(after.get(&marker).map(|e| &e.kind), Some(Kind::File(_))) {
        panic!("{} has no marker file", dir_rel.display());
    }
    // The marker's text is compose's own; every other entry is checked.
    let on_disk: BTreeMap<PathBuf, Kind> = after
        .iter()
        .filter(|(p, _)| in_dir(p) && **p != marker)
        .map(|(p, e)| (p.clone(), e.kind.clone()))
        .collect();
    if on_disk != expected {
        let got: Vec<_> = on_disk.keys().collect();
        let want: Vec<_> = expected.keys().collect();
        panic!("{} holds {got:?}, expected {want:?}", dir_rel.display());
    }
});
