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
//! On a real cluster the same binary runs one shard (`shard`, from Slurm's
//! array environment), merges (`merge`), or runs one timely process
//! (`worker -- -n N -p I -h hosts.txt -w T`): see `slurm/*.sbatch`.
//! `array` gives each shard `--jobs / --shards` threads (at least one);
//! `timely` uses `--processes` x `--workers` and ignores `--jobs`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::Context;
use beyond_one_machine::cluster::{self, run_cluster};
use beyond_one_machine::launch::{Finished, OnFailure, run_all};
use beyond_one_machine::shard::{Shard, resolve_shard};
use beyond_one_machine::{Sweep, array};
use clap::{Parser, Subcommand};
use workloads::cli::CommonArgs;
use workloads::report::{Report, format_seconds};
use workloads::{TaskResult, Workload};

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
        #[arg(long, default_value_t = 600.0)]
        timeout: f64,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Run one shard of the sweep (one array task) into a results directory.
    Shard {
        /// Which shard, `i/n`; default: from SLURM_ARRAY_TASK_ID/COUNT (the
        /// position in the array, so --array=1-4 works as well as 0-3).
        #[arg(long)]
        shard: Option<Shard>,
        /// Results directory shared by all shards.
        #[arg(long)]
        results: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Gather every shard's results; fail and name the missing shards.
    Merge {
        /// Number of shards the sweep was split into.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        shards: u64,
        /// Results directory shared by all shards.
        #[arg(long)]
        results: PathBuf,
        /// Also write the merged results (JSON, in task order) to this file.
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Run a timely cluster here: spawn the processes on loopback TCP.
    Timely {
        /// Processes in the cluster.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
        processes: u64,
        /// Worker threads per process.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=256))]
        workers: u64,
        /// Kill the processes and fail after this many seconds.
        #[arg(long, default_value_t = 600.0)]
        timeout: f64,
        /// Seconds the processes wait for each other to connect.
        #[arg(long, default_value_t = 10.0)]
        connect_timeout: f64,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// One process of a timely cluster; timely's flags follow `--`:
    /// `-n processes -p index -h hostfile -w threads`.
    Worker {
        /// Seconds to wait for every peer to connect before giving up.
        #[arg(long, default_value_t = 30.0)]
        connect_timeout: f64,
        /// Where process 0 writes the gathered results (JSON, in task order);
        /// default: print a summary.
        #[arg(long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        common: CommonArgs,
        /// timely's own arguments (see `timely::Config::from_args`).
        #[arg(last = true)]
        timely: Vec<String>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    run(args.command).unwrap_or_else(|error| {
        // `{:#}` prints the whole chain of causes on one line, and no backtrace.
        eprintln!("error: {error:#}");
        ExitCode::FAILURE
    })
}

fn run(command: Cmd) -> anyhow::Result<ExitCode> {
    match command {
        Cmd::Array {
            shards,
            results,
            timeout,
            common,
        } => demo_array(shards, results.as_deref(), seconds(timeout)?, &common),
        Cmd::Shard {
            shard,
            results,
            common,
        } => run_shard(shard, &results, &common),
        Cmd::Merge {
            shards,
            results,
            output,
            common,
        } => merge(shards, &results, output.as_deref(), &common),
        Cmd::Timely {
            processes,
            workers,
            timeout,
            connect_timeout,
            common,
        } => demo_timely(
            processes,
            workers,
            seconds(timeout)?,
            seconds(connect_timeout)?,
            &common,
        ),
        Cmd::Worker {
            connect_timeout,
            output,
            common,
            timely,
        } => worker(
            seconds(connect_timeout)?,
            output.as_deref(),
            &common,
            timely,
        ),
    }
}

fn seconds(value: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .with_context(|| format!("{value} is not a positive number of seconds"))
}

/// The flags that describe the sweep, to pass on to child processes.
fn sweep_flags(common: &CommonArgs) -> Vec<String> {
    vec![
        "--workload".into(),
        common.workload.name().into(),
        "--size".into(),
        common.size.to_string(),
        "--trials".into(),
        common.trials.to_string(),
        "--scale".into(),
        common.scale.to_string(),
    ]
}

fn this_exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("finding this program's path")
}

fn serial(workload: &Workload) -> Vec<TaskResult> {
    workload.inputs().iter().map(|&i| workload.run(i)).collect()
}

/// Runs shard `i/n` of every `i` as a process of this program, all at once.
fn launch_array(
    shards: u64,
    jobs_per_shard: usize,
    results: &Path,
    timeout: Duration,
    common: &CommonArgs,
) -> anyhow::Result<Vec<Finished>> {
    let exe = this_exe()?;
    let commands = Shard::all(shards)
        .map(|shard| {
            let mut command = Command::new(&exe);
            command
                .arg("shard")
                .arg("--shard")
                .arg(shard.to_string())
                .arg("--results")
                .arg(results)
                .arg("--jobs")
                .arg(jobs_per_shard.to_string())
                .args(sweep_flags(common));
            (format!("shard {shard}"), command)
        })
        .collect();
    Ok(run_all(commands, timeout, OnFailure::LetOthersFinish)?)
}

fn demo_array(
    shards: u64,
    keep: Option<&Path>,
    timeout: Duration,
    common: &CommonArgs,
) -> anyhow::Result<ExitCode> {
    let workload = common.prepare().context("preparing the workload")?;
    let sweep = Sweep::from_args(common);
    let jobs = common.jobs();
    // The shards share this machine: each gets an equal part of --jobs.
    let jobs_per_shard = (jobs / shards as usize).max(1);
    let array_jobs = jobs_per_shard * shards as usize;
    let mut report = Report::new(
        "beyond-one-machine (job array)",
        common.workload.name(),
        common.size,
    );
    let expected = report.baseline("serial", || serial(&workload));
    let expected = Ok(expected);
    report.check("thread pool, 1 process", jobs, &expected, || {
        array::run_tasks(workload.spec(), 0..common.size, jobs)
            .map_err(|e| e.to_string())
    });

    // Each run gets a fresh results directory (unless --results names one),
    // so that no run finds the results of the run before.
    let simulate = |dir: &Path| -> Result<(Vec<Finished>, Vec<TaskResult>), String> {
        let shards_run = launch_array(shards, jobs_per_shard, dir, timeout, common)
            .map_err(|e| format!("{e:#}"))?;
        let merged = array::merge(&sweep, shards, dir).map_err(|e| e.to_string())?;
        Ok((shards_run, merged))
    };
    let mut startup = Vec::new();
    let mut failure = None;
    report.check(
        &format!("job array: {shards} shard processes + merge"),
        array_jobs,
        &expected,
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
    // shard finds its results and only the start-up cost remains.
    let complete = tempdir("ppr-results-")?;
    let complete = keep.unwrap_or(complete.path());
    let filled = simulate(complete);
    report.check("job array rerun, all stored", array_jobs, &expected, || {
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

/// `1 process`, `2 processes`.
fn plural(n: u64, word: &str) -> String {
    match (n, word.ends_with('s')) {
        (1, _) => format!("{n} {word}"),
        (_, true) => format!("{n} {word}es"),
        (_, false) => format!("{n} {word}s"),
    }
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

fn run_shard(
    shard: Option<Shard>,
    results: &Path,
    common: &CommonArgs,
) -> anyhow::Result<ExitCode> {
    let shard = resolve_shard(shard)?;
    let workload = common.prepare().context("preparing the workload")?;
    let sweep = Sweep::from_args(common);
    let summary =
        array::run_shard(&sweep, workload.spec(), shard, common.jobs(), results)
            .with_context(|| format!("shard {shard}"))?;
    println!("{}", serde_json::to_string(&summary)?);
    Ok(ExitCode::SUCCESS)
}

fn merge(
    shards: u64,
    results: &Path,
    output: Option<&Path>,
    common: &CommonArgs,
) -> anyhow::Result<ExitCode> {
    let sweep = Sweep::from_args(common);
    let merged = array::merge(&sweep, shards, results)?;
    write_results(output, &merged)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes results as JSON to `output`, or prints a one-line summary.
fn write_results(
    output: Option<&Path>,
    results: &[TaskResult],
) -> anyhow::Result<()> {
    match output {
        Some(path) => std::fs::write(path, serde_json::to_vec(results)?)
            .with_context(|| format!("writing {}", path.display()))?,
        None => {
            let values: Vec<f64> = results
                .iter()
                .filter_map(|r| r.as_ref().ok().map(|out| out.value()))
                .collect();
            let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
            println!(
                "{} results ({} errors), mean value {mean}",
                results.len(),
                results.len() - values.len()
            );
        }
    }
    Ok(())
}

/// Spawns a local timely cluster of `processes` × `workers` on loopback, with
/// ports chosen now, and returns worker 0's gathered results.
fn launch_cluster(
    processes: u64,
    workers: u64,
    timeout: Duration,
    connect_timeout: Duration,
    common: &CommonArgs,
) -> anyhow::Result<Vec<TaskResult>> {
    let exe = this_exe()?;
    let dir = tempfile::Builder::new().prefix("ppr-timely-").tempdir()?;
    let hostfile = dir.path().join("hosts.txt");
    let output = dir.path().join("results.json");
    let ports = cluster::free_local_ports(processes as usize)?;
    let addresses: Vec<String> =
        ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    cluster::write_hostfile(&hostfile, &addresses)?;
    let commands = (0..processes)
        .map(|p| {
            let mut command = Command::new(&exe);
            command
                .arg("worker")
                .args(sweep_flags(common))
                .arg("--connect-timeout")
                .arg(connect_timeout.as_secs_f64().to_string())
                .arg("--output")
                .arg(&output)
                .arg("--")
                .args(["-n", &processes.to_string(), "-p", &p.to_string()])
                .args(["-w", &workers.to_string(), "-h"])
                .arg(&hostfile);
            (format!("timely process {p} of {processes}"), command)
        })
        .collect();
    run_all(commands, timeout, OnFailure::KillAll)?;
    let text = std::fs::read(&output).context("reading worker 0's results")?;
    Ok(serde_json::from_slice(&text)?)
}

fn demo_timely(
    processes: u64,
    workers: u64,
    timeout: Duration,
    connect_timeout: Duration,
    common: &CommonArgs,
) -> anyhow::Result<ExitCode> {
    let workload = common.prepare().context("preparing the workload")?;
    let total = (processes * workers) as usize;
    let mut report = Report::new(
        "beyond-one-machine (timely)",
        common.workload.name(),
        common.size,
    );
    let expected = Ok(report.baseline("serial", || serial(&workload)));
    let in_process = timely::Config::process(total);
    report.check(
        &format!("timely 1 process x {total} workers, in this process"),
        total,
        &expected,
        || {
            let config = in_process.clone();
            match run_cluster(config, workload.spec(), common.size, connect_timeout)
            {
                Ok(Some(results)) => Ok(results),
                Ok(None) => Err("worker 0 returned no results".to_owned()),
                Err(e) => Err(e.to_string()),
            }
        },
    );
    let mut failure = None;
    let mut spawned = |p: u64, w: u64, label: String| {
        report.check(&label, total, &expected, || {
            launch_cluster(p, w, timeout, connect_timeout, common)
                .map_err(|e| failure.insert(format!("{e:#}")).clone())
        });
    };
    if processes > 1 {
        spawned(
            1,
            total as u64,
            format!("timely 1 process x {total} workers, spawned"),
        );
    }
    spawned(
        processes,
        workers,
        format!(
            "timely {} x {}, TCP",
            plural(processes, "process"),
            plural(workers, "worker")
        ),
    );
    let code = report.finish(common.json);
    if let Some(failure) = failure {
        eprintln!("error: {failure}");
    }
    Ok(code)
}

fn worker(
    connect_timeout: Duration,
    output: Option<&Path>,
    common: &CommonArgs,
    timely_args: Vec<String>,
) -> anyhow::Result<ExitCode> {
    let config = match timely::Config::from_args(timely_args.into_iter()) {
        Ok(config) => config,
        Err(message) => {
            // A usage error, like clap's: status 2.
            eprintln!(
                "error: timely's arguments after `--` (-n -p -h -w): {message}"
            );
            return Ok(ExitCode::from(2));
        }
    };
    let workload = common.prepare().context("preparing the workload")?;
    let started = Instant::now();
    let gathered =
        run_cluster(config, workload.spec(), common.size, connect_timeout)?;
    if let Some(results) = gathered {
        write_results(output, &results)?;
        eprintln!(
            "worker 0: {} results in {}",
            results.len(),
            format_seconds(started.elapsed().as_secs_f64())
        );
    }
    Ok(ExitCode::SUCCESS)
}
