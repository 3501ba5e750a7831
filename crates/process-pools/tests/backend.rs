//! One switch between backends: the same sweep, written against
//! `&impl Executor`, gives the same results serially, on a thread pool and
//! on a process pool, and a failing task is that task's failure on each.

mod common;

use common::{bounded, pool};
use process_pools::demo::SweepPoint;
use workloads::executor::{Executor, Serial, TaskFailure};

/// A user's sweep: a grid of two parameters, on whatever executor it gets.
fn sweep(executor: &impl Executor, trials: &[u64]) -> Vec<Result<f64, TaskFailure>> {
    let grid = (0..4u64).flat_map(|seed| trials.iter().map(move |&t| (seed, t)));
    executor.run_tasks::<SweepPoint>(grid.collect())
}

#[test]
fn the_same_sweep_runs_serially_on_threads_and_in_processes() {
    bounded(60, || {
        let trials = [100, 2_000];
        let serial = sweep(&Serial, &trials);
        let threads = sweep(&thread_pools::Backend::threads(2).unwrap(), &trials);
        // Moving the sweep to processes: this line.
        let processes = sweep(&pool(2).build().unwrap(), &trials);
        assert!(serial.iter().all(Result::is_ok));
        assert_eq!(threads, serial);
        assert_eq!(processes, serial);
    });
}

#[test]
fn a_failing_task_is_its_own_failure_on_every_backend() {
    bounded(60, || {
        let trials = [100, 0]; // every second point panics
        let threads = thread_pools::Backend::threads(2).unwrap();
        let processes = pool(2).build().unwrap();
        let runs = [
            sweep(&Serial, &trials),
            sweep(&threads, &trials),
            sweep(&processes, &trials),
        ];
        for results in runs {
            for (i, result) in results.iter().enumerate() {
                match result {
                    Ok(_) => assert_eq!(i % 2, 0, "{result:?}"),
                    Err(failure) => {
                        assert_eq!((i % 2, failure.index), (1, i));
                        assert!(failure.message.contains("at least one trial"));
                    }
                }
            }
        }
    });
}
