//! Both routes simulated on this machine: a job array's shards and a timely
//! cluster's processes started as child processes of *this* program.
//!
//! The children are this program re-executed with [`CHILD_ARG`] first on its
//! command line, so any program can launch them (the demo, a benchmark, a
//! test) as long as its `main` calls [`child_main_if_requested`] before doing
//! anything else (a shard or timely worker then runs there and exits): no
//! other binary has to be built first.
//!
//! [`ShardArgs`] and [`WorkerArgs`] are also the demo's `shard` and `worker`
//! subcommands, the ones a real cluster runs (see `slurm/*.sbatch`).

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use clap::Parser;
use workloads::cli::CommonArgs;
use workloads::{TaskResult, WorkloadError};

use crate::array::{self, ArrayError, ShardSummary, Sweep};
use crate::cluster::{self, ClusterError, run_cluster};
use crate::launch::{Finished, LaunchError, OnFailure, run_all};
use crate::shard::{Shard, ShardError, resolve_shard};

/// The first argument of a child process started by [`launch_array`] or
/// [`launch_cluster`]; [`child_main_if_requested`] looks for it.
pub const CHILD_ARG: &str = "__beyond-one-machine-child";

/// Why a child process, or a local simulation, failed.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The workload could not be prepared.
    #[error("preparing the workload: {0}")]
    Workload(#[from] WorkloadError),
    /// This process does not know which shard it is.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// A shard failed to run or store its results.
    #[error("shard {shard}: {source}")]
    RunShard {
        /// The shard.
        shard: Shard,
        /// What went wrong.
        source: ArrayError,
    },
    /// timely's arguments (after `--`) are not a valid configuration.
    #[error("timely's arguments after `--` (-n -p -h -w): {0}")]
    TimelyArgs(String),
    /// The cluster failed.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The child processes failed or timed out.
    #[error(transparent)]
    Launch(#[from] LaunchError),
    /// A file could not be written or read.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// What the operating system said.
        source: io::Error,
    },
    /// Results could not be (de)serialised.
    #[error("{what}: {source}")]
    Json {
        /// What was being done.
        what: String,
        /// What serde said.
        source: serde_json::Error,
    },
}

impl LocalError {
    /// The exit status a program should end with: 2 for a usage error (as
    /// clap does), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            LocalError::TimelyArgs(_) => 2,
            _ => 1,
        }
    }
}

fn io_error(what: impl Into<String>) -> impl FnOnce(io::Error) -> LocalError {
    let what = what.into();
    move |source| LocalError::Io { what, source }
}

fn json_error(what: &str) -> impl FnOnce(serde_json::Error) -> LocalError {
    move |source| LocalError::Json {
        what: what.to_owned(),
        source,
    }
}

/// Parses a positive number of seconds (a command-line value parser).
pub fn parse_seconds(value: &str) -> Result<Duration, String> {
    value
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("`{value}` is not a positive number of seconds"))
}

/// One shard of the sweep (one array task): the `shard` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct ShardArgs {
    /// Which shard, `i/n`; default: from SLURM_ARRAY_TASK_ID/COUNT (the
    /// position in the array, so --array=1-4 works as well as 0-3).
    #[arg(long)]
    pub shard: Option<Shard>,
    /// Results directory shared by all shards.
    #[arg(long)]
    pub results: PathBuf,
    /// The sweep, and `--jobs` threads for this shard.
    #[command(flatten)]
    pub common: CommonArgs,
}

impl ShardArgs {
    /// Runs the shard into the results directory and prints its
    /// [`ShardSummary`] as one line of JSON on stdout (the launcher reads it).
    pub fn run(&self) -> Result<ShardSummary, LocalError> {
        let shard = resolve_shard(self.shard)?;
        let workload = self.common.prepare()?;
        let sweep = Sweep::from_args(&self.common);
        let jobs = self.common.jobs();
        let summary =
            array::run_shard(&sweep, workload.spec(), shard, jobs, &self.results)
                .map_err(|source| LocalError::RunShard { shard, source })?;
        let line = serde_json::to_string(&summary)
            .map_err(json_error("writing the summary"))?;
        println!("{line}");
        Ok(summary)
    }
}

/// One process of a timely cluster: the `worker` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct WorkerArgs {
    /// Seconds to wait for every peer to connect before giving up.
    #[arg(long, default_value = "30", value_parser = parse_seconds)]
    pub connect_timeout: Duration,
    /// Where process 0 writes the gathered results (JSON, in task order);
    /// default: print a summary.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// The sweep (`--jobs` is ignored: timely's `-w` sets the threads).
    #[command(flatten)]
    pub common: CommonArgs,
    /// timely's own arguments (see `timely::Config::from_args`).
    #[arg(last = true)]
    pub timely: Vec<String>,
}

impl WorkerArgs {
    /// Runs this process of the cluster. The process hosting worker 0 writes
    /// the gathered results to `--output` (or prints a summary) and returns them.
    pub fn run(&self) -> Result<Option<Vec<TaskResult>>, LocalError> {
        let config = timely::Config::from_args(self.timely.clone().into_iter())
            .map_err(LocalError::TimelyArgs)?;
        let workload = self.common.prepare()?;
        let gathered = run_cluster(
            config,
            workload.spec(),
            self.common.size,
            self.connect_timeout,
        )?;
        if let Some(results) = &gathered {
            write_results(self.output.as_deref(), results)?;
        }
        Ok(gathered)
    }
}

/// Writes results as JSON to `output`, or prints a one-line summary.
pub fn write_results(
    output: Option<&Path>,
    results: &[TaskResult],
) -> Result<(), LocalError> {
    match output {
        Some(path) => {
            let bytes = serde_json::to_vec(results)
                .map_err(json_error("serialising the results"))?;
            std::fs::write(path, bytes)
                .map_err(io_error(format!("writing {}", path.display())))?;
        }
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

#[derive(Parser)]
#[command(name = "beyond-one-machine child process")]
struct Child {
    #[command(subcommand)]
    command: ChildCommand,
}

#[derive(clap::Subcommand)]
enum ChildCommand {
    Shard(ShardArgs),
    Worker(WorkerArgs),
}

// ANCHOR: child_hook
/// If this process was started by [`launch_array`] or [`launch_cluster`]
/// (its first argument is [`CHILD_ARG`]), runs the shard or timely worker it
/// was started for and exits; otherwise returns at once. Call it first in `main`.
pub fn child_main_if_requested() {
    if std::env::args_os()
        .nth(1)
        .is_none_or(|arg| arg != CHILD_ARG)
    {
        return;
    }
    // Parse everything after CHILD_ARG; a bad command line exits with 2.
    let child = Child::parse_from(std::env::args_os().skip(1));
    let outcome = match child.command {
        ChildCommand::Shard(args) => args.run().map(drop),
        ChildCommand::Worker(args) => args.run().map(drop),
    };
    match outcome {
        Ok(()) => std::process::exit(0),
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(error.exit_code().into())
        }
    }
}
// ANCHOR_END: child_hook

/// A command that runs this program as a child: `<this program> CHILD_ARG`.
fn child_command() -> Result<Command, LaunchError> {
    let exe = std::env::current_exe().map_err(|source| LaunchError::Spawn {
        name: "this program (its path is unknown)".to_owned(),
        source,
    })?;
    let mut command = Command::new(exe);
    command.arg(CHILD_ARG);
    Ok(command)
}

/// The flags that describe `sweep`, to pass on to child processes.
fn sweep_flags(sweep: &Sweep) -> Vec<String> {
    vec![
        "--workload".into(),
        sweep.workload.name().into(),
        "--size".into(),
        sweep.size.to_string(),
        "--trials".into(),
        sweep.trials.to_string(),
        "--scale".into(),
        sweep.scale.to_string(),
    ]
}

/// Runs all `shards` of `sweep` at once, each a process of this program with
/// `jobs_per_shard` threads, into the results directory `results`, and
/// returns what each printed. Every process is killed at `timeout`; one
/// failed shard does not stop the others. Merge with [`array::merge`].
pub fn launch_array(
    sweep: &Sweep,
    shards: u64,
    jobs_per_shard: usize,
    results: &Path,
    timeout: Duration,
) -> Result<Vec<Finished>, LaunchError> {
    let commands = Shard::all(shards)
        .map(|shard| {
            let mut command = child_command()?;
            command
                .arg("shard")
                .arg("--shard")
                .arg(shard.to_string())
                .arg("--results")
                .arg(results)
                .arg("--jobs")
                .arg(jobs_per_shard.to_string())
                .args(sweep_flags(sweep));
            Ok((format!("shard {shard}"), command))
        })
        .collect::<Result<_, LaunchError>>()?;
    run_all(commands, timeout, OnFailure::LetOthersFinish)
}

/// Runs `sweep` on a timely cluster of `processes` processes of this program
/// with `workers` threads each, connected by TCP on loopback ports chosen now,
/// and returns worker 0's gathered results. All processes are killed at
/// `timeout`, and all of them as soon as one fails; peers must connect
/// within `connect_timeout`.
pub fn launch_cluster(
    sweep: &Sweep,
    processes: u64,
    workers: u64,
    timeout: Duration,
    connect_timeout: Duration,
) -> Result<Vec<TaskResult>, LocalError> {
    let dir = tempfile::Builder::new()
        .prefix("ppr-timely-")
        .tempdir()
        .map_err(io_error("creating a directory for the hostfile"))?;
    let hostfile = dir.path().join("hosts.txt");
    let output = dir.path().join("results.json");
    let ports = cluster::free_local_ports(processes as usize)
        .map_err(io_error("finding free ports"))?;
    let addresses: Vec<String> =
        ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    cluster::write_hostfile(&hostfile, &addresses)
        .map_err(io_error("writing the hostfile"))?;
    let commands = (0..processes)
        .map(|p| {
            let mut command = child_command()?;
            command
                .arg("worker")
                .args(sweep_flags(sweep))
                .arg("--connect-timeout")
                .arg(connect_timeout.as_secs_f64().to_string())
                .arg("--output")
                .arg(&output)
                .arg("--")
                .args(["-n", &processes.to_string(), "-p", &p.to_string()])
                .args(["-w", &workers.to_string(), "-h"])
                .arg(&hostfile);
            Ok((format!("timely process {p} of {processes}"), command))
        })
        .collect::<Result<_, LaunchError>>()?;
    run_all(commands, timeout, OnFailure::KillAll)?;
    let text =
        std::fs::read(&output).map_err(io_error("reading worker 0's results"))?;
    serde_json::from_slice(&text).map_err(json_error("reading worker 0's results"))
}
