//! How many workers: the default count ([`default_jobs`]) and, with the
//! `rayon` feature, a rayon pool of exactly that many threads
//! (`rayon_pool`), shared by every chapter (libraries, demos and benches)
//! so `jobs` means the same everywhere.

use std::num::NonZeroUsize;

/// The default number of workers: `std::thread::available_parallelism()`,
/// or 1 if unknown (joblib's `n_jobs=-1`).
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Why a pool of `jobs` workers could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JobsError {
    /// `jobs` was 0 (rayon would silently read it as "every core").
    #[error("a pool needs at least one thread, got jobs = 0")]
    Zero,
    /// The operating system refused to start the threads.
    #[cfg(feature = "rayon")]
    #[error("starting {jobs} rayon threads: {source}")]
    Build {
        /// Threads asked for.
        jobs: usize,
        /// What rayon said.
        source: rayon::ThreadPoolBuildError,
    },
}

// ANCHOR: rayon_pool
#[cfg(feature = "rayon")]
/// A dedicated rayon pool of exactly `jobs` threads (joblib's `n_jobs`),
/// named `rayon-worker-<k>`. Build it once and reuse it: building starts
/// the threads. `jobs = 0` is an error, not "every core" as rayon reads it.
pub fn rayon_pool(jobs: usize) -> Result<rayon::ThreadPool, JobsError> {
    rayon_builder(jobs)?
        .build()
        .map_err(|source| JobsError::Build { jobs, source })
}

#[cfg(feature = "rayon")]
/// The builder behind [`rayon_pool`], for a pool that needs more settings
/// (an exit handler, its own thread names): `jobs` checked and set.
pub fn rayon_builder(jobs: usize) -> Result<rayon::ThreadPoolBuilder, JobsError> {
    check_jobs(jobs)?;
    Ok(rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|k| format!("rayon-worker-{k}")))
}
// ANCHOR_END: rayon_pool

/// `jobs` itself, or [`JobsError::Zero`]: every pool of every chapter
/// refuses zero workers the same way (rayon would read 0 as "every core").
pub fn check_jobs(jobs: usize) -> Result<NonZeroUsize, JobsError> {
    NonZeroUsize::new(jobs).ok_or(JobsError::Zero)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_jobs_is_refused() {
        assert!(matches!(check_jobs(0), Err(JobsError::Zero)));
        assert_eq!(check_jobs(3).unwrap().get(), 3);
    }

    #[cfg(feature = "rayon")]
    #[test]
    fn zero_jobs_is_an_error_not_every_core() {
        assert!(matches!(rayon_pool(0), Err(JobsError::Zero)));
        assert!(matches!(rayon_builder(0), Err(JobsError::Zero)));
    }

    #[cfg(feature = "rayon")]
    #[test]
    fn the_pool_has_exactly_jobs_threads() {
        for jobs in [1, 3] {
            let pool = rayon_pool(jobs).unwrap();
            assert_eq!(pool.current_num_threads(), jobs);
            let name =
                pool.install(|| std::thread::current().name().map(String::from));
            assert!(name.unwrap().starts_with("rayon-worker-"));
        }
    }

    #[test]
    fn default_jobs_is_at_least_one() {
        assert!(default_jobs() >= 1);
    }
}
