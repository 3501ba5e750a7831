//! Chapter 6 demo: the two routes beyond one machine, simulated on this one and
//! checked against the serial result.
//!
//! ```text
//! # job array: 4 shard processes write to a results directory, then merge
//! cargo run --release -p beyond-one-machine -- array --shards 4 --workload pi --size 64
//! # timely cluster: 2 processes x 1 worker on loopback TCP
//! cargo run --release -p beyond-one-machine -- timely --processes 2 --workers 1 \
//!     --workload pi --size 64
//! ```
//! On a real cluster the same binary runs one shard (`shard --shards N`, the
//! shard being SLURM_ARRAY_TASK_ID), merges (`merge`, which prints the array
//! ids to resubmit), or runs one timely process (`worker --slurm -- -w T`, or
//! by hand `worker -- -n N -p I -h hosts.txt -w T`): see `slurm/*.sbatch`.
//! `array` gives each shard `--jobs / --shards` threads (at least one);
//! `timely` uses `--processes` x `--workers` and ignores `--jobs`.
//!
//! Every speedup is paired: the route and the serial loop run alternately
//! after a warm-up, a few pairs only ([`FEW_PAIRS`]: each run starts
//! processes; a serial loop slower than half a second is run once, not
//! paired), and the header shows the machine's parallel capacity (a
//! speedup above it is flagged, not believed).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use std::sync::Arc;

use anyhow::Context;
use beyond_one_machine::array::ArrayError;
use beyond_one_machine::cluster::{ClusterOptions, run_cluster};
use beyond_one_machine::commands::{self, ShardArgs, StatusArgs, WorkerArgs};
use beyond_one_machine::launch::Finished;
use beyond_one_machine::local::{self, LocalError};
use beyond_one_machine::names::{
    self, JOB_ARRAY, JOB_ARRAY_RERUN, THREAD_POOL, TimelyRoute,
};
use beyond_one_machine::shard::check_count;
use beyond_one_machine::{DemoSweep, array};
use clap::{Parser, Subcommand};
use workloads::cli::CommonArgs;
use workloads::measure::Budget;
use workloads::report::{Report, format_seconds};
use workloads::{SERIAL, TaskResult};

#[derive(Parser)]
#[command(
    about = "Chapter 6: beyond one machine (Slurm job arrays, timely dataflow)"
)]
struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Simulate a job array here: run every shard as a process, then merge.
    Array {
        /// Number of shards (array tasks).
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=256))]
        shards: u64,
        /// Results directory to keep (default: a fresh temporary one per run).
        #[arg(long)]
        results: Option<PathBuf>,
        /// Kill the shards and fail after this many seconds.
        #[arg(long, default_value = "600", value_parser = commands::parse_seconds)]
        timeout: Duration,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Run one shard of the sweep (one array task) into a results directory.
    Shard(ShardArgs),
    /// Gather every shard's results; fail, name the missing shards and print
    /// the command that resubmits exactly those.
    Merge {
        /// Number of shards the sweep was split into.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        shards: u64,
        /// The job script, to print the resubmission command with it.
        #[arg(long)]
        script: Option<PathBuf>,
        /// Results directory shared by all shards.
        #[arg(long)]
        results: PathBuf,
        /// Also write the merged results (JSON, in task order) to this file.
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// One progress line for a whole job array, from its results directory
    /// (exit status 0 once every task has its result, 1 before).
    Status(StatusArgs),
    /// Run a timely cluster here: spawn the processes on loopback TCP.
    Timely {
        /// Processes in the cluster.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
        processes: u64,
        /// Worker threads per process.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
        workers: u64,
        /// Kill the processes and fail after this many seconds.
        #[arg(long, default_value = "600", value_parser = commands::parse_seconds)]
        timeout: Duration,
        /// Seconds the processes wait for each other to connect.
        #[arg(long, default_value = "10", value_parser = commands::parse_seconds)]
        connect_timeout: Duration,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// One process of a timely cluster; timely's flags follow `--`:
    /// `-n processes -p index -h hostfile -w threads`.
    Worker(WorkerArgs),
}

fn main() -> ExitCode {
    // The shards and timely processes this demo launches are this program
    // re-executed: they run here and exit.
    local::child_main_if_requested();
    let args = Args::parse();
    run(args.command).unwrap_or_else(|error| {
        eprintln!("error: {}", one_line(&error));
        beyond_one_machine::slurm::let_the_log_catch_up();
        // A usage error (a bad shard, timely flags) exits with 2, like clap.
        let usage = error
            .downcast_ref::<LocalError>()
            .map(LocalError::exit_code);
        ExitCode::from(usage.unwrap_or(1))
    })
}

fn run(command: Cmd) -> anyhow::Result<ExitCode> {
    match command {
        Cmd::Array {
            shards,
            results,
            timeout,
            common,
        } => demo_array(shards, results.as_deref(), timeout, &common),
        Cmd::Shard(args) => {
            args.run()?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Merge {
            shards,
            script,
            results,
            output,
            common,
        } => merge(
            shards,
            script.as_deref(),
            &results,
            output.as_deref(),
            &common,
        ),
        Cmd::Timely {
            processes,
            workers,
            timeout,
            connect_timeout,
            common,
        } => demo_timely(processes, workers, timeout, connect_timeout, &common),
        Cmd::Status(args) => Ok(match args.run()? {
            true => ExitCode::SUCCESS,
            false => ExitCode::FAILURE,
        }),
        Cmd::Worker(args) => worker(&args),
    }
}

/// The error and its causes on one line (no backtrace), each cause once:
/// most messages here already include their cause.
fn one_line(error: &anyhow::Error) -> String {
    let mut text = error.to_string();
    for cause in error.chain().skip(1).map(ToString::to_string) {
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}

/// The pairs of these demos: 1 warm-up, 3 to 7 pairs, about half a second
/// (the default, [`Budget::quick`], takes 5 to 31): each run of a route
/// starts processes, and the serial loop runs again for every pair. Used by
/// [`Report::compare_with`], which times a route alone, unpaired, when the
/// serial loop is slower than [`workloads::report::PAIRED_UP_TO`] (long
/// sleeps, a big sweep).
const FEW_PAIRS: Budget = Budget {
    warm_up: 1,
    min_pairs: 3,
    max_pairs: 7,
    time: Duration::from_millis(500),
};

fn serial(sweep: &DemoSweep) -> Vec<TaskResult> {
    let workload = sweep.workload();
    workload.inputs().iter().map(|&i| workload.run(i)).collect()
}

fn prepare(common: &CommonArgs) -> anyhow::Result<DemoSweep> {
    DemoSweep::from_args(common).context("preparing the workload")
}

fn demo_array(
    shards: u64,
    keep: Option<&Path>,
    timeout: Duration,
    common: &CommonArgs,
) -> anyhow::Result<ExitCode> {
    check_count(shards, common.size).map_err(LocalError::from)?;
    let sweep = prepare(common)?;
    let jobs = common.jobs();
    // The shards share this machine: each gets an equal part of --jobs.
    let jobs_per_shard = (jobs / shards as usize).max(1);
    let array_jobs = jobs_per_shard * shards as usize;
    let mut report = Report::new(
        "beyond-one-machine (job array)",
        common.workload.name(),
        common.size,
    )
    .with_capacity()
    .with_progress(4); // serial, 1 process, the array, its rerun
    let serial_ok = || Ok::<_, String>(serial(&sweep));
    let expected = report.baseline(SERIAL, serial_ok);
    report.compare_with(FEW_PAIRS, THREAD_POOL, jobs, &expected, serial_ok, || {
        array::run_tasks(&sweep, 0..common.size, jobs).map_err(|e| e.to_string())
    });

    // Each run gets a fresh results directory (unless --results names one),
    // so that no run finds the results of the run before.
    let simulate = |dir: &Path| -> Result<(Vec<Finished>, Vec<TaskResult>), String> {
        let shards_run =
            local::launch_array(&sweep, shards, jobs_per_shard, dir, timeout)
                .map_err(|e| e.to_string())?;
        let merged = array::merge(&sweep, shards, dir).map_err(|e| e.to_string())?;
        Ok((shards_run, merged))
    };
    let mut startup = Vec::new();
    let mut failure = None;
    report.compare_with(
        FEW_PAIRS,
        JOB_ARRAY,
        array_jobs,
        &expected,
        serial_ok,
        || {
            let fresh = tempdir("ppr-results-").map_err(|e| e.to_string())?;
            let outcome = simulate(keep.unwrap_or(fresh.path()));
            match outcome {
                Ok((shards_run, merged)) => {
                    startup.extend(shards_run.iter().filter_map(startup_cost));
                    Ok(merged)
                }
                Err(e) => Err(failure.insert(e).clone()),
            }
        },
    );
    // Resubmitting the whole array over a complete results directory: every
    // shard finds its results and only the start-up cost remains. A plain
    // timing, not paired: what matters is its time, not a speedup (its
    // "speedup" over computing everything is not a parallel one, and is
    // flagged as above capacity).
    let complete = tempdir("ppr-results-")?;
    let complete = keep.unwrap_or(complete.path());
    let filled = simulate(complete);
    report.check(JOB_ARRAY_RERUN, array_jobs, &expected, || {
        filled.as_ref().map_err(Clone::clone)?;
        simulate(complete).map(|(_, merged)| merged)
    });

    let code = report.finish(common.json);
    if let Some(failure) = failure {
        eprintln!("error: {failure}");
    }
    if !startup.is_empty() {
        startup.sort_by(f64::total_cmp);
        eprintln!(
            "job array: per-shard start-up cost (process wall time minus its own \
             compute time), median of {} shards: {}",
            startup.len(),
            format_seconds(startup[startup.len() / 2])
        );
    }
    Ok(code)
}

fn tempdir(prefix: &str) -> std::io::Result<tempfile::TempDir> {
    tempfile::Builder::new().prefix(prefix).tempdir()
}

/// A shard's wall time as seen from the launcher minus the compute time it
/// reported itself: process start-up, opening the results directory, exit.
fn startup_cost(shard: &Finished) -> Option<f64> {
    let summary: array::ShardSummary =
        serde_json::from_str(shard.stdout.trim()).ok()?;
    Some((shard.wall.as_secs_f64() - summary.compute_seconds).max(0.0))
}

// ANCHOR: merge_command
/// The `merge` subcommand: the merged results, or the missing shards and the
/// command that resubmits exactly them.
fn merge(
    shards: u64,
    script: Option<&Path>,
    results: &Path,
    output: Option<&Path>,
    common: &CommonArgs,
) -> anyhow::Result<ExitCode> {
    check_count(shards, common.size).map_err(LocalError::from)?;
    let sweep = prepare(common)?;
    match array::merge(&sweep, shards, results) {
        Ok(merged) => {
            commands::write_results(output, &merged)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(missing @ ArrayError::Missing { .. }) => {
            let ids = missing.resubmit_ids().unwrap_or_default();
            let script = script
                .map_or("<your job script>".into(), |s| s.display().to_string());
            eprintln!("error: {missing}");
            eprintln!("resubmit exactly these shards (finished tasks are kept):");
            println!("sbatch --array={ids} {script}");
            Ok(ExitCode::FAILURE)
        }
        Err(other) => Err(LocalError::from(other).into()),
    }
}
// ANCHOR_END: merge_command

fn demo_timely(
    processes: u64,
    workers: u64,
    timeout: Duration,
    connect_timeout: Duration,
    common: &CommonArgs,
) -> anyhow::Result<ExitCode> {
    let sweep = Arc::new(prepare(common)?);
    let total = (processes * workers) as usize;
    let rows = if processes > 1 { 4 } else { 3 }; // serial and the runs below
    let mut report = Report::new(
        "beyond-one-machine (timely)",
        common.workload.name(),
        common.size,
    )
    .with_capacity()
    .with_progress(rows);
    let serial_ok = || Ok::<_, String>(serial(&sweep));
    let expected = report.baseline(SERIAL, serial_ok);
    let in_process = timely::Config::process(total);
    let options = ClusterOptions::new(connect_timeout, connect_timeout, 0);
    report.compare_with(
        FEW_PAIRS,
        &names::timely(1, total as u64, TimelyRoute::InProcess),
        total,
        &expected,
        serial_ok,
        || {
            let config = in_process.clone();
            match run_cluster(config, Arc::clone(&sweep), &options) {
                Ok(Some(results)) => Ok(results),
                Ok(None) => Err("worker 0 returned no results".to_owned()),
                Err(e) => Err(e.to_string()),
            }
        },
    );
    let mut failure = None;
    let mut spawned = |p: u64, w: u64, route| {
        let name = names::timely(p, w, route);
        report.compare_with(FEW_PAIRS, &name, total, &expected, serial_ok, || {
            local::launch_cluster(&sweep, p, w, timeout, connect_timeout)
                .map_err(|e| failure.insert(format!("{e:#}")).clone())
        });
    };
    if processes > 1 {
        spawned(1, total as u64, TimelyRoute::Spawned);
    }
    spawned(processes, workers, TimelyRoute::Tcp);
    let code = report.finish(common.json);
    if let Some(failure) = failure {
        eprintln!("error: {failure}");
    }
    Ok(code)
}

fn worker(args: &WorkerArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    match args.run() {
        Ok(Some(results)) => eprintln!(
            "worker 0: {} results in {}",
            results.len(),
            format_seconds(started.elapsed().as_secs_f64())
        ),
        Ok(None) => {}
        Err(error) => return Err(error.into()),
    }
    Ok(ExitCode::SUCCESS)
}
