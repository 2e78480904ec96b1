//! `configMapGenerator` and `secretGenerator`, and the content hash that
//! generated names carry.
//!
//! Data comes from env files, then literals, then files, in that order (as
//! kustomize reads them); a key may appear once. ConfigMap values that are
//! not UTF-8 go to `binaryData`. Secret values are base64 with a line break
//! every 70 characters once they are that long, as kustomize writes them.
//! The hash is SHA-256 over a small JSON document (kind, name, data, and
//! for Secrets the type), cut to ten hex digits with a few letters swapped
//! so the suffix never reads as a number.

use super::error::{Error, Result};
use super::loader::Loader;
use super::resource::Resource;
use base64::Engine as _;
use compose_yaml::{json::to_json, Mapping, Node};
use sha2::{Digest, Sha256};

/// Generator options: from `generatorOptions` or a generator's `options`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct GeneratorOptions {
    /// Labels for the generated object.
    pub(crate) labels: Vec<(String, String)>,
    /// Annotations for the generated object.
    pub(crate) annotations: Vec<(String, String)>,
    /// Leave the name without a hash suffix.
    pub(crate) disable_name_suffix_hash: bool,
    /// Set `immutable: true`.
    pub(crate) immutable: bool,
}

impl GeneratorOptions {
    /// Parses an `options`/`generatorOptions` mapping.
    pub(crate) fn from_node(node: Option<&Node>) -> Result<GeneratorOptions> {
        let mut o = GeneratorOptions::default();
        let Some(node) = node.filter(|n| !n.is_null()) else {
            return Ok(o);
        };
        let Node::Map(m) = node else {
            return Err(Error::generator("generator options must be a mapping"));
        };
        for (k, v) in m.iter() {
            match k.as_str() {
                "labels" => o.labels = string_map(v, "labels")?,
                "annotations" => o.annotations = string_map(v, "annotations")?,
                "disableNameSuffixHash" => o.disable_name_suffix_hash = bool_field(v, k)?,
                "immutable" => o.immutable = bool_field(v, k)?,
                other => {
                    return Err(Error::generator(format!(
                        "json: unknown field \"{other}\" in generator options"
                    )))
                }
            }
        }
        Ok(o)
    }

    /// kustomize's merge of global options into a generator's own: global
    /// labels and annotations override, and either flag set stays set.
    pub(crate) fn with_global(mut self, global: &GeneratorOptions) -> GeneratorOptions {
        for (k, v) in &global.labels {
            set_pair(&mut self.labels, k, v);
        }
        for (k, v) in &global.annotations {
            set_pair(&mut self.annotations, k, v);
        }
        self.disable_name_suffix_hash |= global.disable_name_suffix_hash;
        self.immutable |= global.immutable;
        self
    }
}

fn set_pair(pairs: &mut Vec<(String, String)>, k: &str, v: &str) {
    match pairs.iter_mut().find(|(pk, _)| pk == k) {
        Some(p) => p.1 = v.to_string(),
        None => pairs.push((k.to_string(), v.to_string())),
    }
}

fn string_map(v: &Node, what: &str) -> Result<Vec<(String, String)>> {
    match v {
        Node::Null => Ok(Vec::new()),
        Node::Map(m) => m
            .iter()
            .map(|(k, v)| match v {
                Node::Str(s) => Ok((k.to_string(), s.to_string())),
                Node::Null => Ok((k.to_string(), String::new())),
                other => Err(Error::generator(format!(
                    "{what}: value of `{k}` must be a string, not {}",
                    other.kind_name()
                ))),
            })
            .collect(),
        other => Err(Error::generator(format!(
            "{what} must be a mapping, not {}",
            other.kind_name()
        ))),
    }
}

fn bool_field(v: &Node, what: &str) -> Result<bool> {
    match v {
        Node::Bool(b) => Ok(*b),
        Node::Null => Ok(false),
        other => Err(Error::generator(format!(
            "{what} must be a boolean, not {}",
            other.kind_name()
        ))),
    }
}

fn str_field<'n>(m: &'n Mapping, key: &str) -> Result<&'n str> {
    match m.get(key) {
        None | Some(Node::Null) => Ok(""),
        Some(Node::Str(s)) => Ok(s),
        Some(other) => Err(Error::generator(format!(
            "generator field `{key}` must be a string, not {}",
            other.kind_name()
        ))),
    }
}

fn str_list(m: &Mapping, key: &str) -> Result<Vec<String>> {
    match m.get(key) {
        None | Some(Node::Null) => Ok(Vec::new()),
        Some(Node::Seq(items)) => items
            .iter()
            .map(|i| match i {
                Node::Str(s) => Ok(s.to_string()),
                other => Err(Error::generator(format!(
                    "generator field `{key}` must list strings, not {}",
                    other.kind_name()
                ))),
            })
            .collect(),
        Some(other) => Err(Error::generator(format!(
            "generator field `{key}` must be a list, not {}",
            other.kind_name()
        ))),
    }
}

/// Which object a generator makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GeneratorKind {
    /// `configMapGenerator`.
    ConfigMap,
    /// `secretGenerator`.
    Secret,
}

impl GeneratorKind {
    /// The builtin plugin kind kustomize names in origin annotations.
    pub(crate) fn plugin_kind(self) -> &'static str {
        match self {
            GeneratorKind::ConfigMap => "ConfigMapGenerator",
            GeneratorKind::Secret => "SecretGenerator",
        }
    }
}

/// Runs one generator entry and returns the object it makes.
pub(crate) fn generate(
    kind: GeneratorKind,
    entry: &Node,
    global: &GeneratorOptions,
    loader: &Loader<'_>,
) -> Result<Resource> {
    let Node::Map(m) = entry else {
        return Err(Error::generator("a generator entry must be a mapping"));
    };
    const KNOWN: &[&str] = &[
        "name",
        "namespace",
        "behavior",
        "literals",
        "files",
        "envs",
        "env",
        "options",
        "type",
    ];
    for k in m.keys() {
        if !KNOWN.contains(&k.as_str()) || (k == "type" && kind == GeneratorKind::ConfigMap) {
            return Err(Error::generator(format!(
                "invalid Kustomization: json: unknown field \"{k}\""
            )));
        }
    }
    let name = str_field(m, "name")?.to_string();
    let namespace = str_field(m, "namespace")?.to_string();
    let behavior = match str_field(m, "behavior")? {
        "" | "create" => "create",
        "merge" => "merge",
        "replace" => "replace",
        other => {
            return Err(Error::generator(format!(
                "unknown generator behavior `{other}`; expected create, merge or replace"
            )))
        }
    };
    let options = GeneratorOptions::from_node(m.get("options"))?.with_global(global);
    let kind_name = match kind {
        GeneratorKind::ConfigMap => "ConfigMap",
        GeneratorKind::Secret => "Secret",
    };
    if name.is_empty() {
        return Err(Error::generator(format!(
            "a {kind_name} generator needs a name"
        )));
    }

    let pairs = collect_pairs(m, loader, kind == GeneratorKind::Secret)?;
    let mut seen = std::collections::HashSet::new();
    for (k, _) in &pairs {
        if !is_config_map_key(k) {
            return Err(Error::generator(format!(
                "\"{k}\" is not a valid key name for a {kind_name}: a valid key must consist of alphanumeric characters, '-', '_' or '.'"
            )));
        }
        if !seen.insert(k.clone()) {
            return Err(Error::generator(format!(
                "{} {name} illegally repeats the key `{k}`",
                kind_name.to_lowercase()
            )));
        }
    }

    let mut obj = Mapping::new();
    obj.insert("apiVersion", Node::str("v1"));
    obj.insert("kind", Node::str(kind_name));
    let mut meta = Mapping::new();
    meta.insert("name", Node::str(&name));
    if !namespace.is_empty() {
        meta.insert("namespace", Node::str(&namespace));
    }
    if !options.labels.is_empty() {
        meta.insert(
            "labels",
            Node::Map(
                options
                    .labels
                    .iter()
                    .map(|(k, v)| (k.clone(), Node::str(v)))
                    .collect(),
            ),
        );
    }
    if !options.annotations.is_empty() {
        meta.insert(
            "annotations",
            Node::Map(
                options
                    .annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), Node::str(v)))
                    .collect(),
            ),
        );
    }
    obj.insert("metadata", Node::Map(meta));
    match kind {
        GeneratorKind::ConfigMap => {
            let mut data = Mapping::new();
            let mut binary = Mapping::new();
            for (k, v) in pairs {
                match String::from_utf8(v) {
                    Ok(s) => data.insert(k, Node::str(s)),
                    Err(e) => binary.insert(k, Node::str(encode_base64(e.as_bytes()))),
                };
            }
            if !data.is_empty() {
                obj.insert("data", Node::Map(data));
            }
            if !binary.is_empty() {
                obj.insert("binaryData", Node::Map(binary));
            }
        }
        GeneratorKind::Secret => {
            let mut data = Mapping::new();
            for (k, v) in pairs {
                data.insert(k, Node::str(encode_base64(&v)));
            }
            // kustomize always writes `data` on a generated Secret, even
            // empty, but leaves it off an empty ConfigMap.
            obj.insert("data", Node::Map(data));
            let t = str_field(m, "type")?;
            obj.insert("type", Node::str(if t.is_empty() { "Opaque" } else { t }));
        }
    }
    if options.immutable {
        obj.insert("immutable", Node::Bool(true));
    }
    let mut r = Resource::new(Node::Map(obj));
    r.meta.needs_hash = !options.disable_name_suffix_hash;
    r.meta.behavior = Some(behavior.to_string());
    r.meta.generated = true;
    Ok(r)
}

/// Key/value pairs from env files, literals and files, in that order.
///
/// For a Secret (`secret`), a source that cannot be read as pairs is
/// reported without its text: a literal or env line that is not
/// `key=value` may well be the secret value itself.
fn collect_pairs(m: &Mapping, loader: &Loader<'_>, secret: bool) -> Result<Vec<(String, Vec<u8>)>> {
    let mut pairs = Vec::new();
    for env in str_list(m, "envs")? {
        let text = loader.read(&env)?;
        let parsed = parse_env_file(&text).map_err(|e| {
            if secret {
                Error::generator(format!(
                    "env source file '{env}': a line is neither KEY=VALUE nor a valid variable name (lines of a Secret's sources are not shown)"
                ))
            } else {
                e.context(format!("env source file '{env}'"))
            }
        })?;
        pairs.extend(parsed);
    }
    for (i, lit) in str_list(m, "literals")?.iter().enumerate() {
        let (k, v) = parse_literal(lit).map_err(|e| {
            if secret {
                Error::generator(format!(
                    "literal #{} is not key=value (the text of a Secret's literal is not shown)",
                    i + 1
                ))
            } else {
                e
            }
        })?;
        pairs.push((k, v.into_bytes()));
    }
    for src in str_list(m, "files")? {
        let (key, path) = parse_file_source(&src)?;
        if loader.is_dir(&path) {
            return Err(Error::generator(format!(
                "file source '{path}' is a directory; name files one by one"
            )));
        }
        pairs.push((key, loader.read(&path)?));
    }
    Ok(pairs)
}

/// `KEY=VALUE` lines; `#` comments and blank lines skipped; a bare `KEY`
/// takes its value from the environment, as kustomize does.
pub(crate) fn parse_env_file(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let mut line = raw;
        if line.last() == Some(&b'\r') {
            line = &line[..line.len() - 1];
        }
        let Ok(mut line) = std::str::from_utf8(line) else {
            return Err(Error::generator(format!(
                "line {} has invalid utf8 bytes",
                i + 1
            )));
        };
        if i == 0 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k, v.to_string()),
            None => (line, std::env::var(line).unwrap_or_default()),
        };
        if !is_env_var_name(key) {
            return Err(Error::generator(format!(
                "\"{key}\" is not a valid key name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"
            )));
        }
        out.push((key.to_string(), value.into_bytes()));
    }
    Ok(out)
}

/// `key=value`, with one pair of matching quotes around the value removed.
pub(crate) fn parse_literal(source: &str) -> Result<(String, String)> {
    match source.split_once('=') {
        Some((k, v)) if !k.is_empty() => {
            let b = v.as_bytes();
            let v = if b.len() >= 2 && b[0] == b[b.len() - 1] && (b[0] == b'"' || b[0] == b'\'') {
                &v[1..v.len() - 1]
            } else {
                v
            };
            Ok((k.to_string(), v.to_string()))
        }
        _ => Err(Error::generator(format!(
            "invalid literal source {source}, expected key=value"
        ))),
    }
}

/// `path` (key is the file's name) or `key=path`.
pub(crate) fn parse_file_source(source: &str) -> Result<(String, String)> {
    let n = source.matches('=').count();
    if n == 0 {
        let key = source.rsplit('/').next().unwrap_or(source).to_string();
        return Ok((key, source.to_string()));
    }
    if n > 1 {
        return Err(Error::generator(
            "key names or file paths cannot contain '='",
        ));
    }
    let (k, p) = source.split_once('=').unwrap_or((source, ""));
    if k.is_empty() {
        return Err(Error::generator(format!(
            "missing key name for file path \"{p}\" in source \"{source}\""
        )));
    }
    if p.is_empty() {
        return Err(Error::generator(format!(
            "missing file path for key name \"{k}\" in source \"{source}\""
        )));
    }
    Ok((k.to_string(), p.to_string()))
}

fn is_env_var_name(k: &str) -> bool {
    let mut chars = k.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '-' || c == '.' || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
}

fn is_config_map_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 253
        && k != "."
        && k != ".."
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
}

/// Base64 with a line break after every 70 characters when the encoding
/// is 70 characters or longer (kustomize's secret encoding).
pub(crate) fn encode_base64(data: &[u8]) -> String {
    const LINE: usize = 70;
    let enc = base64::engine::general_purpose::STANDARD.encode(data);
    if enc.len() < LINE {
        return enc;
    }
    let mut out = String::with_capacity(enc.len() + enc.len() / LINE + 1);
    for chunk in enc.as_bytes().chunks(LINE) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// The content hash kustomize appends to generated names.
///
/// kustomize looks the name up under a key literally called
/// `metadata/name`, which never exists, so the name it hashes is always
/// empty: two generators with the same data get the same suffix. Kept for
/// byte compatibility.
pub(crate) fn content_hash(r: &Resource) -> String {
    let node = &r.node;
    let encoded = match r.kind() {
        "ConfigMap" => {
            let mut m = Mapping::new();
            m.insert("kind", Node::str("ConfigMap"));
            m.insert("name", Node::str(""));
            m.insert("data", field_or_empty(node.get("data")));
            if let Some(b @ Node::Map(_)) = node.get("binaryData") {
                m.insert("binaryData", b.clone());
            }
            to_json(&Node::Map(m))
        }
        "Secret" => {
            let mut m = Mapping::new();
            m.insert("kind", Node::str("Secret"));
            m.insert(
                "type",
                Node::str(
                    node.get("type")
                        .and_then(Node::scalar_text)
                        .unwrap_or_default(),
                ),
            );
            m.insert("name", Node::str(""));
            m.insert("data", field_or_empty(node.get("data")));
            if let Some(s @ Node::Map(_)) = node.get("stringData") {
                m.insert("stringData", s.clone());
            }
            to_json(&Node::Map(m))
        }
        _ => to_json(node),
    };
    let digest = Sha256::digest(encoded.as_bytes());
    let hex: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    hex.chars()
        .map(|c| match c {
            '0' => 'g',
            '1' => 'h',
            '3' => 'k',
            'a' => 'm',
            'e' => 't',
            c => c,
        })
        .collect()
}

/// A missing field hashes as the empty string; a present one as itself.
fn field_or_empty(n: Option<&Node>) -> Node {
    match n {
        None => Node::str(""),
        Some(n) => n.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_strip_one_pair_of_quotes() {
        assert_eq!(
            parse_literal("a=\"x y\"").unwrap(),
            ("a".into(), "x y".into())
        );
        assert_eq!(parse_literal("a='x").unwrap(), ("a".into(), "'x".into()));
        assert_eq!(parse_literal("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert_eq!(
            parse_literal("=x").err().map(|e| e.to_string()).as_deref(),
            Some("invalid literal source =x, expected key=value")
        );
        assert_eq!(
            parse_literal("x").err().map(|e| e.to_string()).as_deref(),
            Some("invalid literal source x, expected key=value")
        );
    }

    #[test]
    fn file_sources() {
        assert_eq!(
            parse_file_source("dir/f.txt").unwrap(),
            ("f.txt".into(), "dir/f.txt".into())
        );
        assert_eq!(
            parse_file_source("k=dir/f.txt").unwrap(),
            ("k".into(), "dir/f.txt".into())
        );
        assert_eq!(
            parse_file_source("=f")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("missing key name for file path \"f\" in source \"=f\"")
        );
        assert_eq!(
            parse_file_source("k=")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("missing file path for key name \"k\" in source \"k=\"")
        );
        assert_eq!(
            parse_file_source("a=b=c")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("key names or file paths cannot contain '='")
        );
    }

    #[test]
    fn env_files_skip_comments_and_blank_lines() {
        let pairs = parse_env_file(b"\n# c\n  A=1\nB=x=y\r\n").unwrap();
        assert_eq!(
            pairs,
            vec![("A".into(), b"1".to_vec()), ("B".into(), b"x=y".to_vec())]
        );
        assert_eq!(
            parse_env_file(b"1A=x").err().map(|e| e.to_string()).as_deref(),
            Some("\"1A\" is not a valid key name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit"));
    }

    #[test]
    fn long_base64_breaks_every_70_characters() {
        let short = encode_base64(b"apple");
        assert_eq!(short, "YXBwbGU=");
        let long = encode_base64(&[b'x'; 60]);
        assert!(long.ends_with('\n'));
        assert_eq!(long.lines().next().map(str::len), Some(70));
    }

    fn generated(kind: GeneratorKind, entry: &str) -> Resource {
        let fs = crate::fs::InMemory::new();
        let mut fs = fs;
        fs.add_dir("/k");
        let loader = Loader::new(
            &fs,
            std::path::Path::new("/k"),
            crate::loader::LoadRestrictor::RootOnly,
        )
        .unwrap();
        let node = compose_yaml::parse_one(entry).unwrap();
        generate(kind, &node, &GeneratorOptions::default(), &loader).unwrap()
    }

    /// Expected suffixes printed by `kubectl kustomize` for the same
    /// generators.
    #[test]
    fn hashes_match_kustomize() {
        assert_eq!(
            content_hash(&generated(
                GeneratorKind::ConfigMap,
                "{name: cm, literals: [a=b]}"
            )),
            "4h2mbtbbt6"
        );
        assert_eq!(
            content_hash(&generated(GeneratorKind::ConfigMap, "{name: empty}")),
            "6ct58987ht"
        );
        assert_eq!(
            content_hash(&generated(
                GeneratorKind::Secret,
                "{name: s, literals: [a=b]}"
            )),
            "k695gkmbtk"
        );
        assert_eq!(
            content_hash(&generated(GeneratorKind::Secret, "{name: e}")),
            "46f8b28mk5"
        );
    }
}
