//! Project automation, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! ```text
//! cargo xtask bench [--full|--smoke] [--filter RE] [--book]
//!                             run every bench, write target/bench-report/ (tables,
//!                             results.json, SVG plots); --book copies them to the book
//! cargo xtask book [--open]   check includes, build the book to target/book, check links
//! cargo xtask ci              everything CI runs, stopping at the first failure
//! cargo xtask layers          the libraries one at a time and from outside the
//!                             workspace: import rings, dependencies, packaging
//! cargo xtask slurm           chapter 6's Slurm scripts on a real single-host
//!                             Slurm (installs it when missing; needs root)
//! ```
//! Cargo is always called through `$CARGO`, so the toolchain that runs the xtask
//! is the one it uses.

mod bench;
mod book;
mod ci;
mod layers;
mod slurm;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "Project automation for Parallel Processing in Rust")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every criterion bench and write the report: tables, JSON, SVG plots.
    Bench(bench::Options),
    /// Check the book's includes, build it to target/book, check its links.
    Book {
        /// Open the built book in a browser.
        #[arg(long)]
        open: bool,
    },
    /// Run every check CI runs, in order, stopping at the first failure.
    Ci,
    /// Check the libraries as an outside crate uses them: import rings,
    /// dependencies, each library alone, packaging, a crate outside the
    /// workspace.
    Layers {
        /// Run only this check (`imports`, …); all of them if left out.
        only: Option<String>,
    },
    /// Run chapter 6's Slurm scripts on a real single-host Slurm cluster.
    Slurm,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bench(options) => bench::run(&project_root(), &options),
        Command::Book { open } => book::run(&project_root(), open),
        Command::Ci => ci::run(&project_root()),
        Command::Layers { only } => layers::run(&project_root(), only.as_deref()),
        Command::Slurm => slurm::run(&project_root()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: the parent of this crate's directory.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}

/// The cargo that runs us (`$CARGO`), or `cargo` from `PATH`.
fn cargo() -> std::process::Command {
    std::process::Command::new(
        std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()),
    )
}
