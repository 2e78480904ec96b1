//! The compose binary end to end, on small projects made in temporary
//! directories: layering, `--set` typing, located errors, the template,
//! the schema file and the in-memory build.

// Test helpers fail loudly: a broken fixture is a broken test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A throwaway project directory, removed when dropped.
struct Project {
    root: PathBuf,
}

impl Project {
    /// A project with a base, two components (`api`, `redis`) and values.
    fn new(name: &str) -> Project {
        let root = std::env::temp_dir().join(format!("compose-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let p = Project { root };
        p.write("base/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - serviceaccount.yaml\n");
        p.write(
            "base/serviceaccount.yaml",
            "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n",
        );
        p.write("components/api/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - deployment.yaml\n");
        p.write(
            "components/api/deployment.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-api\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n        - name: api\n          image: app/api:old\n",
        );
        p.write("components/redis/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - service.yaml\n");
        p.write("components/redis/service.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: app-redis\nspec:\n  ports:\n    - port: 6379\n");
        p.write(
            "values/values.yaml",
            "name: app\napi:\n  image:\n    repository: app/api\n",
        );
        p.write("values/values-dev.yaml", "api:\n  enabled: true\n");
        p
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Runs compose in the project root with a clean values environment.
    fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_compose"));
        cmd.current_dir(&self.root).args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("COMPOSE_VALUES__") {
                cmd.env_remove(k);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

#[test]
fn wrong_type_is_reported_at_its_file_line_and_column() {
    let p = Project::new("wrong-type");
    p.write(
        "values/bad.yaml",
        "api:\n  enabled: true\n  replicas: three\n",
    );
    let o = p.run(&["--values", "bad.yaml"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert_eq!(stderr(&o), "values/bad.yaml:3:13: api.replicas: \"three\" is not of type integer\n  |\n3 |   replicas: three\n  |             ^\n");
}

#[test]
fn every_violation_is_reported_and_nothing_is_rendered() {
    let p = Project::new("all-violations");
    p.write(
        "values/bad.yaml",
        "api:\n  replicas: three\nreddis:\n  enabled: true\nnamespace: 7\n",
    );
    let o = p.run(&["template", "-f", "bad.yaml"]);
    assert_eq!(code(&o), 1);
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert!(
        err.contains("values/bad.yaml:2:13: api.replicas: \"three\" is not of type integer\n"),
        "{err}"
    );
    assert!(
        err.contains("values/bad.yaml:3:1: reddis: unknown key `reddis`\n"),
        "{err}"
    );
    assert!(err.contains("help: did you mean `redis`?"), "{err}");
    assert!(
        err.contains("values/bad.yaml:5:12: namespace: 7 is not of type string\n"),
        "{err}"
    );
    assert!(
        err.ends_with("error: 3 problems found; nothing was rendered\n"),
        "{err}"
    );
}

#[test]
fn the_error_points_at_the_layer_that_supplied_the_value() {
    let p = Project::new("winning-layer");
    p.write(
        "values/values.yaml",
        "name: app\napi:\n  replicas: nope\n  image:\n    repository: app/api\n",
    );
    p.write("values/ok.yaml", "api:\n  enabled: true\n");
    let o = p.run(&["-f", "ok.yaml"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).starts_with("values/values.yaml:3:13: api.replicas:"),
        "{}",
        stderr(&o)
    );
    // A later layer that fixes the value wins, and the build succeeds.
    let o = p.run(&["template", "-f", "ok.yaml", "--set", "api.replicas=2"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn bad_set_is_a_located_error() {
    let p = Project::new("bad-set");
    let o = p.run(&["template", "--set", "api.replicas=three"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        stderr(&o),
        "--set api.replicas=three: api.replicas: \"three\" is not of type integer\n"
    );
    let o = p.run(&["template", "--set", "api.replicas"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("expected PATH=VALUE"), "{}", stderr(&o));
    let o = p.run(&["template", "--set", "reddis.enabled=true"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).starts_with("--set reddis.enabled=true: reddis: unknown key `reddis`\n"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn set_values_are_typed_by_the_schema() {
    let p = Project::new("set-typing");
    let o = p.run(&[
        "template",
        "-f",
        "values-dev.yaml",
        "--set",
        "api.image.tag=1.10,api.replicas=3",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("- image: app/api:1.10\n"), "{out}");
    assert!(
        out.contains("replicas:\n- count: 3\n  name: app-api\n"),
        "{out}"
    );
}

#[test]
fn layers_apply_in_order_later_wins() {
    let p = Project::new("layering");
    p.write(
        "values/values.yaml",
        "name: app\napi:\n  enabled: true\n  replicas: 1\n",
    );
    p.write("values/two.yaml", "api:\n  replicas: 2\n");
    p.write("values/three.yaml", "api:\n  replicas: 3\n");
    let count = |o: &Output| {
        assert_eq!(code(o), 0, "{}", stderr(o));
        stdout(o)
            .lines()
            .find_map(|l| {
                l.trim_start_matches([' ', '-'])
                    .strip_prefix("count: ")
                    .map(str::to_string)
            })
            .unwrap_or_default()
    };
    assert_eq!(count(&p.run(&["template"])), "1");
    assert_eq!(count(&p.run(&["template", "-f", "two.yaml"])), "2");
    assert_eq!(
        count(&p.run(&["template", "-f", "two.yaml", "-f", "three.yaml"])),
        "3"
    );
    assert_eq!(
        count(&p.run(&["template", "-f", "three.yaml", "-f", "two.yaml"])),
        "2"
    );
    assert_eq!(
        count(&p.run(&["template", "-f", "three.yaml", "--set", "api.replicas=4"])),
        "4"
    );
    assert_eq!(
        count(&p.run(&[
            "template",
            "--set",
            "api.replicas=4",
            "--set",
            "api.replicas=5"
        ])),
        "5"
    );
    assert_eq!(
        count(&p.run_env(
            &["template", "--set", "api.replicas=4"],
            &[("COMPOSE_VALUES__api__replicas", "6")]
        )),
        "6"
    );
}

#[test]
fn null_deletes_the_key_from_lower_layers() {
    let p = Project::new("null-deletes");
    p.write("values/values.yaml", "name: app\napi:\n  enabled: true\n  replicas: 2\n  image:\n    repository: app/api\n    tag: v1\n");
    p.write(
        "values/drop.yaml",
        "api:\n  replicas: null\n  image:\n    tag: ~\n",
    );
    let o = p.run(&["template", "-f", "drop.yaml"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        !out.contains("replicas:") && !out.contains("patches:"),
        "{out}"
    );
    let o = p.run(&["template", "--set", "api.image.tag=null"]);
    assert!(!stdout(&o).contains("patches:"), "{}", stdout(&o));
    assert!(stdout(&o).contains("count: 2"), "{}", stdout(&o));
}

#[test]
fn environment_variables_set_values() {
    let p = Project::new("env");
    let o = p.run_env(
        &["template", "-f", "values-dev.yaml"],
        &[
            ("COMPOSE_VALUES__api__image__tag", "2.0"),
            ("COMPOSE_VALUES__namespace", "from-env"),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("namespace: from-env\n"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("- image: app/api:2.0\n"),
        "{}",
        stdout(&o)
    );
    let o = p.run_env(&["template"], &[("COMPOSE_VALUES__api__replicas", "many")]);
    assert_eq!(code(&o), 1);
    assert_eq!(stderr(&o), "environment variable COMPOSE_VALUES__api__replicas: api.replicas: \"many\" is not of type integer\n");
}

#[test]
fn template_is_deterministic_and_sorted() {
    let p = Project::new("determinism");
    p.write("values/all.yaml", "redis:\n  enabled: true\napi:\n  enabled: true\n  image:\n    tag: t\nlabels:\n  z: \"1\"\n  a: b\n");
    let first = p.run(&["template", "-f", "all.yaml"]);
    assert_eq!(code(&first), 0, "{}", stderr(&first));
    for _ in 0..3 {
        assert_eq!(
            stdout(&p.run(&["template", "-f", "all.yaml"])),
            stdout(&first)
        );
    }
    // Checked by hand: the frame of the built-in template, then the
    // image knob as a patch on the api component's Deployment only.
    let expected = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- base\ncomponents:\n- components/api\n- components/redis\nlabels:\n- includeTemplates: true\n  pairs:\n    a: b\n    z: \"1\"\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: app-api\n    spec:\n      template:\n        spec:\n          containers:\n          - image: app/api:t\n            name: api\n  target:\n    group: apps\n    kind: Deployment\n    name: app-api\n    version: v1\n";
    assert_eq!(stdout(&first), expected);
}

/// The same files give the same bytes whatever order the file system
/// lists them in: the example project is copied twice, creating every
/// folder's entries in opposite orders, and both copies render
/// identically. tmpfs (`/dev/shm`, used when present) lists entries in
/// reverse creation order, so there the two copies really are listed in
/// opposite orders; ext4 lists by name hash, the same for both.
#[test]
fn output_does_not_depend_on_the_order_files_were_created_in() {
    fn copy(from: &Path, to: &Path, reverse: bool) {
        std::fs::create_dir_all(to).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(from)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        if reverse {
            names.reverse();
        }
        for name in names {
            let (src, dst) = (from.join(&name), to.join(&name));
            if src.is_dir() {
                copy(&src, &dst, reverse);
            } else {
                std::fs::copy(&src, &dst).unwrap();
            }
        }
    }
    let shm = Path::new("/dev/shm");
    let tmp = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    };
    let base = tmp.join(format!("compose-it-order-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut outputs = Vec::new();
    for (tag, reverse) in [("forward", false), ("reverse", true)] {
        for dir in ["base", "components", "values", "schema"] {
            copy(&project.join(dir), &base.join(tag).join(dir), reverse);
        }
        for args in [
            &["--values", "values-prod.yaml"][..],
            &["kustomize", "base"][..],
        ] {
            let o = Command::new(env!("CARGO_BIN_EXE_compose"))
                .current_dir(base.join(tag))
                .args(args)
                .output()
                .unwrap();
            assert_eq!(code(&o), 0, "{tag} {args:?}: {}", stderr(&o));
            outputs.push(((*args).join(" "), tag, o.stdout));
        }
    }
    for i in 0..2 {
        let ((what, _, forward), (_, _, reverse)) = (&outputs[i], &outputs[i + 2]);
        assert!(
            !forward.is_empty() && forward == reverse,
            "`compose {what}` differs between creation orders"
        );
    }
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn values_files_are_found_under_values() {
    let p = Project::new("lookup");
    let o = p.run(&["template", "--values", "values-dev.yaml"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("components/api"));
    let o = p.run(&["template", "--values", "values/values-dev.yaml"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = p.run(&["template", "--values", "missing.yaml"]);
    assert_eq!(code(&o), 1);
    assert_eq!(stderr(&o), "error: values file `missing.yaml` not found (looked for `missing.yaml` and `values/missing.yaml`)\n");
}

#[test]
fn render_builds_in_memory_like_kustomize_on_the_template() {
    let p = Project::new("render");
    let rendered = p.run(&["--values", "values-dev.yaml"]);
    assert_eq!(code(&rendered), 0, "{}", stderr(&rendered));
    // The same bytes as the engine on the saved template, and nothing was
    // left in the project.
    assert!(!p.root.join("kustomization.yaml").exists());
    let template = p.run(&["template", "--values", "values-dev.yaml"]);
    p.write("kustomization.yaml", &stdout(&template));
    let built = p.run(&["kustomize", "."]);
    assert_eq!(code(&built), 0, "{}", stderr(&built));
    assert_eq!(stdout(&rendered), stdout(&built));
    // kubectl kustomize's output for this tree (kustomize v5.5.0).
    let expected = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: app\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-api\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - image: app/api:old\n        name: api\n";
    assert_eq!(stdout(&rendered), expected);
    assert_eq!(
        stdout(&p.run(&["render", "--values", "values-dev.yaml"])),
        expected
    );
}

#[test]
fn component_labels_get_a_warning() {
    let p = Project::new("labels-warning");
    p.write("components/redis/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - service.yaml\nlabels:\n  - pairs:\n      app.kubernetes.io/component: redis\n");
    let o = p.run(&["template", "--set", "redis.enabled=true"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stderr(&o).starts_with("warning: components/redis/kustomization.yaml: `labels` in a Component applies to every resource accumulated before it"), "{}", stderr(&o));
    let o = p.run(&["template"]);
    assert_eq!(stderr(&o), "", "disabled components are not checked");
}

/// `compose lint` on a project: the kustomization rules fire on a
/// component that labels with selectors, not on one that does not;
/// `--strict` turns findings into exit code 1.
#[test]
fn lint_reports_component_label_rules_and_strict_fails() {
    let p = Project::new("lint");
    let clean = p.run(&["lint", "--set", "redis.enabled=true", "--strict"]);
    assert_eq!(code(&clean), 0, "{}{}", stdout(&clean), stderr(&clean));
    assert!(
        !stdout(&clean).contains("component-labels") && !stdout(&clean).contains("selector-labels"),
        "{}",
        stdout(&clean)
    );
    p.write("components/redis/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - service.yaml\ncommonLabels:\n  app.kubernetes.io/component: redis\n");
    let o = p.run(&["lint", "--set", "redis.enabled=true"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("components/redis/kustomization.yaml: [component-labels]"),
        "{out}"
    );
    assert!(
        out.contains("components/redis/kustomization.yaml: [selector-labels] `commonLabels`"),
        "{out}"
    );
    assert_eq!(
        code(&p.run(&["lint", "--set", "redis.enabled=true", "--strict"])),
        1
    );
}

/// An engine error in the generated kustomization: its line and an
/// excerpt of it, with the fix, as values diagnostics are shown.
#[test]
fn engine_errors_show_the_generated_line() {
    let p = Project::new("engine-error");
    p.write(
        "templates/kustomization.yaml.j2",
        "kind: Kustomization\nresourcez:\n- base\n",
    );
    let o = p.run(&["--values", "values-dev.yaml"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    assert_eq!(
        stderr(&o),
        "kustomization.yaml:2:1: templates/kustomization.yaml.j2: what it adds to the generated kustomization does not build (print the kustomization with `compose template`): invalid Kustomization: json: unknown field \"resourcez\"\n  |\n2 | resourcez:\n  | ^\n  = help: did you mean `resources`?\n"
    );
}

#[test]
fn template_override_with_strict_undefined() {
    let p = Project::new("override");
    p.write("templates/kustomization.yaml.j2", "kind: Kustomization\nnamespace: {{ values.namespace | default('fallback') }}\nx: {{ nope }}\n");
    let o = p.run(&["template"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).starts_with("templates/kustomization.yaml.j2:3:"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("undefined"), "{}", stderr(&o));
    p.write(
        "templates/kustomization.yaml.j2",
        "kind: Kustomization\nnamespace: {{ values.namespace | default('fallback') }}\n",
    );
    assert_eq!(
        stdout(&p.run(&["template"])),
        "kind: Kustomization\nnamespace: fallback\n"
    );
}

#[test]
fn schema_write_and_check() {
    let p = Project::new("schema");
    let printed = p.run(&["schema"]);
    assert_eq!(code(&printed), 0);
    let schema: &str = &stdout(&printed);
    assert!(schema.contains("\"$schema\": \"http://json-schema.org/draft-07/schema#\""));
    assert!(schema.contains("\"redis\": {"));
    assert_eq!(code(&p.run(&["schema", "--check"])), 1);
    assert_eq!(code(&p.run(&["schema", "--write"])), 0);
    assert_eq!(
        std::fs::read_to_string(p.root.join("schema/values.schema.json")).unwrap(),
        schema
    );
    assert_eq!(code(&p.run(&["schema", "--check"])), 0);
    p.write("components/storage/kustomization.yaml", "kind: Component\n");
    let o = p.run(&["schema", "--check"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("out of date"), "{}", stderr(&o));
}

/// The committed schema of this repository's own project is fresh.
#[test]
fn committed_schema_is_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new(env!("CARGO_BIN_EXE_compose"))
        .args(["schema", "--check", "-C"])
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(
        code(&o),
        0,
        "schema/values.schema.json is stale: run `cargo run -- schema --write`\n{}",
        stderr(&o)
    );
}

#[test]
fn usage_errors_exit_2_and_kustomize_errors_exit_1() {
    let p = Project::new("exit-codes");
    assert_eq!(code(&p.run(&["--no-such-flag"])), 2);
    assert_eq!(code(&p.run(&["--output-dir", "x", "template"])), 2);
    let o = p.run(&["kustomize", "does-not-exist"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).starts_with("Error: "), "{}", stderr(&o));
    assert_eq!(code(&p.run(&["--help"])), 0);
}

/// `compose kustomize` prints large builds a batch at a time; a build
/// that fails prints nothing, even when the object that cannot be printed
/// sorts last (kubectl also exits 1 with an empty stdout there).
#[test]
fn kustomize_prints_in_batches_and_nothing_of_a_failed_build() {
    let p = Project::new("batches");
    let mut objects = String::new();
    for i in 0..1500 {
        objects.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i:04}\ndata:\n  k: v\n"
        ));
    }
    p.write("big/objects.yaml", &objects);
    p.write("big/kustomization.yaml", "resources:\n- objects.yaml\n");
    let ok = p.run(&["kustomize", "big"]);
    assert_eq!(code(&ok), 0, "{}", stderr(&ok));
    let out = stdout(&ok);
    assert_eq!(out.matches("kind: ConfigMap\n").count(), 1500);
    assert_eq!(out.matches("---\n").count(), 1499);
    assert!(
        out.starts_with(
            "apiVersion: v1\ndata:\n  k: v\nkind: ConfigMap\nmetadata:\n  name: cm0000\n---\n"
        ),
        "{}",
        &out[..200]
    );
    assert!(out.ends_with(
        "---\napiVersion: v1\ndata:\n  k: v\nkind: ConfigMap\nmetadata:\n  name: cm1499\n"
    ));
    // A float JSON cannot hold, in the object printed last.
    p.write("big/objects.yaml", &format!("{objects}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: zz\nspec:\n  x: .nan\n"));
    let bad = p.run(&["kustomize", "big"]);
    assert_eq!(code(&bad), 1);
    assert_eq!(stdout(&bad), "");
    assert!(
        stderr(&bad).contains("unsupported value"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn validate_reports_success_on_stderr_only() {
    let p = Project::new("validate");
    let o = p.run(&["validate", "-f", "values-dev.yaml", "--values-only"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        "values are valid (2 layers, 1 of 2 components enabled)\n"
    );
    // Without --values-only the rendered objects are checked too: this
    // project's Deployment has no selector, which the API requires.
    let o = p.run(&[
        "validate",
        "-f",
        "values-dev.yaml",
        "--kubernetes-version",
        "1.29",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    // The problem is placed where the file writes `spec` (line 5).
    assert!(
        stderr(&o).starts_with(
            "components/api/deployment.yaml:5:1: Kubernetes 1.29: Deployment/app-api: spec: "
        ),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("\"selector\" is a required property"),
        "{}",
        stderr(&o)
    );
    p.write(
        "components/api/deployment.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-api\nspec:\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      containers:\n        - name: api\n          image: app/api:old\n",
    );
    let o = p.run(&["validate", "-f", "values-dev.yaml"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stderr(&o), "values are valid (2 layers, 1 of 2 components enabled); 2 objects valid against the Kubernetes 1.33 API\n");
    let o = p.run(&["validate", "--set", "api.enabled=maybe"]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        stderr(&o),
        "--set api.enabled=maybe: api.enabled: \"maybe\" is not of type boolean\n"
    );
}

#[test]
fn project_flag_and_values_lookup_from_elsewhere() {
    let p = Project::new("project-flag");
    let o = Command::new(env!("CARGO_BIN_EXE_compose"))
        .current_dir(std::env::temp_dir())
        .args(["template", "-C"])
        .arg(&p.root)
        .args(["-f", "values-dev.yaml"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("- components/api\n"), "{}", stdout(&o));
}

#[test]
fn naming_the_defaults_file_again_loads_it_once() {
    let p = Project::new("defaults-once");
    let o = p.run(&[
        "validate",
        "-f",
        "values.yaml",
        "-f",
        "values-dev.yaml",
        "--values-only",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        stderr(&o),
        "values are valid (2 layers, 1 of 2 components enabled)\n"
    );
}

/// A stand-in kubectl that appends its arguments and stdin to
/// `kubectl.log` beside the link it was started through, then exits with
/// the code in `kubectl.exit` there.
const FAKE_KUBECTL: &str = r#"#!/bin/sh
dir=$(dirname "$0")
echo "ARGS $*" >> "$dir/kubectl.log"
grep THP_enabled /proc/self/status >> "$dir/kubectl.log" 2>/dev/null
cat >> "$dir/kubectl.log"
exit "$(cat "$dir/kubectl.exit")"
"#;

/// The one copy of the stand-in kubectl, written once per test process;
/// each project links to it. A program written per test could fail to
/// start ("text file busy"): a child that another test thread forked while
/// the file was open for writing holds that descriptor until it execs.
#[cfg(unix)]
fn fake_kubectl(p: &Project, exit: i32) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    static SCRIPT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let shared = SCRIPT.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("compose-it-fake-kubectl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kubectl");
        std::fs::write(&path, FAKE_KUBECTL).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    });
    let path = p.root.join("fake-kubectl");
    std::fs::write(p.root.join("kubectl.exit"), exit.to_string()).unwrap();
    if !path.exists() {
        std::os::unix::fs::symlink(shared, &path).unwrap();
    }
    path
}

#[cfg(unix)]
#[test]
fn apply_and_diff_hand_the_stream_to_kubectl_and_return_its_code() {
    let p = Project::new("apply");
    let kubectl = fake_kubectl(&p, 0);
    let o = p.run_env(
        &[
            "apply",
            "--values",
            "values-dev.yaml",
            "--dry-run",
            "server",
            "--context",
            "kind",
        ],
        &[("COMPOSE_KUBECTL", kubectl.to_str().unwrap())],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let log = std::fs::read_to_string(p.root.join("kubectl.log")).unwrap();
    assert!(
        log.contains("ARGS apply --server-side --field-manager=compose"),
        "{log}"
    );
    assert!(log.contains("--dry-run=server"), "{log}");
    assert!(log.contains("--context=kind"), "{log}");
    assert!(log.contains("name: app-api"), "{log}");
    // compose turns huge pages off for itself, not for kubectl.
    let here = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if here.contains("THP_enabled:\t1") {
        assert!(log.contains("THP_enabled:\t1"), "{log}");
    }
    let kubectl = fake_kubectl(&p, 1);
    let o = p.run_env(
        &["diff", "--values", "values-dev.yaml"],
        &[("COMPOSE_KUBECTL", kubectl.to_str().unwrap())],
    );
    assert_eq!(
        code(&o),
        1,
        "kubectl diff's 'changes' code is compose's: {}",
        stderr(&o)
    );
    // Invalid values never reach kubectl.
    std::fs::remove_file(p.root.join("kubectl.log")).unwrap();
    let o = p.run_env(
        &["apply", "--set", "api.replicas=x"],
        &[("COMPOSE_KUBECTL", kubectl.to_str().unwrap())],
    );
    assert_eq!(code(&o), 1);
    assert!(!p.root.join("kubectl.log").exists());
}

#[test]
fn output_dir_writes_one_file_per_object() {
    let p = Project::new("output-dir");
    let o = p.run(&[
        "build",
        "--values",
        "values-dev.yaml",
        "--output-dir",
        "out",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    assert!(p.root.join("out/deployment-app-api.yaml").is_file());
    assert!(p.root.join("out/serviceaccount-app.yaml").is_file());
}

#[test]
fn argocd_appset_names_the_project_from_values() {
    let p = Project::new("appset");
    let o = p.run(&[
        "argocd",
        "appset",
        "--envs",
        "dev,prod",
        "--repo-url",
        "https://git.example.com/app.git",
    ]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        stderr(&o),
        "error: unknown environment `prod`; known environments: dev\n"
    );
    p.write(
        "values/values-dev.yaml",
        "namespace: app-dev\napi:\n  enabled: true\n",
    );
    let o = p.run(&[
        "argocd",
        "appset",
        "--repo-url",
        "https://git.example.com/app.git",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("kind: ApplicationSet"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("name: app"), "{}", stdout(&o));
}

/// Every way out of a kustomization root is refused by default, named in
/// the error, and allowed only with `--load-restrictor LoadRestrictionsNone`
/// (kustomize's flag): `../` paths, absolute paths, and symbolic links
/// that resolve outside the root.
#[test]
fn files_outside_the_root_are_refused_unless_allowed() {
    let dir = std::env::temp_dir().join(format!("compose-it-escape-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "outside/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: outside\n",
    );
    write("outside/secret.env", "TOKEN=x\n");
    let outside = dir.join("outside");
    write(
        "up/kustomization.yaml",
        "resources:\n- ../outside/cm.yaml\n",
    );
    write(
        "abs/kustomization.yaml",
        &format!("resources:\n- {}\n", outside.join("cm.yaml").display()),
    );
    write("link/kustomization.yaml", "resources:\n- cm.yaml\n");
    std::os::unix::fs::symlink(outside.join("cm.yaml"), dir.join("link/cm.yaml")).unwrap();
    write(
        "gen/kustomization.yaml",
        "secretGenerator:\n- name: s\n  envs:\n  - ../outside/secret.env\n",
    );
    for case in ["up", "abs", "link", "gen"] {
        let root = dir.join(case);
        let run = |args: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_compose"))
                .current_dir(&dir)
                .args(args)
                .output()
                .unwrap()
        };
        let refused = run(&["kustomize", root.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&refused.stderr).to_string();
        assert_eq!(refused.status.code(), Some(1), "{case}: {err}");
        assert!(refused.stdout.is_empty(), "{case}: nothing is printed");
        assert!(
            err.contains("outside") && err.contains("root"),
            "{case}: {err}"
        );
        let allowed = run(&[
            "kustomize",
            root.to_str().unwrap(),
            "--load-restrictor",
            "LoadRestrictionsNone",
        ]);
        assert!(
            allowed.status.success(),
            "{case}: {}",
            String::from_utf8_lossy(&allowed.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Secret's value, or a secretGenerator's literal, file or env line,
/// never reaches stderr or stdout, whichever error path fires. Each case
/// fails on purpose next to the secret (and kustomize's own message for
/// several of them would quote it).
#[test]
fn secret_values_never_reach_any_message() {
    const MARKER: &str = "hunter2-MARKER";
    const MARKER_BASE64: &str = "aHVudGVyMi1NQVJLRVI=";
    let dir = std::env::temp_dir().join(format!("compose-it-secrets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let secret = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\nstringData: {{password: {MARKER}}}\n"
    );
    let encoded = format!("apiVersion: v1\nkind: Secret\nmetadata: {{name: e}}\ndata: {{password: {MARKER_BASE64}}}\n");
    let config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {x: plain}\n";
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("generator-literal", &[("kustomization.yaml", "secretGenerator:\n- name: g\n  literals:\n  - hunter2-MARKER\n")]),
        ("generator-env", &[("kustomization.yaml", "secretGenerator:\n- name: g\n  envs: [creds.env]\n"), ("creds.env", "USER=admin\nhunter2-MARKER is not a pair\n")]),
        ("generator-file", &[("kustomization.yaml", "secretGenerator:\n- name: g\n  files: [creds.txt]\nreplacements:\n- source: {kind: Secret, fieldPath: data.creds\\.txt, options: {delimiter: '-', index: 9}}\n  targets: [{select: {kind: Secret}, fieldPaths: [metadata.annotations.x]}]\n"), ("creds.txt", "hunter2-MARKER")]),
        ("replacement-source", &[("kustomization.yaml", "resources: [s.yaml]\nreplacements:\n- source: {kind: Secret, fieldPath: stringData.password, options: {delimiter: '-', index: 7}}\n  targets: [{select: {kind: Secret}, fieldPaths: [metadata.annotations.x]}]\n"), ("s.yaml", &secret)]),
        ("replacement-encoded", &[("kustomization.yaml", "resources: [e.yaml]\nreplacements:\n- source: {kind: Secret, fieldPath: data.password, options: {delimiter: '/', index: 3}}\n  targets: [{select: {kind: Secret}, fieldPaths: [metadata.annotations.x]}]\n"), ("e.yaml", &encoded)]),
        ("replacement-target", &[("kustomization.yaml", "resources: [s.yaml, c.yaml]\nreplacements:\n- source: {kind: ConfigMap, fieldPath: data.x}\n  targets: [{select: {kind: Secret}, fieldPaths: [stringData.password.deeper]}]\n"), ("s.yaml", &secret), ("c.yaml", config_map)]),
        ("json-patch-test", &[("kustomization.yaml", "resources: [s.yaml]\npatches:\n- target: {kind: Secret}\n  patch: '[{op: test, path: /stringData/password, value: guess}]'\n"), ("s.yaml", &secret)]),
        ("yaml-syntax", &[("kustomization.yaml", "resources: [s.yaml]\n"), ("s.yaml", &format!("{secret}   bad: indent\n"))]),
    ];
    for (case, files) in cases {
        for (rel, text) in files.iter() {
            let p = dir.join(case).join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let out = Command::new(env!("CARGO_BIN_EXE_compose"))
            .args(["kustomize", dir.join(case).to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert_eq!(out.status.code(), Some(1), "{case}: {err}");
        assert!(out.stdout.is_empty(), "{case}: nothing is printed");
        assert!(err.starts_with("Error: "), "{case}: {err}");
        assert!(
            !err.contains("hunter2") && !err.contains(MARKER_BASE64),
            "{case} leaks the secret: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The error classes of docs/cli.md, one case each: the exit code, a
/// message that names what is wrong, and nothing on stdout.
#[test]
fn each_error_class_has_its_exit_code_and_names_the_problem() {
    let p = Project::new("error-classes");
    p.write(
        "values/values-typo.yaml",
        "api:\n  enabled: true\nreddis:\n  enabled: true\n",
    );
    p.write("components/redis/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n  - services.yaml\n");
    // (class, arguments, environment, exit code, text the message names)
    type Case<'a> = (
        &'a str,
        &'a [&'a str],
        &'a [(&'a str, &'a str)],
        i32,
        &'a str,
    );
    let cases: &[Case<'_>] = &[
        ("usage", &["--no-such-flag"], &[], 2, "--no-such-flag"),
        (
            "values file not found",
            &["-f", "values-nope.yaml"],
            &[],
            1,
            "values-nope.yaml",
        ),
        (
            "invalid values",
            &["-f", "values-typo.yaml"],
            &[],
            1,
            "values/values-typo.yaml:3:1",
        ),
        (
            "invalid --set",
            &["--set", "api.replicas=three"],
            &[],
            1,
            "--set api.replicas=three",
        ),
        (
            "unknown name",
            &["--env", "typ"],
            &[],
            1,
            "unknown environment `typ`; known environments: dev, typo (did you mean `typo`?)",
        ),
        (
            "build refused",
            &["--set", "redis.enabled=true"],
            &[],
            1,
            "services.yaml",
        ),
        (
            "stale schema",
            &["schema", "--check"],
            &[],
            1,
            "schema/values.schema.json",
        ),
        (
            "kubectl missing",
            &["apply", "-f", "values-dev.yaml"],
            &[("COMPOSE_KUBECTL", "/nonexistent/kubectl")],
            2,
            "/nonexistent/kubectl",
        ),
        (
            "kustomize: not a kustomization",
            &["kustomize", "values"],
            &[],
            1,
            "kustomization",
        ),
    ];
    for (class, args, env, want, names) in cases {
        let o = p.run_env(args, env);
        assert_eq!(code(&o), *want, "{class}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(names),
            "{class}: the message names `{names}`: {}",
            stderr(&o)
        );
        assert_eq!(stdout(&o), "", "{class}: nothing on stdout");
    }
}

/// `compose version`: the version, the commit of the build (the
/// checkout's, when built from one) and the kustomize release the engine
/// reproduces, which is what kubectl 1.32 embeds.
#[test]
fn version_names_the_build_and_the_kustomize_it_matches() {
    let p = Project::new("version");
    let out = p.run(&["version"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], format!("compose {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(lines[2], "kustomize: v5.5.0");
    let commit = lines[1].strip_prefix("commit: ").unwrap();
    let git = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    match git {
        Ok(g) if g.status.success() => {
            assert_eq!(commit, String::from_utf8_lossy(&g.stdout).trim());
        }
        _ => assert_eq!(commit, "unknown"),
    }
    let out = p.run(&["version", "--set", "a=1"]);
    assert_eq!(out.status.code(), Some(2));
}

/// `compose completion SHELL` prints a script for each shell clap knows,
/// naming the subcommands and their flags; the bash one is valid bash.
#[test]
fn completion_scripts_cover_the_commands() {
    let p = Project::new("completion");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = p.run(&["completion", shell]);
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        for word in ["argocd", "kustomize", "--per-component", "--set-json"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
    }
    let script = stdout(&p.run(&["completion", "bash"]));
    let path = p.root.join("compose.bash");
    std::fs::write(&path, script).unwrap();
    let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let out = p.run(&["completion", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("[possible values: bash, elvish, fish, powershell, zsh]"));
}
