//! The lazy, bounded streams of [`Pool`]: [`Imap`] (results in input order)
//! and [`Unordered`] (results as they complete). Both pull inputs from the
//! caller's iterator only as results are taken, keeping at most
//! `max_in_flight` tasks submitted and not yet taken (Python's `imap` with a
//! bound, joblib's `pre_dispatch`).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, unbounded};
use sweep_core::progress::Tracker;

use crate::job::{Part, Reply};
use crate::task_error::TaskError;
use crate::workers::Pool;

/// Submits the next chunk of at most `n` inputs; returns how many tasks it
/// submitted (0: the input ran out).
type Submit<'a> = Box<dyn FnMut(usize) -> usize + 'a>;

/// The submitting side of a stream: the input iterator (inside `submit`),
/// and how many tasks are submitted and not yet taken.
pub(crate) struct Feed<'a, U> {
    submit: Submit<'a>,
    results: Receiver<Part<U>>,
    in_flight: usize,
    max_in_flight: usize,
    /// Tasks per submitted chunk (`chunksize`).
    chunk: usize,
    submitted: usize,
    exhausted: bool,
    /// Tasks in the input, if its iterator says exactly.
    total: Option<usize>,
    taken: usize,
    tracker: Tracker,
    cancelled: Arc<AtomicBool>,
}

impl<'a, U: Send + 'static> Feed<'a, U> {
    /// A feed of `inputs` through `f` on `pool`; the first chunks are
    /// submitted at once.
    pub(crate) fn new<T, F>(
        pool: &'a Pool,
        mut inputs: impl Iterator<Item = T> + 'a,
        f: F,
    ) -> Self
    where
        T: Clone + Send + 'static,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        let total = match inputs.size_hint() {
            (low, Some(high)) if low == high => Some(low),
            _ => None,
        };
        let chunk = pool.chunksize(1);
        let run = pool.runner(total.map(|n| n as u64), f);
        let (tracker, cancelled) = (run.tracker.clone(), Arc::clone(&run.cancelled));
        let (results_tx, results) = unbounded();
        let mut next = 0;
        let submit = Box::new(move |n: usize| {
            let part: Vec<T> = inputs.by_ref().take(n).collect();
            let len = part.len();
            if len > 0 {
                let reply = Reply::new(results_tx.clone(), next, len);
                pool.submit(run.job(next, part, reply));
                next += len;
            }
            len
        });
        let mut feed = Feed {
            submit,
            results,
            in_flight: 0,
            max_in_flight: pool.max_in_flight(chunk),
            chunk,
            submitted: 0,
            exhausted: false,
            total,
            taken: 0,
            tracker,
            cancelled,
        };
        feed.top_up();
        feed
    }

    /// Submits chunks until `max_in_flight` tasks are out or the input ends,
    /// never past the bound: a whole chunk once there is room for one (or a
    /// chunk of `max_in_flight` tasks if that is smaller than `chunksize`).
    fn top_up(&mut self) {
        let chunk = self.chunk.min(self.max_in_flight);
        while !self.exhausted && self.in_flight + chunk <= self.max_in_flight {
            match (self.submit)(chunk) {
                0 => {
                    self.exhausted = true;
                    self.tracker.set_total(self.submitted as u64);
                }
                n => {
                    self.in_flight += n;
                    self.submitted += n;
                }
            }
        }
    }

    /// The next finished chunk, or `None` when nothing is in flight. Never
    /// hangs: every submitted job replies (with its results, or "lost").
    fn next_part(&mut self) -> Option<Part<U>> {
        if self.in_flight == 0 {
            self.tracker.finish();
            return None;
        }
        self.results.recv().ok()
    }

    /// Results not taken yet: exact once the input has run out, or when its
    /// iterator knew its length.
    fn size_hint(&self) -> (usize, Option<usize>) {
        match (self.exhausted, self.total) {
            (true, _) => (self.in_flight, Some(self.in_flight)),
            (false, Some(total)) => (total - self.taken, Some(total - self.taken)),
            (false, None) => (self.in_flight, None),
        }
    }

    /// One result was taken: room for one more task.
    fn taken(&mut self) {
        self.in_flight -= 1;
        self.taken += 1;
        self.top_up();
    }
}

impl<U> Drop for Feed<'_, U> {
    /// The consumer stopped early: the tasks not started are skipped.
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }
}

/// The results of [`Pool::imap`], in input order.
pub struct Imap<'a, U> {
    feed: Feed<'a, U>,
    current: std::vec::IntoIter<Result<U, TaskError>>,
    /// Chunks that finished before the ones ahead of them, by first index.
    waiting: HashMap<usize, Vec<Result<U, TaskError>>>,
    next: usize,
}

impl<'a, U: Send + 'static> Imap<'a, U> {
    pub(crate) fn new(feed: Feed<'a, U>) -> Self {
        Imap {
            feed,
            current: Vec::new().into_iter(),
            waiting: HashMap::new(),
            next: 0,
        }
    }
}

impl<U: Send + 'static> Iterator for Imap<'_, U> {
    type Item = Result<U, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(result) = self.current.next() {
                self.next += 1;
                self.feed.taken();
                return Some(result);
            }
            if let Some(part) = self.waiting.remove(&self.next) {
                self.current = part.into_iter();
                continue;
            }
            let (first, part) = self.feed.next_part()?;
            self.waiting.insert(first, part);
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.feed.size_hint()
    }
}

impl<U> fmt::Debug for Imap<'_, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Imap")
            .field("next", &self.next)
            .field("in_flight", &self.feed.in_flight)
            .finish()
    }
}

/// The as-completed stream of [`Pool::imap_unordered`]: `(index, result)`
/// pairs in the order the tasks finish.
pub struct Unordered<'a, U> {
    feed: Feed<'a, U>,
    current: std::iter::Enumerate<std::vec::IntoIter<Result<U, TaskError>>>,
    first: usize,
}

impl<'a, U: Send + 'static> Unordered<'a, U> {
    pub(crate) fn new(feed: Feed<'a, U>) -> Self {
        Unordered {
            feed,
            current: Vec::new().into_iter().enumerate(),
            first: 0,
        }
    }
}

impl<U: Send + 'static> Iterator for Unordered<'_, U> {
    type Item = (usize, Result<U, TaskError>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((k, result)) = self.current.next() {
                self.feed.taken();
                return Some((self.first + k, result));
            }
            let (first, part) = self.feed.next_part()?;
            self.first = first;
            self.current = part.into_iter().enumerate();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.feed.size_hint()
    }
}

impl<U> fmt::Debug for Unordered<'_, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unordered")
            .field("in_flight", &self.feed.in_flight)
            .finish()
    }
}
