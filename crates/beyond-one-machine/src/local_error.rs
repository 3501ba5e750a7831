//! [`LocalError`]: why a child process or a local simulation failed.
//! Re-exported by [`crate::local`]; below both it and [`crate::commands`]
//! (the subcommands its children run), which return it too.

use std::io;

use workloads::WorkloadError;

use crate::array::ArrayError;
use crate::cluster_error::ClusterError;
use crate::launch::LaunchError;
use crate::results::ResultsError;
use crate::shard::ShardError;
use crate::slurm::SlurmError;
use crate::status::StatusError;

/// Why a child process, or a local simulation, failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LocalError {
    /// The workload could not be prepared.
    #[error("preparing the workload: {0}")]
    Workload(#[from] WorkloadError),
    /// This process does not know which shard it is, or the count is wrong.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// A shard failed to run or store its results, or a merge failed.
    #[error(transparent)]
    Array(#[from] ArrayError),
    /// timely's arguments (after `--`) are not a valid configuration.
    #[error("timely's arguments after `--` (-n -p -h -w): {0}")]
    TimelyArgs(String),
    /// `--slurm` was given, but this is not a task of an `srun` step.
    #[error(transparent)]
    Slurm(#[from] SlurmError),
    /// The cluster failed.
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// The child processes failed or timed out.
    #[error(transparent)]
    Launch(#[from] LaunchError),
    /// A file could not be written or read.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// What the operating system said.
        source: io::Error,
    },
    /// The results could not be written.
    #[error("{0}")]
    Output(#[from] ResultsError),
    /// `status` cannot read the results directory (missing, not a job
    /// array's, damaged record): a usage error.
    #[error(transparent)]
    Status(#[from] StatusError),
    /// Results could not be (de)serialised.
    #[error("{what}: {source}")]
    Json {
        /// What was being done.
        what: String,
        /// What serde said.
        source: serde_json::Error,
    },
}

impl LocalError {
    /// The exit status a program should end with: 2 for a usage error (as
    /// clap does), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            LocalError::TimelyArgs(_)
            | LocalError::Shard(_)
            | LocalError::Slurm(_)
            | LocalError::Status(_)
            | LocalError::Array(ArrayError::Shard(_))
            | LocalError::Cluster(ClusterError::Config(_)) => 2,
            _ => 1,
        }
    }
}

/// `LocalError::Io` doing `what`, for `map_err`.
pub(crate) fn io_error(
    what: impl Into<String>,
) -> impl FnOnce(io::Error) -> LocalError {
    let what = what.into();
    move |source| LocalError::Io { what, source }
}

/// `LocalError::Json` doing `what`, for `map_err`.
pub(crate) fn json_error(
    what: &str,
) -> impl FnOnce(serde_json::Error) -> LocalError {
    move |source| LocalError::Json {
        what: what.to_owned(),
        source,
    }
}
