//! The project: where its parts live, which environments and tiers it
//! has, and in which order its components apply.
//!
//! A project is a folder. Without a project file it has the default
//! layout (`base/`, `components/<name>/`, `values/`,
//! `templates/kustomization.yaml.j2`, `schema/values.schema.json`). An
//! optional `compose.yaml` at the root moves any of these (so an existing
//! Helm-templated kustomization works in place), names the environments
//! and tiers, orders the components and declares the project's own values.
//! It is validated like a values file: typed, with located errors and
//! did-you-mean, against the schema of [`ProjectFile`].
//!
//! Environments are the files `values-<env>.yaml` in the values folder and
//! tiers the files `values-tier-<tier>.yaml`, unless the project file
//! lists them; a listed name without its file is an error.

use crate::diagnostic::Diagnostic;
use crate::error::Error;
use crate::schema::declared::{self, Declaration};
use crate::schema::ComponentInfo;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Component as PathPart, Path, PathBuf};

/// The project file's name, at the project root.
pub(crate) const PROJECT_FILE: &str = "compose.yaml";
/// Where `compose schema --write` puts the project file's schema, beside
/// the values schema.
pub(crate) const PROJECT_SCHEMA_NAME: &str = "compose.schema.json";
/// Prefix of an environment's values file: `values-<env>.yaml`.
const ENV_PREFIX: &str = "values-";
/// Prefix of a tier's values file: `values-tier-<tier>.yaml`.
const TIER_PREFIX: &str = "values-tier-";
/// The shared defaults, in the values folder.
pub(crate) const DEFAULTS_FILE: &str = "values.yaml";

/// The project file, `compose.yaml`: where the parts of the project live,
/// its environments and tiers, the order of its components and the values
/// it declares itself. Every key is optional.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "compose project file")]
pub struct ProjectFile {
    /// Where the parts of the project live, relative to the project root.
    #[serde(default)]
    pub(crate) paths: Paths,
    /// The environments, each with its values file `values-<env>.yaml` in
    /// the values folder. Default: every such file.
    pub(crate) environments: Option<Vec<Name>>,
    /// The tiers, each with its values file `values-tier-<tier>.yaml`.
    /// Default: every such file.
    pub(crate) tiers: Option<Vec<Name>>,
    /// Components applied first, in this order; the others follow in
    /// alphabetical order. A component applied later sees (and may patch)
    /// the objects of the components before it.
    #[serde(default)]
    pub(crate) order: Vec<String>,
    /// Values the project declares itself, at the top level of the values
    /// files: each key with its JSON Schema (`type`, `description`,
    /// `properties`, `items`, `enum`, `pattern`, `minimum`, `maximum`,
    /// `required`). Declarations of a component's own keys live in
    /// `values.schema.yaml` inside the component.
    #[serde(default)]
    pub(crate) values: BTreeMap<String, Declaration>,
}

/// An environment or tier name: lowercase letters, digits and inner dashes.
#[derive(Clone, Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(transparent)]
pub(crate) struct Name(
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))] pub(crate) String,
);

/// Where the parts of the project live, relative to the project root.
#[derive(Clone, Debug, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub(crate) struct Paths {
    /// The folder every environment builds on (a kustomization); it is
    /// left out of the build when it does not exist.
    pub(crate) base: String,
    /// The folder holding one folder per component (each a kustomize
    /// Component).
    pub(crate) components: String,
    /// The folder holding `values.yaml` (shared defaults),
    /// `values-<env>.yaml` and `values-tier-<tier>.yaml`.
    pub(crate) values: String,
    /// The kustomization template; the built-in one is used when the file
    /// does not exist.
    pub(crate) template: String,
    /// The committed values schema (`compose schema --write` writes it and
    /// `compose.schema.json` beside it).
    pub(crate) schema: String,
}

impl Default for Paths {
    fn default() -> Self {
        Paths {
            base: "base".into(),
            components: "components".into(),
            values: "values".into(),
            template: "templates/kustomization.yaml.j2".into(),
            schema: "schema/values.schema.json".into(),
        }
    }
}

/// The project being worked on.
#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    /// The root as the user named it (for messages).
    pub(crate) shown: PathBuf,
    /// The root, absolute and clean (for the engine).
    pub(crate) root: PathBuf,
    /// The layout, relative to the root and clean.
    pub(crate) layout: Layout,
    /// The project file as read, when there is one.
    pub(crate) file: ProjectFile,
    /// Whether `compose.yaml` exists.
    pub(crate) has_file: bool,
}

/// The project's folders and files, relative to its root.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Layout {
    /// The base kustomization's folder.
    pub(crate) base: PathBuf,
    /// The components' folder.
    pub(crate) components: PathBuf,
    /// The values folder.
    pub(crate) values: PathBuf,
    /// The kustomization template.
    pub(crate) template: PathBuf,
    /// The committed values schema.
    pub(crate) schema: PathBuf,
}

impl Project {
    /// The project at `dir` (relative to the current directory), with its
    /// project file read and checked when there is one.
    pub fn at(dir: &Path) -> Result<Project, Error> {
        let abs = std::path::absolute(dir).map_err(|e| Error::io(dir, &e))?;
        let mut project = Project {
            shown: dir.to_path_buf(),
            root: compose_kustomize_clean(&abs),
            layout: Layout::from_paths(&Paths::default()),
            file: ProjectFile::default(),
            has_file: false,
        };
        if let Some(text) = crate::owned::read(&project, Path::new(PROJECT_FILE))? {
            let shown = project.show(Path::new(PROJECT_FILE));
            let (file, layer) = parse_project_file(&shown, &text)?;
            project.layout = checked_layout(&file.paths, &layer)?;
            project.file = file;
            project.has_file = true;
        }
        Ok(project)
    }

    /// How to show a project file to the user: joined to the root as the
    /// user named it, without a leading `./`.
    pub(crate) fn show(&self, rel: &Path) -> String {
        let joined = self.shown.join(rel);
        let s = joined.to_string_lossy().into_owned();
        s.strip_prefix("./").map(str::to_string).unwrap_or(s)
    }

    /// The absolute path of a path relative to the root.
    pub(crate) fn path(&self, rel: &Path) -> PathBuf {
        self.root.join(rel)
    }

    /// The shared defaults file, relative to the root.
    pub(crate) fn defaults_file(&self) -> PathBuf {
        self.layout.values.join(DEFAULTS_FILE)
    }

    /// The values file of environment `env`, relative to the root.
    pub(crate) fn environment_file(&self, env: &str) -> PathBuf {
        self.layout.values.join(format!("{ENV_PREFIX}{env}.yaml"))
    }

    /// The values file of tier `tier`, relative to the root.
    pub(crate) fn tier_file(&self, tier: &str) -> PathBuf {
        self.layout.values.join(format!("{TIER_PREFIX}{tier}.yaml"))
    }

    /// The known environments: those the project file lists, else every
    /// `values-<env>.yaml` of the values folder, sorted.
    pub(crate) fn environments(&self) -> Result<Vec<String>, Error> {
        match &self.file.environments {
            Some(names) => self.declared(names, |n| self.environment_file(n), "environments"),
            None => self.values_files(|stem| {
                let name = stem.strip_prefix(ENV_PREFIX)?;
                (!stem.starts_with(TIER_PREFIX)).then(|| name.to_string())
            }),
        }
    }

    /// The known tiers: those the project file lists, else every
    /// `values-tier-<tier>.yaml` of the values folder, sorted.
    pub(crate) fn tiers(&self) -> Result<Vec<String>, Error> {
        match &self.file.tiers {
            Some(names) => self.declared(names, |n| self.tier_file(n), "tiers"),
            None => self.values_files(|stem| stem.strip_prefix(TIER_PREFIX).map(str::to_string)),
        }
    }

    /// Checks that each declared name has its values file.
    fn declared(
        &self,
        names: &[Name],
        file_of: impl Fn(&str) -> PathBuf,
        what: &str,
    ) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        for (i, Name(n)) in names.iter().enumerate() {
            let rel = file_of(n);
            if !self.path(&rel).is_file() {
                let d = self.file_diagnostic(
                    &format!("/{what}/{i}"),
                    format!(
                        "{what}[{i}]: `{n}` has no values file `{}`",
                        self.show(&rel)
                    ),
                )?;
                return Err(Error::diagnostic(d.with_note(
                    "help: create the file, or remove the name from the list",
                )));
            }
            out.push(n.clone());
        }
        Ok(out)
    }

    /// Names taken from the values folder's `*.yaml` files by `name_of`
    /// (given the file stem), sorted.
    fn values_files(&self, name_of: impl Fn(&str) -> Option<String>) -> Result<Vec<String>, Error> {
        let dir = self.path(&self.layout.values);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, &e))?;
            let file = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = file.strip_suffix(".yaml") else {
                continue;
            };
            if let Some(name) = name_of(stem).filter(|n| valid_name(n)) {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }

    /// A diagnostic at a JSON pointer of the project file (re-read for its
    /// positions, which only errors need).
    pub(crate) fn file_diagnostic(
        &self,
        pointer: &str,
        message: String,
    ) -> Result<Diagnostic, Error> {
        let shown = self.show(Path::new(PROJECT_FILE));
        let text = crate::owned::read(self, Path::new(PROJECT_FILE))?.unwrap_or_default();
        let layer = crate::values::file_layer(&shown, &text).map_err(Error::diagnostic)?;
        Ok(Diagnostic::at(
            crate::values::origin_in(&layer, pointer, false),
            message,
        ))
    }

    /// The project's components: the folders of the components folder that
    /// hold a kustomization file, in application order (the project file's
    /// `order` first, then alphabetical).
    pub(crate) fn components(&self) -> Result<Vec<String>, Error> {
        let mut names = discover_components(&self.path(&self.layout.components))?;
        let order = &self.file.order;
        for (i, name) in order.iter().enumerate() {
            if !names.contains(name) {
                let mut d = self.file_diagnostic(
                    &format!("/order/{i}"),
                    format!(
                        "order[{i}]: `{name}` is not a component (a folder of {} with a kustomization)",
                        self.show(&self.layout.components)
                    ),
                )?;
                if let Some(s) =
                    crate::schema::suggest::did_you_mean(name, names.iter().map(String::as_str))
                {
                    d = d.with_note(format!("help: did you mean `{s}`?"));
                }
                return Err(Error::diagnostic(d));
            }
            if order[..i].contains(name) {
                let d = self.file_diagnostic(
                    &format!("/order/{i}"),
                    format!("order[{i}]: `{name}` is listed twice"),
                )?;
                return Err(Error::diagnostic(d));
            }
        }
        names.sort_by_key(|n| order.iter().position(|o| o == n).unwrap_or(usize::MAX));
        Ok(names)
    }
}

impl Project {
    /// What the schema needs of each component: its folder, the leading
    /// comment of its kustomization (its summary) and the keys it declares
    /// in `values.schema.yaml`, checked with located errors.
    pub(crate) fn component_infos(&self, names: &[String]) -> Result<Vec<ComponentInfo>, Error> {
        let mut infos = Vec::new();
        let mut problems = Vec::new();
        for name in names {
            let folder = self.layout.components.join(name);
            let mut info = ComponentInfo {
                name: name.clone(),
                folder: folder.to_string_lossy().replace('\\', "/"),
                summary: self.component_summary(&folder),
                declared: BTreeMap::new(),
            };
            let rel = folder.join(declared::COMPONENT_DECLARATIONS);
            match self.read_declarations(&rel) {
                Ok(d) => info.declared = d,
                Err(Error::Diagnostics(ds)) => problems.extend(ds),
                Err(e) => return Err(e),
            }
            infos.push(info);
        }
        if problems.is_empty() {
            Ok(infos)
        } else {
            Err(Error::Diagnostics(problems))
        }
    }

    /// The leading comment block of a component's kustomization file,
    /// without the `#` marks.
    fn component_summary(&self, folder: &Path) -> Option<String> {
        let text = compose_kustomize::loader::KUSTOMIZATION_FILE_NAMES
            .iter()
            .find_map(|f| crate::owned::read(self, &folder.join(f)).ok().flatten())?;
        // The first paragraph of the comment that opens the file.
        let lines: Vec<&str> = text
            .lines()
            .map_while(|l| l.strip_prefix('#'))
            .map(str::trim)
            .take_while(|l| !l.is_empty())
            .collect();
        let summary = lines.join("\n").trim().to_string();
        (!summary.is_empty()).then_some(summary)
    }

    /// Reads and checks a `values.schema.yaml` (none when there is none).
    fn read_declarations(&self, rel: &Path) -> Result<BTreeMap<String, Declaration>, Error> {
        let shown = self.show(rel);
        let Some(text) = crate::owned::read(self, rel)? else {
            return Ok(BTreeMap::new());
        };
        let layer = crate::values::file_layer(&shown, &text).map_err(Error::diagnostic)?;
        let loaded = crate::values::merge_layers(vec![layer])?;
        crate::schema::validate::validate(&declared::file_schema(), &loaded, &[])
            .map_err(Error::Diagnostics)?;
        serde_json::from_value(loaded.tree).map_err(|e| {
            Error::Internal(format!("{shown} passed its schema but not its type: {e}"))
        })
    }
}

/// Whether `n` can name an environment or tier.
pub(crate) fn valid_name(n: &str) -> bool {
    let b = n.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn compose_kustomize_clean(p: &Path) -> PathBuf {
    compose_kustomize::fs::clean(p)
}

/// Reads and checks the project file: (the typed file, its layer for positions).
fn parse_project_file(
    shown: &str,
    text: &str,
) -> Result<(ProjectFile, crate::values::Layer), Error> {
    let layer = crate::values::file_layer(shown, text).map_err(Error::diagnostic)?;
    let loaded = crate::values::merge_layers(vec![layer.clone()])?;
    let schema = project_schema();
    crate::schema::validate::validate(&schema, &loaded, &[]).map_err(Error::Diagnostics)?;
    let file: ProjectFile = serde_json::from_value(loaded.tree)
        .map_err(|e| Error::Internal(format!("{shown} passed its schema but not its type: {e}")))?;
    Ok((file, layer))
}

/// The layout of `paths`, each checked to stay inside the project.
fn checked_layout(paths: &Paths, layer: &crate::values::Layer) -> Result<Layout, Error> {
    let mut problems = Vec::new();
    let mut check = |key: &str, value: &str| -> PathBuf {
        match inside(value) {
            Ok(p) => p,
            Err(why) => {
                let origin = crate::values::origin_in(layer, &format!("/paths/{key}"), false);
                problems.push(
                    Diagnostic::at(origin, format!("paths.{key}: `{value}` {why}"))
                        .with_note("help: write a path relative to the project root, without `..`"),
                );
                PathBuf::new()
            }
        }
    };
    let layout = Layout {
        base: check("base", &paths.base),
        components: check("components", &paths.components),
        values: check("values", &paths.values),
        template: check("template", &paths.template),
        schema: check("schema", &paths.schema),
    };
    if problems.is_empty() {
        Ok(layout)
    } else {
        Err(Error::Diagnostics(problems))
    }
}

/// A project path as written in the project file, made clean: relative,
/// and never above the root.
fn inside(value: &str) -> Result<PathBuf, &'static str> {
    let p = Path::new(value);
    if p.is_absolute() {
        return Err("is absolute");
    }
    let mut out = PathBuf::new();
    for part in p.components() {
        match part {
            PathPart::Normal(n) => out.push(n),
            PathPart::CurDir => {}
            PathPart::ParentDir => {
                if !out.pop() {
                    return Err("leaves the project");
                }
            }
            PathPart::RootDir | PathPart::Prefix(_) => return Err("is absolute"),
        }
    }
    Ok(out)
}

impl Layout {
    fn from_paths(p: &Paths) -> Layout {
        let clean = |s: &str| inside(s).unwrap_or_default();
        Layout {
            base: clean(&p.base),
            components: clean(&p.components),
            values: clean(&p.values),
            template: clean(&p.template),
            schema: clean(&p.schema),
        }
    }
}

/// The JSON Schema of the project file (draft-07).
pub(crate) fn project_schema() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<ProjectFile>().to_value();
    crate::schema::unwrap_descriptions(&mut schema);
    schema
}

/// Names of the component folders under `dir`: those holding a
/// kustomization file, sorted.
pub(crate) fn discover_components(dir: &Path) -> Result<Vec<String>, Error> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, &e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, &e))?;
        let path = entry.path();
        let has_kustomization = compose_kustomize::loader::KUSTOMIZATION_FILE_NAMES
            .iter()
            .any(|f| path.join(f).is_file());
        if path.is_dir() && has_kustomization {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dir(PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn project(tag: &str, files: &[(&str, &str)]) -> Dir {
        let root =
            std::env::temp_dir().join(format!("compose-project-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (rel, text) in files {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        std::fs::create_dir_all(&root).unwrap();
        Dir(root)
    }

    const COMPONENT: &str = "kind: Component\n";

    #[test]
    fn without_a_project_file_the_layout_is_the_default() {
        let d = project(
            "default",
            &[
                ("values/values.yaml", ""),
                ("values/values-dev.yaml", ""),
                ("values/values-prod.yaml", ""),
                ("values/values-tier-small.yaml", ""),
                ("values/notes.txt", ""),
                ("components/b/kustomization.yaml", COMPONENT),
                ("components/a/kustomization.yaml", COMPONENT),
                ("components/empty/readme.md", ""),
            ],
        );
        let p = Project::at(&d.0).unwrap();
        assert!(!p.has_file);
        assert_eq!(p.layout.components, PathBuf::from("components"));
        assert_eq!(p.environments().unwrap(), ["dev", "prod"]);
        assert_eq!(p.tiers().unwrap(), ["small"]);
        assert_eq!(p.components().unwrap(), ["a", "b"]);
    }

    #[test]
    fn the_project_file_moves_folders_lists_names_and_orders_components() {
        let d = project(
            "file",
            &[
                (
                    "compose.yaml",
                    "paths:\n  components: deploy/components\n  values: deploy/values\norder: [b, c]\nenvironments: [prod]\n",
                ),
                ("deploy/values/values-prod.yaml", ""),
                ("deploy/values/values-dev.yaml", ""),
                ("deploy/components/a/kustomization.yaml", COMPONENT),
                ("deploy/components/b/kustomization.yaml", COMPONENT),
                ("deploy/components/c/kustomization.yaml", COMPONENT),
            ],
        );
        let p = Project::at(&d.0).unwrap();
        assert_eq!(
            p.environment_file("prod"),
            PathBuf::from("deploy/values/values-prod.yaml")
        );
        assert_eq!(p.environments().unwrap(), ["prod"]);
        assert_eq!(p.components().unwrap(), ["b", "c", "a"]);
    }

    fn error_of(files: &[(&str, &str)], tag: &str) -> String {
        let d = project(tag, files);
        let p = Project::at(&d.0);
        let e = match p {
            Err(e) => e,
            Ok(p) => match (p.environments(), p.components()) {
                (Err(e), _) | (_, Err(e)) => e,
                _ => panic!("no error"),
            },
        };
        e.to_string()
            .replace(&d.0.to_string_lossy().into_owned(), "ROOT")
    }

    #[test]
    fn project_file_errors_are_located() {
        let e = error_of(&[("compose.yaml", "paths:\n  componets: x\n")], "typo");
        assert_eq!(
            e,
            "ROOT/compose.yaml:2:3: paths.componets: unknown key `componets`"
        );
        let e = error_of(
            &[("compose.yaml", "paths:\n  values: ../elsewhere\n")],
            "escape",
        );
        assert_eq!(
            e,
            "ROOT/compose.yaml:2:11: paths.values: `../elsewhere` leaves the project"
        );
        let e = error_of(&[("compose.yaml", "environments: [dev]\n")], "missing-env");
        assert_eq!(
            e,
            "ROOT/compose.yaml:1:16: environments[0]: `dev` has no values file `ROOT/values/values-dev.yaml`"
        );
        let e = error_of(
            &[
                ("compose.yaml", "order:\n  - apii\n"),
                ("components/api/kustomization.yaml", COMPONENT),
            ],
            "order",
        );
        assert_eq!(
            e,
            "ROOT/compose.yaml:2:5: order[0]: `apii` is not a component (a folder of ROOT/components with a kustomization)"
        );
        let e = error_of(&[("compose.yaml", "environments: [Prod]\n")], "bad-name");
        assert!(
            e.starts_with("ROOT/compose.yaml:1:16: environments[0]: \"Prod\" does not match"),
            "{e}"
        );
    }

    #[test]
    fn names_follow_dns_label_rules() {
        assert!(valid_name("prod"));
        assert!(valid_name("eu-west-1"));
        assert!(!valid_name("Prod"));
        assert!(!valid_name("-x"));
        assert!(!valid_name(""));
    }
}
