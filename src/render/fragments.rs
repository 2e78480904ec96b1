//! A component's own template: `kustomization.yaml.j2` in the component's
//! folder. When the component is enabled, compose renders it with the
//! values (and the component's own values as `component`) and adds its
//! fields to the generated kustomization. It is how a project's declared
//! values reach its manifests: patches and generators that depend on
//! values, kept beside the plain YAML they change.
//!
//! Only fields that add to the build are allowed ([`FIELDS`]); their file
//! paths are relative to the component's folder and are rewritten to the
//! project root, where the generated kustomization sits. A path may not
//! leave the component's folder.

use super::{render, Layout};
use crate::diagnostic::{Diagnostic, Origin};
use crate::error::Error;
use crate::project::Project;
use crate::schema::Values;
use compose_kustomize::resource::Resource;
use compose_kustomize::target_selector::Selector;
use compose_yaml::{Mapping, Node};
use minijinja::value::Value;
use std::path::{Component as Part, Path, PathBuf};

/// The file name of a component's template.
pub(crate) const FILE: &str = "kustomization.yaml.j2";

/// Fields a component's template may add, with the fields of each entry
/// that hold file paths (a generator source may be `key=path`).
const FIELDS: &[(&str, &[&str])] = &[
    ("patches", &["path"]),
    ("configMapGenerator", &["files", "envs", "env"]),
    ("secretGenerator", &["files", "envs", "env"]),
    ("replicas", &[]),
    ("images", &[]),
    ("replacements", &["path"]),
];

/// What every component's template is rendered with.
pub(super) struct Inputs<'a> {
    pub(crate) project: &'a Project,
    pub(crate) layout: &'a Layout,
    pub(crate) values: &'a Values,
    pub(crate) ctx: &'a Value,
    /// The objects of the build before the generated kustomization's own
    /// steps: what its patches can target.
    pub(crate) objects: &'a [Resource],
}

/// Renders component `name`'s template, when it has one, and appends its
/// fields to `root`.
pub(super) fn add(part: &Inputs, name: &str, root: &mut Mapping) -> Result<(), Error> {
    let Inputs {
        project,
        layout,
        values,
        ctx,
        ..
    } = *part;
    let folder = layout.folder(name);
    let rel = Path::new(&folder).join(FILE);
    let Some(text) = crate::owned::read(project, &rel)? else {
        return Ok(());
    };
    let shown = project.show(&rel);
    let own = super::json_value(values.raw.get(name).unwrap_or(&serde_json::Value::Null));
    let ctx = minijinja::context! { component => own, ..ctx.clone() };
    let fragment = render(&shown, &text, ctx)?;
    let generates = |m: &Mapping| GENERATORS.iter().any(|g| m.get(g).is_some());
    let generated = generates(&fragment) || generates(root);
    for (key, value) in fragment.into_entries() {
        let Some((_, path_fields)) = FIELDS.iter().find(|(f, _)| *f == key.as_str()) else {
            return Err(not_allowed(&shown, &text, &key));
        };
        let Node::Seq(mut items) = value else {
            if value.is_null() {
                continue;
            }
            return Err(located(
                &shown,
                &text,
                &key,
                format!("`{key}` must be a list"),
            ));
        };
        for item in &mut items {
            rebase(item, path_fields, &folder)
                .map_err(|why| located(&shown, &text, &key, format!("{key}: {why}")))?;
        }
        if key == "patches" {
            for (i, item) in items.iter().enumerate() {
                check_target(&shown, &text, i, item, part.objects, generated)?;
            }
        }
        super::append(root, &key, items);
    }
    Ok(())
}

/// Fields that make objects the inventory has not seen.
const GENERATORS: &[&str] = &["configMapGenerator", "secretGenerator"];

/// kustomize lets a patch whose `target` selects nothing pass in silence;
/// in a component's template that is a mistake (a misspelt name, a kind
/// the component lost), so it is an error. A target that may select a
/// ConfigMap or Secret made by a generator of the generated kustomization
/// is let through: those objects do not exist yet.
fn check_target(
    shown: &str,
    text: &str,
    index: usize,
    item: &Node,
    objects: &[Resource],
    generated: bool,
) -> Result<(), Error> {
    let Some(target) = item.get("target") else {
        return Ok(());
    };
    let Ok(selector) = Selector::from_node(target) else {
        return Ok(()); // the engine reports a bad selector with its words
    };
    if objects.iter().any(|r| selector.matches(r)) {
        return Ok(());
    }
    let field = |k: &str| target.get(k).and_then(Node::scalar_text);
    let kind = field("kind");
    if generated
        && kind
            .as_deref()
            .is_none_or(|k| k == "ConfigMap" || k == "Secret")
    {
        return Ok(());
    }
    let wanted = describe_target(target);
    let key = field("name").unwrap_or_else(|| "patches".to_string());
    let mut d = diagnostic_at_text(
        shown,
        text,
        &key,
        format!("patches[{index}]: the target ({wanted}) selects no object of the build, so the patch would change nothing"),
    );
    let all: Vec<&Resource> = objects.iter().collect();
    d = d.with_note(target_help(kind.as_deref(), field("name").as_deref(), &all));
    Err(Error::diagnostic(d))
}

/// A patch target in words: `group g, version v, kind K, name n`.
pub(crate) fn describe_target(target: &Node) -> String {
    ["group", "version", "kind", "name", "namespace"]
        .iter()
        .filter_map(|k| {
            let v = target.get(k).and_then(Node::scalar_text)?;
            Some(format!("{k} {v}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Names the objects the target may have meant.
pub(crate) fn target_help(kind: Option<&str>, name: Option<&str>, objects: &[&Resource]) -> String {
    let of_kind: Vec<&&Resource> = objects
        .iter()
        .filter(|r| kind.is_none_or(|k| r.kind() == k))
        .collect();
    let names: Vec<String> = of_kind.iter().map(|r| r.id().name.to_string()).collect();
    let same_kind: Vec<String> = of_kind
        .iter()
        .zip(&names)
        .map(|(r, n)| format!("{}/{n}", r.kind()))
        .collect();
    let guess = name
        .and_then(|n| crate::schema::suggest::did_you_mean(n, names.iter().map(String::as_str)));
    match (guess, kind) {
        (Some(g), _) => format!("help: did you mean `{g}`?"),
        (None, Some(k)) if same_kind.is_empty() => {
            format!("help: no object of the build has kind `{k}`")
        }
        (None, _) => format!("help: the build has {}", same_kind.join(", ")),
    }
}

/// A diagnostic at the first line of the template that contains `needle`
/// (the first line when none does).
pub(crate) fn diagnostic_at_text(
    shown: &str,
    text: &str,
    needle: &str,
    message: String,
) -> Diagnostic {
    let found = text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find(needle).map(|c| (i + 1, l[..c].chars().count() + 1)));
    let (line, col) = found.unwrap_or((1, 0));
    let origin = Origin::File {
        path: shown.to_string(),
        line: Some(line),
        col,
        source: Some(std::sync::Arc::from(text)),
    };
    Diagnostic::at(origin, message)
}

fn not_allowed(shown: &str, text: &str, key: &str) -> Error {
    let allowed: Vec<&str> = FIELDS.iter().map(|(f, _)| *f).collect();
    let mut d = diagnostic(
        shown,
        text,
        key,
        format!("a component's template cannot set `{key}`"),
    );
    d = d.with_note(
        match crate::schema::suggest::did_you_mean(key, allowed.iter().copied()) {
            Some(s) => format!("help: did you mean `{s}`?"),
            None => format!("help: it may add {}", allowed.join(", ")),
        },
    );
    Error::diagnostic(d)
}

fn located(shown: &str, text: &str, key: &str, message: String) -> Error {
    Error::diagnostic(diagnostic(shown, text, key, message))
}

/// A diagnostic at the line of the template that writes `key` (found by
/// its text; the first line when the key is written by an expression).
fn diagnostic(shown: &str, text: &str, key: &str, message: String) -> Diagnostic {
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with(&format!("{key}:")))
        .map(|i| i + 1);
    let origin = Origin::File {
        path: shown.to_string(),
        line: Some(line.unwrap_or(1)),
        col: usize::from(line.is_some()),
        source: Some(std::sync::Arc::from(text)),
    };
    Diagnostic::at(origin, message)
}

/// Rewrites the file paths of one entry from the component's folder to the
/// project root.
fn rebase(item: &mut Node, path_fields: &[&str], folder: &str) -> Result<(), String> {
    let Node::Map(m) = item else {
        return Ok(());
    };
    for field in path_fields {
        match m.get_mut(field) {
            Some(Node::Str(s)) => *s = rebased(s, folder)?.into(),
            Some(Node::Seq(list)) => {
                for entry in list {
                    if let Node::Str(s) = entry {
                        *s = rebased(s, folder)?.into();
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// `key=path` or `path`, with the path moved under `folder`.
fn rebased(source: &str, folder: &str) -> Result<String, String> {
    let (key, path) = match source.split_once('=') {
        Some((k, p)) => (Some(k), p),
        None => (None, source),
    };
    let mut out = PathBuf::new();
    for part in Path::new(path).components() {
        match part {
            Part::Normal(n) => out.push(n),
            Part::CurDir => {}
            _ => return Err(format!("`{path}` leaves the component's folder")),
        }
    }
    let joined = format!("{folder}/{}", out.to_string_lossy().replace('\\', "/"));
    Ok(match key {
        Some(k) => format!("{k}={joined}"),
        None => joined,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_move_under_the_component() {
        assert_eq!(
            rebased("patch.yaml", "components/db").unwrap(),
            "components/db/patch.yaml"
        );
        assert_eq!(rebased("./a/b.env", "c/x").unwrap(), "c/x/a/b.env");
        assert_eq!(rebased("k=conf/f.txt", "c/x").unwrap(), "k=c/x/conf/f.txt");
        assert!(rebased("../other/p.yaml", "c/x")
            .unwrap_err()
            .contains("leaves"));
        assert_eq!(
            rebased("/etc/passwd", "c/x").unwrap_err().to_string(),
            "`/etc/passwd` leaves the component's folder"
        );
    }
}
