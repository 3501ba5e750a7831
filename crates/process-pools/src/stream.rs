//! The results of a call, as the caller reads them: the [`ResultStream`] of
//! [`crate::ProcessPool::imap_unordered`] decodes each [`Delivery`] from the
//! drivers and yields `(position, result)` as tasks finish.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::Receiver;
use sweep_core::progress::Tracker;

use crate::chunk::Delivery;
use crate::task::{Task, decode_result};
use crate::{TaskError, TaskErrorKind};

/// The results of [`ProcessPool::imap_unordered`], as tasks finish.
///
/// [`ProcessPool::imap_unordered`]: crate::ProcessPool::imap_unordered
pub struct ResultStream<'pool, T: Task> {
    pub(crate) rx: Receiver<Delivery>,
    pub(crate) cancelled: Arc<AtomicBool>,
    pub(crate) seen: Vec<bool>,
    pub(crate) remaining: usize,
    pub(crate) ready: VecDeque<(usize, Result<T::Output, TaskError>)>,
    pub(crate) tracker: Tracker,
    /// It borrows the pool that runs its tasks.
    pub(crate) _pool: PhantomData<&'pool ()>,
}

impl<T: Task> ResultStream<'_, T> {
    /// Results still to come.
    pub fn len(&self) -> usize {
        self.remaining
    }

    /// Whether every result has been yielded.
    pub fn is_empty(&self) -> bool {
        self.remaining == 0
    }

    pub(crate) fn accept(
        &mut self,
        task: usize,
        result: Result<T::Output, TaskError>,
    ) {
        if let Some(seen) = self.seen.get_mut(task).filter(|seen| !**seen) {
            *seen = true;
            self.ready.push_back((task, result));
        }
    }

    fn decode(&mut self, first: usize, ends: &[u32], bytes: &[u8]) {
        let mut start = 0;
        for (k, &end) in ends.iter().enumerate() {
            let task = first + k;
            let result = decode_result::<T>(&bytes[start..end as usize])
                .map_err(|kind| kind.of(task));
            self.accept(task, result);
            start = end as usize;
        }
    }
}

impl<T: Task> Iterator for ResultStream<'_, T> {
    type Item = (usize, Result<T::Output, TaskError>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                self.remaining -= 1;
                return Some(item);
            }
            if self.remaining == 0 {
                self.tracker.finish(); // the last line, before `map` returns
                return None;
            }
            match self.rx.recv() {
                Ok(Delivery::Results { first, ends, bytes }) => {
                    self.decode(first, &ends, &bytes)
                }
                Ok(Delivery::Failed(error)) => self.accept(error.task, Err(error)),
                Err(_) => {
                    // Every chunk is gone and some tasks have no answer (a
                    // driver thread stopped): report them, never hang.
                    let lost: Vec<usize> = (0..self.seen.len())
                        .filter(|&task| !self.seen[task])
                        .collect();
                    for task in lost {
                        self.accept(task, Err(TaskErrorKind::Lost.of(task)));
                    }
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T: Task> Drop for ResultStream<'_, T> {
    /// Cancels the tasks not yet started, and ends the call's progress now
    /// (not when its running tasks end, which may be much later).
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Relaxed);
        self.tracker.finish();
    }
}
