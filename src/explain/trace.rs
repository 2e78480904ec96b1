//! Following one field of one object through a build.

use crate::field_path::{resolve, Seg};
use compose_kustomize::observe::{Observer, Step};
use compose_kustomize::resource::{ResId, Resource};
use compose_kustomize::Location;
use compose_yaml::Node;
use std::path::PathBuf;
use std::sync::Mutex;

/// One step of the build that changed the field (or the one that first
/// brought the object).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Change {
    /// The kustomization file whose field ran.
    pub(crate) file: PathBuf,
    /// The field (`patches`, `replicas`, ...) or final step.
    pub(crate) field: &'static str,
    /// The entry of the field's list, when the step is one entry.
    pub(crate) index: Option<usize>,
    /// Where the entry (or field) is written.
    pub(crate) place: Location,
    /// The value before the step; `None` when absent.
    pub(crate) before: Option<Node>,
    /// The value after it.
    pub(crate) after: Option<Node>,
    /// The field's JSON pointer in the object after the step (before it,
    /// when the step removed the field).
    pub(crate) pointer: Option<String>,
    /// The object's name when the step ran.
    pub(crate) name: String,
}

/// What the observer saw of the field.
#[derive(Clone, Debug, Default)]
pub(crate) struct Trace {
    /// The step that brought the object (its value then in `after`).
    pub(crate) first: Option<Change>,
    /// Each later step that changed the value, in order.
    pub(crate) changes: Vec<Change>,
}

/// Follows one object's field through a build. The object is known by
/// the file it came from and the identity it had there, which no
/// transformer changes.
#[derive(Debug)]
pub(crate) struct Tracker {
    origin: Option<String>,
    id: ResId,
    path: Vec<Seg>,
    trace: Mutex<Trace>,
}

impl Tracker {
    /// Follows `path` of the object that became `target` (built with
    /// origins tracked).
    pub(crate) fn new(target: &Resource, path: Vec<Seg>) -> Tracker {
        Tracker {
            origin: target.meta.origin.clone(),
            id: target.original_id(),
            path,
            trace: Mutex::new(Trace::default()),
        }
    }

    /// What was seen.
    pub(crate) fn trace(&self) -> Trace {
        self.trace.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn is_target(&self, r: &Resource) -> bool {
        r.meta.origin == self.origin && r.original_id() == self.id
    }
}

impl Observer for Tracker {
    fn observe(&self, step: &Step<'_>, objects: &[Resource]) {
        let Some(r) = objects.iter().find(|r| self.is_target(r)) else {
            return;
        };
        let found = resolve(&r.node, &self.path);
        let now = found.as_ref().map(|(n, _)| (*n).clone());
        let mut trace = self.trace.lock().unwrap_or_else(|e| e.into_inner());
        let last = trace.changes.last().or(trace.first.as_ref());
        let before = last.map(|c| c.after.clone());
        if before.as_ref() == Some(&now) {
            return;
        }
        let pointer = found
            .map(|(_, p)| p)
            .or_else(|| last.and_then(|c| c.pointer.clone()));
        let change = Change {
            file: step.file.to_path_buf(),
            field: step.field,
            index: step.index,
            place: step.place.clone(),
            before: before.flatten(),
            after: now,
            pointer,
            name: r.name().to_string(),
        };
        if trace.first.is_none() {
            trace.first = Some(change);
        } else {
            trace.changes.push(change);
        }
    }

    fn restart(&self) {
        *self.trace.lock().unwrap_or_else(|e| e.into_inner()) = Trace::default();
    }
}

/// Several trackers shown one build.
#[derive(Debug)]
pub(crate) struct Trackers(pub(crate) Vec<Tracker>);

impl Observer for Trackers {
    fn observe(&self, step: &Step<'_>, objects: &[Resource]) {
        for t in &self.0 {
            t.observe(step, objects);
        }
    }

    fn restart(&self) {
        for t in &self.0 {
            t.restart();
        }
    }
}
