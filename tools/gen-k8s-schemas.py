#!/usr/bin/env python3
"""Writes the compact Kubernetes schemas that `compose validate` embeds.

usage: tools/gen-k8s-schemas.py SCHEMA_DIR VERSION...

SCHEMA_DIR is the `kubernetes-json-schema` folder of the PyPI package
kubernetes-validate (Apache-2.0), which holds, per Kubernetes version,
`vX.Y.0-local-strict/_definitions.json`: the API's OpenAPI definitions as
JSON Schema, with `additionalProperties: false` on every object. For each
VERSION (e.g. 1.29) this writes src/manifests/schemas/vX.Y.json with

  {"kinds": {"<apiVersion>/<kind>": "<definition>"}, "$defs": {...}}

where descriptions are dropped (they are most of the size and validation
never reads them) and references point into the same document.

    pip download kubernetes-validate --no-deps -d target/kv
    unzip -q target/kv/*.whl -d target/kv/x
    tools/gen-k8s-schemas.py target/kv/x/kubernetes_validate/kubernetes-json-schema 1.29 1.31 1.33
"""
import json
import os
import sys

KEEP_DROP = {"description", "$schema", "$id", "x-kubernetes-patch-strategy", "x-kubernetes-patch-merge-key",
             "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type", "x-kubernetes-unions",
             "x-kubernetes-group-version-kind"}


def strip(n):
    if isinstance(n, dict):
        out = {}
        for k, v in n.items():
            if k in KEEP_DROP:
                continue
            if k == "$ref" and isinstance(v, str):
                v = "#/$defs/" + v.split("#/$defs/", 1)[1]
            out[k] = strip(v) if k not in ("properties", "$defs") else {pk: strip(pv) for pk, pv in v.items()}
        return out
    if isinstance(n, list):
        return [strip(x) for x in n]
    return n


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__.strip().splitlines()[2])
    src, versions = argv[1], argv[2:]
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for v in versions:
        with open(os.path.join(src, f"v{v}.0-local-strict", "_definitions.json")) as fh:
            defs = json.load(fh)["$defs"]
        kinds = {}
        for name, d in sorted(defs.items()):
            props = d.get("properties", {})
            api = props.get("apiVersion", {}).get("enum")
            kind = props.get("kind", {}).get("enum")
            if api and kind and len(api) == 1 and len(kind) == 1:
                kinds.setdefault(f"{api[0]}/{kind[0]}", name)
        out = {"kinds": kinds, "$defs": {k: strip(d) for k, d in sorted(defs.items())}}
        path = os.path.join(here, "src", "manifests", "schemas", f"v{v}.json")
        with open(path, "w") as fh:
            json.dump(out, fh, separators=(",", ":"), sort_keys=True)
            fh.write("\n")
        print(f"{path}: {len(kinds)} kinds, {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main(sys.argv)
