//! The blocked-runtime pitfall and its fix, measured. A ticker task wants to
//! run every millisecond; meanwhile CPU work (π tasks by default) runs either
//! inside async tasks, on the runtime's own worker threads, or handed off to a
//! rayon pool. The table shows how late the ticker's ticks were in each case,
//! and checks both results against serial.
//!
//! ```text
//! cargo run --release -p async-gather --example stall -- --jobs 2
//! cargo run --release -p async-gather --example stall -- --workload sleep --size 4 --scale 0.1
//! ```
//! (With `--workload sleep` the tasks call the blocking `std::thread::sleep`:
//! blocking the runtime by waiting does the same harm as computing.)

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_gather::{Placement, all_ok, measure_stall};
use clap::Parser;
use workloads::cli::CommonArgs;
use workloads::report::format_seconds;

#[derive(Parser)]
#[command(about = "Chapter 4: CPU work in async tasks stalls the runtime")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
    /// The ticker's period, in milliseconds (≥ 1).
    #[arg(long, default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=1000))]
    tick_ms: u64,
}

fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let jobs = args.common.jobs();
    let workload = args.common.prepare().context("preparing the workload")?;
    let inputs = workload.inputs();
    let expected: Vec<_> = inputs.iter().map(|&i| workload.run(i)).collect();
    let period = Duration::from_millis(args.tick_ms);

    println!(
        "{} {} tasks on {jobs} runtime threads; ticker every {}",
        workload.size(),
        args.common.workload.name(),
        format_seconds(period.as_secs_f64()),
    );
    println!(
        "{:<26}  {:>9}  {:>6}  {:>15}  {:>12}  result",
        "placement", "wall time", "ticks", "median lateness", "max lateness"
    );
    let mut all_verified = true;
    for placement in [Placement::InAsyncTasks, Placement::RayonHandOff] {
        let spec = Arc::new(workload.spec().clone());
        let run = measure_stall(
            placement,
            jobs,
            inputs.clone(),
            move |i| spec.run(i),
            period,
        )?;
        let verified = all_ok(run.results).as_ref() == Ok(&expected);
        all_verified &= verified;
        println!(
            "{:<26}  {:>9}  {:>6}  {:>15}  {:>12}  {}",
            placement.name(),
            format_seconds(run.wall.as_secs_f64()),
            run.lateness.ticks,
            format_seconds(run.lateness.median.as_secs_f64()),
            format_seconds(run.lateness.max.as_secs_f64()),
            if verified { "= serial" } else { "MISMATCH" },
        );
    }
    Ok(if all_verified {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: results differ from serial");
        ExitCode::FAILURE
    })
}
