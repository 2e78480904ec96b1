//! `compose graph`: the rendered application as a diagram.
//!
//! Nodes are the workloads (Deployment, StatefulSet, DaemonSet, Job,
//! CronJob), the Services, Ingresses, HorizontalPodAutoscalers and
//! NetworkPolicies of the render, and the ConfigMaps, Secrets,
//! PersistentVolumeClaims and ServiceAccounts the pods use. Edges, each
//! within one namespace as Kubernetes resolves them:
//!
//! - Ingress -> Service, for every backend (rules and default backend);
//! - Service -> workload, when the Service's selector matches the labels
//!   of the workload's pod template;
//! - workload -> ConfigMap, Secret, PersistentVolumeClaim,
//!   ServiceAccount, for each way a pod uses one (volumes, `envFrom`,
//!   `env[].valueFrom`, `imagePullSecrets`, `serviceAccountName`, a
//!   StatefulSet's volume claim templates);
//! - HorizontalPodAutoscaler -> its scale target;
//! - NetworkPolicy -> the workloads it selects; workload -> NetworkPolicy
//!   for the pods its ingress rules admit; NetworkPolicy -> workload for
//!   the pods its egress rules reach (pod selectors without a namespace
//!   selector, which name pods of the policy's own namespace).
//!
//! An object that pods use but the render does not hold (a Secret created
//! by hand) is drawn, marked as not rendered. Everything is sorted, and
//! node ids are made from kind and name, so the same render always gives
//! the same text.

use compose_yaml::Node;
use std::collections::{BTreeMap, BTreeSet};

/// The kinds drawn, in the order nodes are listed, with their id prefix
/// and their shapes: (kind, id prefix, mermaid open, mermaid close, dot shape).
const KINDS: &[(&str, &str, &str, &str, &str)] = &[
    ("Ingress", "ingress", "{{", "}}", "hexagon"),
    ("Service", "service", "([", "])", "ellipse"),
    ("Deployment", "deployment", "[", "]", "box"),
    ("StatefulSet", "statefulset", "[", "]", "box"),
    ("DaemonSet", "daemonset", "[", "]", "box"),
    ("Job", "job", "[", "]", "box"),
    ("CronJob", "cronjob", "[", "]", "box"),
    (
        "HorizontalPodAutoscaler",
        "hpa",
        "[/",
        "/]",
        "parallelogram",
    ),
    ("NetworkPolicy", "networkpolicy", "[\\", "\\]", "trapezium"),
    ("ConfigMap", "configmap", "[(", ")]", "note"),
    ("Secret", "secret", "[(", ")]", "note"),
    ("PersistentVolumeClaim", "pvc", "[(", ")]", "cylinder"),
    ("ServiceAccount", "serviceaccount", ">", "]", "cds"),
];

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// A mermaid flowchart (GitHub and GitLab draw it in Markdown).
    Mermaid,
    /// Graphviz.
    Dot,
}

/// One object of the diagram.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    /// Index of the kind in [`KINDS`].
    kind: usize,
    namespace: String,
    name: String,
}

/// A node: its key and whether the render holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NodeInfo {
    rendered: bool,
    /// What the name means when it is not an object's (a claim template).
    note: Option<&'static str>,
}

/// The diagram: nodes and labelled edges, sorted.
#[derive(Clone, Debug, Default)]
pub(crate) struct Graph {
    nodes: BTreeMap<Key, NodeInfo>,
    /// (from, to) -> the reasons, each once.
    edges: BTreeMap<(Key, Key), BTreeSet<String>>,
}

/// The diagram of `objects`.
pub(crate) fn graph(objects: &[Node]) -> Graph {
    let mut g = Graph::default();
    for o in objects {
        if let Some(key) = key_of(o) {
            g.nodes.insert(
                key,
                NodeInfo {
                    rendered: true,
                    note: None,
                },
            );
        }
    }
    let pods = pods(objects);
    for o in objects {
        let Some(from) = key_of(o) else { continue };
        match o.str_at(&["kind"]).unwrap_or("") {
            "Ingress" => ingress_edges(&mut g, &from, o),
            "Service" => service_edges(&mut g, &from, o, &pods),
            "HorizontalPodAutoscaler" => hpa_edges(&mut g, &from, o),
            "NetworkPolicy" => policy_edges(&mut g, &from, o, &pods),
            _ => {}
        }
    }
    for (key, template, o) in &pods {
        pod_edges(&mut g, key, template, o);
    }
    g
}

/// The key of an object of a drawn kind.
fn key_of(o: &Node) -> Option<Key> {
    let kind = o.str_at(&["kind"])?;
    key(
        kind,
        o.str_at(&["metadata", "namespace"]).unwrap_or(""),
        o.str_at(&["metadata", "name"])?,
    )
}

/// The key of `kind` `namespace`/`name`, when the kind is drawn.
fn key(kind: &str, namespace: &str, name: &str) -> Option<Key> {
    Some(Key {
        kind: KINDS.iter().position(|k| k.0 == kind)?,
        namespace: namespace.to_string(),
        name: name.to_string(),
    })
}

/// Every workload the diagram draws (a kind of [`KINDS`]) with its pod
/// template.
fn pods(objects: &[Node]) -> Vec<(Key, &Node, &Node)> {
    let mut out = Vec::new();
    for o in objects {
        let kind = o.str_at(&["kind"]).unwrap_or("");
        let Some(path) = crate::workloads::pod_template_path(kind) else {
            continue;
        };
        if let (Some(key), Some(template)) = (key_of(o), o.get_path(path)) {
            out.push((key, template, o));
        }
    }
    out
}

impl Graph {
    /// Adds an edge, and its end when the render does not hold it.
    fn edge(&mut self, from: &Key, to: Key, reason: &str) {
        self.nodes.entry(to.clone()).or_insert(NodeInfo {
            rendered: false,
            note: None,
        });
        self.edges
            .entry((from.clone(), to))
            .or_default()
            .insert(reason.to_string());
    }
}

/// Ingress -> Service for each backend, labelled with host and path.
fn ingress_edges(g: &mut Graph, from: &Key, o: &Node) {
    if let Some(name) = o.str_at(&["spec", "defaultBackend", "service", "name"]) {
        if let Some(to) = key("Service", &from.namespace, name) {
            g.edge(from, to, "default backend");
        }
    }
    let rules = o.get_path(&["spec", "rules"]).and_then(Node::as_seq);
    for rule in rules.into_iter().flatten() {
        let host = rule.str_at(&["host"]).unwrap_or("*");
        let paths = rule.get_path(&["http", "paths"]).and_then(Node::as_seq);
        for p in paths.into_iter().flatten() {
            let Some(name) = p.str_at(&["backend", "service", "name"]) else {
                continue;
            };
            let path = p.str_at(&["path"]).unwrap_or("");
            if let Some(to) = key("Service", &from.namespace, name) {
                g.edge(from, to, &format!("{host}{path}"));
            }
        }
    }
}

/// Service -> each workload of its namespace whose pod labels its
/// selector matches. A Service without a selector selects nothing.
fn service_edges(g: &mut Graph, from: &Key, o: &Node, pods: &[(Key, &Node, &Node)]) {
    let Some(selector) = o.get_path(&["spec", "selector"]).and_then(Node::as_map) else {
        return;
    };
    if selector.is_empty() {
        return;
    }
    for (key, template, _) in pods
        .iter()
        .filter(|(k, _, _)| k.namespace == from.namespace)
    {
        let labels = template.get_path(&["metadata", "labels"]);
        let matches = selector
            .iter()
            .all(|(k, v)| labels.and_then(|l| l.get(k)).is_some_and(|l| l == v));
        if matches {
            g.edge(from, key.clone(), "selects");
        }
    }
}

/// HorizontalPodAutoscaler -> its scale target.
fn hpa_edges(g: &mut Graph, from: &Key, o: &Node) {
    let target = |f: &str| o.str_at(&["spec", "scaleTargetRef", f]);
    if let (Some(kind), Some(name)) = (target("kind"), target("name")) {
        if let Some(to) = key(kind, &from.namespace, name) {
            g.edge(from, to, "scales");
        }
    }
}

/// NetworkPolicy edges: the pods it applies to, the pods its ingress
/// rules admit and the pods its egress rules reach.
fn policy_edges(g: &mut Graph, from: &Key, o: &Node, pods: &[(Key, &Node, &Node)]) {
    let here: Vec<&(Key, &Node, &Node)> = pods
        .iter()
        .filter(|(k, _, _)| k.namespace == from.namespace)
        .collect();
    let labels = |t: &Node| t.get_path(&["metadata", "labels"]).cloned();
    if let Some(selector) = o.get_path(&["spec", "podSelector"]) {
        for (key, template, _) in &here {
            if selects(selector, labels(template).as_ref()) {
                g.edge(from, key.clone(), "applies to");
            }
        }
    }
    for (rules, peers, reason) in [
        ("ingress", "from", "ingress from"),
        ("egress", "to", "egress to"),
    ] {
        let rules = o.get_path(&["spec", rules]).and_then(Node::as_seq);
        for peer in rules
            .into_iter()
            .flatten()
            .filter_map(|r| r.get(peers).and_then(Node::as_seq))
            .flatten()
        {
            // A namespace selector names pods of other namespaces too,
            // which the render cannot know.
            if peer.get("namespaceSelector").is_some() {
                continue;
            }
            let Some(selector) = peer.get("podSelector") else {
                continue;
            };
            for (key, template, _) in &here {
                if !selects(selector, labels(template).as_ref()) {
                    continue;
                }
                if reason == "ingress from" {
                    g.edge(key, from.clone(), reason);
                } else {
                    g.edge(from, key.clone(), reason);
                }
            }
        }
    }
}

/// Whether a label selector (`matchLabels`, `matchExpressions`) matches
/// `labels`; an empty selector matches every pod.
fn selects(selector: &Node, labels: Option<&Node>) -> bool {
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Node::scalar_text);
    let match_labels = selector.get("matchLabels").and_then(Node::as_map);
    let labels_ok = match_labels
        .into_iter()
        .flat_map(|m| m.iter())
        .all(|(k, v)| label(k).is_some_and(|l| Some(l) == v.scalar_text()));
    let expressions = selector.get("matchExpressions").and_then(Node::as_seq);
    labels_ok
        && expressions.into_iter().flatten().all(|e| {
            let key = e.str_at(&["key"]).unwrap_or("");
            let values: Vec<String> = e
                .get("values")
                .and_then(Node::as_seq)
                .into_iter()
                .flatten()
                .filter_map(Node::scalar_text)
                .collect();
            let have = label(key);
            match e.str_at(&["operator"]).unwrap_or("") {
                "In" => have.is_some_and(|h| values.contains(&h)),
                "NotIn" => have.is_none_or(|h| !values.contains(&h)),
                "Exists" => have.is_some(),
                "DoesNotExist" => have.is_none(),
                // An operator Kubernetes rejects selects nothing.
                _ => false,
            }
        })
}

/// The ways a pod uses other objects: (path from the pod spec to a
/// list, field of each item, kind used, path to the name, reason). An
/// empty list path means the pod spec itself.
const USES: &[(&[&str], &str, &[&str], &str)] = &[
    (&["volumes"], "ConfigMap", &["configMap", "name"], "volume"),
    (&["volumes"], "Secret", &["secret", "secretName"], "volume"),
    (
        &["volumes"],
        "PersistentVolumeClaim",
        &["persistentVolumeClaim", "claimName"],
        "volume",
    ),
    (
        &["imagePullSecrets"],
        "Secret",
        &["name"],
        "imagePullSecrets",
    ),
    (
        &[],
        "ServiceAccount",
        &["serviceAccountName"],
        "serviceAccount",
    ),
];

/// The ways a container uses other objects: (list of the container,
/// kind, path to the name, reason).
const CONTAINER_USES: &[(&str, &str, &[&str], &str)] = &[
    ("envFrom", "ConfigMap", &["configMapRef", "name"], "envFrom"),
    ("envFrom", "Secret", &["secretRef", "name"], "envFrom"),
    (
        "env",
        "ConfigMap",
        &["valueFrom", "configMapKeyRef", "name"],
        "env",
    ),
    (
        "env",
        "Secret",
        &["valueFrom", "secretKeyRef", "name"],
        "env",
    ),
];

/// The projected volume sources: (kind, path to the name).
const PROJECTED: &[(&str, &[&str])] = &[
    ("ConfigMap", &["configMap", "name"]),
    ("Secret", &["secret", "name"]),
];

/// Workload -> what its pods use.
fn pod_edges(g: &mut Graph, from: &Key, template: &Node, o: &Node) {
    let Some(spec) = template.get("spec") else {
        return;
    };
    let ns = from.namespace.as_str();
    let mut used: Vec<(&str, String, &str)> = Vec::new();
    for (list, kind, path, reason) in USES {
        let items: Vec<&Node> = if list.is_empty() {
            vec![spec]
        } else {
            spec.get_path(list)
                .and_then(Node::as_seq)
                .map(|s| s.iter().collect())
                .unwrap_or_default()
        };
        for item in items {
            if let Some(name) = item.str_at(path) {
                used.push((kind, name.to_string(), reason));
            }
        }
    }
    let volumes = spec.get("volumes").and_then(Node::as_seq);
    for source in volumes
        .into_iter()
        .flatten()
        .filter_map(|v| v.get_path(&["projected", "sources"]).and_then(Node::as_seq))
        .flatten()
    {
        for (kind, path) in PROJECTED {
            if let Some(name) = source.str_at(path) {
                used.push((kind, name.to_string(), "volume"));
            }
        }
    }
    for list in ["initContainers", "containers"] {
        let containers = spec.get(list).and_then(Node::as_seq);
        for c in containers.into_iter().flatten() {
            for (field, kind, path, reason) in CONTAINER_USES {
                let items = c.get(field).and_then(Node::as_seq);
                for name in items.into_iter().flatten().filter_map(|i| i.str_at(path)) {
                    used.push((kind, name.to_string(), reason));
                }
            }
        }
    }
    for (kind, name, reason) in used {
        if let Some(to) = key(kind, ns, &name) {
            g.edge(from, to, reason);
        }
    }
    claim_templates(g, from, o);
}

/// StatefulSet -> each of its volume claim templates, drawn as a claim
/// named after the template (the claims themselves are named
/// `<template>-<pod>`).
fn claim_templates(g: &mut Graph, from: &Key, o: &Node) {
    let templates = o
        .get_path(&["spec", "volumeClaimTemplates"])
        .and_then(Node::as_seq);
    for name in templates
        .into_iter()
        .flatten()
        .filter_map(|t| t.str_at(&["metadata", "name"]))
    {
        let Some(to) = key(
            "PersistentVolumeClaim",
            &from.namespace,
            &format!("{name}-{}", from.name),
        ) else {
            continue;
        };
        g.nodes.insert(
            to.clone(),
            NodeInfo {
                rendered: false,
                note: Some("claim template"),
            },
        );
        g.edge(from, to, "volumeClaimTemplate");
    }
}

/// Node ids: the kind's prefix and the namespace and name, every
/// character other than a letter, digit or `_` made `_`; a second node
/// with the same id gets `_2`, and so on, in node order.
fn ids(g: &Graph) -> BTreeMap<&Key, String> {
    let several_namespaces = g
        .nodes
        .keys()
        .map(|k| &k.namespace)
        .collect::<BTreeSet<_>>()
        .len()
        > 1;
    let mut taken = BTreeSet::new();
    let mut out = BTreeMap::new();
    for key in g.nodes.keys() {
        let mut base = KINDS[key.kind].1.to_string();
        if several_namespaces && !key.namespace.is_empty() {
            base.push('_');
            base.push_str(&key.namespace);
        }
        base.push('_');
        base.push_str(&key.name);
        let base: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut id = base.clone();
        let mut n = 2;
        while !taken.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        out.insert(key, id);
    }
    out
}

/// The text of a node: kind, then name (with its namespace when the
/// diagram spans several), and why it has no object of its own.
fn node_lines(g: &Graph, key: &Key, info: &NodeInfo) -> (String, String) {
    let several = g.nodes.keys().any(|k| k.namespace != key.namespace);
    let name = if several && !key.namespace.is_empty() {
        format!("{}/{}", key.namespace, key.name)
    } else {
        key.name.clone()
    };
    let kind = match (info.note, info.rendered) {
        (Some(note), _) => format!("{} ({note})", KINDS[key.kind].0),
        (None, true) => KINDS[key.kind].0.to_string(),
        (None, false) => format!("{} (not in the render)", KINDS[key.kind].0),
    };
    (kind, name)
}

/// Text made safe inside a mermaid label in double quotes.
fn mermaid_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '#' => out.push_str("#35;"),
            '|' => out.push_str("#124;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text made safe inside a dot string.
fn dot_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The diagram as text in `format`.
pub(crate) fn render(g: &Graph, format: Format) -> String {
    match format {
        Format::Mermaid => mermaid(g),
        Format::Dot => dot(g),
    }
}

/// A mermaid flowchart, left to right; objects not in the render dashed.
fn mermaid(g: &Graph) -> String {
    let ids = ids(g);
    let mut out = String::from("flowchart LR\n");
    let mut outside = Vec::new();
    for (key, info) in &g.nodes {
        let (kind, name) = node_lines(g, key, info);
        let (_, _, open, close, _) = KINDS[key.kind];
        out.push_str(&format!(
            "  {}{open}\"{}<br/>{}\"{close}\n",
            ids[key],
            mermaid_text(&kind),
            mermaid_text(&name)
        ));
        if !info.rendered {
            outside.push(ids[key].as_str());
        }
    }
    for ((from, to), reasons) in &g.edges {
        let label = reasons.iter().cloned().collect::<Vec<_>>().join(", ");
        out.push_str(&format!(
            "  {} -->|\"{}\"| {}\n",
            ids[from],
            mermaid_text(&label),
            ids[to]
        ));
    }
    if !outside.is_empty() {
        out.push_str("  classDef outside stroke-dasharray: 5 5\n");
        out.push_str(&format!("  class {} outside\n", outside.join(",")));
    }
    out
}

/// A Graphviz digraph, left to right; objects not in the render dashed.
fn dot(g: &Graph) -> String {
    let ids = ids(g);
    let mut out = String::from("digraph compose {\n  rankdir=LR;\n");
    for (key, info) in &g.nodes {
        let (kind, name) = node_lines(g, key, info);
        let style = if info.rendered { "" } else { ", style=dashed" };
        out.push_str(&format!(
            "  \"{}\" [label=\"{}\\n{}\", shape={}{style}];\n",
            ids[key],
            dot_text(&kind),
            dot_text(&name),
            KINDS[key.kind].4
        ));
    }
    for ((from, to), reasons) in &g.edges {
        let label = reasons.iter().cloned().collect::<Vec<_>>().join(", ");
        out.push_str(&format!(
            "  \"{}\" -> \"{}\" [label=\"{}\"];\n",
            ids[from],
            ids[to],
            dot_text(&label)
        ));
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objects(yaml: &str) -> Vec<Node> {
        compose_yaml::parse_stream(yaml).unwrap()
    }

    const APP: &str = r#"apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: n}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
  rules:
  - host: "a.example.com"
    http:
      paths:
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: n}
spec: {selector: {app: api}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: n}
spec:
  template:
    metadata: {labels: {app: api, tier: back}}
    spec:
      serviceAccountName: api
      containers:
      - name: api
        envFrom: [{secretRef: {name: creds}}]
        env: [{name: X, valueFrom: {configMapKeyRef: {name: cfg, key: x}}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: n}
spec:
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db}]
  volumeClaimTemplates: [{metadata: {name: data}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: n}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchExpressions: [{key: tier, operator: In, values: [back]}]}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: n}
"#;

    #[test]
    fn edges_of_a_small_application_in_mermaid() {
        let g = graph(&objects(APP));
        assert_eq!(
            render(&g, Format::Mermaid),
            r#"flowchart LR
  ingress_web{{"Ingress<br/>web"}}
  service_api(["Service<br/>api"])
  service_web(["Service (not in the render)<br/>web"])
  deployment_api["Deployment<br/>api"]
  statefulset_db["StatefulSet<br/>db"]
  networkpolicy_db[\"NetworkPolicy<br/>db"\]
  configmap_cfg[("ConfigMap<br/>cfg")]
  secret_creds[("Secret (not in the render)<br/>creds")]
  pvc_data_db[("PersistentVolumeClaim (claim template)<br/>data-db")]
  serviceaccount_api>"ServiceAccount (not in the render)<br/>api"]
  ingress_web -->|"a.example.com/api"| service_api
  ingress_web -->|"default backend"| service_web
  service_api -->|"selects"| deployment_api
  deployment_api -->|"ingress from"| networkpolicy_db
  deployment_api -->|"env"| configmap_cfg
  deployment_api -->|"envFrom"| secret_creds
  deployment_api -->|"serviceAccount"| serviceaccount_api
  statefulset_db -->|"volumeClaimTemplate"| pvc_data_db
  networkpolicy_db -->|"applies to"| statefulset_db
  classDef outside stroke-dasharray: 5 5
  class service_web,secret_creds,pvc_data_db,serviceaccount_api outside
"#
        );
    }

    #[test]
    fn dot_escapes_and_ids_stay_distinct() {
        let g = graph(&objects(
            "kind: Service\napiVersion: v1\nmetadata: {name: a-b}\n---\nkind: Service\napiVersion: v1\nmetadata: {name: a.b}\n",
        ));
        assert_eq!(
            render(&g, Format::Dot),
            "digraph compose {\n  rankdir=LR;\n  \"service_a_b\" [label=\"Service\\na-b\", shape=ellipse];\n  \"service_a_b_2\" [label=\"Service\\na.b\", shape=ellipse];\n}\n"
        );
        assert_eq!(mermaid_text("a\"<b>#|"), "a#quot;#lt;b#gt;#35;#124;");
    }

    #[test]
    fn selectors() {
        let labels = Node::Map([("app", Node::str("x"))].into_iter().collect());
        let sel = |y: &str| compose_yaml::parse_one(y).unwrap();
        assert!(selects(&sel("{}"), Some(&labels)));
        assert!(selects(&sel("{matchLabels: {app: x}}"), Some(&labels)));
        assert!(!selects(&sel("{matchLabels: {app: y}}"), Some(&labels)));
        assert!(selects(
            &sel("{matchExpressions: [{key: tier, operator: DoesNotExist}]}"),
            Some(&labels)
        ));
        assert!(!selects(
            &sel("{matchExpressions: [{key: app, operator: NotIn, values: [x]}]}"),
            Some(&labels)
        ));
    }
}
