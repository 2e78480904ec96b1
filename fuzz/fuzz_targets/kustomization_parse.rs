//! Kustomization files: parsing and reading every field never panics.
#![no_main]

use compose_kustomize::kustomization::Kustomization;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

const FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "resources",
    "components",
    "bases",
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "images",
    "replicas",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "vars",
    "crds",
    "configurations",
    "openapi",
    "transformers",
    "generators",
    "validators",
    "buildMetadata",
    "sortOptions",
    "helmCharts",
    "replacements",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(k) = Kustomization::parse(text, "kustomization.yaml", Path::new("/k")) else {
        return;
    };
    let _ = k.is_component();
    for f in FIELDS {
        let _ = k.get(f);
        let _ = k.str(f);
        let _ = k.str_list(f);
        let _ = k.list(f);
        let _ = k.str_map(f);
    }
    for option in [
        "managedByLabel",
        "originAnnotations",
        "transformerAnnotations",
    ] {
        let _ = k.build_metadata(option);
    }
});
