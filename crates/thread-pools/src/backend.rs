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
    /// pool was built). Retries need a clone of the input, so this backend
    /// copies it through its encoding: no `Clone` bound on the task.
    fn run_tasks<T: Task>(
        &self,
        inputs: Vec<T::Input>,
    ) -> Vec<Result<T::Output, TaskFailure>> {
        let inputs = inputs.into_iter().map(Owned);
        let results = self.map(inputs, |Owned(input)| T::run(input));
        results.into_iter().map(|r| r.map_err(failure)).collect()
    }
}

/// A task input moved into a pool task. `Clone` is only called to retry a
/// task, and then re-creates the input from its serialised form, since a
/// task's input need not be `Clone`.
struct Owned<T>(T);

impl<T: serde::Serialize + serde::de::DeserializeOwned> Clone for Owned<T> {
    fn clone(&self) -> Self {
        // postcard round-trips every serde value exactly (a JSON round trip
        // would not: NaN, maps with non-string keys).
        let bytes = postcard::to_allocvec(&self.0).expect("a task input encodes");
        Owned(postcard::from_bytes(&bytes).expect("and decodes again"))
    }
}

fn failure(error: TaskError) -> TaskFailure {
    TaskFailure {
        index: error.index,
        message: error.to_string(),
    }
}
