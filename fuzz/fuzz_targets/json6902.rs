//! JSON 6902 patches: the input is a YAML stream whose first document is
//! the object and whose second is the list of operations. Also reads the
//! whole input as a patch file. Never panics.
#![no_main]

use compose_kustomize::patch::{apply_json6902, parse_patch};
use compose_yaml::{emit_document, parse_stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_patch(text);
    let Ok(mut docs) = parse_stream(text) else {
        return;
    };
    if docs.len() < 2 {
        return;
    }
    let ops = docs.remove(1);
    let mut doc = docs.remove(0);
    if apply_json6902(&mut doc, &ops).is_ok() {
        let _ = emit_document(&doc);
    }
});
