//! `isf`: the single binary. Parses the command line and hands over to `cli::run`.
use clap::Parser;

/// Imports and reports allocate many small values; mimalloc handles that far better than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = isf::cli::Cli::parse();
    if !cli.is_serve() {
        isf::telemetry::init_cli();
    }
    match isf::cli::run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
