//! The kustomization file: parsing, kustomize's type checks, and the
//! fix-ups it applies before a build (deprecated fields folded into their
//! replacements).
//!
//! kustomize decodes the file strictly through JSON: an unknown field, or a
//! number where a string belongs, is an error. The same checks are made
//! here from a table of field kinds. The file is read with YAML 1.1 scalar
//! rules, as kustomize reads it, so `yes` is a boolean and is refused where
//! a string is expected.

use super::error::{Error, Location, Result};
use compose_yaml::{Mapping, Node, Str};
use std::path::Path;
use std::sync::Arc;

/// `apiVersion` of a Kustomization.
pub(crate) const KUSTOMIZATION_API_VERSION: &str = "kustomize.config.k8s.io/v1beta1";
/// `apiVersion` of a Component.
pub(crate) const COMPONENT_API_VERSION: &str = "kustomize.config.k8s.io/v1alpha1";

/// The shape of a top-level field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Str,
    StrList,
    StrMap,
    List,
    Map,
}

/// Every field kustomize v5.5.0 knows, with its shape. Fields marked as
/// `List`/`Map` are checked by the stage that reads them.
const FIELDS: &[(&str, Shape)] = &[
    ("apiVersion", Shape::Str),
    ("kind", Shape::Str),
    ("metadata", Shape::Map),
    ("openapi", Shape::StrMap),
    ("namePrefix", Shape::Str),
    ("nameSuffix", Shape::Str),
    ("namespace", Shape::Str),
    ("commonLabels", Shape::StrMap),
    ("labels", Shape::List),
    ("commonAnnotations", Shape::StrMap),
    ("patchesStrategicMerge", Shape::StrList),
    ("patchesJson6902", Shape::List),
    ("patches", Shape::List),
    ("images", Shape::List),
    ("imageTags", Shape::List),
    ("replacements", Shape::List),
    ("replicas", Shape::List),
    ("vars", Shape::List),
    ("sortOptions", Shape::Map),
    ("resources", Shape::StrList),
    ("components", Shape::StrList),
    ("crds", Shape::StrList),
    ("bases", Shape::StrList),
    ("configMapGenerator", Shape::List),
    ("secretGenerator", Shape::List),
    ("helmGlobals", Shape::Map),
    ("helmCharts", Shape::List),
    ("helmChartInflationGenerator", Shape::List),
    ("generatorOptions", Shape::Map),
    ("configurations", Shape::StrList),
    ("generators", Shape::StrList),
    ("transformers", Shape::StrList),
    ("validators", Shape::StrList),
    ("buildMetadata", Shape::StrList),
];

/// A parsed kustomization (or component).
#[derive(Clone, Debug, Default)]
pub struct Kustomization {
    /// The file's fields after the fix-ups.
    pub(crate) fields: Mapping,
    /// `Kustomization` or `Component`.
    pub(crate) kind: String,
    /// The file name it was read from.
    pub(crate) file_name: String,
    /// Fields written with another spelling than their own (`Resources`),
    /// for pointing at them.
    written: Vec<(&'static str, Str)>,
    /// How many `resources` the file lists before its `bases` join them.
    resources_before_bases: usize,
}

impl Kustomization {
    /// Parses and checks a kustomization file's text.
    pub fn parse(text: &str, file_name: &str, dir: &Path) -> Result<Kustomization> {
        let file = dir.join(file_name);
        // Where a field or value of this file is, for a message: the text
        // is parsed again only when something is wrong.
        let at = |pointer: &str| locate(&file, text, pointer);
        let docs = compose_yaml::parse_stream_yaml11(text).map_err(|error| Error::Yaml {
            path: file.clone(),
            error,
        })?;
        let node = match docs.into_iter().find(|d| !d.is_null()) {
            None => Node::map(),
            Some(n @ Node::Map(_)) => n,
            Some(other) => {
                return Err(Error::kustomization(format!(
                    "invalid Kustomization: json: cannot unmarshal {} into Go value of type types.Kustomization",
                    go_type_name(&other)
                ))
                .at(at("")))
            }
        };
        let Node::Map(raw) = node else {
            unreachable!("checked above")
        };
        // Go's JSON decoder matches field names without regard to case,
        // so `nameprefix` is `namePrefix`; a later spelling wins.
        let mut fields = Mapping::new();
        let mut written = Vec::new();
        for (key, value) in raw {
            let canonical = FIELDS
                .iter()
                .find(|(k, _)| *k == key)
                .or_else(|| FIELDS.iter().find(|(k, _)| k.eq_ignore_ascii_case(&key)));
            let pointer = || format!("/{}", compose_yaml::parse::pointer_segment(&key));
            let Some((name, shape)) = canonical else {
                let e = Error::kustomization(format!(
                    "invalid Kustomization: json: unknown field \"{key}\""
                ));
                let mut here = at(&format!("{}#key", pointer()));
                let suggestion = crate::suggest::did_you_mean(&key, FIELDS.iter().map(|(k, _)| *k));
                if suggestion == Some("secretGenerator") {
                    // Its line may hold a secret's literal.
                    here.source = None;
                }
                return Err(match suggestion {
                    Some(s) => e.at_with_hint(here, format!("did you mean `{s}`?")),
                    None => e.at(here),
                });
            };
            check_shape(name, &value, *shape).map_err(|e| {
                let mut here = at(&pointer());
                if *name == "secretGenerator" {
                    here.source = None;
                }
                e.at(here)
            })?;
            if *name != key {
                written.push((*name, key.clone()));
            }
            fields.insert(*name, value);
        }
        let kind = fields
            .get("kind")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        let empty = fields
            .iter()
            .all(|(k, v)| matches!(k.as_str(), "apiVersion" | "kind" | "metadata") || v.is_null());
        if empty {
            return Err(Error::kustomization("kustomization.yaml is empty").at_file(&file));
        }
        let kind = if kind.is_empty() {
            "Kustomization".to_string()
        } else {
            kind
        };
        let api_version = fields
            .get("apiVersion")
            .and_then(Node::as_str)
            .unwrap_or("")
            .to_string();
        let mut errs = Vec::new();
        let mut first = None;
        if kind != "Kustomization" && kind != "Component" {
            errs.push("kind should be Kustomization or Component".to_string());
            first = Some("/kind");
        }
        let required = if kind == "Component" {
            COMPONENT_API_VERSION
        } else {
            KUSTOMIZATION_API_VERSION
        };
        if !api_version.is_empty() && api_version != required {
            errs.push(format!("apiVersion for {kind} should be {required}"));
            first = first.or(Some("/apiVersion"));
        }
        if let Some(pointer) = first {
            return Err(Error::kustomization(format!(
                "Failed to read kustomization file under {}:\n{}",
                dir.display(),
                errs.join("\n")
            ))
            .at(at(pointer)));
        }
        let resources_before_bases = match fields.get("resources") {
            Some(Node::Seq(r)) => r.len(),
            _ => 0,
        };
        fix_up(&mut fields);
        Ok(Kustomization {
            fields,
            kind,
            file_name: file_name.to_string(),
            written,
            resources_before_bases,
        })
    }

    /// The JSON pointer, in the file as written, of item `index` of a list
    /// field (`resources` counts the `bases` that joined it).
    pub(crate) fn item_pointer(&self, field: &str, index: usize) -> String {
        let (field, index) = if field == "resources" && index >= self.resources_before_bases {
            ("bases", index - self.resources_before_bases)
        } else {
            (field, index)
        };
        let written = self
            .written
            .iter()
            .rev()
            .find(|(f, _)| *f == field)
            .map_or(field, |(_, w)| w.as_str());
        format!("/{}/{index}", compose_yaml::parse::pointer_segment(written))
    }

    /// Whether this is a Component.
    pub fn is_component(&self) -> bool {
        self.kind == "Component"
    }

    /// A field's value, if present and not null.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.fields.get(key).filter(|n| !n.is_null())
    }

    /// A string field, or "".
    pub fn str(&self, key: &str) -> &str {
        self.get(key).and_then(Node::as_str).unwrap_or("")
    }

    /// A list-of-strings field (already type-checked).
    pub fn str_list(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            Some(Node::Seq(items)) => items.iter().filter_map(|n| n.scalar_text()).collect(),
            _ => Vec::new(),
        }
    }

    /// A list field's items.
    pub fn list(&self, key: &str) -> &[Node] {
        match self.get(key) {
            Some(Node::Seq(items)) => items,
            _ => &[],
        }
    }

    /// A map-of-strings field as ordered pairs.
    pub fn str_map(&self, key: &str) -> Vec<(String, String)> {
        match self.get(key) {
            Some(Node::Map(m)) => m
                .iter()
                .map(|(k, v)| (k.to_string(), v.scalar_text().unwrap_or_default()))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether `buildMetadata` lists `option`.
    pub fn build_metadata(&self, option: &str) -> bool {
        self.str_list("buildMetadata").iter().any(|o| o == option)
    }
}

/// Where the value at `pointer` (a key, with a `#key` suffix) is in a
/// kustomization file's `text`, with the text for an excerpt; the file
/// alone when the text has no such value. The text is parsed again: this
/// is for messages only.
pub(crate) fn locate(file: &Path, text: &str, pointer: &str) -> Location {
    let here = Location::file(file).with_source(Arc::from(text));
    match compose_yaml::parse::locate(text, pointer) {
        Some(pos) => Location {
            line: pos.line,
            column: pos.col,
            ..here
        },
        None => here,
    }
}

/// kustomize's `FixKustomization`: `bases` join `resources`, `imageTags`
/// join `images`, and a generator's single `env` joins its `envs`.
fn fix_up(fields: &mut Mapping) {
    if let Some(Node::Seq(bases)) = fields.remove("bases") {
        let res = fields.entry_or_insert_with("resources", || Node::Seq(Vec::new()));
        if let Node::Seq(r) = res {
            r.extend(bases);
        } else {
            *res = Node::Seq(bases);
        }
    }
    if let Some(Node::Seq(tags)) = fields.remove("imageTags") {
        let images = fields.entry_or_insert_with("images", || Node::Seq(Vec::new()));
        if let Node::Seq(i) = images {
            i.extend(tags);
        } else {
            *images = Node::Seq(tags);
        }
    }
    for key in ["configMapGenerator", "secretGenerator"] {
        if let Some(Node::Seq(gens)) = fields.get_mut(key) {
            for g in gens.iter_mut() {
                let Node::Map(m) = g else { continue };
                if let Some(Node::Str(env)) = m.remove("env") {
                    if env.is_empty() {
                        continue;
                    }
                    let envs = m.entry_or_insert_with("envs", || Node::Seq(Vec::new()));
                    if let Node::Seq(e) = envs {
                        e.push(Node::Str(env));
                    } else {
                        *envs = Node::Seq(vec![Node::Str(env)]);
                    }
                }
            }
        }
    }
}

/// The name Go's JSON decoder gives a value's type in its errors.
pub fn go_type_name(n: &Node) -> &'static str {
    match n {
        Node::Null => "null",
        Node::Bool(_) => "bool",
        Node::Int(_) | Node::Uint(_) | Node::Float(_) => "number",
        Node::Str(_) => "string",
        Node::Seq(_) => "array",
        Node::Map(_) => "object",
    }
}

fn type_error(field: &str, found: &Node, want: &str) -> Error {
    Error::kustomization(format!(
        "invalid Kustomization: json: cannot unmarshal {} into Go struct field Kustomization.{field} of type {want}",
        go_type_name(found)
    ))
}

fn check_shape(field: &str, value: &Node, shape: Shape) -> Result<()> {
    if value.is_null() {
        return Ok(());
    }
    match shape {
        Shape::Str => match value {
            Node::Str(_) => Ok(()),
            other => Err(type_error(field, other, "string")),
        },
        Shape::StrList => match value {
            Node::Seq(items) => {
                for item in items {
                    if !matches!(item, Node::Str(_)) {
                        return Err(type_error(field, item, "string"));
                    }
                }
                Ok(())
            }
            other => Err(type_error(field, other, "[]string")),
        },
        Shape::StrMap => match value {
            Node::Map(m) => {
                for (_, v) in m.iter() {
                    if !matches!(v, Node::Str(_) | Node::Null) {
                        return Err(type_error(field, v, "string"));
                    }
                }
                Ok(())
            }
            other => Err(type_error(field, other, "map[string]string")),
        },
        Shape::List => match value {
            Node::Seq(_) => Ok(()),
            other => Err(type_error(field, other, "[]")),
        },
        Shape::Map => match value {
            Node::Map(_) => Ok(()),
            other => Err(type_error(field, other, "struct")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Kustomization> {
        Kustomization::parse(text, "kustomization.yaml", Path::new("/k"))
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_refused() {
        assert_eq!(
            parse("resources: [a.yaml]\nfoo: bar\n")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("/k/kustomization.yaml:2:1: invalid Kustomization: json: unknown field \"foo\"")
        );
        assert_eq!(
            parse("namePrefix: [a]\n").err().map(|e| e.to_string()).as_deref(),
            Some("/k/kustomization.yaml:1:13: invalid Kustomization: json: cannot unmarshal array into Go struct field Kustomization.namePrefix of type string"));
        assert_eq!(
            parse("commonLabels:\n  v: 1\n").err().map(|e| e.to_string()).as_deref(),
            Some("/k/kustomization.yaml:2:3: invalid Kustomization: json: cannot unmarshal number into Go struct field Kustomization.commonLabels of type string"));
        // YAML 1.1: `yes` is a boolean in a kustomization file.
        assert_eq!(
            parse("commonLabels:\n  v: yes\n").err().map(|e| e.to_string()).as_deref(),
            Some("/k/kustomization.yaml:2:3: invalid Kustomization: json: cannot unmarshal bool into Go struct field Kustomization.commonLabels of type string"));
        assert!(parse("commonLabels:\n  v: \"1\"\n").is_ok());
    }

    #[test]
    fn field_names_match_without_case_and_repeats_replace() {
        let k = parse("nameprefix: a-\nresources: [x]\nresources: [z]\n").unwrap();
        assert_eq!(k.str("namePrefix"), "a-");
        assert_eq!(k.str_list("resources"), vec!["z"]);
    }

    #[test]
    fn empty_kustomizations_are_refused() {
        assert_eq!(
            parse("resources:\n")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("/k/kustomization.yaml: kustomization.yaml is empty")
        );
        assert_eq!(
            parse("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("/k/kustomization.yaml: kustomization.yaml is empty")
        );
        assert!(parse("resources: []\n").is_ok());
    }

    #[test]
    fn deprecated_fields_are_folded_in() {
        let k = parse(
            "resources: [a]\nbases: [b]\nconfigMapGenerator:\n- name: x\n  envs: [e1]\n  env: e2\n",
        )
        .unwrap();
        assert_eq!(k.str_list("resources"), vec!["a", "b"]);
        let g = &k.list("configMapGenerator")[0];
        assert_eq!(
            g.get("envs"),
            Some(&Node::Seq(vec![Node::str("e1"), Node::str("e2")]))
        );
    }

    #[test]
    fn kind_and_api_version_are_checked() {
        assert_eq!(
            parse("kind: Foo\nresources: []\n").err().map(|e| e.to_string()).as_deref(),
            Some("/k/kustomization.yaml:1:7: Failed to read kustomization file under /k:\nkind should be Kustomization or Component"));
        assert_eq!(
            (parse(
                "kind: Component\napiVersion: kustomize.config.k8s.io/v1beta1\nresources: []\n",
            )).err().map(|e| e.to_string()).as_deref(),
            Some("/k/kustomization.yaml:2:13: Failed to read kustomization file under /k:\napiVersion for Component should be kustomize.config.k8s.io/v1alpha1"));
        assert!(parse("kind: Component\nresources: []\n").is_ok_and(|k| k.is_component()));
    }
}
