//! A sweep killed half way resumes: the points done before are on disk and
//! are not computed again; a second full run computes nothing. (Its own test
//! binary: it counts the model runs of this process.)

use std::sync::atomic::Ordering;

use caching::Memory;
use thread_pools::Serial;
use your_own_sweep::{MODEL_RUNS, grid, linspace, logistic_mean, sweep};

// ANCHOR: test_resume
#[test]
fn a_killed_sweep_resumes_and_a_rerun_computes_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let points = grid(&linspace(2.8, 4.0, 10), &[100, 1_000], cache.path());
    let runs = || MODEL_RUNS.load(Ordering::SeqCst);
    // "Killed" after the first half: only those points were run.
    let first_half = sweep(&Serial, points[..10].to_vec());
    assert_eq!(runs(), 10);
    let memory = Memory::open(cache.path()).unwrap();
    let cached = |p: &your_own_sweep::Point| {
        logistic_mean::check_in_cache(&memory, p.rate, p.steps)
    };
    assert!(points[..10].iter().all(cached) && !points[10..].iter().any(cached));
    // Run again: the first half comes from the cache, the rest is computed.
    let whole = sweep(&Serial, points.clone());
    assert_eq!(runs(), 20, "only the 10 missing points ran");
    assert_eq!(whole[..10], first_half[..]);
    // And once more: nothing runs at all.
    assert_eq!(sweep(&Serial, points), whole);
    assert_eq!(runs(), 20);
}
// ANCHOR_END: test_resume
