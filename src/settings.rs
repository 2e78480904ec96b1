//! Command line + environment -> [`Settings`], resolved once.
//!
//! No stage reads argv or the environment itself; they get a `Settings`.
//! Precedence of values (later wins), fixed here and documented in
//! docs/values.md:
//!
//! | layer | source |
//! |---|---|
//! | 1 | `values.yaml` of the values folder (shared defaults), when it exists |
//! | 2 | `values-tier-<tier>.yaml`, with `--tier` |
//! | 3 | `values-<env>.yaml`, with `--env` |
//! | 4 | each other `--values/-f FILE`, left to right |
//! | 5 | each `--set PATH=VALUE`, left to right |
//! | 6 | environment variables `COMPOSE_VALUES__<path>` (sorted by name) |
//!
//! The environment and the tier are explicit: `--env`/`--tier`, else
//! `COMPOSE_ENV`/`COMPOSE_TIER`, else the environment or tier whose own
//! file a `-f` names (`-f values-prod.yaml` is `--env prod`, and that file
//! takes the environment's place in the order). Other `-f` files never
//! change the environment. A `--values` name is looked up relative to the
//! current directory first, then in the project's values folder, so
//! `compose --values values-prod.yaml` works from the project root.

use crate::cli::{
    ArgocdCommand, Cli, Command, DryRunArg, GlobalArgs, KubectlArgs, KustomizeArgs,
    LoadRestrictorArg, RenderArgs, SchemaArgs,
};
use crate::deploy::{AppSetSpec, ApplyOptions, DiffOptions, DryRun, Kubectl};
use crate::error::Error;
pub(crate) use crate::project::Project;
use crate::split::Share;
use crate::values::set::{SetArg, SetFlag};
use std::path::{Path, PathBuf};

/// Prefix of environment variables that set values. The rest of the name
/// is the path, with `__` between keys: `COMPOSE_VALUES__api__replicas=3`.
/// Keys keep their case, so camelCase globals work (`..__namePrefix`).
pub(crate) const ENV_PREFIX: &str = "COMPOSE_VALUES__";
/// The environment variable that selects the environment when `--env` is
/// not given.
pub(crate) const ENV_VAR: &str = "COMPOSE_ENV";
/// The environment variable that selects the tier when `--tier` is not
/// given.
pub(crate) const TIER_VAR: &str = "COMPOSE_TIER";

/// A values file chosen for loading.
#[derive(Clone, Debug, PartialEq)]
pub struct ValuesFile {
    /// Where to read it.
    pub path: PathBuf,
    /// How to name it in messages.
    pub shown: String,
    /// Where it is in the project, when compose found it there itself
    /// rather than the user naming it: then it is read through
    /// [`crate::owned::read`] and must stay inside the project.
    pub project_rel: Option<PathBuf>,
}

/// Inputs of the values stages.
#[derive(Clone, Debug, PartialEq)]
pub struct ValuesSettings {
    /// The project.
    pub project: Project,
    /// The environment, when one is selected.
    pub environment: Option<String>,
    /// The tier, when one is selected.
    pub tier: Option<String>,
    /// The files, in layering order (defaults first when present).
    pub files: Vec<ValuesFile>,
    /// The value flags (`--set`, `--set-string`, ...), in the order they
    /// apply: Helm's order of the flags, each flag's in command-line order.
    pub sets: Vec<SetArg>,
    /// `(name, value)` of the environment variables with [`ENV_PREFIX`],
    /// sorted by name so the layer order never depends on the platform.
    pub env: Vec<(String, String)>,
}

impl ValuesSettings {
    /// How many layers, from the first, every environment shares: the
    /// shared defaults and the tier's file.
    pub(crate) fn shared_layers(&self) -> usize {
        let defaults = self.project.path(&self.project.defaults_file());
        let tier = self
            .tier
            .as_ref()
            .map(|t| self.project.path(&self.project.tier_file(t)));
        self.files
            .iter()
            .take_while(|f| f.path == defaults || Some(&f.path) == tier.as_ref())
            .count()
    }

    /// The environment's name for later steps (lint, the ApplySet):
    /// `default` when none is selected.
    pub(crate) fn environment_name(&self) -> &str {
        self.environment.as_deref().unwrap_or("default")
    }
}

/// How `compose schema` should act.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SchemaMode {
    /// Print to stdout.
    Print,
    /// Write the committed schema files.
    Write,
    /// Compare with the committed schema files.
    Check,
}

/// What to do, fully resolved.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Settings {
    /// Build and print the manifests (or write them to a folder).
    Render {
        /// The values.
        values: ValuesSettings,
        /// `--output-dir`.
        output_dir: Option<PathBuf>,
        /// `--destination-namespace`.
        destination: Option<String>,
        /// `--component` and `--app-components`: one Application's share.
        share: Option<Share>,
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
        /// `-o`.
        format: crate::report::Format,
    },
    /// Build a plain kustomization directory and lint it.
    LintKustomize {
        /// The directory, absolute.
        dir: PathBuf,
        /// `--load-restrictor`.
        restrictor: compose_kustomize::LoadRestrictor,
        /// `--strict`.
        strict: bool,
        /// `-o`.
        format: crate::report::Format,
    },
    /// Render and lint.
    Lint {
        /// The values.
        values: ValuesSettings,
        /// `--strict`.
        strict: bool,
        /// `-o`.
        format: crate::report::Format,
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
        restrictor: compose_kustomize::LoadRestrictor,
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
    /// Start a new project.
    Init {
        /// The folder of the new project.
        dir: PathBuf,
        /// `--name`.
        name: Option<String>,
    },
    /// Print the version.
    Version,
    /// Print a shell completion script.
    Completion(clap_complete::Shell),
    /// Render and draw the application.
    Graph {
        /// The values.
        values: ValuesSettings,
        /// `--format`.
        format: crate::graph::Format,
    },
    /// Render and explain one field of one object.
    Explain {
        /// The values.
        values: ValuesSettings,
        /// The object and field.
        query: crate::explain::Query,
        /// `--output`.
        format: crate::cli::TextOrJson,
    },
    /// Render two sides and compare their objects.
    Compare {
        /// The first side.
        a: Box<CompareSide>,
        /// The second side.
        b: Box<CompareSide>,
        /// `--output`.
        format: crate::cli::TextOrJson,
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

/// One side of `compose compare`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CompareSide {
    /// How the command line named it: `dev`, `dev (tier small)`.
    pub(crate) label: String,
    /// Its values.
    pub(crate) values: ValuesSettings,
}

/// The settings of a render from its flags.
fn render_settings(values: ValuesSettings, a: RenderArgs) -> Settings {
    let share = a.component.map(|name| Share {
        name,
        // An empty list (`--app-components ""`): no component has an
        // Application of its own.
        split: a
            .app_components
            .map(|list| list.into_iter().filter(|c| !c.is_empty()).collect()),
    });
    Settings::Render {
        values,
        output_dir: a.output_dir,
        destination: a.destination_namespace,
        share,
    }
}

impl Settings {
    /// Resolves the parsed command line against the environment.
    pub(crate) fn resolve(
        cli: Cli,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, Error> {
        let env: Vec<(String, String)> = env.into_iter().collect();
        let g = cli.global;
        if cli.render.output_dir.is_some() && cli.command.is_some() {
            return Err(refused(
                "--output-dir",
                "a subcommand; write `compose render --output-dir DIR`",
            ));
        }
        if cli.render.component.is_some() && cli.command.is_some() {
            return Err(refused(
                "--component",
                "a subcommand; write `compose render --component NAME`",
            ));
        }
        if cli.render.destination_namespace.is_some() && cli.command.is_some() {
            return Err(refused(
                "--destination-namespace",
                "a subcommand; write `compose render --destination-namespace NAMESPACE`",
            ));
        }
        Ok(match cli.command {
            None => render_settings(values_settings(&g, &env)?, cli.render),
            Some(Command::Render(a)) => render_settings(values_settings(&g, &env)?, a),
            Some(Command::Template) => Settings::Template(values_settings(&g, &env)?),
            Some(Command::Validate(a)) => Settings::Validate {
                values: values_settings(&g, &env)?,
                kubernetes_version: if a.values_only {
                    None
                } else {
                    Some(
                        a.kubernetes_version
                            .unwrap_or_else(|| crate::manifests::default_version().to_string()),
                    )
                },
                format: format(a.report.output),
            },
            Some(Command::Lint(a)) => match a.kustomize {
                Some(dir) => {
                    no_project(&g, "compose lint --kustomize", "which names the directory")?;
                    Settings::LintKustomize {
                        dir: absolute(&dir)?,
                        restrictor: restrictor(
                            a.load_restrictor.unwrap_or(LoadRestrictorArg::RootOnly),
                        ),
                        strict: a.strict,
                        format: format(a.report.output),
                    }
                }
                None => Settings::Lint {
                    values: values_settings(&g, &env)?,
                    strict: a.strict,
                    format: format(a.report.output),
                },
            },
            Some(Command::Schema(SchemaArgs { write, check })) => {
                only_project(&g, "compose schema")?;
                Settings::Schema {
                    project: Project::at(&project_dir(&g))?,
                    mode: if write {
                        SchemaMode::Write
                    } else if check {
                        SchemaMode::Check
                    } else {
                        SchemaMode::Print
                    },
                }
            }
            Some(Command::Kustomize(KustomizeArgs {
                dir,
                load_restrictor,
            })) => {
                no_project(
                    &g,
                    "compose kustomize",
                    "which takes the directory as its argument",
                )?;
                Settings::Kustomize {
                    dir: absolute(&dir)?,
                    restrictor: restrictor(load_restrictor),
                }
            }
            Some(Command::Apply(a)) => {
                let values = values_settings(&g, &env)?;
                let mut options = ApplyOptions::new(String::new(), values.environment_name());
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
                options.field_manager = field_manager(a.field_manager)?;
                options.create_namespace = a.create_namespace;
                Settings::Apply { values, options }
            }
            Some(Command::Diff(a)) => {
                let values = values_settings(&g, &env)?;
                Settings::Diff {
                    values,
                    options: DiffOptions {
                        kubectl: kubectl(&a.kubectl, &env),
                        force_conflicts: a.force_conflicts,
                        field_manager: field_manager(a.field_manager)?,
                    },
                }
            }
            Some(Command::Init(a)) => {
                no_project(
                    &g,
                    "compose init",
                    "which takes the directory as its argument",
                )?;
                Settings::Init {
                    dir: a.dir,
                    name: a.name,
                }
            }
            Some(Command::Version) => {
                no_project(&g, "compose version", "which reads no project")?;
                Settings::Version
            }
            Some(Command::Completion(a)) => {
                no_project(&g, "compose completion", "which reads no project")?;
                Settings::Completion(a.shell)
            }
            Some(Command::Graph(a)) => Settings::Graph {
                values: values_settings(&g, &env)?,
                format: match a.format {
                    crate::cli::GraphFormat::Mermaid => crate::graph::Format::Mermaid,
                    crate::cli::GraphFormat::Dot => crate::graph::Format::Dot,
                },
            },
            Some(Command::Explain(a)) => Settings::Explain {
                values: values_settings(&g, &env)?,
                query: crate::explain::Query::parse(&a.object, &a.field, a.namespace)?,
                format: a.output,
            },
            Some(Command::Compare(a)) => {
                if g.env.is_some() {
                    return Err(refused(
                        "--env",
                        "`compose compare`, which takes the environments as A and B",
                    ));
                }
                Settings::Compare {
                    a: Box::new(compare_side(&g, &env, &a.a, a.a_tier.as_ref())?),
                    b: Box::new(compare_side(&g, &env, &a.b, a.b_tier.as_ref())?),
                    format: a.output,
                }
            }
            Some(Command::Argocd(ArgocdCommand::Appset(a))) => {
                only_project(&g, "compose argocd appset")?;
                let project = Project::at(&project_dir(&g))?;
                let envs = known_or_all(&a.envs, &project.environments()?, "environment")?;
                let tiers = known_or_all(&a.tiers, &project.tiers()?, "tier")?;
                let mut spec = AppSetSpec::new(a.name.unwrap_or_default(), a.repo_url, envs);
                spec.tiers = tiers;
                spec.clusters = a.clusters;
                spec.revision = a.revision;
                spec.path = a.path;
                spec.argocd_project = a.argocd_project;
                spec.argocd_namespace = a.argocd_namespace;
                spec.auto_sync = a.auto_sync;
                spec.per_component = a.per_component;
                Settings::AppSet { project, spec }
            }
        })
    }
}

/// A usage error for a flag that means nothing where it was given.
fn refused(flag: &str, context: &str) -> Error {
    Error::Usage(format!("{flag} has no effect with {context}"))
}

/// Refuses the values flags for a command that loads no values.
fn only_project(g: &GlobalArgs, command: &str) -> Result<(), Error> {
    let given = [
        ("-f/--values", !g.values.is_empty()),
        ("--set", !g.set.is_empty()),
        ("--set-string", !g.set_string.is_empty()),
        ("--set-json", !g.set_json.is_empty()),
        ("--set-file", !g.set_file.is_empty()),
        ("--set-literal", !g.set_literal.is_empty()),
        ("--env", g.env.is_some()),
        ("--tier", g.tier.is_some()),
    ];
    match given.iter().find(|(_, on)| *on) {
        Some((flag, _)) => Err(refused(
            flag,
            &format!("`{command}`, which loads no values"),
        )),
        None => Ok(()),
    }
}

/// Refuses every global flag, for a command that reads no project:
/// `-C` has no effect with `command`, `which` says why.
fn no_project(g: &GlobalArgs, command: &str, which: &str) -> Result<(), Error> {
    if g.project.is_some() {
        return Err(refused("-C/--project", &format!("`{command}`, {which}")));
    }
    only_project(g, command)
}

/// `--field-manager`: a name the API server accepts (not empty, at most
/// 128 characters, printable).
fn field_manager(name: String) -> Result<String, Error> {
    if name.is_empty() || name.len() > 128 || name.chars().any(|c| c.is_control()) {
        return Err(Error::Usage(format!(
            "--field-manager {name:?}: a field manager is 1 to 128 printable characters"
        )));
    }
    Ok(name)
}

/// A directory named on the command line, absolute and clean.
fn absolute(dir: &Path) -> Result<PathBuf, Error> {
    let abs = std::path::absolute(dir).map_err(|e| Error::io(dir, &e))?;
    Ok(compose_kustomize::fs::clean(&abs))
}

/// The report format of `-o`.
fn format(arg: crate::cli::OutputFormat) -> crate::report::Format {
    match arg {
        crate::cli::OutputFormat::Text => crate::report::Format::Text,
        crate::cli::OutputFormat::Json => crate::report::Format::Json,
        crate::cli::OutputFormat::Github => crate::report::Format::Github,
    }
}

/// The engine's load restrictor for kubectl's flag value.
fn restrictor(arg: LoadRestrictorArg) -> compose_kustomize::LoadRestrictor {
    match arg {
        LoadRestrictorArg::RootOnly => compose_kustomize::LoadRestrictor::RootOnly,
        LoadRestrictorArg::None => compose_kustomize::LoadRestrictor::None,
    }
}

fn project_dir(g: &GlobalArgs) -> PathBuf {
    g.project.clone().unwrap_or_else(|| PathBuf::from("."))
}

/// The names asked for, each known; all known names when none is asked.
fn known_or_all(asked: &[String], known: &[String], what: &str) -> Result<Vec<String>, Error> {
    if asked.is_empty() {
        return Ok(known.to_vec());
    }
    for name in asked {
        check_known(name, known, what)?;
    }
    Ok(asked.to_vec())
}

/// An error unless `name` is one of `known`.
fn check_known(name: &str, known: &[String], what: &str) -> Result<(), Error> {
    if known.iter().any(|k| k == name) {
        return Ok(());
    }
    Err(Error::UnknownName {
        what: what.to_string(),
        name: name.to_string(),
        known: known.to_vec(),
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

/// The value of environment variable `name`, when set and not empty.
fn var<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// What a `-f` file is to the project.
enum Role {
    /// The shared defaults, which always load first.
    Defaults,
    /// The file of this environment.
    Environment(String),
    /// The file of this tier.
    Tier(String),
    /// Any other values file.
    Extra,
}

/// Sets a selection once; a second, different one is a usage error.
fn select(
    slot: &mut Option<(String, String)>,
    name: String,
    by: String,
    what: &str,
) -> Result<(), Error> {
    match slot {
        Some((current, source)) if *current != name => Err(Error::Usage(format!(
            "two {what}s: `{current}` (from {source}) and `{name}` (from {by}); choose one"
        ))),
        Some(_) => Ok(()),
        None => {
            *slot = Some((name, by));
            Ok(())
        }
    }
}

fn values_settings(g: &GlobalArgs, env: &[(String, String)]) -> Result<ValuesSettings, Error> {
    let project = Project::at(&project_dir(g))?;
    let environments = project.environments()?;
    let tiers = project.tiers()?;
    let mut environment = g.env.clone().map(|e| (e, "--env".to_string()));
    let mut tier = g.tier.clone().map(|t| (t, "--tier".to_string()));
    if environment.is_none() {
        environment = var(env, ENV_VAR).map(|e| (e.to_string(), ENV_VAR.to_string()));
    }
    if tier.is_none() {
        tier = var(env, TIER_VAR).map(|t| (t.to_string(), TIER_VAR.to_string()));
    }
    let mut extra = Vec::new();
    for f in &g.values {
        let found = find_values_file(f, &project)?;
        let by = format!("-f {}", f.display());
        match role_of(&found, &project, &environments, &tiers) {
            Role::Defaults => {}
            Role::Environment(name) => select(&mut environment, name, by, "environment")?,
            Role::Tier(name) => select(&mut tier, name, by, "tier")?,
            Role::Extra => extra.push(found),
        }
    }
    let environment = environment.map(|(e, _)| e);
    let tier = tier.map(|(t, _)| t);
    layered(project, environment, tier, extra, value_flags(g), env)
}

/// One side of `compose compare`: `side` names an environment, or a
/// values file found as `-f` finds it (so an environment's or a tier's
/// file selects it), layered before the `-f` files of the command line;
/// `tier`, else `--tier`, selects the tier. `COMPOSE_ENV` and
/// `COMPOSE_TIER` are not read: both sides are named on the command line.
fn compare_side(
    g: &GlobalArgs,
    env: &[(String, String)],
    side: &str,
    tier: Option<&String>,
) -> Result<CompareSide, Error> {
    let project = Project::at(&project_dir(g))?;
    let mut g = g.clone();
    g.tier = tier.or(g.tier.as_ref()).cloned();
    if looks_like_file(side) {
        g.values.insert(0, PathBuf::from(side));
    } else {
        check_known(side, &project.environments()?, "environment")?;
        g.env = Some(side.to_string());
    }
    let env: Vec<(String, String)> = env
        .iter()
        .filter(|(k, _)| k != ENV_VAR && k != TIER_VAR)
        .cloned()
        .collect();
    let label = match &g.tier {
        Some(t) => format!("{side} (tier {t})"),
        None => side.to_string(),
    };
    Ok(CompareSide {
        label,
        values: values_settings(&g, &env)?,
    })
}

/// Whether a side of `compose compare` names a file rather than an
/// environment: it has an extension or a folder, or is `-`.
fn looks_like_file(side: &str) -> bool {
    side == STDIN || side.contains(['.', '/', std::path::MAIN_SEPARATOR])
}

/// The values of one environment and tier as Argo CD's plugin renders
/// them: their files and nothing else (no `-f`, `--set` or variables).
pub(crate) fn pair_settings(
    project: &Project,
    environment: &str,
    tier: Option<&str>,
) -> Result<ValuesSettings, Error> {
    layered(
        project.clone(),
        Some(environment.to_string()),
        tier.map(str::to_string),
        Vec::new(),
        Vec::new(),
        &[],
    )
}

/// The value flags in the order they apply: Helm's order of the flags
/// (`--set-json`, `--set`, `--set-string`, `--set-file`, `--set-literal`),
/// each flag's arguments in command-line order.
fn value_flags(g: &GlobalArgs) -> Vec<SetArg> {
    let groups = [
        (SetFlag::Json, &g.set_json),
        (SetFlag::Set, &g.set),
        (SetFlag::String, &g.set_string),
        (SetFlag::File, &g.set_file),
        (SetFlag::Literal, &g.set_literal),
    ];
    groups
        .into_iter()
        .flat_map(|(flag, args)| {
            args.iter().map(move |arg| SetArg {
                flag,
                arg: arg.clone(),
            })
        })
        .collect()
}

/// The layers of an environment and tier, then `extra` files, `sets` and
/// the `COMPOSE_VALUES__` variables of `env`.
fn layered(
    project: Project,
    environment: Option<String>,
    tier: Option<String>,
    extra: Vec<ValuesFile>,
    sets: Vec<SetArg>,
    env: &[(String, String)],
) -> Result<ValuesSettings, Error> {
    let environments = project.environments()?;
    let tiers = project.tiers()?;
    let mut files = Vec::new();
    let layer = |rel: PathBuf| ValuesFile {
        path: project.path(&rel),
        shown: project.show(&rel),
        project_rel: Some(rel),
    };
    let defaults = project.defaults_file();
    // Present at all (a link or a FIFO too): reading it says what is wrong.
    if std::fs::symlink_metadata(project.path(&defaults)).is_ok() {
        files.push(layer(defaults));
    }
    if let Some(t) = &tier {
        check_known(t, &tiers, "tier")?;
        files.push(layer(project.tier_file(t)));
    }
    if let Some(e) = &environment {
        check_known(e, &environments, "environment")?;
        files.push(layer(project.environment_file(e)));
    }
    files.extend(extra);
    let mut env: Vec<(String, String)> = env
        .iter()
        .filter(|(k, _)| k.starts_with(ENV_PREFIX))
        .cloned()
        .collect();
    env.sort();
    Ok(ValuesSettings {
        project,
        environment,
        tier,
        files,
        sets,
        env,
    })
}

/// Whether a `-f` file is the defaults, an environment's or a tier's file.
fn role_of(found: &ValuesFile, project: &Project, envs: &[String], tiers: &[String]) -> Role {
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    let Some(file) = canonical(&found.path) else {
        return Role::Extra;
    };
    let is = |rel: PathBuf| canonical(&project.path(&rel)).as_ref() == Some(&file);
    if is(project.defaults_file()) {
        return Role::Defaults;
    }
    if let Some(e) = envs.iter().find(|e| is(project.environment_file(e))) {
        return Role::Environment(e.clone());
    }
    if let Some(t) = tiers.iter().find(|t| is(project.tier_file(t))) {
        return Role::Tier(t.clone());
    }
    Role::Extra
}

/// The `-f` name that reads values from standard input.
pub(crate) const STDIN: &str = "-";

/// Whether `name` is a pipe or character device the user names, such as
/// `/dev/stdin` or the `/dev/fd/N` of a shell's `<(command)`: read once,
/// as given.
fn is_stream(name: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        std::fs::metadata(name)
            .map(|m| m.file_type().is_fifo() || m.file_type().is_char_device())
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        let _ = name;
        false
    }
}

/// Finds a `--values` file: `-` for standard input; as given (relative
/// to the current directory), else in the project's values folder.
pub(crate) fn find_values_file(name: &Path, project: &Project) -> Result<ValuesFile, Error> {
    if name == Path::new(STDIN) {
        return Ok(ValuesFile {
            path: name.to_path_buf(),
            shown: "<stdin>".to_string(),
            project_rel: None,
        });
    }
    let text = name.to_string_lossy();
    if ["http://", "https://", "oci://"]
        .iter()
        .any(|scheme| text.starts_with(scheme))
    {
        return Err(Error::diagnostic(crate::diagnostic::Diagnostic::at(
            crate::diagnostic::Origin::Arg(format!("-f {text}")),
            "remote values files are not supported; download the file and pass its path (or `-f -` to read it from stdin)",
        )));
    }
    if name.is_file() || is_stream(name) {
        let shown = name.to_string_lossy().into_owned();
        return Ok(ValuesFile {
            path: name.to_path_buf(),
            shown,
            project_rel: None,
        });
    }
    let mut tried = vec![name.to_path_buf()];
    if name.is_relative() {
        let rel = project.layout.values.join(name);
        let candidate = project.path(&rel);
        if std::fs::symlink_metadata(&candidate).is_ok() {
            return Ok(ValuesFile {
                path: candidate,
                shown: project.show(&rel),
                project_rel: Some(rel),
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
                destination: None,
                share: None,
            } => {
                assert_eq!(v.sets, vec![SetArg::set("a=1")]);
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
        match parse(&[
            "compose",
            "argocd",
            "appset",
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
                assert_eq!(restrictor, compose_kustomize::LoadRestrictor::None);
            }
            other => panic!("{other:?}"),
        }
    }

    fn refused_by(args: &[&str]) -> String {
        let cli = Cli::try_parse_from(args).unwrap();
        Settings::resolve(cli, Vec::new()).unwrap_err().to_string()
    }

    #[test]
    fn global_flags_go_before_or_after_the_subcommand() {
        assert!(
            matches!(parse(&["compose", "--set", "a=1", "template"]), Settings::Template(v) if v.sets == [SetArg::set("a=1")])
        );
        assert!(
            matches!(parse(&["compose", "template", "--set", "a=1"]), Settings::Template(v) if v.sets == [SetArg::set("a=1")])
        );
        assert!(matches!(
            parse(&["compose", "-C", ".", "schema"]),
            Settings::Schema { .. }
        ));
        assert!(matches!(
            parse(&["compose", "schema", "-C", "."]),
            Settings::Schema { .. }
        ));
        assert!(
            matches!(parse(&["compose", "--env", "prod", "lint"]), Settings::Lint { values, .. } if values.environment.as_deref() == Some("prod"))
        );
    }

    #[test]
    fn flags_that_change_nothing_are_refused() {
        assert_eq!(
            refused_by(&["compose", "--output-dir", "x", "template"]),
            "--output-dir has no effect with a subcommand; write `compose render --output-dir DIR`"
        );
        assert_eq!(
            refused_by(&["compose", "schema", "-f", "values-dev.yaml"]),
            "-f/--values has no effect with `compose schema`, which loads no values"
        );
        assert_eq!(
            refused_by(&["compose", "kustomize", "x", "--set", "a=1"]),
            "--set has no effect with `compose kustomize`, which loads no values"
        );
        assert_eq!(
            refused_by(&["compose", "-C", ".", "kustomize", "x"]),
            "-C/--project has no effect with `compose kustomize`, which takes the directory as its argument"
        );
    }

    #[test]
    fn the_environment_is_explicit_and_never_the_last_file() {
        let env_of = |args: &[&str]| match parse(args) {
            Settings::Render { values, .. } => (
                values.environment,
                values
                    .files
                    .iter()
                    .map(|f| f.shown.clone())
                    .collect::<Vec<_>>(),
            ),
            other => panic!("{other:?}"),
        };
        let (e, files) = env_of(&["compose", "--env", "prod"]);
        assert_eq!(e.as_deref(), Some("prod"));
        assert_eq!(files, ["values/values.yaml", "values/values-prod.yaml"]);
        // The environment's file named with -f selects it; a file layered
        // after it keeps the environment's name.
        let (e, files) = env_of(&["compose", "-f", "values-prod.yaml", "-f", "Cargo.toml"]);
        assert_eq!(e.as_deref(), Some("prod"));
        assert_eq!(
            files,
            [
                "values/values.yaml",
                "values/values-prod.yaml",
                "Cargo.toml"
            ]
        );
        let (e, _) = env_of(&["compose", "-f", "values.yaml"]);
        assert_eq!(e, None);
        assert_eq!(
            refused_by(&["compose", "--env", "dev", "-f", "values-prod.yaml"]),
            "two environments: `dev` (from --env) and `prod` (from -f values-prod.yaml); choose one"
        );
        assert_eq!(
            refused_by(&["compose", "--env", "staging"]),
            "unknown environment `staging`; known environments: dev, prod"
        );
        assert_eq!(
            refused_by(&["compose", "--tier", "large"]),
            "unknown tier `large`; the project has no tiers"
        );
        assert_eq!(
            refused_by(&[
                "compose",
                "argocd",
                "appset",
                "--envs",
                "staging",
                "--repo-url",
                "u"
            ]),
            "unknown environment `staging`; known environments: dev, prod"
        );
    }

    #[test]
    fn compare_sides_layer_their_own_files_then_the_shared_flags() {
        let cli = Cli::try_parse_from([
            "compose",
            "compare",
            "dev",
            "values-prod.yaml",
            "--set",
            "a=1",
        ])
        .unwrap();
        // COMPOSE_ENV would name a third environment: it is not read.
        let env = vec![(ENV_VAR.to_string(), "prod".to_string())];
        let Settings::Compare { a, b, .. } = Settings::resolve(cli, env).unwrap() else {
            panic!("not compare");
        };
        let files = |s: &CompareSide| {
            s.values
                .files
                .iter()
                .map(|f| f.shown.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            (a.label.as_str(), a.values.environment.as_deref()),
            ("dev", Some("dev"))
        );
        assert_eq!(files(&a), ["values/values.yaml", "values/values-dev.yaml"]);
        assert_eq!(b.values.environment.as_deref(), Some("prod"));
        assert_eq!(files(&b), ["values/values.yaml", "values/values-prod.yaml"]);
        assert_eq!(a.values.sets, b.values.sets);
        assert_eq!(
            refused_by(&["compose", "compare", "dev", "prod", "--a-tier", "large"]),
            "unknown tier `large`; the project has no tiers"
        );
    }

    #[test]
    fn compose_env_selects_the_environment() {
        let cli = Cli::try_parse_from(["compose", "template"]).unwrap();
        let s = Settings::resolve(cli, vec![(ENV_VAR.to_string(), "dev".to_string())]).unwrap();
        assert!(matches!(s, Settings::Template(v) if v.environment.as_deref() == Some("dev")));
    }

    #[test]
    fn missing_values_file_lists_places() {
        let p = Project::at(Path::new("/nonexistent-project")).unwrap();
        let e = find_values_file(Path::new("nope.yaml"), &p).unwrap_err();
        assert_eq!(
            e.to_string(),
            "values file `nope.yaml` not found (looked for `nope.yaml` and `/nonexistent-project/values/nope.yaml`)"
        );
    }
}
