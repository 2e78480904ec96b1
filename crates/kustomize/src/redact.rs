//! Keeping Secret values out of error messages.
//!
//! Several of kustomize's messages quote what they met: the contents of a
//! node of the wrong kind, the value a replacement could not split, the
//! value a JSON patch test compared. When that node belongs to a Secret,
//! the message would print the secret. Rather than trusting every message
//! site, the steps that transform objects collect the values of the
//! Secrets they start from and scrub any message that fails.
//!
//! A value reaches a message in many forms, and each is scrubbed: as
//! written, JSON-escaped (a node quoted as JSON escapes line breaks and
//! quotes, as Go's encoder and as serde's do), YAML-quoted, base64
//! (whole, and wrapped at 76 columns, as `base64` and PEM write it), and
//! each line of a multi-line value on its own, in each of those forms.

use super::error::Error;
use super::kustomization::Kustomization;
use super::loader::Loader;
use super::resource::Resource;
use base64::Engine as _;
use compose_yaml::Node;

/// Values shorter than this are not scrubbed: replacing every `a` or
/// `true` would wreck the message while protecting nothing a reader
/// could not guess.
const MIN_LEN: usize = 4;

/// Texts that must not appear in a message, longest first.
#[derive(Debug, Default)]
pub struct Secrets(Vec<String>);

impl Secrets {
    /// The values of every Secret among `resources`: each `data` value as
    /// written (base64) and decoded, and each `stringData` value, in every
    /// form a message may quote them.
    pub(crate) fn of(resources: &[Resource]) -> Secrets {
        Secrets::of_objects(resources.iter().map(|r| &r.node))
    }

    /// [`Secrets::of`] for bare objects.
    pub fn of_objects<'a>(objects: impl IntoIterator<Item = &'a Node>) -> Secrets {
        let mut values = Vec::new();
        for o in objects
            .into_iter()
            .filter(|o| o.str_at(&["kind"]) == Some("Secret"))
        {
            values_of_secret(o, &mut values);
        }
        Secrets::of_values(values)
    }

    /// Every form of each of `values` (see the module docs).
    pub(crate) fn of_values(values: impl IntoIterator<Item = String>) -> Secrets {
        let mut out = Vec::new();
        for v in values {
            forms(&v, &mut out);
        }
        out.retain(|s| s.len() >= MIN_LEN);
        out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        out.dedup();
        Secrets(out)
    }

    /// These secrets and `other`'s.
    pub(crate) fn and(mut self, other: Secrets) -> Secrets {
        self.0.extend(other.0);
        self.0
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        self.0.dedup();
        self
    }

    /// Whether there is nothing to scrub.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `text` with every secret replaced by `[redacted]`.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for s in &self.0 {
            if text.contains(s.as_str()) {
                text = text.replace(s.as_str(), "[redacted]");
            }
        }
        text
    }

    /// `error` with its every message scrubbed.
    pub(crate) fn scrub_error(&self, error: Error) -> Error {
        if self.is_empty() {
            return error;
        }
        match error {
            Error::Io { path, reason } => Error::Io {
                path,
                reason: self.scrub(&reason),
            },
            Error::Yaml { path, mut error } => {
                error.message = self.scrub(&error.message);
                Error::Yaml { path, error }
            }
            Error::Invalid { kind, message } => Error::Invalid {
                kind,
                message: self.scrub(&message),
            },
            Error::Unsupported { feature, path } => Error::Unsupported {
                feature: self.scrub(&feature),
                path,
            },
            Error::Context { context, source } => Error::Context {
                context: self.scrub(&context),
                source: Box::new(self.scrub_error(*source)),
            },
            Error::At {
                mut location,
                hint,
                source,
            } => {
                // The excerpt of a line must not show a secret either.
                location.source = location.source.map(|text| self.scrub(&text).into());
                Error::At {
                    location,
                    hint: hint.map(|h| self.scrub(&h)),
                    source: Box::new(self.scrub_error(*source)),
                }
            }
            restricted @ Error::Restricted { .. } => restricted,
        }
    }
}

/// The secret values a kustomization's patches carry, which a failing
/// patch's message may quote before they are in any Secret: the `data`
/// and `stringData` of strategic-merge patches of Secrets, and the values
/// of JSON patches that may apply to a Secret (whose target names the kind
/// Secret, or no kind). Patch files that cannot be read give nothing.
pub(crate) fn of_patches(kust: &Kustomization, loader: &Loader<'_>) -> Secrets {
    let mut values = Vec::new();
    let text_of = |inline: Option<String>, path: Option<String>| match (inline, path) {
        (Some(t), _) if !t.trim().is_empty() => Some(t),
        (_, Some(p)) if !p.is_empty() => loader.read_text(&p).ok(),
        _ => None,
    };
    let mut patches: Vec<(String, Option<String>)> = Vec::new();
    for field in ["patches", "patchesJson6902"] {
        for entry in kust.list(field) {
            let get = |k: &str| entry.get(k).and_then(Node::scalar_text);
            let target_kind = entry
                .get("target")
                .map(|t| t.str_at(&["kind"]).unwrap_or_default().to_string());
            if let Some(t) = text_of(get("patch"), get("path")) {
                patches.push((t, target_kind));
            }
        }
    }
    for entry in kust.str_list("patchesStrategicMerge") {
        let inline = entry.contains('\n') || entry.contains(':');
        let text = if inline {
            Some(entry)
        } else {
            text_of(None, Some(entry))
        };
        patches.extend(text.map(|t| (t, None)));
    }
    for (text, target_kind) in patches {
        let may_be_secret = target_kind
            .as_deref()
            .is_none_or(|k| k.is_empty() || k == "Secret");
        for doc in compose_yaml::parse_stream(&text).unwrap_or_default() {
            match &doc {
                Node::Seq(ops) if may_be_secret => {
                    for op in ops {
                        if let Some(v) = op.get("value") {
                            collect(v, false, &mut values);
                        }
                    }
                }
                Node::Map(_) => {
                    let kind = doc.str_at(&["kind"]);
                    if kind == Some("Secret") || (kind.is_none() && may_be_secret) {
                        values_of_secret(&doc, &mut values);
                    }
                }
                _ => {}
            }
        }
    }
    Secrets::of_values(values)
}

/// The values of one Secret: its `data` as written and decoded, and its
/// `stringData`.
pub(crate) fn values_of_secret(secret: &Node, out: &mut Vec<String>) {
    if let Some(data) = secret.get("data") {
        collect(data, true, out);
    }
    if let Some(data) = secret.get("stringData") {
        collect(data, false, out);
    }
}

/// Every scalar under `node`; base64 values also compacted and decoded,
/// when they decode to text.
pub(crate) fn collect(node: &Node, base64: bool, out: &mut Vec<String>) {
    match node {
        Node::Map(m) => m.iter().for_each(|(_, v)| collect(v, base64, out)),
        Node::Seq(s) => s.iter().for_each(|v| collect(v, base64, out)),
        other => {
            let Some(text) = other.scalar_text() else {
                return;
            };
            if base64 {
                let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                if let Ok(decoded) =
                    base64::engine::general_purpose::STANDARD.decode(compact.as_bytes())
                {
                    if let Ok(decoded) = String::from_utf8(decoded) {
                        out.push(decoded);
                    }
                }
                out.push(compact);
            }
            out.push(text);
        }
    }
}

/// Pushes every form in which a message may quote `value`: the value and
/// each of its lines, each as written, JSON-escaped (Go's way and
/// serde's), YAML single-quoted and escaped the way double quotes need;
/// and the value's base64, whole and in lines of 76 characters.
fn forms(value: &str, out: &mut Vec<String>) {
    let mut texts = vec![value.to_string()];
    let lines: Vec<&str> = value
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    if lines.len() > 1 {
        texts.extend(lines.iter().map(|l| l.to_string()));
        // A line quoted on its own may lose its indentation.
        texts.extend(
            lines
                .iter()
                .filter(|l| l.trim() != **l)
                .map(|l| l.trim().to_string()),
        );
    }
    for t in &texts {
        out.push(t.clone());
        let mut go = String::new();
        compose_yaml::json::write_json_string(t, &mut go);
        out.push(unquote(&go).to_string());
        out.push(escaped(t));
        out.push(t.replace('\'', "''"));
    }
    let b64 = base64::engine::general_purpose::STANDARD.encode(value.as_bytes());
    let wrapped: Vec<String> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    if wrapped.len() > 1 {
        out.extend(wrapped);
    }
    out.push(b64);
}

/// `s` without its surrounding double quotes.
fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// `s` with `"`, `\` and control characters escaped as JSON (serde's
/// way, and a YAML double-quoted scalar's for the common ones) does.
fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_one;

    fn secret(doc: &str) -> Secrets {
        let node = parse_one(doc).unwrap_or(Node::Null);
        Secrets::of(&[Resource::new(node)])
    }

    #[test]
    fn scrubs_plain_encoded_and_decoded_values() {
        // "hunter2-token" in base64.
        let s = secret(
            "kind: Secret\ndata: {a: aHVudGVyMi10b2tlbg==}\nstringData: {b: correct-horse}\n",
        );
        let msg = s.scrub("got hunter2-token, aHVudGVyMi10b2tlbg== and correct-horse");
        assert_eq!(msg, "got [redacted], [redacted] and [redacted]");
    }

    #[test]
    fn leaves_other_kinds_and_short_values_alone() {
        assert!(secret("kind: ConfigMap\ndata: {a: visible-value}\n").is_empty());
        let s = secret("kind: Secret\nstringData: {a: abc, b: longer-one}\n");
        assert_eq!(s.scrub("abc longer-one"), "abc [redacted]");
    }

    #[test]
    fn scrubs_every_layer_of_an_error() {
        let s = secret("kind: Secret\nstringData: {a: p4ssw0rd}\n");
        let e = Error::reference("value p4ssw0rd is bad").context("while using p4ssw0rd");
        assert_eq!(
            s.scrub_error(e).to_string(),
            "while using [redacted]: value [redacted] is bad"
        );
    }
}
