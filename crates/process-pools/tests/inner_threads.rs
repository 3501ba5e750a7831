//! `inner_threads`: each worker is told how many threads its numerical
//! libraries may start (`OMP_NUM_THREADS`, …, `RAYON_NUM_THREADS`), so that
//! workers × inner threads fit the cores; a value the user set wins; the
//! switch turns it off. (The parent's own environment winning is checked
//! by the unit tests of `inner_threads.rs`: a test must not change its
//! process's environment.)
//!
//! `cargo test -p process-pools --test inner_threads`

mod common;

use common::{bounded, pool};
use process_pools::demo::ThreadsSeen;
use process_pools::{InnerThreads, PoolError, THREAD_VARS};

type Seen = (Vec<(String, Option<String>)>, usize);

/// What each of `workers`' tasks saw, one task per worker at least.
fn seen(builder: process_pools::PoolBuilder, tasks: usize) -> Vec<Seen> {
    let pool = builder.build().unwrap();
    let results = pool.map::<ThreadsSeen>(vec![(); tasks]);
    results.into_iter().map(Result::unwrap).collect()
}

/// What this test process has (the workers inherit it).
fn parent(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

#[test]
fn by_default_each_worker_gets_its_share_of_the_cores() {
    bounded(60, || {
        let cores = sweep_core::jobs::default_jobs();
        let expected = (cores / 2).max(1);
        for (vars, rayon_threads) in seen(pool(2), 4) {
            for (var, value) in &vars {
                let want = parent(var).unwrap_or(expected.to_string());
                assert_eq!(value.as_deref(), Some(want.as_str()), "{var}");
            }
            if parent("RAYON_NUM_THREADS").is_none() {
                assert_eq!(rayon_threads, expected, "rayon's pool in the worker");
            }
        }
    });
}

#[test]
fn a_fixed_count_and_a_value_set_with_env_are_what_workers_see() {
    bounded(60, || {
        let builder = pool(2)
            .inner_threads(InnerThreads::Fixed(3))
            .env("OMP_NUM_THREADS", "5");
        for (vars, _) in seen(builder, 2) {
            for (var, value) in &vars {
                let want = match var.as_str() {
                    "OMP_NUM_THREADS" => "5".to_owned(), // the user's value wins
                    other => parent(other).unwrap_or("3".into()),
                };
                assert_eq!(value.as_deref(), Some(want.as_str()), "{var}");
            }
        }
    });
}

#[test]
fn inherit_sets_nothing() {
    bounded(60, || {
        let builder = pool(2).inner_threads(InnerThreads::Inherit);
        for (vars, _) in seen(builder, 2) {
            assert_eq!(vars.len(), THREAD_VARS.len());
            for (var, value) in &vars {
                assert_eq!(*value, parent(var), "{var}: only what the parent has");
            }
        }
    });
}

#[test]
fn zero_inner_threads_is_invalid() {
    let error = pool(1)
        .inner_threads(InnerThreads::Fixed(0))
        .build()
        .unwrap_err();
    assert!(matches!(error, PoolError::Invalid(_)), "{error:?}");
}
