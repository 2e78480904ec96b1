//! Where each workload kind keeps its pod template: one table for the
//! knobs that patch pod templates, the lint rules that read them and
//! the diagram that draws what pods use.

/// Each workload kind and the path of its pod template.
pub(crate) const POD_TEMPLATES: &[(&str, &[&str])] = &[
    ("Deployment", &["spec", "template"]),
    ("StatefulSet", &["spec", "template"]),
    ("DaemonSet", &["spec", "template"]),
    ("ReplicaSet", &["spec", "template"]),
    ("ReplicationController", &["spec", "template"]),
    ("Job", &["spec", "template"]),
    ("CronJob", &["spec", "jobTemplate", "spec", "template"]),
];

/// The path of the pod template of `kind`, when it is a workload.
pub(crate) fn pod_template_path(kind: &str) -> Option<&'static [&'static str]> {
    POD_TEMPLATES
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, path)| *path)
}
