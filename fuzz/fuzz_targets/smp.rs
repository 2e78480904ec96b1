//! Strategic merge patch: the input is a YAML stream whose first document
//! is the object and whose second is the patch. Merging may fail, never
//! panic; a merged object prints.
#![no_main]

use compose_kustomize::patch::{strategic_merge, Schema, SchemaRef};
use compose_yaml::{emit_document, parse_stream, Node};
use libfuzzer_sys::fuzz_target;

fn text_of(n: &Node, key: &str) -> String {
    match n.get(key) {
        Some(Node::Str(s)) => s.to_string(),
        _ => String::new(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(mut docs) = parse_stream(text) else {
        return;
    };
    if docs.len() < 2 {
        return;
    }
    let patch = docs.remove(1);
    let dest = docs.remove(0);
    let schema = Schema::builtin().for_kind(&text_of(&dest, "apiVersion"), &text_of(&dest, "kind"));
    if let Ok(Some(merged)) = strategic_merge(Some(dest.clone()), &patch, schema) {
        let _ = emit_document(&merged);
    }
    let _ = strategic_merge(None, &patch, schema);
    // The same patch with no schema (a custom resource).
    let _ = strategic_merge(Some(dest), &patch, SchemaRef::unknown());
});
