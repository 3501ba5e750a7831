//! The job-array route, end to end: shards as processes, a shared results
//! directory, and a merge that equals the serial run or names what is missing.

mod common;

use beyond_one_machine::launch::{OnFailure, run_all};
use common::{SWEEP, TIMEOUT, bin, bits, read_results, run, serial};

fn shard_command(shard: &str, results: &std::path::Path) -> std::process::Command {
    let mut command = bin();
    command
        .args(["shard", "--shard", shard, "--jobs", "2", "--results"])
        .arg(results)
        .args(SWEEP);
    command
}

#[test]
fn merged_shards_equal_the_serial_run_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let shards = (0..3)
        .map(|i| {
            (
                format!("shard {i}"),
                shard_command(&format!("{i}/3"), dir.path()),
            )
        })
        .collect();
    run_all(shards, TIMEOUT, OnFailure::KillAll).unwrap();
    let merged = dir.path().join("merged.json");
    let results = dir.path().to_str().unwrap();
    let mut args = vec!["merge", "--shards", "3", "--results", results];
    args.extend(["--output", merged.to_str().unwrap()]);
    args.extend(SWEEP);
    run(&args).unwrap();
    assert_eq!(bits(&read_results(&merged)), bits(&serial()));
}

#[test]
fn slurm_environment_selects_the_shard_even_when_ids_start_at_1() {
    let dir = tempfile::tempdir().unwrap();
    // --array=1-2: ids 1 and 2 are shards 0/2 and 1/2.
    let shards = (1..=2)
        .map(|id| {
            let mut command = bin();
            command
                .args(["shard", "--results"])
                .arg(dir.path())
                .args(SWEEP)
                .env("SLURM_ARRAY_TASK_ID", id.to_string())
                .env("SLURM_ARRAY_TASK_COUNT", "2")
                .env("SLURM_ARRAY_TASK_MIN", "1");
            (format!("array id {id}"), command)
        })
        .collect();
    let done = run_all(shards, TIMEOUT, OnFailure::KillAll).unwrap();
    assert!(
        done[0].stdout.contains(r#""index":0,"count":2"#),
        "{}",
        done[0].stdout
    );
    let results = dir.path().to_str().unwrap();
    let mut args = vec!["merge", "--shards", "2", "--results", results];
    args.extend(SWEEP);
    run(&args).unwrap();
}

#[test]
fn merge_names_the_missing_shard_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    for shard in ["0/3", "2/3"] {
        let name = format!("shard {shard}");
        run_all(
            vec![(name, shard_command(shard, dir.path()))],
            TIMEOUT,
            OnFailure::KillAll,
        )
        .unwrap();
    }
    let results = dir.path().to_str().unwrap();
    let mut args = vec!["merge", "--shards", "3", "--results", results];
    args.extend(SWEEP);
    let err = run(&args).expect_err("a shard is missing");
    let message = err.to_string();
    assert!(message.contains("4 of 13 results missing"), "{message}");
    assert!(message.contains("shard 1/3 (tasks 4..8)"), "{message}");
    assert!(!message.contains("shard 0/3"), "{message}");

    // Re-running the missing shard completes the sweep.
    run_all(
        vec![("rerun".into(), shard_command("1/3", dir.path()))],
        TIMEOUT,
        OnFailure::KillAll,
    )
    .unwrap();
    run(&args).unwrap();
}

#[test]
fn a_rerun_shard_computes_only_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let once = || {
        run_all(
            vec![("shard".into(), shard_command("0/1", dir.path()))],
            TIMEOUT,
            OnFailure::KillAll,
        )
        .unwrap()
        .remove(0)
        .stdout
    };
    assert!(once().contains(r#""computed":13"#));
    assert!(once().contains(r#""computed":0"#));
}

#[test]
fn merge_of_a_directory_that_does_not_exist_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let mut args = vec![
        "merge",
        "--shards",
        "2",
        "--results",
        missing.to_str().unwrap(),
    ];
    args.extend(SWEEP);
    let message = run(&args).expect_err("no results").to_string();
    assert!(message.contains("does not exist"), "{message}");
}

#[test]
fn the_array_demo_verifies_against_serial() {
    let mut args = vec!["array", "--shards", "4", "--jobs", "2"];
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
fn a_shard_outside_an_array_without_flag_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["shard", "--results", dir.path().to_str().unwrap()];
    args.extend(SWEEP);
    let mut command = bin();
    command.args(&args).env_remove("SLURM_ARRAY_TASK_ID");
    let err = run_all(vec![("shard".into(), command)], TIMEOUT, OnFailure::KillAll)
        .expect_err("no shard");
    assert!(err.to_string().contains("--shard i/n"), "{err}");
    let bad = run(&["shard", "--shard", "3/3", "--results", "x"]).expect_err("bad");
    assert!(bad.to_string().contains("exit status: 2"), "{bad}");
}
