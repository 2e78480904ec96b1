//! Watching a build step by step, for tools that explain its output.
//!
//! A caller that sets [`crate::BuildOptions::observer`] is shown the
//! objects of the accumulation after every step that can change them: a
//! kustomization's resources loaded, each of its generator entries, each
//! of its builtin transformers (each patch entry on its own), and the
//! final steps at the top of the build. A build without an observer pays one
//! branch per step.

use crate::error::Location;
use crate::resource::Resource;
use std::path::Path;

/// One step of a build, as an [`Observer`] is shown it.
#[derive(Clone, Debug)]
pub struct Step<'a> {
    /// The kustomization (or component) file whose field ran; the top
    /// kustomization for the final steps.
    pub file: &'a Path,
    /// The field that ran: `resources` once a kustomization's objects are
    /// loaded, a generator's field (`configMapGenerator`, ...), a
    /// transformer's (`patches`, `replicas`, `namePrefix`, ...), or a
    /// final step of the build: [`HASH_SUFFIXES`], [`NAME_REFERENCES`] or
    /// [`VARS`].
    pub field: &'static str,
    /// The entry of the field's list, for the fields whose entries run one
    /// after another (generators and the three kinds of patches).
    pub index: Option<usize>,
    /// Where the entry (or the field) is written; the file alone when the
    /// step has no line of its own.
    pub place: Location,
}

/// The final step that appends content hashes to generated names.
pub const HASH_SUFFIXES: &str = "hash suffixes";
/// The final step that points references at the objects' final names.
pub const NAME_REFERENCES: &str = "name references";
/// The final step that puts the values of `vars` in place.
pub const VARS: &str = "vars";

/// The final steps, in the order they run.
pub(crate) const FINAL_STEPS: &[&str] = &[HASH_SUFFIXES, NAME_REFERENCES, VARS];

/// Shown the accumulated objects after each step of a build.
pub trait Observer: Send + Sync + std::fmt::Debug {
    /// Called after `step` with the objects of the accumulation it ran on
    /// (a base's own objects while the base builds).
    fn observe(&self, step: &Step<'_>, objects: &[Resource]);

    /// Called when the build starts again from the beginning (a tree
    /// nested too deep for the caller's stack is built again on a thread
    /// of its own): what was observed so far is to be forgotten.
    fn restart(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::InMemory;
    use crate::BuildOptions;
    use std::sync::{Arc, Mutex};

    /// Notes each step, where it is written, and the replicas of Deployment/web after it.
    #[derive(Debug, Default)]
    struct Notes(Mutex<Vec<String>>);

    impl Observer for Notes {
        fn observe(&self, step: &Step<'_>, objects: &[Resource]) {
            let replicas = objects
                .iter()
                .find(|r| r.kind() == "Deployment")
                .and_then(|r| r.node.get_path(&["spec", "replicas"]))
                .map_or("-".to_string(), |n| n.to_string());
            let file = step.file.strip_prefix("/t").unwrap_or(step.file);
            let entry = step.index.map_or(String::new(), |i| format!("[{i}]"));
            let line = match step.place.line {
                0 => String::new(),
                l => format!(":{l}"),
            };
            self.0.lock().unwrap().push(format!(
                "{}{line} {}{entry} replicas={replicas}",
                file.display(),
                step.field
            ));
        }

        fn restart(&self) {
            self.0.lock().unwrap().clear();
        }
    }

    #[test]
    fn an_observer_sees_every_step_in_order() {
        let mut fs = InMemory::new();
        fs.add_file(
            "/t/kustomization.yaml",
            "resources:\n- base\ncomponents:\n- comp\nnamePrefix: p-\nreplicas:\n- name: web\n  count: 3\npatches:\n- patch: '[{\"op\": \"replace\", \"path\": \"/spec/replicas\", \"value\": 4}]'\n  target:\n    kind: Deployment\n- patch: '[{\"op\": \"replace\", \"path\": \"/spec/replicas\", \"value\": 5}]'\n  target:\n    kind: Deployment\n",
        );
        fs.add_file("/t/base/kustomization.yaml", "resources:\n- web.yaml\n");
        fs.add_file(
            "/t/base/web.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n",
        );
        fs.add_file(
            "/t/comp/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nconfigMapGenerator:\n- name: c\n  literals:\n  - a=b\npatches:\n- patch: '[{\"op\": \"replace\", \"path\": \"/spec/replicas\", \"value\": 2}]'\n  target:\n    kind: Deployment\n",
        );
        let notes = Arc::new(Notes::default());
        let opts = BuildOptions {
            observer: Some(notes.clone()),
            ..BuildOptions::default()
        };
        let out = crate::build_yaml(&fs, Path::new("/t"), &opts).unwrap();
        assert!(out.contains("  replicas: 3\n"), "{out}");
        let seen = notes.0.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                "base/kustomization.yaml:1 resources replicas=1",
                "kustomization.yaml:1 resources replicas=1",
                // a component adds to its parent's objects; this one lists no
                // resources, so its step has no line
                "comp/kustomization.yaml resources replicas=1",
                "comp/kustomization.yaml:4 configMapGenerator[0] replicas=1",
                "comp/kustomization.yaml:8 patches[0] replicas=2",
                "kustomization.yaml:10 patches[0] replicas=4",
                "kustomization.yaml:13 patches[1] replicas=5",
                "kustomization.yaml:5 namePrefix replicas=5",
                "kustomization.yaml:6 replicas replicas=3",
                "kustomization.yaml hash suffixes replicas=3",
                "kustomization.yaml name references replicas=3",
                "kustomization.yaml vars replicas=3",
            ]
        );
    }
}
