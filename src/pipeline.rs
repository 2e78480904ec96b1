//! The commands, stage by stage: settings in, text out.
//!
//! load (values) -> validate (schema) -> render (template) -> build
//! (engine). Nothing here prints; each command returns an [`Output`] with
//! what goes to stdout and the warnings for stderr, or an [`Error`].

use crate::error::Error;
use crate::project::Project;
use crate::report::{self, Format, Record, Severity};
use crate::schema::{self, Values};
use crate::settings::{SchemaMode, ValuesSettings};
use crate::{render, values};
use compose_kustomize::fs::{FileSystem, OnDisk, Overlay};
use compose_kustomize::{BuildOptions, LoadRestrictor};
use compose_yaml::Node;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// What a command produced.
#[derive(Debug, Default, PartialEq)]
pub struct Output {
    /// Text for stdout.
    pub stdout: String,
    /// Built objects for stdout, after `stdout`, printed as `kubectl
    /// kustomize` prints them. They are printed a batch at a time rather
    /// than made into one text first, so a large build never holds its
    /// objects and its whole output at once.
    pub(crate) objects: Vec<compose_kustomize::resource::Resource>,
    /// Lines for stderr, as warnings.
    pub(crate) warnings: Vec<String>,
    /// A line for stderr that is not a warning (e.g. "values are valid").
    pub(crate) note: Option<String>,
    /// The exit code (kubectl's own for `apply` and `diff`).
    pub(crate) code: u8,
}

/// Values loaded and validated, with the project facts the later stages need.
pub(crate) struct Prepared {
    /// The typed values.
    pub(crate) values: Values,
    /// The merged values with their origins.
    pub(crate) loaded: values::Loaded,
    /// The project's component names, in application order.
    pub(crate) components: Vec<String>,
    /// How many layers were merged.
    pub(crate) layers: usize,
    /// How many layers, from the first, every environment shares (the
    /// defaults and the tier's file).
    pub(crate) shared_layers: usize,
    /// The environment, when one is selected.
    pub(crate) environment: Option<String>,
    /// The tier, when one is selected.
    pub(crate) tier: Option<String>,
}

/// Loads and validates the values of a project.
pub(crate) fn prepare(vs: &ValuesSettings) -> Result<Prepared, Error> {
    let components = vs.project.components()?;
    let infos = vs.project.component_infos(&components)?;
    let declared = &vs.project.file.values;
    let schema = schema::generate(&infos, declared)?;
    let loaded = values::load(vs, &schema)?;
    schema::validate::validate(&schema, &loaded, &components).map_err(Error::Diagnostics)?;
    let values = Values::from_tree(&loaded.tree, &infos, declared)?;
    Ok(Prepared {
        values,
        layers: loaded.layers.len(),
        loaded,
        components,
        shared_layers: vs.shared_layers(),
        environment: vs.environment.clone(),
        tier: vs.tier.clone(),
    })
}

/// `compose validate`: the values, then (with a Kubernetes version) the
/// rendered objects against that version's API schema. In `json` and
/// `github`, every problem is a record on stdout (see [`failed`]).
pub(crate) fn validate(
    vs: &ValuesSettings,
    kubernetes_version: Option<&str>,
    format: Format,
) -> Result<Output, Error> {
    let p = match prepare(vs) {
        Ok(p) => p,
        Err(e) => return failed(format, "values", e),
    };
    let enabled = p.values.components.values().filter(|c| c.enabled).count();
    let values_note = format!(
        "values are valid ({} layers, {enabled} of {} components enabled)",
        p.layers,
        p.components.len()
    );
    let Some(version) = kubernetes_version else {
        return Ok(Output {
            stdout: report::render(format, &[]),
            note: Some(values_note),
            ..Output::default()
        });
    };
    let built = match build_generated(&vs.project, &p, build_resources) {
        Ok(b) => b,
        Err(e) => return failed(format, "render", e),
    };
    let objects: Vec<(&Node, Option<String>)> = built
        .iter()
        .map(|r| {
            (
                &r.node,
                r.meta
                    .origin
                    .as_deref()
                    .and_then(crate::inventory::origin_file),
            )
        })
        .collect();
    let checked =
        crate::manifests::validate(&objects, version).map_err(|e| Error::Usage(e.to_string()))?;
    if !checked.problems.is_empty() {
        let wanted: Vec<(usize, String)> = checked
            .problems
            .iter()
            .map(|pr| (pr.index, pr.pointer.clone()))
            .collect();
        let origins = written_origins(vs, &p, &built, &wanted)?;
        return schema_problems(&checked.problems, &origins, version, format);
    }
    let mut note = format!(
        "{values_note}; {} objects valid against the Kubernetes {version} API",
        checked.checked
    );
    if !checked.skipped.is_empty() {
        note.push_str(&format!(
            " (no schema, not checked: {})",
            checked.skipped.join(", ")
        ));
    }
    Ok(Output {
        stdout: report::render(format, &[]),
        note: Some(note),
        ..Output::default()
    })
}

/// The problems `validate` found in the rendered objects, each at the
/// place that wrote the value at fault when one is known (else the file
/// the object came from): as diagnostics for text, as records otherwise.
fn schema_problems(
    problems: &[crate::manifests::Problem],
    origins: &[Option<crate::diagnostic::Origin>],
    version: &str,
    format: Format,
) -> Result<Output, Error> {
    let field = |pr: &crate::manifests::Problem| {
        if pr.field.is_empty() {
            "(object)".to_string()
        } else {
            pr.field.clone()
        }
    };
    if format == Format::Text {
        let ds = problems
            .iter()
            .zip(origins)
            .map(|(pr, origin)| match origin {
                Some(o) => crate::diagnostic::Diagnostic::at(
                    o.clone(),
                    format!(
                        "Kubernetes {version}: {}: {}: {}",
                        pr.object,
                        field(pr),
                        pr.message
                    ),
                ),
                None => crate::diagnostic::Diagnostic::new(format!("Kubernetes {version}: {pr}")),
            })
            .collect();
        return Err(Error::Diagnostics(ds));
    }
    let records: Vec<Record> = problems
        .iter()
        .zip(origins)
        .map(|(pr, origin)| {
            let (file, line, column) = match origin {
                Some(crate::diagnostic::Origin::File {
                    path, line, col, ..
                }) => (Some(path.clone()), *line, (*col > 0).then_some(*col)),
                _ => (pr.source.clone(), None, None),
            };
            Record {
                severity: Severity::Error,
                rule: "kubernetes-schema".into(),
                file,
                line,
                column,
                object: Some(pr.object.clone()),
                message: format!("Kubernetes {version}: {}: {}", field(pr), pr.message),
                fix: None,
            }
        })
        .collect();
    Ok(Output {
        stdout: report::render(format, &records),
        code: crate::error::EXIT_INVALID,
        ..Output::default()
    })
}

/// For each (object's index in `built`, JSON pointer into it), where the
/// value there was last written, as [`crate::explain::written_origin`]
/// tells it, from one more build of the render with the fields followed.
fn written_origins(
    vs: &ValuesSettings,
    p: &Prepared,
    built: &[compose_kustomize::resource::Resource],
    wanted: &[(usize, String)],
) -> Result<Vec<Option<crate::diagnostic::Origin>>, Error> {
    use crate::explain::{self, Tracker, Trackers};
    let paths: Vec<Vec<explain::Seg>> = wanted
        .iter()
        .map(|(_, ptr)| explain::of_pointer(ptr))
        .collect();
    let trackers: Vec<Tracker> = wanted
        .iter()
        .zip(&paths)
        .filter_map(|((i, _), path)| Some(Tracker::new(built.get(*i)?, path.clone())))
        .collect();
    if trackers.len() != wanted.len() {
        return Err(Error::Internal(
            "a problem names an object the render lacks".into(),
        ));
    }
    let all = std::sync::Arc::new(Trackers(trackers));
    let inputs = follow(vs, p, all.clone())?;
    Ok(wanted
        .iter()
        .zip(&paths)
        .zip(&all.0)
        .map(|(((i, _), path), t)| explain::written_origin(&inputs, &built[*i], path, &t.trace()))
        .collect())
}

/// A failure of `validate` or `lint` in the format asked for. In `text`
/// it stays an error (printed on stderr as usual). In `json` and
/// `github`, a problem that compose locates (invalid values, a template
/// or kustomization that does not render, a build the engine refuses)
/// becomes records on stdout, `kind` naming the stage (`values`,
/// `render`; `build` for the engine's), with the exit code of the text
/// (1). Anything else (a usage error, a file that cannot be read) stays
/// an error on stderr, as kubectl keeps its errors out of `-o json`.
fn failed(format: Format, kind: &str, e: Error) -> Result<Output, Error> {
    if format == Format::Text {
        return Err(e);
    }
    let records: Vec<Record> = match &e {
        Error::Diagnostics(ds) => ds
            .iter()
            .map(|d| Record::from_diagnostic(d, kind, Severity::Error))
            .collect(),
        Error::Build(b) => {
            let cwd = std::env::current_dir().ok();
            let d = crate::diagnostic::Diagnostic::from_build(b, cwd.as_deref());
            vec![Record::from_diagnostic(&d, "build", Severity::Error)]
        }
        _ => return Err(e),
    };
    Ok(Output {
        stdout: report::render(format, &records),
        code: crate::error::EXIT_INVALID,
        ..Output::default()
    })
}

/// `compose template`: the generated kustomization.
pub fn template(vs: &ValuesSettings) -> Result<Output, Error> {
    let p = prepare(vs)?;
    let text = render_kustomization(&vs.project, &p)?;
    Ok(Output {
        stdout: text,
        warnings: label_warnings(&vs.project, &p.values),
        ..Output::default()
    })
}

/// `compose` / `compose render`: the built manifests, printed or written
/// one file per object into `output_dir`. With `destination`, the
/// namespace the manifests are deployed into (Argo CD's plugin passes the
/// Application's), every object that names a namespace must name that one.
pub(crate) fn render(
    vs: &ValuesSettings,
    output_dir: Option<&Path>,
    destination: Option<&str>,
    share: Option<&crate::split::Share>,
) -> Result<Output, Error> {
    let p = prepare(vs)?;
    let split = match share {
        Some(share) => Some(crate::split::split_of(&vs.project, &p.components, share)?),
        None => None,
    };
    // Origins say which component each object belongs to; only a share
    // needs them.
    let track_origins = share.is_some();
    let mut objects = build_generated(&vs.project, &p, |root, k| {
        build_objects(root, k, track_origins)
    })?;
    if let (Some(share), Some(split)) = (share, &split) {
        objects = crate::split::select(&vs.project, split, &share.name, objects);
    }
    let warnings = label_warnings(&vs.project, &p.values);
    if let Some(destination) = destination {
        check_destination(vs, &p, objects.iter().map(|r| &r.node), destination)?;
    }
    let Some(dir) = output_dir else {
        return Ok(Output {
            objects,
            warnings,
            ..Output::default()
        });
    };
    let nodes: Vec<Node> = objects.into_iter().map(|r| r.node).collect();
    let files = crate::deploy::write_output_dir(&nodes, dir)?;
    Ok(Output {
        warnings,
        note: Some(format!("wrote {} files to {}", files.len(), dir.display())),
        ..Output::default()
    })
}

/// The namespaces the objects name, each once, sorted.
fn object_namespaces<'a>(objects: impl IntoIterator<Item = &'a Node>) -> BTreeSet<String> {
    objects
        .into_iter()
        .filter_map(|o| o.str_at(&["metadata", "namespace"]))
        .map(str::to_string)
        .collect()
}

/// What was rendered, for messages: "the render of environment `prod`
/// and tier `large`".
fn rendered(vs: &ValuesSettings) -> String {
    match (&vs.environment, &vs.tier) {
        (Some(e), Some(t)) => format!("the render of environment `{e}` and tier `{t}`"),
        (Some(e), None) => format!("the render of environment `{e}`"),
        (None, Some(t)) => format!("the render of tier `{t}`"),
        (None, None) => "the render".to_string(),
    }
}

/// An error about the rendered namespace: located at the values'
/// `namespace` when the values set it, with help on where to change it.
fn namespace_diagnostic(vs: &ValuesSettings, p: &Prepared, message: String, help: &str) -> Error {
    let file = match &vs.environment {
        Some(e) => vs.project.show(&vs.project.environment_file(e)),
        None => vs.project.show(&vs.project.defaults_file()),
    };
    let help = help.replace("{file}", &file);
    match p.loaded.origin("/namespace", false) {
        Some(origin) => Error::diagnostic(
            crate::diagnostic::Diagnostic::at(origin, message).with_note(format!("help: {help}")),
        ),
        None => Error::Deploy(crate::deploy::DeployError::Invalid(format!(
            "{message}; {help}"
        ))),
    }
}

/// The one namespace a render puts its objects in: the destination of
/// its Argo CD Application. No namespace at all, or several, is an error.
fn destination_of<'a>(
    vs: &ValuesSettings,
    p: &Prepared,
    objects: impl IntoIterator<Item = &'a Node>,
) -> Result<String, Error> {
    let namespaces = object_namespaces(objects);
    let mut it = namespaces.iter();
    match (it.next(), it.next()) {
        (Some(one), None) => Ok(one.clone()),
        (None, _) => Err(namespace_diagnostic(
            vs,
            p,
            format!(
                "{} puts no object in a namespace, so its Argo CD Application has no destination namespace to agree with",
                rendered(vs)
            ),
            "give the objects a namespace (`namespace` in {file})",
        )),
        (Some(_), Some(_)) => Err(namespace_diagnostic(
            vs,
            p,
            format!(
                "{} puts objects in several namespaces ({}), but an Argo CD Application deploys into one",
                rendered(vs),
                namespaces.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            ),
            "put every object in one namespace (`namespace` in {file})",
        )),
    }
}

/// Refuses a render whose objects name a namespace other than
/// `destination`. Objects without one are deployed into it and agree.
fn check_destination<'a>(
    vs: &ValuesSettings,
    p: &Prepared,
    objects: impl IntoIterator<Item = &'a Node>,
    destination: &str,
) -> Result<(), Error> {
    let other: Vec<String> = object_namespaces(objects)
        .into_iter()
        .filter(|n| n != destination)
        .collect();
    let Some(first) = other.first() else {
        return Ok(());
    };
    let listed = other
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let listed = if other.len() == 1 {
        format!("namespace {listed}")
    } else {
        format!("namespaces {listed}")
    };
    Err(namespace_diagnostic(
        vs,
        p,
        format!(
            "{} puts objects in {listed}, but the destination namespace is `{destination}`",
            rendered(vs)
        ),
        &format!(
            "set the Argo CD Application's spec.destination.namespace to `{first}` (as `compose argocd appset` does), or change the namespace of the render (`namespace` in {{file}})"
        ),
    ))
}

/// Loads, validates, renders and builds: (values, manifests, warnings).
fn build(vs: &ValuesSettings) -> Result<(Prepared, String, Vec<String>), Error> {
    let p = prepare(vs)?;
    let out = build_generated(&vs.project, &p, build_with_kustomization)?;
    let warnings = label_warnings(&vs.project, &p.values);
    Ok((p, out, warnings))
}

/// The project's name: the values' `name`, else the root directory's name.
fn project_name(project: &Project, values: Option<&Values>) -> String {
    if let Some(n) = values.and_then(|v| v.globals.name.clone()) {
        return n;
    }
    let from_defaults = crate::owned::read(project, &project.defaults_file())
        .ok()
        .flatten()
        .and_then(|t| compose_yaml::parse_one(&t).ok())
        .and_then(|n| n.str_at(&["name"]).map(str::to_string));
    from_defaults.unwrap_or_else(|| {
        project
            .root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    })
}

/// `compose apply`: render, then kubectl apply; kubectl's exit code.
pub(crate) fn apply(
    vs: &ValuesSettings,
    options: &crate::deploy::ApplyOptions,
) -> Result<Output, Error> {
    let (p, out, warnings) = build(vs)?;
    let mut options = options.clone();
    options.project = project_name(&vs.project, Some(&p.values));
    let outcome = crate::deploy::apply_yaml(&out, &options)?;
    Ok(Output {
        warnings,
        code: exit_byte(outcome.exit_code()),
        ..Output::default()
    })
}

/// `compose diff`: render, then kubectl diff; kubectl's exit code (1 = changes).
pub(crate) fn diff(
    vs: &ValuesSettings,
    options: &crate::deploy::DiffOptions,
) -> Result<Output, Error> {
    let (_, out, warnings) = build(vs)?;
    let outcome = crate::deploy::diff_yaml(&out, options)?;
    Ok(Output {
        warnings,
        code: exit_byte(outcome.exit_code()),
        ..Output::default()
    })
}

/// `compose lint`: render, then report findings on stdout, one per
/// paragraph (or in `format`); with `strict`, any finding makes the exit
/// code 1.
pub(crate) fn lint(vs: &ValuesSettings, strict: bool, format: Format) -> Result<Output, Error> {
    let p = match prepare(vs) {
        Ok(p) => p,
        Err(e) => return failed(format, "values", e),
    };
    // The objects as built, without printing and parsing them again.
    let built = match build_generated(&vs.project, &p, build_resources) {
        Ok(b) => b,
        Err(e) => return failed(format, "render", e),
    };
    let files = object_files(&built, |f| vs.project.show(Path::new(f)));
    let objects: Vec<&Node> = built.iter().map(|r| &r.node).collect();
    let settings = &p.values.globals.lint;
    let options = crate::lint::Options {
        environment: vs.environment_name().to_string(),
        production: settings
            .production_environments
            .clone()
            .unwrap_or_else(|| vec!["prod".into(), "production".into()]),
        external: settings.external.clone(),
    };
    let mut findings = kustomization_findings(&vs.project, &p.values);
    findings.extend(crate::lint::check(&objects, &options));
    place_at_fields(vs, &p, &built, &mut findings)?;
    locate(&mut findings, &files);
    Ok(lint_output(&findings, objects.len(), strict, format))
}

/// Places each finding about a field of an object at the line that wrote
/// the field (see [`written_origins`]); the others keep their place.
fn place_at_fields(
    vs: &ValuesSettings,
    p: &Prepared,
    built: &[compose_kustomize::resource::Resource],
    findings: &mut [crate::lint::Finding],
) -> Result<(), Error> {
    let by_label: BTreeMap<String, usize> = built
        .iter()
        .enumerate()
        .map(|(i, r)| (crate::deploy::object_label(&r.node), i))
        .collect();
    let wanted: Vec<(usize, (usize, String))> = findings
        .iter()
        .enumerate()
        .filter_map(|(f, finding)| {
            let object = by_label.get(finding.place.object.as_ref()?)?;
            Some((f, (*object, finding.place.field.clone()?)))
        })
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let fields: Vec<(usize, String)> = wanted.iter().map(|(_, w)| w.clone()).collect();
    let origins = written_origins(vs, p, built, &fields)?;
    for ((f, _), origin) in wanted.iter().zip(origins) {
        if let Some(crate::diagnostic::Origin::File {
            path, line, col, ..
        }) = origin
        {
            let place = &mut findings[*f].place;
            place.file = Some(path);
            place.line = line;
            place.column = (col > 0 && line.is_some()).then_some(col);
        }
    }
    Ok(())
}

/// The file each built object came from, by `Kind/namespace/name`, as
/// `show` shows the path the object's origin names.
fn object_files(
    built: &[compose_kustomize::resource::Resource],
    show: impl Fn(&str) -> String,
) -> BTreeMap<String, String> {
    built
        .iter()
        .filter_map(|r| {
            let file = crate::inventory::origin_file(r.meta.origin.as_deref()?)?;
            Some((crate::deploy::object_label(&r.node), show(&file)))
        })
        .collect()
}

/// Gives each finding about an object the file the object came from.
fn locate(findings: &mut [crate::lint::Finding], files: &BTreeMap<String, String>) {
    for f in findings {
        if f.place.file.is_none() {
            f.place.file = f.place.object.as_ref().and_then(|o| files.get(o)).cloned();
        }
    }
}

/// `compose lint --kustomize DIR`: builds a plain kustomization as
/// `compose kustomize` does and reports what the object rules find, and
/// each patch whose target selected no object when it ran (kustomize
/// applies it as no change, without a word).
pub(crate) fn lint_kustomize(
    dir: &Path,
    restrictor: LoadRestrictor,
    strict: bool,
    format: Format,
) -> Result<Output, Error> {
    let sink = compose_kustomize::loader::UnmatchedSink::default();
    let opts = BuildOptions {
        load_restrictor: restrictor,
        unmatched_patches: Some(sink.clone()),
        // The file of each object, for findings in `json` and `github`.
        track_origins: true,
        ..BuildOptions::default()
    };
    let built = match compose_kustomize::build(&OnDisk::new(), dir, &opts) {
        Ok(b) => b,
        Err(e) => return failed(format, "build", Error::Build(e)),
    };
    let files = object_files(&built, |f| shown_path(&lexical(&dir.join(f))));
    let objects: Vec<&Node> = built.iter().map(|r| &r.node).collect();
    let unmatched = std::mem::take(&mut *sink.lock().unwrap_or_else(|e| e.into_inner()));
    let mut findings: Vec<crate::lint::Finding> = unmatched
        .iter()
        .map(|u| {
            let text = std::fs::read_to_string(&u.file).ok();
            crate::lint::unmatched_patch(&shown_path(&u.file), text.as_deref(), u)
        })
        .collect();
    findings.extend(crate::lint::check(
        &objects,
        &crate::lint::Options::default(),
    ));
    locate(&mut findings, &files);
    Ok(lint_output(&findings, objects.len(), strict, format))
}

/// `path` with its `.` and `dir/..` steps taken out, without asking the
/// file system (an object's origin is relative to its kustomization, and
/// may climb out of it to a base).
fn lexical(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// A path as messages show it: relative to the current directory when
/// it is inside it.
fn shown_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = cwd.as_deref().and_then(|c| path.strip_prefix(c).ok());
    rel.unwrap_or(path).to_string_lossy().into_owned()
}

/// What lint prints: a paragraph per finding (or a record per finding in
/// `json` and `github`: warnings, errors with `--strict`), and their
/// count.
fn lint_output(
    findings: &[crate::lint::Finding],
    objects: usize,
    strict: bool,
    format: Format,
) -> Output {
    let stdout: String = match format {
        Format::Text => findings.iter().map(|f| format!("{f}\n")).collect(),
        _ => {
            let severity = if strict {
                Severity::Error
            } else {
                Severity::Warning
            };
            let records: Vec<Record> = findings
                .iter()
                .map(|f| Record::from_finding(f, severity))
                .collect();
            report::render(format, &records)
        }
    };
    let note = format!(
        "{} finding{} ({objects} objects checked)",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
    );
    Output {
        stdout,
        note: Some(note),
        code: u8::from(strict && !findings.is_empty()),
        ..Output::default()
    }
}

/// `compose argocd appset`: every environment and tier is rendered as
/// the plugin renders it, and its Application deploys into the namespace
/// that render puts the objects in.
pub(crate) fn appset(project: &Project, spec: &crate::deploy::AppSetSpec) -> Result<Output, Error> {
    let mut spec = spec.clone();
    if spec.project.is_empty() {
        spec.project = project_name(project, None);
    }
    for (env, tier) in spec.pairs() {
        let vs = crate::settings::pair_settings(project, &env, tier.as_deref())?;
        let p = prepare(&vs)?;
        let resources = build_generated(project, &p, build_resources)?;
        let namespace = destination_of(&vs, &p, resources.iter().map(|r| &r.node))?;
        if spec.per_component {
            crate::split::refuse_base_component(project, &p.components)?;
            let owning = crate::split::owning(project, &p.components, &resources);
            spec.split.insert((env.clone(), tier.clone()), owning);
        }
        spec.namespaces.insert((env, tier), namespace);
    }
    let node = crate::deploy::appset(&spec)?;
    Ok(Output {
        stdout: compose_yaml::emit_document(&node),
        ..Output::default()
    })
}

/// `compose compare A B`: both sides built, then compared; exit 0 when
/// the manifests are the same, 1 when they differ.
pub(crate) fn compare(
    a: &crate::settings::CompareSide,
    b: &crate::settings::CompareSide,
    format: crate::cli::TextOrJson,
) -> Result<Output, Error> {
    let (left, mut warnings) = built(&a.values)?;
    let (right, more) = built(&b.values)?;
    for w in more {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    let report = crate::compare::compare(&left, &right);
    let side = |s: &crate::settings::CompareSide| crate::compare::Side {
        label: s.label.clone(),
        files: s.values.files.iter().map(|f| f.shown.clone()).collect(),
    };
    let (sa, sb) = (side(a), side(b));
    let text = match format {
        crate::cli::TextOrJson::Text => crate::compare::to_text(&report, &sa, &sb),
        crate::cli::TextOrJson::Json => crate::compare::to_json(&report, &sa, &sb),
    };
    let same = report.is_empty();
    Ok(Output {
        stdout: crate::compare::scrub(&text, &left, &right),
        warnings,
        note: same.then(|| {
            format!(
                "the manifests of {} and {} are the same ({} objects)",
                sa.label,
                sb.label,
                left.len()
            )
        }),
        code: u8::from(!same),
        ..Output::default()
    })
}

/// `compose graph`: the render drawn as a diagram.
pub(crate) fn graph(vs: &ValuesSettings, format: crate::graph::Format) -> Result<Output, Error> {
    let (objects, warnings) = built(vs)?;
    let nodes: Vec<Node> = objects.into_iter().map(|r| r.node).collect();
    Ok(Output {
        stdout: crate::graph::render(&crate::graph::graph(&nodes), format),
        warnings,
        ..Output::default()
    })
}

/// `compose explain`: one field of one rendered object, where it was
/// written and every step that changed it.
pub(crate) fn explain(
    vs: &ValuesSettings,
    q: &crate::explain::Query,
    format: crate::cli::TextOrJson,
) -> Result<Output, Error> {
    use crate::explain::{self, Tracker};
    let p = prepare(vs)?;
    let objects = build_generated(&vs.project, &p, |root, k| build_objects(root, k, true))?;
    let target = explain::find(&objects, q)?;
    let tracker = std::sync::Arc::new(Tracker::new(target, q.path.clone()));
    let inputs = follow(vs, &p, tracker.clone())?;
    let explained = explain::explained(&inputs, target, &q.path, &tracker.trace())?;
    let text = match format {
        crate::cli::TextOrJson::Text => explain::to_text(&explained),
        crate::cli::TextOrJson::Json => explain::to_json(&explained),
    };
    Ok(Output {
        stdout: crate::compare::scrub(&text, &objects, &[]),
        warnings: label_warnings(&vs.project, &p.values),
        ..Output::default()
    })
}

/// The objects of one render and its warnings, without origins.
fn built(
    vs: &ValuesSettings,
) -> Result<(Vec<compose_kustomize::resource::Resource>, Vec<String>), Error> {
    let p = prepare(vs)?;
    let objects = build_generated(&vs.project, &p, |root, k| build_objects(root, k, false))?;
    Ok((objects, label_warnings(&vs.project, &p.values)))
}

/// A process exit code as ours: kubectl's code when it fits, else 1.
fn exit_byte(code: i32) -> u8 {
    u8::try_from(code).unwrap_or(1)
}

/// The generated kustomization: what the enabled components bring, the
/// knobs turned into patches, then the templates.
fn render_kustomization(project: &Project, p: &Prepared) -> Result<String, Error> {
    render_with(project, p, render::kustomization)
}

/// Gathers the parts of the generated kustomization (the layout, the
/// components' objects, the knobs' additions) and hands them to `use_parts`.
fn render_with<T>(
    project: &Project,
    p: &Prepared,
    use_parts: impl FnOnce(&render::Parts) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut layout = render::Layout::of(project, p.components.clone());
    layout.environment = p.environment.clone();
    layout.tier = p.tier.clone();
    let enabled: Vec<String> = p
        .components
        .iter()
        .filter(|n| p.values.components.get(*n).is_some_and(|c| c.enabled))
        .cloned()
        .collect();
    let inventory = crate::inventory::take(project, layout.base.as_deref(), &enabled)?;
    crate::inventory::check_component_patches(project, &enabled, &inventory)
        .map_err(Error::Diagnostics)?;
    let cx = crate::knobs::Context {
        values: &p.values,
        loaded: &p.loaded,
        inventory: &inventory,
        first_own_layer: p.shared_layers,
        order: &p.components,
    };
    let additions = crate::knobs::derive(&cx).map_err(Error::Diagnostics)?;
    let parts = render::Parts {
        project,
        values: &p.values,
        layout: &layout,
        additions: &additions,
        objects: &inventory.resources,
    };
    use_parts(&parts)
}

/// Renders the generated kustomization and builds it; when the engine
/// refuses it, finds the step that added the entry it refuses (the
/// project's template, a component's own template or the knobs) by
/// building the assembly step by step, and names that file in the error.
fn build_generated<T>(
    project: &Project,
    p: &Prepared,
    build: impl Fn(&Path, &str) -> Result<T, Error>,
) -> Result<T, Error> {
    render_with(project, p, |parts| {
        let text = render::kustomization(parts)?;
        match build(&project.root, &text) {
            Err(Error::Build(e)) => Err(blame(project, parts, e)),
            other => other,
        }
    })
}

/// The error of the first step of the assembly that does not build, named
/// after the file (or values) that step comes from; `whole` when every
/// step before the last builds.
fn blame(project: &Project, parts: &render::Parts, whole: compose_kustomize::Error) -> Error {
    let Ok(steps) = render::steps(parts) else {
        return Error::Build(whole);
    };
    for (upto, source) in steps {
        let error = match upto {
            render::Upto::All => whole,
            _ => match render::assemble(parts, upto)
                .map(|text| (build_with_kustomization(&project.root, &text), text))
            {
                Ok((Err(Error::Build(e)), text)) => place_in_whole(project, parts, e, &text),
                _ => continue,
            },
        };
        let inner = match error {
            compose_kustomize::Error::Context { source, .. } => *source,
            other => other,
        };
        return Error::Build(inner.context(format!(
            "{source}: what it adds to the generated kustomization does not build (print the kustomization with `compose template`)"
        )));
    }
    Error::Build(whole)
}

/// An error from building a part of the assembly (`part`): a place in it
/// stays when its line reads the same in the whole generated kustomization
/// (what `compose template` prints), and is dropped otherwise, so that no
/// line number points at a text the reader cannot see.
fn place_in_whole(
    project: &Project,
    parts: &render::Parts,
    e: compose_kustomize::Error,
    part: &str,
) -> compose_kustomize::Error {
    let generated = generated_file(&project.root);
    let Some(at) = e.location().filter(|l| l.path == generated) else {
        return e;
    };
    let whole = render::kustomization(parts).ok();
    let line = |text: &str| text.lines().nth(at.line.checked_sub(1)?).map(str::to_owned);
    let same = at.line > 0
        && whole
            .as_deref()
            .and_then(line)
            .is_some_and(|w| Some(w) == line(part));
    match whole {
        Some(whole) if same => e.map_location(|l| match l.source {
            Some(_) => l.with_source(whole.into()),
            None => l,
        }),
        _ => e.without_places_in(&generated),
    }
}

/// Builds `root` with `kustomization` laid over it as its
/// `kustomization.yaml`, without writing anything.
pub(crate) fn build_with_kustomization(root: &Path, kustomization: &str) -> Result<String, Error> {
    with_generated(root, kustomization, |fs| {
        compose_kustomize::build_yaml(
            fs,
            root,
            &BuildOptions {
                load_restrictor: LoadRestrictor::RootOnly,
                ..BuildOptions::default()
            },
        )
    })
}

/// Like [`build_with_kustomization`], but the objects themselves, each
/// knowing the file it came from.
pub(crate) fn build_resources(
    root: &Path,
    kustomization: &str,
) -> Result<Vec<compose_kustomize::resource::Resource>, Error> {
    build_objects(root, kustomization, true)
}

/// Builds the render again with each step shown to `observer`; what an
/// explanation of what it saw reads besides.
fn follow<'a>(
    vs: &'a ValuesSettings,
    p: &'a Prepared,
    observer: std::sync::Arc<dyn compose_kustomize::observe::Observer>,
) -> Result<crate::explain::Inputs<'a>, Error> {
    build_generated(&vs.project, p, |root, k| {
        build_observed(root, k, observer.clone())
    })?;
    Ok(crate::explain::Inputs {
        project: &vs.project,
        loaded: &p.loaded,
        components: &p.components,
    })
}

/// Builds `root` with `kustomization` laid over it, origins tracked, each
/// step shown to `observer`.
fn build_observed(
    root: &Path,
    kustomization: &str,
    observer: std::sync::Arc<dyn compose_kustomize::observe::Observer>,
) -> Result<Vec<compose_kustomize::resource::Resource>, Error> {
    let opts = BuildOptions {
        track_origins: true,
        load_restrictor: LoadRestrictor::RootOnly,
        observer: Some(observer),
        ..BuildOptions::default()
    };
    with_generated(root, kustomization, |fs| {
        compose_kustomize::build(fs, root, &opts)
    })
}

/// Builds `root` with `kustomization` laid over it; `track_origins` as in
/// [`BuildOptions`].
fn build_objects(
    root: &Path,
    kustomization: &str,
    track_origins: bool,
) -> Result<Vec<compose_kustomize::resource::Resource>, Error> {
    let opts = BuildOptions {
        track_origins,
        load_restrictor: LoadRestrictor::RootOnly,
        ..BuildOptions::default()
    };
    with_generated(root, kustomization, |fs| {
        compose_kustomize::build(fs, root, &opts)
    })
}

/// Where the generated kustomization is laid over the project: its
/// `kustomization.yaml`, which exists in memory only.
pub(crate) fn generated_file(root: &Path) -> std::path::PathBuf {
    root.join("kustomization.yaml")
}

/// Runs `build` over the project with `kustomization` laid over it as its
/// `kustomization.yaml`, in memory.
fn with_generated<T>(
    root: &Path,
    kustomization: &str,
    build: impl FnOnce(&dyn FileSystem) -> compose_kustomize::Result<T>,
) -> Result<T, Error> {
    let mut files = BTreeMap::new();
    files.insert(generated_file(root), kustomization.as_bytes().to_vec());
    let overlay = Overlay {
        base: &OnDisk::new(),
        files,
    };
    build(&overlay).map_err(|e| {
        Error::Build(
            project_restriction(e)
                .context("building the generated kustomization (print it with `compose template`)"),
        )
    })
}

/// A project's files stay inside it, links resolved, and compose's
/// project commands have no `--load-restrictor` to lift that: a file the
/// root restriction refuses is to be copied into the project.
fn project_restriction(e: compose_kustomize::Error) -> compose_kustomize::Error {
    match (e.kind(), e.location()) {
        (compose_kustomize::ErrorKind::Restricted, Some(at)) => e.at_with_hint(
            at,
            "a project's files must be inside the project, links resolved: copy the file (or folder) into the project instead of linking to it",
        ),
        _ => e,
    }
}

/// `compose version`: compose's version, the commit it was built from
/// and the kustomize version the engine matches.
pub(crate) fn version() -> Output {
    Output {
        stdout: format!(
            "compose {}\ncommit: {}\nkustomize: {}\n",
            env!("CARGO_PKG_VERSION"),
            env!("COMPOSE_COMMIT"),
            compose_kustomize::KUSTOMIZE_VERSION
        ),
        ..Output::default()
    }
}

/// `compose completion SHELL`: the shell's completion script.
pub(crate) fn completion(shell: clap_complete::Shell) -> Output {
    let mut command = crate::cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "compose", &mut script);
    Output {
        stdout: String::from_utf8_lossy(&script).into_owned(),
        ..Output::default()
    }
}

/// `compose kustomize DIR`.
pub(crate) fn kustomize(dir: &Path, restrictor: LoadRestrictor) -> Result<Output, Error> {
    let objects = compose_kustomize::build(
        &OnDisk::new(),
        dir,
        &BuildOptions {
            load_restrictor: restrictor,
            ..BuildOptions::default()
        },
    )?;
    Ok(Output {
        objects,
        ..Output::default()
    })
}

/// `compose schema`: the values schema, and with a project file also the
/// project file's schema (`compose.schema.json` beside it).
pub(crate) fn schema_command(project: &Project, mode: SchemaMode) -> Result<Output, Error> {
    let components = project.components()?;
    let infos = project.component_infos(&components)?;
    let values_schema = schema::generate(&infos, &project.file.values)?;
    let mut files = vec![(
        project.layout.schema.clone(),
        schema::to_text(&values_schema),
    )];
    if project.has_file {
        let dir = project.layout.schema.parent().unwrap_or(Path::new(""));
        files.push((
            dir.join(crate::project::PROJECT_SCHEMA_NAME),
            schema::to_text(&crate::project::project_schema()),
        ));
    }
    let shown: Vec<String> = files.iter().map(|(rel, _)| project.show(rel)).collect();
    match mode {
        SchemaMode::Print => Ok(Output {
            stdout: files.swap_remove(0).1,
            ..Output::default()
        }),
        SchemaMode::Write => {
            for (rel, text) in &files {
                crate::owned::write(project, rel, text)?;
            }
            Ok(Output {
                note: Some(format!("wrote {}", shown.join(" and "))),
                ..Output::default()
            })
        }
        SchemaMode::Check => {
            for ((rel, text), shown) in files.iter().zip(&shown) {
                let current = crate::owned::read(project, rel)?.unwrap_or_default();
                if current != *text {
                    return Err(Error::StaleSchema(std::path::PathBuf::from(shown)));
                }
            }
            Ok(Output {
                note: Some(format!(
                    "{} {} up to date",
                    shown.join(" and "),
                    if shown.len() == 1 { "is" } else { "are" }
                )),
                ..Output::default()
            })
        }
    }
}

/// Warns about enabled components whose kustomization sets `labels` or
/// `commonLabels` (see [`kustomization_findings`]).
pub(crate) fn label_warnings(project: &Project, values: &Values) -> Vec<String> {
    kustomization_findings(project, values)
        .into_iter()
        .filter(|f| f.rule == "component-labels")
        .map(|f| format!("{}: {}; {}", f.subject, f.message, f.fix))
        .collect()
}

/// The lint findings about the kustomizations of the enabled components
/// ([`crate::lint::component_kustomization`]).
pub(crate) fn kustomization_findings(
    project: &Project,
    values: &Values,
) -> Vec<crate::lint::Finding> {
    let mut out = Vec::new();
    for (name, _) in values.components.iter().filter(|(_, c)| c.enabled) {
        let dir = project.layout.components.join(name);
        for file in compose_kustomize::loader::KUSTOMIZATION_FILE_NAMES {
            let rel = dir.join(file);
            // A file that cannot be read (or may not be) is left to the
            // build, which reports it.
            let Ok(Some(text)) = crate::owned::read(project, &rel) else {
                continue;
            };
            if let Ok(doc) = compose_yaml::parse_one(&text) {
                out.extend(crate::lint::component_kustomization(
                    name,
                    &project.show(&rel),
                    Some(text.as_str()),
                    &doc,
                ));
            }
            break;
        }
    }
    out
}
