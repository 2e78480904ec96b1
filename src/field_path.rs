//! Field paths into an object, `spec.template.spec.containers[name=api].image`:
//! as `compare` shows them and `explain` reads them, and followed into an
//! object.

use compose_yaml::Node;

/// One part of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    /// A mapping key (`spec`, `["example.com/x"]`), or a list index
    /// written as a key (`containers.0`).
    Key(String),
    /// A list item by position: `[0]`.
    Index(usize),
    /// A list item by one of its fields: `[name=api]`.
    Match(String, String),
}

/// Reads a field path as `compose compare` prints them, or as kustomize's
/// `replacements` write them: `spec.replicas`,
/// `spec.template.spec.containers[name=api].image` (or
/// `containers.[name=api]`), `containers[0]` (or `containers.0`),
/// `metadata.annotations["example.com/x"]` (or `[example.com/x]`).
pub(crate) fn parse_path(text: &str) -> Result<Vec<Seg>, String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("the field path is empty".into());
    }
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let (seg, after) = bracket(inner, text)?;
            out.push(seg);
            rest = after;
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = &rest[..end];
            if key.is_empty() {
                return Err(format!("`{text}` has an empty part"));
            }
            out.push(Seg::Key(key.to_string()));
            rest = &rest[end..];
        }
        if let Some(after) = rest.strip_prefix('.') {
            if after.is_empty() {
                return Err(format!("`{text}` ends with `.`"));
            }
            rest = after;
        }
    }
    Ok(out)
}

/// One bracketed part (after its `[`) and the text after its `]`.
fn bracket<'t>(inner: &'t str, text: &str) -> Result<(Seg, &'t str), String> {
    let unclosed = || format!("`{text}` has a `[` without its `]`");
    if inner.starts_with('"') {
        let mut stream = serde_json::Deserializer::from_str(inner).into_iter::<String>();
        let key = match stream.next() {
            Some(Ok(k)) => k,
            _ => return Err(format!("`{text}` has a quoted key that does not read")),
        };
        let after = inner[stream.byte_offset()..]
            .strip_prefix(']')
            .ok_or_else(unclosed)?;
        return Ok((Seg::Key(key), after));
    }
    let end = inner.find(']').ok_or_else(unclosed)?;
    let body = &inner[..end];
    let seg = if let Ok(i) = body.parse::<usize>() {
        Seg::Index(i)
    } else if let Some((field, value)) = body.split_once('=') {
        Seg::Match(field.to_string(), value.to_string())
    } else if body.is_empty() {
        return Err(format!("`{text}` has an empty `[]`"));
    } else {
        Seg::Key(body.to_string())
    };
    Ok((seg, &inner[end + 1..]))
}

/// The path of a JSON pointer into an object: digits are list indexes.
pub(crate) fn of_pointer(pointer: &str) -> Vec<Seg> {
    pointer
        .split('/')
        .skip(1)
        .map(|raw| {
            let key = raw.replace("~1", "/").replace("~0", "~");
            match key.parse::<usize>() {
                Ok(i) if !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()) => {
                    Seg::Index(i)
                }
                _ => Seg::Key(key),
            }
        })
        .collect()
}

/// The path as shown: `spec.containers[name=api].image`, keys that are
/// not plain words quoted (`metadata.annotations["example.com/x"]`).
pub(crate) fn path_text(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if is_word(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Key(k) => {
                out.push('[');
                out.push_str(&compose_yaml::json::to_json(&Node::str(k.as_str())));
                out.push(']');
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
            Seg::Match(f, v) => out.push_str(&format!("[{f}={v}]")),
        }
    }
    out
}

/// Letters, digits, `_` and `-`, not starting with a digit or `-`.
fn is_word(k: &str) -> bool {
    k.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The value at `path` in `node` and its JSON pointer there.
pub(crate) fn resolve<'n>(node: &'n Node, path: &[Seg]) -> Option<(&'n Node, String)> {
    let mut cur = node;
    let mut pointer = String::new();
    for seg in path {
        let (next, part) = match (seg, cur) {
            (Seg::Key(k), Node::Map(m)) => (m.get(k)?, compose_yaml::parse::pointer_segment(k)),
            (Seg::Key(k), Node::Seq(items)) => {
                let i: usize = k.parse().ok()?;
                (items.get(i)?, i.to_string())
            }
            (Seg::Index(i), Node::Seq(items)) => (items.get(*i)?, i.to_string()),
            (Seg::Match(f, v), Node::Seq(items)) => {
                let i = items
                    .iter()
                    .position(|item| item_key(item, f).as_deref() == Some(v))?;
                (&items[i], i.to_string())
            }
            _ => return None,
        };
        pointer.push('/');
        pointer.push_str(&part);
        cur = next;
    }
    Some((cur, pointer))
}

/// The text of an item's key field `field`, which may be a path of its
/// own (`metadata.name`, as claim templates are keyed).
pub(crate) fn item_key(item: &Node, field: &str) -> Option<String> {
    let parts: Vec<&str> = field.split('.').collect();
    item.get_path(&parts).and_then(Node::scalar_text)
}

/// The longest start of `path` that `node` has, for messages.
pub(crate) fn deepest(node: &Node, path: &[Seg]) -> usize {
    (0..=path.len())
        .rev()
        .find(|n| resolve(node, &path[..*n]).is_some())
        .unwrap_or(0)
}

/// The keys of the mapping at `path` in `node` (none when it is not a
/// mapping), for did-you-mean.
pub(crate) fn keys_at(node: &Node, path: &[Seg]) -> Vec<String> {
    match resolve(node, path) {
        Some((Node::Map(m), _)) => m.keys().map(|k| k.to_string()).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Seg {
        Seg::Key(k.into())
    }

    #[test]
    fn paths_read_as_compare_prints_them_and_as_kustomize_writes_them() {
        let want = vec![
            key("spec"),
            key("containers"),
            Seg::Match("name".into(), "api".into()),
            key("image"),
        ];
        assert_eq!(
            parse_path("spec.containers[name=api].image"),
            Ok(want.clone())
        );
        assert_eq!(parse_path("spec.containers.[name=api].image"), Ok(want));
        assert_eq!(
            parse_path("metadata.annotations[\"example.com/a.b\"]"),
            Ok(vec![
                key("metadata"),
                key("annotations"),
                key("example.com/a.b")
            ])
        );
        assert_eq!(
            parse_path("metadata.annotations.[example.com/a.b]"),
            Ok(vec![
                key("metadata"),
                key("annotations"),
                key("example.com/a.b")
            ])
        );
        assert_eq!(
            parse_path("a[0].b.1"),
            Ok(vec![key("a"), Seg::Index(0), key("b"), key("1")])
        );
        assert_eq!(
            path_text(&parse_path("a[\"x.y\"][k=v][2].b").unwrap()),
            "a[\"x.y\"][k=v][2].b"
        );
    }

    #[test]
    fn bad_paths_say_what_is_wrong() {
        assert_eq!(parse_path(" "), Err("the field path is empty".into()));
        assert_eq!(parse_path("a..b"), Err("`a..b` has an empty part".into()));
        assert_eq!(parse_path("a."), Err("`a.` ends with `.`".into()));
        assert_eq!(
            parse_path("a[0"),
            Err("`a[0` has a `[` without its `]`".into())
        );
        assert_eq!(parse_path("a[]"), Err("`a[]` has an empty `[]`".into()));
        assert_eq!(
            parse_path("a[\"b]"),
            Err("`a[\"b]` has a quoted key that does not read".into())
        );
    }

    #[test]
    fn resolving_gives_the_pointer_of_the_value() {
        let node = compose_yaml::parse_one(
            "spec:\n  containers:\n  - name: side\n  - name: api\n    image: a:1\n",
        )
        .unwrap();
        let path = parse_path("spec.containers[name=api].image").unwrap();
        let (value, pointer) = resolve(&node, &path).unwrap();
        assert_eq!(value, &Node::str("a:1"));
        assert_eq!(pointer, "/spec/containers/1/image");
        assert_eq!(
            resolve(&node, &parse_path("spec.containers.0.name").unwrap())
                .unwrap()
                .1,
            "/spec/containers/0/name"
        );
        assert!(resolve(&node, &parse_path("spec.containers[name=x]").unwrap()).is_none());
        assert_eq!(
            deepest(&node, &parse_path("spec.containers[1].imag").unwrap()),
            3
        );
        assert_eq!(
            keys_at(&node, &parse_path("spec.containers[1]").unwrap()),
            ["name", "image"]
        );
    }

    #[test]
    fn paths_quote_keys_that_are_not_words() {
        let path = [key("metadata"), key("annotations"), key("example.com/x")];
        assert_eq!(path_text(&path), "metadata.annotations[\"example.com/x\"]");
        assert_eq!(path_text(&[key("a"), key("0b")]), "a[\"0b\"]");
    }
}
