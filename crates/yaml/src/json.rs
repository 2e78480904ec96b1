//! JSON text exactly as Go's `encoding/json` writes a decoded document.
//!
//! kustomize hashes generated ConfigMaps and Secrets over this encoding, so
//! the bytes must match Go's: object keys sorted bytewise, `<`, `>` and `&`
//! escaped as `\u003c`-style sequences, U+2028/U+2029 escaped, and floats
//! in Go's shortest form (see [`crate::float`]).

use super::float::json_float;
use super::node::Node;

/// Encodes `node` compactly, keys sorted.
pub fn to_json(node: &Node) -> String {
    let mut out = String::new();
    write_json(node, &mut out);
    out
}

fn write_json(node: &Node, out: &mut String) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Int(i) => out.push_str(&i.to_string()),
        Node::Uint(u) => out.push_str(&u.to_string()),
        Node::Float(f) => out.push_str(&json_float(*f)),
        Node::Str(s) => write_json_string(s, out),
        Node::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Node::Map(m) => {
            let mut entries: Vec<_> = m.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(k, out);
                out.push(':');
                write_json(v, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string literal with Go's escaping (HTML-safe).
pub fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Mapping;

    #[test]
    fn sorted_keys_and_html_escapes() {
        let mut m = Mapping::new();
        m.insert("b", Node::str("<x&y>"));
        m.insert("a", Node::Int(1));
        assert_eq!(
            to_json(&Node::Map(m)),
            r#"{"a":1,"b":"\u003cx\u0026y\u003e"}"#
        );
    }
}
