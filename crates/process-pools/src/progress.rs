//! Progress for a [`crate::ProcessPool`], off by default: one switch,
//! [`PoolBuilder::progress`], with the workspace's shared reporter
//! ([`sweep_core::progress`]): a bar on a terminal, plain periodic lines in a
//! log or a batch job.
//!
//! It counts *completions*, not dispatches: the driver threads add each
//! batch of results as it comes back from a worker (one atomic addition per
//! batch, not per task), and each failure (panic, crash, timeout, or an
//! input that could not be sent) as it is known. A task that is retried
//! counts once, when its last attempt ends.

use sweep_core::progress::Progress;

use crate::PoolBuilder;

impl PoolBuilder {
    /// How the pool reports progress (default [`Progress::Off`]): each
    /// `map`, `imap_unordered` and `imap` call is one run, counted as tasks
    /// complete, with failures and an ETA. `Progress::auto("sweep")` shows
    /// a bar on a terminal and plain lines on stderr otherwise.
    pub fn progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }
}
