//! Loading values in layers.
//!
//! Layers, lowest first (later wins): the project's `values/values.yaml`,
//! each `--values` file, each `--set` argument, each `COMPOSE_VALUES__*`
//! environment variable. Files are read with the engine's YAML reader
//! (with positions); `--set` and environment values are typed by the
//! schema (see [`set`]). figment merges the layers (see [`provider`]):
//! mappings merge key by key, lists and scalars replace, and null deletes
//! the key from everything below it.
//!
//! The result keeps, for every JSON pointer, the layer that supplied the
//! winning value, so a validation error points at that layer's file, line
//! and column (or at the `--set` argument or the variable).

pub(crate) mod provider;
pub mod set;

use crate::diagnostic::{Diagnostic, Origin};
use crate::error::Error;
use crate::schema::{display_path, Seg};
use crate::settings::{ValuesSettings, ENV_PREFIX};
use compose_yaml::{parse_stream_with_spans, Mapping, Node, SpanMap};
use std::path::Path;
use std::sync::Arc;

/// Where a layer came from.
#[derive(Clone, Debug)]
pub(crate) enum LayerSource {
    /// A values file.
    File {
        /// The path as shown.
        shown: String,
        /// Its text, for excerpts (empty for a file outside the project,
        /// which is never quoted).
        text: Arc<str>,
        /// Positions of its values by JSON pointer.
        spans: SpanMap,
    },
    /// One `--set` (or `--set-string`, ...) flag, as written: the flag
    /// and its argument.
    Set(String),
    /// One environment variable.
    Env(String),
}

/// One layer: its source and its values (a mapping).
#[derive(Clone, Debug)]
pub struct Layer {
    /// Where it came from.
    pub(crate) source: LayerSource,
    /// The values.
    pub(crate) data: Node,
    /// For a value flag or variable, its assignments in order: they say
    /// how the layer meets the lists below it (an index edits an item,
    /// see [`set::Assignment`]). Empty for a file, which replaces lists.
    pub(crate) assignments: Vec<set::Assignment>,
}

impl Layer {
    fn name(&self) -> String {
        match &self.source {
            LayerSource::File { shown, .. } => shown.clone(),
            LayerSource::Set(a) => a.clone(),
            LayerSource::Env(v) => v.clone(),
        }
    }
}

/// Merged values plus what is needed to point back into the layers.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The merged tree, nulls removed.
    pub tree: serde_json::Value,
    /// Winning layer by JSON pointer.
    origins: provider::Origins,
    /// The layers, lowest first.
    pub(crate) layers: Vec<Layer>,
}

impl Loaded {
    /// Where the value at `pointer` came from; with `key`, where its key is
    /// written (for unknown keys).
    pub(crate) fn origin(&self, pointer: &str, key: bool) -> Option<Origin> {
        let layer = self.layers.get(*self.origins.get(pointer)?)?;
        Some(origin_in(layer, pointer, key))
    }

    /// The index of the layer that supplied `pointer`, for sorting.
    pub(crate) fn layer_index(&self, pointer: &str) -> Option<usize> {
        self.origins
            .get(pointer)
            .copied()
            .filter(|l| *l != usize::MAX)
    }
}

/// Where `pointer` sits in `layer`; with `key`, where its key is written.
pub(crate) fn origin_in(layer: &Layer, pointer: &str, key: bool) -> Origin {
    match &layer.source {
        LayerSource::File { shown, text, spans } => {
            let pos = if key {
                spans
                    .get(&format!("{pointer}#key"))
                    .or_else(|| spans.get(pointer))
            } else {
                spans.get(pointer)
            };
            Origin::File {
                path: shown.clone(),
                line: pos.map(|p| p.line),
                col: pos.map(|p| p.col).unwrap_or(0),
                source: Some(text.clone()),
            }
        }
        LayerSource::Set(a) => Origin::Arg(a.clone()),
        LayerSource::Env(v) => Origin::Env(v.clone()),
    }
}

/// Reads one values file into a layer.
pub fn file_layer(shown: &str, text: &str) -> Result<Layer, Diagnostic> {
    let text: Arc<str> = Arc::from(text);
    let at = |line, col| Origin::File {
        path: shown.to_string(),
        line: Some(line),
        col,
        source: Some(text.clone()),
    };
    let mut docs = parse_stream_with_spans(&text).map_err(|e| {
        Diagnostic::at(
            at(e.pos.line, e.pos.col),
            format!("invalid YAML: {}", e.message),
        )
    })?;
    if docs.len() > 1 {
        return Err(Diagnostic::at(
            at(1, 0),
            "a values file holds one YAML document, this one holds several",
        ));
    }
    let (data, spans) = docs.pop().unwrap_or((Node::Null, SpanMap::default()));
    let data = match data {
        Node::Null => Node::Map(Mapping::new()),
        m @ Node::Map(_) => m,
        other => {
            let pos = spans.get("").copied().unwrap_or_default();
            return Err(Diagnostic::at(
                at(pos.line.max(1), pos.col),
                format!(
                    "values must be a mapping at the top level, found a {}",
                    other.kind_name()
                ),
            ));
        }
    };
    Ok(Layer {
        source: LayerSource::File {
            shown: shown.to_string(),
            text,
            spans,
        },
        data,
        assignments: Vec::new(),
    })
}

/// The layer without the text of its file, so that no message quotes it.
fn without_excerpts(mut layer: Layer) -> Layer {
    if let LayerSource::File { text, .. } = &mut layer.source {
        *text = Arc::from("");
    }
    layer
}

/// Builds the layer of one `--set` argument.
pub fn set_layer(arg: &str, schema: &serde_json::Value) -> Result<Layer, Diagnostic> {
    flag_layer(&set::SetArg::set(arg), schema)
}

/// Builds the layer of one value flag (`--set`, `--set-string`,
/// `--set-json`, `--set-file`, `--set-literal`).
pub(crate) fn flag_layer(a: &set::SetArg, schema: &serde_json::Value) -> Result<Layer, Diagnostic> {
    use set::SetFlag;
    let shown = a.to_string();
    let origin = || Origin::Arg(shown.clone());
    let at = |m: String| Diagnostic::at(origin(), m);
    let arg = a.arg.as_str();
    let some = |pairs: Vec<(Vec<Seg>, Node)>| -> Vec<(Vec<Seg>, Option<Node>)> {
        pairs.into_iter().map(|(p, v)| (p, Some(v))).collect()
    };
    let pairs: Vec<(Vec<Seg>, Option<Node>)> = match a.flag {
        SetFlag::Set => {
            let mut out = Vec::new();
            for (path, raw) in set::parse_pairs(arg).map_err(at)? {
                if raw == set::Raw::Bare {
                    out.push((path, None));
                    continue;
                }
                let v = set::type_raw(schema, &path, &raw).map_err(at)?;
                out.push((path, Some(v)));
            }
            out
        }
        SetFlag::String => set::parse_pairs(arg)
            .map_err(at)?
            .into_iter()
            .map(|(path, raw)| match raw {
                set::Raw::Bare => (path, None),
                raw => (path, Some(set::as_strings(&raw))),
            })
            .collect(),
        SetFlag::Json => some(set::parse_json(arg).map_err(at)?),
        SetFlag::Literal => some(vec![set::parse_literal(arg).map_err(at)?]),
        SetFlag::File => {
            let mut out = Vec::new();
            for (path, raw) in set::parse_pairs(arg).map_err(at)? {
                if raw == set::Raw::Bare {
                    out.push((path, None));
                    continue;
                }
                let set::Raw::Scalar(file) = raw else {
                    return Err(at(format!(
                        "{}: --set-file takes one file, not a list",
                        display_path(&path)
                    )));
                };
                let text = std::fs::read_to_string(&file).map_err(|e| {
                    at(format!(
                        "{}: cannot read `{file}`: {e}",
                        display_path(&path)
                    ))
                })?;
                out.push((path, Some(Node::str(text))));
            }
            out
        }
    };
    let mut data = Node::Map(Mapping::new());
    let mut assignments = Vec::new();
    for (path, value) in pairs {
        match &value {
            Some(v) => set::insert(&mut data, &path, v.clone()),
            None => set::ensure_list(&mut data, &path),
        }
        assignments.push(set::Assignment { path, value });
    }
    Ok(Layer {
        source: LayerSource::Set(shown),
        data,
        assignments,
    })
}

/// Builds the layer of one `COMPOSE_VALUES__a__b=value` variable. Keys
/// are separated by `__` and keep their case; a key of digits indexes a
/// list where the schema has one. Values are typed by the schema, and
/// `{a,b}` is a list, as with `--set`.
pub fn env_layer(name: &str, value: &str, schema: &serde_json::Value) -> Result<Layer, Diagnostic> {
    let origin = || Origin::Env(name.to_string());
    let rest = name.strip_prefix(ENV_PREFIX).unwrap_or(name);
    let mut path: Vec<Seg> = Vec::new();
    for part in rest.split("__") {
        if part.is_empty() {
            return Err(Diagnostic::at(
                origin(),
                format!("empty key in the name; write keys as {ENV_PREFIX}api__replicas"),
            ));
        }
        let is_list =
            crate::schema::types_at(schema, &path).is_some_and(|t| t.iter().any(|t| t == "array"));
        let index = is_list && !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        match part.parse::<usize>() {
            Ok(i) if index && i <= set::MAX_INDEX => path.push(Seg::Index(i)),
            _ if index => {
                return Err(Diagnostic::at(
                    origin(),
                    format!(
                        "{}: list index {part} is larger than {}",
                        display_path(&path),
                        set::MAX_INDEX
                    ),
                ))
            }
            _ => path.push(Seg::Key(part.to_string())),
        }
    }
    set::check_depth(&path).map_err(|m| Diagnostic::at(origin(), m))?;
    let raw = if value.starts_with('{') && value.ends_with('}') {
        match set::parse_pairs(&format!("x={value}")) {
            Ok(mut p) if p.len() == 1 => p.remove(0).1,
            _ => {
                return Err(Diagnostic::at(
                    origin(),
                    format!("{}: malformed list value", display_path(&path)),
                ))
            }
        }
    } else {
        set::Raw::Scalar(value.to_string())
    };
    let v = set::type_raw(schema, &path, &raw).map_err(|m| Diagnostic::at(origin(), m))?;
    let mut data = Node::Map(Mapping::new());
    set::insert(&mut data, &path, v.clone());
    Ok(Layer {
        source: LayerSource::Env(name.to_string()),
        data,
        assignments: vec![set::Assignment {
            path,
            value: Some(v),
        }],
    })
}

/// Loads every layer named by the settings and merges them. All layer
/// problems are collected before failing, so one run reports them all.
pub(crate) fn load(settings: &ValuesSettings, schema: &serde_json::Value) -> Result<Loaded, Error> {
    let mut layers = Vec::new();
    let mut problems = Vec::new();
    for f in &settings.files {
        let (text, quoted) = match &f.project_rel {
            Some(rel) => {
                let text = crate::owned::read(&settings.project, rel)?.ok_or_else(|| {
                    Error::io(
                        &f.shown,
                        &std::io::Error::from(std::io::ErrorKind::NotFound),
                    )
                })?;
                (text, true)
            }
            // Named by the user, so it may be anywhere; but a file outside
            // the project is never quoted in an excerpt.
            None if f.path == Path::new(crate::settings::STDIN) => {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
                    .map_err(|e| Error::io(&f.shown, &e))?;
                (text, true)
            }
            None => (
                std::fs::read_to_string(&f.path).map_err(|e| Error::io(&f.path, &e))?,
                crate::owned::resolves_inside(&settings.project, &f.path),
            ),
        };
        match file_layer(&f.shown, &text) {
            Ok(l) if quoted => layers.push(l),
            Ok(l) => layers.push(without_excerpts(l)),
            Err(d) if quoted => problems.push(d),
            Err(d) => problems.push(d.without_excerpt()),
        }
    }
    for arg in &settings.sets {
        match flag_layer(arg, schema) {
            Ok(l) => layers.push(l),
            Err(d) => problems.push(d),
        }
    }
    for (name, value) in &settings.env {
        match env_layer(name, value, schema) {
            Ok(l) => layers.push(l),
            Err(d) => problems.push(d),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Diagnostics(problems));
    }
    merge_layers(layers)
}

/// Merges already-built layers.
pub fn merge_layers(layers: Vec<Layer>) -> Result<Loaded, Error> {
    let providers: Vec<provider::LayerProvider> = layers
        .iter()
        .enumerate()
        .map(|(i, l)| provider::LayerProvider {
            index: i,
            name: l.name(),
            data: &l.data,
            assignments: &l.assignments,
        })
        .collect();
    let (tree, origins) =
        provider::merge(&providers).map_err(|e| Error::Internal(format!("merging values: {e}")))?;
    Ok(Loaded {
        tree,
        origins,
        layers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> serde_json::Value {
        let c = ["api", "redis"].map(crate::schema::ComponentInfo::named);
        crate::schema::generate(&c, &Default::default()).unwrap()
    }

    #[test]
    fn later_layers_win_and_origins_point_at_them() {
        let s = schema();
        let layers = vec![
            file_layer(
                "values/values.yaml",
                "api:\n  replicas: 1\n  image:\n    repository: a/api\n",
            )
            .unwrap(),
            file_layer("values/values-prod.yaml", "api:\n  replicas: 2\n").unwrap(),
            set_layer("api.image.tag=1.10", &s).unwrap(),
            env_layer("COMPOSE_VALUES__api__replicas", "5", &s).unwrap(),
        ];
        let l = merge_layers(layers).unwrap();
        assert_eq!(
            l.tree,
            json!({"api": {"replicas": 5, "image": {"repository": "a/api", "tag": "1.10"}}})
        );
        assert_eq!(
            l.origin("/api/replicas", false),
            Some(Origin::Env("COMPOSE_VALUES__api__replicas".into()))
        );
        assert_eq!(
            l.origin("/api/image/tag", false),
            Some(Origin::Arg("--set api.image.tag=1.10".into()))
        );
        match l.origin("/api/image/repository", false) {
            Some(Origin::File {
                path, line, col, ..
            }) => assert_eq!(
                (path.as_str(), line, col),
                ("values/values.yaml", Some(4), 17)
            ),
            other => panic!("{other:?}"),
        }
    }

    /// `--set list[1]=x` over a list a file loaded edits item 1 and keeps
    /// the others, as Helm's `--set` does over its `-f` files; the items
    /// left alone still point at their file's lines.
    #[test]
    fn an_index_edits_the_list_the_layers_below_hold() {
        let s = schema();
        let file = || {
            file_layer(
                "values/values.yaml",
                "lint:\n  external:\n    - Secret/a\n    - Secret/b\n    - Secret/c\n",
            )
            .unwrap()
        };
        let merged = |flags: &[&str]| {
            let mut layers = vec![file()];
            layers.extend(flags.iter().map(|f| set_layer(f, &s).unwrap()));
            merge_layers(layers).unwrap()
        };
        let l = merged(&["lint.external[1]=Secret/x"]);
        assert_eq!(
            l.tree,
            json!({"lint": {"external": ["Secret/a", "Secret/x", "Secret/c"]}})
        );
        assert_eq!(
            l.origin("/lint/external/1", false),
            Some(Origin::Arg("--set lint.external[1]=Secret/x".into()))
        );
        match l.origin("/lint/external/2", false) {
            Some(Origin::File {
                path, line, col, ..
            }) => assert_eq!(
                (path.as_str(), line, col),
                ("values/values.yaml", Some(5), 7)
            ),
            other => panic!("{other:?}"),
        }
        // Past the end, the list grows with nulls in between.
        assert_eq!(
            merged(&["lint.external[4]=Secret/y"]).tree,
            json!({"lint": {"external": ["Secret/a", "Secret/b", "Secret/c", null, "Secret/y"]}})
        );
        // A list value replaces the list; a later index edits that one.
        assert_eq!(
            merged(&["lint.external={Secret/z}"]).tree,
            json!({"lint": {"external": ["Secret/z"]}})
        );
        assert_eq!(
            merged(&["lint.external={Secret/z}", "lint.external[1]=Secret/w"]).tree,
            json!({"lint": {"external": ["Secret/z", "Secret/w"]}})
        );
        // Two indexes in one flag edit the same list.
        assert_eq!(
            merged(&["lint.external[0]=Secret/p,lint.external[2]=Secret/q"]).tree,
            json!({"lint": {"external": ["Secret/p", "Secret/b", "Secret/q"]}})
        );
        // `list[0]` alone keeps the list; with nothing below it is empty;
        // `list[0]=` is an empty string.
        assert_eq!(
            merged(&["lint.external[0]"]).tree,
            json!({"lint": {"external": ["Secret/a", "Secret/b", "Secret/c"]}})
        );
        let alone = |flag: &str| {
            merge_layers(vec![set_layer(flag, &s).unwrap()])
                .unwrap()
                .tree
        };
        assert_eq!(alone("lint.external[0]"), json!({"lint": {"external": []}}));
        assert_eq!(
            alone("lint.external[0]="),
            json!({"lint": {"external": [""]}})
        );
        // An environment variable's index edits the list in the same way.
        let l = merge_layers(vec![
            file(),
            env_layer("COMPOSE_VALUES__lint__external__0", "Secret/e", &s).unwrap(),
        ])
        .unwrap();
        assert_eq!(
            l.tree,
            json!({"lint": {"external": ["Secret/e", "Secret/b", "Secret/c"]}})
        );
    }

    /// A key under an index edits that item's mapping, keeping its other
    /// keys.
    #[test]
    fn a_key_under_an_index_edits_the_item() {
        let s = schema();
        let l = merge_layers(vec![
            file_layer(
                "values/values.yaml",
                "api:\n  tolerations:\n    - {key: a, operator: Exists}\n    - {key: b, operator: Exists}\n",
            )
            .unwrap(),
            set_layer("api.tolerations[1].effect=NoSchedule", &s).unwrap(),
        ])
        .unwrap();
        assert_eq!(
            l.tree,
            json!({"api": {"tolerations": [
                {"key": "a", "operator": "Exists"},
                {"key": "b", "operator": "Exists", "effect": "NoSchedule"}
            ]}})
        );
        match l.origin("/api/tolerations/1/key", false) {
            Some(Origin::File { line, .. }) => assert_eq!(line, Some(4)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn file_problems_are_located() {
        let d = file_layer("v.yaml", "a: [1\n").unwrap_err();
        assert!(d.headline().starts_with("v.yaml:"), "{}", d.headline());
        let d = file_layer("v.yaml", "- 1\n").unwrap_err();
        assert_eq!(
            d.headline(),
            "v.yaml:1:1: values must be a mapping at the top level, found a sequence"
        );
    }

    #[test]
    fn env_names_map_to_paths() {
        let s = schema();
        let l = env_layer("COMPOSE_VALUES__namePrefix", "x-", &s).unwrap();
        assert_eq!(
            compose_yaml::json::to_json(&l.data),
            r#"{"namePrefix":"x-"}"#
        );
        let message = env_layer("COMPOSE_VALUES__api____x", "1", &s)
            .unwrap_err()
            .render();
        assert_eq!(
            message,
            "environment variable COMPOSE_VALUES__api____x: empty key in the name; write keys as COMPOSE_VALUES__api__replicas\n"
        );
        // An index is bounded like --set's: the list is filled up to it.
        let e = env_layer("COMPOSE_VALUES__lint__external__99999999999", "x", &s).unwrap_err();
        assert_eq!(
            e.headline(),
            "environment variable COMPOSE_VALUES__lint__external__99999999999: lint.external: list index 99999999999 is larger than 10000"
        );
        let l = env_layer("COMPOSE_VALUES__lint__external__2", "Secret/x", &s).unwrap();
        assert_eq!(
            compose_yaml::json::to_json(&l.data),
            r#"{"lint":{"external":[null,null,"Secret/x"]}}"#
        );
        let e = env_layer("COMPOSE_VALUES__api__replicas", "many", &s).unwrap_err();
        assert_eq!(e.headline(), "environment variable COMPOSE_VALUES__api__replicas: api.replicas: \"many\" is not of type integer");
    }
}
