//! `compose lint`: mistakes a cluster would only reveal later, found in
//! the rendered objects and in the components' kustomizations.
//!
//! Each rule has an id, says what is wrong about which object, and how to
//! fix it. The rules over objects are pure functions of the output, so
//! they are tested on small hand-written streams.

use compose_yaml::Node;
use std::collections::{BTreeMap, BTreeSet};

/// One problem.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Finding {
    /// The rule's id, e.g. `latest-tag`.
    pub(crate) rule: &'static str,
    /// What it is about: `Kind/namespace/name`, or a file.
    pub(crate) subject: String,
    /// What is wrong.
    pub(crate) message: String,
    /// How to fix it.
    pub(crate) fix: String,
    /// Where it is, for programs (`lint -o json`).
    pub(crate) place: Place,
}

/// Where a finding is: the file and position when known (a
/// kustomization's field, or the file an object came from), and the
/// object it is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Place {
    /// The file, as messages show it.
    pub(crate) file: Option<String>,
    /// 1-based line in `file`.
    pub(crate) line: Option<usize>,
    /// 1-based column in characters.
    pub(crate) column: Option<usize>,
    /// The object, `Kind/namespace/name`.
    pub(crate) object: Option<String>,
    /// The field of the object the finding is about, as a JSON pointer,
    /// for placing it at the line that wrote the field.
    pub(crate) field: Option<String>,
}

impl Place {
    /// A finding about the field at `pointer` of its object.
    fn field(pointer: String) -> Place {
        Place {
            field: Some(pointer),
            ..Place::default()
        }
    }

    /// The place of `pointer` in a YAML file shown as `shown` whose text
    /// is `text` (with `key`, where its key is written), or the file
    /// alone when the text does not parse.
    pub(crate) fn in_file(shown: &str, text: Option<&str>, pointer: &str, key: bool) -> Place {
        let file_only = || Place {
            file: Some(shown.to_string()),
            ..Place::default()
        };
        let Some(layer) = text.and_then(|t| crate::values::file_layer(shown, t).ok()) else {
            return file_only();
        };
        match crate::values::origin_in(&layer, pointer, key) {
            crate::diagnostic::Origin::File {
                path, line, col, ..
            } => Place {
                file: Some(path),
                line,
                column: (col > 0 && line.is_some()).then_some(col),
                object: None,
                field: None,
            },
            _ => file_only(),
        }
    }
}

impl std::fmt::Display for Finding {
    /// `subject: [rule] message` and the fix on a line of its own; a
    /// finding about an object starts with the place that wrote the field
    /// at fault, when it is known.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = &self.place;
        if let (Some(_), Some(file), Some(line)) = (&p.object, &p.file, p.line) {
            match p.column {
                Some(col) => write!(f, "{file}:{line}:{col}: ")?,
                None => write!(f, "{file}:{line}: ")?,
            }
        }
        write!(
            f,
            "{}: [{}] {}\n  fix: {}",
            self.subject, self.rule, self.message, self.fix
        )
    }
}

/// Every rule id with a one-line summary, for `lint --help`; README's
/// table of rules names each (a test checks it).
pub(crate) const RULES: &[(&str, &str)] = &[
    ("component-labels", "a Component's labels/commonLabels also stamp the objects of other components"),
    ("selector-labels", "commonLabels (or labels with includeSelectors) change workload selectors, which are immutable"),
    ("latest-tag", "an image with the `latest` tag or no tag in a production environment"),
    ("missing-resources", "a container without resource requests or limits"),
    ("hpa-target", "a HorizontalPodAutoscaler whose target is not in the output"),
    ("selector-matches-nothing", "a Service or PodDisruptionBudget whose selector matches no pod template"),
    ("dangling-reference", "a ConfigMap, Secret, PersistentVolumeClaim or ServiceAccount reference to nothing in the output"),
    ("patch-target-matches-nothing", "a patch whose target selects no object when it runs, so it changes nothing (`lint --kustomize`; in a compose project it is an error)"),
];

/// The rules section of `compose lint --help`: each id and its summary.
pub(crate) fn rules_help() -> String {
    let width = RULES.iter().map(|(id, _)| id.len()).max().unwrap_or(0);
    let mut out = String::from("Rules:\n");
    for (id, summary) in RULES {
        out.push_str(&format!("  {id:width$}  {summary}\n"));
    }
    out
}

/// The findings about the kustomization of component `name` (`doc`, read
/// from the file `subject` whose text is `text`, which places them at
/// their field):
/// - `component-labels`: `labels`/`commonLabels` in a Component stamp
///   every resource accumulated before it (the base and earlier
///   components), not only its own, and with selectors included the last
///   component's labels win everywhere;
/// - `selector-labels`: `commonLabels`, or `labels` with
///   `includeSelectors: true`, also change workload selectors, which the
///   API server refuses to change on existing objects.
pub(crate) fn component_kustomization(
    name: &str,
    subject: &str,
    text: Option<&str>,
    doc: &Node,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let at = |field: &str| Place::in_file(subject, text, &format!("/{field}"), true);
    for field in ["labels", "commonLabels"] {
        if doc.get(field).is_some() {
            out.push(Finding {
                rule: "component-labels",
                subject: subject.to_string(),
                place: at(field),
                message: format!("`{field}` in a Component applies to every resource accumulated before it (the base and the components listed earlier), not only to the resources of `{name}`"),
                fix: "write the labels in the component's own resources instead".into(),
            });
        }
    }
    let common = doc.get("commonLabels").is_some_and(|l| !l.is_null());
    let selecting = match doc.get("labels") {
        Some(Node::Seq(entries)) => entries
            .iter()
            .any(|e| matches!(e.get("includeSelectors"), Some(Node::Bool(true)))),
        _ => false,
    };
    if common || selecting {
        let (what, field) = if common {
            ("`commonLabels`", "commonLabels")
        } else {
            ("`labels` with `includeSelectors: true`", "labels")
        };
        out.push(Finding {
            rule: "selector-labels",
            subject: subject.to_string(),
            place: at(field),
            message: format!("{what} also changes the selectors of workloads and Services; selectors cannot change on existing objects, so the apply fails on a running cluster"),
            fix: "use `labels:` without `includeSelectors` (or `includeTemplates: true` for pod labels)".into(),
        });
    }
    out
}

/// The finding for a patch of a plain kustomization whose target selected
/// nothing; `shown` is its file as messages show it and `text` the file's
/// text, which places the finding at the patch's target.
pub(crate) fn unmatched_patch(
    shown: &str,
    text: Option<&str>,
    patch: &compose_kustomize::loader::UnmatchedPatch,
) -> Finding {
    let pointer = format!("/{}/{}/target", patch.field, patch.index);
    let layer = text.and_then(|t| crate::values::file_layer(shown, t).ok());
    let subject = match &layer {
        Some(l) => crate::values::origin_in(l, &pointer, false).place(),
        None => shown.to_string(),
    };
    Finding {
        rule: "patch-target-matches-nothing",
        subject,
        place: Place::in_file(shown, text, &pointer, false),
        message: format!(
            "{}[{}]: the target selects no object when the patch runs, so it changes nothing",
            patch.field, patch.index
        ),
        fix: "match the target to an object of this kustomization's resources, or of the components listed before the patch runs; `compose kustomize DIR` prints them".into(),
    }
}

/// What the object rules need besides the objects.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    /// The environment's name (`values-prod.yaml` is `prod`).
    pub(crate) environment: String,
    /// Environments where `latest-tag` applies.
    pub(crate) production: Vec<String>,
    /// `Kind/name` of objects created outside the project.
    pub(crate) external: Vec<String>,
}

/// Runs every object rule; findings sorted by subject, then rule.
pub(crate) fn check(objects: &[&Node], opts: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    let index = Index::new(objects);
    for o in objects {
        let subject = crate::deploy::object_label(o);
        let start = out.len();
        if opts.production.iter().any(|p| p == &opts.environment) {
            latest_tag(o, &subject, &opts.environment, &mut out);
        }
        missing_resources(o, &subject, &mut out);
        hpa_target(o, &subject, &index, &mut out);
        selector_matches_nothing(o, &subject, &index, &mut out);
        dangling_references(o, &subject, &index, &opts.external, &mut out);
        for f in &mut out[start..] {
            f.place.object = Some(subject.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

fn text<'a>(n: &'a Node, path: &[&str]) -> &'a str {
    n.str_at(path).unwrap_or("")
}

/// The pod template of a workload (or the pod itself), if any.
fn pod_template(o: &Node) -> Option<&Node> {
    match text(o, &["kind"]) {
        "Pod" => Some(o),
        kind => o.get_path(crate::workloads::pod_template_path(kind)?),
    }
}

fn pod_spec(o: &Node) -> Option<&Node> {
    pod_template(o)?.get("spec")
}

/// Where the object keeps its pod spec, as a JSON pointer.
fn pod_spec_pointer(o: &Node) -> String {
    match crate::workloads::pod_template_path(text(o, &["kind"])) {
        Some(path) => format!("/{}/spec", path.join("/")),
        None => "/spec".to_string(),
    }
}

/// The init containers, then the containers, of a pod spec, each with
/// its JSON pointer in the object (`at` is the pod spec's).
fn containers_at<'n>(spec: &'n Node, at: &str) -> Vec<(String, &'n Node)> {
    ["initContainers", "containers"]
        .into_iter()
        .flat_map(|field| {
            items(spec.get(field))
                .iter()
                .enumerate()
                .map(move |(i, c)| (format!("{at}/{field}/{i}"), c))
        })
        .collect()
}

fn items(n: Option<&Node>) -> &[Node] {
    match n {
        Some(Node::Seq(s)) => s,
        _ => &[],
    }
}

/// Objects of the output by (kind, namespace, name), and pod template
/// labels by namespace.
struct Index<'a> {
    ids: BTreeSet<(&'a str, &'a str, &'a str)>,
    pod_labels: Vec<(&'a str, BTreeMap<&'a str, &'a str>)>,
}

impl<'a> Index<'a> {
    fn new(objects: &[&'a Node]) -> Self {
        let mut ids = BTreeSet::new();
        let mut pod_labels = Vec::new();
        for o in objects {
            let ns = text(o, &["metadata", "namespace"]);
            ids.insert((text(o, &["kind"]), ns, text(o, &["metadata", "name"])));
            if let Some(Node::Map(labels)) = pod_template(o)
                .and_then(|t| t.get("metadata"))
                .and_then(|m| m.get("labels"))
            {
                pod_labels.push((
                    ns,
                    labels
                        .iter()
                        .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
                        .collect(),
                ));
            }
        }
        Index { ids, pod_labels }
    }

    fn has(&self, kind: &str, ns: &str, name: &str) -> bool {
        self.ids.contains(&(kind, ns, name))
    }

    fn any_pod_matches(&self, ns: &str, selector: &BTreeMap<&str, &str>) -> bool {
        self.pod_labels.iter().any(|(pns, labels)| {
            *pns == ns && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
        })
    }
}

fn latest_tag(o: &Node, subject: &str, env: &str, out: &mut Vec<Finding>) {
    let Some(spec) = pod_spec(o) else { return };
    for (at, c) in containers_at(spec, &pod_spec_pointer(o)) {
        let image = text(c, &["image"]);
        if image.contains('@') {
            continue; // pinned by digest
        }
        let last = image.rsplit('/').next().unwrap_or(image);
        let tag = last.split_once(':').map(|(_, t)| t);
        if matches!(tag, None | Some("latest")) {
            out.push(Finding {
                rule: "latest-tag",
                subject: subject.to_string(),
                place: Place::field(format!("{at}/image")),
                message: format!(
                    "container `{}` runs `{image}` in environment `{env}`: {} moves, so a restart can change what runs",
                    text(c, &["name"]),
                    if tag.is_none() { "an image without a tag means `latest`, which" } else { "`latest`" }
                ),
                fix: "set the component's `image.tag` (or a digest) in this environment's values file".into(),
            });
        }
    }
}

fn missing_resources(o: &Node, subject: &str, out: &mut Vec<Finding>) {
    let Some(spec) = pod_spec(o) else { return };
    for (at, c) in containers_at(spec, &pod_spec_pointer(o)) {
        let missing: Vec<&str> = ["requests", "limits"]
            .into_iter()
            .filter(|k| c.get("resources").and_then(|r| r.get(k)).is_none())
            .collect();
        if !missing.is_empty() {
            out.push(Finding {
                rule: "missing-resources",
                subject: subject.to_string(),
                place: Place::field(at),
                message: format!("container `{}` has no resource {}", text(c, &["name"]), missing.join(" or ")),
                fix: "set `resources.requests` (what the scheduler reserves) and `resources.limits` in the component's manifest".into(),
            });
        }
    }
}

fn hpa_target(o: &Node, subject: &str, index: &Index<'_>, out: &mut Vec<Finding>) {
    if text(o, &["kind"]) != "HorizontalPodAutoscaler" {
        return;
    }
    let ns = text(o, &["metadata", "namespace"]);
    let (kind, name) = (
        text(o, &["spec", "scaleTargetRef", "kind"]),
        text(o, &["spec", "scaleTargetRef", "name"]),
    );
    if !index.has(kind, ns, name) {
        out.push(Finding {
            rule: "hpa-target",
            subject: subject.to_string(),
            place: Place::field("/spec/scaleTargetRef".into()),
            message: format!("scales {kind} `{name}`, which is not in the output"),
            fix: "point `spec.scaleTargetRef` at a workload of the output, or enable the component that provides it".into(),
        });
    }
}

fn selector_matches_nothing(o: &Node, subject: &str, index: &Index<'_>, out: &mut Vec<Finding>) {
    let selector = match text(o, &["kind"]) {
        "Service" => o.get("spec").and_then(|s| s.get("selector")),
        // Expressions are not evaluated here: only plain label selectors.
        "PodDisruptionBudget"
            if o.get("spec")
                .and_then(|s| s.get("selector"))
                .and_then(|s| s.get("matchExpressions"))
                .is_none() =>
        {
            o.get("spec")
                .and_then(|s| s.get("selector"))
                .and_then(|s| s.get("matchLabels"))
        }
        _ => None,
    };
    let Some(Node::Map(m)) = selector else { return };
    let selector: BTreeMap<&str, &str> = m
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
        .collect();
    if selector.is_empty() {
        return;
    }
    if !index.any_pod_matches(text(o, &["metadata", "namespace"]), &selector) {
        let shown: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push(Finding {
            rule: "selector-matches-nothing",
            subject: subject.to_string(),
            place: Place::field(match text(o, &["kind"]) {
                "Service" => "/spec/selector".into(),
                _ => "/spec/selector/matchLabels".into(),
            }),
            message: format!("selector {} matches no pod template in the output", shown.join(",")),
            fix: "make the selector equal to labels of the workload's pod template (spec.template.metadata.labels)".into(),
        });
    }
}

/// One object a pod spec names.
struct Reference<'n> {
    kind: &'static str,
    name: &'n str,
    /// Where, in words: `volume \`data\``.
    place: String,
    /// The name's JSON pointer in the pod spec.
    pointer: String,
}

/// Notes that `n`'s field `key` names a `kind`.
fn push<'n>(
    out: &mut Vec<Reference<'n>>,
    kind: &'static str,
    n: &'n Node,
    key: &str,
    place: String,
    pointer: String,
) {
    out.push(Reference {
        kind,
        name: text(n, &[key]),
        place,
        pointer: format!("{pointer}/{key}"),
    });
}

/// The references of a volume: (source field, kind, the source's field
/// that names it).
const VOLUME_REFERENCES: &[(&str, &str, &str)] = &[
    ("configMap", "ConfigMap", "name"),
    ("secret", "Secret", "secretName"),
    (
        "persistentVolumeClaim",
        "PersistentVolumeClaim",
        "claimName",
    ),
];

/// The references of a projected volume's source, as above.
const PROJECTED_REFERENCES: &[(&str, &str, &str)] = &[
    ("configMap", "ConfigMap", "name"),
    ("secret", "Secret", "name"),
];

/// The references of a container's `envFrom` entry, as above.
const ENV_FROM_REFERENCES: &[(&str, &str, &str)] = &[
    ("configMapRef", "ConfigMap", "name"),
    ("secretRef", "Secret", "name"),
];

/// The references of a container's `env[].valueFrom`, as above.
const ENV_REFERENCES: &[(&str, &str, &str)] = &[
    ("configMapKeyRef", "ConfigMap", "name"),
    ("secretKeyRef", "Secret", "name"),
];

/// Notes each reference `table` finds in `n` (at JSON pointer `at`),
/// skipping those marked `optional: true`.
fn push_all<'n>(
    out: &mut Vec<Reference<'n>>,
    table: &[(&str, &'static str, &str)],
    n: &'n Node,
    place: &str,
    at: &str,
) {
    for (field, kind, key) in table {
        let Some(source) = n.get(field) else { continue };
        if matches!(source.get("optional"), Some(Node::Bool(true))) {
            continue;
        }
        push(
            out,
            kind,
            source,
            key,
            place.to_string(),
            format!("{at}/{field}"),
        );
    }
}

/// Each object a pod spec names.
fn references(spec: &Node) -> Vec<Reference<'_>> {
    let mut out = Vec::new();
    if let Some(sa) = spec.get("serviceAccountName") {
        if sa.as_str().is_some_and(|s| s != "default") {
            let place = "serviceAccountName".to_string();
            push(
                &mut out,
                "ServiceAccount",
                spec,
                "serviceAccountName",
                place,
                String::new(),
            );
        }
    }
    for (i, s) in items(spec.get("imagePullSecrets")).iter().enumerate() {
        let at = format!("/imagePullSecrets/{i}");
        push(&mut out, "Secret", s, "name", "imagePullSecrets".into(), at);
    }
    for (i, v) in items(spec.get("volumes")).iter().enumerate() {
        let at = format!("/volumes/{i}");
        let place = format!("volume `{}`", text(v, &["name"]));
        push_all(&mut out, VOLUME_REFERENCES, v, &place, &at);
        let sources = v.get("projected").and_then(|p| p.get("sources"));
        for (j, src) in items(sources).iter().enumerate() {
            let at = format!("{at}/projected/sources/{j}");
            push_all(&mut out, PROJECTED_REFERENCES, src, &place, &at);
        }
    }
    for (at, c) in containers_at(spec, "") {
        let cname = text(c, &["name"]);
        for (i, e) in items(c.get("envFrom")).iter().enumerate() {
            let place = format!("envFrom of container `{cname}`");
            push_all(
                &mut out,
                ENV_FROM_REFERENCES,
                e,
                &place,
                &format!("{at}/envFrom/{i}"),
            );
        }
        for (i, e) in items(c.get("env")).iter().enumerate() {
            let Some(from) = e.get("valueFrom") else {
                continue;
            };
            let place = format!("env `{}` of container `{cname}`", text(e, &["name"]));
            let at = format!("{at}/env/{i}/valueFrom");
            push_all(&mut out, ENV_REFERENCES, from, &place, &at);
        }
    }
    out
}

fn dangling_references(
    o: &Node,
    subject: &str,
    index: &Index<'_>,
    external: &[String],
    out: &mut Vec<Finding>,
) {
    let Some(spec) = pod_spec(o) else { return };
    let ns = text(o, &["metadata", "namespace"]);
    for r in references(spec) {
        let (kind, name, place) = (r.kind, r.name, &r.place);
        if name.is_empty()
            || index.has(kind, ns, name)
            || external.iter().any(|e| *e == format!("{kind}/{name}"))
        {
            continue;
        }
        out.push(Finding {
            rule: "dangling-reference",
            subject: subject.to_string(),
            place: Place::field(format!("{}{}", pod_spec_pointer(o), r.pointer)),
            message: format!("{place} names {kind} `{name}`, which is not in the output"),
            fix: format!("add it to a component, fix the name, or, when it is created outside the project, list `{kind}/{name}` under `lint.external` in the values"),
        });
    }
}

#[cfg(test)]
mod tests;
