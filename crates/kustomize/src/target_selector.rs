//! Selecting objects: the `target` of a patch, the `select`/`reject` of a
//! replacement.
//!
//! kustomize compiles group, version, kind, name and namespace as anchored
//! regular expressions (`name: app-.*`). Names and namespaces match either
//! the object's original or its current value, namespaces in their
//! effective form (no namespace reads as `default`). Label and annotation
//! selectors use Kubernetes' label-selector syntax.

use super::config::is_namespaced;
use super::error::{Error, Result};
use super::resource::Resource;
use compose_yaml::Node;
use regex::Regex;

/// A compiled selector.
#[derive(Clone, Debug, Default)]
pub struct Selector {
    group: Option<Regex>,
    version: Option<Regex>,
    kind: Option<Regex>,
    name: Option<Regex>,
    namespace: Option<Regex>,
    labels: Vec<Requirement>,
    annotations: Vec<Requirement>,
}

/// One requirement of a label selector.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

fn anchored(field: &str, pattern: &str) -> Result<Option<Regex>> {
    if pattern.is_empty() {
        return Ok(None);
    }
    crate::go_regex::compile(&format!("^(?:{pattern})$"))
        .map(Some)
        .map_err(|e| {
            Error::transformer(format!(
                "invalid regular expression in selector field `{field}`: {e}"
            ))
        })
}

impl Selector {
    /// Reads `{group, version, kind, name, namespace, labelSelector,
    /// annotationSelector}`; unknown keys are errors.
    pub fn from_node(node: &Node) -> Result<Selector> {
        let m = match node {
            Node::Null => return Ok(Selector::default()),
            Node::Map(m) => m,
            other => {
                return Err(Error::transformer(format!(
                    "a selector must be a mapping, not a {}",
                    other.kind_name()
                )))
            }
        };
        let mut s = Selector::default();
        for (k, v) in m.iter() {
            let text = match v {
                Node::Null => String::new(),
                Node::Str(t) => t.to_string(),
                other => other.scalar_text().ok_or_else(|| {
                    Error::transformer(format!("selector field `{k}` must be a string"))
                })?,
            };
            match k.as_str() {
                "group" => s.group = anchored(k, &text)?,
                "version" => s.version = anchored(k, &text)?,
                "kind" => s.kind = anchored(k, &text)?,
                "name" => s.name = anchored(k, &text)?,
                "namespace" => s.namespace = anchored(k, &text)?,
                "labelSelector" => s.labels = parse_label_selector(&text)?,
                "annotationSelector" => s.annotations = parse_label_selector(&text)?,
                other => {
                    return Err(Error::transformer(format!(
                        "json: unknown field \"{other}\" in selector"
                    )))
                }
            }
        }
        Ok(s)
    }

    /// Whether `r` is selected.
    pub fn matches(&self, r: &Resource) -> bool {
        let cur = r.id();
        let org = r.original_id();
        let eff = |ns: &str, gvk: &super::resource::Gvk| {
            if !is_namespaced(gvk) {
                "_non_namespaceable_".to_string()
            } else if ns.is_empty() {
                "default".to_string()
            } else {
                ns.to_string()
            }
        };
        if let Some(ns) = &self.namespace {
            if !ns.is_match(&eff(&org.namespace, &org.gvk))
                && !ns.is_match(&eff(&cur.namespace, &cur.gvk))
            {
                return false;
            }
        }
        if let Some(n) = &self.name {
            if !n.is_match(&org.name) && !n.is_match(&cur.name) {
                return false;
            }
        }
        let gvk = &cur.gvk;
        let ok = |re: &Option<Regex>, v: &str| re.as_ref().is_none_or(|re| re.is_match(v));
        if !ok(&self.group, &gvk.group)
            || !ok(&self.version, &gvk.version)
            || !ok(&self.kind, &gvk.kind)
        {
            return false;
        }
        satisfies(&self.labels, &r.labels()) && satisfies(&self.annotations, &r.annotations())
    }
}

fn satisfies(reqs: &[Requirement], pairs: &[(String, String)]) -> bool {
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(pk, _)| pk == k)
            .map(|(_, v)| v.as_str())
    };
    reqs.iter().all(|r| match r {
        Requirement::Exists(k) => get(k).is_some(),
        Requirement::NotExists(k) => get(k).is_none(),
        Requirement::In(k, vs) => get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
        Requirement::NotIn(k, vs) => get(k).is_none_or(|v| !vs.iter().any(|x| x == v)),
    })
}

/// Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`.
fn parse_label_selector(text: &str) -> Result<Vec<Requirement>> {
    let bad = || {
        Error::transformer(format!(
            "unable to parse requirement: invalid label selector `{text}`"
        ))
    };
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        // One requirement runs to the next comma outside parentheses.
        let mut depth = 0;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        let req = rest[..end].trim();
        let had_comma = end < rest.len();
        rest = if had_comma {
            rest[end + 1..].trim()
        } else {
            ""
        };
        if req.is_empty() || (had_comma && rest.is_empty()) {
            return Err(bad());
        }
        if let Some(k) = req.strip_prefix('!') {
            out.push(Requirement::NotExists(check_key(k.trim()).ok_or_else(bad)?));
        } else if let Some((k, v)) = req.split_once("!=") {
            out.push(Requirement::NotIn(
                check_key(k.trim()).ok_or_else(bad)?,
                vec![v.trim().to_string()],
            ));
        } else if let Some((k, v)) = req.split_once("==").or_else(|| req.split_once('=')) {
            out.push(Requirement::In(
                check_key(k.trim()).ok_or_else(bad)?,
                vec![v.trim().to_string()],
            ));
        } else if let Some((k, set)) = split_set(req, " notin ") {
            out.push(Requirement::NotIn(check_key(&k).ok_or_else(bad)?, set));
        } else if let Some((k, set)) = split_set(req, " in ") {
            out.push(Requirement::In(check_key(&k).ok_or_else(bad)?, set));
        } else {
            out.push(Requirement::Exists(check_key(req).ok_or_else(bad)?));
        }
    }
    Ok(out)
}

fn split_set(req: &str, op: &str) -> Option<(String, Vec<String>)> {
    let (k, v) = req.split_once(op)?;
    let v = v.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some((
        k.trim().to_string(),
        v.split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    ))
}

fn check_key(k: &str) -> Option<String> {
    let valid = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    valid.then(|| k.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_one;

    fn res(text: &str) -> Resource {
        Resource::new(parse_one(text).unwrap())
    }

    #[test]
    fn regex_fields_are_anchored() {
        let r = res("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-web\n");
        let sel = |t: &str| Selector::from_node(&parse_one(t).unwrap()).unwrap();
        assert!(sel("name: app-.*").matches(&r));
        assert!(!sel("name: app").matches(&r));
        assert!(sel("kind: Deploy.*\ngroup: apps").matches(&r));
        assert!(sel("namespace: default").matches(&r));
        assert!(!sel("version: v2").matches(&r));
    }

    #[test]
    fn label_selectors() {
        let r = res("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    app: web\n    tier: front\n");
        let sel = |t: &str| {
            Selector::from_node(&parse_one(&format!("labelSelector: \"{t}\"")).unwrap()).unwrap()
        };
        assert!(sel("app=web").matches(&r));
        assert!(sel("app==web,tier").matches(&r));
        assert!(!sel("app!=web").matches(&r));
        assert!(sel("tier in (front, back)").matches(&r));
        assert!(!sel("tier notin (front)").matches(&r));
        assert!(sel("!missing").matches(&r));
        assert_eq!(
            Selector::from_node(&parse_one("labelSelector: 'a=b,'").unwrap())
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("unable to parse requirement: invalid label selector `a=b,`")
        );
    }
}
