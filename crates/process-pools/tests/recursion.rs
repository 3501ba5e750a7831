//! Whole programs, run in a session of their own so that every process they
//! start can be found afterwards: a program that forgets the worker hook
//! fails with the fix and starts no process without end (run under a process
//! cap, so a regression cannot take the machine down), and killing a program
//! with SIGKILL while its tasks run leaves no worker and no process a task
//! started.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{alive, bounded, eventually};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const FIXTURE: &str = env!("CARGO_BIN_EXE_pool_fixture");

/// Processes whose session id is `sid`.
fn session_members(sid: u32) -> Vec<u32> {
    let mut members = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // After "(comm) ": state, ppid, pgrp, session.
        let Some(after) = stat.rfind(')').map(|at| &stat[at + 2..]) else {
            continue;
        };
        let fields: Vec<&str> = after.split(' ').collect();
        if fields.first() != Some(&"Z")
            && fields.get(3) == Some(&sid.to_string().as_str())
        {
            members.push(pid);
        }
    }
    members
}

/// Kills every process of session `sid`; returns how many there were.
fn kill_session(sid: u32) -> usize {
    let members = session_members(sid);
    for &pid in &members {
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
    }
    members.len()
}

/// A copy of the fixture that the unprivileged user `nobody` can run (it
/// cannot read the target directory).
fn fixture_copy() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
        .unwrap();
    let exe = dir.path().join("pool_fixture");
    std::fs::copy(FIXTURE, &exe).unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
    (dir, exe.display().to_string())
}

/// `command` in a new session, under a cap of 200 processes and 20 s. Root
/// ignores the process cap, so as root it runs as `nobody`.
fn capped(exe: &str) -> Command {
    let mut command = Command::new("setsid");
    if std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
        command.args([
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]);
    }
    command.args(["prlimit", "--nproc=200", "--", "timeout", "20", exe]);
    command
}

/// What a capped run of the fixture did.
struct Run {
    code: Option<i32>,
    stderr: String,
    /// Processes of its session still there when it ended (then killed).
    left: usize,
    /// Starts of the fixture that carried a pool's marker, and the others.
    marked: usize,
    plain: usize,
}

/// Runs the fixture, capped, with `env` (and a log of its starts), in a
/// directory where `wrapper`, if given, is written as an executable script
/// around it; `FIXTURE_WRAPPER` then names the script.
fn run_capped(env: &[(&str, &str)], wrapper: Option<&str>) -> Run {
    let (dir, exe) = fixture_copy();
    let log = dir.path().join("starts");
    std::fs::write(&log, "").unwrap();
    std::fs::set_permissions(&log, std::fs::Permissions::from_mode(0o666)).unwrap();
    let mut command = capped(&exe);
    command.env("FIXTURE_LOG", &log).envs(env.iter().copied());
    if let Some(script) = wrapper {
        let path = dir.path().join("wrapper.sh");
        std::fs::write(&path, script.replace("{exe}", &exe)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .unwrap();
        command.env("FIXTURE_WRAPPER", &path);
    }
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sid = child.id();
    let out = child.wait_with_output().unwrap();
    let left = kill_session(sid);
    let starts = std::fs::read_to_string(&log).unwrap();
    Run {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        left,
        marked: starts.lines().filter(|l| l.ends_with(" marked")).count(),
        plain: starts.lines().filter(|l| l.ends_with(" plain")).count(),
    }
}

/// The fixture's pools have 2 workers: a program that forgets the hook may
/// start at most 3 processes below its pool before it fails.
const WORKERS: usize = 2;

/// A run of a program that forgot the hook: a clear error, soon, within the
/// bound, and nothing left.
fn assert_refused(run: &Run) {
    let stderr = &run.stderr;
    assert_eq!(run.left, 0, "processes left behind; stderr: {stderr}");
    assert!(run.code.is_some_and(|c| c != 0), "{:?} {stderr}", run.code);
    assert_ne!(run.code, Some(124), "it ran until the timeout: {stderr}");
    assert!(
        stderr.contains("is not a worker")
            && stderr.contains("worker_main_if_requested_with(&registry)"),
        "{stderr}"
    );
    assert!(
        run.marked <= WORKERS + 1,
        "{} starts as a worker: {stderr}",
        run.marked
    );
}

#[test]
fn forgetting_the_hook_is_a_clear_error_not_a_fork_bomb() {
    bounded(60, || {
        assert_refused(&run_capped(&[("FIXTURE_UNHOOKED", "1")], None));
    });
}

/// A wrapper that runs the program as a child (no `exec`), as scripts that
/// set up an environment often do.
const WRAPPER: &str = "#!/bin/sh\n'{exe}' \"$@\"\nexit $?\n";

#[test]
fn forgetting_the_hook_behind_a_wrapper_script_is_refused() {
    bounded(60, || {
        assert_refused(&run_capped(&[("FIXTURE_UNHOOKED", "1")], Some(WRAPPER)));
    });
}

#[test]
fn forgetting_the_hook_in_a_main_that_relaunches_itself_is_refused() {
    bounded(60, || {
        assert_refused(&run_capped(&[("FIXTURE_RELAUNCH", "1")], None));
    });
}

#[test]
fn a_hooked_program_behind_a_wrapper_script_serves() {
    bounded(60, || {
        let env = [("FIXTURE_QUICK", "1"), ("FIXTURE_NESTED", "1")];
        let run = run_capped(&env, Some(WRAPPER));
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        assert_eq!((run.marked, run.left), (WORKERS, 0), "{}", run.stderr);
    });
}

#[test]
fn a_tasks_own_program_may_build_a_pool() {
    bounded(60, || {
        let run = run_capped(&[("FIXTURE_QUICK", "1")], None);
        assert_eq!(run.code, Some(0), "{}", run.stderr);
        // The top program, and the task's program, which the worker's hook
        // kept from seeing the marker; 2 workers for each.
        assert_eq!((run.plain, run.marked), (2, 2 * WORKERS), "{}", run.stderr);
        assert_eq!(run.left, 0);
    });
}

#[test]
fn killing_the_parent_kills_its_workers_and_what_they_started() {
    bounded(60, || {
        let mut child = Command::new("setsid")
            .arg(FIXTURE)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let sid = child.id();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "[pid, pid] /tmp/pool-fixture-<pid>"
        let (pids, dir) = line.trim().split_once("] ").unwrap();
        let workers: Vec<u32> = pids
            .trim_start_matches('[')
            .split(", ")
            .map(|p| p.parse().unwrap())
            .collect();
        let background = format!("{dir}/background");
        let started = eventually(20, || {
            std::fs::read_to_string(&background).is_ok_and(|s| s.ends_with('\n'))
        });
        let background: u32 = std::fs::read_to_string(&background)
            .unwrap_or_default()
            .trim()
            .parse()
            .unwrap_or(0);
        let _ = std::fs::remove_dir_all(dir);
        kill(Pid::from_raw(sid as i32), Signal::SIGKILL).unwrap();
        let _ = child.wait();
        std::thread::sleep(Duration::from_secs(1));
        let left = session_members(sid);
        kill_session(sid);
        assert!(started, "the task never started its background process");
        assert!(
            workers.iter().all(|&pid| !alive(pid)),
            "workers {workers:?}"
        );
        assert!(!alive(background), "background process {background}");
        assert_eq!(left, Vec::<u32>::new(), "processes left after 1 s");
    });
}
