//! `max_memory_per_worker`: the OS stops a task that allocates past the
//! limit; that task alone fails, once, with `OutOfMemory` naming the limit;
//! its worker is replaced and the replacement works; the other tasks run
//! once each. A limit too small for a worker to start is an error from
//! `build`, not a hang; a limit of 0 is an invalid setting.
//!
//! `cargo test -p process-pools --test memory_limit`

mod common;

use common::{bounded, executions, one_at_a_time, pool};
use process_pools::demo::{Behaviour, Blob, Counted, Misbehave};
use process_pools::{PoolError, TaskErrorKind};

const LIMIT: u64 = 64 << 20;
/// Far past the limit: it fails at once, before any page is touched.
const TOO_MUCH: u64 = 1 << 30;
const BAD: u64 = 3;

#[test]
fn a_task_past_the_limit_fails_alone_once_and_its_worker_is_replaced() {
    let _one = one_at_a_time();
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().display().to_string();
        let pool = pool(2).max_memory_per_worker(LIMIT).build().unwrap();
        let before = pool.worker_pids();
        let inputs = (0..8).map(|i| {
            let behaviour = if i == BAD {
                Behaviour::Allocate(TOO_MUCH)
            } else {
                Behaviour::Allocate(1 << 20) // well under the limit
            };
            (path.clone(), i, behaviour)
        });
        let results = pool.map::<Counted>(inputs);
        for (i, result) in results.iter().enumerate() {
            if i as u64 == BAD {
                let error = result.as_ref().unwrap_err();
                assert!(
                    matches!(
                        error.kind,
                        TaskErrorKind::OutOfMemory { limit: LIMIT, requested, .. }
                            if requested >= TOO_MUCH
                    ),
                    "{error:?}"
                );
                assert!(error.earlier.is_empty(), "{error:?}");
                assert!(error.to_string().contains("67108864 bytes"), "{error}");
            } else {
                assert_eq!(
                    result.as_ref().ok(),
                    Some(&(1 << 20)),
                    "task {i}: {result:?}"
                );
            }
            assert_eq!(executions(dir.path(), i as u64).len(), 1, "task {i}");
        }
        // One worker was replaced, and every worker (the new one included)
        // still runs tasks under the limit.
        let replaced = common::eventually(10, || {
            let after = pool.worker_pids();
            after.iter().filter(|pid| !before.contains(pid)).count() == 1
                && !after.contains(&0)
        });
        assert!(replaced, "one worker was replaced: {before:?}");
        let again =
            pool.map::<Misbehave>((0..6).map(|_| Behaviour::Allocate(1 << 20)));
        assert!(again.iter().all(|r| r.as_ref().ok() == Some(&(1 << 20))));
        drop(pool);
        common::assert_no_children_left();
    });
}

#[test]
fn with_retries_an_out_of_memory_task_runs_again_on_a_fresh_worker() {
    let _one = one_at_a_time();
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().display().to_string();
        let pool = pool(1)
            .max_memory_per_worker(LIMIT)
            .retries(1)
            .build()
            .unwrap();
        let results = pool.map::<Counted>([
            (path.clone(), 0, Behaviour::Return(0)),
            (path.clone(), BAD, Behaviour::Allocate(TOO_MUCH)),
        ]);
        assert_eq!(results[0], Ok(0));
        let error = results[1].as_ref().unwrap_err();
        assert!(matches!(error.kind, TaskErrorKind::OutOfMemory { .. }));
        assert!(
            matches!(error.earlier[..], [TaskErrorKind::OutOfMemory { .. }]),
            "{error:?}"
        );
        let runs = executions(dir.path(), BAD);
        assert_eq!(runs.len(), 2, "two attempts");
        assert_ne!(runs[0], runs[1], "each on its own worker");
        drop(pool);
        common::assert_no_children_left();
    });
}

#[test]
fn a_limit_too_small_to_start_a_worker_is_an_error_from_build() {
    let _one = one_at_a_time();
    bounded(60, || {
        let error = pool(2).max_memory_per_worker(1 << 20).build().unwrap_err();
        assert!(
            matches!(error, PoolError::MemoryLimitTooSmall { limit, .. } if limit == 1 << 20),
            "{error:?}"
        );
        assert!(error.to_string().contains("raise the limit"), "{error}");
        common::assert_no_children_left();
    });
}

#[test]
fn a_limit_of_zero_is_invalid() {
    let error = pool(1).max_memory_per_worker(0).build().unwrap_err();
    assert!(matches!(error, PoolError::Invalid(_)), "{error:?}");
}

#[test]
fn an_input_too_large_to_receive_under_the_limit_fails_once_not_forever() {
    let _one = one_at_a_time();
    bounded(60, || {
        const SMALL_LIMIT: u64 = 16 << 20;
        let pool = pool(1).max_memory_per_worker(SMALL_LIMIT).build().unwrap();
        let big = vec![7u8; 24 << 20];
        let results = pool.map::<Blob>([(big, 1), (Vec::new(), 2)]);
        let error = results[0].as_ref().unwrap_err();
        assert!(
            matches!(
                error.kind,
                TaskErrorKind::OutOfMemory {
                    limit: SMALL_LIMIT,
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!(results[1].as_deref(), Ok(&[0u8, 0][..]));
        drop(pool);
        common::assert_no_children_left();
    });
}
