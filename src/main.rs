//! The compose binary: everything happens in [`compose::run`].

// A build allocates and frees many small nodes; mimalloc does that about
// a quarter faster than the system allocator (see docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    tune_allocator();
    let code = compose::run(std::env::args_os());
    exit_now(code)
}

/// Ends the process with `code` at once. The usual way out runs the C
/// library's exit handlers, among them mimalloc's shutdown, which walks
/// the whole heap to hand its pages back: work the kernel does anyway as
/// the process ends, and a few percent of a small build's time. Nothing
/// is lost: `run` has written everything (stderr is unbuffered, files
/// are closed), and stdout is flushed here.
fn exit_now(code: u8) -> ! {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    #[cfg(unix)]
    // SAFETY: `_exit` only ends the process; nothing runs after it.
    unsafe {
        libc::_exit(i32::from(code))
    }
    #[cfg(not(unix))]
    std::process::exit(i32::from(code))
}

// The numbers of the mimalloc options below, read by build.rs from the
// header of the mimalloc that is compiled in.
include!(concat!(env!("OUT_DIR"), "/mi_options.rs"));

/// Keeps the resident set near what the build really holds. By default
/// mimalloc keeps freed memory for a second before giving it back, and
/// asks the kernel to back its heap with 2 MB transparent huge pages; for
/// a process that lives a few milliseconds both only raise the peak
/// (docs/BENCHMARKS.md). mimalloc's own environment variables
/// (`MIMALLOC_PURGE_DELAY`, `MIMALLOC_ALLOW_THP`) still win when set.
/// The switch holds for compose's own process only: kubectl, started by
/// `apply` and `diff`, gets the kernel's default back (see
/// `deploy::kubectl`).
fn tune_allocator() {
    if !env_is_set("MIMALLOC_PURGE_DELAY") {
        // SAFETY: sets an integer option; mimalloc reads it when it next purges.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
    if !env_is_set("MIMALLOC_ALLOW_THP") {
        // SAFETY: as above; then the same prctl mimalloc makes itself for
        // MIMALLOC_ALLOW_THP=0, which holds for every later page fault.
        unsafe {
            libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0);
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

/// Whether an environment variable is set (as text or not).
fn env_is_set(name: &str) -> bool {
    std::env::var_os(name).is_some()
}
