//! Scatter/gather on a tokio `JoinSet`: one task per input, results back in
//! input order or as they complete, with per-task timeouts (enforced by a
//! watcher task, so a task that blocks its thread still times out), panics
//! kept as per-task errors, and cancellation on drop.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;

use futures_util::FutureExt;
use sweep_core::panic_message;
use sweep_core::progress::{Progress, Tracker};
use tokio::runtime::Handle;
use tokio::task::{AbortHandle, JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::task_error::TaskError;

// ANCHOR: gather_struct
/// A gather in progress: the tasks spawned so far, each tagged with its index.
///
/// Dropping a `Gather` aborts every task that has not finished (the `JoinSet`
/// it owns does that), so cancelling a gather is just dropping it.
pub struct Gather<T> {
    tasks: JoinSet<(usize, Result<T, TaskError>)>,
    runtime: Handle,
    timeout: Option<Duration>,
    spawned: usize,
    done: Vec<bool>,
    tracker: Tracker,
}
// ANCHOR_END: gather_struct

impl<T: Send + 'static> Gather<T> {
    /// An empty gather whose tasks run on the current runtime.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn new() -> Self {
        Self::on(Handle::current())
    }

    /// An empty gather whose tasks run on `runtime`.
    pub fn on(runtime: Handle) -> Self {
        Gather {
            tasks: JoinSet::new(),
            runtime,
            timeout: None,
            spawned: 0,
            done: Vec::new(),
            tracker: Tracker::off(),
        }
    }

    /// Reports progress (results taken, failures, ETA) as tasks complete:
    /// `Progress::auto("label")` for a bar on a terminal and lines in a log.
    /// Tasks are counted when their result is taken, which
    /// [`in_order`](Self::in_order) and [`for_each_bounded`] do as they
    /// complete. Off by default.
    pub fn with_progress(mut self, progress: Progress) -> Self {
        self.tracker = progress.start(Some(self.spawned as u64));
        self
    }

    /// Gives every task spawned from now on at most `per_task` to finish; a
    /// task that takes longer yields [`TaskError::TimedOut`], never its
    /// value. `Duration::ZERO` fails every task (none has time to run);
    /// `Duration::MAX` is no timeout.
    ///
    /// An async task can only be stopped where it awaits. One that blocks
    /// its thread instead (CPU work, `std::thread::sleep`, blocking I/O
    /// inside `async` code) cannot be stopped: its thread is busy until it
    /// is done. Its timeout still fires on time, from a watcher task on
    /// another thread, as long as the runtime has one free; on a
    /// `current_thread` runtime, or with every worker blocked, nothing can
    /// run until the task returns, and it then fails as `TimedOut`, late.
    /// Either way the blocked thread finishes the work in the background
    /// and its result is thrown away. Put blocking work in
    /// [`spawn_blocking`](Self::spawn_blocking): its timeout is always on
    /// time, because the runtime's own threads stay free.
    pub fn with_timeout(mut self, per_task: Duration) -> Self {
        self.timeout = Some(per_task);
        self
    }

    // ANCHOR: spawn
    /// Spawns `task` as the next task and returns its index.
    pub fn spawn<F>(&mut self, task: F) -> usize
    where
        F: Future<Output = T> + Send + 'static,
    {
        let index = self.spawned;
        // A panic becomes this task's error instead of a lost result.
        let task = AssertUnwindSafe(task).catch_unwind();
        let panicked =
            |panic: Box<dyn Any + Send>| TaskError::Panicked(panic_message(&*panic));
        match self.timeout {
            None => self.tasks.spawn_on(
                async move { (index, task.await.map_err(panicked)) },
                &self.runtime,
            ),
            Some(limit) => {
                let task = async move { task.await.map_err(panicked) };
                self.tasks.spawn_on(
                    watch(self.runtime.spawn(timed(task)), limit, index),
                    &self.runtime,
                )
            }
        };
        self.spawned += 1;
        self.done.push(false);
        self.tracker.add_total(1);
        index
    }
    // ANCHOR_END: spawn

    /// Spawns the blocking function `f` on the runtime's blocking thread pool
    /// (`spawn_blocking`) as the next task and returns its index.
    ///
    /// A timeout fails the task on time, but cannot stop `f` itself: `f`
    /// runs to the end on its thread, in the background, and its result is
    /// thrown away.
    pub fn spawn_blocking<F>(&mut self, f: F) -> usize
    where
        F: FnOnce() -> T + Send + 'static,
    {
        let runtime = self.runtime.clone();
        self.spawn(async move {
            match runtime.spawn_blocking(f).await {
                Ok(value) => value,
                // Re-raise the panic inside this task, which turns it into
                // this task's `TaskError::Panicked`.
                Err(err) => std::panic::resume_unwind(err.into_panic()),
            }
        })
    }

    /// How many tasks have been spawned.
    pub fn len(&self) -> usize {
        self.spawned
    }

    /// Whether no task has been spawned.
    pub fn is_empty(&self) -> bool {
        self.spawned == 0
    }

    /// How many tasks are still running or waiting for their result to be
    /// taken.
    pub fn in_flight(&self) -> usize {
        self.tasks.len()
    }

    // ANCHOR: next_completed
    /// The next task to finish, as `(index, result)`; `None` when every task's
    /// result has been taken. Each index is returned exactly once.
    pub async fn next_completed(&mut self) -> Option<(usize, Result<T, TaskError>)> {
        let next = self.join_next().await;
        match &next {
            Some((_, result)) => self.tracker.record(result),
            None => self.tracker.finish(),
        }
        next
    }

    async fn join_next(&mut self) -> Option<(usize, Result<T, TaskError>)> {
        while let Some(joined) = self.tasks.join_next().await {
            // Panics and timeouts are caught inside the task, so a join error
            // means the runtime cancelled the task; its index is found below.
            if let Ok((index, result)) = joined {
                self.done[index] = true;
                return Some((index, result));
            }
        }
        let cancelled = self.done.iter().position(|done| !done)?;
        self.done[cancelled] = true;
        Some((cancelled, Err(TaskError::Cancelled)))
    }
    // ANCHOR_END: next_completed

    // ANCHOR: in_order
    /// Waits for every task and returns the results in spawn (input) order.
    pub async fn in_order(mut self) -> Vec<Result<T, TaskError>> {
        let mut results: Vec<Option<Result<T, TaskError>>> =
            (0..self.spawned).map(|_| None).collect();
        while let Some((index, result)) = self.next_completed().await {
            results[index] = Some(result);
        }
        results
            .into_iter()
            .map(|r| r.expect("each index once"))
            .collect()
    }
    // ANCHOR_END: in_order
}

// ANCHOR: watch
/// Runs `task` and measures how long it ran (from its first poll).
async fn timed<T>(task: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let value = task.await;
    (value, started.elapsed())
}

/// The watcher of a task with a timeout: a separate tokio task, so that it
/// fires on time even when the task blocks its own thread. It fails the task
/// at `limit`, and also if the task returned but ran longer than `limit`
/// (the watcher could not run in time: every thread was blocked).
async fn watch<T>(
    task: JoinHandle<(Result<T, TaskError>, Duration)>,
    limit: Duration,
    index: usize,
) -> (usize, Result<T, TaskError>) {
    // Stops the task at its next `.await` when the watcher gives up or is
    // dropped (the gather was dropped); a blocked thread finishes first.
    let _abort = AbortOnDrop(task.abort_handle());
    let result = match tokio::time::timeout(limit, task).await {
        // Strictly less: a zero limit fails every task, even on a clock too
        // coarse to see a quick task's time pass.
        Ok(Ok((result, ran))) if ran < limit => result,
        // Too late: timed out, or returned past its deadline.
        Ok(Ok(_)) | Err(_) => Err(TaskError::TimedOut(limit)),
        Ok(Err(_join)) => Err(TaskError::Cancelled), // panics are caught inside
    };
    (index, result)
}
// ANCHOR_END: watch

/// Aborts a tokio task when dropped.
struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort(); // does nothing if the task has finished
    }
}

impl<T: Send + 'static> Default for Gather<T> {
    fn default() -> Self {
        Self::new()
    }
}

// ANCHOR: gather
/// dask's `compute(*tasks)`: spawns every future (Rust futures are lazy, like
/// dask's `delayed` objects: nothing runs until they are spawned or awaited)
/// and returns their results in input order.
///
/// # Panics
/// Outside a tokio runtime.
pub async fn gather<T, F>(
    tasks: impl IntoIterator<Item = F>,
) -> Vec<Result<T, TaskError>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut gather = Gather::new();
    for task in tasks {
        gather.spawn(task);
    }
    gather.in_order().await
}
// ANCHOR_END: gather

// ANCHOR: for_each_bounded
/// Runs the futures of `tasks` with at most `limit` in flight, calling `each`
/// with `(index, result)` as each finishes (in completion order).
///
/// The iterator is only advanced when a slot is free, so a lazy input of a
/// million items never holds more than `limit` futures: back-pressure.
///
/// # Panics
/// If `limit` is 0, or outside a tokio runtime.
pub async fn for_each_bounded<T, F>(
    tasks: impl IntoIterator<Item = F>,
    limit: usize,
    mut each: impl FnMut(usize, Result<T, TaskError>),
) where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    assert!(limit > 0, "for_each_bounded needs a limit of at least 1");
    let mut gather = Gather::new();
    let mut tasks = tasks.into_iter();
    loop {
        while gather.in_flight() >= limit {
            // Full: wait for a task to finish before taking the next input.
            if let Some((index, result)) = gather.next_completed().await {
                each(index, result);
            }
        }
        let Some(task) = tasks.next() else { break };
        gather.spawn(task);
    }
    while let Some((index, result)) = gather.next_completed().await {
        each(index, result);
    }
}
// ANCHOR_END: for_each_bounded

/// [`for_each_bounded`], collecting the results in input order: at most
/// `limit` tasks at a time, like a pool of `limit` workers.
///
/// # Panics
/// If `limit` is 0, or outside a tokio runtime.
pub async fn gather_bounded<T, F>(
    tasks: impl IntoIterator<Item = F>,
    limit: usize,
) -> Vec<Result<T, TaskError>>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut results: Vec<Option<Result<T, TaskError>>> = Vec::new();
    for_each_bounded(tasks, limit, |index, result| {
        if results.len() <= index {
            results.resize_with(index + 1, || None);
        }
        results[index] = Some(result);
    })
    .await;
    results
        .into_iter()
        .map(|r| r.expect("each index once"))
        .collect()
}
