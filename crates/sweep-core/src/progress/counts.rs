//! [`Counts`]: what a run has done so far, as a [`Tracker`](super::Tracker)
//! reports it and a plain [`line`](super::line) shows it.

/// The counts of a run so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Tasks finished, successful or not.
    pub done: u64,
    /// Of those, the tasks that failed.
    pub failed: u64,
    /// Tasks in the run, if known.
    pub total: Option<u64>,
}
