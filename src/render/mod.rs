//! The template stage: validated values -> kustomization.yaml text.
//!
//! The kustomization is assembled in three steps, each shown by
//! `compose template`:
//!
//! 1. the project's template (`templates/kustomization.yaml.j2`, or the
//!    built-in one) renders the frame: namespace, base, components in
//!    order, labels, annotations;
//! 2. each enabled component's own template
//!    (`components/<name>/kustomization.yaml.j2`, when it has one) adds
//!    patches and generators that depend on values;
//! 3. the knobs add their `replicas`, `patches` and `configMapGenerator`
//!    entries (see [`crate::knobs`]), last, so the values have the last
//!    word.
//!
//! Templates are rendered safely ([`safe`]): a value can never change the
//! structure of the YAML around it. Rendering is strict: an undefined
//! variable is an error naming the template file and line. Block tags on
//! their own line leave no blank line (`trim_blocks` + `lstrip_blocks`).
//! Output is deterministic; paths are relative to the project root, where
//! the text is laid as `kustomization.yaml`.
//!
//! A template is code from the project, so it runs under limits: a budget
//! of fuel ([`FUEL`]: every instruction and every 64 bytes of data it
//! creates use one), a nesting depth ([`MAX_DEPTH`]: macros, includes,
//! loops), an output size ([`MAX_OUTPUT`]) and bounds on the numbers its
//! filters take (see [`filters`]). A loop that never ends or a value that
//! keeps doubling stops with an error naming the limit, instead of
//! running forever or taking all memory.

pub(crate) mod filters;
pub(crate) mod fragments;
pub(crate) mod safe;

use crate::diagnostic::{Diagnostic, Origin};
use crate::error::Error;
use crate::knobs::Additions;
use crate::project::Project;
use crate::schema::Values;
use compose_kustomize::resource::Resource;
use compose_yaml::{emit_document, Mapping, Node};
use minijinja::value::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The built-in template.
pub(crate) const DEFAULT_TEMPLATE: &str = include_str!("kustomization.yaml.j2");
/// How the built-in template is named in messages.
pub(crate) const DEFAULT_NAME: &str = "<built-in>/kustomization.yaml.j2";

/// The fuel of one render: every instruction uses one, and so does every
/// 64 bytes of data the template creates (output included). The built-in
/// template renders the example project with less than 0.1% of it.
pub(crate) const FUEL: u64 = 1_000_000;
/// How deeply macros, includes and loops may nest, in minijinja's units
/// (a loop counts one, a macro call more); its safe maximum.
pub(crate) const MAX_DEPTH: usize = 500;
/// The most bytes a template may write: far more than any kustomization.
pub(crate) const MAX_OUTPUT: usize = 8 << 20;

/// The template to use for a project: (shown name, text).
pub(crate) fn template_for(project: &Project) -> Result<(String, String), Error> {
    if let Some(text) = crate::owned::read(project, &project.layout.template)? {
        return Ok((project.show(&project.layout.template), text));
    }
    Ok((DEFAULT_NAME.to_string(), DEFAULT_TEMPLATE.to_string()))
}

/// What the templates need to know of the project besides the values.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Layout {
    /// The base folder, relative to the root, when it exists.
    pub(crate) base: Option<String>,
    /// The components folder, relative to the root.
    pub(crate) components: String,
    /// The project's components in application order.
    pub(crate) order: Vec<String>,
    /// The environment being rendered, when one is selected.
    pub(crate) environment: Option<String>,
    /// The tier being rendered, when one is selected.
    pub(crate) tier: Option<String>,
}

impl Layout {
    /// The layout of `project`, with its components in `order`.
    pub(crate) fn of(project: &Project, order: Vec<String>) -> Layout {
        let rel = |p: &Path| p.to_string_lossy().replace('\\', "/");
        Layout {
            base: project
                .path(&project.layout.base)
                .is_dir()
                .then(|| rel(&project.layout.base)),
            components: rel(&project.layout.components),
            order,
            environment: None,
            tier: None,
        }
    }

    /// The folder of component `name`, relative to the root.
    pub(crate) fn folder(&self, name: &str) -> String {
        if self.components.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.components)
        }
    }
}

/// What the generated kustomization is assembled from.
pub(crate) struct Parts<'a> {
    /// The project.
    pub(crate) project: &'a Project,
    /// The validated values.
    pub(crate) values: &'a Values,
    /// Where the parts live, and the components' order.
    pub(crate) layout: &'a Layout,
    /// What the knobs add.
    pub(crate) additions: &'a Additions,
    /// The objects of the build before the generated kustomization's own
    /// steps: what the components' patches can target.
    pub(crate) objects: &'a [Resource],
}

/// How much of the kustomization to assemble. Only the whole is built
/// for the user; the steps before it tell which one adds an entry the
/// engine refuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Upto {
    /// The project's template alone.
    Frame,
    /// The frame and the templates of the first n enabled components.
    Components(usize),
    /// Everything: the frame, the components' templates and the knobs.
    All,
}

/// The generated kustomization of a project, as text.
pub(crate) fn kustomization(parts: &Parts) -> Result<String, Error> {
    assemble(parts, Upto::All)
}

/// Each step of the assembly, with the file or values it comes from, in
/// order: the frame, each enabled component that has its own template,
/// then the knobs.
pub(crate) fn steps(parts: &Parts) -> Result<Vec<(Upto, String)>, Error> {
    let (name, _) = template_for(parts.project)?;
    let mut out = vec![(Upto::Frame, name)];
    for (i, c) in enabled(parts.values, parts.layout).enumerate() {
        let file = Path::new(&parts.layout.folder(c)).join(fragments::FILE);
        if crate::owned::read(parts.project, &file)?.is_some() {
            out.push((Upto::Components(i + 1), parts.project.show(&file)));
        }
    }
    out.push((Upto::All, "the values' knobs".to_string()));
    Ok(out)
}

/// The generated kustomization up to `upto`, as text.
pub(crate) fn assemble(parts: &Parts, upto: Upto) -> Result<String, Error> {
    let Parts {
        project,
        values,
        layout,
        additions,
        objects,
    } = *parts;
    let (name, template) = template_for(project)?;
    let ctx = context(values, layout);
    let mut root = render(&name, &template, ctx.clone())?;
    let part = fragments::Inputs {
        project,
        layout,
        values,
        ctx: &ctx,
        objects,
    };
    let count = match upto {
        Upto::Frame => 0,
        Upto::Components(n) => n,
        Upto::All => usize::MAX,
    };
    for c in enabled(values, layout).take(count) {
        fragments::add(&part, c, &mut root)?;
    }
    if upto == Upto::All {
        add_knobs(&mut root, additions);
    }
    Ok(emit(&root))
}

/// The enabled components, in application order.
fn enabled<'a>(values: &'a Values, layout: &'a Layout) -> impl Iterator<Item = &'a str> + 'a {
    layout
        .order
        .iter()
        .filter(|n| values.components.get(*n).is_some_and(|c| c.enabled))
        .map(String::as_str)
}

/// Renders `template` (named `name` in messages) into a mapping.
pub(crate) fn render(name: &str, template: &str, ctx: Value) -> Result<Mapping, Error> {
    let slots = Arc::new(Mutex::new(safe::Slots::default()));
    let mut env = safe::environment(&slots)?;
    let source: Arc<str> = Arc::from(template);
    let to_diag = |e: minijinja::Error| Error::diagnostic(template_error(name, &source, &e));
    env.add_template_owned(name.to_string(), template.to_string())
        .map_err(to_diag)?;
    let tmpl = env.get_template(name).map_err(to_diag)?;
    let mut out = Limited {
        text: Vec::new(),
        full: false,
    };
    if let Err(e) = tmpl.render_captured_to(ctx, &mut out) {
        let mut d = template_error(name, &source, &e);
        let values_full = slots.lock().map(|s| s.full).unwrap_or(false);
        if out.full || values_full {
            d.message = format!(
                "the template's output exceeds the limit of {} MiB",
                MAX_OUTPUT >> 20
            );
        }
        return Err(Error::diagnostic(d));
    }
    let text = String::from_utf8(out.text)
        .map_err(|_| Error::Internal("the template wrote text that is not UTF-8".into()))?;
    let all = slots
        .lock()
        .map(|mut s| std::mem::take(&mut s.values))
        .map_err(|_| Error::Internal("template values lost".into()))?;
    let mut root = safe::to_tree(name, &text, &all)?;
    inline_patches(&mut root);
    Ok(root)
}

/// A `patches` entry may give its patch as YAML (a mapping for a
/// strategic merge, a list of JSON patch operations) rather than as a
/// text block; kustomize wants text, so it is written out here, after the
/// values are in place.
fn inline_patches(root: &mut Mapping) {
    let Some(Node::Seq(entries)) = root.get_mut("patches") else {
        return;
    };
    for entry in entries {
        if let Some(patch) = entry.get_mut("patch") {
            if matches!(patch, Node::Map(_) | Node::Seq(_)) {
                let text = emit_document(patch);
                *patch = Node::str(text.trim_end());
            }
        }
    }
}

/// The output of a render, refusing to grow past [`MAX_OUTPUT`].
struct Limited {
    text: Vec<u8>,
    /// The limit was reached.
    full: bool,
}

impl std::io::Write for Limited {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.text.len() + buf.len() > MAX_OUTPUT {
            self.full = true;
            return Err(std::io::Error::other("output limit"));
        }
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Appends the knobs' entries to the kustomization's lists.
fn add_knobs(root: &mut Mapping, a: &Additions) {
    let replicas = a.replicas.iter().map(|(name, count)| {
        let mut m = Mapping::new();
        m.insert("name", Node::str(name.as_str()));
        m.insert("count", Node::Int(i64::from(*count)));
        Node::Map(m)
    });
    append(root, "replicas", replicas.collect());
    append(
        root,
        "patches",
        a.patches.iter().map(crate::knobs::Patch::entry).collect(),
    );
    append(root, "configMapGenerator", a.config_maps.clone());
}

/// Appends `items` to the list `key` of the kustomization, creating it.
fn append(root: &mut Mapping, key: &str, items: Vec<Node>) {
    if items.is_empty() {
        return;
    }
    match root.get_mut(key) {
        Some(Node::Seq(list)) => list.extend(items),
        _ => {
            root.insert(key, Node::Seq(items));
        }
    }
}

/// The kustomization's text: its fields in the order the templates wrote
/// them, each written as kustomize writes YAML.
pub(crate) fn emit(root: &Mapping) -> String {
    let mut out = String::new();
    for (key, value) in root.iter() {
        let mut one = Mapping::new();
        one.insert(key.clone(), value.clone());
        out.push_str(&emit_document(&Node::Map(one)));
    }
    out
}

/// The templates' variables. Documented in docs/templates.md.
pub(crate) fn context(values: &Values, layout: &Layout) -> Value {
    let g = &values.globals;
    let opt = |s: &Option<String>| s.as_deref().map(Value::from).unwrap_or(Value::from(()));
    let components: Vec<Value> = enabled(values, layout)
        .map(|name| {
            let mut entry = BTreeMap::new();
            entry.insert("name", Value::from(name));
            entry.insert("path", Value::from(layout.folder(name)));
            entry.insert(
                "values",
                json_value(values.raw.get(name).unwrap_or(&serde_json::Value::Null)),
            );
            Value::from(entry)
        })
        .collect();
    let map = |m: &BTreeMap<String, String>| {
        Value::from(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect::<BTreeMap<String, Value>>(),
        )
    };
    minijinja::context! {
        values => json_value(&values.raw),
        name => opt(&g.name),
        namespace => opt(&g.namespace),
        namePrefix => opt(&g.name_prefix),
        nameSuffix => opt(&g.name_suffix),
        imageRegistry => opt(&g.image_registry),
        labels => map(&g.labels),
        annotations => map(&g.annotations),
        base => layout.base.as_deref().map(Value::from).unwrap_or(Value::from(())),
        components => Value::from(components),
        environment => opt(&layout.environment),
        tier => opt(&layout.tier),
    }
}

/// JSON -> template value (maps keep key order).
pub(crate) fn json_value(v: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::from(()),
        J::Bool(b) => Value::from(*b),
        J::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::from(i),
            (_, Some(u), _) => Value::from(u),
            (_, _, Some(f)) => Value::from(f),
            _ => Value::from(n.to_string()),
        },
        J::String(s) => Value::from(s.as_str()),
        J::Array(a) => Value::from(a.iter().map(json_value).collect::<Vec<_>>()),
        J::Object(o) => Value::from(
            o.iter()
                .map(|(k, v)| (k.clone(), json_value(v)))
                .collect::<BTreeMap<String, Value>>(),
        ),
    }
}

fn template_error(name: &str, source: &Arc<str>, e: &minijinja::Error) -> Diagnostic {
    let (line, col) = match e.range() {
        Some(r) => {
            let before = source.get(..r.start).unwrap_or(source);
            let line = before.matches('\n').count() + 1;
            let col = before
                .rsplit('\n')
                .next()
                .map(|s| s.chars().count() + 1)
                .unwrap_or(1);
            (Some(line), col)
        }
        None => (e.line(), 0),
    };
    let message = match (e.kind(), e.detail()) {
        (minijinja::ErrorKind::OutOfFuel, _) => format!(
            "the template ran out of fuel: it may run {FUEL} steps and create about {} MiB of data (a loop that does not end, or a value that keeps growing?)",
            (FUEL * 64) >> 20
        ),
        (_, Some("recursion limit exceeded")) => {
            "the template nests too deeply: macros that call macros, includes and loops reach the depth limit (a macro that calls itself without end?)".to_string()
        }
        (_, Some(d)) if d.starts_with(safe::FAILED) => d[safe::FAILED.len()..].to_string(),
        (kind, Some(d)) => format!("{kind}: {d}"),
        (kind, None) => kind.to_string(),
    };
    Diagnostic::at(
        Origin::File {
            path: name.to_string(),
            line,
            col,
            source: Some(source.clone()),
        },
        message,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Component;

    fn test_layout() -> Layout {
        Layout {
            base: Some("base".into()),
            components: "components".into(),
            order: ["api", "database", "platform", "redis"]
                .map(String::from)
                .to_vec(),
            ..Layout::default()
        }
    }

    fn values() -> Values {
        let mut v = Values::default();
        v.globals.name = Some("arches".into());
        v.globals.namespace = Some("arches-dev".into());
        for (name, enabled) in [
            ("platform", true),
            ("api", true),
            ("redis", false),
            ("database", true),
        ] {
            let c = Component {
                enabled,
                ..Default::default()
            };
            v.components.insert(name.to_string(), c);
        }
        v
    }

    fn built_in(v: &Values) -> String {
        let root = render(DEFAULT_NAME, DEFAULT_TEMPLATE, context(v, &test_layout())).unwrap();
        emit(&root)
    }

    #[test]
    fn default_template_renders_the_expected_kustomization() {
        // Hand-written expectation in the shape of the blueprint.
        let expected = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: arches-dev\nresources:\n- base\ncomponents:\n- components/api\n- components/database\n- components/platform\n";
        assert_eq!(built_in(&values()), expected);
    }

    #[test]
    fn globals_render_and_strings_stay_strings() {
        let mut v = values();
        v.globals.labels.insert("team".into(), "core".into());
        v.globals.annotations.insert("owner".into(), "yes".into());
        v.globals.name_prefix = Some("p-".into());
        let out = built_in(&v);
        assert!(out.contains("namePrefix: p-\n"), "{out}");
        assert!(
            out.ends_with("labels:\n- includeTemplates: true\n  pairs:\n    team: core\ncommonAnnotations:\n  owner: \"yes\"\n"),
            "{out}"
        );
    }

    #[test]
    fn a_value_cannot_change_the_kustomization_s_structure() {
        let mut v = values();
        let evil = "first line\nreplicas: [{name: x, count: 9}]\n# comment";
        v.globals
            .annotations
            .insert("description".into(), evil.into());
        v.globals.namespace = Some("ns\nnamePrefix: hacked-".into());
        let out = built_in(&v);
        let parsed = compose_yaml::parse_one(&out).unwrap();
        assert_eq!(
            parsed.str_at(&["commonAnnotations", "description"]),
            Some(evil)
        );
        assert_eq!(
            parsed.str_at(&["namespace"]),
            Some("ns\nnamePrefix: hacked-")
        );
        assert!(
            parsed.get("replicas").is_none() && parsed.get("namePrefix").is_none(),
            "{out}"
        );
    }

    #[test]
    fn rendering_is_deterministic() {
        let a = built_in(&values());
        for _ in 0..5 {
            assert_eq!(built_in(&values()), a);
        }
    }

    #[test]
    fn undefined_variables_name_file_and_line() {
        let err = render(
            "templates/kustomization.yaml.j2",
            "kind: Kustomization\nnamespace: {{ nmespace }}\n",
            context(&values(), &test_layout()),
        )
        .unwrap_err();
        let Error::Diagnostics(ds) = err else {
            panic!("not a diagnostic")
        };
        let h = ds[0].headline();
        assert!(h.starts_with("templates/kustomization.yaml.j2:2:"), "{h}");
        assert!(h.contains("undefined"), "{h}");
    }

    #[test]
    fn raw_values_are_reachable() {
        let mut v = values();
        v.raw = serde_json::json!({"api": {"replicas": 4}});
        let m = render(
            "t",
            "count: {{ values.api.replicas }}",
            context(&v, &Layout::default()),
        )
        .unwrap();
        assert_eq!(m.get("count"), Some(&Node::Int(4)), "{m:?}");
    }
}
