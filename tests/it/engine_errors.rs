//! Engine errors name their place: `compose kustomize` (the kubectl
//! drop-in) prints one line, `Error: message (at FILE:LINE:COLUMN)`, with
//! kustomize's own words first, as kubectl prints them, and exits 1 with
//! nothing on stdout. Each kind of located error has its exact text checked here,
//! and Secret values stay out of every one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::support::{run_compose, TempDir};
use std::path::Path;

/// A tree of files in a fresh temporary folder.
fn tree(tag: &str, files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new(tag).unwrap_or_else(|e| panic!("{e}"));
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// stderr of `compose kustomize DIR` run in `cwd`, which must fail with
/// exit code 1 and print nothing on stdout.
fn error_of(cwd: &Path, dir: &str) -> String {
    let out = run_compose(cwd, ["kustomize", dir]).unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty(), "nothing is printed: {err}");
    err
}

const CONFIG_MAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n";

#[test]
fn a_misspelt_kustomization_field_names_its_line_and_the_field_meant() {
    let t = tree(
        "misspelt-field",
        &[
            (
                "app/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresourcez:\n- cm.yaml\n",
            ),
            ("app/cm.yaml", CONFIG_MAP),
        ],
    );
    let want = |place: &str| {
        format!("Error: invalid Kustomization: json: unknown field \"resourcez\" (at {place}kustomization.yaml:3:1; help: did you mean `resources`?)\n")
    };
    assert_eq!(error_of(&t.path().join("app"), "."), want(""));
    // The path is relative to the current directory when the file is
    // below it.
    assert_eq!(error_of(t.path(), "app"), want("app/"));
}

#[test]
fn a_yaml_error_in_a_patch_names_the_patch_file_and_its_line() {
    let t = tree(
        "patch-yaml",
        &[
            (
                "kustomization.yaml",
                "resources:\n- cm.yaml\npatches:\n- path: patch.yaml\n",
            ),
            ("cm.yaml", CONFIG_MAP),
            (
                "patch.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n   c: d\n",
            ),
        ],
    );
    assert_eq!(
        error_of(t.path(), "."),
        "Error: unable to parse SM or JSON patch: mapping values are not allowed in this context (at patch.yaml:7:5)\n"
    );
}

#[test]
fn a_missing_resource_names_the_line_that_lists_it() {
    let t = tree(
        "missing-resource",
        &[
            (
                "overlay/kustomization.yaml",
                "resources:\n- ../base\n- extra.yaml\n",
            ),
            ("overlay/extra.yaml", CONFIG_MAP),
            (
                "base/kustomization.yaml",
                "resources:\n- cm.yaml\n- gone.yaml\n",
            ),
            ("base/cm.yaml", CONFIG_MAP),
        ],
    );
    let base = t.path().join("base");
    assert_eq!(
        error_of(t.path(), "overlay"),
        format!(
            "Error: accumulating resources: recursed accumulation of path '{}': accumulating resources: accumulating resources from 'gone.yaml': {}: no such file or directory (at base/kustomization.yaml:3:3)\n",
            base.display(),
            base.join("gone.yaml").display()
        )
    );
    // A base that is not there: the overlay's line.
    std::fs::remove_dir_all(&base).unwrap();
    assert_eq!(
        error_of(t.path(), "overlay"),
        format!(
            "Error: accumulating resources: accumulating resources from '../base': {}: no such file or directory (at overlay/kustomization.yaml:2:3)\n",
            base.display()
        )
    );
}

#[test]
fn a_failing_patch_names_the_patch_and_the_object_it_was_applied_to() {
    let t = tree(
        "failing-patch",
        &[
            (
                "json-file/kustomization.yaml",
                "resources:\n- cm.yaml\npatches:\n- path: ops.yaml\n  target:\n    kind: ConfigMap\n",
            ),
            (
                "json-file/ops.yaml",
                "- op: add\n  path: /data/extra\n  value: x\n- op: remove\n  path: /data/missing\n",
            ),
            (
                "json-inline/kustomization.yaml",
                "resources:\n- cm.yaml\npatches:\n- target:\n    kind: ConfigMap\n  patch: |-\n    - op: test\n      path: /data/mode\n      value: slow\n",
            ),
            (
                "strategic/kustomization.yaml",
                "resources:\n- cm.yaml\npatches:\n- path: patch.yaml\n",
            ),
            (
                "strategic/patch.yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata: [not, a, map]\n",
            ),
            ("json-file/cm.yaml", CONFIG_MAP),
            ("json-inline/cm.yaml", CONFIG_MAP),
            ("strategic/cm.yaml", CONFIG_MAP),
        ],
    );
    let id = "ConfigMap.v1.[noGrp]/settings.[noNs]";
    assert_eq!(
        error_of(t.path(), "json-file"),
        format!("Error: applying patch to {id}: error in remove for path: '/data/missing': Unable to remove nonexistent key: missing: missing value (at json-file/ops.yaml:4:3)\n")
    );
    assert_eq!(
        error_of(t.path(), "json-inline"),
        format!("Error: applying patch to {id}: testing value /data/mode failed: test failed (at json-inline/kustomization.yaml:7:7)\n")
    );
    assert_eq!(
        error_of(t.path(), "strategic"),
        format!("Error: applying patch to {id}: wrong node kind: expected MappingNode but got SequenceNode: node contents:\n[\"not\",\"a\",\"map\"] (at strategic/patch.yaml)\n")
    );
}

/// A Secret's value appears neither in the one-line error of the drop-in
/// nor in the excerpt compose's own commands print, even when the patch
/// line pointed at holds it.
#[test]
fn located_errors_keep_secret_values_out() {
    const SECRET: &str = "hunter2-located";
    let t = tree(
        "located-secret",
        &[
            (
                "kustomization.yaml",
                &format!("resources:\n- secret.yaml\npatches:\n- target:\n    kind: Secret\n  patch: |-\n    - op: test\n      path: /stringData/password\n      value: {SECRET}-guess\n    - op: replace\n      path: /stringData/nope/deeper\n      value: {SECRET}\n"),
            ),
            (
                "secret.yaml",
                &format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: {SECRET}\n"),
            ),
        ],
    );
    let err = error_of(t.path(), ".");
    assert!(err.ends_with(" (at kustomization.yaml:7:7)\n"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

/// A strategic-merge patch whose own id matches no object: kubectl's
/// words for each list (`patches:` says which patch), then the patch file.
#[test]
fn a_patch_without_a_target_names_its_file() {
    let patch = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\ndata:\n  a: b\n";
    let t = tree(
        "no-target",
        &[
            (
                "patches/kustomization.yaml",
                "resources:\n- cm.yaml\npatches:\n- path: p.yaml\n",
            ),
            (
                "psm/kustomization.yaml",
                "resources:\n- cm.yaml\npatchesStrategicMerge:\n- p.yaml\n",
            ),
            ("patches/cm.yaml", CONFIG_MAP),
            ("psm/cm.yaml", CONFIG_MAP),
            ("patches/p.yaml", patch),
            ("psm/p.yaml", patch),
        ],
    );
    let id = "ConfigMap.v1.[noGrp]/other.[noNs]";
    let why = format!("no matches for Id {id}; failed to find unique target for patch {id}");
    assert_eq!(
        error_of(t.path(), "patches"),
        format!("Error: no resource matches strategic merge patch \"{id}\": {why} (at patches/p.yaml)\n")
    );
    assert_eq!(
        error_of(t.path(), "psm"),
        format!("Error: {why} (at psm/p.yaml)\n")
    );
}

/// A generator entry or a builtin transformer's entry that fails names the
/// kustomization line of the entry; a Secret's entry is named, not shown.
#[test]
fn generator_and_transformer_entries_name_their_line() {
    let t = tree(
        "entries",
        &[
            (
                "generator/kustomization.yaml",
                "configMapGenerator:\n- name: ok\n  literals: [a=b]\n- name: env\n  envs:\n  - missing.env\n",
            ),
            (
                "secret/kustomization.yaml",
                "secretGenerator:\n- name: s\n  literals: [hunter2-entry]\n",
            ),
            (
                "images/kustomization.yaml",
                "resources:\n- cm.yaml\nimages:\n- name: nginx\n  newTag: \"1\"\n- name: x\n  newTag: [1]\n",
            ),
            ("images/cm.yaml", CONFIG_MAP),
        ],
    );
    assert_eq!(
        error_of(t.path(), "generator"),
        format!(
            "Error: {}: no such file or directory (at generator/kustomization.yaml:4:3)\n",
            t.path().join("generator/missing.env").display()
        )
    );
    let err = error_of(t.path(), "secret");
    assert_eq!(
        err,
        "Error: literal #1 is not key=value (the text of a Secret's literal is not shown) (at secret/kustomization.yaml:2:3)\n"
    );
    assert_eq!(
        error_of(t.path(), "images"),
        "Error: json: cannot unmarshal array into Go struct field newTag of type string (at images/kustomization.yaml:6:3)\n"
    );
}
