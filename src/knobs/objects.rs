//! Knobs on objects other than pod templates: `autoscaling` (the
//! component's HorizontalPodAutoscalers), `storage` (its
//! PersistentVolumeClaims and StatefulSet volume claim templates) and
//! `ingress` (its Ingresses).
//!
//! Kubernetes replaces the lists these live in as a whole in a strategic
//! merge (HPA `metrics`, `volumeClaimTemplates`, Ingress `rules` and
//! `tls`), so the knobs set single fields with JSON patch operations at
//! their exact paths and leave the rest of each list as written.

use super::{merge_head, node_of, op, path, set_op, target, Body, Knob, Patch};
use crate::diagnostic::Diagnostic;
use crate::inventory::Object;
use compose_yaml::{Mapping, Node};

/// The patches of the component's object knobs.
pub(super) fn patches(k: &Knob) -> Result<Vec<Patch>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for knob in [autoscaling, storage, ingress] {
        match knob(k) {
            Ok(p) => out.extend(p),
            Err(d) => problems.push(d),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// An error for a knob whose kind of object the component lacks.
fn missing(k: &Knob, key: &str, what: &str, fix: &str) -> Diagnostic {
    k.at(
        key,
        format!(
            "{}.{key}: component `{}` has no {what}, so this changes nothing ({})",
            k.name,
            k.name,
            k.listing()
        ),
    )
    .with_note(format!("help: {fix}"))
}

/// JSON patch operations on `o`, as a patch (none when there are none).
fn json(o: &Object, ops: Vec<Node>) -> Option<Patch> {
    (!ops.is_empty()).then(|| Patch {
        target: target(o),
        body: Body::Json(ops),
    })
}

fn autoscaling(k: &Knob) -> Result<Vec<Patch>, Diagnostic> {
    let Some(a) = &k.c.autoscaling else {
        return Ok(Vec::new());
    };
    let hpas: Vec<&Object> = k.of_kind("HorizontalPodAutoscaler").collect();
    if hpas.is_empty() {
        return Err(missing(
            k,
            "autoscaling",
            "HorizontalPodAutoscaler",
            &format!(
                "add one to the component's manifests (autoscaling tunes it, it does not create one), or remove `autoscaling` from `{}`",
                k.name
            ),
        ));
    }
    if a.enabled == Some(false) {
        for key in [
            "minReplicas",
            "maxReplicas",
            "targetCPUUtilizationPercentage",
            "targetMemoryUtilizationPercentage",
        ] {
            let pointer = k.pointer(&format!("autoscaling/{key}"));
            if super::set_by_own_layer(k.cx, &pointer) {
                return Err(k
                    .at(
                        &format!("autoscaling/{key}"),
                        format!(
                            "{}.autoscaling.{key}: autoscaling is disabled, so this changes nothing",
                            k.name
                        ),
                    )
                    .with_note(format!("help: remove `{key}` here, or enable autoscaling")));
            }
        }
        return Ok(hpas.into_iter().map(delete).collect());
    }
    let mut out = Vec::new();
    for hpa in hpas {
        out.extend(json(hpa, hpa_ops(k, hpa)?));
    }
    Ok(out)
}

/// A patch that leaves `o` out of the build.
fn delete(o: &Object) -> Patch {
    let mut m = merge_head(o);
    m.insert("$patch", Node::str("delete"));
    Patch {
        target: target(o),
        body: Body::Merge(Node::Map(m)),
    }
}

/// The operations on one HorizontalPodAutoscaler.
fn hpa_ops(k: &Knob, hpa: &Object) -> Result<Vec<Node>, Diagnostic> {
    let Some(a) = &k.c.autoscaling else {
        return Ok(Vec::new());
    };
    let n = &hpa.node;
    let current = |field: &str| n.get_path(&["spec", field]).and_then(|v| v.scalar_text());
    let min = a
        .min_replicas
        .map(u64::from)
        .or_else(|| current("minReplicas").and_then(|t| t.parse().ok()))
        .unwrap_or(1);
    let max = a
        .max_replicas
        .map(u64::from)
        .or_else(|| current("maxReplicas").and_then(|t| t.parse().ok()));
    if let Some(max) = max.filter(|m| min > *m) {
        let key = if a.min_replicas.is_some() {
            "autoscaling/minReplicas"
        } else {
            "autoscaling/maxReplicas"
        };
        return Err(k.at_value(
            key,
            format!(
                "{}.autoscaling: minReplicas ({min}) is greater than maxReplicas ({max}) for {}",
                k.name,
                hpa.label()
            ),
        ));
    }
    let mut ops = Vec::new();
    if let Some(v) = a.min_replicas {
        ops.push(set_op(
            n,
            &path(&["spec", "minReplicas"]),
            Node::Int(v.into()),
        ));
    }
    if let Some(v) = a.max_replicas {
        ops.push(set_op(
            n,
            &path(&["spec", "maxReplicas"]),
            Node::Int(v.into()),
        ));
    }
    let targets = [
        (
            "cpu",
            a.target_cpu_utilization_percentage,
            "targetCPUUtilizationPercentage",
        ),
        (
            "memory",
            a.target_memory_utilization_percentage,
            "targetMemoryUtilizationPercentage",
        ),
    ];
    let version = hpa.id.gvk.version.as_str();
    for (resource, value, key) in targets {
        let Some(value) = value else {
            continue;
        };
        match version {
            "v1" if resource == "cpu" => ops.push(set_op(
                n,
                &path(&["spec", "targetCPUUtilizationPercentage"]),
                Node::Int(value.into()),
            )),
            "v2" | "v2beta2" => ops.push(metric_op(n, resource, value)),
            _ => {
                return Err(k.at(
                    &format!("autoscaling/{key}"),
                    format!(
                        "{}.autoscaling.{key}: {} is autoscaling/{version}, which cannot target {resource} utilization",
                        k.name,
                        hpa.label()
                    ),
                )
                .with_note("help: write the HorizontalPodAutoscaler as autoscaling/v2"))
            }
        }
    }
    Ok(ops)
}

/// Sets the average utilization target of `resource` in an
/// autoscaling/v2 HPA, adding the metric when it has none.
fn metric_op(hpa: &Node, resource: &str, percent: u32) -> Node {
    let metrics = hpa.get_path(&["spec", "metrics"]).and_then(Node::as_seq);
    let index = metrics.and_then(|ms| {
        ms.iter().position(|m| {
            m.str_at(&["type"]) == Some("Resource")
                && m.str_at(&["resource", "name"]) == Some(resource)
        })
    });
    let mut target = Mapping::new();
    target.insert("type", Node::str("Utilization"));
    target.insert("averageUtilization", Node::Int(percent.into()));
    match index {
        Some(i) => set_op(
            hpa,
            &path(&["spec", "metrics", &i.to_string(), "resource", "target"]),
            Node::Map(target),
        ),
        None => {
            let mut res = Mapping::new();
            res.insert("name", Node::str(resource));
            res.insert("target", Node::Map(target));
            let mut metric = Mapping::new();
            metric.insert("type", Node::str("Resource"));
            metric.insert("resource", Node::Map(res));
            match metrics {
                Some(_) => op(
                    "add",
                    &path(&["spec", "metrics", "-"]),
                    Some(Node::Map(metric)),
                ),
                None => set_op(
                    hpa,
                    &path(&["spec", "metrics"]),
                    Node::Seq(vec![Node::Map(metric)]),
                ),
            }
        }
    }
}

fn storage(k: &Knob) -> Result<Vec<Patch>, Diagnostic> {
    let Some(s) = &k.c.storage else {
        return Ok(Vec::new());
    };
    let size = k.cx.raw(&k.pointer("storage/size")).map(node_of);
    let class = s.storage_class_name.as_deref().map(Node::str);
    let claim_ops = |node: &Node, at: &[&str]| {
        let mut ops = Vec::new();
        if let Some(v) = &size {
            let p: Vec<&str> = at
                .iter()
                .copied()
                .chain(["resources", "requests", "storage"])
                .collect();
            ops.push(set_op(node, &path(&p), v.clone()));
        }
        if let Some(v) = &class {
            let p: Vec<&str> = at.iter().copied().chain(["storageClassName"]).collect();
            ops.push(set_op(node, &path(&p), v.clone()));
        }
        ops
    };
    let mut out = Vec::new();
    for pvc in k.of_kind("PersistentVolumeClaim") {
        out.extend(json(pvc, claim_ops(&pvc.node, &["spec"])));
    }
    for sts in k.of_kind("StatefulSet") {
        let count = sts
            .node
            .get_path(&["spec", "volumeClaimTemplates"])
            .and_then(Node::as_seq)
            .map_or(0, Vec::len);
        let mut ops = Vec::new();
        for i in 0..count {
            let index = i.to_string();
            ops.extend(claim_ops(
                &sts.node,
                &["spec", "volumeClaimTemplates", &index, "spec"],
            ));
        }
        out.extend(json(sts, ops));
    }
    if out.is_empty() && (size.is_some() || class.is_some()) {
        return Err(missing(
            k,
            "storage",
            "PersistentVolumeClaim or StatefulSet volumeClaimTemplates",
            &format!("remove `storage` from `{}`", k.name),
        ));
    }
    Ok(out)
}

fn ingress(k: &Knob) -> Result<Vec<Patch>, Diagnostic> {
    let Some(i) = &k.c.ingress else {
        return Ok(Vec::new());
    };
    let ingresses: Vec<&Object> = k.of_kind("Ingress").collect();
    if ingresses.is_empty() {
        return Err(missing(
            k,
            "ingress",
            "Ingress",
            &format!("remove `ingress` from `{}`", k.name),
        ));
    }
    let mut out = Vec::new();
    for ing in ingresses {
        let n = &ing.node;
        let mut ops = Vec::new();
        let seq_len = |field: &str| {
            n.get_path(&["spec", field])
                .and_then(Node::as_seq)
                .map_or(0, Vec::len)
        };
        let (rules, tls) = (seq_len("rules"), seq_len("tls"));
        if let Some(host) = &i.host {
            if rules == 0 {
                return Err(k.at(
                    "ingress/host",
                    format!(
                        "{}.ingress.host: {} has no rules to serve the host on",
                        k.name,
                        ing.label()
                    ),
                ));
            }
            for r in 0..rules {
                ops.push(set_op(
                    n,
                    &path(&["spec", "rules", &r.to_string(), "host"]),
                    Node::str(host.as_str()),
                ));
            }
            for t in 0..tls {
                let hosts = Node::Seq(vec![Node::str(host.as_str())]);
                ops.push(set_op(
                    n,
                    &path(&["spec", "tls", &t.to_string(), "hosts"]),
                    hosts,
                ));
            }
        }
        if let Some(class) = &i.class_name {
            ops.push(set_op(
                n,
                &path(&["spec", "ingressClassName"]),
                Node::str(class.as_str()),
            ));
        }
        if let Some(t) = &i.tls {
            ops.extend(tls_ops(k, ing, t, tls)?);
        }
        out.extend(json(ing, ops));
        if let Some(a) = k.cx.raw(&k.pointer("ingress/annotations")) {
            let mut meta = Mapping::new();
            meta.insert("annotations", node_of(a));
            let mut m = merge_head(ing);
            if let Some(Node::Map(head_meta)) = m.get_mut("metadata") {
                for (key, v) in meta.into_entries() {
                    head_meta.insert(key, v);
                }
            }
            out.push(Patch {
                target: target(ing),
                body: Body::Merge(Node::Map(m)),
            });
        }
    }
    Ok(out)
}

/// The operations of `ingress.tls` on one Ingress with `count` TLS entries.
fn tls_ops(
    k: &Knob,
    ing: &Object,
    t: &crate::schema::component::IngressTls,
    count: usize,
) -> Result<Vec<Node>, Diagnostic> {
    let n = &ing.node;
    if t.enabled == Some(false) {
        if count == 0 || t.secret_name.is_some() {
            let why = if count == 0 {
                format!("{} has no TLS to turn off", ing.label())
            } else {
                "a secretName is set while TLS is disabled".to_string()
            };
            return Err(k.at(
                "ingress/tls",
                format!("{}.ingress.tls: {why}, so this changes nothing", k.name),
            ));
        }
        return Ok(vec![op("remove", &path(&["spec", "tls"]), None)]);
    }
    let Some(secret) = &t.secret_name else {
        return Ok(Vec::new());
    };
    if count > 0 {
        return Ok((0..count)
            .map(|i| {
                let p = path(&["spec", "tls", &i.to_string(), "secretName"]);
                set_op(n, &p, Node::str(secret.as_str()))
            })
            .collect());
    }
    // No TLS yet: one entry covering the Ingress's hosts.
    let hosts: Vec<Node> = match &k.c.ingress.as_ref().and_then(|i| i.host.clone()) {
        Some(h) => vec![Node::str(h.as_str())],
        None => n
            .get_path(&["spec", "rules"])
            .and_then(Node::as_seq)
            .map(|rules| {
                rules
                    .iter()
                    .filter_map(|r| r.str_at(&["host"]).map(Node::str))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut entry = Mapping::new();
    entry.insert("hosts", Node::Seq(hosts));
    entry.insert("secretName", Node::str(secret.as_str()));
    Ok(vec![set_op(
        n,
        &path(&["spec", "tls"]),
        Node::Seq(vec![Node::Map(entry)]),
    )])
}
