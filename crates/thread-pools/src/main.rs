//! Chapter 2 demo: runs every thread-pool strategy on a workload, checks each
//! result equals the serial loop's, and prints the table with speedup and
//! efficiency (or `--json`).
//!
//! ```text
//! cargo run --release -p thread-pools -- --workload pi --size 16 --jobs 2
//! cargo run --release -p thread-pools -- --workload driver --size 1048576
//! cargo run --release -p thread-pools -- --workload sleep --size 8 --scale 0.1 --verbose
//! ```
//! Pools are built before the clock starts (you build a pool once and reuse
//! it); `scoped` and `crossbeam` start their threads on every call, and that
//! cost is in their time. Every speedup is paired (the strategy and the serial
//! loop alternate after a warm-up), and the header shows the machine's
//! parallel capacity: a speedup above it is flagged, not believed.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use thread_pools::names::*;
use thread_pools::{
    Pool, TaskError, channel_map, channel_map_chunked, default_chunk, rayon_map,
    rayon_map_in, rayon_map_init, rayon_map_min_len, rayon_pool, run_parallel_step,
    scoped_map,
};
use workloads::SERIAL;
use workloads::cli::CommonArgs;
use workloads::report::Report;
use workloads::{TaskResult, TaskSpec};

#[derive(Parser)]
#[command(
    about = "Chapter 2: thread pools — scoped threads, crossbeam, rayon, Pool"
)]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Show run_parallel_step's progress bar (on stderr, when it is a terminal).
    #[arg(long)]
    verbose: bool,
}

/// One result per task, or the first task that panicked.
type Checked = Result<Vec<TaskResult>, TaskError>;

/// Turns a pool's per-task results into [`Checked`], comparable with serial.
fn checked(results: Vec<Result<TaskResult, TaskError>>) -> Checked {
    results.into_iter().collect()
}

/// `starmap`'s two-argument task: the shared settings and a task index.
fn run_star(spec: Arc<TaskSpec>, i: u64) -> TaskResult {
    spec.run(i)
}

fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let jobs = args.common.jobs();
    let workload = args.common.prepare().context("preparing the workload")?;
    let inputs = workload.inputs();
    let n = workload.size();
    let task = |&i: &u64| workload.run(i);
    let chunk = default_chunk(inputs.len(), jobs);
    let rayon_jobs = rayon_pool(jobs).context("building the rayon pool")?;
    let pool = Pool::new(jobs).context("starting the pool")?;
    let spec = Arc::new(workload.spec().clone());

    let mut report = Report::new("thread-pools", args.common.workload.name(), n)
        .with_capacity()
        .with_progress(13); // the baseline and 12 strategies
    let serial = || inputs.iter().map(task).collect::<Vec<_>>();
    let expected = report.baseline(SERIAL, serial);
    let expected_ok: Checked = Ok(expected.clone());
    // The baseline of the pool strategies, whose results are per-task Results.
    let serial_ok = || Ok(serial());

    report.compare(SCOPED, jobs, &expected, serial, || {
        scoped_map(&inputs, jobs, task)
    });
    report.compare(CROSSBEAM, jobs, &expected, serial, || {
        channel_map(&inputs, jobs, task)
    });
    report.compare(CROSSBEAM_CHUNKED, jobs, &expected, serial, || {
        channel_map_chunked(&inputs, jobs, chunk, task)
    });
    report.compare(
        RAYON_GLOBAL,
        rayon::current_num_threads(),
        &expected,
        serial,
        || rayon_map(&inputs, task),
    );
    report.compare(RAYON, jobs, &expected, serial, || {
        rayon_map_in(&rayon_jobs, &inputs, task)
    });
    report.compare(RAYON_MIN_LEN, jobs, &expected, serial, || {
        rayon_map_min_len(&rayon_jobs, &inputs, chunk, task)
    });
    report.compare(RAYON_MAP_INIT, jobs, &expected, serial, || {
        let init = || workload.spec().clone(); // one copy per piece of work
        rayon_map_init(&rayon_jobs, &inputs, init, |spec, &i| spec.run(i))
    });
    report.compare(POOL_MAP, jobs, &expected_ok, serial_ok, || {
        let spec = Arc::clone(&spec);
        checked(pool.map(0..n, move |i| spec.run(i)))
    });
    report.compare(POOL_MAP_ASYNC, jobs, &expected_ok, serial_ok, || {
        let spec = Arc::clone(&spec);
        let handle = pool.map_async(0..n, move |i| spec.run(i));
        checked(handle.wait())
    });
    report.compare(POOL_STARMAP, jobs, &expected_ok, serial_ok, || {
        let tuples = (0..n).map(|i| (Arc::clone(&spec), i));
        checked(pool.starmap(tuples, run_star))
    });
    report.compare(POOL_IMAP_UNORDERED, jobs, &expected_ok, serial_ok, || {
        let spec = Arc::clone(&spec);
        let mut slots: Vec<Option<_>> = (0..n).map(|_| None).collect();
        for (index, result) in pool.imap_unordered(0..n, move |i| spec.run(i)) {
            slots[index] = Some(result);
        }
        checked(slots.into_iter().map(Option::unwrap).collect())
    });
    report.compare(RUN_PARALLEL_STEP, jobs, &expected_ok, serial_ok, || {
        checked(run_parallel_step(task, &inputs, jobs, args.verbose))
    });
    Ok(report.finish(args.common.json))
}
