//! Chapter 5 demo: runs a workload through the on-disk cache, first serially
//! (computing whatever the cache does not have yet), then again serially and
//! on a rayon pool and through the thread-pools chapter's helper, all served from the cache; checks every result equals the
//! first pass and prints the table (or `--json`).
//!
//! ```text
//! cargo run --release -p caching -- --workload sleep --size 10 --jobs 2
//! cargo run --release -p caching -- --workload sleep --size 10 --jobs 2   # again
//! cargo run --release -p caching -- --workload pi --size 16 --clear --verbose
//! ```
//! The cache lives in `--cache-dir` (default: `caching-cache` next to the
//! binary, under `target/`) and persists between runs: the first run takes the
//! tasks' time, the second is served from the cache. `--clear` empties it
//! first.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use caching::Memory;
use caching::names::{CACHED_RAYON, CACHED_SERIAL, CACHED_THREAD_POOLS};
use caching::sweep::{CachedSweep, cached_rayon, cached_serial, cached_thread_pool};
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use workloads::cli::CommonArgs;
use workloads::progress::Progress;
use workloads::report::Report;

#[derive(Parser)]
#[command(about = "Chapter 5: caching results on disk, like joblib.Memory")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Cache directory [default: `caching-cache` next to the binary].
    #[arg(long)]
    cache_dir: Option<PathBuf>,
    /// Empty the cache before running.
    #[arg(long)]
    clear: bool,
    /// Log every cache lookup, and why it missed, to stderr.
    #[arg(long)]
    verbose: bool,
}

/// Prints the cache's `log` records on stderr: its warnings always, every
/// lookup with `--verbose` (the library itself never prints).
struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        match record.level() {
            log::Level::Error | log::Level::Warn => {
                eprintln!("{}: warning: {}", record.target(), record.args());
            }
            _ => eprintln!("[{}] {}", record.target(), record.args()),
        }
    }

    fn flush(&self) {}
}

fn install_logger(verbose: bool) {
    static LOGGER: StderrLogger = StderrLogger;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(if verbose {
            log::LevelFilter::Info
        } else {
            log::LevelFilter::Warn
        });
    }
}

fn default_cache_dir() -> PathBuf {
    let exe = std::env::current_exe().ok();
    match exe.as_deref().and_then(|exe| exe.parent()) {
        Some(dir) => dir.join("caching-cache"),
        None => std::env::temp_dir().join("caching-cache"),
    }
}

/// Opens the cache before anything else, so that a bad directory is reported
/// before any work: a `--cache-dir` that cannot be used (a regular file, a
/// read-only directory) is a usage error, exit code 2.
fn open_cache(args: &Args) -> anyhow::Result<(PathBuf, Memory)> {
    let Some(dir) = &args.cache_dir else {
        let dir = default_cache_dir();
        let memory = Memory::new(&dir)
            .context("opening the default cache (choose one with --cache-dir)")?;
        return Ok((dir, memory));
    };
    match Memory::new(dir) {
        Ok(memory) => Ok((dir.clone(), memory)),
        Err(err) => Args::command()
            .error(
                ErrorKind::ValueValidation,
                format!("invalid value for '--cache-dir <CACHE_DIR>': {err}"),
            )
            .exit(),
    }
}

fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    install_logger(args.verbose);
    let jobs = args.common.jobs();
    let (dir, memory) = open_cache(&args)?;
    let memory = memory.verbose(args.verbose);
    let workload = args.common.prepare().context("preparing the workload")?;
    if args.clear {
        memory.clear().context("clearing the cache")?;
    }
    let (spec, inputs) = (workload.spec(), workload.inputs());

    // ANCHOR: demo
    // First pass: whatever is not cached yet is computed (and stored), with
    // progress on stderr (a bar on a terminal, lines in a log).
    let started = Instant::now();
    let expected = CachedSweep::new(&memory, spec)
        .progress(Progress::auto("caching, 1st pass"))
        .serial(&inputs);
    let first = started.elapsed().as_secs_f64();
    let stats = memory.stats();
    // Plain timings, not paired, and no capacity in the header: every
    // speedup here is the cache's gain over the first pass, which computes
    // (or, on a rerun, loads) once per run and cannot be alternated with the
    // cached passes; nor is a cache's gain bounded by the parallel capacity.
    let mut report =
        Report::new("caching", args.common.workload.name(), workload.size());
    let label = format!(
        "serial, 1st pass ({} computed, {} loaded)",
        stats.misses, stats.hits
    );
    report.push(&label, 1, first, 1, true);

    // Second pass: everything comes from the cache.
    report.check(CACHED_SERIAL, 1, &expected, || {
        cached_serial(&memory, spec, &inputs)
    });
    report.check(CACHED_RAYON, jobs, &expected, || {
        cached_rayon(&memory, spec, &inputs, jobs).expect("a rayon pool")
    });
    report.check(CACHED_THREAD_POOLS, jobs, &expected, || {
        cached_thread_pool(&memory, spec, &inputs, jobs).expect("no task panics")
    });
    // ANCHOR_END: demo

    let code = report.finish(args.common.json);
    let stats = memory.stats();
    let next = if stats.misses > 0 {
        "run again and everything comes from the cache"
    } else {
        "--clear to start over"
    };
    eprintln!(
        "cache {}: {} hits, {} misses ({} new arguments, {} code changed, {} corrupt, \
         {} evicted); {next}",
        dir.display(),
        stats.hits,
        stats.misses,
        stats.new_arguments,
        stats.code_changed,
        stats.corrupt,
        stats.evicted
    );
    Ok(code)
}
