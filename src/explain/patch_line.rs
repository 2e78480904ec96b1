//! Where a patch written in a project file sets the field: the line in
//! the patch file, or inside the kustomization's inline patch.

use super::sources::node_at;
use super::trace::Change;
use crate::field_path::{resolve, Seg};
use compose_yaml::{parse_stream_with_spans, Node, Pos};
use std::path::PathBuf;

/// Where a patch's text is.
enum Text {
    /// A file of its own.
    File(PathBuf),
    /// A literal block (`patch: |`) of the kustomization, at this pointer.
    Inline(String),
}

/// The file and position where the patch that made `c` writes the
/// field's new value (or removes it); `None` when the step is not a patch
/// entry, or the place cannot be told for sure (a folded or quoted inline
/// patch, a list item named by position in a strategic merge patch).
pub(super) fn patch_place(c: &Change, path: &[Seg], kind: &str) -> Option<(PathBuf, Pos)> {
    let text = std::fs::read_to_string(&c.file).ok()?;
    let (doc, spans) = parse_stream_with_spans(&text).ok()?.into_iter().next()?;
    let index = c.index?;
    let entry = doc.get(c.field)?.as_seq()?.get(index)?;
    let dir = c.file.parent()?;
    let source = match c.field {
        "patches" | "patchesJson6902" => match entry.get("path").and_then(Node::as_str) {
            Some(p) => Text::File(dir.join(p)),
            None => Text::Inline(format!("/{}/{index}/patch", c.field)),
        },
        "patchesStrategicMerge" => {
            let s = entry.as_str()?;
            if s.contains('\n') {
                Text::Inline(format!("/{}/{index}", c.field))
            } else {
                Text::File(dir.join(s))
            }
        }
        _ => return None,
    };
    match source {
        Text::File(file) => {
            let patch = std::fs::read_to_string(&file).ok()?;
            Some((file, find(&patch, c, path, kind)?))
        }
        Text::Inline(pointer) => {
            let at = spans.get(&pointer)?;
            let patch = node_at(&doc, &pointer)?.as_str()?;
            let block = literal_block(&text, *at)?;
            let inner = find(patch, c, path, kind)?;
            Some((
                c.file.clone(),
                Pos {
                    line: block.line + inner.line - 1,
                    col: block.col + inner.col - 1,
                },
            ))
        }
    }
}

/// Where the text of a literal block (`key: |`) starts, given where the
/// parser puts its value (`at`, the first character of its text): `at`
/// itself when the line before it ends with the block's indicator. `None`
/// for any other scalar (folded, quoted, plain), whose lines do not map
/// one to one onto the file's.
fn literal_block(text: &str, at: Pos) -> Option<Pos> {
    let before = text.lines().nth(at.line.checked_sub(2)?)?.trim_end();
    let indicator = before.rsplit_once(':')?.1.trim();
    let literal = indicator.starts_with('|')
        && indicator[1..]
            .chars()
            .all(|ch| ch == '-' || ch == '+' || ch.is_ascii_digit());
    literal.then_some(at)
}

/// The position in a patch's text where it writes the field: in JSON
/// patch operations, the last operation on the field's pointer (or on a
/// parent of it, then the place inside its value); in a strategic merge
/// patch of the object, the field itself.
fn find(patch: &str, c: &Change, path: &[Seg], kind: &str) -> Option<Pos> {
    let docs = parse_stream_with_spans(patch).ok()?;
    let (first, spans) = docs.first()?;
    if let Node::Seq(ops) = first {
        let pointer = c.pointer.as_deref()?;
        return ops.iter().enumerate().rev().find_map(|(i, op)| {
            let target = op.get("path").and_then(Node::as_str)?;
            let rest = pointer.strip_prefix(target)?;
            if !(rest.is_empty() || rest.starts_with('/')) {
                return None;
            }
            match op.get("op").and_then(Node::as_str) {
                Some("remove") => spans.get(&format!("/{i}/path")).copied(),
                _ => spans.get(&format!("/{i}/value{rest}")).copied(),
            }
        });
    }
    if path.iter().any(|s| matches!(s, Seg::Index(_))) {
        return None;
    }
    let ours = |d: &Node| {
        d.str_at(&["kind"]) == Some(kind) && d.str_at(&["metadata", "name"]) == Some(&c.name)
    };
    let (doc, spans) = match docs.as_slice() {
        [only] => only,
        many => many.iter().find(|(d, _)| ours(d))?,
    };
    let (_, pointer) = resolve(doc, path)?;
    spans.get(&pointer).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_literal_blocks_map_line_for_line() {
        let at = |line, col| Pos { line, col };
        let text = "a: |-\n  x\nb: >\n  y\nc: |2+\n   z\nd: 'q'\n";
        assert_eq!(literal_block(text, at(2, 3)), Some(at(2, 3)));
        assert_eq!(literal_block(text, at(4, 3)), None);
        assert_eq!(literal_block(text, at(6, 3)), Some(at(6, 3)));
        assert_eq!(literal_block(text, at(7, 4)), None);
        assert_eq!(literal_block(text, at(1, 4)), None);
    }
}
