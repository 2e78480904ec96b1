//! `compose compare A B`: what differs between two renders, object by
//! object and field by field.
//!
//! Objects are paired by group, kind and name, namespace included when
//! both sides have the object in the same namespace, else ignored (an
//! environment usually has a namespace of its own, and its Deployment is
//! still "the same" Deployment). A generated ConfigMap or Secret, whose
//! name ends in a hash of its content, pairs by the name before the hash.
//! Within a pair, mappings are compared key by key (their order is noise)
//! and lists item by item: by a key field where every item has one of its
//! own (`containers[name=api]`), else by position. The values of a
//! Secret's `data` and `stringData` are never shown: only that a key was
//! added, removed or changed.
//!
//! Everything is sorted, so the same two renders always give the same
//! report.

use crate::field_path::{path_text, Seg};
use compose_kustomize::redact::Secrets;
use compose_kustomize::resource::Resource;
use compose_yaml::Node;
use std::collections::BTreeMap;

/// The fields that identify an item of a list, tried in this order: the
/// first one every item has, with a scalar value no other item shares,
/// keys the list. A dotted field is a path (`metadata.name`, for volume
/// claim templates).
const LIST_KEYS: &[&str] = &[
    "name",
    "metadata.name",
    "mountPath",
    "containerPort",
    "port",
    "topologyKey",
    "ip",
];

/// The fields of a Secret whose values are never shown.
const SECRET_FIELDS: &[&str] = &["data", "stringData"];

/// One side of a comparison, for headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Side {
    /// How the user named it (`dev`, `dev (tier small)`).
    pub(crate) label: String,
    /// The values files layered, as shown.
    pub(crate) files: Vec<String>,
}

/// What differs between two renders.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Report {
    /// Objects only the first render has, sorted.
    pub(crate) only_a: Vec<String>,
    /// Objects only the second render has, sorted.
    pub(crate) only_b: Vec<String>,
    /// Objects both have, with the fields that differ, sorted by object.
    pub(crate) changed: Vec<ObjectChange>,
}

impl Report {
    /// Whether the renders are the same.
    pub(crate) fn is_empty(&self) -> bool {
        self.only_a.is_empty() && self.only_b.is_empty() && self.changed.is_empty()
    }
}

/// The fields that differ in one object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ObjectChange {
    /// `Kind/name` (`Kind/namespace/name` when the name alone is ambiguous).
    pub(crate) object: String,
    /// The fields, in document order of the paths (keys sorted).
    pub(crate) fields: Vec<FieldChange>,
}

/// One field that differs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct FieldChange {
    /// `spec.template.spec.containers[name=api].image`.
    pub(crate) path: String,
    /// How it differs.
    pub(crate) change: Change,
}

/// How a field differs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Change {
    /// The value on each side; `None` where the field is absent.
    Value {
        /// The first render's.
        a: Option<Node>,
        /// The second render's.
        b: Option<Node>,
    },
    /// A Secret's value, not shown.
    Hidden(Hidden),
}

/// What happened to a Secret's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hidden {
    /// Only the second render has the key.
    Added,
    /// Only the first render has the key.
    Removed,
    /// Both have it, with different values.
    Changed,
}

impl Hidden {
    fn word(self) -> &'static str {
        match self {
            Hidden::Added => "added",
            Hidden::Removed => "removed",
            Hidden::Changed => "changed",
        }
    }
}

/// Compares two renders.
pub(crate) fn compare(a: &[Resource], b: &[Resource]) -> Report {
    let (pairs, only_a, only_b) = pair(a, b);
    let mut report = Report {
        only_a: labels(a, &only_a),
        only_b: labels(b, &only_b),
        changed: Vec::new(),
    };
    for (i, j) in pairs {
        let mut fields = Vec::new();
        let secret = a[i].kind() == "Secret";
        diff(
            Some(&a[i].node),
            Some(&b[j].node),
            &mut Vec::new(),
            secret,
            &mut fields,
        );
        if !fields.is_empty() {
            report.changed.push(ObjectChange {
                object: label(a, i),
                fields,
            });
        }
    }
    report.only_a.sort();
    report.only_b.sort();
    report.changed.sort_by(|x, y| x.object.cmp(&y.object));
    report
}

/// Pairs of (index in `a`, index in `b`), and the indexes of each side
/// that have no partner.
fn pair(a: &[Resource], b: &[Resource]) -> (Vec<(usize, usize)>, Vec<usize>, Vec<usize>) {
    let mut pairs = Vec::new();
    let mut left: Vec<usize> = (0..a.len()).collect();
    let mut right: Vec<usize> = (0..b.len()).collect();
    let keyings: [fn(&Resource) -> String; 3] = [exact_key, key_without_namespace, base_key];
    for key in keyings {
        let of_a = unique_by(a, &left, key);
        let of_b = unique_by(b, &right, key);
        for (k, i) in &of_a {
            if let Some(j) = of_b.get(k) {
                pairs.push((*i, *j));
            }
        }
        left.retain(|i| !pairs.iter().any(|(x, _)| x == i));
        right.retain(|j| !pairs.iter().any(|(_, y)| y == j));
    }
    pairs.sort_unstable();
    (pairs, left, right)
}

/// The objects among `indexes` by `key`, leaving out keys several share.
fn unique_by(
    objects: &[Resource],
    indexes: &[usize],
    key: fn(&Resource) -> String,
) -> BTreeMap<String, usize> {
    let mut seen: BTreeMap<String, Option<usize>> = BTreeMap::new();
    for &i in indexes {
        seen.entry(key(&objects[i]))
            .and_modify(|slot| *slot = None)
            .or_insert(Some(i));
    }
    seen.into_iter()
        .filter_map(|(k, i)| Some((k, i?)))
        .collect()
}

/// Group, kind, namespace and name.
fn exact_key(r: &Resource) -> String {
    format!("{}\n{}", key_without_namespace(r), r.namespace())
}

/// Group, kind and name.
fn key_without_namespace(r: &Resource) -> String {
    let gvk = r.gvk();
    format!("{}\n{}\n{}", gvk.group, gvk.kind, r.name())
}

/// Group, kind and the name before a content hash, for generated objects.
fn base_key(r: &Resource) -> String {
    let gvk = r.gvk();
    let name = r.name();
    let base = match name.rsplit_once('-') {
        Some((base, hash)) if r.meta.needs_hash && is_hash(hash) => base,
        _ => name,
    };
    format!("{}\n{}\n{base}", gvk.group, gvk.kind)
}

/// Whether `s` reads as kustomize's content hash: ten characters of its
/// alphabet (hexadecimal digits with the vowels and the look-alikes
/// replaced).
fn is_hash(s: &str) -> bool {
    s.len() == 10 && s.bytes().all(|c| b"2456789bcdfghkmt".contains(&c))
}

/// The labels of `indexes` in `objects`.
fn labels(objects: &[Resource], indexes: &[usize]) -> Vec<String> {
    indexes.iter().map(|&i| label(objects, i)).collect()
}

/// `Kind/name`, or `Kind/namespace/name` when another object of the same
/// render has the same kind and name.
fn label(objects: &[Resource], i: usize) -> String {
    let r = &objects[i];
    let ambiguous = objects
        .iter()
        .enumerate()
        .any(|(j, o)| j != i && key_without_namespace(o) == key_without_namespace(r));
    if ambiguous && !r.namespace().is_empty() {
        format!("{}/{}/{}", r.kind(), r.namespace(), r.name())
    } else {
        format!("{}/{}", r.kind(), r.name())
    }
}

/// Records into `out` every field under `path` where `a` and `b` differ.
/// `secret`: the object is a Secret, whose values stay hidden.
fn diff(
    a: Option<&Node>,
    b: Option<&Node>,
    path: &mut Vec<Seg>,
    secret: bool,
    out: &mut Vec<FieldChange>,
) {
    if secret && path.len() == 1 && is_secret_field(path) {
        hidden(a, b, path, out);
        return;
    }
    match (a, b) {
        (Some(Node::Map(x)), Some(Node::Map(y))) => {
            let mut keys: Vec<&str> = x.keys().chain(y.keys()).map(|k| &**k).collect();
            keys.sort_unstable();
            keys.dedup();
            for k in keys {
                path.push(Seg::Key(k.to_string()));
                diff(x.get(k), y.get(k), path, secret, out);
                path.pop();
            }
        }
        (Some(Node::Seq(x)), Some(Node::Seq(y))) => diff_items(x, y, path, secret, out),
        _ if a == b => {}
        _ => out.push(FieldChange {
            path: path_text(path),
            change: Change::Value {
                a: a.cloned(),
                b: b.cloned(),
            },
        }),
    }
}

/// Whether `path` (one key long) is a Secret's `data` or `stringData`.
fn is_secret_field(path: &[Seg]) -> bool {
    matches!(path.first(), Some(Seg::Key(k)) if SECRET_FIELDS.contains(&k.as_str()))
}

/// A Secret's `data` or `stringData`: which keys were added, removed or
/// changed, without their values.
fn hidden(a: Option<&Node>, b: Option<&Node>, path: &mut Vec<Seg>, out: &mut Vec<FieldChange>) {
    let empty = compose_yaml::Mapping::new();
    let map = |n: Option<&Node>| -> Option<compose_yaml::Mapping> {
        match n {
            None | Some(Node::Null) => Some(empty.clone()),
            Some(Node::Map(m)) => Some(m.clone()),
            Some(_) => None,
        }
    };
    let (Some(x), Some(y)) = (map(a), map(b)) else {
        // Not a mapping on one side: say that it changed, nothing more.
        if a != b {
            out.push(FieldChange {
                path: path_text(path),
                change: Change::Hidden(Hidden::Changed),
            });
        }
        return;
    };
    let mut keys: Vec<&str> = x.keys().chain(y.keys()).map(|k| &**k).collect();
    keys.sort_unstable();
    keys.dedup();
    for k in keys {
        let what = match (x.get(k), y.get(k)) {
            (Some(_), None) => Hidden::Removed,
            (None, Some(_)) => Hidden::Added,
            (Some(v), Some(w)) if v != w => Hidden::Changed,
            _ => continue,
        };
        path.push(Seg::Key(k.to_string()));
        out.push(FieldChange {
            path: path_text(path),
            change: Change::Hidden(what),
        });
        path.pop();
    }
}

/// Two lists: item by item, by a key field when both lists have one.
fn diff_items(
    x: &[Node],
    y: &[Node],
    path: &mut Vec<Seg>,
    secret: bool,
    out: &mut Vec<FieldChange>,
) {
    let Some(field) = LIST_KEYS
        .iter()
        .find(|f| keyed_by(x, f).is_some() && keyed_by(y, f).is_some())
    else {
        for i in 0..x.len().max(y.len()) {
            path.push(Seg::Index(i));
            diff(x.get(i), y.get(i), path, secret, out);
            path.pop();
        }
        return;
    };
    let (kx, ky) = (
        keyed_by(x, field).unwrap_or_default(),
        keyed_by(y, field).unwrap_or_default(),
    );
    let mut keys: Vec<&String> = kx.keys().chain(ky.keys()).collect();
    keys.sort_unstable();
    keys.dedup();
    for k in keys {
        path.push(Seg::Match(field.to_string(), k.clone()));
        diff(kx.get(k).copied(), ky.get(k).copied(), path, secret, out);
        path.pop();
    }
}

/// The items of `list` by the scalar value of `field`, when every item
/// has one and no two share it.
fn keyed_by<'a>(list: &'a [Node], field: &str) -> Option<BTreeMap<String, &'a Node>> {
    let mut out = BTreeMap::new();
    for item in list {
        let path: Vec<&str> = field.split('.').collect();
        let key = item.get_path(&path)?.scalar_text()?;
        if out.insert(key, item).is_some() {
            return None;
        }
    }
    Some(out)
}

/// A value as the text report shows it: scalars as written, strings
/// quoted where they would read as something else, collections as
/// compact JSON; `(none)` for an absent field.
pub(crate) fn shown(n: Option<&Node>) -> String {
    match n {
        None => "(none)".to_string(),
        Some(Node::Str(s)) if needs_quotes(s) => compose_yaml::json::to_json(&Node::str(&**s)),
        Some(n) => n.to_string(),
    }
}

/// Whether a string would be misread unquoted: empty, padded, on several
/// lines, or looking like a number, a boolean, null, a collection or a
/// word of the report.
fn needs_quotes(s: &str) -> bool {
    const WORDS: &[&str] = &["true", "false", "null", "~", "yes", "no", "on", "off"];
    s.is_empty()
        || s.trim() != s
        || s.chars().any(|c| c.is_control() || c == '→')
        || s.parse::<f64>().is_ok()
        || WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
        || s.starts_with(['{', '[', '"', '('])
}

/// A value as JSON.
pub(crate) fn node_json(n: &Node) -> serde_json::Value {
    serde_json::from_str(&compose_yaml::json::to_json(n)).unwrap_or(serde_json::Value::Null)
}

/// The report as text: a header naming the sides, the objects only one
/// side has, then each changed object and its fields. Empty when the
/// renders are the same.
pub(crate) fn to_text(report: &Report, a: &Side, b: &Side) -> String {
    if report.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "--- {}: {}\n+++ {}: {}\n",
        a.label,
        a.files.join(", "),
        b.label,
        b.files.join(", ")
    );
    for o in &report.only_a {
        out.push_str(&format!("only in {}: {o}\n", a.label));
    }
    for o in &report.only_b {
        out.push_str(&format!("only in {}: {o}\n", b.label));
    }
    for c in &report.changed {
        out.push_str(&format!("{}:\n", c.object));
        for f in &c.fields {
            let change = match &f.change {
                Change::Value { a, b } => {
                    format!("{} → {}", shown(a.as_ref()), shown(b.as_ref()))
                }
                Change::Hidden(h) => format!("{} (value hidden)", h.word()),
            };
            out.push_str(&format!("  {}: {change}\n", f.path));
        }
    }
    out
}

/// The report as one JSON document (see docs/cli.md, `compare`).
pub(crate) fn to_json(report: &Report, a: &Side, b: &Side) -> String {
    use serde_json::{json, Value};
    let side = |s: &Side| json!({"name": s.label, "files": s.files});
    let node = node_json;
    let field = |f: &FieldChange| -> Value {
        let mut m = serde_json::Map::new();
        m.insert("path".into(), Value::from(f.path.clone()));
        match &f.change {
            Change::Value { a, b } => {
                if let Some(a) = a {
                    m.insert("a".into(), node(a));
                }
                if let Some(b) = b {
                    m.insert("b".into(), node(b));
                }
            }
            Change::Hidden(h) => {
                m.insert("hidden".into(), Value::from(h.word()));
            }
        }
        Value::Object(m)
    };
    let changed: Vec<Value> = report
        .changed
        .iter()
        .map(|c| json!({"object": c.object, "fields": c.fields.iter().map(field).collect::<Vec<_>>()}))
        .collect();
    let doc = json!({
        "a": side(a),
        "b": side(b),
        "same": report.is_empty(),
        "onlyInA": report.only_a,
        "onlyInB": report.only_b,
        "changed": changed,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// `text` with every value of the Secrets of both renders scrubbed: the
/// report never prints a Secret's value itself, and a value that also
/// appears in another object's field is hidden there too.
pub(crate) fn scrub(text: &str, a: &[Resource], b: &[Resource]) -> String {
    let secrets = Secrets::of_objects(a.iter().chain(b).map(|r| &r.node));
    if secrets.is_empty() {
        text.to_string()
    } else {
        secrets.scrub(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(yaml: &str) -> Vec<Resource> {
        compose_yaml::parse_stream(yaml)
            .unwrap()
            .into_iter()
            .map(Resource::new)
            .collect()
    }

    fn sides() -> (Side, Side) {
        let side = |l: &str| Side {
            label: l.into(),
            files: vec![format!("values-{l}.yaml")],
        };
        (side("a"), side("b"))
    }

    #[test]
    fn keyed_lists_and_key_order_noise() {
        let a = objects(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: x}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers:\n      - {name: api, image: api:1}\n      - {name: side, image: s:1}\n",
        );
        let b = objects(
            "kind: Deployment\napiVersion: apps/v1\nmetadata: {namespace: y, name: api}\nspec:\n  template:\n    spec:\n      containers:\n      - {image: s:1, name: side}\n      - {name: api, image: api:2}\n  replicas: 3\n",
        );
        let (sa, sb) = sides();
        assert_eq!(
            to_text(&compare(&a, &b), &sa, &sb),
            "--- a: values-a.yaml\n+++ b: values-b.yaml\nDeployment/api:\n  metadata.namespace: x → y\n  spec.replicas: 1 → 3\n  spec.template.spec.containers[name=api].image: api:1 → api:2\n"
        );
        assert!(compare(&a, &a).is_empty());
        assert_eq!(to_text(&compare(&a, &a), &sa, &sb), "");
    }

    #[test]
    fn secret_values_are_never_shown() {
        let a = objects("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: c2VjcmV0LW9uZQ==, gone: eA==}\nstringData: {p: hunter22}\n");
        let b = objects("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {k: c2VjcmV0LXR3bw==, new: eQ==}\n");
        let (sa, sb) = sides();
        let text = to_text(&compare(&a, &b), &sa, &sb);
        assert_eq!(
            text,
            "--- a: values-a.yaml\n+++ b: values-b.yaml\nSecret/s:\n  data.gone: removed (value hidden)\n  data.k: changed (value hidden)\n  data.new: added (value hidden)\n  stringData.p: removed (value hidden)\n"
        );
        let json = to_json(&compare(&a, &b), &sa, &sb);
        assert!(!json.contains("c2Vj") && !json.contains("hunter"), "{json}");
    }

    #[test]
    fn objects_only_on_one_side_and_generated_names() {
        let a = objects("apiVersion: v1\nkind: Service\nmetadata: {name: old}\n");
        let mut b = objects("apiVersion: v1\nkind: Service\nmetadata: {name: new}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c-2hc5m6ktbh}\ndata: {a: \"1\"}\n");
        b[1].meta.needs_hash = true;
        let mut a2 = a.clone();
        a2.extend(objects(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c-7g8tk5bh9d}\ndata: {a: \"2\"}\n",
        ));
        a2[1].meta.needs_hash = true;
        let report = compare(&a2, &b);
        assert_eq!(report.only_a, ["Service/old"]);
        assert_eq!(report.only_b, ["Service/new"]);
        let (sa, sb) = sides();
        assert_eq!(
            to_text(&report, &sa, &sb),
            "--- a: values-a.yaml\n+++ b: values-b.yaml\nonly in a: Service/old\nonly in b: Service/new\nConfigMap/c-7g8tk5bh9d:\n  data.a: \"2\" → \"1\"\n  metadata.name: c-7g8tk5bh9d → c-2hc5m6ktbh\n"
        );
    }

    #[test]
    fn values_that_would_read_as_another_type_are_quoted() {
        assert_eq!(shown(Some(&Node::str("(none)"))), "\"(none)\"");
        assert_eq!(shown(Some(&Node::str("512Mi"))), "512Mi");
    }
}
