//! Opt-in retries: never by default; a task rescued by a retry runs exactly
//! twice (a fresh worker for the retry when the failure killed the worker);
//! a task that fails every time runs exactly `retries + 1` times and reports
//! every attempt; its neighbours run once; an error a retry cannot fix is
//! not retried. Executions are counted through side effects (a file each).

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{
    NotRegistered, assert_no_children_left, bounded, executions, one_at_a_time, pool,
};
use process_pools::TaskErrorKind;
use process_pools::demo::{Behaviour, Flaky};

const BAD: u64 = 5;
const TIMEOUT: Duration = Duration::from_secs(1);

/// The kinds of failure a retry may rescue, and how to provoke each.
fn failures() -> [(Behaviour, &'static str); 4] {
    [
        (Behaviour::Panic("flaky".into()), "panicked"),
        (Behaviour::Abort, "SIGABRT"),
        (Behaviour::Exit(3), "exit status: 3"),
        (Behaviour::Sleep(60_000), "timed out"),
    ]
}

/// Runs 12 `Flaky` tasks where task `BAD` fails its first `fails` runs as
/// `bad`; returns the results and the directory of executions.
fn run(
    fails: u64,
    bad: &Behaviour,
    retries: usize,
    chunksize: usize,
) -> (
    Vec<Result<u64, process_pools::TaskError>>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().display().to_string();
    let inputs = (0..12).map(|i| {
        let fails = if i == BAD { fails } else { 0 };
        (path.clone(), i, fails, bad.clone())
    });
    let pool = pool(2)
        .chunksize(chunksize)
        .timeout(TIMEOUT)
        .retries(retries)
        .build()
        .unwrap();
    (pool.map::<Flaky>(inputs), dir)
}

fn neighbours_ran_once(
    results: &[Result<u64, process_pools::TaskError>],
    dir: &std::path::Path,
) {
    for (i, result) in results.iter().enumerate() {
        let i = i as u64;
        if i != BAD {
            assert_eq!(result, &Ok(i));
            assert_eq!(executions(dir, i).len(), 1, "task {i}");
        }
    }
}

#[test]
fn never_retried_by_default() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let (results, dir) = run(1, &Behaviour::Abort, 0, 1);
        assert!(results[BAD as usize].is_err());
        assert_eq!(executions(dir.path(), BAD).len(), 1);
        neighbours_ran_once(&results, dir.path());
    });
    assert_no_children_left();
}

#[test]
fn a_retry_rescues_a_task_that_failed_once() {
    let _serial = one_at_a_time();
    for (bad, what) in failures() {
        for chunksize in [1, 4] {
            let context = format!("{what}, chunksize {chunksize}");
            let bad = bad.clone();
            bounded(60, move || {
                let (results, dir) = run(1, &bad, 1, chunksize);
                assert_eq!(results[BAD as usize], Ok(BAD), "{context}");
                let runs = executions(dir.path(), BAD);
                assert_eq!(runs.len(), 2, "{context}: {runs:?}");
                if !matches!(bad, Behaviour::Panic(_)) {
                    assert_ne!(runs[0], runs[1], "{context}: a fresh worker");
                }
                neighbours_ran_once(&results, dir.path());
            });
        }
    }
    assert_no_children_left();
}

#[test]
fn a_task_that_always_fails_reports_every_attempt() {
    let _serial = one_at_a_time();
    for (bad, what) in failures() {
        for chunksize in [1, 4] {
            let context = format!("{what}, chunksize {chunksize}");
            let bad = bad.clone();
            bounded(60, move || {
                let (results, dir) = run(u64::MAX, &bad, 2, chunksize);
                let error = results[BAD as usize].as_ref().unwrap_err();
                assert_eq!(error.task as u64, BAD);
                assert_eq!(error.earlier.len(), 2, "{context}: {error}");
                let message = error.to_string();
                assert!(message.contains("attempt 3"), "{message}");
                assert_eq!(message.matches(what).count(), 3, "{message}");
                let runs = executions(dir.path(), BAD);
                assert_eq!(runs.len(), 3, "{context}: {runs:?}");
                if !matches!(bad, Behaviour::Panic(_)) {
                    let pids: HashSet<_> = runs.iter().collect();
                    assert_eq!(pids.len(), 3, "{context}: a fresh worker each");
                }
                neighbours_ran_once(&results, dir.path());
            });
        }
    }
    assert_no_children_left();
}

#[test]
fn an_error_a_retry_cannot_fix_is_not_retried() {
    let _serial = one_at_a_time();
    bounded(30, || {
        let pool = pool(1).retries(3).build().unwrap();
        let results = pool.map::<NotRegistered>([1, 2]);
        for result in results {
            let error = result.unwrap_err();
            assert!(matches!(error.kind, TaskErrorKind::UnknownFunction { .. }));
            assert!(error.earlier.is_empty(), "{error}");
        }
    });
    assert_no_children_left();
}

#[test]
fn retries_work_in_the_lazy_imap_too() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().display().to_string();
        let pool = pool(2).chunksize(3).retries(1).build().unwrap();
        // Tasks 4 and 9 abort once; the retry (on a fresh worker) succeeds.
        let inputs = (0..15).map(|i| {
            let fails = u64::from(i == 4 || i == 9);
            (path.clone(), i, fails, Behaviour::Abort)
        });
        let results: Vec<_> = pool.imap::<Flaky, _>(inputs).collect();
        assert_eq!(results, (0..15).map(Ok).collect::<Vec<_>>());
        for i in 0..15 {
            let expected = if i == 4 || i == 9 { 2 } else { 1 };
            assert_eq!(executions(dir.path(), i).len(), expected, "task {i}");
        }
    });
    assert_no_children_left();
}
