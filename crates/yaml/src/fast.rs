//! A fast reader for the block-style YAML that nearly every Kubernetes
//! manifest and kustomization is written in.
//!
//! Reading YAML is most of what a build costs, and the general event parser
//! spends its time on things these files never use (flow collections,
//! anchors, tags, multi-line plain scalars, tabs). This reader walks the
//! text line by line and produces the same events, with the same start
//! positions, for a strict subset of YAML:
//!
//! - printable text (no tabs, carriage returns or other control
//!   characters, and none of the characters the general parser treats
//!   specially: byte order marks and the Unicode line and paragraph
//!   separators); columns are counted in characters, as the general
//!   parser counts them;
//! - block mappings and block sequences, including compact forms
//!   (`- key: value`, `- - item`) and a sequence at its key's indentation;
//! - one-line plain, single-quoted and double-quoted scalars, keys included
//!   (a plain scalar may start with `:` or `?` when a non-space follows);
//! - literal and folded block scalars with the clip, strip and keep
//!   indicators (no explicit indentation indicator);
//! - the empty flow collections `[]` and `{}`;
//! - comments, and documents separated by `---` lines.
//!
//! Anything else — and anything that would be an error — makes [`events`]
//! return `None`, and the caller reads the text with the general parser
//! from the start. The reader never reports an error of its own, so every
//! message a user sees comes from one parser. The differential tests at
//! the end of `parse.rs` hold the two readers to the same trees and spans.

use saphyr_parser::{Event, Marker, ScalarStyle, Span};
use std::borrow::Cow;

/// The events of one stream, each with where it starts.
pub(super) type Events<'a> = Vec<(Event<'a>, Span)>;

/// The text uses something outside the subset, or is not valid YAML.
struct Bail;

type R<T> = Result<T, Bail>;

/// All the events of `text` at once, or `None` when it is outside the
/// subset (for the differential tests).
pub(super) fn events(text: &str) -> Option<Events<'_>> {
    let mut all = Vec::new();
    read(text, |evs| {
        all.append(evs);
        true
    })
    .then_some(all)
}

/// Reads `text`, handing `sink` the events in order, [`CHUNK`] at a time
/// (the last ones at the stream's end); `sink` takes them out and returns
/// whether to go on. Returns whether the whole text was read: `false` when
/// it is outside the subset or `sink` stopped, and the caller then reads it
/// with the general parser.
pub(super) fn read<'a>(text: &'a str, mut sink: impl FnMut(&mut Events<'a>) -> bool) -> bool {
    let bytes = text.as_bytes();
    // Control characters other than the line break (tabs, carriage
    // returns and the unprintable ones YAML refuses) go to the general
    // parser.
    if has_control(bytes) {
        return false;
    }
    let ascii = text.is_ascii();
    if !ascii && has_special(text) {
        return false;
    }
    // Offsets are kept in 32 bits; a larger text goes to the general parser.
    if bytes.len() >= u32::MAX as usize {
        return false;
    }
    let lines = Lines::of(bytes);
    // Positions are counted in characters; only a text with multi-byte
    // characters needs the table that turns bytes into characters.
    let line_chars = (!ascii).then(|| {
        let mut chars = 0;
        let mut prev = 0;
        lines.starts[..lines.len()]
            .iter()
            .map(|&s| {
                let s = s as usize;
                chars += text[prev..s].chars().count();
                prev = s;
                chars
            })
            .collect()
    });
    let mut r = Reader {
        text,
        b: bytes,
        lines,
        line_chars,
        i: 0,
        depth: 0,
        events: Vec::with_capacity(CHUNK),
        stopped: false,
        sink: &mut sink,
    };
    r.stream().is_ok() && !r.stopped
}

/// Where every line starts (byte offsets), then where a line after the
/// last would start: one past the end of the text when it does not end in
/// a line break. Line `i` is then `starts[i]..starts[i + 1] - 1`, without
/// its break. Four bytes a line: the table of a large file is a good part
/// of the memory its parse takes.
struct Lines {
    starts: Vec<u32>,
}

impl Lines {
    /// The table of `bytes`, which are shorter than `u32::MAX`.
    fn of(bytes: &[u8]) -> Lines {
        // Counted first: the table of a large file is big enough that a
        // vector's doubling could leave megabytes of it unused.
        let mut starts = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 2);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i as u32 + 1));
        if starts.last().is_some_and(|&s| (s as usize) < bytes.len()) {
            starts.push(bytes.len() as u32 + 1);
        }
        Lines { starts }
    }

    fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Line `li`'s byte range, without its line break.
    fn at(&self, li: usize) -> (usize, usize) {
        (self.starts[li] as usize, self.starts[li + 1] as usize - 1)
    }

    fn get(&self, li: usize) -> Option<(usize, usize)> {
        (li < self.len()).then(|| self.at(li))
    }

    fn last(&self) -> Option<(usize, usize)> {
        self.len().checked_sub(1).map(|li| self.at(li))
    }
}

struct Reader<'a, 's> {
    text: &'a str,
    b: &'a [u8],
    /// Byte range of every line.
    lines: Lines,
    /// For a text that is not all ASCII, the character index at which
    /// every line starts.
    line_chars: Option<Vec<usize>>,
    /// The next line to look at.
    i: usize,
    /// Collections open around the current position.
    depth: usize,
    /// Events not yet handed to the sink.
    events: Events<'a>,
    /// The sink asked to stop.
    stopped: bool,
    /// Where the queued events go.
    sink: &'s mut dyn FnMut(&mut Events<'a>) -> bool,
}

/// How many events are handed to the sink at once. The sink builds as
/// it goes, so one buffer of this size, allocated once per text and never
/// grown, serves a document of any size: growing a vector to hold a large
/// CRD's events cost a tenth of the build on kube-prometheus, most of it
/// in page faults, and a larger buffer per file cost as much on trees of
/// thousands of small files.
const CHUNK: usize = 128;

/// Deepest nesting this reader follows; deeper texts go to the general
/// parser, which enforces the engine's own limit with an error.
const MAX_DEPTH: usize = 100;

/// Whether `bytes` holds a control character other than the line break
/// (a tab, a carriage return, DEL or an unprintable one). Checked in
/// blocks with no early exit inside a block, which the compiler turns
/// into vector instructions; this runs over every byte of the input.
fn has_control(bytes: &[u8]) -> bool {
    bytes.chunks(64).any(|block| {
        block.iter().fold(false, |found, &b| {
            found | ((b < b' ') & (b != b'\n')) | (b == 0x7f)
        })
    })
}

/// Whether `text` holds a character outside ASCII that the general parser
/// reads as more than text (line breaks of YAML 1.1, byte order marks, C1
/// controls) or refuses: U+0080 to U+009F, U+2028, U+2029, U+FEFF, U+FFFE
/// or U+FFFF. Their UTF-8 forms start with the bytes C2, E2 or EF, which
/// in valid UTF-8 only ever start a character, so only those places are
/// decoded.
fn has_special(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memchr3_iter(0xc2, 0xe2, 0xef, b).any(|i| {
        matches!(
            (b[i], b.get(i + 1), b.get(i + 2)),
            (0xc2, Some(0x80..=0x9f), _)
                | (0xe2, Some(0x80), Some(0xa8 | 0xa9))
                | (0xef, Some(0xbb), Some(0xbf))
                | (0xef, Some(0xbf), Some(0xbe | 0xbf))
        )
    })
}

/// Whether `c` may not start a plain scalar (YAML's indicators; `-`, `?`
/// and `:` are handled by the callers).
fn is_indicator(c: u8) -> bool {
    matches!(
        c,
        b'[' | b']'
            | b'{'
            | b'}'
            | b','
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b'?'
            | b':'
    )
}

impl<'a> Reader<'a, '_> {
    /// Whether the indicator at byte `pos` of line `li` starts a plain
    /// scalar in block context all the same: `:` and `?` do when a
    /// non-space follows (`:metric:sum`), as `-` does.
    fn starts_plain(&self, li: usize, pos: usize) -> bool {
        let e = self.lines.at(li).1;
        matches!(self.b[pos], b':' | b'?') && pos + 1 < e && self.b[pos + 1] != b' '
    }

    fn marker(&self, li: usize, pos: usize) -> Marker {
        let Some(chars) = &self.line_chars else {
            return match self.lines.get(li) {
                Some((s, _)) => Marker::new(pos, li + 1, pos - s),
                None => Marker::new(pos, li + 1, 0),
            };
        };
        match (self.lines.get(li), chars.get(li)) {
            (Some((s, _)), Some(&c)) => {
                let col = self.text[s..pos].chars().count();
                Marker::new(c + col, li + 1, col)
            }
            // Past the last line: the end of the text.
            _ => Marker::new(self.text.chars().count(), li + 1, 0),
        }
    }

    /// Where the next token starts: line `self.i`, or the end of the text
    /// (which the general parser places at the start of the line after the
    /// last, line break or not).
    fn next_token(&self) -> (usize, usize) {
        match self.lines.get(self.i) {
            Some((s, _)) => (self.i, s),
            None => (self.lines.len(), self.b.len()),
        }
    }

    fn push(&mut self, ev: Event<'a>, li: usize, pos: usize) {
        let m = self.marker(li, pos);
        self.push_span(ev, Span::new(m, m));
    }

    /// Queues an event, handing the queue to the sink when it is full.
    /// A sink that stops is noticed at the next collection or document.
    fn push_span(&mut self, ev: Event<'a>, span: Span) {
        self.events.push((ev, span));
        if self.events.len() >= CHUNK && !self.stopped {
            self.stopped = self.flush().is_err();
        }
    }

    fn indent(&self, li: usize) -> usize {
        let (s, e) = self.lines.at(li);
        self.b[s..e].iter().take_while(|&&c| c == b' ').count()
    }

    /// Whether line `li` holds only spaces or a comment.
    fn is_blank(&self, li: usize) -> bool {
        let (s, e) = self.lines.at(li);
        let ind = self.indent(li);
        s + ind == e || self.b[s + ind] == b'#'
    }

    /// Whether line `li` is a document marker (`---` or `...`).
    fn is_marker(&self, li: usize, m: &[u8; 3]) -> bool {
        let (s, e) = self.lines.at(li);
        e - s >= 3 && &self.b[s..s + 3] == m && (e - s == 3 || self.b[s + 3] == b' ')
    }

    /// Skips blank and comment lines; the next line with content and its
    /// indentation, or `None` at the end or at a document marker.
    fn content_line(&mut self) -> Option<(usize, usize)> {
        while self.i < self.lines.len() && self.is_blank(self.i) {
            self.i += 1;
        }
        if self.i >= self.lines.len()
            || self.is_marker(self.i, b"---")
            || self.is_marker(self.i, b"...")
        {
            return None;
        }
        Some((self.i, self.indent(self.i)))
    }

    /// Whether what follows `pos` on its line is nothing but spaces and
    /// perhaps a comment (which needs a space before it).
    fn rest_is_empty(&self, li: usize, pos: usize) -> bool {
        let e = self.lines.at(li).1;
        let mut p = pos;
        while p < e && self.b[p] == b' ' {
            p += 1;
        }
        p == e || (p > pos && self.b[p] == b'#')
    }

    /// Whether a block sequence entry (`-` then a space or the line's end)
    /// starts at `pos`.
    fn is_entry(&self, li: usize, pos: usize) -> bool {
        let e = self.lines.at(li).1;
        pos < e && self.b[pos] == b'-' && (pos + 1 == e || self.b[pos + 1] == b' ')
    }

    fn stream(&mut self) -> R<()> {
        self.push_span(
            Event::StreamStart,
            Span::new(Marker::new(0, 1, 0), Marker::new(0, 1, 0)),
        );
        loop {
            while self.i < self.lines.len() && self.is_blank(self.i) {
                self.i += 1;
            }
            if self.i >= self.lines.len() {
                break;
            }
            let li = self.i;
            let (s, e) = self.lines.at(li);
            if self.is_marker(li, b"...") || self.b[s] == b'%' {
                return Err(Bail);
            }
            let explicit = self.is_marker(li, b"---");
            if explicit {
                if !self.rest_is_empty(li, s + 3) {
                    return Err(Bail);
                }
                self.i += 1;
            }
            self.push(Event::DocumentStart(explicit), li, s.min(e));
            if let Some((l, ind)) = self.content_line() {
                self.node(l, self.lines.at(l).0 + ind, -1)?;
                if self.content_line().is_some() {
                    return Err(Bail);
                }
            } else {
                // An explicit document with no content holds an empty
                // scalar, placed where the next token starts.
                let (l, p) = self.next_token();
                self.push(
                    Event::Scalar(Cow::Borrowed("~"), ScalarStyle::Plain, 0, None),
                    l,
                    p,
                );
            }
            let (l, p) = self.here();
            self.push(Event::DocumentEnd, l, p);
            if self.stopped {
                return Err(Bail);
            }
        }
        let (l, p) = self.here();
        self.push(Event::StreamEnd, l, p);
        if self.stopped {
            return Err(Bail);
        }
        self.flush()
    }

    /// Hands the events queued so far to the sink.
    fn flush(&mut self) -> R<()> {
        if (self.sink)(&mut self.events) {
            self.events.clear();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// A position for events that carry no meaning of their own.
    fn here(&self) -> (usize, usize) {
        match self.lines.get(self.i) {
            Some((s, _)) => (self.i, s),
            None => match self.lines.last() {
                Some((_, e)) => (self.lines.len() - 1, e),
                None => (0, 0),
            },
        }
    }

    /// A block node that starts at byte `pos` of line `li`, inside a block
    /// indented by `parent` columns (-1 at a document's root).
    fn node(&mut self, li: usize, pos: usize, parent: isize) -> R<()> {
        let col = pos - self.lines.at(li).0;
        if self.is_entry(li, pos) {
            return self.seq(li, pos, false);
        }
        if self.key_end(li, pos).is_some() {
            return self.map(li, col);
        }
        self.value(li, pos, parent)
    }

    /// A block sequence whose first `-` is at byte `pos` of line `li`.
    /// `indentless`: the sequence is a mapping value at its key's
    /// indentation, and (as the general parser has it) starts where its
    /// first entry's content does.
    fn seq(&mut self, li: usize, pos: usize, indentless: bool) -> R<()> {
        self.enter()?;
        let col = pos - self.lines.at(li).0;
        let mut start = pos;
        if indentless {
            start += 1;
            while start < self.lines.at(li).1 && self.b[start] == b' ' {
                start += 1;
            }
            // Where the general parser places such a sequence when its
            // first entry has nothing on its line depends on what follows;
            // that rare shape is left to it.
            if start == self.lines.at(li).1 || self.b[start] == b'#' {
                return Err(Bail);
            }
        }
        self.push(Event::SequenceStart(0, None), li, start);
        let mut line = li;
        loop {
            let start = self.lines.at(line).0 + col;
            let e = self.lines.at(line).1;
            let mut p = start + 1;
            while p < e && self.b[p] == b' ' {
                p += 1;
            }
            if p == e || self.b[p] == b'#' {
                self.i = line + 1;
                match self.content_line() {
                    Some((l, ind)) if ind > col => {
                        self.node(l, self.lines.at(l).0 + ind, col as isize)?
                    }
                    _ => self.empty(line, e),
                }
            } else {
                self.node(line, p, col as isize)?;
            }
            match self.content_line() {
                Some((l, ind)) if ind == col && self.is_entry(l, self.lines.at(l).0 + col) => {
                    line = l
                }
                Some((_, ind)) if ind > col => return Err(Bail),
                _ => break,
            }
        }
        let (l, p) = self.here();
        self.push(Event::SequenceEnd, l, p);
        self.depth -= 1;
        Ok(())
    }

    /// A block mapping whose first key starts at column `col` of line `li`.
    fn map(&mut self, li: usize, col: usize) -> R<()> {
        self.enter()?;
        self.push(Event::MappingStart(0, None), li, self.lines.at(li).0 + col);
        let mut line = li;
        loop {
            let pos = self.lines.at(line).0 + col;
            let Some(colon) = self.key_end(line, pos) else {
                return Err(Bail);
            };
            self.key(line, pos, colon)?;
            let e = self.lines.at(line).1;
            let mut p = colon + 1;
            while p < e && self.b[p] == b' ' {
                p += 1;
            }
            if p == e || self.b[p] == b'#' {
                self.i = line + 1;
                match self.content_line() {
                    Some((l, ind)) if ind > col => {
                        self.node(l, self.lines.at(l).0 + ind, col as isize)?
                    }
                    Some((l, ind)) if ind == col && self.is_entry(l, self.lines.at(l).0 + col) => {
                        self.seq(l, self.lines.at(l).0 + col, true)?
                    }
                    _ => self.empty(line, colon),
                }
            } else {
                if self.is_entry(line, p) {
                    return Err(Bail);
                }
                self.value(line, p, col as isize)?;
            }
            match self.content_line() {
                Some((l, ind)) if ind == col => line = l,
                Some((_, ind)) if ind > col => return Err(Bail),
                _ => break,
            }
        }
        let (l, p) = self.here();
        self.push(Event::MappingEnd, l, p);
        self.depth -= 1;
        Ok(())
    }

    fn enter(&mut self) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH || self.stopped {
            return Err(Bail);
        }
        Ok(())
    }

    /// An empty value (a key or entry with nothing after it), placed at
    /// the end of its line or at the `:` before it, as the general parser
    /// places it.
    fn empty(&mut self, li: usize, pos: usize) {
        self.push(
            Event::Scalar(Cow::Borrowed("~"), ScalarStyle::Plain, 0, None),
            li,
            pos,
        );
    }

    /// Where the `:` of an implicit key that starts at `pos` is, if a key
    /// starts there.
    fn key_end(&self, li: usize, pos: usize) -> Option<usize> {
        let e = self.lines.at(li).1;
        let b = self.b;
        let after_quote = |close: usize| {
            let mut p = close + 1;
            while p < e && b[p] == b' ' {
                p += 1;
            }
            (p < e && b[p] == b':' && (p + 1 == e || b[p + 1] == b' ')).then_some(p)
        };
        match b[pos] {
            b'"' => after_quote(self.double_end(li, pos)?),
            b'\'' => after_quote(self.single_end(li, pos)?),
            c if is_indicator(c) && !self.starts_plain(li, pos) => None,
            b'-' if pos + 1 == e || b[pos + 1] == b' ' => None,
            _ => {
                let mut p = pos + 1;
                while p < e {
                    match b[p] {
                        b':' if p + 1 == e || b[p + 1] == b' ' => return Some(p),
                        b'#' if b[p - 1] == b' ' => return None,
                        _ => p += 1,
                    }
                }
                None
            }
        }
    }

    /// The key that starts at `pos` and ends before the `:` at `colon`.
    fn key(&mut self, li: usize, pos: usize, colon: usize) -> R<()> {
        let (value, style) = match self.b[pos] {
            b'"' => (self.double(li, pos)?.0, ScalarStyle::DoubleQuoted),
            b'\'' => (self.single(li, pos)?.0, ScalarStyle::SingleQuoted),
            _ => (
                Cow::Borrowed(self.text[pos..colon].trim_end_matches(' ')),
                ScalarStyle::Plain,
            ),
        };
        if colon - pos > 1000 {
            return Err(Bail);
        }
        self.push(Event::Scalar(value, style, 0, None), li, pos);
        Ok(())
    }

    /// A value that starts at `pos` on line `li` and is not a collection
    /// of its own (a scalar, a block scalar, `[]` or `{}`).
    fn value(&mut self, li: usize, pos: usize, parent: isize) -> R<()> {
        let e = self.lines.at(li).1;
        let b = self.b;
        let (ev, end) = match b[pos] {
            b'"' => {
                let (v, end) = self.double(li, pos)?;
                (Event::Scalar(v, ScalarStyle::DoubleQuoted, 0, None), end)
            }
            b'\'' => {
                let (v, end) = self.single(li, pos)?;
                (Event::Scalar(v, ScalarStyle::SingleQuoted, 0, None), end)
            }
            b'|' | b'>' => return self.block_scalar(li, pos, parent),
            b'[' | b'{' => {
                let end = self.flow(li, pos)?;
                if !self.rest_is_empty(li, end) {
                    return Err(Bail);
                }
                self.i = li + 1;
                return Ok(());
            }
            c if is_indicator(c) && !self.starts_plain(li, pos) => return Err(Bail),
            _ => {
                if self.is_entry(li, pos) {
                    return Err(Bail);
                }
                let mut p = pos + 1;
                let mut end = e;
                while p < e {
                    match b[p] {
                        b':' if p + 1 == e || b[p + 1] == b' ' => return Err(Bail),
                        b'#' if b[p - 1] == b' ' => {
                            end = p;
                            break;
                        }
                        _ => p += 1,
                    }
                }
                let v = self.text[pos..end].trim_end_matches(' ');
                (
                    Event::Scalar(Cow::Borrowed(v), ScalarStyle::Plain, 0, None),
                    e,
                )
            }
        };
        if !self.rest_is_empty(li, end) {
            return Err(Bail);
        }
        self.push(ev, li, pos);
        self.i = li + 1;
        Ok(())
    }

    /// A flow collection that opens at `pos` and closes on the same line;
    /// returns the index just past its end. Entries are plain or quoted
    /// scalars and nested flow collections; a mapping's entries are
    /// `key: value` pairs. Empty entries, a trailing comma, keys without
    /// values and single-pair mappings inside sequences are left to the
    /// general parser.
    fn flow(&mut self, li: usize, pos: usize) -> R<usize> {
        self.enter()?;
        let e = self.lines.at(li).1;
        let b = self.b;
        let is_map = b[pos] == b'{';
        let close = if is_map { b'}' } else { b']' };
        let open = if is_map {
            Event::MappingStart(0, None)
        } else {
            Event::SequenceStart(0, None)
        };
        self.push(open, li, pos);
        let skip = |mut p: usize| {
            while p < e && b[p] == b' ' {
                p += 1;
            }
            p
        };
        let mut p = skip(pos + 1);
        if p < e && b[p] == close {
            let shut = if is_map {
                Event::MappingEnd
            } else {
                Event::SequenceEnd
            };
            self.push(shut, li, p);
            self.depth -= 1;
            return Ok(p + 1);
        }
        loop {
            if is_map {
                p = self.flow_scalar(li, p, true)?;
                p = skip(p);
                if p >= e || b[p] != b':' {
                    return Err(Bail);
                }
                p = skip(p + 1);
            }
            p = match b.get(p) {
                Some(b'[' | b'{') if p < e => self.flow(li, p)?,
                _ => self.flow_scalar(li, p, false)?,
            };
            p = skip(p);
            match b.get(p) {
                Some(&c) if p < e && c == close => break,
                Some(b',') if p < e => {
                    p = skip(p + 1);
                    if p >= e || matches!(b[p], b',' | b']' | b'}') {
                        return Err(Bail);
                    }
                }
                _ => return Err(Bail),
            }
        }
        let shut = if is_map {
            Event::MappingEnd
        } else {
            Event::SequenceEnd
        };
        self.push(shut, li, p);
        self.depth -= 1;
        Ok(p + 1)
    }

    /// A scalar inside a flow collection at `pos`; returns the index just
    /// past it. A key's plain scalar ends before `: `.
    fn flow_scalar(&mut self, li: usize, pos: usize, key: bool) -> R<usize> {
        let e = self.lines.at(li).1;
        let b = self.b;
        if pos >= e {
            return Err(Bail);
        }
        let (v, style, end) = match b[pos] {
            b'"' => {
                let (v, end) = self.double(li, pos)?;
                (v, ScalarStyle::DoubleQuoted, end)
            }
            b'\'' => {
                let (v, end) = self.single(li, pos)?;
                (v, ScalarStyle::SingleQuoted, end)
            }
            c if is_indicator(c) => return Err(Bail),
            // A `-` before a space or a flow indicator starts no scalar
            // (the general parser refuses `[-]`).
            b'-' if pos + 1 < e
                && matches!(b[pos + 1], b' ' | b',' | b'[' | b']' | b'{' | b'}') =>
            {
                return Err(Bail)
            }
            _ => {
                let mut p = pos + 1;
                while p < e {
                    match b[p] {
                        b',' | b'[' | b']' | b'{' | b'}' => break,
                        b'#' if b[p - 1] == b' ' => return Err(Bail),
                        b':' if p + 1 == e
                            || matches!(b[p + 1], b' ' | b',' | b'[' | b']' | b'{' | b'}') =>
                        {
                            if !key {
                                return Err(Bail);
                            }
                            break;
                        }
                        _ => p += 1,
                    }
                }
                (
                    Cow::Borrowed(self.text[pos..p].trim_end_matches(' ')),
                    ScalarStyle::Plain,
                    p,
                )
            }
        };
        // A quoted key must be followed by `: ` here too.
        if key
            && style != ScalarStyle::Plain
            && !(end + 1 < e && b[end] == b':' && b[end + 1] == b' ')
        {
            return Err(Bail);
        }
        self.push(Event::Scalar(v, style, 0, None), li, pos);
        Ok(end)
    }

    /// The index just past the closing quote of a single-quoted scalar
    /// that opens at `pos`, if it closes on the same line.
    fn single_end(&self, li: usize, pos: usize) -> Option<usize> {
        let e = self.lines.at(li).1;
        let mut p = pos + 1;
        while p < e {
            if self.b[p] == b'\'' {
                if p + 1 < e && self.b[p + 1] == b'\'' {
                    p += 2;
                    continue;
                }
                return Some(p);
            }
            p += 1;
        }
        None
    }

    fn single(&self, li: usize, pos: usize) -> R<(Cow<'a, str>, usize)> {
        let close = self.single_end(li, pos).ok_or(Bail)?;
        let raw = &self.text[pos + 1..close];
        let v = if raw.contains('\'') {
            Cow::Owned(raw.replace("''", "'"))
        } else {
            Cow::Borrowed(raw)
        };
        Ok((v, close + 1))
    }

    /// The index of the closing quote of a double-quoted scalar that opens
    /// at `pos`, if it closes on the same line.
    fn double_end(&self, li: usize, pos: usize) -> Option<usize> {
        let e = self.lines.at(li).1;
        let mut p = pos + 1;
        while p < e {
            match self.b[p] {
                b'\\' => p += 2,
                b'"' => return Some(p),
                _ => p += 1,
            }
        }
        None
    }

    fn double(&self, li: usize, pos: usize) -> R<(Cow<'a, str>, usize)> {
        let close = self.double_end(li, pos).ok_or(Bail)?;
        let raw = &self.text[pos + 1..close];
        if !raw.contains('\\') {
            return Ok((Cow::Borrowed(raw), close + 1));
        }
        let mut out = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let esc = chars.next().ok_or(Bail)?;
            let simple = match esc {
                '0' => '\0',
                'a' => '\x07',
                'b' => '\x08',
                't' => '\t',
                'n' => '\n',
                'v' => '\x0b',
                'f' => '\x0c',
                'r' => '\r',
                'e' => '\x1b',
                ' ' => ' ',
                '"' => '"',
                '/' => '/',
                '\\' => '\\',
                'N' => '\u{85}',
                '_' => '\u{a0}',
                'L' => '\u{2028}',
                'P' => '\u{2029}',
                'x' | 'u' | 'U' => {
                    let n = match esc {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let mut code = 0u32;
                    for _ in 0..n {
                        let d = chars.next().ok_or(Bail)?.to_digit(16).ok_or(Bail)?;
                        code = code * 16 + d;
                    }
                    char::from_u32(code).ok_or(Bail)?
                }
                _ => return Err(Bail),
            };
            out.push(simple);
        }
        Ok((Cow::Owned(out), close + 1))
    }

    /// A literal (`|`) or folded (`>`) block scalar whose header is at
    /// `pos`, inside a block indented by `parent` columns.
    fn block_scalar(&mut self, li: usize, pos: usize, parent: isize) -> R<()> {
        let b = self.b;
        let e = self.lines.at(li).1;
        let literal = b[pos] == b'|';
        let mut p = pos + 1;
        let chomp = match b.get(p) {
            Some(b'-') if p < e => {
                p += 1;
                b'-'
            }
            Some(b'+') if p < e => {
                p += 1;
                b'+'
            }
            _ => b' ',
        };
        if parent < 0 || !self.rest_is_empty(li, p) {
            return Err(Bail);
        }
        // The first line with text sets the indentation; empty lines
        // before it are not read here.
        let first = li + 1;
        if first >= self.lines.len() || self.line_is_spaces(first) {
            return Err(Bail);
        }
        let ind = self.indent(first);
        if ind as isize <= parent {
            return Err(Bail);
        }
        let mut out = String::new();
        let mut k = first;
        let mut last_text = first;
        let mut pending_empty = 0usize;
        let mut prev_text = false;
        while k < self.lines.len() {
            let (s, le) = self.lines.at(k);
            if self.line_is_spaces(k) {
                if le - s > ind {
                    return Err(Bail);
                }
                pending_empty += 1;
                k += 1;
                continue;
            }
            if self.indent(k) < ind {
                break;
            }
            let content = &self.text[s + ind..le];
            if literal {
                for _ in 0..pending_empty {
                    out.push('\n');
                }
                if prev_text {
                    out.push('\n');
                }
            } else {
                if content.starts_with(' ') {
                    return Err(Bail);
                }
                if prev_text {
                    if pending_empty == 0 {
                        out.push(' ');
                    } else {
                        for _ in 0..pending_empty {
                            out.push('\n');
                        }
                    }
                }
            }
            out.push_str(content);
            prev_text = true;
            pending_empty = 0;
            last_text = k;
            k += 1;
        }
        // Clipped text followed by blank lines up to the end of a text
        // with no final line break: the general parser's scalar then ends
        // at the text's end, which takes its line break off again (see
        // `Builder::begin`). That shape is left to it.
        if chomp == b' ' && pending_empty > 0 && k == self.lines.len() && !self.text.ends_with('\n')
        {
            return Err(Bail);
        }
        let mut end = self.lines.at(last_text).1;
        match chomp {
            b'-' => {}
            b'+' => {
                out.push('\n');
                for _ in 0..pending_empty {
                    out.push('\n');
                }
                if pending_empty > 0 {
                    end = self.lines.at(k - 1).1;
                }
            }
            _ => out.push('\n'),
        }
        let style = if literal {
            ScalarStyle::Literal
        } else {
            ScalarStyle::Folded
        };
        // The general parser places a block scalar where its text starts.
        let start = self.marker(first, self.lines.at(first).0 + ind);
        let end_line = if end == self.lines.at(last_text).1 {
            last_text
        } else {
            k - 1
        };
        let end = self.marker(end_line, end);
        self.push_span(
            Event::Scalar(Cow::Owned(out), style, 0, None),
            Span::new(start, end),
        );
        self.i = k;
        Ok(())
    }

    fn line_is_spaces(&self, li: usize) -> bool {
        let (s, e) = self.lines.at(li);
        self.b[s..e].iter().all(|&c| c == b' ')
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::fast_reader_agrees;

    /// Texts the fast reader must read, and read as the general parser does.
    const READ: &[&str] = &[
        "",
        "# only a comment\n",
        "x\n",
        "a: 1\n",
        "a: 1\n---\n",
        "a: 1\n---",
        "a: 1\n---\n# c\n",
        "---\n---\na: 1\n",
        "--- # c\na: 1\n",
        "---",
        "---\n",
        "a:\n  b:\nc: 1\n",
        "- \n- a\n",
        "-\n-\n",
        "a: |\n  x",
        "a: |\n  x\n",
        "a: |+\n  x\n\n",
        "a: |+\n  x\n\n  ",
        "a: |-\n  one\n\n  two\n",
        "a: |\n  # not a comment\n    more\nb: 1\n",
        "a: >\n  x\n  y\n\n  z\n",
        "a: >-\n  x\n  y\n",
        "a: >+\n  x\n\n",
        "a: \"x\\ty\\u00e9\\\\ \\\" \\/ \\x41\"\n",
        "a: 'it''s'\n",
        "'k''ey': 1\n\"k\\\"2\": 2\n'k3'  : 3\n",
        "a: [1, \"b\", [c, d], {e: f}]\n",
        "a: {x: 1, 'y': \"2\", z: [a]}\n",
        "a: {}\nb: []\nc: [ ]\nd: { }\n",
        "a: [http://x, a:b]\n",
        "key: value # c\nother: v#not-a-comment\n",
        "\"q\": 1\n",
        "a: 1\nb:\n  - x\n  -\n    y: 2\n",
        "- - a\n  - b\n- c\n",
        "- a: 1\n  b: 2\n- c:\n  - d\n",
        "a:\n  b:\n  - 1\n  c: 2\n",
        "  indented: root\n  more: keys\n",
        "a: 0755\nb: 1.0\nc: true\nd: null\ne: ~\nf: yes\ng: 1e3\nh: -.inf\n",
        "a: b\n\n\n# comment\n\nc: d\n",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a.txt: |\n    line 1\n    line 2\n",
        "a: x  \nb: 'y'  # c\n",
        "a:\n  # comment between\n  b: 1\n",
        "k: -1\nl: -x\nm: ---\n",
        "a:\n  b:\n    c:\n      d: [e]\n",
        // Multi-byte characters: columns count characters, not bytes.
        "é: 1\n",
        "a: é\nb: [ü, 'ö', \"ß\"]\nc: x\n",
        "naïve: \"café \\u00e9 ≠ \\\" 東京\"\nk: '日本''語'\n",
        "d: |\n  “quoted” — dash\n  日本\ne: >\n  ü\n  ö\n",
        "- ü: 1\n  ö: [ä]\n- — x\n",
        "emoji: 😀 # comment 😀\nnext: 😀😀\n",
        // A plain scalar may start with `:` or `?` before a non-space.
        "record: :node_memory:sum\n:k: v\nq: ?x\n",
        // Neighbours of the characters left to the general parser.
        "a: \u{2027}\u{202a}\u{fefe}\u{fffd}\u{a1}x\n",
    ];

    /// Texts outside the subset (or invalid): the fast reader must decline
    /// them or agree; it may never read them differently.
    const DECLINE_OR_AGREE: &[&str] = &[
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a:\tb\n",
        "a: b\r\n",
        "a: multi\n  line\n",
        "a: \"open\n  quote\"\n",
        "a: [1,\n  2]\n",
        "a: [1, , 2]\n",
        "a: [1, 2,]\n",
        "a: [a: b]\n",
        "{a: 1}\n",
        "a: |2\n   x\n",
        "a: |\n\n  x\n",
        "a: >\n  x\n   more\n",
        "a: 1\na: 2\n",
        "a: 1\n b: 2\n",
        "- a\nb: 1\n",
        "a: - b\n",
        "? a\n: b\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: 1\n...\n",
        "a: b: c\n",
        "a: 'x'y\n",
        "\"a\":1\n",
        "a: \"\\q\"\n",
        "a: [b]c\n",
        "a: @x\n",
        "a:\n-\n",
        "a:\n- \n- b\n",
        "a:\n-  # c\n- b\n",
        "a:\n-\n  b: 1\n",
        "key with space: 1\n",
        "- |\n x\n",
        "a: |\n  x\n   \n",
        "a: |\nb: 1\n",
        "a: :\nb: ?\nc: ::\nd: :#x\ne: ?:\n",
        "a: é: b\n",
        "é\u{a0}: 1\nb: x\u{a0}\n",
        "a: \"\\é\"\n",
        "a: [:x, ?y]\n",
        "a: [-]\nb: [-, x]\nc: {k: -}\nd: [-x, -]\n",
        "a: |\n  x:\n ",
        "a: |\n  x\n\n  ",
        "a: >\n  x\n \n ",
        "a: |-\n  x\n ",
    ];

    #[test]
    fn reads_the_subset_as_the_general_parser_does() {
        for text in READ {
            assert_eq!(fast_reader_agrees(text), Ok(true), "{text:?}");
        }
    }

    #[test]
    fn never_reads_anything_differently() {
        for text in DECLINE_OR_AGREE {
            if let Err(e) = fast_reader_agrees(text) {
                panic!("{text:?}: {e}");
            }
        }
    }

    #[test]
    fn declines_what_it_does_not_know() {
        for text in [
            "a: &x 1\n",
            "a: !t 1\n",
            "a: b\0c\n",
            "a: \x7f\n",
            "a: \x1b[0m\n",
            "a: multi\n  line\n",
            "a: [1,\n  2]\n",
            "a:\tb\n",
            "a: \u{2028}\n",
            "a: \u{2029}\n",
            "\u{feff}a: 1\n",
            "a: x\u{85}y\n",
            "a: \u{80}\n",
            "a: é\u{9f}\n",
            "a: \u{fffe}\n",
            "a: \u{ffff}\n",
        ] {
            assert_eq!(fast_reader_agrees(text), Ok(false), "{text:?}");
        }
    }
}
