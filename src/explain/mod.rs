//! `compose explain KIND/NAME FIELD`: one field of one rendered object,
//! and where its value came from.
//!
//! The render is built once to find the object, then again with an
//! observer ([`compose_kustomize::observe`]) that follows the object
//! through the build: the file and line that first write the field, then
//! every step that changed it, in order. A step of the generated
//! kustomization is traced back to the values that hold the value it
//! wrote, with every layer that sets them.

mod lines;
mod patch_line;
mod sources;
mod trace;

pub(crate) use crate::field_path::{of_pointer, path_text, resolve, Seg};
pub(crate) use lines::{explained, written_origin, Inputs};
pub(crate) use trace::{Tracker, Trackers};

use crate::error::Error;
use crate::field_path::{deepest, item_key, keys_at, parse_path};
use compose_kustomize::resource::Resource;
use compose_yaml::Node;

/// What `compose explain` was asked for.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Query {
    /// The kind, perhaps with its group: `Deployment`, `deployment.apps`.
    pub(crate) kind: String,
    /// The object's name in the render.
    pub(crate) name: String,
    /// `--namespace`, when given.
    pub(crate) namespace: Option<String>,
    /// The field.
    pub(crate) path: Vec<Seg>,
}

impl Query {
    /// Reads `KIND/NAME` and the field path.
    pub(crate) fn parse(
        object: &str,
        field: &str,
        namespace: Option<String>,
    ) -> Result<Query, Error> {
        let Some((kind, name)) = object
            .split_once('/')
            .filter(|(k, n)| !k.is_empty() && !n.is_empty() && !n.contains('/'))
        else {
            return Err(Error::Usage(format!(
                "`{object}` is not KIND/NAME (for example Deployment/api)"
            )));
        };
        let path = parse_path(field).map_err(|m| {
            Error::Usage(format!(
                "{m} (for example spec.replicas, or spec.template.spec.containers[name=api].image)"
            ))
        })?;
        Ok(Query {
            kind: kind.to_string(),
            name: name.to_string(),
            namespace,
            path,
        })
    }

    /// Whether `r` is of the asked kind (and group, when given).
    fn kind_matches(&self, r: &Resource) -> bool {
        let (kind, group) = self.kind.split_once('.').unwrap_or((&self.kind, ""));
        r.kind().eq_ignore_ascii_case(kind) && (group.is_empty() || r.gvk().group == group)
    }
}

/// The object `q` names among the render's objects.
pub(crate) fn find<'o>(objects: &'o [Resource], q: &Query) -> Result<&'o Resource, Error> {
    let of_kind: Vec<&Resource> = objects.iter().filter(|r| q.kind_matches(r)).collect();
    let named: Vec<&Resource> = of_kind
        .iter()
        .copied()
        .filter(|r| r.name() == q.name)
        .filter(|r| q.namespace.as_ref().is_none_or(|n| r.namespace() == n))
        .collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => Err(Error::Invalid(not_found(objects, &of_kind, q))),
        many => {
            let spaces: Vec<&str> = many.iter().map(|r| r.namespace()).collect();
            Err(Error::Invalid(format!(
                "{} objects are named {}/{} (namespaces {}); pick one with --namespace",
                many.len(),
                many[0].kind(),
                q.name,
                spaces.join(", ")
            )))
        }
    }
}

/// Why `q` names no object, and the names it may have meant.
fn not_found(objects: &[Resource], of_kind: &[&Resource], q: &Query) -> String {
    let wanted = match &q.namespace {
        Some(ns) => format!("{}/{} in namespace {ns}", q.kind, q.name),
        None => format!("{}/{}", q.kind, q.name),
    };
    if of_kind.is_empty() {
        let mut kinds: Vec<&str> = objects.iter().map(Resource::kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let (kind, _) = q.kind.split_once('.').unwrap_or((&q.kind, ""));
        let hint = match compose_kustomize::suggest::did_you_mean(kind, kinds.iter().copied()) {
            Some(k) => format!("; did you mean {k}?"),
            None => String::new(),
        };
        return format!(
            "the render has no {wanted}: it has no object of kind {}{hint} (its kinds: {})",
            q.kind,
            kinds.join(", ")
        );
    }
    let mut names: Vec<String> = of_kind
        .iter()
        .map(|r| match r.namespace() {
            "" => r.name().to_string(),
            ns if q.namespace.is_some() => format!("{} (namespace {ns})", r.name()),
            _ => r.name().to_string(),
        })
        .collect();
    names.sort();
    names.dedup();
    let kind = of_kind[0].kind();
    let bare: Vec<&str> = of_kind.iter().map(|r| r.name()).collect();
    let hint = match compose_kustomize::suggest::did_you_mean(&q.name, bare) {
        Some(n) if n != q.name => format!("; did you mean {kind}/{n}?"),
        _ => String::new(),
    };
    format!(
        "the render has no {wanted}{hint} (its {kind} objects: {})",
        names.join(", ")
    )
}

/// The message for a field the object never had in the build.
pub(crate) fn no_such_field(target: &Resource, path: &[Seg]) -> Error {
    let n = deepest(&target.node, path);
    let have = if n == 0 {
        "the object".to_string()
    } else {
        format!("`{}`", path_text(&path[..n]))
    };
    let Some(seg) = path.get(n) else {
        return Error::Internal(format!(
            "{}/{} has `{}` in the render, but the build never showed it",
            target.kind(),
            target.name(),
            path_text(path)
        ));
    };
    let missing = path_text(std::slice::from_ref(seg));
    let keys = keys_at(&target.node, &path[..n]);
    let hint = match seg {
        Seg::Key(k) => {
            match compose_kustomize::suggest::did_you_mean(k, keys.iter().map(String::as_str)) {
                Some(s) => format!("; did you mean `{s}`?"),
                None if keys.is_empty() => String::new(),
                None => format!(" (its keys: {})", keys.join(", ")),
            }
        }
        Seg::Match(f, _) => match resolve(&target.node, &path[..n]) {
            Some((Node::Seq(items), _)) => {
                let keys: Vec<String> = items.iter().filter_map(|i| item_key(i, f)).collect();
                format!(" (its items' {f}: {})", keys.join(", "))
            }
            _ => String::new(),
        },
        Seg::Index(_) => match resolve(&target.node, &path[..n]) {
            Some((Node::Seq(items), _)) if items.len() == 1 => " (it has 1 item)".to_string(),
            Some((Node::Seq(items), _)) => format!(" (it has {} items)", items.len()),
            _ => String::new(),
        },
    };
    Error::Invalid(format!(
        "{}/{} has no field `{}` at any step of the build: {have} has no `{missing}`{hint}",
        target.kind(),
        target.name(),
        path_text(path)
    ))
}

/// One line of the explanation: where, what ran, the value it left, and
/// the values it came from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Shown {
    /// `file:line:column`, or `(compose template):line:column` for the
    /// generated kustomization.
    pub(crate) place: String,
    /// What ran there (`replicas`, `patches[2]`); empty for the file that
    /// wrote the object.
    pub(crate) what: String,
    /// The value before the step; `None` for the first line.
    pub(crate) before: Option<Option<Node>>,
    /// The value after it.
    pub(crate) after: Option<Node>,
    /// The values entries it came from: the key as written
    /// (`api.replicas`), then every place that sets it, the winning layer
    /// last.
    pub(crate) values: Vec<(String, Vec<String>)>,
    /// Whether the values make the value together (an image's repository
    /// and tag) rather than each holding all of it.
    pub(crate) together: bool,
    /// For a patch written in a project file, where in the patch it
    /// writes the field (`file:line:column`).
    pub(crate) written_at: Option<String>,
}

/// The whole explanation.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Explained {
    /// `Deployment/arches-api`.
    pub(crate) object: String,
    /// The object's namespace; empty when it has none.
    pub(crate) namespace: String,
    /// The field as shown.
    pub(crate) field: String,
    /// Its value in the render.
    pub(crate) value: Option<Node>,
    /// Where it was written, then each change, in order.
    pub(crate) lines: Vec<Shown>,
}

/// The explanation as one JSON document: the same as the text, with
/// absent values left out.
pub(crate) fn to_json(e: &Explained) -> String {
    use crate::compare::node_json;
    use serde_json::{json, Map, Value};
    let step = |line: &Shown| -> Value {
        let mut m = Map::new();
        m.insert("place".into(), Value::from(line.place.clone()));
        if !line.what.is_empty() {
            m.insert("step".into(), Value::from(line.what.clone()));
        }
        let after_key = match &line.before {
            None => "value",
            Some(before) => {
                if let Some(b) = before {
                    m.insert("before".into(), node_json(b));
                }
                "after"
            }
        };
        if let Some(a) = &line.after {
            m.insert(after_key.into(), node_json(a));
        }
        if let Some(at) = &line.written_at {
            m.insert("writtenAt".into(), Value::from(at.clone()));
        }
        if !line.values.is_empty() {
            let values: Vec<Value> = line
                .values
                .iter()
                .map(|(key, places)| {
                    let (winner, below) = places
                        .split_last()
                        .map_or(("", &[][..]), |(w, b)| (w.as_str(), b));
                    json!({"key": key, "setAt": winner, "over": below})
                })
                .collect();
            m.insert("values".into(), Value::from(values));
            let candidates = line.values.len() > 1 && !line.together;
            m.insert("candidates".into(), Value::from(candidates));
        }
        Value::Object(m)
    };
    let mut doc = Map::new();
    doc.insert("object".into(), Value::from(e.object.clone()));
    doc.insert("namespace".into(), Value::from(e.namespace.clone()));
    doc.insert("field".into(), Value::from(e.field.clone()));
    if let Some(v) = &e.value {
        doc.insert("value".into(), node_json(v));
    }
    doc.insert("steps".into(), e.lines.iter().map(step).collect());
    let mut text = serde_json::to_string_pretty(&Value::Object(doc)).unwrap_or_default();
    text.push('\n');
    text
}

/// The explanation as text.
pub(crate) fn to_text(e: &Explained) -> String {
    use crate::compare::shown;
    let mut out = format!("{} {}: {}", e.object, e.field, shown(e.value.as_ref()));
    if !e.namespace.is_empty() {
        out.push_str(&format!(" (namespace {})", e.namespace));
    }
    out.push_str("\n\n");
    for line in &e.lines {
        out.push_str(&line.place);
        out.push_str(": ");
        if !line.what.is_empty() {
            out.push_str(&line.what);
            out.push_str(": ");
        }
        match &line.before {
            None => out.push_str(&shown(line.after.as_ref())),
            Some(before) => out.push_str(&format!(
                "{} → {}",
                shown(before.as_ref()),
                shown(line.after.as_ref())
            )),
        }
        out.push('\n');
        if let Some(at) = &line.written_at {
            out.push_str(&format!("  written at {at}\n"));
        }
        let several = line.values.len() > 1 && !line.together;
        if several {
            out.push_str("  from one of these values, which hold that value:\n");
        }
        for (key, places) in &line.values {
            let (winner, below) = places
                .split_last()
                .map_or(("", &[][..]), |(w, b)| (w.as_str(), b));
            let indent = if several { "    " } else { "  from values " };
            out.push_str(&format!("{indent}{key}, set at {winner}"));
            if !below.is_empty() {
                out.push_str(&format!(" (over {})", below.join(", ")));
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(text: &str) -> Vec<Resource> {
        compose_yaml::parse_stream(text)
            .unwrap()
            .into_iter()
            .map(Resource::new)
            .collect()
    }

    fn query(object: &str, namespace: Option<&str>) -> Query {
        Query::parse(object, "metadata.name", namespace.map(str::to_string)).unwrap()
    }

    #[test]
    fn an_object_is_found_by_kind_group_name_and_namespace() {
        let all = objects(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: a}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: b}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: a}\n",
        );
        let found = find(&all, &query("service/web", None)).unwrap();
        assert_eq!(found.kind(), "Service");
        let found = find(&all, &query("deployment.apps/web", Some("b"))).unwrap();
        assert_eq!(found.namespace(), "b");
        let Err(Error::Invalid(m)) = find(&all, &query("Deployment/web", None)) else {
            panic!("two objects share the name");
        };
        assert_eq!(
            m,
            "2 objects are named Deployment/web (namespaces a, b); pick one with --namespace"
        );
        let Err(Error::Invalid(m)) = find(&all, &query("Deployment.batch/web", None)) else {
            panic!("no Deployment of group batch");
        };
        assert_eq!(
            m,
            "the render has no Deployment.batch/web: it has no object of kind Deployment.batch; did you mean Deployment? (its kinds: Deployment, Service)"
        );
    }
}
