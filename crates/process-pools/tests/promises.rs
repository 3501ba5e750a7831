//! The doc comments of retries, the initializer and the backend switch,
//! taken at their word by a careless or hostile user (issue 24): every
//! promise below is a test, executions are counted through side effects (a
//! file per run), every test is bounded, and no process is left behind.
//! The lazy `imap`, the streams and progress are in `promises_streams.rs`.
//!
//! Run with `cargo test -p process-pools --test promises`.

mod common;

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use common::{
    alive, assert_no_children_left, bounded, eventually, executions, one_at_a_time,
    pool,
};
use process_pools::demo::{
    Behaviour, Blob, Flaky, Misbehave, ReadSetting, Setup, SweepPoint,
};
use process_pools::{Executor, PoolError, Serial, Task, TaskError, TaskErrorKind};

/// `Flaky` input: task `id` records each run in `dir` and behaves as `bad`
/// in its first `fails` runs, then returns `id`.
fn flaky(
    dir: &Path,
    id: u64,
    fails: u64,
    bad: &Behaviour,
) -> <Flaky as Task>::Input {
    (dir.display().to_string(), id, fails, bad.clone())
}

/// `Setup` input: the initializer sets `setting`, its first `good` runs
/// behave, the later ones as `bad`.
fn setup(
    dir: &Path,
    setting: u64,
    good: u64,
    bad: Behaviour,
) -> <Setup as Task>::Input {
    (dir.display().to_string(), setting, good, bad)
}

/// A shell command that kills the worker running it (its parent) with
/// SIGKILL after `seconds`: a crash that comes late in the task.
fn crash_after(seconds: f64) -> Behaviour {
    Behaviour::Shell(format!("sleep {seconds}; kill -9 $PPID; sleep 10"))
}

fn is_crash(kind: &TaskErrorKind) -> bool {
    matches!(kind, TaskErrorKind::Crashed { .. })
}

// Retries (`PoolBuilder::retries`, `retry.rs`).

#[test]
fn every_task_of_a_chunk_that_fails_once_runs_exactly_twice() {
    let _serial = one_at_a_time();
    for bad in [Behaviour::Abort, Behaviour::Panic("once".into())] {
        bounded(60, move || {
            let dir = tempfile::tempdir().unwrap();
            let pool = pool(2).chunksize(4).retries(1).build().unwrap();
            let inputs = (0..12).map(|i| flaky(dir.path(), i, 1, &bad));
            let results = pool.map::<Flaky>(inputs);
            assert_eq!(results, (0..12).map(Ok).collect::<Vec<_>>(), "{bad:?}");
            for i in 0..12 {
                let runs = executions(dir.path(), i);
                assert_eq!(runs.len(), 2, "{bad:?}, task {i}: {runs:?}");
                if bad == Behaviour::Abort {
                    assert_ne!(runs[0], runs[1], "task {i}: a fresh worker");
                }
            }
        });
    }
    assert_no_children_left();
}

#[test]
fn a_task_that_crashes_every_try_is_blamed_once_with_its_attempts() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(2).chunksize(3).retries(3).build().unwrap();
        let inputs = (0..9).map(|i| {
            let fails = if i == 4 { u64::MAX } else { 0 };
            flaky(dir.path(), i, fails, &Behaviour::Abort)
        });
        let yielded: Vec<_> = pool.imap_unordered::<Flaky>(inputs).collect();
        let mut positions: Vec<usize> = yielded.iter().map(|(i, _)| *i).collect();
        positions.sort_unstable();
        assert_eq!(positions, (0..9).collect::<Vec<_>>(), "each task once");
        for (i, result) in yielded {
            if i != 4 {
                assert_eq!(result, Ok(i as u64));
                assert_eq!(executions(dir.path(), i as u64).len(), 1, "task {i}");
                continue;
            }
            let error = result.unwrap_err();
            assert_eq!(error.task, 4);
            assert!(is_crash(&error.kind), "{error}");
            assert_eq!(error.earlier.len(), 3, "{error}");
            assert!(error.earlier.iter().all(is_crash), "{error}");
            let runs: HashSet<u32> = executions(dir.path(), 4).into_iter().collect();
            assert_eq!(runs.len(), 4, "four runs, each on a fresh worker");
        }
        // The pool still has its two workers, and they serve.
        assert_eq!(pool.map::<Misbehave>([Behaviour::Return(1)]), [Ok(1)]);
        // (A replacement starts as soon as a worker dies, not at once.)
        assert!(eventually(10, || pool.worker_pids().into_iter().all(alive)));
    });
    assert_no_children_left();
}

#[test]
fn each_retry_has_the_whole_timeout_and_a_late_crash_is_not_a_timeout() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        // Each attempt crashes after 0.6 s of a 1 s timeout: three attempts
        // take 1.8 s, and none may be blamed for a timeout.
        let pool = pool(1)
            .timeout(Duration::from_secs(1))
            .retries(2)
            .build()
            .unwrap();
        let bad = crash_after(0.6);
        let results = pool.map::<Flaky>([flaky(dir.path(), 0, 3, &bad)]);
        let error = results[0].as_ref().unwrap_err();
        assert!(is_crash(&error.kind), "{error}");
        assert_eq!(error.earlier.len(), 2, "{error}");
        assert!(error.earlier.iter().all(is_crash), "{error}");
        assert_eq!(executions(dir.path(), 0).len(), 3);
    });
    assert_no_children_left();
}

#[test]
fn a_retry_whose_fresh_worker_cannot_initialize_keeps_its_earlier_attempts() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        let init_dir = tempfile::tempdir().unwrap();
        // The first worker initializes; every replacement exits in it.
        let pool = pool(1)
            .retries(2)
            .initializer::<Setup>(setup(init_dir.path(), 2, 1, Behaviour::Exit(3)))
            .build()
            .unwrap();
        let results =
            pool.map::<Flaky>([flaky(dir.path(), 0, 1, &Behaviour::Abort)]);
        let error: &TaskError = results[0].as_ref().unwrap_err();
        assert!(
            matches!(error.kind, TaskErrorKind::InitializerFailed { .. }),
            "{error}"
        );
        assert_eq!(error.earlier.len(), 1, "{error}");
        assert!(is_crash(&error.earlier[0]), "{error}");
        assert_eq!(executions(dir.path(), 0).len(), 1, "it never ran again");
    });
    assert_no_children_left();
}

// The initializer (`PoolBuilder::initializer`, `init.rs`).

#[test]
fn an_initializer_that_exits_cleanly_or_is_killed_is_an_error_from_build() {
    let _serial = one_at_a_time();
    for (bad, expected) in [
        (Behaviour::Exit(0), "exit status: 0"),
        (Behaviour::Kill, "SIGKILL"),
    ] {
        let message = bounded(30, move || {
            let dir = tempfile::tempdir().unwrap();
            let builder = pool(2).initializer::<Setup>(setup(dir.path(), 1, 0, bad));
            match builder.build() {
                Err(e @ PoolError::Initializer { .. }) => e.to_string(),
                other => panic!("expected an initializer error, got {other:?}"),
            }
        });
        assert!(message.contains(expected), "{message}");
    }
    assert_no_children_left();
}

#[test]
fn an_initializer_that_writes_anywhere_still_initializes() {
    let _serial = one_at_a_time();
    for chatty in [
        Behaviour::Print(5),
        Behaviour::WriteFds("12345678\n".into()),
    ] {
        bounded(30, move || {
            let dir = tempfile::tempdir().unwrap();
            let pool = pool(2)
                .initializer::<Setup>(setup(dir.path(), 3, 0, chatty))
                .build()
                .unwrap();
            assert_eq!(
                pool.map::<ReadSetting>(0..8),
                (0..8).map(|x| Ok(3 * x)).collect::<Vec<_>>()
            );
        });
    }
    assert_no_children_left();
}

#[test]
fn a_failed_initializer_leaves_no_background_process() {
    let _serial = one_at_a_time();
    bounded(30, || {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bg");
        let started = format!("sleep 100 & echo $! > {}", file.display());
        // It starts a process in the background, then refuses (setting 0).
        let init = setup(dir.path(), 0, 0, Behaviour::Shell(started));
        let error = pool(1).initializer::<Setup>(init).build().unwrap_err();
        assert!(error.to_string().contains("setting of 0"), "{error}");
        let pid: u32 = std::fs::read_to_string(&file)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(
            eventually(5, || !alive(pid)),
            "the background sleep {pid} lives"
        );
    });
    assert_no_children_left();
}

#[test]
fn a_second_worker_whose_initializer_fails_fails_build_and_stops_the_first() {
    let _serial = one_at_a_time();
    for bad in [Behaviour::Exit(3), Behaviour::Sleep(60_000)] {
        bounded(30, move || {
            let dir = tempfile::tempdir().unwrap();
            let error = pool(3)
                .timeout(Duration::from_millis(500))
                .initializer::<Setup>(setup(dir.path(), 2, 1, bad))
                .build()
                .unwrap_err();
            assert!(matches!(error, PoolError::Initializer { .. }), "{error}");
        });
    }
    assert_no_children_left();
}

#[test]
fn every_recycled_worker_runs_the_initializer_once_before_its_tasks() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(1)
            .max_tasks_per_worker(2)
            .initializer::<Setup>(setup(dir.path(), 5, u64::MAX, Behaviour::Abort))
            .build()
            .unwrap();
        let expected: Vec<_> = (0..6).map(|x| Ok(5 * x)).collect();
        assert_eq!(pool.map::<ReadSetting>(0..6), expected);
        let runs: HashSet<u32> = executions(dir.path(), 0).into_iter().collect();
        assert_eq!(runs.len(), 3, "three workers of two tasks, one run each");
    });
    assert_no_children_left();
}

#[test]
fn a_replacement_initializer_past_the_timeout_fails_its_tasks_not_the_map() {
    let _serial = one_at_a_time();
    bounded(30, || {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(1)
            .timeout(Duration::from_millis(500))
            .initializer::<Setup>(setup(dir.path(), 2, 1, Behaviour::Sleep(60_000)))
            .build()
            .unwrap();
        let inputs = [Behaviour::Abort, Behaviour::Return(1), Behaviour::Return(2)];
        let results = pool.map::<Misbehave>(inputs);
        assert!(is_crash(&results[0].as_ref().unwrap_err().kind));
        for result in &results[1..] {
            let error = result.as_ref().unwrap_err();
            assert!(
                error.to_string().contains("ran past the timeout"),
                "{error}"
            );
        }
    });
    assert_no_children_left();
}

#[test]
fn a_broken_initializer_costs_one_start_per_backoff_and_is_tried_again_after() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(1)
            .initializer::<Setup>(setup(dir.path(), 2, 1, Behaviour::Exit(3)))
            .build()
            .unwrap();
        assert!(pool.map::<Misbehave>([Behaviour::Abort])[0].is_err());
        // Within the backoff: tasks fail at once, and no worker per task.
        for _ in 0..5 {
            let results = pool.map::<Misbehave>((0..4).map(Behaviour::Return));
            for result in results {
                let error = result.unwrap_err();
                assert!(
                    matches!(error.kind, TaskErrorKind::InitializerFailed { .. }),
                    "{error}"
                );
            }
        }
        let runs = executions(dir.path(), 0).len();
        assert!((2..=3).contains(&runs), "{runs} runs of the initializer");
        // The cause goes away (its record of runs is wiped): after the
        // backoff the slot tries again, and serves.
        for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
            std::fs::remove_file(entry.path()).unwrap();
        }
        std::thread::sleep(process_pools::INIT_BACKOFF);
        assert_eq!(pool.map::<ReadSetting>([4]), [Ok(8)]);
    });
    assert_no_children_left();
}

// The backend switch (`backend.rs`).

/// A sweep on whatever executor it gets: points `(seed, trials)`.
fn sweep(
    executor: &impl Executor,
    points: Vec<(u64, u64)>,
) -> Vec<Result<f64, process_pools::TaskFailure>> {
    executor.run_tasks::<SweepPoint>(points)
}

#[test]
fn the_executor_runs_with_the_pools_timeout_and_retries() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let pool = pool(2)
            .chunksize(2)
            .timeout(Duration::from_millis(500))
            .retries(1)
            .build()
            .unwrap();
        // A good point, a panicking one (0 trials), one that never ends.
        let points = vec![(1, 1000), (2, 0), (3, u64::MAX), (4, 1000)];
        let results = sweep(&pool, points.clone());
        let serial = sweep(&Serial, vec![points[0], points[3]]);
        assert_eq!([results[0].clone(), results[3].clone()], serial[..]);
        let panicked = results[1].as_ref().unwrap_err();
        assert_eq!(panicked.index, 1);
        assert!(
            panicked.message.contains("at least one trial"),
            "{panicked}"
        );
        assert!(
            panicked.message.contains("attempt 2"),
            "retried: {panicked}"
        );
        let timed_out = results[2].as_ref().unwrap_err();
        assert_eq!(timed_out.index, 2);
        assert!(timed_out.message.contains("timed out"), "{timed_out}");
        assert!(
            timed_out.message.contains("attempt 2"),
            "retried: {timed_out}"
        );
    });
    assert_no_children_left();
}

#[test]
fn an_executor_task_is_a_pool_task_in_every_call() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let pool = pool(2).chunksize(3).build().unwrap();
        let points: Vec<(u64, u64)> = (0..10).map(|s| (s, 500)).collect();
        let serial = sweep(&Serial, points.clone());
        let serial: Vec<f64> = serial.into_iter().map(Result::unwrap).collect();
        let mapped: Vec<f64> = pool
            .map::<SweepPoint>(points.clone())
            .into_iter()
            .map(Result::unwrap)
            .collect();
        let lazy: Vec<f64> = pool
            .imap::<SweepPoint, _>(points.clone())
            .map(Result::unwrap)
            .collect();
        assert_eq!(mapped, serial);
        assert_eq!(lazy, serial);
        assert!(sweep(&pool, Vec::new()).is_empty());
    });
    assert_no_children_left();
}

// Retries with a timeout: the timeout's bound on a task that never starts.

#[test]
fn a_stopped_worker_cannot_hold_a_large_chunk_past_the_timeout() {
    let _serial = one_at_a_time();
    bounded(30, || {
        let pool = pool(1).timeout(Duration::from_secs(1)).build().unwrap();
        let stopped = pool.worker_pids()[0];
        let pid = nix::unistd::Pid::from_raw(stopped as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGSTOP).unwrap();
        // An input larger than a pipe holds: the write to the stopped worker
        // cannot complete. It goes, once, to a fresh worker.
        let results = pool.map::<Blob>([(vec![7; 1 << 20], 3)]);
        assert_eq!(results, [Ok(vec![0; 3])]);
        assert!(
            eventually(5, || !alive(stopped)),
            "the stopped worker lives"
        );
    });
    assert_no_children_left();
}

#[test]
fn a_task_no_fresh_worker_can_start_in_time_is_blamed_not_resent_forever() {
    let _serial = one_at_a_time();
    bounded(60, || {
        // 64 MiB take longer than 20 ms to arrive and decode, every time.
        let pool = pool(1).timeout(Duration::from_millis(20)).build().unwrap();
        let results = pool.map::<Blob>([(vec![7; 64 << 20], 1), (Vec::new(), 2)]);
        let error = results[0].as_ref().unwrap_err();
        assert!(
            matches!(error.kind, TaskErrorKind::TimedOut { .. }),
            "{error}"
        );
        assert_eq!(results[1], Ok(vec![0; 2]));
    });
    assert_no_children_left();
}
