#!/usr/bin/env python3
"""Regenerates crates/kustomize/src/config/tables.rs from kustomize's published facts.

Usage: tools/gen-fieldspecs.py FACTS_DIR | rustfmt --edition 2021 > crates/kustomize/src/config/tables.rs

The committed file is this script's output formatted by rustfmt, so the
command above reproduces it byte for byte.

FACTS_DIR holds `fieldspecs/*.yaml` (kustomize v5.5.0's default field specs,
in its own YAML), `namespace-scope.json` and `orderFirst.json` /
`orderLast.json`. The engine never reads those files; it compiles in the
tables this script writes. Python's standard library only: the field-spec
files use a tiny YAML subset (block mappings, block sequences, plain
scalars), which the small reader below understands and rejects anything
beyond.
"""

import json
import os
import sys

# The order in which kustomize joins its default field-spec documents.
SECTIONS = [
    ("namePrefix", "namePrefixFieldSpecs.yaml"),
    ("nameSuffix", "nameSuffixFieldSpecs.yaml"),
    ("commonLabels", "commonLabelFieldSpecs.yaml"),
    ("templateLabels", "templateLabelFieldSpecs.yaml"),
    ("commonAnnotations", "commonAnnotationFieldSpecs.yaml"),
    ("namespace", "namespaceFieldSpecs.yaml"),
    ("varReference", "varReferenceFieldSpecs.yaml"),
    ("nameReference", "nameReferenceFieldSpecs.yaml"),
    ("images", "imagesFieldSpecs.yaml"),
    ("replicas", "replicasFieldSpecs.yaml"),
]

# kustomize appends the metadata-label specs (a bare list with no key of its
# own) to both the commonLabels and the templateLabels documents.
METADATA_LABELS = "metadataLabelsFieldSpecs.yaml"


def fail(msg):
    sys.stderr.write("gen-fieldspecs: " + msg + "\n")
    sys.exit(1)


def tokenize(text, name):
    """Yields (indent, is_item, content) for each meaningful line."""
    out = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if "\t" in line[: len(line) - len(stripped)]:
            fail("%s:%d: tab indentation" % (name, n))
        indent = len(line) - len(stripped)
        out.append((indent, n, stripped))
    return out


def parse_scalar(s):
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if s[:1] in ("'", '"', "[", "{", "&", "*", "!", "|", ">"):
        fail("unsupported scalar syntax: %r" % s)
    return s


class Reader:
    """Recursive-descent reader for block mappings/sequences of plain scalars."""

    def __init__(self, lines, name):
        self.lines = lines
        self.i = 0
        self.name = name

    def peek(self):
        return self.lines[self.i] if self.i < len(self.lines) else None

    def node(self, indent):
        tok = self.peek()
        if tok is None or tok[0] < indent:
            return None
        if tok[2].startswith("- ") or tok[2] == "-":
            return self.seq(tok[0])
        return self.mapping(tok[0])

    def seq(self, indent):
        items = []
        while True:
            tok = self.peek()
            if tok is None or tok[0] != indent or not (tok[2].startswith("- ") or tok[2] == "-"):
                return items
            rest = tok[2][1:].lstrip(" ")
            if not rest:
                self.i += 1
                items.append(self.node(indent + 1))
                continue
            # "- key: value" starts a mapping whose keys sit at indent+2.
            inner = indent + (len(tok[2]) - len(rest))
            self.lines[self.i] = (inner, tok[1], rest)
            items.append(self.mapping(inner))

    def mapping(self, indent):
        m = {}
        while True:
            tok = self.peek()
            if tok is None or tok[0] != indent:
                return m
            if tok[2].startswith("- "):
                return m
            if ":" not in tok[2]:
                fail("%s:%d: expected key: value" % (self.name, tok[1]))
            key, _, val = tok[2].partition(":")
            key, val = key.strip(), val.strip()
            self.i += 1
            if key in m:
                fail("%s:%d: duplicate key %s" % (self.name, tok[1], key))
            if val:
                m[key] = parse_scalar(val)
            else:
                nxt = self.peek()
                # a sequence may sit at the same indent as its key
                if nxt is not None and nxt[0] == indent and nxt[2].startswith("- "):
                    m[key] = self.seq(indent)
                else:
                    m[key] = self.node(indent + 1)


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    r = Reader(tokenize(text, path), path)
    doc = r.node(0)
    if r.peek() is not None:
        fail("%s:%d: unexpected content" % (path, r.peek()[1]))
    return doc


FS_KEYS = {"group", "version", "kind", "path", "create"}


def field_spec(d, where):
    if not isinstance(d, dict):
        fail("%s: field spec is not a mapping" % where)
    extra = set(d) - FS_KEYS
    if extra:
        fail("%s: unknown field-spec keys %s" % (where, sorted(extra)))
    create = d.get("create", False)
    if not isinstance(create, bool):
        fail("%s: create is not a boolean" % where)
    return (
        str(d.get("group", "")),
        str(d.get("version", "")),
        str(d.get("kind", "")),
        str(d.get("path", "")),
        create,
    )


def rust_str(s):
    return json.dumps(s)  # JSON string escapes are valid Rust string escapes here


def fs_line(fs):
    g, v, k, p, c = fs
    return "    (%s, %s, %s, %s, %s)," % (rust_str(g), rust_str(v), rust_str(k), rust_str(p), "true" if c else "false")


def main():
    if len(sys.argv) != 2:
        fail("usage: gen-fieldspecs.py FACTS_DIR")
    facts = sys.argv[1]
    fsdir = os.path.join(facts, "fieldspecs")
    meta_labels = load(os.path.join(fsdir, METADATA_LABELS))
    if not isinstance(meta_labels, list):
        fail("metadata labels: expected a list")

    out = []
    w = out.append
    w("//! Default field specs, namespace scope and legacy order of kustomize v5.5.0.")
    w("//!")
    w("//! GENERATED by `tools/gen-fieldspecs.py`; do not edit by hand. Each field")
    w("//! spec is `(group, version, kind, path, create)`; empty strings select")
    w("//! anything. Order is the order kustomize lists them in.")
    w("")
    w("/// `(group, version, kind, path, create)`.")
    w("pub(crate) type RawSpec = (&'static str, &'static str, &'static str, &'static str, bool);")
    w("")
    w("/// A referred kind and the fields that refer to it: `(group, version, kind, referrers)`.")
    w("pub(crate) type RawNameRef = (&'static str, &'static str, &'static str, &'static [RawSpec]);")
    w("")

    for section, fname in SECTIONS:
        doc = load(os.path.join(fsdir, fname))
        if not isinstance(doc, dict) or list(doc) != [section]:
            fail("%s: expected a single key %s" % (fname, section))
        items = doc[section] or []
        if section in ("commonLabels", "templateLabels"):
            items = list(items) + list(meta_labels)
        const = "".join("_" + c if c.isupper() else c.upper() for c in section)
        if section == "nameReference":
            w("/// Default `nameReference` entries.")
            w("pub(crate) const NAME_REFERENCE: &[RawNameRef] = &[")
            for i, ref in enumerate(items):
                if not isinstance(ref, dict):
                    fail("%s: entry %d is not a mapping" % (fname, i))
                extra = set(ref) - {"group", "version", "kind", "fieldSpecs"}
                if extra:
                    fail("%s: unknown keys %s" % (fname, sorted(extra)))
                w("    (%s, %s, %s, &[" % (rust_str(str(ref.get("group", ""))), rust_str(str(ref.get("version", ""))), rust_str(str(ref.get("kind", "")))))
                for j, fs in enumerate(ref.get("fieldSpecs") or []):
                    w("    " + fs_line(field_spec(fs, "%s[%d][%d]" % (fname, i, j))))
                w("    ]),")
            w("];")
        else:
            w("/// Default `%s` field specs." % section)
            w("pub(crate) const %s: &[RawSpec] = &[" % const)
            for i, fs in enumerate(items):
                w(fs_line(field_spec(fs, "%s[%d]" % (fname, i))))
            w("];")
        w("")

    with open(os.path.join(facts, "namespace-scope.json"), encoding="utf-8") as f:
        scope = json.load(f)
    rows = sorted((t["apiVersion"], t["kind"], bool(t["namespaced"])) for t in scope["types"])
    w("/// Built-in `(apiVersion, kind, namespaced)`, sorted; kinds not listed are namespaced.")
    w("pub(crate) const NAMESPACE_SCOPE: &[(&str, &str, bool)] = &[")
    for a, k, n in rows:
        w("    (%s, %s, %s)," % (rust_str(a), rust_str(k), "true" if n else "false"))
    w("];")
    w("")
    for name, fname in (("ORDER_FIRST", "orderFirst.json"), ("ORDER_LAST", "orderLast.json")):
        with open(os.path.join(facts, fname), encoding="utf-8") as f:
            kinds = json.load(f)
        w("/// Legacy output order: `%s`." % fname)
        w("pub(crate) const %s: &[&str] = &[" % name)
        for k in kinds:
            w("    %s," % rust_str(k))
        w("];")
        w("")
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main()
