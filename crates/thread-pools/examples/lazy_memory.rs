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

use thread_pools::{Pool, TaskError};
use workloads::cli::example_arg;
use workloads::measure::print_lazy_vs_eager;

const USAGE: &str =
    "usage: cargo run --release -p thread-pools --example lazy_memory [-- TASKS]";
use workloads::square;

fn main() -> anyhow::Result<()> {
    let tasks: u64 = example_arg(10_000_000, USAGE, |_| Ok(()));
    let pool = Pool::builder().jobs(2).chunksize(1000).build()?;
    let sum = |acc: u64, x: &u64| acc.wrapping_add(*x);
    print_lazy_vs_eager(
        tasks,
        "2 threads, chunksize 1000",
        || {
            pool.imap(0..tasks, square)
                .try_fold(0, |acc, r| r.map(|x| sum(acc, &x)))
        },
        || {
            pool.map(0..tasks, square).iter().try_fold(0, |acc, r| {
                r.as_ref().map(|x| sum(acc, x)).map_err(Clone::clone)
            })
        },
        std::mem::size_of::<Result<u64, TaskError>>(),
    )?;
    Ok(())
}
