//! Argo CD: the files shipped in `deploy/argocd/` against stand-ins of
//! what they meet in a cluster, the plugin's generate command run with
//! the compose binary, and the ApplicationSet's namespaces against the
//! renders.

use crate::support::{
    assert_same_bytes, compose_bin, kubectl_kustomize, kubectl_or_skip, root, run_compose,
    stdout_of, TempDir,
};
use compose_yaml::{parse_stream, Node};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// A stand-in for the repo-server part of Argo CD's install manifest,
/// with the same shape: no namespace (the installing kustomization sets
/// it), an init container that copies Argo CD's binary (which the CMP
/// sidecar runs) into the `var-files` volume, the repo-server container
/// mounting `plugins` and `var-files`, and a Service beside it.
const INSTALL: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-repo-server
  labels:
    app.kubernetes.io/name: argocd-repo-server
    app.kubernetes.io/part-of: argocd
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: argocd-repo-server
  template:
    metadata:
      labels:
        app.kubernetes.io/name: argocd-repo-server
    spec:
      serviceAccountName: argocd-repo-server
      initContainers:
        - name: copyutil
          image: quay.io/argoproj/argocd:v2.13.0
          command: [/bin/cp, -n, /usr/local/bin/argocd, /var/run/argocd/argocd-cmp-server]
          volumeMounts:
            - name: var-files
              mountPath: /var/run/argocd
      containers:
        - name: argocd-repo-server
          image: quay.io/argoproj/argocd:v2.13.0
          args: [/usr/local/bin/argocd-repo-server]
          ports:
            - containerPort: 8081
          volumeMounts:
            - name: plugins
              mountPath: /home/argocd/cmp-server/plugins
            - name: var-files
              mountPath: /var/run/argocd
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: var-files
          emptyDir: {}
        - name: plugins
          emptyDir: {}
        - name: tmp
          emptyDir: {}
---
apiVersion: v1
kind: Service
metadata:
  name: argocd-repo-server
spec:
  selector:
    app.kubernetes.io/name: argocd-repo-server
  ports:
    - port: 8081
";

/// Names of the items of the list at `path` under the pod spec.
fn names(pod: &Node, key: &str) -> Vec<String> {
    pod.get(key)
        .and_then(Node::as_seq)
        .unwrap_or_else(|| panic!("no {key} in the pod spec"))
        .iter()
        .map(|n| n.str_at(&["name"]).unwrap_or_default().to_string())
        .collect()
}

/// Builds `kustomization` over the stand-in install manifest and the
/// shipped patch with compose and kubectl; both must print the same bytes
/// and patch the repo-server. Returns the patched Deployment.
fn patched(tag: &str, install: &str, kustomization: &str) -> Option<Node> {
    let dir = TempDir::new(tag).unwrap_or_else(|e| panic!("{e}"));
    let patch = root().join("deploy/argocd/repo-server-patch.yaml");
    fs::copy(&patch, dir.path().join("repo-server-patch.yaml"))
        .unwrap_or_else(|e| panic!("copy {}: {e}", patch.display()));
    fs::write(dir.path().join("install.yaml"), install).unwrap_or_else(|e| panic!("{e}"));
    fs::write(dir.path().join("kustomization.yaml"), kustomization)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = run_compose(dir.path(), ["kustomize", "."]).unwrap_or_else(|e| panic!("{e}"));
    let ours = stdout_of("compose kustomize", out).unwrap_or_else(|e| panic!("{e}"));
    if kubectl_or_skip("repo_server_patch") {
        let theirs = kubectl_kustomize(dir.path()).unwrap_or_else(|e| panic!("{e}"));
        assert_same_bytes("compose kustomize vs kubectl kustomize", &theirs, &ours);
    }
    let docs = parse_stream(&String::from_utf8_lossy(&ours)).unwrap_or_else(|e| panic!("{e:?}"));
    docs.into_iter()
        .find(|d| d.str_at(&["kind"]) == Some("Deployment"))
}

fn assert_sidecar_added(deployment: &Node) {
    assert_eq!(
        deployment.str_at(&["metadata", "namespace"]),
        Some("argocd")
    );
    let pod = deployment
        .get_path(&["spec", "template", "spec"])
        .unwrap_or_else(|| panic!("no pod spec"));
    let mut init = names(pod, "initContainers");
    init.sort();
    assert_eq!(init, ["copyutil", "install-compose"]);
    let mut containers = names(pod, "containers");
    containers.sort();
    assert_eq!(containers, ["argocd-repo-server", "compose-cmp"]);
    let volumes = names(pod, "volumes");
    for v in [
        "var-files",
        "plugins",
        "tmp",
        "compose-tools",
        "compose-cmp-tmp",
        "compose-cmp-plugin",
    ] {
        assert!(volumes.iter().any(|n| n == v), "volume {v} missing");
    }
    // Every mount of every container names a volume of the pod: the
    // sidecar's var-files and plugins are the install's own.
    for key in ["initContainers", "containers"] {
        for c in pod.get(key).and_then(Node::as_seq).into_iter().flatten() {
            for m in c
                .get("volumeMounts")
                .and_then(Node::as_seq)
                .into_iter()
                .flatten()
            {
                let name = m.str_at(&["name"]).unwrap_or_default();
                assert!(
                    volumes.iter().any(|v| v == name),
                    "{} mounts {name}, which is no volume",
                    c.str_at(&["name"]).unwrap_or_default()
                );
            }
        }
    }
}

/// The documented use: the kustomization that installs Argo CD sets its
/// namespace and patches the repo-server. The patch must match the
/// install manifest's Deployment, which has no namespace until the
/// kustomization's namespace is applied, after the patches.
#[test]
fn repo_server_patch_adds_the_sidecar_to_argo_cds_install() {
    let kustomization = "\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: argocd
resources:
  - install.yaml
patches:
  - path: repo-server-patch.yaml
";
    let d = patched("repo-server", INSTALL, kustomization)
        .unwrap_or_else(|| panic!("no Deployment in the output"));
    assert_sidecar_added(&d);
}

/// An install manifest that already names its namespace: a patch entry
/// with a target (kind and name) matches it, as docs/argocd.md says.
#[test]
fn repo_server_patch_with_a_target_matches_a_namespaced_install() {
    let install = INSTALL.replace(
        "metadata:\n  name:",
        "metadata:\n  namespace: argocd\n  name:",
    );
    let kustomization = "\
resources:
  - install.yaml
patches:
  - path: repo-server-patch.yaml
    target:
      kind: Deployment
      name: argocd-repo-server
";
    let d = patched("repo-server-ns", &install, kustomization)
        .unwrap_or_else(|| panic!("no Deployment in the output"));
    assert_sidecar_added(&d);
}

// ---- The ApplicationSet agrees with the render ---------------------------

/// The namespaces the objects of a rendered stream name.
fn namespaces_of(stream: &[u8]) -> BTreeSet<String> {
    parse_stream(&String::from_utf8_lossy(stream))
        .unwrap_or_else(|e| panic!("{e:?}"))
        .iter()
        .filter_map(|d| d.str_at(&["metadata", "namespace"]).map(str::to_string))
        .collect()
}

/// The generator elements of `compose argocd appset` run in `project`:
/// (environment, tier, destination namespace).
fn appset_elements(project: &Path) -> Vec<(String, Option<String>, String)> {
    let out = run_compose(
        project,
        [
            "argocd",
            "appset",
            "--repo-url",
            "https://git.example.com/r.git",
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let text = stdout_of("compose argocd appset", out).unwrap_or_else(|e| panic!("{e}"));
    let set = parse_stream(&String::from_utf8_lossy(&text)).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        set[0].str_at(&["spec", "template", "spec", "destination", "namespace"]),
        Some("{{.namespace}}")
    );
    let generator = &set[0]
        .get_path(&["spec", "generators"])
        .and_then(Node::as_seq)
        .unwrap_or_else(|| panic!("no generators"))[0];
    generator
        .get_path(&["list", "elements"])
        .and_then(Node::as_seq)
        .unwrap_or_else(|| panic!("no list generator: {generator:?}"))
        .iter()
        .map(|e| {
            (
                e.str_at(&["env"]).unwrap_or_default().to_string(),
                e.str_at(&["tier"]).map(str::to_string),
                e.str_at(&["namespace"]).unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Every Application of the generated set deploys into the one namespace
/// that `compose build` of its environment and tier puts objects in.
fn assert_appset_agrees(project: &Path, pairs: &[(&str, Option<&str>)]) {
    let elements = appset_elements(project);
    let got: Vec<(&str, Option<&str>)> = elements
        .iter()
        .map(|(e, t, _)| (e.as_str(), t.as_deref()))
        .collect();
    assert_eq!(got, pairs, "one Application per environment and tier");
    for (env, tier, namespace) in &elements {
        let mut args = vec!["build", "--env", env];
        if let Some(t) = tier {
            args.extend(["--tier", t]);
        }
        let out = run_compose(project, &args).unwrap_or_else(|e| panic!("{e}"));
        let out = stdout_of(&args.join(" "), out).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            namespaces_of(&out),
            BTreeSet::from([namespace.clone()]),
            "{args:?}"
        );
    }
}

/// The root project: prod renders into `arches`, not `arches-prod`.
#[test]
fn appset_namespaces_are_the_renders_in_the_root_project() {
    assert_appset_agrees(&root(), &[("dev", None), ("prod", None)]);
    let elements = appset_elements(&root());
    assert_eq!(elements[1].2, "arches");
}

/// Environments × tiers, where the project's template gives each tier of
/// an environment its own namespace: every pair is listed.
#[test]
fn appset_namespaces_are_the_renders_for_every_environment_and_tier() {
    let mut pairs = Vec::new();
    for env in ["dev", "staging", "production"] {
        for tier in ["small", "medium", "large"] {
            pairs.push((env, Some(tier)));
        }
    }
    assert_appset_agrees(&root().join("examples/tiers"), &pairs);
    assert_appset_agrees(
        &root().join("examples/external-db"),
        &[("dev", None), ("prod", None)],
    );
}

/// Writes `text` at `rel` below `root`, making its folders.
fn write_file(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap_or(root)).unwrap_or_else(|e| panic!("{e}"));
    fs::write(p, text).unwrap_or_else(|e| panic!("{e}"));
}

/// A project whose render names no namespace, or several, has no
/// destination namespace to give its Application.
#[test]
fn appset_refuses_a_render_without_one_namespace() {
    let dir = TempDir::new("appset-ns").unwrap_or_else(|e| panic!("{e}"));
    let write = |rel: &str, text: &str| write_file(dir.path(), rel, text);
    write("base/kustomization.yaml", "resources:\n  - cm.yaml\n");
    write(
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    );
    write("values/values.yaml", "name: app\n");
    write("values/values-dev.yaml", "{}\n");
    let appset = [
        "argocd",
        "appset",
        "--repo-url",
        "https://git.example.com/r.git",
    ];
    let out = run_compose(dir.path(), appset).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: the render of environment `dev` puts no object in a namespace, so its Argo CD Application has no destination namespace to agree with; give the objects a namespace (`namespace` in values/values-dev.yaml)\n"
    );

    write(
        "base/kustomization.yaml",
        "resources:\n  - cm.yaml\n  - other.yaml\n",
    );
    write(
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n  namespace: one\n",
    );
    write(
        "base/other.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  namespace: two\n",
    );
    let out = run_compose(dir.path(), appset).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: the render of environment `dev` puts objects in several namespaces (`one`, `two`), but an Argo CD Application deploys into one; put every object in one namespace (`namespace` in values/values-dev.yaml)\n"
    );

    // With `namespace` set, every object is in it and the set is made.
    write("values/values-dev.yaml", "namespace: app-dev\n");
    let out = run_compose(dir.path(), appset).unwrap_or_else(|e| panic!("{e}"));
    let text = stdout_of("compose argocd appset", out).unwrap_or_else(|e| panic!("{e}"));
    assert!(String::from_utf8_lossy(&text).contains("        namespace: app-dev\n"));
}

// ---- The plugin, end to end ----------------------------------------------

/// Runs the shipped plugin's generate script in `dir` with the compose
/// binary under test and the variables Argo CD sets.
#[cfg(unix)]
fn generate(dir: &Path, env: &[(&str, &str)]) -> std::process::Output {
    let plugin = fs::read_to_string(root().join("deploy/argocd/plugin.yaml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let plugin = parse_stream(&plugin).unwrap_or_else(|e| panic!("{e:?}"));
    let script = plugin[0]
        .get_path(&["spec", "generate", "args"])
        .and_then(Node::as_seq)
        .and_then(|a| a[0].as_str())
        .unwrap_or_else(|| panic!("no generate script"))
        .to_string();
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(script)
        .current_dir(dir)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("COMPOSE_BIN", compose_bin());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap_or_else(|e| panic!("sh: {e}"))
}

/// The plugin renders what `compose build --env --tier` renders, and the
/// Application's destination namespace (ARGOCD_APP_NAMESPACE) must be the
/// render's: a mismatch fails with both names and prints nothing.
#[cfg(unix)]
#[test]
fn plugin_renders_the_environment_and_checks_the_destination() {
    let tiers = root().join("examples/tiers");
    let expected = run_compose(&tiers, ["build", "--env", "production", "--tier", "large"])
        .unwrap_or_else(|e| panic!("{e}"));
    let expected = stdout_of("compose build", expected).unwrap_or_else(|e| panic!("{e}"));
    let out = generate(
        &tiers,
        &[
            ("ARGOCD_ENV_COMPOSE_ENV", "production"),
            ("ARGOCD_ENV_COMPOSE_TIER", "large"),
            ("ARGOCD_APP_NAMESPACE", "tenants-large"),
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_bytes("plugin vs compose build", &expected, &out.stdout);

    let out = generate(
        &root(),
        &[
            ("ARGOCD_ENV_COMPOSE_ENV", "prod"),
            ("ARGOCD_APP_NAMESPACE", "arches-prod"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no manifests on a mismatch");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "values/values-prod.yaml:3:12: the render of environment `prod` puts objects in namespace `arches`, but the destination namespace is `arches-prod`\n  |\n3 | namespace: arches\n  |            ^\n  = help: set the Argo CD Application's spec.destination.namespace to `arches` (as `compose argocd appset` does), or change the namespace of the render (`namespace` in values/values-prod.yaml)\n"
    );

    // An unknown environment is compose's own error, listing the known ones.
    let out = generate(&root(), &[("ARGOCD_ENV_COMPOSE_ENV", "staging")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: unknown environment `staging`; known environments: dev, prod\n"
    );
}

// ---- One Application per component ---------------------------------------

/// The documents of a printed stream, each with its text.
fn documents(stream: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(stream);
    let mut docs = vec![String::new()];
    for line in text.split_inclusive('\n') {
        if line == "---\n" {
            docs.push(String::new());
        } else if let Some(last) = docs.last_mut() {
            last.push_str(line);
        }
    }
    docs.retain(|d| !d.is_empty());
    docs
}

/// The elements of `compose argocd appset --per-component` run in
/// `project`: (environment, tier, component, components).
fn per_component_elements(project: &Path) -> Vec<[String; 4]> {
    let args = [
        "argocd",
        "appset",
        "--per-component",
        "--repo-url",
        "https://git.example.com/r.git",
    ];
    let out = run_compose(project, args).unwrap_or_else(|e| panic!("{e}"));
    let text = stdout_of("compose argocd appset", out).unwrap_or_else(|e| panic!("{e}"));
    let set = parse_stream(&String::from_utf8_lossy(&text)).unwrap_or_else(|e| panic!("{e:?}"));
    set[0]
        .get_path(&["spec", "generators"])
        .and_then(Node::as_seq)
        .and_then(|g| g[0].get_path(&["list", "elements"]))
        .and_then(Node::as_seq)
        .unwrap_or_else(|| panic!("no list of elements"))
        .iter()
        .map(|e| {
            ["env", "tier", "component", "components"]
                .map(|k| e.str_at(&[k]).unwrap_or_default().to_string())
        })
        .collect()
}

/// With an Application per component, the plugin renders each one's
/// share, and the shares of an environment and tier are its render split
/// up: every object in exactly one Application, printed as the whole
/// render prints it, in the render's order.
#[cfg(unix)]
#[test]
fn per_component_applications_share_out_every_render() {
    let tiers = root().join("examples/tiers");
    let elements = per_component_elements(&tiers);
    assert_eq!(
        elements.len(),
        3 * 3 + 4 * 6,
        "dev: base, api, worker; else with ingress too"
    );
    let mut pairs: Vec<(String, String)> = elements
        .iter()
        .map(|[e, t, _, _]| (e.clone(), t.clone()))
        .collect();
    pairs.dedup();
    assert_eq!(pairs.len(), 9);
    for (env, tier) in pairs {
        let whole = run_compose(&tiers, ["build", "--env", &env, "--tier", &tier])
            .unwrap_or_else(|e| panic!("{e}"));
        let whole = documents(&stdout_of("compose build", whole).unwrap_or_else(|e| panic!("{e}")));
        let mut shared = Vec::new();
        for [_, _, component, components] in elements.iter().filter(|e| e[0] == env && e[1] == tier)
        {
            let out = generate(
                &tiers,
                &[
                    ("ARGOCD_ENV_COMPOSE_ENV", env.as_str()),
                    ("ARGOCD_ENV_COMPOSE_TIER", tier.as_str()),
                    ("ARGOCD_ENV_COMPOSE_COMPONENT", component.as_str()),
                    ("ARGOCD_ENV_COMPOSE_COMPONENTS", components.as_str()),
                ],
            );
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let docs = documents(&out.stdout);
            assert!(
                !docs.is_empty(),
                "{env}/{tier}/{component}: an Application with nothing"
            );
            let mut at = 0;
            for d in &docs {
                let found = whole[at..].iter().position(|w| w == d);
                let found = found.unwrap_or_else(|| {
                    panic!("{env}/{tier}/{component}: not in the render's order:\n{d}")
                });
                at += found + 1;
            }
            shared.extend(docs);
        }
        let mut whole = whole;
        whole.sort();
        shared.sort();
        assert_eq!(
            shared, whole,
            "{env}/{tier}: every object in exactly one Application"
        );
    }
}

/// Wrong names given to `--component` and `--app-components` are errors
/// that list the known ones; a component missing from the list it belongs
/// to is a usage error, as is the list alone.
#[test]
fn component_shares_refuse_wrong_names() {
    let tiers = root().join("examples/tiers");
    let run = |extra: &[&str]| {
        let mut args = vec!["render", "--env", "dev", "--tier", "small"];
        args.extend(extra);
        run_compose(&tiers, &args).unwrap_or_else(|e| panic!("{e}"))
    };
    let out = run(&["--component", "wroker"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: unknown component `wroker`; known components: base, api, ingress, worker (did you mean `worker`?)\n"
    );
    let out = run(&["--component", "base", "--app-components", "api,cahce"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: unknown component `cahce`;"));
    let out = run(&["--component", "api", "--app-components", "worker"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --component api: `api` is not among --app-components (worker), so its objects belong to the `base` Application\n"
    );
    let out = run(&["--app-components", "api"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--component <NAME>"));
}

/// A component folder called `base` cannot get an Application of its own.
#[test]
fn per_component_refuses_a_component_called_base() {
    let dir = TempDir::new("appset-base").unwrap_or_else(|e| panic!("{e}"));
    let write = |rel: &str, text: &str| write_file(dir.path(), rel, text);
    write("base/kustomization.yaml", "resources:\n  - cm.yaml\n");
    write(
        "base/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n",
    );
    write(
        "components/base/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
    );
    write("values/values.yaml", "name: app\nnamespace: app\n");
    write("values/values-dev.yaml", "{}\n");
    let args = [
        "argocd",
        "appset",
        "--per-component",
        "--repo-url",
        "https://git.example.com/r.git",
    ];
    let out = run_compose(dir.path(), args).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: the component folder components/base is called `base`, which names the Application of the objects of no component; rename the folder to split Applications by component\n"
    );
}
