//! The commands, stage by stage: settings in, text out.
//!
//! load (values) -> validate (schema) -> render (template) -> build
//! (engine). Nothing here prints; each command returns an [`Output`] with
//! what goes to stdout and the warnings for stderr, or an [`Error`].

use crate::error::Error;
use crate::kustomize::fs::{FileSystem, OnDisk, Overlay};
use crate::kustomize::{BuildOptions, LoadRestrictor};
use crate::schema::{self, Values};
use crate::settings::{Project, SchemaMode, ValuesSettings};
use crate::{render, values};
use std::collections::BTreeMap;
use std::path::Path;

/// What a command produced.
#[derive(Debug, Default, PartialEq)]
pub struct Output {
    /// Text for stdout.
    pub stdout: String,
    /// Lines for stderr, as warnings.
    pub warnings: Vec<String>,
    /// A line for stderr that is not a warning (e.g. "values are valid").
    pub note: Option<String>,
}

/// Values loaded and validated, with the project facts the later stages need.
pub struct Prepared {
    /// The typed values.
    pub values: Values,
    /// The project's component names, sorted.
    pub components: Vec<String>,
    /// How many layers were merged.
    pub layers: usize,
}

/// Loads and validates the values of a project.
pub fn prepare(vs: &ValuesSettings) -> Result<Prepared, Error> {
    let components = schema::discover_components(&vs.project.root)?;
    let schema = schema::generate(&components)?;
    let loaded = values::load(vs, &schema)?;
    schema::validate::validate(&schema, &loaded, &components).map_err(Error::Diagnostics)?;
    let values = Values::from_tree(&loaded.tree, &components)?;
    Ok(Prepared { values, components, layers: loaded.layers.len() })
}

/// `compose validate`.
pub fn validate(vs: &ValuesSettings) -> Result<Output, Error> {
    let p = prepare(vs)?;
    let enabled = p.values.components.values().filter(|c| c.enabled).count();
    Ok(Output { note: Some(format!("values are valid ({} layers, {enabled} of {} components enabled)", p.layers, p.components.len())), ..Output::default() })
}

/// `compose template`: the generated kustomization.
pub fn template(vs: &ValuesSettings) -> Result<Output, Error> {
    let p = prepare(vs)?;
    let text = render_kustomization(&vs.project, &p.values)?;
    Ok(Output { stdout: text, warnings: label_warnings(&vs.project, &p.values), note: None })
}

/// `compose` / `compose render`: the built manifests.
pub fn render(vs: &ValuesSettings) -> Result<Output, Error> {
    let p = prepare(vs)?;
    let text = render_kustomization(&vs.project, &p.values)?;
    let warnings = label_warnings(&vs.project, &p.values);
    let out = build_with_kustomization(&vs.project.root, &text)?;
    Ok(Output { stdout: out, warnings, note: None })
}

fn render_kustomization(project: &Project, values: &Values) -> Result<String, Error> {
    let (name, text) = render::template_for(project)?;
    render::render(&name, &text, values, project.root.join("base").is_dir())
}

/// Builds `root` with `kustomization` laid over it as its
/// `kustomization.yaml`, without writing anything.
pub fn build_with_kustomization(root: &Path, kustomization: &str) -> Result<String, Error> {
    let mut files = BTreeMap::new();
    files.insert(root.join("kustomization.yaml"), kustomization.as_bytes().to_vec());
    let overlay = Overlay { base: &OnDisk, files };
    engine_build(&overlay, root, LoadRestrictor::RootOnly).map_err(|e| Error::Build(e.context("building the generated kustomization (print it with `compose template`)")))
}

/// `compose kustomize DIR`.
pub fn kustomize(dir: &Path, restrictor: LoadRestrictor) -> Result<Output, Error> {
    Ok(Output { stdout: engine_build(&OnDisk, dir, restrictor)?, ..Output::default() })
}

/// The one call into the engine.
fn engine_build(fs: &dyn FileSystem, dir: &Path, restrictor: LoadRestrictor) -> crate::kustomize::Result<String> {
    crate::kustomize::build_yaml(fs, dir, &BuildOptions { load_restrictor: restrictor })
}

/// `compose schema`.
pub fn schema_command(project: &Project, mode: SchemaMode) -> Result<Output, Error> {
    let components = schema::discover_components(&project.root)?;
    let text = schema::to_text(&schema::generate(&components)?);
    let path = project.root.join(schema::SCHEMA_PATH);
    match mode {
        SchemaMode::Print => Ok(Output { stdout: text, ..Output::default() }),
        SchemaMode::Write => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
            }
            std::fs::write(&path, text).map_err(|e| Error::io(&path, &e))?;
            Ok(Output { note: Some(format!("wrote {}", project.show(Path::new(schema::SCHEMA_PATH)))), ..Output::default() })
        }
        SchemaMode::Check => {
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            if current == text {
                Ok(Output { note: Some(format!("{} is up to date", project.show(Path::new(schema::SCHEMA_PATH)))), ..Output::default() })
            } else {
                Err(Error::StaleSchema(std::path::PathBuf::from(project.show(Path::new(schema::SCHEMA_PATH)))))
            }
        }
    }
}

/// Warns about enabled components whose kustomization sets `labels` or
/// `commonLabels`: in a Component those stamp every resource accumulated
/// before it (the base and earlier components), not only its own, and
/// with selectors included the last component's labels win everywhere.
pub fn label_warnings(project: &Project, values: &Values) -> Vec<String> {
    let mut out = Vec::new();
    for (name, _) in values.components.iter().filter(|(_, c)| c.enabled) {
        let dir = Path::new("components").join(name);
        for file in crate::kustomize::loader::KUSTOMIZATION_FILE_NAMES {
            let rel = dir.join(file);
            let Ok(text) = std::fs::read_to_string(project.root.join(&rel)) else { continue };
            let Ok(doc) = crate::kustomize::yaml::parse_one(&text) else { break };
            for field in ["labels", "commonLabels"] {
                if doc.get(field).is_some() {
                    out.push(format!(
                        "{}: `{field}` in a Component applies to every resource accumulated before it (the base and the components listed earlier), not only to the resources of `{name}`; write the labels in the component's own resources instead",
                        project.show(&rel)
                    ));
                }
            }
            break;
        }
    }
    out
}
