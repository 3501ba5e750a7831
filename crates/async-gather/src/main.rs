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
use async_gather::names::{
    ASYNC_ALL_AT_ONCE, ASYNC_BOUNDED, LOCAL_CLUSTER, SPAWN_BLOCKING,
};
use async_gather::{
    Executor, Gather, LocalCluster, Scheduler, TaskError, all_ok, gather_bounded,
    run_task,
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
    if sleep {
        latency(&mut report, &expected, serial, &spec, &inputs, jobs)?;
    } else {
        schedulers(&mut report, &expected, serial, &spec, &inputs, jobs)?;
    }
    Ok(report.finish(args.common.json))
}

/// The latency example: waiting tasks on threads, and on one async thread.
fn latency(
    report: &mut Report,
    expected: &Results,
    serial: impl Fn() -> Results + Copy,
    spec: &Arc<TaskSpec>,
    inputs: &[u64],
    jobs: usize,
) -> anyhow::Result<()> {
    let threads = Executor::new(Scheduler::SpawnBlocking, jobs)?;
    report.compare(SPAWN_BLOCKING, jobs, expected, serial, || {
        let spec = Arc::clone(spec);
        all_ok(threads.map(inputs.to_vec(), move |i| spec.run(i)))
    });
    let one_thread = Builder::new_current_thread().enable_all().build()?;
    let tasks = || {
        inputs.iter().map(|&i| {
            let spec = Arc::clone(spec);
            async move { run_task(&spec, i).await }
        })
    };
    report.compare(ASYNC_BOUNDED, jobs, expected, serial, || {
        all_ok(one_thread.block_on(gather_bounded(tasks(), jobs)))
    });
    report.compare(ASYNC_ALL_AT_ONCE, 1, expected, serial, || {
        // Progress on stderr: a bar on a terminal, lines in a log.
        let progress = Progress::auto("async, all at once");
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

/// The schedulers compared on a CPU workload.
fn schedulers(
    report: &mut Report,
    expected: &Results,
    serial: impl Fn() -> Results + Copy,
    spec: &Arc<TaskSpec>,
    inputs: &[u64],
    jobs: usize,
) -> anyhow::Result<()> {
    for scheduler in Scheduler::ALL {
        let executor = Executor::new(scheduler, jobs)?;
        report.compare(scheduler.name(), executor.jobs(), expected, serial, || {
            let spec = Arc::clone(spec);
            all_ok(executor.map(inputs.to_vec(), move |i| spec.run(i)))
        });
    }
    let cluster = LocalCluster::new(jobs)?;
    report.compare(LOCAL_CLUSTER, jobs, expected, serial, || {
        let spec = Arc::clone(spec);
        all_ok(cluster.gather(cluster.map(move |i| spec.run(i), inputs.to_vec())))
    });
    cluster
        .shutdown(Duration::from_secs(10))
        .context("closing the cluster")?;
    Ok(())
}
