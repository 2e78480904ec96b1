//! compose: values-driven Kubernetes manifests.

pub mod deploy;
pub mod kustomize;
