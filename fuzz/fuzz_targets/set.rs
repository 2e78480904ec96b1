//! `--set` and `COMPOSE_VALUES__...` parsing and typing against the
//! example project's schema. The first line is a `--set` argument; the
//! rest, if any, is an environment variable `NAME=VALUE`. Errors, never
//! panics.
#![no_main]

use compose::schema::{self, ComponentInfo};
use compose::values::{env_layer, set::parse_pairs, set_layer};
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

fn project_schema() -> &'static serde_json::Value {
    static S: OnceLock<serde_json::Value> = OnceLock::new();
    S.get_or_init(|| {
        let info = |name: &&str| ComponentInfo {
            name: name.to_string(),
            folder: format!("components/{name}"),
            summary: None,
            declared: BTreeMap::new(),
        };
        let infos: Vec<ComponentInfo> = COMPONENTS.iter().map(info).collect();
        match schema::generate(&infos, &BTreeMap::new()) {
            Ok(s) => s,
            Err(e) => panic!("schema: {e}"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let schema = project_schema();
    let (arg, env) = text.split_once('\n').unwrap_or((text, ""));
    let _ = parse_pairs(arg);
    if let Err(d) = set_layer(arg, schema) {
        let _ = d.render();
    }
    if let Some((name, value)) = env.split_once('=') {
        let name = format!("COMPOSE_VALUES__{name}");
        if let Err(d) = env_layer(&name, value, schema) {
            let _ = d.render();
        }
    }
});
