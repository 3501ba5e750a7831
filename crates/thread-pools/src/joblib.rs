//! joblib's `Parallel(n_jobs, verbose)(delayed(step)(p, **kwargs) for p in
//! parameters)`, as one function.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::{TaskError, rayon_pool, run_task};

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
/// With `verbose`, a progress bar on stderr counts *completed* steps and
/// shows an ETA — only when stderr is a terminal, so logs and pipes stay
/// clean.
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
    let bar = verbose
        .then(|| progress_bar(parameters.len() as u64, jobs))
        .flatten();
    let results = pool.install(|| {
        parameters
            .par_iter()
            .enumerate()
            .map(|(index, parameter)| {
                let result = run_task(index, || step(parameter));
                if let Some(bar) = &bar {
                    bar.inc(1); // after the step: counts completed work
                }
                result
            })
            .collect()
    });
    if let Some(bar) = bar {
        bar.finish();
    }
    results
}
// ANCHOR_END: run_parallel_step

// ANCHOR: progress_bar
/// A progress bar for `len` steps on stderr, or `None` when stderr is not a
/// terminal (indicatif's stderr target is hidden then, and a hidden bar would
/// only cost time).
fn progress_bar(len: u64, jobs: usize) -> Option<ProgressBar> {
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if bar.is_hidden() {
        return None;
    }
    let style = ProgressStyle::with_template(
        "{prefix} [{bar:30}] {pos}/{len} done, {elapsed} elapsed, ETA {eta}",
    )
    .expect("the template is valid")
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(format!("Parallel(n_jobs={jobs})"));
    Some(bar)
}
// ANCHOR_END: progress_bar
