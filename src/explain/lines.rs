//! The lines of an explanation: places as the user knows them, and the
//! values behind the steps of the generated kustomization.

use super::sources::{node_at, sources_of};
use super::trace::{Change, Trace};
use super::{no_such_field, Explained, Shown};
use crate::diagnostic::Origin;
use crate::error::Error;
use crate::field_path::{path_text, resolve, Seg};
use crate::pipeline::generated_file;
use crate::project::Project;
use crate::values::Loaded;
use compose_kustomize::resource::Resource;
use compose_yaml::{Node, Pos};
use std::path::Path;

/// What the explanation reads besides the build.
pub(crate) struct Inputs<'a> {
    /// The project, for its files and how their paths are shown.
    pub(crate) project: &'a Project,
    /// The merged values with their layers.
    pub(crate) loaded: &'a Loaded,
    /// The project's components.
    pub(crate) components: &'a [String],
}

/// The explanation of `path` of `target` from what the build showed.
pub(crate) fn explained(
    inputs: &Inputs,
    target: &Resource,
    path: &[Seg],
    trace: &Trace,
) -> Result<Explained, Error> {
    let Some(first) = trace.first.as_ref() else {
        return Err(Error::Internal(format!(
            "the build never showed {}/{}",
            target.kind(),
            target.name()
        )));
    };
    let ever = std::iter::once(first)
        .chain(&trace.changes)
        .any(|c| c.after.is_some());
    if !ever {
        return Err(no_such_field(target, path));
    }
    let cx = Lines::new(inputs, target, path);
    let mut lines = vec![cx.first_line(target, first)];
    lines.extend(trace.changes.iter().map(|c| cx.change_line(c)));
    Ok(Explained {
        object: format!("{}/{}", target.kind(), target.name()),
        namespace: target.namespace().to_string(),
        field: path_text(path),
        value: resolve(&target.node, path).map(|(n, _)| n.clone()),
        lines,
    })
}

/// What the lines of an explanation are made from.
struct Lines<'a> {
    project: &'a Project,
    loaded: &'a Loaded,
    /// The values a step of the generated kustomization may have taken
    /// the field's value from (JSON pointers).
    scope: Vec<String>,
    path: &'a [Seg],
    /// The object's kind.
    kind: &'a str,
}

impl<'a> Lines<'a> {
    fn new(inputs: &Inputs<'a>, target: &'a Resource, path: &'a [Seg]) -> Lines<'a> {
        Lines {
            project: inputs.project,
            loaded: inputs.loaded,
            scope: values_scope(inputs, target),
            path,
            kind: target.kind(),
        }
    }

    /// A place as shown: relative to the project, the generated
    /// kustomization as `(compose template)`.
    fn place(&self, at: &compose_kustomize::Location) -> String {
        let file = if at.path == generated_file(&self.project.root) {
            "(compose template)".to_string()
        } else {
            let rel = at.path.strip_prefix(&self.project.root).unwrap_or(&at.path);
            self.project.show(rel)
        };
        match (at.line, at.column) {
            (0, _) => file,
            (l, 0) => format!("{file}:{l}"),
            (l, c) => format!("{file}:{l}:{c}"),
        }
    }

    /// The line of the step that brought the object: the field's place in
    /// the file the object was read from, or the generator that made it.
    fn first_line(&self, target: &Resource, first: &Change) -> Shown {
        let origin = target.meta.origin.as_deref().unwrap_or("");
        let read_from = origin.lines().find_map(|l| l.strip_prefix("path: "));
        let (place, what) = match read_from {
            Some(rel) => (self.field_place(rel, target), String::new()),
            None => (self.place(&first.place), step_name(first)),
        };
        Shown {
            place,
            what,
            before: None,
            after: first.after.clone(),
            values: self.values_of(first),
            together: self.image(),
            written_at: None,
        }
    }

    /// `rel:line:column` of the field in the file the object was read
    /// from (`rel` alone when the file does not write the field).
    fn field_place(&self, rel: &str, target: &Resource) -> String {
        let shown = self.project.show(Path::new(rel));
        match self.source_pos(rel, target, false) {
            Some((_, p)) => format!("{shown}:{}:{}", p.line, p.col),
            None => shown,
        }
    }

    /// The text of the file `rel` the object was read from, and where it
    /// writes the field: its value, or with `key` its key when the value
    /// is a mapping or a list (what a message about the whole is to point
    /// at).
    fn source_pos(&self, rel: &str, target: &Resource, key: bool) -> Option<(String, Pos)> {
        let text = std::fs::read_to_string(self.project.root.join(rel)).ok()?;
        let docs = compose_yaml::parse_stream_with_spans(&text).ok()?;
        let id = target.original_id();
        let (doc, spans) = docs.iter().find(|(d, _)| {
            d.str_at(&["kind"]) == Some(id.gvk.kind.as_str())
                && d.str_at(&["metadata", "name"]).unwrap_or("") == id.name.as_str()
        })?;
        let (node, pointer) = resolve(doc, self.path)?;
        let whole = matches!(node, Node::Map(_) | Node::Seq(_));
        let at = match spans.get(&format!("{pointer}#key")) {
            Some(k) if key && (whole || self.path.is_empty()) => Some(k),
            _ => spans.get(&pointer),
        };
        let at = *at?;
        Some((text, at))
    }

    /// Where the field's value in the render was last written, as a place
    /// in a file the user edits (see [`written_origin`]).
    fn origin(&self, target: &Resource, trace: &Trace) -> Option<Origin> {
        let generated = generated_file(&self.project.root);
        let first = trace.first.as_ref()?;
        let origin = target.meta.origin.as_deref().unwrap_or("");
        let read_from = origin.lines().find_map(|l| l.strip_prefix("path: "));
        let in_source = || {
            let rel = read_from?;
            let (text, at) = self.source_pos(rel, target, true)?;
            Some(self.file_origin(Path::new(rel), at, text))
        };
        let last = trace.changes.last();
        // A mapping or list is where its file writes it, whatever later
        // steps changed inside it.
        let whole = matches!(
            last.unwrap_or(first).after,
            Some(Node::Map(_) | Node::Seq(_))
        );
        if whole || last.is_none() {
            if let Some(o) = in_source() {
                return Some(o);
            }
        }
        let Some(last) = last else {
            return match read_from {
                None if first.file != generated => location_origin(self.project, &first.place),
                _ => None,
            };
        };
        if last.file == generated {
            let after = last.after.as_ref()?;
            let pointers = sources_of(&self.loaded.tree, &self.scope, self.path, after);
            // Of an image's parts, the tag (or digest) is what moves.
            let moving = |p: &&String| p.ends_with("/tag") || p.ends_with("/digest");
            return match pointers.as_slice() {
                [one] => self.loaded.origin(one, false),
                several if self.image() => self.loaded.origin(several.iter().find(moving)?, false),
                _ => None,
            };
        }
        match super::patch_line::patch_place(last, self.path, self.kind) {
            Some((file, at)) => {
                let text = std::fs::read_to_string(&file).ok()?;
                let rel = file.strip_prefix(&self.project.root).unwrap_or(&file);
                Some(self.file_origin(rel, at, text))
            }
            None => location_origin(self.project, &last.place),
        }
    }

    /// A place in the project's file `rel`, whose text is `text`.
    fn file_origin(&self, rel: &Path, at: Pos, text: String) -> Origin {
        Origin::File {
            path: self.project.show(rel),
            line: Some(at.line),
            col: at.col,
            source: Some(text.into()),
        }
    }

    fn change_line(&self, c: &Change) -> Shown {
        Shown {
            place: self.place(&c.place),
            what: step_name(c),
            before: Some(c.before.clone()),
            after: c.after.clone(),
            values: self.values_of(c),
            together: self.image(),
            written_at: self.written_at(c),
        }
    }

    /// Where a patch in a project file writes the field, shown.
    fn written_at(&self, c: &Change) -> Option<String> {
        if c.file == generated_file(&self.project.root) {
            return None;
        }
        let (file, at) = super::patch_line::patch_place(c, self.path, self.kind)?;
        let rel = file.strip_prefix(&self.project.root).unwrap_or(&file);
        Some(format!("{}:{}:{}", self.project.show(rel), at.line, at.col))
    }

    /// Whether the field is an image reference, which values make in
    /// parts.
    fn image(&self) -> bool {
        matches!(self.path.last(), Some(Seg::Key(k)) if k == "image")
    }

    /// The values a step of the generated kustomization took its value
    /// from, each with every layer that sets it, the winner last.
    fn values_of(&self, c: &Change) -> Vec<(String, Vec<String>)> {
        let generated = generated_file(&self.project.root);
        let Some(after) = c.after.as_ref().filter(|_| c.file == generated) else {
            return Vec::new();
        };
        sources_of(&self.loaded.tree, &self.scope, self.path, after)
            .into_iter()
            .map(|pointer| {
                let path = crate::schema::pointer_to_path(&pointer, &self.loaded.tree);
                (crate::schema::display_path(&path), self.layers_of(&pointer))
            })
            .collect()
    }

    /// Every place that sets `pointer`, lowest layer first, up to the one
    /// whose value won.
    fn layers_of(&self, pointer: &str) -> Vec<String> {
        let winner = self.loaded.layer_index(pointer).unwrap_or(usize::MAX);
        self.loaded
            .layers
            .iter()
            .enumerate()
            .filter(|(i, l)| *i <= winner && node_at(&l.data, pointer).is_some())
            .map(|(_, l)| crate::values::origin_in(l, pointer, false).place())
            .collect()
    }
}

/// Where the value `path` of `target` has in the render was last written,
/// from what the build showed (`trace`), as a place in a file the user
/// edits, for messages about that value: the line of the object's own
/// file when nothing changed it; where a patch of a project file writes
/// it; for a step of the generated kustomization, the values layer that
/// holds the value, when exactly one values entry does (of an image's
/// parts, the tag). `None` when there is no such place (a `--set` flag
/// has none). A Secret's place comes without the file's text, so that no
/// excerpt quotes it.
pub(crate) fn written_origin(
    inputs: &Inputs,
    target: &Resource,
    path: &[Seg],
    trace: &Trace,
) -> Option<Origin> {
    let origin = Lines::new(inputs, target, path).origin(target, trace)?;
    // A line of a Secret's file or patch may hold one of its values: it
    // is pointed at, not quoted.
    Some(match origin {
        Origin::File {
            path, line, col, ..
        } if target.kind() == "Secret" => Origin::File {
            path,
            line,
            col,
            source: None,
        },
        other => other,
    })
}

/// A place the engine gave, as an origin: the file relative to the
/// project, with its text when the engine read it.
fn location_origin(project: &Project, at: &compose_kustomize::Location) -> Option<Origin> {
    if at.line == 0 {
        return None;
    }
    let rel = at.path.strip_prefix(&project.root).unwrap_or(&at.path);
    Some(Origin::File {
        path: project.show(rel),
        line: Some(at.line),
        col: at.column,
        source: at.source.clone(),
    })
}

/// What ran at a step: `replicas`, `patches[2]`, `hash suffixes`.
fn step_name(c: &Change) -> String {
    match c.index {
        Some(i) => format!("{}[{i}]", c.field),
        None => c.field.to_string(),
    }
}

/// The values a step of the generated kustomization may take a field of
/// `target` from: the keys shared by every component, and the keys of
/// the component whose folder the object comes from.
fn values_scope(inputs: &Inputs, target: &Resource) -> Vec<String> {
    let seg = compose_yaml::parse::pointer_segment;
    let mut scope: Vec<String> = match &inputs.loaded.tree {
        serde_json::Value::Object(m) => m
            .keys()
            .filter(|k| !inputs.components.contains(k))
            .map(|k| format!("/{}", seg(k)))
            .collect(),
        _ => Vec::new(),
    };
    let file = target
        .meta
        .origin
        .as_deref()
        .and_then(crate::inventory::origin_file)
        .unwrap_or_default();
    let layout = crate::render::Layout::of(inputs.project, inputs.components.to_vec());
    if let Some(c) = inputs
        .components
        .iter()
        .find(|c| file.starts_with(&format!("{}/", layout.folder(c))))
    {
        scope.push(format!("/{}", seg(c)));
    }
    scope
}
