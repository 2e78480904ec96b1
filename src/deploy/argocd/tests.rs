//! ApplicationSet structure checks and the shipped plugin files.
//!
//! The allowed field names below are the ApplicationSet and Application
//! API's own (argoproj.io/v1alpha1), written down by hand: every key the
//! generated set uses must be one of them, required fields must be there,
//! and expanding the generators the way Argo CD does must give every
//! Application a complete, unique name.

use super::*;
use compose_yaml::{emit_document, parse_one, parse_stream};
use std::collections::BTreeMap;

/// Allowed keys at each position of an ApplicationSet. Positions are
/// written as dotted paths with `[]` for sequence items.
fn allowed() -> BTreeMap<&'static str, &'static [&'static str]> {
    let generator: &[&str] = &[
        "list",
        "matrix",
        "merge",
        "clusters",
        "git",
        "scmProvider",
        "clusterDecisionResource",
        "pullRequest",
        "plugin",
        "selector",
    ];
    BTreeMap::from([
        ("", &["apiVersion", "kind", "metadata", "spec"][..]),
        (
            "metadata",
            &["name", "namespace", "labels", "annotations"][..],
        ),
        (
            "spec",
            &[
                "generators",
                "template",
                "goTemplate",
                "goTemplateOptions",
                "syncPolicy",
                "strategy",
                "preservedFields",
                "ignoreApplicationDifferences",
                "templatePatch",
                "applyNestedSelectors",
            ][..],
        ),
        ("spec.generators[]", generator),
        (
            "spec.generators[].list",
            &["elements", "elementsYaml", "template"][..],
        ),
        ("spec.generators[].matrix", &["generators", "template"][..]),
        ("spec.generators[].matrix.generators[]", generator),
        (
            "spec.generators[].matrix.generators[].list",
            &["elements", "elementsYaml", "template"][..],
        ),
        ("spec.template", &["metadata", "spec"][..]),
        (
            "spec.template.metadata",
            &["name", "namespace", "labels", "annotations", "finalizers"][..],
        ),
        (
            "spec.template.spec",
            &[
                "project",
                "source",
                "sources",
                "destination",
                "syncPolicy",
                "ignoreDifferences",
                "info",
                "revisionHistoryLimit",
            ][..],
        ),
        (
            "spec.template.spec.source",
            &[
                "repoURL",
                "targetRevision",
                "path",
                "plugin",
                "helm",
                "kustomize",
                "directory",
                "chart",
                "ref",
                "name",
            ][..],
        ),
        (
            "spec.template.spec.source.plugin",
            &["name", "env", "parameters"][..],
        ),
        (
            "spec.template.spec.source.plugin.env[]",
            &["name", "value"][..],
        ),
        (
            "spec.template.spec.destination",
            &["server", "name", "namespace"][..],
        ),
        (
            "spec.template.spec.syncPolicy",
            &[
                "automated",
                "syncOptions",
                "retry",
                "managedNamespaceMetadata",
            ][..],
        ),
        (
            "spec.template.spec.syncPolicy.automated",
            &["prune", "selfHeal", "allowEmpty"][..],
        ),
    ])
}

/// Positions whose keys are free-form (labels, list elements).
const FREE: &[&str] = &[
    "metadata.labels",
    "spec.template.metadata.labels",
    "spec.generators[].list.elements[]",
    "spec.generators[].matrix.generators[].list.elements[]",
];

fn check_keys(node: &Node, at: &str, table: &BTreeMap<&str, &[&str]>) {
    match node {
        Node::Map(m) => {
            if FREE.contains(&at) {
                return;
            }
            let keys = table
                .get(at)
                .unwrap_or_else(|| panic!("unexpected object at {at:?}"));
            for (k, v) in m.iter() {
                assert!(keys.contains(&k.as_str()), "unknown field {k:?} at {at:?}");
                let next = if at.is_empty() {
                    k.to_string()
                } else {
                    format!("{at}.{k}")
                };
                check_keys(v, &next, table);
            }
        }
        Node::Seq(items) => items
            .iter()
            .for_each(|i| check_keys(i, &format!("{at}[]"), table)),
        _ => {}
    }
}

/// Parameter sets the generators produce, as Argo CD combines them.
fn expand(gen: &Node) -> Vec<BTreeMap<String, String>> {
    if let Some(l) = gen.get("list") {
        return l
            .get("elements")
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .map(|e| {
                e.as_map()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.as_str().unwrap().to_string()))
                    .collect()
            })
            .collect();
    }
    let m = gen.get("matrix").expect("list or matrix");
    let gens = m.get("generators").unwrap().as_seq().unwrap();
    assert_eq!(gens.len(), 2, "a matrix combines exactly two generators");
    let (a, b) = (expand(&gens[0]), expand(&gens[1]));
    let mut out = Vec::new();
    for x in &a {
        for y in &b {
            let mut p = x.clone();
            for (k, v) in y {
                assert!(
                    p.insert(k.clone(), v.clone()).is_none(),
                    "parameter {k} from both sides"
                );
            }
            out.push(p);
        }
    }
    out
}

/// Renders `{{.key}}` placeholders; a missing key fails as with
/// `missingkey=error`.
fn render(text: &str, params: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        out.push_str(&rest[..i]);
        let j = rest[i..].find("}}").unwrap() + i;
        let key = rest[i + 2..j].trim().strip_prefix('.').unwrap();
        out.push_str(
            params
                .get(key)
                .unwrap_or_else(|| panic!("missing parameter {key}")),
        );
        rest = &rest[j + 2..];
    }
    out.push_str(rest);
    out
}

fn render_node(n: &Node, p: &BTreeMap<String, String>) -> Node {
    match n {
        Node::Str(t) => Node::str(render(t, p)),
        Node::Seq(v) => Node::Seq(v.iter().map(|x| render_node(x, p)).collect()),
        Node::Map(m) => Node::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), render_node(v, p)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Checks the set and returns the Applications it generates.
fn validate(set: &Node) -> Vec<Node> {
    check_keys(set, "", &allowed());
    assert_eq!(set.str_at(&["apiVersion"]), Some("argoproj.io/v1alpha1"));
    assert_eq!(set.str_at(&["kind"]), Some("ApplicationSet"));
    assert!(set.str_at(&["metadata", "name"]).is_some());
    assert_eq!(
        set.get_path(&["spec", "goTemplate"]),
        Some(&Node::Bool(true))
    );
    let gens = set
        .get_path(&["spec", "generators"])
        .unwrap()
        .as_seq()
        .unwrap();
    assert_eq!(gens.len(), 1);
    let template = set.get_path(&["spec", "template"]).unwrap();
    let mut names = HashSet::new();
    let mut apps = Vec::new();
    for params in expand(&gens[0]) {
        let app = render_node(template, &params);
        for path in [
            &["metadata", "name"][..],
            &["spec", "project"],
            &["spec", "source", "repoURL"],
            &["spec", "source", "targetRevision"],
            &["spec", "source", "path"],
            &["spec", "source", "plugin", "name"],
            &["spec", "destination", "namespace"],
        ] {
            assert!(
                app.str_at(path).is_some_and(|v| !v.is_empty()),
                "{path:?} missing"
            );
        }
        let dest = app
            .get_path(&["spec", "destination"])
            .unwrap()
            .as_map()
            .unwrap();
        assert!(
            dest.contains_key("server") ^ dest.contains_key("name"),
            "exactly one of server and name"
        );
        let name = app.str_at(&["metadata", "name"]).unwrap().to_string();
        assert!(is_dns_label(&name), "{name}");
        assert!(names.insert(name.clone()), "duplicate Application {name}");
        apps.push(app);
    }
    apps
}

fn names(apps: &[Node]) -> Vec<String> {
    apps.iter()
        .map(|a| a.str_at(&["metadata", "name"]).unwrap().to_string())
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn spec() -> AppSetSpec {
    with_namespaces(AppSetSpec::new(
        "shop",
        "https://git.example.com/shop.git",
        strings(&["dev", "staging", "prod"]),
    ))
}

/// Gives every pair of `sp` a namespace as a render might: prod's is the
/// project's own name, the others' name their tier and environment.
fn with_namespaces(mut sp: AppSetSpec) -> AppSetSpec {
    sp.namespaces = sp
        .pairs()
        .into_iter()
        .map(|(env, tier)| {
            let ns = match (&tier, env.as_str()) {
                (None, "prod") => "shop".to_string(),
                (None, _) => format!("shop-{env}"),
                (Some(t), _) => format!("{env}-{t}"),
            };
            ((env, tier), ns)
        })
        .collect();
    sp
}

#[test]
fn environments_only_is_a_list_generator() {
    let set = appset(&spec()).unwrap();
    assert!(set
        .get_path(&["spec", "generators"])
        .unwrap()
        .as_seq()
        .unwrap()[0]
        .get("list")
        .is_some());
    let apps = validate(&set);
    assert_eq!(
        names(&apps),
        strings(&["shop-dev", "shop-staging", "shop-prod"])
    );
    let prod = &apps[2];
    assert_eq!(
        prod.str_at(&["spec", "destination", "server"]),
        Some(IN_CLUSTER)
    );
    assert_eq!(
        prod.str_at(&["spec", "destination", "namespace"]),
        Some("shop"),
        "the namespace its render gives, not one made up from the names"
    );
    assert_eq!(
        prod.str_at(&["spec", "source", "plugin", "name"]),
        Some("compose")
    );
    assert_eq!(
        prod.str_at(&["spec", "source", "targetRevision"]),
        Some("HEAD")
    );
    let env = prod.get_path(&["spec", "source", "plugin", "env"]).unwrap();
    assert_eq!(
        env,
        &parse_one("- name: COMPOSE_ENV\n  value: prod\n").unwrap()
    );
    assert!(
        prod.get_path(&["spec", "syncPolicy", "automated"])
            .is_none(),
        "manual sync unless asked"
    );
}

#[test]
fn the_emitted_yaml_is_what_was_hand_checked() {
    let mut sp = with_namespaces(AppSetSpec::new(
        "shop",
        "https://git.example.com/shop.git",
        strings(&["dev"]),
    ));
    sp.auto_sync = true;
    let text = emit_document(&appset(&sp).unwrap());
    let expected = "\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: shop
  namespace: argocd
spec:
  generators:
  - list:
      elements:
      - env: dev
        namespace: shop-dev
  goTemplate: true
  goTemplateOptions:
  - missingkey=error
  template:
    metadata:
      labels:
        app.kubernetes.io/part-of: shop
      name: shop-{{.env}}
    spec:
      destination:
        namespace: '{{.namespace}}'
        server: https://kubernetes.default.svc
      project: default
      source:
        path: .
        plugin:
          env:
          - name: COMPOSE_ENV
            value: '{{.env}}'
          name: compose
        repoURL: https://git.example.com/shop.git
        targetRevision: HEAD
      syncPolicy:
        automated:
          prune: true
          selfHeal: true
        syncOptions:
        - CreateNamespace=true
        - ServerSideApply=true
";
    assert_eq!(text, expected);
    // And it reads back as the same document (keys come back sorted).
    let back = parse_stream(&text).unwrap();
    assert_eq!(back.len(), 1);
    assert_eq!(emit_document(&back[0]), text);
}

#[test]
fn tiers_list_every_pair_with_its_namespace() {
    let mut sp = spec();
    sp.tiers = strings(&["small", "large"]);
    let sp = with_namespaces(sp);
    let set = appset(&sp).unwrap();
    assert!(
        set.get_path(&["spec", "generators"])
            .unwrap()
            .as_seq()
            .unwrap()[0]
            .get("list")
            .is_some(),
        "one list of pairs: a matrix could not carry a namespace per pair"
    );
    let apps = validate(&set);
    assert_eq!(
        names(&apps),
        strings(&[
            "shop-small-dev",
            "shop-large-dev",
            "shop-small-staging",
            "shop-large-staging",
            "shop-small-prod",
            "shop-large-prod"
        ])
    );
    assert_eq!(
        apps[1].str_at(&["spec", "destination", "namespace"]),
        Some("dev-large")
    );
    let env = apps[1]
        .get_path(&["spec", "source", "plugin", "env"])
        .unwrap();
    assert_eq!(
        env,
        &parse_one("- name: COMPOSE_ENV\n  value: dev\n- name: COMPOSE_TIER\n  value: large\n")
            .unwrap()
    );
}

#[test]
fn clusters_are_destinations_by_name() {
    let mut sp = spec();
    sp.envs = strings(&["prod"]);
    sp.clusters = strings(&["eu-west", "us-east"]);
    let apps = validate(&appset(&sp).unwrap());
    assert_eq!(
        names(&apps),
        strings(&["shop-prod-eu-west", "shop-prod-us-east"])
    );
    assert_eq!(
        apps[1].str_at(&["spec", "destination", "name"]),
        Some("us-east")
    );
    assert_eq!(
        apps[1].str_at(&["spec", "destination", "namespace"]),
        Some("shop")
    );
}

#[test]
fn tiers_and_clusters_cross_the_pairs_with_the_clusters() {
    let mut sp = spec();
    sp.envs = strings(&["dev", "prod"]);
    sp.tiers = strings(&["small"]);
    sp.clusters = strings(&["a", "b"]);
    let sp = with_namespaces(sp);
    let set = appset(&sp).unwrap();
    let apps = validate(&set);
    assert_eq!(
        names(&apps),
        strings(&[
            "shop-small-dev-a",
            "shop-small-dev-b",
            "shop-small-prod-a",
            "shop-small-prod-b"
        ])
    );
    assert_eq!(apps[3].str_at(&["spec", "destination", "name"]), Some("b"));
    assert_eq!(
        apps[3].str_at(&["spec", "destination", "namespace"]),
        Some("prod-small")
    );
}

#[test]
fn invalid_specs_are_refused() {
    let mut sp = spec();
    sp.envs.clear();
    assert_eq!(
        appset(&sp).unwrap_err().to_string(),
        "an ApplicationSet needs at least one environment"
    );
    let mut sp = spec();
    sp.envs.push("Prod".to_string());
    assert_eq!(
        appset(&sp).unwrap_err().to_string(),
        "environment \"Prod\" is not a valid name: use lowercase letters, digits and '-' (at most 63)"
    );
    let mut sp = spec();
    sp.tiers = strings(&["a", "a"]);
    assert_eq!(
        appset(&sp).unwrap_err().to_string(),
        "tier \"a\" is given twice"
    );
    let mut sp = spec();
    sp.repo_url = " ".to_string();
    assert_eq!(
        appset(&sp).unwrap_err().to_string(),
        "the repository URL must not be empty"
    );
    let mut sp = spec();
    sp.tiers = strings(&["small"]);
    assert_eq!(
        appset(&sp).unwrap_err().to_string(),
        "no destination namespace for environment \"dev\" and tier \"small\""
    );
    let mut sp = spec();
    sp.namespaces.remove(&("staging".to_string(), None));
    assert_eq!(
        appset(&sp).unwrap_err().to_string(),
        "no destination namespace for environment \"staging\""
    );
    let mut sp = spec();
    sp.namespaces
        .insert(("dev".to_string(), None), "Shop_Dev".to_string());
    assert_eq!(
        appset(&sp).unwrap_err().to_string(),
        "namespace \"Shop_Dev\" is not a valid name: use lowercase letters, digits and '-' (at most 63)"
    );
}

#[test]
fn per_component_gives_each_component_and_the_base_an_application() {
    let mut sp = spec();
    sp.envs = strings(&["dev", "prod"]);
    sp.clusters = strings(&["eu"]);
    sp.per_component = true;
    sp.split
        .insert(("dev".to_string(), None), strings(&["api"]));
    sp.split
        .insert(("prod".to_string(), None), strings(&["api", "cache"]));
    let apps = validate(&appset(&sp).unwrap());
    assert_eq!(
        names(&apps),
        strings(&[
            "shop-dev-base-eu",
            "shop-dev-api-eu",
            "shop-prod-base-eu",
            "shop-prod-api-eu",
            "shop-prod-cache-eu"
        ]),
        "dev has no cache Application: its render has no cache objects"
    );
    let env = apps[2]
        .get_path(&["spec", "source", "plugin", "env"])
        .unwrap();
    assert_eq!(
        env,
        &parse_one(
            "- name: COMPOSE_ENV\n  value: prod\n- name: COMPOSE_COMPONENT\n  value: base\n\
             - name: COMPOSE_COMPONENTS\n  value: api,cache\n"
        )
        .unwrap()
    );
    assert_eq!(
        apps[4].str_at(&["spec", "destination", "namespace"]),
        Some("shop"),
        "every share of a render deploys where the render does"
    );
}

#[test]
fn per_component_refuses_a_component_named_base_or_not_a_label() {
    let mut sp = spec();
    sp.per_component = true;
    sp.split
        .insert(("dev".to_string(), None), strings(&["api", "base"]));
    assert_eq!(
        appset(&sp).unwrap_err().to_string(),
        "a component named \"base\" cannot have an Application of its own: \"base\" names the Application of the objects of no component"
    );
    sp.split
        .insert(("dev".to_string(), None), strings(&["Api"]));
    assert_eq!(
        appset(&sp).unwrap_err().to_string(),
        "component \"Api\" is not a valid name: use lowercase letters, digits and '-' (at most 63)"
    );
}

const PLUGIN: &str = include_str!("../../../deploy/argocd/plugin.yaml");
const PATCH: &str = include_str!("../../../deploy/argocd/repo-server-patch.yaml");

#[test]
fn plugin_definition_structure() {
    let p = parse_one(PLUGIN).unwrap();
    assert_eq!(p.str_at(&["apiVersion"]), Some("argoproj.io/v1alpha1"));
    assert_eq!(p.str_at(&["kind"]), Some("ConfigManagementPlugin"));
    assert_eq!(p.str_at(&["metadata", "name"]), Some(PLUGIN_NAME));
    assert!(
        p.get_path(&["spec", "version"]).is_none(),
        "a version would rename the plugin to compose-<version>"
    );
    let cmd = p.get_path(&["spec", "generate", "command"]).unwrap();
    assert_eq!(cmd, &parse_one("[sh, -c]").unwrap());
    let params: Vec<&str> = p
        .get_path(&["spec", "parameters", "static"])
        .unwrap()
        .as_seq()
        .unwrap()
        .iter()
        .map(|x| x.str_at(&["name"]).unwrap())
        .collect();
    assert_eq!(params, vec!["env", "tier", "component", "components"]);
}

#[test]
fn repo_server_patch_mounts_the_plugin() {
    let p = parse_one(PATCH).unwrap();
    assert_eq!(p.str_at(&["metadata", "name"]), Some("argocd-repo-server"));
    // The installing kustomization's namespace is applied after patches:
    // a namespace here would make the patch match nothing.
    assert!(p.get_path(&["metadata", "namespace"]).is_none());
    let c = &p
        .get_path(&["spec", "template", "spec", "containers"])
        .unwrap()
        .as_seq()
        .unwrap()[0];
    assert_eq!(
        c.get("command").unwrap(),
        &parse_one("[/var/run/argocd/argocd-cmp-server]").unwrap()
    );
    assert_eq!(
        c.get_path(&["securityContext", "runAsUser"]),
        Some(&Node::Int(999))
    );
    let mounts: Vec<&str> = c
        .get("volumeMounts")
        .unwrap()
        .as_seq()
        .unwrap()
        .iter()
        .map(|m| m.str_at(&["mountPath"]).unwrap())
        .collect();
    for want in [
        "/var/run/argocd",
        "/home/argocd/cmp-server/plugins",
        "/home/argocd/cmp-server/config/plugin.yaml",
        "/tmp",
    ] {
        assert!(mounts.contains(&want), "{want} not mounted");
    }
    let volumes: Vec<&str> = p
        .get_path(&["spec", "template", "spec", "volumes"])
        .unwrap()
        .as_seq()
        .unwrap()
        .iter()
        .map(|v| v.str_at(&["name"]).unwrap())
        .collect();
    for m in c.get("volumeMounts").unwrap().as_seq().unwrap() {
        let name = m.str_at(&["name"]).unwrap();
        // var-files and plugins are volumes of Argo CD's own repo-server.
        assert!(
            volumes.contains(&name) || ["var-files", "plugins"].contains(&name),
            "{name}"
        );
    }
}

/// Runs the plugin's generate script with a fake compose that prints its
/// arguments, as the CMP server would (in the source directory, with the
/// Application's env prefixed ARGOCD_ENV_).
#[cfg(unix)]
fn run_generate(env: &[(&str, &str)]) -> std::process::Output {
    let p = parse_one(PLUGIN).unwrap();
    let script = p
        .get_path(&["spec", "generate", "args"])
        .unwrap()
        .as_seq()
        .unwrap()[0]
        .as_str()
        .unwrap()
        .to_string();
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("compose-cmp-{}-{run}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // fake-compose stands in for the compose binary; prints its arguments.
    let fake = dir.join("fake-compose");
    crate::deploy::fake_program::link("fake-compose", "#!/bin/sh\nprintf '%s|' \"$@\"\n", &fake);
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(&script)
        .current_dir(&dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("COMPOSE_BIN", &fake);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    out
}

#[cfg(unix)]
#[test]
fn plugin_generate_runs_compose_for_the_environment() {
    let out = run_generate(&[("ARGOCD_ENV_COMPOSE_ENV", "prod")]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "build|--env|prod|");
    assert!(out.stderr.is_empty());

    let out = run_generate(&[("PARAM_ENV", "dev"), ("ARGOCD_ENV_COMPOSE_TIER", "small")]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "build|--env|dev|--tier|small|"
    );

    // The Application's destination namespace, which Argo CD sets, is
    // checked against the render.
    let out = run_generate(&[
        ("ARGOCD_ENV_COMPOSE_ENV", "prod"),
        ("ARGOCD_APP_NAMESPACE", "shop"),
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "build|--env|prod|--destination-namespace|shop|"
    );

    // One Application per component.
    let out = run_generate(&[
        ("ARGOCD_ENV_COMPOSE_ENV", "prod"),
        ("ARGOCD_ENV_COMPOSE_COMPONENT", "base"),
        ("ARGOCD_ENV_COMPOSE_COMPONENTS", "api,cache"),
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "build|--env|prod|--component|base|--app-components|api,cache|"
    );
    let out = run_generate(&[
        ("ARGOCD_ENV_COMPOSE_ENV", "prod"),
        ("ARGOCD_ENV_COMPOSE_COMPONENT", "base"),
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "build|--env|prod|--component|base|--app-components||",
        "no component has an Application of its own"
    );
}

#[cfg(unix)]
#[test]
fn plugin_generate_errors_go_to_stderr_with_a_failing_exit() {
    let out = run_generate(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no manifests on failure");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no environment given"));

    // A wrong name is invalid input, as compose's own unknown names are.
    let out = run_generate(&[("ARGOCD_ENV_COMPOSE_ENV", "../etc")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid environment name '../etc'"));

    let out = run_generate(&[
        ("ARGOCD_ENV_COMPOSE_ENV", "prod"),
        ("ARGOCD_ENV_COMPOSE_COMPONENT", "api;rm"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid component names 'api;rm'"));
}
