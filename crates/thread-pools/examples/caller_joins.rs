//! Who waits while the pool works: `square_par` over 10^6 elements on two
//! threads, paired against the serial loop, on an ordinary rayon pool and on
//! one that the calling thread joins.
//!
//! `cargo run --release -p thread-pools --example caller_joins`
//!
//! An ordinary pool has threads of its own: `install` hands the work to them,
//! and the caller sleeps until they are done. Between calls, while the caller
//! runs the serial loop, they fall asleep too, so each call pays for waking
//! them and for being woken. OpenMP, which numba's `prange` runs on, works
//! the other way: the calling thread is one of the workers, and the idle ones
//! spin for a while before they sleep. `ThreadPoolBuilder::use_current_thread`
//! makes the caller rayon's worker 0 in the same way. Its cost: the pool is
//! tied to the thread that built it, and rayon leaks its registry.
//!
//! Every run checks that both pools give the serial loop's results.

use std::time::Duration;

use workloads::jobs::{rayon_builder, rayon_pool};
use workloads::measure::{Budget, Paired, paired, parallel_capacity};
use workloads::{square, square_par};

const JOBS: usize = 2;
const ELEMENTS: u64 = 1_000_000;

fn main() -> anyhow::Result<()> {
    let capacity = parallel_capacity(JOBS, Duration::from_millis(60));
    println!(
        "square_par, {ELEMENTS} elements, {JOBS} threads; parallel capacity \
         {capacity:.2}× of {JOBS} cores"
    );
    let xs: Vec<u64> = (0..ELEMENTS).map(|i| i * 7_919).collect();
    let serial = || xs.iter().map(|&x| square(x)).collect::<Vec<u64>>();

    let ordinary = rayon_pool(JOBS)?;
    let joined = rayon_builder(JOBS)?.use_current_thread().build()?;
    let budget = Budget {
        warm_up: 20,
        min_pairs: 201,
        max_pairs: 2001,
        time: Duration::from_secs(4),
    };
    for (name, pool) in [("ordinary pool", &ordinary), ("caller joins", &joined)] {
        let (speedup, want, got) = paired(budget, serial, || square_par(pool, &xs));
        anyhow::ensure!(got == want, "{name}: results differ from the serial loop");
        print_row(name, &speedup, capacity);
    }
    Ok(())
}

fn print_row(name: &str, speedup: &Paired, capacity: f64) {
    println!(
        "  {name:14} {:>7.0} µs against {:>4.0} µs serial: {}, {} pairs",
        speedup.strategy_seconds * 1e6,
        speedup.baseline_seconds * 1e6,
        speedup.display(Some(capacity)),
        speedup.pairs
    );
}
