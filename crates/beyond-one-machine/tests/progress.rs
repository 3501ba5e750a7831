//! Progress of a shard and of a timely run, as a Slurm job's log shows it:
//! stderr is a file (not a terminal), so plain lines, the last one with the
//! final count. Off outside Slurm unless `--progress on`, so the JSON and
//! the logs of the local simulations stay as they were.

mod common;

use std::process::Command;

use beyond_one_machine::launch::{Finished, OnFailure, run_all};
use common::{SWEEP, TIMEOUT, bin};

/// Runs the binary with `args`, the sweep, then `tail`; `slurm_job` sets
/// or clears `SLURM_JOB_ID`.
fn run_with(args: &[&str], tail: &[&str], slurm_job: Option<&str>) -> Finished {
    let mut command: Command = bin();
    command.args(args).args(SWEEP).args(tail);
    match slurm_job {
        Some(id) => command.env("SLURM_JOB_ID", id),
        None => command.env_remove("SLURM_JOB_ID"),
    };
    let mut done =
        run_all(vec![(args.join(" "), command)], TIMEOUT, OnFailure::KillAll)
            .expect("the run succeeds");
    done.remove(0)
}

fn shard(progress: Option<&str>, slurm_job: Option<&str>) -> Finished {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let mut args = vec!["shard", "--shard", "1/2", "--results"];
    args.push(results.to_str().unwrap());
    if let Some(when) = progress {
        args.extend(["--progress", when]);
    }
    run_with(&args, &[], slurm_job)
}

/// The last progress line in `stderr` labelled `label`.
fn last_line<'a>(stderr: &'a str, label: &str) -> Option<&'a str> {
    stderr.lines().rfind(|line| line.starts_with(label))
}

#[test]
fn a_shard_in_a_slurm_job_logs_its_final_count() {
    let done = shard(None, Some("4242"));
    // Shard 1/2 of 13 tasks is tasks 6..13: seven computed.
    let last = last_line(&done.stderr, "[shard 1/2]")
        .unwrap_or_else(|| panic!("no progress line in stderr:\n{}", done.stderr));
    assert!(last.contains("7/7 done (100%)"), "{last}");
    assert!(last.ends_with("finished"), "{last}");
    // stdout still holds exactly the summary the launcher reads.
    assert_eq!(done.stdout.lines().count(), 1, "{}", done.stdout);
}

#[test]
fn a_shard_asked_for_progress_shows_it_outside_slurm() {
    let done = shard(Some("on"), None);
    let last = last_line(&done.stderr, "[shard 1/2]").expect("a progress line");
    assert!(last.contains("7/7 done (100%)"), "{last}");
}

#[test]
fn a_shard_is_quiet_outside_slurm_or_when_told() {
    assert_eq!(shard(None, None).stderr, "");
    assert_eq!(shard(Some("off"), Some("4242")).stderr, "");
}

#[test]
fn the_timely_process_with_worker_0_logs_the_results_gathered() {
    let done = run_with(&["worker", "--progress", "on"], &["--", "-w", "2"], None);
    let last = last_line(&done.stderr, "[timely]")
        .unwrap_or_else(|| panic!("no progress line in stderr:\n{}", done.stderr));
    assert!(last.contains("13/13 done (100%)"), "{last}");
    assert!(last.ends_with("finished"), "{last}");
}

#[test]
fn a_bad_progress_value_is_a_usage_error() {
    let mut command = bin();
    command.args(["shard", "--shard", "0/1", "--results", "/nonexistent"]);
    command.args(["--progress", "sometimes"]).args(SWEEP);
    let error =
        run_all(vec![("shard".into(), command)], TIMEOUT, OnFailure::KillAll)
            .expect_err("clap refuses the value");
    let text = error.to_string();
    assert!(text.contains("exit status: 2"), "{text}");
    assert!(text.contains("sometimes"), "{text}");
}
