//! The binary: parses arguments, starts tracing, runs the command, maps the
//! outcome to an exit code. All work happens in the library.

#![warn(clippy::pedantic)]

use clap::Parser;

fn main() -> std::process::ExitCode {
    // glibc gives each thread that allocates its own arena and keeps what is
    // freed in it: the crawl's runtime threads, the analysis threads and the
    // store writer held 209 MiB at the end of a 20,000-page crawl, 135 MiB
    // with one arena, at the same speed (docs/performance.md).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called before any other thread exists; mallopt only sets a
    // parameter of the allocator.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
    let args = exposure_audit::cli::Args::parse();
    // The log format is a config key; a config that does not load is
    // reported by the command itself, with text logs.
    let format = exposure_audit::config::Config::load(&args.config)
        .map(|c| c.logging.format)
        .unwrap_or_default();
    exposure_audit::cli::init_tracing(args.verbose, format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("exposure-audit: cannot start the async runtime: {e}");
            return exposure_audit::cli::Exit::Failed.into();
        }
    };
    let exit = runtime.block_on(exposure_audit::cli::run(args));
    exit.into()
}
