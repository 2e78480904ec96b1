//! The whole values pipeline as `compose template` runs it, on a project
//! with templates and values of its own: the project file with its
//! declared values, a component's `values.schema.yaml`, the project's
//! template, the components' own templates, the values and `--set`
//! arguments. The base and the components' plain YAML are those of
//! `examples/tiers`, written once into a folder of the system's temporary
//! folder (one per process, left there when libFuzzer stops); each input
//! then rewrites the files it names and removes the others.
//!
//! The input is `values/values.yaml`, then more files after `#>> NAME`
//! lines, where NAME is one of [`FILES`]; a section named `--set` holds
//! one `--set` argument per line, and a section named `--select` an
//! environment name on its first line and a tier name on its second.
//! Other names are ignored. Every problem is an error that renders, never
//! a panic, and a generated kustomization reads back as one YAML mapping.
#![no_main]

use compose::error::Error;
use compose::project::Project;
use compose::settings::{ValuesFile, ValuesSettings};
use compose::values::set::SetArg;
use compose_fuzz::split_files;
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The files an input may write, relative to the project root.
const FILES: &[&str] = &[
    "values/values.yaml",
    "compose.yaml",
    "templates/kustomization.yaml.j2",
    "components/worker/values.schema.yaml",
    "components/worker/kustomization.yaml.j2",
    "components/ingress/kustomization.yaml.j2",
];

/// The files every input shares: the example's base and components.
const FIXED: &[(&str, &str)] = &[
    (
        "base/config.env",
        include_str!("../../examples/tiers/base/config.env"),
    ),
    (
        "base/kustomization.yaml",
        include_str!("../../examples/tiers/base/kustomization.yaml"),
    ),
    (
        "base/serviceaccount.yaml",
        include_str!("../../examples/tiers/base/serviceaccount.yaml"),
    ),
    (
        "components/api/kustomization.yaml",
        include_str!("../../examples/tiers/components/api/kustomization.yaml"),
    ),
    (
        "components/api/service.yaml",
        include_str!("../../examples/tiers/components/api/service.yaml"),
    ),
    (
        "components/api/statefulset.yaml",
        include_str!("../../examples/tiers/components/api/statefulset.yaml"),
    ),
    (
        "components/ingress/ingress.yaml",
        include_str!("../../examples/tiers/components/ingress/ingress.yaml"),
    ),
    (
        "components/ingress/kustomization.yaml",
        include_str!("../../examples/tiers/components/ingress/kustomization.yaml"),
    ),
    (
        "components/worker/kustomization.yaml",
        include_str!("../../examples/tiers/components/worker/kustomization.yaml"),
    ),
    (
        "components/worker/scaledobject.yaml",
        include_str!("../../examples/tiers/components/worker/scaledobject.yaml"),
    ),
    (
        "components/worker/statefulset.yaml",
        include_str!("../../examples/tiers/components/worker/statefulset.yaml"),
    ),
];

/// The project folder of this process, with the fixed files in it.
fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root =
            std::env::temp_dir().join(format!("compose-fuzz-pipeline-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (rel, text) in FIXED {
            write(&root, rel, text);
        }
        for dir in ["values", "templates"] {
            if let Err(e) = std::fs::create_dir_all(root.join(dir)) {
                panic!("creating {dir}: {e}");
            }
        }
        root
    })
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    if let Some(dir) = path.parent() {
        if let Err(e) = std::fs::create_dir_all(dir) {
            panic!("creating {}: {e}", dir.display());
        }
    }
    if let Err(e) = std::fs::write(&path, text) {
        panic!("writing {}: {e}", path.display());
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let root = root();
    let sections = split_files(text, FILES[0]);
    for rel in FILES {
        match sections.iter().rev().find(|(name, _)| name == rel) {
            Some((_, content)) => write(root, rel, content),
            None => {
                let _ = std::fs::remove_file(root.join(rel));
            }
        }
    }
    let lines = |name: &str| -> Vec<String> {
        sections
            .iter()
            .filter(|(n, _)| *n == name)
            .flat_map(|(_, c)| c.lines().map(str::to_string))
            .collect()
    };
    let select = lines("--select");
    let named = |i: usize| {
        select
            .get(i)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let project = match Project::at(root) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let values = PathBuf::from(FILES[0]);
    let files = if root.join(&values).is_file() {
        vec![ValuesFile {
            path: root.join(&values),
            shown: FILES[0].to_string(),
            project_rel: Some(values),
        }]
    } else {
        Vec::new()
    };
    let vs = ValuesSettings {
        project,
        environment: named(0),
        tier: named(1),
        files,
        sets: lines("--set").iter().map(|a| SetArg::set(a)).collect(),
        env: Vec::new(),
    };
    match compose::pipeline::template(&vs) {
        Ok(out) => {
            let docs = match compose_yaml::parse_stream(&out.stdout) {
                Ok(docs) => docs,
                Err(e) => panic!(
                    "the generated kustomization does not read back: {e}\n{}",
                    out.stdout
                ),
            };
            if docs.len() > 1
                || docs
                    .iter()
                    .any(|d| !matches!(d, compose_yaml::Node::Map(_)))
            {
                panic!(
                    "the generated kustomization is not one mapping:\n{}",
                    out.stdout
                );
            }
        }
        Err(Error::Internal(e)) => panic!("internal error: {e}"),
        Err(Error::Diagnostics(ds)) => {
            for d in &ds {
                let _ = d.render();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
