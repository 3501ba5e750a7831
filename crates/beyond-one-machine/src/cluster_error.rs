//! [`ClusterError`]: why a timely cluster could not run a sweep. Re-exported
//! by [`crate::cluster`]; below it, so that [`crate::connect`] (the
//! connections and the heartbeat) can return it too.

use std::io;
use std::time::Duration;

/// Why the cluster could not run the sweep.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// The command line or hostfile was not a valid timely configuration.
    #[error("timely configuration: {0}")]
    Config(String),
    /// This process could not listen on its own address.
    #[error("process {process}: cannot listen on {address}: {source}")]
    Bind {
        /// This process's index.
        process: usize,
        /// Its line of the hostfile.
        address: String,
        /// What the operating system said.
        source: io::Error,
    },
    /// Some peers did not connect before the deadline.
    #[error(
        "process {process} of {processes}: no connection from {} within {waited:?}; \
         is every process running, with the same hostfile and -n?",
        describe(.missing)
    )]
    PeersMissing {
        /// This process's index.
        process: usize,
        /// Processes in the cluster.
        processes: usize,
        /// `(index, address)` of every peer still missing at the deadline.
        missing: Vec<(usize, String)>,
        /// The connect timeout.
        waited: Duration,
    },
    /// Something that is not a peer of this cluster answered on a peer's address.
    #[error(
        "process {process}: {address} answered, but not as process {expected} \
             of this cluster ({detail})"
    )]
    WrongPeer {
        /// This process's index.
        process: usize,
        /// The address that answered.
        address: String,
        /// The process we expected there.
        expected: usize,
        /// What was wrong with its answer.
        detail: String,
    },
    /// An I/O error while setting up the connections.
    #[error("process {process}: network set-up: {source}")]
    Network {
        /// This process's index.
        process: usize,
        /// What the operating system said.
        source: io::Error,
    },
    /// A peer died, was stopped, or became unreachable during the run.
    #[error("process {process}: lost process {peer} ({address}): {why}")]
    PeerLost {
        /// This process's index.
        process: usize,
        /// The peer lost.
        peer: usize,
        /// Its address.
        address: String,
        /// What was seen.
        why: String,
    },
    /// timely reported an error, or a worker thread panicked.
    #[error("timely: {0}")]
    Timely(String),
    /// Worker 0 did not receive exactly one result per task.
    #[error(
        "worker 0 gathered {got} results for {size} tasks (duplicates or losses)"
    )]
    Incomplete {
        /// Results gathered.
        got: usize,
        /// Tasks in the sweep.
        size: u64,
    },
}

fn describe(missing: &[(usize, String)]) -> String {
    missing
        .iter()
        .map(|(index, address)| format!("process {index} ({address})"))
        .collect::<Vec<_>>()
        .join(", ")
}
