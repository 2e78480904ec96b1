//! What an attack on the binary found, one class per test: failed writes
//! that exited 0, project files read from outside the project, an output
//! folder replaced although compose never made it, templates without
//! bounds.

// Test helpers fail loudly: a broken fixture is a broken test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// A small project (a base, one component, values) in a fresh folder
/// beside an `outside` folder, both removed when dropped.
struct Project {
    dir: PathBuf,
    root: PathBuf,
}

impl Project {
    fn new(tag: &str) -> Project {
        let dir = std::env::temp_dir().join(format!("compose-it-rel-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let p = Project {
            root: dir.join("project"),
            dir,
        };
        p.write("base/kustomization.yaml", "resources:\n  - sa.yaml\n");
        p.write(
            "base/sa.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n",
        );
        p.write(
            "components/api/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - cm.yaml\n",
        );
        p.write(
            "components/api/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-api\ndata:\n  a: b\n",
        );
        p.write("values/values.yaml", "name: app\n");
        p.write("values/values-dev.yaml", "api:\n  enabled: true\n");
        fs::create_dir_all(p.dir.join("outside")).unwrap();
        p
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    /// A file in the folder beside the project.
    fn outside(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join("outside").join(name);
        fs::write(&path, text).unwrap();
        path
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_compose"));
        cmd.current_dir(&self.root).args(args).stdin(Stdio::null());
        for (k, _) in std::env::vars() {
            if k.starts_with("COMPOSE_") {
                cmd.env_remove(k);
            }
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// The text of a message with the temporary folder replaced by `TMP`.
    fn clean(&self, text: &[u8]) -> String {
        String::from_utf8_lossy(text).replace(&self.dir.to_string_lossy().into_owned(), "TMP")
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("compose exits, it is not killed")
}

/// Runs with stdout (or stderr) on `/dev/full`, where every write fails
/// with "no space left on device".
fn to_full(mut cmd: Command, stream: &str) -> (i32, String) {
    let full = || fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let o = match stream {
        "stdout" => cmd.stdout(full()).output().unwrap(),
        _ => cmd.stderr(full()).output().unwrap(),
    };
    (code(&o), String::from_utf8_lossy(&o.stderr).into_owned())
}

// ---- 1. A failed write never exits 0 -------------------------------------

#[test]
fn a_failed_write_to_stdout_exits_2_and_says_so() {
    let p = Project::new("full");
    for args in [
        &["--env", "dev"][..],
        &["template", "--env", "dev"],
        &["schema"],
        &["argocd", "appset", "--repo-url", "https://example.com/r.git"],
        &["kustomize", "base"],
        &["--help"],
    ] {
        let (code, err) = to_full(p.command(args), "stdout");
        assert_eq!(code, 2, "{args:?}: {err}");
        let prefix = if args[0] == "kustomize" { "Error" } else { "error" };
        assert_eq!(
            err.lines().last(),
            Some(
                format!("{prefix}: cannot write to stdout: No space left on device (os error 28)")
                    .as_str()
            ),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_failed_write_to_stderr_never_panics() {
    let p = Project::new("full-stderr");
    // An error whose message cannot be written keeps its own exit code.
    assert_eq!(to_full(p.command(&["kustomize", "nowhere"]), "stderr").0, 1);
    assert_eq!(to_full(p.command(&["--no-such-flag"]), "stderr").0, 2);
    assert_eq!(
        to_full(p.command(&["--set", "api.replicas=x"]), "stderr").0,
        1
    );
    // A success whose note is lost is no success.
    assert_eq!(
        to_full(p.command(&["validate", "--values-only"]), "stderr").0,
        2
    );
}

#[test]
fn a_closed_pipe_is_not_a_failure() {
    let p = Project::new("pipe");
    // Enough objects that the output cannot fit in the pipe at once.
    let mut resources = String::from("resources:\n");
    for i in 0..2000 {
        p.write(
            &format!("many/cm{i}.yaml"),
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\ndata:\n  a: \"{}\"\n", "x".repeat(100)),
        );
        resources.push_str(&format!("  - cm{i}.yaml\n"));
    }
    p.write("many/kustomization.yaml", &resources);
    let mut child = p
        .command(&["kustomize", "many"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
}

