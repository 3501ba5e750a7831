//! Peak memory of the thread `Pool`'s lazy `imap` against its eager `map`,
//! over 10^7 tasks.
//!
//! `cargo run --release -p thread-pools --example lazy_memory [-- TASKS]`
//!
//! Both sum `square(i)` for `i` in `0..TASKS` on 2 threads, chunksize 1000.
//! `imap` pulls inputs from the range as results are taken (at most
//! `max_in_flight` tasks ahead, two chunks per worker by default); `map`
//! collects every input first and keeps one `Result` per task. The peak
//! resident memory of this process (`VmHWM` in `/proc/self/status`, reset
//! between the two runs through `/proc/self/clear_refs`) tells what each
//! holds at once. Figures depend on the machine; the ratio is what matters.

use std::time::Instant;

use anyhow::Context;
use thread_pools::{Pool, TaskError};
use workloads::measure::{peak_rss_mib, reset_peak_rss};
use workloads::square;

fn main() -> anyhow::Result<()> {
    let tasks: u64 = match std::env::args().nth(1) {
        Some(text) => text.parse().context("TASKS must be a whole number")?,
        None => 10_000_000,
    };
    let pool = Pool::builder().jobs(2).chunksize(1000).build()?;
    let expected = (0..tasks).fold(0u64, |sum, i| sum.wrapping_add(square(i)));
    println!("{tasks} tasks of square, 2 threads, chunksize 1000");
    println!("at start: peak {:.1} MiB", peak_rss_mib()?);
    println!("{:<28} {:>9} {:>15}", "", "time (s)", "peak RSS (MiB)");

    let resettable = reset_peak_rss();
    let start = Instant::now();
    let sum = pool
        .imap(0..tasks, square)
        .try_fold(0u64, |sum, r| r.map(|x| sum.wrapping_add(x)))?;
    report("lazy imap (sum as it goes)", start, sum == expected)?;

    let resettable = resettable && reset_peak_rss();
    let start = Instant::now();
    let results: Vec<Result<u64, TaskError>> = pool.map(0..tasks, square);
    let sum = results
        .iter()
        .try_fold(0u64, |sum, r| r.as_ref().map(|x| sum.wrapping_add(*x)))
        .map_err(Clone::clone)?;
    report("eager map", start, sum == expected)?;
    if !resettable {
        println!("(the peak could not be reset: the second figure is the larger)");
    }
    println!(
        "each eager result is a Result<u64, TaskError> of {} bytes",
        std::mem::size_of::<Result<u64, TaskError>>()
    );
    Ok(())
}

fn report(what: &str, start: Instant, right: bool) -> anyhow::Result<()> {
    anyhow::ensure!(right, "{what}: wrong sum");
    let seconds = start.elapsed().as_secs_f64();
    println!("{what:<28} {seconds:>9.2} {:>15.1}", peak_rss_mib()?);
    Ok(())
}
