//! What a pool runs with: the [`PoolBuilder`](crate::PoolBuilder)'s values,
//! checked and resolved into plain [`Settings`] (the worker executable found,
//! "no limit" spelled out), which the pool, its driver threads and every
//! worker start read. The initializer is one of them, as the call it sends
//! ([`InitCall`]).

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use sweep_core::progress::Progress;

use crate::stats::Counters;
use crate::task::{Task, decode_result, fingerprint};

/// The settings of a running pool.
#[derive(Debug)]
pub(crate) struct Settings {
    /// Number of worker processes (one driver thread each).
    pub(crate) workers: usize,
    /// Most tasks in one message.
    pub(crate) chunksize: usize,
    /// Chunks a lazy call keeps submitted ahead ([`crate::lazy`]).
    pub(crate) max_in_flight: usize,
    /// How each call reports progress (off by default).
    pub(crate) progress: Progress,
    /// The worker executable.
    pub(crate) exe: PathBuf,
    /// Environment variables set in every worker.
    pub(crate) env: Vec<(OsString, OsString)>,
    /// Longest a task may run; `None`: no limit.
    pub(crate) timeout: Option<Duration>,
    /// Tasks a worker runs before it is replaced (`usize::MAX`: never).
    pub(crate) max_tasks: usize,
    /// Largest message between the pool and a worker, in bytes.
    pub(crate) max_message: usize,
    /// More attempts for a task that failed ([`crate::retry`]).
    pub(crate) retries: usize,
    /// Run in every new worker before its first task ([`crate::init`]).
    pub(crate) init: Option<InitCall>,
    /// Each worker's data limit in bytes ([`crate::memory`]); `None`: none.
    pub(crate) max_memory: Option<u64>,
    /// Identifies this pool's workers (sent in the marker, echoed in hello).
    pub(crate) nonce: u64,
    /// With automatic batches, the time one batch should take
    /// ([`crate::auto`]); `None`: fixed chunks of `chunksize`.
    pub(crate) auto_target: Option<Duration>,
    /// What the drivers have sent ([`crate::ProcessPool::stats`]).
    pub(crate) counters: Arc<Counters>,
}

/// The initializer as it is sent: a chunk of one task.
#[derive(Debug, Clone)]
pub(crate) struct InitCall {
    pub(crate) name: &'static str,
    pub(crate) fingerprint: u64,
    pub(crate) payload: Vec<u8>,
    /// Reads its result: `Ok` if the worker may serve.
    pub(crate) check: fn(&[u8]) -> Result<(), String>,
}

impl InitCall {
    /// Task `T` with `args`, or why it cannot be sent.
    pub(crate) fn of<T>(args: &T::Input) -> Result<InitCall, String>
    where
        T: Task<Output = Result<(), String>>,
    {
        if T::NAME.len() > usize::from(u8::MAX) {
            return Err(format!("the task name `{}` is over 255 bytes", T::NAME));
        }
        let payload = postcard::to_stdvec(args).map_err(|e| {
            format!("cannot encode the arguments of `{}`: {e}", T::NAME)
        })?;
        Ok(InitCall {
            name: T::NAME,
            fingerprint: fingerprint::<T>(),
            payload,
            check: check::<T>,
        })
    }
}

fn check<T: Task<Output = Result<(), String>>>(bytes: &[u8]) -> Result<(), String> {
    match decode_result::<T>(bytes) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(reason)) => Err(format!("returned an error: {reason}")),
        Err(kind) => Err(kind.to_string()),
    }
}
