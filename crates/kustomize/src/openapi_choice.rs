//! Which OpenAPI schema a build's strategic merges consult: the
//! kustomization field `openapi:` (`path:` a custom schema file, or
//! `version:` of the embedded Kubernetes schema).
//!
//! kustomize keeps one schema for the whole build, and its rules are
//! followed here:
//!
//! - The top kustomization's field decides first. A kustomization entered
//!   later (a base, a component, a directory of generator or transformer
//!   configs) changes the choice only while no field has made one yet;
//!   its `path:` file is read in any case, so a missing file is an error.
//! - Giving both `path:` and `version:` is an error, as is a version other
//!   than the one embedded (`v1.21.2`).
//! - The chosen schema is read lazily: the next time a strategic merge
//!   needs it, or an object of a type outside kustomize's precomputed
//!   scope table is met (kustomize then asks the schema whether the type
//!   is namespaced). If the embedded schema was read before a custom
//!   file was chosen, kustomize indexes the custom file on top of it
//!   instead of in its place: custom definitions win by name, and the
//!   embedded kinds and definitions stay visible.

use super::config;
use super::error::{Error, Result};
use super::kustomization::Kustomization;
use super::loader::Loader;
use super::patch::{CustomSchema, Schema};
use super::resource::Gvk;
use std::cell::RefCell;
use std::rc::Rc;

/// The only Kubernetes schema version kustomize v5.5.0 embeds.
pub(crate) const BUILTIN_VERSION: &str = "v1.21.2";

/// The schema state of one build, shared by every loader of the build.
#[derive(Debug)]
pub(crate) struct OpenApi {
    state: RefCell<State>,
}

#[derive(Debug)]
struct State {
    /// Whether an `openapi:` field has chosen a schema.
    chosen: bool,
    /// A schema chosen but not read yet.
    pending: Option<Pending>,
    /// The schema as read so far; `None` before the first read.
    read: Option<Rc<Schema>>,
}

#[derive(Debug)]
enum Pending {
    Builtin,
    Custom(CustomSchema),
}

impl Default for OpenApi {
    fn default() -> Self {
        // Until a field chooses, the embedded schema is the one to read.
        OpenApi {
            state: RefCell::new(State {
                chosen: false,
                pending: Some(Pending::Builtin),
                read: None,
            }),
        }
    }
}

impl OpenApi {
    /// The schema in force now (reading the chosen one if needed).
    pub(crate) fn schema(&self) -> Rc<Schema> {
        let mut state = self.state.borrow_mut();
        if let Some(pending) = state.pending.take() {
            let read = match (state.read.take(), pending) {
                (None, Pending::Builtin) => Rc::new(Schema::Builtin),
                (Some(read), Pending::Builtin) => read,
                (read, Pending::Custom(c)) => match read.as_deref() {
                    Some(Schema::Builtin | Schema::Layered(_)) => Rc::new(Schema::Layered(c)),
                    _ => Rc::new(Schema::Custom(c)),
                },
            };
            state.read = Some(read);
        }
        state
            .read
            .clone()
            .unwrap_or_else(|| Rc::new(Schema::Builtin))
    }

    /// Notes that an object (or a generator or transformer config) of
    /// this type was loaded: kustomize reads its schema then unless the
    /// type is in its precomputed scope table.
    pub(crate) fn met(&self, api_version: &str, kind: &str) {
        let (group, version) = config::parse_group_version(api_version);
        let gvk = Gvk {
            group,
            version,
            kind: kind.into(),
        };
        if config::known_scope(&gvk).is_none() {
            self.schema();
        }
    }

    /// Notes every object of a list of documents (see [`OpenApi::met`]).
    pub(crate) fn met_all<'n>(&self, docs: impl IntoIterator<Item = &'n compose_yaml::Node>) {
        for d in docs {
            self.met(
                d.str_at(&["apiVersion"]).unwrap_or(""),
                d.str_at(&["kind"]).unwrap_or(""),
            );
        }
    }

    /// kustomize's `SetSchema`: applies an `openapi:` field whose `path:`
    /// file (if any) has been read. `top` is true for the kustomization
    /// the build starts at, whose field always counts.
    fn choose(&self, field: &[(String, String)], file: Option<&str>, top: bool) -> Result<()> {
        let mut state = self.state.borrow_mut();
        if state.chosen && !top {
            return Ok(());
        }
        let version = field
            .iter()
            .find(|(k, _)| k == "version")
            .map(|(_, v)| v.as_str());
        if let Some(text) = file {
            if version.is_some() {
                return Err(Error::configuration(
                    "builtin version and custom schema provided, cannot use both",
                ));
            }
            state.chosen = true;
            state.pending = Some(Pending::Custom(parse_custom(text)?));
            return Ok(());
        }
        match version {
            None | Some("") => Ok(()),
            Some(BUILTIN_VERSION) => {
                state.chosen = true;
                state.pending = Some(Pending::Builtin);
                Ok(())
            }
            Some(_) => Err(Error::configuration(
                "the specified OpenAPI version is not built in",
            )),
        }
    }
}

/// A custom schema file: JSON, or YAML when it does not start with `{`.
fn parse_custom(text: &str) -> Result<CustomSchema> {
    let doc = compose_yaml::parse_one(text)
        .map_err(|e| Error::configuration(format!("invalid schema file: {e}")))?;
    CustomSchema::from_node(&doc)
}

/// Applies a kustomization's `openapi:` field as the build enters it
/// (`top` for the kustomization the build starts at).
pub(crate) fn enter(loader: &Loader<'_>, kust: &Kustomization, top: bool) -> Result<()> {
    let field = kust.str_map("openapi");
    let file = match field.iter().find(|(k, _)| k == "path") {
        Some((_, path)) => Some(loader.read_text(path)?),
        None => None,
    };
    loader.openapi().choose(&field, file.as_deref(), top)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"definitions": {"x.Foo": {"x-kubernetes-group-version-kind": [{"group": "example.com", "version": "v1", "kind": "Foo"}]}}}"#;

    fn field(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn knows(s: &Schema, api_version: &str, kind: &str) -> bool {
        s.for_kind(api_version, kind).is_known()
    }

    #[test]
    fn the_embedded_schema_holds_by_default() {
        let o = OpenApi::default();
        o.choose(&[], None, true).unwrap();
        assert!(knows(&o.schema(), "apps/v1", "Deployment"));
    }

    #[test]
    fn a_custom_schema_read_first_replaces_the_embedded_one() {
        let o = OpenApi::default();
        o.choose(&field(&[("path", "s.json")]), Some(DOC), true)
            .unwrap();
        let s = o.schema();
        assert!(knows(&s, "example.com/v1", "Foo"));
        assert!(!knows(&s, "apps/v1", "Deployment"));
    }

    #[test]
    fn a_custom_schema_chosen_after_the_embedded_one_was_read_adds_to_it() {
        let o = OpenApi::default();
        o.choose(&[], None, true).unwrap();
        // A custom kind: kustomize reads the (embedded) schema to learn its scope.
        o.met("example.com/v1", "Bar");
        o.choose(&field(&[("path", "s.json")]), Some(DOC), false)
            .unwrap();
        let s = o.schema();
        assert!(knows(&s, "example.com/v1", "Foo"));
        assert!(knows(&s, "apps/v1", "Deployment"));
    }

    #[test]
    fn types_in_the_scope_table_do_not_read_the_schema() {
        let o = OpenApi::default();
        o.met("apps/v1", "Deployment");
        o.choose(&field(&[("path", "s.json")]), Some(DOC), false)
            .unwrap();
        assert!(!knows(&o.schema(), "apps/v1", "Deployment"));
    }

    #[test]
    fn the_first_choice_stays_below_the_top() {
        let o = OpenApi::default();
        o.choose(&field(&[("version", BUILTIN_VERSION)]), None, true)
            .unwrap();
        // Ignored, even with both keys.
        o.choose(
            &field(&[("path", "s.json"), ("version", "v1")]),
            Some(DOC),
            false,
        )
        .unwrap();
        assert!(!knows(&o.schema(), "example.com/v1", "Foo"));
    }

    #[test]
    fn invalid_choices() {
        let o = OpenApi::default();
        let err = o
            .choose(
                &field(&[("path", "s.json"), ("version", "")]),
                Some(DOC),
                true,
            )
            .unwrap_err();
        assert!(err.to_string().contains("cannot use both"), "{err}");
        let err = o
            .choose(&field(&[("version", "v1.14.1")]), None, true)
            .unwrap_err();
        assert!(err.to_string().contains("not built in"), "{err}");
        // An empty version chooses nothing.
        o.choose(&field(&[("version", "")]), None, false).unwrap();
        o.choose(&field(&[("path", "s.json")]), Some(DOC), false)
            .unwrap();
        assert!(knows(&o.schema(), "example.com/v1", "Foo"));
    }

    #[test]
    fn yaml_schema_files() {
        let o = OpenApi::default();
        let text = "definitions:\n  x.Foo:\n    x-kubernetes-group-version-kind:\n    - {group: example.com, version: v1, kind: Foo}\n";
        o.choose(&field(&[("path", "s.yaml")]), Some(text), true)
            .unwrap();
        assert!(knows(&o.schema(), "example.com/v1", "Foo"));
    }

    /// Whole builds; the expected texts are what `kubectl kustomize`
    /// printed for the same trees.
    mod builds {
        use crate::fs::InMemory;
        use crate::{build_yaml, BuildOptions};
        use std::path::Path;

        const OBJECTS: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: d
spec:
  template:
    spec:
      containers:
      - {name: a, image: a}
      - {name: b, image: b}
---
apiVersion: example.com/v1
kind: Foo
metadata:
  name: f
spec:
  byName:
    a:
      list: [x, y]
  refd:
  - {name: a, v: 1}
  sib:
  - {name: a, v: 1}
";

        const PATCHES: &str = "patches:
- patch: |-
    apiVersion: example.com/v1
    kind: Foo
    metadata:
      name: f
    spec:
      byName:
        a:
          list: [z]
      refd:
      - {name: b, v: 2}
      sib:
      - {name: b, v: 2}
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: d
    spec:
      template:
        spec:
          containers:
          - {name: b, image: z}
";

        // Map values, a list described through a `$ref`, and extensions
        // beside a `$ref` (which are ignored).
        const SCHEMA: &str = "definitions:
  x.Foo:
    x-kubernetes-group-version-kind:
    - {group: example.com, kind: Foo, version: v1}
    properties:
      spec: {$ref: '#/definitions/x.Spec'}
  x.Spec:
    properties:
      byName: {type: object, additionalProperties: {$ref: '#/definitions/x.Entry'}}
      refd: {$ref: '#/definitions/x.List'}
      sib: {$ref: '#/definitions/x.Plain', x-kubernetes-patch-strategy: merge, x-kubernetes-patch-merge-key: name}
  x.Entry:
    properties:
      list: {type: array, items: {type: string}, x-kubernetes-patch-strategy: merge}
  x.List: {type: array, items: {type: object}, x-kubernetes-patch-strategy: merge, x-kubernetes-patch-merge-key: name}
  x.Plain: {type: array, items: {type: object}}
";

        const FOO: &str = "apiVersion: example.com/v1
kind: Foo
metadata:
  name: f
spec:
  byName:
    a:
      list:
      - z
      - x
      - \"y\"
  refd:
  - name: b
    v: 2
  - name: a
    v: 1
  sib:
  - name: b
    v: 2
";

        fn build(files: &[(&str, &str)], dir: &str) -> String {
            let mut fs = InMemory::new();
            for (p, c) in files {
                fs.add_file(format!("/t/{p}"), *c);
            }
            build_yaml(&fs, &Path::new("/t").join(dir), &BuildOptions::default()).unwrap()
        }

        #[test]
        fn a_custom_schema_at_the_top_replaces_the_embedded_one() {
            let kust =
                format!("resources:\n- objects.yaml\nopenapi:\n  path: schema.yaml\n{PATCHES}");
            let out = build(
                &[
                    ("kustomization.yaml", &kust),
                    ("objects.yaml", OBJECTS),
                    ("schema.yaml", SCHEMA),
                ],
                "",
            );
            // The Deployment is unknown to the custom schema: its
            // containers are replaced.
            let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - image: z\n        name: b\n";
            assert_eq!(out, format!("{deployment}---\n{FOO}"));
        }

        #[test]
        fn a_component_schema_adds_to_the_embedded_one_already_read() {
            let comp = format!("kind: Component\nopenapi:\n  path: schema.yaml\n{PATCHES}");
            let files = [
                ("base/kustomization.yaml", "resources:\n- objects.yaml\n"),
                ("base/objects.yaml", OBJECTS),
                ("comp/kustomization.yaml", comp.as_str()),
                ("comp/schema.yaml", SCHEMA),
                (
                    "overlay/kustomization.yaml",
                    "resources:\n- ../base\ncomponents:\n- ../comp\n",
                ),
            ];
            // Loading the custom kind Foo made kustomize read the embedded
            // schema, so the Deployment's containers still merge.
            let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - image: z\n        name: b\n      - image: a\n        name: a\n";
            assert_eq!(build(&files, "overlay"), format!("{deployment}---\n{FOO}"));
        }

        #[test]
        fn a_version_at_the_top_wins_over_a_base_schema() {
            let kust = format!("resources:\n- base\nopenapi:\n  version: v1.21.2\n{PATCHES}");
            let files = [
                (
                    "base/kustomization.yaml",
                    "resources:\n- objects.yaml\nopenapi:\n  path: schema.yaml\n",
                ),
                ("base/objects.yaml", OBJECTS),
                ("base/schema.yaml", SCHEMA),
                ("kustomization.yaml", kust.as_str()),
            ];
            // Foo is unknown to the embedded schema: its lists are replaced.
            let expected = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  template:\n    spec:\n      containers:\n      - image: z\n        name: b\n      - image: a\n        name: a\n---\napiVersion: example.com/v1\nkind: Foo\nmetadata:\n  name: f\nspec:\n  byName:\n    a:\n      list:\n      - z\n  refd:\n  - name: b\n    v: 2\n  sib:\n  - name: b\n    v: 2\n";
            assert_eq!(build(&files, ""), expected);
        }

        #[test]
        fn a_missing_schema_file_is_an_error_even_when_ignored() {
            let mut fs = InMemory::new();
            fs.add_file(
                "/t/kustomization.yaml",
                "resources:\n- base\nopenapi:\n  version: v1.21.2\n",
            );
            fs.add_file(
                "/t/base/kustomization.yaml",
                "openapi:\n  path: missing.json\n",
            );
            let err = build_yaml(&fs, Path::new("/t"), &BuildOptions::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("missing.json"), "{err}");
        }
    }
}
