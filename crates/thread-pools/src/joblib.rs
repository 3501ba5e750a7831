//! joblib's `Parallel(n_jobs, verbose)(delayed(step)(p, **kwargs) for p in
//! parameters)`, as one function.

use rayon::prelude::*;
use sweep_core::progress::{Progress, Tracker};

use crate::rayon_ways::rayon_pool;
use crate::task_error::{TaskError, run_task};

// ANCHOR: run_parallel_step
/// Runs `step(p)` for every parameter on `jobs` threads and returns one
/// result per parameter, in order; a panicking step becomes a [`TaskError`]
/// and the other steps carry on.
///
/// joblib's keyword arguments become captures of the `step` closure:
/// `delayed(step)(p, trials=1000)` is
/// `run_parallel_step(|p| step(p, trials), &parameters, jobs, verbose)`.
/// Parameters are borrowed, so nothing needs to be `'static` or cloned.
///
/// With `verbose`, progress on stderr counts *completed* steps and failures
/// and shows an ETA: a bar on a terminal, a plain line every few seconds in
/// a log or batch job (see [`sweep_core::progress`]).
///
/// # Panics
/// If `jobs` is 0, or if the operating system refuses to start the threads.
pub fn run_parallel_step<P, R, F>(
    step: F,
    parameters: &[P],
    jobs: usize,
    verbose: bool,
) -> Vec<Result<R, TaskError>>
where
    P: Sync,
    R: Send,
    F: Fn(&P) -> R + Sync + Send,
{
    assert!(jobs > 0, "run_parallel_step needs at least one job");
    let pool = rayon_pool(jobs).unwrap_or_else(|e| panic!("run_parallel_step: {e}"));
    let progress = progress(parameters.len() as u64, jobs, verbose);
    let results = pool.install(|| {
        parameters
            .par_iter()
            .enumerate()
            // A batch per piece of work: threads do not share one counter
            // for every step.
            .map_init(
                || progress.batch(),
                |batch, (index, parameter)| {
                    let result = run_task(index, || step(parameter));
                    batch.record(&result); // after the step: completed work
                    result
                },
            )
            .collect()
    });
    progress.finish();
    results
}
// ANCHOR_END: run_parallel_step

// ANCHOR: progress_bar
/// The progress of `len` steps when `verbose`: joblib's `verbose`. On a
/// terminal an indicatif bar (`[Parallel(n_jobs=2)] [=====>    ] 9/20 done,
/// 00:00:01, ETA 1s`); elsewhere a line every few seconds, so a log file or
/// a Slurm job shows it too. Off, it costs one branch per step.
fn progress(len: u64, jobs: usize, verbose: bool) -> Tracker {
    Progress::auto_if(verbose, format!("Parallel(n_jobs={jobs})")).start(Some(len))
}
// ANCHOR_END: progress_bar
