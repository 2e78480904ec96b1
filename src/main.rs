//! Temporary entry point until the CLI lands: `compose kustomize DIR`.
#![allow(clippy::print_stdout, clippy::print_stderr)]
use std::io::Write;
fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 || args[1] != "kustomize" {
        eprintln!("usage: compose kustomize DIR");
        return std::process::ExitCode::from(2);
    }
    let dir = std::path::absolute(&args[2]).unwrap_or_default();
    match compose::kustomize::build_yaml(&compose::kustomize::fs::OnDisk, &dir, &Default::default()) {
        Ok(out) => {
            let _ = std::io::stdout().write_all(out.as_bytes());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::ExitCode::from(1)
        }
    }
}
