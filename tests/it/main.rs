//! Integration tests: one binary (faster to link than one per file) that
//! drives the built `compose` executable the way a user does.
//!
//! - `cli`: the command line: values layering, validation errors with
//!   locations, `--set` typing, schema freshness, exit codes, deploy
//!   commands at the kubectl boundary.
//! - `compare`: `compose compare` between dev and prod of the example
//!   project and between two tiers of `examples/tiers`, checked by hand.
//! - `example`: the repository root is itself a compose project; its render
//!   for each environment must equal the committed kubectl goldens byte for
//!   byte, and the template stage must generate the expected kustomization.
//! - `differential`: `compose --values F` must equal `kubectl kustomize` of
//!   the tree whose kustomization.yaml is `compose template --values F`
//!   (skipped without kubectl, except under CI, where that fails).
//! - `engine_errors`: the place each kind of engine error names, and the
//!   exact one-line text `compose kustomize` prints for it.
//! - `examples`: the example projects under `examples/` (tiers x
//!   environments, a bundled or external database): kubectl goldens for
//!   every pair, fresh schemas, located errors for project values.
//! - `graph`: `compose graph` of the example project: the edges its
//!   manifests declare, in mermaid and dot.
//! - `flags`: Helm's value flags (`-f -`, `--set-string`, `--set-json`,
//!   `--set-file`, `--set-literal`), their order and bounds.
//! - `knobs`: each built-in knob of a component on the example project:
//!   it reaches its component's objects only, kubectl agrees, and bad
//!   input is an error at its values key.
//! - `kustomize_fixtures`: `compose kustomize` on small hand-designed trees
//!   whose expected output came from kubectl.
//! - `lsp`: the committed schema in the real yaml-language-server, over LSP.
//! - `output`: `validate` and `lint` with `-o json` and `-o github`.
//! - `reliability`: failed writes, files outside the project, the output
//!   folder, template limits: the classes an attack on the binary found.
//!
//! - `argocd`: the shipped repo-server patch against a stand-in of Argo
//!   CD's install manifest, built by compose and by kubectl; the plugin
//!   run with compose; every Application's namespace against its render.
//! - `init`: `compose init` makes a project that builds, agrees with
//!   kubectl, passes its own checks, and never overwrites a file.
//! - `blueprint`: a repository in the "Helm templates only the
//!   kustomization" layout (components under `deployments/kustomize`,
//!   values beside the chart), rendered in place through a project file:
//!   kubectl goldens for every environment, the chart's `--values` form,
//!   fresh schemas.
//!
//! Goldens are regenerated only with kubectl: `tools/update-goldens.sh`.

mod argocd;
mod blueprint;
mod cli;
mod compare;
mod differential;
mod engine_errors;
mod example;
mod examples;
mod explain;
mod flags;
mod graph;
mod init;
mod knobs;
mod kustomize_fixtures;
mod lsp;
mod output;
mod reliability;
mod support;
