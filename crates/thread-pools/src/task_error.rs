//! [`TaskError`]: what a task that panicked leaves in its result slot, and
//! [`run_task`], which turns a task's panic into one. The bottom of the
//! crate: every panic-safe runner ([`Pool`](crate::Pool),
//! [`rayon_map_results`](crate::rayon_map_results),
//! [`run_parallel_step`](crate::run_parallel_step)) stands on these two.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::{Deserialize, Serialize};
use sweep_core::panic_message;

// ANCHOR: task_error
/// A task that panicked: which one, and what it said. The other tasks of the
/// same map are unaffected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("task {index} panicked: {message}{}", attempts_note(self.earlier_attempts()))]
pub struct TaskError {
    /// Position of the task in the input.
    pub index: usize,
    /// The panic message (or a note when the panic carried no text).
    pub message: String,
    /// With retries: the messages of the attempts before the last. Boxed,
    /// so that a result slot stays as small as without retries (a map of
    /// 10^6 tiny tasks moves every slot several times).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[allow(clippy::box_collection)] // a thin pointer: 8 bytes, not 24
    earlier: Option<Box<Vec<String>>>,
}
// ANCHOR_END: task_error

impl TaskError {
    /// Task `index` panicked with `message`, on its only attempt.
    pub fn new(index: usize, message: impl Into<String>) -> Self {
        TaskError {
            index,
            message: message.into(),
            earlier: None,
        }
    }

    /// With retries ([`PoolBuilder::retries`](crate::PoolBuilder::retries)):
    /// the messages of the attempts before the last, oldest first. Empty
    /// when the task ran once.
    pub fn earlier_attempts(&self) -> &[String] {
        self.earlier.as_deref().map_or(&[], Vec::as_slice)
    }

    /// This error, after the failed `attempts` before it.
    pub(crate) fn after(mut self, attempts: Vec<String>) -> Self {
        self.earlier = (!attempts.is_empty()).then(|| Box::new(attempts));
        self
    }
}

/// How [`TaskError`] shows the earlier attempts of a retried task.
fn attempts_note(attempts: &[String]) -> String {
    if attempts.is_empty() {
        return String::new();
    }
    format!(
        " (after {} earlier failed attempt(s): {})",
        attempts.len(),
        attempts.join("; ")
    )
}

// ANCHOR: run_task
/// Runs task `index` and turns a panic into a [`TaskError`], so one bad task
/// cannot take down its worker or the caller.
pub(crate) fn run_task<U>(
    index: usize,
    task: impl FnOnce() -> U,
) -> Result<U, TaskError> {
    catch_unwind(AssertUnwindSafe(task))
        .map_err(|payload| TaskError::new(index, panic_message(payload.as_ref())))
}

// ANCHOR_END: run_task

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_error_names_the_index_and_message() {
        let err = run_task(3, || -> u8 { panic!("bad input {}", 7) }).unwrap_err();
        assert_eq!(err, TaskError::new(3, "bad input 7"));
        assert_eq!(err.to_string(), "task 3 panicked: bad input 7");
        assert_eq!(run_task(0, || 5), Ok(5));
        let boxed = run_task(1, || std::panic::panic_any(42_u32)).unwrap_err();
        assert_eq!(boxed.message, "panic with a non-text payload");
    }
}
