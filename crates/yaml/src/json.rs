//! JSON text exactly as Go's `encoding/json` writes a decoded document.
//!
//! kustomize hashes generated ConfigMaps and Secrets over this encoding, so
//! the bytes must match Go's: object keys sorted bytewise, `<`, `>` and `&`
//! escaped as `\u003c`-style sequences, U+2028/U+2029 escaped, and floats
//! in Go's shortest form (exponent only below 1e-6 or from 1e21).

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
        Node::Float(f) => out.push_str(&go_json_float(*f)),
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

/// A float as Go's `encoding/json` prints it. Go refuses NaN and
/// infinities; callers that must fail on them check first, and here they
/// print as YAML would.
pub fn go_json_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Go: 'e' format with the shortest digits, exponent without
        // padding ("1e-07" becomes "1e-7").
        let (neg, digits, exp) = shortest_digits(f);
        let mut s = String::new();
        if neg {
            s.push('-');
        }
        s.push_str(&digits[..1]);
        if digits.len() > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('e');
        let e = exp - 1;
        s.push(if e < 0 { '-' } else { '+' });
        let ea = e.unsigned_abs();
        if ea < 10 {
            s.push('0');
        }
        s.push_str(&ea.to_string());
        // clean up e-09 to e-9 (Go only does this for negative exponents)
        if let Some(stripped) = strip_neg_exp_zero(&s) {
            return stripped;
        }
        return s;
    }
    format_fixed(f)
}

fn strip_neg_exp_zero(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let n = b.len();
    if n >= 4 && b[n - 4] == b'e' && b[n - 3] == b'-' && b[n - 2] == b'0' {
        let mut out = s[..n - 2].to_string();
        out.push(b[n - 1] as char);
        return Some(out);
    }
    None
}

/// Shortest round-trip decimal digits of `f` and the decimal point
/// position: `f = 0.DIGITS × 10^dp`.
pub(crate) fn shortest_digits(f: f64) -> (bool, String, i32) {
    // Rust's `{:e}` prints the shortest digits that round-trip.
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    (f.is_sign_negative() && f != 0.0, digits, exp + 1)
}

/// `%f` with the shortest digits (Go's 'f' format with precision -1).
fn format_fixed(f: f64) -> String {
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let (neg, digits, dp) = shortest_digits(f);
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    if dp <= 0 {
        s.push_str("0.");
        for _ in 0..(-dp) {
            s.push('0');
        }
        s.push_str(&digits);
    } else if dp as usize >= digits.len() {
        s.push_str(&digits);
        for _ in 0..(dp as usize - digits.len()) {
            s.push('0');
        }
    } else {
        s.push_str(&digits[..dp as usize]);
        s.push('.');
        s.push_str(&digits[dp as usize..]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Mapping;

    #[test]
    fn floats_like_go() {
        assert_eq!(go_json_float(1.0), "1");
        assert_eq!(go_json_float(1500.0), "1500");
        assert_eq!(go_json_float(0.5), "0.5");
        assert_eq!(go_json_float(1e21), "1e+21");
        assert_eq!(go_json_float(1e-7), "1e-7");
        assert_eq!(go_json_float(0.000001), "0.000001");
        assert_eq!(go_json_float(123456789.0), "123456789");
        assert_eq!(go_json_float(-2.5), "-2.5");
    }

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
