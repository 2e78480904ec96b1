//! Field specs and the transformer configuration.
//!
//! A field spec names a field of some kinds of object: a GVK selector
//! (empty parts match anything) and a slash-separated path, plus whether the
//! field is created when missing. Every builtin transformer (prefixes,
//! labels, namespaces, images, name references, ...) acts on the fields its
//! list of specs names, so the lists are data: kustomize's defaults, which
//! are compiled in from generated tables (`tables.rs`), merged with what a
//! kustomization's `configurations:` files and CRDs add.
//!
//! Invariants kept here, matching kustomize v5.5.0:
//! - merging a spec equal to one already present (same path, GVK selected
//!   by the present one's) keeps one copy and fails when their `create`
//!   flags disagree;
//! - a merged configuration is sorted by kustomize's GVK order, so the
//!   order specs apply in does not depend on the order files were given.

mod tables;
pub(crate) mod walk;

pub(crate) use walk::{apply_field_spec, apply_field_specs, split_path, CreateKind, PathSegment};

use super::error::{Error, Result};
use super::resource::{Gvk, ResId};
use compose_yaml::{Mapping, Node, Str};
use std::cmp::Ordering;

/// One field of some kinds of object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FieldSpec {
    /// Which objects the spec applies to; empty parts match anything.
    pub(crate) gvk: Gvk,
    /// The raw path, kustomize's syntax: `/` separates keys, `\/` is a
    /// slash inside a key, a trailing `[]` marks a key holding a sequence.
    /// Sequences met along the path are walked element by element.
    pub(crate) path: String,
    /// Create the field (and the maps leading to it) when missing.
    pub(crate) create: bool,
}

impl FieldSpec {
    /// A spec from its parts.
    pub(crate) fn new(
        group: &str,
        version: &str,
        kind: &str,
        path: &str,
        create: bool,
    ) -> FieldSpec {
        FieldSpec {
            gvk: Gvk {
                group: group.into(),
                version: version.into(),
                kind: kind.into(),
            },
            path: path.to_string(),
            create,
        }
    }

    /// The path split into segments (see [`split_path`]).
    pub(crate) fn segments(&self) -> Vec<PathSegment> {
        split_path(&self.path)
    }

    /// Reads kustomize's YAML form: `{group, version, kind, path, create}`.
    /// Unknown keys are ignored, as kustomize's non-strict decoder does.
    pub(crate) fn from_node(node: &Node) -> Result<FieldSpec> {
        let m = match node {
            Node::Map(m) => m,
            Node::Null => return Ok(FieldSpec::default()),
            other => return Err(type_error("fieldSpec", "object", other)),
        };
        Ok(FieldSpec {
            gvk: gvk_fields(m)?,
            path: string_field(m, "path")?.unwrap_or_default(),
            create: bool_field(m, "create")?.unwrap_or(false),
        })
    }

    /// Whether two specs name the same field for kustomize's merge:
    /// same path, and `other`'s selector selects this one's.
    fn effectively_equals(&self, other: &FieldSpec) -> bool {
        other.gvk.selects(&self.gvk) && self.path == other.path
    }

    fn from_raw(raw: &tables::RawSpec) -> FieldSpec {
        FieldSpec::new(raw.0, raw.1, raw.2, raw.3, raw.4)
    }
}

/// Adds `x` to `specs` unless an equivalent spec is there; an equivalent
/// spec with a different `create` flag is an error.
pub(crate) fn merge_one(specs: &mut Vec<FieldSpec>, x: FieldSpec) -> Result<()> {
    match specs.iter().find(|s| s.effectively_equals(&x)) {
        Some(s) if s.create != x.create => Err(Error::configuration("conflicting fieldspecs")),
        Some(_) => Ok(()),
        None => {
            specs.push(x);
            Ok(())
        }
    }
}

/// [`merge_one`] for each of `incoming`, in order.
pub(crate) fn merge_all(specs: &mut Vec<FieldSpec>, incoming: &[FieldSpec]) -> Result<()> {
    for x in incoming {
        merge_one(specs, x.clone())?;
    }
    Ok(())
}

/// A referred kind and the fields of other objects that hold its name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NameBackReference {
    /// The referred kind (e.g. ConfigMap).
    pub(crate) gvk: Gvk,
    /// The referrer fields (e.g. a Deployment's volume configMap names).
    pub(crate) field_specs: Vec<FieldSpec>,
}

impl NameBackReference {
    /// Reads `{group, version, kind, fieldSpecs: [...]}`.
    pub(crate) fn from_node(node: &Node) -> Result<NameBackReference> {
        let m = match node {
            Node::Map(m) => m,
            Node::Null => return Ok(NameBackReference::default()),
            other => return Err(type_error("nameReference", "object", other)),
        };
        Ok(NameBackReference {
            gvk: gvk_fields(m)?,
            field_specs: spec_list(m, "fieldSpecs")?,
        })
    }
}

/// The field specs each builtin transformer acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TransformerConfig {
    /// Fields that receive `namePrefix`.
    pub(crate) name_prefix: Vec<FieldSpec>,
    /// Fields that receive `nameSuffix`.
    pub(crate) name_suffix: Vec<FieldSpec>,
    /// Fields set to `namespace` (besides `metadata/namespace`).
    pub(crate) namespace: Vec<FieldSpec>,
    /// Fields that receive `commonLabels` (metadata, selectors, templates).
    pub(crate) common_labels: Vec<FieldSpec>,
    /// Extra fields for `labels:` entries (empty by default).
    pub(crate) labels: Vec<FieldSpec>,
    /// Fields for `labels:` entries with `includeTemplates`.
    pub(crate) template_labels: Vec<FieldSpec>,
    /// Fields that receive `commonAnnotations`.
    pub(crate) common_annotations: Vec<FieldSpec>,
    /// Which fields refer to which kinds by name.
    pub(crate) name_reference: Vec<NameBackReference>,
    /// Fields where `$(VAR)` references are expanded.
    pub(crate) var_reference: Vec<FieldSpec>,
    /// Fields holding container images.
    pub(crate) images: Vec<FieldSpec>,
    /// Fields holding replica counts.
    pub(crate) replicas: Vec<FieldSpec>,
}

fn raw_list(raw: &[tables::RawSpec]) -> Vec<FieldSpec> {
    raw.iter().map(FieldSpec::from_raw).collect()
}

impl TransformerConfig {
    /// An empty configuration (no field specs at all).
    pub(crate) fn empty() -> TransformerConfig {
        TransformerConfig {
            name_prefix: Vec::new(),
            name_suffix: Vec::new(),
            namespace: Vec::new(),
            common_labels: Vec::new(),
            labels: Vec::new(),
            template_labels: Vec::new(),
            common_annotations: Vec::new(),
            name_reference: Vec::new(),
            var_reference: Vec::new(),
            images: Vec::new(),
            replicas: Vec::new(),
        }
    }

    /// kustomize v5.5.0's default configuration, sorted like kustomize's.
    /// Built once per process and cloned.
    pub(crate) fn builtin() -> TransformerConfig {
        static DEFAULT: std::sync::OnceLock<TransformerConfig> = std::sync::OnceLock::new();
        DEFAULT
            .get_or_init(TransformerConfig::build_default)
            .clone()
    }

    fn build_default() -> TransformerConfig {
        let mut t = TransformerConfig {
            name_prefix: raw_list(tables::NAME_PREFIX),
            name_suffix: raw_list(tables::NAME_SUFFIX),
            namespace: raw_list(tables::NAMESPACE),
            common_labels: raw_list(tables::COMMON_LABELS),
            labels: Vec::new(),
            template_labels: raw_list(tables::TEMPLATE_LABELS),
            common_annotations: raw_list(tables::COMMON_ANNOTATIONS),
            name_reference: tables::NAME_REFERENCE
                .iter()
                .map(|(g, v, k, specs)| NameBackReference {
                    gvk: Gvk {
                        group: (*g).into(),
                        version: (*v).into(),
                        kind: (*k).into(),
                    },
                    field_specs: raw_list(specs),
                })
                .collect(),
            var_reference: raw_list(tables::VAR_REFERENCE),
            images: raw_list(tables::IMAGES),
            replicas: raw_list(tables::REPLICAS),
        };
        t.sort_fields();
        t
    }

    /// Reads a transformer configuration file (the `configurations:` form):
    /// a mapping with any of `namePrefix`, `nameSuffix`, `namespace`,
    /// `commonLabels`, `labels`, `templateLabels`, `commonAnnotations`,
    /// `nameReference`, `varReference`, `images`, `replicas`. Keys match
    /// case-insensitively and unknown keys are ignored, as with kustomize's
    /// JSON-based decoder.
    pub(crate) fn from_node(node: &Node) -> Result<TransformerConfig> {
        let m = match node {
            Node::Map(m) => m,
            Node::Null => return Ok(TransformerConfig::empty()),
            other => return Err(type_error("TransformerConfig", "object", other)),
        };
        let mut t = TransformerConfig::empty();
        t.name_prefix = spec_list(m, "namePrefix")?;
        t.name_suffix = spec_list(m, "nameSuffix")?;
        t.namespace = spec_list(m, "namespace")?;
        t.common_labels = spec_list(m, "commonLabels")?;
        t.labels = spec_list(m, "labels")?;
        t.template_labels = spec_list(m, "templateLabels")?;
        t.common_annotations = spec_list(m, "commonAnnotations")?;
        t.var_reference = spec_list(m, "varReference")?;
        t.images = spec_list(m, "images")?;
        t.replicas = spec_list(m, "replicas")?;
        if let Some(v) = json_field(m, "nameReference") {
            match v {
                Node::Null => {}
                Node::Seq(items) => {
                    for item in items {
                        t.name_reference.push(NameBackReference::from_node(item)?);
                    }
                }
                other => return Err(type_error("nameReference", "array", other)),
            }
        }
        t.sort_fields();
        Ok(t)
    }

    /// Merges `other` into `self`, list by list, then sorts (kustomize's
    /// `Merge`). Name references for the same GVK pool their field specs.
    pub(crate) fn merge(&mut self, other: &TransformerConfig) -> Result<()> {
        let pairs: [(&mut Vec<FieldSpec>, &Vec<FieldSpec>, &str); 10] = [
            (&mut self.name_prefix, &other.name_prefix, "NamePrefix"),
            (&mut self.name_suffix, &other.name_suffix, "NameSuffix"),
            (&mut self.namespace, &other.namespace, "NameSpace"),
            (
                &mut self.common_annotations,
                &other.common_annotations,
                "CommonAnnotations",
            ),
            (
                &mut self.common_labels,
                &other.common_labels,
                "CommonLabels",
            ),
            (&mut self.labels, &other.labels, "Labels"),
            (
                &mut self.template_labels,
                &other.template_labels,
                "TemplateLabels",
            ),
            (
                &mut self.var_reference,
                &other.var_reference,
                "VarReference",
            ),
            (&mut self.images, &other.images, "Images"),
            (&mut self.replicas, &other.replicas, "Replicas"),
        ];
        for (mine, theirs, what) in pairs {
            merge_all(mine, theirs).map_err(|e| {
                Error::configuration(format!("failed to merge {what} fieldSpec: {e}"))
            })?;
        }
        for nbr in &other.name_reference {
            self.add_name_reference(nbr.clone()).map_err(|e| {
                Error::configuration(format!("failed to merge NameReference fieldSpec: {e}"))
            })?;
        }
        self.sort_fields();
        Ok(())
    }

    /// Adds referrers for a referred kind (used for CRD-declared
    /// references too). Entries with an equal GVK pool their specs.
    /// Does not sort.
    pub(crate) fn add_name_reference(&mut self, nbr: NameBackReference) -> Result<()> {
        let mut found = false;
        for existing in self.name_reference.iter_mut() {
            if existing.gvk == nbr.gvk {
                merge_all(&mut existing.field_specs, &nbr.field_specs)?;
                found = true;
            }
        }
        if !found {
            self.name_reference.push(nbr);
        }
        Ok(())
    }

    /// Adds one name-prefix spec (kustomize's `AddPrefixFieldSpec`).
    pub(crate) fn add_prefix_field_spec(&mut self, fs: FieldSpec) -> Result<()> {
        merge_one(&mut self.name_prefix, fs)
    }

    /// Adds one common-label spec.
    pub(crate) fn add_common_labels_field_spec(&mut self, fs: FieldSpec) -> Result<()> {
        merge_one(&mut self.common_labels, fs)
    }

    /// Adds one common-annotation spec.
    pub(crate) fn add_annotation_field_spec(&mut self, fs: FieldSpec) -> Result<()> {
        merge_one(&mut self.common_annotations, fs)
    }

    /// Sorts every list by kustomize's GVK order ([`gvk_less`]). Stable,
    /// so specs with equal GVKs keep the order they were given in.
    pub(crate) fn sort_fields(&mut self) {
        for list in [
            &mut self.name_prefix,
            &mut self.name_suffix,
            &mut self.namespace,
            &mut self.common_labels,
            &mut self.labels,
            &mut self.template_labels,
            &mut self.common_annotations,
            &mut self.var_reference,
            &mut self.images,
            &mut self.replicas,
        ] {
            list.sort_by(|a, b| gvk_cmp(&a.gvk, &b.gvk));
        }
        self.name_reference.sort_by(|a, b| gvk_cmp(&a.gvk, &b.gvk));
    }
}

impl Default for TransformerConfig {
    /// The builtin defaults ([`TransformerConfig::builtin`]).
    fn default() -> Self {
        TransformerConfig::builtin()
    }
}

/// Rank of a kind in kustomize's legacy order: kinds of `orderFirst` are
/// negative (in their order), kinds of `orderLast` positive, others 0.
pub(crate) fn kind_rank(kind: &str) -> i32 {
    if let Some(i) = tables::ORDER_FIRST.iter().position(|k| *k == kind) {
        return i as i32 - tables::ORDER_FIRST.len() as i32;
    }
    if let Some(i) = tables::ORDER_LAST.iter().position(|k| *k == kind) {
        return 1 + i as i32;
    }
    0
}

/// Kinds printed first by the legacy order, in order.
pub(crate) fn order_first() -> &'static [&'static str] {
    tables::ORDER_FIRST
}

/// Kinds printed last by the legacy order, in order.
pub(crate) fn order_last() -> &'static [&'static str] {
    tables::ORDER_LAST
}

/// kustomize's GVK order: legacy kind rank, then `group_version_kind`
/// with `~G`, `~V`, `~K` standing for empty parts.
pub(crate) fn gvk_cmp(a: &Gvk, b: &Gvk) -> Ordering {
    kind_rank(&a.kind)
        .cmp(&kind_rank(&b.kind))
        .then_with(|| stable_sort_string(a).cmp(&stable_sort_string(b)))
}

/// Whether `a` sorts before `b` in kustomize's GVK order.
#[cfg(test)]
pub(crate) fn gvk_less(a: &Gvk, b: &Gvk) -> bool {
    gvk_cmp(a, b) == Ordering::Less
}

fn stable_sort_string(g: &Gvk) -> String {
    let mut out = String::with_capacity(g.group.len() + g.version.len() + g.kind.len() + 8);
    gvk_sort_string(g, &mut out);
    out
}

/// Appends `part`, or `default` when it is empty.
pub(crate) fn push_or(out: &mut String, part: &str, default: &str) {
    out.push_str(if part.is_empty() { default } else { part });
}

/// Appends kustomize's GVK sort key: `group_version_kind`, with `~G`,
/// `~V`, `~K` standing for empty parts.
pub(crate) fn gvk_sort_string(g: &Gvk, out: &mut String) {
    push_or(out, &g.group, "~G");
    out.push('_');
    push_or(out, &g.version, "~V");
    out.push('_');
    push_or(out, &g.kind, "~K");
}

/// Whether the built-in scope table knows `apiVersion`/`kind`, and if so
/// whether it is namespaced.
pub(crate) fn known_scope(gvk: &Gvk) -> Option<bool> {
    // Runs for every object in several steps, and a build has few types:
    // the last answers of this thread are kept, and comparing a type with
    // them costs less than a search of the table.
    const REMEMBERED: usize = 8;
    /// The next slot to fill, and the remembered types with their answers.
    type Remembered = (usize, [Option<(Gvk, Option<bool>)>; REMEMBERED]);
    thread_local! {
        static LAST: std::cell::RefCell<Remembered> = Default::default();
    }
    let hit = LAST.with_borrow(|(_, slots)| {
        slots
            .iter()
            .flatten()
            .find(|(g, _)| g == gvk)
            .map(|(_, scope)| *scope)
    });
    if let Some(scope) = hit {
        return scope;
    }
    let scope = search_scope(gvk);
    LAST.with_borrow_mut(|(next, slots)| {
        slots[*next] = Some((gvk.clone(), scope));
        *next = (*next + 1) % REMEMBERED;
    });
    scope
}

/// [`known_scope`] by a search of the table.
fn search_scope(gvk: &Gvk) -> Option<bool> {
    // The `apiVersion` text is put together on the stack, and each probe
    // of the search is then one slice comparison.
    let mut buf = [0u8; 128];
    let wanted: &[u8] = if gvk.group.is_empty() {
        gvk.version.as_bytes()
    } else {
        let (g, v) = (gvk.group.as_bytes(), gvk.version.as_bytes());
        let n = g.len() + 1 + v.len();
        // No group in the table comes near this length.
        let slot = buf.get_mut(..n)?;
        slot[..g.len()].copy_from_slice(g);
        slot[g.len()] = b'/';
        slot[g.len() + 1..].copy_from_slice(v);
        slot
    };
    tables::NAMESPACE_SCOPE
        .binary_search_by(|(a, k, _)| {
            a.as_bytes()
                .cmp(wanted)
                .then_with(|| (*k).cmp(gvk.kind.as_str()))
        })
        .ok()
        .map(|i| tables::NAMESPACE_SCOPE[i].2)
}

/// Whether objects of this type live in a namespace. Types the built-in
/// table does not know (custom resources) are namespaced.
pub(crate) fn is_namespaced(gvk: &Gvk) -> bool {
    known_scope(gvk).unwrap_or(true)
}

/// kustomize's effective namespace, for telling objects apart: an empty
/// namespace is `default`, and cluster-scoped kinds share one that no
/// namespaced object has.
pub(crate) fn effective_namespace<'a>(gvk: &Gvk, namespace: &'a str) -> &'a str {
    if !is_namespaced(gvk) {
        "_non_namespaceable_"
    } else if namespace.is_empty() {
        "default"
    } else {
        namespace
    }
}

/// An identity with its [`effective_namespace`]: two objects clash when
/// these are equal.
pub(crate) fn effective_id(mut id: ResId) -> ResId {
    let ns = effective_namespace(&id.gvk, &id.namespace);
    if ns != id.namespace {
        id.namespace = ns.into();
    }
    id
}

/// Whether two ids name the same object: [`effective_id`] equality,
/// without building either effective id.
pub(crate) fn same_object(a: &ResId, b: &ResId) -> bool {
    a.gvk == b.gvk
        && a.name == b.name
        && effective_namespace(&a.gvk, &a.namespace) == effective_namespace(&b.gvk, &b.namespace)
}

/// A hash of an id that agrees with [`same_object`]: ids of the same
/// object hash alike.
pub(crate) fn object_hash(id: &ResId) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = rustc_hash::FxHasher::default();
    id.gvk.hash(&mut h);
    id.name.hash(&mut h);
    effective_namespace(&id.gvk, &id.namespace).hash(&mut h);
    h.finish()
}

/// Group and version of an `apiVersion`, split the way kustomize splits
/// it: at the first `/`; the legacy plugin version `builtin` is a group.
pub(crate) fn parse_group_version(api_version: &str) -> (Str, Str) {
    if let Some((g, v)) = api_version.split_once('/') {
        return (g.into(), v.into());
    }
    if api_version == "builtin" {
        return (api_version.into(), Str::default());
    }
    (Str::default(), api_version.into())
}

/// The GVK of an object node, with kustomize's `apiVersion` split.
pub(crate) fn gvk_of(node: &Node) -> Gvk {
    let api_version = node.str_at(&["apiVersion"]).unwrap_or("");
    let (group, version) = parse_group_version(api_version);
    Gvk {
        group,
        version,
        kind: node.str_at(&["kind"]).unwrap_or("").into(),
    }
}

/// kustomize's `ResId` string for an object node, as used in its error
/// messages: `Kind.version.group/name.namespace` with `[noGrp]`,
/// `[noVer]`, `[noKind]`, `[noName]`, `[noNs]` for empty parts.
pub(crate) fn res_id_string(node: &Node) -> String {
    let g = gvk_of(node);
    let or = |s: &str, d: &str| {
        if s.is_empty() {
            d.to_string()
        } else {
            s.to_string()
        }
    };
    format!(
        "{}.{}.{}/{}.{}",
        or(&g.kind, "[noKind]"),
        or(&g.version, "[noVer]"),
        or(&g.group, "[noGrp]"),
        or(node.str_at(&["metadata", "name"]).unwrap_or(""), "[noName]"),
        or(
            node.str_at(&["metadata", "namespace"]).unwrap_or(""),
            "[noNs]"
        ),
    )
}

// ---- decoding helpers mirroring a JSON decoder's rules ----

/// The value for `key`: an exact match first, then a case-insensitive
/// one (Go's JSON decoder rule, which kustomize's YAML decoding uses).
pub(crate) fn json_field<'a>(m: &'a Mapping, key: &str) -> Option<&'a Node> {
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

pub(crate) fn type_error(field: &str, want: &str, got: &Node) -> Error {
    let what = match got {
        Node::Bool(_) => "bool",
        Node::Int(_) | Node::Uint(_) | Node::Float(_) => "number",
        Node::Str(_) => "string",
        Node::Seq(_) => "array",
        Node::Map(_) => "object",
        Node::Null => "null",
    };
    Error::configuration(format!(
        "json: cannot unmarshal {what} into Go struct field {field} of type {want}"
    ))
}

pub(crate) fn string_field(m: &Mapping, key: &str) -> Result<Option<String>> {
    match json_field(m, key) {
        None | Some(Node::Null) => Ok(None),
        Some(Node::Str(s)) => Ok(Some(s.to_string())),
        Some(other) => Err(type_error(key, "string", other)),
    }
}

/// A string field of a builtin transformer's configuration. That decoder
/// is lenient: numbers and booleans become their text (floats the way Go
/// prints a float32 with `%g`), as kubectl does for plugin configs.
pub(crate) fn string_field_lenient(m: &Mapping, key: &str) -> Result<Option<String>> {
    match json_field(m, key) {
        None | Some(Node::Null) => Ok(None),
        Some(other) => lenient_text(other)
            .map(Some)
            .ok_or_else(|| type_error(key, "string", other)),
    }
}

/// The text a lenient string field takes from a scalar.
pub(crate) fn lenient_text(node: &Node) -> Option<String> {
    match node {
        Node::Str(s) => Some(s.to_string()),
        Node::Null => Some(String::new()),
        Node::Bool(b) => Some(b.to_string()),
        Node::Int(i) => Some(i.to_string()),
        Node::Uint(u) => Some(u.to_string()),
        Node::Float(f) => Some(go_g32(*f)),
        Node::Map(_) | Node::Seq(_) => None,
    }
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 32)`: the shortest digits that
/// identify the float32, in exponent form when the exponent is below -4
/// or at least 6.
pub(crate) fn go_g32(f: f64) -> String {
    let x = f as f32;
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{:e}", x.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let sign = if x < 0.0 { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    let point = exp + 1; // digits before the decimal point
    let text = if point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), digits)
    } else if point as usize >= digits.len() {
        format!("{}{}", digits, "0".repeat(point as usize - digits.len()))
    } else {
        let (a, b) = digits.split_at(point as usize);
        format!("{a}.{b}")
    };
    format!("{sign}{text}")
}

/// A boolean field. kustomize decodes kustomizations and transformer
/// configurations with YAML 1.1 rules, where plain `yes`, `on`, `y` (and
/// `no`, `off`, `n`, in their capitalisations) are booleans too; the
/// reader here types them as strings, so they are accepted as such. A
/// string `true` can only come from a quoted scalar and stays an error.
pub(crate) fn bool_field(m: &Mapping, key: &str) -> Result<Option<bool>> {
    match json_field(m, key) {
        None | Some(Node::Null) => Ok(None),
        Some(Node::Bool(b)) => Ok(Some(*b)),
        Some(Node::Str(s)) if yaml11_bool(s).is_some() => Ok(yaml11_bool(s)),
        Some(other) => Err(type_error(key, "bool", other)),
    }
}

/// The YAML 1.1 boolean words that YAML 1.2 reads as strings.
fn yaml11_bool(s: &str) -> Option<bool> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

pub(crate) fn gvk_fields(m: &Mapping) -> Result<Gvk> {
    Ok(Gvk {
        group: string_field(m, "group")?.unwrap_or_default().into(),
        version: string_field(m, "version")?.unwrap_or_default().into(),
        kind: string_field(m, "kind")?.unwrap_or_default().into(),
    })
}

/// Fails on a key that is none of `known` (matched case-insensitively),
/// as kustomize's strict kustomization decoder does.
pub(crate) fn check_known_fields(m: &Mapping, known: &[&str]) -> Result<()> {
    for k in m.keys() {
        if !known.iter().any(|x| x.eq_ignore_ascii_case(k)) {
            return Err(Error::configuration(format!("json: unknown field \"{k}\"")));
        }
    }
    Ok(())
}

/// The keys of a field spec.
pub(crate) const FIELD_SPEC_KEYS: &[&str] = &["group", "version", "kind", "path", "create"];

/// A list of field specs under `key` (missing or null: empty).
pub(crate) fn spec_list(m: &Mapping, key: &str) -> Result<Vec<FieldSpec>> {
    match json_field(m, key) {
        None | Some(Node::Null) => Ok(Vec::new()),
        Some(Node::Seq(items)) => items.iter().map(FieldSpec::from_node).collect(),
        Some(other) => Err(type_error(key, "[]types.FieldSpec", other)),
    }
}

#[cfg(test)]
#[allow(clippy::approx_constant)]
mod tests {
    use super::*;
    use compose_yaml::parse_one;

    fn gvk(g: &str, v: &str, k: &str) -> Gvk {
        Gvk {
            group: g.into(),
            version: v.into(),
            kind: k.into(),
        }
    }

    #[test]
    fn defaults_have_expected_shape() {
        let t = TransformerConfig::default();
        assert_eq!(
            t.name_prefix,
            vec![FieldSpec::new("", "", "", "metadata/name", false)]
        );
        assert_eq!(t.name_suffix.len(), 1);
        // metadata labels are part of both label lists
        assert!(t
            .common_labels
            .iter()
            .any(|f| f.path == "spec/volumeClaimTemplates[]/metadata/labels"));
        assert!(t
            .template_labels
            .iter()
            .any(|f| f.path == "metadata/labels" && f.create));
        assert!(!t.template_labels.iter().any(|f| f.path == "spec/selector"));
        assert!(t.labels.is_empty());
        assert_eq!(t.images.len(), 4);
        assert_eq!(t.replicas.len(), 4);
        assert!(t
            .name_reference
            .iter()
            .any(|n| n.gvk.kind == "ConfigMap" && n.field_specs.len() > 40));
        // sorted: Namespace-ranked kinds first, wildcard kinds (rank 0) later
        let kinds: Vec<&str> = t.namespace.iter().map(|f| f.gvk.kind.as_str()).collect();
        assert_eq!(
            kinds,
            vec!["Namespace", "CustomResourceDefinition", "APIService"]
        );
    }

    #[test]
    fn scope_table() {
        assert!(!is_namespaced(&gvk("", "v1", "Namespace")));
        assert!(!is_namespaced(&gvk(
            "rbac.authorization.k8s.io",
            "v1",
            "ClusterRole"
        )));
        assert!(is_namespaced(&gvk("apps", "v1", "Deployment")));
        assert!(is_namespaced(&gvk("example.com", "v1", "Namespace")));
        assert!(is_namespaced(&gvk("example.com", "v1", "Widget")));
        assert_eq!(known_scope(&gvk("example.com", "v1", "Widget")), None);
        assert_eq!(known_scope(&gvk("", "v1", "ConfigMap")), Some(true));
        assert_eq!(known_scope(&gvk(&"g".repeat(200), "v1", "Widget")), None);
        // The lookup is a binary search: the table must be sorted, by the
        // bytes of the apiVersion and then the kind.
        let t = tables::NAMESPACE_SCOPE;
        assert!(t.windows(2).all(
            |w| (w[0].0.as_bytes(), w[0].1.as_bytes()) < (w[1].0.as_bytes(), w[1].1.as_bytes())
        ));
        // Every entry is found again, with its own answer.
        for (api_version, kind, namespaced) in t {
            let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            assert_eq!(
                known_scope(&gvk(group, version, kind)),
                Some(*namespaced),
                "{api_version} {kind}"
            );
        }
        // Answers are remembered per thread: asked again at once, or after
        // a few other types, a type gets the same answer; an unknown type
        // that is remembered stays unknown.
        for (api_version, kind, namespaced) in t.iter().chain(t.iter().rev()) {
            let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
            let g = gvk(group, version, kind);
            assert_eq!(known_scope(&g), Some(*namespaced), "{api_version} {kind}");
            assert_eq!(known_scope(&g), search_scope(&g), "{api_version} {kind}");
            assert_eq!(known_scope(&gvk("example.com", "v1", "Widget")), None);
        }
    }

    #[test]
    fn order_and_rank() {
        assert_eq!(kind_rank("Namespace"), -22);
        assert_eq!(kind_rank("PodDisruptionBudget"), -1);
        assert_eq!(kind_rank("Pod"), 0);
        assert_eq!(kind_rank("ValidatingWebhookConfiguration"), 2);
        assert!(gvk_less(
            &gvk("", "v1", "Namespace"),
            &gvk("", "v1", "ConfigMap")
        ));
        assert!(gvk_less(&gvk("", "", ""), &gvk("", "v1", "Pod")) == ("~G_~V_~K" < "~G_v1_Pod"));
        assert_eq!(order_first()[0], "Namespace");
        assert_eq!(order_last().len(), 2);
    }

    #[test]
    fn parse_and_merge_config() {
        let node = parse_one(
            "namePrefix:\n- path: spec/foo\n  kind: Bar\nNameReference:\n- kind: Bar\n  fieldSpecs:\n  - path: spec/barName\n    kind: Baz\nunknown: 1\n",
        )
        .unwrap();
        let c = TransformerConfig::from_node(&node).unwrap();
        assert_eq!(
            c.name_prefix,
            vec![FieldSpec::new("", "", "Bar", "spec/foo", false)]
        );
        assert_eq!(c.name_reference.len(), 1);
        let mut d = TransformerConfig::default();
        d.merge(&c).unwrap();
        assert!(d
            .name_prefix
            .contains(&FieldSpec::new("", "", "Bar", "spec/foo", false)));
        assert!(d.name_reference.iter().any(|n| n.gvk.kind == "Bar"));
        // merging again is idempotent
        let before = d.clone();
        d.merge(&c).unwrap();
        assert_eq!(before, d);
    }

    /// The defaults merged into nothing, or into themselves, are the
    /// defaults: the accumulation shortcuts both merges.
    #[test]
    fn defaults_are_a_fixed_point_of_merge() {
        let d = TransformerConfig::builtin();
        let mut from_empty = TransformerConfig::empty();
        from_empty.merge(&d).unwrap();
        assert_eq!(from_empty, d);
        let mut twice = d.clone();
        twice.merge(&d).unwrap();
        assert_eq!(twice, d);
    }

    /// Merged in sorted order, a spec for one kind comes before the
    /// default spec for every kind on the same path, which is then
    /// skipped (kubectl prefixes only that kind's names).
    #[test]
    fn a_kind_spec_merged_first_shadows_the_default() {
        let node = parse_one("namePrefix:\n- path: metadata/name\n  kind: Bar\n").unwrap();
        let mut own = TransformerConfig::builtin();
        own.merge(&TransformerConfig::from_node(&node).unwrap())
            .unwrap();
        assert_eq!(own.name_prefix.len(), 2);
        let mut acc = TransformerConfig::empty();
        acc.merge(&own).unwrap();
        assert_eq!(
            acc.name_prefix,
            vec![FieldSpec::new("", "", "Bar", "metadata/name", false)]
        );
    }

    #[test]
    fn merge_conflicting_create_fails() {
        let mut specs = vec![FieldSpec::new("", "", "", "metadata/labels", true)];
        let err = merge_one(
            &mut specs,
            FieldSpec::new("", "", "", "metadata/labels", false),
        )
        .unwrap_err();
        assert!(err.to_string().contains("conflicting fieldspecs"));
        // a wider incoming selector selects the present spec: same field
        let mut narrow = vec![FieldSpec::new("apps", "v1", "Deployment", "x", false)];
        merge_one(&mut narrow, FieldSpec::new("", "", "", "x", false)).unwrap();
        assert_eq!(narrow.len(), 1);
        // a narrower incoming selector does not select a wildcard spec
        merge_one(
            &mut specs,
            FieldSpec::new("apps", "v1", "Deployment", "metadata/labels", true),
        )
        .unwrap();
        assert_eq!(specs.len(), 2);
    }

    #[test]
    fn config_type_errors() {
        let node = parse_one("namePrefix: foo\n").unwrap();
        assert_eq!(
            TransformerConfig::from_node(&node).err().map(|e| e.to_string()).as_deref(),
            Some("json: cannot unmarshal string into Go struct field namePrefix of type []types.FieldSpec"));
        let node = parse_one("images:\n- path: 3\n").unwrap();
        assert_eq!(
            TransformerConfig::from_node(&node)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("json: cannot unmarshal number into Go struct field path of type string")
        );
        let node = parse_one("images:\n- path: a\n  create: \"true\"\n").unwrap();
        assert_eq!(
            TransformerConfig::from_node(&node)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("json: cannot unmarshal string into Go struct field create of type bool")
        );
        // oracle: plain `yes` is a YAML 1.1 boolean to kustomize's decoder
        let node = parse_one("images:\n- path: a\n  create: yes\n").unwrap();
        assert!(TransformerConfig::from_node(&node).unwrap().images[0].create);
        let node = parse_one("images:\n- path: a\n  create: off\n").unwrap();
        assert!(!TransformerConfig::from_node(&node).unwrap().images[0].create);
    }

    #[test]
    fn group_version_split() {
        assert_eq!(parse_group_version("apps/v1"), ("apps".into(), "v1".into()));
        assert_eq!(parse_group_version("v1"), ("".into(), "v1".into()));
        assert_eq!(
            parse_group_version("builtin"),
            ("builtin".into(), "".into())
        );
        assert_eq!(parse_group_version("a/b/c"), ("a".into(), "b/c".into()));
    }

    #[test]
    fn go_float32_g_format() {
        // oracle: plugin-config annotation values written as numbers
        assert_eq!(go_g32(1.20), "1.2");
        assert_eq!(go_g32(1000000.5), "1.0000005e+06");
        assert_eq!(go_g32(1e3), "1000");
        assert_eq!(go_g32(3.14159265358979), "3.1415927");
        assert_eq!(go_g32(0.00001), "1e-05");
        assert_eq!(go_g32(0.0001), "0.0001");
        assert_eq!(go_g32(-2.5), "-2.5");
        assert_eq!(go_g32(123456.0), "123456");
    }

    #[test]
    fn res_id_strings() {
        let n = parse_one("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n").unwrap();
        assert_eq!(res_id_string(&n), "Service.v1.[noGrp]/s.[noNs]");
        let n = parse_one(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: s\n  namespace: x\n",
        )
        .unwrap();
        assert_eq!(res_id_string(&n), "Deployment.v1.apps/s.x");
    }
}
