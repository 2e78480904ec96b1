//! Templates whose values cannot change the structure of the YAML they
//! produce.
//!
//! Text templating of YAML is fragile: a value with a newline, a `#`, a
//! quote or a leading `-` pasted into the text can add keys, end a string
//! early or comment out the rest of a line. Here every `{{ expression }}`
//! writes a placeholder instead of its value. The rendered text is parsed
//! as YAML, so its structure comes from the template alone, and then each
//! placeholder is replaced in the tree by its value:
//!
//! - a placeholder that is a whole plain scalar becomes the value with its
//!   type (a string, a number, a map, a list), so `replicas: {{ n }}` is a
//!   number and `labels: {{ labels }}` a map;
//! - a quoted one (`"{{ tag }}"`), or one inside a longer scalar
//!   (`image: repo:{{ tag }}`), becomes text.
//!
//! Filters that produce YAML on purpose (`toYaml`, `toJson`, `quote`,
//! `squote`, and `indent`/`nindent` of those) mark their output safe; it is
//! written as is, like Helm's `{{ toYaml .Values.x | nindent 4 }}`. Their
//! output is itself well-formed for any value.

use crate::diagnostic::{Diagnostic, Origin};
use crate::error::Error;
use compose_yaml::{parse_stream_yaml11, Mapping, Node};
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, UndefinedBehavior};
use std::sync::{Arc, Mutex};

/// The marks around a placeholder's number. Plain-scalar safe, and not
/// something a template writes by accident.
const OPEN: &str = "__compose_value_";
const CLOSE: &str = "__";

/// The values of one render's expressions, in order, and the size of
/// their text: a placeholder is short, but what it stands for counts
/// toward the template's output limit.
#[derive(Debug, Default)]
pub(crate) struct Slots {
    /// The values, by placeholder number.
    pub(crate) values: Vec<Value>,
    /// The bytes of text they stand for.
    bytes: usize,
    /// The output limit was reached.
    pub(crate) full: bool,
}

/// A template environment whose expressions write placeholders into
/// `slots`.
pub(crate) fn environment(slots: &Arc<Mutex<Slots>>) -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(super::FUEL));
    env.set_recursion_limit(super::MAX_DEPTH);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| Error::Internal(format!("template syntax: {e}")))?;
    env.set_syntax(syntax);
    super::filters::register(&mut env);
    env.add_function("fail", fail);
    let slots = Arc::clone(slots);
    env.set_formatter(move |out, _state, value| {
        if value.is_safe() {
            return write!(out, "{value}").map_err(minijinja::Error::from);
        }
        let mut all = slots.lock().map_err(|_| {
            minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, "poisoned")
        })?;
        all.bytes = all.bytes.saturating_add(text_len(value));
        if all.bytes > super::MAX_OUTPUT {
            all.full = true;
            return Err(minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                "output limit",
            ));
        }
        all.values.push(value.clone());
        write!(out, "{OPEN}{}{CLOSE}", all.values.len() - 1).map_err(minijinja::Error::from)
    });
    Ok(env)
}

/// About how many bytes of text a value stands for.
fn text_len(v: &Value) -> usize {
    match v.as_str() {
        Some(s) => s.len(),
        None => v.to_string().len(),
    }
}

/// `fail(message)`: stops the render with the message, as Helm's `fail`
/// does; for rules a template checks itself.
fn fail(message: String) -> Result<Value, minijinja::Error> {
    Err(minijinja::Error::new(
        minijinja::ErrorKind::InvalidOperation,
        format!("{FAILED}{message}"),
    ))
}

/// Starts the message of an error `fail` raised: the message is the
/// template author's own and is shown without minijinja's error kind.
pub(crate) const FAILED: &str = "\u{1}fail: ";

/// Parses the rendered `text` of template `name` and puts the values of
/// `slots` into it. The result is one YAML mapping.
pub(crate) fn to_tree(name: &str, text: &str, slots: &[Value]) -> Result<Mapping, Error> {
    let quoted = quoted_slots(text, slots.len());
    let at = |line: usize, col: usize, message: String| {
        let origin = Origin::File {
            path: format!("{name} (as rendered)"),
            line: Some(line.max(1)),
            col,
            source: Some(Arc::from(shown_text(text, slots).as_str())),
        };
        Error::diagnostic(Diagnostic::at(origin, message))
    };
    let mut docs = parse_stream_yaml11(text).map_err(|e| {
        at(
            e.pos.line,
            e.pos.col,
            format!("the template rendered invalid YAML: {}", e.message),
        )
    })?;
    if docs.len() > 1 {
        return Err(at(
            1,
            0,
            "the template rendered several YAML documents; it must render one mapping".into(),
        ));
    }
    let node = docs.pop().unwrap_or(Node::Null);
    if let Some(line) = values_in_patch_text(&node, text) {
        return Err(at(
            line,
            0,
            "a value inside a `patch: |` text block could change the patch's structure; write the patch as YAML (a mapping, or a list of operations) and compose writes the values into it safely".into(),
        ));
    }
    let filled = fill(node, &quoted, slots).map_err(|m| at(1, 0, m))?;
    match filled {
        Node::Map(m) => Ok(m),
        Node::Null => Ok(Mapping::new()),
        other => Err(at(
            1,
            0,
            format!(
                "the template rendered a {}, not a mapping",
                other.kind_name()
            ),
        )),
    }
}

/// The rendered text with each placeholder shown as its value, for
/// excerpts.
fn shown_text(text: &str, slots: &[Value]) -> String {
    let mut out = String::with_capacity(text.len());
    each_token(text, |piece| match piece {
        Piece::Text(t) => out.push_str(t),
        Piece::Token(i, raw) => match slots.get(i) {
            Some(v) => out.push_str(&v.to_string()),
            None => out.push_str(raw),
        },
    });
    out
}

/// A part of rendered text: plain text, or a placeholder (its number and
/// its text).
enum Piece<'t> {
    Text(&'t str),
    Token(usize, &'t str),
}

/// The line of the first `patches[].patch` text that holds a
/// placeholder: a value pasted into a patch written as text.
fn values_in_patch_text(node: &Node, text: &str) -> Option<usize> {
    let entries = node.get("patches")?.as_seq()?;
    let patch = entries
        .iter()
        .filter_map(|e| e.get("patch")?.as_str())
        .find(|p| p.contains(OPEN))?;
    let rest = &patch[patch.find(OPEN)? + OPEN.len()..];
    let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let at = text.find(&format!("{OPEN}{number}{CLOSE}"))?;
    Some(text[..at].matches('\n').count() + 1)
}

/// Calls `f` with the parts of `text` in order, in one pass.
fn each_token<'t>(text: &'t str, mut f: impl FnMut(Piece<'t>)) {
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        let number = after.bytes().take_while(u8::is_ascii_digit).count();
        let whole = OPEN.len() + number + CLOSE.len();
        let parsed = after[..number].parse::<usize>().ok();
        match parsed.filter(|_| after[number..].starts_with(CLOSE)) {
            Some(i) => {
                f(Piece::Text(&rest[..start]));
                f(Piece::Token(i, &rest[start..start + whole]));
                rest = &rest[start + whole..];
            }
            None => {
                f(Piece::Text(&rest[..start + OPEN.len()]));
                rest = after;
            }
        }
    }
    f(Piece::Text(rest));
}

/// For each placeholder number, whether it stands between quotes in the
/// rendered text (found in one pass).
fn quoted_slots(text: &str, count: usize) -> Vec<bool> {
    let mut quoted = vec![false; count];
    let mut before: Option<char> = None;
    let mut pending: Option<(usize, Option<char>)> = None;
    each_token(text, |piece| match piece {
        Piece::Text(t) => {
            if let Some((i, open)) = pending.take() {
                let close = t.chars().next();
                if let (Some(q), Some(slot)) = (open, quoted.get_mut(i)) {
                    *slot = close == Some(q) && (q == '"' || q == '\'');
                }
            }
            if let Some(c) = t.chars().next_back() {
                before = Some(c);
            }
        }
        Piece::Token(i, _) => {
            pending = Some((i, before));
            before = None;
        }
    });
    quoted
}

/// Replaces the placeholders in `node`.
fn fill(node: Node, quoted: &[bool], slots: &[Value]) -> Result<Node, String> {
    Ok(match node {
        Node::Str(s) => match whole_token(&s) {
            Some(i) if !quoted.get(i).copied().unwrap_or(false) => typed(slots, i)?,
            _ if s.contains(OPEN) => Node::str(spliced(&s, slots)?),
            _ => Node::Str(s),
        },
        Node::Seq(items) => Node::Seq(
            items
                .into_iter()
                .map(|n| fill(n, quoted, slots))
                .collect::<Result<_, _>>()?,
        ),
        Node::Map(m) => {
            let mut out = Mapping::with_capacity(m.len());
            for (k, v) in m.into_entries() {
                let key = if k.contains(OPEN) {
                    spliced(&k, slots)?
                } else {
                    k.to_string()
                };
                out.insert(key, fill(v, quoted, slots)?);
            }
            Node::Map(out)
        }
        other => other,
    })
}

/// The slot number when `s` is exactly one placeholder.
fn whole_token(s: &str) -> Option<usize> {
    s.strip_prefix(OPEN)?.strip_suffix(CLOSE)?.parse().ok()
}

/// Slot `i` as a node of its own type.
fn typed(slots: &[Value], i: usize) -> Result<Node, String> {
    let v = slots
        .get(i)
        .ok_or("internal: a placeholder without a value")?;
    super::filters::to_node(v).map_err(|e| format!("a value cannot be written as YAML: {e}"))
}

/// `s` with every placeholder replaced by its value's text.
fn spliced(s: &str, slots: &[Value]) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut problem = None;
    each_token(s, |piece| match piece {
        Piece::Text(t) => out.push_str(t),
        Piece::Token(i, raw) => match slots.get(i).map(as_text) {
            Some(Ok(t)) => out.push_str(&t),
            Some(Err(e)) => problem = Some(e),
            None => out.push_str(raw),
        },
    });
    match problem {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// A value inside a longer string: text, numbers and booleans as Helm
/// prints them; none as nothing; a map or list cannot be.
fn as_text(v: &Value) -> Result<String, String> {
    match v.kind() {
        ValueKind::None | ValueKind::Undefined => Ok(String::new()),
        ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => Err(format!(
            "a {} cannot be part of a longer string (`{v}`); write it as a value of its own",
            if v.kind() == ValueKind::Map {
                "map"
            } else {
                "list"
            }
        )),
        _ => Ok(v.as_str().map_or_else(|| v.to_string(), str::to_string)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::emit_document;
    use minijinja::context;

    fn run(src: &str, ctx: Value) -> Result<String, Error> {
        let slots = Arc::new(Mutex::new(Slots::default()));
        let env = environment(&slots)?;
        let text = env
            .render_str(src, ctx)
            .map_err(|e| Error::Internal(e.to_string()))?;
        let all = slots.lock().map(|s| s.values.clone()).unwrap_or_default();
        Ok(emit_document(&Node::Map(to_tree("t", &text, &all)?)))
    }

    #[test]
    fn values_keep_their_types_and_cannot_add_structure() {
        let ctx = context! {
            n => 3,
            tag => "1.10",
            evil => "x\nb: injected # not a comment",
            labels => Value::from(std::collections::BTreeMap::from([("team", "core"), ("a.b/c", "- d")])),
        };
        let out = run(
            "replicas: {{ n }}\ntag: {{ tag }}\nnote: {{ evil }}\nlabels: {{ labels }}\nimage: repo:{{ tag }}\nquoted: \"{{ n }}\"\n",
            ctx,
        )
        .unwrap();
        assert_eq!(
            out,
            "image: repo:1.10\nlabels:\n  a.b/c: '- d'\n  team: core\nnote: |-\n  x\n  b: injected # not a comment\nquoted: \"3\"\nreplicas: 3\ntag: \"1.10\"\n"
        );
    }

    #[test]
    fn yaml_filters_write_their_output_as_is() {
        let ctx = context! { m => context! { b => 1, a => "x\ny" } };
        let out = run("spec:{{ m | toYaml | nindent(2) }}\n", ctx).unwrap();
        assert_eq!(out, "spec:\n  a: |-\n    x\n    y\n  b: 1\n");
    }

    #[test]
    fn patches_take_values_as_yaml_never_as_text() {
        let ctx = context! { n => "1\n- op: remove\n  path: /spec" };
        let e = run(
            "patches:\n- patch: |-\n    - op: add\n      value: {{ n }}\n",
            ctx.clone(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("t (as rendered):4: a value inside a `patch: |` text block"),
            "{e}"
        );
        let out = run("patches:\n- patch:\n  - op: add\n    value: {{ n }}\n", ctx).unwrap();
        assert!(out.contains("value: |-"), "{out}");
    }

    #[test]
    fn a_map_inside_a_string_is_an_error() {
        let ctx = context! { m => context! { a => 1 } };
        let e = run("x: a-{{ m }}\n", ctx).unwrap_err().to_string();
        assert!(e.contains("a map cannot be part of a longer string"), "{e}");
    }

    #[test]
    fn rendered_errors_point_into_the_rendered_text() {
        let e = run("a: [\n", Value::from(())).unwrap_err().to_string();
        assert!(e.starts_with("t (as rendered):"), "{e}");
        assert!(e.contains("the template rendered invalid YAML"), "{e}");
    }
}
