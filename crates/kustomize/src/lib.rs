//! A kustomize-compatible build engine.
//!
//! `compose kustomize DIR` prints what `kubectl kustomize DIR` (kustomize
//! v5.5.0) prints. The crate depends on `compose-yaml` for the YAML model,
//! reader and writer, and on nothing of compose itself; it reads files only
//! through [`fs::FileSystem`], so it is tested in memory.

pub mod build;
pub mod config;
pub mod error;
pub mod fs;
pub mod generate;
mod go_regex;
pub mod kustomization;
pub mod loader;
pub mod nameref;
pub mod openapi_choice;
pub mod parallel;
pub mod patch;
pub mod prefetch;
pub mod redact;
pub mod refs;
pub mod resource;
pub mod sort;
pub mod suggest;
pub mod target_selector;
pub mod transform;
pub mod transformer_steps;

pub use build::{build, build_yaml, BuildOptions};
pub use error::{Error, ErrorKind, Location, Result};
pub use loader::LoadRestrictor;

/// The kustomize release whose output the engine reproduces (the one in
/// `kubectl` 1.32).
pub const KUSTOMIZE_VERSION: &str = "v5.5.0";
