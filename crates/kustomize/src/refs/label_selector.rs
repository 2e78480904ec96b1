//! Kubernetes label selectors (`app=web,tier!=db,env in (a,b),!legacy`),
//! used by replacement target selectors for labels and annotations.
//!
//! Requirements are separated by commas; each is `key`, `!key`,
//! `key=value`, `key==value`, `key!=value`, `key in (v,...)` or
//! `key notin (v,...)`. An object matches when every requirement holds;
//! `!=` and `notin` hold when the key is absent.

use crate::error::{Error, Result};

#[derive(Clone, Debug, PartialEq)]
enum Op {
    Exists,
    NotExists,
    Eq(String),
    NotEq(String),
    In(Vec<String>),
    NotIn(Vec<String>),
}

/// A parsed selector.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LabelSelector {
    reqs: Vec<(String, Op)>,
}

impl LabelSelector {
    /// Parses selector text; an empty text selects everything.
    pub(crate) fn parse(text: &str) -> Result<LabelSelector> {
        let mut reqs = Vec::new();
        for part in split_top(text) {
            let part = part.trim();
            if part.is_empty() {
                if text.trim().is_empty() {
                    continue;
                }
                return Err(bad(text, "empty requirement"));
            }
            reqs.push(parse_req(part).ok_or_else(|| bad(text, part))?);
        }
        Ok(LabelSelector { reqs })
    }

    /// Whether the key/value pairs satisfy every requirement.
    pub(crate) fn matches(&self, pairs: &[(String, String)]) -> bool {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        self.reqs.iter().all(|(k, op)| match op {
            Op::Exists => get(k).is_some(),
            Op::NotExists => get(k).is_none(),
            Op::Eq(v) => get(k) == Some(v.as_str()),
            Op::NotEq(v) => get(k) != Some(v.as_str()),
            Op::In(vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Op::NotIn(vs) => !get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
        })
    }
}

fn bad(text: &str, what: &str) -> Error {
    Error::transformer(format!(
        "unable to parse requirement: invalid selector {text:?}: {what}"
    ))
}

/// Splits at commas outside parentheses.
fn split_top(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

fn parse_req(part: &str) -> Option<(String, Op)> {
    if let Some(key) = part.strip_prefix('!') {
        let key = key.trim();
        return valid_key(key).then(|| (key.to_string(), Op::NotExists));
    }
    for (sym, neg) in [("!=", true), ("==", false), ("=", false)] {
        if let Some((k, v)) = part.split_once(sym) {
            let (k, v) = (k.trim(), v.trim());
            if !valid_key(k) || v.contains(['=', '!', '(', ')', ' ']) {
                return None;
            }
            let op = if neg {
                Op::NotEq(v.to_string())
            } else {
                Op::Eq(v.to_string())
            };
            return Some((k.to_string(), op));
        }
    }
    let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
    if words.len() == 2 {
        let key = words[0].trim();
        let rest = words[1].trim();
        for (kw, neg) in [("notin", true), ("in", false)] {
            if let Some(list) = rest.strip_prefix(kw) {
                let list = list.trim();
                let inner = list.strip_prefix('(')?.strip_suffix(')')?;
                let vals: Vec<String> = inner.split(',').map(|s| s.trim().to_string()).collect();
                if !valid_key(key) {
                    return None;
                }
                let op = if neg { Op::NotIn(vals) } else { Op::In(vals) };
                return Some((key.to_string(), op));
            }
        }
        return None;
    }
    valid_key(part).then(|| (part.to_string(), Op::Exists))
}

fn valid_key(k: &str) -> bool {
    !k.is_empty() && !k.contains([' ', '(', ')', ',', '=', '!'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn requirements() {
        let l = pairs(&[("app", "web"), ("tier", "front")]);
        for (sel, want) in [
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app=db", false),
            ("other!=x", true),
            ("app", true),
            ("!app", false),
            ("!other", true),
            ("tier in (front, back)", true),
            ("tier notin (front)", false),
            ("other notin (a)", true),
            ("app=web,tier=front", true),
            ("app=web,tier=back", false),
            ("", true),
        ] {
            assert_eq!(
                LabelSelector::parse(sel).unwrap().matches(&l),
                want,
                "{sel}"
            );
        }
        assert_eq!(
            LabelSelector::parse("a in b")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("unable to parse requirement: invalid selector \"a in b\": a in b")
        );
        assert_eq!(
            LabelSelector::parse("a=b=c")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("unable to parse requirement: invalid selector \"a=b=c\": a=b=c")
        );
    }
}
