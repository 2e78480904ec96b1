//! The YAML layer: the document model, the reader and the writer.
//!
//! Everything that touches YAML syntax lives here, so the rest of the
//! engine (and of compose) sees only [`Node`]s. The reader wraps one event
//! parser crate, with a fast line reader in front of it for the common
//! block style; the writer is our own, because kustomize's bytes come from
//! go-yaml v2's emitter and no Rust crate writes them.

pub mod emit;
mod fast;
pub mod float;
pub mod json;
mod node;
pub mod parse;
mod spans;

pub use emit::{emit_document, emit_stream};
pub use node::{Mapping, Node, Str};
pub use parse::{
    parse_one, parse_stream, parse_stream_with_spans, parse_stream_yaml11, ParseError, Pos, SpanMap,
};
pub use spans::PointerTree;
