//! No hangs, ever: every way a task can fail costs that task only, with an
//! error that names it and says why; the other tasks complete. Every test is
//! bounded, so a hang fails it.

mod common;

use std::time::Duration;

use common::{bounded, pool};
use process_pools::demo::{Behaviour, Misbehave};
use process_pools::{TaskError, TaskErrorKind};

fn fine(n: u64) -> Vec<Behaviour> {
    (0..n).map(Behaviour::Return).collect()
}

/// Runs `bad` at position 3 of 8 well-behaved tasks; checks the others and
/// returns the error of task 3.
fn only_task_3_fails(chunksize: usize, bad: Behaviour) -> TaskError {
    bounded(60, move || {
        let pool = pool(2).chunksize(chunksize).build().unwrap();
        let mut inputs = fine(8);
        inputs[3] = bad;
        let results = pool.map::<Misbehave>(inputs);
        assert_eq!(results.len(), 8);
        for (i, result) in results.iter().enumerate() {
            if i != 3 {
                assert_eq!(result, &Ok(i as u64), "task {i}");
            }
        }
        // The pool goes on: a second map on the same pool works.
        assert_eq!(
            pool.map::<Misbehave>(fine(4)),
            (0..4).map(Ok).collect::<Vec<_>>()
        );
        results[3].clone().unwrap_err()
    })
}

#[test]
fn a_panic_is_that_tasks_error_with_the_message() {
    let error = only_task_3_fails(1, Behaviour::Panic("bad input 42".into()));
    let TaskErrorKind::Panicked { message } = &error.kind else {
        panic!("{error:?}")
    };
    assert_eq!(error.task, 3);
    assert!(message.contains("bad input 42"), "{message}");
    assert!(message.contains("demo.rs"), "location in {message}");
}

#[test]
fn a_panic_does_not_cost_the_worker() {
    bounded(30, || {
        let pool = pool(1).build().unwrap();
        let before = pool.worker_pids();
        let results = pool.map::<Misbehave>(vec![
            Behaviour::Panic("boom".into()),
            Behaviour::Return(1),
        ]);
        let error = results[0].as_ref().unwrap_err();
        assert!(matches!(error.kind, TaskErrorKind::Panicked { .. }));
        assert_eq!(error.task, 0);
        assert_eq!(results[1], Ok(1));
        assert_eq!(pool.worker_pids(), before, "same worker process");
    });
}

#[test]
fn an_abort_names_the_task_and_the_signal() {
    let error = only_task_3_fails(1, Behaviour::Abort);
    let TaskErrorKind::Crashed { status, .. } = &error.kind else {
        panic!("{error:?}")
    };
    assert_eq!(error.task, 3);
    assert!(status.contains("SIGABRT"), "{status}");
    assert!(
        error.to_string().starts_with("task 3 killed its worker"),
        "{error}"
    );
}

#[test]
fn an_exit_names_the_task_and_the_exit_code() {
    let error = only_task_3_fails(1, Behaviour::Exit(3));
    let TaskErrorKind::Crashed { status, .. } = &error.kind else {
        panic!("{error:?}")
    };
    assert_eq!(error.task, 3);
    assert!(status.contains("exit status: 3"), "{status}");
}

#[test]
fn a_sigkill_names_the_task_and_the_signal() {
    let error = only_task_3_fails(1, Behaviour::Kill);
    let TaskErrorKind::Crashed { status, .. } = &error.kind else {
        panic!("{error:?}")
    };
    assert_eq!(error.task, 3);
    assert!(status.contains("SIGKILL"), "{status}");
}

#[test]
fn a_crash_inside_a_chunk_is_blamed_on_the_right_task() {
    for bad in [Behaviour::Abort, Behaviour::Kill, Behaviour::Exit(9)] {
        let error = only_task_3_fails(4, bad);
        assert!(
            matches!(error.kind, TaskErrorKind::Crashed { .. }) && error.task == 3,
            "{error:?}"
        );
    }
}

#[test]
fn a_task_past_its_timeout_is_killed_and_the_pool_goes_on() {
    let error = bounded(60, || {
        let pool = pool(2).timeout(Duration::from_millis(300)).build().unwrap();
        let mut inputs = fine(8);
        inputs[3] = Behaviour::Sleep(60_000);
        let results = pool.map::<Misbehave>(inputs);
        for (i, result) in results.iter().enumerate().filter(|(i, _)| *i != 3) {
            assert_eq!(result, &Ok(i as u64));
        }
        assert_eq!(pool.map::<Misbehave>(fine(3)).len(), 3);
        results[3].clone().unwrap_err()
    });
    let TaskErrorKind::TimedOut { timeout, .. } = &error.kind else {
        panic!("{error:?}")
    };
    assert_eq!((error.task, *timeout), (3, Duration::from_millis(300)));
}

#[test]
fn a_timeout_inside_a_chunk_is_blamed_on_the_right_task() {
    let error = bounded(60, || {
        let pool = pool(1)
            .chunksize(8)
            .timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let mut inputs = fine(8);
        inputs[5] = Behaviour::Sleep(60_000);
        let results = pool.map::<Misbehave>(inputs);
        for (i, result) in results.iter().enumerate().filter(|(i, _)| *i != 5) {
            assert_eq!(result, &Ok(i as u64));
        }
        results[5].clone().unwrap_err()
    });
    assert!(
        matches!(error.kind, TaskErrorKind::TimedOut { .. }) && error.task == 5,
        "{error:?}"
    );
}

#[test]
fn slow_tasks_within_the_timeout_are_not_killed() {
    bounded(60, || {
        let pool = pool(2)
            .chunksize(3)
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        let inputs = vec![Behaviour::Sleep(100); 6];
        assert_eq!(pool.map::<Misbehave>(inputs), vec![Ok(0); 6]);
    });
}

#[test]
fn every_kind_of_failure_in_one_map() {
    bounded(60, || {
        let pool = pool(2).timeout(Duration::from_millis(500)).build().unwrap();
        let mut inputs = fine(12);
        inputs[1] = Behaviour::Panic("oops".into());
        inputs[4] = Behaviour::Abort;
        inputs[6] = Behaviour::Kill;
        inputs[8] = Behaviour::Exit(2);
        inputs[10] = Behaviour::Sleep(60_000);
        let results = pool.map::<Misbehave>(inputs);
        for (i, result) in results.iter().enumerate() {
            let kind = result.as_ref().err().map(|e| {
                assert_eq!(e.task, i, "{e}");
                &e.kind
            });
            match i {
                1 => assert!(matches!(kind, Some(TaskErrorKind::Panicked { .. }))),
                4 | 6 | 8 => assert!(
                    matches!(kind, Some(TaskErrorKind::Crashed { .. })),
                    "{result:?}"
                ),
                10 => assert!(matches!(kind, Some(TaskErrorKind::TimedOut { .. }))),
                _ => assert_eq!(result, &Ok(i as u64)),
            }
        }
    });
}

#[test]
fn a_crash_replaces_the_worker() {
    bounded(30, || {
        let pool = pool(1).build().unwrap();
        let before = pool.worker_pids();
        let results =
            pool.map::<Misbehave>(vec![Behaviour::Kill, Behaviour::Return(7)]);
        assert!(results[0].is_err());
        assert_eq!(results[1], Ok(7));
        assert_ne!(pool.worker_pids(), before);
        assert!(!common::alive(before[0]), "the dead worker was reaped");
    });
}

#[test]
fn a_task_that_prints_to_stdout_does_not_corrupt_the_messages() {
    bounded(30, || {
        let pool = pool(1).chunksize(3).build().unwrap();
        let results = pool.map::<Misbehave>((0..6).map(Behaviour::Print));
        assert_eq!(results, (0..6).map(Ok).collect::<Vec<_>>());
    });
}
