//! A kustomize-compatible build engine.
//!
//! `compose kustomize DIR` prints what `kubectl kustomize DIR` (kustomize
//! v5.5.0) prints. The crate depends on `compose-yaml` for the YAML model,
//! reader and writer, and on nothing of compose itself; it reads files only
//! through [`fs::FileSystem`], so it is tested in memory.

pub mod ahead;
pub mod build;
pub mod config;
pub mod error;
pub mod fs;
pub mod generate;
mod go_regex;
pub mod kustomization;
pub mod loader;
pub mod nameref;
pub mod openapi;
pub mod parallel;
pub mod patch;
pub mod redact;
pub mod refs;
pub mod resource;
pub mod select;
pub mod sort;
pub mod steps;
pub mod suggest;
pub mod transform;

pub use build::{build, build_yaml, BuildOptions};
pub use error::{Error, ErrorKind, Location, Result};
pub use loader::LoadRestrictor;

/// The kustomize release whose output the engine reproduces (the one in
/// `kubectl` 1.32).
pub const KUSTOMIZE_VERSION: &str = "v5.5.0";
