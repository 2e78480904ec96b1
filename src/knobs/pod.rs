//! Pod-template knobs: `image`, `resources`, `env`, `nodeSelector`,
//! `tolerations`, `affinity`, `topologySpreadConstraints` and
//! `podAnnotations`, as one strategic merge patch per workload of the
//! component.
//!
//! Container knobs (`resources`, `env`, an image without `repository`)
//! apply, in each workload, to the container `container` names, else the
//! container named after the component, else the workload's only
//! container. An image with a `repository` applies to every container and
//! init container of the component that uses that image.

use super::{merge_head, node_of, target, Body, Knob, Patch};
use crate::diagnostic::Diagnostic;
use crate::inventory::Object;
use crate::workloads::POD_TEMPLATES;
use compose_yaml::{Mapping, Node};

/// Pod-spec knobs: (values key, pod spec field). Each is written into the
/// pod spec as the values give it.
const POD_SPEC_KNOBS: &[(&str, &str)] = &[
    ("nodeSelector", "nodeSelector"),
    ("tolerations", "tolerations"),
    ("affinity", "affinity"),
    ("topologySpreadConstraints", "topologySpreadConstraints"),
];

/// Every key this module handles, for the "no pod template" check.
const KEYS: &[&str] = &[
    "resources",
    "env",
    "nodeSelector",
    "tolerations",
    "affinity",
    "topologySpreadConstraints",
    "podAnnotations",
];

/// A workload and its pod template's path.
struct Workload<'a> {
    object: &'a Object,
    path: &'static [&'static str],
}

impl Workload<'_> {
    fn template(&self) -> Option<&Node> {
        self.object.node.get_path(self.path)
    }

    fn containers(&self, field: &str) -> Vec<&Node> {
        self.template()
            .and_then(|t| t.get_path(&["spec", field]))
            .and_then(Node::as_seq)
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    }
}

/// The patches of the component's pod-template knobs.
pub(super) fn patches(k: &Knob) -> Result<Vec<Patch>, Vec<Diagnostic>> {
    let workloads: Vec<Workload> = k
        .objects
        .iter()
        .filter_map(|o| {
            let (_, path) = POD_TEMPLATES
                .iter()
                .find(|(kind, _)| o.id.gvk.kind == *kind)?;
            Some(Workload { object: o, path })
        })
        .collect();
    let image = image_change(k);
    let set: Vec<&str> = KEYS.iter().copied().filter(|key| k.has(key)).collect();
    if workloads.is_empty() {
        let mut problems: Vec<Diagnostic> = set.iter().map(|key| no_pod_template(k, key)).collect();
        if image.is_some() {
            problems.push(no_pod_template(k, "image"));
        }
        return if problems.is_empty() {
            Ok(Vec::new())
        } else {
            Err(problems)
        };
    }
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for w in &workloads {
        match workload_patch(k, w, image.as_ref()) {
            Ok(Some(p)) => out.push(p),
            Ok(None) => {}
            Err(d) => problems.push(d),
        }
    }
    if let Some(repo) = &k.c.image.repository {
        if !images(&workloads).iter().any(|i| i == repo) {
            problems.push(unused_repository(k, repo, &workloads));
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn no_pod_template(k: &Knob, key: &str) -> Diagnostic {
    k.at(
        key,
        format!(
            "{}.{key}: component `{}` has no workload with a pod template, so this changes nothing ({})",
            k.name,
            k.name,
            k.listing()
        ),
    )
    .with_note(format!("help: remove `{key}` from `{}`", k.name))
}

/// The image names (without tag or digest) the workloads' containers and
/// init containers use, sorted.
fn images(workloads: &[Workload]) -> Vec<String> {
    let mut images: Vec<String> = workloads
        .iter()
        .flat_map(|w| {
            let mut all = w.containers("containers");
            all.extend(w.containers("initContainers"));
            all.into_iter()
                .filter_map(|c| c.str_at(&["image"]).map(|i| split_image(i).0.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    images.sort();
    images.dedup();
    images
}

fn unused_repository(k: &Knob, repo: &str, workloads: &[Workload]) -> Diagnostic {
    let images = images(workloads);
    let mut d = k.at_value(
        "image/repository",
        format!(
            "{}.image.repository: no container of component `{}` uses the image `{repo}`",
            k.name, k.name
        ),
    );
    let suggestion = crate::schema::suggest::did_you_mean(repo, images.iter().map(String::as_str));
    d = d.with_note(match suggestion {
        Some(s) => format!("help: did you mean `{s}`?"),
        None => format!("help: its containers use {}", images.join(", ")),
    });
    d
}

/// What the image knob asks for, when it asks for a change.
struct ImageChange {
    /// The image name to match; `None` means the component's container.
    repository: Option<String>,
    /// The new name, when a registry is prepended.
    name: Option<String>,
    tag: Option<String>,
    digest: Option<String>,
}

fn image_change(k: &Knob) -> Option<ImageChange> {
    let img = &k.c.image;
    let registry = k.cx.values.globals.image_registry.as_deref();
    let name = match (&img.repository, registry) {
        (Some(repo), Some(reg)) => Some(format!("{}/{repo}", reg.trim_end_matches('/'))),
        _ => None,
    };
    if img.tag.is_none() && img.digest.is_none() && name.is_none() {
        return None;
    }
    Some(ImageChange {
        repository: img.repository.clone(),
        name,
        tag: img.tag.clone(),
        digest: img.digest.clone(),
    })
}

/// Splits an image reference into its name and the rest (`:tag`,
/// `@digest` or both). A `:` before the last `/` belongs to a registry
/// port.
fn split_image(image: &str) -> (&str, &str) {
    let end = image.find('@').unwrap_or(image.len());
    let last_slash = image[..end].rfind('/').map_or(0, |i| i + 1);
    let cut = image[last_slash..end]
        .find(':')
        .map_or(end, |i| last_slash + i);
    (&image[..cut], &image[cut..])
}

/// The image after the change.
fn changed_image(old: &str, change: &ImageChange) -> String {
    let (name, rest) = split_image(old);
    let name = change.name.as_deref().unwrap_or(name);
    match (&change.digest, &change.tag) {
        (Some(d), _) => format!("{name}@{d}"),
        (None, Some(t)) => format!("{name}:{t}"),
        (None, None) => format!("{name}{rest}"),
    }
}

/// The strategic merge patch of one workload, if the knobs change it.
fn workload_patch(
    k: &Knob,
    w: &Workload,
    image: Option<&ImageChange>,
) -> Result<Option<Patch>, Diagnostic> {
    let needs_main = k.c.resources.is_some()
        || !k.c.env.is_empty()
        || image.is_some_and(|i| i.repository.is_none());
    let containers = w.containers("containers");
    let main = if needs_main {
        Some(main_container(k, w, &containers)?)
    } else {
        None
    };
    let mut items: Vec<(String, Mapping)> = Vec::new();
    let mut init_items: Vec<(String, Mapping)> = Vec::new();
    if let Some(change) = image {
        for (field, list) in [
            ("containers", &mut items),
            ("initContainers", &mut init_items),
        ] {
            for c in w.containers(field) {
                let (Some(cname), Some(old)) = (c.str_at(&["name"]), c.str_at(&["image"])) else {
                    continue;
                };
                let applies = match &change.repository {
                    Some(repo) => split_image(old).0 == repo,
                    None => field == "containers" && Some(cname) == main,
                };
                if !applies {
                    continue;
                }
                let new = changed_image(old, change);
                if new != old {
                    item(list, cname).insert("image", Node::str(new));
                }
            }
        }
    }
    if let Some(main) = main {
        if let Some(r) = k.cx.raw(&k.pointer("resources")) {
            item(&mut items, main).insert("resources", node_of(r));
        }
        if !k.c.env.is_empty() {
            let env = env_items(k, w, &containers, main)?;
            item(&mut items, main).insert("env", Node::Seq(env));
        }
    }
    let mut spec = Mapping::new();
    for (key, field) in POD_SPEC_KNOBS {
        if let Some(v) = k.cx.raw(&k.pointer(key)) {
            spec.insert(*field, node_of(v));
        }
    }
    for (field, list) in [("initContainers", init_items), ("containers", items)] {
        if !list.is_empty() {
            let seq = list
                .into_iter()
                .map(|(name, mut m)| {
                    let mut head = Mapping::new();
                    head.insert("name", Node::str(name));
                    for (key, v) in std::mem::take(&mut m).into_entries() {
                        head.insert(key, v);
                    }
                    Node::Map(head)
                })
                .collect();
            spec.insert(field, Node::Seq(seq));
        }
    }
    let mut template = Mapping::new();
    if let Some(a) = k.cx.raw(&k.pointer("podAnnotations")) {
        let mut meta = Mapping::new();
        meta.insert("annotations", node_of(a));
        template.insert("metadata", Node::Map(meta));
    }
    if !spec.is_empty() {
        template.insert("spec", Node::Map(spec));
    }
    if template.is_empty() {
        return Ok(None);
    }
    let mut body = Node::Map(template);
    for key in w.path.iter().rev() {
        let mut m = Mapping::new();
        m.insert(*key, body);
        body = Node::Map(m);
    }
    let mut head = merge_head(w.object);
    if let Node::Map(parts) = body {
        for (key, v) in parts.into_entries() {
            head.insert(key, v);
        }
    }
    Ok(Some(Patch {
        target: target(w.object),
        body: Body::Merge(Node::Map(head)),
    }))
}

/// The entry of container `name` in `list`, added when missing.
fn item<'l>(list: &'l mut Vec<(String, Mapping)>, name: &str) -> &'l mut Mapping {
    let at = match list.iter().position(|(n, _)| n == name) {
        Some(i) => i,
        None => {
            list.push((name.to_string(), Mapping::new()));
            list.len() - 1
        }
    };
    &mut list[at].1
}

/// The container the component's container knobs apply to in `w`.
fn main_container<'n>(
    k: &Knob,
    w: &Workload,
    containers: &[&'n Node],
) -> Result<&'n str, Diagnostic> {
    let names: Vec<&'n str> = containers
        .iter()
        .filter_map(|c| c.str_at(&["name"]))
        .collect();
    let label = w.object.label();
    if let Some(wanted) = &k.c.container {
        return names.iter().copied().find(|n| n == wanted).ok_or_else(|| {
            k.at_value(
                "container",
                format!(
                    "{}.container: {label} of component `{}` has no container `{wanted}` (its containers: {})",
                    k.name,
                    k.name,
                    names.join(", ")
                ),
            )
        });
    }
    if let Some(n) = names.iter().copied().find(|n| *n == k.name) {
        return Ok(n);
    }
    match names.as_slice() {
        [only] => Ok(only),
        _ => {
            let key = if k.c.resources.is_some() {
                "resources"
            } else if !k.c.env.is_empty() {
                "env"
            } else {
                "image"
            };
            Err(k
                .at(
                    key,
                    format!(
                        "{}.{key}: {label} of component `{}` has containers {} and none is named `{}`",
                        k.name,
                        k.name,
                        names.join(", "),
                        k.name
                    ),
                )
                .with_note(format!(
                    "help: name the container with `{}.container`",
                    k.name
                )))
        }
    }
}

/// The `env` items of the component's values, refusing a name the
/// manifest sets from a Secret or ConfigMap (the two would conflict).
fn env_items(
    k: &Knob,
    w: &Workload,
    containers: &[&Node],
    main: &str,
) -> Result<Vec<Node>, Diagnostic> {
    let existing = containers
        .iter()
        .find(|c| c.str_at(&["name"]) == Some(main))
        .and_then(|c| c.get("env"))
        .and_then(Node::as_seq);
    let mut out = Vec::new();
    for (name, value) in &k.c.env {
        let from = existing.and_then(|env| {
            env.iter()
                .find(|e| e.str_at(&["name"]) == Some(name.as_str()))
                .filter(|e| e.get("valueFrom").is_some())
        });
        if from.is_some() {
            return Err(k
                .at(
                    &format!("env/{}", super::escape(name)),
                    format!(
                        "{}.env.{name}: container `{main}` of {} sets `{name}` from a Secret or ConfigMap (valueFrom); a value here would conflict with it",
                        k.name,
                        w.object.label()
                    ),
                )
                .with_note("help: change the reference in the manifest, or choose another variable name"));
        }
        let mut m = Mapping::new();
        m.insert("name", Node::str(name.as_str()));
        m.insert("value", Node::str(value.as_str()));
        out.push(Node::Map(m));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split_at_the_tag_or_digest() {
        assert_eq!(split_image("a/b:1"), ("a/b", ":1"));
        assert_eq!(split_image("a/b"), ("a/b", ""));
        assert_eq!(split_image("reg:5000/a/b:1"), ("reg:5000/a/b", ":1"));
        assert_eq!(split_image("reg:5000/a/b"), ("reg:5000/a/b", ""));
        assert_eq!(split_image("a/b@sha256:ab"), ("a/b", "@sha256:ab"));
        assert_eq!(split_image("a/b:1@sha256:ab"), ("a/b", ":1@sha256:ab"));
    }

    #[test]
    fn a_digest_wins_over_a_tag_and_a_registry_renames() {
        let change = |name: Option<&str>, tag: Option<&str>, digest: Option<&str>| ImageChange {
            repository: Some("a/b".into()),
            name: name.map(String::from),
            tag: tag.map(String::from),
            digest: digest.map(String::from),
        };
        assert_eq!(
            changed_image("a/b:1", &change(None, Some("2"), None)),
            "a/b:2"
        );
        assert_eq!(
            changed_image("a/b:1", &change(None, Some("2"), Some("sha256:ff"))),
            "a/b@sha256:ff"
        );
        assert_eq!(
            changed_image("a/b:1", &change(Some("r.io/a/b"), None, None)),
            "r.io/a/b:1"
        );
        assert_eq!(
            changed_image("a/b@sha256:00", &change(None, Some("3"), None)),
            "a/b:3"
        );
    }
}
