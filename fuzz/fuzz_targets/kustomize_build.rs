//! Whole builds over a small in-memory tree. The input is the root
//! `kustomization.yaml`, then files introduced by `#>> path` lines
//! (see `compose_fuzz::split_files`). Builds may fail, never panic.
#![no_main]

use compose_kustomize::fs::InMemory;
use compose_kustomize::{build_yaml, BuildOptions, LoadRestrictor};
use compose_fuzz::split_files;
use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut fs = InMemory::new();
    for (name, content) in split_files(text, "kustomization.yaml") {
        if name.is_empty() {
            continue;
        }
        let path: PathBuf = Path::new("/k").join(name);
        fs.add_file(path, content.as_bytes().to_vec());
    }
    for restrictor in [LoadRestrictor::RootOnly, LoadRestrictor::None] {
        let opts = BuildOptions {
            load_restrictor: restrictor,
            threads: 1,
            ..BuildOptions::default()
        };
        let _ = build_yaml(&fs, Path::new("/k"), &opts);
    }
});
