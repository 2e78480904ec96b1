//! Helpers shared by the fuzz targets: splitting one input into several
//! texts, and comparing YAML trees the way a print-then-read round trip
//! can preserve them.

use compose_yaml::Node;

/// The marker line that starts a named file in a multi-file input:
/// `#>> path/to/file.yaml`. The text before the first marker is the
/// first, unnamed, section.
pub const FILE_MARKER: &str = "#>> ";

/// Splits `text` into `(name, content)` sections at marker lines. The first
/// section is named `first`.
pub fn split_files<'a>(text: &'a str, first: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::new();
    let mut name = first;
    let mut start = 0;
    let mut pos = 0;
    while pos <= text.len() {
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = &text[pos..line_end];
        if let Some(n) = line.strip_prefix(FILE_MARKER) {
            out.push((name, &text[start..pos]));
            name = n.trim();
            start = (line_end + 1).min(text.len());
        }
        pos = line_end + 1;
    }
    out.push((name, &text[start.min(text.len())..]));
    out
}

/// Whether two trees hold the same data as far as printing and reading
/// back can tell: numbers compare by value (an integral float prints as an
/// integer), NaN equals NaN, and mapping keys compare in sorted order
/// (output sorts them).
pub fn same_data(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::Null, Node::Null) => true,
        (Node::Bool(x), Node::Bool(y)) => x == y,
        (Node::Str(x), Node::Str(y)) => x == y,
        (Node::Seq(x), Node::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same_data(p, q))
        }
        (Node::Map(x), Node::Map(y)) => {
            if x.len() != y.len() {
                return false;
            }
            let mut xs: Vec<_> = x.iter().collect();
            let mut ys: Vec<_> = y.iter().collect();
            xs.sort_by(|p, q| p.0.cmp(q.0));
            ys.sort_by(|p, q| p.0.cmp(q.0));
            xs.iter()
                .zip(&ys)
                .all(|(p, q)| p.0 == q.0 && same_data(p.1, q.1))
        }
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x == y || (x.is_nan() && y.is_nan()),
            _ => false,
        },
    }
}

fn number(n: &Node) -> Option<f64> {
    match n {
        Node::Int(i) => Some(*i as f64),
        Node::Uint(u) => Some(*u as f64),
        Node::Float(f) => Some(*f),
        _ => None,
    }
}

/// Whether any string in the tree holds U+0085, U+2028 or U+2029. The
/// writer treats them as line breaks, as go-yaml (and so kustomize) does,
/// and indents the text that follows them in quoted scalars; the reader
/// follows YAML 1.2, where they are ordinary characters, so that
/// indentation reads back as part of the string. The round-trip property
/// is not checked for such trees (a known difference, not a crash).
pub fn has_unicode_break(n: &Node) -> bool {
    let breaks = |s: &str| s.contains(['\u{85}', '\u{2028}', '\u{2029}']);
    match n {
        Node::Str(s) => breaks(s),
        Node::Seq(items) => items.iter().any(has_unicode_break),
        Node::Map(m) => m.iter().any(|(k, v)| breaks(k) || has_unicode_break(v)),
        _ => false,
    }
}
