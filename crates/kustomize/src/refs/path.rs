//! kustomize's dotted field paths, as `replacements` and `vars` use them.
//!
//! Syntax (checked against kubectl kustomize v5.5.0):
//! - parts are separated by `.`; `\.` is a dot inside a part;
//! - a part in brackets is kept whole even when it holds dots: with an
//!   `=` it is a list-element matcher (`[name=app]`, `[=value]` for
//!   scalar elements), without one it is a plain map key (`[a.b.c]`);
//! - a part of digits is a list index; `-` (source side) is the last
//!   element; `*` (target side) is every element of a list.
//!
//! Two walkers follow kustomize's two lookups, which differ:
//! - [`lookup`] (replacement sources, var values) takes one node: element
//!   matchers compare values exactly and the first match wins, a missing
//!   index is "not found", `*` is an error;
//! - [`visit_targets`] (replacement targets) visits every match: element
//!   matchers are unanchored regular expressions and every matching element
//!   is visited, an index past the end is an error, and with `create` the
//!   missing parts are created (an index only when it appends, a matcher as
//!   a new element holding the matched field).

use crate::error::{Error, Result};
use crate::transform::wrong_kind;
use compose_yaml::{parse::resolve_plain, Mapping, Node};

/// Splits a dotted path into parts, honouring `\.` escapes and bracketed
/// parts. A leading empty part (a path starting with the delimiter) is
/// dropped.
pub(crate) fn split_field_path(path: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    let raw: Vec<&str> = path.split('.').collect();
    let raw = if raw.len() > 1 && raw[0].is_empty() {
        &raw[1..]
    } else {
        &raw[..]
    };
    for piece in raw {
        match pieces.last_mut() {
            Some(last) if last.ends_with('\\') => {
                last.pop();
                last.push('.');
                last.push_str(piece);
            }
            _ => pieces.push((*piece).to_string()),
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < pieces.len() {
        let p = &pieces[i];
        if p.starts_with('[') && !p.ends_with(']') {
            let mut joined = vec![p.clone()];
            while i + 1 < pieces.len() {
                i += 1;
                joined.push(pieces[i].clone());
                if pieces[i].ends_with(']') {
                    break;
                }
            }
            let s = joined.join(".");
            if s.contains('=') {
                out.push(s);
            } else {
                out.push(s.trim_matches(|c| c == '[' || c == ']').to_string());
            }
        } else {
            out.push(p.clone());
        }
        i += 1;
    }
    out
}

/// Whether a part is a bracketed list-element matcher.
fn is_list_index(p: &str) -> bool {
    p.starts_with('[') && p.ends_with(']')
}

/// Splits `[field=value]` into its field (empty for scalar elements) and value.
fn split_matcher(p: &str) -> Result<(String, String)> {
    let inner = p.strip_suffix(']').unwrap_or(p);
    let inner = inner.strip_prefix('[').unwrap_or(inner);
    match inner.split_once('=') {
        Some((f, v)) => Ok((f.to_string(), v.to_string())),
        None => Err(Error::reference(
            "list path element must contain fieldName=fieldValue for element to match",
        )),
    }
}

/// Go's `strconv.Atoi`: optional sign and decimal digits.
pub(crate) fn go_atoi(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<i64>().ok()
}

/// A non-negative decimal index (kustomize's `IsIdxNumber`).
fn index_number(p: &str) -> Option<usize> {
    go_atoi(p).filter(|i| *i >= 0).map(|i| i as usize)
}

/// The text of a scalar as kustomize reads it (`null` reads as empty);
/// collections read as empty too, as a YAML collection node has no value.
pub(crate) fn node_text(n: &Node) -> String {
    match n {
        Node::Null | Node::Map(_) | Node::Seq(_) => String::new(),
        other => other.scalar_text().unwrap_or_default(),
    }
}

/// Looks a path up the way replacement sources and var values are read.
/// `Ok(None)` when a part is missing.
pub(crate) fn lookup<'a>(node: &'a Node, parts: &[String]) -> Result<Option<&'a Node>> {
    let mut cur = node;
    for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let next = if let Some(i) = go_atoi(part) {
            if i < 0 {
                return Err(Error::reference(format!(
                    "array index {i} cannot be negative"
                )));
            }
            match cur {
                Node::Null => None,
                Node::Seq(items) => items.get(i as usize),
                other => return Err(wrong_kind("SequenceNode", other)),
            }
        } else if part == "-" {
            match cur {
                Node::Null => None,
                Node::Seq(items) => items.last(),
                other => return Err(wrong_kind("SequenceNode", other)),
            }
        } else if is_list_index(part) {
            let (field, value) = split_matcher(part)?;
            match cur {
                Node::Null => None,
                Node::Seq(items) => items.iter().find(|item| {
                    if field.is_empty() {
                        item.is_scalar() && node_text(item) == value
                    } else {
                        match item.get(&field) {
                            Some(v) if !v.is_null() => node_text(v) == value,
                            _ => false,
                        }
                    }
                }),
                other => return Err(wrong_kind("SequenceNode", other)),
            }
        } else {
            if part == "*" {
                return Err(Error::reference("wildcard is not supported in PathGetter"));
            }
            match cur {
                Node::Null => None,
                Node::Map(m) => m.get(part),
                other => return Err(wrong_kind("MappingNode", other)),
            }
        };
        match next {
            Some(n) => cur = n,
            None => return Ok(None),
        }
    }
    Ok(Some(cur))
}

/// What to create for a missing leaf when a target path is walked with
/// `create`: the kind of the value that will be written there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LeafKind {
    /// A scalar; the created field takes the written text untyped.
    Scalar,
    /// A mapping.
    Map,
    /// A sequence.
    Seq,
}

impl LeafKind {
    /// The kind of a value node.
    pub(crate) fn of(n: &Node) -> LeafKind {
        match n {
            Node::Map(_) => LeafKind::Map,
            Node::Seq(_) => LeafKind::Seq,
            _ => LeafKind::Scalar,
        }
    }

    fn make(self) -> Node {
        match self {
            LeafKind::Scalar => Node::Null,
            LeafKind::Map => Node::map(),
            LeafKind::Seq => Node::Seq(Vec::new()),
        }
    }
}

/// The kind of node to create for a missing part, given the next part.
fn part_kind(next: Option<&str>, leaf: LeafKind) -> LeafKind {
    match next {
        None | Some("") => leaf,
        Some(p) if is_list_index(p) || index_number(p).is_some() => LeafKind::Seq,
        Some(_) => LeafKind::Map,
    }
}

/// A field reached by [`visit_targets`].
pub(crate) struct Target<'a> {
    /// The field's node.
    pub(crate) node: &'a mut Node,
    /// The field was created by this walk as a leaf scalar: it has no type
    /// of its own yet, so written text is typed like plain YAML.
    pub(crate) created: bool,
}

/// Text of an element as kustomize's matcher reads it: the element's YAML
/// form, trimmed. Strings that would read back as another type are
/// quoted in that form, so `[x=^1$]` does not match the string `"1"`.
fn matcher_text(n: &Node) -> String {
    match n {
        Node::Str(s) => {
            if matches!(resolve_plain(s), Node::Str(_)) && !s.is_empty() {
                s.trim().to_string()
            } else {
                format!("\"{s}\"")
            }
        }
        Node::Null => "null".to_string(),
        other => other.to_string(),
    }
}

/// Visits every field a target path names, creating missing parts when
/// `create` is given (the kind of the value to be written). Returns the
/// number of fields visited.
pub(crate) fn visit_targets(
    node: &mut Node,
    parts: &[String],
    create: Option<LeafKind>,
    f: &mut dyn FnMut(Target<'_>) -> Result<()>,
) -> Result<usize> {
    visit(node, parts, create, false, f)
}

fn visit(
    node: &mut Node,
    parts: &[String],
    create: Option<LeafKind>,
    created: bool,
    f: &mut dyn FnMut(Target<'_>) -> Result<()>,
) -> Result<usize> {
    let Some((part, rest)) = parts.split_first() else {
        f(Target { node, created })?;
        return Ok(1);
    };
    if node.is_null() && create.is_some() && part != "*" {
        // kustomize "creates" below a null by adding children to the null
        // node, which its output never shows: the field counts as found
        // and the document is unchanged. Walk a detached copy to match.
        let mut phantom = if index_number(part).is_some() || is_list_index(part) {
            Node::Seq(Vec::new())
        } else {
            Node::map()
        };
        return visit(&mut phantom, parts, create, created, f);
    }
    let next = rest.first().map(String::as_str);
    if let Some(idx) = index_number(part) {
        let mut empty = Vec::new();
        let items = seq_for(node, create.is_some(), &mut empty)?;
        let mut appended = false;
        if items.len() == idx {
            if let Some(leaf) = create {
                items.push(part_kind(next, leaf).make());
                appended = true;
            }
        }
        if items.len() < idx + 1 {
            return Err(Error::reference(format!(
                "index {idx} specified but only {} elements found",
                items.len()
            )));
        }
        return visit(
            &mut items[idx],
            rest,
            create,
            appended && rest.is_empty(),
            f,
        );
    }
    if is_list_index(part) {
        let (field, pattern) = split_matcher(part)?;
        let re = crate::go_regex::compile(&pattern)
            .map_err(|e| Error::reference(format!("error parsing regexp: {e}")))?;
        let matches = |item: &Node| -> bool {
            if field.is_empty() {
                re.is_match(&matcher_text(item))
            } else {
                match item {
                    Node::Map(m) => match m.get(&field) {
                        Some(v) => re.is_match(&matcher_text(v)),
                        None => false,
                    },
                    _ => false,
                }
            }
        };
        let mut empty = Vec::new();
        let items = seq_for(node, create.is_some(), &mut empty)?;
        let mut any = items.iter().any(matches);
        let mut created_at = None;
        if !any {
            if create.is_none() {
                return Ok(0);
            }
            let value = resolve_plain(&pattern);
            let elem = if field.is_empty() {
                value
            } else {
                let mut m = Mapping::new();
                m.insert(field.clone(), value);
                Node::Map(m)
            };
            items.push(elem);
            any = items.iter().any(matches);
            created_at = Some(items.len() - 1);
        }
        let mut count = 0;
        if any {
            for (i, item) in items.iter_mut().enumerate() {
                if matches(item) {
                    // A scalar element made here has no type of its own.
                    let fresh = created_at == Some(i) && rest.is_empty() && field.is_empty();
                    count += visit(item, rest, create, fresh, f)?;
                }
            }
        }
        return Ok(count);
    }
    if part == "*" {
        let items = match node {
            Node::Null => return Ok(0),
            Node::Seq(items) => items,
            other => return Err(wrong_kind("SequenceNode", other)),
        };
        let mut count = 0;
        for item in items.iter_mut() {
            count += visit(item, rest, create, false, f)?;
        }
        return Ok(count);
    }
    if node.is_null() {
        if create.is_none() {
            return Ok(0);
        }
        *node = Node::map();
    }
    let m = match node {
        Node::Map(m) => m,
        other => return Err(wrong_kind("MappingNode", other)),
    };
    let mut fresh = false;
    if !m.contains_key(part) {
        let Some(leaf) = create else { return Ok(0) };
        m.insert(part.clone(), part_kind(next, leaf).make());
        fresh = true;
    }
    match m.get_mut(part) {
        Some(child) => visit(child, rest, create, fresh && rest.is_empty(), f),
        None => Ok(0),
    }
}

/// The sequence at `node`. A null reads as an empty sequence (`scratch`,
/// left untouched when not creating) and becomes one when creating.
fn seq_for<'a>(
    node: &'a mut Node,
    creating: bool,
    scratch: &'a mut Vec<Node>,
) -> Result<&'a mut Vec<Node>> {
    if node.is_null() {
        if !creating {
            return Ok(scratch);
        }
        *node = Node::Seq(Vec::new());
    }
    match node {
        Node::Seq(items) => Ok(items),
        other => Err(wrong_kind("SequenceNode", other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_one;

    fn y(s: &str) -> Node {
        parse_one(s).unwrap()
    }

    fn p(s: &str) -> Vec<String> {
        split_field_path(s)
    }

    #[test]
    fn splits_paths() {
        assert_eq!(p("spec.template.spec"), vec!["spec", "template", "spec"]);
        assert_eq!(
            p("spec.containers.[name=a.b.c].image"),
            vec!["spec", "containers", "[name=a.b.c]", "image"]
        );
        // oracle: `metadata.annotations.[a.b.c]` addresses the key `a.b.c`
        assert_eq!(
            p("metadata.annotations.[a.b.c]"),
            vec!["metadata", "annotations", "a.b.c"]
        );
        assert_eq!(
            p("metadata.annotations.a\\.b"),
            vec!["metadata", "annotations", "a.b"]
        );
        assert_eq!(p(".metadata.name"), vec!["metadata", "name"]);
        assert_eq!(p("a.[=x]"), vec!["a", "[=x]"]);
    }

    #[test]
    fn source_lookup() {
        let n = y("data:\n  list: [x, y]\n  ports:\n  - {name: http, port: 80}\n  - {name: myhttp2, port: 81}\n");
        assert_eq!(
            lookup(&n, &p("data.list.-")).unwrap(),
            Some(&Node::str("y"))
        );
        assert_eq!(
            lookup(&n, &p("data.list.0")).unwrap(),
            Some(&Node::str("x"))
        );
        assert_eq!(lookup(&n, &p("data.list.5")).unwrap(), None);
        assert_eq!(
            lookup(&n, &p("data.list.[=y]")).unwrap(),
            Some(&Node::str("y"))
        );
        // oracle: source matchers are exact, not regular expressions
        assert_eq!(
            lookup(&n, &p("data.ports.[name=http2].port")).unwrap(),
            None
        );
        assert_eq!(
            lookup(&n, &p("data.ports.[name=myhttp2].port")).unwrap(),
            Some(&Node::Int(81))
        );
        assert_eq!(
            lookup(&n, &p("data.ports.[port=81].name")).unwrap(),
            Some(&Node::str("myhttp2"))
        );
        assert_eq!(lookup(&n, &p("data.nothing.deeper")).unwrap(), None);
        // oracle: "wildcard is not supported in PathGetter"
        assert_eq!(
            lookup(&n, &p("data.list.*"))
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("wildcard is not supported in PathGetter")
        );
        assert_eq!(
            lookup(&n, &p("data.list.-1"))
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("array index -1 cannot be negative")
        );
        assert_eq!(
            lookup(&n, &p("data.list.name")).err().map(|e| e.to_string()).as_deref(),
            Some("wrong node kind: expected MappingNode but got SequenceNode: node contents:\n[\"x\",\"y\"]"));
        assert_eq!(
            lookup(&n, &p("data.0")).err().map(|e| e.to_string()).as_deref(),
            Some("wrong node kind: expected SequenceNode but got MappingNode: node contents:\n{\"list\":[\"x\",\"y\"],\"ports\":[{\"name\":\"http\",\"port\":80},{\"name\":\"myhttp2\",\"port\":81}]}"));
    }

    fn set_all(n: &mut Node, path: &str, create: Option<LeafKind>, v: Node) -> Result<usize> {
        visit_targets(n, &p(path), create, &mut |t| {
            *t.node = v.clone();
            Ok(())
        })
    }

    #[test]
    fn target_matchers_are_unanchored_regexes() {
        // oracle: [name=http] changes both `http` and `myhttp2`;
        // [name=^http$] only the first; [port=8] both
        let doc = "ports:\n- {name: http, port: 80}\n- {name: myhttp2, port: 81}\n";
        let mut n = y(doc);
        assert_eq!(
            set_all(&mut n, "ports.[name=http].name", None, Node::str("foo")).unwrap(),
            2
        );
        let mut n = y(doc);
        assert_eq!(
            set_all(&mut n, "ports.[name=^http$].name", None, Node::str("foo")).unwrap(),
            1
        );
        assert_eq!(
            n,
            y("ports:\n- {name: foo, port: 80}\n- {name: myhttp2, port: 81}\n")
        );
        let mut n = y(doc);
        assert_eq!(
            set_all(&mut n, "ports.[port=8].name", None, Node::str("foo")).unwrap(),
            2
        );
        let mut n = y(doc);
        assert_eq!(
            set_all(&mut n, "ports.[name=zzz].name", None, Node::str("foo")).unwrap(),
            0
        );
        assert_eq!(
            (set_all(&mut n, "ports.[name=(].name", None, Node::str("foo")))
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("error parsing regexp: unclosed group")
        );
    }

    #[test]
    fn target_creation() {
        // oracle: a matcher with create appends {name: zzz, targetPort: foo}
        let doc = "ports:\n- {name: http, port: 80}\n";
        let mut n = y(doc);
        set_all(
            &mut n,
            "ports.[name=zzz].targetPort",
            Some(LeafKind::Scalar),
            Node::str("foo"),
        )
        .unwrap();
        assert_eq!(
            n,
            y("ports:\n- {name: http, port: 80}\n- {name: zzz, targetPort: foo}\n")
        );
        // oracle: index == len appends; index > len is an error
        let mut n = y(doc);
        set_all(
            &mut n,
            "ports.1.name",
            Some(LeafKind::Scalar),
            Node::str("foo"),
        )
        .unwrap();
        assert_eq!(n, y("ports:\n- {name: http, port: 80}\n- {name: foo}\n"));
        let mut n = y(doc);
        let e = set_all(
            &mut n,
            "ports.2.name",
            Some(LeafKind::Scalar),
            Node::str("foo"),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "index 2 specified but only 1 elements found");
        let e = set_all(&mut n, "ports.5.name", None, Node::str("foo")).unwrap_err();
        assert_eq!(e.to_string(), "index 5 specified but only 1 elements found");
        // oracle: a scalar element created by a matcher takes the value
        // typed like plain YAML (`[=c]` with "8080" appends 8080)
        let mut n = y("list: [a, b]\n");
        visit_targets(&mut n, &p("list.[=c]"), Some(LeafKind::Scalar), &mut |t| {
            assert!(t.created);
            *t.node = resolve_plain("8080");
            Ok(())
        })
        .unwrap();
        assert_eq!(n, y("list: [a, b, 8080]\n"));
        // oracle: creating below a null changes nothing, and is no error
        let mut n = y("nul: null\nempty:\n");
        assert_eq!(
            set_all(&mut n, "nul.a.b", Some(LeafKind::Scalar), Node::str("foo")).unwrap(),
            1
        );
        assert_eq!(
            set_all(&mut n, "empty.0", Some(LeafKind::Scalar), Node::str("foo")).unwrap(),
            1
        );
        assert_eq!(n, y("nul: null\nempty:\n"));
        assert_eq!(
            set_all(&mut n, "nul.a.b", None, Node::str("foo")).unwrap(),
            0
        );
        // nested maps
        let mut n = y("a: {}\n");
        set_all(&mut n, "a.b.c", Some(LeafKind::Scalar), Node::str("v")).unwrap();
        assert_eq!(n, y("a: {b: {c: v}}\n"));
        // wildcard with create adds the field to every element
        let mut n = y("ports:\n- {name: a}\n- {name: b}\n");
        assert_eq!(
            set_all(
                &mut n,
                "ports.*.newf",
                Some(LeafKind::Scalar),
                Node::str("x")
            )
            .unwrap(),
            2
        );
        assert_eq!(n, y("ports:\n- {name: a, newf: x}\n- {name: b, newf: x}\n"));
    }

    #[test]
    fn target_errors() {
        let mut n = y("metadata: {name: a}\n");
        // oracle: `metadata.*` is "wrong node kind: expected SequenceNode but got MappingNode"
        let e = set_all(&mut n, "metadata.*", None, Node::str("x")).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("wrong node kind: expected SequenceNode but got MappingNode"));
        assert_eq!(
            set_all(&mut n, "metadata.name.x", None, Node::str("x"))
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("wrong node kind: expected MappingNode but got ScalarNode: node contents:\na")
        );
        assert_eq!(set_all(&mut n, "spec.x", None, Node::str("x")).unwrap(), 0);
    }
}
