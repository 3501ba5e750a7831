//! What the conveniences cost, paired (each pair runs both sides back to
//! back, so a busy machine slows both): progress off against on (next to
//! an A/A pair of two pools without it: the noise floor), and eager
//! `map` against lazy `imap` (default window, and 32 chunks in flight), on
//! `driver` (4^10 tasks, chunks of 64, 2 workers). A ratio of 1.00 means
//! no cost; 0.95 means 5 % slower.
//!
//! `cargo run --release -p process-pools --example conveniences_cost`

use std::time::Duration;

use process_pools::ProcessPool;
use process_pools::demo::Driver;
use workloads::measure::{Budget, paired};
use workloads::progress::Progress;

/// A deeper window than the default (2 chunks per worker).
const DEEP: usize = 32;

fn main() -> anyhow::Result<()> {
    process_pools::demo::worker_main_if_requested();
    let inputs: Vec<(f64, f64, f64)> =
        (0..4u64.pow(10)).map(|i| (i as f64, 1.0, 2.0)).collect();
    let builder = ProcessPool::builder().workers(2).chunksize(64);
    let quiet = builder.clone().build()?;
    let sink =
        Progress::lines_to("overhead", Duration::from_secs(1), std::io::sink());
    let reporting = builder.progress(sink).build()?;
    let map = |pool: &ProcessPool| {
        let results = pool.map::<Driver>(inputs.iter().copied());
        results.into_iter().map(Result::unwrap).sum::<f64>()
    };
    let (progress, a, b) =
        paired(Budget::bench(), || map(&quiet), || map(&reporting));
    anyhow::ensure!(a == b, "progress changed the results");
    // The noise floor: two pools alike, neither reporting (an A/A pair).
    let twin = ProcessPool::builder().workers(2).chunksize(64).build()?;
    let (floor, _, _) = paired(Budget::bench(), || map(&quiet), || map(&twin));
    let imap = |pool: &ProcessPool| {
        let lazy = pool.imap::<Driver, _>(inputs.iter().copied());
        lazy.map(Result::unwrap).sum::<f64>()
    };
    let (lazy, a, b) = paired(Budget::bench(), || map(&quiet), || imap(&quiet));
    anyhow::ensure!(a == b, "imap changed the results");
    let deep = ProcessPool::builder()
        .workers(2)
        .chunksize(64)
        .max_in_flight(DEEP)
        .build()?;
    let (deeper, a, b) = paired(Budget::bench(), || map(&quiet), || imap(&deep));
    anyhow::ensure!(a == b, "imap changed the results");
    println!("driver, 4^10 tasks, 2 workers, chunksize 64 (speed ratio, paired):");
    println!(
        "  A/A, two quiet pools : {}  ({:.1} ms vs {:.1} ms)",
        floor.display(None),
        floor.strategy_seconds * 1e3,
        floor.baseline_seconds * 1e3
    );
    println!(
        "  progress on / off : {}  ({:.1} ms vs {:.1} ms)",
        progress.display(None),
        progress.strategy_seconds * 1e3,
        progress.baseline_seconds * 1e3
    );
    println!(
        "  lazy imap / map   : {}  ({:.1} ms vs {:.1} ms)",
        lazy.display(None),
        lazy.strategy_seconds * 1e3,
        lazy.baseline_seconds * 1e3
    );
    println!(
        "  imap ({DEEP} in flight) / map : {}  ({:.1} ms vs {:.1} ms)",
        deeper.display(None),
        deeper.strategy_seconds * 1e3,
        deeper.baseline_seconds * 1e3
    );
    Ok(())
}
