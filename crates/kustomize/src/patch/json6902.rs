//! JSON patches (RFC 6902) on a document: add, remove, replace, move, copy
//! and test, with JSON pointers (`~1` for `/`, `~0` for `~`, `-` for the
//! end of a list). Missing targets are errors, as in kustomize.

use crate::error::{Error, Result};
use compose_yaml::Node;

/// Applies a list of operations to `doc`.
pub fn apply_json6902(doc: &mut Node, ops: &Node) -> Result<()> {
    let Node::Seq(ops) = ops else {
        return Err(Error::invalid("a JSON patch must be a list of operations"));
    };
    for op in ops {
        apply_one(doc, op)?;
    }
    Ok(())
}

fn field<'a>(op: &'a Node, name: &str) -> Option<&'a Node> {
    op.get(name)
}

fn string(op: &Node, name: &str) -> Result<String> {
    match field(op, name) {
        Some(Node::Str(s)) => Ok(s.to_string()),
        _ => Err(Error::invalid(format!(
            "JSON patch operation is missing `{name}`"
        ))),
    }
}

fn apply_one(doc: &mut Node, op: &Node) -> Result<()> {
    let kind = string(op, "op")?;
    let path = string(op, "path")?;
    let value = || {
        field(op, "value")
            .cloned()
            .ok_or_else(|| Error::invalid(format!("JSON patch `{kind}` at {path} needs a value")))
    };
    match kind.as_str() {
        "add" => add(doc, &path, value()?),
        "remove" => remove(doc, &path).map(|_| ()),
        "replace" => {
            let v = value()?;
            let slot = get_mut(doc, &path)?;
            *slot = v;
            Ok(())
        }
        "move" => {
            let from = string(op, "from")?;
            let v = remove(doc, &from)?;
            add(doc, &path, v)
        }
        "copy" => {
            let from = string(op, "from")?;
            let v = get_mut(doc, &from)?.clone();
            add(doc, &path, v)
        }
        "test" => {
            let v = value()?;
            if *get_mut(doc, &path)? != v {
                return Err(Error::invalid(format!("testing value {path} failed")));
            }
            Ok(())
        }
        other => Err(Error::invalid(format!(
            "unexpected JSON patch operation `{other}`"
        ))),
    }
}

fn tokens(path: &str) -> Result<Vec<String>> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(Error::invalid(format!(
            "JSON pointer must start with '/': {path}"
        )));
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn index(token: &str, len: usize, allow_end: bool) -> Result<usize> {
    if allow_end && token == "-" {
        return Ok(len);
    }
    let i: usize = token
        .parse()
        .map_err(|_| Error::invalid(format!("invalid array index `{token}` in JSON patch")))?;
    let max = if allow_end {
        len
    } else {
        len.saturating_sub(1)
    };
    if i > max || (!allow_end && len == 0) {
        return Err(Error::invalid(format!(
            "array index {i} out of bounds in JSON patch"
        )));
    }
    Ok(i)
}

fn get_mut<'a>(doc: &'a mut Node, path: &str) -> Result<&'a mut Node> {
    let mut cur = doc;
    for t in tokens(path)? {
        cur = match cur {
            Node::Map(m) => m.get_mut(&t).ok_or_else(|| missing(path))?,
            Node::Seq(s) => {
                let i = index(&t, s.len(), false)?;
                &mut s[i]
            }
            _ => return Err(missing(path)),
        };
    }
    Ok(cur)
}

fn missing(path: &str) -> Error {
    Error::invalid(format!("JSON patch target does not exist: {path}"))
}

fn parent<'a>(doc: &'a mut Node, path: &str) -> Result<(&'a mut Node, String)> {
    let mut toks = tokens(path)?;
    let Some(last) = toks.pop() else {
        return Err(Error::invalid(
            "JSON patch cannot address the whole document",
        ));
    };
    let mut cur = doc;
    for t in toks {
        cur = match cur {
            Node::Map(m) => m.get_mut(&t).ok_or_else(|| missing(path))?,
            Node::Seq(s) => {
                let i = index(&t, s.len(), false)?;
                &mut s[i]
            }
            _ => return Err(missing(path)),
        };
    }
    Ok((cur, last))
}

fn add(doc: &mut Node, path: &str, value: Node) -> Result<()> {
    if path.is_empty() {
        *doc = value;
        return Ok(());
    }
    let (p, last) = parent(doc, path)?;
    match p {
        Node::Map(m) => {
            m.insert(last, value);
            Ok(())
        }
        Node::Seq(s) => {
            let i = index(&last, s.len(), true)?;
            s.insert(i, value);
            Ok(())
        }
        _ => Err(missing(path)),
    }
}

fn remove(doc: &mut Node, path: &str) -> Result<Node> {
    let (p, last) = parent(doc, path)?;
    match p {
        Node::Map(m) => m.remove(&last).ok_or_else(|| missing(path)),
        Node::Seq(s) => {
            let i = index(&last, s.len(), false)?;
            Ok(s.remove(i))
        }
        _ => Err(missing(path)),
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

    #[test]
    fn missing_targets_are_errors() {
        assert!(run("a: 1", "[{op: remove, path: /b}]").is_err());
        assert!(run("a: 1", "[{op: replace, path: /b, value: 1}]").is_err());
        assert!(run("a: 1", "[{op: add, path: /x/y, value: 1}]").is_err());
        assert!(run("l: [1]", "[{op: add, path: /l/5, value: 1}]").is_err());
        assert!(run("a: 1", "[{op: test, path: /a, value: 2}]").is_err());
        assert!(run(
            "a~b: 1\nc/d: 2",
            "[{op: remove, path: /a~0b}, {op: remove, path: /c~1d}]"
        )
        .is_ok());
    }
}
