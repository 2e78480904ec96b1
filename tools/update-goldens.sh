#!/usr/bin/env bash
# Regenerates the golden outputs with the reference implementation,
# `kubectl kustomize` (kustomize v5.5.0 embedded in kubectl). compose's own
# output is never used to produce a golden.
#
#   tools/update-goldens.sh            # example project + kustomize fixtures
#   tools/update-goldens.sh example    # only tests/fixtures/example/<env>/expected.yaml
#   tools/update-goldens.sh kustomize  # only tests/fixtures/kustomize/*/expected.yaml
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

case "$what" in
  all) update_example; update_kustomize ;;
  example) update_example ;;
  kustomize) update_kustomize ;;
  *) echo "usage: tools/update-goldens.sh [all|example|kustomize]" >&2; exit 2 ;;
esac
