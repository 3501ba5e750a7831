//! joblib's `Parallel(n_jobs=2, verbose=10)`: `run_parallel_step` with
//! `verbose = true` draws a progress bar on stderr that counts *completed*
//! tasks and estimates the time left.
//!
//! ```text
//! cargo run -p thread-pools --example progress
//! cargo run -p thread-pools --example progress 2>progress.log # plain lines
//! ```
//! The bar is drawn only when stderr is a terminal; redirected to a file (a
//! log, a batch job) it becomes a plain line every few seconds and one at
//! the end, without escape codes. The results on stdout are the same.

use thread_pools::run_parallel_step;
use workloads::sleepy;

fn main() {
    // ANCHOR: progress
    let parameters: Vec<u64> = (0..20).collect();
    let pause = 0.15; // a "keyword argument": captured by the closure
    let step = |&i: &u64| sleepy(pause * (1 + i % 3) as f64) + i as f64;
    let results = run_parallel_step(step, &parameters, 2, true);
    // ANCHOR_END: progress
    let ok = results.iter().filter(|r| r.is_ok()).count();
    println!("{ok} of {} steps succeeded", results.len());
    let total: f64 = results.into_iter().map(|r| r.unwrap_or(0.0)).sum();
    println!("sum of results: {total:.2}");
}
