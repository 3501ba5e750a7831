//! [`PoolError`]: why a [`Pool`](crate::Pool) could not be built.

/// Why a pool could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// `jobs` was 0: a pool needs at least one worker.
    #[error("a pool needs at least one worker, got jobs = 0")]
    ZeroJobs,
    /// The operating system refused to start a worker thread.
    #[error("could not start a worker thread: {0}")]
    Spawn(#[from] std::io::Error),
    /// rayon could not build its thread pool.
    #[error("could not build the rayon pool: {0}")]
    Rayon(#[from] rayon::ThreadPoolBuildError),
    /// The worker initializer failed (returned an error or panicked) on a
    /// worker; no task ran.
    #[error("the initializer failed on worker {worker}: {message}")]
    Initializer {
        /// The worker, `0..jobs`.
        worker: usize,
        /// What the initializer returned or panicked with.
        message: String,
    },
    /// A setting that makes no sense (`chunksize(0)`, `max_in_flight(0)`).
    #[error("invalid pool setting: {0}")]
    Invalid(&'static str),
}
