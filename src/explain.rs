//! `compose explain KIND/NAME FIELD`: one field of one rendered object,
//! and where its value came from.
//!
//! The render is built once to find the object, then again with an
//! observer ([`compose_kustomize::observe`]) that follows the object
//! through the build: the file and line that first write the field, then
//! every step that changed it, in order. A step of the generated
//! kustomization is traced back to the values that hold the value it
//! wrote, with every layer that sets them.

use crate::error::Error;
use compose_kustomize::observe::{Observer, Step};
use compose_kustomize::resource::{ResId, Resource};
use compose_kustomize::Location;
use compose_yaml::Node;
use std::path::PathBuf;
use std::sync::Mutex;

/// One part of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A mapping key (`spec`, `["example.com/x"]`), or a list index
    /// written as a key (`containers.0`).
    Key(String),
    /// A list item by position: `[0]`.
    Index(usize),
    /// A list item by one of its fields: `[name=api]`.
    Match(String, String),
}

/// Reads a field path as `compose compare` prints them, or as kustomize's
/// `replacements` write them: `spec.replicas`,
/// `spec.template.spec.containers[name=api].image` (or
/// `containers.[name=api]`), `containers[0]` (or `containers.0`),
/// `metadata.annotations["example.com/x"]` (or `[example.com/x]`).
pub(crate) fn parse_path(text: &str) -> Result<Vec<Seg>, String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("the field path is empty".into());
    }
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let (seg, after) = bracket(inner, text)?;
            out.push(seg);
            rest = after;
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = &rest[..end];
            if key.is_empty() {
                return Err(format!("`{text}` has an empty part"));
            }
            out.push(Seg::Key(key.to_string()));
            rest = &rest[end..];
        }
        if let Some(after) = rest.strip_prefix('.') {
            if after.is_empty() {
                return Err(format!("`{text}` ends with `.`"));
            }
            rest = after;
        }
    }
    Ok(out)
}

/// One bracketed part (after its `[`) and the text after its `]`.
fn bracket<'t>(inner: &'t str, text: &str) -> Result<(Seg, &'t str), String> {
    let unclosed = || format!("`{text}` has a `[` without its `]`");
    if inner.starts_with('"') {
        let mut stream = serde_json::Deserializer::from_str(inner).into_iter::<String>();
        let key = match stream.next() {
            Some(Ok(k)) => k,
            _ => return Err(format!("`{text}` has a quoted key that does not read")),
        };
        let after = inner[stream.byte_offset()..]
            .strip_prefix(']')
            .ok_or_else(unclosed)?;
        return Ok((Seg::Key(key), after));
    }
    let end = inner.find(']').ok_or_else(unclosed)?;
    let body = &inner[..end];
    let seg = if let Ok(i) = body.parse::<usize>() {
        Seg::Index(i)
    } else if let Some((field, value)) = body.split_once('=') {
        Seg::Match(field.to_string(), value.to_string())
    } else if body.is_empty() {
        return Err(format!("`{text}` has an empty `[]`"));
    } else {
        Seg::Key(body.to_string())
    };
    Ok((seg, &inner[end + 1..]))
}

/// The path as it is shown: keys joined by `.`, list items in brackets.
pub(crate) fn path_text(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if is_word(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Key(k) => out.push_str(&format!("[{}]", serde_json::Value::String(k.clone()))),
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
            Seg::Match(f, v) => out.push_str(&format!("[{f}={v}]")),
        }
    }
    out
}

/// Letters, digits, `_` and `-`.
fn is_word(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The value at `path` in `node` and its JSON pointer there.
pub(crate) fn resolve<'n>(node: &'n Node, path: &[Seg]) -> Option<(&'n Node, String)> {
    let mut cur = node;
    let mut pointer = String::new();
    for seg in path {
        let (next, part) = match (seg, cur) {
            (Seg::Key(k), Node::Map(m)) => (m.get(k)?, compose_yaml::parse::pointer_segment(k)),
            (Seg::Key(k), Node::Seq(items)) => {
                let i: usize = k.parse().ok()?;
                (items.get(i)?, i.to_string())
            }
            (Seg::Index(i), Node::Seq(items)) => (items.get(*i)?, i.to_string()),
            (Seg::Match(f, v), Node::Seq(items)) => {
                let i = items
                    .iter()
                    .position(|item| item_key(item, f).as_deref() == Some(v))?;
                (&items[i], i.to_string())
            }
            _ => return None,
        };
        pointer.push('/');
        pointer.push_str(&part);
        cur = next;
    }
    Some((cur, pointer))
}

/// The text of an item's key field `field`, which may be a path of its
/// own (`metadata.name`, as claim templates are keyed).
fn item_key(item: &Node, field: &str) -> Option<String> {
    let parts: Vec<&str> = field.split('.').collect();
    item.get_path(&parts).and_then(Node::scalar_text)
}

/// The longest start of `path` that `node` has, for messages.
pub(crate) fn deepest(node: &Node, path: &[Seg]) -> usize {
    (0..=path.len())
        .rev()
        .find(|n| resolve(node, &path[..*n]).is_some())
        .unwrap_or(0)
}

/// The keys of the mapping at `path` in `node` (none when it is not a
/// mapping), for did-you-mean.
pub(crate) fn keys_at(node: &Node, path: &[Seg]) -> Vec<String> {
    match resolve(node, path) {
        Some((Node::Map(m), _)) => m.keys().map(|k| k.to_string()).collect(),
        _ => Vec::new(),
    }
}

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
        let now = resolve(&r.node, &self.path).map(|(n, _)| n.clone());
        let mut trace = self.trace.lock().unwrap_or_else(|e| e.into_inner());
        let before = match (&trace.first, trace.changes.last()) {
            (None, _) => None,
            (Some(_), Some(last)) => Some(last.after.clone()),
            (Some(first), None) => Some(first.after.clone()),
        };
        if before.as_ref() == Some(&now) {
            return;
        }
        let change = Change {
            file: step.file.to_path_buf(),
            field: step.field,
            index: step.index,
            place: step.place.clone(),
            before: before.flatten(),
            after: now,
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

/// Whether a values entry holds the value a step wrote: the same scalar
/// (compared as text: `cpu: "2"` and `cpu: 2` are the same quantity),
/// the same collection, or for an `image` field the repository, tag or
/// digest that the image reference is made of.
pub(crate) fn holds(value: &serde_json::Value, written: &Node, image: bool) -> bool {
    use serde_json::Value;
    match (value, written) {
        (Value::Null, _) => false,
        (Value::Object(_) | Value::Array(_), Node::Map(_) | Node::Seq(_)) => {
            serde_json::from_str::<Value>(&compose_yaml::json::to_json(written))
                .ok()
                .as_ref()
                == Some(value)
        }
        (Value::Object(_) | Value::Array(_), _) | (_, Node::Map(_) | Node::Seq(_)) => false,
        _ => {
            let held = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            let Some(text) = written.scalar_text() else {
                return false;
            };
            text == held || (image && !held.is_empty() && image_part(&text, &held))
        }
    }
}

/// Whether `part` is the repository, tag or digest of image `image`.
fn image_part(image: &str, part: &str) -> bool {
    let (name, digest) = image.split_once('@').unwrap_or((image, ""));
    let (repo, tag) = match name.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (name, ""),
    };
    part == repo || part == tag || part == digest
}

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
    let missing = path_text(&path[n..=n.min(path.len() - 1)]);
    let keys = keys_at(&target.node, &path[..n]);
    let hint = match &path[n] {
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

/// The value at a JSON pointer of a values layer.
pub(crate) fn node_at<'n>(node: &'n Node, pointer: &str) -> Option<&'n Node> {
    let mut cur = node;
    for raw in pointer.split('/').skip(1) {
        let key = raw.replace("~1", "/").replace("~0", "~");
        cur = match cur {
            Node::Map(m) => m.get(&key)?,
            Node::Seq(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The values entries under `scope` (JSON pointers) that hold `written`,
/// the value a step of the generated kustomization wrote into the field
/// at `path`. When several do, those whose keys end like the field's
/// path (`resources.limits.cpu`) are kept, except for an image, which
/// several values make in parts. `enabled` switches are never
/// sources: they choose components and write no field.
pub(crate) fn sources_of(
    tree: &serde_json::Value,
    scope: &[String],
    path: &[Seg],
    written: &Node,
) -> Vec<String> {
    let image = matches!(path.last(), Some(Seg::Key(k)) if k == "image");
    let mut found = Vec::new();
    for root in scope {
        if let Some(v) = tree.pointer(root) {
            collect(v, root, written, image, &mut found);
        }
    }
    let field_keys: Vec<String> = path
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    if image {
        // The repository, tag and digest each make a part of it.
        return found;
    }
    let score = |pointer: &String| likeness(pointer, &field_keys);
    let best = found.iter().map(score).max().unwrap_or_default();
    found.retain(|p| score(p) == best);
    found
}

/// How much a values pointer reads like a field path (its keys lower
/// case): how many keys they end with alike, then how long a start
/// their last keys share (`queue.maxReplicas` reads like
/// `spec.maxReplicaCount`).
fn likeness(pointer: &str, field_keys: &[String]) -> (usize, usize) {
    let keys: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|k| k.replace("~1", "/").replace("~0", "~").to_ascii_lowercase())
        .collect();
    let same_end = keys
        .iter()
        .rev()
        .zip(field_keys.iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let shared_start = match (keys.last(), field_keys.last()) {
        (Some(a), Some(b)) => a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count(),
        _ => 0,
    };
    (same_end, shared_start)
}

fn collect(v: &serde_json::Value, at: &str, written: &Node, image: bool, out: &mut Vec<String>) {
    if at.ends_with("/enabled") {
        return;
    }
    if holds(v, written, image) {
        out.push(at.to_string());
        return;
    }
    let seg = compose_yaml::parse::pointer_segment;
    match v {
        serde_json::Value::Object(m) => {
            for (k, item) in m {
                collect(item, &format!("{at}/{}", seg(k)), written, image, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect(item, &format!("{at}/{i}"), written, image, out);
            }
        }
        _ => {}
    }
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

    fn key(k: &str) -> Seg {
        Seg::Key(k.into())
    }

    #[test]
    fn paths_read_as_compare_prints_them_and_as_kustomize_writes_them() {
        let want = vec![
            key("spec"),
            key("containers"),
            Seg::Match("name".into(), "api".into()),
            key("image"),
        ];
        assert_eq!(
            parse_path("spec.containers[name=api].image"),
            Ok(want.clone())
        );
        assert_eq!(parse_path("spec.containers.[name=api].image"), Ok(want));
        assert_eq!(
            parse_path("metadata.annotations[\"example.com/a.b\"]"),
            Ok(vec![
                key("metadata"),
                key("annotations"),
                key("example.com/a.b")
            ])
        );
        assert_eq!(
            parse_path("metadata.annotations.[example.com/a.b]"),
            Ok(vec![
                key("metadata"),
                key("annotations"),
                key("example.com/a.b")
            ])
        );
        assert_eq!(
            parse_path("a[0].b.1"),
            Ok(vec![key("a"), Seg::Index(0), key("b"), key("1")])
        );
        assert_eq!(
            path_text(&parse_path("a[\"x.y\"][k=v][2].b").unwrap()),
            "a[\"x.y\"][k=v][2].b"
        );
    }

    #[test]
    fn bad_paths_say_what_is_wrong() {
        assert_eq!(parse_path(" "), Err("the field path is empty".into()));
        assert_eq!(parse_path("a..b"), Err("`a..b` has an empty part".into()));
        assert_eq!(parse_path("a."), Err("`a.` ends with `.`".into()));
        assert_eq!(
            parse_path("a[0"),
            Err("`a[0` has a `[` without its `]`".into())
        );
        assert_eq!(parse_path("a[]"), Err("`a[]` has an empty `[]`".into()));
        assert_eq!(
            parse_path("a[\"b]"),
            Err("`a[\"b]` has a quoted key that does not read".into())
        );
    }

    #[test]
    fn resolving_gives_the_pointer_of_the_value() {
        let node = compose_yaml::parse_one(
            "spec:\n  containers:\n  - name: side\n  - name: api\n    image: a:1\n",
        )
        .unwrap();
        let path = parse_path("spec.containers[name=api].image").unwrap();
        let (value, pointer) = resolve(&node, &path).unwrap();
        assert_eq!(value, &Node::str("a:1"));
        assert_eq!(pointer, "/spec/containers/1/image");
        assert_eq!(
            resolve(&node, &parse_path("spec.containers.0.name").unwrap())
                .unwrap()
                .1,
            "/spec/containers/0/name"
        );
        assert!(resolve(&node, &parse_path("spec.containers[name=x]").unwrap()).is_none());
        assert_eq!(
            deepest(&node, &parse_path("spec.containers[1].imag").unwrap()),
            3
        );
        assert_eq!(
            keys_at(&node, &parse_path("spec.containers[1]").unwrap()),
            ["name", "image"]
        );
    }

    #[test]
    fn values_hold_what_a_step_wrote() {
        use serde_json::json;
        let n = |t: &str| compose_yaml::parse_one(t).unwrap();
        assert!(holds(&json!(3), &n("3"), false));
        assert!(holds(&json!("2"), &n("2"), false));
        assert!(holds(&json!(2), &n("\"2\""), false));
        assert!(!holds(&json!("2"), &n("3"), false));
        assert!(holds(&json!({"cpu": "1"}), &n("cpu: \"1\""), false));
        assert!(!holds(&json!({"cpu": "1"}), &n("cpu: \"2\""), false));
        assert!(holds(&json!("v1.0.0"), &n("arches/api:v1.0.0"), true));
        assert!(holds(&json!("arches/api"), &n("arches/api:v1.0.0"), true));
        assert!(holds(&json!("sha256:ab"), &n("r:5000/a@sha256:ab"), true));
        assert!(!holds(&json!("v1.0.0"), &n("arches/api:v1.0.0"), false));
        assert!(!holds(&json!("5000/a"), &n("r:5000/a"), true));
        assert!(!holds(&json!(null), &n("null"), false));
    }
}
