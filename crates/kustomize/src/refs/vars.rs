//! `vars`: `$(NAME)` placeholders filled from fields of named objects.
//!
//! kustomize's rules (v5.5.0, checked against kubectl):
//! - each kustomization's vars are merged after its own transformers ran:
//!   a var names its object by exact group, version, kind and name (and
//!   namespace when given, or when the kind is cluster-scoped), matched
//!   against every identity an object has had; two matches are an error,
//!   none is remembered and fails only when the vars are resolved. A name
//!   declared twice in one build is an error;
//! - at the end of the build, after name references were fixed, each
//!   var's value is read from its object's current field (`fieldref`,
//!   default `metadata.name`; `a[0]` is element 0 of `a`);
//! - placeholders are replaced in the fields the `varReference` field
//!   specs name: a string, the string values of a mapping, or every item
//!   of a list (all must be strings). A field that is exactly `$(NAME)`
//!   takes the value with its type (number, boolean); inside longer text
//!   the value is printed. `$$` is a literal `$`; unknown names, and vars
//!   whose value is a mapping or list, are left as `$(NAME)`.

use super::id_selector::all_ids;
use super::path::{lookup, node_text};
use crate::config::effective_namespace;
use crate::config::{
    apply_field_spec, check_known_fields, gvk_fields, is_namespaced, json_field, string_field,
    type_error, TransformerConfig,
};
use crate::error::{Error, Result};
use crate::resource::{Gvk, ResId, Resource};
use compose_yaml::Node;
use std::collections::BTreeMap;

/// One `vars:` entry.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Var {
    /// The placeholder name.
    pub(crate) name: String,
    /// The object's group, version and kind (from `apiVersion` or
    /// `group`/`version`).
    pub(crate) gvk: Gvk,
    /// The object's name.
    pub(crate) obj_name: String,
    /// The object's namespace, or empty.
    pub(crate) obj_namespace: String,
    /// Dotted path of the field; `metadata.name` when not given.
    pub(crate) field_path: String,
}

impl Var {
    /// Reads `{name, objref: {kind, name, namespace, apiVersion | group,
    /// version}, fieldref: {fieldpath}}`.
    pub(crate) fn from_node(node: &Node) -> Result<Var> {
        let m = match node {
            Node::Map(m) => m,
            other => return Err(type_error("vars", "types.Var", other)),
        };
        // A kustomization is decoded strictly: unknown keys are errors.
        check_known_fields(m, &["name", "objref", "fieldref"])?;
        let mut v = Var {
            name: string_field(m, "name")?.unwrap_or_default(),
            ..Var::default()
        };
        if let Some(obj) = json_field(m, "objref") {
            let om = match obj {
                Node::Map(om) => om.clone(),
                Node::Null => Default::default(),
                other => return Err(type_error("objref", "types.Target", other)),
            };
            check_known_fields(
                &om,
                &[
                    "apiVersion",
                    "group",
                    "version",
                    "kind",
                    "name",
                    "namespace",
                ],
            )?;
            v.gvk = gvk_fields(&om)?;
            if let Some(av) = string_field(&om, "apiVersion")?.filter(|s| !s.is_empty()) {
                let parts: Vec<&str> = av.split('/').collect();
                match parts.as_slice() {
                    [g, ver] => {
                        v.gvk.group = (*g).into();
                        v.gvk.version = (*ver).into();
                    }
                    [ver] => v.gvk.version = (*ver).into(),
                    _ => {}
                }
            }
            v.obj_name = string_field(&om, "name")?.unwrap_or_default();
            v.obj_namespace = string_field(&om, "namespace")?.unwrap_or_default();
        }
        if let Some(Node::Map(fm)) = json_field(m, "fieldref") {
            check_known_fields(fm, &["fieldPath"])?;
            v.field_path = string_field(fm, "fieldPath")?.unwrap_or_default();
        }
        if v.field_path.is_empty() {
            v.field_path = "metadata.name".to_string();
        }
        Ok(v)
    }

    /// kustomize's text for a var in messages: `{NAME Kind.version.group {path}}`.
    pub(crate) fn describe(&self) -> String {
        let or = |s: &str, d: &str| {
            if s.is_empty() {
                d.to_string()
            } else {
                s.to_string()
            }
        };
        format!(
            "{{{} {}.{}.{} {{{}}}}}",
            self.name,
            or(&self.gvk.kind, "[noKind]"),
            or(&self.gvk.version, "[noVer]"),
            or(&self.gvk.group, "[noGrp]"),
            self.field_path
        )
    }

    fn objref_matches(&self, id: &ResId) -> bool {
        let gvkn = id.gvk == self.gvk && id.name == self.obj_name;
        if !self.obj_namespace.is_empty() || !is_namespaced(&self.gvk) {
            gvkn && effective_namespace(&self.gvk, &self.obj_namespace)
                == effective_namespace(&id.gvk, &id.namespace)
        } else {
            gvkn
        }
    }
}

/// Reads a kustomization's `vars:` list.
pub(crate) fn parse_vars(entries: &[Node]) -> Result<Vec<Var>> {
    entries.iter().map(Var::from_node).collect()
}

/// The vars of a build, each with the object it was matched to (the
/// object's identity history when matched; the object is found again by
/// that history, which only grows).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct VarSet {
    vars: BTreeMap<String, (Var, Option<Vec<ResId>>)>,
}

fn history(r: &Resource) -> Vec<ResId> {
    let mut h = r.meta.previous_ids.clone();
    h.push(r.id());
    h
}

impl VarSet {
    /// An empty set.
    #[cfg(test)]
    pub(crate) fn new() -> VarSet {
        VarSet::default()
    }

    /// Merges one kustomization's vars, matching each to the objects
    /// accumulated so far (call after that kustomization's transformers).
    pub(crate) fn merge_vars(&mut self, resources: &[Resource], incoming: &[Var]) -> Result<()> {
        let mut matched: Vec<Option<Vec<ResId>>> = Vec::new();
        for v in incoming {
            let hits: Vec<&Resource> = resources
                .iter()
                .filter(|r| all_ids(r).iter().any(|id| v.objref_matches(id)))
                .collect();
            if hits.len() > 1 {
                let list: Vec<String> = incoming.iter().map(Var::describe).collect();
                return Err(Error::reference(format!(
                    "merging vars [{}]: found {} resId matches for var {} (unable to disambiguate)",
                    list.join(" "),
                    hits.len(),
                    v.describe()
                )));
            }
            matched.push(hits.first().map(|r| history(r)));
        }
        for (v, m) in incoming.iter().zip(matched) {
            if self.vars.contains_key(&v.name) {
                return Err(Error::reference(format!(
                    "var '{}' already encountered",
                    v.name
                )));
            }
            self.vars.insert(v.name.clone(), (v.clone(), m));
        }
        Ok(())
    }

    /// Merges a base's vars; a name present in both is an error.
    pub(crate) fn merge_set(&mut self, other: VarSet) -> Result<()> {
        for (name, entry) in other.vars {
            if self.vars.contains_key(&name) {
                return Err(Error::reference(format!(
                    "var '{name}' already encountered"
                )));
            }
            self.vars.insert(name, entry);
        }
        Ok(())
    }
}

/// A var's value as kustomize reads it from a field.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A mapping or list: not substituted.
    Complex,
}

impl Value {
    /// `None` where kustomize fails to read the field (an integer beyond
    /// 64 bits).
    fn of(n: &Node) -> Option<Value> {
        Some(match n {
            Node::Str(s) => Value::Str(s.to_string()),
            Node::Int(i) => Value::Int(*i),
            Node::Uint(_) => return None,
            Node::Float(f) => Value::Float(*f),
            Node::Bool(b) => Value::Bool(*b),
            Node::Null => Value::Str(node_text(n)),
            Node::Map(_) | Node::Seq(_) => Value::Complex,
        })
    }

    fn node(&self) -> Node {
        match self {
            Value::Str(s) => Node::str(s.clone()),
            Value::Int(i) => Node::Int(*i),
            Value::Float(f) => Node::Float(*f),
            Value::Bool(b) => Node::Bool(*b),
            Value::Complex => Node::Null,
        }
    }
}

/// Splits a var's field path: dots, with `name[3]` meaning `name`, `3`.
fn var_path(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in path.split('.') {
        if let Some(body) = part.strip_suffix(']') {
            if let Some((head, idx)) = body.rsplit_once('[') {
                if !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit()) {
                    if !head.is_empty() {
                        out.push(head.to_string());
                    }
                    out.push(idx.to_string());
                    continue;
                }
            }
        }
        out.push(part.to_string());
    }
    out
}

/// Resolves the vars into the fields `cfg.var_reference` names. Runs once,
/// at the end of the build.
pub(crate) fn resolve_vars(
    resources: &mut [Resource],
    vars: &VarSet,
    cfg: &TransformerConfig,
) -> Result<()> {
    let mut values: BTreeMap<String, Value> = BTreeMap::new();
    for (name, (v, matched)) in &vars.vars {
        let found = matched
            .as_ref()
            .and_then(|h| resources.iter().find(|r| history(r).starts_with(h)));
        let Some(r) = found else {
            return Err(Error::reference(format!(
                "var '{}' cannot be mapped to a field in the set of known resources",
                v.describe()
            )));
        };
        let not_found = || {
            Error::reference(format!(
                "field specified in var '{}' not found in corresponding resource",
                v.describe()
            ))
        };
        let node = lookup(&r.node, &var_path(&v.field_path))
            .map_err(|_| not_found())?
            .ok_or_else(not_found)?;
        values.insert(name.clone(), Value::of(node).ok_or_else(not_found)?);
    }
    if values.is_empty() {
        return Ok(());
    }
    for r in resources.iter_mut() {
        for spec in &cfg.var_reference {
            apply_field_spec(&mut r.node, spec, None, &mut |n| substitute(n, &values))?;
        }
    }
    Ok(())
}

fn substitute(node: &mut Node, values: &BTreeMap<String, Value>) -> Result<()> {
    match node {
        Node::Null => Ok(()),
        Node::Str(s) => {
            *node = expand(s, values);
            Ok(())
        }
        Node::Map(m) => {
            for (_, v) in m.iter_mut() {
                if let Node::Str(s) = v {
                    *v = expand(s, values);
                }
            }
            Ok(())
        }
        Node::Seq(items) => {
            for item in items.iter_mut() {
                let Node::Str(s) = item else {
                    return Err(Error::reference("invalid value type expect a string"));
                };
                *item = expand(s, values);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Expands `$(NAME)` references in `input`. A whole-string reference
/// keeps the value's type.
pub(crate) fn expand_text(input: &str, lookup: &dyn Fn(&str) -> Option<Node>) -> Node {
    let b = input.as_bytes();
    let mut out = String::new();
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < b.len() {
        if b[cursor] == b'$' && cursor + 1 < b.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance;
            match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    advance = 1;
                }
                b'(' => match rest[1..].find(')') {
                    Some(close) => {
                        let name = &rest[1..1 + close];
                        let mapped = lookup(name);
                        if input.len() == name.len() + 3 {
                            return mapped.unwrap_or_else(|| Node::str(input.to_string()));
                        }
                        match mapped {
                            Some(n) => out.push_str(&n.scalar_text().unwrap_or_default()),
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        advance = close + 2;
                    }
                    None => {
                        out.push_str("$(");
                        advance = 1;
                    }
                },
                _ => {
                    // `$` and the next character (a whole UTF-8 character,
                    // so the text stays valid).
                    let ch_len = rest.chars().next().map_or(1, char::len_utf8);
                    out.push('$');
                    out.push_str(&rest[..ch_len]);
                    advance = ch_len;
                }
            }
            cursor += advance;
            checkpoint = cursor + 1;
        }
        cursor += 1;
    }
    if checkpoint < input.len() {
        out.push_str(&input[checkpoint..]);
    }
    Node::str(out)
}

fn expand(input: &str, values: &BTreeMap<String, Value>) -> Node {
    expand_text(input, &|name| match values.get(name) {
        Some(Value::Complex) | None => None,
        Some(v) => Some(v.node()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_one;

    use crate::resource::resources_of as resources;

    fn vars(text: &str) -> Vec<Var> {
        let Node::Seq(items) = parse_one(text).unwrap() else {
            panic!()
        };
        parse_vars(&items).unwrap()
    }

    const RES: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  ports:\n  - port: 8080\n  weight: 1.5\n  flag: true\n  sel: {a: b}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod\nspec:\n  containers:\n  - name: c\n    image: busybox\n    command: [\"$(NAME)\", \"port=$(PORT)\", \"$(PORT)\", \"$(W)\", \"w=$(W)\", \"$(F)\", \"f=$(F)\", \"$(SEL)\", \"x=$(SEL)\", \"$(UNKNOWN)\", \"$$(NAME)\", \"$(NAME\", \"a$b$\", \"$$$(NAME)\"]\n    env:\n    - name: X\n      value: $(PORT)\n";

    const VARS: &str = "- name: NAME\n  objref: {kind: Service, name: svc, apiVersion: v1}\n- name: PORT\n  objref: {kind: Service, name: svc, apiVersion: v1}\n  fieldref: {fieldpath: 'spec.ports[0].port'}\n- name: W\n  objref: {kind: Service, name: svc, apiVersion: v1}\n  fieldref: {fieldpath: spec.weight}\n- name: F\n  objref: {kind: Service, name: svc, apiVersion: v1}\n  fieldref: {fieldpath: spec.flag}\n- name: SEL\n  objref: {kind: Service, name: svc, apiVersion: v1}\n  fieldref: {fieldpath: spec.sel}\n";

    #[test]
    fn substitution_follows_the_oracle() {
        let mut rs = resources(RES);
        let mut set = VarSet::new();
        set.merge_vars(&rs, &vars(VARS)).unwrap();
        // a prefix applied later: the value is read at resolve time
        rs[0].set_name("p-svc");
        rs[1].set_name("p-pod");
        resolve_vars(&mut rs, &set, &TransformerConfig::default()).unwrap();
        // oracle (namePrefix p-):
        let want = parse_one(
            "[p-svc, port=8080, 8080, 1.5, w=1.5, true, f=true, $(SEL), x=$(SEL), $(UNKNOWN), $(NAME), $(NAME, a$b$, $p-svc]",
        )
        .unwrap();
        assert_eq!(
            rs[1]
                .node
                .get_path(&["spec", "containers"])
                .and_then(|c| c.as_seq())
                .unwrap()[0]
                .get("command"),
            Some(&want)
        );
        let env = &rs[1]
            .node
            .get_path(&["spec", "containers"])
            .unwrap()
            .as_seq()
            .unwrap()[0];
        assert_eq!(
            env.get("env").unwrap().as_seq().unwrap()[0].get("value"),
            Some(&Node::Int(8080))
        );
    }

    #[test]
    fn objref_needs_the_exact_gvk() {
        // oracle: an objref without apiVersion does not find a v1 Service
        let mut rs = resources(RES);
        let mut set = VarSet::new();
        set.merge_vars(
            &rs,
            &vars("- name: NAME\n  objref: {kind: Service, name: svc}\n"),
        )
        .unwrap();
        let e = resolve_vars(&mut rs, &set, &TransformerConfig::default())
            .unwrap_err()
            .to_string();
        assert_eq!(e, "var '{NAME Service.[noVer].[noGrp] {metadata.name}}' cannot be mapped to a field in the set of known resources");
    }

    #[test]
    fn ambiguity_and_duplicates() {
        let rs = resources("apiVersion: v1\nkind: Service\nmetadata: {name: es, namespace: a}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: es, namespace: b}\n");
        let mut set = VarSet::new();
        let e = set
            .merge_vars(
                &rs,
                &vars("- name: X\n  objref: {kind: Service, name: es, apiVersion: v1}\n"),
            )
            .unwrap_err()
            .to_string();
        assert!(e.contains("found 2 resId matches for var {X Service.v1.[noGrp] {metadata.name}} (unable to disambiguate)"), "{e}");
        // with a namespace it is not ambiguous
        set.merge_vars(
            &rs,
            &vars("- name: X\n  objref: {kind: Service, name: es, apiVersion: v1, namespace: b}\n"),
        )
        .unwrap();
        let e = set.merge_vars(&rs, &vars("- name: X\n  objref: {kind: Service, name: es, apiVersion: v1, namespace: a}\n")).unwrap_err();
        assert_eq!(e.to_string(), "var 'X' already encountered");
    }

    #[test]
    fn mapping_values_and_list_items() {
        // oracle: string values of a mapping are expanded, others kept; a
        // list item that is not a string is an error
        let doc = "apiVersion: v1\nkind: Service\nmetadata: {name: svc}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    metadata:\n      annotations: {a: $(NAME), b: 5, c: x-$(NAME)}\n    spec:\n      containers:\n      - name: c\n        args: [ARGS]\n";
        let v = vars("- name: NAME\n  objref: {kind: Service, name: svc, apiVersion: v1}\n");
        let mut rs = resources(&doc.replace("ARGS", "\"$(NAME)\""));
        let mut set = VarSet::new();
        set.merge_vars(&rs, &v).unwrap();
        resolve_vars(&mut rs, &set, &TransformerConfig::default()).unwrap();
        let ann = rs[1]
            .node
            .get_path(&["spec", "template", "metadata", "annotations"])
            .unwrap();
        assert_eq!(ann, &parse_one("{a: svc, b: 5, c: x-svc}").unwrap());
        let mut rs = resources(&doc.replace("ARGS", "1, \"$(NAME)\""));
        let mut set = VarSet::new();
        set.merge_vars(&rs, &v).unwrap();
        let e = resolve_vars(&mut rs, &set, &TransformerConfig::default())
            .unwrap_err()
            .to_string();
        assert!(e.ends_with("invalid value type expect a string"), "{e}");
    }

    #[test]
    fn a_var_follows_the_object_it_matched_at_its_level() {
        // like the oracle's diamond case: two copies of one base get
        // different prefixes; each level's var names `sec` and must keep
        // reading its own copy after both are renamed again at the top
        let base = "apiVersion: v1\nkind: Secret\nmetadata: {name: sec}\n";
        let mut zero = resources(base);
        zero[0].set_name("zero-sec");
        let mut set = VarSet::new();
        set.merge_vars(
            &zero,
            &vars("- name: ZERO\n  objref: {kind: Secret, name: sec, apiVersion: v1}\n"),
        )
        .unwrap();
        let mut one = resources(base);
        one[0].set_name("one-sec");
        let mut one_set = VarSet::new();
        one_set
            .merge_vars(
                &one,
                &vars("- name: ONE\n  objref: {kind: Secret, name: sec, apiVersion: v1}\n"),
            )
            .unwrap();
        set.merge_set(one_set).unwrap();
        let mut all: Vec<Resource> = zero.into_iter().chain(one).collect();
        all.extend(resources("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    args: [$(ZERO), $(ONE)]\n"));
        all[0].set_name("top-zero-sec");
        all[1].set_name("top-one-sec");
        // a name seen at both levels is ambiguous at the top
        let e = VarSet::new().merge_vars(
            &all,
            &vars("- name: X\n  objref: {kind: Secret, name: sec, apiVersion: v1}\n"),
        );
        assert!(e.unwrap_err().to_string().contains("found 2 resId matches"));
        resolve_vars(&mut all, &set, &TransformerConfig::default()).unwrap();
        let args = all[2]
            .node
            .get_path(&["spec", "containers"])
            .unwrap()
            .as_seq()
            .unwrap()[0]
            .get("args")
            .cloned();
        assert_eq!(
            args,
            Some(parse_one("[top-zero-sec, top-one-sec]").unwrap())
        );
        // the same var name from two bases is an error
        let mut again = VarSet::new();
        again
            .merge_vars(
                &all,
                &vars("- name: ZERO\n  objref: {kind: Pod, name: p, apiVersion: v1}\n"),
            )
            .unwrap();
        assert_eq!(
            set.merge_set(again).unwrap_err().to_string(),
            "var 'ZERO' already encountered"
        );
    }

    #[test]
    fn expansion_rules() {
        let get = |n: &str| if n == "A" { Some(Node::str("x")) } else { None };
        let e = |s: &str| expand_text(s, &get);
        assert_eq!(e("$(A)"), Node::str("x"));
        assert_eq!(e("-$(A)-$(B)-"), Node::str("-x-$(B)-"));
        assert_eq!(e("$$(A)"), Node::str("$(A)"));
        assert_eq!(e("$"), Node::str("$"));
        assert_eq!(e("a$"), Node::str("a$"));
        assert_eq!(e("$(A"), Node::str("$(A"));
        assert_eq!(e("$é$(A)"), Node::str("$éx"));
        assert_eq!(
            var_path("spec.ports[0].port"),
            vec!["spec", "ports", "0", "port"]
        );
        assert_eq!(var_path("a.[0]"), vec!["a", "0"]);
        assert_eq!(
            Var::from_node(&parse_one("{name: A, objref: {kind: K, nme: x}}").unwrap())
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("json: unknown field \"nme\"")
        );
        assert!(Var::from_node(
            &parse_one("{name: A, objref: {kind: K}, fieldref: {fieldpath: a}}").unwrap()
        )
        .is_ok());
    }
}
