//! Opt-in retries ([`crate::PoolBuilder::retries`]): a task that panicked,
//! crashed its worker or timed out runs again, up to `n` more times, and if
//! every attempt fails its [`TaskError`] lists them all. Never by default: a
//! task that writes files or sends mail must not run twice unless you say so.
//!
//! The promises of the pool hold per attempt: the worker says which task it
//! starts, so a crash is blamed on that one task, and only that task is
//! retried (on a fresh worker, since the crash killed the old one). Tasks
//! that had not started still run once.

use crate::chunk::Chunk;
use crate::wire::{Failure, RESULT};
use crate::{TaskError, TaskErrorKind};

impl TaskErrorKind {
    /// Whether a retry can help: the task panicked, crashed its worker, ran
    /// out of memory (a fresh worker starts with less in use) or timed out. A message that does not encode, an unknown function or a
    /// failed initializer would fail the same way again.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TaskErrorKind::Panicked { .. }
                | TaskErrorKind::Crashed { .. }
                | TaskErrorKind::TimedOut { .. }
                | TaskErrorKind::OutOfMemory { .. }
        )
    }
}

impl Chunk {
    /// Task `k` of this chunk failed with `kind`. Returns a chunk that runs
    /// it again if `retries` allow; otherwise the caller gets the error,
    /// with the failures of the earlier attempts.
    pub(crate) fn failed(
        &self,
        k: usize,
        kind: TaskErrorKind,
        retries: usize,
    ) -> Option<Chunk> {
        if kind.is_retryable() && self.failures.len() < retries {
            // A one-task chunk that remembers its failed attempts (only a
            // chunk of one task has any, so slicing keeps them).
            let mut again = self.slice(k, k + 1);
            again.failures.push(kind);
            return Some(again);
        }
        let error = TaskError {
            task: self.first + k,
            kind,
            earlier: self.failures.clone(),
        };
        self.call.fail(error);
        None
    }
}

/// The failure in a `RESULT` frame, if the task failed and the pool has a
/// reason to look (it retries, or this was a retry). A result is postcard's
/// `Result<Output, Failure>`: variant `1` (one byte) is `Err`, followed by
/// the [`Failure`], which decodes without knowing the task's types.
pub(crate) fn failure_in(frame: &[u8], retrying: bool) -> Option<TaskErrorKind> {
    if !retrying || frame.first() != Some(&RESULT) || frame.get(1) != Some(&1) {
        return None;
    }
    let failure: Failure = postcard::from_bytes(&frame[2..]).ok()?;
    Some(TaskErrorKind::from_failure(failure))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_frame_decodes_without_the_tasks_types() {
        let failed: Result<u64, Failure> = Err(Failure::Panicked("boom".into()));
        let mut frame = vec![RESULT];
        frame.extend(postcard::to_stdvec(&failed).unwrap());
        let kind = failure_in(&frame, true).unwrap();
        assert_eq!(
            kind,
            TaskErrorKind::Panicked {
                message: "boom".into()
            }
        );
        assert_eq!(failure_in(&frame, false), None);
        let ok: Result<u64, Failure> = Ok(1);
        let mut frame = vec![RESULT];
        frame.extend(postcard::to_stdvec(&ok).unwrap());
        assert_eq!(failure_in(&frame, true), None);
    }
}
