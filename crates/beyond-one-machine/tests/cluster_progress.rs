//! One progress view of a whole timely cluster: process 0's progress lines
//! count the tasks done in *every* process while they run, not only the
//! results that have reached worker 0. A bounded 2-process run on loopback.

mod common;

use std::process::Command;

use beyond_one_machine::cluster;
use beyond_one_machine::launch::{OnFailure, run_all};
use common::{TIMEOUT, bin};

/// Sleep tasks of 1, 2, 3 and 4 s: process 0 runs tasks 0 and 2 (done at
/// 1 s and 4 s), process 1 tasks 1 and 3 (done at 2 s and 6 s).
const SLEEPS: [&str; 6] = ["--workload", "sleep", "--size", "4", "--scale", "2"];

/// The two processes of one cluster, with progress on.
fn commands(dir: &std::path::Path) -> Vec<(String, Command)> {
    let ports = cluster::free_local_ports(2).unwrap();
    let addresses: Vec<String> =
        ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let hosts = dir.join("hosts.txt");
    cluster::write_hostfile(&hosts, &addresses).unwrap();
    (0..2)
        .map(|p: usize| {
            let mut command = bin();
            command
                .args(["worker", "--progress", "on", "--connect-timeout", "10"])
                .args(SLEEPS)
                .arg("--output")
                .arg(dir.join("results.json"))
                .args(["--", "-n", "2", "-p", &p.to_string(), "-w", "1", "-h"])
                .arg(&hosts);
            command.env_remove("SLURM_JOB_ID");
            (format!("process {p}"), command)
        })
        .collect()
}

/// `(done, elapsed seconds, last)` of a line `[timely] 2/4 done (50%), 3.0 s
/// elapsed, ...`.
fn parse(line: &str) -> (u64, f64, bool) {
    let rest = line.strip_prefix("[timely] ").expect("a progress line");
    let done = rest.split('/').next().unwrap().parse().unwrap();
    let elapsed = rest
        .split(", ")
        .find_map(|part| part.strip_suffix(" s elapsed"))
        .unwrap()
        .parse()
        .unwrap();
    (done, elapsed, line.ends_with("finished"))
}

#[test]
fn process_0_counts_the_tasks_done_in_every_process_as_they_finish() {
    let dir = tempfile::tempdir().unwrap();
    let done = run_all(commands(dir.path()), TIMEOUT, OnFailure::KillAll).unwrap();
    let lines: Vec<(u64, f64, bool)> = done[0]
        .stderr
        .lines()
        .filter(|line| line.starts_with("[timely]"))
        .map(parse)
        .collect();
    let text = &done[0].stderr;
    assert_eq!(lines.last().map(|l| (l.0, l.2)), Some((4, true)), "{text}");
    // Before 4 s process 0 has finished one task; a count of 2 or more then
    // includes process 1's task 1, done at 2 s while it still runs task 3.
    let early = lines
        .iter()
        .filter(|(_, elapsed, last)| *elapsed < 3.9 && !last);
    assert!(
        early.clone().any(|&(done, ..)| done >= 2),
        "no line before 3.9 s counts process 1's first task:\n{text}"
    );
    assert!(early.clone().all(|&(done, ..)| done <= 3), "{text}");
    // Process 1 shows no view of its own.
    assert!(!done[1].stderr.contains("[timely]"), "{}", done[1].stderr);
}
