//! The fast YAML reader against the general parser: on any text, the fast
//! reader either declines or gives the same trees and spans, in both
//! scalar dialects. The printed form of what parses is checked as well,
//! since printed YAML is exactly the kind of text the fast reader takes.
#![no_main]

use compose_yaml::{emit_stream, parse::fast_reader_agrees, parse_stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = fast_reader_agrees(text) {
        panic!("the readers disagree on {text:?}:\n{e}");
    }
    let Ok(docs) = parse_stream(text) else { return };
    let printed = emit_stream(&docs);
    if let Err(e) = fast_reader_agrees(&printed) {
        panic!("the readers disagree on printed YAML {printed:?}:\n{e}");
    }
});
