//! The engine under [`Pool`]: the worker threads, the job queue that feeds
//! them, the settings every call reads, and the join on drop. The
//! `multiprocessing.Pool` methods built on it (`map`, `map_async`, `starmap`,
//! `imap`, `imap_unordered`) are in `pool.rs`; the builder that starts it is
//! in `builder.rs`.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::thread::JoinHandle;

use crossbeam_channel::{Sender, unbounded};
use sweep_core::panic_message;
use sweep_core::progress::Progress;

use crate::job::{Job, Runner};
use crate::pool_error::PoolError;

/// Runs once on each worker thread before its first task; gets the worker's
/// number. An `Err` (or a panic) fails
/// [`PoolBuilder::build`](crate::PoolBuilder::build).
pub(crate) type Initializer = Arc<dyn Fn(usize) -> Result<(), String> + Send + Sync>;

/// What every call of a built pool reads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    /// Extra attempts for a task that panics (0: never retry).
    pub(crate) retries: u32,
    /// Tasks per queue message; `None`: Python's rule for `map`
    /// ([`crate::default_chunk`]), 1 for `imap` and `imap_unordered`.
    pub(crate) chunksize: Option<usize>,
    /// Tasks `imap` submits ahead of its consumer; `None`: 2 chunks per
    /// worker.
    pub(crate) max_in_flight: Option<usize>,
    pub(crate) progress: Progress,
}

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
/// A task that panics yields a [`TaskError`](crate::TaskError) in its slot;
/// the worker and the other tasks carry on. Dropping the pool closes the
/// queue, lets the workers finish every task already submitted, and joins
/// them.
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
    // ANCHOR: pool_new
    /// Starts `jobs` workers; each runs the initializer (if any) and reports
    /// whether it is ready before taking jobs.
    pub(crate) fn start(
        jobs: usize,
        initializer: Option<Initializer>,
        settings: Settings,
    ) -> Result<Pool, PoolError> {
        let (queue, jobs_rx) = unbounded::<Job>();
        let (ready_tx, ready_rx) = unbounded::<(usize, Result<(), String>)>();
        // Built before the threads, so that if a spawn fails, dropping the
        // half-built pool still joins the workers already started.
        let mut pool = Pool {
            jobs,
            settings,
            queue: Some(queue),
            workers: Vec::with_capacity(jobs),
        };
        for k in 0..jobs {
            let (jobs_rx, ready) = (jobs_rx.clone(), ready_tx.clone());
            let init = initializer.clone();
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

    /// Tasks an `imap` may have submitted and not yet taken.
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
