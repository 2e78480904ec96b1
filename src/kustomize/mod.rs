//! A kustomize-compatible build engine.
//!
//! `compose kustomize DIR` prints what `kubectl kustomize DIR` (kustomize
//! v5.5.0) prints. This module tree is self-contained: it imports nothing
//! from the rest of compose and reads files only through [`fs::FileSystem`],
//! so it is tested in memory and could become a crate of its own by moving
//! the folder.

pub mod ahead;
pub mod build;
pub mod config;
pub mod error;
pub mod fs;
pub mod generate;
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
pub mod transform;
pub mod yaml;

pub use build::{build, build_yaml, BuildOptions};
pub use error::{Error, Result};
pub use loader::LoadRestrictor;
