//! A dask `delayed` graph as a `TaskGraph`: load a table once, clean its two
//! halves in parallel, combine them; then the same graph with a bad half,
//! where the failure reaches `combine` naming the task that failed, and a
//! task beside it still runs.
//!
//! The dask original this mirrors:
//!
//! ```text
//! @delayed
//! def load(n):        return [driver(i, 1.0, 2.0) for i in range(n)]
//! @delayed
//! def clean(rows, k): return [x for x in rows[k::2] if math.isfinite(x)]
//! @delayed
//! def combine(a, b):  return sum(a + b) / len(a + b)
//!
//! rows = load(100_000)
//! mean = combine(clean(rows, 0), clean(rows, 1))
//! mean.compute()
//! ```
//!
//! ```text
//! cargo run -p async-gather --example task_graph
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_gather::{LocalCluster, TaskGraph};
use workloads::driver;

const ROWS: u64 = 100_000;

/// `load`: one row per input, computed by the book's `driver` task.
fn load(n: u64) -> Vec<f64> {
    (0..n).map(|i| driver(i as f64, 1.0, 2.0)).collect()
}

/// `clean`: every second row from `offset`, finite values only.
fn clean(rows: &[f64], offset: usize) -> Vec<f64> {
    rows.iter()
        .skip(offset)
        .step_by(2)
        .copied()
        .filter(|x| x.is_finite())
        .collect()
}

/// `combine`: the mean of both halves.
fn combine(a: &[f64], b: &[f64]) -> f64 {
    (a.iter().sum::<f64>() + b.iter().sum::<f64>()) / (a.len() + b.len()) as f64
}

fn main() -> anyhow::Result<()> {
    let cluster = LocalCluster::new(2)?;
    let loads = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&loads);
    // ANCHOR: graph
    let graph = TaskGraph::new(&cluster);
    let rows = graph.task("load", (), move |()| {
        counter.fetch_add(1, Ordering::SeqCst);
        load(ROWS)
    });
    let even = graph.task("clean-even", &rows, |rows| clean(&rows, 0));
    let odd = graph.task("clean-odd", &rows, |rows| clean(&rows, 1));
    let mean = graph.task("combine", (&even, &odd), |(a, b)| combine(&a, &b));
    println!("mean of {ROWS} rows: {:.6}", graph.compute(&mean)?);
    // ANCHOR_END: graph
    println!(
        "`load` ran {} time(s) for its two dependants",
        loads.load(Ordering::SeqCst)
    );

    // ANCHOR: failure
    let bad = graph.try_task("clean-odd", &rows, |rows| {
        let row = rows.len() / 2;
        Err::<Vec<f64>, _>(format!("row {row} is not a number"))
    });
    let mean = graph.task("combine", (&even, &bad), |(a, b)| combine(&a, &b));
    let beside = graph.task("count", &rows, |rows| rows.len());
    match graph.compute(&mean) {
        Ok(mean) => println!("unexpected: {mean}"),
        Err(error) => println!("error: {error}"),
    }
    println!("count: {}", graph.compute(&beside)?);
    // ANCHOR_END: failure
    cluster.shutdown(std::time::Duration::from_secs(5))?;
    Ok(())
}
