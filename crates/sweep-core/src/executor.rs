//! One switch between backends: a [`Task`] known by name, and an
//! [`Executor`] that runs it on every input, serially ([`Serial`]), on
//! threads (`thread_pools::Pool`, `thread_pools::Backend`) or, once a
//! process pool implements the trait, in worker processes.
//!
//! Code written against `&impl Executor` moves between backends by changing
//! the one line that builds the executor: joblib's `backend=`, dask's
//! `scheduler=`, R's `plan()`.
//!
//! ```
//! use sweep_core::executor::{Executor, Serial, Task};
//! struct Double;
//! impl Task for Double {
//!     const NAME: &'static str = "double";
//!     type Input = u64;
//!     type Output = u64;
//!     fn run(x: u64) -> u64 { 2 * x }
//! }
//! let doubled = Serial.run_tasks::<Double>(vec![1, 2, 3]);
//! assert_eq!(doubled, [Ok(2), Ok(4), Ok(6)]);
//! ```
//!
//! The task is a *type* with a name, not a closure, because a worker process
//! cannot receive a closure: it looks the name up in its registry. Inputs and
//! outputs are `Serialize + DeserializeOwned` for the same reason, and
//! inputs `Clone`, so that a retry runs on a copy.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::Serialize;
use serde::de::DeserializeOwned;

// ANCHOR: executor
/// A function any backend can run, known by its name (the same shape as
/// `process_pools::Task`, plus `Send`, so threads can run it too).
pub trait Task: 'static {
    /// The name a worker process looks the task up by (unique, ≤ 255 bytes).
    const NAME: &'static str;
    /// What one task receives. `Clone`, so that a backend can retry a task
    /// on a copy of its input.
    type Input: Serialize + DeserializeOwned + Clone + Send + 'static;
    /// What one task returns.
    type Output: Serialize + DeserializeOwned + Send + 'static;
    /// Runs one task.
    fn run(input: Self::Input) -> Self::Output;
}

/// Runs a [`Task`] on every input and returns one result per input, in input
/// order: a failed task is its own [`TaskFailure`], the others are kept.
pub trait Executor {
    /// Runs `T` on every input.
    fn run_tasks<T: Task>(
        &self,
        inputs: Vec<T::Input>,
    ) -> Vec<Result<T::Output, TaskFailure>>;
}

/// A task that did not return a value: which one, and why, as text (each
/// backend has its own error type; this is what they have in common).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("task {index} failed: {message}")]
pub struct TaskFailure {
    /// Position of the task in the input.
    pub index: usize,
    /// What went wrong (a panic message, a crash, a timeout).
    pub message: String,
}
// ANCHOR_END: executor

/// The serial backend: one task after the other on the calling thread; a
/// panic becomes that task's [`TaskFailure`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Serial;

impl Executor for Serial {
    fn run_tasks<T: Task>(
        &self,
        inputs: Vec<T::Input>,
    ) -> Vec<Result<T::Output, TaskFailure>> {
        inputs
            .into_iter()
            .enumerate()
            .map(|(index, input)| {
                catch_unwind(AssertUnwindSafe(|| T::run(input))).map_err(|panic| {
                    TaskFailure {
                        index,
                        message: panic_message(panic.as_ref()),
                    }
                })
            })
            .collect()
    }
}

/// The text of a panic: `panic!("...")` carries a `&str` or a `String`;
/// anything else has no text. Every chapter's pool reports panics with it.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic with a non-text payload".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_message_is_its_text_or_says_it_has_none() {
        let text =
            |payload: Box<dyn std::any::Any + Send>| panic_message(payload.as_ref());
        assert_eq!(text(Box::new("static")), "static");
        assert_eq!(text(Box::new(String::from("formatted 7"))), "formatted 7");
        assert_eq!(text(Box::new(7u8)), "panic with a non-text payload");
    }

    struct Halve;
    impl Task for Halve {
        const NAME: &'static str = "halve";
        type Input = u64;
        type Output = u64;
        fn run(x: u64) -> u64 {
            assert!(x.is_multiple_of(2), "{x} is odd");
            x / 2
        }
    }

    #[test]
    fn serial_keeps_order_and_turns_a_panic_into_that_tasks_failure() {
        let results = Serial.run_tasks::<Halve>(vec![4, 3, 8]);
        assert_eq!(results[0], Ok(2));
        assert_eq!(results[2], Ok(4));
        let failure = results[1].clone().unwrap_err();
        assert_eq!(failure.index, 1);
        assert_eq!(failure.message, "3 is odd");
    }
}
