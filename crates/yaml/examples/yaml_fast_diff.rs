//! Holds the fast YAML reader to the general parser on real files.
//!
//! usage: yaml_fast_diff PATH...  (folders are walked for *.yaml / *.yml)
//!
//! Prints every file where the two readers disagree, and how many files
//! the fast reader read and declined. Exits 1 on any disagreement.

use std::path::Path;

fn walk(p: &Path, out: &mut Vec<std::path::PathBuf>) {
    if p.is_dir() {
        let Ok(rd) = std::fs::read_dir(p) else { return };
        let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        entries.sort();
        for e in entries {
            walk(&e, out);
        }
    } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
        out.push(p.to_path_buf());
    }
}

#[allow(clippy::print_stdout)]
fn main() {
    let mut files = Vec::new();
    for a in std::env::args().skip(1) {
        walk(Path::new(&a), &mut files);
    }
    let (mut read, mut declined, mut bad) = (0, 0, 0);
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        match compose_yaml::parse::fast_reader_agrees(&text) {
            Ok(true) => read += 1,
            Ok(false) => {
                declined += 1;
                if std::env::var_os("SHOW_DECLINED").is_some() {
                    println!("declined: {}", f.display());
                }
            }
            Err(e) => {
                bad += 1;
                println!("DISAGREE {}\n{e}\n", f.display());
            }
        }
    }
    println!(
        "{} files: {read} read fast, {declined} declined, {bad} disagreements",
        files.len()
    );
    if bad > 0 {
        std::process::exit(1);
    }
}
