//! Chapter 4 demo. With `--workload sleep` it reproduces the joblib latency
//! example (tasks sleeping 0.5, 1, 1.5, 2, 2.5 s: one after another, two at a
//! time, all at once); with `--workload pi|driver|files` it compares the
//! schedulers (`current_thread`, `multi_thread`, `spawn_blocking`, the rayon
//! hand-off, and the `LocalCluster`). Every result is checked against serial.
//!
//! ```text
//! cargo run --release -p async-gather -- --workload sleep --size 5 --jobs 2
//! cargo run --release -p async-gather -- --workload sleep --size 5 --scale 0.1
//! cargo run --release -p async-gather -- --workload pi --size 16 --jobs 2
//! ```
//! Every speedup is paired: the strategy and the serial loop run alternately
//! after a warm-up (a baseline slower than half a second, such as the
//! latency example at full scale, is run once and not paired). On a CPU
//! workload the header shows the machine's parallel capacity, and a speedup
//! above it is flagged, not believed.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_gather::names::{ASYNC_ALL_AT_ONCE, ASYNC_BOUNDED, LOCAL_CLUSTER};
use async_gather::{
    Executor, Gather, LocalCluster, Scheduler, TaskError, all_ok, gather_bounded,
};
use clap::Parser;
use tokio::runtime::Builder;
use workloads::SERIAL;
use workloads::cli::CommonArgs;
use workloads::progress::Progress;
use workloads::report::Report;
use workloads::{TaskResult, TaskSpec, WorkloadKind};

#[derive(Parser)]
#[command(about = "Chapter 4: async scatter/gather with tokio")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

type Results = Result<Vec<TaskResult>, TaskError>;

fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let jobs = args.common.jobs();
    let workload = args.common.prepare().context("preparing the workload")?;
    let spec = Arc::new(workload.spec().clone());
    let inputs = workload.inputs();

    let sleep = args.common.workload == WorkloadKind::Sleep;
    // The serial baseline, then 3 latency rows or every scheduler and the cluster.
    let rows = if sleep {
        4
    } else {
        2 + Scheduler::ALL.len() as u64
    };
    let mut report =
        Report::new("async-gather", args.common.workload.name(), workload.size());
    // Waiting tasks do not use the CPU: running 5 sleeps at once on one
    // thread is a real 3× over one after another, not an artefact, so the
    // CPU capacity is neither a bound nor shown for the latency example.
    if !sleep {
        report = report.with_capacity();
    }
    let mut report = report.with_progress(rows);
    let serial =
        || -> Results { Ok(inputs.iter().map(|&i| workload.run(i)).collect()) };
    let expected: Results = report.baseline(SERIAL, serial);
    let mut rows = Rows {
        report,
        expected,
        serial,
        spec,
        inputs: &inputs,
        jobs,
    };
    if sleep {
        rows.latency()?;
    } else {
        rows.schedulers()?;
    }
    Ok(rows.report.finish(args.common.json))
}

/// What every row of the table shares: the report, the serial results a row
/// must equal, the serial run it is paired with, and the tasks.
struct Rows<'a, S> {
    report: Report,
    expected: Results,
    serial: S,
    spec: Arc<TaskSpec>,
    inputs: &'a [u64],
    jobs: usize,
}

impl<S: Fn() -> Results + Copy> Rows<'_, S> {
    /// Times `run` on `jobs` workers, paired with serial; checks its results.
    fn row(&mut self, strategy: &str, jobs: usize, run: impl FnMut() -> Results) {
        let (expected, serial) = (&self.expected, self.serial);
        self.report.compare(strategy, jobs, expected, serial, run);
    }

    /// The row of a scheduler, named by it: every task mapped on `executor`.
    fn executor_row(&mut self, executor: &Executor) {
        let (spec, inputs) = (Arc::clone(&self.spec), self.inputs);
        let name = executor.scheduler().name();
        self.row(name, executor.jobs(), || {
            let spec = Arc::clone(&spec);
            all_ok(executor.map(inputs.to_vec(), move |i| spec.run(i)))
        });
    }

    /// The latency example: waiting tasks on threads, and on one async thread.
    fn latency(&mut self) -> anyhow::Result<()> {
        let jobs = self.jobs;
        self.executor_row(&Executor::new(Scheduler::SpawnBlocking, jobs)?);
        let one_thread = Builder::new_current_thread().enable_all().build()?;
        let (spec, inputs) = (Arc::clone(&self.spec), self.inputs);
        let tasks = || {
            inputs.iter().map(|&i| {
                let spec = Arc::clone(&spec);
                async move { async_gather::demo::run_task(&spec, i).await }
            })
        };
        self.row(ASYNC_BOUNDED, jobs, || {
            all_ok(one_thread.block_on(gather_bounded(tasks(), jobs)))
        });
        self.row(ASYNC_ALL_AT_ONCE, 1, || {
            // Progress on stderr: a bar on a terminal, lines in a log.
            let progress = Progress::auto(ASYNC_ALL_AT_ONCE);
            all_ok(one_thread.block_on(async {
                let mut all = Gather::new().with_progress(progress);
                for task in tasks() {
                    all.spawn(task);
                }
                all.in_order().await
            }))
        });
        Ok(())
    }

    /// The schedulers compared on a CPU workload, then the cluster.
    fn schedulers(&mut self) -> anyhow::Result<()> {
        let jobs = self.jobs;
        for scheduler in Scheduler::ALL {
            self.executor_row(&Executor::new(scheduler, jobs)?);
        }
        let cluster = LocalCluster::new(jobs)?;
        let (spec, inputs) = (Arc::clone(&self.spec), self.inputs);
        self.row(LOCAL_CLUSTER, jobs, || {
            let spec = Arc::clone(&spec);
            all_ok(
                cluster.gather(cluster.map(move |i| spec.run(i), inputs.to_vec())),
            )
        });
        cluster
            .shutdown(Duration::from_secs(10))
            .context("closing the cluster")?;
        Ok(())
    }
}
