//! Output order: kustomize's legacy order by default, or the order the
//! top-level `sortOptions` asks for.
//!
//! Legacy order puts the kinds of `orderFirst` first in that order, those
//! of `orderLast` last (kustomize's defaults are in the generated
//! `config::tables`), and everything else between; ties break on
//! group/version/kind, then namespace and name, compared as kustomize's
//! sort strings compare them.

use super::config::{gvk_sort_string, order_first, order_last, push_or};
use super::error::{Error, Result};
use super::resource::{ResId, Resource};
use compose_yaml::Node;
use rustc_hash::FxHashMap as HashMap;

/// Sorts in place as the top-level `sortOptions` (or the default) says.
pub(crate) fn apply(resources: &mut [Resource], sort_options: Option<&Node>) -> Result<()> {
    let Some(opts) = sort_options.filter(|n| !n.is_null()) else {
        legacy(
            resources,
            order_first().iter().map(|s| s.to_string()).collect(),
            order_last().iter().map(|s| s.to_string()).collect(),
        );
        return Ok(());
    };
    let order = opts.str_at(&["order"]).unwrap_or("");
    let legacy_opts = opts.get("legacySortOptions").filter(|n| !n.is_null());
    match order {
        "fifo" => {
            if legacy_opts.is_some() {
                return Err(Error::transformer(
                    "the field 'sortOptions.legacySortOptions' is set but the selected sort order is 'fifo', not 'legacy'",
                ));
            }
            Ok(())
        }
        "legacy" => {
            let (first, last) = match legacy_opts {
                None => (
                    order_first().iter().map(|s| s.to_string()).collect(),
                    order_last().iter().map(|s| s.to_string()).collect(),
                ),
                Some(l) => (kinds(l.get("orderFirst")), kinds(l.get("orderLast"))),
            };
            legacy(resources, first, last);
            Ok(())
        }
        _ => Err(Error::transformer(
            "the field 'sortOptions.order' must be one of [fifo, legacy]",
        )),
    }
}

fn kinds(n: Option<&Node>) -> Vec<String> {
    match n {
        Some(Node::Seq(items)) => items.iter().filter_map(Node::scalar_text).collect(),
        _ => Vec::new(),
    }
}

fn legacy(resources: &mut [Resource], first: Vec<String>, last: Vec<String>) {
    let mut rank: HashMap<String, i64> = HashMap::default();
    let n = first.len() as i64;
    for (i, k) in first.into_iter().enumerate() {
        rank.insert(k, -n + i as i64);
    }
    for (i, k) in last.into_iter().enumerate() {
        rank.insert(k, 1 + i as i64);
    }
    // Each object's two sort strings share one allocation: the GVK string
    // is `text[..split]` and the id string the rest.
    let mut keyed: Vec<(i64, String, usize, usize)> = resources
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let id = r.id();
            let mut text = String::with_capacity(
                2 * (id.gvk.group.len() + id.gvk.version.len() + id.gvk.kind.len())
                    + id.namespace.len()
                    + id.name.len()
                    + 32,
            );
            gvk_sort_string(&id.gvk, &mut text);
            let split = text.len();
            id_sort_string(&id, &mut text);
            (
                rank.get(id.gvk.kind.as_str()).copied().unwrap_or(0),
                text,
                split,
                i,
            )
        })
        .collect();
    keyed.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1[..a.2].cmp(&b.1[..b.2]))
            .then_with(|| a.1[a.2..].cmp(&b.1[b.2..]))
            .then(a.3.cmp(&b.3))
    });
    let order: Vec<usize> = keyed.into_iter().map(|k| k.3).collect();
    permute(resources, &order);
}

/// Reorders `items` so that position i holds the old `items[order[i]]`
/// (`order` is a permutation), in place: each cycle of the permutation is
/// walked once with swaps, so no second list of objects is made.
fn permute<T>(items: &mut [T], order: &[usize]) {
    let mut placed = vec![false; items.len()];
    for start in 0..items.len() {
        // Invariant along a cycle: every position walked so far holds its
        // object, and the object first at `start` now sits at `at`.
        let mut at = start;
        while !placed[at] {
            placed[at] = true;
            let from = order[at];
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// kustomize's id sort key: the GVK as it prints (`Kind.version.group`,
/// with `[noKind]`, `[noVer]`, `[noGrp]`), then `|namespace|name`, with
/// `~X` and `~N` for empty ones.
fn id_sort_string(id: &ResId, out: &mut String) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "{}|", id.gvk);
    push_or(out, &id.namespace, "~X");
    out.push('|');
    push_or(out, &id.name, "~N");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::Gvk;
    use compose_yaml::parse_one;

    #[test]
    fn id_sort_strings_use_the_printed_gvk() {
        for (api, kind, ns, name) in [
            ("apps/v1", "Deployment", "prod", "web"),
            ("v1", "", "", ""),
            ("", "Thing", "", "x"),
        ] {
            let id = ResId {
                gvk: Gvk::from_api_version(api, kind),
                name: name.into(),
                namespace: ns.into(),
            };
            let or = |s: &str, d: &str| {
                if s.is_empty() {
                    d.to_string()
                } else {
                    s.to_string()
                }
            };
            let mut text = String::new();
            id_sort_string(&id, &mut text);
            assert_eq!(
                text,
                format!("{}|{}|{}", id.gvk, or(ns, "~X"), or(name, "~N"))
            );
            let mut text = String::new();
            gvk_sort_string(&id.gvk, &mut text);
            assert_eq!(
                text,
                format!(
                    "{}_{}_{}",
                    or(&id.gvk.group, "~G"),
                    or(&id.gvk.version, "~V"),
                    or(kind, "~K")
                )
            );
        }
    }

    #[test]
    fn permute_moves_every_item_to_its_place() {
        // Fixed points, 2-cycles, one long cycle, and a mix, against the
        // plain definition: position i gets the old items[order[i]].
        let orders: [&[usize]; 6] = [
            &[],
            &[0],
            &[1, 0],
            &[0, 1, 2, 3],
            &[1, 2, 3, 4, 0],
            &[3, 0, 4, 1, 2, 5, 7, 6],
        ];
        for order in orders {
            let mut items: Vec<String> = (0..order.len()).map(|i| format!("item{i}")).collect();
            let want: Vec<String> = order.iter().map(|&i| items[i].clone()).collect();
            permute(&mut items, order);
            assert_eq!(items, want, "order={order:?}");
        }
    }

    fn res(api: &str, kind: &str, name: &str) -> Resource {
        Resource::new(
            parse_one(&format!(
                "apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}}}\n"
            ))
            .unwrap_or(Node::Null),
        )
    }

    #[test]
    fn legacy_order_puts_namespaces_first_and_webhooks_last() {
        let mut rs = vec![
            res(
                "admissionregistration.k8s.io/v1",
                "ValidatingWebhookConfiguration",
                "w",
            ),
            res("apps/v1", "Deployment", "b"),
            res("apps/v1", "Deployment", "a"),
            res("v1", "Pod", "p"),
            res("v1", "Namespace", "n"),
        ];
        apply(&mut rs, None).unwrap();
        let names: Vec<&str> = rs.iter().map(|r| r.name()).collect();
        assert_eq!(names, vec!["n", "a", "b", "p", "w"]);
    }

    #[test]
    fn fifo_keeps_load_order() {
        let mut rs = vec![res("v1", "Pod", "b"), res("v1", "Namespace", "a")];
        apply(&mut rs, Some(&parse_one("order: fifo").unwrap())).unwrap();
        assert_eq!(rs[0].name(), "b");
        assert_eq!(
            apply(&mut rs, Some(&parse_one("order: other").unwrap()))
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("the field 'sortOptions.order' must be one of [fifo, legacy]")
        );
    }
}
