//! The only module that writes to stdout and stderr.
//!
//! Everything else returns values; `run` hands them here. Keeping output in
//! one place keeps the streams straight: manifests (and nothing else) on
//! stdout, so `compose ... | kubectl apply -f -` is safe; diagnostics and
//! warnings on stderr.
//!
//! Every function returns the result of its write, and `run` turns a
//! failed write into a non-zero exit: a stream cut short by a full disk
//! must never look like a success to the next command in a pipeline.
//! Only a closed pipe is not a failure (see [`is_failure`]): the reader
//! went away and wants no more. Nothing here panics on a failed write,
//! on stderr either.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use crate::diagnostic::Diagnostic;
use std::io::{self, Write};

/// Whether a write error means the output was lost. A closed pipe
/// (`compose ... | head`) is the reader's choice, not a failure.
pub(crate) fn is_failure(err: &io::Error) -> bool {
    err.kind() != io::ErrorKind::BrokenPipe
}

/// Writes `text` to stdout as is.
pub(crate) fn out(text: &str) -> io::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    let mut o = io::stdout().lock();
    o.write_all(text.as_bytes())?;
    o.flush()
}

/// Writes built objects to stdout as `kubectl kustomize` prints them, a
/// run of objects at a time. Stops at the first failed write.
pub(crate) fn objects(objects: Vec<compose_kustomize::resource::Resource>) -> io::Result<()> {
    if objects.is_empty() {
        return Ok(());
    }
    let mut o = io::stdout().lock();
    let threads = compose_kustomize::parallel::thread_count(0);
    let mut result = Ok(());
    compose_kustomize::build::print(objects, threads, |text, _, _| {
        result = o.write_all(text.as_bytes());
        result.is_ok()
    });
    result?;
    o.flush()
}

/// Flushes stdout.
pub(crate) fn flush() -> io::Result<()> {
    io::stdout().lock().flush()
}

/// Writes a warning line to stderr.
pub(crate) fn warning(message: &str) -> io::Result<()> {
    writeln!(io::stderr().lock(), "warning: {message}")
}

/// Writes each diagnostic, fully rendered, to stderr.
pub(crate) fn diagnostics(ds: &[Diagnostic]) -> io::Result<()> {
    let mut e = io::stderr().lock();
    for d in ds {
        e.write_all(d.render().as_bytes())?;
    }
    if ds.len() > 1 {
        writeln!(
            e,
            "error: {} problems found; nothing was rendered",
            ds.len()
        )?;
    }
    Ok(())
}

/// Writes an error line to stderr with the given prefix (`error: ` for
/// compose's own commands, `Error: ` for the kubectl drop-in).
pub(crate) fn error(prefix: &str, message: &str) -> io::Result<()> {
    writeln!(io::stderr().lock(), "{prefix}{message}")
}

/// Writes clap's own rendering (help and version on stdout, a usage error
/// on stderr).
pub(crate) fn clap(err: &clap::Error) -> io::Result<()> {
    let text = err.render();
    if err.use_stderr() {
        write!(io::stderr().lock(), "{text}")
    } else {
        let mut o = io::stdout().lock();
        write!(o, "{text}")?;
        o.flush()
    }
}
