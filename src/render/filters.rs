//! Helm-style template filters, so a `helm-minimal` chart's kustomization
//! template ports with few changes.
//!
//! | filter | meaning |
//! |---|---|
//! | `toYaml` | the value as YAML (kustomize's own writer), no final newline |
//! | `toJson` | the value as compact JSON |
//! | `indent(n)` | every line prefixed with n spaces |
//! | `nindent(n)` | a newline, then `indent(n)` |
//! | `quote` / `squote` | the text in double (escaped) / single quotes |
//! | `default(d)` | `d` when the value is empty (undefined, none, false, 0, "", [], {}) |
//! | `required(msg)` | fails with `msg` when the value is undefined, none or "" |
//! | `b64enc` / `b64dec` | base64 (standard alphabet, padded) |
//!
//! `trim`, `upper` and `lower` are minijinja's built-ins, which already
//! behave like Helm's.
//!
//! Numbers given to a filter are bounded (an indent is at most
//! [`MAX_INDENT`] spaces), and a filter pays the template's fuel for the
//! text it makes before making it, so no argument can exhaust memory.

use base64::Engine as _;
use compose_yaml::{emit_document, json::to_json, Mapping, Node};
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};

/// The widest indent `indent` and `nindent` make.
pub(crate) const MAX_INDENT: usize = 1024;

/// How deeply a value given to `toYaml` or `toJson` may nest.
const MAX_NESTING: usize = 200;

/// Registers every filter on `env`.
pub(crate) fn register(env: &mut Environment<'_>) {
    env.add_filter("toYaml", to_yaml);
    env.add_filter("toJson", to_json_filter);
    env.add_filter("indent", indent);
    env.add_filter("nindent", nindent);
    env.add_filter("quote", quote);
    env.add_filter("squote", squote);
    env.add_filter("default", default);
    env.add_filter("required", required);
    env.add_filter("b64enc", b64enc);
    env.add_filter("b64dec", b64dec);
}

/// minijinja value -> document node.
pub(crate) fn to_node(v: &Value) -> Result<Node, Error> {
    to_node_at(v, 0)
}

fn to_node_at(v: &Value, depth: usize) -> Result<Node, Error> {
    if depth > MAX_NESTING {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("the value nests deeper than {MAX_NESTING} levels"),
        ));
    }
    let to_node = |x: &Value| to_node_at(x, depth + 1);
    Ok(match v.kind() {
        ValueKind::Undefined => {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "cannot convert an undefined value",
            ))
        }
        ValueKind::None => Node::Null,
        ValueKind::Bool => Node::Bool(v.is_true()),
        ValueKind::Number => match v.as_i64() {
            Some(i) => Node::Int(i),
            None => match f64::try_from(v.clone()) {
                Ok(f) => Node::Float(f),
                Err(_) => Node::str(v.to_string()),
            },
        },
        ValueKind::String | ValueKind::Bytes => Node::str(
            v.as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string()),
        ),
        ValueKind::Seq | ValueKind::Iterable => Node::Seq(
            v.try_iter()?
                .map(|x| to_node(&x))
                .collect::<Result<_, _>>()?,
        ),
        ValueKind::Map => {
            let mut m = Mapping::new();
            for k in v.try_iter()? {
                let item = v.get_item(&k)?;
                m.insert(
                    k.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| k.to_string()),
                    to_node(&item)?,
                );
            }
            Node::Map(m)
        }
        _ => Node::str(v.to_string()),
    })
}

/// The value as YAML, written as is (safe). A scalar is always one line
/// (a multi-line string is written double-quoted), so
/// `key: {{ v | toYaml }}` is well-formed for any value; maps and lists
/// are blocks, to be placed with `nindent`.
fn to_yaml(state: &State, v: Value) -> Result<Value, Error> {
    let node = to_node(&v)?;
    pay(state, compose_yaml::emit::estimated_len(&node))?;
    let text = emit_document(&node);
    let text = text.strip_suffix('\n').unwrap_or(&text);
    if node.is_scalar() && text.contains('\n') {
        return Ok(Value::from_safe_string(to_json(&node)));
    }
    Ok(Value::from_safe_string(text.to_string()))
}

fn to_json_filter(state: &State, v: Value) -> Result<Value, Error> {
    let node = to_node(&v)?;
    pay(state, compose_yaml::emit::estimated_len(&node))?;
    Ok(Value::from_safe_string(to_json(&node)))
}

/// Pays the fuel for `bytes` of text before it is made.
fn pay(state: &State, bytes: usize) -> Result<(), Error> {
    state.consume_fuel(u64::try_from(bytes / 64).unwrap_or(u64::MAX))
}

/// The text of a value, as Helm would print it (`none` prints nothing).
fn text(v: &Value) -> String {
    if v.is_none() || v.is_undefined() {
        String::new()
    } else {
        v.as_str()
            .map(str::to_string)
            .unwrap_or_else(|| v.to_string())
    }
}

/// Keeps the output safe (written as is) when the input was.
fn like(input: &Value, text: String) -> Value {
    if input.is_safe() {
        Value::from_safe_string(text)
    } else {
        Value::from(text)
    }
}

fn indent(state: &State, v: Value, n: Value) -> Result<Value, Error> {
    let n = indent_width("indent", &n)?;
    Ok(like(&v, indent_by(state, &v, n)?))
}

fn indent_by(state: &State, v: &Value, n: usize) -> Result<String, Error> {
    let text = text(v);
    let lines = text.bytes().filter(|b| *b == b'\n').count() + 1;
    pay(state, text.len().saturating_add(lines.saturating_mul(n)))?;
    let pad = " ".repeat(n);
    Ok(format!("{pad}{}", text.replace('\n', &format!("\n{pad}"))))
}

fn nindent(state: &State, v: Value, n: Value) -> Result<Value, Error> {
    let n = indent_width("nindent", &n)?;
    Ok(like(&v, format!("\n{}", indent_by(state, &v, n)?)))
}

/// An indent width, checked: a whole number from 0 to [`MAX_INDENT`].
fn indent_width(filter: &str, n: &Value) -> Result<usize, Error> {
    match n.as_i64().and_then(|n| usize::try_from(n).ok()) {
        Some(n) if n <= MAX_INDENT => Ok(n),
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("{filter}({n}): the width must be 0 to {MAX_INDENT}"),
        )),
    }
}

/// The text in YAML double quotes, escaped, written as is (safe).
fn quote(state: &State, v: Value) -> Result<Value, Error> {
    if v.is_none() || v.is_undefined() {
        return Ok(Value::from_safe_string(String::new()));
    }
    let text = text(&v);
    // Each character becomes at most four.
    pay(state, text.len().saturating_mul(4))?;
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            // Control characters, and the Unicode line and paragraph
            // separators that YAML would read as line breaks.
            c if breaks_quotes(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    Ok(Value::from_safe_string(out))
}

/// A character that single quotes cannot hold as itself.
fn breaks_quotes(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

/// The text in YAML single quotes (`'` doubled), written as is (safe).
/// Text that single quotes cannot hold (a line break, a control
/// character) is double-quoted instead.
fn squote(state: &State, v: Value) -> Result<Value, Error> {
    if v.is_none() || v.is_undefined() {
        return Ok(Value::from_safe_string(String::new()));
    }
    let t = text(&v);
    if t.chars().any(breaks_quotes) {
        return quote(state, v);
    }
    Ok(Value::from_safe_string(format!(
        "'{}'",
        t.replace('\'', "''")
    )))
}

/// Helm's notion of empty.
fn is_empty(v: &Value) -> bool {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => true,
        ValueKind::Bool => !v.is_true(),
        ValueKind::Number => !v.is_true(),
        ValueKind::String => v.as_str().is_some_and(str::is_empty),
        ValueKind::Seq | ValueKind::Map => v.len() == Some(0),
        _ => false,
    }
}

fn default(v: Value, fallback: Value) -> Value {
    if is_empty(&v) {
        fallback
    } else {
        v
    }
}

fn required(v: Value, message: Option<String>) -> Result<Value, Error> {
    let missing = v.is_undefined() || v.is_none() || v.as_str().is_some_and(str::is_empty);
    if missing {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            message.unwrap_or_else(|| "a required value is missing".into()),
        ));
    }
    Ok(v)
}

fn b64enc(v: Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(text(&v))
}

fn b64dec(v: Value) -> Result<String, Error> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text(&v).trim())
        .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("b64dec: {e}")))?;
    String::from_utf8(bytes).map_err(|_| {
        Error::new(
            ErrorKind::InvalidOperation,
            "b64dec: the decoded bytes are not UTF-8 text",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    fn render(src: &str, ctx: Value) -> Result<String, Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        register(&mut env);
        env.render_str(src, ctx)
    }

    #[test]
    fn to_yaml_quotes_what_yaml_would_misread() {
        let ctx = context! { tag => "1.10", on => "on", plain => "latest", n => 3, m => context!{ b => 1, a => "x" } };
        assert_eq!(
            render(
                "{{ tag | toYaml }} {{ on | toYaml }} {{ plain | toYaml }} {{ n | toYaml }}",
                ctx.clone()
            )
            .unwrap(),
            "\"1.10\" \"on\" latest 3"
        );
        assert_eq!(render("{{ m | toYaml }}", ctx).unwrap(), "a: x\nb: 1");
    }

    #[test]
    fn indentation_filters() {
        let ctx = context! { s => "a: 1\nb: 2" };
        assert_eq!(
            render("{{ s | indent(2) }}", ctx.clone()).unwrap(),
            "  a: 1\n  b: 2"
        );
        assert_eq!(
            render("x:{{ s | nindent(2) }}", ctx).unwrap(),
            "x:\n  a: 1\n  b: 2"
        );
    }

    #[test]
    fn quoting_and_encoding() {
        let ctx = context! { s => "say \"hi\"\n", e => "aGVsbG8=" };
        assert_eq!(
            render("{{ s | quote }}", ctx.clone()).unwrap(),
            "\"say \\\"hi\\\"\\n\""
        );
        assert_eq!(render("{{ 'it' | squote }}", ctx.clone()).unwrap(), "'it'");
        assert_eq!(
            render("{{ 'hello' | b64enc }} {{ e | b64dec }}", ctx).unwrap(),
            "aGVsbG8= hello"
        );
        assert_eq!(
            render("{{ 'not base64!' | b64dec }}", context! {})
                .unwrap_err()
                .to_string(),
            "invalid operation: b64dec: Invalid symbol 32, offset 3. (in <string>:1)"
        );
    }

    #[test]
    fn default_and_required_follow_helm() {
        let ctx = context! { empty => "", zero => 0, set => "v", m => context!{} };
        assert_eq!(render("{{ empty | default('d') }} {{ zero | default(5) }} {{ set | default('d') }} {{ m.missing | default('u') }}", ctx.clone()).unwrap(), "d 5 v u");
        let err = render(
            "{{ empty | required('namespace is required') }}",
            ctx.clone(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("namespace is required"), "{err}");
        assert_eq!(render("{{ set | required('x') }}", ctx).unwrap(), "v");
    }

    #[test]
    fn builtins_trim_upper_lower_remain() {
        assert_eq!(
            render("{{ ' Ab ' | trim | upper }}{{ 'C' | lower }}", context! {}).unwrap(),
            "ABc"
        );
    }
}
