//! `--set` and environment values: Helm's path syntax, typed by the schema.
//!
//! Syntax (Helm's `--set`): `a.b=v` sets a nested key; `list[0]=v`
//! indexes a list; several pairs are separated by commas
//! (`a=1,b=2`); `\,` puts a comma in a value and `\.` a dot in a key;
//! `a={x,y}` sets a list. The literal value `null` deletes the key.
//!
//! As in Helm, an index edits the list the layers below hold: `--set
//! list[1]=x` over `list: [a, b, c]` from a values file gives `[a, x, c]`
//! (see [`Assignment`]), and `list[1]` with no `=VALUE` keeps the list as
//! it is, or makes it an empty list when there is none.
//!
//! Typing is the point of this module: Helm guesses types from the text,
//! so `--set image.tag=1.10` becomes the float 1.1. Here the schema is
//! asked what the path holds: a string stays the exact text, an integer
//! must parse as one (otherwise it is an error naming the path), a boolean
//! must be `true` or `false`. Paths the schema does not describe stay
//! strings, and validation then reports them (e.g. as unknown keys).

use crate::schema::{display_path, types_at, Seg};
use compose_yaml::{Mapping, Node};
use serde_json::Value;

/// A value as written, before typing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Raw {
    /// A single value.
    Scalar(String),
    /// `{a,b}`.
    List(Vec<String>),
    /// Nothing: `list[0]` written without `=VALUE`. As in Helm, the list
    /// the path indexes is kept as the layers below hold it, or made an
    /// empty list when there is none; the path ends at its first index.
    Bare,
}

/// One assignment of a value flag or environment variable, in the order
/// written. A path through a list index edits the list the layers below
/// hold (the other items are kept, as Helm's `--set` keeps them), where
/// a list value (`{a,b}`, JSON) replaces it whole.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Assignment {
    /// Where.
    pub(crate) path: Vec<Seg>,
    /// The value; `None` for [`Raw::Bare`]: keep (or create) the list.
    pub(crate) value: Option<Node>,
}

/// Parses one `--set` argument into `(path, raw value)` pairs.
pub fn parse_pairs(arg: &str) -> Result<Vec<(Vec<Seg>, Raw)>, String> {
    let chars: Vec<char> = arg.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < chars.len() {
        // Key up to '='.
        let mut key = String::new();
        let mut escaped_dots = Vec::new();
        while i < chars.len() && chars[i] != '=' {
            match chars[i] {
                '\\' if i + 1 < chars.len() => {
                    if chars[i + 1] == '.' {
                        escaped_dots.push(key.chars().count());
                    }
                    key.push(chars[i + 1]);
                    i += 2;
                }
                ',' => return Err(format!("`{key}` has no value; expected PATH=VALUE")),
                c => {
                    key.push(c);
                    i += 1;
                }
            }
        }
        if i >= chars.len() {
            // `list[0]` alone names a list and sets nothing in it.
            if key.ends_with(']') {
                let mut path = parse_path(&key, &escaped_dots)?;
                if let Some(first) = path.iter().position(|s| matches!(s, Seg::Index(_))) {
                    path.truncate(first + 1);
                    out.push((path, Raw::Bare));
                    break;
                }
            }
            return Err(format!("`{key}` has no value; expected PATH=VALUE"));
        }
        i += 1; // '='
        let path = parse_path(&key, &escaped_dots)?;
        // Value up to an unescaped ',' (or a '{...}' list).
        let raw = if chars.get(i) == Some(&'{') {
            let mut items = Vec::new();
            let mut cur = String::new();
            i += 1;
            let mut closed = false;
            while i < chars.len() {
                match chars[i] {
                    '\\' if i + 1 < chars.len() => {
                        cur.push(chars[i + 1]);
                        i += 2;
                        continue;
                    }
                    ',' => items.push(std::mem::take(&mut cur)),
                    '}' => {
                        closed = true;
                        i += 1;
                        break;
                    }
                    c => cur.push(c),
                }
                i += 1;
            }
            if !closed {
                return Err(format!("the list value of `{key}` has no closing `}}`"));
            }
            if !cur.is_empty() || !items.is_empty() {
                items.push(cur);
            }
            if i < chars.len() && chars[i] != ',' {
                return Err(format!("unexpected text after the list value of `{key}`"));
            }
            i += 1;
            Raw::List(items)
        } else {
            let mut v = String::new();
            while i < chars.len() && chars[i] != ',' {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    v.push(chars[i + 1]);
                    i += 2;
                } else {
                    v.push(chars[i]);
                    i += 1;
                }
            }
            i += 1;
            Raw::Scalar(v)
        };
        out.push((path, raw));
    }
    if out.is_empty() {
        return Err("empty --set; expected PATH=VALUE".into());
    }
    Ok(out)
}

/// The largest list index `--set` and environment variables accept: a
/// list is filled up to its index, so the index bounds the memory.
pub(crate) const MAX_INDEX: usize = 10_000;

/// Parses `a.b[0].c`; `escaped` lists the character offsets of dots that
/// were written `\.` and belong to the key.
fn parse_path(key: &str, escaped: &[usize]) -> Result<Vec<Seg>, String> {
    let mut segs = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = key.chars().collect();
    let mut i = 0;
    if key.is_empty() {
        return Err("a value with no path; expected PATH=VALUE".into());
    }
    let bad = |why: &str| format!("invalid path `{key}`: {why}");
    while i < chars.len() {
        let c = chars[i];
        if c == '.' && !escaped.contains(&i) {
            if cur.is_empty() && !matches!(segs.last(), Some(Seg::Index(_))) {
                return Err(bad("empty key"));
            }
            if !cur.is_empty() {
                segs.push(Seg::Key(std::mem::take(&mut cur)));
            }
            i += 1;
        } else if c == '[' {
            if !cur.is_empty() {
                segs.push(Seg::Key(std::mem::take(&mut cur)));
            } else if segs.is_empty() {
                return Err(bad("an index needs a key before it"));
            }
            let end = chars[i..]
                .iter()
                .position(|&c| c == ']')
                .ok_or_else(|| bad("missing `]`"))?
                + i;
            let num: String = chars[i + 1..end].iter().collect();
            let n = num
                .parse::<usize>()
                .map_err(|_| bad(&format!("`{num}` is not a list index")))?;
            if n > MAX_INDEX {
                return Err(bad(&format!("list index {n} is larger than {MAX_INDEX}")));
            }
            segs.push(Seg::Index(n));
            i = end + 1;
            if i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                return Err(bad("expected `.` or `[` after `]`"));
            }
        } else {
            cur.push(c);
            i += 1;
        }
    }
    if !cur.is_empty() {
        segs.push(Seg::Key(cur));
    } else if !matches!(segs.last(), Some(Seg::Index(_))) {
        return Err(bad("empty key"));
    }
    check_depth(&segs).map_err(|m| bad(&m))?;
    Ok(segs)
}

/// The most keys and indexes a `--set` path or an environment variable
/// may have: far deeper than any values file, and shallow enough that no
/// step that walks a path can run out of stack.
pub(crate) const MAX_DEPTH: usize = 100;

/// Refuses a path deeper than [`MAX_DEPTH`].
pub(crate) fn check_depth(path: &[Seg]) -> Result<(), String> {
    if path.len() > MAX_DEPTH {
        return Err(format!(
            "it is {} keys deep; a path has at most {MAX_DEPTH}",
            path.len()
        ));
    }
    Ok(())
}

/// The flags that set values on the command line, in the order Helm
/// applies them (after the values files): `--set-json`, `--set`,
/// `--set-string`, `--set-file`, `--set-literal`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum SetFlag {
    /// `--set-json PATH=JSON`: the value is JSON.
    Json,
    /// `--set PATH=VALUE`: typed by the schema.
    Set,
    /// `--set-string PATH=VALUE`: always a string.
    String,
    /// `--set-file PATH=FILE`: the file's content, as a string.
    File,
    /// `--set-literal PATH=VALUE`: everything after the first `=`, as
    /// one string, commas and backslashes included.
    Literal,
}

impl SetFlag {
    /// The flag as written.
    pub(crate) fn flag(self) -> &'static str {
        match self {
            SetFlag::Json => "--set-json",
            SetFlag::Set => "--set",
            SetFlag::String => "--set-string",
            SetFlag::File => "--set-file",
            SetFlag::Literal => "--set-literal",
        }
    }
}

/// One value flag as given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetArg {
    /// Which flag.
    pub(crate) flag: SetFlag,
    /// Its argument.
    pub(crate) arg: String,
}

impl SetArg {
    /// A `--set` argument.
    pub fn set(arg: &str) -> SetArg {
        SetArg {
            flag: SetFlag::Set,
            arg: arg.to_string(),
        }
    }
}

impl std::fmt::Display for SetArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.flag.flag(), self.arg)
    }
}

/// Parses the key of `arg` up to its first unescaped `=`: the path and
/// the text after the `=`.
fn split_key(arg: &str) -> Result<(Vec<Seg>, &str), String> {
    let mut key = String::new();
    let mut escaped_dots = Vec::new();
    let mut chars = arg.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, next)) = chars.next() {
                    if next == '.' {
                        escaped_dots.push(key.chars().count());
                    }
                    key.push(next);
                }
            }
            '=' => return Ok((parse_path(&key, &escaped_dots)?, &arg[at + 1..])),
            c => key.push(c),
        }
    }
    Err(format!("`{key}` has no value; expected PATH=VALUE"))
}

/// `--set-literal`: one path and the rest of the argument as its value.
pub(crate) fn parse_literal(arg: &str) -> Result<(Vec<Seg>, Node), String> {
    let (path, value) = split_key(arg)?;
    Ok((path, Node::str(value)))
}

/// `--set-json`: pairs of a path and a JSON value, separated by commas;
/// JSON `null` deletes the key.
pub(crate) fn parse_json(arg: &str) -> Result<Vec<(Vec<Seg>, Node)>, String> {
    let mut out = Vec::new();
    let mut rest = arg;
    loop {
        let (path, text) = split_key(rest)?;
        let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        let value = match values.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(format!("{}: invalid JSON: {e}", display_path(&path))),
            None => return Err(format!("{}: no JSON value", display_path(&path))),
        };
        let after = text[values.byte_offset()..].trim_start();
        out.push((path, crate::knobs::node_of(&value)));
        match after.strip_prefix(',') {
            Some(more) if !more.is_empty() => rest = more,
            _ if after.is_empty() => return Ok(out),
            _ => return Err(format!("unexpected text after a JSON value: `{after}`")),
        }
    }
}

/// A raw value as text alone, for `--set-string`.
pub(crate) fn as_strings(raw: &Raw) -> Node {
    match raw {
        Raw::Scalar(s) => Node::str(s.as_str()),
        Raw::List(items) => Node::Seq(items.iter().map(|s| Node::str(s.as_str())).collect()),
        Raw::Bare => Node::Seq(Vec::new()),
    }
}

/// Types one raw value for `path` according to the schema.
pub(crate) fn type_raw(schema: &Value, path: &[Seg], raw: &Raw) -> Result<Node, String> {
    match raw {
        Raw::Scalar(s) => type_scalar(schema, path, s),
        Raw::List(items) => {
            let mut out = Vec::new();
            for (i, s) in items.iter().enumerate() {
                let mut p = path.to_vec();
                p.push(Seg::Index(i));
                out.push(type_scalar(schema, &p, s)?);
            }
            Ok(Node::Seq(out))
        }
        Raw::Bare => Ok(Node::Seq(Vec::new())),
    }
}

fn type_scalar(schema: &Value, path: &[Seg], s: &str) -> Result<Node, String> {
    if s.eq_ignore_ascii_case("null") {
        return Ok(Node::Null);
    }
    let Some(types) = types_at(schema, path) else {
        return Ok(Node::str(s));
    };
    let has = |t: &str| types.iter().any(|x| x == t);
    let truth = s.eq_ignore_ascii_case("true");
    if has("boolean") && (truth || s.eq_ignore_ascii_case("false")) {
        return Ok(Node::Bool(truth));
    }
    if has("integer") {
        if let Ok(i) = s.parse::<i64>() {
            return Ok(Node::Int(i));
        }
    }
    if has("number") {
        if let Ok(i) = s.parse::<i64>() {
            return Ok(Node::Int(i));
        }
        if let Ok(f) = s.parse::<f64>() {
            if f.is_finite() {
                return Ok(Node::Float(f));
            }
        }
    }
    if has("string") {
        return Ok(Node::str(s));
    }
    let wanted = if types.is_empty() {
        "null".to_string()
    } else {
        types.join(" or ")
    };
    Err(format!(
        "{}: {} is not of type {wanted}",
        display_path(path),
        Value::String(s.to_string())
    ))
}

/// Puts `value` at `path` in `root` (a mapping), creating mappings and
/// lists on the way; list gaps are filled with null.
pub(crate) fn insert(root: &mut Node, path: &[Seg], value: Node) {
    let Some((first, rest)) = path.split_first() else {
        *root = value;
        return;
    };
    match first {
        Seg::Key(k) => {
            if !matches!(root, Node::Map(_)) {
                *root = Node::Map(Mapping::new());
            }
            if let Node::Map(m) = root {
                let child = m.entry_or_insert_with(k, || Node::Null);
                insert(child, rest, value);
            }
        }
        Seg::Index(i) => {
            if !matches!(root, Node::Seq(_)) {
                *root = Node::Seq(Vec::new());
            }
            if let Node::Seq(s) = root {
                while s.len() <= *i {
                    s.push(Node::Null);
                }
                insert(&mut s[*i], rest, value);
            }
        }
    }
}

/// Makes the value at `path` (which ends at a list index) a list when it
/// is none yet, keeping one that is there: the layer's own view of
/// [`Raw::Bare`].
pub(crate) fn ensure_list(root: &mut Node, path: &[Seg]) {
    if let Some((_, prefix)) = path.split_last() {
        ensure_at(root, prefix);
    }
}

fn ensure_at(node: &mut Node, path: &[Seg]) {
    match path.split_first() {
        None if matches!(node, Node::Seq(_)) => {}
        None => *node = Node::Seq(Vec::new()),
        Some((Seg::Key(k), rest)) => {
            if !matches!(node, Node::Map(_)) {
                *node = Node::Map(Mapping::new());
            }
            if let Node::Map(m) = node {
                ensure_at(m.entry_or_insert_with(k, || Node::Null), rest);
            }
        }
        Some((Seg::Index(i), rest)) => {
            if !matches!(node, Node::Seq(_)) {
                *node = Node::Seq(Vec::new());
            }
            if let Node::Seq(s) = node {
                while s.len() <= *i {
                    s.push(Node::Null);
                }
                ensure_at(&mut s[*i], rest);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn k(s: &str) -> Seg {
        Seg::Key(s.to_string())
    }

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "api": {"type": "object", "properties": {
                    "replicas": {"type": "integer"},
                    "enabled": {"type": "boolean"},
                    "image": {"type": "object", "properties": {"tag": {"type": ["string", "null"]}}},
                    "ports": {"type": "array", "items": {"type": "integer"}}
                }},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}}
            }
        })
    }

    #[test]
    fn parses_paths_pairs_and_escapes() {
        let p = parse_pairs(r"a.b=1,c[1].d=x\,y,e\.f=z").unwrap();
        assert_eq!(p[0], (vec![k("a"), k("b")], Raw::Scalar("1".into())));
        assert_eq!(
            p[1],
            (
                vec![k("c"), Seg::Index(1), k("d")],
                Raw::Scalar("x,y".into())
            )
        );
        assert_eq!(p[2], (vec![k("e.f")], Raw::Scalar("z".into())));
        assert_eq!(
            parse_pairs("l={a,b},x=1").unwrap()[0],
            (vec![k("l")], Raw::List(vec!["a".into(), "b".into()]))
        );
        assert_eq!(parse_pairs("l={}").unwrap()[0].1, Raw::List(vec![]));
        assert_eq!(parse_pairs("a=").unwrap()[0].1, Raw::Scalar(String::new()));
        // A list path without a value names the list (up to its first
        // index) and sets nothing.
        assert_eq!(
            parse_pairs("a.l[0]").unwrap(),
            vec![(vec![k("a"), k("l"), Seg::Index(0)], Raw::Bare)]
        );
        assert_eq!(
            parse_pairs("l[2][1]").unwrap(),
            vec![(vec![k("l"), Seg::Index(2)], Raw::Bare)]
        );
    }

    #[test]
    fn rejects_malformed() {
        let cases = [
            ("novalue", "`novalue` has no value; expected PATH=VALUE"),
            ("a..b=1", "invalid path `a..b`: empty key"),
            ("a[x]=1", "invalid path `a[x]`: `x` is not a list index"),
            ("a[1=1", "invalid path `a[1`: missing `]`"),
            ("=1", "a value with no path; expected PATH=VALUE"),
            ("a={x", "the list value of `a` has no closing `}`"),
            ("a,b=1", "`a` has no value; expected PATH=VALUE"),
            ("a.b", "`a.b` has no value; expected PATH=VALUE"),
            ("l[0],b=1", "`l[0]` has no value; expected PATH=VALUE"),
        ];
        for (arg, message) in cases {
            let got = parse_pairs(arg).unwrap_err().to_string();
            assert_eq!(got, message, "--set {arg}");
        }
    }

    #[test]
    fn types_come_from_the_schema() {
        let s = schema();
        assert_eq!(
            type_scalar(&s, &[k("api"), k("image"), k("tag")], "1.10"),
            Ok(Node::Str("1.10".into()))
        );
        assert_eq!(
            type_scalar(&s, &[k("api"), k("replicas")], "3"),
            Ok(Node::Int(3))
        );
        assert_eq!(
            type_scalar(&s, &[k("api"), k("enabled")], "true"),
            Ok(Node::Bool(true))
        );
        assert_eq!(
            type_scalar(&s, &[k("labels"), k("team")], "42"),
            Ok(Node::Str("42".into()))
        );
        assert_eq!(
            type_scalar(&s, &[k("api"), k("replicas")], "null"),
            Ok(Node::Null)
        );
        assert_eq!(
            type_scalar(&s, &[k("api"), k("replicas")], "three"),
            Err("api.replicas: \"three\" is not of type integer".into())
        );
        assert_eq!(
            type_raw(
                &s,
                &[k("api"), k("ports")],
                &Raw::List(vec!["80".into(), "443".into()])
            ),
            Ok(Node::Seq(vec![Node::Int(80), Node::Int(443)]))
        );
    }

    #[test]
    fn insert_builds_nested_values() {
        let mut root = Node::Map(Mapping::new());
        insert(&mut root, &[k("a"), Seg::Index(1), k("b")], Node::Int(1));
        assert_eq!(
            compose_yaml::json::to_json(&root),
            r#"{"a":[null,{"b":1}]}"#
        );
    }

    proptest::proptest! {
        /// Any argument text parses or fails cleanly, and typing what
        /// parsed never panics either.
        #[test]
        fn any_argument_is_handled(arg in "[a-z\\\\.,=\\[\\]{}0-9]{0,24}") {
            let s = schema();
            if let Ok(pairs) = parse_pairs(&arg) {
                let mut root = Node::Map(Mapping::new());
                for (path, raw) in pairs {
                    if let Ok(v) = type_raw(&s, &path, &raw) {
                        insert(&mut root, &path, v);
                    }
                }
            }
        }
    }
}
