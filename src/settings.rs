//! Command line + environment -> [`Settings`], resolved once.
//!
//! No stage reads argv or the environment itself; they get a `Settings`.
//! Precedence of values (later wins), fixed here and documented in
//! docs/values.md:
//!
//! | layer | source |
//! |---|---|
//! | 1 | `values/values.yaml` of the project, when it exists |
//! | 2 | each `--values/-f FILE`, left to right |
//! | 3 | each `--set PATH=VALUE`, left to right |
//! | 4 | environment variables `COMPOSE_VALUES__<path>` (sorted by name) |
//!
//! A `--values` name is looked up relative to the current directory first,
//! then under the project's `values/` directory, so
//! `compose --values values-prod.yaml` works from the project root.

use crate::cli::{
    ArgocdCommand, Cli, Command, DryRunArg, KubectlArgs, KustomizeArgs, LoadRestrictorArg,
    RenderArgs, SchemaArgs, ValuesArgs,
};
use crate::deploy::{AppSetSpec, ApplyOptions, DiffOptions, DryRun, Kubectl};
use crate::error::Error;
use std::path::{Path, PathBuf};

/// Prefix of environment variables that set values. The rest of the name
/// is the path, with `__` between keys: `COMPOSE_VALUES__api__replicas=3`.
/// Keys keep their case, so camelCase globals work (`..__namePrefix`).
pub const ENV_PREFIX: &str = "COMPOSE_VALUES__";

/// The project being worked on.
#[derive(Clone, Debug, PartialEq)]
pub struct Project {
    /// The root as the user named it (for messages).
    pub shown: PathBuf,
    /// The root, absolute and clean (for the engine).
    pub root: PathBuf,
}

impl Project {
    /// A project at `dir` (relative to the current directory).
    pub fn at(dir: &Path) -> Result<Project, Error> {
        let abs = std::path::absolute(dir).map_err(|e| Error::io(dir, &e))?;
        Ok(Project {
            shown: dir.to_path_buf(),
            root: crate::kustomize::fs::clean(&abs),
        })
    }

    /// How to show a project file to the user: joined to the root as the
    /// user named it, without a leading `./`.
    pub fn show(&self, rel: &Path) -> String {
        let joined = self.shown.join(rel);
        let s = joined.to_string_lossy().into_owned();
        s.strip_prefix("./").map(str::to_string).unwrap_or(s)
    }
}

/// A values file chosen for loading.
#[derive(Clone, Debug, PartialEq)]
pub struct ValuesFile {
    /// Where to read it.
    pub path: PathBuf,
    /// How to name it in messages.
    pub shown: String,
}

/// Inputs of the values stages.
#[derive(Clone, Debug, PartialEq)]
pub struct ValuesSettings {
    /// The project.
    pub project: Project,
    /// The files, in layering order (defaults first when present).
    pub files: Vec<ValuesFile>,
    /// Raw `--set` arguments, in order.
    pub sets: Vec<String>,
    /// `(name, value)` of the environment variables with [`ENV_PREFIX`],
    /// sorted by name so the layer order never depends on the platform.
    pub env: Vec<(String, String)>,
}

/// How `compose schema` should act.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaMode {
    /// Print to stdout.
    Print,
    /// Write `schema/values.schema.json`.
    Write,
    /// Compare with `schema/values.schema.json`.
    Check,
}

/// What to do, fully resolved.
#[derive(Clone, Debug, PartialEq)]
pub enum Settings {
    /// Build and print the manifests (or write them to a folder).
    Render {
        /// The values.
        values: ValuesSettings,
        /// `--output-dir`.
        output_dir: Option<PathBuf>,
    },
    /// Print the generated kustomization.
    Template(ValuesSettings),
    /// Validate the values and, unless `kubernetes_version` is `None`,
    /// the rendered objects.
    Validate {
        /// The values.
        values: ValuesSettings,
        /// The Kubernetes version to check objects against; `None` checks
        /// the values only.
        kubernetes_version: Option<String>,
    },
    /// Render and lint.
    Lint {
        /// The values.
        values: ValuesSettings,
        /// `--strict`.
        strict: bool,
    },
    /// Print, write or check the schema.
    Schema {
        /// The project.
        project: Project,
        /// The action.
        mode: SchemaMode,
    },
    /// `kubectl kustomize` drop-in.
    Kustomize {
        /// The directory to build, absolute.
        dir: PathBuf,
        /// The load restriction.
        restrictor: crate::kustomize::LoadRestrictor,
    },
    /// Render and apply. `options.project` is left empty: it is the
    /// values' `name` (or the directory's), known only after loading.
    Apply {
        /// The values.
        values: ValuesSettings,
        /// kubectl and apply options.
        options: ApplyOptions,
    },
    /// Render and diff.
    Diff {
        /// The values.
        values: ValuesSettings,
        /// kubectl options.
        options: DiffOptions,
    },
    /// Print an Argo CD ApplicationSet. `spec.project` is empty when no
    /// `--name` was given; the pipeline fills it from the project.
    AppSet {
        /// The project.
        project: Project,
        /// What to generate.
        spec: AppSetSpec,
    },
}

impl Settings {
    /// Resolves the parsed command line against the environment.
    pub fn resolve(
        cli: Cli,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, Error> {
        let env: Vec<(String, String)> = env.into_iter().collect();
        // The values layer sees only its own variables (see values_settings);
        // kubectl's program comes from the full list.
        Ok(match cli.command {
            None => render_settings(cli.render, &env)?,
            Some(Command::Render(a)) => render_settings(a, &env)?,
            Some(Command::Template(a)) => Settings::Template(values_settings(a, &env)?),
            Some(Command::Validate(a)) => Settings::Validate {
                values: values_settings(a.values, &env)?,
                kubernetes_version: if a.values_only {
                    None
                } else {
                    Some(
                        a.kubernetes_version
                            .unwrap_or_else(|| crate::manifests::default_version().to_string()),
                    )
                },
            },
            Some(Command::Lint(a)) => Settings::Lint {
                values: values_settings(a.values, &env)?,
                strict: a.strict,
            },
            Some(Command::Schema(SchemaArgs {
                write,
                check,
                project,
            })) => Settings::Schema {
                project: Project::at(&project)?,
                mode: if write {
                    SchemaMode::Write
                } else if check {
                    SchemaMode::Check
                } else {
                    SchemaMode::Print
                },
            },
            Some(Command::Kustomize(KustomizeArgs {
                dir,
                load_restrictor,
            })) => Settings::Kustomize {
                dir: crate::kustomize::fs::clean(
                    &std::path::absolute(&dir).map_err(|e| Error::io(&dir, &e))?,
                ),
                restrictor: match load_restrictor {
                    LoadRestrictorArg::RootOnly => crate::kustomize::LoadRestrictor::RootOnly,
                    LoadRestrictorArg::None => crate::kustomize::LoadRestrictor::None,
                },
            },
            Some(Command::Apply(a)) => {
                let values = values_settings(a.values, &env)?;
                let environment = a.environment.unwrap_or_else(|| environment_of(&values));
                let mut options = ApplyOptions::new(String::new(), environment);
                options.kubectl = kubectl(&a.kubectl, &env);
                options.dry_run = match a.dry_run {
                    DryRunArg::None => DryRun::None,
                    DryRunArg::Client => DryRun::Client,
                    DryRunArg::Server => DryRun::Server,
                };
                options.prune = a.prune;
                options.wait = a.wait;
                options.wait_timeout = a.wait_timeout;
                options.force_conflicts = a.force_conflicts;
                Settings::Apply { values, options }
            }
            Some(Command::Diff(a)) => {
                let values = values_settings(a.values, &env)?;
                Settings::Diff {
                    values,
                    options: DiffOptions {
                        kubectl: kubectl(&a.kubectl, &env),
                        force_conflicts: a.force_conflicts,
                    },
                }
            }
            Some(Command::Argocd(ArgocdCommand::Appset(a))) => {
                let project = Project::at(&a.project)?;
                let mut spec = AppSetSpec::new(a.name.unwrap_or_default(), a.repo_url, a.envs);
                spec.tiers = a.tiers;
                spec.clusters = a.clusters;
                spec.revision = a.revision;
                spec.path = a.path;
                spec.argocd_project = a.argocd_project;
                spec.argocd_namespace = a.argocd_namespace;
                spec.auto_sync = a.auto_sync;
                Settings::AppSet { project, spec }
            }
        })
    }
}

fn render_settings(a: RenderArgs, env: &[(String, String)]) -> Result<Settings, Error> {
    Ok(Settings::Render {
        values: values_settings(a.values, env)?,
        output_dir: a.output_dir,
    })
}

/// kubectl from `COMPOSE_KUBECTL` (or PATH) with the connection flags.
fn kubectl(a: &KubectlArgs, env: &[(String, String)]) -> Kubectl {
    let program = env
        .iter()
        .find(|(k, _)| k == crate::deploy::kubectl::KUBECTL_ENV)
        .map(|(_, v)| std::ffi::OsString::from(v));
    let mut k = Kubectl::with_program(crate::deploy::kubectl::resolve_program(program));
    k.context = a.context.clone();
    k.kubeconfig = a.kubeconfig.clone();
    k.request_timeout = a.request_timeout.clone();
    k
}

/// The environment a set of values stands for: the last values file's
/// name without `values-` and the extension (`values-prod.yaml` -> `prod`),
/// or `default` without one.
pub fn environment_of(values: &ValuesSettings) -> String {
    let defaults = values.project.root.join("values").join("values.yaml");
    values
        .files
        .iter()
        .rev()
        .find(|f| f.path != defaults)
        .and_then(|f| f.path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .map(|stem| {
            stem.strip_prefix("values-")
                .map(str::to_string)
                .unwrap_or(stem)
        })
        .unwrap_or_else(|| "default".to_string())
}

fn values_settings(args: ValuesArgs, env: &[(String, String)]) -> Result<ValuesSettings, Error> {
    let project = Project::at(&args.project)?;
    let mut files = Vec::new();
    let defaults = Path::new("values").join("values.yaml");
    if project.root.join(&defaults).is_file() {
        files.push(ValuesFile {
            path: project.root.join(&defaults),
            shown: project.show(&defaults),
        });
    }
    for f in &args.values {
        let found = find_values_file(f, &project)?;
        // The same file twice in a row (typically `-f values.yaml` right
        // after the defaults) is one layer. Elsewhere a repeat is kept: it
        // re-applies the file over the layers between.
        let same = |a: &ValuesFile| {
            std::fs::canonicalize(&a.path)
                .ok()
                .is_some_and(|p| std::fs::canonicalize(&found.path).ok() == Some(p))
        };
        if !files.last().is_some_and(same) {
            files.push(found);
        }
    }
    let mut env: Vec<(String, String)> = env
        .iter()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX))
        .cloned()
        .collect();
    env.sort();
    Ok(ValuesSettings {
        project,
        files,
        sets: args.set,
        env,
    })
}

/// Finds a `--values` file: as given (relative to the current directory),
/// else under the project's `values/`.
pub fn find_values_file(name: &Path, project: &Project) -> Result<ValuesFile, Error> {
    if name.is_file() {
        let shown = name.to_string_lossy().into_owned();
        return Ok(ValuesFile {
            path: name.to_path_buf(),
            shown,
        });
    }
    let mut tried = vec![name.to_path_buf()];
    if name.is_relative() {
        let rel = Path::new("values").join(name);
        let candidate = project.root.join(&rel);
        if candidate.is_file() {
            return Ok(ValuesFile {
                path: candidate,
                shown: project.show(&rel),
            });
        }
        tried.push(PathBuf::from(project.show(&rel)));
    }
    Err(Error::ValuesNotFound {
        name: name.to_string_lossy().into_owned(),
        tried,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn parse(args: &[&str]) -> Settings {
        let cli = Cli::try_parse_from(args).unwrap();
        Settings::resolve(
            cli,
            vec![
                ("COMPOSE_VALUES__b".to_string(), "2".to_string()),
                ("COMPOSE_VALUES__a".to_string(), "1".to_string()),
                ("OTHER".to_string(), "x".to_string()),
            ],
        )
        .unwrap()
    }

    #[test]
    fn bare_form_renders_and_keeps_env_sorted() {
        match parse(&["compose", "--set", "a=1"]) {
            Settings::Render {
                values: v,
                output_dir: None,
            } => {
                assert_eq!(v.sets, vec!["a=1"]);
                assert_eq!(
                    v.env,
                    vec![
                        ("COMPOSE_VALUES__a".to_string(), "1".to_string()),
                        ("COMPOSE_VALUES__b".to_string(), "2".to_string())
                    ]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn subcommands_resolve() {
        assert!(matches!(
            parse(&["compose", "template"]),
            Settings::Template(_)
        ));
        assert!(matches!(
            parse(&["compose", "build", "--output-dir", "out"]),
            Settings::Render {
                output_dir: Some(_),
                ..
            }
        ));
        match parse(&[
            "compose",
            "apply",
            "--dry-run",
            "server",
            "--prune",
            "--context",
            "c",
        ]) {
            Settings::Apply { options, .. } => {
                assert_eq!(options.dry_run, DryRun::Server);
                assert!(options.prune);
                assert_eq!(options.kubectl.context.as_deref(), Some("c"));
                assert_eq!(options.environment, "default");
            }
            other => panic!("{other:?}"),
        }
        match parse(&[
            "compose",
            "argocd",
            "appset",
            "--envs",
            "dev,prod",
            "--repo-url",
            "https://example.com/r.git",
        ]) {
            Settings::AppSet { spec, .. } => assert_eq!(spec.envs, vec!["dev", "prod"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(&["compose", "schema", "--write"]),
            Settings::Schema {
                mode: SchemaMode::Write,
                ..
            }
        ));
        match parse(&[
            "compose",
            "kustomize",
            "x",
            "--load-restrictor",
            "LoadRestrictionsNone",
        ]) {
            Settings::Kustomize { dir, restrictor } => {
                assert!(dir.is_absolute());
                assert_eq!(restrictor, crate::kustomize::LoadRestrictor::None);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn mixing_bare_flags_with_a_subcommand_is_a_usage_error() {
        assert!(Cli::try_parse_from(["compose", "--set", "a=1", "template"]).is_err());
    }

    #[test]
    fn missing_values_file_lists_places() {
        let p = Project {
            shown: PathBuf::from("."),
            root: PathBuf::from("/nonexistent-project"),
        };
        let e = find_values_file(Path::new("nope.yaml"), &p).unwrap_err();
        assert_eq!(
            e.to_string(),
            "values file `nope.yaml` not found (looked for `nope.yaml` and `values/nope.yaml`)"
        );
    }
}
