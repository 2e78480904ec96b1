//! Keeping Secret values out of error messages.
//!
//! Several of kustomize's messages quote what they met: the contents of a
//! node of the wrong kind, the value a replacement could not split, the
//! value a JSON patch test compared. When that node belongs to a Secret,
//! the message would print the secret. Rather than trusting every message
//! site, the steps that transform objects collect the values of the
//! Secrets they start from and scrub any message that fails.

use super::error::Error;
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
    /// written (base64) and decoded, and each `stringData` value.
    pub fn of(resources: &[Resource]) -> Secrets {
        Secrets::of_objects(resources.iter().map(|r| &r.node))
    }

    /// [`Secrets::of`] for bare objects.
    pub fn of_objects<'a>(objects: impl IntoIterator<Item = &'a Node>) -> Secrets {
        let mut out = Vec::new();
        for o in objects
            .into_iter()
            .filter(|o| o.str_at(&["kind"]) == Some("Secret"))
        {
            if let Some(data) = o.get("data") {
                collect(data, true, &mut out);
            }
            if let Some(data) = o.get("stringData") {
                collect(data, false, &mut out);
            }
        }
        out.retain(|s| s.len() >= MIN_LEN);
        out.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        out.dedup();
        Secrets(out)
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
    pub fn scrub_error(&self, error: Error) -> Error {
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
            Error::Invalid { path, message } => Error::Invalid {
                path,
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
            restricted @ Error::Restricted { .. } => restricted,
        }
    }
}

/// Every scalar under `node`; base64 values also decoded, when they
/// decode to text.
fn collect(node: &Node, base64: bool, out: &mut Vec<String>) {
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
                        // Multi-line values may be quoted a line at a time.
                        out.extend(decoded.lines().map(str::to_string));
                        out.push(decoded);
                    }
                }
            }
            out.push(text);
        }
    }
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
        let e = Error::invalid("value p4ssw0rd is bad").context("while using p4ssw0rd");
        assert_eq!(
            s.scrub_error(e).to_string(),
            "while using [redacted]: value [redacted] is bad"
        );
    }
}
