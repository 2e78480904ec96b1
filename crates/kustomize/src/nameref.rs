//! Name references: after names change (prefixes, suffixes, hash
//! suffixes, renaming patches, namespaces), every field that refers to a
//! renamed object is rewritten to its new name.
//!
//! Which fields refer to which kinds is data (the `nameReference` field
//! specs). For each referring field, the referred object is chosen the
//! way kustomize v5.5.0 chooses it: among objects that once had the
//! field's name and the referred kind, that the referrer can see
//! (cluster-scoped ones, ones in its namespace, ServiceAccounts, and for a
//! RoleBinding the namespaces of its ServiceAccount subjects); when that
//! leaves several, the one whose name prefixes and suffixes end like the
//! referrer's wins. Fields holding a `{name, namespace}` mapping (binding
//! subjects, webhook services) get the new namespace too.
//!
//! Only objects that were renamed at least once can be referred to here,
//! so fields naming objects outside the build are left alone.

use super::config::{apply_field_spec, is_namespaced, FieldSpec, NameBackReference};
use super::error::{Error, Result};
use super::resource::{Gvk, ResId, Resource};
use compose_yaml::{Node, Str};
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

/// What the selection needs to know of each object, taken before any
/// referrer is edited (references never change names).
struct Candidate {
    previous: Vec<ResId>,
    current: ResId,
    cluster_scoped: bool,
    effective_ns: Str,
    original_effective_ns: Str,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
}

fn effective_ns(id: &ResId) -> Str {
    super::config::effective_namespace(&id.gvk, &id.namespace).into()
}

/// Rewrites references to renamed objects, per `backrefs`, on up to
/// `threads` threads when there are many objects.
pub(crate) fn fix_name_references(
    resources: &mut [Resource],
    backrefs: &[NameBackReference],
    threads: usize,
) -> Result<()> {
    // The candidates borrow each object's name history for the duration
    // (moved out, then put back whatever happens), rather than copying it.
    let candidates: Vec<Candidate> = resources
        .iter_mut()
        .map(|r| {
            let current = r.id();
            let original = r.original_id();
            Candidate {
                // kustomize's "previous ids" leave out the current one.
                previous: std::mem::take(&mut r.meta.previous_ids),
                cluster_scoped: !is_namespaced(&current.gvk),
                effective_ns: effective_ns(&current),
                original_effective_ns: effective_ns(&original),
                current,
                prefixes: std::mem::take(&mut r.meta.prefixes),
                suffixes: std::mem::take(&mut r.meta.suffixes),
            }
        })
        .collect();
    let result = rewrite(resources, backrefs, &candidates, threads);
    for (r, c) in resources.iter_mut().zip(candidates) {
        r.meta.previous_ids = c.previous;
        r.meta.prefixes = c.prefixes;
        r.meta.suffixes = c.suffixes;
    }
    result
}

/// The rewriting part of [`fix_name_references`]; `candidates[i]` holds
/// the name history of `resources[i]`.
///
/// Each referrer is rewritten on its own from the candidates, so the list
/// is split over the threads; the first failure in list order is the one
/// reported, as in one pass.
fn rewrite(
    resources: &mut [Resource],
    backrefs: &[NameBackReference],
    candidates: &[Candidate],
    threads: usize,
) -> Result<()> {
    // Each back reference's field, with a copy that selects every kind
    // (the field is walked in whatever object the spec selected).
    let specs: Vec<(&FieldSpec, FieldSpec, &Gvk)> = backrefs
        .iter()
        .flat_map(|br| {
            br.field_specs.iter().map(move |spec| {
                (
                    spec,
                    FieldSpec {
                        gvk: Gvk::default(),
                        path: spec.path.clone(),
                        create: false,
                    },
                    &br.gvk,
                )
            })
        })
        .collect();
    let mut by_previous_name: HashMap<&str, Vec<usize>> = HashMap::default();
    for (i, c) in candidates.iter().enumerate() {
        let mut seen = HashSet::default();
        for id in &c.previous {
            if seen.insert(id.name.as_str()) {
                by_previous_name
                    .entry(id.name.as_str())
                    .or_default()
                    .push(i);
            }
        }
    }
    let by_previous_name = &by_previous_name;
    let specs = &specs;
    super::parallel::try_chunks_mut(
        resources,
        threads,
        super::parallel::MIN_OBJECTS_PER_SPLIT,
        |start, chunk| -> Result<()> {
            // The specs that select each kind met in this chunk, in spec
            // order: objects of one kind get the same answer, and a chunk
            // holds few kinds, so each is asked once rather than once per
            // object.
            let mut selected: HashMap<Gvk, Vec<usize>> = HashMap::default();
            for (k, r) in chunk.iter_mut().enumerate() {
                let ri = start + k;
                let org_gvk = match candidates[ri].previous.first() {
                    Some(first) => first.gvk.clone(),
                    None => r.gvk(),
                };
                let chosen = selected.entry(org_gvk).or_insert_with_key(|gvk| {
                    specs
                        .iter()
                        .enumerate()
                        .filter(|(_, (spec, _, _))| spec.gvk.selects(gvk))
                        .map(|(i, _)| i)
                        .collect()
                });
                if chosen.is_empty() {
                    continue;
                }
                let referrer = Referrer::new(r, ri, candidates)?;
                for (spec, any_kind, target) in chosen.iter().map(|&i| &specs[i]) {
                    let role_ref = if spec.path.ends_with("roleRef/name") {
                        let kind = r.node.str_at(&["roleRef", "kind"]).unwrap_or("").into();
                        let group = r.node.str_at(&["roleRef", "apiGroup"]).unwrap_or("").into();
                        Some(Gvk {
                            group,
                            version: Default::default(),
                            kind,
                        })
                    } else {
                        None
                    };
                    let ctx = Ctx {
                        referrer: &referrer,
                        target,
                        role_ref: role_ref.as_ref(),
                        candidates,
                        by_name: by_previous_name,
                    };
                    apply_field_spec(&mut r.node, any_kind, None, &mut |n| ctx.set(n)).map_err(
                        |e| {
                            e.context(format!(
                                "updating name reference in '{}' field of '{}'",
                                spec.path, referrer.id
                            ))
                        },
                    )?;
                }
            }
            Ok(())
        },
    )
}

/// The object holding references, as the selection sees it.
struct Referrer<'a> {
    id: ResId,
    cluster_scoped: bool,
    effective_ns: &'a str,
    /// For a RoleBinding: the namespaces of its ServiceAccount subjects.
    binding_namespaces: HashSet<String>,
    prefixes: &'a [String],
    suffixes: &'a [String],
}

impl<'a> Referrer<'a> {
    fn new(r: &Resource, index: usize, candidates: &'a [Candidate]) -> Result<Referrer<'a>> {
        let id = r.id();
        let mut binding_namespaces = HashSet::default();
        if r.kind() == "RoleBinding" {
            if let Some(Node::Seq(subjects)) = r.node.get("subjects") {
                for s in subjects {
                    let (Some(ns), Some(kind)) = (s.get("namespace"), s.get("kind")) else {
                        continue;
                    };
                    if kind.as_str() != Some("ServiceAccount") {
                        continue;
                    }
                    match ns {
                        Node::Str(n) => {
                            binding_namespaces.insert(n.to_string());
                        }
                        _ => {
                            return Err(Error::reference(format!(
                                "Invalid Input: namespace is blank for resource \"{id}\""
                            )));
                        }
                    }
                }
            }
        }
        let c = &candidates[index];
        Ok(Referrer {
            cluster_scoped: c.cluster_scoped,
            effective_ns: &c.effective_ns,
            id,
            binding_namespaces,
            prefixes: &c.prefixes,
            suffixes: &c.suffixes,
        })
    }

    /// kustomize's first cut: what this referrer could refer to at all.
    fn can_see(&self, c: &Candidate) -> bool {
        self.cluster_scoped
            || c.cluster_scoped
            || c.effective_ns == self.effective_ns
            || self
                .binding_namespaces
                .contains(c.current.namespace.as_str())
    }
}

struct Ctx<'a> {
    referrer: &'a Referrer<'a>,
    target: &'a Gvk,
    role_ref: Option<&'a Gvk>,
    candidates: &'a [Candidate],
    by_name: &'a HashMap<&'a str, Vec<usize>>,
}

impl Ctx<'_> {
    fn set(&self, node: &mut Node) -> Result<()> {
        match node {
            Node::Null => Ok(()),
            Node::Map(_) => self.set_mapping(node),
            Node::Seq(items) => {
                for item in items.iter_mut() {
                    match item {
                        Node::Map(_) => self.set_mapping(item)?,
                        Node::Seq(_) => {
                            return Err(Error::reference("node must be a scalar, sequence or map"))
                        }
                        _ => self.set_scalar(item)?,
                    }
                }
                Ok(())
            }
            _ => self.set_scalar(node),
        }
    }

    fn set_scalar(&self, node: &mut Node) -> Result<()> {
        let Some(old) = node.scalar_text() else {
            return Ok(());
        };
        let Some(i) = self.select(&old, None, false)? else {
            return Ok(());
        };
        let new = &self.candidates[i].current.name;
        if *new != old {
            *node = Node::str(new.clone());
        }
        Ok(())
    }

    fn set_mapping(&self, node: &mut Node) -> Result<()> {
        let Node::Map(m) = node else { return Ok(()) };
        let Some(name_node) = m.get("name") else {
            return Err(Error::reference(
                "path config error; no 'name' field in node",
            ));
        };
        let old = name_node.scalar_text().unwrap_or_default();
        let ns_filter = m
            .get("namespace")
            .map(|n| n.scalar_text().unwrap_or_default());
        let Some(i) = self.select(&old, ns_filter.as_deref(), true)? else {
            return Ok(());
        };
        let c = &self.candidates[i];
        if c.current.name == old && c.current.namespace.is_empty() {
            return Ok(());
        }
        m.insert("name", Node::str(c.current.name.clone()));
        if !c.current.namespace.is_empty() {
            m.insert("namespace", Node::str(c.current.namespace.clone()));
        }
        Ok(())
    }

    /// Whether candidate `i` is in the pool kustomize picks from: what
    /// the referrer can see and, for a `{name, namespace}` field, what is
    /// in that namespace (by original namespace when any visible object
    /// was originally there, else by current namespace).
    fn in_pool(&self, i: usize, namespace: Option<&str>, by_original: bool) -> bool {
        let c = &self.candidates[i];
        if !self.referrer.can_see(c) {
            return false;
        }
        match namespace {
            None => true,
            Some(_) if c.cluster_scoped => false,
            Some(ns) if by_original => c.original_effective_ns == ns,
            Some(ns) => c.effective_ns == ns,
        }
    }

    fn select(
        &self,
        old_name: &str,
        namespace: Option<&str>,
        with_namespace: bool,
    ) -> Result<Option<usize>> {
        let Some(named) = self.by_name.get(old_name) else {
            return Ok(None);
        };
        let by_original = match namespace {
            Some(ns) => self.candidates.iter().any(|c| {
                self.referrer.can_see(c) && !c.cluster_scoped && c.original_effective_ns == ns
            }),
            None => false,
        };
        let mut cands: Vec<usize> = named
            .iter()
            .copied()
            .filter(|&i| self.in_pool(i, namespace, by_original))
            .filter(|&i| {
                self.candidates[i]
                    .previous
                    .iter()
                    .any(|id| self.target.selects(&id.gvk))
            })
            .filter(|&i| match self.role_ref {
                Some(g) => self.candidates[i]
                    .previous
                    .iter()
                    .any(|id| g.selects(&id.gvk)),
                None => true,
            })
            .filter(|&i| {
                let c = &self.candidates[i];
                self.referrer.cluster_scoped
                    || c.cluster_scoped
                    || c.current.gvk.kind == "ServiceAccount"
                    || c.effective_ns == self.referrer.effective_ns
            })
            .collect();
        cands.sort_unstable();
        if cands.len() == 1 {
            return Ok(Some(cands[0]));
        }
        let affixes = |allow_empty: bool, i: &usize| {
            let c = &self.candidates[*i];
            let r = self.referrer;
            if allow_empty {
                (c.prefixes.is_empty()
                    || r.prefixes.is_empty()
                    || same_ending(&c.prefixes, r.prefixes))
                    && (c.suffixes.is_empty()
                        || r.suffixes.is_empty()
                        || same_ending(&c.suffixes, r.suffixes))
            } else {
                same_ending(&c.prefixes, r.prefixes) && same_ending(&c.suffixes, r.suffixes)
            }
        };
        cands.retain(|i| affixes(true, i));
        if cands.len() == 1 {
            return Ok(Some(cands[0]));
        }
        cands.retain(|i| affixes(false, i));
        match cands.len() {
            0 => Ok(None),
            1 => Ok(Some(cands[0])),
            _ => {
                let first = &self.candidates[cands[0]].current;
                let same = cands.iter().all(|&i| {
                    let c = &self.candidates[i].current;
                    c.name == first.name && (!with_namespace || c.namespace == first.namespace)
                });
                if same {
                    return Ok(Some(cands[0]));
                }
                let ids: Vec<String> = cands
                    .iter()
                    .map(|&i| self.candidates[i].current.to_string())
                    .collect();
                Err(Error::reference(format!(
                    "found multiple possible referrals: [{}]",
                    ids.join(" ")
                )))
            }
        }
    }
}

/// kustomize's `SameEndingSubSlice`: one list ends like the other; an
/// empty list matches only an empty list.
fn same_ending(a: &[String], b: &[String]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.is_empty();
    }
    let diff = long.len() - short.len();
    short.iter().enumerate().all(|(i, s)| &long[i + diff] == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_ending_compares_the_tails() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(same_ending(&s(&["a", "b", "c"]), &s(&["b", "c"])));
        assert!(!same_ending(&s(&["a", "b", "c"]), &s(&["a", "b"])));
        assert!(!same_ending(&s(&[]), &s(&["a"])));
        assert!(same_ending(&s(&[]), &s(&[])));
    }
}
