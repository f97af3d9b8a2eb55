//! `isf`: the single binary. Parses the command line and hands over to `cli::run`.
use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = isf::cli::Cli::parse();
    match isf::cli::run(cli).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(2);
        }
    }
}
