//! Bounded concurrency and back-pressure: a lazy input of a million items, each
//! a task that waits 1 ms and then squares its input. Gathering them all at
//! once creates a million tasks and keeps every finished one until the gather
//! is done; a limit on tasks in flight keeps only `--limit` of them. The table
//! shows, for each way, the most tasks held at once (a task is held from the
//! moment its future is created until its result is consumed) and the peak
//! resident memory of the process (Linux `VmHWM`, reset before each way), and
//! checks every way's sum against serial.
//!
//! ```text
//! cargo run --release -p async-gather --example backpressure
//! cargo run --release -p async-gather --example backpressure -- --items 100000 --limit 100
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_gather::{for_each_bounded, gather};
use clap::Parser;
use futures::StreamExt;
use workloads::report::format_seconds;
use workloads::square;

#[derive(Parser)]
#[command(about = "Chapter 4: a limit on tasks in flight bounds memory")]
struct Args {
    /// Items of the lazy input (≥ 1).
    #[arg(long, default_value_t = 1_000_000,
          value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    items: u64,
    /// Most tasks in flight for the bounded ways (≥ 1).
    #[arg(long, default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    limit: u64,
    /// Runtime worker threads (≥ 1).
    #[arg(long, default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(1..=1024))]
    jobs: u64,
}

/// Counts the tasks held now and the most held at once.
#[derive(Default)]
struct LiveCount {
    now: AtomicUsize,
    peak: AtomicUsize,
}

/// One task's share of a [`LiveCount`]: made with its future, returned with
/// its result, and dropped when the result is consumed (or the task cancelled).
struct Alive(Arc<LiveCount>);

impl Alive {
    fn new(count: &Arc<LiveCount>) -> Self {
        let now = count.now.fetch_add(1, Ordering::Relaxed) + 1;
        count.peak.fetch_max(now, Ordering::Relaxed);
        Alive(Arc::clone(count))
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The lazy input: one future per item, created only when the iterator is
/// advanced.
fn tasks(
    items: u64,
    live: &Arc<LiveCount>,
) -> impl Iterator<Item = impl Future<Output = (u64, Alive)> + Send + 'static> + '_ {
    (0..items).map(move |i| {
        let alive = Alive::new(live);
        async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            (square(i), alive)
        }
    })
}

/// A line of `/proc/self/status` (Linux), in bytes.
fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resets the peak resident memory (`VmHWM`) to the current value (Linux).
fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

// ANCHOR: bounded
/// At most `limit` spawned tasks in flight, consuming results as they come.
async fn sum_bounded<F>(tasks: impl Iterator<Item = F>, limit: usize) -> u64
where
    F: Future<Output = (u64, Alive)> + Send + 'static,
{
    let mut sum = 0u64;
    for_each_bounded(tasks, limit, |_, result| {
        sum = sum.wrapping_add(result.expect("no task fails").0);
    })
    .await;
    sum
}
// ANCHOR_END: bounded

// ANCHOR: buffer_unordered
/// At most `limit` futures in flight, all polled by this one task.
async fn sum_buffered<F>(tasks: impl Iterator<Item = F>, limit: usize) -> u64
where
    F: Future<Output = (u64, Alive)>,
{
    futures::stream::iter(tasks)
        .buffer_unordered(limit)
        .fold(0u64, |sum, (x, _)| async move { sum.wrapping_add(x) })
        .await
}
// ANCHOR_END: buffer_unordered

/// Every task spawned at once, every result kept until the end.
async fn sum_all<F>(tasks: impl Iterator<Item = F>) -> u64
where
    F: Future<Output = (u64, Alive)> + Send + 'static,
{
    let results = gather(tasks).await;
    results.into_iter().fold(0u64, |sum, result| {
        sum.wrapping_add(result.expect("no task fails").0)
    })
}

fn main() -> anyhow::Result<ExitCode> {
    let args = Args::parse();
    let (items, limit) = (args.items, args.limit as usize);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.jobs as usize)
        .enable_all()
        .build()?;
    let expected = (0..items).fold(0u64, |sum, i| sum.wrapping_add(square(i)));

    println!("{items} items, each waiting 1 ms; limit {limit} in flight");
    println!(
        "{:<34}  {:>12}  {:>10}  {:>9}  result",
        "way", "peak tasks", "peak RSS", "wall time"
    );
    let mut all_verified = true;
    let ways = [
        "for_each_bounded (JoinSet)",
        "buffer_unordered (stream)",
        "gather all",
    ];
    for way in ways {
        let live = Arc::new(LiveCount::default());
        let reset = reset_peak_memory();
        let start = Instant::now();
        let sum = runtime.block_on(async {
            let tasks = tasks(items, &live);
            match way {
                "for_each_bounded (JoinSet)" => sum_bounded(tasks, limit).await,
                "buffer_unordered (stream)" => sum_buffered(tasks, limit).await,
                _ => sum_all(tasks).await,
            }
        });
        let wall = start.elapsed();
        let verified = sum == expected;
        all_verified &= verified;
        let peak_rss = match status_bytes("VmHWM:") {
            Some(bytes) if reset => format!("{:.0} MiB", bytes as f64 / 1048576.0),
            Some(bytes) => format!("≤{:.0} MiB", bytes as f64 / 1048576.0),
            None => "n/a".to_owned(),
        };
        println!(
            "{:<34}  {:>12}  {:>10}  {:>9}  {}",
            way,
            live.peak.load(Ordering::Relaxed),
            peak_rss,
            format_seconds(wall.as_secs_f64()),
            if verified { "= serial" } else { "MISMATCH" },
        );
    }
    Ok(if all_verified {
        ExitCode::SUCCESS
    } else {
        eprintln!("error: a sum differs from serial");
        ExitCode::FAILURE
    })
}
