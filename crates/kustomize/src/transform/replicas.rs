//! Replica counts: `replicas:` entries and the ReplicaCountTransformer
//! configuration form.
//!
//! An entry names objects by name: any name the object has had during the
//! build counts (so an entry may use the name from before a prefix). For
//! each field spec, objects whose identity the spec's GVK selects get the
//! count, created where the spec says `create`. An entry that selects
//! nothing is an error listing the specs' GVKs.

use super::wrong_kind;
use crate::config::{self, apply_field_spec, CreateKind, FieldSpec};
use crate::error::{Error, Result};
use crate::resource::{Gvk, Resource};
use compose_yaml::Node;

/// One `replicas:` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ReplicaSpec {
    /// Name of the objects to scale.
    pub(crate) name: String,
    /// The replica count (0 when not given).
    pub(crate) count: i64,
}

impl ReplicaSpec {
    /// Reads a kustomization's `{name, count}` strictly: `count` must be an
    /// integer and unknown keys are errors.
    pub(crate) fn from_node(node: &Node) -> Result<ReplicaSpec> {
        ReplicaSpec::parse(node, false)
    }

    /// Reads the `replica` of a ReplicaCountTransformer configuration
    /// (unknown keys ignored, a numeric name taken as text).
    pub(crate) fn from_config_node(node: &Node) -> Result<ReplicaSpec> {
        ReplicaSpec::parse(node, true)
    }

    fn parse(node: &Node, lenient: bool) -> Result<ReplicaSpec> {
        let m = match node {
            Node::Map(m) => m,
            Node::Null => return Ok(ReplicaSpec::default()),
            other => return Err(config::type_error("replicas", "types.Replica", other)),
        };
        if !lenient {
            config::check_known_fields(m, &["name", "count"])?;
        }
        let name = if lenient {
            config::string_field_lenient(m, "name")?
        } else {
            config::string_field(m, "name")?
        };
        let count = match config::json_field(m, "count") {
            None | Some(Node::Null) => 0,
            Some(Node::Int(i)) => *i,
            // the YAML-to-JSON step turns an integral float into an integer
            Some(Node::Float(f)) if f.fract() == 0.0 && f.abs() < 9.2e18 => *f as i64,
            Some(other) => return Err(config::type_error("count", "int64", other)),
        };
        Ok(ReplicaSpec {
            name: name.unwrap_or_default(),
            count,
        })
    }
}

/// kustomize's `Kind.version.group` with `[noVer]`/`[noGrp]` placeholders.
fn gvk_string(g: &Gvk) -> String {
    let or = |s: &str, d: &str| {
        if s.is_empty() {
            d.to_string()
        } else {
            s.to_string()
        }
    };
    format!(
        "{}.{}.{}",
        or(&g.kind, "[noKind]"),
        or(&g.version, "[noVer]"),
        or(&g.group, "[noGrp]")
    )
}

/// Sets the replica count of the objects `replica.name` names.
pub(crate) fn set_replicas(
    resources: &mut [Resource],
    replica: &ReplicaSpec,
    specs: &[FieldSpec],
) -> Result<()> {
    let all: Vec<usize> = (0..resources.len()).collect();
    set_replicas_among(resources, &all, replica, specs)
}

/// Applies several `replicas:` entries in order. Objects are found through
/// an index of every name they have had, so the cost grows with the number
/// of entries plus objects, not their product.
pub(crate) fn set_replicas_all(
    resources: &mut [Resource],
    replicas: &[ReplicaSpec],
    specs: &[FieldSpec],
) -> Result<()> {
    if replicas.is_empty() {
        return Ok(());
    }
    let mut by_name: rustc_hash::FxHashMap<String, Vec<usize>> = Default::default();
    for (i, r) in resources.iter().enumerate() {
        let mut names: Vec<String> = r
            .meta
            .previous_ids
            .iter()
            .map(|id| id.name.to_string())
            .collect();
        names.push(r.name().to_string());
        names.sort();
        names.dedup();
        for n in names {
            by_name.entry(n).or_default().push(i);
        }
    }
    for replica in replicas {
        let candidates = by_name.get(&replica.name).cloned().unwrap_or_default();
        set_replicas_among(resources, &candidates, replica, specs)?;
    }
    Ok(())
}

fn set_replicas_among(
    resources: &mut [Resource],
    candidates: &[usize],
    replica: &ReplicaSpec,
    specs: &[FieldSpec],
) -> Result<()> {
    let mut found = false;
    for spec in specs {
        for &i in candidates {
            let r = &mut resources[i];
            let current = r.id();
            let selected = r
                .meta
                .previous_ids
                .iter()
                .chain(std::iter::once(&current))
                .any(|id| id.name == replica.name && spec.gvk.selects(&id.gvk));
            if !selected {
                continue;
            }
            found = true;
            apply_field_spec(
                &mut r.node,
                spec,
                Some(CreateKind::Scalar),
                &mut |n| match n {
                    Node::Map(_) | Node::Seq(_) => Err(wrong_kind("ScalarNode", n)),
                    _ => {
                        *n = Node::Int(replica.count);
                        Ok(())
                    }
                },
            )?;
        }
    }
    if !found {
        let gvks: Vec<String> = specs.iter().map(|s| gvk_string(&s.gvk)).collect();
        return Err(Error::transformer(format!(
            "resource with name {} does not match a config with the following GVK [{}]",
            replica.name,
            gvks.join(" ")
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TransformerConfig;
    use crate::transform::add_prefix;

    use crate::resource::resources_of as resources;

    const INPUT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n---\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: s\nspec:\n  replicas: 5\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: d\n";

    #[test]
    fn after_prefix_by_old_or_new_name() {
        // oracle: namePrefix p-, replicas [{name: d, count: 3}, {name: p-s, count: 0}]
        let tc = TransformerConfig::default();
        let mut rs = resources(INPUT);
        add_prefix(&mut rs, "p-", &tc.name_prefix).unwrap();
        set_replicas(
            &mut rs,
            &ReplicaSpec {
                name: "d".into(),
                count: 3,
            },
            &tc.replicas,
        )
        .unwrap();
        set_replicas(
            &mut rs,
            &ReplicaSpec {
                name: "p-s".into(),
                count: 0,
            },
            &tc.replicas,
        )
        .unwrap();
        assert_eq!(
            rs[0].node.get_path(&["spec", "replicas"]),
            Some(&Node::Int(3))
        );
        assert_eq!(
            rs[1].node.get_path(&["spec", "replicas"]),
            Some(&Node::Int(0))
        );
        assert_eq!(rs[2].node.get("spec"), None);
    }

    #[test]
    fn unmatched_entry_is_an_error() {
        // oracle message, with the default specs in kustomize's sorted order
        let tc = TransformerConfig::default();
        let mut rs = resources(INPUT);
        let err = set_replicas(
            &mut rs,
            &ReplicaSpec {
                name: "nothere".into(),
                count: 1,
            },
            &tc.replicas,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "resource with name nothere does not match a config with the following GVK [Deployment.[noVer].[noGrp] StatefulSet.[noVer].[noGrp] ReplicaSet.[noVer].[noGrp] ReplicationController.[noVer].[noGrp]]"
        );
    }

    #[test]
    fn replica_from_node() {
        let n = compose_yaml::parse_one("name: d\n").unwrap();
        assert_eq!(
            ReplicaSpec::from_node(&n).unwrap(),
            ReplicaSpec {
                name: "d".into(),
                count: 0
            }
        );
        let n = compose_yaml::parse_one("name: d\ncount: \"3\"\n").unwrap();
        assert_eq!(
            ReplicaSpec::from_node(&n)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("json: cannot unmarshal string into Go struct field count of type int64")
        );
        // oracle: `count: 2.0` is accepted as 2
        let n = compose_yaml::parse_one("name: d\ncount: 2.0\n").unwrap();
        assert_eq!(ReplicaSpec::from_node(&n).unwrap().count, 2);
        let n = compose_yaml::parse_one("name: d\ncount: 2.5\n").unwrap();
        assert_eq!(
            ReplicaSpec::from_node(&n)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("json: cannot unmarshal number into Go struct field count of type int64")
        );
    }
}
