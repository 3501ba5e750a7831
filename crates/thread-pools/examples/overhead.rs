//! What the `Pool` conveniences cost, paired (each pair runs both sides back
//! to back, so a busy machine slows both): progress off against on, for the
//! chunked `Pool.map` (one count per chunk) and for the worst case, one count
//! per task on rayon; and eager `map` against lazy `imap`, on `driver` (4^10
//! tasks). A ratio of 1.00 means no cost; 0.95 means 5 % slower. Counting
//! tiny tasks one by one on a shared counter is what `Tracker::batch`
//! avoids (it is what `run_parallel_step` uses).
//!
//! `cargo run --release -p thread-pools --example overhead`

use std::time::Duration;

use thread_pools::{Pool, default_chunk, rayon_map_min_len, rayon_pool};
use workloads::measure::{Budget, paired};
use workloads::progress::Progress;
use workloads::{DRIVER_DEN, DRIVER_NUM, driver};

const TASKS: u64 = 1 << 20; // 4^10

fn task(i: u64) -> f64 {
    driver(i as f64, DRIVER_NUM, DRIVER_DEN)
}

fn main() -> anyhow::Result<()> {
    let jobs = 2;
    // Lines into a sink: the counting a log gets, without the printing.
    let lines =
        || Progress::lines_to("overhead", Duration::from_secs(1), std::io::sink());
    let quiet = Pool::new(jobs)?;
    let reporting = Pool::builder().jobs(jobs).progress(lines()).build()?;
    let sum = |results: Vec<Result<f64, thread_pools::TaskError>>| {
        results.into_iter().map(Result::unwrap).sum::<f64>()
    };
    let map = |pool: &Pool| sum(pool.map(0..TASKS, task));
    let (progress, a, b) =
        paired(Budget::bench(), || map(&quiet), || map(&reporting));
    anyhow::ensure!(a == b, "progress changed the results");

    let rayon = rayon_pool(jobs)?;
    let inputs: Vec<u64> = (0..TASKS).collect();
    let chunk = default_chunk(inputs.len(), jobs);
    let plain = || rayon_map_min_len(&rayon, &inputs, chunk, |&i| task(i));
    let counted = || {
        let tracker = lines().start(Some(TASKS));
        rayon_map_min_len(&rayon, &inputs, chunk, |&i| {
            let y = task(i);
            tracker.add(1, 0);
            y
        })
    };
    let (per_task, a, b) = paired(Budget::bench(), plain, counted);
    anyhow::ensure!(a == b, "progress changed the results");
    let batched = || {
        let tracker = lines().start(Some(TASKS));
        rayon.install(|| {
            use rayon::prelude::*;
            inputs
                .par_iter()
                .with_min_len(chunk)
                .map_init(
                    || tracker.batch(),
                    |batch, &i| {
                        let y = task(i);
                        batch.record(&Ok::<(), ()>(()));
                        y
                    },
                )
                .collect::<Vec<f64>>()
        })
    };
    let (per_batch, a, b) = paired(Budget::bench(), plain, batched);
    anyhow::ensure!(a == b, "progress changed the results");

    let imap =
        |pool: &Pool| pool.imap(0..TASKS, task).map(Result::unwrap).sum::<f64>();
    let chunked = Pool::builder().jobs(jobs).chunksize(chunk).build()?;
    let (lazy, a, b) = paired(Budget::bench(), || map(&quiet), || imap(&chunked));
    anyhow::ensure!(a == b, "imap changed the results");

    println!("driver, 4^10 tasks, {jobs} threads (speed ratio, paired):");
    let show = |what: &str, p: &workloads::measure::Paired| {
        println!(
            "  {what:<44} {}  ({:.2} ms vs {:.2} ms)",
            p.display(None),
            p.strategy_seconds * 1e3,
            p.baseline_seconds * 1e3
        );
    };
    show("Pool.map, progress on / off (chunked)", &progress);
    show(
        "rayon with_min_len, a shared count per task / none",
        &per_task,
    );
    show(
        "rayon with_min_len, Tracker::batch per task / none",
        &per_batch,
    );
    show(&format!("lazy imap (chunksize {chunk}) / map"), &lazy);
    Ok(())
}
