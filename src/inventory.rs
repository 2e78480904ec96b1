//! What each enabled component contributes to the build.
//!
//! The knobs in the values (resources, storage, autoscaling, ...) become
//! patches on the objects of "their" component, and a knob that would
//! change nothing is an error. Both need to know, before the kustomization
//! is rendered, which objects each component brings and what they look
//! like. So the base and the enabled components are built once on their
//! own (no namespace, prefix or patch of the generated kustomization, which
//! come after the components in kustomize's order), and each object is
//! filed under the component whose folder it was written in, by its origin.
//! The objects are as the generated kustomization's patches will see them.

use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::project::Project;
use compose_kustomize::resource::{ResId, Resource};
use compose_kustomize::target_selector::Selector;
use compose_yaml::{emit_document, Mapping, Node};
use std::collections::BTreeMap;

/// One object of a component.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Object {
    /// Its identity when the generated kustomization's patches run.
    pub(crate) id: ResId,
    /// The file it was written in (or whose generator made it), relative
    /// to the project root.
    pub(crate) file: String,
    /// The object.
    pub(crate) node: Node,
}

impl Object {
    /// `Kind/name`, for messages.
    pub(crate) fn label(&self) -> String {
        format!("{}/{}", self.id.gvk.kind, self.id.name)
    }
}

/// The objects of the enabled components, and the generated ConfigMaps of
/// the whole build.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Inventory {
    /// Objects by component name.
    pub(crate) components: BTreeMap<String, Vec<Object>>,
    /// Names of the ConfigMaps that generators make, before their hash.
    pub(crate) generated_config_maps: Vec<String>,
    /// Every object of the build so far (base included), as the generated
    /// kustomization's patch targets see them.
    pub(crate) resources: Vec<Resource>,
    /// For each of `resources`, the place of its component in the order
    /// the components apply; `None` for the base's.
    pub(crate) owners: Vec<Option<usize>>,
}

impl Inventory {
    /// The objects of `component` (none when it brings none).
    pub(crate) fn of(&self, component: &str) -> &[Object] {
        self.components.get(component).map_or(&[], Vec::as_slice)
    }
}

/// Builds the base and `enabled` (in order) and files their objects.
pub(crate) fn take(
    project: &Project,
    base: Option<&str>,
    enabled: &[String],
) -> Result<Inventory, Error> {
    let mut k = Mapping::new();
    k.insert("apiVersion", Node::str("kustomize.config.k8s.io/v1beta1"));
    k.insert("kind", Node::str("Kustomization"));
    if let Some(b) = base {
        k.insert("resources", Node::Seq(vec![Node::str(b)]));
    }
    let paths: Vec<Node> = enabled
        .iter()
        .map(|n| Node::str(component_folder(project, n)))
        .collect();
    k.insert("components", Node::Seq(paths));
    let text = emit_document(&Node::Map(k));
    let objects = crate::pipeline::build_resources(&project.root, &text)?;
    let owners = owners(project, enabled, &objects);
    let mut inv = Inventory::default();
    for (r, owner) in objects.into_iter().zip(owners) {
        let file = object_file(&r);
        if r.kind() == "ConfigMap" && r.meta.generated {
            inv.generated_config_maps
                .push(r.original_id().name.to_string());
        }
        inv.resources.push(r.clone());
        inv.owners.push(owner);
        if let Some(name) = owner.map(|i| &enabled[i]) {
            let id = r.id();
            inv.components
                .entry(name.clone())
                .or_default()
                .push(Object {
                    id,
                    file,
                    node: r.node,
                });
        }
    }
    Ok(inv)
}

/// For each object, the place in `components` of the component whose
/// folder it was written in (or whose generator made it), by its origin;
/// `None` for the base's and the generated kustomization's own.
pub(crate) fn owners(
    project: &Project,
    components: &[String],
    objects: &[Resource],
) -> Vec<Option<usize>> {
    let prefixes: Vec<String> = components
        .iter()
        .map(|n| format!("{}/", component_folder(project, n)))
        .collect();
    objects
        .iter()
        .map(|r| {
            let file = object_file(r);
            prefixes.iter().position(|p| file.starts_with(p.as_str()))
        })
        .collect()
}

/// A component's folder relative to the project root, with `/`.
fn component_folder(project: &Project, name: &str) -> String {
    let dir = project.layout.components.join(name);
    dir.to_string_lossy().replace('\\', "/")
}

/// The file an object was written in, relative to the project root
/// (empty when the build did not record it).
fn object_file(r: &Resource) -> String {
    r.meta
        .origin
        .as_deref()
        .and_then(origin_file)
        .unwrap_or_default()
}

/// The file named by an origin annotation text (`path: …` for resources,
/// `configuredIn: …` for generated objects).
pub(crate) fn origin_file(origin: &str) -> Option<String> {
    origin
        .lines()
        .find_map(|l| {
            l.strip_prefix("path: ")
                .or_else(|| l.strip_prefix("configuredIn: "))
        })
        .map(str::to_string)
}

/// A component's patch whose target selects no object when the component
/// applies (the base and the components before it, and its own) changes
/// nothing, and kustomize says nothing: usually the component patches one
/// that applies later. Each such patch of an enabled component is an error
/// at its target, naming the later component that has the object when
/// there is one.
pub(crate) fn check_component_patches(
    project: &Project,
    enabled: &[String],
    inv: &Inventory,
) -> Result<(), Vec<Diagnostic>> {
    let mut problems = Vec::new();
    for (i, name) in enabled.iter().enumerate() {
        let folder = project.layout.components.join(name);
        let Some((rel, text)) = compose_kustomize::loader::KUSTOMIZATION_FILE_NAMES
            .iter()
            .find_map(|f| {
                let rel = folder.join(f);
                crate::owned::read(project, &rel)
                    .ok()
                    .flatten()
                    .map(|t| (rel, t))
            })
        else {
            continue;
        };
        let Ok(docs) = compose_yaml::parse_stream_yaml11(&text) else {
            continue; // the build reports a broken file
        };
        let Some(k) = docs.first() else { continue };
        let seen: Vec<&Resource> = inv
            .resources
            .iter()
            .zip(&inv.owners)
            .filter(|(_, o)| o.is_none_or(|o| o <= i))
            .map(|(r, _)| r)
            .collect();
        let shown = project.show(&rel);
        for field in ["patches", "patchesJson6902"] {
            let Some(items) = k.get(field).and_then(Node::as_seq) else {
                continue;
            };
            for (n, item) in items.iter().enumerate() {
                let Some(target) = item.get("target") else {
                    continue;
                };
                let Ok(selector) = Selector::from_node(target) else {
                    continue;
                };
                if seen.iter().any(|r| selector.matches(r)) {
                    continue;
                }
                problems.push(unmatched(
                    &shown, &text, field, n, target, i, enabled, inv, &selector,
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// The error for patch `n` of `field` whose `target` selects nothing.
#[allow(clippy::too_many_arguments)]
fn unmatched(
    shown: &str,
    text: &str,
    field: &str,
    n: usize,
    target: &Node,
    at: usize,
    enabled: &[String],
    inv: &Inventory,
    selector: &Selector,
) -> Diagnostic {
    use crate::render::fragments::{describe_target, diagnostic_at_text, target_help};
    let text_of = |k: &str| target.get(k).and_then(Node::scalar_text);
    let needle = text_of("name").unwrap_or_else(|| field.to_string());
    let d = diagnostic_at_text(
        shown,
        text,
        &needle,
        format!(
            "{field}[{n}]: the target ({}) selects no object when `{}` applies, so the patch changes nothing",
            describe_target(target),
            enabled[at]
        ),
    );
    let later = inv
        .resources
        .iter()
        .zip(&inv.owners)
        .find(|(r, o)| o.is_some_and(|o| o > at) && selector.matches(r));
    let help = match later {
        Some((r, Some(o))) => format!(
            "help: {}/{} belongs to `{}`, which applies later; list `{}` after it in compose.yaml's `order`",
            r.kind(),
            r.id().name,
            enabled[*o],
            enabled[at]
        ),
        _ => {
            let all: Vec<&Resource> = inv.resources.iter().collect();
            target_help(text_of("kind").as_deref(), text_of("name").as_deref(), &all)
        }
    };
    d.with_note(help)
}
