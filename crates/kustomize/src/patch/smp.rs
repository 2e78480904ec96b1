//! Strategic merge of one patch document into one object.
//!
//! kustomize v5.5.0 merges with kyaml's walker, and its results depend on
//! how that walker goes, so this follows the same steps:
//!
//! - The walk covers the whole object, not only the parts the patch
//!   names. Where the patch has nothing, the object's own lists with a
//!   merge strategy are still rebuilt, so an object whose list repeats a
//!   merge key comes out with one element per key, at the first one's
//!   place, holding the last one's value.
//! - A map or list the object lacks is taken from the patch and walked
//!   against itself: its `null`s disappear (a patch that sets only
//!   `nodeAffinity: {required...: null}` leaves `nodeAffinity: {}`), its
//!   directives act, and its own lists are rebuilt.
//! - A merged list is rebuilt from the patch's elements first, then the
//!   object's, each set by its merge keys: a key value the patch gives
//!   replaces every element that has it, and a key the patch leaves empty
//!   matches every element that has the key at all. So a patch element
//!   without a `name` empties a list of named elements, and a
//!   `$patch: delete` element that gives only `containerPort` matches
//!   only elements without a `protocol` when any element has one.
//!
//! Values the walker compares are texts: the scalar as printed (kyaml
//! compares the text as written, which differs only for numbers written
//! in an unusual form). `null` has the text `null`. kyaml tells an empty
//! value (`key:`) from a written `null` and keeps only the latter where
//! the patch has nothing; documents here hold one kind of null, the
//! written one (docs/COMPATIBILITY.md).

use super::merge_keys::{FieldInfo, SchemaRef};
use crate::error::{Error, Result};
use compose_yaml::{parse::resolve_plain, Mapping, Node};
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

const DIRECTIVE: &str = "$patch";

/// Merges `patch` into `dest` (absent when the field does not exist yet).
/// `None` means the result is deleted.
pub fn strategic_merge(
    dest: Option<Node>,
    patch: &Node,
    schema: SchemaRef<'_>,
) -> Result<Option<Node>> {
    merge_owned(dest, patch.clone(), schema)
}

/// [`strategic_merge`] with a patch the merge may consume.
pub(crate) fn merge_owned(
    dest: Option<Node>,
    patch: Node,
    schema: SchemaRef<'_>,
) -> Result<Option<Node>> {
    let at = At { schema, list: None };
    Ok(walk(dest, Some(patch), &at)?.result)
}

/// Where the walk is: the schema of the value, and for a list the patch
/// strategy and merge keys of the field that holds it.
#[derive(Clone)]
struct At<'s> {
    schema: SchemaRef<'s>,
    list: Option<ListInfo<'s>>,
}

#[derive(Clone)]
struct ListInfo<'s> {
    strategy: &'s str,
    keys: Cow<'s, [&'s str]>,
}

impl<'s> At<'s> {
    fn field(&self, name: &str) -> At<'s> {
        let FieldInfo {
            child,
            strategy,
            keys,
        } = self.schema.field(name);
        At {
            schema: child,
            list: Some(ListInfo { strategy, keys }),
        }
    }

    /// The elements of a list: their schema, nothing about lists.
    fn elements(&self) -> At<'s> {
        At {
            schema: self.schema,
            list: None,
        }
    }

    /// kyaml takes the schema of an object from its `apiVersion` and
    /// `kind` wherever the surrounding schema says nothing.
    fn with_meta<'n>(self, sources: impl IntoIterator<Item = &'n Node>) -> At<'s> {
        if self.schema.is_known() || self.list.as_ref().is_some_and(|l| !l.strategy.is_empty()) {
            return self;
        }
        for n in sources {
            let (Some(Node::Str(api)), Some(Node::Str(kind))) =
                (n.get("apiVersion"), n.get("kind"))
            else {
                continue;
            };
            if api.is_empty() || kind.is_empty() {
                continue;
            }
            let schema = self.schema.for_kind(api, kind);
            if schema.is_known() {
                return At {
                    schema,
                    list: self.list,
                };
            }
        }
        self
    }

    fn associative(&self) -> bool {
        self.list
            .as_ref()
            .is_some_and(|l| l.strategy.split(',').any(|s| s == "merge"))
    }

    fn keys(&self) -> &[&'s str] {
        self.list.as_ref().map_or(&[], |l| &l.keys)
    }
}

/// What a walk gives back: the result, which node it is (lists need to
/// know, since an element the merge changed is the same element in every
/// list that holds it), and the inputs it did not use, as they now are.
struct Walked {
    result: Option<Node>,
    is: Is,
    dest: Option<Node>,
    origin: Option<Node>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Is {
    /// The destination node, merged in place.
    Dest,
    /// The patch's node, walked against itself.
    Origin,
    /// A node made by the merge, or nothing.
    Other,
}

impl Walked {
    fn dest(n: Node, origin: Option<Node>) -> Walked {
        Walked {
            result: Some(n),
            is: Is::Dest,
            dest: None,
            origin,
        }
    }
    fn origin(n: Node, dest: Option<Node>) -> Walked {
        Walked {
            result: Some(n),
            is: Is::Origin,
            dest,
            origin: None,
        }
    }
    fn nothing(dest: Option<Node>, origin: Option<Node>) -> Walked {
        Walked {
            result: None,
            is: Is::Other,
            dest,
            origin,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
    Scalar,
}

fn kind_of(n: &Node) -> Kind {
    match n {
        Node::Map(_) => Kind::Map,
        Node::Seq(_) => Kind::Seq,
        _ => Kind::Scalar,
    }
}

fn kind_text(k: Kind) -> &'static str {
    match k {
        Kind::Map => "MappingNode",
        Kind::Seq => "SequenceNode",
        Kind::Scalar => "ScalarNode",
    }
}

fn kind_mismatch(expected: Kind, got: &Node) -> Error {
    Error::patch(format!(
        "wrong node kind: expected {} but got {}: node contents:\n{got}",
        kind_text(expected),
        kind_text(kind_of(got))
    ))
}

fn present(n: &Option<Node>) -> Option<&Node> {
    n.as_ref().filter(|n| !n.is_null())
}

/// The walk of two different nodes: `dest` from the object, `origin`
/// from the patch; either may be absent.
fn walk(dest: Option<Node>, origin: Option<Node>, at: &At<'_>) -> Result<Walked> {
    let at = at
        .clone()
        .with_meta(present(&dest).into_iter().chain(present(&origin)));
    let kind = present(&dest).or(present(&origin)).map(kind_of);
    for n in [present(&dest), present(&origin)].into_iter().flatten() {
        if let Some(k) = kind {
            if kind_of(n) != k {
                return Err(kind_mismatch(k, n));
            }
        }
    }
    match kind {
        None | Some(Kind::Map) => walk_map(dest, origin, &at),
        Some(Kind::Seq) if at.associative() => walk_associative(dest, origin, &at),
        // A list without a merge strategy is replaced whole.
        Some(Kind::Seq) | Some(Kind::Scalar) => Ok(match origin {
            Some(Node::Null) => Walked::nothing(dest, Some(Node::Null)),
            Some(o) => Walked::origin(o, dest),
            None => match dest {
                Some(d) => Walked::dest(d, None),
                None => Walked::nothing(None, None),
            },
        }),
    }
}

fn walk_map(dest: Option<Node>, origin: Option<Node>, at: &At<'_>) -> Result<Walked> {
    let mut d = match dest {
        Some(Node::Map(d)) => d,
        dest => return walk_map_without_dest(dest, origin, at),
    };
    let mut origin = match origin {
        Some(Node::Null) => return Ok(Walked::nothing(Some(Node::Map(d)), Some(Node::Null))),
        Some(Node::Map(o)) => Some(o),
        None => None,
        Some(_) => unreachable!("kinds are checked by the caller"),
    };
    match origin.as_mut().map(map_directive).transpose()?.flatten() {
        Some(Directive::Delete) => Ok(Walked::nothing(Some(Node::Map(d)), origin.map(Node::Map))),
        Some(Directive::Replace) => {
            let mut o = origin.unwrap_or_default();
            same_fields(&mut o, at)?;
            Ok(Walked::origin(Node::Map(o), Some(Node::Map(d))))
        }
        Some(Directive::Merge) | None => {
            merge_fields(&mut d, origin, at)?;
            Ok(Walked::dest(Node::Map(d), None))
        }
    }
}

/// A map where the object has nothing (or a null): the patch's map,
/// walked against itself.
fn walk_map_without_dest(
    dest: Option<Node>,
    mut origin: Option<Node>,
    at: &At<'_>,
) -> Result<Walked> {
    // A directive that cannot be read is passed over here; it stays in
    // the map as an ordinary field.
    let directive = match &mut origin {
        Some(Node::Map(m)) => map_directive(m).unwrap_or(None),
        _ => None,
    };
    if directive == Some(Directive::Delete) {
        return Ok(Walked::nothing(dest, origin));
    }
    Ok(match (dest, origin) {
        // A null the patch does not touch is kept.
        (Some(d), None) => Walked {
            result: Some(d),
            is: Is::Other,
            dest: None,
            origin: None,
        },
        (dest, Some(Node::Map(mut o))) => {
            same_fields(&mut o, at)?;
            Walked::origin(Node::Map(o), dest)
        }
        (dest, origin) => Walked::nothing(dest, origin),
    })
}

/// The fields of a destination map merged with those of a patch map.
fn merge_fields(d: &mut Mapping, origin: Option<Mapping>, at: &At<'_>) -> Result<()> {
    let mut origin = origin.unwrap_or_default();
    let mut i = 0;
    while i < d.len() {
        let (key, value) = d.entry_mut(i);
        let key = key.clone();
        let dv = std::mem::replace(value, Node::Null);
        let ov = origin.remove(&key);
        let walked = match ov {
            None => {
                let mut dv = dv;
                keep_dest(&mut dv, &at.field(&key))?;
                Some(dv)
            }
            ov => {
                let quoted = written_quoted(&dv);
                let v = walk(Some(dv), ov, &at.field(&key))?.result;
                if quoted {
                    v.map(keep_quotes)
                } else {
                    v
                }
            }
        };
        match walked {
            Some(v) => {
                *d.entry_mut(i).1 = v;
                i += 1;
            }
            None => {
                d.remove_at(i);
            }
        }
    }
    for (key, ov) in origin {
        if let Some(v) = walk(None, Some(ov), &at.field(&key))?.result {
            d.insert(key, v);
        }
    }
    Ok(())
}

/// Whether a string must have been quoted in its file: its text would
/// read as another type unquoted. (Other strings may have been quoted
/// too; the document no longer says.)
fn written_quoted(n: &Node) -> bool {
    matches!(n, Node::Str(s) if !matches!(resolve_plain(s), Node::Str(_)))
}

/// kyaml gives a field's new scalar the quoting of the value it replaces,
/// so a number or boolean that replaces a quoted string is read back as a
/// string.
fn keep_quotes(n: Node) -> Node {
    match n {
        Node::Bool(_) | Node::Int(_) | Node::Uint(_) | Node::Float(_) => {
            Node::Str(text(&n).into_owned().into())
        }
        other => other,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Directive {
    Delete,
    Replace,
    Merge,
}

fn directive_of(text: &str) -> Result<Directive> {
    match text {
        "delete" => Ok(Directive::Delete),
        "replace" => Ok(Directive::Replace),
        "merge" => Ok(Directive::Merge),
        other => Err(Error::patch(format!("unknown patch strategy '{other}'"))),
    }
}

/// The text kyaml compares: a scalar as written, `null` for a null,
/// nothing for a map or list.
fn text(n: &Node) -> Cow<'_, str> {
    match n {
        Node::Str(s) => Cow::Borrowed(s.as_str()),
        Node::Null => Cow::Borrowed("null"),
        Node::Map(_) | Node::Seq(_) => Cow::Borrowed(""),
        other => Cow::Owned(other.scalar_text().unwrap_or_default()),
    }
}

/// A map's `$patch`, removed once read.
fn map_directive(m: &mut Mapping) -> Result<Option<Directive>> {
    let Some(v) = m.get(DIRECTIVE) else {
        return Ok(None);
    };
    let d = directive_of(&text(v))?;
    m.remove(DIRECTIVE);
    Ok(Some(d))
}

/// A list's directive: its first element that has `$patch`, when that is
/// all the element has. The elements with that directive are removed
/// once read, with the list's null and empty elements.
fn list_directive(items: &mut Vec<Node>) -> Result<Option<Directive>> {
    let Some(m) = items
        .iter()
        .filter_map(Node::as_map)
        .find(|m| m.contains_key(DIRECTIVE))
    else {
        return Ok(None);
    };
    if m.len() > 1 {
        return Ok(None);
    }
    let value = text(m.get(DIRECTIVE).unwrap_or(&Node::Null)).into_owned();
    let d = directive_of(&value)?;
    items.retain(|n| match n {
        Node::Null => false,
        Node::Map(m) if m.is_empty() => false,
        Node::Map(m) => m.get(DIRECTIVE).is_none_or(|v| text(v) != value),
        _ => true,
    });
    Ok(Some(d))
}

/// The walk of a node against itself (a patch's node where the object
/// has nothing): directives act, nulls go, merged lists are rebuilt.
/// Changes the node in place; false when it is removed.
fn same(n: &mut Node, at: &At<'_>) -> Result<bool> {
    let at = at.clone().with_meta(std::iter::once(&*n));
    match n {
        Node::Null => Ok(false),
        Node::Map(m) => {
            if map_directive(m)? == Some(Directive::Delete) {
                return Ok(false);
            }
            same_fields(m, &at)?;
            Ok(true)
        }
        Node::Seq(items) if at.associative() => {
            if list_directive(items)? == Some(Directive::Delete) {
                return Ok(false);
            }
            let list = std::mem::take(items);
            *items = set_elements(Lists::Same(cells(list)), &at)?;
            Ok(true)
        }
        _ => Ok(true),
    }
}

/// The fields of a map walked against themselves.
fn same_fields(m: &mut Mapping, at: &At<'_>) -> Result<()> {
    let mut i = 0;
    while i < m.len() {
        let (key, value) = m.entry_mut(i);
        let child = at.field(key);
        if same(value, &child)? {
            i += 1;
        } else {
            m.remove_at(i);
        }
    }
    Ok(())
}

/// The walk of an object's node where the patch has nothing: only lists
/// with a merge strategy change. An object's null is kept.
fn keep_dest(n: &mut Node, at: &At<'_>) -> Result<()> {
    match n {
        Node::Map(_) => {
            let at = at.clone().with_meta(std::iter::once(&*n));
            let Node::Map(m) = n else {
                unreachable!("matched above")
            };
            for (key, value) in m.iter_mut() {
                keep_dest(value, &at.field(key))?;
            }
            Ok(())
        }
        Node::Seq(items) if at.associative() => {
            let list = std::mem::take(items);
            *items = set_elements(
                Lists::Two {
                    dest: cells(list),
                    origin: None,
                },
                at,
            )?;
            Ok(())
        }
        _ => Ok(()),
    }
}

fn walk_associative(dest: Option<Node>, origin: Option<Node>, at: &At<'_>) -> Result<Walked> {
    let Some(Node::Seq(d)) = dest else {
        // The object has no list: the patch's list, walked against
        // itself (its own list directive is not read here).
        return Ok(match origin {
            Some(Node::Seq(o)) => {
                let list = set_elements(Lists::Same(cells(o)), at)?;
                Walked {
                    result: Some(Node::Seq(list)),
                    is: Is::Other,
                    dest,
                    origin: None,
                }
            }
            origin => Walked::nothing(dest, origin),
        });
    };
    let mut origin = match origin {
        Some(Node::Null) => return Ok(Walked::nothing(Some(Node::Seq(d)), Some(Node::Null))),
        Some(Node::Seq(o)) => Some(o),
        None => None,
        Some(_) => unreachable!("kinds are checked by the caller"),
    };
    match origin.as_mut().map(list_directive).transpose()?.flatten() {
        Some(Directive::Delete) => {
            return Ok(Walked::nothing(Some(Node::Seq(d)), origin.map(Node::Seq)))
        }
        Some(Directive::Replace) => {
            let list = set_elements(Lists::Same(cells(origin.unwrap_or_default())), at)?;
            return Ok(Walked {
                result: Some(Node::Seq(list)),
                is: Is::Other,
                dest: Some(Node::Seq(d)),
                origin: None,
            });
        }
        Some(Directive::Merge) | None => {}
    }
    let list = set_elements(
        Lists::Two {
            dest: cells(d),
            origin: origin.map(cells),
        },
        at,
    )?;
    Ok(Walked {
        result: Some(Node::Seq(list)),
        is: Is::Other,
        dest: None,
        origin: None,
    })
}

/// A list element that several lists may hold at once.
type Cell = Rc<RefCell<Node>>;

fn cells(items: Vec<Node>) -> Vec<Cell> {
    items
        .into_iter()
        .map(|n| Rc::new(RefCell::new(n)))
        .collect()
}

fn uncell(c: Cell) -> Node {
    Rc::try_unwrap(c).map_or_else(|c| c.borrow().clone(), RefCell::into_inner)
}

/// The lists a list merge reads: the object's and the patch's, or one
/// list on both sides.
enum Lists {
    Two {
        dest: Vec<Cell>,
        origin: Option<Vec<Cell>>,
    },
    Same(Vec<Cell>),
}

impl Lists {
    fn dest(&mut self) -> &mut Vec<Cell> {
        match self {
            Lists::Two { dest, .. } | Lists::Same(dest) => dest,
        }
    }
    /// The patch's list first, then the object's.
    fn sources(&self) -> Vec<&Vec<Cell>> {
        match self {
            Lists::Two { dest, origin } => origin.iter().chain(std::iter::once(dest)).collect(),
            Lists::Same(l) => vec![l],
        }
    }
}

/// The merge-key texts of one element: empty for a missing, null or empty
/// field, and for a field that is not a scalar.
fn key_texts(n: &Node, keys: &[&str]) -> Vec<String> {
    keys.iter()
        .map(|k| match n.get(k) {
            None | Some(Node::Null) => String::new(),
            Some(Node::Map(_) | Node::Seq(_)) => String::new(),
            Some(v) => text(v).into_owned(),
        })
        .collect()
}

/// The merge keys that have a value in some element, with this element's
/// values for them; every key when none has.
fn valid_keys<'k>(
    all: &[Vec<String>],
    values: &[String],
    keys: &[&'k str],
) -> (Vec<&'k str>, Vec<String>) {
    let set: Vec<bool> = (0..keys.len())
        .map(|i| all.iter().any(|v| v.get(i).is_some_and(|s| !s.is_empty())))
        .collect();
    if !set.iter().any(|&b| b) {
        return (keys.to_vec(), values.to_vec());
    }
    let vk = keys
        .iter()
        .zip(&set)
        .filter(|(_, &s)| s)
        .map(|(k, _)| *k)
        .collect();
    let vv = values
        .iter()
        .zip(&set)
        .filter(|(v, &s)| !v.is_empty() || s)
        .map(|(v, _)| v.clone())
        .collect();
    (vk, vv)
}

/// Two elements' key values are one when they share a value and differ
/// only where one of them is empty; then both take the fuller values.
fn unify(values: &mut [Vec<String>]) {
    for i in 0..values.len() {
        // kyaml compares against the element's values as they were when
        // its turn began, not as this loop updates them.
        let first = values[i].clone();
        for j in 0..values.len() {
            if let Some(u) = unified(&first, &values[j]) {
                values[i] = u.clone();
                values[j] = u;
            }
        }
    }
}

fn unified(a: &[String], b: &[String]) -> Option<Vec<String>> {
    if a.len() != b.len() {
        return None;
    }
    let mut common = false;
    let mut out = Vec::with_capacity(a.len());
    for (x, y) in a.iter().zip(b) {
        if x == y {
            common = true;
            out.push(x.clone());
        } else if !x.is_empty() && !y.is_empty() {
            return None;
        } else if !x.is_empty() {
            out.push(x.clone());
        } else {
            out.push(y.clone());
        }
    }
    common.then_some(out)
}

/// The first element whose every key has exactly that text (for the key
/// `""`, whose own text is the value).
fn find(list: &[Cell], keys: &[&str], values: &[String]) -> Option<Cell> {
    if keys.first().is_none_or(|k| k.is_empty()) {
        let want = values.first().map_or("", String::as_str);
        return list.iter().find(|c| text(&c.borrow()) == want).cloned();
    }
    if keys.len() != values.len() {
        return None;
    }
    list.iter()
        .find(|c| {
            let n = c.borrow();
            let Node::Map(m) = &*n else { return false };
            keys.iter()
                .zip(values)
                .all(|(k, v)| m.get(k).is_some_and(|f| text(f) == v.as_str()))
        })
        .cloned()
}

/// Whether `n` has field `key` with text `value` (any value when `value`
/// is empty); for the key `""`, whether `n`'s own text is `value`.
fn field_matches(n: &Node, key: &str, value: &str) -> Result<bool> {
    if n.is_null() {
        return Ok(false);
    }
    if key.is_empty() {
        if !n.is_scalar() {
            return Err(kind_mismatch(Kind::Scalar, n));
        }
        return Ok(text(n) == value);
    }
    let Node::Map(m) = n else {
        return Err(kind_mismatch(Kind::Map, n));
    };
    Ok(match m.get(key) {
        None => false,
        Some(_) if value.is_empty() => true,
        Some(f) => text(f) == value,
    })
}

/// Sets `element` in place of every element of `list` that has these key
/// values (appending it when none has), or with no element removes them.
/// Null and empty elements are dropped on the way.
fn set_element(
    list: &mut Vec<Cell>,
    element: Option<&Cell>,
    keys: &[&str],
    values: &[String],
) -> Result<()> {
    let keys: &[&str] = if keys.is_empty() { &[""] } else { keys };
    let mapping_setter = !keys[0].is_empty() && values.first().is_some_and(|v| !v.is_empty());
    let mut out = Vec::with_capacity(list.len() + 1);
    let mut matched = false;
    for c in list.drain(..) {
        let n = c.borrow();
        match &*n {
            Node::Null => continue,
            Node::Map(m) if m.is_empty() => continue,
            Node::Map(_) => {}
            _ if mapping_setter => {
                drop(n);
                out.push(c);
                continue;
            }
            _ => {}
        }
        let mut found = true;
        let mut hit = false;
        for (j, key) in keys.iter().enumerate() {
            if let Some(v) = values.get(j) {
                hit = field_matches(&n, key, v)?;
            }
            if !hit {
                found = false;
                break;
            }
        }
        drop(n);
        if !found {
            if !values.is_empty() {
                out.push(c);
            }
            continue;
        }
        matched = true;
        if let Some(e) = element {
            out.push(e.clone());
        }
    }
    *list = out;
    if let Some(e) = element {
        if !matched && !e.borrow().is_null() {
            list.push(e.clone());
        }
    }
    Ok(())
}

/// The merge of a list with a merge strategy.
fn set_elements(mut lists: Lists, at: &At<'_>) -> Result<Vec<Node>> {
    let schema_keys: Vec<&str> = at.keys().to_vec();
    let mut values: Vec<Vec<String>> = Vec::new();
    for src in lists.sources() {
        for c in src {
            let v = key_texts(&c.borrow(), &schema_keys);
            if !v.is_empty() && !values.contains(&v) {
                values.push(v);
            }
        }
    }
    let keys: Vec<&str> = if values.is_empty() && schema_keys.is_empty() {
        // A list of scalars: each element is its own key.
        for src in lists.sources() {
            for c in src {
                let v = vec![text(&c.borrow()).into_owned()];
                if !values.contains(&v) {
                    values.push(v);
                }
            }
        }
        vec![""]
    } else {
        schema_keys
    };
    if keys.len() > 1 {
        unify(&mut values);
    }
    let elements = at.elements();
    let mut items: Vec<Cell> = Vec::new();
    let mut last_keys: Vec<&str> = Vec::new();
    for value in &values {
        if value.is_empty() {
            continue;
        }
        let (vk, vv) = valid_keys(&values, value, &keys);
        last_keys = vk.clone();
        let (fk, fv) = valid_keys(std::slice::from_ref(&vv), &vv, &vk);
        let d = find(lists.dest(), &fk, &fv);
        let o = match &lists {
            Lists::Two {
                origin: Some(o), ..
            } => find(o, &fk, &fv),
            Lists::Two { origin: None, .. } => None,
            Lists::Same(_) => d.clone(),
        };
        let val = walk_cells(d, o, &elements)?;
        let mut gone = false;
        for (i, key) in vk.iter().enumerate() {
            let empty = val.as_ref().is_none_or(|c| match &*c.borrow() {
                Node::Null => true,
                Node::Map(m) => m.is_empty(),
                _ => false,
            });
            if empty {
                set_element(lists.dest(), None, &vk, &vv)?;
                gone = true;
            } else if let Some(c) = &val {
                set_missing_key(c, key, &vv[i])?;
            }
        }
        if gone {
            continue;
        }
        if let Some(c) = &val {
            set_element(&mut items, Some(c), &vk, &vv)?;
        }
    }
    if values.is_empty() {
        let dest = std::mem::take(lists.dest());
        drop(lists);
        return Ok(dest.into_iter().map(uncell).collect());
    }
    let dest = std::mem::take(lists.dest());
    drop(lists);
    append_list(&mut items, dest, &last_keys)?;
    Ok(items.into_iter().map(uncell).collect())
}

/// Gives the merged element the key value it was matched by when it
/// lacks that key. For a scalar element (the key `""`) the element is
/// rewritten from its text, as a plain scalar.
fn set_missing_key(c: &Cell, key: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Ok(());
    }
    let mut n = c.borrow_mut();
    if key.is_empty() {
        if !n.is_scalar() {
            return Err(kind_mismatch(Kind::Scalar, &n));
        }
        *n = resolve_plain(value);
        return Ok(());
    }
    match &mut *n {
        Node::Map(m) => {
            if !m.contains_key(key) {
                m.insert(key, resolve_plain(value));
            }
            Ok(())
        }
        other => Err(kind_mismatch(Kind::Map, other)),
    }
}

/// The object's elements set into the merged list, one at a time, by
/// their own key values.
fn append_list(dst: &mut Vec<Cell>, src: Vec<Cell>, keys: &[&str]) -> Result<()> {
    for elem in src {
        if keys.first().is_none_or(|k| k.is_empty()) {
            let v = vec![text(&elem.borrow()).into_owned()];
            set_element(dst, Some(&elem), &[""], &v)?;
            continue;
        }
        let mut v = Vec::with_capacity(keys.len());
        for key in keys {
            let field = {
                let n = elem.borrow();
                match &*n {
                    Node::Null => None,
                    Node::Map(m) => m.get(key).map(|f| text(f).into_owned()),
                    other => return Err(kind_mismatch(Kind::Map, other)),
                }
            };
            match field {
                None => dst.push(elem.clone()),
                Some(t) => v.push(t),
            }
        }
        if keys.len() > 1 {
            set_element(dst, None, keys, &v)?;
        }
        set_element(dst, Some(&elem), keys, &v)?;
    }
    Ok(())
}

/// Walks one element of each list (the same element on both sides when
/// the lists are one). The result is the element itself when the merge
/// changed it in place.
fn walk_cells(d: Option<Cell>, o: Option<Cell>, at: &At<'_>) -> Result<Option<Cell>> {
    if let (Some(d), Some(o)) = (&d, &o) {
        if Rc::ptr_eq(d, o) {
            let mut n = std::mem::replace(&mut *d.borrow_mut(), Node::Null);
            let kept = same(&mut n, at);
            *d.borrow_mut() = n;
            return Ok(kept?.then(|| d.clone()));
        }
    }
    let dn = d
        .as_ref()
        .map(|c| std::mem::replace(&mut *c.borrow_mut(), Node::Null));
    let on = o
        .as_ref()
        .map(|c| std::mem::replace(&mut *c.borrow_mut(), Node::Null));
    // A patch element merged into an object's element is used up here,
    // while kyaml's stays in the patch's list for a later match: keep a
    // copy, without the directive the merge reads off it.
    let spare = match (&dn, &on) {
        (Some(_), Some(o)) => {
            let mut o = o.clone();
            if let Node::Map(m) = &mut o {
                let _ = map_directive(m);
            }
            Some(o)
        }
        _ => None,
    };
    let walked = match (&d, dn, on) {
        (Some(dc), Some(mut dn), None) => {
            let kept = keep_dest(&mut dn, at);
            let is_null = dn.is_null();
            *dc.borrow_mut() = dn;
            kept?;
            return Ok((!is_null).then(|| dc.clone()));
        }
        (_, dn, on) => walk(dn, on, at)?,
    };
    let Walked {
        result,
        is,
        dest,
        origin,
    } = walked;
    if let (Some(c), Some(n)) = (&d, dest) {
        *c.borrow_mut() = n;
    }
    if let (Some(c), Some(n)) = (&o, origin.or(spare)) {
        *c.borrow_mut() = n;
    }
    // The result is the cell it came from, so that every list holding
    // that element sees the merge.
    let home = match is {
        Is::Dest => d,
        Is::Origin => o,
        Is::Other => None,
    };
    Ok(result.map(|n| match home {
        Some(c) => {
            *c.borrow_mut() = n;
            c
        }
        None => Rc::new(RefCell::new(n)),
    }))
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

    fn env_of(out: &Node) -> Node {
        out.get_path(&["spec", "template", "spec", "containers"])
            .and_then(Node::as_seq)
            .unwrap()[0]
            .get("env")
            .cloned()
            .unwrap()
    }

    // The expectations below are kubectl's output for the same object and
    // patch.

    #[test]
    fn repeated_merge_keys_keep_first_place_and_last_value() {
        let out = merge(
            "spec: {template: {spec: {containers: [{name: a, env: [{name: X, value: '1', extra: y}, {name: Y, value: '2'}, {name: X, value: '3'}]}]}}}",
            "metadata: {labels: {touched: 'yes'}}",
        );
        assert_eq!(
            env_of(&out),
            parse_one("[{name: X, value: '3'}, {name: Y, value: '2'}]").unwrap()
        );
    }

    #[test]
    fn an_element_without_its_merge_key_matches_every_keyed_element() {
        let out = merge(
            "spec: {template: {spec: {containers: [{name: a, env: [{name: X, value: '1'}]}]}}}",
            "spec: {template: {spec: {containers: [{name: a, env: [{value: '2'}]}]}}}",
        );
        assert_eq!(env_of(&out), parse_one("[]").unwrap());
        let out = merge(
            "spec: {template: {spec: {containers: [{name: a}]}}}",
            "spec: {template: {spec: {containers: [{name: a, env: [{value: '2'}]}]}}}",
        );
        assert_eq!(env_of(&out), parse_one("[{value: '2'}]").unwrap());
    }

    #[test]
    fn ports_match_on_port_and_protocol() {
        let out = merge(
            "spec: {template: {spec: {containers: [{name: a, ports: [{containerPort: 80, protocol: TCP}, {containerPort: 53, protocol: UDP}]}]}}}",
            "spec: {template: {spec: {containers: [{name: a, ports: [{containerPort: 80, $patch: delete}, {containerPort: 53, protocol: UDP, $patch: delete}]}]}}}",
        );
        let c = &out
            .get_path(&["spec", "template", "spec", "containers"])
            .and_then(Node::as_seq)
            .unwrap()[0];
        assert_eq!(
            c.get("ports"),
            Some(&parse_one("[{containerPort: 80, protocol: TCP}]").unwrap())
        );
    }

    #[test]
    fn a_value_that_replaces_a_quoted_string_is_a_string() {
        let out = merge(
            "spec: {template: {spec: {nodeSelector: {a: '1', b: x}}}}",
            "spec: {template: {spec: {nodeSelector: {a: true, b: true}}}}",
        );
        assert_eq!(
            out.get_path(&["spec", "template", "spec", "nodeSelector"]),
            Some(&parse_one("{a: 'true', b: true}").unwrap())
        );
    }

    #[test]
    fn map_into_list_is_an_error() {
        let schema = SchemaRef::unknown();
        let r = strategic_merge(
            Some(parse_one("items: [a]").unwrap()),
            &parse_one("items: {$patch: delete}").unwrap(),
            schema,
        );
        assert_eq!(
            r.err().map(|e| e.to_string()).as_deref(),
            Some("wrong node kind: expected SequenceNode but got MappingNode: node contents:\n{\"$patch\":\"delete\"}"));
    }
}
