//! [`LocalCluster`]: dask's `LocalCluster` + `Client` as one owned value. It
//! owns a tokio runtime for waiting and a rayon pool for computing; `submit`,
//! `map` and `gather` use them; `shutdown(timeout)` closes it, and so does
//! dropping it: the "you must close the cluster" rule, kept by ownership.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use sweep_core::panic_message;
use sweep_core::progress::{Progress, Tracker};
use tokio::runtime::{Builder, Handle, Runtime};
use tokio::task::JoinHandle;

use crate::schedulers::{BuildError, hand_off};
use crate::task_error::TaskError;

/// A count of the cluster's live threads (runtime and pool), readable after
/// the cluster is gone.
#[derive(Debug, Clone, Default)]
pub struct ThreadCount(Arc<AtomicUsize>);

impl ThreadCount {
    /// Threads started and not yet finished.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    fn add(&self, n: usize) {
        self.0.fetch_add(n, Ordering::SeqCst);
    }

    fn sub(&self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Why [`LocalCluster::shutdown`] did not finish cleanly.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShutdownError {
    /// CPU tasks were still running when the timeout ran out; their threads
    /// were left to finish on their own.
    #[error("{busy_threads} thread(s) still busy after the shutdown timeout")]
    TimedOut {
        /// Threads of the cluster still alive at the deadline.
        busy_threads: usize,
    },
    /// Called from async code, where waiting would block a runtime thread:
    /// the cluster was shut down in the background, without waiting.
    #[error("shut down from async code: stopped in the background without waiting")]
    InsideRuntime,
}

// ANCHOR: task_handle
/// A submitted task: a future of its result (await it in async code, or pass it
/// to [`LocalCluster::gather`]). Dropping the handle cancels the task, like
/// releasing a dask future.
#[derive(Debug)]
pub struct TaskHandle<T>(JoinHandle<Result<T, TaskError>>);

impl<T> Future for TaskHandle<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|joined| match joined {
            Ok(result) => result,
            Err(err) => match err.try_into_panic() {
                Ok(panic) => Err(TaskError::Panicked(panic_message(&*panic))),
                Err(_cancelled) => Err(TaskError::Cancelled),
            },
        })
    }
}

impl<T> Drop for TaskHandle<T> {
    fn drop(&mut self) {
        self.0.abort(); // does nothing if the task has finished
    }
}
// ANCHOR_END: task_handle

// ANCHOR: cluster
/// A runtime with `jobs` worker threads for waiting, plus a rayon pool of
/// `jobs` threads for computing. Closed by [`LocalCluster::shutdown`] or, at
/// the latest, when it is dropped.
pub struct LocalCluster {
    runtime: Option<Runtime>,
    pool: Option<Arc<rayon::ThreadPool>>,
    threads: ThreadCount,
    /// CPU tasks running on the pool right now: what a shutdown waits for.
    running: ThreadCount,
    jobs: usize,
    tracker: Tracker,
}
// ANCHOR_END: cluster

/// Counts one task of the cluster's progress when it ends: as a failure
/// unless it returned a value (a panic or a cancellation drops it unset).
struct Completion {
    tracker: Tracker,
    ok: bool,
}

impl Drop for Completion {
    fn drop(&mut self) {
        self.tracker.add(1, u64::from(!self.ok));
    }
}

impl LocalCluster {
    /// How long dropping a cluster waits for running CPU tasks.
    pub const DROP_TIMEOUT: Duration = Duration::from_secs(10);

    /// How long a shutdown waits, past its timeout, for idle threads to
    /// exit when no CPU task is running: they are not busy, only stopping.
    const EXIT_GRACE: Duration = Duration::from_secs(1);

    /// Starts a cluster with `jobs` runtime threads and `jobs` CPU threads.
    pub fn new(jobs: usize) -> Result<Self, BuildError> {
        if jobs == 0 {
            return Err(BuildError::NoJobs);
        }
        let threads = ThreadCount::default();
        let (started, stopped) = (threads.clone(), threads.clone());
        let runtime = Builder::new_multi_thread()
            .worker_threads(jobs)
            .thread_name("cluster-io")
            .on_thread_start(move || started.add(1))
            .on_thread_stop(move || stopped.sub())
            .enable_all()
            .build()?;
        // Counted before they start, so a quick shutdown cannot miss one.
        threads.add(jobs);
        let exited = threads.clone();
        let pool = sweep_core::jobs::rayon_builder(jobs)?
            .thread_name(|i| format!("cluster-cpu-{i}"))
            .exit_handler(move |_| exited.sub())
            .build();
        let pool = match pool {
            Ok(pool) => pool,
            Err(err) => {
                threads.0.fetch_sub(jobs, Ordering::SeqCst);
                return Err(err.into());
            }
        };
        Ok(LocalCluster {
            runtime: Some(runtime),
            pool: Some(Arc::new(pool)),
            threads,
            running: ThreadCount::default(),
            jobs,
            tracker: Tracker::off(),
        })
    }

    /// Reports progress (like dask's progress bar): every task submitted or
    /// spawned from now on, completed and failed, with an ETA.
    /// `Progress::auto("label")` draws a bar on a terminal and writes lines
    /// in a log. Off by default; finished when the cluster closes.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.tracker = progress.start(Some(0));
        self
    }

    /// A [`Completion`] for one new task (counted in the total now).
    fn completion(&self) -> Completion {
        self.tracker.add_total(1);
        Completion {
            tracker: self.tracker.clone(),
            ok: false,
        }
    }

    /// Threads of each kind (runtime workers, CPU pool).
    pub fn jobs(&self) -> usize {
        self.jobs
    }

    /// The runtime, to spawn async work of your own or enter it.
    pub fn handle(&self) -> &Handle {
        self.runtime.as_ref().expect("open until dropped").handle()
    }

    /// The live-thread counter of this cluster.
    pub fn threads(&self) -> ThreadCount {
        self.threads.clone()
    }

    pub(crate) fn pool(&self) -> &Arc<rayon::ThreadPool> {
        self.pool.as_ref().expect("open until dropped")
    }

    // ANCHOR: submit
    /// dask's `client.submit(f)`: runs the CPU function `f` on the pool.
    pub fn submit<T, F>(&self, f: F) -> TaskHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let running = self.running.clone();
        let task = hand_off(self.pool(), move || {
            running.add(1);
            let _done = Finished(running); // counted down even on a panic
            f()
        });
        if !self.tracker.is_on() {
            return TaskHandle(self.handle().spawn(task));
        }
        let completion = self.completion();
        TaskHandle(self.handle().spawn(async move {
            let mut completion = completion; // moved in whole: dropped at the end
            let result = task.await;
            completion.ok = result.is_ok();
            result
        }))
    }

    /// Runs the future `task` (waiting, I/O) on the runtime.
    pub fn spawn<T, F>(&self, task: F) -> TaskHandle<T>
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let completion = self.completion();
        TaskHandle(self.handle().spawn(async move {
            let mut completion = completion; // moved in whole: dropped at the end
            let value = task.await;
            completion.ok = true;
            Ok(value)
        }))
    }

    /// dask's `client.map(f, inputs)`: one submitted task per input.
    pub fn map<I, T, F>(&self, f: F, inputs: I) -> Vec<TaskHandle<T>>
    where
        I: IntoIterator,
        I::Item: Send + 'static,
        F: Fn(I::Item) -> T + Send + Sync + 'static,
        T: Send + 'static,
    {
        let f = Arc::new(f);
        inputs
            .into_iter()
            .map(|x| {
                let f = Arc::clone(&f);
                self.submit(move || f(x))
            })
            .collect()
    }

    /// dask's `client.gather(futures)`: blocks until every task is done and
    /// returns the results in the order of `handles`. Call it from ordinary
    /// (not async) code; in async code, await the handles instead.
    ///
    /// # Panics
    /// Called from async code (inside any tokio runtime), where blocking
    /// would stall that runtime's thread.
    pub fn gather<T>(
        &self,
        handles: Vec<TaskHandle<T>>,
    ) -> Vec<Result<T, TaskError>> {
        assert!(
            Handle::try_current().is_err(),
            "LocalCluster::gather blocks, so it cannot be called from async \
             code: await the handles instead"
        );
        self.handle().block_on(async {
            let mut results = Vec::with_capacity(handles.len());
            for handle in handles {
                results.push(handle.await);
            }
            results
        })
    }
    // ANCHOR_END: submit

    // ANCHOR: shutdown
    /// Closes the cluster: cancels the async tasks and the CPU tasks that have
    /// not started, waits up to `timeout` for the CPU tasks that are running,
    /// and returns once every thread of the cluster has stopped.
    /// `Duration::ZERO` waits for no running task (idle threads are given a
    /// moment to exit, and never reported busy); `Duration::MAX` waits as
    /// long as the running tasks take.
    pub fn shutdown(mut self, timeout: Duration) -> Result<(), ShutdownError> {
        self.close(timeout)
    }

    fn close(&mut self, timeout: Duration) -> Result<(), ShutdownError> {
        let (Some(runtime), Some(pool)) = (self.runtime.take(), self.pool.take())
        else {
            return Ok(()); // already closed
        };
        self.tracker.finish();
        if Handle::try_current().is_ok() {
            // Blocking here would stall the caller's runtime (tokio panics
            // if a runtime is dropped there): stop without waiting.
            runtime.shutdown_background();
            drop(pool);
            return Err(ShutdownError::InsideRuntime);
        }
        // `None`: a timeout too long to have a deadline (`Duration::MAX`),
        // which waits as long as it takes.
        let deadline = Instant::now().checked_add(timeout);
        // Drops every async task; their hand-offs see nobody waiting and skip.
        runtime.shutdown_timeout(timeout);
        // The pool's threads exit once their running task is done.
        drop(pool);
        self.wait_for_threads(deadline);
        if self.running.get() == 0 {
            // Nothing is running: the threads left are idle ones still
            // exiting (a zero timeout ends before they can), not busy ones.
            self.wait_for_threads(Instant::now().checked_add(Self::EXIT_GRACE));
        }
        match self.threads.get() {
            0 => Ok(()),
            busy_threads => Err(ShutdownError::TimedOut { busy_threads }),
        }
    }
    // ANCHOR_END: shutdown

    /// Waits until every thread of the cluster has stopped or `deadline`
    /// (`None`: no deadline) has passed.
    fn wait_for_threads(&self, deadline: Option<Instant>) {
        while self.threads.get() > 0 && deadline.is_none_or(|d| Instant::now() < d) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Counts one running CPU task down when dropped.
struct Finished(ThreadCount);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.sub();
    }
}

// ANCHOR: drop
impl Drop for LocalCluster {
    /// Forgetting to close the cluster is not possible: dropping it closes it.
    fn drop(&mut self) {
        let _ = self.close(Self::DROP_TIMEOUT);
    }
}
// ANCHOR_END: drop
