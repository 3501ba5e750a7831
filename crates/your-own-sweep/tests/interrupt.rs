//! The resume promise, attacked as a user would: the sweep killed by pid in
//! the middle of a run (worker processes and all), then run again. Every
//! point finished before the kill is served from the cache and never
//! written again; every other point is computed; the table equals a fresh
//! run's. Damaged and half-written entries are recomputed, never read as
//! values; a read-only cache directory is a usage error. Every run is under
//! `timeout`, in its own session, and the test checks that no process of
//! that session is left.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const EXE: &str = env!("CARGO_BIN_EXE_your-own-sweep");
const BOUND: Duration = Duration::from_secs(60);
/// The rates of the sweep that is killed, and its points (two step counts).
const RATES: &str = "1000";
const POINTS: usize = 2000;

/// The sweep with `args`, in a session of its own (`setsid`: its pid is the
/// session id, which its worker processes keep), bounded by `timeout`.
fn command(args: &[&str]) -> Command {
    let mut command = Command::new("setsid");
    command.args(["timeout", "60", EXE]).args(args);
    command
}

fn run(args: &[&str]) -> Output {
    let output = run_in_session(command(args));
    assert_ne!(output.status.code(), Some(124), "timed out: {args:?}");
    output
}

/// Runs `command` (which starts with `setsid`) to its end, collecting its
/// output, and checks that no process of its session is left.
fn run_in_session(mut command: Command) -> Output {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let session = child.id();
    let output = child.wait_with_output().unwrap();
    assert_no_process_left(session);
    output
}

/// The pids of the live processes of `session` (zombies excluded).
fn processes_of(session: u32) -> Vec<u32> {
    let mut found = Vec::new();
    for item in fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = item.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = fs::read_to_string(item.path().join("stat")) else {
            continue;
        };
        // After the `(name)`: state, ppid, pgrp, session.
        let fields: Vec<&str> =
            stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
        if fields[3] == session.to_string() && fields[0] != "Z" {
            found.push(pid);
        }
    }
    found
}

/// Fails if a process of `session` is still alive 10 s on, after killing
/// it by pid (so that a failing test leaves nothing behind either).
fn assert_no_process_left(session: u32) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = processes_of(session);
        if left.is_empty() {
            return;
        }
        if Instant::now() > deadline {
            for pid in &left {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
            panic!("processes left running: {left:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The entry files of the cache, each with what shows it was not written
/// again: its inode and modification time (a store renames a new file in).
fn entries(cache: &Path) -> BTreeMap<PathBuf, (u64, i64, i64)> {
    let mut found = BTreeMap::new();
    for dir in fs::read_dir(cache).unwrap().flatten() {
        if !dir.path().is_dir() {
            continue;
        }
        for entry in fs::read_dir(dir.path()).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "entry") {
                let meta = entry.metadata().unwrap();
                found.insert(path, (meta.ino(), meta.mtime(), meta.mtime_nsec()));
            }
        }
    }
    found
}

/// Starts the sweep and SIGKILLs it (by pid) once `at_least` points are on
/// disk; waits until its workers are gone too.
fn kill_mid_run(args: &[&str], cache: &Path, at_least: usize) {
    let mut child: Child = command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let session = child.id();
    let deadline = Instant::now() + BOUND;
    while !cache.is_dir() || entries(cache).len() < at_least {
        assert!(Instant::now() < deadline, "the sweep never got going");
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the kill"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    // The process group of the session: `timeout` and the sweep under it.
    for pid in processes_of(session) {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
    child.wait().unwrap();
    assert_no_process_left(session);
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn a_sweep_killed_mid_run_resumes_and_never_recomputes_a_finished_point() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = dir.path().join("fresh");
    let expected = stdout(&run(&[
        "--backend",
        "threads",
        "--rates",
        RATES,
        "--cache",
        fresh.to_str().unwrap(),
    ]));
    for backend in ["processes", "threads"] {
        let cache = dir.path().join(backend);
        let cache_arg = cache.to_str().unwrap();
        let args = ["--backend", backend, "--rates", RATES, "--cache", cache_arg];
        kill_mid_run(&args, &cache, 150);
        let before = entries(&cache);
        assert!(before.len() < POINTS, "{backend}: killed too late to test");
        let resumed = stdout(&run(&args));
        let after = entries(&cache);
        assert_eq!(after.len(), POINTS, "{backend}: every point is stored");
        for (path, written) in &before {
            assert_eq!(after.get(path), Some(written), "{backend}: {path:?} redone");
        }
        assert_eq!(resumed, expected, "{backend}: the resumed table");
    }
}

#[test]
fn damaged_and_half_written_entries_are_recomputed_never_read() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let args = ["--rates", "5", "--cache", cache.to_str().unwrap()];
    let expected = stdout(&run(&args));
    let stored = entries(&cache);
    let paths: Vec<&PathBuf> = stored.keys().collect();
    // Truncated, garbage, empty, another entry's bytes, and a temporary
    // file a killed writer left beside them.
    let whole = fs::read(paths[0]).unwrap();
    fs::write(paths[0], &whole[..whole.len() - 3]).unwrap();
    fs::write(
        paths[1],
        b"garbage garbage garbage garbage garbage garbage!",
    )
    .unwrap();
    fs::write(paths[2], b"").unwrap();
    fs::copy(paths[4], paths[3]).unwrap();
    let parent = paths[0].parent().unwrap();
    fs::write(parent.join(".tmp-999999-0"), &whole[..10]).unwrap();
    for backend in ["serial", "processes"] {
        let again = stdout(&run(&[&["--backend", backend][..], &args].concat()));
        assert_eq!(again, expected, "{backend}: damage read as a value");
    }
    // The damaged entries were replaced by good ones: a third run agrees.
    let repaired = entries(&cache);
    for path in &paths[..4] {
        assert_ne!(repaired[*path], stored[*path], "{path:?} not rewritten");
    }
    assert_eq!(stdout(&run(&args)), expected);
}

#[test]
fn a_rerun_with_other_parameters_reuses_only_equal_points() {
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().join("shared");
    let shared = shared.to_str().unwrap();
    for rates in ["7", "6", "13"] {
        stdout(&run(&["--rates", rates, "--cache", shared]));
    }
    for rates in ["6", "7", "13", "12"] {
        let fresh = dir.path().join(format!("fresh-{rates}"));
        let fresh = stdout(&run(&[
            "--rates",
            rates,
            "--cache",
            fresh.to_str().unwrap(),
        ]));
        let reused = stdout(&run(&["--rates", rates, "--cache", shared]));
        assert_eq!(reused, fresh, "--rates {rates} in a cache of other sweeps");
    }
}

/// Runs `args` as the unprivileged user `nobody` when we are root (root
/// ignores file permissions), otherwise as ourselves.
fn run_unprivileged(args: &[&str]) -> Output {
    let root = fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|line| {
            line.starts_with("Uid:") && line.split_whitespace().nth(2) == Some("0")
        });
    let mut command = Command::new("setsid");
    if root {
        command.args([
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]);
    }
    command.args(["timeout", "60", EXE]).args(args);
    run_in_session(command)
}

#[test]
fn a_read_only_cache_is_a_usage_error_and_nothing_is_written() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let cache = dir.path().join("cache");
    let cache_arg = cache.to_str().unwrap();
    stdout(&run(&["--rates", "3", "--cache", cache_arg]));
    let stored = entries(&cache);
    let read_only = |dir: &Path| {
        let mode = fs::Permissions::from_mode(0o555);
        fs::set_permissions(dir, mode).unwrap();
    };
    read_only(&cache);
    for sub in fs::read_dir(&cache).unwrap().flatten() {
        if sub.path().is_dir() {
            read_only(&sub.path());
        }
    }
    for args in [
        &["--rates", "3", "--cache", cache_arg][..],
        &["--rates", "4", "--cache", cache_arg],
    ] {
        let out = run_unprivileged(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with("your-own-sweep: --cache"), "{err}");
        assert!(out.stdout.is_empty(), "nothing half written");
    }
    assert_eq!(entries(&cache), stored, "the read-only cache is untouched");
    // Only the function's directory read-only (the root writable by all):
    // the cache opens, but a new point cannot be stored. It is a failed point (exit 1), never a
    // result that a resume would silently compute again.
    fs::set_permissions(&cache, fs::Permissions::from_mode(0o777)).unwrap();
    let out = run_unprivileged(&["--rates", "4", "--cache", cache_arg]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("not stored"), "{err}");
    assert_eq!(
        entries(&cache),
        stored,
        "the read-only directory is untouched"
    );
}
