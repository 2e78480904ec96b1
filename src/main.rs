//! The compose binary: everything happens in [`compose::run`].

fn main() -> std::process::ExitCode {
    compose::run(std::env::args_os())
}
