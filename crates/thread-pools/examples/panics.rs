//! What happens when a task panics: the pool and `run_parallel_step` return an
//! error for that task, naming its index and message, and keep every other
//! result; rayon's plain `par_iter` re-raises the panic and loses them all.
//!
//! ```text
//! cargo run -p thread-pools --example panics
//! ```
//! Each panic also prints Rust's usual `thread '...' panicked at ...` line on
//! stderr (the default panic hook); stdout shows what the caller gets back.

use thread_pools::{Pool, rayon_all_or_nothing, run_parallel_step};

// ANCHOR: fragile
/// Squares its input, but panics on 3.
fn fragile(i: u64) -> u64 {
    if i == 3 {
        panic!("cannot handle input {i}");
    }
    i * i
}
// ANCHOR_END: fragile

fn main() -> anyhow::Result<()> {
    let inputs: Vec<u64> = (0..6).collect();

    // ANCHOR: pool_panics
    let pool = Pool::new(2)?;
    for result in pool.map(inputs.clone(), fragile) {
        match result {
            Ok(value) => println!("Pool.map: ok {value}"),
            Err(err) => println!("Pool.map: {err}"),
        }
    }
    // ANCHOR_END: pool_panics

    let results = run_parallel_step(|&i| fragile(i), &inputs, 2, false);
    let failed: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(ToString::to_string))
        .collect();
    println!(
        "run_parallel_step: {} ok, failed: {failed:?}",
        results.len() - failed.len()
    );

    // ANCHOR: rayon_panics
    match rayon_all_or_nothing(&inputs, |&i| fragile(i)) {
        Ok(values) => println!("rayon: {values:?}"),
        Err(message) => println!("rayon: the whole map failed: {message}"),
    }
    // ANCHOR_END: rayon_panics
    Ok(())
}
