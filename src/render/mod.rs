//! The template stage: validated values -> kustomization.yaml text.
//!
//! The default template is built into the binary
//! (`src/render/kustomization.yaml.j2`); a project overrides it with
//! `templates/kustomization.yaml.j2`. Rendering is strict: an undefined
//! variable is an error naming the template file and line. Blocks trim
//! their own line (`trim_blocks` + `lstrip_blocks`), so a `{% if %}` on a
//! line of its own leaves no blank line.
//!
//! A template is code from the project, so it runs under limits: a budget
//! of fuel ([`FUEL`]: every instruction and every 64 bytes of data it
//! creates use one), a nesting depth ([`MAX_DEPTH`]: macros, includes,
//! loops), an output size ([`MAX_OUTPUT`]) and bounds on the numbers its
//! filters take (see [`filters`]). A loop that never ends or
//! a value that keeps doubling stops with an error naming the limit,
//! instead of running forever or taking all memory.
//!
//! Output is deterministic: components, replicas and images are sorted by
//! component name, maps are iterated in key order. Paths are relative to
//! the project root, where the text is laid as `kustomization.yaml`.

pub mod filters;

use crate::diagnostic::{Diagnostic, Origin};
use crate::error::Error;
use crate::project::Project;
use crate::schema::Values;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Value;
use minijinja::{Environment, UndefinedBehavior};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

/// The built-in template.
pub const DEFAULT_TEMPLATE: &str = include_str!("kustomization.yaml.j2");
/// How the built-in template is named in messages.
pub const DEFAULT_NAME: &str = "<built-in>/kustomization.yaml.j2";

/// The fuel of one render: every instruction uses one, and so does every
/// 64 bytes of data the template creates (output included). The built-in
/// template renders the example project with less than 0.1% of it.
pub const FUEL: u64 = 1_000_000;
/// How deeply macros, includes and loops may nest, in minijinja's units
/// (a loop counts one, a macro call more); its safe maximum.
pub const MAX_DEPTH: usize = 500;
/// The most bytes a template may write: far more than any kustomization.
pub const MAX_OUTPUT: usize = 8 << 20;

/// The template to use for a project: (shown name, text).
pub fn template_for(project: &Project) -> Result<(String, String), Error> {
    if let Some(text) = crate::owned::read(project, &project.layout.template)? {
        return Ok((project.show(&project.layout.template), text));
    }
    Ok((DEFAULT_NAME.to_string(), DEFAULT_TEMPLATE.to_string()))
}

/// What the template needs to know of the project besides the values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layout {
    /// The base folder, relative to the root, when it exists.
    pub base: Option<String>,
    /// The components folder, relative to the root.
    pub components: String,
    /// The project's components in application order.
    pub order: Vec<String>,
}

impl Layout {
    /// The layout of `project`, with its components in `order`.
    pub fn of(project: &Project, order: Vec<String>) -> Layout {
        let rel = |p: &Path| p.to_string_lossy().replace('\\', "/");
        Layout {
            base: project
                .path(&project.layout.base)
                .is_dir()
                .then(|| rel(&project.layout.base)),
            components: rel(&project.layout.components),
            order,
        }
    }
}

/// Renders `template` (named `name` in messages) with the values.
pub fn render(
    name: &str,
    template: &str,
    values: &Values,
    layout: &Layout,
) -> Result<String, Error> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_recursion_limit(MAX_DEPTH);
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build();
    match syntax {
        Ok(s) => env.set_syntax(s),
        Err(e) => return Err(Error::Internal(format!("template syntax: {e}"))),
    }
    filters::register(&mut env);
    let source: Arc<str> = Arc::from(template);
    let to_diag = |e: minijinja::Error| template_error(name, &source, &e);
    env.add_template_owned(name.to_string(), template.to_string())
        .map_err(|e| Error::diagnostic(to_diag(e)))?;
    let tmpl = env
        .get_template(name)
        .map_err(|e| Error::diagnostic(to_diag(e)))?;
    let mut out = Limited {
        text: Vec::new(),
        full: false,
    };
    let rendered = tmpl
        .render_captured_to(context(values, layout), &mut out)
        .map(drop);
    match rendered {
        Ok(()) => String::from_utf8(out.text)
            .map_err(|_| Error::Internal("the template wrote text that is not UTF-8".into())),
        Err(e) => {
            let mut d = to_diag(e);
            if out.full {
                d.message = format!(
                    "the template's output exceeds the limit of {} MiB",
                    MAX_OUTPUT >> 20
                );
            }
            Err(Error::diagnostic(d))
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

/// The template's variables. Documented in docs/templates.md.
pub fn context(values: &Values, layout: &Layout) -> Value {
    let g = &values.globals;
    let opt = |s: &Option<String>| {
        s.as_ref()
            .map(|s| Value::from(s.as_str()))
            .unwrap_or(Value::from(()))
    };
    let mut components = Vec::new();
    let mut replicas = Vec::new();
    let mut images = Vec::new();
    let enabled = layout
        .order
        .iter()
        .filter_map(|n| Some((n, values.components.get(n)?)))
        .filter(|(_, c)| c.enabled);
    for (name, c) in enabled {
        let workload = c.workload.clone().unwrap_or_else(|| match &g.name {
            Some(n) => format!("{n}-{name}"),
            None => name.clone(),
        });
        let mut image = BTreeMap::new();
        if let Some(repo) = &c.image.repository {
            let new_name = g
                .image_registry
                .as_ref()
                .map(|r| format!("{}/{repo}", r.trim_end_matches('/')));
            if c.image.tag.is_some() || c.image.digest.is_some() || new_name.is_some() {
                image.insert("name", Value::from(repo.as_str()));
                image.insert("newName", opt(&new_name));
                image.insert("newTag", opt(&c.image.tag));
                image.insert("digest", opt(&c.image.digest));
                images.push(Value::from(image.clone()));
            }
        }
        if let Some(n) = c.replicas {
            let mut r = BTreeMap::new();
            r.insert("name", Value::from(workload.as_str()));
            r.insert("count", Value::from(n));
            replicas.push(Value::from(r));
        }
        let mut entry = BTreeMap::new();
        entry.insert("name", Value::from(name.as_str()));
        entry.insert("path", Value::from(join(&layout.components, name)));
        entry.insert(
            "replicas",
            c.replicas.map(Value::from).unwrap_or(Value::from(())),
        );
        entry.insert("workload", Value::from(workload));
        entry.insert(
            "image",
            if image.is_empty() {
                Value::from(())
            } else {
                Value::from(image)
            },
        );
        components.push(Value::from(entry));
    }
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
        replicas => Value::from(replicas),
        images => Value::from(images),
    }
}

/// `dir/name`, or `name` for the root.
fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// JSON -> template value (maps keep key order).
pub fn json_value(v: &serde_json::Value) -> Value {
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
    use crate::schema::{Component, Globals, Image};

    fn test_layout() -> Layout {
        Layout {
            base: Some("base".into()),
            components: "components".into(),
            order: ["api", "database", "platform", "redis"]
                .map(String::from)
                .to_vec(),
        }
    }

    fn values() -> Values {
        let mut components = BTreeMap::new();
        let img = |r: &str, t: &str| Image {
            repository: Some(r.into()),
            tag: Some(t.into()),
            digest: None,
        };
        components.insert(
            "platform".to_string(),
            Component {
                enabled: true,
                replicas: Some(1),
                image: img("arches/platform", "latest"),
                workload: None,
            },
        );
        components.insert(
            "api".to_string(),
            Component {
                enabled: true,
                replicas: Some(1),
                image: img("arches/api", "latest"),
                workload: None,
            },
        );
        components.insert(
            "redis".to_string(),
            Component {
                enabled: false,
                ..Default::default()
            },
        );
        components.insert(
            "database".to_string(),
            Component {
                enabled: true,
                ..Default::default()
            },
        );
        Values {
            globals: Globals {
                name: Some("arches".into()),
                namespace: Some("arches-dev".into()),
                ..Default::default()
            },
            components,
            raw: serde_json::json!({}),
        }
    }

    #[test]
    fn default_template_renders_the_expected_kustomization() {
        // Hand-written expectation in the shape of the blueprint.
        let expected = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: arches-dev\nresources:\n  - base\ncomponents:\n  - components/api\n  - components/database\n  - components/platform\nreplicas:\n  - name: arches-api\n    count: 1\n  - name: arches-platform\n    count: 1\nimages:\n  - name: arches/api\n    newTag: latest\n  - name: arches/platform\n    newTag: latest\n";
        assert_eq!(
            render(DEFAULT_NAME, DEFAULT_TEMPLATE, &values(), &test_layout()).unwrap(),
            expected
        );
    }

    #[test]
    fn globals_render_and_strings_stay_strings() {
        let mut v = values();
        v.globals.labels.insert("team".into(), "core".into());
        v.globals.annotations.insert("owner".into(), "yes".into());
        v.globals.image_registry = Some("ghcr.io/acme/".into());
        v.globals.name_prefix = Some("p-".into());
        if let Some(api) = v.components.get_mut("api") {
            api.image.tag = Some("1.10".into());
        }
        let out = render(DEFAULT_NAME, DEFAULT_TEMPLATE, &v, &test_layout()).unwrap();
        assert!(out.contains("namePrefix: p-\n"), "{out}");
        assert!(out.contains("  - name: arches/api\n    newName: ghcr.io/acme/arches/api\n    newTag: \"1.10\"\n"), "{out}");
        assert!(out.ends_with("labels:\n  - pairs:\n      team: core\n    includeTemplates: true\ncommonAnnotations:\n  owner: \"yes\"\n"), "{out}");
        let parsed = compose_yaml::parse_one(&out).unwrap();
        assert_eq!(
            parsed
                .get_path(&["images"])
                .and_then(|i| i.as_seq())
                .map(Vec::len),
            Some(2)
        );
    }

    #[test]
    fn rendering_is_deterministic() {
        let a = render(DEFAULT_NAME, DEFAULT_TEMPLATE, &values(), &test_layout()).unwrap();
        for _ in 0..5 {
            assert_eq!(
                render(DEFAULT_NAME, DEFAULT_TEMPLATE, &values(), &test_layout()).unwrap(),
                a
            );
        }
    }

    #[test]
    fn undefined_variables_name_file_and_line() {
        let err = render(
            "templates/kustomization.yaml.j2",
            "kind: Kustomization\nnamespace: {{ nmespace }}\n",
            &values(),
            &test_layout(),
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
        assert_eq!(
            render("t", "{{ values.api.replicas }}", &v, &Layout::default()).unwrap(),
            "4"
        );
    }
}
