//! kustomize's builtin `ValueAddTransformer`: writes one value into a
//! field of selected objects, creating the field if needed, or inserts it
//! into a file path held by the field.
//!
//! ```yaml
//! apiVersion: builtin
//! kind: ValueAddTransformer
//! metadata: {name: add-project}
//! value: dog-222          # default: the kustomization directory's name
//! targets:
//! - fieldPath: metadata/namespace
//! - selector: {kind: IAMPolicyMember}
//!   fieldPath: spec/resourceRef/external
//!   filePathPosition: 2   # insert as the second path element
//! targetFilePath: more-targets.yaml   # optional, adds its `targets:`
//! ```
//!
//! `metadata/namespace` is set as kustomize's namespace filter sets it
//! (namespaced kinds only, plus RoleBinding subjects named `default`);
//! other paths are `/`-separated (`\/` is a slash inside a name) and may
//! use `[field=value]` to pick or create a list element, an index, or `-`
//! for the last element.

use super::namespace::move_to_namespace;
use super::wrong_kind;
use crate::config::{self, json_field};
use crate::error::{Error, Result};
use crate::refs::path::go_atoi;
use crate::resource::Resource;
use crate::target_selector::Selector;
use compose_yaml::{parse::resolve_plain, Mapping, Node};

/// A configured `ValueAddTransformer`.
#[derive(Clone, Debug)]
pub(crate) struct ValueAdd {
    value: String,
    targets: Vec<Target>,
}

#[derive(Clone, Debug)]
struct Target {
    selector: Option<Selector>,
    field_path: String,
    /// 1-based position in a file path; 0 replaces the whole value.
    file_path_position: i64,
}

impl ValueAdd {
    /// Reads the configuration. `dir_name` is the name of the directory
    /// of the kustomization running it (the default value); `read` loads
    /// `targetFilePath` relative to that kustomization.
    pub(crate) fn from_config(
        doc: &Node,
        dir_name: &str,
        read: &mut dyn FnMut(&str) -> Result<String>,
    ) -> Result<ValueAdd> {
        let Node::Map(m) = doc else {
            return Err(Error::transformer(
                "ValueAddTransformer: the configuration must be a mapping",
            ));
        };
        let mut value = config::string_field_lenient(m, "value")?
            .unwrap_or_default()
            .trim()
            .to_string();
        if value.is_empty() {
            value = dir_name.to_string();
        }
        let mut targets = targets_of(m)?;
        let file = config::string_field_lenient(m, "targetFilePath")?.unwrap_or_default();
        if !file.is_empty() {
            let text = read(&file)?;
            let doc = compose_yaml::parse_one(&text)
                .map_err(|e| Error::transformer(format!("{file}: {e}")))?;
            if let Node::Map(fm) = doc {
                targets.extend(targets_of(&fm)?);
            }
        }
        if targets.is_empty() {
            return Err(Error::transformer("must specify at least one target"));
        }
        for t in &targets {
            if t.field_path.is_empty() {
                return Err(Error::transformer("fieldPath cannot be empty"));
            }
            if t.file_path_position < 0 {
                return Err(Error::transformer(format!(
                    "value of FilePathPosition ({}) cannot be negative",
                    t.file_path_position
                )));
            }
        }
        Ok(ValueAdd { value, targets })
    }

    /// Runs the transformer over `resources`.
    pub(crate) fn apply(&self, resources: &mut [Resource]) -> Result<()> {
        for t in &self.targets {
            for r in resources.iter_mut() {
                if t.selector.as_ref().is_some_and(|s| !s.matches(r)) {
                    continue;
                }
                if t.field_path == "metadata/namespace" {
                    move_to_namespace(r, &self.value)?;
                } else {
                    add_value(
                        &mut r.node,
                        &t.field_path,
                        t.file_path_position,
                        &self.value,
                    )?;
                }
            }
        }
        Ok(())
    }
}

fn targets_of(m: &Mapping) -> Result<Vec<Target>> {
    let items = match json_field(m, "targets") {
        None | Some(Node::Null) => return Ok(Vec::new()),
        Some(Node::Seq(items)) => items,
        Some(other) => return Err(config::type_error("targets", "[]builtins.Target", other)),
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let Node::Map(t) = item else {
            return Err(config::type_error("targets", "builtins.Target", item));
        };
        let selector = match json_field(t, "selector") {
            None | Some(Node::Null) => None,
            Some(s) => Some(Selector::from_node(s)?),
        };
        let file_path_position = match json_field(t, "filePathPosition") {
            None | Some(Node::Null) => 0,
            Some(Node::Int(i)) => *i,
            Some(other) => return Err(config::type_error("filePathPosition", "int", other)),
        };
        let field_path = config::string_field_lenient(t, "fieldPath")?.unwrap_or_default();
        out.push(Target {
            selector,
            field_path,
            file_path_position,
        });
    }
    Ok(out)
}

/// Splits a field path on `/`; a part ending in `\` continues with the
/// next one, joined by a slash. Blank parts are dropped.
fn split_path(path: &str) -> Vec<String> {
    config::walk::split_escaped(path)
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// What a missing field is created as, from the part that follows it.
fn created(next: Option<&str>) -> Node {
    match next {
        None => Node::Null,
        Some(p) if p.starts_with('[') && p.ends_with(']') => Node::Seq(Vec::new()),
        Some(_) => Node::map(),
    }
}

/// Walks `parts`, creating what is missing, as kyaml's path lookup with
/// creation does. `Ok(None)` when the walk ends early (an index past the
/// end, or a null on the way).
fn lookup_create<'a>(mut node: &'a mut Node, parts: &[String]) -> Result<Option<&'a mut Node>> {
    for (i, part) in parts.iter().enumerate() {
        let next = parts.get(i + 1).map(String::as_str);
        if let Some(index) = go_atoi(part) {
            if index < 0 {
                return Err(Error::transformer(format!(
                    "array index {index} cannot be negative"
                )));
            }
            let Node::Seq(items) = node else {
                return Err(wrong_kind("SequenceNode", node));
            };
            match usize::try_from(index).ok().and_then(|i| items.get_mut(i)) {
                Some(item) => node = item,
                None => return Ok(None),
            }
        } else if part == "-" {
            let Node::Seq(items) = node else {
                return Err(wrong_kind("SequenceNode", node));
            };
            match items.last_mut() {
                Some(item) => node = item,
                None => return Ok(None),
            }
        } else if part.starts_with('[') && part.ends_with(']') {
            let inner = &part[1..part.len() - 1];
            let Some((key, value)) = inner.split_once('=') else {
                return Err(Error::transformer(format!("list path element must contain fieldName=fieldValue for element to match: {part}")));
            };
            let Node::Seq(items) = node else {
                return Err(wrong_kind("SequenceNode", node));
            };
            let pos = items.iter().position(|item| {
                if key.is_empty() {
                    item.is_scalar() && item.scalar_text().as_deref() == Some(value)
                } else {
                    item.get(key).and_then(Node::scalar_text).as_deref() == Some(value)
                }
            });
            let pos = match pos {
                Some(p) => p,
                None => {
                    // An untagged scalar, typed like a plain one.
                    let mut element = Mapping::new();
                    element.insert(key, resolve_plain(value));
                    items.push(if key.is_empty() {
                        resolve_plain(value)
                    } else {
                        Node::Map(element)
                    });
                    items.len() - 1
                }
            };
            node = &mut items[pos];
        } else {
            match node {
                Node::Null => return Ok(None),
                Node::Map(m) => node = m.entry_or_insert_with(part, || created(next)),
                other => return Err(wrong_kind("MappingNode", other)),
            }
        }
    }
    Ok(Some(node))
}

/// Sets `value` at `path` in one object.
fn add_value(node: &mut Node, path: &str, file_path_position: i64, value: &str) -> Result<()> {
    let Some(leaf) = lookup_create(node, &split_path(path))? else {
        return Ok(());
    };
    if matches!(leaf, Node::Map(_) | Node::Seq(_)) {
        return Err(wrong_kind("ScalarNode", leaf));
    }
    let current = match &*leaf {
        Node::Null => String::new(),
        other => other.scalar_text().unwrap_or_default(),
    };
    let new = if file_path_position > 0 {
        insert_path_part(
            &current,
            usize::try_from(file_path_position - 1).unwrap_or(usize::MAX),
            value,
        )
    } else {
        value.to_string()
    };
    // kustomize writes an untagged scalar in the old one's style: a
    // quoted string stays a string, anything plain is typed anew. Quoting
    // is not kept here, so a string field stays a string.
    *leaf = if matches!(&*leaf, Node::Str(_)) {
        Node::str(new)
    } else {
        resolve_plain(&new)
    };
    Ok(())
}

/// Splits a file path into its elements; an absolute path starts with an
/// empty element.
fn path_split(path: &str) -> Vec<String> {
    if path.is_empty() {
        return Vec::new();
    }
    let (dir, file) = match path.rfind('/') {
        Some(i) => (&path[..=i], &path[i + 1..]),
        None => ("", path),
    };
    if dir == "/" {
        return if file.is_empty() {
            vec![String::new()]
        } else {
            vec![String::new(), file.to_string()]
        };
    }
    let dir = dir.strip_suffix('/').unwrap_or(dir);
    if dir.is_empty() {
        return vec![file.to_string()];
    }
    let mut parts = path_split(dir);
    parts.push(file.to_string());
    parts
}

/// Go's `filepath.Join`: the non-empty elements joined by `/`, cleaned.
fn join(parts: &[String]) -> String {
    let joined = parts
        .iter()
        .filter(|p| !p.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join("/");
    if joined.is_empty() {
        return String::new();
    }
    crate::fs::clean(std::path::Path::new(&joined))
        .to_string_lossy()
        .into_owned()
}

/// kyaml's `InsertPathPart`: `part` becomes element `pos` (0-based) of
/// `path`; positions past the end append, and an absolute path stays
/// absolute.
fn insert_path_part(path: &str, pos: usize, part: &str) -> String {
    if part.is_empty() {
        return path.to_string();
    }
    let parts = path_split(path);
    let mut pos = pos.min(parts.len());
    if parts.first().is_some_and(String::is_empty) && pos < parts.len() {
        pos += 1;
    }
    let mut out: Vec<String> = parts[..pos].to_vec();
    out.push(part.to_string());
    out.extend_from_slice(&parts[pos..]);
    if out.first().is_some_and(String::is_empty) {
        return format!("/{}", join(&out[1..]));
    }
    join(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::{parse_one, parse_stream};

    #[test]
    fn insert_path_part_cases() {
        // The table in kyaml's documentation of InsertPathPart.
        for (old, pos, new) in [
            ("", 5, "PEACH"),
            ("/", 5, "/PEACH"),
            ("pie", 0, "PEACH/pie"),
            ("/pie", 0, "/PEACH/pie"),
            ("raw", 1, "raw/PEACH"),
            ("/raw", 9, "/raw/PEACH"),
            ("a/nice/warm/pie", 3, "a/nice/warm/PEACH/pie"),
            ("/a/nice/warm/pie", 3, "/a/nice/warm/PEACH/pie"),
        ] {
            assert_eq!(insert_path_part(old, pos, "PEACH"), new, "{old} at {pos}");
        }
    }

    /// The expected object is what `kubectl kustomize` printed for the
    /// same transformer config.
    #[test]
    fn values_paths_and_types() {
        let config = parse_one(
            r"apiVersion: builtin
kind: ValueAddTransformer
metadata:
  name: x
value: '123'
targets:
- fieldPath: spec/new
- fieldPath: spec/quoted
- fieldPath: spec/path
  filePathPosition: 2
- fieldPath: spec/abs
  filePathPosition: 1
- fieldPath: spec/list/[name=a]/v
- fieldPath: spec/list/[name=z]/v
- fieldPath: spec/nul
- fieldPath: spec/deep/er/est
- fieldPath: spec/a\/b
",
        )
        .unwrap();
        let t = ValueAdd::from_config(&config, "dir", &mut |_| Ok(String::new())).unwrap();
        let object = "apiVersion: example.com/v1\nkind: Foo\nmetadata:\n  name: f\nspec:\n  plain: abc\n  quoted: \"abc\"\n  path: a/b/c\n  abs: /x/y\n  nul: null\n  list:\n  - name: a\n    v: 1\n";
        let mut rs: Vec<Resource> = parse_stream(object)
            .unwrap()
            .into_iter()
            .map(Resource::new)
            .collect();
        t.apply(&mut rs).unwrap();
        let expected = parse_one(
            "apiVersion: example.com/v1\nkind: Foo\nmetadata:\n  name: f\nspec:\n  a/b: 123\n  abs: /123/x/y\n  deep:\n    er:\n      est: 123\n  list:\n  - name: a\n    v: 123\n  - name: z\n    v: 123\n  new: 123\n  nul: 123\n  path: a/123/b/c\n  plain: abc\n  quoted: \"123\"\n",
        )
        .unwrap();
        let mut got = rs[0].node.clone();
        let mut want = expected;
        for n in [&mut got, &mut want] {
            if let Some(Node::Map(spec)) = n.get_mut("spec") {
                spec.sort_by(|a, b| a.cmp(b));
            }
        }
        assert_eq!(got, want);
    }

    #[test]
    fn default_value_namespace_and_config_errors() {
        let config = parse_one("kind: ValueAddTransformer\ntargets:\n- fieldPath: metadata/namespace\n- selector: {kind: Foo}\n  fieldPath: spec/ref\n  filePathPosition: 2\n").unwrap();
        let t = ValueAdd::from_config(&config, "dog-222", &mut |_| Ok(String::new())).unwrap();
        let mut rs: Vec<Resource> = parse_stream("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n---\napiVersion: x/v1\nkind: Foo\nmetadata:\n  name: f\nspec:\n  ref: projects\n")
            .unwrap()
            .into_iter()
            .map(Resource::new)
            .collect();
        t.apply(&mut rs).unwrap();
        // Namespaces are cluster-scoped: left alone.
        assert_eq!(rs[0].namespace(), "");
        assert_eq!(rs[1].namespace(), "dog-222");
        assert_eq!(
            rs[1].node.str_at(&["spec", "ref"]),
            Some("projects/dog-222")
        );

        let no_targets = parse_one("kind: ValueAddTransformer\nvalue: x\n").unwrap();
        assert_eq!(
            ValueAdd::from_config(&no_targets, "d", &mut |_| Ok(String::new()))
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("must specify at least one target")
        );
        let from_file = parse_one("kind: ValueAddTransformer\ntargetFilePath: t.yaml\n").unwrap();
        let t = ValueAdd::from_config(&from_file, "d", &mut |_| {
            Ok("targets:\n- fieldPath: spec/x\n".to_string())
        })
        .unwrap();
        assert_eq!(t.targets.len(), 1);
        let empty_path =
            parse_one("kind: ValueAddTransformer\ntargets:\n- selector: {kind: Foo}\n").unwrap();
        assert_eq!(
            ValueAdd::from_config(&empty_path, "d", &mut |_| Ok(String::new()))
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("fieldPath cannot be empty")
        );
    }
}
