//! Chapter 1 demo: runs every serial strategy on a workload, checks each result
//! equals the `for` loop's, and prints the table (or `--json`).
//!
//! ```text
//! cargo run --release -p serial-map -- --workload driver --size 1048576
//! cargo run --release -p serial-map -- --workload pi --size 16 --json
//! ```
//! `--jobs` is accepted (and validated) for symmetry with later chapters; every
//! strategy here runs on one thread. Each speedup is paired: the strategy and
//! the `for` loop run alternately after a warm-up, so `my_map` (the same code
//! as the `for` loop) measures 1.00× within its spread instead of looking
//! faster than a baseline that ran first and cold.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use serial_map::names::{FOLD_SUM, FOR_LOOP, ITERATOR_MAP, MY_MAP};
use serial_map::{fold_sum, for_loop, iterator_map, my_map};
use workloads::cli::CommonArgs;
use workloads::report::Report;

#[derive(Parser)]
#[command(about = "Chapter 1: serial map, the baseline of every chapter")]
struct Args {
    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    let args = Args::parse();
    run(&args).unwrap_or_else(|err| {
        eprintln!("error: {err:#}");
        ExitCode::FAILURE
    })
}

fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let workload = args.common.prepare().context("preparing the workload")?;
    let inputs = workload.inputs();
    let task = |&i: &u64| workload.run(i);

    let mut report =
        Report::new("serial-map", args.common.workload.name(), workload.size())
            .with_capacity()
            .with_progress(4); // the for loop and 3 strategies
    let baseline = || for_loop(&inputs, task);
    let expected = report.baseline(FOR_LOOP, baseline);
    report.compare(MY_MAP, 1, &expected, baseline, || my_map(&inputs, task));
    report.compare(ITERATOR_MAP, 1, &expected, baseline, || {
        iterator_map(&inputs, task)
    });

    let expected_sum = expected
        .iter()
        .map(|r| r.clone().map(|out| out.value()))
        .sum::<Result<f64, _>>();
    // The fold's baseline is the `for` loop followed by the same sum.
    let sum_of_loop = || {
        for_loop(&inputs, task)
            .into_iter()
            .map(|r| r.map(|out| out.value()))
            .sum::<Result<f64, _>>()
    };
    report.compare(FOLD_SUM, 1, &expected_sum, sum_of_loop, || {
        fold_sum(&inputs, |&i| workload.run(i).map(|out| out.value()))
    });
    Ok(report.finish(args.common.json))
}
