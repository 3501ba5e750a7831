//! `status`: one progress line for a whole job array, read from a results
//! directory the real `shard` subcommand filled (the store's own entries):
//! the right counts on a partial directory (a damaged entry is not done),
//! exit status 0 on a complete one, 1 before, 2 for a directory that is not
//! a job array's; `--watch` follows shards as they finish and stops at
//! completion, or at its timeout. Every process is bounded.

mod common;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use common::{SWEEP, TIMEOUT, bin, run};
use workloads::testing::wait_bounded;

/// Runs shard `index/count` of [`SWEEP`] into `results` (bounded).
fn run_shard(index: u64, count: u64, results: &Path) {
    let mut args = vec!["shard".to_owned(), "--shard".into()];
    args.push(format!("{index}/{count}"));
    args.extend(["--results".into(), results.to_str().unwrap().into()]);
    args.extend(SWEEP.iter().map(|s| (*s).to_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args).unwrap_or_else(|e| panic!("shard {index}/{count}: {e}"));
}

/// Starts `status` with `args`, its output captured.
fn start_status(args: &[&str]) -> Child {
    let mut command: Command = bin();
    command.arg("status").args(args);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command.spawn().expect("starting status")
}

/// Runs `status` with `args` to its end (bounded): exit code, stdout, stderr.
fn status(args: &[&str]) -> (i32, String, String) {
    finish(start_status(args))
}

fn finish(mut child: Child) -> (i32, String, String) {
    let code = wait_bounded(&mut child, TIMEOUT)
        .code()
        .expect("an exit code");
    let Output { stdout, stderr, .. } = child.wait_with_output().unwrap();
    let text = |bytes| String::from_utf8(bytes).unwrap();
    (code, text(stdout), text(stderr))
}

#[test]
fn a_partial_directory_shows_the_counts_per_shard_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let path = results.to_str().unwrap();
    run_shard(1, 2, &results); // tasks 6..13
    let (code, out, err) = status(&["--results", path]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        out.trim(),
        "[array] 7/13 done (53%), 0 damaged; shards done 1/2: 0 0/6, 1 7/7"
    );
    // One entry damaged in place (a flipped bit): failed, not done.
    let entry = results.join("task-8.entry");
    let mut bytes = std::fs::read(&entry).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(&entry, bytes).unwrap();
    let (code, out, _) = status(&["--results", path]);
    assert_eq!(code, 1);
    assert_eq!(
        out.trim(),
        "[array] 6/13 done (46%), 1 damaged; shards done 0/2: \
         0 0/6, 1 6/7 (1 damaged)"
    );
}

#[test]
fn a_complete_directory_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    for index in 0..3 {
        run_shard(index, 3, &results);
    }
    let (code, out, err) = status(&["--results", results.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.trim(),
        "[array] 13/13 done (100%), 0 damaged; shards done 3/3: 0 4/4, 1 4/4, 2 5/5"
    );
}

#[test]
fn a_directory_that_is_not_an_array_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let (code, _, err) = status(&["--results", missing.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does not exist"), "{err}");
    std::fs::write(dir.path().join("sweep.json"), b"{\"not\": \"ours\"}").unwrap();
    let (code, _, err) = status(&["--results", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("sweep.json"), "{err}");
    let (code, _, err) = status(&["--results", "x", "--every", "0"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn watch_follows_the_shards_and_stops_when_the_array_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    let path = results.to_str().unwrap();
    std::fs::create_dir(&results).unwrap();
    let watching = start_status(&["--results", path, "--watch", "--every", "0.05"]);
    run_shard(0, 2, &results);
    run_shard(1, 2, &results);
    let (code, out, err) = finish(watching);
    assert_eq!(code, 0, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    // Not a terminal: one line per change, the last one complete.
    assert_eq!(
        *lines.last().unwrap(),
        "[array] 13/13 done (100%), 0 damaged; shards done 2/2: 0 6/6, 1 7/7"
    );
    for pair in lines.windows(2) {
        assert_ne!(pair[0], pair[1], "a line repeated unchanged:\n{out}");
    }
}

#[test]
fn watch_gives_up_at_its_timeout_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results");
    run_shard(1, 2, &results);
    let path = results.to_str().unwrap();
    let (code, out, err) = status(&[
        "--results",
        path,
        "--watch",
        "--every",
        "0.05",
        "--timeout",
        "0.3",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("7/13 done"), "{out}");
    assert!(err.contains("not complete"), "{err}");
}
