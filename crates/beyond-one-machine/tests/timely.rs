//! The dataflow route on loopback: a 2-process timely cluster equals the
//! serial run bit for bit, and a peer that never connects is an error within
//! the connect timeout, never a hang.

mod common;

use std::time::{Duration, Instant};

use std::sync::Arc;

use beyond_one_machine::DemoSweep;
use beyond_one_machine::cluster::{self, ClusterOptions, run_cluster};
use beyond_one_machine::launch::{OnFailure, run_all};
use common::{
    SWEEP, TIMEOUT, assert_demo_verified, bin, bits, read_results, run, serial,
};
use workloads::WorkloadKind;
use workloads::testing::wait_bounded;

/// `processes` worker processes of one cluster on free loopback ports; process
/// 0 writes the gathered results to `output`.
fn cluster_commands(
    processes: usize,
    workers: usize,
    dir: &std::path::Path,
    only: Option<usize>,
) -> Vec<(String, std::process::Command)> {
    cluster_commands_with(processes, workers, dir, only, &SWEEP)
}

/// [`cluster_commands`] with `flags` (the sweep, and any others) for every
/// process.
fn cluster_commands_with(
    processes: usize,
    workers: usize,
    dir: &std::path::Path,
    only: Option<usize>,
    flags: &[&str],
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
                .args(flags)
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
    let sweep = Arc::new(DemoSweep::new(WorkloadKind::Pi, 13, 200, 1.0).unwrap());
    let second = Duration::from_secs(1);
    for workers in [1, 3] {
        let config = timely::Config::process(workers);
        let options = ClusterOptions::new(second, second, 0);
        let gathered = run_cluster(config, Arc::clone(&sweep), &options)
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
    // Serial, in one process, spawned as one process, and over TCP.
    assert_demo_verified(&["timely", "--processes", "2", "--workers", "1"], 4);
}

#[test]
fn bad_timely_flags_are_usage_errors() {
    let err = run(&["worker", "--", "-n", "two"]).expect_err("not a number");
    assert!(err.to_string().contains("exit status: 2"), "{err}");
}

/// A cluster process started directly (not through `run_all`), so that the
/// test can signal it; killed when dropped.
struct Process(std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts both processes of a 2-process cluster on sleep tasks (0.5 to 4 s
/// each), waits until they are computing, sends `signal` to process 1, and
/// returns how long process 0 took to fail after that, and its stderr.
/// The two processes of a one-worker-each cluster with `flags`, started
/// now, stderr piped (killed on drop).
fn spawn_cluster(dir: &std::path::Path, flags: &[&str]) -> Vec<Process> {
    cluster_commands_with(2, 1, dir, None, flags)
        .into_iter()
        .map(|(_, mut command)| {
            command
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            Process(command.spawn().unwrap())
        })
        .collect()
}

fn lose_process_1(signal: nix::sys::signal::Signal) -> (Duration, String) {
    use nix::sys::signal::kill;
    use nix::unistd::Pid;
    let dir = tempfile::tempdir().unwrap();
    // Worker 0 sleeps 8 s in all, worker 1 10 s: both are mid-run at 3 s.
    let flags = ["--workload", "sleep", "--size", "8", "--peer-timeout", "2"];
    let mut processes = spawn_cluster(dir.path(), &flags);
    std::thread::sleep(Duration::from_secs(3)); // connected, computing
    let lost = Instant::now();
    kill(Pid::from_raw(processes[1].0.id() as i32), signal).unwrap();
    let survivor = &mut processes[0].0;
    // Process 0 must notice, and exit, well within 20 s.
    let status = wait_bounded(survivor, Duration::from_secs(20));
    let waited = lost.elapsed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(survivor.stderr.as_mut().unwrap(), &mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    (waited, stderr)
}

#[test]
fn a_killed_peer_is_one_clear_error_naming_it_at_once() {
    let (waited, stderr) = lose_process_1(nix::sys::signal::Signal::SIGKILL);
    assert_eq!(stderr.lines().count(), 1, "one line, no panics: {stderr}");
    assert!(stderr.contains("lost process 1 (127.0.0.1:"), "{stderr}");
    assert!(stderr.contains("exited or was killed"), "{stderr}");
    // Noticed at once, not when the survivor's current 0.5-4 s task ends.
    assert!(waited < Duration::from_millis(1500), "after {waited:?}");
}

#[test]
fn a_stopped_peer_is_an_error_after_the_peer_timeout() {
    let (waited, stderr) = lose_process_1(nix::sys::signal::Signal::SIGSTOP);
    assert_eq!(stderr.lines().count(), 1, "one line, no panics: {stderr}");
    assert!(stderr.contains("lost process 1"), "{stderr}");
    assert!(stderr.contains("no heartbeat for 2s"), "{stderr}");
    assert!(waited < Duration::from_secs(10), "after {waited:?}");
}

#[test]
fn a_peer_paused_for_less_than_the_peer_timeout_is_not_lost() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let dir = tempfile::tempdir().unwrap();
    // About 4 s of sleeps per worker; paused for 300 ms at 1.5 s, well
    // under the 10 s peer timeout. Linux ends the paused process's socket
    // reads with EINTR on resume: that is not a lost peer.
    let flags = ["--workload", "sleep", "--size", "8", "--scale", "0.4"];
    let flags = [&flags[..], &["--peer-timeout", "10"]].concat();
    let mut processes = spawn_cluster(dir.path(), &flags);
    std::thread::sleep(Duration::from_millis(1500));
    let paused = Pid::from_raw(processes[1].0.id() as i32);
    kill(paused, Signal::SIGSTOP).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    kill(paused, Signal::SIGCONT).unwrap();
    for (p, process) in processes.iter_mut().enumerate() {
        let status = wait_bounded(&mut process.0, Duration::from_secs(30));
        let mut stderr = String::new();
        std::io::Read::read_to_string(
            process.0.stderr.as_mut().unwrap(),
            &mut stderr,
        )
        .unwrap();
        assert!(status.success(), "process {p}: {status}: {stderr}");
        assert!(!stderr.contains("lost"), "process {p}: {stderr}");
    }
}

#[test]
fn zero_workers_or_a_process_index_past_n_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts.txt");
    cluster::write_hostfile(&hosts, &["127.0.0.1:1".into(), "127.0.0.1:2".into()])
        .unwrap();
    let hosts = hosts.to_str().unwrap();
    for timely in [
        &["-n", "2", "-p", "5"][..],
        &["-n", "2", "-p", "0", "-w", "0", "-h", hosts],
        &["-w", "0"],
        &["-w0"],
    ] {
        let mut args = vec!["worker"];
        args.extend(SWEEP);
        args.push("--");
        args.extend(timely);
        let err = run(&args).expect_err("a usage error");
        let message = err.to_string();
        assert!(message.contains("exit status: 2"), "{timely:?}: {message}");
        assert!(!message.contains("panicked"), "{timely:?}: {message}");
    }
}

#[test]
fn a_process_of_another_job_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut commands = Vec::new();
    for (p, job) in [(0, "1"), (1, "2")] {
        let mut flags = SWEEP.to_vec();
        flags.extend(["--job", job]);
        commands.extend(cluster_commands_with(2, 1, dir.path(), Some(p), &flags));
    }
    let err = run_all(commands, TIMEOUT, OnFailure::KillAll).expect_err("two jobs");
    assert!(err.to_string().contains("two jobs on one port"), "{err}");
}

#[test]
fn a_process_stopped_and_resumed_again_and_again_still_notices_a_stopped_peer() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    let dir = tempfile::tempdir().unwrap();
    // Worker 0 sleeps 8 s in all: both are mid-run at 2 s.
    let flags = ["--workload", "sleep", "--size", "8", "--peer-timeout", "1"];
    let mut processes = spawn_cluster(dir.path(), &flags);
    std::thread::sleep(Duration::from_secs(2)); // connected, computing
    let (p0, p1) = (processes[0].0.id(), processes[1].0.id());
    let (p0, p1) = (Pid::from_raw(p0 as i32), Pid::from_raw(p1 as i32));
    kill(p1, Signal::SIGSTOP).unwrap(); // stopped for good
    let stopped = Instant::now();
    // Process 0 stopped and resumed every 200 ms (a job scheduler's
    // suspend, a debugger, a signal-based profiler): each resume ends its
    // socket reads early, which must not restart its count of silence.
    let mut status = None;
    while status.is_none() && stopped.elapsed() < Duration::from_secs(6) {
        kill(p0, Signal::SIGSTOP).unwrap();
        std::thread::sleep(Duration::from_millis(10));
        kill(p0, Signal::SIGCONT).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        status = processes[0].0.try_wait().unwrap();
    }
    let _ = kill(p1, Signal::SIGCONT);
    let Some(status) = status else {
        panic!(
            "process 0 never noticed its stopped peer ({:?})",
            stopped.elapsed()
        );
    };
    let mut stderr = String::new();
    let survivor = &mut processes[0].0;
    std::io::Read::read_to_string(survivor.stderr.as_mut().unwrap(), &mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("lost process 1"), "{stderr}");
    assert!(stderr.contains("no heartbeat for 1s"), "{stderr}");
}
