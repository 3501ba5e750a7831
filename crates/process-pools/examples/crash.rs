//! One task aborts, one is killed with SIGKILL, one hangs past the timeout,
//! one panics: the pool reports which failed and why, the other tasks finish,
//! and nothing hangs.
//!
//! `cargo run -p process-pools --example crash`

use std::time::{Duration, Instant};

use process_pools::ProcessPool;
use process_pools::demo::{Behaviour, Misbehave};

// ANCHOR: crash_demo
fn main() -> anyhow::Result<()> {
    process_pools::demo::worker_main_if_requested();
    let pool = ProcessPool::builder()
        .workers(2)
        .timeout(Duration::from_secs(1))
        .build()?;
    println!("workers: {:?}", pool.worker_pids());

    let mut tasks: Vec<Behaviour> = (0..10).map(Behaviour::Return).collect();
    tasks[2] = Behaviour::Abort;
    tasks[5] = Behaviour::Kill;
    tasks[7] = Behaviour::Sleep(3_600_000); // an hour: past the timeout
    tasks[8] = Behaviour::Panic("index out of range".into());

    let start = Instant::now();
    let results = pool.map::<Misbehave>(tasks);
    println!("{} results in {:.2?}:", results.len(), start.elapsed());
    for (i, result) in results.iter().enumerate() {
        match result {
            Ok(value) => println!("  task {i}: ok, {value}"),
            Err(error) => println!("  task {i}: FAILED: {error}"),
        }
    }
    println!("workers now: {:?}", pool.worker_pids());
    Ok(())
}
// ANCHOR_END: crash_demo
