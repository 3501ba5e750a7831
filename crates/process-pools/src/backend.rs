//! One switch between serial, threads and processes: [`ProcessPool`]
//! implements the workspace's [`Executor`], like the thread pool and
//! `thread_pools::Backend` do, so a sweep written against `&impl Executor`
//! moves to worker processes by changing the line that builds the executor
//! (joblib's `backend=`, dask's `scheduler=`, R's `plan()`).
//!
//! A task written once as a [`sweep_core::executor::Task`] is also a
//! [`crate::Task`] of this crate (a blanket implementation): register it in
//! the worker's [`crate::Registry`] with `.with::<MyTask>()` like any other.
//! (So implement one of the two traits for a type, never both.)

use sweep_core::executor::{self, Executor, TaskFailure};

use crate::{ProcessPool, Task};

/// Every executor task can run in a worker process: same name, same types.
impl<T: executor::Task> Task for T {
    const NAME: &'static str = <T as executor::Task>::NAME;
    type Input = <T as executor::Task>::Input;
    type Output = <T as executor::Task>::Output;
    fn run(input: Self::Input) -> Self::Output {
        <T as executor::Task>::run(input)
    }
}

/// Runs the task like [`ProcessPool::map`], with the pool's settings
/// (chunksize, timeout, retries, initializer, progress). A task's failure
/// (its panic, crash or timeout) is its own [`TaskFailure`].
impl Executor for ProcessPool {
    fn run_tasks<T: executor::Task>(
        &self,
        inputs: Vec<T::Input>,
    ) -> Vec<Result<T::Output, TaskFailure>> {
        let results = self.map::<T>(inputs);
        results
            .into_iter()
            .map(|result| {
                result.map_err(|error| TaskFailure {
                    index: error.task,
                    message: error.to_string(),
                })
            })
            .collect()
    }
}
