//! The floor for benchmarks: what compose's YAML layer alone costs on a
//! tree, with no kustomize semantics at all.
//!
//! usage: yaml_floor DIR
//!
//! Reads and parses every `.yaml`/`.yml` file under DIR (in sorted order),
//! then emits every parsed document that is not a kustomization once, as
//! one stream, to stdout. A build of the same tree has to do at least
//! this much work, so `bench/run.py` reports the build's time as a
//! multiple of this program's.

use std::io::Write;
use std::path::{Path, PathBuf};

use compose_yaml::{emit, parse};

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out)?;
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
            out.push(p);
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: yaml_floor DIR")?;
    let mut paths = Vec::new();
    files(Path::new(&dir), &mut paths)?;
    let mut docs = Vec::new();
    for p in &paths {
        let text = std::fs::read_to_string(p)?;
        let parsed = parse::parse_stream(&text).map_err(|e| format!("{}: {e}", p.display()))?;
        let is_kustomization = p.file_stem().is_some_and(|s| s == "kustomization");
        if !is_kustomization {
            docs.extend(parsed);
        }
    }
    let out = emit::emit_stream(&docs);
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(())
}
