//! Where each value of a document starts, found by JSON pointer.
//!
//! The positions are kept as a tree that mirrors the document: each value
//! records its parent and the one path segment that leads to it (a key, or
//! a list index), so the memory they take is linear in the size of the
//! document. A table of full pointers (one string per value, as long as
//! the value is deep) grew with the square of the depth: a 1.5 MB values
//! file of deeply nested keys took gigabytes.

use super::node::Str;
use super::parse::Pos;
use rustc_hash::FxHashMap as HashMap;

/// The parent of the root.
const NO_PARENT: u32 = u32::MAX;

/// Values found by JSON pointer (`/a/0/b`; the root is `""`), kept as a
/// tree: each entry records its parent and the one segment that leads to
/// it, so the memory is linear in the size of the document, however deep
/// it is or however long its keys.
#[derive(Clone, Debug, PartialEq)]
pub struct PointerTree<T> {
    values: Vec<T>,
    /// An entry's index by its parent's index and the segment (unescaped)
    /// that leads to it (`NO_PARENT` and `""` for the root).
    children: HashMap<(u32, Str), u32>,
}

impl<T> Default for PointerTree<T> {
    fn default() -> Self {
        PointerTree {
            values: Vec::new(),
            children: HashMap::default(),
        }
    }
}

impl<T> PointerTree<T> {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The entry reached from `parent` (`None` for the root) by `segment`
    /// (a key as written, or a list index), made with `value` when it is
    /// new; its index, and whether it is new.
    pub fn entry(
        &mut self,
        parent: Option<u32>,
        segment: Str,
        value: impl FnOnce() -> T,
    ) -> (u32, bool) {
        let next = u32::try_from(self.values.len()).unwrap_or(NO_PARENT - 1);
        let at = *self
            .children
            .entry((parent.unwrap_or(NO_PARENT), segment))
            .or_insert(next);
        let new = at == next;
        if new {
            self.values.push(value());
        }
        (at, new)
    }

    /// The value of entry `index`, mutably.
    pub fn value_mut(&mut self, index: u32) -> Option<&mut T> {
        self.values.get_mut(index as usize)
    }

    /// The value at `pointer`.
    pub fn get(&self, pointer: &str) -> Option<&T> {
        self.values.get(self.find(pointer)? as usize)
    }

    /// Every entry's pointer with its value, sorted by pointer (for tests
    /// and comparisons; it builds every pointer in full).
    pub(crate) fn pointers(&self) -> Vec<(String, &T)> {
        let mut parent_of = vec![(NO_PARENT, Str::default()); self.values.len()];
        for ((parent, seg), &node) in &self.children {
            parent_of[node as usize] = (*parent, seg.clone());
        }
        let mut out = Vec::new();
        for (i, v) in self.values.iter().enumerate() {
            let mut segs = Vec::new();
            let mut at = i;
            while parent_of[at].0 != NO_PARENT {
                let (parent, seg) = &parent_of[at];
                segs.push(escape(seg));
                at = *parent as usize;
            }
            segs.reverse();
            let pointer: String = segs.iter().map(|s| format!("/{s}")).collect();
            out.push((pointer, v));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The index of the entry at `pointer`.
    fn find(&self, pointer: &str) -> Option<u32> {
        let mut at = *self.children.get(&(NO_PARENT, Str::default()))?;
        if pointer.is_empty() {
            return Some(at);
        }
        let rest = pointer.strip_prefix('/')?;
        for seg in rest.split('/') {
            let seg = unescape(seg);
            at = *self.children.get(&(at, Str::from(seg.as_ref())))?;
        }
        Some(at)
    }
}

/// Where each value of a document starts, by JSON pointer, and where the
/// key of each mapping value is written.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpanMap(PointerTree<Recorded>);

#[derive(Clone, Copy, Debug, PartialEq)]
struct Recorded {
    pos: Pos,
    key: Option<Pos>,
}

impl SpanMap {
    /// Where the value at `pointer` starts. A pointer ending in `#key`
    /// asks where its key is written (the form the values loader uses).
    pub fn get(&self, pointer: &str) -> Option<&Pos> {
        if let Some(r) = self.0.get(pointer) {
            return Some(&r.pos);
        }
        let of = pointer.strip_suffix("#key")?;
        self.key(of)
    }

    /// Where the key of the mapping value at `pointer` is written.
    pub(crate) fn key(&self, pointer: &str) -> Option<&Pos> {
        self.0.get(pointer)?.key.as_ref()
    }

    /// Every recorded pointer with its position, and its key's position
    /// under `pointer#key`, sorted (for tests and comparisons).
    pub(crate) fn pointers(&self) -> Vec<(String, Pos)> {
        let mut out = Vec::new();
        for (p, r) in self.0.pointers() {
            if let Some(k) = r.key {
                out.push((format!("{p}#key"), k));
            }
            out.push((p, r.pos));
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Records the value reached from `parent` (`None` for the root) by
    /// `segment`, starting at `pos`, with its key at `key`; returns its
    /// index. A value recorded twice (a repeated key read the YAML 1.1
    /// way) keeps its first position and its last key position.
    pub(crate) fn record(
        &mut self,
        parent: Option<u32>,
        segment: Str,
        pos: Pos,
        key: Option<Pos>,
    ) -> u32 {
        let (at, new) = self.0.entry(parent, segment, || Recorded { pos, key });
        if !new && key.is_some() {
            if let Some(r) = self.0.value_mut(at) {
                r.key = key;
            }
        }
        at
    }
}

/// A segment as a JSON pointer writes it (`~` as `~0`, `/` as `~1`).
pub(crate) fn escape(seg: &str) -> String {
    seg.replace('~', "~0").replace('/', "~1")
}

/// A JSON pointer's segment as the key it names.
fn unescape(seg: &str) -> std::borrow::Cow<'_, str> {
    if seg.contains('~') {
        std::borrow::Cow::Owned(seg.replace("~1", "/").replace("~0", "~"))
    } else {
        std::borrow::Cow::Borrowed(seg)
    }
}
