//! Walking an object along a field spec's path.
//!
//! kustomize's rules, reproduced here (checked against kubectl kustomize):
//! - the spec applies only when its GVK selector matches the object's
//!   current `apiVersion`/`kind`;
//! - the path is split at `/`, except where the slash is escaped as `\/`;
//! - a sequence met before the path ends is walked element by element with
//!   the same remaining path (sequences take no path segment of their own;
//!   a `[]` suffix on a key is only a hint that the key holds one);
//! - a missing key ends the walk quietly unless the spec says `create` and
//!   the caller gave a kind to create; intermediate keys are then created
//!   as mappings and the last one with the caller's kind. A key marked
//!   `[]` is never created;
//! - a null value ends the walk quietly, except that a null met on the way
//!   is replaced by the kind that would have been created;
//! - a scalar met before the path ends is an error, as are segments that
//!   kustomize's lookup refuses on a mapping (empty names, list indexes
//!   such as `0`, `-`, `[name=x]`, and the wildcard `*`);
//! - at the end of the path the caller's function runs on whatever node
//!   is there (mapping, sequence or scalar); it decides what is an error.

use super::{gvk_of, res_id_string, FieldSpec};
use crate::error::{Error, Result};
use compose_yaml::Node;

/// What to create at the end of a path when the field is missing and the
/// spec says `create`. Intermediate fields are always mappings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CreateKind {
    /// A mapping (labels, annotations, selectors).
    Map,
    /// A scalar, created as the empty string (names, replica counts).
    Scalar,
}

impl CreateKind {
    fn make(self) -> Node {
        match self {
            CreateKind::Map => Node::map(),
            CreateKind::Scalar => Node::str(""),
        }
    }
}

/// One segment of a field-spec path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PathSegment {
    /// The mapping key, with escaped slashes resolved and `[]` removed.
    pub(crate) key: String,
    /// The segment ended in `[]`: the key is expected to hold a sequence.
    pub(crate) seq_hint: bool,
}

/// Splits a field-spec path at unescaped `/`. `a\/b` is one key `a/b`.
pub(crate) fn split_path(path: &str) -> Vec<PathSegment> {
    parts(path)
        .map(segment)
        .map(|s| PathSegment {
            key: s.key.into_owned(),
            seq_hint: s.seq_hint,
        })
        .collect()
}

/// Splits at `/`; a part ending in `\` continues with the next one,
/// joined by a slash. `[]` suffixes are kept.
pub(crate) fn split_escaped(path: &str) -> Vec<String> {
    parts(path).map(std::borrow::Cow::into_owned).collect()
}

/// The parts of a path, as [`split_escaped`] cuts them.
fn parts(path: &str) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
    let mut rest = Some(path);
    std::iter::from_fn(move || {
        let (part, next) = first_part(rest?);
        rest = next;
        Some(part)
    })
}

/// The first part of a path (escaped slashes resolved) and the rest of
/// the path after its `/`, if any. Borrows from the path unless the part
/// holds an escaped slash: the field walk runs this for every spec on
/// every object.
fn first_part(path: &str) -> (std::borrow::Cow<'_, str>, Option<&str>) {
    let bytes = path.as_bytes();
    let mut from = 0;
    let mut escaped = false;
    let cut = loop {
        match path[from..].find('/') {
            None => break None,
            Some(j) if from + j > 0 && bytes[from + j - 1] == b'\\' => {
                escaped = true;
                from += j + 1;
            }
            Some(j) => break Some(from + j),
        }
    };
    let (raw, rest) = match cut {
        Some(at) => (&path[..at], Some(&path[at + 1..])),
        None => (path, None),
    };
    (
        if escaped {
            raw.replace("\\/", "/").into()
        } else {
            raw.into()
        },
        rest,
    )
}

/// A part as a segment: a trailing `[]` becomes the sequence hint.
fn segment(part: std::borrow::Cow<'_, str>) -> PathSegmentRef<'_> {
    match part.strip_suffix("[]") {
        Some(k) => PathSegmentRef {
            key: k.to_string().into(),
            seq_hint: true,
        },
        None => PathSegmentRef {
            key: part,
            seq_hint: false,
        },
    }
}

/// Applies `f` to every field `spec` names in `node` (an object), when the
/// spec's GVK selects the object. `create` is the kind of node to create
/// at the end of the path when `spec.create` is set; `None` never creates.
/// Errors name the path and the object the way kustomize does.
pub(crate) fn apply_field_spec(
    node: &mut Node,
    spec: &FieldSpec,
    create: Option<CreateKind>,
    f: &mut dyn FnMut(&mut Node) -> Result<()>,
) -> Result<()> {
    if !selects_node(spec, node) {
        return Ok(());
    }
    let create = if spec.create { create } else { None };
    match walk(node, &spec.path, create, f) {
        Ok(()) => Ok(()),
        Err(e) => Err(Error::transformer(format!(
            "considering field '{}' of object {}: {}",
            spec.path,
            res_id_string(node),
            message(&e)
        ))),
    }
}

/// The first segment of a field-spec path and the rest of the path.
fn first_segment(path: &str) -> (PathSegmentRef<'_>, Option<&str>) {
    let (part, rest) = first_part(path);
    (segment(part), rest)
}

/// A [`PathSegment`] that borrows its key from the path when it can.
struct PathSegmentRef<'a> {
    key: std::borrow::Cow<'a, str>,
    seq_hint: bool,
}

/// Whether the spec's GVK selects the object, without building a GVK
/// (this runs for every spec and object).
fn selects_node(spec: &FieldSpec, node: &Node) -> bool {
    let sel = &spec.gvk;
    if sel.group.is_empty() && sel.version.is_empty() && sel.kind.is_empty() {
        return true;
    }
    if !sel.kind.is_empty() && node.str_at(&["kind"]).unwrap_or("") != sel.kind {
        return false;
    }
    if sel.group.is_empty() && sel.version.is_empty() {
        return true;
    }
    sel.selects(&gvk_of(node))
}

/// [`apply_field_spec`] for each spec in order.
pub(crate) fn apply_field_specs(
    node: &mut Node,
    specs: &[FieldSpec],
    create: Option<CreateKind>,
    f: &mut dyn FnMut(&mut Node) -> Result<()>,
) -> Result<()> {
    for spec in specs {
        apply_field_spec(node, spec, create, f)?;
    }
    Ok(())
}

fn message(e: &Error) -> String {
    match e {
        Error::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn walk(
    node: &mut Node,
    path: &str,
    create: Option<CreateKind>,
    f: &mut dyn FnMut(&mut Node) -> Result<()>,
) -> Result<()> {
    walk_rest(node, Some(path), create, f)
}

/// Walks `path` (None: the path is used up) from `node`.
fn walk_rest(
    node: &mut Node,
    path: Option<&str>,
    create: Option<CreateKind>,
    f: &mut dyn FnMut(&mut Node) -> Result<()>,
) -> Result<()> {
    let Some(path) = path else {
        return f(node);
    };
    match node {
        Node::Null => Ok(()),
        Node::Seq(items) => {
            for item in items.iter_mut() {
                walk_rest(item, Some(path), create, f).map_err(|e| {
                    let keys = split_escaped(path);
                    Error::transformer(format!(
                        "visit traversal on path: [{}]: {}",
                        keys.join(" "),
                        message(&e)
                    ))
                })?;
            }
            Ok(())
        }
        Node::Map(m) => {
            let (seg, rest) = first_segment(path);
            check_key(&seg.key)
                .map_err(|e| Error::transformer(format!("fieldName: {}: {e}", seg.key)))?;
            let creates = create.is_some() && !seg.seq_hint;
            let made = || match (rest.is_none(), create) {
                (true, Some(kind)) => kind.make(),
                _ => Node::map(),
            };
            let value = match m.get_mut(&seg.key) {
                Some(v) => v,
                None if creates => {
                    m.insert(seg.key.to_string(), made());
                    match m.get_mut(&seg.key) {
                        Some(v) => v,
                        None => return Ok(()),
                    }
                }
                None => return Ok(()),
            };
            if value.is_null() {
                if seg.seq_hint {
                    *value = Node::Seq(Vec::new());
                } else if creates {
                    *value = made();
                }
            }
            walk_rest(value, rest, create, f)
        }
        _ => Err(Error::transformer("expected sequence or mapping node")),
    }
}

/// Segments kustomize's field lookup does not treat as a mapping key.
fn check_key(key: &str) -> std::result::Result<(), String> {
    if key.is_empty() {
        return Err("cannot set or create an empty field name".into());
    }
    if key == "*" {
        return Err("wildcard is not supported in PathGetter".into());
    }
    let digits = key.strip_prefix(['+', '-']).unwrap_or(key);
    let numeric = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if numeric || key == "-" || (key.starts_with('[') && key.ends_with(']')) {
        return Err("wrong node kind: expected SequenceNode but got MappingNode".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use compose_yaml::parse_one;

    fn y(s: &str) -> Node {
        parse_one(s).unwrap()
    }

    fn set_label(n: &mut Node) -> Result<()> {
        match n {
            Node::Map(m) => {
                m.insert("a", Node::str("b"));
                Ok(())
            }
            Node::Null => Ok(()),
            other => Err(Error::transformer(format!(
                "wrong node kind: {}",
                other.kind_name()
            ))),
        }
    }

    fn run(doc: &str, spec: FieldSpec, kind: Option<CreateKind>) -> Result<Node> {
        let mut n = y(doc);
        apply_field_spec(&mut n, &spec, kind, &mut set_label)?;
        Ok(n)
    }

    #[test]
    fn splits_escaped_slashes_and_seq_hints() {
        let segs = split_path("metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret");
        assert_eq!(segs.len(), 3);
        assert_eq!(segs[2].key, "nginx.ingress.kubernetes.io/auth-secret");
        let segs = split_path("spec/containers[]/image");
        assert_eq!(
            segs[1],
            PathSegment {
                key: "containers".into(),
                seq_hint: true
            }
        );
        assert_eq!(split_path("a\\/b\\/c").len(), 1);
        assert_eq!(split_path("a\\/b\\/c")[0].key, "a/b/c");
    }

    #[test]
    fn splits_at_unescaped_slashes_only() {
        // (path, keys, which keys end in `[]`): kustomize's rule is that a
        // part ending in `\` continues with the next one, joined by `/`.
        let cases: &[(&str, &[&str], &[bool])] = &[
            ("", &[""], &[false]),
            ("a", &["a"], &[false]),
            ("a/", &["a", ""], &[false, false]),
            ("/a", &["", "a"], &[false, false]),
            ("//", &["", "", ""], &[false, false, false]),
            ("a/b[]/c", &["a", "b", "c"], &[false, true, false]),
            ("x[]", &["x"], &[true]),
            ("a\\/b/c", &["a/b", "c"], &[false, false]),
            ("a\\\\/b", &["a\\/b"], &[false]),
            ("a\\//b", &["a/", "b"], &[false, false]),
            ("\\/", &["/"], &[false]),
            ("a\\/\\/b", &["a//b"], &[false]),
            ("a\\/b\\/c[]/d", &["a/b/c", "d"], &[true, false]),
            ("a\\", &["a\\"], &[false]),
        ];
        for (path, keys, hints) in cases {
            let want: Vec<PathSegment> = keys
                .iter()
                .zip(hints.iter())
                .map(|(k, h)| PathSegment {
                    key: k.to_string(),
                    seq_hint: *h,
                })
                .collect();
            assert_eq!(split_path(path), want, "split_path({path:?})");
            let mut lazy = Vec::new();
            let mut rest = Some(*path);
            while let Some(p) = rest {
                let (seg, r) = first_segment(p);
                lazy.push(PathSegment {
                    key: seg.key.into_owned(),
                    seq_hint: seg.seq_hint,
                });
                rest = r;
            }
            assert_eq!(lazy, want, "first_segment over {path:?}");
            let raw: Vec<String> = keys
                .iter()
                .zip(hints.iter())
                .map(|(k, h)| if *h { format!("{k}[]") } else { k.to_string() })
                .collect();
            assert_eq!(split_escaped(path), raw, "split_escaped({path:?})");
        }
    }

    #[test]
    fn creates_intermediate_maps() {
        let spec = FieldSpec::new("", "", "Deployment", "spec/template/metadata/labels", true);
        let n = run(
            "kind: Deployment\nmetadata: {name: d}\n",
            spec,
            Some(CreateKind::Map),
        )
        .unwrap();
        assert_eq!(n, y("kind: Deployment\nmetadata: {name: d}\nspec: {template: {metadata: {labels: {a: b}}}}\n"));
    }

    #[test]
    fn no_create_leaves_missing_alone() {
        let spec = FieldSpec::new("", "", "", "spec/selector/matchLabels", false);
        let doc = "kind: Job\nspec: {}\n";
        assert_eq!(
            run(doc, spec.clone(), Some(CreateKind::Map)).unwrap(),
            y(doc)
        );
        let spec = FieldSpec::new("", "", "", "spec/selector/matchLabels", true);
        assert_eq!(run(doc, spec, None).unwrap(), y(doc));
    }

    #[test]
    fn gvk_must_match() {
        let spec = FieldSpec::new("apps", "", "Deployment", "metadata/labels", true);
        let doc = "apiVersion: extensions/v1beta1\nkind: Deployment\n";
        assert_eq!(
            run(doc, spec.clone(), Some(CreateKind::Map)).unwrap(),
            y(doc)
        );
        let doc = "apiVersion: apps/v1\nkind: Deployment\n";
        let n = run(doc, spec, Some(CreateKind::Map)).unwrap();
        assert_eq!(
            n.get_path(&["metadata", "labels", "a"]),
            Some(&Node::str("b"))
        );
    }

    #[test]
    fn walks_sequences_element_by_element() {
        // oracle: `spec/containers/ann` and `spec/containers[]/ann` with
        // create: both add `ann` to every container
        let doc = "kind: Pod\nspec:\n  containers:\n  - name: x\n  - name: y\n";
        for p in ["spec/containers/ann", "spec/containers[]/ann"] {
            let n = run(
                doc,
                FieldSpec::new("", "", "Pod", p, true),
                Some(CreateKind::Map),
            )
            .unwrap();
            assert_eq!(
                n,
                y("kind: Pod\nspec:\n  containers:\n  - {name: x, ann: {a: b}}\n  - {name: y, ann: {a: b}}\n")
            );
            let n = run(
                doc,
                FieldSpec::new("", "", "Pod", p, false),
                Some(CreateKind::Map),
            )
            .unwrap();
            assert_eq!(n, y(doc));
        }
    }

    #[test]
    fn seq_hint_never_creates() {
        let doc = "kind: StatefulSet\nspec: {}\n";
        let spec = FieldSpec::new(
            "",
            "",
            "",
            "spec/volumeClaimTemplates[]/metadata/labels",
            true,
        );
        assert_eq!(run(doc, spec, Some(CreateKind::Map)).unwrap(), y(doc));
    }

    #[test]
    fn nulls_end_the_walk_or_become_created_kind() {
        // oracle: `affinity: null` with a create:false spec is left alone
        let doc = "kind: Deployment\nspec: {template: {spec: {affinity: null}}}\n";
        let spec = FieldSpec::new(
            "",
            "",
            "",
            "spec/template/spec/affinity/podAffinity/x/matchLabels",
            false,
        );
        assert_eq!(run(doc, spec, Some(CreateKind::Map)).unwrap(), y(doc));
        // oracle: `matchLabels: null` with create:false stays null
        let doc = "kind: Job\nspec: {selector: {matchLabels: null}}\n";
        let spec = FieldSpec::new("", "", "", "spec/selector/matchLabels", false);
        assert_eq!(run(doc, spec, Some(CreateKind::Map)).unwrap(), y(doc));
        // with create, a null on the way is replaced
        let doc = "kind: Deployment\nspec: {template: null}\n";
        let spec = FieldSpec::new("", "", "", "spec/template/metadata/labels", true);
        let n = run(doc, spec, Some(CreateKind::Map)).unwrap();
        assert_eq!(
            n,
            y("kind: Deployment\nspec: {template: {metadata: {labels: {a: b}}}}\n")
        );
    }

    #[test]
    fn scalar_on_the_way_is_an_error() {
        let doc = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: s}\nspec: {template: {spec: {affinity: 3}}}\n";
        let spec = FieldSpec::new(
            "apps",
            "",
            "Deployment",
            "spec/template/spec/affinity/podAffinity/x",
            false,
        );
        let err = run(doc, spec, Some(CreateKind::Map))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "considering field 'spec/template/spec/affinity/podAffinity/x' of object Deployment.v1.apps/s.[noNs]: expected sequence or mapping node"
        );
    }

    #[test]
    fn leaf_kind_is_the_callers_business() {
        let doc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {selector: 3}\n";
        let spec = FieldSpec::new("", "v1", "Service", "spec/selector", true);
        let err = run(doc, spec, Some(CreateKind::Map))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "considering field 'spec/selector' of object Service.v1.[noGrp]/s.[noNs]: "
            ),
            "{err}"
        );
    }

    #[test]
    fn refused_segments() {
        let doc = "kind: Pod\nmetadata: {name: s}\nspec: {containers: [{name: x}]}\n";
        for p in [
            "spec/containers/0/ann",
            "spec/containers/[name=x]/ann",
            "spec/containers/*/ann",
            "spec/containers/-/ann",
            "spec//ann",
        ] {
            let spec = FieldSpec::new("", "", "Pod", p, false);
            assert!(
                run(doc, spec, Some(CreateKind::Map))
                    .err()
                    .is_some_and(|e| e
                        .to_string()
                        .starts_with(&format!("considering field '{p}'"))),
                "{p}"
            );
        }
        // a scalar element under a sequence is an error too
        let spec = FieldSpec::new("", "", "Pod", "spec/containers/name/x", false);
        assert_eq!(
            run(doc, spec, Some(CreateKind::Map)).err().map(|e| e.to_string()).as_deref(),
            Some("considering field 'spec/containers/name/x' of object Pod.[noVer].[noGrp]/s.[noNs]: visit traversal on path: [name x]: expected sequence or mapping node"));
    }
}
