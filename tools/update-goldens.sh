#!/usr/bin/env bash
# Regenerates the golden outputs with the reference implementation,
# `kubectl kustomize` (kustomize v5.5.0 embedded in kubectl). compose's own
# output is never used to produce a golden.
#
#   tools/update-goldens.sh            # example project + kustomize fixtures
#   tools/update-goldens.sh example    # only tests/fixtures/example/<env>/expected.yaml
#   tools/update-goldens.sh kustomize  # only tests/fixtures/kustomize/*/expected.yaml
#   tools/update-goldens.sh examples   # only tests/fixtures/examples/<project>/*.yaml
#   tools/update-goldens.sh blueprint  # only tests/fixtures/blueprint/expected-<env>.yaml
#
# Example project: for each tests/fixtures/example/<env>/kustomization.yaml
# (the kustomization the template stage must generate for values/values-<env>.yaml),
# the project's base/ and components/ are copied to a temporary directory, the
# kustomization is placed at its root, and kubectl's output becomes
# tests/fixtures/example/<env>/expected.yaml.
#
# Kustomize fixtures: each tests/fixtures/kustomize/<name>/ holds input/ and,
# optionally, a file `entry` naming the directory to build relative to input/
# (default "."). kubectl's output for input/<entry> becomes expected.yaml.
#
# Example projects: for each project under examples/ and each environment
# (crossed with each tier when the project has tiers), the kustomization
# that `compose template` generates is placed at the root of a copy of the
# project and kubectl's output becomes
# tests/fixtures/examples/<project>/<env>[-<tier>].yaml. The template is
# compose's; the golden is kubectl's build of it.
#
# Blueprint: tests/fixtures/blueprint is a project in a Helm-templated
# kustomization's layout, with a project file. For each of its environments,
# `compose template --env <env>` is placed at the root of a copy of the
# fixture and kubectl's output becomes tests/fixtures/blueprint/expected-<env>.yaml.
#
# Review the diff (git diff tests/fixtures) before committing new goldens.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v kubectl >/dev/null 2>&1; then
  echo "update-goldens: kubectl is not on PATH; it is the oracle for every golden" >&2
  exit 1
fi
echo "update-goldens: using $(kubectl version --client 2>/dev/null | grep -i kustomize || echo 'kubectl (kustomize version unknown)')"

what="${1:-all}"

update_example() {
  local tmp env dir
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  for dir in tests/fixtures/example/*/; do
    env="$(basename "$dir")"
    [ -f "$dir/kustomization.yaml" ] || continue
    rm -rf "${tmp:?}"/*
    cp -R base components "$tmp/"
    cp "$dir/kustomization.yaml" "$tmp/kustomization.yaml"
    kubectl kustomize "$tmp" > "$dir/expected.yaml"
    echo "update-goldens: example/$env ($(grep -c '^kind:' "$dir/expected.yaml") resources)"
  done
}

update_kustomize() {
  local dir name entry
  for dir in tests/fixtures/kustomize/*/; do
    name="$(basename "$dir")"
    [ -d "$dir/input" ] || continue
    entry="."
    if [ -f "$dir/entry" ]; then
      entry="$(tr -d '[:space:]' < "$dir/entry")"
    fi
    kubectl kustomize "$dir/input/$entry" > "$dir/expected.yaml"
    echo "update-goldens: kustomize/$name"
  done
}

update_examples() {
  local compose="$root/target/release/compose" project name tmp env tier out
  cargo build --release --quiet
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  for project in examples/*/; do
    name="$(basename "$project")"
    [ -f "$project/compose.yaml" ] || continue
    mkdir -p "tests/fixtures/examples/$name"
    rm -f "tests/fixtures/examples/$name"/*.yaml
    for env in $(ls "$project/values" | sed -n 's/^values-\(.*\)\.yaml$/\1/p' | grep -v '^tier-'); do
      for tier in $(ls "$project/values" | sed -n 's/^values-tier-\(.*\)\.yaml$/\1/p') ""; do
        # With tiers, every pair; without, the environment alone.
        if [ -z "$tier" ] && ls "$project/values" | grep -q '^values-tier-'; then continue; fi
        rm -rf "${tmp:?}"/*
        cp -R "$project"/. "$tmp/"
        "$compose" -C "$tmp" template --env "$env" ${tier:+--tier "$tier"} > "$tmp/kustomization.yaml.new"
        mv "$tmp/kustomization.yaml.new" "$tmp/kustomization.yaml"
        out="tests/fixtures/examples/$name/$env${tier:+-$tier}.yaml"
        kubectl kustomize "$tmp" > "$out"
        echo "update-goldens: examples/$name $env${tier:+ x $tier} ($(grep -c '^kind:' "$out") resources)"
      done
    done
  done
}

update_blueprint() {
  local compose="$root/target/release/compose" fixture="tests/fixtures/blueprint" tmp env out
  cargo build --release --quiet
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  for env in $(sed -n 's/^environments: \[\(.*\)\]$/\1/p' "$fixture/compose.yaml" | tr -d ' ' | tr ',' ' '); do
    rm -rf "${tmp:?}"/* "$tmp"/.[!.]* 2>/dev/null || true
    cp -R "$fixture"/. "$tmp/"
    rm -f "$tmp"/expected-*.yaml
    "$compose" -C "$tmp" template --env "$env" > "$tmp/kustomization.yaml.new"
    mv "$tmp/kustomization.yaml.new" "$tmp/kustomization.yaml"
    out="$fixture/expected-$env.yaml"
    kubectl kustomize "$tmp" > "$out"
    echo "update-goldens: blueprint $env ($(grep -c '^kind:' "$out") resources)"
  done
}

case "$what" in
  all) update_example; update_kustomize; update_examples; update_blueprint ;;
  example) update_example ;;
  kustomize) update_kustomize ;;
  examples) update_examples ;;
  blueprint) update_blueprint ;;
  *) echo "usage: tools/update-goldens.sh [all|example|kustomize|examples|blueprint]" >&2; exit 2 ;;
esac
