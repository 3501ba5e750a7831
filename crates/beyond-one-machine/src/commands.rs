//! The subcommands a real cluster runs: `shard` (one array task),
//! `worker` (one process of a timely cluster) and `status` (one progress
//! line for a whole array, from its results directory), for the chapter's
//! demo sweep.
//! The demo binary offers them, and the processes that
//! [`local`](crate::local) launches run them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sweep_core::progress::Progress;
use workloads::TaskResult;
use workloads::cli::CommonArgs;

use crate::array::{self, ShardSummary};
use crate::cluster::{ClusterOptions, run_cluster};
use crate::demo::DemoSweep;
use crate::local_error::{LocalError, json_error};
use crate::results::write_file;
use crate::shard::{Shard, resolve_shard};
use crate::slurm::cluster_from_slurm;
use crate::status::{self, ArrayStatus, StatusError};

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
    /// Progress on stderr (counts of tasks done, failed, ETA): a bar on a
    /// terminal, plain lines in a log. `auto`: on in a Slurm job (its
    /// stderr is the job's log), off otherwise.
    #[arg(long, value_enum, default_value_t = ShowProgress::Auto)]
    pub progress: ShowProgress,
    /// The sweep, and `--jobs` threads for this shard.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// When the `shard` subcommand shows its progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowProgress {
    /// In a Slurm job (`SLURM_JOB_ID` is set), where stderr is the log.
    Auto,
    /// Always.
    On,
    /// Never.
    Off,
}

impl ShowProgress {
    /// The reporter labelled `label`, given the environment variable
    /// `SLURM_JOB_ID`.
    fn progress(self, label: String, slurm_job: Option<String>) -> Progress {
        let on = match self {
            ShowProgress::Auto => slurm_job.is_some(),
            ShowProgress::On => true,
            ShowProgress::Off => false,
        };
        Progress::auto_if(on, label)
    }
}

impl ShardArgs {
    /// Runs the shard into the results directory and prints its
    /// [`ShardSummary`] as one line of JSON on stdout (the launcher reads it).
    pub fn run(&self) -> Result<ShardSummary, LocalError> {
        let shard = resolve_shard(self.shard, self.shards, self.common.size)?;
        let sweep = DemoSweep::from_args(&self.common)?;
        let jobs = self.common.jobs();
        let progress = self
            .progress
            .progress(format!("shard {shard}"), std::env::var("SLURM_JOB_ID").ok());
        let summary = array::run_shard_with_progress(
            &sweep,
            shard,
            jobs,
            &self.results,
            &progress,
        )?;
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
    /// A peer silent for this many seconds (plus a quarter, one heartbeat
    /// interval) is lost, a shorter pause is not; one that exits or is
    /// killed is noticed at once. The process then exits with an error.
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
    /// Progress of the results gathered (shown by the process with worker
    /// 0): `auto` is on in a Slurm job, off otherwise.
    #[arg(long, value_enum, default_value_t = ShowProgress::Auto)]
    pub progress: ShowProgress,
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
        options.progress = self
            .progress
            .progress("timely".into(), std::env::var("SLURM_JOB_ID").ok());
        options.on_lost = Arc::new(|error| {
            eprintln!("error: {error}");
            crate::slurm::let_the_log_catch_up();
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
            write_file(path, &bytes)?;
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

/// One progress line for a whole job array: the `status` subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    /// Results directory shared by all shards (its `sweep.json` gives the
    /// sweep and shard count).
    #[arg(long)]
    pub results: PathBuf,
    /// Keep reading it until every task has its result (or `--timeout`):
    /// the line is redrawn on a terminal, repeated when it changes in a log.
    #[arg(long)]
    pub watch: bool,
    /// Seconds between two reads with `--watch`.
    #[arg(long, default_value = "2", value_parser = parse_seconds)]
    pub every: Duration,
    /// With `--watch`: stop (exit status 1) after this many seconds.
    #[arg(long, value_parser = parse_seconds, requires = "watch")]
    pub timeout: Option<Duration>,
}

impl StatusArgs {
    /// Prints the array's line (once, or until it is complete with
    /// `--watch`) on stdout; `Ok(true)` if every task has its result.
    pub fn run(&self) -> Result<bool, LocalError> {
        let dir = &self.results;
        if !self.watch {
            let status = status::array_status(dir)?;
            println!("{}", line(status.as_ref()));
            return Ok(status.is_some_and(|s| s.is_complete()));
        }
        let redraw = std::io::IsTerminal::is_terminal(&std::io::stdout());
        let mut last = String::new();
        let show = |status: Option<&ArrayStatus>| {
            let text = line(status);
            if redraw {
                print!("\r\x1b[K{text}");
                let _ = std::io::Write::flush(&mut std::io::stdout());
            } else if text != last {
                println!("{text}");
            }
            last = text;
        };
        let outcome = status::watch(dir, self.every, self.timeout, show);
        if redraw {
            println!();
        }
        match outcome {
            Ok(_) => Ok(true),
            Err(StatusError::TimedOut(after)) => {
                eprintln!("error: the array was not complete after {after:?}");
                Ok(false)
            }
            Err(error) => Err(error.into()),
        }
    }
}

/// The line for `status`: the array's, or a note while no shard has started.
fn line(status: Option<&ArrayStatus>) -> String {
    status.map_or(
        "[array] no shard has started yet (no sweep.json)".into(),
        |s| s.to_string(),
    )
}
