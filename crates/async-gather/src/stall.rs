//! The blocked-runtime pitfall, measured: a ticker task that wants to run every
//! `period` records how late each tick is while CPU work runs either inside
//! async tasks (on the runtime's own threads) or on a rayon pool.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::runtime::Builder;
use tokio::time::Instant;

use crate::gather::gather;
use crate::names;
use crate::schedulers::{BuildError, hand_off, rayon_pool};
use crate::task_error::TaskError;

/// Where the CPU work runs while the ticker ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Inside async tasks, on the runtime's worker threads: the pitfall.
    InAsyncTasks,
    /// Handed off to a rayon pool with [`hand_off`]: the fix.
    RayonHandOff,
}

impl Placement {
    /// The name used in tables and the book (from [`names`]).
    pub fn name(self) -> &'static str {
        match self {
            Placement::InAsyncTasks => names::CPU_IN_ASYNC_TASKS,
            Placement::RayonHandOff => names::CPU_HANDED_TO_RAYON,
        }
    }
}

/// How late the ticker's ticks were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lateness {
    /// Ticks recorded.
    pub ticks: usize,
    /// Median lateness of a tick.
    pub median: Duration,
    /// Worst lateness of a tick.
    pub max: Duration,
}

impl Lateness {
    fn of(mut late: Vec<Duration>) -> Self {
        late.sort();
        Lateness {
            ticks: late.len(),
            median: late.get(late.len() / 2).copied().unwrap_or_default(),
            max: late.last().copied().unwrap_or_default(),
        }
    }
}

/// The outcome of [`measure_stall`].
#[derive(Debug)]
pub struct StallRun<T> {
    /// The results of the CPU work, in input order.
    pub results: Vec<Result<T, TaskError>>,
    /// How late the ticker was meanwhile.
    pub lateness: Lateness,
    /// Wall time of the CPU work.
    pub wall: Duration,
}

// ANCHOR: ticker
/// Wakes up every `period` until `stop` is set; returns how late each wake-up
/// was. On a healthy runtime that is well under a millisecond.
async fn ticker(period: Duration, stop: Arc<AtomicBool>) -> Vec<Duration> {
    let mut late = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let due = Instant::now() + period;
        tokio::time::sleep_until(due).await;
        late.push(Instant::now() - due);
    }
    late
}
// ANCHOR_END: ticker

// ANCHOR: measure_stall
/// Runs `f` on every input with the CPU work placed as `placement`, on a
/// runtime of `jobs` worker threads (and a rayon pool of `jobs` threads),
/// while a ticker task ticks every `period`.
pub fn measure_stall<I, T, F>(
    placement: Placement,
    jobs: usize,
    inputs: I,
    f: F,
    period: Duration,
) -> Result<StallRun<T>, BuildError>
where
    I: IntoIterator,
    I::Item: Send + 'static,
    F: Fn(I::Item) -> T + Send + Sync + 'static,
    T: Send + 'static,
{
    let runtime = Builder::new_multi_thread()
        .worker_threads(jobs.max(1))
        .enable_all()
        .build()?;
    let pool = rayon_pool(jobs)?;
    let f = Arc::new(f);
    Ok(runtime.block_on(async {
        let stop = Arc::new(AtomicBool::new(false));
        let ticks = tokio::spawn(ticker(period, Arc::clone(&stop)));
        let start = Instant::now();
        let results = match placement {
            Placement::InAsyncTasks => {
                gather(inputs.into_iter().map(|x| {
                    let f = Arc::clone(&f);
                    async move { f(x) } // CPU work on a runtime thread
                }))
                .await
            }
            Placement::RayonHandOff => {
                let tasks = inputs.into_iter().map(|x| {
                    let f = Arc::clone(&f);
                    hand_off(&pool, move || f(x)) // CPU work on rayon
                });
                let results = gather(tasks).await;
                results.into_iter().map(|r| r.and_then(|r| r)).collect()
            }
        };
        let wall = start.elapsed();
        stop.store(true, Ordering::Relaxed);
        let late = ticks.await.unwrap_or_default();
        StallRun {
            results,
            lateness: Lateness::of(late),
            wall,
        }
    }))
}
// ANCHOR_END: measure_stall
