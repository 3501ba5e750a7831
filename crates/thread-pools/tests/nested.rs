//! `with_inner_threads`: rayon work nested in a task of a thread pool runs
//! on the task thread's own small pool, of the size asked for, with the
//! same result; on a rayon thread it stays on that pool; 0 is an error.
//!
//! `cargo test -p thread-pools --test nested`

use rayon::prelude::*;
use thread_pools::{inner_threads, rayon_pool, with_inner_threads};

/// What a task sees: the size of the rayon pool its nested work runs on,
/// and the result of that work.
fn nested_task(n: u64) -> (usize, u64) {
    let sum = (0..n).into_par_iter().map(|x| x * x).sum();
    (rayon::current_num_threads(), sum)
}

#[test]
fn nested_rayon_in_task_threads_runs_on_their_own_small_pools() {
    let serial: u64 = (0..1000u64).map(|x| x * x).sum();
    let seen: Vec<(usize, u64)> = std::thread::scope(|scope| {
        let tasks: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    // Twice on one thread: the second call reuses its pool.
                    let first = with_inner_threads(1, || nested_task(1000)).unwrap();
                    let again = with_inner_threads(1, || nested_task(1000)).unwrap();
                    assert_eq!(first, again);
                    first
                })
            })
            .collect();
        tasks.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(seen.iter().all(|&s| s == (1, serial)), "{seen:?}");
}

#[test]
fn on_a_rayon_thread_nested_work_stays_on_that_pool() {
    let pool = rayon_pool(2).unwrap();
    let (threads, _) =
        pool.install(|| with_inner_threads(1, || nested_task(10)).unwrap());
    assert_eq!(threads, 2, "the outer pool's own threads");
}

#[test]
fn the_share_is_at_least_one_and_zero_is_an_error() {
    assert!(inner_threads(1_000_000) >= 1);
    assert!(with_inner_threads(0, || ()).is_err());
}
