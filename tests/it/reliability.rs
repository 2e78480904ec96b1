//! What an attack on the binary found, one class per test: failed writes
//! that exited 0, project files read from outside the project, an output
//! folder replaced although compose never made it, templates without
//! bounds, holes in the engine's root restriction, secret values in
//! messages, input that took unbounded time, memory or stack, and tags of
//! YAML's types that were not checked.

// Test helpers fail loudly: a broken fixture is a broken test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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

/// Runs `cmd` to its end like `Command::output`, but kills it and fails
/// the test when it is still running after `limit`: a command that
/// blocks fails instead of hanging the suite.
fn output_within(mut cmd: Command, limit: Duration) -> Output {
    use std::io::Read;
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            r.read_to_end(&mut bytes).unwrap();
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("still running after {limit:?}: it blocks");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("compose exits, it is not killed")
}

/// Runs with stdout (or stderr) on `/dev/full`, where every write fails
/// with "no space left on device".
fn to_full(mut cmd: Command, stream: &str) -> (i32, String) {
    let full = || {
        fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
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
    // `argocd appset` needs the namespace the render puts objects in.
    p.write(
        "values/values-dev.yaml",
        "namespace: app\napi:\n  enabled: true\n",
    );
    for args in [
        &["--env", "dev"][..],
        &["template", "--env", "dev"],
        &["schema"],
        &[
            "argocd",
            "appset",
            "--repo-url",
            "https://example.com/r.git",
        ],
        &["kustomize", "base"],
        &["--help"],
    ] {
        let (code, err) = to_full(p.command(args), "stdout");
        assert_eq!(code, 2, "{args:?}: {err}");
        let prefix = if args[0] == "kustomize" {
            "Error"
        } else {
            "error"
        };
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
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\ndata:\n  a: \"{}\"\n",
                "x".repeat(100)
            ),
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

// ---- 2. Files compose finds by itself stay inside the project -------------

#[test]
fn shared_values_linked_outside_are_refused_without_showing_them() {
    let p = Project::new("environ");
    fs::remove_file(p.root.join("values/values.yaml")).unwrap();
    symlink("/proc/self/environ", p.root.join("values/values.yaml")).unwrap();
    let o = p
        .command(&["--env", "dev"])
        .env("COMPOSE_LEAK_CANARY", "hunter2-canary")
        .output()
        .unwrap();
    let err = p.clean(&o.stderr);
    assert_eq!(code(&o), 1, "{err}");
    assert!(
        err.starts_with("error: values/values.yaml: resolves to '/proc/"),
        "{err}"
    );
    assert!(err.ends_with("environ', outside the project root 'TMP/project': compose reads only the project's own files there (a file named on the command line may be anywhere)\n"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn every_file_compose_finds_itself_is_confined() {
    let secret = "password: hunter2\n";
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "template",
            "templates/kustomization.yaml.j2",
            &["template", "--env", "dev"],
        ),
        ("environment", "values/values-prod.yaml", &["--env", "prod"]),
        ("bare -f name", "values/extra.yaml", &["-f", "extra.yaml"]),
        ("project file", "compose.yaml", &["template"]),
        (
            "schema check",
            "schema/values.schema.json",
            &["schema", "--check"],
        ),
    ];
    for (case, rel, args) in cases {
        let p = Project::new("confined");
        let target = p.outside("secret.yaml", secret);
        let link = p.root.join(rel);
        fs::create_dir_all(link.parent().unwrap()).unwrap();
        symlink(&target, &link).unwrap();
        let o = p.run(args);
        let err = p.clean(&o.stderr);
        assert_eq!(code(&o), 1, "{case}: {err}");
        assert!(
            err.contains(&format!("{rel}: resolves to 'TMP/outside/secret.yaml', outside the project root 'TMP/project'")),
            "{case}: {err}"
        );
        assert!(!err.contains("hunter2"), "{case}: {err}");
        assert!(o.stdout.is_empty(), "{case}");
    }
    // A folder of the project that is a link out of it.
    let p = Project::new("confined-dir");
    p.outside("values.yaml", secret);
    fs::remove_dir_all(p.root.join("values")).unwrap();
    symlink(p.dir.join("outside"), p.root.join("values")).unwrap();
    let o = p.run(&["template"]);
    let err = p.clean(&o.stderr);
    assert_eq!(code(&o), 1, "{err}");
    assert!(
        err.contains("values/values.yaml: resolves to 'TMP/outside/values.yaml'"),
        "{err}"
    );
}

#[test]
fn special_files_in_the_project_are_refused_before_they_are_opened() {
    let p = Project::new("fifo");
    let fifo = p.root.join("values/values-dev.yaml");
    fs::remove_file(&fifo).unwrap();
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let o = output_within(p.command(&["--env", "dev"]), Duration::from_secs(20));
    assert_eq!(code(&o), 1);
    assert_eq!(
        p.clean(&o.stderr),
        "error: values/values-dev.yaml: is a FIFO, not a regular file\n"
    );
}

#[test]
fn a_file_the_user_names_may_be_anywhere_but_is_never_quoted() {
    let p = Project::new("named");
    let outside = p.outside("v.yaml", "api:\n  replicas: not-a-number\n");
    let o = p.run(&["--env", "dev", "-f", outside.to_str().unwrap()]);
    let err = p.clean(&o.stderr);
    assert_eq!(code(&o), 1, "{err}");
    // Located, but without the excerpt of the file.
    assert_eq!(
        err,
        "TMP/outside/v.yaml:2:13: api.replicas: \"not-a-number\" is not of type integer\n"
    );
    // Inside the project the excerpt stays.
    p.write("mine.yaml", "api:\n  replicas: not-a-number\n");
    let o = p.run(&["--env", "dev", "-f", "mine.yaml"]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("2 |   replicas: not-a-number\n"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // A valid file outside is used.
    let good = p.outside("good.yaml", "namespace: from-outside\n");
    let o = p.run(&["template", "--env", "dev", "-f", good.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("namespace: from-outside\n"));
}

// ---- 4. --output-dir and schema --write -----------------------------------

#[test]
fn output_dir_never_replaces_a_folder_compose_did_not_create() {
    let p = Project::new("outdir");
    let o = p.run(&["build", "--env", "dev", "--output-dir", "values"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        p.clean(&o.stderr),
        "error: refusing to replace values: compose did not create it (it has no .compose-output file); remove it or name a new folder\n"
    );
    assert_eq!(
        fs::read_to_string(p.root.join("values/values.yaml")).unwrap(),
        "name: app\n"
    );
    // A folder compose made is marked, and replaced on the next run.
    let o = p.run(&["build", "--env", "dev", "--output-dir", "out"]);
    assert_eq!(code(&o), 0, "{}", p.clean(&o.stderr));
    assert!(p.root.join("out/.compose-output").is_file());
    assert!(p.root.join("out/configmap-app-api.yaml").is_file());
    let o = p.run(&["build", "--output-dir", "out"]);
    assert_eq!(code(&o), 0, "{}", p.clean(&o.stderr));
    assert!(!p.root.join("out/configmap-app-api.yaml").exists());
    assert!(p.root.join("out/serviceaccount-app.yaml").is_file());
}

#[test]
fn output_dir_removes_what_killed_runs_left() {
    let p = Project::new("outdir-leftover");
    let o = p.run(&["build", "--env", "dev", "--output-dir", "out"]);
    assert_eq!(code(&o), 0, "{}", p.clean(&o.stderr));
    // A run killed after filling its folder leaves it beside `out`.
    let left = p.root.join(".out.compose-4294967295-7-0");
    fs::create_dir(&left).unwrap();
    fs::copy(
        p.root.join("out/.compose-output"),
        left.join(".compose-output"),
    )
    .unwrap();
    let o = p.run(&["build", "--env", "dev", "--output-dir", "out"]);
    assert_eq!(code(&o), 0, "{}", p.clean(&o.stderr));
    assert!(!left.exists());
    let hidden: Vec<String> = fs::read_dir(&p.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert_eq!(hidden, Vec::<String>::new());
}

#[test]
fn schema_write_never_writes_through_a_link_out_of_the_project() {
    let p = Project::new("schema-link");
    let target = p.outside("schema.json", "theirs\n");
    fs::create_dir_all(p.root.join("schema")).unwrap();
    symlink(&target, p.root.join("schema/values.schema.json")).unwrap();
    let o = p.run(&["schema", "--write"]);
    assert_eq!(code(&o), 0, "{}", p.clean(&o.stderr));
    assert_eq!(fs::read_to_string(&target).unwrap(), "theirs\n");
    let written = p.root.join("schema/values.schema.json");
    assert!(fs::symlink_metadata(&written).unwrap().is_file());
    assert_eq!(code(&p.run(&["schema", "--check"])), 0);
    // A schema folder that leads out of the project is refused.
    fs::remove_dir_all(p.root.join("schema")).unwrap();
    symlink(p.dir.join("outside"), p.root.join("schema")).unwrap();
    let o = p.run(&["schema", "--write"]);
    assert_eq!(code(&o), 2);
    assert_eq!(
        p.clean(&o.stderr),
        "error: cannot write schema/values.schema.json: resolves to 'TMP/outside', outside the project root 'TMP/project': compose reads only the project's own files there (a file named on the command line may be anywhere)\n"
    );
    assert!(!p.dir.join("outside/values.schema.json").exists());
}

// ---- 5. Templates are bounded -----------------------------------------------

#[test]
fn templates_run_under_fuel_depth_and_size_limits() {
    let cases: &[(&str, &str)] = &[
        (
            "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n",
            "templates/kustomization.yaml.j2:1:41: the template ran out of fuel",
        ),
        (
            "{% macro d(s, n) %}{% if n > 0 %}{{ d(s ~ s, n - 1) }}{% else %}{{ s|length }}{% endif %}{% endmacro %}{{ d('xx', 60) }}\n",
            "templates/kustomization.yaml.j2:1:39: the template ran out of fuel",
        ),
        (
            "{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}\n",
            "templates/kustomization.yaml.j2:1:20: the template nests too deeply",
        ),
        (
            "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}\n",
            "templates/kustomization.yaml.j2:1:32: the template's output exceeds the limit of 8 MiB",
        ),
        (
            "{{ 'x' | nindent(18446744073709551615) }}\n",
            "templates/kustomization.yaml.j2:1:10: invalid operation: nindent(18446744073709551615): the width must be 0 to 1024",
        ),
        (
            "{{ 'x' | indent(9223372036854775807) }}\n",
            "templates/kustomization.yaml.j2:1:10: invalid operation: indent(9223372036854775807): the width must be 0 to 1024",
        ),
        (
            "{{ 'x' * 9223372036854775807 }}\n",
            "templates/kustomization.yaml.j2:1:4: the template ran out of fuel",
        ),
    ];
    for (template, expected) in cases {
        let p = Project::new("template-limits");
        p.write("templates/kustomization.yaml.j2", template);
        let started = Instant::now();
        let o = p.run(&["template", "--env", "dev"]);
        let err = p.clean(&o.stderr);
        assert!(started.elapsed() < Duration::from_secs(30), "{template}");
        assert_eq!(code(&o), 1, "{template}: {err}");
        assert!(err.starts_with(expected), "{template}: {err}");
        assert!(o.stdout.is_empty());
    }
}

// ---- 3. The engine's root restriction ----------------------------------------

/// Runs `compose kustomize DIR` (plus `extra` flags) and gives (exit
/// code, stderr with the temporary folder as `TMP`).
fn kustomize(p: &Project, dir: &str, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["kustomize", dir];
    args.extend_from_slice(extra);
    let o = p.run(&args);
    (code(&o), p.clean(&o.stderr))
}

const NONE: &[&str] = &["--load-restrictor", "LoadRestrictionsNone"];

#[test]
fn absolute_bases_and_components_are_refused_as_kubectl_does() {
    let p = Project::new("absolute");
    let base = p.root.join("base");
    p.write(
        "abs-resource/kustomization.yaml",
        &format!("resources:\n- {}\n", base.display()),
    );
    p.write(
        "abs-component/kustomization.yaml",
        &format!(
            "components:\n- {}\n",
            p.root.join("components/api").display()
        ),
    );
    for extra in [&[][..], NONE] {
        let (code, err) = kustomize(&p, "abs-resource", extra);
        assert_eq!(code, 1, "{err}");
        assert_eq!(
            err,
            "Error: accumulating resources: new root 'TMP/project/base' cannot be absolute (at abs-resource/kustomization.yaml:2:3)\n"
        );
        let (code, err) = kustomize(&p, "abs-component", extra);
        assert_eq!(code, 1, "{err}");
        assert_eq!(
            err,
            "Error: accumulating components: new root 'TMP/project/components/api' cannot be absolute (at abs-component/kustomization.yaml:2:3)\n"
        );
    }
}

#[test]
fn a_linked_directory_that_leads_out_of_the_root_is_refused_unless_allowed() {
    let p = Project::new("linked-dir");
    let elsewhere = p.dir.join("outside/base");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::copy(p.root.join("base/sa.yaml"), elsewhere.join("sa.yaml")).unwrap();
    fs::write(
        elsewhere.join("kustomization.yaml"),
        "resources:\n- sa.yaml\n",
    )
    .unwrap();
    p.write("overlay/kustomization.yaml", "resources:\n- linked\n");
    symlink(&elsewhere, p.root.join("overlay/linked")).unwrap();
    let (code, err) = kustomize(&p, "overlay", &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(err, "Error: accumulating resources: security; file 'TMP/project/overlay/linked' (a link to 'TMP/outside/base') is not in or below 'TMP/project/overlay' (at overlay/kustomization.yaml:2:3; help: loads are restricted to the kustomization root; pass --load-restrictor LoadRestrictionsNone to allow it)\n");
    let (code, err) = kustomize(&p, "overlay", NONE);
    assert_eq!(code, 0, "{err}");
    // A base named outside the root (`../base`) may be anywhere, as in
    // kustomize, and a link that stays inside is followed.
    p.write(
        "overlay2/kustomization.yaml",
        "resources:\n- ../base\n- inner\n",
    );
    symlink(p.root.join("overlay2/real"), p.root.join("overlay2/inner")).unwrap();
    p.write(
        "overlay2/real/kustomization.yaml",
        "resources:\n- cm.yaml\n",
    );
    p.write(
        "overlay2/real/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: inner\n",
    );
    let (code, err) = kustomize(&p, "overlay2", &[]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn nothing_outside_the_root_is_read_before_the_restriction_allows_it() {
    // A huge (sparse) file outside the root, listed by every component of
    // a list long enough for the build to load components ahead on a
    // second thread. Reading it would take 64 GiB; kubectl gives the
    // security error, and so must compose, at once.
    let p = Project::new("sparse");
    let huge = p.dir.join("outside/huge.yaml");
    fs::File::create(&huge).unwrap().set_len(64 << 30).unwrap();
    let mut top = String::from("components:\n");
    for i in 0..40 {
        p.write(
            &format!("many/c{i}/kustomization.yaml"),
            "kind: Component\nresources:\n- ../../../outside/huge.yaml\n",
        );
        top.push_str(&format!("- c{i}\n"));
    }
    p.write("many/kustomization.yaml", &top);
    let started = Instant::now();
    let (code, err) = kustomize(&p, "many", &[]);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "security; file 'TMP/outside/huge.yaml' is not in or below 'TMP/project/many/c0'"
        ),
        "{err}"
    );
}

// ---- 6. Secret values never reach a message -----------------------------------

/// Every line of every secret holds this, and JSON or YAML escaping leaves
/// it as it is: a message that quotes any line, in any of those forms,
/// shows it.
const MARK: &str = "s3cr3tM4rk";

/// Secret values of the shapes that slipped through: a PEM key (many
/// lines), quotes of both kinds, backslashes, non-ASCII text, characters
/// Go's JSON encoder escapes, and a long single line.
fn secret_shapes() -> Vec<(&'static str, String)> {
    let pem_body: String = (0..6)
        .map(|i| format!("MIIEv{MARK}{i}QIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC{i}\n"))
        .collect();
    vec![
        (
            "pem",
            format!(
                "-----BEGIN PRIVATE KEY {MARK}-----\n{pem_body}-----END PRIVATE KEY {MARK}-----\n"
            ),
        ),
        ("quotes", format!("pa\"ss'w{MARK}\"rd\"")),
        ("backslashes", format!("C:\\temp\\{MARK}\\x\\\\y")),
        ("unicode", format!("mötör-{MARK}-日本語-ß")),
        ("go-escapes", format!("<{MARK}>&\u{2028}tail")),
        ("long", format!("{MARK}{}", "x".repeat(300))),
    ]
}

/// Base64 as `base64` writes it: lines of 76 characters.
fn base64_wrapped(value: &str) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(value);
    b64.as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// `value` as a YAML block scalar at `indent` spaces (keeping its final
/// line break or not).
fn block(value: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let chomp = if value.ends_with('\n') { "|" } else { "|-" };
    let body: String = value.lines().map(|l| format!("{pad}{l}\n")).collect();
    format!("{chomp}\n{body}")
}

/// Whether `text` shows `value`: the mark, or 16 characters running of the
/// value's base64 (unwrapped).
fn shows(text: &str, value: &str) -> bool {
    use base64::Engine as _;
    if text.contains(MARK) {
        return true;
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(value);
    let b = b64.as_bytes();
    (0..b.len().saturating_sub(16)).any(|i| text.contains(&b64[i..i + 16]))
}

#[test]
fn secret_values_of_every_shape_stay_out_of_every_message() {
    let p = Project::new("secret-shapes");
    for (shape, value) in secret_shapes() {
        let string_data = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password: {}",
            block(&value, 4)
        );
        let data = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: e\ndata:\n  password: {}",
            block(&base64_wrapped(&value), 4)
        );
        let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {x: plain}\n";
        let patch_json = serde_json_text(&value);
        let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
            ("replacement-source", vec![
                ("kustomization.yaml", "resources: [s.yaml]\nreplacements:\n- source: {kind: Secret, fieldPath: stringData.password, options: {delimiter: '/', index: 9}}\n  targets: [{select: {kind: Secret}, fieldPaths: [metadata.annotations.x]}]\n".into()),
                ("s.yaml", string_data.clone()),
            ]),
            ("replacement-encoded", vec![
                ("kustomization.yaml", "resources: [e.yaml]\nreplacements:\n- source: {kind: Secret, fieldPath: data.password, options: {delimiter: '/', index: 9}}\n  targets: [{select: {kind: Secret}, fieldPaths: [metadata.annotations.x]}]\n".into()),
                ("e.yaml", data.clone()),
            ]),
            ("node-contents-as-json", vec![
                ("kustomization.yaml", "resources: [s.yaml]\nnamePrefix: p-\nconfigurations: [conf.yaml]\n".into()),
                ("s.yaml", string_data.clone()),
                ("conf.yaml", "namePrefix:\n- path: stringData\n  kind: Secret\n".into()),
            ]),
            ("node-contents-as-json-encoded", vec![
                ("kustomization.yaml", "resources: [e.yaml]\nnamePrefix: p-\nconfigurations: [conf.yaml]\n".into()),
                ("e.yaml", data.clone()),
                ("conf.yaml", "namePrefix:\n- path: data\n  kind: Secret\n".into()),
            ]),
            ("replacement-target", vec![
                ("kustomization.yaml", "resources: [s.yaml, c.yaml]\nreplacements:\n- source: {kind: ConfigMap, fieldPath: data.x}\n  targets: [{select: {kind: Secret}, fieldPaths: [stringData.password.deeper]}]\n".into()),
                ("s.yaml", string_data.clone()),
                ("c.yaml", cm.into()),
            ]),
            ("json-patch-test", vec![
                ("kustomization.yaml", "resources: [s.yaml]\npatches:\n- target: {kind: Secret}\n  patch: '[{op: test, path: /stringData/password, value: guess}]'\n".into()),
                ("s.yaml", string_data.clone()),
            ]),
            ("smp-wrong-kind", vec![
                ("kustomization.yaml", "resources: [s.yaml]\npatches:\n- path: p.yaml\n".into()),
                ("s.yaml", string_data.clone()),
                ("p.yaml", "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password:\n    nested: x\n".into()),
            ]),
            ("patch-carries-a-new-value", vec![
                ("kustomization.yaml", "resources: [c.yaml]\npatches:\n- path: p.yaml\n".into()),
                ("c.yaml", cm.into()),
                ("p.yaml", format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: missing\nstringData:\n  password: {}", block(&value, 4))),
            ]),
            ("json-patch-without-target", vec![
                ("kustomization.yaml", "resources: [c.yaml]\npatches:\n- path: p.json\n".into()),
                ("c.yaml", cm.into()),
                ("p.json", format!("[{{\"op\": \"add\", \"path\": \"/stringData/password\", \"value\": {patch_json}}}]")),
            ]),
            ("yaml-tag", vec![
                ("kustomization.yaml", "resources: [t.yaml]\n".into()),
                ("t.yaml", format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: t\nstringData:\n  password: !!int {patch_json}\n")),
            ]),
            ("generator-literal", vec![
                ("kustomization.yaml", format!("secretGenerator:\n- name: g\n  literals:\n  - {patch_json}\n")),
            ]),
        ];
        for (case, files) in cases {
            let dir = format!("{shape}-{case}");
            for (rel, text) in &files {
                p.write(&format!("{dir}/{rel}"), text);
            }
            let o = p.run(&["kustomize", &dir]);
            let err = String::from_utf8_lossy(&o.stderr).into_owned();
            assert_eq!(code(&o), 1, "{dir}: {err}");
            assert!(err.starts_with("Error: "), "{dir}: {err}");
            assert!(!shows(&err, &value), "{dir} leaks the secret: {err}");
        }
    }
}

/// `compose validate`: the schema library quotes a rejected value as JSON.
#[test]
fn validate_never_quotes_a_secret() {
    for (shape, value) in secret_shapes() {
        let p = Project::new("secret-validate");
        p.write(
            "components/api/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - cm.yaml\n  - s.yaml\n",
        );
        p.write(
            "components/api/s.yaml",
            &format!(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  password:\n    - {}\n",
                serde_json_text(&value)
            ),
        );
        let o = p.run(&["validate", "--env", "dev"]);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(code(&o), 1, "{shape}: {err}");
        assert!(err.contains("stringData.password"), "{shape}: {err}");
        assert!(!shows(&err, &value), "{shape} leaks the secret: {err}");
    }
}

/// `value` as a JSON string (which YAML reads too).
fn serde_json_text(value: &str) -> String {
    serde_json::to_string(value).unwrap()
}

// ---- 7. Bounds --------------------------------------------------------------

#[test]
fn fifos_and_devices_are_refused_before_they_are_opened() {
    let p = Project::new("special");
    let mkfifo = |rel: &str| {
        let path = p.root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        assert!(Command::new("mkfifo")
            .arg(&path)
            .status()
            .unwrap()
            .success());
    };
    let cases: &[(&str, &str)] = &[
        ("resource", "resources:\n- fifo.yaml\n"),
        (
            "patch",
            "resources:\n- ../base\npatches:\n- path: fifo.yaml\n",
        ),
        (
            "env",
            "configMapGenerator:\n- name: c\n  envs:\n  - fifo.yaml\n",
        ),
        (
            "file",
            "configMapGenerator:\n- name: c\n  files:\n  - fifo.yaml\n",
        ),
    ];
    for (case, kustomization) in cases {
        p.write(&format!("{case}/kustomization.yaml"), kustomization);
        mkfifo(&format!("{case}/fifo.yaml"));
        let o = output_within(p.command(&["kustomize", case]), Duration::from_secs(20));
        let (code, err) = (code(&o), p.clean(&o.stderr));
        assert_eq!(code, 1, "{case}: {err}");
        assert!(
            err.contains(&format!("TMP/project/{case}/fifo.yaml: is not a regular file (a FIFO, a socket or a device)")),
            "{case}: {err}"
        );
    }
    // A device behind a link: outside the root, and not a file either.
    p.write(
        "device/kustomization.yaml",
        "configMapGenerator:\n- name: c\n  files:\n  - zero\n",
    );
    symlink("/dev/zero", p.root.join("device/zero")).unwrap();
    let (code, err) = kustomize(&p, "device", &[]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("security; file 'TMP/project/device/zero' (a link to '/dev/zero')"),
        "{err}"
    );
    let (code, err) = kustomize(&p, "device", NONE);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("TMP/project/device/zero: is not a regular file"),
        "{err}"
    );
}

#[test]
fn deep_trees_build_without_overflowing_the_stack() {
    // 2,000 bases, each inside the next (kubectl builds 2,500): this once
    // overflowed the stack and aborted.
    let p = Project::new("deep");
    let n = 2000;
    for i in 0..n {
        let next = if i + 1 < n {
            format!("- ../l{}\n", i + 1)
        } else {
            String::new()
        };
        p.write(
            &format!("deep/l{i}/kustomization.yaml"),
            &format!("resources:\n{next}- cm.yaml\n"),
        );
        p.write(
            &format!("deep/l{i}/cm.yaml"),
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c{i}\n"),
        );
    }
    let o = p.run(&["kustomize", "deep/l0"]);
    assert_eq!(code(&o), 0, "{}", p.clean(&o.stderr));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.matches("kind: ConfigMap").count(), n);
}

#[test]
fn a_map_of_200000_keys_takes_linear_time() {
    // Finding a repeated key was a scan of the keys so far: 100,000 keys
    // took 10 s, and 200,000 four times as long.
    let p = Project::new("wide");
    let mut cm = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: wide\ndata:\n");
    let mut values = String::from("x:\n");
    for i in 0..200_000 {
        cm.push_str(&format!("  key{i}: v{i}\n"));
        values.push_str(&format!("  key{i}: v{i}\n"));
    }
    p.write("wide/cm.yaml", &cm);
    p.write("wide/kustomization.yaml", "resources:\n- cm.yaml\n");
    p.write("wide-values.yaml", &values);
    let started = Instant::now();
    let o = p.run(&["kustomize", "wide"]);
    assert_eq!(code(&o), 0, "{}", p.clean(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).lines().count(),
        200_000 + 5
    );
    let o = p.run(&["validate", "--values-only", "-f", "wide-values.yaml"]);
    assert_eq!(code(&o), 1);
    let err = p.clean(&o.stderr);
    assert!(
        err.starts_with("wide-values.yaml:1:1: x: unknown key `x`"),
        "{}",
        &err[..err.len().min(300)]
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn positions_of_deep_values_take_memory_linear_in_the_file() {
    // 240 KB of values: 100 levels of 1,000-character keys around 14,000
    // values. Positions kept as one full JSON pointer per value took
    // 4.4 GB; the process may use 1 GiB of address space here.
    let p = Project::new("deep-values");
    let mut text = String::from("x_deep: ");
    for d in 0..100 {
        text.push_str(&format!("{{k{d:03}{}: ", "k".repeat(996)));
    }
    let leaves: Vec<String> = (0..14_000).map(|i| format!("c{i}: v")).collect();
    text.push_str(&format!("{{{}}}", leaves.join(", ")));
    text.push_str(&"}".repeat(100));
    text.push('\n');
    p.write("deep-values.yaml", &text);
    let mut cmd = p.command(&["validate", "--values-only", "-f", "deep-values.yaml"]);
    // SAFETY: setrlimit only changes this child's own limit before exec.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 1 << 30,
                rlim_max: 1 << 30,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = cmd.output().unwrap();
    let err = p.clean(&o.stderr);
    let head = &err[..err.len().min(300)];
    assert_eq!(code(&o), 1, "{head}");
    assert!(
        err.starts_with("deep-values.yaml:1:1: x_deep: unknown key `x_deep`"),
        "{head}"
    );
}

// ---- 8. YAML tags -------------------------------------------------------------

#[test]
fn tags_of_yaml_types_that_do_not_fit_are_refused_as_kubectl_refuses_them() {
    // `!!null some-text` became null, and a bad `!!timestamp` or a
    // verbatim tag was left a string; kubectl refuses all three. The
    // value is not quoted: it may be a Secret's.
    let p = Project::new("tags");
    let cases = [
        ("null", "!!null some-text", "!!null"),
        ("timestamp", "!!timestamp not-a-time", "!!timestamp"),
        ("verbatim", "!<tag:yaml.org,2002:int> twelve", "!!int"),
    ];
    for (case, value, tag) in cases {
        p.write(
            &format!("tags-{case}/kustomization.yaml"),
            "resources:\n- x.yaml\n",
        );
        p.write(
            &format!("tags-{case}/x.yaml"),
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {value}\n"
            ),
        );
        let (code, err) = kustomize(&p, &format!("tags-{case}"), &[]);
        assert_eq!(code, 1, "{case}: {err}");
        assert_eq!(
            err,
            format!("Error: accumulating resources: accumulating resources from 'x.yaml': invalid YAML: cannot decode this !!str as a {tag} (at tags-{case}/x.yaml:6:6)\n"),
            "{case}"
        );
    }
    // Values that fit print as kubectl prints them.
    p.write("tags-fit/kustomization.yaml", "resources:\n- x.yaml\n");
    p.write(
        "tags-fit/x.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    t: !!timestamp 2001-12-14t21:59:43.10-05:00\ndata:\n  t: !!timestamp 2001-12-14t21:59:43.10-05:00\n  n: !!null ~\n  b: !!binary aGVsbG8=\nspec:\n  t: !!timestamp 2001-12-14\n  n: !!null\n  b: !!binary aGVsbG8=\n  v: !<tag:yaml.org,2002:int> 12\n",
    );
    let o = p.run(&["kustomize", "tags-fit"]);
    assert_eq!(code(&o), 0, "{}", p.clean(&o.stderr));
    // From kubectl kustomize (v5.5.0).
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "apiVersion: v1\ndata:\n  b: hello\n  \"n\": null\n  t: \"2001-12-14T21:59:43.1-05:00\"\nkind: ConfigMap\nmetadata:\n  labels:\n    t: \"2001-12-14T21:59:43.1-05:00\"\n  name: x\nspec:\n  b: hello\n  \"n\": null\n  t: \"2001-12-14T00:00:00Z\"\n  v: 12\n"
    );
}

/// A project's file linked out of the project is refused with a fix that
/// compose's project commands can follow: they have no
/// `--load-restrictor`, so the help says to copy the file in.
#[test]
fn a_project_file_linked_outside_is_refused_with_a_fix_that_applies() {
    let p = Project::new("linked-resource");
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-api\n";
    let target = p.outside("cm.yaml", cm);
    fs::remove_file(p.root.join("components/api/cm.yaml")).unwrap();
    symlink(&target, p.root.join("components/api/cm.yaml")).unwrap();
    let o = p.run(&["--env", "dev"]);
    let err = p.clean(&o.stderr);
    assert_eq!(code(&o), 1, "{err}");
    assert!(err.contains("is not in or below"), "{err}");
    assert!(
        err.contains("help: a project's files must be inside the project, links resolved: copy the file (or folder) into the project instead of linking to it"),
        "{err}"
    );
    assert!(!err.contains("--load-restrictor"), "{err}");
    assert!(o.stdout.is_empty());
}
