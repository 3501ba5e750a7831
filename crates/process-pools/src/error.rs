//! The errors of a [`crate::ProcessPool`]: [`TaskError`] for one task (the
//! others of the same `map` are not affected) and [`PoolError`] for `build`.

use std::path::PathBuf;
use std::time::Duration;

use crate::wire::{self, Failure};

// ANCHOR: task_error
/// Why one task has no result: which task (its position in the input) and
/// what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("task {task} {kind}{}", earlier_note(.earlier))]
pub struct TaskError {
    /// The position of the task in the input.
    pub task: usize,
    /// What went wrong (in its last attempt).
    pub kind: TaskErrorKind,
    /// What went wrong in the earlier attempts, oldest first: empty unless
    /// the pool retries ([`crate::PoolBuilder::retries`]).
    pub earlier: Vec<TaskErrorKind>,
}

/// What went wrong with one task.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TaskErrorKind {
    /// The task panicked; the worker caught it and lives on.
    #[error("panicked: {message}")]
    Panicked {
        /// The panic message and where it was raised.
        message: String,
    },
    /// The worker process died while running the task (abort, exit, a
    /// signal). The task ran once; it is not retried.
    #[error("killed its worker (pid {pid}): {status}")]
    Crashed {
        /// The worker's process id.
        pid: u32,
        /// How it ended, e.g. `signal: 9 (SIGKILL)` or `exit status: 3`.
        status: String,
    },
    /// The task ran past the pool's timeout, counted from its start; its
    /// worker (and every process the worker started) was killed.
    #[error("timed out after {timeout:?}; its worker (pid {pid}) was killed")]
    TimedOut {
        /// The worker's process id.
        pid: u32,
        /// The pool's per-task timeout.
        timeout: Duration,
    },
    /// The worker's registry has no task of this name.
    #[error(
        "failed: the worker has no function named `{name}` (register it in the \
         worker's Registry)"
    )]
    UnknownFunction {
        /// The name that was sent.
        name: String,
    },
    /// The worker's task of this name has other input or output types (a
    /// stale worker binary, or two tasks under one name).
    #[error("failed: type mismatch: {detail}")]
    TypeMismatch {
        /// Both sides' view.
        detail: String,
    },
    /// An input or output did not encode or decode.
    #[error("failed: undecodable message: {detail}")]
    BadMessage {
        /// What went wrong.
        detail: String,
    },
    /// The task's encoded input or output is over the pool's message limit
    /// ([`crate::PoolBuilder::max_message_bytes`]).
    #[error(
        "failed: its {what} of {bytes} bytes is over the message limit of \
         {limit} bytes (send a path instead, or raise max_message_bytes)"
    )]
    TooLarge {
        /// `"input"` or `"output"`.
        what: &'static str,
        /// Its encoded size.
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// No worker process could be started to run the task.
    #[error("failed: no worker could be started: {detail}")]
    WorkerUnavailable {
        /// Why.
        detail: String,
    },
    /// The pool's initializer failed in the fresh worker that was to run
    /// the task ([`crate::PoolBuilder::initializer`]).
    #[error("failed: {detail}")]
    InitializerFailed {
        /// Which initializer, and how it failed.
        detail: String,
    },
    /// The task's worker ran out of memory under the pool's limit
    /// ([`crate::PoolBuilder::max_memory_per_worker`]): an allocation failed
    /// and the worker aborted. The worker was replaced; the other tasks run.
    #[error(
        "ran out of memory: an allocation of {requested} bytes failed under \
         the limit of {limit} bytes per worker (max_memory_per_worker); its \
         worker (pid {pid}) was replaced"
    )]
    OutOfMemory {
        /// The worker's process id.
        pid: u32,
        /// The pool's limit, in bytes.
        limit: u64,
        /// The size of the allocation that failed, in bytes.
        requested: u64,
    },
    /// The pool's machinery stopped before the task finished (a bug).
    #[error("was lost: the pool stopped before it finished")]
    Lost,
}
// ANCHOR_END: task_error

impl TaskErrorKind {
    /// This error, for task `task`.
    pub(crate) fn of(&self, task: usize) -> TaskError {
        TaskError {
            task,
            kind: self.clone(),
            earlier: Vec::new(),
        }
    }

    /// What a failure reported by the worker means for its task.
    pub(crate) fn from_failure(failure: Failure) -> TaskErrorKind {
        match failure {
            Failure::Panicked(message) => TaskErrorKind::Panicked { message },
            Failure::OutputTooLarge { bytes, limit } => TaskErrorKind::TooLarge {
                what: "output",
                bytes,
                limit,
            },
        }
    }

    /// What a worker's refusal of a whole chunk (a frame of kind
    /// `UNKNOWN_FUNCTION`, `TYPE_MISMATCH` or `BAD_INPUT` with its text)
    /// means for each of its tasks; `None` for any other kind of frame.
    pub(crate) fn from_refusal(kind: u8, text: &[u8]) -> Option<TaskErrorKind> {
        let text = String::from_utf8_lossy(text).into_owned();
        match kind {
            wire::UNKNOWN_FUNCTION => {
                Some(TaskErrorKind::UnknownFunction { name: text })
            }
            wire::TYPE_MISMATCH => {
                Some(TaskErrorKind::TypeMismatch { detail: text })
            }
            wire::BAD_INPUT => Some(TaskErrorKind::BadMessage { detail: text }),
            _ => None,
        }
    }
}

/// `" (attempt 3; earlier: …; …)"` after an error that was retried.
fn earlier_note(earlier: &[TaskErrorKind]) -> String {
    if earlier.is_empty() {
        return String::new();
    }
    let list: Vec<String> = earlier.iter().map(ToString::to_string).collect();
    format!(
        " (attempt {}; earlier attempts: {})",
        earlier.len() + 1,
        list.join("; ")
    )
}

/// Why a pool could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// A setting is out of range.
    #[error("invalid pool setting: {0}")]
    Invalid(&'static str),
    /// The path of the running program is unknown.
    #[error("cannot find the running program to use as the worker: {0}")]
    CurrentExe(std::io::Error),
    /// A worker process could not be started.
    #[error("cannot start worker {exe:?}: {detail}")]
    Spawn {
        /// The worker executable.
        exe: PathBuf,
        /// Why.
        detail: String,
    },
    /// The initializer failed in a new worker
    /// ([`crate::PoolBuilder::initializer`]).
    #[error("the initializer failed in worker {exe:?}: {detail}")]
    Initializer {
        /// The worker executable.
        exe: PathBuf,
        /// Which initializer, and how it failed.
        detail: String,
    },
    /// A worker could not start (or run the initializer) under the memory
    /// limit ([`crate::PoolBuilder::max_memory_per_worker`]).
    #[error(
        "the workers cannot start under max_memory_per_worker = {limit} bytes \
         ({detail}); raise the limit"
    )]
    MemoryLimitTooSmall {
        /// The limit, in bytes.
        limit: u64,
        /// What the worker said, or how it ended.
        detail: String,
    },
    /// The worker program ran its whole `main` instead of serving tasks (it
    /// does not call the worker hook first), and refused to start workers of
    /// its own.
    #[error("worker {exe:?} is not a worker: {detail}")]
    NotHooked {
        /// The worker executable.
        exe: PathBuf,
        /// What it said, with the fix.
        detail: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_lists_every_earlier_attempt() {
        assert_eq!(earlier_note(&[]), "");
        let earlier = [TaskErrorKind::Lost, TaskErrorKind::Lost];
        let note = earlier_note(&earlier);
        assert!(
            note.starts_with(" (attempt 3; earlier attempts: "),
            "{note}"
        );
    }
}
