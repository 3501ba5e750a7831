//! Lazy, bounded submission: [`ProcessPool::imap`] pulls its inputs from an
//! iterator only as results are taken, so at most
//! [`crate::PoolBuilder::max_in_flight`] chunks are encoded and not yet
//! consumed at any time. A generator of 10^7 inputs never sits in memory,
//! encoded or not, and neither do its results (Python's `imap` with a
//! bounded buffer, joblib's `pre_dispatch`).
//!
//! `map` and `imap_unordered` take and encode the whole input at once (they
//! know its length, and the book's lesson is simpler so); use `imap` for
//! large or endless inputs. The cost of order: a slow task holds back the
//! submission of more than `max_in_flight` chunks after it.

use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, unbounded};

use crate::chunk::{Call, Delivery};
use crate::pool::ProcessPool;
use crate::task::{Task, decode_result};
use crate::{TaskError, TaskErrorKind};

/// How often a waiting [`Imap`] checks that its tasks are still somewhere
/// in the pool (a safety net against a bug, never the normal path).
const LOST_CHECK: Duration = Duration::from_millis(200);

impl ProcessPool {
    /// Runs `T` on every input and yields one `Result` per input, in input
    /// order, pulling inputs lazily: at most `max_in_flight` chunks are
    /// submitted and not yet yielded. Dropping the iterator early cancels
    /// the tasks not yet started (no more inputs are taken). If `inputs`
    /// panics, the panic goes on to the caller; the inputs taken before it
    /// still run, and a caller that catches the panic and reads on gets
    /// their results, then `None`.
    ///
    /// ```no_run
    /// # use process_pools::{ProcessPool, Task};
    /// # struct Square;
    /// # impl Task for Square {
    /// #     const NAME: &'static str = "square";
    /// #     type Input = u64;
    /// #     type Output = u64;
    /// #     fn run(x: u64) -> u64 { x * x }
    /// # }
    /// # fn main() -> Result<(), process_pools::PoolError> {
    /// let pool = ProcessPool::builder().chunksize(1000).build()?;
    /// // 10^7 inputs, never all in memory: a sum as results arrive.
    /// let sum: u64 = pool.imap::<Square, _>(0..10_000_000).map(|r| r.unwrap()).sum();
    /// # Ok(()) }
    /// ```
    pub fn imap<T, I>(&self, inputs: I) -> Imap<'_, T, I::IntoIter>
    where
        T: Task,
        I: IntoIterator<Item = T::Input>,
    {
        let (tx, rx) = unbounded();
        let cancelled = Arc::new(AtomicBool::new(false));
        Imap {
            pool: self,
            inputs: Some(inputs.into_iter()),
            call: Arc::new(Call {
                tx,
                cancelled: Arc::clone(&cancelled),
                tracker: self.progress.start(None),
                auto: self.auto_batch(),
            }),
            rx,
            cancelled,
            submitted: 0,
            next: 0,
            window: self.max_in_flight.saturating_mul(self.chunksize()).max(1),
            slots: VecDeque::new(),
        }
    }
}

/// The results of [`ProcessPool::imap`], in input order.
pub struct Imap<'pool, T: Task, I> {
    pool: &'pool ProcessPool,
    /// `None` once the inputs are exhausted.
    inputs: Option<I>,
    /// Held while inputs remain; the chunks hold clones.
    call: Arc<Call>,
    rx: Receiver<Delivery>,
    cancelled: Arc<AtomicBool>,
    /// Inputs taken so far.
    submitted: usize,
    /// Position of the next result to yield.
    next: usize,
    /// Most tasks submitted and not yet yielded.
    window: usize,
    /// Results of tasks `next..submitted`, as they arrive.
    slots: VecDeque<Option<Result<T::Output, TaskError>>>,
}

impl<T: Task, I: Iterator<Item = T::Input>> Imap<'_, T, I> {
    /// Takes inputs, in whole chunks, while the window has room. With
    /// automatic batches, chunks of the size measured so far, and a window
    /// of as many of them.
    ///
    /// If the input iterator (or an input's `Serialize`) panics, the inputs
    /// taken before it are sent all the same, no more are taken, and the
    /// panic goes on to the caller: a caller that catches it and reads on
    /// gets their results, then the end, never a hang or a lost task.
    fn refill(&mut self) {
        let (chunksize, window) = match &self.call.auto {
            Some(auto) => {
                let size = auto.size();
                (size, self.pool.max_in_flight.saturating_mul(size))
            }
            None => (self.pool.chunksize(), self.window),
        };
        while self.submitted + chunksize <= self.next + window {
            let Some(mut inputs) = self.inputs.take() else {
                return;
            };
            let mut chunker =
                self.pool.chunker::<T>(&self.call).with_chunksize(chunksize);
            let mut taken = 0;
            let pulled = catch_unwind(AssertUnwindSafe(|| {
                for input in inputs.by_ref().take(chunksize) {
                    chunker.add(self.submitted, &input);
                    self.submitted += 1;
                    self.slots.push_back(None);
                    taken += 1;
                }
            }));
            chunker.send();
            if pulled.is_ok() && taken == chunksize {
                self.inputs = Some(inputs);
                continue;
            }
            // Exhausted (or broken): now the total is known.
            self.call.tracker.set_total(self.submitted as u64);
            if let Err(panic) = pulled {
                resume_unwind(panic);
            }
        }
    }

    /// Files one delivery under its tasks' positions.
    fn file(&mut self, delivery: Delivery) {
        match delivery {
            Delivery::Results { first, ends, bytes } => {
                let mut start = 0;
                for (k, &end) in ends.iter().enumerate() {
                    let task = first + k;
                    let result = decode_result::<T>(&bytes[start..end as usize])
                        .map_err(|kind| kind.of(task));
                    self.put(task, result);
                    start = end as usize;
                }
            }
            Delivery::Failed(error) => self.put(error.task, Err(error)),
        }
    }

    fn put(&mut self, task: usize, result: Result<T::Output, TaskError>) {
        let slot = task
            .checked_sub(self.next)
            .and_then(|at| self.slots.get_mut(at));
        if let Some(slot @ None) = slot {
            *slot = Some(result);
        }
    }

    /// Waits for the next delivery. If none can come (no chunk of this call
    /// is left in the pool: a bug), the missing results are reported lost,
    /// never waited for.
    fn wait(&mut self) {
        match self.rx.recv_timeout(LOST_CHECK) {
            Ok(delivery) => self.file(delivery),
            Err(RecvTimeoutError::Timeout) if Arc::strong_count(&self.call) == 1 => {
                // Every chunk is gone; what it sent before it went is in the
                // channel (the fence pairs with the release of its drop).
                std::sync::atomic::fence(Ordering::Acquire);
                while let Ok(delivery) = self.rx.try_recv() {
                    self.file(delivery);
                }
                let first = self.next;
                for (k, slot) in self.slots.iter_mut().enumerate() {
                    if slot.is_none() {
                        *slot = Some(Err(TaskErrorKind::Lost.of(first + k)));
                    }
                }
            }
            Err(_) => {}
        }
    }
}

impl<T: Task, I: Iterator<Item = T::Input>> Iterator for Imap<'_, T, I> {
    type Item = Result<T::Output, TaskError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.refill();
            if let Some(Some(_)) = self.slots.front() {
                self.next += 1;
                return self.slots.pop_front().flatten();
            }
            if self.slots.is_empty() {
                self.call.tracker.finish();
                return None; // every input taken and yielded
            }
            self.wait();
        }
    }
}

impl<T: Task, I> Drop for Imap<'_, T, I> {
    /// Cancels the tasks not yet started, and ends the call's progress now
    /// (not when its running tasks end, which may be much later).
    fn drop(&mut self) {
        self.cancelled.store(true, Ordering::Relaxed);
        self.call.tracker.finish();
    }
}

impl<T: Task, I> std::fmt::Debug for Imap<'_, T, I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Imap")
            .field("task", &T::NAME)
            .field("submitted", &self.submitted)
            .field("yielded", &self.next)
            .field("window", &self.window)
            .finish()
    }
}
