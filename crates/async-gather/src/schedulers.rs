//! The schedulers compared on the CPU workloads: a `current_thread` runtime, a
//! `multi_thread` runtime, `spawn_blocking`, and CPU work handed off to a rayon
//! pool with the result coming back over a oneshot channel.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use tokio::runtime::{Builder, Runtime};
use tokio::sync::oneshot;

use sweep_core::jobs::JobsError;
use sweep_core::panic_message;

use crate::gather::{Gather, gather};
use crate::names;
use crate::task_error::TaskError;

/// A runtime or pool could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// `jobs` was 0.
    #[error("jobs must be at least 1")]
    NoJobs,
    /// The tokio runtime could not start its threads.
    #[error("starting the tokio runtime: {0}")]
    Runtime(#[from] std::io::Error),
    /// The rayon pool could not start its threads.
    #[error("starting the rayon pool: {0}")]
    Pool(#[from] rayon::ThreadPoolBuildError),
    /// Any other reason the pool's size was refused.
    #[error(transparent)]
    Jobs(JobsError),
}

impl From<JobsError> for BuildError {
    fn from(error: JobsError) -> Self {
        match error {
            JobsError::Zero => BuildError::NoJobs,
            JobsError::Build { source, .. } => BuildError::Pool(source),
            other => BuildError::Jobs(other),
        }
    }
}

// ANCHOR: rayon_pool
/// A dedicated rayon pool of `jobs` threads for CPU work: the thread-pools
/// chapter's own (`sweep_core::jobs::rayon_pool`, shared by every chapter).
pub use sweep_core::jobs::rayon_pool;
// ANCHOR_END: rayon_pool

// ANCHOR: hand_off
/// Runs the CPU function `f` on `pool` and returns a future of its result, so
/// an async task can wait for CPU work without blocking its runtime thread.
///
/// The work is queued at once (the future need not be polled to start it). A
/// panic in `f` is caught and returned as [`TaskError::Panicked`] (left alone,
/// it would abort the process: rayon's default for a panic in `spawn`). If
/// the future is dropped before `f` starts, `f` is skipped.
pub fn hand_off<T, F>(
    pool: &rayon::ThreadPool,
    f: F,
) -> impl Future<Output = Result<T, TaskError>> + Send + 'static
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let (sender, receiver) = oneshot::channel();
    pool.spawn(move || {
        if sender.is_closed() {
            return; // nobody is waiting any more: cancelled
        }
        let result = std::panic::catch_unwind(AssertUnwindSafe(f))
            .map_err(|panic| TaskError::Panicked(panic_message(&*panic)));
        let _ = sender.send(result);
    });
    async move { receiver.await.unwrap_or(Err(TaskError::Cancelled)) }
}
// ANCHOR_END: hand_off

/// Where the tasks of a map run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheduler {
    /// One thread runs every task: a `current_thread` runtime (dask's
    /// single-threaded scheduler).
    CurrentThread,
    /// A `multi_thread` runtime with `jobs` worker threads running the tasks
    /// themselves, CPU work included (dask's threaded scheduler).
    MultiThread,
    /// Each task on the runtime's blocking pool, at most `jobs` threads.
    SpawnBlocking,
    /// Each task handed off to a rayon pool of `jobs` threads ([`hand_off`]).
    Rayon,
}

impl Scheduler {
    /// Every scheduler, in the order of the book's table.
    pub const ALL: [Scheduler; 4] = [
        Scheduler::CurrentThread,
        Scheduler::MultiThread,
        Scheduler::SpawnBlocking,
        Scheduler::Rayon,
    ];

    /// The name used in tables, benchmarks and the book (from [`names`]).
    pub fn name(self) -> &'static str {
        match self {
            Scheduler::CurrentThread => names::CURRENT_THREAD,
            Scheduler::MultiThread => names::MULTI_THREAD,
            Scheduler::SpawnBlocking => names::SPAWN_BLOCKING,
            Scheduler::Rayon => names::RAYON_HAND_OFF,
        }
    }
}

// ANCHOR: runtimes
/// The tokio runtime each scheduler runs on.
fn build_runtime(scheduler: Scheduler, jobs: usize) -> std::io::Result<Runtime> {
    match scheduler {
        Scheduler::CurrentThread => {
            Builder::new_current_thread().enable_all().build()
        }
        Scheduler::MultiThread | Scheduler::Rayon => Builder::new_multi_thread()
            .worker_threads(jobs)
            .enable_all()
            .build(),
        // One worker that only waits; the work runs on up to `jobs`
        // blocking-pool threads.
        Scheduler::SpawnBlocking => Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(jobs)
            .enable_all()
            .build(),
    }
}
// ANCHOR_END: runtimes

/// A started scheduler: its runtime (and pool), built once and reused, so
/// timings do not include starting threads.
pub struct Executor {
    scheduler: Scheduler,
    jobs: usize,
    runtime: Runtime,
    pool: Option<rayon::ThreadPool>,
}

impl Executor {
    /// Starts `scheduler` with `jobs` threads (`CurrentThread` always uses one).
    pub fn new(scheduler: Scheduler, jobs: usize) -> Result<Self, BuildError> {
        if jobs == 0 {
            return Err(BuildError::NoJobs);
        }
        let runtime = build_runtime(scheduler, jobs)?;
        let pool = match scheduler {
            Scheduler::Rayon => Some(rayon_pool(jobs)?),
            _ => None,
        };
        let jobs = if scheduler == Scheduler::CurrentThread {
            1
        } else {
            jobs
        };
        Ok(Executor {
            scheduler,
            jobs,
            runtime,
            pool,
        })
    }

    /// The scheduler.
    pub fn scheduler(&self) -> Scheduler {
        self.scheduler
    }

    /// Threads that run tasks.
    pub fn jobs(&self) -> usize {
        self.jobs
    }

    /// The runtime, for async work of your own.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    // ANCHOR: map
    /// Applies `f` to every input on this scheduler; results in input order.
    pub fn map<I, T, F>(&self, inputs: I, f: F) -> Vec<Result<T, TaskError>>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        T: Send + 'static,
    {
        let f = Arc::new(f);
        let inputs = inputs.into_iter();
        self.runtime.block_on(async {
            match &self.pool {
                // The tasks run the CPU work themselves, on the runtime's threads.
                None if self.scheduler != Scheduler::SpawnBlocking => {
                    let tasks = inputs.map(|x| {
                        let f = Arc::clone(&f);
                        async move { f(x) }
                    });
                    gather(tasks).await
                }
                // Each task on a blocking-pool thread.
                None => {
                    let mut gather = Gather::new();
                    for x in inputs {
                        let f = Arc::clone(&f);
                        gather.spawn_blocking(move || f(x));
                    }
                    gather.in_order().await
                }
                // Each task handed off to rayon; the runtime only waits.
                Some(pool) => {
                    let waiting: Vec<_> = inputs
                        .map(|x| {
                            let f = Arc::clone(&f);
                            hand_off(pool, move || f(x))
                        })
                        .collect();
                    let mut results = Vec::with_capacity(waiting.len());
                    for result in waiting {
                        results.push(result.await);
                    }
                    results
                }
            }
        })
    }
    // ANCHOR_END: map
}
