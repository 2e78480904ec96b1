//! Argo CD: an ApplicationSet that renders every environment (and tier, and
//! cluster) with compose's Config Management Plugin.
//!
//! The plugin itself ships as `deploy/argocd/plugin.yaml`; each generated
//! Application names it (`source.plugin.name: compose`) and passes its
//! environment as the plugin env var `COMPOSE_ENV` (and tier as
//! `COMPOSE_TIER`), which Argo CD hands to the plugin as
//! `ARGOCD_ENV_COMPOSE_ENV` / `ARGOCD_ENV_COMPOSE_TIER`.
//!
//! # Generators
//!
//! The set uses Go templates (`goTemplate: true`, `missingkey=error`, so a
//! typo in a parameter fails the set instead of rendering an empty name):
//!
//! | given                 | generator                                                  |
//! |-----------------------|------------------------------------------------------------|
//! | environments          | `list` of `{env, namespace}`                               |
//! | + tiers               | `list` of `{env, tier, namespace}`, every pair             |
//! | + clusters            | `matrix` of that `list` x `list {cluster}`                 |
//! | + per component       | each element once per share, with `component, components`  |
//!
//! The destination namespace of each Application is the namespace its own
//! render puts the objects in ([`AppSetSpec::namespaces`]), which may
//! depend on the environment and the tier together; so the environment x
//! tier pairs are listed one by one, each with its namespace, rather than
//! crossed by a matrix that could not carry it. Clusters do not change
//! the render and are crossed with a matrix.
//!
//! # Names
//!
//! Application `<project>[-<tier>]-<env>[-<component>][-<cluster>]`. Clusters are Argo
//! CD cluster *names* (`destination.name`); without clusters the
//! destination is the cluster Argo CD runs in. All names must be DNS
//! labels so every generated name is valid.

use std::collections::{BTreeMap, HashSet};

use super::{is_dns_label, DeployError};
use crate::split::BASE;
use compose_yaml::{Mapping, Node};

/// The plugin name Applications refer to (`metadata.name` of plugin.yaml,
/// which sets no version).
pub(crate) const PLUGIN_NAME: &str = "compose";

/// The in-cluster API server address Argo CD uses for its own cluster.
pub(crate) const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// What `compose argocd appset` generates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AppSetSpec {
    /// The compose project; names the set, its Applications and namespaces.
    pub(crate) project: String,
    /// Environments, each rendered from `values/values-<env>.yaml`.
    pub(crate) envs: Vec<String>,
    /// Optional tiers (`values/values-tier-<tier>.yaml` on top).
    pub(crate) tiers: Vec<String>,
    /// Optional Argo CD cluster names; every environment goes to each.
    pub(crate) clusters: Vec<String>,
    /// The Git repository holding the compose project.
    pub(crate) repo_url: String,
    /// The revision Argo CD tracks (e.g. `HEAD`, `main`, a tag).
    pub(crate) revision: String,
    /// The project's folder inside the repository (`.` for the root).
    pub(crate) path: String,
    /// The Argo CD AppProject the Applications belong to.
    pub(crate) argocd_project: String,
    /// The namespace Argo CD runs in (where the ApplicationSet lives).
    pub(crate) argocd_namespace: String,
    /// Automated sync with pruning and self-heal; off means manual syncs.
    pub(crate) auto_sync: bool,
    /// The destination namespace of each environment and tier (`None`
    /// without tiers): the namespace that pair's render puts its objects
    /// in. Every pair needs one.
    pub(crate) namespaces: BTreeMap<(String, Option<String>), String>,
    /// One Application per component that brings objects, and one named
    /// `base` for every other object ([`crate::split`]).
    pub(crate) per_component: bool,
    /// With `per_component`, the components of each environment and tier
    /// that get an Application of their own, in order.
    pub(crate) split: BTreeMap<(String, Option<String>), Vec<String>>,
}

impl AppSetSpec {
    /// A spec with Argo CD's usual defaults: revision `HEAD`, path `.`,
    /// AppProject `default`, namespace `argocd`, manual sync.
    pub(crate) fn new(
        project: impl Into<String>,
        repo_url: impl Into<String>,
        envs: Vec<String>,
    ) -> AppSetSpec {
        AppSetSpec {
            project: project.into(),
            envs,
            tiers: Vec::new(),
            clusters: Vec::new(),
            repo_url: repo_url.into(),
            revision: "HEAD".to_string(),
            path: ".".to_string(),
            argocd_project: "default".to_string(),
            argocd_namespace: "argocd".to_string(),
            auto_sync: false,
            namespaces: BTreeMap::new(),
            per_component: false,
            split: BTreeMap::new(),
        }
    }

    /// The environment x tier pairs the set renders, environments first
    /// (a tier of `None` without tiers).
    pub(crate) fn pairs(&self) -> Vec<(String, Option<String>)> {
        let tiers: Vec<Option<String>> = if self.tiers.is_empty() {
            vec![None]
        } else {
            self.tiers.iter().cloned().map(Some).collect()
        };
        self.envs
            .iter()
            .flat_map(|e| tiers.iter().map(move |t| (e.clone(), t.clone())))
            .collect()
    }

    /// The destination namespace of an environment and tier.
    fn namespace(&self, env: &str, tier: Option<&str>) -> Result<&str, DeployError> {
        self.namespaces
            .get(&(env.to_string(), tier.map(str::to_string)))
            .map(String::as_str)
            .ok_or_else(|| {
                DeployError::Invalid(match tier {
                    Some(t) => format!(
                        "no destination namespace for environment \"{env}\" and tier \"{t}\""
                    ),
                    None => format!("no destination namespace for environment \"{env}\""),
                })
            })
    }

    /// The components of an environment and tier with an Application of
    /// their own (none without `per_component`).
    fn split_of(&self, env: &str, tier: Option<&str>) -> &[String] {
        self.split
            .get(&(env.to_string(), tier.map(str::to_string)))
            .map_or(&[], Vec::as_slice)
    }

    fn validate(&self) -> Result<(), DeployError> {
        let label = |what: &str, v: &str| {
            if is_dns_label(v) {
                Ok(())
            } else {
                Err(DeployError::Invalid(format!(
                    "{what} \"{v}\" is not a valid name: use lowercase letters, digits and '-' (at most 63)"
                )))
            }
        };
        label("project", &self.project)?;
        if self.envs.is_empty() {
            return Err(DeployError::Invalid(
                "an ApplicationSet needs at least one environment".to_string(),
            ));
        }
        for (what, list) in [
            ("environment", &self.envs),
            ("tier", &self.tiers),
            ("cluster", &self.clusters),
        ] {
            let mut seen = HashSet::new();
            for v in list {
                label(what, v)?;
                if !seen.insert(v) {
                    return Err(DeployError::Invalid(format!(
                        "{what} \"{v}\" is given twice"
                    )));
                }
            }
        }
        for (what, v) in [
            ("repository URL", &self.repo_url),
            ("revision", &self.revision),
            ("path", &self.path),
            ("Argo CD project", &self.argocd_project),
        ] {
            if v.trim().is_empty() {
                return Err(DeployError::Invalid(format!(
                    "the {what} must not be empty"
                )));
            }
        }
        for (env, tier) in self.pairs() {
            label("namespace", self.namespace(&env, tier.as_deref())?)?;
            for c in self.split_of(&env, tier.as_deref()) {
                label("component", c)?;
                if c == BASE {
                    return Err(DeployError::Invalid(format!(
                        "a component named \"{BASE}\" cannot have an Application of its own: \"{BASE}\" names the Application of the objects of no component"
                    )));
                }
            }
        }
        label("Argo CD namespace", &self.argocd_namespace)
    }
}

fn map(entries: Vec<(&str, Node)>) -> Node {
    Node::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Mapping>(),
    )
}

fn s(v: &str) -> Node {
    Node::str(v)
}

fn list(elements: Vec<Node>) -> Node {
    map(vec![("list", map(vec![("elements", Node::Seq(elements))]))])
}

fn matrix(a: Node, b: Node) -> Node {
    map(vec![(
        "matrix",
        map(vec![("generators", Node::Seq(vec![a, b]))]),
    )])
}

fn elements(key: &str, values: &[String]) -> Vec<Node> {
    values.iter().map(|v| map(vec![(key, s(v))])).collect()
}

/// Builds the ApplicationSet (print it with
/// [`emit_document`](compose_yaml::emit_document)).
pub(crate) fn appset(spec: &AppSetSpec) -> Result<Node, DeployError> {
    spec.validate()?;
    let tiers = !spec.tiers.is_empty();
    let clusters = !spec.clusters.is_empty();

    let mut pairs = Vec::new();
    for (env, tier) in spec.pairs() {
        let namespace = spec.namespace(&env, tier.as_deref())?;
        let mut element = vec![("env", s(&env))];
        if let Some(t) = &tier {
            element.push(("tier", s(t)));
        }
        element.push(("namespace", s(namespace)));
        if !spec.per_component {
            pairs.push(map(element));
            continue;
        }
        let split = spec.split_of(&env, tier.as_deref());
        for part in std::iter::once(BASE).chain(split.iter().map(String::as_str)) {
            let mut e = element.clone();
            e.push(("component", s(part)));
            e.push(("components", s(&split.join(","))));
            pairs.push(map(e));
        }
    }
    let generator = if clusters {
        matrix(list(pairs), list(elements("cluster", &spec.clusters)))
    } else {
        list(pairs)
    };

    let tier_part = if tiers { "-{{.tier}}" } else { "" };
    let component_part = if spec.per_component {
        "-{{.component}}"
    } else {
        ""
    };
    let env_name = format!("{}{tier_part}-{{{{.env}}}}{component_part}", spec.project);
    let app_name = if clusters {
        format!("{env_name}-{{{{.cluster}}}}")
    } else {
        env_name
    };
    let namespace = "{{.namespace}}";

    let mut plugin_env = vec![map(vec![
        ("name", s("COMPOSE_ENV")),
        ("value", s("{{.env}}")),
    ])];
    if tiers {
        plugin_env.push(map(vec![
            ("name", s("COMPOSE_TIER")),
            ("value", s("{{.tier}}")),
        ]));
    }
    if spec.per_component {
        for (name, value) in [
            ("COMPOSE_COMPONENT", "{{.component}}"),
            ("COMPOSE_COMPONENTS", "{{.components}}"),
        ] {
            plugin_env.push(map(vec![("name", s(name)), ("value", s(value))]));
        }
    }
    let destination = if clusters {
        map(vec![
            ("name", s("{{.cluster}}")),
            ("namespace", s(namespace)),
        ])
    } else {
        map(vec![("server", s(IN_CLUSTER)), ("namespace", s(namespace))])
    };
    let mut sync = Vec::new();
    if spec.auto_sync {
        sync.push((
            "automated",
            map(vec![
                ("prune", Node::Bool(true)),
                ("selfHeal", Node::Bool(true)),
            ]),
        ));
    }
    // Namespaces come from the rendered objects or are created on sync;
    // server-side apply matches what `compose apply` does locally.
    sync.push((
        "syncOptions",
        Node::Seq(vec![s("CreateNamespace=true"), s("ServerSideApply=true")]),
    ));

    let labels = map(vec![("app.kubernetes.io/part-of", s(&spec.project))]);
    let template = map(vec![
        (
            "metadata",
            map(vec![("name", s(&app_name)), ("labels", labels)]),
        ),
        (
            "spec",
            map(vec![
                ("project", s(&spec.argocd_project)),
                (
                    "source",
                    map(vec![
                        ("repoURL", s(&spec.repo_url)),
                        ("targetRevision", s(&spec.revision)),
                        ("path", s(&spec.path)),
                        (
                            "plugin",
                            map(vec![
                                ("name", s(PLUGIN_NAME)),
                                ("env", Node::Seq(plugin_env)),
                            ]),
                        ),
                    ]),
                ),
                ("destination", destination),
                ("syncPolicy", map(sync)),
            ]),
        ),
    ]);

    Ok(map(vec![
        ("apiVersion", s("argoproj.io/v1alpha1")),
        ("kind", s("ApplicationSet")),
        (
            "metadata",
            map(vec![
                ("name", s(&spec.project)),
                ("namespace", s(&spec.argocd_namespace)),
            ]),
        ),
        (
            "spec",
            map(vec![
                ("goTemplate", Node::Bool(true)),
                ("goTemplateOptions", Node::Seq(vec![s("missingkey=error")])),
                ("generators", Node::Seq(vec![generator])),
                ("template", template),
            ]),
        ),
    ]))
}

#[cfg(test)]
mod tests;
