//! [`Backend`]: one switch that runs the same named task serially or on a
//! thread [`Pool`] — joblib's `backend=`, dask's `scheduler=`, R's `plan()`.
//! Both implement [`sweep_core::executor::Executor`], as a process pool can,
//! so code written against `&impl Executor` moves to processes by changing
//! the line that builds the executor.

use sweep_core::executor::{Executor, Serial, Task, TaskFailure};

use crate::pool_error::PoolError;
use crate::task_error::TaskError;
use crate::workers::Pool;

/// Where a sweep's tasks run. Build it from a setting (a flag, a config
/// file) and pass `&backend` to code that takes `&impl Executor`.
///
/// ```
/// use thread_pools::Backend;
/// use thread_pools::{Executor, Task};
/// struct Square;
/// impl Task for Square {
///     const NAME: &'static str = "square";
///     type Input = u64;
///     type Output = u64;
///     fn run(x: u64) -> u64 { x * x }
/// }
/// let serial = Backend::Serial.run_tasks::<Square>(vec![1, 2, 3]);
/// let threads = Backend::threads(2)?.run_tasks::<Square>(vec![1, 2, 3]);
/// assert_eq!(serial, threads);
/// # Ok::<(), thread_pools::PoolError>(())
/// ```
#[derive(Debug)]
pub enum Backend {
    /// One task after the other on the calling thread.
    Serial,
    /// A thread [`Pool`] (built with any settings: retries, progress, ...).
    Threads(Pool),
}

impl Backend {
    /// A pool of `jobs` threads with the default settings.
    pub fn threads(jobs: usize) -> Result<Backend, PoolError> {
        Ok(Backend::Threads(Pool::new(jobs)?))
    }
}

impl Executor for Backend {
    fn run_tasks<T: Task>(
        &self,
        inputs: Vec<T::Input>,
    ) -> Vec<Result<T::Output, TaskFailure>> {
        match self {
            Backend::Serial => Serial.run_tasks::<T>(inputs),
            Backend::Threads(pool) => pool.run_tasks::<T>(inputs),
        }
    }
}

impl Executor for Pool {
    /// Runs the task like [`Pool::map`] (chunks, retries and progress as the
    /// pool was built). A retry runs on a clone of the input (`Task::Input`
    /// is `Clone` for this reason), so every attempt is a real run.
    fn run_tasks<T: Task>(
        &self,
        inputs: Vec<T::Input>,
    ) -> Vec<Result<T::Output, TaskFailure>> {
        let results = self.map(inputs, T::run);
        results.into_iter().map(|r| r.map_err(failure)).collect()
    }
}

fn failure(error: TaskError) -> TaskFailure {
    TaskFailure {
        index: error.index,
        message: error.to_string(),
    }
}
