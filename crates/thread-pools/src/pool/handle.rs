//! [`MapHandle`]: the pending results of [`crate::Pool::map_async`]
//! (Python's `AsyncResult`): `wait` for them in input order, poll with
//! `ready`, or `get` them within a timeout, which on running out gives the
//! handle back inside [`NotReady`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use sweep_core::progress::Tracker;

use crate::job::{Part, Runner, lost};
use crate::task_error::TaskError;

// ANCHOR: map_handle
/// The pending results of [`crate::Pool::map_async`] (Python's
/// `AsyncResult`). Dropping it without waiting skips the tasks not started yet.
pub struct MapHandle<U> {
    /// The chunks received so far; put in order once, at the end.
    parts: Vec<Part<U>>,
    len: usize,
    received: usize,
    results: Receiver<Part<U>>,
    tracker: Tracker,
    cancelled: Arc<AtomicBool>,
}

impl<U> MapHandle<U> {
    /// Blocks until every task is done and returns the results in input order.
    pub fn wait(mut self) -> Vec<Result<U, TaskError>> {
        while self.received < self.len {
            match self.results.recv() {
                Ok(part) => self.store(part),
                Err(_) => break, // every sender gone: report the rest as lost
            }
        }
        self.take()
    }

    /// Whether every task has finished (Python's `ready()`); never blocks.
    pub fn ready(&mut self) -> bool {
        while let Ok(part) = self.results.try_recv() {
            self.store(part);
        }
        self.received == self.len
    }

    fn store(&mut self, part: Part<U>) {
        self.received += part.1.len();
        self.parts.push(part);
    }

    /// The results in input order: the chunks sorted by their first index
    /// and moved into one `Vec` (a task never received is reported lost).
    fn take(&mut self) -> Vec<Result<U, TaskError>> {
        self.tracker.finish();
        let mut parts = std::mem::take(&mut self.parts);
        parts.sort_unstable_by_key(|(first, _)| *first);
        let mut results = Vec::with_capacity(self.len);
        for (first, part) in parts {
            while results.len() < first {
                results.push(Err(lost(results.len())));
            }
            results.extend(part);
        }
        while results.len() < self.len {
            results.push(Err(lost(results.len())));
        }
        results
    }
}
// ANCHOR_END: map_handle

impl<U> MapHandle<U> {
    /// The handle of `len` tasks whose chunks arrive on `results`.
    pub(crate) fn new<F>(
        len: usize,
        results: Receiver<Part<U>>,
        run: &Runner<F>,
    ) -> Self {
        MapHandle {
            parts: Vec::new(),
            len,
            received: 0,
            results,
            tracker: run.tracker.clone(),
            cancelled: Arc::clone(&run.cancelled),
        }
    }
}

// `get(timeout)`, Python's `AsyncResult.get`: a product feature beyond the
// lesson's `wait`.
impl<U> MapHandle<U> {
    /// Python's `get(timeout)`: the results if every task is done within
    /// `timeout`; otherwise [`NotReady`], which gives the handle back (the
    /// tasks keep running) to wait again or drop.
    pub fn get(
        mut self,
        timeout: Duration,
    ) -> Result<Vec<Result<U, TaskError>>, NotReady<U>> {
        let Some(deadline) = Instant::now().checked_add(timeout) else {
            return Ok(self.wait()); // no deadline this side of the end of time
        };
        while self.received < self.len {
            match self.results.recv_deadline(deadline) {
                Ok(part) => self.store(part),
                Err(RecvTimeoutError::Timeout) => {
                    return Err(NotReady {
                        timeout,
                        handle: self,
                    });
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        Ok(self.take())
    }
}

impl<U> Drop for MapHandle<U> {
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

impl<U> fmt::Debug for MapHandle<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapHandle")
            .field("tasks", &self.len)
            .field("received", &self.received)
            .finish()
    }
}

/// [`MapHandle::get`] ran out of time; the handle is inside, still valid.
pub struct NotReady<U> {
    /// How long `get` waited.
    pub timeout: Duration,
    /// The handle, to wait again (or drop, to skip the tasks not started).
    pub handle: MapHandle<U>,
}

impl<U> fmt::Debug for NotReady<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotReady")
            .field("timeout", &self.timeout)
            .field("handle", &self.handle)
            .finish()
    }
}

impl<U> fmt::Display for NotReady<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (done, total) = (self.handle.received, self.handle.len);
        write!(
            f,
            "results not ready after {:?}: {done} of {total} tasks done",
            self.timeout
        )
    }
}

impl<U> std::error::Error for NotReady<U> {}
