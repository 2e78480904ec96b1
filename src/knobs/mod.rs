//! The knob stage: validated values + the components' objects -> the
//! patches, replicas and generators of the generated kustomization.
//!
//! Every built-in knob of a component (resources, env, image, scheduling,
//! autoscaling, storage, ingress) becomes a patch whose target is one
//! object of that component, so a knob never reaches another component's
//! objects. Pod-template knobs are strategic merge patches (containers
//! merge by name); fields inside lists that Kubernetes replaces as a whole
//! (HPA metrics, volume claim templates, Ingress rules) are set with JSON
//! patch operations at their exact path, so the rest of the list stays as
//! the component wrote it. `settings` becomes a `configMapGenerator` merge,
//! so the pods using that ConfigMap roll when a setting changes.
//!
//! A knob that would change nothing is an error at the values key that
//! sets it: any knob of a disabled component (unless it comes from a layer
//! every environment shares), `resources` on a component without a pod
//! template, `storage` without a claim, an image repository no container
//! uses, autoscaling without a HorizontalPodAutoscaler, and so on.

mod objects;
mod pod;

use crate::diagnostic::Diagnostic;
use crate::inventory::{Inventory, Object};
use crate::schema::{Component, Values};
use crate::values::Loaded;
use compose_kustomize::resource::ResId;
use compose_yaml::{emit_document, Mapping, Node};
use serde_json::Value;

/// What the knobs add to the generated kustomization.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Additions {
    /// `replicas:` entries: (workload name, count).
    pub(crate) replicas: Vec<(String, u32)>,
    /// `patches:` entries, in component order.
    pub(crate) patches: Vec<Patch>,
    /// `configMapGenerator:` entries.
    pub(crate) config_maps: Vec<Node>,
}

/// One patch on one object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Patch {
    /// The object it applies to.
    pub(crate) target: ResId,
    /// What it does.
    pub(crate) body: Body,
}

/// A strategic merge patch or JSON patch operations.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Body {
    /// A strategic merge patch: a partial object.
    Merge(Node),
    /// JSON patch (RFC 6902) operations.
    Json(Vec<Node>),
}

impl Patch {
    /// The `patches:` entry: `{patch: TEXT, target: {...}}`.
    pub(crate) fn entry(&self) -> Node {
        let text = match &self.body {
            Body::Merge(n) => emit_document(n),
            Body::Json(ops) => emit_document(&Node::Seq(ops.clone())),
        };
        let id = &self.target;
        let mut target = Mapping::new();
        if !id.gvk.group.is_empty() {
            target.insert("group", Node::str(id.gvk.group.as_str()));
        }
        target.insert("version", Node::str(id.gvk.version.as_str()));
        target.insert("kind", Node::str(id.gvk.kind.as_str()));
        target.insert("name", Node::str(exact(&id.name)));
        if !id.namespace.is_empty() {
            target.insert("namespace", Node::str(exact(&id.namespace)));
        }
        let mut m = Mapping::new();
        m.insert("target", Node::Map(target));
        m.insert("patch", Node::str(text.trim_end()));
        Node::Map(m)
    }
}

/// A name as a kustomize target pattern (target names are regular
/// expressions): the dots of a DNS name escaped.
fn exact(name: &str) -> String {
    name.replace('.', "\\.")
}

/// Everything the knob stage reads.
pub(crate) struct Context<'a> {
    /// The typed values.
    pub(crate) values: &'a Values,
    /// The merged values with their origins, for located errors.
    pub(crate) loaded: &'a Loaded,
    /// The objects of the enabled components.
    pub(crate) inventory: &'a Inventory,
    /// The first layer that is not shared by every environment (after the
    /// shared defaults and the tier's file).
    pub(crate) first_own_layer: usize,
    /// The project's components in application order.
    pub(crate) order: &'a [String],
}

impl Context<'_> {
    /// A diagnostic at the key of `pointer` (`/api/resources`).
    fn at(&self, pointer: &str, message: String) -> Diagnostic {
        self.located(pointer, true, message)
    }

    /// A diagnostic at the key (`key`) or the value of `pointer`.
    fn located(&self, pointer: &str, key: bool, message: String) -> Diagnostic {
        match self.loaded.origin(pointer, key) {
            Some(o) => Diagnostic::at(o, message),
            None => Diagnostic::new(message),
        }
    }

    /// The merged value at `pointer`, as written.
    fn raw(&self, pointer: &str) -> Option<&Value> {
        self.loaded.tree.pointer(pointer)
    }
}

/// The additions of every enabled component's knobs and of `settings`, or
/// every problem found.
pub(crate) fn derive(cx: &Context) -> Result<Additions, Vec<Diagnostic>> {
    let mut out = Additions::default();
    let mut problems = Vec::new();
    for name in cx.order {
        let Some(c) = cx.values.components.get(name) else {
            continue;
        };
        if !c.enabled {
            problems.extend(disabled_knobs(cx, name));
            continue;
        }
        let objects = cx.inventory.of(name);
        let k = Knob {
            cx,
            name,
            c,
            objects,
        };
        if let Err(d) = replicas(&k, &mut out) {
            problems.push(d);
        }
        match pod::patches(&k) {
            Ok(p) => out.patches.extend(p),
            Err(ds) => problems.extend(ds),
        }
        match objects::patches(&k) {
            Ok(p) => out.patches.extend(p),
            Err(ds) => problems.extend(ds),
        }
    }
    match settings(cx) {
        Ok(Some(g)) => out.config_maps.push(g),
        Ok(None) => {}
        Err(d) => problems.push(d),
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// One enabled component, with what its knobs need.
struct Knob<'a> {
    cx: &'a Context<'a>,
    name: &'a str,
    c: &'a Component,
    objects: &'a [Object],
}

impl Knob<'_> {
    /// The pointer of one of this component's keys: `/api/resources`.
    fn pointer(&self, key: &str) -> String {
        format!("/{}/{key}", self.name)
    }

    /// Whether the component's values set `key`.
    fn has(&self, key: &str) -> bool {
        self.cx.raw(&self.pointer(key)).is_some()
    }

    /// A diagnostic at one of this component's keys.
    fn at(&self, key: &str, message: String) -> Diagnostic {
        self.cx.at(&self.pointer(key), message)
    }

    /// A diagnostic at the value of one of this component's keys.
    fn at_value(&self, key: &str, message: String) -> Diagnostic {
        self.cx.located(&self.pointer(key), false, message)
    }

    /// The component's objects, listed for messages.
    fn listing(&self) -> String {
        if self.objects.is_empty() {
            return "it has no objects".to_string();
        }
        let labels: Vec<String> = self.objects.iter().map(Object::label).collect();
        format!("its objects: {}", labels.join(", "))
    }

    /// The objects of one kind.
    fn of_kind<'b>(&'b self, kind: &'b str) -> impl Iterator<Item = &'b Object> + 'b {
        self.objects.iter().filter(move |o| o.id.gvk.kind == kind)
    }
}

/// Knobs set on a disabled component by a layer of this environment's own
/// (a component the shared defaults configure may be off in some
/// environments).
fn disabled_knobs(cx: &Context, name: &str) -> Vec<Diagnostic> {
    let Some(Value::Object(keys)) = cx.raw(&format!("/{name}")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in keys.keys().filter(|k| *k != "enabled") {
        let pointer = format!("/{name}/{}", escape(key));
        if set_by_own_layer(cx, &pointer) {
            out.push(
                cx.at(
                    &pointer,
                    format!(
                        "{name}.{key}: `{name}` is disabled in this environment, so this changes nothing"
                    ),
                )
                .with_note(format!(
                    "help: remove `{key}` here, or enable `{name}`"
                )),
            );
        }
    }
    out
}

/// Whether a layer of the environment's own (not the shared defaults or
/// the tier's file) sets `pointer` or anything below it.
fn set_by_own_layer(cx: &Context, pointer: &str) -> bool {
    let mine = |p: &str| {
        cx.loaded
            .layer_index(p)
            .is_some_and(|i| i >= cx.first_own_layer)
    };
    if mine(pointer) {
        return true;
    }
    fn walk(v: &Value, at: &str, mine: &dyn Fn(&str) -> bool) -> bool {
        let children: Vec<(String, &Value)> = match v {
            Value::Object(o) => o
                .iter()
                .map(|(k, c)| (format!("{at}/{}", escape(k)), c))
                .collect(),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("{at}/{i}"), c))
                .collect(),
            _ => return false,
        };
        children.iter().any(|(p, c)| mine(p) || walk(c, p, mine))
    }
    cx.raw(pointer).is_some_and(|v| walk(v, pointer, &mine))
}

/// A key as a JSON pointer segment.
pub(crate) fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Kinds whose `spec.replicas` the kustomization's `replicas:` field sets.
const SCALABLE: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
];

/// `replicas`: a `replicas:` entry for the component's workload.
fn replicas(k: &Knob, out: &mut Additions) -> Result<(), Diagnostic> {
    let Some(count) = k.c.replicas else {
        return Ok(());
    };
    let scalable: Vec<&Object> = k
        .objects
        .iter()
        .filter(|o| SCALABLE.contains(&o.id.gvk.kind.as_str()))
        .collect();
    let names: Vec<&str> = scalable.iter().map(|o| o.id.name.as_str()).collect();
    let conventional = match &k.cx.values.globals.name {
        Some(n) => format!("{n}-{}", k.name),
        None => k.name.to_string(),
    };
    let chosen = match &k.c.workload {
        Some(w) if names.contains(&w.as_str()) => w.clone(),
        Some(w) => {
            return Err(k
                .at(
                    "workload",
                    format!(
                        "{}.workload: component `{}` has no Deployment or StatefulSet named `{w}` ({})",
                        k.name,
                        k.name,
                        k.listing()
                    ),
                )
                .with_note(hint_names(&names)))
        }
        None if names.contains(&conventional.as_str()) => conventional,
        None if names.len() == 1 => names[0].to_string(),
        None if names.is_empty() => {
            return Err(k.at(
                "replicas",
                format!(
                    "{}.replicas: component `{}` has no Deployment or StatefulSet to scale ({})",
                    k.name,
                    k.name,
                    k.listing()
                ),
            )
            .with_note(format!("help: remove `replicas` from `{}`", k.name)))
        }
        None => {
            return Err(k
                .at(
                    "replicas",
                    format!(
                        "{}.replicas: component `{}` has several workloads ({}) and none is named `{conventional}`",
                        k.name,
                        k.name,
                        names.join(", ")
                    ),
                )
                .with_note(format!("help: name the one to scale with `{}.workload`", k.name)))
        }
    };
    out.replicas.push((chosen, count));
    Ok(())
}

fn hint_names(names: &[&str]) -> String {
    if names.is_empty() {
        "help: remove `workload` and `replicas`; the component has nothing to scale".into()
    } else {
        format!("help: its workloads are {}", names.join(", "))
    }
}

/// `settings`: a merge into the generated ConfigMap they belong to.
fn settings(cx: &Context) -> Result<Option<Node>, Diagnostic> {
    let g = &cx.values.globals;
    if g.settings.is_empty() {
        return Ok(None);
    }
    let target = match (&g.settings_config_map, &g.name) {
        (Some(t), _) => t.clone(),
        (None, Some(n)) => format!("{n}-config"),
        (None, None) => {
            return Err(cx
                .at(
                    "/settings",
                    "settings: no ConfigMap to merge them into".into(),
                )
                .with_note(
                    "help: set `settingsConfigMap` to the generated ConfigMap the pods use",
                ))
        }
    };
    if !cx.inventory.generated_config_maps.contains(&target) {
        let known = &cx.inventory.generated_config_maps;
        let mut d = cx.at(
            "/settings",
            format!(
                "settings: neither the base nor an enabled component generates a ConfigMap named `{target}`, so these settings would reach no pod"
            ),
        );
        d = d.with_note(if known.is_empty() {
            "help: add a configMapGenerator to the base (pods then use it with envFrom)".to_string()
        } else {
            format!(
                "help: set `settingsConfigMap` to one of the generated ConfigMaps: {}",
                known.join(", ")
            )
        });
        return Err(d);
    }
    let literals: Vec<Node> = g
        .settings
        .iter()
        .map(|(k, v)| Node::str(format!("{k}={}", literal_value(v))))
        .collect();
    let mut m = Mapping::new();
    m.insert("name", Node::str(target));
    m.insert("behavior", Node::str("merge"));
    m.insert("literals", Node::Seq(literals));
    Ok(Some(Node::Map(m)))
}

/// A value as the right side of a generator literal. kustomize strips one
/// pair of matching quotes around a literal's value, so a value that has
/// them gets one more pair.
fn literal_value(v: &str) -> String {
    let b = v.as_bytes();
    let quoted = b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'');
    if quoted {
        format!("\"{v}\"")
    } else {
        v.to_string()
    }
}

/// A patch target: the object's identity.
fn target(o: &Object) -> ResId {
    o.id.clone()
}

/// The head of a strategic merge patch for `o`: apiVersion, kind, name
/// (and namespace).
fn merge_head(o: &Object) -> Mapping {
    let mut meta = Mapping::new();
    meta.insert("name", Node::str(o.id.name.as_str()));
    if !o.id.namespace.is_empty() {
        meta.insert("namespace", Node::str(o.id.namespace.as_str()));
    }
    let mut m = Mapping::new();
    m.insert("apiVersion", Node::str(o.id.gvk.api_version()));
    m.insert("kind", Node::str(o.id.gvk.kind.as_str()));
    m.insert("metadata", Node::Map(meta));
    m
}

/// JSON -> YAML node, keeping key order.
pub(crate) fn node_of(v: &Value) -> Node {
    match v {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Node::Int(i),
            (_, Some(u), _) => Node::Uint(u),
            (_, _, Some(f)) => Node::Float(f),
            _ => Node::str(n.to_string()),
        },
        Value::String(s) => Node::str(s.as_str()),
        Value::Array(a) => Node::Seq(a.iter().map(node_of).collect()),
        Value::Object(o) => {
            let mut m = Mapping::with_capacity(o.len());
            for (k, x) in o {
                m.insert(k.as_str(), node_of(x));
            }
            Node::Map(m)
        }
    }
}

/// A JSON patch operation that makes `path` hold `value` in `node`:
/// `replace` when the field exists, else `add` at the first missing
/// field, with the rest of the path built around the value.
fn set_op(node: &Node, path: &[String], value: Node) -> Node {
    let mut cur = node;
    for (i, seg) in path.iter().enumerate() {
        let next = match cur {
            Node::Map(m) => m.get(seg),
            Node::Seq(s) => seg.parse::<usize>().ok().and_then(|i| s.get(i)),
            _ => None,
        };
        match next {
            Some(n) => cur = n,
            None => {
                let mut v = value;
                for key in path[i + 1..].iter().rev() {
                    let mut m = Mapping::new();
                    m.insert(key.as_str(), v);
                    v = Node::Map(m);
                }
                return op("add", &path[..=i], Some(v));
            }
        }
    }
    op("replace", path, Some(value))
}

/// One JSON patch operation.
fn op(kind: &str, path: &[String], value: Option<Node>) -> Node {
    let pointer: String = path.iter().map(|s| format!("/{}", escape(s))).collect();
    let mut m = Mapping::new();
    m.insert("op", Node::str(kind));
    m.insert("path", Node::str(pointer));
    if let Some(v) = value {
        m.insert("value", v);
    }
    Node::Map(m)
}

/// Path segments from string slices.
fn path(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_one;

    fn ops_text(ops: &[Node]) -> String {
        emit_document(&Node::Seq(ops.to_vec()))
    }

    #[test]
    fn set_op_replaces_what_exists_and_builds_what_is_missing() {
        let n = parse_one("spec:\n  a: 1\n  list:\n  - x: 1\n").unwrap();
        let replace = set_op(&n, &path(&["spec", "a"]), Node::Int(2));
        let nested = set_op(&n, &path(&["spec", "b", "c"]), Node::Int(3));
        let in_list = set_op(&n, &path(&["spec", "list", "0", "y"]), Node::Int(4));
        assert_eq!(
            ops_text(&[replace, nested, in_list]),
            "- op: replace\n  path: /spec/a\n  value: 2\n- op: add\n  path: /spec/b\n  value:\n    c: 3\n- op: add\n  path: /spec/list/0/y\n  value: 4\n"
        );
        let slash = set_op(&n, &path(&["spec", "nvidia.com/gpu"]), Node::Int(1));
        assert_eq!(slash.str_at(&["path"]), Some("/spec/nvidia.com~1gpu"));
    }

    #[test]
    fn literals_survive_kustomize_s_quote_stripping() {
        assert_eq!(literal_value("plain"), "plain");
        assert_eq!(literal_value("\"quoted\""), "\"\"quoted\"\"");
        assert_eq!(literal_value("'q'"), "\"'q'\"");
        assert_eq!(literal_value("\"a"), "\"a");
    }

    #[test]
    fn targets_match_exactly() {
        let p = Patch {
            target: ResId {
                gvk: compose_kustomize::resource::Gvk::from_api_version("v1", "Service"),
                name: "a.b".into(),
                namespace: String::new().into(),
            },
            body: Body::Json(vec![op("remove", &path(&["spec"]), None)]),
        };
        assert_eq!(
            emit_document(&p.entry()),
            "patch: |-\n  - op: remove\n    path: /spec\ntarget:\n  kind: Service\n  name: a\\.b\n  version: v1\n"
        );
    }
}
