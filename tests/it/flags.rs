//! Helm's value flags on the example project: `-f -` and `-f <(...)`,
//! `--set-string`, `--set-json`, `--set-file`, `--set-literal`, their
//! order, case-insensitive `true`/`false`/`null`, and the bounds. Each
//! result is checked against kubectl through the generated kustomization.

use crate::support::{assert_kubectl_agrees, compose_bin, copy_project, run_compose};
use std::io::Write;
use std::process::{Command, Stdio};

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

/// Runs compose in `dir` with `stdin` as its input.
fn with_stdin(dir: &std::path::Path, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(compose_bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut input = child.stdin.take().unwrap_or_else(|| panic!("no stdin"));
    input
        .write_all(stdin.as_bytes())
        .unwrap_or_else(|e| panic!("{e}"));
    drop(input);
    child.wait_with_output().unwrap_or_else(|e| panic!("{e}"))
}

fn failure(dir: &std::path::Path, args: &[&str]) -> String {
    let out = run_compose(dir, args).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    text(&out.stderr)
}

#[test]
fn values_come_from_stdin_and_from_a_pipe() {
    let p = copy_project("flags-stdin").unwrap_or_else(|e| panic!("{e}"));
    let out = with_stdin(
        p.path(),
        &["--env", "dev", "-f", "-"],
        "api:\n  replicas: 7\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("  replicas: 7\n"));
    // A shell's `<(command)` is a /dev/fd path to a pipe.
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} --env dev -f <(printf 'api:\\n  replicas: 8\\n')",
            compose_bin().display()
        ))
        .current_dir(p.path())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("  replicas: 8\n"));
    // An error in stdin's values names it, with an excerpt.
    let out = with_stdin(
        p.path(),
        &["--env", "dev", "-f", "-"],
        "api:\n  replicas: x\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("<stdin>:2:13: api.replicas: \"x\" is not of type integer\n"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_remote_values_file_is_refused_clearly() {
    let p = copy_project("flags-remote").unwrap_or_else(|e| panic!("{e}"));
    let e = failure(
        p.path(),
        &["--env", "dev", "-f", "https://example.com/values.yaml"],
    );
    assert_eq!(
        e,
        "-f https://example.com/values.yaml: remote values files are not supported; download the file and pass its path (or `-f -` to read it from stdin)\n"
    );
}

#[test]
fn each_value_flag_keeps_its_meaning_and_kubectl_agrees() {
    let p = copy_project("flags-kinds").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        p.path().join("motd.txt"),
        "line one\nline two, with a comma\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let args = [
        "--env",
        "dev",
        "--set",
        "api.enabled=TRUE",
        "--set-string",
        "api.image.tag=1.10",
        "--set-json",
        r#"api.nodeSelector={"disk":"ssd"},api.replicas=2"#,
        "--set-file",
        "settings.MOTD=motd.txt",
        "--set-literal",
        r"settings.GREETING=a,b\c",
    ];
    let out = text(&assert_kubectl_agrees(p.path(), &args));
    assert!(out.contains("image: arches/api:1.10\n"), "{out}");
    assert!(out.contains("nodeSelector:\n        disk: ssd\n"), "{out}");
    assert!(out.contains("GREETING: a,b\\c\n"), "{out}");
    assert!(
        out.contains("MOTD: |\n    line one\n    line two, with a comma\n"),
        "{out}"
    );
    // --set applies after --set-json, whatever their order on the line.
    let out = run_compose(
        p.path(),
        [
            "--env",
            "dev",
            "--set",
            "api.replicas=5",
            "--set-json",
            "api.replicas=4",
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(text(&out.stdout).contains("  replicas: 5\n"));
    // null deletes, in any case.
    let out = run_compose(
        p.path(),
        ["template", "--env", "dev", "--set", "api.replicas=NULL"],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let t = text(&out.stdout);
    assert!(
        t.contains("replicas:\n- count: 1\n  name: arches-platform\n"),
        "{t}"
    );
}

#[test]
fn the_schema_still_checks_what_each_flag_sets() {
    let p = copy_project("flags-checked").unwrap_or_else(|e| panic!("{e}"));
    let e = failure(
        p.path(),
        &["--env", "dev", "--set-string", "api.replicas=3"],
    );
    assert_eq!(
        e,
        "--set-string api.replicas=3: api.replicas: \"3\" is not of type integer\n"
    );
    let e = failure(p.path(), &["--env", "dev", "--set-json", "api.replicas=3,"]);
    assert_eq!(
        e,
        "--set-json api.replicas=3,: unexpected text after a JSON value: `,`\n"
    );
    let e = failure(
        p.path(),
        &["--env", "dev", "--set-file", "settings.X=nope.txt"],
    );
    assert!(
        e.starts_with("--set-file settings.X=nope.txt: settings.X: cannot read `nope.txt`: "),
        "{e}"
    );
}

#[test]
fn a_path_deeper_than_the_bound_is_refused() {
    let p = copy_project("flags-deep").unwrap_or_else(|e| panic!("{e}"));
    let deep = format!("{}=x", vec!["a"; 20_000].join("."));
    let e = failure(p.path(), &["--env", "dev", "--set", &deep]);
    assert!(
        e.ends_with(": it is 20000 keys deep; a path has at most 100\n"),
        "{}",
        &e[e.len().saturating_sub(200)..]
    );
}

/// As Helm's `--set` does over its `-f` files, an index edits the list a
/// values file loaded: the production file's one spread constraint keeps
/// its other fields when `--set` changes its `maxSkew`.
#[test]
fn a_set_index_edits_the_list_of_a_values_file() {
    let p = copy_project("flags-index").unwrap_or_else(|e| panic!("{e}"));
    let args = [
        "--env",
        "prod",
        "--set",
        "api.topologySpreadConstraints[0].maxSkew=2",
    ];
    let out = text(&assert_kubectl_agrees(p.path(), &args));
    assert!(
        out.contains(
            "      topologySpreadConstraints:\n      - labelSelector:\n          matchLabels:\n            app.kubernetes.io/component: api\n            app.kubernetes.io/name: arches\n        maxSkew: 2\n        topologyKey: topology.kubernetes.io/zone\n        whenUnsatisfiable: ScheduleAnyway\n"
        ),
        "{out}"
    );
}
