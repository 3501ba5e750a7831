//! [`TaskError`]: why one task of a gather, a scheduler's map or a cluster
//! has no result, and [`all_ok`], which turns per-task results into all of
//! them or the first error. The bottom of the crate: every other file
//! reports its tasks' failures with it.

use std::time::Duration;

/// Why one task of a gather has no result. The other tasks are not affected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaskError {
    /// The task ran longer than its per-task timeout and was stopped.
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
    /// The task panicked; the panic message.
    #[error("panicked: {0}")]
    Panicked(String),
    /// The task was cancelled (its runtime or pool shut down) before it
    /// finished.
    #[error("cancelled before it finished")]
    Cancelled,
}

/// Turns per-task results into all results or the first error (in input
/// order), for comparison with a serial run.
pub fn all_ok<T>(results: Vec<Result<T, TaskError>>) -> Result<Vec<T>, TaskError> {
    results.into_iter().collect()
}
