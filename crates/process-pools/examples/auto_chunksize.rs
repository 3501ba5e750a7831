//! Automatic batch sizes (`PoolBuilder::auto_chunksize`, joblib's
//! `batch_size="auto"`): the same `map` of tiny tasks and of long ones, with
//! one task per message, with Python's default chunks, and with automatic
//! batches; for each, the messages the pool sent and the most tasks in one
//! (`ProcessPool::stats`), and the wall time (sample output: it depends on
//! the machine and its load).
//!
//! `cargo run --release -p process-pools --example auto_chunksize`

use std::time::Instant;

use process_pools::demo::{Behaviour, Misbehave, Square};
use process_pools::{PoolBuilder, ProcessPool};

fn main() -> anyhow::Result<()> {
    process_pools::demo::worker_main_if_requested();
    let workers = 2;
    let n = 100_000u64;
    let python = (n as usize).div_ceil(4 * workers);
    let settings: [(&str, PoolBuilder); 3] = [
        ("chunksize 1", ProcessPool::builder().chunksize(1)),
        (
            "chunksize n/(4 workers)",
            ProcessPool::builder().chunksize(python),
        ),
        ("auto", ProcessPool::builder().auto_chunksize()),
    ];
    println!("{n} tiny tasks (square) on {workers} workers:");
    for (name, builder) in settings {
        let pool = builder.workers(workers).build()?;
        let start = Instant::now();
        let squares = pool.map::<Square>(0..n);
        let wall = start.elapsed();
        assert!(squares.iter().zip(0..n).all(|(s, x)| *s == Ok(x * x)));
        let stats = pool.stats();
        println!(
            "  {name:<24} {:>7} messages, largest {:>6} tasks, {wall:>10.1?}",
            stats.chunks, stats.largest_chunk
        );
    }
    let pool = ProcessPool::builder()
        .workers(workers)
        .auto_chunksize()
        .build()?;
    let long = (0..8).map(|_| Behaviour::Sleep(300));
    let start = Instant::now();
    let slept = pool.map::<Misbehave>(long);
    assert!(slept.iter().all(|r| *r == Ok(0)));
    let stats = pool.stats();
    println!(
        "8 tasks of 300 ms, auto: {} messages, largest {} task, {:.1?}",
        stats.chunks,
        stats.largest_chunk,
        start.elapsed()
    );
    Ok(())
}
