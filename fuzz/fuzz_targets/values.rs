//! Values loading and validation as `compose validate` does it, for the
//! example project's components. The input is `values.yaml`, then more
//! files after `#>> name` lines; a section named `--set` holds one
//! `--set` argument per line. Every problem is a diagnostic, never a
//! panic, and values that pass the schema convert to the typed values.
#![no_main]

use compose::error::Error;
use compose::schema::{self, ComponentInfo, Values};
use compose::values::{self, file_layer, set_layer};
use compose_fuzz::split_files;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const COMPONENTS: &[&str] = &[
    "api",
    "database",
    "ingress",
    "migrations",
    "monitoring",
    "platform",
    "redis",
    "scraper",
    "storage",
    "unstructured",
];

fn components() -> &'static [String] {
    static C: OnceLock<Vec<String>> = OnceLock::new();
    C.get_or_init(|| COMPONENTS.iter().map(|s| s.to_string()).collect())
}

/// The components as the schema sees them: no summaries, no declared keys.
fn infos() -> &'static [ComponentInfo] {
    static I: OnceLock<Vec<ComponentInfo>> = OnceLock::new();
    I.get_or_init(|| {
        let info = |name: &String| ComponentInfo {
            name: name.clone(),
            folder: format!("components/{name}"),
            summary: None,
            declared: BTreeMap::new(),
        };
        components().iter().map(info).collect()
    })
}

fn project_schema() -> &'static serde_json::Value {
    static S: OnceLock<serde_json::Value> = OnceLock::new();
    S.get_or_init(|| match schema::generate(infos(), &BTreeMap::new()) {
        Ok(s) => s,
        Err(e) => panic!("schema: {e}"),
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let schema = project_schema();
    let mut layers = Vec::new();
    let mut problems = Vec::new();
    for (name, content) in split_files(text, "values.yaml") {
        let results: Vec<_> = if name == "--set" {
            content.lines().map(|arg| set_layer(arg, schema)).collect()
        } else {
            vec![file_layer(name, content)]
        };
        for r in results {
            match r {
                Ok(l) => layers.push(l),
                Err(d) => problems.push(d),
            }
        }
    }
    for d in &problems {
        let _ = d.render();
    }
    if !problems.is_empty() {
        return;
    }
    let loaded = match values::merge_layers(layers) {
        Ok(l) => l,
        Err(Error::Internal(e)) => panic!("merging layers: {e}"),
        Err(_) => return,
    };
    match schema::validate::validate(schema, &loaded, components()) {
        Err(ds) => {
            for d in &ds {
                let _ = d.render();
            }
        }
        Ok(()) => {
            if let Err(e) = Values::from_tree(&loaded.tree, infos(), &BTreeMap::new()) {
                panic!("values passed the schema but not the types: {e}\ninput: {text:?}");
            }
        }
    }
});
