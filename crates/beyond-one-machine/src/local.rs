//! Both routes simulated on this machine: a job array's shards and a timely
//! cluster's processes started as child processes of *this* program.
//!
//! The children are this program re-executed with [`CHILD_ARG`] first on its
//! command line, so any program can launch them (the demo, a benchmark, a
//! test) as long as its `main` calls [`child_main_if_requested`] before doing
//! anything else (a shard or timely worker then runs there and exits): no
//! other binary has to be built first.
//!
//! The children run the [`commands`](crate::commands) a real cluster runs.

use std::io;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use clap::Parser;
use workloads::{TaskResult, WorkloadError};

use crate::array::ArrayError;
use crate::cluster::{self, ClusterError};
use crate::commands::{ShardArgs, WorkerArgs};
use crate::demo::DemoSweep;
use crate::launch::{Finished, LaunchError, OnFailure, die_with_parent, run_all};
use crate::results::ResultsError;
use crate::shard::{Shard, ShardError};
use crate::slurm::SlurmError;

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

pub(crate) fn io_error(
    what: impl Into<String>,
) -> impl FnOnce(io::Error) -> LocalError {
    let what = what.into();
    move |source| LocalError::Io { what, source }
}

pub(crate) fn json_error(
    what: &str,
) -> impl FnOnce(serde_json::Error) -> LocalError {
    move |source| LocalError::Json {
        what: what.to_owned(),
        source,
    }
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
/// failed shard does not stop the others. Merge with [`array::merge`](crate::array::merge).
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
