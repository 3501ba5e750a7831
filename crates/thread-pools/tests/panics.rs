//! A panicking task yields an error naming its index and message; the other
//! results survive, the pool keeps working, and nothing hangs. rayon's default
//! (one panic loses the whole map) is shown for comparison.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use thread_pools::{
    Pool, TaskError, rayon_all_or_nothing, rayon_map_results, rayon_pool,
    run_parallel_step, scoped_map,
};

use workloads::testing::bounded;

const LIMIT: Duration = Duration::from_secs(30);

/// Squares its input, but panics on the multiples of 5 above 0.
fn fragile(i: u64) -> u64 {
    if i > 0 && i.is_multiple_of(5) {
        panic!("input {i} is cursed");
    }
    i * i
}

/// Checks one map's results: errors exactly at 5, 10, 15, values elsewhere.
fn check(results: &[Result<u64, TaskError>]) {
    assert_eq!(results.len(), 20);
    for (i, result) in results.iter().enumerate() {
        if i > 0 && i.is_multiple_of(5) {
            let err = result.as_ref().unwrap_err();
            assert_eq!(err.index, i);
            assert_eq!(err.message, format!("input {i} is cursed"));
            assert_eq!(
                err.to_string(),
                format!("task {i} panicked: input {i} is cursed")
            );
        } else {
            assert_eq!(result, &Ok(i as u64 * i as u64), "task {i}");
        }
    }
}

#[test]
fn pool_map_reports_panics_per_task_and_keeps_working() {
    bounded(LIMIT, || {
        let pool = Pool::new(2).unwrap();
        check(&pool.map(0..20u64, fragile));
        check(&pool.map_async(0..20u64, fragile).wait());
        check(&pool.starmap((0..20u64).map(|i| (i,)), fragile));
        let mut unordered: Vec<_> = pool.imap_unordered(0..20u64, fragile).collect();
        unordered.sort_by_key(|(index, _)| *index);
        let results: Vec<_> = unordered.into_iter().map(|(_, r)| r).collect();
        check(&results);
        // The workers survived: the pool still runs a clean map.
        assert_eq!(pool.map(0..3u64, fragile), vec![Ok(0), Ok(1), Ok(4)]);
    });
}

#[test]
fn every_task_panicking_still_returns() {
    bounded(LIMIT, || {
        let pool = Pool::new(2).unwrap();
        let results = pool.map(0..6u64, |i| -> u64 { panic!("no {i}") });
        let indices: Vec<usize> = results
            .iter()
            .map(|r| r.as_ref().unwrap_err().index)
            .collect();
        assert_eq!(indices, vec![0, 1, 2, 3, 4, 5]);
        let owned = String::from("formatted");
        let results =
            pool.map(vec![1u8], move |_| -> u8 { panic!("{owned} message") });
        assert_eq!(
            results[0].as_ref().unwrap_err().message,
            "formatted message"
        );
    });
}

#[test]
fn rayon_results_and_run_parallel_step_report_panics_per_task() {
    bounded(LIMIT, || {
        let inputs: Vec<u64> = (0..20).collect();
        let pool = rayon_pool(2).unwrap();
        check(&rayon_map_results(&pool, &inputs, |&i| fragile(i)));
        check(&run_parallel_step(|&i| fragile(i), &inputs, 2, false));
        check(&run_parallel_step(|&i| fragile(i), &inputs, 2, true));
    });
}

#[test]
fn rayon_default_loses_every_result_on_one_panic() {
    bounded(LIMIT, || {
        let ran = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&ran);
        let inputs: Vec<u64> = (0..20).collect();
        let outcome = rayon_all_or_nothing(&inputs, |&i| {
            counter.fetch_add(1, Ordering::SeqCst);
            fragile(i)
        });
        let message = outcome.unwrap_err();
        assert!(message.contains("is cursed"), "{message}");
        assert!(ran.load(Ordering::SeqCst) >= 1);
        assert_eq!(
            rayon_all_or_nothing(&inputs[..3], |&i| fragile(i)),
            Ok(vec![0, 1, 4])
        );
    });
}

#[test]
fn scoped_map_reraises_a_task_panic_after_joining() {
    bounded(LIMIT, || {
        let inputs: Vec<u64> = (0..20).collect();
        let caught =
            std::panic::catch_unwind(|| scoped_map(&inputs, 2, |&i| fragile(i)));
        assert!(caught.is_err());
    });
}

#[test]
fn chunked_pool_reraises_a_panic_without_exposing_unwritten_results() {
    bounded(LIMIT, || {
        let inputs: Vec<u64> = (0..50).collect();
        // Results own heap memory, so a bad `set_len` would show up as a
        // double free or a read of garbage.
        let text = |&i: &u64| -> String { format!("#{}", fragile(i)) };
        for chunk in [1, 3, 64] {
            let caught = std::panic::catch_unwind(|| {
                thread_pools::channel_map_chunked(&inputs, 2, chunk, text)
            });
            assert!(caught.is_err(), "chunk {chunk}");
        }
        let ok = thread_pools::channel_map_chunked(&inputs[..5], 3, 64, text);
        assert_eq!(ok, vec!["#0", "#1", "#4", "#9", "#16"]);
    });
}
