//! Helpers shared by the tests that spawn the demo binary: every process is
//! bounded by a timeout and killed if the test fails.

#![allow(dead_code, unreachable_pub)]

use std::process::Command;
use std::time::Duration;

use beyond_one_machine::launch::{Finished, LaunchError, OnFailure, run_all};
use workloads::{Output, TaskResult, WorkloadKind};

/// No test process may run longer than this.
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The sweep every test runs: tiny, so debug builds are quick.
pub const SWEEP: [&str; 6] = ["--workload", "pi", "--size", "13", "--trials", "200"];

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_beyond-one-machine"))
}

/// Runs the binary with `args`, bounded by [`TIMEOUT`].
pub fn run(args: &[&str]) -> Result<Finished, LaunchError> {
    let mut command = bin();
    command.args(args);
    let mut done =
        run_all(vec![(args.join(" "), command)], TIMEOUT, OnFailure::KillAll)?;
    Ok(done.remove(0))
}

/// Runs the demo with `args` and [`SWEEP`], bounded by [`TIMEOUT`], and
/// asserts that it printed `rows` rows equal to the serial run and no
/// mismatch.
pub fn assert_demo_verified(args: &[&str], rows: usize) {
    let mut args = args.to_vec();
    args.extend(SWEEP);
    let done = run(&args).unwrap();
    assert_eq!(
        done.stdout.matches("= serial").count(),
        rows,
        "{}",
        done.stdout
    );
    assert!(!done.stdout.contains("MISMATCH"), "{}", done.stdout);
}

/// The serial results of [`SWEEP`].
pub fn serial() -> Vec<TaskResult> {
    let workload =
        workloads::Workload::prepare(WorkloadKind::Pi, 13, 200, 1.0).unwrap();
    workload.inputs().iter().map(|&i| workload.run(i)).collect()
}

/// Bit patterns of numeric results, so equality means bit-for-bit.
pub fn bits(results: &[TaskResult]) -> Vec<u64> {
    results
        .iter()
        .map(|r| match r {
            Ok(Output::Number(x)) => x.to_bits(),
            other => panic!("not a number: {other:?}"),
        })
        .collect()
}

pub fn read_results(path: &std::path::Path) -> Vec<TaskResult> {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}
