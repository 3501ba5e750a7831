//! [`WorkloadError`]: what a workload task can fail with, comparable and
//! serialisable so that a worker process can send it back.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// An error from a workload task, comparable and serialisable so that it can be
/// checked in tests and sent back from a worker process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum WorkloadError {
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the operating system said.
        message: String,
    },
}

impl WorkloadError {
    pub(crate) fn io(path: impl Into<PathBuf>, err: &std::io::Error) -> Self {
        WorkloadError::Io {
            path: path.into(),
            message: err.to_string(),
        }
    }
}
