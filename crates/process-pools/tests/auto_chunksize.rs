//! Automatic batch sizes (`PoolBuilder::auto_chunksize`): tiny tasks end up
//! in large batches and long ones stay one per message, judged by the sizes
//! the pool sent (`ProcessPool::stats`), never by speed; results equal
//! serial and come in input order from `map`, `imap_unordered` and `imap`;
//! and a task that crashes, panics or hangs inside a batch is blamed alone
//! while every task runs exactly once.

mod common;

use std::time::Duration;

use common::{bounded, executions, pool};
use process_pools::demo::{Behaviour, Counted, Misbehave, Square};
use process_pools::{PoolError, TaskErrorKind};

const TINY: u64 = 20_000;

#[test]
fn tiny_tasks_end_up_in_large_batches() {
    bounded(120, || {
        let pool = pool(2).auto_chunksize().build().unwrap();
        let squares = pool.map::<Square>(0..TINY);
        let serial: Vec<_> = (0..TINY).map(|x| Ok(x * x)).collect();
        assert_eq!(squares, serial);
        let stats = pool.stats();
        assert_eq!(stats.tasks, TINY, "{stats:?}");
        assert!(stats.largest_chunk >= 256, "{stats:?}");
        assert!(stats.chunks <= TINY / 20, "{stats:?}");
    });
}

#[test]
fn long_tasks_stay_one_per_message() {
    bounded(60, || {
        let pool = pool(2).auto_chunksize().build().unwrap();
        // Each is longer than the 0.2 s target.
        let slept = pool.map::<Misbehave>((0..6).map(|_| Behaviour::Sleep(250)));
        assert_eq!(slept, vec![Ok(0); 6]);
        let stats = pool.stats();
        assert_eq!((stats.chunks, stats.largest_chunk), (6, 1), "{stats:?}");
    });
}

#[test]
fn the_unordered_stream_and_lazy_imap_adapt_too() {
    bounded(120, || {
        let pool = pool(2).auto_chunksize().build().unwrap();
        let mut unordered: Vec<_> = pool.imap_unordered::<Square>(0..TINY).collect();
        unordered.sort_by_key(|(task, _)| *task);
        let expected: Vec<_> = (0..TINY).map(|x| (x as usize, Ok(x * x))).collect();
        assert_eq!(unordered, expected);
        let after_unordered = pool.stats();
        assert!(after_unordered.largest_chunk >= 256, "{after_unordered:?}");
        // Each call starts at one task per message and grows again.
        let lazy: Vec<_> = pool.imap::<Square, _>(0..TINY).collect();
        let serial: Vec<_> = (0..TINY).map(|x| Ok(x * x)).collect();
        assert_eq!(lazy, serial);
        let stats = pool.stats();
        let imap_chunks = stats.chunks - after_unordered.chunks;
        assert!(imap_chunks <= TINY / 20, "{imap_chunks} chunks, {stats:?}");
    });
}

#[derive(Debug, Clone, Copy)]
enum Bad {
    Abort,
    Panic,
    Hang,
}

/// 300 tiny tasks, task 250 bad: by then batches are large, so the bad task
/// shares its batch with others.
fn blamed_alone(bad: Bad) {
    bounded(90, move || {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().display().to_string();
        let (tasks, culprit) = (300u64, 250u64);
        let inputs = (0..tasks).map(|i| {
            let behaviour = match (i == culprit, bad) {
                (false, _) => Behaviour::Return(i),
                (true, Bad::Abort) => Behaviour::Abort,
                (true, Bad::Panic) => Behaviour::Panic("on purpose".into()),
                (true, Bad::Hang) => Behaviour::Sleep(60_000),
            };
            (path.clone(), i, behaviour)
        });
        let pool = pool(2)
            .auto_chunksize()
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        let results = pool.map::<Counted>(inputs);
        for (i, result) in (0..tasks).zip(&results) {
            assert_eq!(executions(dir.path(), i).len(), 1, "task {i}, {bad:?}");
            if i != culprit {
                assert_eq!(result, &Ok(i), "{bad:?}");
                continue;
            }
            let error = result.clone().unwrap_err();
            assert_eq!(error.task, culprit as usize);
            let expected = matches!(
                (&error.kind, bad),
                (TaskErrorKind::Crashed { .. }, Bad::Abort)
                    | (TaskErrorKind::Panicked { .. }, Bad::Panic)
                    | (TaskErrorKind::TimedOut { .. }, Bad::Hang)
            );
            assert!(expected, "{bad:?}: {error}");
        }
        let stats = pool.stats();
        assert!(stats.largest_chunk > 1, "{stats:?}");
    });
}

#[test]
fn a_crash_in_a_batch_is_blamed_alone_and_each_task_runs_once() {
    blamed_alone(Bad::Abort);
}

#[test]
fn a_panic_in_a_batch_is_blamed_alone_and_each_task_runs_once() {
    blamed_alone(Bad::Panic);
}

#[test]
fn a_hang_in_a_batch_times_out_alone_and_each_task_runs_once() {
    blamed_alone(Bad::Hang);
}

#[test]
fn a_zero_target_is_refused() {
    let refused = pool(1).auto_chunksize_target(Duration::ZERO).build();
    assert!(
        matches!(&refused, Err(PoolError::Invalid(why)) if why.contains("target")),
        "{refused:?}"
    );
}
