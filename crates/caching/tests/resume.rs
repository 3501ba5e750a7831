//! The crash-and-resume scenario: spawn the `resume` example's sweep, kill it
//! after task 12, rerun, and compare with an uninterrupted run. Bounded by
//! timeouts: a stuck child fails the test instead of hanging it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use caching::Memory;
use caching::sweep::resumable_sweep;
use workloads::testing::wait_bounded;
use workloads::{TaskSpec, WorkloadKind};

const TIMEOUT: Duration = Duration::from_secs(120);

/// The example binary, built by `cargo test` next to this test's directory.
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let path = profile_dir
        .join("examples")
        .join(format!("resume{}", std::env::consts::EXE_SUFFIX));
    if !path.exists() {
        // `cargo test -p caching` builds the examples; `--test resume` alone
        // does not, so build it here (same profile, same target directory).
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "-p", "caching", "--example", "resume"]);
        if profile_dir.file_name().is_some_and(|p| p == "release") {
            build.arg("--release");
        }
        let mut child = build.spawn().unwrap();
        assert!(
            wait_bounded(&mut child, TIMEOUT).success(),
            "building the example"
        );
    }
    assert!(path.exists(), "{} is missing", path.display());
    path
}

/// The child's stdout lines, as they come.
fn lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

#[test]
fn the_example_drives_the_whole_scenario() {
    let mut child = Command::new(example())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines(&mut child);
    let status = wait_bounded(&mut child, TIMEOUT);
    let out: Vec<String> = rx.try_iter().collect();
    let out = out.join("\n");
    assert!(status.success(), "{out}");
    assert!(out.contains("child killed after task 12"), "{out}");
    assert!(
        out.contains("rerun: 12 tasks loaded from the cache, 8 computed"),
        "{out}"
    );
    assert!(
        out.contains("results equal an uninterrupted run: true"),
        "{out}"
    );
}

#[test]
fn kill_the_child_rerun_and_compare() {
    let cache = tempfile::tempdir().unwrap();
    let mut child = Command::new(example())
        .arg("--child")
        .arg(cache.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines(&mut child);
    let mut stored = 0;
    loop {
        match rx.recv_timeout(TIMEOUT) {
            Ok(line) if line == "waiting to be killed" => break,
            Ok(line) if line.starts_with("stored task") => stored += 1,
            Ok(line) => panic!("unexpected output: {line}"),
            Err(e) => {
                let _ = child.kill();
                panic!("the child never reached task 12: {e}");
            }
        }
    }
    child.kill().unwrap();
    let status = wait_bounded(&mut child, TIMEOUT);
    assert!(!status.success(), "killed, not finished");
    assert_eq!(stored, 12);

    // Same spec as the example's (its `spec()`).
    let spec = TaskSpec {
        kind: WorkloadKind::Pi,
        trials: 200_000,
        scale: 1.0,
        corpus_dir: None,
    };
    let memory = Memory::new(cache.path()).unwrap();
    let rerun = resumable_sweep(&memory, &spec, 20, |_| {});
    assert_eq!((rerun.loaded, rerun.computed), (12, 8));
    let uninterrupted: Vec<_> = (0..20).map(|i| spec.run(i)).collect();
    assert_eq!(rerun.results, uninterrupted);
}
