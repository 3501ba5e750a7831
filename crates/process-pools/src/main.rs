//! Chapter 3 demo: runs a workload serially, with the by-hand process pool,
//! with the robust [`ProcessPool`] (start-up included) and with rayon threads
//! as the reference; checks each result equals serial, prints the table.
//!
//! ```text
//! cargo run --release -p process-pools -- --workload pi --size 16 --jobs 2
//! cargo run --release -p process-pools -- --workload files --size 32 --json
//! cargo run --release -p process-pools -- --workload sleep --size 8 --progress
//! ```
//! The workers are this same program, re-executed: the first line of `main`
//! lets a worker serve tasks instead of running the demo. Ctrl-C stops the
//! demo (status 130) and the workers too: each worker is set to die, with
//! every process it started, when its parent dies.
//!
//! Every speedup is paired: the strategy and the serial loop run alternately
//! after a warm-up, and the header shows the machine's parallel capacity (a
//! speedup above it is flagged, not believed). A process pool's run includes
//! starting its workers, so each side gets a few pairs only ([`FEW_PAIRS`]):
//! enough for a median and its spread without making the demo twice as long.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use process_pools::demo::RunWorkload;
use process_pools::names::{BY_HAND, PROCESS_POOL, RAYON_THREADS};
use process_pools::{ProcessPool, by_hand};
use rayon::prelude::*;
use sweep_core::progress::Progress;
use workloads::SERIAL;
use workloads::TaskResult;
use workloads::cli::CommonArgs;
use workloads::measure::Budget;
use workloads::report::Report;

#[derive(Parser)]
#[command(about = "Chapter 3: process pools, next to serial and threads")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Tasks per message sent to a worker of the robust pool.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    chunksize: u64,
    /// Per-task timeout of the robust pool, in seconds (default: none).
    #[arg(long, value_parser = parse_timeout, allow_hyphen_values = true)]
    timeout: Option<Duration>,
    /// Show the robust pool's progress on stderr: a bar on a terminal,
    /// plain lines every few seconds otherwise (a log, a batch job).
    #[arg(long)]
    progress: bool,
}

/// Longest `--timeout` accepted: a week. More is surely a typo.
const MAX_TIMEOUT_SECS: f64 = 7.0 * 24.0 * 3600.0;

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if seconds.is_finite() && seconds > 0.0 && seconds <= MAX_TIMEOUT_SECS {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(format!(
            "`{text}` must be a positive number of seconds, at most {MAX_TIMEOUT_SECS}"
        ))
    }
}

/// The pairs of this demo: 1 warm-up, 3 to 7 pairs, about a third of a
/// second (the default, [`Budget::quick`], takes 5 to 31 pairs). Used by
/// [`Report::compare_with`], which times a strategy alone when the serial
/// loop is slower than [`workloads::report::PAIRED_UP_TO`].
const FEW_PAIRS: Budget = Budget {
    warm_up: 1,
    min_pairs: 3,
    max_pairs: 7,
    time: Duration::from_millis(300),
};

fn main() -> anyhow::Result<ExitCode> {
    process_pools::demo::worker_main_if_requested();
    let args = Args::parse();
    // Ctrl-C ends the demo with status 130 even when it was started with
    // SIGINT ignored (background jobs of a non-interactive shell, some CI
    // runners); the workers follow, as each is set to die with its parent.
    ctrlc::set_handler(|| std::process::exit(130)).context("handling Ctrl-C")?;
    let jobs = args.common.jobs();
    let workload = args.common.prepare().context("preparing the workload")?;
    let inputs = workload.inputs();
    let spec = workload.spec();
    let tasks: Vec<_> = inputs.iter().map(|&i| (spec.clone(), i)).collect();
    let exe = std::env::current_exe().context("finding this program")?;

    let mut report = Report::new(
        "process-pools",
        args.common.workload.name(),
        workload.size(),
    )
    .with_capacity();
    let serial = || inputs.iter().map(|&i| workload.run(i)).collect::<Vec<_>>();
    let expected: Vec<TaskResult> = report.baseline(SERIAL, serial);
    let wanted: Vec<Option<TaskResult>> =
        expected.iter().cloned().map(Some).collect();
    // The pools' baseline: serial, with results shaped like theirs.
    let serial_some = || serial().into_iter().map(Some).collect::<Vec<_>>();

    report.compare_with(FEW_PAIRS, BY_HAND, jobs, &wanted, serial_some, || {
        match by_hand::map::<RunWorkload>(&exe, &tasks, jobs) {
            Ok(done) => done.into_iter().map(|d| Some(d.output)).collect(),
            Err(e) => {
                eprintln!("by hand: {e}");
                Vec::new()
            }
        }
    });
    report.compare_with(FEW_PAIRS, PROCESS_POOL, jobs, &wanted, serial_some, || {
        let mut pool = ProcessPool::builder()
            .workers(jobs)
            .chunksize(args.chunksize as usize)
            .progress(Progress::auto_if(args.progress, "ProcessPool"));
        if let Some(timeout) = args.timeout {
            pool = pool.timeout(timeout);
        }
        let pool = pool.build();
        match pool {
            Ok(pool) => pool
                .map::<RunWorkload>(tasks.iter().cloned())
                .into_iter()
                .map(|r| r.inspect_err(|e| eprintln!("ProcessPool: {e}")).ok())
                .collect(),
            Err(e) => {
                eprintln!("ProcessPool: {e}");
                Vec::new()
            }
        }
    });
    let threads = sweep_core::jobs::rayon_pool(jobs).context("starting rayon")?;
    report.compare_with(FEW_PAIRS, RAYON_THREADS, jobs, &expected, serial, || {
        threads.install(|| inputs.par_iter().map(|&i| workload.run(i)).collect())
    });
    Ok(report.finish(args.common.json))
}
