//! The document model every stage of the engine works on.
//!
//! kustomize turns each resource into JSON before printing it, so the bytes
//! it writes depend only on the JSON value of a document, never on the
//! input's comments, quoting or key order. The model therefore holds typed
//! JSON-like values. Scalars are typed by the parser with the same rules as
//! kustomize's reader (see `parse.rs`), so `"1.0"` stays a string while a
//! plain `1.0` becomes a float.
//!
//! Mappings keep insertion order. Output sorts keys, but several kustomize
//! behaviours (generated data, error messages) follow input order, and a
//! small vector is faster than a hash map for the dozen keys of a typical
//! Kubernetes object.

use std::fmt;

/// The string type of keys and string scalars: strings of up to 24 bytes
/// (most keys and many values of a manifest) live inline, without a heap
/// allocation of their own, which saves both time and memory on large
/// trees.
pub type Str = compact_str::CompactString;

/// One YAML/JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    /// `null`, `~` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer too large for `i64`.
    Uint(u64),
    /// A floating point number.
    Float(f64),
    /// A string.
    Str(Str),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping with string keys.
    Map(Mapping),
}

/// An insertion-ordered mapping from string keys to nodes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mapping {
    entries: Vec<(Str, Node)>,
}

impl Mapping {
    /// An empty mapping.
    pub fn new() -> Self {
        Mapping {
            entries: Vec::new(),
        }
    }

    /// An empty mapping with room for `n` entries.
    pub fn with_capacity(n: usize) -> Self {
        Mapping {
            entries: Vec::with_capacity(n),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the mapping has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value at `key`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value at `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries
            .iter_mut()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.entries.iter().any(|(k, _)| k == key)
    }

    /// Sets `key` to `value`, keeping the key's position when it exists.
    /// Returns the previous value.
    pub fn insert(&mut self, key: impl Into<Str>, value: Node) -> Option<Node> {
        let key = key.into();
        if let Some(slot) = self.get_mut(&key) {
            return Some(std::mem::replace(slot, value));
        }
        self.push_unchecked(key, value);
        None
    }

    /// Appends without checking for an existing key. The caller guarantees
    /// that `key` is new (used by the parser after its own duplicate check).
    pub(crate) fn push_unchecked(&mut self, key: Str, value: Node) {
        // Mappings come out of the parser at their exact size and most
        // gain a key or two afterwards (a label, a namespace): growing by
        // a quarter instead of doubling keeps that from leaving half of
        // every object's mappings unused, and is still amortised O(1).
        if self.entries.len() == self.entries.capacity() {
            self.entries.reserve_exact((self.entries.len() / 4).max(1));
        }
        self.entries.push((key, value));
    }

    /// Removes `key`, keeping the order of the others.
    pub fn remove(&mut self, key: &str) -> Option<Node> {
        let i = self.entries.iter().position(|(k, _)| k == key)?;
        Some(self.entries.remove(i).1)
    }

    /// The value at `key`, inserting the result of `f` when missing.
    pub fn entry_or_insert_with(&mut self, key: &str, f: impl FnOnce() -> Node) -> &mut Node {
        let i = match self.entries.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                self.push_unchecked(Str::from(key), f());
                self.entries.len() - 1
            }
        };
        &mut self.entries[i].1
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&Str, &Node)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Entries in insertion order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Str, &mut Node)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// Keys in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &Str> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// The entry at `index` (insertion order), its value mutable.
    ///
    /// # Panics
    /// When `index` is out of range.
    pub fn entry_mut(&mut self, index: usize) -> (&Str, &mut Node) {
        let (k, v) = &mut self.entries[index];
        (k, v)
    }

    /// Removes the entry at `index`, keeping the order of the others.
    ///
    /// # Panics
    /// When `index` is out of range.
    pub fn remove_at(&mut self, index: usize) -> (Str, Node) {
        self.entries.remove(index)
    }

    /// Keeps only the entries for which `f` is true.
    pub fn retain(&mut self, mut f: impl FnMut(&str, &mut Node) -> bool) {
        self.entries.retain_mut(|(k, v)| f(k, v));
    }

    /// Sorts entries by key with the given comparison.
    pub fn sort_by(&mut self, mut f: impl FnMut(&str, &str) -> std::cmp::Ordering) {
        self.entries.sort_by(|a, b| f(&a.0, &b.0));
    }

    /// A mapping of `entries`, whose keys the caller guarantees to be
    /// distinct (the parser, after its own duplicate check).
    pub(crate) fn from_distinct(entries: Vec<(Str, Node)>) -> Self {
        Mapping { entries }
    }

    /// Consumes the mapping into its entries.
    pub fn into_entries(self) -> Vec<(Str, Node)> {
        self.entries
    }
}

impl<K: Into<Str>> FromIterator<(K, Node)> for Mapping {
    fn from_iter<T: IntoIterator<Item = (K, Node)>>(iter: T) -> Self {
        let mut m = Mapping::new();
        for (k, v) in iter {
            m.insert(k, v);
        }
        m
    }
}

impl IntoIterator for Mapping {
    type Item = (Str, Node);
    type IntoIter = std::vec::IntoIter<(Str, Node)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl Node {
    /// A string node.
    pub fn str(s: impl Into<Str>) -> Node {
        Node::Str(s.into())
    }

    /// An empty mapping node.
    pub fn map() -> Node {
        Node::Map(Mapping::new())
    }

    /// The mapping inside, if this is one.
    pub fn as_map(&self) -> Option<&Mapping> {
        match self {
            Node::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The mapping inside, mutably.
    pub fn as_map_mut(&mut self) -> Option<&mut Mapping> {
        match self {
            Node::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The sequence inside, if this is one.
    pub fn as_seq(&self) -> Option<&Vec<Node>> {
        match self {
            Node::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this is `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Node::Null)
    }

    /// Whether this is a scalar (not a mapping or sequence).
    pub fn is_scalar(&self) -> bool {
        !matches!(self, Node::Map(_) | Node::Seq(_))
    }

    /// `self[key]` for a mapping; `None` for anything else.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// `self[key]` mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.as_map_mut().and_then(|m| m.get_mut(key))
    }

    /// Follows a path of mapping keys.
    pub fn get_path(&self, path: &[&str]) -> Option<&Node> {
        let mut cur = self;
        for k in path {
            cur = cur.get(k)?;
        }
        Some(cur)
    }

    /// The string at a path of mapping keys.
    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.get_path(path).and_then(Node::as_str)
    }

    /// The scalar rendered the way Go's `fmt` prints the decoded value,
    /// which is how kustomize turns a scalar into text (labels, vars,
    /// replacements). `None` for mappings and sequences.
    pub fn scalar_text(&self) -> Option<String> {
        Some(match self {
            Node::Null => String::new(),
            Node::Bool(b) => b.to_string(),
            Node::Int(i) => i.to_string(),
            Node::Uint(u) => u.to_string(),
            Node::Float(f) => super::float::yaml_float(*f),
            Node::Str(s) => s.to_string(),
            Node::Map(_) | Node::Seq(_) => return None,
        })
    }

    /// A short name of the node's kind, for error messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "boolean",
            Node::Int(_) | Node::Uint(_) => "integer",
            Node::Float(_) => "number",
            Node::Str(_) => "string",
            Node::Seq(_) => "sequence",
            Node::Map(_) => "mapping",
        }
    }
}

impl fmt::Display for Node {
    /// Scalars print as their text; collections print as compact JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scalar_text() {
            Some(s) => f.write_str(&s),
            None => f.write_str(&super::json::to_json(self)),
        }
    }
}
