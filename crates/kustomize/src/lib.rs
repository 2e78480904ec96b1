//! A kustomize-compatible build engine.
//!
//! `compose kustomize DIR` prints what `kubectl kustomize DIR` (kustomize
//! v5.5.0) prints. The crate depends on `compose-yaml` for the YAML model,
//! reader and writer, and on nothing of compose itself; it reads files only
//! through [`fs::FileSystem`], so it is tested in memory.
//!
//! The API is small: [`build`] (the objects, as [`resource::Resource`]s)
//! and [`build_yaml`] (the text `kubectl kustomize` prints) with their
//! [`BuildOptions`], the file systems of [`fs`] ([`fs::OnDisk`],
//! [`fs::InMemory`], [`fs::Overlay`]), and [`Error`], whose [`Location`]s
//! say where in which file a problem is. The other public modules serve
//! compose and the fuzz targets (patch functions, selectors, secret
//! redaction, kustomization file names).
//!
//! A build of a tree held in memory:
//!
//! ```
//! use compose_kustomize::fs::InMemory;
//! use compose_kustomize::{build_yaml, BuildOptions};
//! use std::path::Path;
//!
//! let mut fs = InMemory::new();
//! fs.add_file(
//!     "/app/kustomization.yaml",
//!     "namePrefix: prod-\nresources: [cm.yaml]\n",
//! );
//! fs.add_file(
//!     "/app/cm.yaml",
//!     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n",
//! );
//! let yaml = build_yaml(&fs, Path::new("/app"), &BuildOptions::default())?;
//! assert_eq!(
//!     yaml,
//!     "apiVersion: v1\ndata:\n  mode: fast\nkind: ConfigMap\nmetadata:\n  name: prod-settings\n",
//! );
//! # Ok::<(), compose_kustomize::Error>(())
//! ```

pub mod build;
mod config;
mod error;
pub mod fs;
mod generate;
mod go_regex;
pub mod kustomization;
pub mod loader;
mod nameref;
pub mod observe;
mod openapi_choice;
pub mod parallel;
pub mod patch;
mod prefetch;
pub mod redact;
mod refs;
pub mod resource;
mod sort;
pub mod suggest;
pub mod target_selector;
mod transform;
mod transformer_steps;

pub use build::{build, build_yaml, BuildOptions};
pub use error::{Error, ErrorKind, Location, Result};
pub use loader::LoadRestrictor;

/// The kustomize release whose output the engine reproduces (the one in
/// `kubectl` 1.32).
pub const KUSTOMIZE_VERSION: &str = "v5.5.0";
