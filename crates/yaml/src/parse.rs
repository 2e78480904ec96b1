//! YAML text to [`Node`]s, typed the way kustomize's reader types them.
//!
//! kustomize reads YAML with go-yaml v3 and converts each document to JSON
//! before it prints it. The scalar rules here are v3's for plain scalars:
//! `true`/`True`/`TRUE` (not `yes`/`on`) are booleans; `~`, `null` and the
//! empty scalar are null; integers follow Go's `ParseInt` with base 0 after
//! underscores are removed, so `0755` is octal (493) and `0x1F` is hex;
//! what fails as an integer but matches v3's float pattern is a float, so
//! `09` is the float 9. Quoted and block scalars are always strings.
//!
//! Events come from `saphyr-parser`, a YAML 1.2 event parser, or, for the
//! plain block style that almost every manifest uses, from the much faster
//! line reader in `fast.rs`, which declines anything else; this module only
//! builds trees from events, so both readers share every typing rule, the
//! duplicate-key check and the position map. Aliases are expanded with a budget, and nesting is bounded,
//! so hostile input gives an error instead of exhausting the machine.

use super::fast;
use super::node::{Mapping, Node, Str};
use rustc_hash::FxHashMap as HashMap;
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::fmt;

/// Deepest nesting of collections accepted in one document.
pub(crate) const MAX_DEPTH: usize = 1000;
/// Most nodes that alias expansion may add to one stream.
pub(crate) const MAX_ALIAS_NODES: usize = 1_000_000;

/// A position in the source text, 1-based.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    /// Line number, from 1.
    pub line: usize,
    /// Column number, from 1, in characters.
    pub col: usize,
}

/// Why a text is not YAML the engine accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Where the problem is.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.pos.line, self.pos.col, self.message
        )
    }
}

impl std::error::Error for ParseError {}

pub use super::spans::SpanMap;

/// Parses every document of a stream. Empty documents become `Node::Null`.
pub fn parse_stream(text: &str) -> Result<Vec<Node>, ParseError> {
    Ok(Builder::new(false)
        .run(text)?
        .into_iter()
        .map(|(n, _)| n)
        .collect())
}

/// Parses a stream the way kustomize reads its kustomization files
/// (through go-yaml v2): YAML 1.1 scalar rules, so `yes`, `on`, `y` and
/// their opposites are booleans, and a repeated key replaces the earlier
/// value instead of being an error.
pub fn parse_stream_yaml11(text: &str) -> Result<Vec<Node>, ParseError> {
    let mut b = Builder::new(false);
    b.yaml11 = true;
    Ok(b.run(text)?.into_iter().map(|(n, _)| n).collect())
}

/// Parses every document of a stream and records where each value starts.
pub fn parse_stream_with_spans(text: &str) -> Result<Vec<(Node, SpanMap)>, ParseError> {
    Builder::new(true).run(text)
}

/// Where the value at `pointer` starts in the first document that has it
/// (with a `#key` suffix: where its key starts), read with the YAML 1.1
/// rules of kustomization files. `None` when the text does not parse or
/// has no such value. Meant for error messages: it parses the text again.
pub fn locate(text: &str, pointer: &str) -> Option<Pos> {
    let mut b = Builder::new(true);
    b.yaml11 = true;
    let docs = b.run(text).ok()?;
    docs.iter()
        .find_map(|(_, spans)| spans.get(pointer).copied())
}

/// A key as one segment of a JSON pointer (`~` and `/` escaped).
pub fn pointer_segment(key: &str) -> String {
    super::spans::escape(key)
}

/// Parses a text that must hold at most one document. An empty text is
/// `Node::Null`.
pub fn parse_one(text: &str) -> Result<Node, ParseError> {
    let mut docs = parse_stream(text)?;
    match docs.len() {
        0 => Ok(Node::Null),
        1 => Ok(docs.remove(0)),
        _ => Err(ParseError {
            pos: Pos { line: 1, col: 1 },
            message: "expected a single document, found several".into(),
        }),
    }
}

/// How the fast reader did on `text` compared with the general parser,
/// for differential tests and fuzzing: `Ok(true)` when it read the text
/// and agreed (same trees, same spans, in both scalar dialects),
/// `Ok(false)` when it declined the text, `Err` with both results when it
/// disagreed.
#[doc(hidden)]
pub fn fast_reader_agrees(text: &str) -> Result<bool, String> {
    let Some(events) = fast::events(text) else {
        return Ok(false);
    };
    let mut used = false;
    for yaml11 in [false, true] {
        let fast = Builder {
            yaml11,
            ..Builder::new(true)
        }
        .consume(events.iter().cloned().map(Ok), text);
        let general = Builder {
            yaml11,
            ..Builder::new(true)
        }
        .run_general(text);
        match (fast, general) {
            // The fast reader's events may make an invalid tree (a repeated
            // key); the caller then uses the general parser's answer.
            (Err(_), _) => {}
            (Ok(f), Ok(g)) if same_docs(&f, &g) => used = true,
            (Ok(f), Ok(g)) => return Err(describe_difference(&f, &g)),
            (f, g) => return Err(format!("fast:    {f:?}\ngeneral: {g:?}")),
        }
    }
    Ok(used)
}

/// The first difference between two readings, briefly.
fn describe_difference(a: &[(Node, SpanMap)], b: &[(Node, SpanMap)]) -> String {
    if a.len() != b.len() {
        return format!("{} documents against {}", a.len(), b.len());
    }
    for (i, ((na, sa), (nb, sb))) in a.iter().zip(b).enumerate() {
        if format!("{na:?}") != format!("{nb:?}") {
            return format!("document {i}:\nfast:    {na:?}\ngeneral: {nb:?}");
        }
        let (pa, pb) = (sa.pointers(), sb.pointers());
        let mut keys: Vec<&String> = pa.iter().chain(&pb).map(|(k, _)| k).collect();
        keys.sort();
        keys.dedup();
        let find = |p: &[(String, Pos)], k: &str| p.iter().find(|(q, _)| q == k).map(|(_, v)| *v);
        for k in keys {
            if find(&pa, k) != find(&pb, k) {
                return format!(
                    "document {i}, span of {k:?}: fast {:?}, general {:?}",
                    find(&pa, k),
                    find(&pb, k)
                );
            }
        }
    }
    String::new()
}

/// Equal trees (NaN equal to NaN) and equal spans.
fn same_docs(a: &[(Node, SpanMap)], b: &[(Node, SpanMap)]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((na, sa), (nb, sb))| format!("{na:?}") == format!("{nb:?}") && sa == sb)
}

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: span.start.line(),
        col: span.start.col() + 1,
    }
}

/// An open collection. Its items and entries so far sit at the end of the
/// builder's shared `items` and `entries` stacks, from `first` on: each
/// finished collection is then allocated once at its exact size, where
/// growing a vector per collection left up to half of every one unused
/// (a third of the parsed tree's memory on large inputs).
enum Frame {
    Seq {
        first: usize,
        anchor: usize,
    },
    /// `merge_key`: the pending key is a merge key (a plain `<<` or one
    /// tagged `!!merge`); a quoted `"<<"` is an ordinary key, as in go-yaml.
    Map {
        first: usize,
        key: Option<(Str, Pos)>,
        anchor: usize,
        merges: Vec<Node>,
        start: Pos,
        merge_key: bool,
        /// The entries' positions by key, once the mapping is large.
        index: Option<Box<KeyIndex>>,
    },
}

/// Positions of a large mapping's entries by key (relative to its
/// `first`), so that finding a repeated key stays linear in the size of
/// the mapping; a small one is searched directly, which is faster.
type KeyIndex = HashMap<Str, usize>;

/// From this many entries on, a mapping's keys are indexed.
const INDEXED_FROM: usize = 32;

/// Where `k` already is among `entries` (those of one open mapping), using
/// and keeping up `index` once there are [`INDEXED_FROM`] entries.
fn find_key(entries: &[(Str, Node)], index: &mut Option<Box<KeyIndex>>, k: &Str) -> Option<usize> {
    if entries.len() < INDEXED_FROM {
        return entries.iter().position(|(e, _)| e == k);
    }
    let index = index.get_or_insert_with(|| {
        let mut m = KeyIndex::default();
        m.reserve(entries.len() * 2);
        for (i, (e, _)) in entries.iter().enumerate() {
            m.entry(e.clone()).or_insert(i);
        }
        Box::new(m)
    });
    match index.get(k) {
        Some(&i) => Some(i),
        None => {
            index.insert(k.clone(), entries.len());
            None
        }
    }
}

struct Builder {
    spans: bool,
    stack: Vec<Frame>,
    /// Items of the open sequences, innermost last (see [`Frame`]).
    items: Vec<Node>,
    /// Entries of the open mappings, innermost last.
    entries: Vec<(Str, Node)>,
    /// With spans: the recorded index of each open collection, outermost
    /// first (`u32::MAX` when it was not recorded).
    span_path: Vec<u32>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    docs: Vec<(Node, SpanMap)>,
    current_spans: SpanMap,
    doc_started: bool,
    yaml11: bool,
    /// The root of the document being read, once complete.
    pending_root: Option<Node>,
    /// The length in characters of a text without a final line break.
    unterminated_len: Option<usize>,
}

fn count_nodes(n: &Node) -> usize {
    match n {
        Node::Seq(s) => 1 + s.iter().map(count_nodes).sum::<usize>(),
        Node::Map(m) => 1 + m.iter().map(|(_, v)| count_nodes(v)).sum::<usize>(),
        _ => 1,
    }
}

impl Builder {
    fn new(spans: bool) -> Self {
        Builder {
            spans,
            stack: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
            span_path: Vec::new(),
            anchors: HashMap::default(),
            alias_nodes: 0,
            docs: Vec::new(),
            current_spans: SpanMap::default(),
            doc_started: false,
            yaml11: false,
            pending_root: None,
            unterminated_len: None,
        }
    }

    /// Reads `text` with the fast reader when it can, else (or when the
    /// fast reader's events make an invalid tree, such as a repeated key)
    /// with the general parser, so every error comes from the latter.
    fn run(self, text: &str) -> Result<Vec<(Node, SpanMap)>, ParseError> {
        // The fast reader hands over its events in small batches, so the
        // events of a large document never all exist at once.
        let mut b = Builder {
            spans: self.spans,
            yaml11: self.yaml11,
            ..Builder::new(false)
        };
        b.begin(text);
        if fast::read(text, |events| b.feed(events.drain(..).map(Ok)).is_ok()) {
            return Ok(b.docs);
        }
        self.run_general(text)
    }

    /// Reads `text` with the general event parser only.
    fn run_general(self, text: &str) -> Result<Vec<(Node, SpanMap)>, ParseError> {
        let events = Parser::new_from_str(text).map(|item| {
            item.map_err(|e| ParseError {
                pos: Pos {
                    line: e.marker().line(),
                    col: e.marker().col() + 1,
                },
                message: e.info().to_string(),
            })
        });
        self.consume(events, text)
    }

    fn consume<'a>(
        mut self,
        events: impl Iterator<Item = Result<(Event<'a>, Span), ParseError>>,
        text: &str,
    ) -> Result<Vec<(Node, SpanMap)>, ParseError> {
        self.begin(text);
        self.feed(events)?;
        Ok(self.docs)
    }

    /// Prepares for the events of `text`.
    fn begin(&mut self, text: &str) {
        // A block scalar that runs to the end of a text without a final
        // line break has no trailing newline (as go-yaml reads it); the
        // event parser adds one, so it is taken off again in `feed`.
        self.unterminated_len = if text.ends_with('\n') {
            None
        } else {
            Some(text.chars().count())
        };
    }

    /// Builds from the next events of the text given to `begin`; finished
    /// documents collect in `self.docs`. Called once with every event, or
    /// (by the fast reader) once per batch of events.
    fn feed<'a>(
        &mut self,
        events: impl Iterator<Item = Result<(Event<'a>, Span), ParseError>>,
    ) -> Result<(), ParseError> {
        let unterminated_len = self.unterminated_len;
        for item in events {
            let (event, span) = item?;
            let pos = pos_of(&span);
            match event {
                Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
                Event::DocumentStart(_) => {
                    self.doc_started = true;
                    self.anchors.clear();
                    self.pending_root = None;
                }
                Event::DocumentEnd => {
                    let root = self.pending_root.take().unwrap_or(Node::Null);
                    let spans = std::mem::take(&mut self.current_spans);
                    self.docs.push((root, spans));
                    self.doc_started = false;
                }
                Event::Alias(id) => {
                    let (node, size) =
                        self.anchors.get(&id).cloned().ok_or_else(|| ParseError {
                            pos,
                            message: "unknown anchor".into(),
                        })?;
                    self.alias_nodes += size;
                    if self.alias_nodes > MAX_ALIAS_NODES {
                        return Err(ParseError {
                            pos,
                            message: format!(
                                "alias expansion exceeds {MAX_ALIAS_NODES} nodes (a \"billion laughs\" document?)"
                            ),
                        });
                    }
                    self.record(pos);
                    if let Some(root) = self.add_value(node, pos)? {
                        self.pending_root = Some(root);
                    }
                }
                Event::Scalar(value, style, anchor, tag) => {
                    let mut value = value;
                    if matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                        && unterminated_len.is_some_and(|n| span.end.index() >= n)
                        && value.ends_with('\n')
                    {
                        let mut v = value.into_owned();
                        v.pop();
                        value = std::borrow::Cow::Owned(v);
                    }
                    let mut node = scalar_node(
                        &value,
                        style,
                        tag.as_deref()
                            .map(|t| (t.handle.as_str(), t.suffix.as_str())),
                        pos,
                    )?;
                    if self.yaml11 && style == ScalarStyle::Plain && tag.is_none() {
                        if let Some(b) = yaml11_bool(&value) {
                            node = Node::Bool(b);
                        }
                    }
                    // A scalar in key position becomes the pending key.
                    if let Some(Frame::Map {
                        key: key @ None,
                        merge_key,
                        ..
                    }) = self.stack.last_mut()
                    {
                        // A string key moves into place; other scalars
                        // (`1`, `true`) are keyed by their text.
                        let k = match node {
                            Node::Str(s) => s,
                            other => match other.scalar_text() {
                                Some(s) => Str::from(s),
                                None => unreachable!("scalar events make scalar nodes"),
                            },
                        };
                        *merge_key = k == "<<"
                            && match tag
                                .as_deref()
                                .map(|t| (t.handle.as_str(), t.suffix.as_str()))
                            {
                                None => style == ScalarStyle::Plain,
                                Some(t) => {
                                    matches!(t, ("!!", "merge") | ("tag:yaml.org,2002:", "merge"))
                                }
                            };
                        *key = Some((k, pos));
                        continue;
                    }
                    if anchor != 0 {
                        self.anchors.insert(anchor, (node.clone(), 1));
                    }
                    self.record(pos);
                    if let Some(root) = self.add_value(node, pos)? {
                        self.pending_root = Some(root);
                    }
                }
                Event::SequenceStart(anchor, _) => {
                    self.open(pos)?;
                    self.stack.push(Frame::Seq {
                        first: self.items.len(),
                        anchor,
                    });
                }
                Event::MappingStart(anchor, _) => {
                    self.open(pos)?;
                    let first = self.entries.len();
                    self.stack.push(Frame::Map {
                        first,
                        key: None,
                        anchor,
                        merges: Vec::new(),
                        start: pos,
                        merge_key: false,
                        index: None,
                    });
                }
                Event::SequenceEnd => {
                    let (node, anchor) = match self.stack.pop() {
                        Some(Frame::Seq { first, anchor }) => {
                            (Node::Seq(self.items.drain(first..).collect()), anchor)
                        }
                        _ => {
                            return Err(ParseError {
                                pos,
                                message: "unbalanced sequence".into(),
                            })
                        }
                    };
                    if let Some(root) = self.close(node, anchor, pos)? {
                        self.pending_root = Some(root);
                    }
                }
                Event::MappingEnd => {
                    let (node, anchor) = match self.stack.pop() {
                        Some(Frame::Map {
                            first,
                            anchor,
                            merges,
                            ..
                        }) => {
                            let mut map =
                                Mapping::from_distinct(self.entries.drain(first..).collect());
                            apply_merges(&mut map, merges);
                            (Node::Map(map), anchor)
                        }
                        _ => {
                            return Err(ParseError {
                                pos,
                                message: "unbalanced mapping".into(),
                            })
                        }
                    };
                    if let Some(root) = self.close(node, anchor, pos)? {
                        self.pending_root = Some(root);
                    }
                }
            }
        }
        Ok(())
    }

    /// Called when a collection starts: checks that it is not a key and
    /// that nesting stays bounded, and records its position.
    fn open(&mut self, pos: Pos) -> Result<(), ParseError> {
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            return Err(ParseError {
                pos,
                message: "a mapping or sequence cannot be used as a key".into(),
            });
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(ParseError {
                pos,
                message: format!("document nests deeper than {MAX_DEPTH} levels"),
            });
        }
        let recorded = self.record(pos);
        if self.spans {
            self.span_path.push(recorded.unwrap_or(u32::MAX));
        }
        Ok(())
    }

    fn close(&mut self, node: Node, anchor: usize, pos: Pos) -> Result<Option<Node>, ParseError> {
        if self.spans {
            self.span_path.pop();
        }
        if anchor != 0 {
            let size = count_nodes(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        self.add_value(node, pos)
    }

    /// The path segment of the value that is about to start (a key as
    /// written, or a list index).
    fn next_segment(&self) -> Option<Str> {
        match self.stack.last()? {
            Frame::Seq { first, .. } => Some(Str::from((self.items.len() - first).to_string())),
            Frame::Map { key, .. } => key.as_ref().map(|(k, _)| k.clone()),
        }
    }

    /// Records where the value about to be added starts (and its key);
    /// its index among the recorded values.
    fn record(&mut self, pos: Pos) -> Option<u32> {
        if !self.spans {
            return None;
        }
        if self.stack.is_empty() {
            return Some(self.current_spans.record(None, Str::default(), pos, None));
        }
        let parent = *self.span_path.last().filter(|p| **p != u32::MAX)?;
        let seg = self.next_segment()?;
        let key = match self.stack.last() {
            Some(Frame::Map {
                key: Some((_, kpos)),
                ..
            }) => Some(*kpos),
            _ => None,
        };
        Some(self.current_spans.record(Some(parent), seg, pos, key))
    }

    /// Adds a finished value to the collection on top of the stack, or
    /// returns it when it is a document's root.
    fn add_value(&mut self, node: Node, pos: Pos) -> Result<Option<Node>, ParseError> {
        match self.stack.last_mut() {
            None => Ok(Some(node)),
            Some(Frame::Seq { .. }) => {
                self.items.push(node);
                Ok(None)
            }
            Some(Frame::Map {
                first,
                key,
                merges,
                start,
                merge_key,
                index,
                ..
            }) if !self.yaml11 => {
                let Some((k, kpos)) = key.take() else {
                    return Err(ParseError {
                        pos,
                        message: "a mapping or sequence cannot be used as a key".into(),
                    });
                };
                if std::mem::take(merge_key) {
                    merges.push(node);
                    return Ok(None);
                }
                if find_key(&self.entries[*first..], index, &k).is_some() {
                    return Err(ParseError {
                        pos: kpos,
                        message: format!(
                            "mapping key \"{k}\" already defined (mapping starts at line {})",
                            start.line
                        ),
                    });
                }
                self.entries.push((k, node));
                Ok(None)
            }
            Some(Frame::Map {
                first,
                key,
                merges,
                merge_key,
                index,
                ..
            }) => {
                let Some((k, _)) = key.take() else {
                    return Err(ParseError {
                        pos,
                        message: "a mapping or sequence cannot be used as a key".into(),
                    });
                };
                if std::mem::take(merge_key) {
                    merges.push(node);
                } else if let Some(i) = find_key(&self.entries[*first..], index, &k) {
                    // YAML 1.1 readers let a repeated key's last value win.
                    self.entries[*first + i].1 = node;
                } else {
                    self.entries.push((k, node));
                }
                Ok(None)
            }
        }
    }
}

/// The YAML 1.1 booleans that YAML 1.2 reads as strings.
fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

/// Applies YAML merge keys (`<<: *anchor`): keys already present win.
/// Linear in the keys merged: large mappings look keys up in a set.
fn apply_merges(map: &mut Mapping, merges: Vec<Node>) {
    if merges.is_empty() {
        return;
    }
    let mut seen: Option<rustc_hash::FxHashSet<Str>> = None;
    for m in merges {
        let sources = match m {
            Node::Seq(items) => items,
            other => vec![other],
        };
        for src in sources {
            if let Node::Map(src) = src {
                for (k, v) in src {
                    let present = if map.len() < INDEXED_FROM && seen.is_none() {
                        map.contains_key(&k)
                    } else {
                        let seen = seen.get_or_insert_with(|| map.keys().cloned().collect());
                        !seen.insert(k.clone())
                    };
                    if !present {
                        map.push_unchecked(k, v);
                    }
                }
            }
        }
    }
}

/// The prefix of the tags of YAML's own types (`!!int` is
/// `tag:yaml.org,2002:int`).
const CORE_TAGS: &str = "tag:yaml.org,2002:";

/// A scalar's node, typed by its tag as go-yaml v3 types it: a tag of
/// YAML's own types (`!!int`, or written out verbatim as
/// `!<tag:yaml.org,2002:int>`) must fit the value, or the document is
/// refused; other tags leave the text a string.
///
/// The refusal does not quote the value: it may be a Secret's, and the
/// position already says where it is.
fn scalar_node(
    value: &str,
    style: ScalarStyle,
    tag: Option<(&str, &str)>,
    pos: Pos,
) -> Result<Node, ParseError> {
    let verbatim;
    let core = match tag {
        Some(("!!", suffix)) => Some(suffix),
        Some((handle, suffix)) => {
            verbatim = format!("{handle}{suffix}");
            match verbatim.strip_prefix(CORE_TAGS) {
                Some(core) => Some(core),
                None => return Ok(Node::str(value)),
            }
        }
        None => None,
    };
    let err = |what: &str| ParseError {
        pos,
        message: format!("cannot decode this !!str as a {what}"),
    };
    match core {
        Some("str") => Ok(Node::str(value)),
        Some("null") => match value {
            "" | "~" | "null" | "Null" | "NULL" => Ok(Node::Null),
            _ => Err(err("!!null")),
        },
        Some("timestamp") => timestamp(value)
            .map(Node::str)
            .ok_or_else(|| err("!!timestamp")),
        Some("binary") => binary(value).map(Node::str).ok_or_else(|| ParseError {
            pos,
            message: "!!binary value contains invalid base64 data".into(),
        }),
        Some("bool") => match resolve_plain(value) {
            b @ Node::Bool(_) => Ok(b),
            _ => Err(err("!!bool")),
        },
        Some("int") => match resolve_plain(value) {
            n @ (Node::Int(_) | Node::Uint(_)) => Ok(n),
            _ => Err(err("!!int")),
        },
        Some("float") => match resolve_plain(value) {
            Node::Int(i) => Ok(Node::Float(i as f64)),
            Node::Uint(u) => Ok(Node::Float(u as f64)),
            f @ Node::Float(_) => Ok(f),
            _ => Err(err("!!float")),
        },
        Some(_) => Ok(Node::str(value)),
        None if style == ScalarStyle::Plain => Ok(resolve_plain(value)),
        None => Ok(Node::str(value)),
    }
}

/// The text of a `!!binary` value: its base64 (line breaks ignored, as
/// Go's decoder ignores them) decoded, with bytes that are not UTF-8
/// replaced as Go's JSON encoder replaces them.
fn binary(value: &str) -> Option<String> {
    use base64::Engine as _;
    const GO_STD: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let compact: String = value
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .collect();
    let bytes = GO_STD.decode(compact.as_bytes()).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// A `!!timestamp` value as go-yaml reads it (the layouts
/// `2006-1-2T15:4:5.999999999Z07:00`, the same with a lowercase `t` or a
/// space and no zone, and `2006-1-2`, through Go's `time.Parse`), written
/// back as Go's JSON encoder writes a time: RFC 3339 with nanoseconds,
/// `2001-12-14T21:59:43.1-05:00`. `None` when it is not a timestamp.
pub(crate) fn timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    // Up to `max` digits (at least one), as Go's `getnum` reads a field.
    let num = |i: &mut usize, min: usize, max: usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
            *i += 1;
        }
        if *i - start < min {
            return None;
        }
        s[start..*i].parse().ok()
    };
    let year = num(&mut i, 4, 4)?;
    let expect = |i: &mut usize, c: u8| -> Option<()> { (b.get(*i) == Some(&c)).then(|| *i += 1) };
    expect(&mut i, b'-')?;
    let month = num(&mut i, 1, 2)?;
    expect(&mut i, b'-')?;
    let day = num(&mut i, 1, 2)?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day < 1 || day > days {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if i == b.len() {
        return Some(format!("{date}T00:00:00Z"));
    }
    let zoned = match b[i] {
        b'T' | b't' => true,
        b' ' => false,
        _ => return None,
    };
    i += 1;
    let hour = num(&mut i, 1, 2)?;
    expect(&mut i, b':')?;
    let minute = num(&mut i, 1, 2)?;
    expect(&mut i, b':')?;
    let second = num(&mut i, 1, 2)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // A fraction of any length; Go keeps nine digits.
    let mut fraction = String::new();
    if i + 1 < b.len() && matches!(b[i], b'.' | b',') && b[i + 1].is_ascii_digit() {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            if fraction.len() < 9 {
                fraction.push(char::from(b[i]));
            }
            i += 1;
        }
    }
    let fraction = fraction.trim_end_matches('0');
    let zone = if !zoned {
        "Z".to_string()
    } else if b.get(i) == Some(&b'Z') {
        i += 1;
        "Z".to_string()
    } else {
        // `±hh:mm`, exactly.
        let sign = *b.get(i).filter(|c| matches!(c, b'+' | b'-'))?;
        let rest = b.get(i + 1..i + 6)?;
        if !(rest[0].is_ascii_digit()
            && rest[1].is_ascii_digit()
            && rest[2] == b':'
            && rest[3].is_ascii_digit()
            && rest[4].is_ascii_digit())
        {
            return None;
        }
        let hh = u32::from(rest[0] - b'0') * 10 + u32::from(rest[1] - b'0');
        let mm = u32::from(rest[3] - b'0') * 10 + u32::from(rest[4] - b'0');
        if hh > 24 || mm > 60 {
            return None;
        }
        i += 6;
        if hh == 0 && mm == 0 {
            "Z".to_string()
        } else {
            format!("{}{hh:02}:{mm:02}", char::from(sign))
        }
    };
    if i != b.len() {
        return None;
    }
    let dot = if fraction.is_empty() { "" } else { "." };
    Some(format!(
        "{date}T{hour:02}:{minute:02}:{second:02}{dot}{fraction}{zone}"
    ))
}

/// Types a plain scalar as go-yaml v3 does when decoding into `interface{}`.
pub fn resolve_plain(s: &str) -> Node {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Node::Null,
        "true" | "True" | "TRUE" => return Node::Bool(true),
        "false" | "False" | "FALSE" => return Node::Bool(false),
        ".nan" | ".NaN" | ".NAN" => return Node::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Node::Float(f64::INFINITY)
        }
        "-.inf" | "-.Inf" | "-.INF" => return Node::Float(f64::NEG_INFINITY),
        _ => {}
    }
    let first = s.as_bytes()[0];
    if first == b'.' {
        return match s.parse::<f64>() {
            Ok(f) if is_go_decimal_float(s) => Node::Float(f),
            _ => Node::str(s),
        };
    }
    if !(first.is_ascii_digit() || first == b'-' || first == b'+') {
        return Node::str(s);
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if let Some(i) = go_parse_int(&plain) {
        return Node::Int(i);
    }
    if let Some(u) = go_parse_uint(&plain) {
        return Node::Uint(u);
    }
    if is_yaml_style_float(&plain) {
        if let Ok(f) = plain.parse::<f64>() {
            return Node::Float(f);
        }
    }
    Node::str(s)
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
pub(crate) fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// A plain decimal float such as `.5` or `.5e3` (what Go's `ParseFloat`
/// accepts after a leading dot, apart from hex and named values).
fn is_go_decimal_float(s: &str) -> bool {
    is_yaml_style_float(s)
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let mag = go_parse_magnitude(body)?;
    if neg {
        if mag <= i64::MAX as u64 + 1 {
            Some((mag as i128).wrapping_neg() as i64)
        } else {
            None
        }
    } else if mag <= i64::MAX as u64 {
        Some(mag as i64)
    } else {
        None
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)` (no sign allowed).
pub(crate) fn go_parse_uint(s: &str) -> Option<u64> {
    go_parse_magnitude(s)
}

fn go_parse_magnitude(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let (radix, digits) = if b.len() >= 2 && b[0] == b'0' {
        match b[1] {
            b'x' | b'X' => (16, &s[2..]),
            b'o' | b'O' => (8, &s[2..]),
            b'b' | b'B' => (2, &s[2..]),
            _ => (8, &s[1..]),
        }
    } else {
        (10, s)
    };
    if digits.is_empty() || !digits.bytes().all(|c| (c as char).is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Node {
        match parse_one(s) {
            Ok(n) => n,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn plain_scalars_follow_go_yaml_v3() {
        assert_eq!(resolve_plain("0755"), Node::Int(493));
        assert_eq!(resolve_plain("0x1F"), Node::Int(31));
        assert_eq!(resolve_plain("1_000"), Node::Int(1000));
        assert_eq!(resolve_plain("09"), Node::Float(9.0));
        assert_eq!(resolve_plain("1.0"), Node::Float(1.0));
        assert_eq!(resolve_plain("1.5e3"), Node::Float(1500.0));
        assert_eq!(resolve_plain(".5"), Node::Float(0.5));
        assert_eq!(resolve_plain("yes"), Node::str("yes"));
        assert_eq!(resolve_plain("on"), Node::str("on"));
        assert_eq!(resolve_plain("True"), Node::Bool(true));
        assert_eq!(resolve_plain("~"), Node::Null);
        assert_eq!(resolve_plain("2001-12-14"), Node::str("2001-12-14"));
        assert_eq!(resolve_plain("-"), Node::str("-"));
        assert_eq!(resolve_plain("1.2.3"), Node::str("1.2.3"));
        assert_eq!(resolve_plain("18446744073709551615"), Node::Uint(u64::MAX));
        assert_eq!(resolve_plain("-9223372036854775808"), Node::Int(i64::MIN));
    }

    #[test]
    fn quoted_and_tagged_scalars() {
        let n = one("a: \"1\"\nb: '0755'\nc: !!str 12\nd: |\n  x\n");
        assert_eq!(n.get("a"), Some(&Node::str("1")));
        assert_eq!(n.get("b"), Some(&Node::str("0755")));
        assert_eq!(n.get("c"), Some(&Node::str("12")));
        assert_eq!(n.get("d"), Some(&Node::str("x\n")));
    }

    /// What kubectl (kustomize v5.5.0, go-yaml v3) makes of tagged
    /// scalars, each checked against it.
    #[test]
    fn tags_of_yaml_types_must_fit_their_value() {
        let value = |v: &str| {
            parse_stream(&format!("v: {v}\n"))
                .map(|d| d[0].get("v").cloned().unwrap_or(Node::Null))
                .map_err(|e| e.message)
        };
        // !!null only on the null forms.
        for v in [
            "!!null",
            "!!null ''",
            "!!null ~",
            "!!null NULL",
            "!!null \"\"",
        ] {
            assert_eq!(value(v), Ok(Node::Null), "{v}");
        }
        assert_eq!(
            value("!!null some-text"),
            Err("cannot decode this !!str as a !!null".into())
        );
        // The error never quotes the value (it may be a Secret's).
        let e = value("!!int hunter2").unwrap_err();
        assert_eq!(e, "cannot decode this !!str as a !!int");
        // !!timestamp: Go's time.Parse layouts, printed as Go's JSON
        // encoder prints a time.
        let ts = |v: &str| value(&format!("!!timestamp {v}"));
        assert_eq!(ts("2001-12-14"), Ok(Node::str("2001-12-14T00:00:00Z")));
        assert_eq!(
            ts("2001-12-14t21:59:43.10-05:00"),
            Ok(Node::str("2001-12-14T21:59:43.1-05:00"))
        );
        assert_eq!(
            ts("2001-12-14 21:59:43.10"),
            Ok(Node::str("2001-12-14T21:59:43.1Z"))
        );
        assert_eq!(
            ts("2001-1-2T3:4:5.000Z"),
            Ok(Node::str("2001-01-02T03:04:05Z"))
        );
        assert_eq!(
            ts("'2001-12-14T21:59:43+00:00'"),
            Ok(Node::str("2001-12-14T21:59:43Z"))
        );
        for bad in [
            "nope",
            "2001-13-01",
            "2001-02-29",
            "2001-12-14T21:59:43",
            "2001-12-14 21:59:43.10 -5",
            "01-12-14",
        ] {
            assert_eq!(
                ts(bad),
                Err("cannot decode this !!str as a !!timestamp".into()),
                "{bad}"
            );
        }
        assert_eq!(ts("2000-02-29"), Ok(Node::str("2000-02-29T00:00:00Z")));
        // Verbatim tags of YAML's types are checked the same way.
        assert_eq!(value("!<tag:yaml.org,2002:int> 12"), Ok(Node::Int(12)));
        assert_eq!(
            value("!<tag:yaml.org,2002:null> x"),
            Err("cannot decode this !!str as a !!null".into())
        );
        assert_eq!(
            value("!<tag:yaml.org,2002:timestamp> 2001-12-14"),
            Ok(Node::str("2001-12-14T00:00:00Z"))
        );
        // !!binary is decoded; other tags leave the text a string.
        assert_eq!(value("!!binary aGVsbG8="), Ok(Node::str("hello")));
        assert_eq!(
            value("!!binary not-base64"),
            Err("!!binary value contains invalid base64 data".into())
        );
        for v in ["!foo bar", "!<!foo> bar", "!!seq bar", "!!omap bar"] {
            assert_eq!(value(v), Ok(Node::str("bar")), "{v}");
        }
    }

    #[test]
    fn multiple_documents_and_empty_ones() {
        let docs = parse_stream("a: 1\n---\n---\nb: 2\n").unwrap_or_default();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[1], Node::Null);
    }

    #[test]
    fn duplicate_keys_are_errors() {
        let err = parse_stream("a: 1\na: 2\n").err().map(|e| e.pos.line);
        assert_eq!(err, Some(2));
    }

    #[test]
    fn nested_collections_keep_their_own_entries() {
        // Collections share the builder's stacks while open: a repeated
        // key is looked for only in its own mapping, and an inner
        // collection's entries never end up in the outer one.
        let n = one("a:\n  k: 1\n  b:\n    k: 2\n    s: [x, {k: 3}]\n  k2: 4\nk: 5\n");
        assert_eq!(n.get_path(&["a", "k"]), Some(&Node::Int(1)));
        assert_eq!(n.get_path(&["a", "b", "k"]), Some(&Node::Int(2)));
        assert_eq!(
            n.get_path(&["a", "b", "s"])
                .and_then(|s| s.as_seq())
                .map(Vec::len),
            Some(2)
        );
        assert_eq!(
            n.get_path(&["a"]).and_then(|a| a.as_map()).map(|m| m.len()),
            Some(3)
        );
        assert_eq!(n.get("k"), Some(&Node::Int(5)));
        let err = parse_stream("a:\n  b:\n    k: 1\n  k: 2\n  k: 3\n")
            .err()
            .map(|e| e.pos.line);
        assert_eq!(err, Some(5));
        // YAML 1.1 (kustomize's reader of kustomization files): the last
        // value of a repeated key wins, in place.
        let y11 = parse_stream_yaml11("k: 1\nm: {x: 1}\nk: 2\n").unwrap_or_default();
        let keys: Vec<String> = y11
            .first()
            .and_then(|d| d.as_map())
            .map(|m| m.keys().map(|k| k.to_string()).collect())
            .unwrap_or_default();
        assert_eq!(keys, ["k", "m"]);
        assert_eq!(y11.first().and_then(|d| d.get("k")), Some(&Node::Int(2)));
    }

    #[test]
    fn only_a_plain_or_merge_tagged_key_merges() {
        // A quoted "<<" is an ordinary key (go-yaml v2 and v3 agree); it
        // used to be taken as a merge key and silently dropped.
        let n = one("a:\n  \"<<\": null\n  b: 1\n").get("a").cloned();
        assert_eq!(n.as_ref().and_then(|a| a.get("<<")), Some(&Node::Null));
        assert_eq!(n.as_ref().and_then(|a| a.get("b")), Some(&Node::Int(1)));
        let m = one("b: &b {x: 1}\na:\n  !!merge <<: *b\n");
        assert_eq!(m.get_path(&["a", "x"]), Some(&Node::Int(1)));
        let y11 = parse_stream_yaml11("'<<': {x: 1}\n").unwrap_or_default();
        assert_eq!(
            y11.first().and_then(|d| d.get_path(&["<<", "x"])),
            Some(&Node::Int(1))
        );
    }

    #[test]
    fn aliases_and_merge_keys() {
        let n = one("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n");
        assert_eq!(n.get_path(&["derived", "x"]), Some(&Node::Int(1)));
        assert_eq!(n.get_path(&["derived", "y"]), Some(&Node::Int(3)));
    }

    #[test]
    fn billion_laughs_is_bounded() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let prev = i - 1;
            doc.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
        }
        let err = parse_stream(&doc).err().map(|e| e.message);
        assert!(err.is_some_and(|m| m.contains("alias expansion")));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let doc = "[".repeat(MAX_DEPTH + 5);
        assert_eq!(
            parse_stream(&doc).err().map(|e| e.to_string()).as_deref(),
            Some("line 1, column 256: recursion limit exceeded")
        );
    }

    #[test]
    fn spans_point_at_values_and_keys() {
        let docs = parse_stream_with_spans("api:\n  replicas: three\n  list:\n  - a\n  - b\n")
            .unwrap_or_default();
        let spans = &docs[0].1;
        assert_eq!(spans.get("/api/replicas"), Some(&Pos { line: 2, col: 13 }));
        assert_eq!(
            spans.get("/api/replicas#key"),
            Some(&Pos { line: 2, col: 3 })
        );
        assert_eq!(spans.get("/api/list/1"), Some(&Pos { line: 5, col: 5 }));
    }
}
