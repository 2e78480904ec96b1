//! JSON patches (RFC 6902) on a document: add, remove, replace, move, copy
//! and test, with JSON pointers (`~1` for `/`, `~0` for `~`, `-` for the
//! end of a list, a negative index counting from the end).
//!
//! Each operation does what it does in kubectl's kustomize v5.5.0, whose
//! JSON patch library is more lenient than the RFC in places: `replace`
//! of a missing key adds it, `copy` from a missing key copies a null, an
//! operation without `value` uses null, and a pointer's first segment is
//! skipped whatever it is (`data/x` is `/x`). Failures are worded as
//! kustomize words them.

use crate::error::{Error, Result};
use compose_yaml::Node;

/// Applies a list of operations to `doc`.
pub fn apply_json6902(doc: &mut Node, ops: &Node) -> Result<()> {
    apply_json6902_indexed(doc, ops).map_err(|(_, e)| e)
}

/// [`apply_json6902`], saying which operation failed (none when the
/// operations are not a list).
pub(crate) fn apply_json6902_indexed(
    doc: &mut Node,
    ops: &Node,
) -> std::result::Result<(), (Option<usize>, Error)> {
    let Node::Seq(ops) = ops else {
        return Err((
            None,
            Error::patch("a JSON patch must be a list of operations"),
        ));
    };
    for (i, op) in ops.iter().enumerate() {
        apply_one(doc, op).map_err(|e| (Some(i), e))?;
    }
    Ok(())
}

fn field<'a>(op: &'a Node, name: &str) -> Option<&'a Node> {
    op.get(name)
}

/// A string field of an operation; anything else is missing.
fn text<'a>(op: &'a Node, name: &str) -> Option<&'a str> {
    match field(op, name) {
        Some(Node::Str(s)) => Some(s.as_str()),
        _ => None,
    }
}

fn fail(message: impl Into<String>) -> Error {
    Error::patch(message)
}

/// The library's wording for a path, from or index that is not there.
const MISSING: &str = "missing value";

fn apply_one(doc: &mut Node, op: &Node) -> Result<()> {
    let kind = text(op, "op").unwrap_or("unknown");
    let value = || field(op, "value").cloned().unwrap_or(Node::Null);
    match kind {
        "add" => {
            let Some(path) = text(op, "path") else {
                return Err(fail(format!(
                    "add operation failed to decode path: {MISSING}"
                )));
            };
            let Some((c, key)) = find_object(doc, path) else {
                return Err(fail(format!(
                    "add operation does not apply: doc is missing path: \"{path}\": {MISSING}"
                )));
            };
            add(c, &key, value()).map_err(|e| fail(format!("error in add for path: '{path}': {e}")))
        }
        "remove" => {
            let Some(path) = text(op, "path") else {
                return Err(fail(format!(
                    "remove operation failed to decode path: {MISSING}"
                )));
            };
            let Some((c, key)) = find_object(doc, path) else {
                return Err(fail(format!(
                    "remove operation does not apply: doc is missing path: \"{path}\": {MISSING}"
                )));
            };
            remove(c, &key)
                .map(drop)
                .map_err(|e| fail(format!("error in remove for path: '{path}': {e}")))
        }
        "replace" => {
            let Some(path) = text(op, "path") else {
                return Err(fail(format!(
                    "replace operation failed to decode path: operation missing path field: {MISSING}"
                )));
            };
            if path.is_empty() {
                // The whole object; it must stay an object.
                let v = value();
                if !matches!(v, Node::Map(_)) {
                    return Err(fail(
                        "replace operation value must be an object to replace the whole object",
                    ));
                }
                *doc = v;
                return Ok(());
            }
            let Some((c, key)) = find_object(doc, path) else {
                return Err(fail(format!(
                    "replace operation does not apply: doc is missing path: {path}: {MISSING}"
                )));
            };
            if get(c, &key).is_err() {
                return Err(fail(format!(
                    "replace operation does not apply: doc is missing key: {path}: {MISSING}"
                )));
            }
            set(c, &key, value());
            Ok(())
        }
        "move" => {
            let Some(from) = text(op, "from") else {
                return Err(fail(format!(
                    "move operation failed to decode from: operation, missing from field: {MISSING}"
                )));
            };
            let Some((c, key)) = find_object(doc, from) else {
                return Err(fail(format!(
                    "move operation does not apply: doc is missing from path: {from}: {MISSING}"
                )));
            };
            let moved = get(c, &key)
                .map(drop)
                .and_then(|()| remove(c, &key))
                .map_err(|e| fail(format!("error in move for path: '{key}': {e}")))?;
            let Some(path) = text(op, "path") else {
                return Err(fail(format!(
                    "move operation failed to decode path: operation missing path field: {MISSING}"
                )));
            };
            let Some((c, key)) = find_object(doc, path) else {
                return Err(fail(format!(
                    "move operation does not apply: doc is missing destination path: {path}: {MISSING}"
                )));
            };
            add(c, &key, moved).map_err(|e| fail(format!("error in move for path: '{path}': {e}")))
        }
        "copy" => {
            let Some(from) = text(op, "from") else {
                return Err(fail(format!(
                    "copy operation failed to decode from: operation, missing from field: {MISSING}"
                )));
            };
            let Some((c, key)) = find_object(doc, from) else {
                return Err(fail(format!(
                    "copy operation does not apply: doc is missing from path: {from}: {MISSING}"
                )));
            };
            let copied = get(c, &key)
                .map_err(|e| fail(format!("error in copy for from: '{from}': {e}")))?
                .cloned()
                .unwrap_or(Node::Null);
            let Some(path) = text(op, "path") else {
                return Err(fail(format!(
                    "copy operation failed to decode path: {MISSING}"
                )));
            };
            let Some((c, key)) = find_object(doc, path) else {
                return Err(fail(format!(
                    "copy operation does not apply: doc is missing destination path: {path}: {MISSING}"
                )));
            };
            add(c, &key, copied)
                .map_err(|e| fail(format!("error while adding value during copy: {e}")))
        }
        "test" => {
            let Some(path) = text(op, "path") else {
                return Err(fail(format!(
                    "test operation failed to decode path: operation missing path field: {MISSING}"
                )));
            };
            let want = field(op, "value");
            let found = if path.is_empty() {
                Some(&*doc)
            } else {
                let Some((c, key)) = find_object(doc, path) else {
                    return Err(fail(format!(
                        "test operation does not apply: is missing path: {path}: {MISSING}"
                    )));
                };
                get(c, &key).map_err(|e| fail(format!("error in test for path: '{path}': {e}")))?
            };
            // A null is the same as nothing, on either side.
            let found = found.filter(|n| !n.is_null());
            if want.is_none() && found.is_none() {
                return Err(fail(format!(
                    "test operation at {path} has no value and finds nothing; kustomize v5.5.0 crashes on this, so it is refused"
                )));
            }
            let want = want.filter(|n| !n.is_null());
            let same = match (found, want) {
                (None, None) => true,
                (Some(a), Some(b)) => json_equal(a, b),
                _ => false,
            };
            if same {
                Ok(())
            } else {
                Err(fail(format!("testing value {path} failed: test failed")))
            }
        }
        other => Err(fail(format!("Unexpected kind: {other}"))),
    }
}

/// Equal as JSON values: the keys of a mapping in any order.
fn json_equal(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::Map(x), Node::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        (Node::Seq(x), Node::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| json_equal(v, w))
        }
        _ => a == b,
    }
}

/// A pointer segment with `~1` and `~0` decoded.
fn decode(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// The mapping or list that holds the last segment of `path`, and that
/// segment. Every segment but the first and the last must lead to a
/// mapping or a list; the first is skipped whatever it is, so a pointer
/// without its leading `/` loses its first segment, as in kustomize.
fn find_object<'a>(doc: &'a mut Node, path: &str) -> Option<(&'a mut Node, String)> {
    let segments: Vec<&str> = path.split('/').collect();
    let [_, parts @ .., last] = segments.as_slice() else {
        return None;
    };
    let mut cur = doc;
    for part in parts {
        let part = decode(part);
        let next = match cur {
            Node::Map(m) => m.get_mut(&part)?,
            Node::Seq(s) => {
                let i = list_index(&part, s.len()).ok()?;
                &mut s[i]
            }
            _ => return None,
        };
        cur = next;
    }
    matches!(cur, Node::Map(_) | Node::Seq(_)).then(|| (cur, decode(last)))
}

/// `key` read as Go's `strconv.Atoi` reads it, with its error text.
fn atoi(key: &str) -> std::result::Result<i64, String> {
    key.parse::<i64>().map_err(|e| {
        let why = match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "value out of range"
            }
            _ => "invalid syntax",
        };
        format!("strconv.Atoi: parsing {key:?}: {why}")
    })
}

fn invalid_index(i: i64) -> String {
    format!("Unable to access invalid index: {i}: invalid index referenced")
}

/// An existing item of a list of `len` items; a negative index counts
/// from the end.
fn list_index(key: &str, len: usize) -> std::result::Result<usize, String> {
    index_in(atoi(key)?, len)
}

/// Index `i` of a list of `len` items, negative from the end.
fn index_in(i: i64, len: usize) -> std::result::Result<usize, String> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let at = if i < 0 { i + len } else { i };
    if at < 0 || at >= len {
        return Err(invalid_index(i));
    }
    usize::try_from(at).map_err(|_| invalid_index(i))
}

/// The value at `key` of a mapping (`None` when it has none) or of a
/// list (an error when the index is not an item).
fn get<'a>(c: &'a Node, key: &str) -> std::result::Result<Option<&'a Node>, String> {
    match c {
        Node::Map(m) => Ok(m.get(key)),
        Node::Seq(s) => list_index(key, s.len()).map(|i| Some(&s[i])),
        _ => Ok(None),
    }
}

/// Sets `key`, which [`get`] found.
fn set(c: &mut Node, key: &str, value: Node) {
    match c {
        Node::Map(m) => {
            m.insert(key, value);
        }
        Node::Seq(s) => {
            if let Ok(i) = list_index(key, s.len()) {
                s[i] = value;
            }
        }
        _ => {}
    }
}

fn add(c: &mut Node, key: &str, value: Node) -> std::result::Result<(), String> {
    match c {
        Node::Map(m) => {
            m.insert(key, value);
            Ok(())
        }
        Node::Seq(s) => {
            if key == "-" {
                s.push(value);
                return Ok(());
            }
            let i = atoi(key)
                .map_err(|e| format!("value was not a proper array index: '{key}': {e}"))?;
            // One past the last item is the end.
            let i = index_in(i, s.len() + 1)?;
            s.insert(i, value);
            Ok(())
        }
        _ => Ok(()),
    }
}

fn remove(c: &mut Node, key: &str) -> std::result::Result<Node, String> {
    match c {
        Node::Map(m) => m
            .remove(key)
            .ok_or_else(|| format!("Unable to remove nonexistent key: {key}: {MISSING}")),
        Node::Seq(s) => {
            let i = list_index(key, s.len())?;
            Ok(s.remove(i))
        }
        _ => Ok(Node::Null),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_one;

    fn run(doc: &str, ops: &str) -> Result<Node> {
        let mut d = parse_one(doc).unwrap();
        apply_json6902(&mut d, &parse_one(ops).unwrap())?;
        Ok(d)
    }

    #[test]
    fn operations() {
        let d = run(
            "a: {b: 1}\nl: [x, y]\n",
            "[{op: add, path: /a/c, value: 2}, {op: add, path: /l/1, value: z}, {op: add, path: /l/-, value: w}, {op: replace, path: /a/b, value: 3}, {op: move, from: /a/c, path: /m}, {op: copy, from: /m, path: /n}, {op: remove, path: /l/0}, {op: test, path: /n, value: 2}]",
        )
        .unwrap();
        assert_eq!(
            d,
            parse_one("a: {b: 3}\nl: [z, y, w]\nm: 2\nn: 2\n").unwrap()
        );
    }

    fn error(doc: &str, ops: &str) -> String {
        run(doc, ops).unwrap_err().to_string()
    }

    /// Each message as kubectl's kustomize v5.5.0 printed it for the same
    /// operation on a ConfigMap `{data: {mode: fast}}` (`x` a list of two),
    /// except the `test` without a value on which kubectl crashes.
    #[test]
    fn failures_are_worded_as_kustomize_words_them() {
        let cm = "data: {mode: fast}\nmetadata: {x: [a, b]}\n";
        for (ops, want) in [
            ("[{op: add, path: /data/x/y, value: 1}]", "add operation does not apply: doc is missing path: \"/data/x/y\": missing value"),
            ("[{op: add, path: /data/mode/x, value: 1}]", "add operation does not apply: doc is missing path: \"/data/mode/x\": missing value"),
            ("[{op: add, path: '', value: {a: 1}}]", "add operation does not apply: doc is missing path: \"\": missing value"),
            ("[{op: add, value: 1}]", "add operation failed to decode path: missing value"),
            ("[{op: add, path: /metadata/x/5, value: 1}]", "error in add for path: '/metadata/x/5': Unable to access invalid index: 5: invalid index referenced"),
            ("[{op: add, path: /metadata/x/q, value: 1}]", "error in add for path: '/metadata/x/q': value was not a proper array index: 'q': strconv.Atoi: parsing \"q\": invalid syntax"),
            ("[{op: remove, path: /data/missing}]", "error in remove for path: '/data/missing': Unable to remove nonexistent key: missing: missing value"),
            ("[{op: remove, path: /data/x/y}]", "remove operation does not apply: doc is missing path: \"/data/x/y\": missing value"),
            ("[{op: remove, path: /metadata/x/5}]", "error in remove for path: '/metadata/x/5': Unable to access invalid index: 5: invalid index referenced"),
            ("[{op: remove, path: /metadata/x/q}]", "error in remove for path: '/metadata/x/q': strconv.Atoi: parsing \"q\": invalid syntax"),
            ("[{op: remove, path: ''}]", "remove operation does not apply: doc is missing path: \"\": missing value"),
            ("[{op: remove}]", "remove operation failed to decode path: missing value"),
            ("[{op: replace, path: /data/x/y, value: 1}]", "replace operation does not apply: doc is missing path: /data/x/y: missing value"),
            ("[{op: replace, path: /metadata/x/5, value: 1}]", "replace operation does not apply: doc is missing key: /metadata/x/5: missing value"),
            ("[{op: replace, value: 1}]", "replace operation failed to decode path: operation missing path field: missing value"),
            ("[{op: move, from: /data/nope, path: /data/y}]", "error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value"),
            ("[{op: move, from: /data/x/y, path: /data/z}]", "move operation does not apply: doc is missing from path: /data/x/y: missing value"),
            ("[{op: move, from: /data/mode, path: /data/x/y}]", "move operation does not apply: doc is missing destination path: /data/x/y: missing value"),
            ("[{op: move, path: /data/q}]", "move operation failed to decode from: operation, missing from field: missing value"),
            ("[{op: move, from: /data/mode}]", "move operation failed to decode path: operation missing path field: missing value"),
            ("[{op: copy, from: /data/x/y, path: /data/z}]", "copy operation does not apply: doc is missing from path: /data/x/y: missing value"),
            ("[{op: copy, from: /data/mode, path: /data/x/y}]", "copy operation does not apply: doc is missing destination path: /data/x/y: missing value"),
            ("[{op: copy, path: /data/q}]", "copy operation failed to decode from: operation, missing from field: missing value"),
            ("[{op: copy, from: /data/mode}]", "copy operation failed to decode path: missing value"),
            ("[{op: test, path: /data/mode, value: slow}]", "testing value /data/mode failed: test failed"),
            ("[{op: test, path: /data/nope, value: 1}]", "testing value /data/nope failed: test failed"),
            ("[{op: test, path: /data/mode}]", "testing value /data/mode failed: test failed"),
            ("[{op: test, path: /data/x/y, value: 1}]", "test operation does not apply: is missing path: /data/x/y: missing value"),
            ("[{op: test, path: '', value: 1}]", "testing value  failed: test failed"),
            ("[{op: test, value: 1}]", "test operation failed to decode path: operation missing path field: missing value"),
            ("[{op: test, path: /data/nope}]", "test operation at /data/nope has no value and finds nothing; kustomize v5.5.0 crashes on this, so it is refused"),
            ("[{op: frob, path: /data/y}]", "Unexpected kind: frob"),
            ("[{path: /data/a, value: 1}]", "Unexpected kind: unknown"),
            ("[{op: 5, path: /data/a}]", "Unexpected kind: unknown"),
        ] {
            assert_eq!(error(cm, ops), want, "{ops}");
        }
    }

    /// What kustomize's JSON patch library lets through, checked with
    /// kubectl on the same operations.
    #[test]
    fn lenient_where_kustomize_is() {
        let cm = "data: {mode: fast}\nmetadata: {x: [a, b]}\n";
        let ok = |ops: &str, want: &str| {
            assert_eq!(run(cm, ops).unwrap(), parse_one(want).unwrap(), "{ops}");
        };
        ok(
            "[{op: replace, path: /data/missing, value: x}]",
            "data: {mode: fast, missing: x}\nmetadata: {x: [a, b]}\n",
        );
        ok(
            "[{op: copy, from: /data/nope, path: /data/y}]",
            "data: {mode: fast, y: null}\nmetadata: {x: [a, b]}\n",
        );
        ok(
            "[{op: add, path: /data/q}, {op: replace, path: /data/mode}]",
            "data: {mode: null, q: null}\nmetadata: {x: [a, b]}\n",
        );
        ok(
            "[{op: add, path: data/y, value: 1}]",
            "data: {mode: fast}\nmetadata: {x: [a, b]}\n\"y\": 1\n",
        );
        ok("[{op: test, path: /data/nope, value: null}]", cm);
        ok(
            "[{op: remove, path: /metadata/x/-1}]",
            "data: {mode: fast}\nmetadata: {x: [a]}\n",
        );
        ok(
            "[{op: add, path: /metadata/x/-, value: c}, {op: add, path: /metadata/x/-1, value: d}, {op: replace, path: /metadata/x/-4, value: e}]",
            "data: {mode: fast}\nmetadata: {x: [e, b, c, d]}\n",
        );
        ok(
            "[{op: test, path: /data, value: {mode: fast}}, {op: test, path: '', value: {metadata: {x: [a, b]}, data: {mode: fast}}}]",
            cm,
        );
        ok(
            "[{op: replace, path: '', value: {data: {z: '1'}}}]",
            "data: {z: '1'}\n",
        );
        assert!(run(
            "a~b: 1\nc/d: 2",
            "[{op: remove, path: /a~0b}, {op: remove, path: /c~1d}]"
        )
        .is_ok());
    }
}
