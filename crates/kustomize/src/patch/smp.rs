//! Strategic merge of one patch document into one object.

use super::schema::{FieldInfo, SchemaRef};
use crate::error::{Error, Result};
use compose_yaml::{Mapping, Node};

const DIRECTIVE: &str = "$patch";

/// Merges `patch` into `dest` (absent when the field does not exist yet).
/// `None` means the result is deleted.
pub fn strategic_merge(
    dest: Option<Node>,
    patch: &Node,
    schema: SchemaRef<'_>,
) -> Result<Option<Node>> {
    let dest = dest.filter(|d| !d.is_null());
    match patch {
        Node::Map(pm) => merge_map(dest, pm, schema),
        Node::Seq(ps) => merge_list(dest, ps, schema, None),
        Node::Null => Ok(None),
        scalar => {
            if let Some(d @ (Node::Map(_) | Node::Seq(_))) = &dest {
                return Err(kind_mismatch(d, scalar));
            }
            Ok(Some(scalar.clone()))
        }
    }
}

fn node_kind(n: &Node) -> &'static str {
    match n {
        Node::Map(_) => "MappingNode",
        Node::Seq(_) => "SequenceNode",
        _ => "ScalarNode",
    }
}

fn kind_mismatch(dest: &Node, patch: &Node) -> Error {
    Error::invalid(format!(
        "wrong node kind: expected {} but got {}: node contents:\n{patch}",
        node_kind(dest),
        node_kind(patch)
    ))
}

fn merge_map(dest: Option<Node>, pm: &Mapping, schema: SchemaRef<'_>) -> Result<Option<Node>> {
    if let Some(
        d @ (Node::Seq(_)
        | Node::Str(_)
        | Node::Int(_)
        | Node::Uint(_)
        | Node::Float(_)
        | Node::Bool(_)),
    ) = &dest
    {
        return Err(kind_mismatch(d, &Node::Map(pm.clone())));
    }
    let mut patch = pm.clone();
    match patch
        .get(DIRECTIVE)
        .map(|d| d.scalar_text().unwrap_or_default())
    {
        None => {}
        Some(d) if d == "delete" => return Ok(None),
        Some(d) if d == "replace" => {
            patch.remove(DIRECTIVE);
            return merge_map(None, &patch, schema);
        }
        Some(d) if d == "merge" => {
            patch.remove(DIRECTIVE);
        }
        Some(other) => return Err(Error::invalid(format!("unknown patch strategy '{other}'"))),
    }
    let mut out = match dest {
        None => Mapping::new(),
        Some(Node::Map(m)) => m,
        Some(other) => return Err(kind_mismatch(&other, &Node::Map(patch))),
    };
    for (k, pv) in patch.iter() {
        if pv.is_null() {
            out.remove(k);
            continue;
        }
        let info = schema.field(k);
        // Output order of keys does not matter (they are printed sorted),
        // so the value is taken out and put back.
        let current = out.remove(k);
        let merged = match pv {
            Node::Seq(items) => merge_list(current, items, info.child, Some(&info))?,
            other => strategic_merge(current, other, info.child)?,
        };
        if let Some(v) = merged {
            out.insert(k.clone(), v);
        }
    }
    Ok(Some(Node::Map(out)))
}

/// A list-level directive: an element that is exactly `{$patch: X}`.
fn list_directive(items: &[Node]) -> Result<(Option<String>, Vec<Node>)> {
    let mut directive = None;
    let mut rest = Vec::with_capacity(items.len());
    for item in items {
        if let Node::Map(m) = item {
            if m.len() == 1 {
                if let Some(v) = m.get(DIRECTIVE) {
                    let v = v.scalar_text().unwrap_or_default();
                    if !matches!(v.as_str(), "delete" | "replace" | "merge") {
                        return Err(Error::invalid(format!("unknown patch strategy '{v}'")));
                    }
                    directive = Some(v);
                    continue;
                }
            }
        }
        rest.push(item.clone());
    }
    Ok((directive, rest))
}

fn merge_list(
    dest: Option<Node>,
    items: &[Node],
    elem_schema: SchemaRef<'_>,
    info: Option<&FieldInfo<'_>>,
) -> Result<Option<Node>> {
    let (directive, patch) = list_directive(items)?;
    match directive.as_deref() {
        Some("delete") => return Ok(None),
        Some("replace") => return Ok(Some(Node::Seq(patch))),
        _ => {}
    }
    let dest = match dest {
        None => Vec::new(),
        Some(Node::Seq(s)) => s,
        Some(other) => return Err(kind_mismatch(&other, &Node::Seq(patch))),
    };
    let Some(info) = info.filter(|i| i.strategy.split(',').any(|s| s == "merge")) else {
        // Not a merging list: the patch replaces it.
        return Ok(Some(Node::Seq(patch)));
    };
    if info.keys.is_empty() {
        return Ok(Some(Node::Seq(merge_primitive(dest, patch))));
    }
    merge_keyed(dest, patch, &info.keys, elem_schema).map(|l| Some(Node::Seq(l)))
}

/// A list of scalars with the merge strategy: the union, patch values
/// first.
fn merge_primitive(dest: Vec<Node>, patch: Vec<Node>) -> Vec<Node> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for item in patch.into_iter().chain(dest) {
        let key = item
            .scalar_text()
            .unwrap_or_else(|| compose_yaml::json::to_json(&item));
        if seen.insert(key) {
            out.push(item);
        }
    }
    out
}

fn key_values(item: &Node, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .map(|k| item.get(k).and_then(Node::scalar_text).unwrap_or_default())
        .collect()
}

/// The keys whose values are set (all keys when none is).
fn valid(keys: &[&str], values: &[String]) -> Vec<(String, String)> {
    let set: Vec<(String, String)> = keys
        .iter()
        .zip(values)
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    if set.is_empty() {
        keys.iter()
            .zip(values)
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    } else {
        set
    }
}

fn matches(item: &Node, kv: &[(String, String)]) -> bool {
    item.as_map().is_some()
        && kv
            .iter()
            .all(|(k, v)| item.get(k).and_then(Node::scalar_text).unwrap_or_default() == *v)
}

/// A list merged element by element on `keys`: elements named in the
/// patch come first, in patch order, then the target's other elements.
fn merge_keyed(
    mut dest: Vec<Node>,
    patch: Vec<Node>,
    keys: &[&str],
    elem_schema: SchemaRef<'_>,
) -> Result<Vec<Node>> {
    let mut order: Vec<Vec<String>> = Vec::new();
    for item in patch.iter().chain(dest.iter()) {
        let v = key_values(item, keys);
        if !order.contains(&v) {
            order.push(v);
        }
    }
    let mut out: Vec<Node> = Vec::new();
    for values in order {
        let kv = valid(keys, &values);
        let p = patch.iter().find(|i| matches(i, &kv));
        let di = dest.iter().position(|i| matches(i, &kv));
        let merged = match (di, p) {
            (Some(i), Some(p)) => strategic_merge(Some(dest[i].clone()), p, elem_schema)?,
            (Some(i), None) => Some(dest[i].clone()),
            (None, Some(p)) => strategic_merge(None, p, elem_schema)?,
            (None, None) => continue,
        };
        let merged = merged.filter(|n| !matches!(n, Node::Map(m) if m.is_empty()));
        let Some(mut merged) = merged else {
            if let Some(i) = di {
                dest.remove(i);
            }
            continue;
        };
        if let Node::Map(m) = &mut merged {
            for (k, v) in &kv {
                if !m.contains_key(k) {
                    m.insert(k.clone(), Node::str(v.clone()));
                }
            }
        }
        if let Some(i) = di {
            dest[i] = merged.clone();
        }
        match out.iter().position(|o| matches(o, &kv)) {
            Some(j) => out[j] = merged,
            None => out.push(merged),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_one;

    fn merge(dest: &str, patch: &str) -> Node {
        let schema = crate::patch::Schema::builtin().for_kind("apps/v1", "Deployment");
        strategic_merge(
            Some(parse_one(dest).unwrap()),
            &parse_one(patch).unwrap(),
            schema,
        )
        .unwrap()
        .unwrap()
    }

    /// Expected orders from `kubectl kustomize` with the same patch.
    #[test]
    fn keyed_lists_put_patch_elements_first() {
        let out = merge(
            "spec:\n  template:\n    spec:\n      containers:\n      - {name: one, image: a}\n      - {name: two, image: b}\n",
            "spec:\n  template:\n    spec:\n      containers:\n      - {name: three, image: c}\n      - {name: one, image: z}\n",
        );
        let names: Vec<String> = out
            .get_path(&["spec", "template", "spec", "containers"])
            .and_then(Node::as_seq)
            .unwrap()
            .iter()
            .map(|c| c.str_at(&["name"]).unwrap().to_string())
            .collect();
        assert_eq!(names, vec!["three", "one", "two"]);
    }

    #[test]
    fn delete_replace_and_null() {
        let out = merge(
            "metadata: {finalizers: [a, b], labels: {x: '1', y: '2'}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: one\n        env: [{name: A, value: '1'}, {name: B, value: '2'}]\n",
            "metadata: {finalizers: [c], labels: {x: null}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: one\n        env:\n        - {name: A, $patch: delete}\n        - {name: C, value: '3'}\n",
        );
        assert_eq!(
            out.get_path(&["metadata", "finalizers"]),
            Some(&parse_one("[c, a, b]").unwrap())
        );
        assert_eq!(
            out.get_path(&["metadata", "labels"]),
            Some(&parse_one("{y: '2'}").unwrap())
        );
        let env = out
            .get_path(&["spec", "template", "spec", "containers"])
            .and_then(Node::as_seq)
            .unwrap()[0]
            .get("env")
            .cloned();
        assert_eq!(
            env,
            Some(parse_one("[{name: C, value: '3'}, {name: B, value: '2'}]").unwrap())
        );
    }

    #[test]
    fn lists_without_a_merge_strategy_are_replaced() {
        let out = merge(
            "spec: {template: {spec: {containers: [{name: a, args: [x, y]}]}}}",
            "spec: {template: {spec: {containers: [{name: a, args: [z]}]}}}",
        );
        let c = &out
            .get_path(&["spec", "template", "spec", "containers"])
            .and_then(Node::as_seq)
            .unwrap()[0];
        assert_eq!(c.get("args"), Some(&parse_one("[z]").unwrap()));
    }

    #[test]
    fn replace_directive_in_a_list() {
        let out = merge("spec: {template: {spec: {containers: [{name: a, env: [{name: A}]}]}}}", "spec: {template: {spec: {containers: [{name: a, env: [{$patch: replace}, {name: Z}]}]}}}");
        let c = &out
            .get_path(&["spec", "template", "spec", "containers"])
            .and_then(Node::as_seq)
            .unwrap()[0];
        assert_eq!(c.get("env"), Some(&parse_one("[{name: Z}]").unwrap()));
    }

    #[test]
    fn map_into_list_is_an_error() {
        let schema = SchemaRef::unknown();
        let r = strategic_merge(
            Some(parse_one("items: [a]").unwrap()),
            &parse_one("items: {$patch: delete}").unwrap(),
            schema,
        );
        assert!(r.is_err());
    }
}
