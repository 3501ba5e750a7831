//! Oversubscription, and what `PoolBuilder::inner_threads` does about it.
//! Each worker runs a task that uses rayon's global pool (as a task calling
//! a BLAS or OpenMP routine would use theirs) and reports what it was told:
//! without a cap, every worker starts one thread per core, so the workers
//! together run `workers × cores` threads on `cores` cores; with the
//! default (`InnerThreads::Auto`) they run about `cores`. The thread counts
//! are what the workers report; no timing here.
//!
//! `cargo run -p process-pools --example oversubscription`
//! (`OMP_NUM_THREADS=3 cargo run …` shows a value you set winning.)

use process_pools::demo::ThreadsSeen;
use process_pools::{InnerThreads, ProcessPool};

fn main() -> anyhow::Result<()> {
    process_pools::demo::worker_main_if_requested();
    let cores = sweep_core::jobs::default_jobs();
    let workers = cores.max(2);
    println!("{cores} cores, {workers} worker processes\n");
    for (label, setting) in [
        ("inner_threads(Inherit)", InnerThreads::Inherit),
        ("inner_threads(Auto), the default", InnerThreads::Auto),
    ] {
        let pool = ProcessPool::builder()
            .workers(workers)
            .inner_threads(setting)
            .build()?;
        let seen = pool.map::<ThreadsSeen>(vec![(); workers]);
        let (vars, rayon_threads) = seen.into_iter().next().expect("a task")?;
        let omp = vars
            .iter()
            .find(|(var, _)| var == "OMP_NUM_THREADS")
            .and_then(|(_, value)| value.clone())
            .unwrap_or_else(|| "(unset)".into());
        println!("{label}:");
        println!(
            "  a worker sees OMP_NUM_THREADS={omp}, rayon threads={rayon_threads}"
        );
        println!(
            "  {workers} workers x {rayon_threads} threads = {} threads on {cores} cores\n",
            workers * rayon_threads
        );
    }
    Ok(())
}
