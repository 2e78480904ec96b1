//! One Argo CD Application per component: which objects of a render each
//! Application deploys.
//!
//! The render is built whole, as always (name references, hashes and
//! patches cross components), and its objects are then shared out by the
//! folder each was written in: a component's Application gets the objects
//! written in that component's folder, and the `base` Application every
//! other object (the base's, the generated kustomization's own, and those
//! of any component without an Application of its own). So the shares
//! never overlap, and together they are the whole render: a component
//! enabled after the ApplicationSet was generated is deployed by the
//! `base` Application rather than by none.

use crate::error::Error;
use crate::project::Project;
use compose_kustomize::resource::Resource;

/// The name of the share of every object of no split component.
pub(crate) const BASE: &str = "base";

/// One Application's share of a render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Share {
    /// A component, or [`BASE`].
    pub(crate) name: String,
    /// The components with an Application of their own; `None` means all
    /// of the project's components.
    pub(crate) split: Option<Vec<String>>,
}

/// Checks `share` against the project's components (in order) and returns
/// the components with an Application of their own.
pub(crate) fn split_of(
    project: &Project,
    components: &[String],
    share: &Share,
) -> Result<Vec<String>, Error> {
    refuse_base_component(project, components)?;
    let known = || {
        let mut k = vec![BASE.to_string()];
        k.extend(components.iter().cloned());
        k
    };
    let unknown = |name: &str| Error::UnknownName {
        what: "component".to_string(),
        name: name.to_string(),
        known: known(),
    };
    if share.name != BASE && !components.contains(&share.name) {
        return Err(unknown(&share.name));
    }
    let Some(split) = &share.split else {
        return Ok(components.to_vec());
    };
    if let Some(bad) = split.iter().find(|c| !components.contains(c)) {
        return Err(unknown(bad));
    }
    if share.name != BASE && !split.contains(&share.name) {
        return Err(Error::Usage(format!(
            "--component {0}: `{0}` is not among --app-components ({1}), so its objects belong to the `base` Application",
            share.name,
            split.join(",")
        )));
    }
    Ok(split.clone())
}

/// `base` names the share of the objects of no component, so no component
/// may be called so when Applications are split.
pub(crate) fn refuse_base_component(project: &Project, components: &[String]) -> Result<(), Error> {
    if !components.iter().any(|c| c == BASE) {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "the component folder {} is called `{BASE}`, which names the Application of the objects of no component; rename the folder to split Applications by component",
        project.show(&project.layout.components.join(BASE))
    )))
}

/// The objects of `share.name` among `objects`, in order; `split` as
/// [`split_of`] returned it.
pub(crate) fn select(
    project: &Project,
    split: &[String],
    name: &str,
    objects: Vec<Resource>,
) -> Vec<Resource> {
    let mine = split.iter().position(|c| c == name);
    let owners = crate::inventory::owners(project, split, &objects);
    objects
        .into_iter()
        .zip(owners)
        .filter(|(_, owner)| *owner == mine)
        .map(|(r, _)| r)
        .collect()
}

/// The components that own objects of a render, in order: those that get
/// an Application of their own.
pub(crate) fn owning(
    project: &Project,
    components: &[String],
    objects: &[Resource],
) -> Vec<String> {
    let owners = crate::inventory::owners(project, components, objects);
    components
        .iter()
        .enumerate()
        .filter(|(i, _)| owners.contains(&Some(*i)))
        .map(|(_, c)| c.clone())
        .collect()
}
