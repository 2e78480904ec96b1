//! `validate -o json|github` and `lint -o json|github`: one record per
//! problem or finding, with the exit codes of the text. Every expected
//! text here is written by hand from the problem it describes (the JSON
//! keys in their documented order; GitHub's workflow-command escaping).

use crate::support::{copy_project, run_compose, TempDir};
use std::path::Path;

/// Runs compose in `dir`: (exit code, stdout, stderr).
fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = run_compose(dir, args).unwrap_or_else(|e| panic!("{e}"));
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn validate_prints_each_values_problem_as_a_record() {
    let p = copy_project("output-values").unwrap_or_else(|e| panic!("{e}"));
    write(
        p.path(),
        "values/bad.yaml",
        "api:\n  replicas: three\nreddis:\n  enabled: true\nnamespace: 7\n",
    );
    let args = ["validate", "--env", "dev", "-f", "values/bad.yaml"];
    let (code, out, err) = run(p.path(), &[&args[..], &["-o", "json"]].concat());
    assert_eq!((code, err.as_str()), (1, ""), "{out}");
    assert_eq!(
        out,
        r#"[
  {
    "severity": "error",
    "rule": "values",
    "file": "values/bad.yaml",
    "line": 2,
    "column": 13,
    "object": null,
    "message": "api.replicas: \"three\" is not of type integer",
    "fix": null
  },
  {
    "severity": "error",
    "rule": "values",
    "file": "values/bad.yaml",
    "line": 3,
    "column": 1,
    "object": null,
    "message": "reddis: unknown key `reddis`",
    "fix": "did you mean `redis`?"
  },
  {
    "severity": "error",
    "rule": "values",
    "file": "values/bad.yaml",
    "line": 5,
    "column": 12,
    "object": null,
    "message": "namespace: 7 is not of type string",
    "fix": "YAML read this as a number or boolean; put it in quotes to keep it a string"
  }
]
"#
    );
    let (code, out, err) = run(p.path(), &[&args[..], &["--output", "github"]].concat());
    assert_eq!((code, err.as_str()), (1, ""), "{out}");
    assert_eq!(
        out,
        "::error file=values/bad.yaml,line=2,col=13,title=values::api.replicas: \"three\" is not of type integer\n\
         ::error file=values/bad.yaml,line=3,col=1,title=values::reddis: unknown key `reddis`%0Afix: did you mean `redis`?\n\
         ::error file=values/bad.yaml,line=5,col=12,title=values::namespace: 7 is not of type string%0Afix: YAML read this as a number or boolean; put it in quotes to keep it a string\n"
    );
    // The text is unchanged: the same three problems on stderr.
    let (code, out, err) = run(p.path(), &args);
    assert_eq!((code, out.as_str()), (1, ""));
    assert!(
        err.starts_with("values/bad.yaml:2:13: api.replicas: \"three\" is not of type integer\n"),
        "{err}"
    );
}

#[test]
fn valid_values_give_an_empty_array_and_no_annotation() {
    let p = copy_project("output-valid").unwrap_or_else(|e| panic!("{e}"));
    for (format, expected) in [("json", "[]\n"), ("github", "")] {
        let (code, out, err) = run(p.path(), &["validate", "--env", "dev", "-o", format]);
        assert_eq!((code, out.as_str()), (0, expected), "{err}");
        assert!(err.starts_with("values are valid"), "{err}");
    }
}

/// A problem of a flag has no file: the flag starts the message, as in
/// the text, and `%` is escaped in the annotation.
#[test]
fn a_flag_problem_names_the_flag_and_is_escaped_for_github() {
    let p = copy_project("output-flag").unwrap_or_else(|e| panic!("{e}"));
    let args = ["validate", "--env", "dev", "--set", "api.replicas=50%"];
    let (code, out, _) = run(p.path(), &[&args[..], &["-o", "json"]].concat());
    assert_eq!(code, 1);
    assert_eq!(
        out,
        r#"[
  {
    "severity": "error",
    "rule": "values",
    "file": null,
    "line": null,
    "column": null,
    "object": null,
    "message": "--set api.replicas=50%: api.replicas: \"50%\" is not of type integer",
    "fix": null
  }
]
"#
    );
    let (code, out, _) = run(p.path(), &[&args[..], &["-o", "github"]].concat());
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "::error title=values::--set api.replicas=50%25: api.replicas: \"50%25\" is not of type integer\n"
    );
}

#[test]
fn a_rendered_object_the_api_refuses_is_a_record_with_its_object_and_line() {
    let p = copy_project("output-k8s").unwrap_or_else(|e| panic!("{e}"));
    let file = p.path().join("components/api/deployment.yaml");
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains("containerPort: 3001\n"));
    std::fs::write(
        &file,
        text.replace("containerPort: 3001\n", "containerPort: \"3001x\"\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    // The record points at the value in the component's file: line 40,
    // after the 14 spaces and `containerPort: ` of that line.
    let (code, out, _) = run(p.path(), &["validate", "--env", "dev", "-o", "json"]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        r#"[
  {
    "severity": "error",
    "rule": "kubernetes-schema",
    "file": "components/api/deployment.yaml",
    "line": 40,
    "column": 30,
    "object": "Deployment/arches-dev/arches-api",
    "message": "Kubernetes 1.33: spec.template.spec.containers[0].ports[0].containerPort: \"3001x\" is not of type \"integer\"",
    "fix": null
  }
]
"#
    );
    let (code, out, _) = run(p.path(), &["validate", "--env", "dev", "-o", "github"]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "::error file=components/api/deployment.yaml,line=40,col=30,title=kubernetes-schema::Deployment/arches-dev/arches-api: Kubernetes 1.33: spec.template.spec.containers[0].ports[0].containerPort: \"3001x\" is not of type \"integer\"\n"
    );
}

#[test]
fn an_unknown_format_is_a_usage_error() {
    let p = copy_project("output-unknown").unwrap_or_else(|e| panic!("{e}"));
    for args in [
        &["validate", "--env", "dev", "-o", "yaml"][..],
        &["lint", "--env", "dev", "--output", "yaml"][..],
    ] {
        let (code, out, err) = run(p.path(), args);
        assert_eq!((code, out.as_str()), (2, ""), "{err}");
        assert!(
            err.starts_with("error: invalid value 'yaml' for '--output <FORMAT>'\n  [possible values: text, json, github]\n"),
            "{err}"
        );
    }
}

/// A patch whose target selects nothing is placed at its target; an
/// object's finding names the object and the file it came from (here in
/// a base outside the linted folder). Without `--strict` they are
/// warnings and the exit code is 0; with it, errors and 1.
#[test]
fn lint_kustomize_records_place_patches_and_objects() {
    let t = TempDir::new("output-lint-k").unwrap_or_else(|e| panic!("{e}"));
    let d = t.path();
    write(
        d,
        "app/kustomization.yaml",
        "resources:\n- cm.yaml\n- ../base\npatches:\n- target:\n    kind: ConfigMap\n    name: nope\n  patch: |-\n    - op: add\n      path: /data/x\n      value: y\n",
    );
    write(
        d,
        "app/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: \"1\"\n",
    );
    write(d, "base/kustomization.yaml", "resources:\n- deploy.yaml\n");
    write(
        d,
        "base/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n",
    );
    let (code, out, err) = run(d, &["lint", "-k", "app", "-o", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "2 findings (2 objects checked)\n");
    assert_eq!(
        out,
        r#"[
  {
    "severity": "warning",
    "rule": "patch-target-matches-nothing",
    "file": "app/kustomization.yaml",
    "line": 6,
    "column": 5,
    "object": null,
    "message": "patches[0]: the target selects no object when the patch runs, so it changes nothing",
    "fix": "match the target to an object of this kustomization's resources, or of the components listed before the patch runs; `compose kustomize DIR` prints them"
  },
  {
    "severity": "warning",
    "rule": "missing-resources",
    "file": "base/deploy.yaml",
    "line": null,
    "column": null,
    "object": "Deployment/web",
    "message": "container `web` has no resource requests or limits",
    "fix": "set `resources.requests` (what the scheduler reserves) and `resources.limits` in the component's manifest"
  }
]
"#
    );
    let (code, out, _) = run(d, &["lint", "-k", "app", "--strict", "-o", "github"]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "::error file=app/kustomization.yaml,line=6,col=5,title=patch-target-matches-nothing::patches[0]: the target selects no object when the patch runs, so it changes nothing%0Afix: match the target to an object of this kustomization's resources, or of the components listed before the patch runs; `compose kustomize DIR` prints them\n\
         ::error file=base/deploy.yaml,title=missing-resources::Deployment/web: container `web` has no resource requests or limits%0Afix: set `resources.requests` (what the scheduler reserves) and `resources.limits` in the component's manifest\n"
    );
    // A tree the engine refuses is a `build` record, exit 1 as in text.
    write(
        d,
        "broken/kustomization.yaml",
        "resources:\n- missing.yaml\n",
    );
    let (code, out, _) = run(d, &["lint", "-k", "broken", "-o", "json"]);
    assert_eq!(code, 1);
    assert!(out.starts_with("[\n  {\n    \"severity\": \"error\",\n    \"rule\": \"build\",\n    \"file\": \"broken/kustomization.yaml\",\n    \"line\": 2,\n    \"column\": 3,\n"), "{out}");
}

#[test]
fn lint_of_a_project_places_a_finding_at_the_line_that_wrote_the_field() {
    let p = copy_project("output-lint").unwrap_or_else(|e| panic!("{e}"));
    let (code, out, err) = run(
        p.path(),
        &[
            "lint",
            "--env",
            "prod",
            "--set",
            "api.image.tag=latest",
            "-o",
            "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    // The component's file writes `arches/api:latest` itself (line 37,
    // after `          image: `), so the image the flag asks for is the
    // one that file wrote: the knob's patch changes nothing.
    assert_eq!(
        out,
        r#"[
  {
    "severity": "warning",
    "rule": "latest-tag",
    "file": "components/api/deployment.yaml",
    "line": 37,
    "column": 18,
    "object": "Deployment/arches/arches-api",
    "message": "container `api` runs `arches/api:latest` in environment `prod`: `latest` moves, so a restart can change what runs",
    "fix": "set the component's `image.tag` (or a digest) in this environment's values file"
  }
]
"#
    );
}
