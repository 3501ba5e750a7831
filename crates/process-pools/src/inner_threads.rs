//! Threads inside each worker ([`crate::PoolBuilder::inner_threads`]), as
//! loky's `inner_max_num_threads`: numerical libraries (OpenMP, OpenBLAS,
//! MKL, BLIS, Accelerate, numexpr, and rayon's global pool) start one
//! thread per core *in every process* unless told otherwise, so 8 workers
//! on 8 cores each calling a BLAS routine run 64 threads that fight over 8
//! cores. By default each worker is told, through the variables those
//! libraries read at start-up ([`THREAD_VARS`]), to use
//! `max(1, cores / workers)` threads, unless you set the variable yourself,
//! in this program's environment or with [`crate::PoolBuilder::env`].
//!
//! What it cannot do: a library that ignores these variables, or a task
//! that asks for threads explicitly (`ThreadPoolBuilder::num_threads(8)`),
//! gets what it asks for.

use std::ffi::OsString;

/// The environment variables each worker gets, read by: OpenMP, OpenBLAS,
/// Intel MKL, BLIS, Apple Accelerate (vecLib), numexpr, rayon.
pub const THREAD_VARS: [&str; 7] = [
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "RAYON_NUM_THREADS",
];

// ANCHOR: inner_threads
/// How many threads the libraries inside each worker may start
/// ([`crate::PoolBuilder::inner_threads`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InnerThreads {
    /// `max(1, cores / workers)`: the workers together use the cores once
    /// (the default).
    #[default]
    Auto,
    /// This many threads per worker (at least 1).
    Fixed(usize),
    /// Set nothing: each library decides, usually one thread per core.
    Inherit,
}
// ANCHOR_END: inner_threads

impl InnerThreads {
    /// The thread count for each of `workers` workers on `cores` cores;
    /// `None`: leave the libraries alone.
    pub fn per_worker(self, workers: usize, cores: usize) -> Option<usize> {
        match self {
            InnerThreads::Auto => Some((cores / workers.max(1)).max(1)),
            InnerThreads::Fixed(n) => Some(n),
            InnerThreads::Inherit => None,
        }
    }
}

/// The variables to set in every worker: each of [`THREAD_VARS`] set to
/// `threads`, except those the user set, in the builder (`user_env`) or in
/// this program's environment (`parent_has`).
pub(crate) fn thread_vars(
    threads: usize,
    user_env: &[(OsString, OsString)],
    parent_has: impl Fn(&str) -> bool,
) -> Vec<(OsString, OsString)> {
    let value = OsString::from(threads.to_string());
    THREAD_VARS
        .into_iter()
        .filter(|var| !parent_has(var))
        .filter(|var| !user_env.iter().any(|(key, _)| key == var))
        .map(|var| (OsString::from(var), value.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_shares_the_cores_and_never_goes_below_one() {
        assert_eq!(InnerThreads::Auto.per_worker(2, 8), Some(4));
        assert_eq!(InnerThreads::Auto.per_worker(3, 8), Some(2));
        assert_eq!(InnerThreads::Auto.per_worker(16, 8), Some(1));
        assert_eq!(InnerThreads::Fixed(3).per_worker(16, 8), Some(3));
        assert_eq!(InnerThreads::Inherit.per_worker(2, 8), None);
    }

    #[test]
    fn a_variable_the_user_set_is_left_alone() {
        let user = [(OsString::from("MKL_NUM_THREADS"), OsString::from("6"))];
        let vars = thread_vars(2, &user, |var| var == "OMP_NUM_THREADS");
        let names: Vec<_> = vars.iter().map(|(k, _)| k.to_str().unwrap()).collect();
        assert!(!names.contains(&"OMP_NUM_THREADS"), "set in the parent");
        assert!(!names.contains(&"MKL_NUM_THREADS"), "set with env()");
        assert_eq!(names.len(), THREAD_VARS.len() - 2);
        assert!(vars.iter().all(|(_, v)| v == "2"));
    }
}
