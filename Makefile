# compose: build, preview, deploy and test the example project.
# `make help` lists the targets. Every recipe runs in bash with
# -euo pipefail, so a failing compose in a pipe fails the target.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# PROJECT= points every target at another compose project, e.g.
# PROJECT=examples/tiers ENV=production TIER=large.
PROJECT ?= .
ENV ?= dev
# TIER= adds the tier's values (values-tier-$(TIER).yaml) under the environment's.
TIER ?=
VALUES_FLAGS = -C $(PROJECT) --env $(ENV)$(if $(TIER), --tier $(TIER))
COMPOSE ?= target/release/compose
KUBECTL ?= kubectl
# Bounds every request kubectl makes, so a missing or unreachable cluster
# fails with kubectl's own error instead of hanging.
KUBECTL_TIMEOUT ?= 10s
CONFORMANCE ?= $(CONFORMANCE_DIR)
CONFORMANCE_JOBS ?= 2

.PHONY: help build k8s-preview k8s-deploy-dev k8s-deploy-prod k8s-dry-run k8s-diff schema test conformance goldens bench lint

help: ## List the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

build: ## Build the release binary (target/release/compose)
	@cargo build --release --quiet

# Recipes that print manifests are silent (@), so stdout carries only
# manifests: `make k8s-preview > out.yaml` and `| kubectl apply -f -` work.
k8s-preview: build ## Print the manifests for ENV (default dev, TIER optional) without touching a cluster
	@$(COMPOSE) $(VALUES_FLAGS)

k8s-deploy-dev: build ## Render the dev environment and apply it (server-side, in waves); APPLY_FLAGS adds e.g. --prune
	COMPOSE_KUBECTL=$(KUBECTL) $(COMPOSE) apply -C $(PROJECT) --env dev --request-timeout $(KUBECTL_TIMEOUT) $(APPLY_FLAGS)

k8s-deploy-prod: build ## Render the prod environment and apply it (asks first unless CONFIRM=yes)
	@if [ "$(CONFIRM)" != "yes" ]; then \
	  context="$$($(KUBECTL) config current-context 2>/dev/null || echo '<none>')"; \
	  read -r -p "Apply environment prod to kube context '$$context'? Type yes: " answer || answer=""; \
	  if [ "$$answer" != "yes" ]; then echo "k8s-deploy-prod: not confirmed; aborting (CONFIRM=yes skips this question)" >&2; exit 1; fi; \
	fi
	COMPOSE_KUBECTL=$(KUBECTL) $(COMPOSE) apply -C $(PROJECT) --env prod --request-timeout $(KUBECTL_TIMEOUT) $(APPLY_FLAGS)

# A client-side dry run still asks the API server for its resource types,
# so it needs a reachable cluster; without one it fails fast with kubectl's
# connection error. `make k8s-preview` works offline.
k8s-dry-run: build ## Dry-run the apply of ENV (client side)
	COMPOSE_KUBECTL=$(KUBECTL) $(COMPOSE) apply $(VALUES_FLAGS) --dry-run=client --request-timeout $(KUBECTL_TIMEOUT)

# compose diff exits like kubectl diff: 1 means differences, only >1 is an
# error, so make does not stop on a diff.
k8s-diff: build ## kubectl diff of ENV against the cluster
	@status=0; COMPOSE_KUBECTL=$(KUBECTL) $(COMPOSE) diff $(VALUES_FLAGS) --request-timeout $(KUBECTL_TIMEOUT) || status=$$?; \
	  if [ $$status -gt 1 ]; then exit $$status; fi

schema: build ## Regenerate schema/values.schema.json
	$(COMPOSE) -C $(PROJECT) schema --write

# The editor test needs the yaml-language-server from tools/lsp (npm).
test: ## Run the whole test suite (unit, integration, example goldens, editor LSP)
	@[ -d tools/lsp/node_modules ] || npm ci --prefix tools/lsp --no-audit --no-fund --loglevel=error
	cargo test --release --locked --workspace

goldens: ## Regenerate golden outputs with kubectl (review the diff before committing)
	tools/update-goldens.sh

conformance: build ## Run the kustomize conformance corpus named by CONFORMANCE_DIR
	@if [ -n "$(CONFORMANCE)" ] && [ -d "$(CONFORMANCE)" ]; then \
	  "$(CONFORMANCE)/run" --cmd "$(CURDIR)/$(COMPOSE) kustomize" --jobs $(CONFORMANCE_JOBS); \
	else \
	  echo "conformance: set CONFORMANCE_DIR to a corpus checkout; nothing to run"; \
	fi

# Side by side with kubectl kustomize, in one run; writes target/bench/results.md.
# BENCH_FLAGS passes options to bench/run.py (e.g. --smoke, --sizes 50,200).
bench: ## Benchmark compose against kubectl kustomize (hyperfine; see docs/BENCHMARKS.md)
	python3 bench/run.py $(BENCH_FLAGS) $(if $(CONFORMANCE_DIR),--corpus $(CONFORMANCE_DIR))

lint: build ## Render ENV and report likely mistakes (compose lint --strict)
	$(COMPOSE) lint $(VALUES_FLAGS) --strict

# Fuzzing: cargo-fuzz with libFuzzer on the stable toolchain
# (RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its unstable flags; no
# sanitizer, which needs nightly). One process at a time; FUZZ_SECONDS
# per target. Corpora grow in fuzz/corpus/ (not committed), seeded from
# fuzz/seeds/; crashes land in fuzz/artifacts/. See fuzz/README.md.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= yaml_roundtrip yaml_fast kustomization_parse kustomize_build smp json6902 values set pipeline output_dir

.PHONY: fuzz
fuzz: ## Run each fuzz target for FUZZ_SECONDS (default 60) seconds; FUZZ_TARGETS picks targets
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd fuzz && for t in $(FUZZ_TARGETS); do \
	  mkdir -p corpus/$$t; \
	  echo "== $$t ($(FUZZ_SECONDS)s)"; \
	  RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none $$t corpus/$$t seeds/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -max_len=16384 || exit 1; \
	done
