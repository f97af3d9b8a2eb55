//! Logging: one `tracing` subscriber for the service, filtered by `RUST_LOG`.
//!
//! Logs go to standard output, one event per line. They carry request ids, route templates
//! (`/api/people/{ref}`, never the ref itself), statuses and latencies: no names, dates of birth,
//! postcodes, amounts or request bodies. Errors are logged with their whole cause chain.
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

/// The filter used when `RUST_LOG` is unset: the service at `info`, the database drivers quieter.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// Installs the global subscriber. Safe to call more than once: later calls change nothing.
pub fn init() {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    // A second call (tests, or an embedding program that set its own subscriber) is not an error.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal())
        .try_init();
}

/// For the one-shot CLI commands: standard output is their data, so events go to standard error,
/// and only warnings unless `RUST_LOG` asks for more (`RUST_LOG=isf=debug` shows phase timings).
pub fn init_cli() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
