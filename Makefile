# compose: build, preview, deploy and test the example project.
# `make help` lists the targets. Every recipe runs in bash with
# -euo pipefail, so a failing compose in a pipe fails the target.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

ENV ?= dev
VALUES ?= values-$(ENV).yaml
COMPOSE ?= target/release/compose
KUBECTL ?= kubectl
# Bounds every request kubectl makes, so a missing or unreachable cluster
# fails with kubectl's own error instead of hanging.
KUBECTL_TIMEOUT ?= 10s
CONFORMANCE ?= $(CONFORMANCE_DIR)
CONFORMANCE_JOBS ?= 2

.PHONY: help build k8s-preview k8s-deploy-dev k8s-deploy-prod k8s-dry-run k8s-diff schema test conformance goldens

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## Build the release binary (target/release/compose)
	cargo build --release

k8s-preview: build ## Print the manifests for ENV (default dev) without touching a cluster
	$(COMPOSE) --values $(VALUES)

k8s-deploy-dev: build ## Render values-dev.yaml and kubectl apply it
	$(COMPOSE) --values values-dev.yaml | $(KUBECTL) apply --request-timeout=$(KUBECTL_TIMEOUT) -f -

k8s-deploy-prod: build ## Render values-prod.yaml and kubectl apply it (asks first unless CONFIRM=yes)
	@if [ "$(CONFIRM)" != "yes" ]; then \
	  context="$$($(KUBECTL) config current-context 2>/dev/null || echo '<none>')"; \
	  read -r -p "Apply values-prod.yaml to kube context '$$context'? Type yes: " answer || answer=""; \
	  if [ "$$answer" != "yes" ]; then echo "k8s-deploy-prod: not confirmed; aborting (CONFIRM=yes skips this question)" >&2; exit 1; fi; \
	fi
	$(COMPOSE) --values values-prod.yaml | $(KUBECTL) apply --request-timeout=$(KUBECTL_TIMEOUT) -f -

# Client-side dry run still asks the API server for its resource types (and
# OpenAPI schema), so it needs a reachable cluster; without one it fails
# fast with kubectl's connection error. `make k8s-preview` works offline.
k8s-dry-run: build ## kubectl apply --dry-run=client for ENV
	$(COMPOSE) --values $(VALUES) | $(KUBECTL) apply --dry-run=client --request-timeout=$(KUBECTL_TIMEOUT) -f -

# kubectl diff exits 1 when there are differences; only >1 is an error. The
# render goes to a file first so a compose failure is not mistaken for a diff.
k8s-diff: build ## kubectl diff of ENV against the cluster
	@mkdir -p target/manifests
	$(COMPOSE) --values $(VALUES) > target/manifests/$(ENV).yaml
	@status=0; $(KUBECTL) diff --request-timeout=$(KUBECTL_TIMEOUT) -f target/manifests/$(ENV).yaml || status=$$?; \
	  if [ $$status -gt 1 ]; then exit $$status; fi

schema: build ## Regenerate schema/values.schema.json
	$(COMPOSE) schema --write

test: ## Run the whole test suite (unit, integration, example goldens)
	cargo test --release

goldens: ## Regenerate golden outputs with kubectl (review the diff before committing)
	tools/update-goldens.sh

conformance: build ## Run the kustomize conformance corpus named by CONFORMANCE_DIR
	@if [ -n "$(CONFORMANCE)" ] && [ -d "$(CONFORMANCE)" ]; then \
	  "$(CONFORMANCE)/run" --cmd "$(CURDIR)/$(COMPOSE) kustomize" --jobs $(CONFORMANCE_JOBS); \
	else \
	  echo "conformance: set CONFORMANCE_DIR to a corpus checkout; nothing to run"; \
	fi
