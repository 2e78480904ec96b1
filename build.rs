//! Reads the numbers of the two mimalloc options compose sets from the
//! header of the mimalloc that is compiled in, so they cannot drift from
//! it when the crate is updated: mimalloc's Rust binding does not name
//! them, and mimalloc numbers its options by their place in one enum.
//!
//! Also records the Git commit compose is built from, for `compose
//! version` (`COMPOSE_COMMIT`; `unknown` outside a Git checkout).

use std::path::Path;

/// The options compose sets, and the constants they become.
const OPTIONS: &[(&str, &str)] = &[
    ("mi_option_purge_delay", "MI_OPTION_PURGE_DELAY"),
    ("mi_option_allow_thp", "MI_OPTION_ALLOW_THP"),
];

fn main() {
    commit();
    let Ok(dir) = std::env::var("DEP_MIMALLOC_INCLUDE_DIR") else {
        panic!("the mimalloc binding did not say where its header is (DEP_MIMALLOC_INCLUDE_DIR)");
    };
    let header = Path::new(&dir).join("mimalloc.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let text = std::fs::read_to_string(&header)
        .unwrap_or_else(|e| panic!("reading {}: {e}", header.display()));
    let names = enum_names(&text);
    let mut out = String::new();
    for (c_name, rust_name) in OPTIONS {
        let Some(n) = names.iter().position(|x| x == c_name) else {
            panic!("{} has no {c_name}; update src/main.rs", header.display());
        };
        out.push_str(&format!(
            "/// `{c_name}` of the compiled-in mimalloc.\nconst {rust_name}: libmimalloc_sys::mi_option_t = {n};\n"
        ));
    }
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}"));
    let dest = Path::new(&out_dir).join("mi_options.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("writing {}: {e}", dest.display()));
}

/// Sets `COMPOSE_COMMIT` to the checkout's commit, and builds again when
/// the checkout moves to another.
fn commit() {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=COMPOSE_COMMIT={commit}");
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        for file in ["HEAD", "logs/HEAD"] {
            println!("cargo:rerun-if-changed={dir}/{file}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}

/// The names of `mi_option_e`'s members that take the next number: those
/// before `_mi_option_last` without an `=` of their own.
fn enum_names(text: &str) -> Vec<String> {
    let body = text
        .split_once("typedef enum mi_option_e {")
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("mimalloc.h has no `typedef enum mi_option_e`"));
    let mut names = Vec::new();
    for line in body.lines() {
        let code = line.split("//").next().unwrap_or("").trim();
        for item in code.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item == "_mi_option_last" || item.starts_with('}') {
                return names;
            }
            if item.contains('=') {
                panic!("mimalloc.h: `{item}` numbers an option by hand; read it here");
            }
            names.push(item.to_string());
        }
    }
    names
}
