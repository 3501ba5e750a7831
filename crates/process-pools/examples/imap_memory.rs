//! Peak memory of a lazy `imap` against an eager `map`, over 10^7 tasks.
//!
//! `cargo run --release -p process-pools --example imap_memory [-- TASKS]`
//!
//! Both sum `square(i)` for `i` in `0..TASKS` on 2 workers, chunksize 1000.
//! `imap` pulls inputs from the range as results are taken (at most
//! `max_in_flight` chunks ahead); `map` encodes every input first and keeps
//! one `Result` per task. The peak resident memory of this process
//! (`VmHWM` in `/proc/self/status`, reset between the two runs through
//! `/proc/self/clear_refs`) tells what each holds at once. Figures depend on
//! the machine; the ratio is what matters.

use process_pools::demo::Square;
use process_pools::{ProcessPool, TaskError};
use workloads::cli::example_arg;
use workloads::measure::print_lazy_vs_eager;

const USAGE: &str =
    "usage: cargo run --release -p process-pools --example imap_memory [-- TASKS]";

fn main() -> anyhow::Result<()> {
    process_pools::demo::worker_main_if_requested();
    let tasks: u64 = example_arg(10_000_000, USAGE, |_| Ok(()));
    let pool = ProcessPool::builder().workers(2).chunksize(1000).build()?;
    let sum = |acc: u64, x: &u64| acc.wrapping_add(*x);
    print_lazy_vs_eager(
        tasks,
        "2 workers, chunksize 1000",
        || {
            pool.imap::<Square, _>(0..tasks)
                .try_fold(0, |acc, r| r.map(|x| sum(acc, &x)))
        },
        || {
            pool.map::<Square>(0..tasks).iter().try_fold(0, |acc, r| {
                r.as_ref().map(|x| sum(acc, x)).map_err(Clone::clone)
            })
        },
        std::mem::size_of::<Result<u64, TaskError>>(),
    )?;
    Ok(())
}
