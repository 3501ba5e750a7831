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

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use clap::Parser;
use workloads::TaskResult;

use crate::cluster;
use crate::commands::{ShardArgs, WorkerArgs};
use crate::demo::DemoSweep;
use crate::launch::{Finished, LaunchError, OnFailure, die_with_parent, run_all};
use crate::local_error::{io_error, json_error};
use crate::shard::Shard;

pub use crate::local_error::LocalError;

/// The first argument of a child process started by [`launch_array`] or
/// [`launch_cluster`]; [`child_main_if_requested`] looks for it.
pub const CHILD_ARG: &str = "__beyond-one-machine-child";

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
