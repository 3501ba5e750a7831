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
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use workloads::cli::CommonArgs;
use workloads::{TaskResult, WorkloadError};

use crate::array::{self, ArrayError, ShardSummary};
use crate::cluster::{self, ClusterError, ClusterOptions, run_cluster};
use crate::launch::{Finished, LaunchError, OnFailure, die_with_parent, run_all};
use crate::results::{ResultsError, write_atomic};
use crate::shard::{Shard, ShardError, resolve_shard};
use crate::slurm::{SlurmError, cluster_from_slurm};
use crate::sweep::DemoSweep;

/// The first argument of a child process started by [`launch_array`] or
/// [`launch_cluster`]; [`child_main_if_requested`] looks for it.
pub const CHILD_ARG: &str = "__beyond-one-machine-child";

/// Why a child process, or a local simulation, failed.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The workload could not be prepared.
    #[error("preparing the workload: {0}")]
    Workload(#[from] WorkloadError),
    /// This process does not know which shard it is, or the count is wrong.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// A shard failed to run or store its results, or a merge failed.
    #[error(transparent)]
    Array(#[from] ArrayError),
    /// timely's arguments (after `--`) are not a valid configuration.
    #[error("timely's arguments after `--` (-n -p -h -w): {0}")]
    TimelyArgs(String),
    /// `--slurm` was given, but this is not a task of an `srun` step.
    #[error(transparent)]
    Slurm(#[from] SlurmError),
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
    /// The results could not be written.
    #[error("{0}")]
    Output(#[from] ResultsError),
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
            LocalError::TimelyArgs(_)
            | LocalError::Shard(_)
            | LocalError::Slurm(_)
            | LocalError::Array(ArrayError::Shard(_))
            | LocalError::Cluster(ClusterError::Config(_)) => 2,
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
        .filter(|d| !d.is_zero() && d.as_secs() < 1 << 40)
        .ok_or_else(|| format!("`{value}` is not a positive number of seconds"))
}

/// One shard of the sweep (one array task): the `shard` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct ShardArgs {
    /// Shards the sweep is split into (set once, in the job script); the
    /// shard is then SLURM_ARRAY_TASK_ID, so any subset of 0..N can be
    /// (re)submitted.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub shards: Option<u64>,
    /// Which shard, `i/n`, to run one by hand (outside a job array).
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
        let shard = resolve_shard(self.shard, self.shards, self.common.size)?;
        let sweep = DemoSweep::from_args(&self.common)?;
        let jobs = self.common.jobs();
        let summary = array::run_shard(&sweep, shard, jobs, &self.results)?;
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
    /// A peer silent for this many seconds is lost (one that exits or is
    /// killed is noticed at once); the process then exits with an error.
    #[arg(long, default_value = "10", value_parser = parse_seconds)]
    pub peer_timeout: Duration,
    /// Where process 0 writes the gathered results (JSON, in task order);
    /// default: print a summary.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Take the cluster from Slurm's environment (one process per task of
    /// this `srun` step; no hostfile); timely's `-w` may still follow `--`.
    #[arg(long)]
    pub slurm: bool,
    /// This run's identity, the same for every process: a process of another
    /// run is refused. Default: Slurm's job and step id, else 0.
    #[arg(long)]
    pub job: Option<u64>,
    /// The sweep (`--jobs` is ignored: timely's `-w` sets the threads).
    #[command(flatten)]
    pub common: CommonArgs,
    /// timely's own arguments (see `timely::Config::from_args`).
    #[arg(last = true)]
    pub timely: Vec<String>,
}

/// The value of timely flag `-x` in `args` (`-x 3` or `-x3`), if given.
fn timely_flag(args: &[String], flag: &str) -> Result<Option<usize>, LocalError> {
    let mut value = None;
    for (i, arg) in args.iter().enumerate() {
        let text = if arg == flag {
            args.get(i + 1).map(String::as_str)
        } else {
            arg.strip_prefix(flag)
        };
        if let Some(text) = text {
            let number = text.parse().map_err(|_| {
                LocalError::TimelyArgs(format!("{flag} {text}: not a number"))
            })?;
            value = Some(number);
        }
    }
    Ok(value)
}

impl WorkerArgs {
    /// timely's configuration: from `--` (checked: `-w >= 1`, `-p < -n`),
    /// or with `--slurm` from Slurm's environment; and the job identity.
    pub fn config(&self) -> Result<(timely::Config, u64), LocalError> {
        let threads = timely_flag(&self.timely, "-w")?.unwrap_or(1);
        let processes = timely_flag(&self.timely, "-n")?.unwrap_or(1);
        let process = timely_flag(&self.timely, "-p")?.unwrap_or(0);
        if threads == 0 {
            return Err(LocalError::TimelyArgs(
                "-w 0: need at least one worker".into(),
            ));
        }
        let env = |name: &str| std::env::var(name).ok();
        if self.slurm {
            let cluster = cluster_from_slurm(env)?;
            let config = timely::Config {
                communication: timely::CommunicationConfig::Cluster {
                    threads,
                    process: cluster.rank,
                    addresses: cluster.addresses,
                    report: false,
                    zerocopy: false,
                },
                worker: timely::WorkerConfig::default(),
            };
            return Ok((config, self.job.unwrap_or(cluster.job)));
        }
        if process >= processes {
            return Err(LocalError::TimelyArgs(format!(
                "-p {process} with -n {processes}: the process index must be below -n"
            )));
        }
        let config = timely::Config::from_args(self.timely.clone().into_iter())
            .map_err(LocalError::TimelyArgs)?;
        let job = self.job.or_else(|| {
            let job: u64 = env("SLURM_JOB_ID")?.parse().ok()?;
            let step: u64 = env("SLURM_STEP_ID")
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            Some(job << 16 | step & 0xffff)
        });
        Ok((config, job.unwrap_or(0)))
    }

    /// Runs this process of the cluster. The process hosting worker 0 writes
    /// the gathered results to `--output` (or prints a summary) and returns
    /// them. A lost peer ends the process at once (exit status 1) with one
    /// line naming it: the cluster cannot finish without it.
    pub fn run(&self) -> Result<Option<Vec<TaskResult>>, LocalError> {
        let (config, job) = self.config()?;
        let sweep = Arc::new(DemoSweep::from_args(&self.common)?);
        let mut options =
            ClusterOptions::new(self.connect_timeout, self.peer_timeout, job);
        options.on_lost = Arc::new(|error| {
            eprintln!("error: {error}");
            std::process::exit(1);
        });
        quiet_panics();
        let gathered = run_cluster(config, sweep, &options)?;
        if let Some(results) = &gathered {
            write_results(self.output.as_deref(), results)?;
        }
        Ok(gathered)
    }
}

/// Keeps panic messages off stderr: when a peer dies, timely's network
/// threads panic one after the other, and the one line that matters (which
/// peer was lost) would drown. A panic of a worker thread still reaches
/// [`run_cluster`]'s error, with its message.
fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}

/// Writes results as JSON to `output`, all or nothing (a temporary file
/// renamed into place: a full disk leaves no partial file), or prints a
/// one-line summary.
pub fn write_results(
    output: Option<&Path>,
    results: &[TaskResult],
) -> Result<(), LocalError> {
    match output {
        Some(path) => {
            let bytes = serde_json::to_vec(results)
                .map_err(json_error("serialising the results"))?;
            write_atomic(path, &bytes, true)?;
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
/// was started for and exits; otherwise returns at once. Call it first in
/// `main`. Either way, a process started by a [`launch`](crate::launch)
/// guard dies with its parent.
pub fn child_main_if_requested() {
    die_with_parent();
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

/// Runs all `shards` of `sweep` at once, each a process of this program with
/// `jobs_per_shard` threads, into the results directory `results`, and
/// returns what each printed. Every process is killed at `timeout`; one
/// failed shard does not stop the others. Merge with [`array::merge`].
pub fn launch_array(
    sweep: &DemoSweep,
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
                .args(sweep.flags());
            Ok((format!("shard {shard}"), command))
        })
        .collect::<Result<_, LaunchError>>()?;
    run_all(commands, timeout, OnFailure::LetOthersFinish)
}

/// A number for this run's handshake, different for every run.
fn random_job() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id())
}

/// Runs `sweep` on a timely cluster of `processes` processes of this program
/// with `workers` threads each, connected by TCP on loopback ports chosen now,
/// and returns worker 0's gathered results. All processes are killed at
/// `timeout`, and all of them as soon as one fails; peers must connect
/// within `connect_timeout`.
pub fn launch_cluster(
    sweep: &DemoSweep,
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
    let job = random_job().to_string();
    let commands = (0..processes)
        .map(|p| {
            let mut command = child_command()?;
            command
                .arg("worker")
                .args(sweep.flags())
                .args(["--job", &job])
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
