//! [`Pool`]: the `multiprocessing.Pool` vocabulary (`map`, `map_async`,
//! `starmap`, `imap_unordered`) on one small type built on `crossbeam-channel`.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, unbounded};

use crate::{PoolError, TaskError, default_chunk, run_task};

/// A unit of work for a worker: a boxed closure it runs once.
type Job = Box<dyn FnOnce() + Send + 'static>;

// ANCHOR: pool_struct
/// A fixed set of worker threads fed from one job queue, with Python's
/// `multiprocessing.Pool` methods.
///
/// Tasks run on long-lived threads, so the function and inputs a method takes
/// must own their data (`'static`): move owned values in, or share read-only
/// data with `Arc` (or clone something cheap, such as a
/// [`workloads::TaskSpec`]). To map over borrowed data, use
/// [`crate::scoped_map`] or rayon ([`crate::rayon_map_results`]).
///
/// A task that panics yields a [`TaskError`] in its slot; the worker and the
/// other tasks carry on. Dropping the pool closes the queue, lets the workers
/// finish every task already submitted, and joins them.
pub struct Pool {
    jobs: usize,
    queue: Option<Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
}
// ANCHOR_END: pool_struct

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool").field("jobs", &self.jobs).finish()
    }
}

impl Pool {
    // ANCHOR: pool_new
    /// Starts `jobs` worker threads. `jobs = 0` is an error.
    pub fn new(jobs: usize) -> Result<Pool, PoolError> {
        if jobs == 0 {
            return Err(PoolError::ZeroJobs);
        }
        let (queue, jobs_rx) = unbounded::<Job>();
        // Built before the threads, so that if a spawn fails, dropping the
        // half-built pool still joins the workers already started.
        let mut pool = Pool {
            jobs,
            queue: Some(queue),
            workers: Vec::with_capacity(jobs),
        };
        for k in 0..jobs {
            let jobs_rx = jobs_rx.clone();
            let worker = std::thread::Builder::new()
                .name(format!("pool-worker-{k}"))
                .spawn(move || {
                    // Ends when the queue is closed and empty.
                    for job in jobs_rx {
                        // Jobs catch their tasks' panics; this is a backstop
                        // so that nothing can kill a worker.
                        let _ = catch_unwind(AssertUnwindSafe(job));
                    }
                })?;
            pool.workers.push(worker);
        }
        Ok(pool)
    }
    // ANCHOR_END: pool_new

    /// Number of worker threads.
    pub fn jobs(&self) -> usize {
        self.jobs
    }

    fn submit(&self, job: Job) {
        // Sending fails only if every worker has exited, which the backstop
        // above prevents. If it ever did, the job (and its result sender)
        // would be dropped and the waiting side reports the task as lost.
        let queue = self.queue.as_ref().expect("the queue lives until drop");
        let _ = queue.send(job);
    }

    // ANCHOR: pool_map
    /// `pool.map(f, inputs)`: runs `f` on every input and blocks until all are
    /// done. Results come back in input order, one `Result` per task.
    pub fn map<T, U, F>(
        &self,
        inputs: impl IntoIterator<Item = T>,
        f: F,
    ) -> Vec<Result<U, TaskError>>
    where
        T: Send + 'static,
        U: Send + 'static,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        self.map_async(inputs, f).wait()
    }
    // ANCHOR_END: pool_map

    // ANCHOR: pool_map_async
    /// `pool.map_async(f, inputs)`: submits the tasks and returns at once; call
    /// [`MapHandle::wait`] for the results (in input order). Tasks are sent in
    /// chunks of [`default_chunk`] inputs, like Python's pool, so tiny tasks
    /// do not pay one queue message each.
    pub fn map_async<T, U, F>(
        &self,
        inputs: impl IntoIterator<Item = T>,
        f: F,
    ) -> MapHandle<U>
    where
        T: Send + 'static,
        U: Send + 'static,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        let inputs: Vec<T> = inputs.into_iter().collect();
        let len = inputs.len();
        let chunk = default_chunk(len, self.jobs);
        let f = Arc::new(f);
        let (results_tx, results_rx) = unbounded();
        let mut inputs = inputs.into_iter();
        for first in (0..len).step_by(chunk) {
            let part: Vec<T> = inputs.by_ref().take(chunk).collect();
            let (f, results_tx) = (Arc::clone(&f), results_tx.clone());
            self.submit(Box::new(move || {
                let results: Vec<_> = part
                    .into_iter()
                    .enumerate()
                    .map(|(k, input)| run_task(first + k, || f(input)))
                    .collect();
                let _ = results_tx.send((first, results));
            }));
        }
        MapHandle {
            slots: (0..len).map(|_| None).collect(),
            received: 0,
            results: results_rx,
        }
    }
    // ANCHOR_END: pool_map_async

    // ANCHOR: pool_starmap
    /// `pool.starmap(f, tuples)`: each input is a tuple of arguments, unpacked
    /// into `f`'s parameters, so `pool.starmap(triples, workloads::driver)`
    /// calls `driver(x, num, den)` for every `(x, num, den)`.
    pub fn starmap<A, F>(
        &self,
        inputs: impl IntoIterator<Item = A>,
        f: F,
    ) -> Vec<Result<F::Output, TaskError>>
    where
        A: Send + 'static,
        F: StarFn<A> + Send + Sync + 'static,
        F::Output: Send + 'static,
    {
        self.map(inputs, move |args| f.call_star(args))
    }
    // ANCHOR_END: pool_starmap

    // ANCHOR: pool_imap_unordered
    /// `pool.imap_unordered(f, inputs)`: one queue message per task, and an
    /// iterator that yields `(index, result)` as each task completes. Every
    /// index is yielded exactly once.
    pub fn imap_unordered<T, U, F>(
        &self,
        inputs: impl IntoIterator<Item = T>,
        f: F,
    ) -> Unordered<U>
    where
        T: Send + 'static,
        U: Send + 'static,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let (results_tx, results_rx) = unbounded();
        let mut len = 0;
        for (index, input) in inputs.into_iter().enumerate() {
            let (f, results_tx) = (Arc::clone(&f), results_tx.clone());
            self.submit(Box::new(move || {
                let _ = results_tx.send((index, run_task(index, || f(input))));
            }));
            len += 1;
        }
        Unordered {
            seen: vec![false; len],
            remaining: len,
            results: results_rx,
        }
    }
    // ANCHOR_END: pool_imap_unordered
}

// ANCHOR: pool_drop
impl Drop for Pool {
    /// Closes the queue, lets the workers finish what was submitted, and joins
    /// them: no thread outlives the pool.
    fn drop(&mut self) {
        drop(self.queue.take());
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}
// ANCHOR_END: pool_drop

/// The message reporting a task whose worker vanished before it ran. Cannot
/// happen with [`Pool`]'s workers; it keeps `wait` from ever hanging or
/// returning fewer results than inputs.
fn lost(index: usize) -> TaskError {
    TaskError {
        index,
        message: "lost: no worker ran this task".to_owned(),
    }
}

// ANCHOR: map_handle
/// The pending results of [`Pool::map_async`] (Python's `AsyncResult`).
pub struct MapHandle<U> {
    slots: Vec<Option<Result<U, TaskError>>>,
    received: usize,
    results: Receiver<(usize, Vec<Result<U, TaskError>>)>,
}

impl<U> MapHandle<U> {
    /// Blocks until every task is done and returns the results in input order.
    pub fn wait(mut self) -> Vec<Result<U, TaskError>> {
        while self.received < self.slots.len() {
            match self.results.recv() {
                Ok(part) => self.store(part),
                Err(_) => break, // every sender gone: report the rest as lost
            }
        }
        let slots = self.slots.into_iter().enumerate();
        slots
            .map(|(i, slot)| slot.unwrap_or_else(|| Err(lost(i))))
            .collect()
    }

    /// Whether every task has finished (Python's `ready()`); never blocks.
    pub fn ready(&mut self) -> bool {
        while let Ok(part) = self.results.try_recv() {
            self.store(part);
        }
        self.received == self.slots.len()
    }

    fn store(&mut self, (first, results): (usize, Vec<Result<U, TaskError>>)) {
        self.received += results.len();
        for (k, result) in results.into_iter().enumerate() {
            self.slots[first + k] = Some(result);
        }
    }
}
// ANCHOR_END: map_handle

impl<U> fmt::Debug for MapHandle<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MapHandle")
            .field("tasks", &self.slots.len())
            .field("received", &self.received)
            .finish()
    }
}

/// The as-completed stream of [`Pool::imap_unordered`]: `(index, result)`
/// pairs in the order the tasks finish.
pub struct Unordered<U> {
    seen: Vec<bool>,
    remaining: usize,
    results: Receiver<(usize, Result<U, TaskError>)>,
}

impl<U> Iterator for Unordered<U> {
    type Item = (usize, Result<U, TaskError>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        match self.results.recv() {
            Ok((index, result)) => {
                self.seen[index] = true;
                Some((index, result))
            }
            Err(_) => {
                // Every sender gone: report the first task never seen.
                let index = self.seen.iter().position(|seen| !seen)?;
                self.seen[index] = true;
                Some((index, Err(lost(index))))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<U> ExactSizeIterator for Unordered<U> {}

impl<U> fmt::Debug for Unordered<U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unordered")
            .field("remaining", &self.remaining)
            .finish()
    }
}

// ANCHOR: star_fn
/// A function that can be called with a tuple of its arguments: what lets
/// [`Pool::starmap`] unpack `(a, b, c)` into `f(a, b, c)`. Implemented for
/// every `Fn` of one to four arguments.
pub trait StarFn<Args> {
    /// What the function returns.
    type Output;
    /// Calls the function with the tuple's fields as arguments.
    fn call_star(&self, args: Args) -> Self::Output;
}

impl<F, A, B, U> StarFn<(A, B)> for F
where
    F: Fn(A, B) -> U,
{
    type Output = U;
    fn call_star(&self, (a, b): (A, B)) -> U {
        self(a, b)
    }
}
// ANCHOR_END: star_fn

impl<F, A, U> StarFn<(A,)> for F
where
    F: Fn(A) -> U,
{
    type Output = U;
    fn call_star(&self, (a,): (A,)) -> U {
        self(a)
    }
}

impl<F, A, B, C, U> StarFn<(A, B, C)> for F
where
    F: Fn(A, B, C) -> U,
{
    type Output = U;
    fn call_star(&self, (a, b, c): (A, B, C)) -> U {
        self(a, b, c)
    }
}

impl<F, A, B, C, D, U> StarFn<(A, B, C, D)> for F
where
    F: Fn(A, B, C, D) -> U,
{
    type Output = U;
    fn call_star(&self, (a, b, c, d): (A, B, C, D)) -> U {
        self(a, b, c, d)
    }
}
