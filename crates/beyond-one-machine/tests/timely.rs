//! The dataflow route on loopback: a 2-process timely cluster equals the
//! serial run bit for bit, and a peer that never connects is an error within
//! the connect timeout, never a hang.

mod common;

use std::time::{Duration, Instant};

use beyond_one_machine::cluster::{self, run_cluster};
use beyond_one_machine::launch::{OnFailure, run_all};
use common::{SWEEP, TIMEOUT, bin, bits, read_results, run, serial};
use workloads::{Workload, WorkloadKind};

/// `processes` worker processes of one cluster on free loopback ports; process
/// 0 writes the gathered results to `output`.
fn cluster_commands(
    processes: usize,
    workers: usize,
    dir: &std::path::Path,
    only: Option<usize>,
) -> Vec<(String, std::process::Command)> {
    let ports = cluster::free_local_ports(processes).unwrap();
    let addresses: Vec<String> =
        ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let hosts = dir.join("hosts.txt");
    cluster::write_hostfile(&hosts, &addresses).unwrap();
    (0..processes)
        .filter(|p| only.is_none_or(|only| only == *p))
        .map(|p| {
            let mut command = bin();
            command
                .arg("worker")
                .args(SWEEP)
                .args(["--connect-timeout", "2", "--output"])
                .arg(dir.join("results.json"))
                .args(["--", "-n", &processes.to_string(), "-p", &p.to_string()])
                .args(["-w", &workers.to_string(), "-h"])
                .arg(&hosts);
            (format!("process {p}"), command)
        })
        .collect()
}

#[test]
fn two_processes_equal_the_serial_run_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    run_all(
        cluster_commands(2, 1, dir.path(), None),
        TIMEOUT,
        OnFailure::KillAll,
    )
    .unwrap();
    let gathered = read_results(&dir.path().join("results.json"));
    assert_eq!(bits(&gathered), bits(&serial()));
}

#[test]
fn three_processes_of_two_workers_equal_the_serial_run() {
    let dir = tempfile::tempdir().unwrap();
    let commands = cluster_commands(3, 2, dir.path(), None);
    run_all(commands, TIMEOUT, OnFailure::KillAll).unwrap();
    let gathered = read_results(&dir.path().join("results.json"));
    assert_eq!(bits(&gathered), bits(&serial()));
}

#[test]
fn workers_in_one_process_equal_the_serial_run() {
    let workload = Workload::prepare(WorkloadKind::Pi, 13, 200, 1.0).unwrap();
    for workers in [1, 3] {
        let config = timely::Config::process(workers);
        let gathered =
            run_cluster(config, workload.spec(), 13, Duration::from_secs(5))
                .unwrap()
                .expect("worker 0 is in this process");
        assert_eq!(bits(&gathered), bits(&serial()));
    }
}

#[test]
fn a_missing_peer_is_an_error_within_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    for present in [0, 1] {
        // Only process `present` of 2 starts; its peer never does.
        let started = Instant::now();
        let commands = cluster_commands(2, 1, dir.path(), Some(present));
        let err = run_all(commands, TIMEOUT, OnFailure::KillAll)
            .expect_err("the cluster cannot form");
        let waited = started.elapsed();
        let message = err.to_string();
        let absent = 1 - present;
        assert!(
            message.contains(&format!("no connection from process {absent}")),
            "{message}"
        );
        assert!(waited < Duration::from_secs(20), "gave up after {waited:?}");
    }
}

#[test]
fn the_timely_demo_verifies_against_serial() {
    let mut args = vec!["timely", "--processes", "2", "--workers", "1"];
    args.extend(SWEEP);
    let done = run(&args).unwrap();
    assert_eq!(
        done.stdout.matches("= serial").count(),
        4,
        "{}",
        done.stdout
    );
    assert!(!done.stdout.contains("MISMATCH"));
}

#[test]
fn bad_timely_flags_are_usage_errors() {
    let err = run(&["worker", "--", "-n", "two"]).expect_err("not a number");
    assert!(err.to_string().contains("exit status: 2"), "{err}");
}
