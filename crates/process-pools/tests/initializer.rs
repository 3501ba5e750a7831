//! The worker initializer: it runs once in every worker before its first
//! task (in replacement workers too), what it sets up is what the tasks see,
//! and its failure is a clear error from `build` (or, in a replacement
//! worker, from the tasks that worker was to run), never a hang or a loop.
//! Runs are counted through side effects (a file per run).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{assert_no_children_left, bounded, executions, pool};
use process_pools::demo::{Behaviour, Misbehave, ReadSetting, Setup};
use process_pools::{PoolError, Task, TaskErrorKind};

fn setup(
    dir: &tempfile::TempDir,
    setting: u64,
    good: u64,
    bad: Behaviour,
) -> <Setup as Task>::Input {
    (dir.path().display().to_string(), setting, good, bad)
}

#[test]
fn it_runs_once_per_worker_before_any_task() {
    let _serial = common::one_at_a_time();
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(2)
            .initializer::<Setup>(setup(&dir, 7, u64::MAX, Behaviour::Abort))
            .build()
            .unwrap();
        // Every task sees the setting, in whichever worker it ran.
        let results = pool.map::<ReadSetting>(0..50);
        let expected: Vec<_> = (0..50).map(|x| Ok(7 * x)).collect();
        assert_eq!(results, expected);
        let runs = executions(dir.path(), 0);
        let pids: HashSet<u32> = pool.worker_pids().into_iter().collect();
        assert_eq!(runs.len(), 2, "one run per worker: {runs:?}");
        assert_eq!(runs.iter().copied().collect::<HashSet<_>>(), pids);
    });
    assert_no_children_left();
}

#[test]
fn a_replacement_worker_runs_it_too() {
    let _serial = common::one_at_a_time();
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(1)
            .initializer::<Setup>(setup(&dir, 3, u64::MAX, Behaviour::Abort))
            .build()
            .unwrap();
        let crashed = pool.map::<Misbehave>([Behaviour::Abort]);
        assert!(matches!(
            crashed[0].as_ref().unwrap_err().kind,
            TaskErrorKind::Crashed { .. }
        ));
        assert_eq!(pool.map::<ReadSetting>([5]), [Ok(15)]);
        let runs = executions(dir.path(), 0);
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert_ne!(runs[0], runs[1], "two workers, one run each");
    });
    assert_no_children_left();
}

/// Builds a 2-worker pool whose initializer fails as told; returns the error.
fn build_error(setting: u64, bad: Behaviour, timeout: Option<Duration>) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut builder = pool(2).initializer::<Setup>(setup(&dir, setting, 0, bad));
    if let Some(timeout) = timeout {
        builder = builder.timeout(timeout);
    }
    match builder.build() {
        Err(e @ PoolError::Initializer { .. }) => e.to_string(),
        other => panic!("expected an initializer error, got {other:?}"),
    }
}

#[test]
fn its_failure_is_a_clear_error_from_build() {
    let _serial = common::one_at_a_time();
    let cases = [
        (
            0,
            Behaviour::Return(0),
            None,
            "a setting of 0 makes no sense",
        ),
        (
            1,
            Behaviour::Panic("no licence".into()),
            None,
            "panicked: no licence",
        ),
        (1, Behaviour::Exit(3), None, "exit status: 3"),
        (1, Behaviour::Abort, None, "SIGABRT"),
        (
            1,
            Behaviour::Sleep(60_000),
            Some(Duration::from_millis(300)),
            "timeout",
        ),
    ];
    for (setting, bad, timeout, expected) in cases {
        let message = bounded(30, move || build_error(setting, bad, timeout));
        assert!(message.contains("initializer `setup`"), "{message}");
        assert!(message.contains(expected), "{message}");
    }
    assert_no_children_left();
}

/// An initializer that no worker registry has.
struct Unregistered;

impl Task for Unregistered {
    const NAME: &'static str = "unregistered_setup";
    type Input = ();
    type Output = Result<(), String>;
    fn run((): ()) -> Result<(), String> {
        Ok(())
    }
}

#[test]
fn an_unregistered_initializer_is_named() {
    let _serial = common::one_at_a_time();
    let error = bounded(30, || {
        pool(1).initializer::<Unregistered>(()).build().unwrap_err()
    });
    let message = error.to_string();
    assert!(
        message.contains("`unregistered_setup` is not in the worker's registry"),
        "{message}"
    );
    assert_no_children_left();
}

#[test]
fn dropping_the_pool_never_waits_for_a_hung_initializer() {
    let _serial = common::one_at_a_time();
    bounded(30, || {
        let dir = tempfile::tempdir().unwrap();
        // No timeout; the first run succeeds, a replacement's hangs.
        let pool = pool(1)
            .initializer::<Setup>(setup(&dir, 2, 1, Behaviour::Sleep(600_000)))
            .build()
            .unwrap();
        let crashed = pool.map::<Misbehave>([Behaviour::Abort]);
        assert!(crashed[0].is_err());
        // The replacement is now in its initializer, which never returns.
        assert!(common::eventually(10, || executions(dir.path(), 0).len() == 2));
        let start = std::time::Instant::now();
        drop(pool);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
    });
    assert_no_children_left();
}

#[test]
fn failing_in_a_replacement_fails_its_tasks_without_a_worker_per_task() {
    let _serial = common::one_at_a_time();
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        // The first run succeeds; every later one (replacements) fails.
        let pool = pool(1)
            .initializer::<Setup>(setup(&dir, 2, 1, Behaviour::Exit(3)))
            .build()
            .unwrap();
        let mut inputs = vec![Behaviour::Return(1), Behaviour::Abort];
        inputs.extend((0..20).map(Behaviour::Return));
        let results = pool.map::<Misbehave>(inputs);
        assert_eq!(results[0], Ok(1));
        assert!(matches!(
            results[1].as_ref().unwrap_err().kind,
            TaskErrorKind::Crashed { .. }
        ));
        for result in &results[2..] {
            let error = result.as_ref().unwrap_err();
            let TaskErrorKind::InitializerFailed { detail } = &error.kind else {
                panic!("{error}");
            };
            assert!(detail.contains("`setup` killed its worker"), "{detail}");
            assert!(detail.contains("exit status: 3"), "{detail}");
        }
        // One good run, then a failed one per second at most, not one per task.
        let runs = executions(dir.path(), 0).len();
        assert!((2..=4).contains(&runs), "{runs} runs of the initializer");
    });
    assert_no_children_left();
}
