//! The `LocalCluster` + `Client` workflow of the dask original, in Rust: start
//! a cluster, `submit` and `map` CPU tasks, run waiting tasks, `gather` the
//! results (a panicking task is one error, not a lost gather), and close the
//! cluster, explicitly with a timeout or, at the latest, by dropping it.
//!
//! ```text
//! cargo run --release -p async-gather --example cluster -- --jobs 2
//! ```

use std::time::{Duration, Instant};

use async_gather::LocalCluster;
use clap::Parser;
use workloads::pi_mc;

#[derive(Parser)]
#[command(about = "Chapter 4: the LocalCluster workflow")]
struct Args {
    /// Runtime threads and CPU threads of the cluster (≥ 1).
    #[arg(long, default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(1..=64))]
    jobs: u64,
    /// Random points per π task (≥ 1).
    #[arg(long, default_value_t = 2_000_000,
          value_parser = clap::value_parser!(u64).range(1..))]
    trials: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let trials = args.trials;
    // ANCHOR: workflow
    let cluster = LocalCluster::new(args.jobs as usize)?;
    let threads = cluster.threads();
    println!("cluster started: {} live threads", threads.get());

    // client.submit: one CPU task on the cluster's rayon pool.
    let one = cluster.submit(move || pi_mc(0, trials));
    // client.map: one CPU task per input.
    let many = cluster.map(move |seed| pi_mc(seed, trials), 1..8u64);
    // Waiting work runs on the runtime and needs no CPU thread of its own.
    let waits: Vec<_> = (1..=3u64)
        .map(|i| {
            cluster.spawn(async move {
                tokio::time::sleep(Duration::from_millis(100 * i)).await;
                i
            })
        })
        .collect();
    // A task that panics is an error in its own slot, nothing more.
    let broken = cluster.submit(|| -> f64 { panic!("bad parameters") });

    // client.gather: block until done, results in submission order.
    let start = Instant::now();
    let [one] = <[_; 1]>::try_from(cluster.gather(vec![one])).unwrap();
    let many = cluster.gather(many);
    let waits = cluster.gather(waits);
    let broken = cluster.gather(vec![broken]);
    println!("gathered in {:.1?}", start.elapsed());
    println!("submit  -> {one:?}");
    println!("map     -> {many:?}");
    println!("waits   -> {waits:?}");
    println!("broken  -> {broken:?}");

    // client.close(): cancels what is left, waits for running CPU work.
    cluster.shutdown(Duration::from_secs(5))?;
    println!("cluster closed: {} live threads", threads.get());
    // ANCHOR_END: workflow

    {
        let forgotten = LocalCluster::new(1)?;
        let threads = forgotten.threads();
        let _never_gathered = forgotten.submit(move || pi_mc(9, trials));
        println!("second cluster: {} live threads", threads.get());
        // No close() here: leaving the scope drops the cluster, which closes it.
        drop(forgotten);
        println!("second cluster dropped: {} live threads", threads.get());
    }
    Ok(())
}
