//! The jobs a [`Pool`](crate::Pool) queues: one chunk of tasks each, run with
//! retries, counted by the progress tracker, and always answered (a job
//! dropped before it ran reports its tasks as lost, so no caller hangs).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::Sender;
use sweep_core::progress::Tracker;

use crate::task_error::{TaskError, run_task};

/// A unit of work for a worker: a boxed closure it runs once.
pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// One chunk's results, tagged with the index of its first task.
pub(crate) type Part<U> = (usize, Vec<Result<U, TaskError>>);

/// What every job of one call shares.
pub(crate) struct Runner<F> {
    pub(crate) f: Arc<F>,
    pub(crate) retries: u32,
    pub(crate) tracker: Tracker,
    /// Set when the caller stops waiting: jobs not started are skipped.
    pub(crate) cancelled: Arc<AtomicBool>,
}

impl<F> Runner<F> {
    /// The job that runs the tasks `first..` on `part` and sends their
    /// results through `reply`, counting them as completed.
    pub(crate) fn job<T, U>(
        &self,
        first: usize,
        part: Vec<T>,
        reply: Reply<U>,
    ) -> Job
    where
        T: Clone + Send + 'static,
        U: Send + 'static,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        let (f, retries) = (Arc::clone(&self.f), self.retries);
        let (tracker, cancelled) =
            (self.tracker.clone(), Arc::clone(&self.cancelled));
        Box::new(move || {
            if cancelled.load(Ordering::Relaxed) {
                return; // nobody waits for these results any more
            }
            let mut failed = 0;
            let results: Vec<_> = part
                .into_iter()
                .enumerate()
                .map(|(k, input)| {
                    let result = run_attempts(first + k, retries, input, &*f);
                    failed += u64::from(result.is_err());
                    result
                })
                .collect();
            tracker.add(results.len() as u64, failed); // once per chunk
            reply.send(results);
        })
    }
}

/// Runs task `index` up to `1 + retries` times until it does not panic; the
/// input is cloned for every attempt but the last. Without retries the input
/// is moved, never cloned.
pub(crate) fn run_attempts<T: Clone, U>(
    index: usize,
    retries: u32,
    input: T,
    f: &impl Fn(T) -> U,
) -> Result<U, TaskError> {
    let mut earlier = Vec::new();
    for _ in 0..retries {
        match run_task(index, || f(input.clone())) {
            Ok(value) => return Ok(value),
            Err(failed) => earlier.push(failed.message),
        }
    }
    run_task(index, || f(input)).map_err(|last| last.after(earlier))
}

/// Sends one chunk's results; if the job is dropped before it ran (it can
/// only be if the queue refused it), reports its tasks as lost instead, so
/// no waiting side ever hangs or gets fewer results than tasks.
pub(crate) struct Reply<U> {
    tx: Sender<Part<U>>,
    first: usize,
    len: usize,
    sent: bool,
}

impl<U> Reply<U> {
    pub(crate) fn new(tx: Sender<Part<U>>, first: usize, len: usize) -> Self {
        Reply {
            tx,
            first,
            len,
            sent: false,
        }
    }

    fn send(mut self, results: Vec<Result<U, TaskError>>) {
        self.sent = true;
        let _ = self.tx.send((self.first, results));
    }
}

impl<U> Drop for Reply<U> {
    fn drop(&mut self) {
        if !self.sent {
            let lost = (self.first..self.first + self.len).map(|i| Err(lost(i)));
            let _ = self.tx.send((self.first, lost.collect()));
        }
    }
}

/// The message reporting a task whose worker vanished before it ran. Cannot
/// happen with [`crate::Pool`]'s workers; it keeps `wait` from ever hanging or
/// returning fewer results than inputs.
pub(crate) fn lost(index: usize) -> TaskError {
    TaskError::new(index, "lost: no worker ran this task")
}
