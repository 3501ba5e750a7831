//! Shows that tasks run on different workers and finish out of order, and that
//! putting the results back in input order is the pool's job — what the Python
//! originals showed with `os.getpid()`.
//!
//! ```text
//! cargo run -p thread-pools --example workers
//! cargo run -p thread-pools --example workers -- 3    # three workers
//! ```
//! Task `i` sleeps a different time for each `i`, so later tasks often finish
//! before earlier ones. Thread ids and the completion order change from run to
//! run.

use std::time::Duration;

use thread_pools::{Pool, channel_completed};
use workloads::cli::example_arg;

const USAGE: &str = "usage: cargo run -p thread-pools --example workers [-- JOBS]";

// ANCHOR: uneven_task
/// Sleeps 10–50 ms, unevenly across tasks, and returns `i * i`.
fn uneven_task(i: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(10 * ((i * 7) % 5 + 1)));
    i * i
}
// ANCHOR_END: uneven_task

fn main() -> anyhow::Result<()> {
    let jobs: usize = example_arg(2, USAGE, |&jobs| match jobs {
        0 => Err("a pool needs at least one worker".into()),
        _ => Ok(()),
    });
    let inputs: Vec<u64> = (0..8).collect();

    println!("crossbeam pool, {jobs} workers, in completion order:");
    println!(
        "{:>5}  {:>4}  {:>6}  {:<14}  {:>6}",
        "order", "task", "worker", "thread", "result"
    );
    let done = channel_completed(&inputs, jobs, |&i| uneven_task(i));
    for (order, d) in done.iter().enumerate() {
        let thread = format!("{:?}", d.thread);
        println!(
            "{order:>5}  {:>4}  {:>6}  {thread:<14}  {:>6}",
            d.index, d.worker, d.value
        );
    }

    let pool = Pool::new(jobs)?;
    let order: Vec<usize> = pool
        .imap_unordered(inputs.clone(), uneven_task)
        .map(|(index, _)| index)
        .collect();
    println!("\nPool.imap_unordered yields tasks as they finish: {order:?}");

    let results: Vec<u64> = pool
        .map(inputs, uneven_task)
        .into_iter()
        .collect::<Result<_, _>>()?;
    println!("Pool.map puts them back in input order:          {results:?}");
    Ok(())
}
