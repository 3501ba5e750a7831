//! Which process ran which task, and in which order they finished.
//!
//! `cargo run -p process-pools --example pids`
//!
//! First the by-hand mechanism (results in input order, each with the pid of
//! the worker that computed it), then the robust pool's unordered stream, where
//! short tasks overtake long ones. PIDs and completion order change from run
//! to run.

use std::time::Instant;

use anyhow::Context;
use process_pools::demo::WhoAmI;
use process_pools::{ProcessPool, by_hand};

fn main() -> anyhow::Result<()> {
    process_pools::demo::worker_main_if_requested();
    println!("parent pid {}", std::process::id());

    // Task i sleeps a different time: 250, 50, 150, 50, 250, 50, … ms.
    let inputs: Vec<(u64, u64)> = (0..8)
        .map(|i| (i, [250, 50, 150, 50][i as usize % 4]))
        .collect();

    let exe = std::env::current_exe()?;
    let done = by_hand::map::<WhoAmI>(&exe, &inputs, 2).context("by hand")?;
    println!("\nby hand, results in input order:");
    for d in &done {
        println!("  task {} ran in pid {}", d.output.0, d.pid);
    }

    let pool = ProcessPool::builder().workers(2).build()?;
    println!(
        "\nProcessPool workers {:?}, results as they finish:",
        pool.worker_pids()
    );
    let start = Instant::now();
    for (task, result) in pool.imap_unordered::<WhoAmI>(inputs) {
        let (_, pid) = result?;
        let ms = start.elapsed().as_millis();
        println!(
            "  {ms:>4} ms  task {task} (slept {} ms) in pid {pid}",
            [250, 50, 150, 50][task % 4]
        );
    }
    Ok(())
}
