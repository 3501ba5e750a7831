//! The job-array route, end to end: shards as processes, a shared results
//! directory, and a merge that equals the serial run or names what is missing.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use beyond_one_machine::launch::{Finished, LaunchError, OnFailure, run_all};
use common::{
    SWEEP, TIMEOUT, assert_demo_verified, bin, bits, read_results, run, serial,
};

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

/// `shard --shards 4` as array task `id`, with the rest of Slurm's array
/// environment as `sbatch --array=1,3` sets it (COUNT 2, MIN 1, STEP 1).
fn array_task(id: u64, results: &Path) -> (String, Command) {
    let mut command = bin();
    command
        .args(["shard", "--shards", "4", "--jobs", "1", "--results"])
        .arg(results)
        .args(SWEEP)
        .env("SLURM_ARRAY_TASK_ID", id.to_string())
        .env("SLURM_ARRAY_TASK_COUNT", "2")
        .env("SLURM_ARRAY_TASK_MIN", "1")
        .env("SLURM_ARRAY_TASK_STEP", "1");
    (format!("array id {id}"), command)
}

fn merge_args(results: &Path, shards: &str) -> Vec<String> {
    let mut args: Vec<String> =
        ["merge", "--shards", shards, "--script", "job.sbatch"]
            .map(String::from)
            .into();
    args.extend(["--results".into(), results.display().to_string()]);
    args.extend(SWEEP.map(String::from));
    args
}

fn run_owned(args: &[String]) -> Result<Finished, LaunchError> {
    run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn any_subset_of_array_ids_runs_exactly_those_shards() {
    let dir = tempfile::tempdir().unwrap();
    // `sbatch --array=1,3`: shards 1/4 and 3/4, whatever Slurm's COUNT says.
    let tasks = vec![array_task(1, dir.path()), array_task(3, dir.path())];
    let done = run_all(tasks, TIMEOUT, OnFailure::KillAll).unwrap();
    assert!(
        done[0].stdout.contains(r#""index":1,"count":4"#),
        "{}",
        done[0].stdout
    );
    assert!(
        done[1].stdout.contains(r#""index":3,"count":4"#),
        "{}",
        done[1].stdout
    );
    // merge names shards 0 and 2, and prints the command resubmitting them.
    let err =
        run_owned(&merge_args(dir.path(), "4")).expect_err("two shards missing");
    let LaunchError::Failed { stderr, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        stderr.contains("shard 0/4") && stderr.contains("shard 2/4"),
        "{stderr}"
    );
    let mut command = bin();
    command.args(merge_args(dir.path(), "4"));
    let out = command.output().unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(printed.trim(), "sbatch --array=0,2 job.sbatch");
    // Resubmitting exactly the printed ids completes the sweep.
    let ids = printed.trim().split(['=', ' ']).nth(2).unwrap().to_owned();
    let tasks = ids
        .split(',')
        .map(|id| array_task(id.parse().unwrap(), dir.path()))
        .collect();
    run_all(tasks, TIMEOUT, OnFailure::KillAll).unwrap();
    let merged = dir.path().join("merged.json");
    let mut args = merge_args(dir.path(), "4");
    args.extend(["--output".into(), merged.display().to_string()]);
    run_owned(&args).unwrap();
    assert_eq!(bits(&read_results(&merged)), bits(&serial()));
}

#[test]
fn an_array_id_outside_the_job_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = run_all(vec![array_task(4, dir.path())], TIMEOUT, OnFailure::KillAll)
        .expect_err("id 4 of 4 shards");
    let message = err.to_string();
    assert!(message.contains("exit status: 2"), "{message}");
    assert!(message.contains("--array=0-3"), "{message}");
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
    assert!(message.contains("resubmit"), "{message}");

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
    // Serial, the thread pool, the job array and its rerun.
    assert_demo_verified(&["array", "--shards", "4", "--jobs", "2"], 4);
}

#[test]
fn a_shard_outside_an_array_without_flag_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().to_str().unwrap();
    for (flags, says) in [
        (&["--shards", "3"][..], "SLURM_ARRAY_TASK_ID is not set"),
        (&[][..], "--shard i/n"),
    ] {
        let mut command = bin();
        command
            .args(["shard", "--results", results])
            .args(flags)
            .args(SWEEP)
            .env_remove("SLURM_ARRAY_TASK_ID");
        let err =
            run_all(vec![("shard".into(), command)], TIMEOUT, OnFailure::KillAll)
                .expect_err("no shard");
        let message = err.to_string();
        assert!(message.contains(says), "{message}");
        assert!(message.contains("exit status: 2"), "{message}");
    }
    let bad = run(&["shard", "--shard", "3/3", "--results", "x"]).expect_err("bad");
    assert!(bad.to_string().contains("exit status: 2"), "{bad}");
}

#[test]
fn absurd_shard_counts_and_sizes_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().to_str().unwrap();
    let started = Instant::now();
    let mut huge_shards = vec!["merge", "--shards", "1000000000000000000"];
    huge_shards.extend(["--results", results]);
    huge_shards.extend(SWEEP);
    let mut huge_size = vec!["merge", "--shards", "2", "--results", results];
    huge_size.extend(["--workload", "pi", "--size", "18446744073709551615"]);
    let mut huge_array = vec!["array", "--workload", "pi"];
    huge_array.extend(["--size", "18446744073709551615", "--trials", "10"]);
    let shard_count = ["shard", "--shard", "20/20", "--results", results];
    let mut too_many = shard_count.to_vec();
    too_many.extend(SWEEP);
    let mut bad_timeout = vec!["array", "--timeout", "-1"];
    bad_timeout.extend(SWEEP);
    let mut nan_timeout = vec!["timely", "--connect-timeout", "nan"];
    nan_timeout.extend(SWEEP);
    let cases = [
        huge_shards,
        huge_size,
        huge_array,
        too_many,
        bad_timeout,
        nan_timeout,
    ];
    for args in cases {
        let err = run(&args).expect_err("refused");
        let message = err.to_string();
        assert!(message.contains("exit status: 2"), "{args:?}: {message}");
        assert!(!message.contains("panicked"), "{args:?}: {message}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "refused at once"
    );
}

#[test]
fn a_shard_rerun_repairs_a_damaged_entry_and_merge_sees_it() {
    let dir = tempfile::tempdir().unwrap();
    let shard = || {
        let command = shard_command("0/1", dir.path());
        run_all(vec![("shard".into(), command)], TIMEOUT, OnFailure::KillAll)
            .unwrap()
            .remove(0)
            .stdout
    };
    shard();
    let entry = dir.path().join("task-3.entry");
    let mut bytes = std::fs::read(&entry).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 1; // one digit of the value changed
    std::fs::write(&entry, &bytes).unwrap();
    let results = dir.path().to_str().unwrap();
    let merged = dir.path().join("merged.json");
    let mut args = vec!["merge", "--shards", "1", "--results", results];
    args.extend(["--output", merged.to_str().unwrap()]);
    args.extend(SWEEP);
    let err = run(&args).expect_err("a damaged entry is a missing one");
    assert!(err.to_string().contains("1 missing: 3"), "{err}");
    assert!(
        shard().contains(r#""computed":1"#),
        "only task 3 recomputed"
    );
    run(&args).unwrap();
    assert_eq!(bits(&read_results(&merged)), bits(&serial()));
}

/// Everything in `dir`, with sizes and modification times.
fn snapshot(dir: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut items: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|item| {
            let item = item.unwrap();
            let meta = item.metadata().unwrap();
            let name = item.file_name().to_string_lossy().into_owned();
            (name, meta.len(), meta.modified().unwrap())
        })
        .collect();
    items.sort();
    let meta = std::fs::metadata(dir).unwrap();
    items.push((".".into(), 0, meta.modified().unwrap()));
    items
}

#[test]
fn merge_writes_nothing_in_the_results_directory() {
    let dir = tempfile::tempdir().unwrap();
    for shard in ["0/2", "1/2"] {
        let command = shard_command(shard, dir.path());
        run_all(vec![(shard.into(), command)], TIMEOUT, OnFailure::KillAll).unwrap();
    }
    std::thread::sleep(Duration::from_millis(20)); // distinct modification times
    let before = snapshot(dir.path());
    let results = dir.path().to_str().unwrap();
    let mut args = vec!["merge", "--shards", "2", "--results", results];
    args.extend(SWEEP);
    run(&args).unwrap();
    // So it works on a read-only directory (a snapshot, another user's results).
    assert_eq!(snapshot(dir.path()), before);
}

#[test]
fn merge_output_is_all_or_nothing_when_the_disk_fills() {
    let dir = tempfile::tempdir().unwrap();
    let command = shard_command("0/1", dir.path());
    run_all(vec![("shard".into(), command)], TIMEOUT, OnFailure::KillAll).unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = out.path().join("merged.json");
    std::fs::write(&output, "previous results").unwrap();
    // A file size limit of 100 bytes plays a full disk: writes past it fail
    // (SIGXFSZ ignored, so the write returns EFBIG instead of killing merge).
    let mut command = Command::new("sh");
    command
        .args([
            "-c",
            r#"trap "" XFSZ; exec prlimit --fsize=100 -- "$@""#,
            "sh",
        ])
        .arg(env!("CARGO_BIN_EXE_beyond-one-machine"))
        .args(["merge", "--shards", "1", "--output"])
        .arg(&output)
        .arg("--results")
        .arg(dir.path())
        .args(SWEEP);
    let err = run_all(vec![("merge".into(), command)], TIMEOUT, OnFailure::KillAll)
        .expect_err("the output does not fit");
    assert!(err.to_string().contains("File too large"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        "previous results"
    );
    let files = std::fs::read_dir(out.path()).unwrap().count();
    assert_eq!(files, 1, "no temporary file left behind");
}

#[test]
fn merge_works_on_a_read_only_directory() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    for shard in ["0/2", "1/2"] {
        let command = shard_command(shard, &results);
        run_all(vec![(shard.into(), command)], TIMEOUT, OnFailure::KillAll).unwrap();
    }
    let mode = |path: &Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .unwrap();
    };
    for item in std::fs::read_dir(&results).unwrap() {
        mode(&item.unwrap().path(), 0o444);
    }
    mode(&results, 0o555);
    mode(dir.path(), 0o755);
    let mut args = vec![
        "merge",
        "--shards",
        "2",
        "--results",
        results.to_str().unwrap(),
    ];
    args.extend(SWEEP);
    // /proc/self belongs to this process's effective user.
    let root = std::os::unix::fs::MetadataExt::uid(
        &std::fs::metadata("/proc/self").unwrap(),
    ) == 0;
    let command = if root {
        // Root ignores permissions: merge as `nobody`, from a copy of the
        // program that `nobody` may run.
        let copy = dir.path().join("beyond-one-machine");
        std::fs::copy(env!("CARGO_BIN_EXE_beyond-one-machine"), &copy).unwrap();
        mode(&copy, 0o755);
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(copy)
            .args(&args);
        command
    } else {
        let mut command = bin();
        command.args(&args);
        command
    };
    let done = run_all(vec![("merge".into(), command)], TIMEOUT, OnFailure::KillAll)
        .expect("merge needs no write access");
    assert!(
        done[0].stdout.starts_with("13 results (0 errors)"),
        "{}",
        done[0].stdout
    );
    mode(&results, 0o755); // so that the temporary directory can be removed
}
