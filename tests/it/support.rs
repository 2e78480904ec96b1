//! Shared helpers: locating the project, running the binary, temporary
//! project copies and readable byte-level diffs.
//!
//! Helpers return `Result<_, String>` so that failures carry a message
//! instead of a bare unwrap panic; tests turn them into `panic!`.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use compose_yaml::{parse_stream, Node};

/// The repository root (the example project).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The compose binary built for this test run.
pub fn compose_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_compose"))
}

/// Runs compose with `args` in `dir` and no stdin.
pub fn run_compose<I, S>(dir: &Path, args: I) -> Result<Output, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Command::new(compose_bin())
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", compose_bin().display()))
}

/// Stdout of a successful run, or a message with the exit status and stderr.
pub fn stdout_of(what: &str, out: Output) -> Result<Vec<u8>, String> {
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "{what} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Whether `kubectl` can be executed.
fn kubectl_available() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .stdin(std::process::Stdio::null())
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Whether a test that needs kubectl can run. Under CI (the `CI`
/// environment variable set) a missing kubectl fails the test, so a
/// differential test never passes without running; elsewhere the test
/// prints that it was skipped and `false` tells it to return.
#[allow(clippy::print_stderr)] // the skip notice must reach the test log
pub fn kubectl_or_skip(test: &str) -> bool {
    if kubectl_available() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test}: kubectl is not on PATH (or does not run), and CI needs it: \
         install kubectl with kustomize v5.5.0"
    );
    eprintln!("skipped: kubectl not on PATH ({test})");
    false
}

/// `kubectl kustomize DIR` stdout.
pub fn kubectl_kustomize(dir: &Path) -> Result<Vec<u8>, String> {
    let out = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run kubectl: {e}"))?;
    stdout_of("kubectl kustomize", out)
}

/// A directory under the system temp dir, removed when dropped.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> Result<TempDir, String> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "compose-it-{tag}-{}-{n}-{nanos}",
            std::process::id()
        ));
        fs::create_dir_all(&path).map_err(|e| format!("mkdir {}: {e}", path.display()))?;
        Ok(TempDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Recursively copies `from` into `to` (which is created).
pub fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("mkdir {}: {e}", to.display()))?;
    let entries = fs::read_dir(from).map_err(|e| format!("read {}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("read {}: {e}", from.display()))?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let ty = entry
            .file_type()
            .map_err(|e| format!("stat {}: {e}", src.display()))?;
        if ty.is_dir() {
            copy_dir(&src, &dst)?;
        } else {
            fs::copy(&src, &dst)
                .map_err(|e| format!("copy {} -> {}: {e}", src.display(), dst.display()))?;
        }
    }
    Ok(())
}

/// The parts of the project compose reads: manifests, values, schema and an
/// optional template override. Build outputs and tests are left behind.
pub const PROJECT_DIRS: &[&str] = &["base", "components", "values", "schema", "templates"];

/// Copies the example project into a fresh temporary directory.
pub fn copy_project(tag: &str) -> Result<TempDir, String> {
    let tmp = TempDir::new(tag)?;
    for dir in PROJECT_DIRS {
        let src = root().join(dir);
        if src.is_dir() {
            copy_dir(&src, &tmp.path().join(dir))?;
        }
    }
    Ok(tmp)
}

/// The property every values feature keeps: `compose ARGS` run in
/// `project` prints exactly what `kubectl kustomize` prints for a copy of
/// the project whose kustomization.yaml is `compose template ARGS`.
/// Returns compose's output.
pub fn assert_kubectl_agrees(project: &Path, args: &[&str]) -> Vec<u8> {
    let shown = args.join(" ");
    let with_template = TempDir::new("property").unwrap_or_else(|e| panic!("{e}"));
    copy_dir(project, with_template.path()).unwrap_or_else(|e| panic!("{e}"));
    let out = run_compose(
        with_template.path(),
        std::iter::once("template").chain(args.iter().copied()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let kustomization =
        stdout_of(&format!("compose template {shown}"), out).unwrap_or_else(|e| panic!("{e}"));
    fs::write(
        with_template.path().join("kustomization.yaml"),
        &kustomization,
    )
    .unwrap_or_else(|e| panic!("write kustomization.yaml: {e}"));
    let oracle = kubectl_kustomize(with_template.path()).unwrap_or_else(|e| panic!("{e}"));
    // compose renders from the untouched project: the saved
    // kustomization.yaml above must not influence it.
    let out = run_compose(project, args).unwrap_or_else(|e| panic!("{e}"));
    let ours = stdout_of(&format!("compose {shown}"), out).unwrap_or_else(|e| panic!("{e}"));
    assert_same_bytes(
        &format!("compose {shown} vs kubectl kustomize of its template"),
        &oracle,
        &ours,
    );
    ours
}

pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))
}

/// Panics with the first differing line when `actual != expected`.
pub fn assert_same_bytes(what: &str, expected: &[u8], actual: &[u8]) {
    if expected == actual {
        return;
    }
    let e = String::from_utf8_lossy(expected);
    let a = String::from_utf8_lossy(actual);
    let el: Vec<&str> = e.lines().collect();
    let al: Vec<&str> = a.lines().collect();
    let mut at = el.len().min(al.len());
    for i in 0..el.len().min(al.len()) {
        if el[i] != al[i] {
            at = i;
            break;
        }
    }
    let lo = at.saturating_sub(3);
    let show = |lines: &[&str]| -> String {
        lines
            .iter()
            .enumerate()
            .skip(lo)
            .take(8)
            .map(|(i, l)| format!("{:>5} | {l}\n", i + 1))
            .collect()
    };
    panic!(
        "{what}: output differs from the expected bytes at line {} (expected {} lines, got {})\n\
         --- expected\n{}--- actual\n{}",
        at + 1,
        el.len(),
        al.len(),
        show(&el),
        show(&al)
    );
}

/// Structural equality of two YAML streams, ignoring mapping key order
/// (the template stage's key order is its own business; kustomize does not
/// depend on it).
pub fn same_yaml(expected: &str, actual: &str) -> Result<bool, String> {
    let e = parse_stream(expected).map_err(|e| format!("expected YAML: {e:?}"))?;
    let a = parse_stream(actual).map_err(|e| format!("actual YAML: {e:?}"))?;
    Ok(e.len() == a.len() && e.iter().zip(a.iter()).all(|(x, y)| same_node(x, y)))
}

fn same_node(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::Map(x), Node::Map(y)) => {
            x.iter().count() == y.iter().count()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_node(v, w)))
        }
        (Node::Seq(x), Node::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(v, w)| same_node(v, w))
        }
        _ => a == b,
    }
}
