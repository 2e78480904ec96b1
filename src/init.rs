//! `compose init [DIR]`: a new project that builds at once.
//!
//! The project has a project file, a base, one component, values for the
//! shared defaults and two environments (each with the editor modeline),
//! the committed schemas (written by the code of `compose schema
//! --write`), a Makefile with the `k8s-*` targets and a README stub.
//!
//! Nothing is ever overwritten, and nothing is half-written: every file is
//! first written into a hidden folder inside DIR, and each top-level entry
//! then takes its place with a rename that refuses an existing name. When
//! DIR already holds any of them, or a step fails, DIR is left as it was.

use crate::error::Error;
use crate::pipeline::Output;
use crate::project::{valid_name, Project, PROJECT_FILE};
use crate::settings::SchemaMode;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The component the new project starts with.
pub(crate) const COMPONENT: &str = "web";

/// Where the schemas go, as in the default layout.
const SCHEMA_DIR: &str = "schema";

/// The files of a new project named `name`, by path relative to the
/// project root (the schemas are generated afterwards).
pub(crate) fn files(name: &str) -> Vec<(PathBuf, String)> {
    let c = COMPONENT;
    let list = [
        (
            PROJECT_FILE.to_string(),
            format!(
                "# yaml-language-server: $schema=schema/compose.schema.json
# The project file: the environments, the order of the components and,
# when the project outgrows the default layout, where its parts live
# (paths:). Every key is optional; the schema documents them.
environments: [dev, prod]

# Components applied first, in this order; the others follow
# alphabetically. A component sees (and may patch) those before it.
order: [{c}]
"
            ),
        ),
        (
            "base/kustomization.yaml".to_string(),
            "# What every environment builds on; the components add to it.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - serviceaccount.yaml
"
            .to_string(),
        ),
        (
            "base/serviceaccount.yaml".to_string(),
            format!(
                "apiVersion: v1
kind: ServiceAccount
metadata:
  name: {name}
automountServiceAccountToken: false
"
            ),
        ),
        (
            format!("components/{c}/kustomization.yaml"),
            format!(
                "# The {c} component: on when `{c}.enabled` is true in the values.
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - deployment.yaml
  - service.yaml
"
            ),
        ),
        (
            format!("components/{c}/deployment.yaml"),
            format!(
                "apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}-{c}
  labels:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/component: {c}
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
      app.kubernetes.io/component: {c}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
        app.kubernetes.io/component: {c}
    spec:
      serviceAccountName: {name}
      containers:
        - name: {c}
          image: nginxinc/nginx-unprivileged
          ports:
            - name: http
              containerPort: 8080
          readinessProbe:
            httpGet:
              path: /
              port: http
          securityContext:
            allowPrivilegeEscalation: false
            runAsNonRoot: true
"
            ),
        ),
        (
            format!("components/{c}/service.yaml"),
            format!(
                "apiVersion: v1
kind: Service
metadata:
  name: {name}-{c}
  labels:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/component: {c}
spec:
  selector:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/component: {c}
  ports:
    - name: http
      port: 80
      targetPort: http
"
            ),
        ),
        (
            "values/values.yaml".to_string(),
            format!(
                "# yaml-language-server: $schema=../schema/values.schema.json
# Shared defaults, under every environment's values.

# Release name: the workload of component `c` is `{name}-c`.
name: {name}

# Added to every object and pod template (never to selectors).
labels:
  app.kubernetes.io/managed-by: compose

{c}:
  enabled: true
  image:
    repository: nginxinc/nginx-unprivileged
    tag: \"1.27\"
"
            ),
        ),
        (
            "values/values-dev.yaml".to_string(),
            format!(
                "# yaml-language-server: $schema=../schema/values.schema.json
# Development: `compose --env dev`.
namespace: {name}-dev

{c}:
  resources:
    requests:
      cpu: 50m
      memory: 64Mi
    limits:
      memory: 64Mi
"
            ),
        ),
        (
            "values/values-prod.yaml".to_string(),
            format!(
                "# yaml-language-server: $schema=../schema/values.schema.json
# Production: `compose --env prod`.
namespace: {name}

{c}:
  replicas: 2
  resources:
    requests:
      cpu: 250m
      memory: 128Mi
    limits:
      memory: 128Mi
"
            ),
        ),
        (
            "Makefile".to_string(),
            "# The project's targets; `make help` lists them. ENV picks the
# environment (values/values-$(ENV).yaml), TIER an optional tier.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

COMPOSE ?= compose
ENV ?= dev
TIER ?=
VALUES_FLAGS = --env $(ENV)$(if $(TIER), --tier $(TIER))
KUBECTL_TIMEOUT ?= 10s

.PHONY: help k8s-preview k8s-validate k8s-deploy-dev k8s-deploy-prod k8s-dry-run k8s-diff schema

help: ## List the targets
\t@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf \"  %-16s %s\\n\", $$1, $$2}'

k8s-preview: ## Print the manifests of ENV without touching a cluster
\t@$(COMPOSE) $(VALUES_FLAGS)

k8s-validate: ## Check the values and the rendered objects of ENV (offline)
\t$(COMPOSE) validate $(VALUES_FLAGS)

k8s-deploy-dev: ## Apply the dev environment (server-side, in waves)
\t$(COMPOSE) apply --env dev --request-timeout $(KUBECTL_TIMEOUT) $(APPLY_FLAGS)

k8s-deploy-prod: ## Apply the prod environment (asks first unless CONFIRM=yes)
\t@if [ \"$(CONFIRM)\" != \"yes\" ]; then \\
\t  read -r -p \"Apply environment prod to the current kube context? Type yes: \" answer || answer=\"\"; \\
\t  if [ \"$$answer\" != \"yes\" ]; then echo \"k8s-deploy-prod: not confirmed\" >&2; exit 1; fi; \\
\tfi
\t$(COMPOSE) apply --env prod --request-timeout $(KUBECTL_TIMEOUT) $(APPLY_FLAGS)

k8s-dry-run: ## Dry-run the apply of ENV (client side; needs a reachable cluster)
\t$(COMPOSE) apply $(VALUES_FLAGS) --dry-run=client --request-timeout $(KUBECTL_TIMEOUT)

k8s-diff: ## kubectl diff of ENV against the cluster (exit 1 means changes)
\t@status=0; $(COMPOSE) diff $(VALUES_FLAGS) --request-timeout $(KUBECTL_TIMEOUT) || status=$$?; \\
\t  if [ $$status -gt 1 ]; then exit $$status; fi

schema: ## Regenerate the committed schemas after changing components or compose.yaml
\t$(COMPOSE) schema --write
"
            .to_string(),
        ),
        (
            "README.md".to_string(),
            format!(
                "# {name}

Kubernetes manifests rendered by compose from layered values.

- `compose --env dev` prints the manifests of the dev environment
  (`make k8s-preview ENV=prod` for prod); `compose template --env dev`
  prints the kustomization they are built from.
- `base/` is what every environment builds on; `components/<name>/` are
  kustomize Components, each switched on by `<name>.enabled` in the
  values.
- `values/values.yaml` holds the shared defaults, `values/values-<env>.yaml`
  each environment's values; add an environment by adding its file and
  its name under `environments:` in `compose.yaml`.
- After adding a component or changing `compose.yaml`, run
  `compose schema --write` (`make schema`); `compose schema --check` fails
  when the committed schema is stale.
- `make help` lists the deploy targets.
"
            ),
        ),
    ];
    list.into_iter()
        .map(|(p, t)| (PathBuf::from(p), t))
        .collect()
}

/// The folder and file names `init` creates directly in DIR.
fn top_level(files: &[(PathBuf, String)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (p, _) in files {
        let first = p
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .unwrap_or_default();
        if !out.contains(&first) {
            out.push(first);
        }
    }
    if !out.iter().any(|n| n == SCHEMA_DIR) {
        out.push(SCHEMA_DIR.to_string());
    }
    out
}

/// The project's name: `name` when given, else DIR's own name; it names
/// the workloads and the prod namespace, so it must be a DNS label.
fn project_name(dir: &Path, name: Option<&str>) -> Result<String, Error> {
    let (name, from) = match name {
        Some(n) => (n.to_string(), "--name"),
        None => {
            let abs = std::path::absolute(dir).map_err(|e| Error::io(dir, &e))?;
            let base = compose_kustomize::fs::clean(&abs)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (base, "the folder's name")
        }
    };
    if valid_name(&name) {
        return Ok(name);
    }
    Err(Error::Invalid(format!(
        "`{name}` ({from}) cannot name a project: use lowercase letters, digits and inner '-' (at most 63); give one with --name"
    )))
}

/// `compose init [DIR] [--name NAME]`.
pub(crate) fn init(dir: &Path, name: Option<&str>) -> Result<Output, Error> {
    let name = project_name(dir, name)?;
    let files = files(&name);
    let entries = top_level(&files);
    let taken: Vec<&String> = entries
        .iter()
        .filter(|e| fs::symlink_metadata(dir.join(e)).is_ok())
        .collect();
    if !taken.is_empty() {
        let listed: Vec<String> = taken.iter().map(|e| format!("`{e}`")).collect();
        return Err(Error::Usage(format!(
            "{} already holds {}; compose init never overwrites, so nothing was written (start in a new or empty folder)",
            dir.display(),
            listed.join(", ")
        )));
    }
    let created_dir = fs::symlink_metadata(dir).is_err();
    if created_dir {
        fs::create_dir_all(dir).map_err(|e| Error::write(dir, &e))?;
    }
    let stage = dir.join(format!(".compose-init-{}", std::process::id()));
    let result = stage_and_move(&stage, dir, &files, &entries);
    let _ = fs::remove_dir_all(&stage);
    if result.is_err() && created_dir {
        let _ = fs::remove_dir(dir);
    }
    result?;
    let shown = dir.display().to_string();
    let cd = if shown == "." {
        String::new()
    } else {
        format!("cd {shown} && ")
    };
    Ok(Output {
        note: Some(format!(
            "created project `{name}` in {shown} ({}); try: {cd}compose --env dev",
            entries.join(", ")
        )),
        ..Output::default()
    })
}

/// Writes the project into `stage` (its schemas as `compose schema
/// --write` writes them), then moves each top-level entry into `dir`;
/// on failure, moves back what had moved.
fn stage_and_move(
    stage: &Path,
    dir: &Path,
    files: &[(PathBuf, String)],
    entries: &[String],
) -> Result<(), Error> {
    fs::create_dir(stage).map_err(|e| Error::write(stage, &e))?;
    for (rel, text) in files {
        let path = stage.join(rel);
        let shown = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::write(&shown, &e))?;
        }
        write_new(&path, text).map_err(|e| Error::write(&shown, &e))?;
    }
    let project = Project::at(stage)?;
    crate::pipeline::schema_command(&project, SchemaMode::Write)?;
    let mut moved: Vec<&String> = Vec::new();
    for e in entries {
        if let Err(err) = crate::deploy::output_dir::rename_new(&stage.join(e), &dir.join(e)) {
            for back in moved.iter().rev() {
                let _ = fs::rename(dir.join(back), stage.join(back));
            }
            let reason = if err.kind() == io::ErrorKind::AlreadyExists {
                "it appeared while compose init ran; nothing was written".to_string()
            } else {
                format!("{err}; nothing was written")
            };
            return Err(Error::Write {
                path: dir.join(e),
                reason,
            });
        }
        moved.push(e);
    }
    crate::owned::sync_dir(dir).map_err(|e| Error::write(dir, &e))
}

/// Writes a new file and makes it durable; an existing file is an error.
fn write_new(path: &Path, text: &str) -> io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An entry that appears between the check and the move (here: made
    /// before the move starts) stops the move; what had moved goes back,
    /// so DIR holds only what it held.
    #[test]
    fn a_failed_move_puts_back_what_had_moved() {
        let dir = std::env::temp_dir().join(format!("compose-init-unit-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("values")).unwrap();
        let files = files("shop");
        let entries = top_level(&files);
        assert_eq!(entries[3], "values", "three entries move before it");
        let stage = dir.join(".stage");
        let err = stage_and_move(&stage, &dir, &files, &entries).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot write {}: it appeared while compose init ran; nothing was written",
                dir.join("values").display()
            )
        );
        let _ = fs::remove_dir_all(&stage);
        let left: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["values"]);
        assert_eq!(fs::read_dir(dir.join("values")).unwrap().count(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }
}
