//! [`Pool`]'s `multiprocessing.Pool` vocabulary: `map`, `map_async`,
//! `starmap`, `imap` and `imap_unordered`, the methods a reader of Python
//! knows, on the workers and queue of `workers.rs`. Around them:
//! - `pool/handle.rs`: [`MapHandle`], the pending results of `map_async`
//!   (`wait`, `ready`, and `get(timeout)` with its [`NotReady`]);
//! - `pool/star.rs`: [`StarFn`], the tuple unpacking behind `starmap`;
//! - `builder.rs`: the settings (initializer, retries, chunk size, in-flight
//!   bound, progress); `imap.rs`: the lazy, bounded `imap` streams.

mod handle;
mod star;

pub use handle::{MapHandle, NotReady};
pub use star::StarFn;

use crossbeam_channel::unbounded;

use crate::builder::PoolBuilder;
use crate::channel::default_chunk;
use crate::imap::{Feed, Imap, Unordered};
use crate::job::Reply;
use crate::pool_error::PoolError;
use crate::task_error::TaskError;
use crate::workers::Pool;

impl Pool {
    /// Starts `jobs` worker threads with the default settings. `jobs = 0` is
    /// an error.
    pub fn new(jobs: usize) -> Result<Pool, PoolError> {
        Self::builder().jobs(jobs).build()
    }

    /// Settings beyond the size: initializer, retries, chunk size, in-flight
    /// bound, progress.
    pub fn builder() -> PoolBuilder {
        PoolBuilder::defaults()
    }

    // ANCHOR: pool_map
    /// `pool.map(f, inputs)`: runs `f` on every input and blocks until all are
    /// done. Results come back in input order, one `Result` per task.
    pub fn map<T, U, F>(
        &self,
        inputs: impl IntoIterator<Item = T>,
        f: F,
    ) -> Vec<Result<U, TaskError>>
    where
        T: Clone + Send + 'static,
        U: Send + 'static,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        self.map_async(inputs, f).wait()
    }
    // ANCHOR_END: pool_map

    // ANCHOR: pool_map_async
    /// `pool.map_async(f, inputs)`: submits every task and returns at once;
    /// call [`MapHandle::wait`] (or [`MapHandle::get`] with a timeout) for the
    /// results, in input order. Tasks are sent in chunks of
    /// [`default_chunk`] inputs, like Python's pool, so tiny tasks do not pay
    /// one queue message each. Like Python's, it takes the whole input at
    /// once: for a long lazy input, use [`Pool::imap`].
    pub fn map_async<T, U, F>(
        &self,
        inputs: impl IntoIterator<Item = T>,
        f: F,
    ) -> MapHandle<U>
    where
        T: Clone + Send + 'static,
        U: Send + 'static,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        let inputs: Vec<T> = inputs.into_iter().collect();
        let len = inputs.len();
        let chunk = self.chunksize(default_chunk(len, self.jobs()));
        let run = self.runner(Some(len as u64), f);
        let (results_tx, results_rx) = unbounded();
        let mut inputs = inputs.into_iter();
        for first in (0..len).step_by(chunk) {
            let part: Vec<T> = inputs.by_ref().take(chunk).collect();
            let reply = Reply::new(results_tx.clone(), first, part.len());
            self.submit(run.job(first, part, reply));
        }
        MapHandle::new(len, results_rx, &run)
    }
    // ANCHOR_END: pool_map_async

    // ANCHOR: pool_starmap
    /// `pool.starmap(f, tuples)`: each input is a tuple of arguments, unpacked
    /// into `f`'s parameters, so `pool.starmap(triples, driver)`
    /// calls `driver(x, num, den)` for every `(x, num, den)`.
    pub fn starmap<A, F>(
        &self,
        inputs: impl IntoIterator<Item = A>,
        f: F,
    ) -> Vec<Result<F::Output, TaskError>>
    where
        A: Clone + Send + 'static,
        F: StarFn<A> + Send + Sync + 'static,
        F::Output: Send + 'static,
    {
        self.map(inputs, move |args| f.call_star(args))
    }
    // ANCHOR_END: pool_starmap

    // ANCHOR: pool_imap_unordered
    /// `pool.imap_unordered(f, inputs)`: an iterator that yields
    /// `(index, result)` as each task completes; every index is yielded
    /// exactly once. One queue message per task unless the builder set a
    /// `chunksize`. Lazy and bounded: inputs are pulled only as results are
    /// taken, at most `max_in_flight` ahead.
    pub fn imap_unordered<'a, I, T, U, F>(
        &'a self,
        inputs: I,
        f: F,
    ) -> Unordered<'a, U>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: 'a,
        T: Clone + Send + 'static,
        U: Send + 'static,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        Unordered::new(Feed::new(self, inputs.into_iter(), f))
    }
    // ANCHOR_END: pool_imap_unordered

    // ANCHOR: pool_imap
    /// `pool.imap(f, inputs)`: the results in input order, as an iterator,
    /// lazily: inputs are pulled from `inputs` only as results are taken, at
    /// most `max_in_flight` ahead, so a generator of 10^7 items never sits
    /// in memory. A slow task holds back the results after it (they wait,
    /// counted in flight, until it is done).
    pub fn imap<'a, I, T, U, F>(&'a self, inputs: I, f: F) -> Imap<'a, U>
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: 'a,
        T: Clone + Send + 'static,
        U: Send + 'static,
        F: Fn(T) -> U + Send + Sync + 'static,
    {
        Imap::new(Feed::new(self, inputs.into_iter(), f))
    }
    // ANCHOR_END: pool_imap
}
