//! The settings of a [`ProcessPool`] ([`PoolBuilder`]), checked when it is
//! built, and what every driver thread needs of them ([`Config`]).

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use sweep_core::progress::Progress;

use crate::init::InitCall;
use crate::wire::MAX_FRAME;
use crate::{PoolError, ProcessPool};

// ANCHOR: builder
/// Settings of a [`ProcessPool`]; start from [`ProcessPool::builder`].
#[derive(Debug, Clone)]
pub struct PoolBuilder {
    pub(crate) workers: usize,
    pub(crate) exe: Option<PathBuf>,
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) chunksize: usize,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_tasks_per_worker: Option<usize>,
    pub(crate) max_message_bytes: usize,
    pub(crate) retries: usize,
    pub(crate) max_in_flight: Option<usize>,
    pub(crate) init: Option<Result<InitCall, String>>,
    pub(crate) progress: Progress,
}

impl PoolBuilder {
    /// Number of worker processes (default: the number of cores).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers;
        self
    }

    /// The executable to start as a worker (default: the running program).
    /// Its `main` must call [`crate::worker_main_if_requested_with`] first,
    /// with a registry holding the tasks you send. In a crate's own tests,
    /// point it at one of the crate's binaries:
    /// `.worker_exe(env!("CARGO_BIN_EXE_<name>"))`.
    pub fn worker_exe(mut self, exe: impl Into<PathBuf>) -> Self {
        self.exe = Some(exe.into());
        self
    }

    /// An environment variable set in every worker.
    pub fn env(
        mut self,
        key: impl Into<OsString>,
        value: impl Into<OsString>,
    ) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Tasks sent to a worker in one message (default 1). Larger chunks cost
    /// less per task; smaller ones balance the load better.
    pub fn chunksize(mut self, chunksize: usize) -> Self {
        self.chunksize = chunksize;
        self
    }

    /// Longest a task may run, counted from its start; past it the worker
    /// and the processes it started are killed, the worker is replaced, and
    /// the task gets [`crate::TaskErrorKind::TimedOut`] (default: no limit;
    /// `Duration::MAX` also means no limit).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Replace each worker by a fresh process after this many tasks (default:
    /// never), to contain memory leaks.
    pub fn max_tasks_per_worker(mut self, tasks: usize) -> Self {
        self.max_tasks_per_worker = Some(tasks);
        self
    }

    /// Largest message, in bytes, between the pool and a worker (default and
    /// maximum 1 GiB). A task whose encoded input or output is larger fails
    /// with [`crate::TaskErrorKind::TooLarge`]; chunks are split to fit.
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }

    /// Starts the workers and waits until each has said hello.
    ///
    /// In a process that a pool started as its worker but that never entered
    /// [`crate::worker_main_if_requested_with`], this does not return: the
    /// process tells its parent (whose `build` fails with
    /// [`PoolError::NotHooked`]) and exits, so a forgotten hook can never
    /// multiply processes.
    pub fn build(self) -> Result<ProcessPool, PoolError> {
        crate::worker::refuse_if_unhooked_worker();
        ProcessPool::start(self.check()?)
    }
}
// ANCHOR_END: builder

/// Smallest message limit: room for a task name and a few inputs.
const MIN_MESSAGE_BYTES: usize = 1024;

/// What every driver thread needs to know.
#[derive(Debug)]
pub(crate) struct Config {
    pub(crate) exe: PathBuf,
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) max_tasks: usize,
    pub(crate) max_message: usize,
    pub(crate) retries: usize,
    /// Run in every new worker before its first task ([`crate::init`]).
    pub(crate) init: Option<InitCall>,
    /// Identifies this pool's workers (sent in the marker, echoed in hello).
    pub(crate) nonce: u64,
}

impl PoolBuilder {
    pub(crate) fn defaults() -> Self {
        PoolBuilder {
            workers: sweep_core::jobs::default_jobs(),
            exe: None,
            env: Vec::new(),
            chunksize: 1,
            timeout: None,
            max_tasks_per_worker: None,
            max_message_bytes: MAX_FRAME,
            retries: 0,
            max_in_flight: None,
            init: None,
            progress: Progress::Off,
        }
    }

    /// The settings, if they make sense.
    fn check(self) -> Result<Self, PoolError> {
        if self.workers == 0 {
            return Err(PoolError::Invalid("a pool needs at least one worker"));
        }
        if self.chunksize == 0 {
            return Err(PoolError::Invalid("chunksize must be at least 1"));
        }
        if self.max_tasks_per_worker == Some(0) {
            return Err(PoolError::Invalid(
                "max_tasks_per_worker must be at least 1",
            ));
        }
        if self.timeout == Some(Duration::ZERO) {
            return Err(PoolError::Invalid("the timeout must be positive"));
        }
        if !(MIN_MESSAGE_BYTES..=MAX_FRAME).contains(&self.max_message_bytes) {
            return Err(PoolError::Invalid(
                "max_message_bytes must be between 1 KiB and 1 GiB",
            ));
        }
        if self.max_in_flight == Some(0) {
            return Err(PoolError::Invalid("max_in_flight must be at least 1"));
        }
        if let Some(Err(detail)) = &self.init {
            let exe = self.exe.clone().unwrap_or_default();
            let detail = detail.clone();
            return Err(PoolError::Initializer { exe, detail });
        }
        Ok(self)
    }

    /// What the drivers need; the running program is the default worker.
    pub(crate) fn config(&self) -> Result<Config, PoolError> {
        let exe = match &self.exe {
            Some(exe) => exe.clone(),
            None => std::env::current_exe().map_err(PoolError::CurrentExe)?,
        };
        Ok(Config {
            exe,
            env: self.env.clone(),
            // `Duration::MAX` (or anything past the end of time) is no limit.
            timeout: self
                .timeout
                .filter(|t| std::time::Instant::now().checked_add(*t).is_some()),
            max_tasks: self.max_tasks_per_worker.unwrap_or(usize::MAX),
            max_message: self.max_message_bytes,
            retries: self.retries,
            init: self.init.clone().and_then(Result::ok),
            nonce: nonce(),
        })
    }
}

/// A number no other pool on this machine is likely to use.
fn nonce() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    RandomState::new().hash_one((now, std::process::id()))
}
