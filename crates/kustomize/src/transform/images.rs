//! Image references: `images:` entries and the ImageTagTransformer
//! configuration form.
//!
//! kustomize v5.5.0 updates images in two passes, and this module does the
//! same, because the passes are visible: a `tagSuffix` is appended twice.
//! 1. A legacy pass over every object except CustomResourceDefinitions:
//!    any `containers` or `initContainers` sequence at any depth; each
//!    element must be a mapping, and its `image` (if present) is updated.
//! 2. A pass over the image field specs (never creating anything), again
//!    skipping CustomResourceDefinitions.
//!
//! An entry's `name` matches an image when the image is the name followed
//! by an optional `:tag` and an optional `@sha256:digest`. kustomize builds
//! a regular expression from the name without escaping it, so a `.` in the
//! name matches any character and an invalid name fails the build; that is
//! reproduced by compiling it as a Go pattern (see [`crate::go_regex`]).

use super::{scalar_value, wrong_kind};
use crate::config::{self, apply_field_specs, gvk_of, FieldSpec};
use crate::error::Error;
use crate::error::Result;
use crate::go_regex;
use crate::resource::Resource;
use compose_yaml::Node;
use regex::Regex;

/// One `images:` entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct ImageSpec {
    /// The image name to match (a registry/path, without tag or digest).
    pub(crate) name: String,
    /// Replacement name.
    pub(crate) new_name: String,
    /// Replacement tag.
    pub(crate) new_tag: String,
    /// Text appended to the current tag.
    pub(crate) tag_suffix: String,
    /// Replacement digest (`sha256:...`).
    pub(crate) digest: String,
}

impl ImageSpec {
    /// Reads a kustomization's `{name, newName, newTag, tagSuffix, digest}`
    /// strictly: values must be strings and unknown keys are errors.
    pub(crate) fn from_node(node: &Node) -> Result<ImageSpec> {
        ImageSpec::parse(node, false)
    }

    /// Reads the `imageTag` of an ImageTagTransformer configuration, whose
    /// decoder takes numbers as their text (`newTag: 1.20` is `1.2`).
    pub(crate) fn from_config_node(node: &Node) -> Result<ImageSpec> {
        ImageSpec::parse(node, true)
    }

    fn parse(node: &Node, lenient: bool) -> Result<ImageSpec> {
        let m = match node {
            Node::Map(m) => m,
            Node::Null => return Ok(ImageSpec::default()),
            other => return Err(config::type_error("images", "types.Image", other)),
        };
        if !lenient {
            config::check_known_fields(m, &["name", "newName", "newTag", "tagSuffix", "digest"])?;
        }
        let s = |k: &str| {
            if lenient {
                config::string_field_lenient(m, k)
            } else {
                config::string_field(m, k)
            }
            .map(Option::unwrap_or_default)
        };
        Ok(ImageSpec {
            name: s("name")?,
            new_name: s("newName")?,
            new_tag: s("newTag")?,
            tag_suffix: s("tagSuffix")?,
            digest: s("digest")?,
        })
    }

    fn rewrite_with(&self, pattern: &NameTest, image: &str) -> Result<Option<String>> {
        if !pattern.is_match(image) {
            return Ok(None);
        }
        let (name, tag, digest) = split_image(image);
        let mut name = if self.new_name.is_empty() {
            name.to_string()
        } else {
            self.new_name.clone()
        };
        let (tag, digest) = if !self.new_tag.is_empty() && !self.digest.is_empty() {
            (self.new_tag.clone(), self.digest.clone())
        } else if !self.new_tag.is_empty() {
            (self.new_tag.clone(), String::new())
        } else if !self.digest.is_empty() {
            (String::new(), self.digest.clone())
        } else if !self.tag_suffix.is_empty() {
            (format!("{tag}{}", self.tag_suffix), String::new())
        } else {
            (tag.to_string(), digest.to_string())
        };
        if !tag.is_empty() {
            name.push(':');
            name.push_str(&tag);
        }
        if !digest.is_empty() {
            name.push('@');
            name.push_str(&digest);
        }
        Ok(Some(name))
    }
}

/// Splits an image reference `[host[:port]/]path[:tag][@digest]` into
/// name, tag and digest (without their separators), kustomize's way: the
/// first `:` or `@` after the first `/` (or anywhere, without a `/`) ends
/// the name.
pub(crate) fn split_image(image: &str) -> (&str, &str, &str) {
    let slash = match image.find('/') {
        Some(i) if i > 0 => i,
        _ => 0,
    };
    let search = &image[slash..];
    let at = search.find('@');
    let colon = search.find(':');
    match (colon, at) {
        (None, None) => (image, "", ""),
        (c, Some(a)) if c.is_none_or(|c| a < c) => {
            let a = a + slash;
            (&image[..a], "", &image[a + 1..])
        }
        (Some(c), Some(a)) => {
            let (c, a) = (c + slash, a + slash);
            (&image[..c], &image[c + 1..a], &image[a + 1..])
        }
        (Some(c), None) => {
            let c = c + slash;
            (&image[..c], &image[c + 1..], "")
        }
        (None, Some(_)) => (image, "", ""),
    }
}

/// Whether `image` is `name` plus optional `:tag` and `@sha256:digest`.
/// As in kustomize, the whole test is the regular expression
/// `^NAME(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$` with the name
/// inserted unescaped, searched for anywhere in the image (so a `.` in the
/// name matches any character, and an invalid name is an error).
fn name_pattern(name: &str) -> Result<Regex> {
    go_regex::compile(&format!(
        "^{name}(:[a-zA-Z0-9_.{{}}-]*)?(@sha256:[a-zA-Z0-9_.{{}}-]*)?$"
    ))
    .map_err(|why| {
        Error::transformer(format!(
            "error parsing regexp: {why} (in the name `{name}` of an images entry)"
        ))
    })
}

/// The name test of one images entry. Most names are plain image names,
/// whose only regular-expression character is `.` (any character): those
/// are matched here, as the regular expression would match them, without
/// compiling one, which would cost time and tens of kilobytes per entry
/// (an overlay may have hundreds). Other names compile.
enum NameTest {
    /// A name of plain characters and `.` wildcards.
    Plain(Vec<char>),
    /// Any other name, as kustomize's regular expression.
    Pattern(Regex),
}

impl NameTest {
    fn new(name: &str) -> Result<NameTest> {
        const SPECIAL: &[char] = &[
            '\\', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$',
        ];
        if name.contains(SPECIAL) {
            return Ok(NameTest::Pattern(name_pattern(name)?));
        }
        Ok(NameTest::Plain(name.chars().collect()))
    }

    fn is_match(&self, image: &str) -> bool {
        match self {
            NameTest::Pattern(re) => re.is_match(image),
            NameTest::Plain(name) => {
                let mut chars = image.chars();
                let prefix = name.iter().all(|&want| match chars.next() {
                    Some(got) => got == want || (want == '.' && got != '\n'),
                    None => false,
                });
                prefix && tag_and_digest(chars.as_str())
            }
        }
    }
}

/// Whether `rest` is `(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?`
/// and nothing more: what follows the name in [`name_pattern`].
fn tag_and_digest(rest: &str) -> bool {
    let word = |s: &str| {
        s.find(|c: char| !(c.is_ascii_alphanumeric() || "_.{}-".contains(c)))
            .unwrap_or(s.len())
    };
    let mut rest = rest;
    if let Some(tag) = rest.strip_prefix(':') {
        rest = &tag[word(tag)..];
    }
    if let Some(digest) = rest.strip_prefix("@sha256:") {
        rest = &digest[word(digest)..];
    }
    rest.is_empty()
}

/// Whether an images entry named `name` selects `image`; checks that the
/// plain-name test agrees with kustomize's regular expression.
#[cfg(test)]
fn name_matches(name: &str, image: &str) -> Result<bool> {
    let fast = NameTest::new(name)?.is_match(image);
    let full = name_pattern(name)?.is_match(image);
    assert_eq!(fast, full, "name {name:?}, image {image:?}");
    Ok(fast)
}

/// Applies one `images:` entry to every resource: the legacy containers
/// pass, then the field specs.
pub(crate) fn set_images(
    resources: &mut [Resource],
    image: &ImageSpec,
    specs: &[FieldSpec],
) -> Result<()> {
    let is_crd = |r: &Resource| gvk_of(&r.node).kind == "CustomResourceDefinition";
    // compiled on first use: kustomize only fails on a bad name when it
    // meets an image to compare
    let mut updater = Updater {
        image,
        pattern: None,
    };
    for r in resources.iter_mut().filter(|r| !is_crd(r)) {
        legacy_walk(&mut r.node, &mut updater)?;
    }
    for r in resources.iter_mut().filter(|r| !is_crd(r)) {
        apply_field_specs(&mut r.node, specs, None, &mut |n| updater.update(n))?;
    }
    Ok(())
}

/// Applies several `images:` entries in order, with the same result as
/// [`set_images`] once per entry, but visiting each image field once.
///
/// For every image field the entries are tried in order, each as many
/// times as the per-entry passes would visit the field (once by the
/// containers pass, once more per image field spec that names it). Entries
/// whose name is plain text are looked up by the field's current image
/// name; only the others are tried on every field.
pub(crate) fn set_images_all(
    resources: &mut [Resource],
    images: &[ImageSpec],
    specs: &[FieldSpec],
) -> Result<()> {
    if images.is_empty() {
        return Ok(());
    }
    // Names made of plain characters and `.` (which matches any one
    // character) can only match an image whose first characters equal the
    // name once the same positions are masked with `.`. Names are grouped
    // by length and dot positions, and looked up by the masked prefix.
    let simple = |n: &str| {
        !n.is_empty()
            && n.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'-' | b'_' | b'.'))
    };
    // (name length, dot positions, image entries by masked name)
    type Group<'a> = (
        usize,
        Vec<usize>,
        rustc_hash::FxHashMap<&'a str, Vec<usize>>,
    );
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut others: Vec<usize> = Vec::new();
    for (i, img) in images.iter().enumerate() {
        if !simple(&img.name) {
            others.push(i);
            continue;
        }
        let dots: Vec<usize> = img
            .name
            .bytes()
            .enumerate()
            .filter(|(_, c)| *c == b'.')
            .map(|(j, _)| j)
            .collect();
        let len = img.name.len();
        let g = match groups.iter().position(|(l, d, _)| *l == len && *d == dots) {
            Some(g) => g,
            None => {
                groups.push((len, dots, Default::default()));
                groups.len() - 1
            }
        };
        groups[g].2.entry(img.name.as_str()).or_default().push(i);
    }
    let candidates_from = |value: &str, next: usize| -> Option<usize> {
        let mut best: Option<usize> = others.iter().copied().find(|&i| i >= next);
        for (len, dots, map) in &groups {
            let Some(prefix) = value.as_bytes().get(..*len) else {
                continue;
            };
            let mut key = prefix.to_vec();
            for &d in dots {
                key[d] = b'.';
            }
            let Ok(key) = std::str::from_utf8(&key) else {
                continue;
            };
            if let Some(hit) = map
                .get(key)
                .and_then(|v| v.iter().copied().find(|&i| i >= next))
            {
                best = Some(best.map_or(hit, |b| b.min(hit)));
            }
        }
        best
    };
    let mut patterns: Vec<Option<NameTest>> = (0..images.len()).map(|_| None).collect();
    let spec_segments: Vec<Vec<config::PathSegment>> =
        specs.iter().map(FieldSpec::segments).collect();
    for r in resources.iter_mut() {
        if gvk_of(&r.node).kind == "CustomResourceDefinition" {
            continue;
        }
        // Which scalar fields each pass visits, in visiting order, with how
        // many visits each gets per entry.
        let mut fields: Vec<(Vec<Step>, usize)> = Vec::new();
        let note = |path: Vec<Step>, fields: &mut Vec<(Vec<Step>, usize)>| match fields
            .iter_mut()
            .find(|(p, _)| *p == path)
        {
            Some((_, n)) => *n += 1,
            None => fields.push((path, 1)),
        };
        let mut legacy = Vec::new();
        legacy_paths(&r.node, &mut Vec::new(), &mut legacy)?;
        for p in legacy {
            note(p, &mut fields);
        }
        let mut spec_fields = Vec::new();
        let gvk = gvk_of(&r.node);
        for (spec, segments) in specs.iter().zip(&spec_segments) {
            if !spec.gvk.selects(&gvk) {
                continue;
            }
            spec_paths(&r.node, segments, &mut Vec::new(), &mut spec_fields)?;
        }
        for p in spec_fields {
            note(p, &mut fields);
        }
        for (path, visits) in fields {
            let Some(node) = node_at(&mut r.node, &path) else {
                continue;
            };
            let Some(mut value) = scalar_value(node) else {
                return Err(wrong_kind("ScalarNode", node));
            };
            let mut changed = false;
            let mut next = 0;
            while let Some(e) = candidates_from(&value, next) {
                for _ in 0..visits {
                    if patterns[e].is_none() {
                        patterns[e] = Some(NameTest::new(&images[e].name)?);
                    }
                    let Some(pattern) = patterns[e].as_ref() else {
                        break;
                    };
                    if let Some(new) = images[e].rewrite_with(pattern, &value)? {
                        value = new;
                        changed = true;
                    }
                }
                next = e + 1;
            }
            if changed {
                *node = Node::str(value);
            }
        }
    }
    Ok(())
}

/// One step of a path into a document.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

fn node_at<'a>(node: &'a mut Node, path: &[Step]) -> Option<&'a mut Node> {
    let mut cur = node;
    for step in path {
        cur = match (cur, step) {
            (Node::Map(m), Step::Key(k)) => m.get_mut(k)?,
            (Node::Seq(s), Step::Index(i)) => s.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// A [`Step`] borrowed from the document, for walks that visit every
/// field but keep few paths.
#[derive(Clone, Copy)]
enum At<'a> {
    Key(&'a str),
    Index(usize),
}

fn owned(path: &[At<'_>]) -> Vec<Step> {
    path.iter()
        .map(|s| match s {
            At::Key(k) => Step::Key(k.to_string()),
            At::Index(i) => Step::Index(*i),
        })
        .collect()
}

/// The `image` fields the containers pass visits (see [`legacy_walk`]).
fn legacy_paths<'a>(
    node: &'a Node,
    path: &mut Vec<At<'a>>,
    out: &mut Vec<Vec<Step>>,
) -> Result<()> {
    match node {
        Node::Map(m) => {
            for (key, value) in m.iter() {
                path.push(At::Key(key));
                legacy_paths(value, path, out)?;
                if key == "containers" || key == "initContainers" {
                    if let Node::Seq(items) = value {
                        for (i, item) in items.iter().enumerate() {
                            match item {
                                Node::Map(c) => {
                                    if c.get("image").is_some_and(|img| !img.is_null()) {
                                        let mut p = owned(path);
                                        p.push(Step::Index(i));
                                        p.push(Step::Key("image".into()));
                                        out.push(p);
                                    }
                                }
                                Node::Null => {}
                                other => return Err(wrong_kind("MappingNode", other)),
                            }
                        }
                    }
                }
                path.pop();
            }
            Ok(())
        }
        Node::Seq(items) => {
            for (i, n) in items.iter().enumerate() {
                path.push(At::Index(i));
                legacy_paths(n, path, out)?;
                path.pop();
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The fields a field spec names, walked without creating anything.
fn spec_paths<'a>(
    node: &'a Node,
    segs: &'a [config::PathSegment],
    path: &mut Vec<At<'a>>,
    out: &mut Vec<Vec<Step>>,
) -> Result<()> {
    let Some((seg, rest)) = segs.split_first() else {
        out.push(owned(path));
        return Ok(());
    };
    match node {
        Node::Null => Ok(()),
        Node::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(At::Index(i));
                spec_paths(item, segs, path, out)?;
                path.pop();
            }
            Ok(())
        }
        Node::Map(m) => match m.get(&seg.key) {
            Some(v) => {
                path.push(At::Key(&seg.key));
                spec_paths(v, rest, path, out)?;
                path.pop();
                Ok(())
            }
            None => Ok(()),
        },
        _ => Err(crate::error::Error::transformer(
            "expected sequence or mapping node",
        )),
    }
}

struct Updater<'a> {
    image: &'a ImageSpec,
    pattern: Option<NameTest>,
}

impl Updater<'_> {
    fn update(&mut self, node: &mut Node) -> Result<()> {
        let Some(value) = scalar_value(node) else {
            return Err(wrong_kind("ScalarNode", node));
        };
        let pattern = match self.pattern.take() {
            Some(p) => p,
            None => NameTest::new(&self.image.name)?,
        };
        let result = self.image.rewrite_with(&pattern, &value);
        self.pattern = Some(pattern);
        if let Some(new) = result? {
            *node = Node::str(new);
        }
        Ok(())
    }
}

fn legacy_walk(node: &mut Node, image: &mut Updater<'_>) -> Result<()> {
    match node {
        Node::Map(m) => {
            for (key, value) in m.iter_mut() {
                legacy_walk(value, image)?;
                if key == "containers" || key == "initContainers" {
                    if let Node::Seq(items) = value {
                        for item in items.iter_mut() {
                            match item {
                                Node::Map(c) => {
                                    if let Some(img) = c.get_mut("image") {
                                        if !img.is_null() {
                                            image.update(img)?;
                                        }
                                    }
                                }
                                Node::Null => {}
                                other => return Err(wrong_kind("MappingNode", other)),
                            }
                        }
                    }
                }
            }
            Ok(())
        }
        Node::Seq(items) => items.iter_mut().try_for_each(|n| legacy_walk(n, image)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::TransformerConfig;
    use compose_yaml::parse_stream;

    fn img(name: &str, new_name: &str, new_tag: &str, digest: &str, suffix: &str) -> ImageSpec {
        ImageSpec {
            name: name.into(),
            new_name: new_name.into(),
            new_tag: new_tag.into(),
            digest: digest.into(),
            tag_suffix: suffix.into(),
        }
    }

    #[test]
    fn split_forms() {
        assert_eq!(split_image("nginx"), ("nginx", "", ""));
        assert_eq!(split_image("nginx:1.0"), ("nginx", "1.0", ""));
        assert_eq!(split_image("nginx@sha256:123"), ("nginx", "", "sha256:123"));
        assert_eq!(
            split_image("nginx:1.0@sha256:123"),
            ("nginx", "1.0", "sha256:123")
        );
        assert_eq!(
            split_image("reg.io:5000/app:v1"),
            ("reg.io:5000/app", "v1", "")
        );
        assert_eq!(split_image("reg.io:5000/app"), ("reg.io:5000/app", "", ""));
        assert_eq!(
            split_image("reg.io/a/b@sha256:1"),
            ("reg.io/a/b", "", "sha256:1")
        );
    }

    const POD: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers:
  - image: nginx
  - image: nginx:1.0
  - image: nginx@sha256:123
  - image: nginx:1.0@sha256:123
  - image: docker.io/nginx:1.0
  - image: reg.io:5000/app:v1
  - image: reg.io:5000/app
  - image: busybox:latest
  - image: abc
  - image: a.c
  - image: abc:1
  - image: redis:6@sha256:zzz
  - image: mem:1
  - name: noimage
  initContainers:
  - image: nginx:x
---
apiVersion: example.com/v1
kind: Custom
metadata:
  name: c
spec:
  deep:
    containers:
    - image: nginx
    - image: busybox
  other:
    image: nginx
  x:
    initContainers: notaseq
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crd
spec:
  containers:
  - image: nginx
"#;

    #[test]
    fn images_like_kubectl() {
        // oracle: the images list below over POD
        let tc = TransformerConfig::default();
        let mut rs: Vec<Resource> = parse_stream(POD)
            .unwrap()
            .into_iter()
            .map(Resource::new)
            .collect();
        for i in [
            img("nginx", "", "1.21", "", ""),
            img("reg.io:5000/app", "other.io/app2", "", "sha256:abc", ""),
            img("busybox", "bb", "", "", ""),
            img("a.c", "", "dotted", "", ""),
            img("redis", "", "7", "sha256:def", ""),
            img("mem", "", "", "", "-x"),
        ] {
            set_images(&mut rs, &i, &tc.images).unwrap();
        }
        let images = |n: &Node, path: &[&str]| -> Vec<Option<String>> {
            n.get_path(path)
                .and_then(Node::as_seq)
                .unwrap()
                .iter()
                .map(|c| c.str_at(&["image"]).map(str::to_string))
                .collect()
        };
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            images(&rs[0].node, &["spec", "containers"]),
            vec![
                s("nginx:1.21"),
                s("nginx:1.21"),
                s("nginx:1.21"),
                s("nginx:1.21"),
                s("docker.io/nginx:1.0"),
                s("other.io/app2@sha256:abc"),
                s("other.io/app2@sha256:abc"),
                s("bb:latest"),
                s("abc:dotted"),
                s("a.c:dotted"),
                s("abc:dotted"),
                s("redis:7@sha256:def"),
                s("mem:1-x-x"),
                None,
            ]
        );
        assert_eq!(
            images(&rs[0].node, &["spec", "initContainers"]),
            vec![s("nginx:1.21")]
        );
        assert_eq!(
            images(&rs[1].node, &["spec", "deep", "containers"]),
            vec![s("nginx:1.21"), s("bb")]
        );
        assert_eq!(
            rs[1].node.str_at(&["spec", "other", "image"]),
            Some("nginx")
        );
        assert_eq!(
            images(&rs[2].node, &["spec", "containers"]),
            vec![s("nginx")]
        );
    }

    #[test]
    fn legacy_pass_errors_and_skips() {
        // oracle: a scalar container element is an error; a mapping-valued
        // `containers` is ignored; null and numeric images are left alone
        let tc = TransformerConfig::default();
        let i = img("nginx", "", "1.21", "", "");
        let mut rs: Vec<Resource> = parse_stream("apiVersion: example.com/v1\nkind: Custom\nmetadata:\n  name: c\nspec:\n  a:\n    containers:\n    - str\n")
            .unwrap()
            .into_iter()
            .map(Resource::new)
            .collect();
        assert_eq!(
            set_images(&mut rs, &i, &tc.images)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("wrong node kind: expected MappingNode but got ScalarNode: node contents:\nstr")
        );
        let doc = "apiVersion: example.com/v1\nkind: Custom\nmetadata:\n  name: c\nspec:\n  a:\n    containers:\n    - image: nginx\n    - image: 5\n    - image: null\n    - image: \"\"\n  containers:\n    x: 1\n";
        let mut rs: Vec<Resource> = parse_stream(doc)
            .unwrap()
            .into_iter()
            .map(Resource::new)
            .collect();
        set_images(&mut rs, &i, &tc.images).unwrap();
        let want = parse_stream(&doc.replace("- image: nginx\n", "- image: nginx:1.21\n")).unwrap();
        assert_eq!(rs[0].node, want[0]);
        // the default specs reach `spec/initContainers` of any kind: a scalar there fails
        let mut rs: Vec<Resource> = parse_stream("apiVersion: example.com/v1\nkind: Custom\nmetadata:\n  name: c\nspec:\n  initContainers: notaseq\n")
            .unwrap()
            .into_iter()
            .map(Resource::new)
            .collect();
        assert_eq!(
            set_images(&mut rs, &i, &tc.images).err().map(|e| e.to_string()).as_deref(),
            Some("considering field 'spec/initContainers[]/image' of object Custom.v1.example.com/c.[noNs]: expected sequence or mapping node"));
    }

    #[test]
    fn matching_rules() {
        let name_matches = |n: &str, i: &str| name_matches(n, i).unwrap();
        assert!(name_matches("nginx", "nginx"));
        assert!(name_matches("nginx", "nginx:1.0"));
        assert!(name_matches("nginx", "nginx@sha256:abc"));
        assert!(name_matches("nginx", "nginx:1@sha256:abc"));
        assert!(!name_matches("nginx", "nginx@md5:abc"));
        assert!(!name_matches("nginx", "nginxx"));
        assert!(!name_matches("nginx", "docker.io/nginx"));
        assert!(name_matches("a.c", "abc"));
        assert!(name_matches("nginx", "nginx:{{tag}}"));
        assert!(!name_matches("nginx", "nginx:a/b"));
        assert!(name_matches("reg.io:5000/app", "reg.io:5000/app:v1"));
        assert!(name_matches("(nginx|redis)", "redis:7"));
    }

    #[test]
    fn plain_names_match_as_their_regular_expression_does() {
        let names = [
            "nginx",
            "a.c",
            "reg.io:5000/app",
            "h\u{e9}llo",
            "x",
            "a-b_c.d",
        ];
        let images = [
            "nginx",
            "nginx:",
            "nginx:1.0@sha256:ab",
            "nginx@sha256:",
            "nginx:1@sha256:a:b",
            "nginx:1@md5:a",
            "nginx::1",
            "nginx:{{t}}",
            "abc",
            "a\nc",
            "a\u{e9}c",
            "reg.io:5000/app:v1",
            "regxio:5000/app",
            "h\u{e9}llo:1",
            "hello",
            "x@sha256:0",
            "x:a b",
            "a-b_c.d:1",
            "a-b_cxd",
            "",
            "nginx:1.0 ",
        ];
        for name in names {
            for image in images {
                name_matches(name, image).unwrap();
            }
        }
    }

    #[test]
    fn null_sequences_become_empty() {
        // oracle: commonLabels + images over a StatefulSet with null fields
        let tc = TransformerConfig::default();
        let mut rs: Vec<Resource> = parse_stream("apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: s\n  labels: null\nspec:\n  volumeClaimTemplates: null\n  template:\n    metadata: null\n    spec:\n      containers: null\n      initContainers: [null]\n")
            .unwrap()
            .into_iter()
            .map(Resource::new)
            .collect();
        let labels = [("a".to_string(), "b".to_string())].into_iter().collect();
        crate::transform::add_labels(&mut rs, &labels, &tc.common_labels).unwrap();
        set_images(&mut rs, &img("nginx", "", "2", "", ""), &tc.images).unwrap();
        let want = parse_stream("apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: s\n  labels: {a: b}\nspec:\n  volumeClaimTemplates: []\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: []\n      initContainers: [null]\n  selector: {matchLabels: {a: b}}\n").unwrap();
        assert_eq!(rs[0].node, want[0]);
    }

    #[test]
    fn regex_names_like_kubectl() {
        // oracle: names used as regular expressions
        let tc = TransformerConfig::default();
        let mut rs: Vec<Resource> = parse_stream("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - image: nginx:1\n  - image: redis\n  - image: busybox:1.2\n  - image: xyz:1\n  - image: myalpine\n  - image: alpine:3@sha256:1\n")
            .unwrap()
            .into_iter()
            .map(Resource::new)
            .collect();
        for i in [
            img("(nginx|redis)", "", "9", "", ""),
            img("bus.*", "bb", "", "", ""),
            img("x|alpine", "", "3", "", ""),
        ] {
            set_images(&mut rs, &i, &tc.images).unwrap();
        }
        let got: Vec<&str> = rs[0]
            .node
            .get_path(&["spec", "containers"])
            .and_then(Node::as_seq)
            .unwrap()
            .iter()
            .map(|c| c.str_at(&["image"]).unwrap())
            .collect();
        assert_eq!(
            got,
            vec![
                "nginx:9",
                "redis:9",
                "bb:1.2",
                "xyz:3",
                "myalpine:3",
                "alpine:3"
            ]
        );
    }

    #[test]
    fn regex_names_are_refused() {
        // oracle conformance case: an images entry named "[" makes kubectl fail
        let mut rs: Vec<Resource> = parse_stream("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: deploy\nspec:\n  template:\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.7.9\n")
            .unwrap()
            .into_iter()
            .map(Resource::new)
            .collect();
        let tc = TransformerConfig::default();
        let err = set_images(&mut rs, &img("[", "", "v2", "", ""), &tc.images).unwrap_err();
        assert_eq!(
            err.to_string(),
            "error parsing regexp: unopened group (in the name `[` of an images entry)"
        );
    }

    #[test]
    fn image_from_node() {
        let n = compose_yaml::parse_one("name: a\nnewName: b\nnewTag: \"1\"\ndigest: sha256:x\n")
            .unwrap();
        assert_eq!(
            ImageSpec::from_node(&n).unwrap(),
            img("a", "b", "1", "sha256:x", "")
        );
        let n = compose_yaml::parse_one("name: a\nnewTag: 1.0\n").unwrap();
        assert_eq!(
            ImageSpec::from_node(&n)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("json: cannot unmarshal number into Go struct field newTag of type string")
        );
    }
}
