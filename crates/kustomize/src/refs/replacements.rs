//! `replacements`: copy one field of one object into fields of others.
//!
//! Rules, as kubectl kustomize v5.5.0 applies them:
//! - replacements run in order, each seeing the previous ones' results;
//! - the source must select exactly one object (by current or earlier
//!   identity); its field must exist and not be null or an empty
//!   collection;
//! - a source `delimiter` splits the source text and takes part `index`
//!   (out of range is an error);
//! - a target applies to every object its `select` matches (identity, and
//!   label/annotation selectors) unless a `reject` matches; every field a
//!   path names gets the value, and a path naming none is an error unless
//!   `create` made it;
//! - a target `delimiter` splits the target text and replaces part
//!   `index` (negative: prepend; past the end: append);
//! - writing into an existing scalar keeps the target's type and takes the
//!   source's text (so `"80"` stays a string, `80` stays a number and
//!   text that is not a number is an error); a created scalar takes the
//!   text typed like plain YAML; anything else is replaced by the value.

use super::id_selector::{all_ids, IdSelector};
use super::path::{lookup, node_text, split_field_path, visit_targets, LeafKind, Target};
use crate::config::{bool_field, check_known_fields, json_field, string_field, type_error};
use crate::error::{Error, Result};
use crate::resource::Resource;
use compose_yaml::{parse::resolve_plain, parse_stream, Mapping, Node};

/// The default field path of sources and targets.
const DEFAULT_FIELD_PATH: &str = "metadata.name";

/// Delimiter, index and create options of a source or target.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FieldOptions {
    /// Split the text at this delimiter (empty: use the whole value).
    pub(crate) delimiter: String,
    /// Which part of the split text.
    pub(crate) index: i64,
    /// Create missing target fields.
    pub(crate) create: bool,
}

/// Where a replacement's value comes from.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Source {
    /// Which object (identity only).
    pub(crate) select: IdSelector,
    /// Dotted path of the field; empty means `metadata.name`.
    pub(crate) field_path: String,
    /// Delimiter and index.
    pub(crate) options: Option<FieldOptions>,
}

/// Where a replacement's value goes.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct TargetSpec {
    /// Which objects; required.
    pub(crate) select: Option<IdSelector>,
    /// Objects to leave alone.
    pub(crate) reject: Vec<IdSelector>,
    /// Dotted paths of the fields; empty means `metadata.name`.
    pub(crate) field_paths: Vec<String>,
    /// Delimiter, index, create.
    pub(crate) options: Option<FieldOptions>,
}

/// One replacement.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Replacement {
    /// The source; required.
    pub(crate) source: Option<Source>,
    /// The targets; required and not empty.
    pub(crate) targets: Option<Vec<TargetSpec>>,
}

const REPLACEMENT_KEYS: &[&str] = &["source", "targets", "path"];
const SOURCE_KEYS: &[&str] = &[
    "group",
    "version",
    "kind",
    "name",
    "namespace",
    "fieldPath",
    "options",
];
const TARGET_KEYS: &[&str] = &["select", "reject", "fieldPaths", "options"];
const SELECTOR_KEYS: &[&str] = &[
    "group",
    "version",
    "kind",
    "name",
    "namespace",
    "labelSelector",
    "annotationSelector",
];
const OPTION_KEYS: &[&str] = &["delimiter", "index", "create"];

fn map_of<'a>(node: &'a Node, what: &str) -> Result<Option<&'a Mapping>> {
    match node {
        Node::Map(m) => Ok(Some(m)),
        Node::Null => Ok(None),
        other => Err(type_error(what, "object", other)),
    }
}

fn check(m: &Mapping, keys: &[&str], strict: bool) -> Result<()> {
    if strict {
        check_known_fields(m, keys)
    } else {
        Ok(())
    }
}

impl FieldOptions {
    fn from_node(node: &Node, strict: bool) -> Result<Option<FieldOptions>> {
        let Some(m) = map_of(node, "options")? else {
            return Ok(None);
        };
        check(m, OPTION_KEYS, strict)?;
        let index = match json_field(m, "index") {
            None | Some(Node::Null) => 0,
            Some(Node::Int(i)) => *i,
            Some(Node::Float(f)) if f.fract() == 0.0 => *f as i64,
            Some(other) => return Err(type_error("index", "int", other)),
        };
        Ok(Some(FieldOptions {
            delimiter: string_field(m, "delimiter")?.unwrap_or_default(),
            index,
            create: bool_field(m, "create")?.unwrap_or(false),
        }))
    }
}

fn selector(node: &Node, what: &str, strict: bool) -> Result<IdSelector> {
    if let Some(m) = map_of(node, what)? {
        check(m, SELECTOR_KEYS, strict)?;
    }
    IdSelector::from_node(node, what)
}

impl Replacement {
    /// Reads an inline replacement (`{source, targets}`). `strict` refuses
    /// unknown keys, as a kustomization file does.
    pub(crate) fn from_node(node: &Node, strict: bool) -> Result<Replacement> {
        let Some(m) = map_of(node, "replacements")? else {
            return Ok(Replacement::default());
        };
        check(m, REPLACEMENT_KEYS, strict)?;
        let source = match json_field(m, "source") {
            None | Some(Node::Null) => None,
            Some(s) => {
                let sm = map_of(s, "source")?.cloned().unwrap_or_default();
                check(&sm, SOURCE_KEYS, strict)?;
                let ids = IdSelector::from_node(s, "source")?;
                Some(Source {
                    select: IdSelector {
                        label_selector: String::new(),
                        annotation_selector: String::new(),
                        ..ids
                    },
                    field_path: string_field(&sm, "fieldPath")?.unwrap_or_default(),
                    options: match json_field(&sm, "options") {
                        Some(o) => FieldOptions::from_node(o, strict)?,
                        None => None,
                    },
                })
            }
        };
        let targets = match json_field(m, "targets") {
            None | Some(Node::Null) => None,
            Some(Node::Seq(items)) => {
                let mut out = Vec::new();
                for t in items {
                    out.push(TargetSpec::from_node(t, strict)?);
                }
                Some(out)
            }
            Some(other) => return Err(type_error("targets", "array", other)),
        };
        Ok(Replacement { source, targets })
    }
}

impl TargetSpec {
    fn from_node(node: &Node, strict: bool) -> Result<TargetSpec> {
        let Some(m) = map_of(node, "targets")? else {
            return Ok(TargetSpec::default());
        };
        check(m, TARGET_KEYS, strict)?;
        let select = match json_field(m, "select") {
            None | Some(Node::Null) => None,
            Some(s) => Some(selector(s, "select", strict)?),
        };
        let reject = match json_field(m, "reject") {
            None | Some(Node::Null) => Vec::new(),
            Some(Node::Seq(items)) => items
                .iter()
                .map(|r| selector(r, "reject", strict))
                .collect::<Result<_>>()?,
            Some(other) => return Err(type_error("reject", "array", other)),
        };
        let field_paths = match json_field(m, "fieldPaths") {
            None | Some(Node::Null) => Vec::new(),
            Some(Node::Seq(items)) => items
                .iter()
                .map(|p| match p {
                    Node::Str(s) => Ok(s.to_string()),
                    other => Err(type_error("fieldPaths", "string", other)),
                })
                .collect::<Result<_>>()?,
            Some(other) => return Err(type_error("fieldPaths", "array", other)),
        };
        let options = match json_field(m, "options") {
            Some(o) => FieldOptions::from_node(o, strict)?,
            None => None,
        };
        Ok(TargetSpec {
            select,
            reject,
            field_paths,
            options,
        })
    }
}

/// Reads a kustomization's `replacements:` entries. An entry is either an
/// inline replacement or `{path: file}`; `load` returns a file's text,
/// which holds one replacement or a list of them.
pub(crate) fn parse_replacements(
    entries: &[Node],
    load: &mut dyn FnMut(&str) -> Result<String>,
) -> Result<Vec<Replacement>> {
    parse_entries(entries, true, load)
}

/// Reads a `ReplacementTransformer` configuration (`apiVersion: builtin`,
/// `kind: ReplacementTransformer`, `replacements: [...]`), as listed under
/// `transformers:`. Its entries are read like a kustomization's, except
/// that unknown keys are ignored (plugin configurations are decoded
/// leniently).
pub(crate) fn replacements_from_config(
    doc: &Node,
    load: &mut dyn FnMut(&str) -> Result<String>,
) -> Result<Vec<Replacement>> {
    let m = match doc {
        Node::Map(m) => m,
        other => return Err(type_error("ReplacementTransformer", "object", other)),
    };
    match json_field(m, "replacements") {
        None | Some(Node::Null) => Ok(Vec::new()),
        Some(Node::Seq(items)) => parse_entries(items, false, load),
        Some(other) => Err(type_error("replacements", "array", other)),
    }
}

fn parse_entries(
    entries: &[Node],
    strict: bool,
    load: &mut dyn FnMut(&str) -> Result<String>,
) -> Result<Vec<Replacement>> {
    let mut out = Vec::new();
    for entry in entries {
        let path = match entry {
            Node::Map(m) => string_field(m, "path")?.unwrap_or_default(),
            _ => String::new(),
        };
        if path.is_empty() {
            out.push(Replacement::from_node(entry, strict)?);
            continue;
        }
        if let Node::Map(m) = entry {
            let has_source = !matches!(json_field(m, "source"), None | Some(Node::Null));
            let has_targets =
                matches!(json_field(m, "targets"), Some(Node::Seq(t)) if !t.is_empty());
            if has_source || has_targets {
                return Err(Error::reference(
                    "cannot specify both path and inline replacement",
                ));
            }
            check(m, REPLACEMENT_KEYS, strict)?;
        }
        let text = load(&path)?;
        let docs = parse_stream(&text).map_err(|e| Error::reference(format!("{path}: {e:?}")))?;
        match docs.into_iter().next().unwrap_or(Node::Null) {
            Node::Seq(items) => {
                for item in &items {
                    out.push(Replacement::from_node(item, false)?);
                }
            }
            m @ Node::Map(_) => out.push(Replacement::from_node(&m, false)?),
            other => {
                return Err(Error::reference(format!(
                    "unsupported replacement type encountered within replacement path: {}",
                    go_kind(&other)
                )))
            }
        }
    }
    Ok(out)
}

fn go_kind(n: &Node) -> &'static str {
    match n {
        Node::Null => "invalid",
        Node::Bool(_) => "bool",
        Node::Int(_) | Node::Uint(_) | Node::Float(_) => "float64",
        Node::Str(_) => "string",
        Node::Seq(_) => "slice",
        Node::Map(_) => "map",
    }
}

/// Applies replacements in order.
pub(crate) fn apply_replacements(resources: &mut [Resource], reps: &[Replacement]) -> Result<()> {
    for rep in reps {
        let (Some(source), Some(targets)) = (&rep.source, &rep.targets) else {
            return Err(Error::reference(
                "replacements must specify a source and at least one target",
            ));
        };
        if targets.is_empty() {
            // oracle: `targets: []` is refused like a missing list
            return Err(Error::reference(
                "replacements must specify a source and at least one target",
            ));
        }
        let value = source_value(resources, source)?;
        for target in targets {
            apply_target(resources, &value, target)?;
        }
    }
    Ok(())
}

/// Finds the source object and reads (and refines) its value.
fn source_value(resources: &[Resource], source: &Source) -> Result<Node> {
    let mut found: Option<&Resource> = None;
    for r in resources {
        if all_ids(r).iter().any(|id| source.select.selects_id(id)) {
            if found.is_some() {
                return Err(Error::reference(format!(
                    "multiple matches for selector {}",
                    source.select.id_string()
                )));
            }
            found = Some(r);
        }
    }
    let Some(r) = found else {
        return Err(Error::reference(format!(
            "nothing selected by {}",
            source.select.id_string()
        )));
    };
    let field_path = if source.field_path.is_empty() {
        DEFAULT_FIELD_PATH
    } else {
        source.field_path.as_str()
    };
    let node = lookup(&r.node, &split_field_path(field_path)).map_err(|e| {
        Error::reference(format!(
            "error looking up replacement source: {}",
            message(&e)
        ))
    })?;
    let node = match node {
        Some(n) if !is_nil_or_empty(n) => n,
        _ => {
            return Err(Error::reference(format!(
                "fieldPath `{field_path}` is missing for replacement source {}",
                source.select.id_string()
            )))
        }
    };
    match &source.options {
        Some(o) if !o.delimiter.is_empty() => {
            if !node.is_scalar() {
                return Err(Error::reference(
                    "delimiter option can only be used with scalar nodes",
                ));
            }
            let text = node_text(node);
            let parts: Vec<&str> = text.split(o.delimiter.as_str()).collect();
            if o.index < 0 || o.index as usize >= parts.len() {
                return Err(Error::reference(format!(
                    "options.index {} is out of bounds for value {text}",
                    o.index
                )));
            }
            retype(node, parts[o.index as usize])
        }
        _ => Ok(node.clone()),
    }
}

fn is_nil_or_empty(n: &Node) -> bool {
    match n {
        Node::Null => true,
        Node::Map(m) => m.is_empty(),
        Node::Seq(s) => s.is_empty(),
        _ => false,
    }
}

fn message(e: &Error) -> String {
    match e {
        Error::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// Writes the value into every field of every selected object.
fn apply_target(resources: &mut [Resource], value: &Node, target: &TargetSpec) -> Result<()> {
    let Some(select) = &target.select else {
        return Err(Error::reference("target must specify resources to select"));
    };
    let default_paths = [DEFAULT_FIELD_PATH.to_string()];
    let paths: &[String] = if target.field_paths.is_empty() {
        &default_paths
    } else {
        &target.field_paths
    };
    for r in resources.iter_mut() {
        if !select.matches_meta(r)? {
            continue;
        }
        let mut rejected_by_meta = false;
        for rej in &target.reject {
            if rej.label_selector.is_empty() && rej.annotation_selector.is_empty() {
                continue;
            }
            if rej.matches_meta(r)? {
                rejected_by_meta = true;
                break;
            }
        }
        if rejected_by_meta {
            continue;
        }
        // Any identity, current or earlier, can select the object, and any
        // one of them that a reject selects excludes it.
        let ids = all_ids(r);
        let rejected = ids.iter().any(|id| {
            target
                .reject
                .iter()
                .any(|rej| !rej.id_is_empty() && rej.selects_id(id))
        });
        let chosen = !rejected && ids.iter().any(|id| select.selects_id(id));
        if chosen {
            copy_to_target(r, value, target, paths)?;
        }
    }
    Ok(())
}

fn copy_to_target(
    r: &mut Resource,
    value: &Node,
    target: &TargetSpec,
    paths: &[String],
) -> Result<()> {
    let create = target.options.as_ref().is_some_and(|o| o.create);
    for fp in paths {
        let retrieval = |e: Option<&Error>| {
            let head = if create {
                format!("unable to find or create field {fp:?} in replacement target")
            } else {
                format!("unable to find field {fp:?} in replacement target")
            };
            match e {
                Some(e) => Error::reference(format!("{head}: {}", message(e))),
                None => Error::reference(head),
            }
        };
        let leaf = if create {
            Some(LeafKind::of(value))
        } else {
            None
        };
        let mut write_err: Option<Error> = None;
        let visited = visit_targets(
            &mut r.node,
            &split_field_path(fp),
            leaf,
            &mut |t: Target<'_>| {
                if let Err(e) = set_field(target.options.as_ref(), t, value) {
                    write_err = Some(e);
                }
                Ok(())
            },
        )
        .map_err(|e| retrieval(Some(&e)))?;
        if let Some(e) = write_err {
            return Err(e);
        }
        if visited == 0 {
            return Err(retrieval(None));
        }
    }
    Ok(())
}

/// Writes `value` into one target field.
fn set_field(options: Option<&FieldOptions>, t: Target<'_>, value: &Node) -> Result<()> {
    let mut text = node_text(value);
    if let Some(o) = options.filter(|o| !o.delimiter.is_empty()) {
        if !t.node.is_scalar() {
            return Err(Error::reference(
                "delimiter option can only be used with scalar nodes",
            ));
        }
        let current = node_text(t.node);
        let mut parts: Vec<String> = current
            .split(o.delimiter.as_str())
            .map(str::to_string)
            .collect();
        if o.index < 0 {
            parts.insert(0, text);
        } else if o.index as usize >= parts.len() {
            parts.push(text);
        } else {
            parts[o.index as usize] = text;
        }
        text = parts.join(&o.delimiter);
        if !value.is_scalar() {
            // The joined text lands in a collection node, which holds no
            // text: only a scalar target can show it.
            if !t.node.is_scalar() {
                *t.node = value.clone();
                return Ok(());
            }
        }
    }
    if t.created && !value.is_scalar() {
        *t.node = value.clone();
        return Ok(());
    }
    if t.created {
        *t.node = resolve_plain(&text);
        return Ok(());
    }
    if t.node.is_scalar() {
        let typed = retype(t.node, &text)?;
        *t.node = typed;
    } else {
        *t.node = value.clone();
    }
    Ok(())
}

/// `text` typed as `like` is typed: what kustomize's writer and reader
/// make of a scalar that keeps its tag but gets new text.
fn retype(like: &Node, text: &str) -> Result<Node> {
    let plain = resolve_plain(text);
    let fail = |want: &str| {
        Err(Error::reference(format!(
            "yaml: cannot decode {} `{text}` as a {want}",
            plain_tag(&plain)
        )))
    };
    match like {
        Node::Str(_) => Ok(Node::str(text.to_string())),
        Node::Int(_) | Node::Uint(_) => match plain {
            n @ (Node::Int(_) | Node::Uint(_)) => Ok(n),
            _ => fail("!!int"),
        },
        Node::Float(_) => match plain {
            Node::Int(i) => Ok(Node::Float(i as f64)),
            Node::Uint(u) => Ok(Node::Float(u as f64)),
            f @ Node::Float(_) => Ok(f),
            _ => fail("!!float"),
        },
        Node::Bool(_) => match plain {
            b @ Node::Bool(_) => Ok(b),
            _ => fail("!!bool"),
        },
        Node::Null => match plain {
            Node::Null => Ok(Node::Null),
            _ => fail("!!null"),
        },
        Node::Map(_) | Node::Seq(_) => Ok(Node::str(text.to_string())),
    }
}

fn plain_tag(n: &Node) -> &'static str {
    match n {
        Node::Null => "!!null",
        Node::Bool(_) => "!!bool",
        Node::Int(_) | Node::Uint(_) => "!!int",
        Node::Float(_) => "!!float",
        _ => "!!str",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::ResId;
    use compose_yaml::parse_one;

    use crate::resource::resources_of as resources;

    fn reps(text: &str) -> Vec<Replacement> {
        let node = parse_one(text).unwrap();
        let Node::Seq(items) = node else {
            panic!("not a list")
        };
        parse_replacements(&items, &mut |_| Err(Error::reference("no files"))).unwrap()
    }

    fn run(res: &str, rep: &str) -> Result<Vec<Resource>> {
        let mut rs = resources(res);
        apply_replacements(&mut rs, &reps(rep))?;
        Ok(rs)
    }

    fn field<'a>(rs: &'a [Resource], i: usize, path: &str) -> Option<&'a Node> {
        let parts: Vec<&str> = path.split('.').collect();
        rs[i].node.get_path(&parts)
    }

    const RES: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: src\ndata:\n  port: \"8080\"\n  word: foo\n  truthy: \"true\"\n  num: 8080\n  obj: {a: b}\n  list: [x, y]\n  path: a/b/c\n  nul: null\n  emap: {}\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc\n  annotations:\n    a.b.c: old\nspec:\n  ports:\n  - {port: 80, name: http, targetPort: web}\n  - {port: 81, name: myhttp2}\n  strField: abc\n  intField: 5\n  boolField: true\n  nullField: null\n  mapField: {x: y}\n  floatField: 2.5\n";

    fn one(src: &str, paths: &str, create: bool) -> Result<Vec<Resource>> {
        run(
            RES,
            &format!(
                "- source: {{kind: ConfigMap, fieldPath: {src}}}\n  targets:\n  - select: {{kind: Service}}\n    fieldPaths: {paths}\n    options: {{create: {create}}}\n"
            ),
        )
    }

    #[test]
    fn value_types_follow_the_target() {
        // oracle: number into a string field stays a string; a string of
        // digits into number fields becomes a number
        let rs = one("data.num", "[spec.strField, spec.created1]", true).unwrap();
        assert_eq!(field(&rs, 1, "spec.strField"), Some(&Node::str("8080")));
        assert_eq!(field(&rs, 1, "spec.created1"), Some(&Node::Int(8080)));
        let rs = one(
            "data.port",
            "[spec.intField, spec.floatField, spec.created2]",
            true,
        )
        .unwrap();
        assert_eq!(field(&rs, 1, "spec.intField"), Some(&Node::Int(8080)));
        assert_eq!(field(&rs, 1, "spec.floatField"), Some(&Node::Float(8080.0)));
        assert_eq!(field(&rs, 1, "spec.created2"), Some(&Node::Int(8080)));
        // oracle: a created field types the text like plain YAML
        let rs = one("data.truthy", "[spec.created3]", true).unwrap();
        assert_eq!(field(&rs, 1, "spec.created3"), Some(&Node::Bool(true)));
        // oracle: a mapping replaces a mapping, is created whole, and
        // empties a string
        let rs = one(
            "data.obj",
            "[spec.mapField, spec.created6, spec.strField]",
            true,
        )
        .unwrap();
        assert_eq!(
            field(&rs, 1, "spec.mapField"),
            Some(&parse_one("{a: b}").unwrap())
        );
        assert_eq!(
            field(&rs, 1, "spec.created6"),
            Some(&parse_one("{a: b}").unwrap())
        );
        assert_eq!(field(&rs, 1, "spec.strField"), Some(&Node::str("")));
        // oracle: a scalar replaces a list
        let rs = one("data.word", "[spec.ports]", false).unwrap();
        assert_eq!(field(&rs, 1, "spec.ports"), Some(&Node::str("foo")));
        // oracle: `[a.b.c]` is the annotation key a.b.c
        let rs = one("data.word", "[\"metadata.annotations.[a.b.c]\"]", false).unwrap();
        assert_eq!(
            field(&rs, 1, "metadata.annotations").and_then(|a| a.get("a.b.c")),
            Some(&Node::str("foo"))
        );
    }

    #[test]
    fn text_that_does_not_fit_the_target_type_is_an_error() {
        // oracle: "cannot decode !!str `foo` as a !!int" (and !!bool, !!null)
        for (path, want) in [
            ("spec.intField", "!!int"),
            ("spec.boolField", "!!bool"),
            ("spec.nullField", "!!null"),
        ] {
            let e = one("data.word", &format!("[{path}]"), false)
                .unwrap_err()
                .to_string();
            assert_eq!(e, format!("yaml: cannot decode !!str `foo` as a {want}"));
        }
        // oracle: a list into a number: "cannot decode !!null `` as a !!int"
        let e = one("data.list", "[spec.intField]", false)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "yaml: cannot decode !!null `` as a !!int");
    }

    #[test]
    fn source_errors() {
        // oracle messages
        let e = one("data.nothing", "[spec.intField]", false)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "fieldPath `data.nothing` is missing for replacement source ConfigMap.[noVer].[noGrp]/[noName].[noNs]");
        for f in ["data.nul", "data.emap"] {
            assert!(one(f, "[spec.strField]", false)
                .unwrap_err()
                .to_string()
                .starts_with(&format!("fieldPath `{f}` is missing")));
        }
        let e = one("data.list.*", "[spec.strField]", false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "error looking up replacement source: wildcard is not supported in PathGetter"
        );
        let e = run(
            RES,
            "- source: {kind: Pod}\n  targets: [{select: {kind: Service}}]\n",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "nothing selected by Pod.[noVer].[noGrp]/[noName].[noNs]");
        let e = run(
            RES,
            "- source: {version: v1}\n  targets: [{select: {kind: Service}}]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("multiple matches for selector"), "{e}");
        let e = run(RES, "- source: {kind: Service}\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "replacements must specify a source and at least one target"
        );
        let e = run(RES, "- source: {kind: Service}\n  targets: []\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "replacements must specify a source and at least one target"
        );
        let e = run(
            RES,
            "- source: {kind: Service}\n  targets: [{fieldPaths: [a]}]\n",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "target must specify resources to select");
    }

    #[test]
    fn target_errors() {
        // oracle messages
        let e = one("data.word", "[spec.nope.x]", false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "unable to find field \"spec.nope.x\" in replacement target"
        );
        let e = one("data.word", "[spec.ports.5.name]", false)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "unable to find field \"spec.ports.5.name\" in replacement target: index 5 specified but only 2 elements found");
        let e = one("data.word", "[spec.ports.3.name]", true)
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "unable to find or create field \"spec.ports.3.name\" in replacement target: index 3 specified but only 2 elements found"
        );
    }

    #[test]
    fn delimiters() {
        let res = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: src}\ndata: {path: a/b/c, img: 'nginx:1.2'}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {image: 'busybox:1.0', host: x.y.z}\n";
        let rep = |src_opts: &str, tgt: &str, tgt_opts: &str| {
            format!("- source: {{kind: ConfigMap, fieldPath: {src_opts}}}\n  targets:\n  - select: {{kind: Pod}}\n    fieldPaths: [{tgt}]\n    options: {tgt_opts}\n")
        };
        // source part 1 of a/b/c is b; it replaces part 0 of x.y.z
        let rs = run(
            res,
            &rep(
                "data.path, options: {delimiter: /, index: 1}",
                "spec.host",
                "{delimiter: '.', index: 0}",
            ),
        )
        .unwrap();
        assert_eq!(field(&rs, 1, "spec.host"), Some(&Node::str("b.y.z")));
        // negative index prepends, past-the-end appends
        let rs = run(
            res,
            &rep(
                "data.path, options: {delimiter: /, index: 2}",
                "spec.host",
                "{delimiter: '.', index: -1}",
            ),
        )
        .unwrap();
        assert_eq!(field(&rs, 1, "spec.host"), Some(&Node::str("c.x.y.z")));
        let rs = run(
            res,
            &rep(
                "data.path, options: {delimiter: /, index: 0}",
                "spec.host",
                "{delimiter: '.', index: 7}",
            ),
        )
        .unwrap();
        assert_eq!(field(&rs, 1, "spec.host"), Some(&Node::str("x.y.z.a")));
        // image tag swap
        let rs = run(
            res,
            &rep(
                "data.img, options: {delimiter: ':', index: 1}",
                "spec.image",
                "{delimiter: ':', index: 1}",
            ),
        )
        .unwrap();
        assert_eq!(field(&rs, 1, "spec.image"), Some(&Node::str("busybox:1.2")));
        // source index out of bounds
        let e = run(
            res,
            &rep(
                "data.path, options: {delimiter: /, index: 3}",
                "spec.host",
                "{}",
            ),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(e, "options.index 3 is out of bounds for value a/b/c");
    }

    #[test]
    fn selection_by_earlier_names_and_rejects() {
        let mut rs = resources("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: p-cm}\ndata: {a: one}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d1, labels: {tier: web}}\nspec: {x: old}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d2}\nspec: {x: old}\n");
        let g = rs[0].gvk();
        rs[0].meta.previous_ids.push(ResId {
            gvk: g,
            name: "cm".into(),
            namespace: Default::default(),
        });
        let r = reps("- source: {kind: ConfigMap, name: cm, fieldPath: data.a}\n  targets:\n  - select: {kind: Deployment}\n    reject: [{name: d2}]\n    fieldPaths: [spec.x]\n");
        apply_replacements(&mut rs, &r).unwrap();
        assert_eq!(field(&rs, 1, "spec.x"), Some(&Node::str("one")));
        assert_eq!(field(&rs, 2, "spec.x"), Some(&Node::str("old")));
        // oracle (namePrefix p- in a base): select by the earlier name
        // d1 and reject the current p-d1 leaves the object alone; select
        // p-d2 and reject d1 changes p-d2 only
        rs[1].set_name("p-d1");
        let r = reps("- source: {kind: ConfigMap, fieldPath: data.a}\n  targets:\n  - select: {name: d1}\n    reject: [{name: p-d1}]\n    fieldPaths: [spec.w]\n    options: {create: true}\n  - select: {name: d2}\n    reject: [{name: d1}]\n    fieldPaths: [spec.w]\n    options: {create: true}\n");
        apply_replacements(&mut rs, &r).unwrap();
        assert_eq!(field(&rs, 1, "spec.w"), None);
        assert_eq!(field(&rs, 2, "spec.w"), Some(&Node::str("one")));
        let r = reps("- source: {kind: ConfigMap, fieldPath: data.a}\n  targets:\n  - select: {kind: Deployment, labelSelector: tier=web}\n    fieldPaths: [spec.y]\n    options: {create: true}\n");
        apply_replacements(&mut rs, &r).unwrap();
        assert_eq!(field(&rs, 1, "spec.y"), Some(&Node::str("one")));
        assert_eq!(field(&rs, 2, "spec.y"), None);
        let r = reps("- source: {kind: ConfigMap, fieldPath: data.a}\n  targets:\n  - select: {kind: Deployment}\n    reject: [{labelSelector: tier=web}]\n    fieldPaths: [spec.z]\n    options: {create: true}\n");
        apply_replacements(&mut rs, &r).unwrap();
        assert_eq!(field(&rs, 1, "spec.z"), None);
        assert_eq!(field(&rs, 2, "spec.z"), Some(&Node::str("one")));
    }

    #[test]
    fn transformer_config_form() {
        // oracle case: a ReplacementTransformer under `transformers:`
        // copying a Pod's whole spec into a Deployment's template
        let doc = parse_one("apiVersion: builtin\nkind: ReplacementTransformer\nmetadata: {name: buildup}\nreplacements:\n- source: {kind: Pod, fieldPath: spec}\n  targets:\n  - select: {kind: Deployment}\n    fieldPaths: [spec.template.spec]\n    options: {create: true}\n    extra: ignored\n").unwrap();
        let r = replacements_from_config(&doc, &mut |_| Err(Error::reference("no files"))).unwrap();
        let mut rs = resources("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n");
        apply_replacements(&mut rs, &r).unwrap();
        assert_eq!(
            field(&rs, 1, "spec.template.spec"),
            Some(&parse_one("{containers: [{name: c, image: i}]}").unwrap())
        );
    }

    #[test]
    fn parsing_entries() {
        let node = parse_one("- path: r.yaml\n- source: {kind: A}\n  targets: []\n").unwrap();
        let Node::Seq(items) = node else { panic!() };
        let got = parse_replacements(&items, &mut |p| {
            assert_eq!(p, "r.yaml");
            Ok("- source: {kind: B}\n  targets: [{select: {kind: C}}]\n- source: {kind: D}\n  targets: []\n".into())
        })
        .unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].source.as_ref().unwrap().select.gvk.kind, "B");
        assert_eq!(got[2].source.as_ref().unwrap().select.gvk.kind, "A");
        let node = parse_one("- path: r.yaml\n  source: {kind: A}\n").unwrap();
        let Node::Seq(items) = node else { panic!() };
        assert_eq!(
            parse_replacements(&items, &mut |_| Ok(String::new()))
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("cannot specify both path and inline replacement")
        );
        let node = parse_one("- source: {kind: A, bogus: 1}\n  targets: []\n").unwrap();
        let Node::Seq(items) = node else { panic!() };
        assert_eq!(
            parse_replacements(&items, &mut |_| Ok(String::new()))
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("json: unknown field \"bogus\"")
        );
    }
}
