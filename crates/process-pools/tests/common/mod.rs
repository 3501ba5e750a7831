//! Helpers shared by the integration tests: a pool whose workers are the
//! built demo binary, a bound on every test, and a way to count processes.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use process_pools::{PoolBuilder, ProcessPool, Task};

/// The demo binary: it calls `demo::worker_main_if_requested()` first, so it can
/// serve as the worker of pools built in this test process.
pub const WORKER: &str = env!("CARGO_BIN_EXE_process-pools");

/// A builder with `workers` workers running [`WORKER`].
pub fn pool(workers: usize) -> PoolBuilder {
    ProcessPool::builder().workers(workers).worker_exe(WORKER)
}

/// Runs `body` on another thread and fails the test if it takes longer than
/// `seconds`: a hang becomes a failure instead of a stuck CI job.
pub fn bounded<T: Send + 'static>(
    seconds: u64,
    body: impl FnOnce() -> T + Send + 'static,
) -> T {
    workloads::testing::bounded(Duration::from_secs(seconds), body)
}

/// Process ids whose parent is `parent` and that are still alive (not zombies).
pub fn live_children(parent: u32) -> Vec<u32> {
    let mut children = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Some((ppid, state)) = parent_and_state(pid)
            && ppid == parent
            && state != 'Z'
        {
            children.push(pid);
        }
    }
    children
}

/// Whether `pid` is a running process (gone or zombie counts as dead).
pub fn alive(pid: u32) -> bool {
    parent_and_state(pid).is_some_and(|(_, state)| state != 'Z')
}

/// `(parent pid, state)` from `/proc/<pid>/stat`.
fn parent_and_state(pid: u32) -> Option<(u32, char)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces.
    let after = &stat[stat.rfind(')')? + 2..];
    let mut fields = after.split(' ');
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((ppid, state))
}

/// Waits up to `seconds` for `done()` to hold.
pub fn eventually(seconds: u64, mut done: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

/// The pids of the processes that ran task `id`, one per execution, as
/// recorded by the demo's `Counted`, `Flaky` and `Setup` (as task 0) in `dir`.
pub fn executions(dir: &std::path::Path, id: u64) -> Vec<u32> {
    let prefix = format!("{id}.");
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let rest = name.strip_prefix(&prefix)?;
            rest.split('.').next()?.parse().ok()
        })
        .collect()
}

/// Holds the other tests of this binary back while one runs, so that its
/// count of child processes sees only its own: take it first in a test that
/// calls [`assert_no_children_left`].
pub fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Fails if a process that this test process started is still running
/// after a few seconds (then kills it by pid, so nothing outlives the test).
/// Only meaningful under [`one_at_a_time`].
pub fn assert_no_children_left() {
    let me = std::process::id();
    let clean = eventually(5, || live_children(me).is_empty());
    let left = live_children(me);
    for pid in &left {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(*pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    assert!(clean, "processes left behind: {left:?}");
}

/// A task the worker's registry does not know.
pub struct NotRegistered;

impl Task for NotRegistered {
    const NAME: &'static str = "not_registered";
    type Input = u64;
    type Output = u64;
    fn run(x: u64) -> u64 {
        x
    }
}
