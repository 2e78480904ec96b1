//! The compose binary: everything happens in [`compose::run`].

// A build allocates and frees many small nodes; mimalloc does that about
// a quarter faster than the system allocator (see docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    #[cfg(not(target_os = "linux"))]
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

/// On Linux the allocator is tuned before the Rust runtime starts: its
/// first allocation reserves mimalloc's first arena, and with huge pages
/// still allowed the arena's first bookkeeping write faults in (and
/// zeroes) a whole 2 MB page, half a millisecond of a small build.
/// Functions listed in `.init_array` run before `main` and before that
/// allocation; the environment is already in place, and setting options
/// needs nothing of mimalloc's own start-up.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static TUNE_ALLOCATOR_EARLY: extern "C" fn() = {
    extern "C" fn early() {
        tune_allocator();
    }
    early
};

/// Keeps the resident set near what the build really holds. By default
/// mimalloc keeps freed memory for a second before giving it back, and
/// the kernel backs its heap with 2 MB transparent huge pages; for a
/// process that lives a few milliseconds both only raise the peak (by a
/// third to a half on the benchmark trees, at no measurable cost in
/// time: docs/BENCHMARKS.md). mimalloc's own environment variables
/// (`MIMALLOC_PURGE_DELAY`, `MIMALLOC_ALLOW_THP`) still win when set.
fn tune_allocator() {
    // Option numbers of mimalloc v3 (its mimalloc.h), which the crate
    // does not name; the version is pinned by Cargo.lock.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    const ALLOW_THP: libmimalloc_sys::mi_option_t = 43;
    if !env_is_set(c"MIMALLOC_PURGE_DELAY") {
        // SAFETY: sets an integer option; mimalloc reads it when it next purges.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
    }
    if !env_is_set(c"MIMALLOC_ALLOW_THP") {
        // SAFETY: as above; then the same prctl mimalloc makes itself for
        // MIMALLOC_ALLOW_THP=0, which holds for every later page fault.
        unsafe {
            libmimalloc_sys::mi_option_set(ALLOW_THP, 0);
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        }
    }
}

/// Whether an environment variable is set, asked of the C library
/// directly, since this also runs before `main`.
fn env_is_set(name: &std::ffi::CStr) -> bool {
    // SAFETY: `name` is NUL-terminated; nothing changes the environment
    // while compose starts.
    !unsafe { libc::getenv(name.as_ptr()) }.is_null()
}
