//! Go regular expressions (RE2 syntax, Go's `regexp`) compiled with the
//! `regex` crate.
//!
//! kustomize matches several user-written patterns with Go's `regexp`:
//! the name of an `images:` entry (built into
//! `^NAME(:tag)?(@sha256:digest)?$` without escaping), the fields of a
//! patch `target` or replacement selector (anchored as `^(?:PATTERN)$`),
//! and the value of a `[field=value]` step of a replacement path (not
//! anchored). Each caller adds its own anchoring; this module only makes
//! the `regex` crate read the pattern as Go reads it.
//!
//! Both engines take RE2 syntax and match in linear time, but they read
//! some patterns differently. Measured against kubectl kustomize v5.5.0
//! (image names matched against image references), [`translate`]
//! rewrites these cases before compiling:
//!
//! - `\d`, `\w`, `\s`, `\b` and their negations are ASCII-only in Go and
//!   Unicode-aware in the `regex` crate (`app\d` does not match `app٣` in
//!   kustomize): they become explicit ASCII classes and `(?-u:\b)`.
//! - A `{` that does not start a valid repetition (`a{`, `a{2`, `a{,2}`)
//!   is a literal in Go and an error in the `regex` crate: it is escaped.
//! - Inside a bracket class, `[` (other than a POSIX `[:name:]` class),
//!   `&` and `~` are literals in Go, while the `regex` crate reads nested
//!   classes and the set operations `&&`, `~~` (`[a[b]]` matches `a]` in
//!   kustomize): they are escaped.
//! - `\Q...\E` quotes a literal in Go only: the text is escaped.
//! - Go refuses a repetition count above 1000 and a repetition of a
//!   repetition (`a**`); the `regex` crate accepts both. They are refused
//!   here with Go's message (kustomize itself crashes on any invalid
//!   pattern; compose reports it).
//!
//! Other error messages are the `regex` crate's own (kustomize crashes
//! on an invalid `images:` name; see docs/COMPATIBILITY.md on errors).

use regex::Regex;

/// Largest repetition count RE2 accepts.
const MAX_REPEAT: u32 = 1000;

/// Compiles a Go pattern. The error is a message body in Go's form where
/// this module knows it (`invalid nested repetition operator: `**``),
/// otherwise the `regex` crate's own.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    let translated = translate(pattern)?;
    Regex::new(&translated).map_err(|e| {
        e.to_string()
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .trim_start_matches("error: ")
            .to_string()
    })
}

/// The ASCII class Go means by a Perl class letter (`d`, `D`, `w`, `W`,
/// `s`, `S`): the items, and whether the class is negated.
fn perl_class(letter: char) -> Option<(&'static str, bool)> {
    let items = match letter.to_ascii_lowercase() {
        'd' => "0-9",
        'w' => "0-9A-Za-z_",
        's' => "\\t\\n\\f\\r ",
        _ => return None,
    };
    Some((items, letter.is_ascii_uppercase()))
}

/// Copies the escape at `chars[i]` (a backslash and what follows) to
/// `out`, with its braces for `\x{..}`, `\p{..}` and `\P{..}`. Returns the
/// index after it.
fn copy_escape(chars: &[char], i: usize, out: &mut String) -> Result<usize, String> {
    let Some(&c) = chars.get(i + 1) else {
        return Err("trailing backslash at end of expression: ``".into());
    };
    out.push('\\');
    out.push(c);
    let mut j = i + 2;
    if matches!(c, 'x' | 'p' | 'P') && chars.get(j) == Some(&'{') {
        while let Some(&d) = chars.get(j) {
            out.push(d);
            j += 1;
            if d == '}' {
                break;
            }
        }
    }
    Ok(j)
}

/// A valid repetition `{n}`, `{n,}` or `{n,m}` at `chars[i]`: its length
/// and bounds.
fn braces(chars: &[char], i: usize) -> Option<(usize, u32, Option<u32>)> {
    let rest: String = chars[i..].iter().take_while(|c| **c != '}').collect();
    if chars.get(i + rest.chars().count()) != Some(&'}') {
        return None;
    }
    let inner = rest.strip_prefix('{')?;
    let number = |s: &str| -> Option<u32> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Go reads overlong counts as invalid, not as literals.
        Some(s.parse::<u32>().unwrap_or(u32::MAX))
    };
    let (min, max) = match inner.split_once(',') {
        None => {
            let n = number(inner)?;
            (n, Some(n))
        }
        Some((lo, "")) => (number(lo)?, None),
        Some((lo, hi)) => (number(lo)?, Some(number(hi)?)),
    };
    Some((rest.chars().count() + 1, min, max))
}

/// `pattern`, rewritten so that the `regex` crate reads it as Go does
/// (see the module documentation).
pub(crate) fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    // The text of the repetition operator just copied, if the last thing
    // copied was one (Go refuses a repetition of it).
    let mut last_repeat: Option<usize> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let mut repeat = false;
        match c {
            '\\' => match chars.get(i + 1) {
                Some(&l) if perl_class(l).is_some() => {
                    let (items, negated) = perl_class(l).unwrap_or_default();
                    out.push_str(if negated { "[^" } else { "[" });
                    out.push_str(items);
                    out.push(']');
                    i += 2;
                }
                Some(&l @ ('b' | 'B')) => {
                    out.push_str("(?-u:\\");
                    out.push(l);
                    out.push(')');
                    i += 2;
                }
                Some('Q') => {
                    let body: String = chars[i + 2..].iter().collect();
                    let (quoted, after) = match body.find("\\E") {
                        Some(end) => (&body[..end], i + 2 + body[..end].chars().count() + 2),
                        None => (&body[..], chars.len()),
                    };
                    out.push_str(&regex::escape(quoted));
                    i = after;
                }
                _ => i = copy_escape(&chars, i, &mut out)?,
            },
            '[' => i = class(&chars, i, &mut out),
            '*' | '+' | '?' => {
                out.push(c);
                i += 1;
                repeat = true;
            }
            '{' => match braces(&chars, i) {
                Some((len, min, max)) => {
                    if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT || m < min) {
                        let text: String = chars[i..i + len].iter().collect();
                        return Err(format!("invalid repeat count: `{text}`"));
                    }
                    out.extend(&chars[i..i + len]);
                    i += len;
                    repeat = true;
                }
                None => {
                    out.push_str("\\{");
                    i += 1;
                }
            },
            _ => {
                out.push(c);
                i += 1;
            }
        }
        if repeat {
            // A `?` right after a repetition makes it lazy.
            if chars.get(i) == Some(&'?') {
                out.push('?');
                i += 1;
            }
            if let Some(prev) = last_repeat {
                let text: String = chars[prev..i].iter().collect();
                return Err(format!("invalid nested repetition operator: `{text}`"));
            }
            last_repeat = Some(start);
        } else {
            last_repeat = None;
        }
    }
    Ok(out)
}

/// Copies the bracket class starting at `chars[i]` (`[`) to `out`, as Go
/// reads it; returns the index after it. An unclosed class is copied as
/// it is, for the `regex` crate to refuse.
fn class(chars: &[char], mut i: usize, out: &mut String) -> usize {
    out.push('[');
    i += 1;
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    // A `]` first in the class is a literal.
    if chars.get(i) == Some(&']') {
        out.push_str("\\]");
        i += 1;
    }
    while let Some(&c) = chars.get(i) {
        match c {
            ']' => {
                out.push(']');
                return i + 1;
            }
            '\\' => match chars.get(i + 1).and_then(|&l| perl_class(l)) {
                Some((items, false)) => {
                    out.push_str(items);
                    i += 2;
                }
                Some((items, true)) => {
                    // a nested negated class, united with the rest
                    out.push_str("[^");
                    out.push_str(items);
                    out.push(']');
                    i += 2;
                }
                None => match copy_escape(chars, i, out) {
                    Ok(next) => i = next,
                    Err(_) => return chars.len(),
                },
            },
            '[' if chars.get(i + 1) == Some(&':') => {
                // a POSIX class, `[:alpha:]`
                let rest: String = chars[i..].iter().collect();
                match rest.find(":]") {
                    Some(end) => {
                        out.push_str(&rest[..end + 2]);
                        i += rest[..end + 2].chars().count();
                    }
                    None => {
                        out.push_str("\\[");
                        i += 1;
                    }
                }
            }
            '[' | '&' | '~' => {
                out.push('\\');
                out.push(c);
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    chars.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        compile(p).unwrap().is_match(s)
    }

    /// The image-name pattern kustomize builds around an `images:` name.
    fn image(name: &str) -> String {
        format!("^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$")
    }

    #[test]
    fn basics() {
        assert!(m("^abc$", "abc"));
        assert!(!m("^abc$", "abcd"));
        assert!(m("abc", "xxabcxx"));
        assert!(m("^a.c$", "abc"));
        assert!(!m("^a.c$", "a\nc"));
        assert!(m("^a|b$", "axxx"));
        assert!(m("^a|b$", "xxxb"));
        assert!(!m("^a|b$", "xbx"));
        assert!(m("^(ab)+$", "ababab"));
        assert!(!m("^(ab)+$", ""));
        assert!(m("^a*$", ""));
        assert!(m("^a{2,3}$", "aaa"));
        assert!(!m("^a{2,3}$", "aaaa"));
        assert!(m("^a{2}$", "aa"));
        assert!(m("^a{2,}$", "aaaaa"));
        assert!(m("^a*?b$", "aab"));
        assert!(m("^[a-c]+$", "abcabc"));
        assert!(!m("^[^a-c]+$", "abd"));
        assert!(m("^\\d+\\.\\d+$", "1.21"));
        assert!(m("^(?:x|y)z$", "yz"));
        assert!(m("^(?P<n>x)$", "x"));
        assert!(m("^[]a]$", "]"));
        assert!(m("^(a*)*$", "aaaa"));
        assert!(m("^(a|)+b$", "aab"));
        assert!(m("^\\x{41}$", "A"));
    }

    /// Each case was checked with kubectl kustomize v5.5.0: an `images:`
    /// entry with the name on the left, and an image reference on the
    /// right, which kustomize rewrites (true) or leaves alone (false).
    #[test]
    fn image_names_match_as_in_kustomize() {
        for (name, reference, rewritten) in [
            ("nginx", "nginx:1.0@sha256:abc", true),
            ("nginx", "nginx:{{tag}}", true),
            ("nginx", "nginx@md5:x", false),
            ("a.c", "abc:1", true),
            ("reg.io:5000/app", "reg.io:5000/app", true),
            ("(nginx|redis)", "redis:7", true),
            // Perl classes are ASCII-only
            ("app\\d", "app3", true),
            ("app\\d", "app٣", false),
            ("a\\w", "aé", false),
            ("x\\bnginx", "nginx", false),
            // `.` is one character, not one byte
            ("a.c", "aéc", true),
            // a `{` that starts no repetition is a literal
            ("a{", "a{", true),
            ("a{2", "a{2", true),
            // `[` inside a class is a literal
            ("[a[b]]", "a]", true),
            ("\\Qa.b\\E", "a.b", true),
            ("(?i)NGINX", "nginx", true),
            ("[[:alpha:]]+", "nginx", true),
            ("\\pL+", "nginx", true),
            ("\\p{Greek}+", "nginx", false),
            ("\\p{Greek}+", "αβ", true),
        ] {
            assert_eq!(
                m(&image(name), reference),
                rewritten,
                "name {name:?}, image {reference:?}"
            );
        }
    }

    #[test]
    fn classes_inside_brackets_stay_ascii() {
        assert!(m("^[\\d]$", "5"));
        assert!(!m("^[\\d]$", "٣"));
        assert!(m("^[^\\D]$", "5"));
        assert!(m("^[x\\S]$", "y"));
        assert!(!m("^[x\\S]$", " "));
        assert!(m("^[a&&b]$", "&"));
        assert!(m("^[~]$", "~"));
    }

    #[test]
    fn errors_name_what_is_wrong() {
        for (bad, want) in [
            ("a**", "invalid nested repetition operator: `**`"),
            ("a+*?", "invalid nested repetition operator: `+*?`"),
            ("a{2}*", "invalid nested repetition operator: `{2}*`"),
            ("a{1001}", "invalid repeat count: `{1001}`"),
            ("a{3,2}", "invalid repeat count: `{3,2}`"),
            ("\\", "trailing backslash at end of expression: ``"),
        ] {
            assert_eq!(compile(bad).err().as_deref(), Some(want), "{bad}");
        }
        for (bad, want) in [
            ("[", "unclosed character class"),
            ("(", "unclosed group"),
            (")", "unopened group"),
            ("*a", "repetition operator missing expression"),
            ("\\p{NoSuchScript}", "Unicode property not found"),
        ] {
            assert_eq!(compile(bad).err().as_deref(), Some(want), "{bad}");
        }
    }
}
