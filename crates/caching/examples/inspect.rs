//! Looking after a cache: hit/miss statistics, the entries on disk,
//! `reduce_size` by item count, bytes and age, a lookup whose miss says
//! "evicted", and `clear` for one function or all of them.
//!
//! ```text
//! cargo run -p caching --example inspect
//! ```

use std::time::Duration;

use caching::{Limits, Lookup, Memory, cached};

cached! {
    /// A stand-in for an expensive simulation; `label` only names the run.
    fn simulate(seed: u64, steps: u32, #[ignore] label: &str) -> Vec<f64> {
        let _ = label;
        (0..steps).map(|k| workloads::driver((seed + u64::from(k)) as f64, 1.0, 2.0)).collect()
    }
}

fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let memory = Memory::new(dir.path())?;

    // ANCHOR: stats
    for seed in 0..8 {
        simulate::call(&memory, seed, 1000, "first"); // 8 misses
    }
    for seed in 0..8 {
        simulate::call(&memory, seed, 1000, "again"); // 8 hits: label ignored
    }
    let stats = memory.stats();
    println!(
        "stats: {} hits, {} misses ({} new arguments), hit ratio {:.0}%",
        stats.hits,
        stats.misses,
        stats.new_arguments,
        100.0 * stats.hit_ratio()
    );
    // ANCHOR_END: stats
    let (items, bytes) = memory.usage()?;
    println!("usage: {items} entries, {bytes} bytes");
    for entry in memory.entries()?.iter().take(3) {
        let name = entry.path.file_name().unwrap_or_default().to_string_lossy();
        println!("  {} {:.16}… {} bytes", entry.function, name, entry.bytes);
    }
    println!("  …");

    // ANCHOR: reduce
    let reduced = memory.reduce_size(Limits {
        max_items: Some(5),
        ..Limits::default()
    })?;
    println!(
        "reduce_size(max_items = 5): removed {}, kept {}",
        reduced.removed_items, reduced.kept_items
    );
    let reduced = memory.reduce_size(Limits {
        max_bytes: Some(3 * 8_100),
        ..Limits::default()
    })?;
    println!(
        "reduce_size(max_bytes = 24300): removed {}, kept {} ({} bytes)",
        reduced.removed_items, reduced.kept_items, reduced.kept_bytes
    );
    let reduced = memory.reduce_size(Limits {
        max_age: Some(Duration::from_secs(3600)),
        ..Limits::default()
    })?;
    println!(
        "reduce_size(max_age = 1 h): removed {} (all were used just now)",
        reduced.removed_items
    );
    // ANCHOR_END: reduce

    // The library never prints: a lookup *returns* why it missed (and a
    // `verbose` handle also logs it through the `log` facade).
    if let Lookup::Miss(reason) = simulate::lookup(&memory, 0, 1000, "evicted?") {
        println!("looking up an evicted entry: miss: {reason}");
    }

    // ANCHOR: clear
    let removed = simulate::handle(&memory).clear()?; // one function
    println!("simulate's clear(): removed {removed} entries");
    simulate::call(&memory, 42, 10, "one more");
    memory.clear()?; // every function
    println!("clear(): usage now {:?} (entries, bytes)", memory.usage()?);
    // ANCHOR_END: clear
    Ok(())
}
