//! Lazy, bounded submission with `imap`: results in input order and equal to
//! `map`'s, inputs pulled only as results are taken (an endless iterator
//! works), failures in their place, and dropping the iterator stops the
//! work.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{assert_no_children_left, bounded, executions, one_at_a_time, pool};
use process_pools::demo::{Behaviour, Counted, Misbehave, Square};
use process_pools::{PoolError, TaskErrorKind};

#[test]
fn imap_keeps_order_and_equals_map() {
    let _serial = one_at_a_time();
    bounded(60, || {
        for chunksize in [1, 7] {
            for max_in_flight in [1, 3] {
                let pool = pool(2)
                    .chunksize(chunksize)
                    .max_in_flight(max_in_flight)
                    .build()
                    .unwrap();
                let lazy: Vec<_> = pool.imap::<Square, _>(0..500u64).collect();
                assert_eq!(lazy, pool.map::<Square>(0..500u64));
                assert_eq!(pool.imap::<Square, _>(Vec::new()).count(), 0);
            }
        }
    });
}

#[test]
fn inputs_are_pulled_only_as_results_are_taken() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let (chunksize, max_in_flight) = (5, 3);
        let pool = pool(2)
            .chunksize(chunksize)
            .max_in_flight(max_in_flight)
            .build()
            .unwrap();
        let pulled = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&pulled);
        // An endless input: only a lazy pool can finish this.
        let endless = (0u64..).inspect(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        let mut results = pool.imap::<Square, _>(endless);
        for taken in 1..=100u64 {
            assert_eq!(results.next(), Some(Ok((taken - 1) * (taken - 1))));
            let ahead = pulled.load(Ordering::Relaxed) - taken as usize;
            assert!(ahead <= chunksize * max_in_flight, "{ahead} ahead");
        }
    });
}

#[test]
fn failures_keep_their_place() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let pool = pool(2).chunksize(3).build().unwrap();
        let inputs = (0..30).map(|i| match i {
            4 => Behaviour::Panic("four".into()),
            17 => Behaviour::Abort,
            _ => Behaviour::Return(i),
        });
        let results: Vec<_> = pool.imap::<Misbehave, _>(inputs).collect();
        assert_eq!(results.len(), 30);
        for (i, result) in results.iter().enumerate() {
            match (i, result) {
                (4, Err(e)) => {
                    assert!(matches!(e.kind, TaskErrorKind::Panicked { .. }))
                }
                (17, Err(e)) => {
                    assert!(matches!(e.kind, TaskErrorKind::Crashed { .. }))
                }
                (_, r) => assert_eq!(r, &Ok(i as u64)),
            }
        }
    });
}

#[test]
fn dropping_imap_stops_taking_and_running_inputs() {
    let _serial = one_at_a_time();
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().display().to_string();
        let pool = pool(2).build().unwrap();
        let inputs = (0..1000).map(|i| (path.clone(), i, Behaviour::Sleep(5)));
        let first: Vec<_> = pool.imap::<Counted, _>(inputs).take(5).collect();
        assert_eq!(first, vec![Ok(0); 5]);
        // Let whatever was already sent finish, then count.
        std::thread::sleep(std::time::Duration::from_millis(500));
        let ran = (0..1000).filter(|&i| !executions(dir.path(), i).is_empty());
        let ran = ran.count();
        // 5 taken, a window of 2 x 2 chunks, and at most a few sent ahead.
        assert!(ran <= 5 + 4 + 2, "{ran} of 1000 tasks ran");
        drop(pool);
    });
    assert_no_children_left();
}

#[test]
fn max_in_flight_must_be_positive() {
    let _serial = one_at_a_time();
    let error = pool(1).max_in_flight(0).build().unwrap_err();
    assert!(matches!(error, PoolError::Invalid(_)), "{error}");
}
