//! [`Pool`]: the `multiprocessing.Pool` vocabulary (`map`, `map_async`,
//! `starmap`, `imap`, `imap_unordered`) on one small type built on
//! `crossbeam-channel`. This file is the lesson: the workers, the queue and
//! the methods. Around it:
//! - `pool/handle.rs`: [`MapHandle`], the pending results of `map_async`
//!   (`wait`, `ready`, and `get(timeout)` with its [`NotReady`]);
//! - `pool/star.rs`: [`StarFn`], the tuple unpacking behind `starmap`;
//! - `builder.rs`: the settings (initializer, retries, chunk size, in-flight
//!   bound, progress); `imap.rs`: the lazy, bounded `imap` streams.

mod handle;
mod star;

pub use handle::{MapHandle, NotReady};
pub use star::StarFn;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;

use crossbeam_channel::{Sender, unbounded};

use crate::builder::{PoolBuilder, Settings};
use crate::imap::{Feed, Imap, Unordered};
use crate::job::{Job, Reply, Runner};
use crate::{PoolError, TaskError, default_chunk, panic_message};

// ANCHOR: pool_struct
/// A fixed set of worker threads fed from one job queue, with Python's
/// `multiprocessing.Pool` methods.
///
/// Tasks run on long-lived threads, so the function and inputs a method takes
/// must own their data (`'static`): move owned values in, or share read-only
/// data with `Arc` (or clone something cheap, such as a
/// task description). To map over borrowed data, use
/// [`crate::scoped_map`] or rayon ([`crate::rayon_map_results`]).
///
/// A task that panics yields a [`TaskError`] in its slot; the worker and the
/// other tasks carry on. Dropping the pool closes the queue, lets the workers
/// finish every task already submitted, and joins them.
pub struct Pool {
    jobs: usize,
    settings: Settings,
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
    /// Starts `jobs` worker threads with the default settings. `jobs = 0` is
    /// an error.
    pub fn new(jobs: usize) -> Result<Pool, PoolError> {
        Self::builder().jobs(jobs).build()
    }

    /// Settings beyond the size: initializer, retries, chunk size, in-flight
    /// bound, progress.
    pub fn builder() -> PoolBuilder {
        PoolBuilder::defaults()
    }

    // ANCHOR: pool_new
    /// Starts the workers; each runs the initializer (if any) and reports
    /// whether it is ready before taking jobs.
    pub(crate) fn start(builder: PoolBuilder) -> Result<Pool, PoolError> {
        let jobs = builder.jobs;
        let (queue, jobs_rx) = unbounded::<Job>();
        let (ready_tx, ready_rx) = unbounded::<(usize, Result<(), String>)>();
        // Built before the threads, so that if a spawn fails, dropping the
        // half-built pool still joins the workers already started.
        let mut pool = Pool {
            jobs,
            settings: builder.settings,
            queue: Some(queue),
            workers: Vec::with_capacity(jobs),
        };
        for k in 0..jobs {
            let (jobs_rx, ready) = (jobs_rx.clone(), ready_tx.clone());
            let init = builder.initializer.clone();
            let worker = std::thread::Builder::new()
                .name(format!("pool-worker-{k}"))
                .spawn(move || {
                    let initialised = match init {
                        None => Ok(()),
                        Some(init) => catch_unwind(AssertUnwindSafe(|| init(k)))
                            .unwrap_or_else(|panic| {
                                Err(format!("panicked: {}", panic_message(&*panic)))
                            }),
                    };
                    let ok = initialised.is_ok();
                    let _ = ready.send((k, initialised));
                    if !ok {
                        return; // the pool is not built; take no job
                    }
                    // Ends when the queue is closed and empty.
                    for job in jobs_rx {
                        // Jobs catch their tasks' panics; this is a backstop
                        // so that nothing can kill a worker.
                        let _ = catch_unwind(AssertUnwindSafe(job));
                    }
                })?;
            pool.workers.push(worker);
        }
        drop(ready_tx);
        for _ in 0..jobs {
            match ready_rx.recv() {
                Ok((_, Ok(()))) => {}
                Ok((worker, Err(message))) => {
                    return Err(PoolError::Initializer { worker, message });
                }
                Err(_) => unreachable!("every worker reports before it exits"),
            }
        }
        Ok(pool)
    }
    // ANCHOR_END: pool_new

    /// Number of worker threads.
    pub fn jobs(&self) -> usize {
        self.jobs
    }

    pub(crate) fn submit(&self, job: Job) {
        // Sending fails only if every worker has exited, which the backstop
        // above prevents. If it ever did, the job would be dropped, and its
        // `Reply` reports its tasks as lost: nothing waits forever.
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
        T: Clone + Send + 'static,
        U: Send + 'static,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        self.map_async(inputs, f).wait()
    }
    // ANCHOR_END: pool_map

    // ANCHOR: pool_map_async
    /// `pool.map_async(f, inputs)`: submits every task and returns at once;
    /// call [`MapHandle::wait`] (or [`MapHandle::get`] with a timeout) for the
    /// results, in input order. Tasks are sent in chunks of
    /// [`default_chunk`] inputs, like Python's pool, so tiny tasks do not pay
    /// one queue message each. Like Python's, it takes the whole input at
    /// once: for a long lazy input, use [`Pool::imap`].
    pub fn map_async<T, U, F>(
        &self,
        inputs: impl IntoIterator<Item = T>,
        f: F,
    ) -> MapHandle<U>
    where
        T: Clone + Send + 'static,
        U: Send + 'static,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        let inputs: Vec<T> = inputs.into_iter().collect();
        let len = inputs.len();
        let chunk = self.chunksize(default_chunk(len, self.jobs));
        let run = self.runner(Some(len as u64), f);
        let (results_tx, results_rx) = unbounded();
        let mut inputs = inputs.into_iter();
        for first in (0..len).step_by(chunk) {
            let part: Vec<T> = inputs.by_ref().take(chunk).collect();
            let reply = Reply::new(results_tx.clone(), first, part.len());
            self.submit(run.job(first, part, reply));
        }
        MapHandle::new(len, results_rx, &run)
    }
    // ANCHOR_END: pool_map_async

    /// The chunk size set on the builder, or `default`.
    pub(crate) fn chunksize(&self, default: usize) -> usize {
        self.settings.chunksize.unwrap_or(default).max(1)
    }

    /// What the jobs of one call share: `f`, the retries, the progress
    /// tracker of `total` tasks, and the cancel flag.
    pub(crate) fn runner<T, U, F>(&self, total: Option<u64>, f: F) -> Runner<F>
    where
        F: Fn(T) -> U,
    {
        Runner {
            f: Arc::new(f),
            retries: self.settings.retries,
            tracker: self.settings.progress.start(total),
            cancelled: Arc::new(AtomicBool::new(false)),
        }
    }

    // ANCHOR: pool_starmap
    /// `pool.starmap(f, tuples)`: each input is a tuple of arguments, unpacked
    /// into `f`'s parameters, so `pool.starmap(triples, driver)`
    /// calls `driver(x, num, den)` for every `(x, num, den)`.
    pub fn starmap<A, F>(
        &self,
        inputs: impl IntoIterator<Item = A>,
        f: F,
    ) -> Vec<Result<F::Output, TaskError>>
    where
        A: Clone + Send + 'static,
        F: StarFn<A> + Send + Sync + 'static,
        F::Output: Send + 'static,
    {
        self.map(inputs, move |args| f.call_star(args))
    }
    // ANCHOR_END: pool_starmap

    // ANCHOR: pool_imap_unordered
    /// `pool.imap_unordered(f, inputs)`: an iterator that yields
    /// `(index, result)` as each task completes; every index is yielded
    /// exactly once. One queue message per task unless the builder set a
    /// `chunksize`. Lazy and bounded: inputs are pulled only as results are
    /// taken, at most `max_in_flight` ahead.
    pub fn imap_unordered<'a, I, T, U, F>(
        &'a self,
        inputs: I,
        f: F,
    ) -> Unordered<'a, U>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: 'a,
        T: Clone + Send + 'static,
        U: Send + 'static,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        Unordered::new(Feed::new(self, inputs.into_iter(), f))
    }
    // ANCHOR_END: pool_imap_unordered

    // ANCHOR: pool_imap
    /// `pool.imap(f, inputs)`: the results in input order, as an iterator,
    /// lazily: inputs are pulled from `inputs` only as results are taken, at
    /// most `max_in_flight` ahead, so a generator of 10^7 items never sits
    /// in memory. A slow task holds back the results after it (they wait,
    /// counted in flight, until it is done).
    pub fn imap<'a, I, T, U, F>(&'a self, inputs: I, f: F) -> Imap<'a, U>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: 'a,
        T: Clone + Send + 'static,
        U: Send + 'static,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        Imap::new(Feed::new(self, inputs.into_iter(), f))
    }
    // ANCHOR_END: pool_imap

    pub(crate) fn max_in_flight(&self, chunk: usize) -> usize {
        let default = 2 * self.jobs * chunk;
        self.settings.max_in_flight.unwrap_or(default).max(1)
    }
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
