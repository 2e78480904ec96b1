//! The only module that writes to stdout and stderr.
//!
//! Everything else returns values; `run` hands them here. Keeping output in
//! one place keeps the streams straight: manifests (and nothing else) on
//! stdout, so `compose ... | kubectl apply -f -` is safe; diagnostics and
//! warnings on stderr. Write errors on stdout (a closed pipe) are ignored:
//! the reader went away and there is nobody left to tell.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use crate::diagnostic::Diagnostic;
use std::io::Write;

/// Writes `text` to stdout as is.
pub fn out(text: &str) {
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
}

/// Writes built objects to stdout as `kubectl kustomize` prints them, a
/// run of objects at a time.
pub fn objects(objects: Vec<compose_kustomize::resource::Resource>) {
    if objects.is_empty() {
        return;
    }
    let mut o = std::io::stdout().lock();
    let threads = compose_kustomize::parallel::thread_count(0);
    compose_kustomize::build::print(objects, threads, |text, _, _| {
        o.write_all(text.as_bytes()).is_ok()
    });
    let _ = o.flush();
}

/// Writes a warning line to stderr.
pub fn warning(message: &str) {
    eprintln!("warning: {message}");
}

/// Writes each diagnostic, fully rendered, to stderr.
pub fn diagnostics(ds: &[Diagnostic]) {
    let mut e = std::io::stderr().lock();
    for d in ds {
        let _ = e.write_all(d.render().as_bytes());
    }
    if ds.len() > 1 {
        let _ = writeln!(
            e,
            "error: {} problems found; nothing was rendered",
            ds.len()
        );
    }
}

/// Writes an error line to stderr with the given prefix (`error: ` for
/// compose's own commands, `Error: ` for the kubectl drop-in).
pub fn error(prefix: &str, message: &str) {
    eprintln!("{prefix}{message}");
}

/// Writes clap's own rendering (help, version or usage error).
pub fn clap(err: &clap::Error) {
    let _ = err.print();
}
