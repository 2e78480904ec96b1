//! A figment [`Provider`] for one values layer, and the way back from
//! figment's merged value to JSON with provenance.
//!
//! figment's own YAML provider pulls in the deprecated serde_yaml, so
//! layers are parsed with the engine's reader and handed to figment as
//! values. figment tags every value with the provider that supplied it;
//! the tag's metadata carries the layer's index, which is how each final
//! value is traced back to its layer (and, through the layer's span map,
//! to a line and column).
//!
//! A layer of value flags or variables whose path goes through a list
//! index does not replace that list: it edits the list the layers below
//! it hold, as Helm's `--set` edits the values it parses into. Its
//! provider starts from a copy of that list, whose items keep their tags
//! (figment only tags values that have none), so an item the flag did
//! not touch still traces back to its file and line.

use crate::schema::Seg;
use crate::values::set::Assignment;
use compose_yaml::{Node, PointerTree, Str};
use figment::value::{Dict, Empty, Map, Num, Tag, Value};
use figment::{Figment, Metadata, Profile, Provider, Source};

/// The winning layer of every value, by JSON pointer (a tree, so its
/// memory stays linear however deep the values or long their keys).
pub(crate) type Origins = PointerTree<usize>;

/// One layer as a figment provider.
pub(crate) struct LayerProvider<'a> {
    /// Position of the layer (0 = lowest).
    pub(crate) index: usize,
    /// Human name of the layer.
    pub(crate) name: String,
    /// The layer's values; a mapping.
    pub(crate) data: &'a Node,
    /// The assignments of a value flag or variable (empty for a file).
    pub(crate) assignments: &'a [Assignment],
}

impl LayerProvider<'_> {
    /// Whether an assignment goes through a list index, so that the
    /// layer needs the merged values below it.
    fn edits_lists(&self) -> bool {
        self.assignments
            .iter()
            .any(|a| a.path.iter().any(|s| matches!(s, Seg::Index(_))))
    }

    /// The layer's values for figment; `below` is the merge of the
    /// layers under it, which list indexes edit.
    fn dict(&self, below: Option<&Value>) -> Option<Dict> {
        if self.edits_lists() {
            let mut root = Value::Dict(Tag::Default, Dict::new());
            for a in self.assignments {
                assign(&mut root, below, &a.path, a.value.as_ref());
            }
            if let Value::Dict(_, d) = root {
                return Some(d);
            }
        }
        match to_figment(self.data) {
            Value::Dict(_, d) => Some(d),
            Value::Empty(..) => Some(Dict::new()),
            _ => None,
        }
    }

    /// The error of a layer that is not a mapping.
    fn not_a_mapping(&self) -> figment::Error {
        figment::Error::from(format!(
            "{}: values must be a mapping at the top level",
            self.name
        ))
    }
}

/// Puts `value` at `path` under `node`, the layer's own tree so far;
/// `below` is the value at the same place in the layers under it, while
/// the path has not yet reached a list. At the first index the list is
/// taken from below (items and tags as they are) unless the layer
/// already holds one there; an index past its end pads it with nulls.
/// `None` (`list[0]` alone) only makes sure the list is there.
fn assign(node: &mut Value, below: Option<&Value>, path: &[Seg], value: Option<&Node>) {
    let t = Tag::Default;
    let Some((first, rest)) = path.split_first() else {
        if let Some(v) = value {
            *node = to_figment(v);
        }
        return;
    };
    match first {
        Seg::Key(k) => {
            if !matches!(node, Value::Dict(..)) {
                *node = Value::Dict(t, Dict::new());
            }
            let below = match below {
                Some(Value::Dict(_, d)) => d.get(k),
                _ => None,
            };
            if let Value::Dict(_, d) = node {
                let child = d.entry(k.clone()).or_insert(Value::Empty(t, Empty::None));
                assign(child, below, rest, value);
            }
        }
        Seg::Index(i) => {
            if !matches!(node, Value::Array(..)) {
                *node = match below {
                    Some(list @ Value::Array(..)) => list.clone(),
                    _ => Value::Array(t, Vec::new()),
                };
            }
            if value.is_none() && rest.is_empty() {
                return;
            }
            if let Value::Array(_, items) = node {
                while items.len() <= *i {
                    items.push(Value::Empty(t, Empty::None));
                }
                assign(&mut items[*i], None, rest, value);
            }
        }
    }
}

/// Prefix of the custom source that carries the layer index.
const SOURCE_PREFIX: &str = "compose-values-layer:";

impl Provider for LayerProvider<'_> {
    fn metadata(&self) -> Metadata {
        Metadata::from(
            self.name.clone(),
            Source::Custom(format!("{SOURCE_PREFIX}{}", self.index)),
        )
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        self.dict(None)
            .map(|d| Profile::Default.collect(d))
            .ok_or_else(|| self.not_a_mapping())
    }
}

/// A layer with the merged values below it, for a layer whose list
/// indexes edit them.
struct OnTop<'a> {
    layer: &'a LayerProvider<'a>,
    below: Option<Value>,
}

impl Provider for OnTop<'_> {
    fn metadata(&self) -> Metadata {
        self.layer.metadata()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        self.layer
            .dict(self.below.as_ref())
            .map(|d| Profile::Default.collect(d))
            .ok_or_else(|| self.layer.not_a_mapping())
    }
}

fn to_figment(n: &Node) -> Value {
    let t = Tag::Default;
    match n {
        Node::Null => Value::Empty(t, Empty::None),
        Node::Bool(b) => Value::Bool(t, *b),
        Node::Int(i) => Value::Num(t, Num::I64(*i)),
        Node::Uint(u) => Value::Num(t, Num::U64(*u)),
        Node::Float(f) => Value::Num(t, Num::F64(*f)),
        Node::Str(s) => Value::String(t, s.to_string()),
        Node::Seq(s) => Value::Array(t, s.iter().map(to_figment).collect()),
        Node::Map(m) => Value::Dict(
            t,
            m.iter()
                .map(|(k, v)| (k.to_string(), to_figment(v)))
                .collect(),
        ),
    }
}

/// Merges the layers in order (later wins: maps merge key by key,
/// everything else, lists included, replaces) and returns the JSON tree
/// with nulls removed, plus the winning layer of every JSON pointer.
pub(crate) fn merge(layers: &[LayerProvider<'_>]) -> Result<(serde_json::Value, Origins), String> {
    let mut fig = Figment::new();
    for l in layers {
        if l.edits_lists() {
            let below = fig
                .data()
                .ok()
                .and_then(|mut m| m.remove(&Profile::Default))
                .map(|d| Value::Dict(Tag::Default, d));
            fig = fig.merge(OnTop { layer: l, below });
        } else {
            fig = fig.merge(l);
        }
    }
    let data = fig.data().map_err(|e| e.to_string())?;
    let dict = data.get(&Profile::Default).cloned().unwrap_or_default();
    let mut origins = Origins::new();
    let root = Value::Dict(Tag::Default, dict);
    let json = to_json(&fig, &root, None, Str::default(), &mut origins)
        .unwrap_or(serde_json::Value::Object(Default::default()));
    Ok((json, origins))
}

fn layer_of(fig: &Figment, tag: Tag) -> Option<usize> {
    let md = fig.get_metadata(tag)?;
    md.source
        .as_ref()?
        .custom()?
        .strip_prefix(SOURCE_PREFIX)?
        .parse()
        .ok()
}

/// Converts to JSON; `None` for an empty (null) value, which the caller
/// drops from mappings: null deletes the key. `v` is reached from the
/// origin entry `parent` by `segment`.
fn to_json(
    fig: &Figment,
    v: &Value,
    parent: Option<u32>,
    segment: Str,
    origins: &mut Origins,
) -> Option<serde_json::Value> {
    use serde_json::Value as J;
    let layer = layer_of(fig, v.tag()).unwrap_or(usize::MAX);
    let (at, _) = origins.entry(parent, segment, || layer);
    if let Some(slot) = origins.value_mut(at) {
        *slot = layer;
    }
    Some(match v {
        Value::Empty(..) => return None,
        Value::Bool(_, b) => J::Bool(*b),
        Value::String(_, s) => J::String(s.clone()),
        Value::Char(_, c) => J::String(c.to_string()),
        Value::Num(_, n) => match *n {
            Num::I64(i) => J::from(i),
            Num::U64(u) => J::from(u),
            // A whole float (`2.0`) is the integer it spells, as kustomize
            // prints it; otherwise `replicas: 2.0` would pass the schema's
            // "integer" and then fail to become a count.
            Num::F64(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => J::from(f as i64),
            Num::F64(f) => serde_json::Number::from_f64(f)
                .map(J::Number)
                .unwrap_or(J::Null),
            other => match other.to_i128() {
                Some(i) => i64::try_from(i).map(J::from).unwrap_or(J::Null),
                None => other
                    .to_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map(J::Number)
                    .unwrap_or(J::Null),
            },
        },
        Value::Array(_, items) => J::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    to_json(fig, x, Some(at), Str::from(i.to_string()), origins).unwrap_or(J::Null)
                })
                .collect(),
        ),
        Value::Dict(_, d) => {
            let mut m = serde_json::Map::new();
            for (k, x) in d {
                if let Some(j) = to_json(fig, x, Some(at), Str::from(k.as_str()), origins) {
                    m.insert(k.clone(), j);
                }
            }
            J::Object(m)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_one;

    fn merged(docs: &[&str]) -> (serde_json::Value, Origins) {
        let nodes: Vec<Node> = docs.iter().map(|d| parse_one(d).unwrap()).collect();
        let layers: Vec<LayerProvider> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| LayerProvider {
                index: i,
                name: format!("l{i}"),
                data: n,
                assignments: &[],
            })
            .collect();
        merge(&layers).unwrap()
    }

    #[test]
    fn maps_merge_lists_replace_later_wins() {
        let (v, o) = merged(&["a: {x: 1, y: 2}\nl: [1, 2, 3]\n", "a: {y: 3}\nl: [9]\n"]);
        assert_eq!(v, serde_json::json!({"a": {"x": 1, "y": 3}, "l": [9]}));
        assert_eq!(o.get("/a/x"), Some(&0));
        assert_eq!(o.get("/a/y"), Some(&1));
        assert_eq!(o.get("/l/0"), Some(&1));
    }

    #[test]
    fn null_deletes_and_later_layers_can_set_again() {
        let (v, _) = merged(&[
            "a: {x: 1}\nb: {y: 1}\nc: 1\n",
            "a: null\nb: ~\n",
            "b: {z: 2}\n",
        ]);
        assert_eq!(v, serde_json::json!({"b": {"z": 2}, "c": 1}));
    }

    #[test]
    fn whole_floats_become_integers() {
        let (v, _) = merged(&["a: 2.0\nb: 1.5\n"]);
        assert_eq!(v, serde_json::json!({"a": 2, "b": 1.5}));
    }

    #[test]
    fn empty_layer_is_fine() {
        let (v, _) = merged(&["", "a: 1\n"]);
        assert_eq!(v, serde_json::json!({"a": 1}));
    }
}
