//! A worker process sees only what it is sent: a global changed in the parent
//! is not seen by the workers (the R `clusterExport` lesson).
//!
//! `cargo run -p process-pools --example isolation`

use std::sync::atomic::Ordering;

use process_pools::demo::{ReadSetting, SETTING, ScaleBy};
use process_pools::{ProcessPool, Task};

// ANCHOR: isolation_demo
fn main() -> anyhow::Result<()> {
    process_pools::demo::worker_main_if_requested();
    let pool = ProcessPool::builder().workers(2).build()?;

    SETTING.store(10, Ordering::Relaxed); // the parent changes its global
    let inputs = [1, 2, 3];

    let in_this_process: Vec<u64> =
        inputs.iter().map(|&x| ReadSetting::run(x)).collect();
    let in_a_thread = std::thread::spawn(move || inputs.map(ReadSetting::run))
        .join()
        .expect("thread");
    let in_workers: Vec<u64> = pool
        .map::<ReadSetting>(inputs)
        .into_iter()
        .collect::<Result<_, _>>()?;
    println!("x * SETTING in this process: {in_this_process:?}");
    println!(
        "x * SETTING in a thread:     {in_a_thread:?}   (threads share memory)"
    );
    println!(
        "x * SETTING in the workers:  {in_workers:?}   (their own SETTING is still 1)"
    );

    // The fix: send what the task needs along with it.
    let factor = SETTING.load(Ordering::Relaxed);
    let fixed: Vec<u64> = pool
        .map::<ScaleBy>(inputs.map(|x| (factor, x)))
        .into_iter()
        .collect::<Result<_, _>>()?;
    println!("x * factor, factor sent:     {fixed:?}");
    Ok(())
}
// ANCHOR_END: isolation_demo
