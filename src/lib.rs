//! compose: values-driven Kubernetes manifests.

pub mod kustomize;
