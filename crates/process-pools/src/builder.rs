//! The settings of a [`ProcessPool`], as a builder: [`PoolBuilder`], every
//! setting one method, conveniences included (initializer, retries,
//! `max_in_flight`, progress). [`PoolBuilder::build`] checks them, resolves
//! them into the plain [`Settings`] the pool runs with, and starts it. This
//! file is the top of the pool: it reads everything below, nothing reads it.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use sweep_core::progress::Progress;

use crate::error::PoolError;
use crate::inner_threads::{InnerThreads, thread_vars};
use crate::pool::ProcessPool;
use crate::settings::{InitCall, Settings};
use crate::task::Task;
use crate::wire::MAX_FRAME;
use crate::worker::refuse_if_unhooked_worker;

// ANCHOR: builder
/// Settings of a [`ProcessPool`]; start from [`ProcessPool::builder`].
#[derive(Debug, Clone)]
pub struct PoolBuilder {
    workers: usize,
    exe: Option<PathBuf>,
    env: Vec<(OsString, OsString)>,
    chunksize: usize,
    timeout: Option<Duration>,
    max_tasks_per_worker: Option<usize>,
    max_message_bytes: usize,
    retries: usize,
    max_in_flight: Option<usize>,
    init: Option<Result<InitCall, String>>,
    progress: Progress,
    max_memory: Option<u64>,
    inner_threads: InnerThreads,
    auto_target: Option<Duration>,
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
    /// `Duration::MAX` also means no limit). A worker that does not start a
    /// task within the timeout of being sent it (stopped, wedged) is
    /// replaced and the task goes to the next worker; if that one does not
    /// start it in time either, the task gets `TimedOut`.
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
        refuse_if_unhooked_worker();
        ProcessPool::start(self.settings()?)
    }
}
// ANCHOR_END: builder

/// The conveniences' settings, each explained in its module: `init.rs`,
/// `retry.rs`, `lazy.rs`, and `chunk.rs` for progress.
impl PoolBuilder {
    /// Runs task `T` with `args` in every new worker before its first task
    /// (default: nothing). `T` must be in the worker's registry like any
    /// task. Return `Err(reason)` (or panic) to say the worker cannot work:
    /// `build` then fails with [`PoolError::Initializer`]. The pool's
    /// [`PoolBuilder::timeout`] applies to it as well; without one, an
    /// initializer that never returns makes `build` wait for it (dropping
    /// the pool, later, never waits for an initializer).
    ///
    /// What it sets up lives in the worker process: keep it in a static
    /// (`OnceLock`) that your tasks read.
    ///
    /// ```rust,standalone_crate
    /// use std::sync::OnceLock;
    /// use process_pools::{ProcessPool, Registry, Task};
    ///
    /// /// Built once in each worker, read by every task there.
    /// static TABLE: OnceLock<Vec<u64>> = OnceLock::new();
    ///
    /// struct LoadTable;
    /// impl Task for LoadTable {
    ///     const NAME: &'static str = "load_table";
    ///     type Input = u64;
    ///     type Output = Result<(), String>;
    ///     fn run(size: u64) -> Result<(), String> {
    ///         if size == 0 {
    ///             return Err("an empty table".into());
    ///         }
    ///         let _ = TABLE.set((0..size).map(|i| i * i).collect());
    ///         Ok(())
    ///     }
    /// }
    ///
    /// struct Lookup;
    /// impl Task for Lookup {
    ///     const NAME: &'static str = "lookup";
    ///     type Input = usize;
    ///     type Output = u64;
    ///     fn run(i: usize) -> u64 {
    ///         TABLE.get().expect("the initializer ran")[i]
    ///     }
    /// }
    ///
    /// fn main() -> Result<(), Box<dyn std::error::Error>> {
    ///     let registry = Registry::new().with::<LoadTable>().with::<Lookup>();
    ///     process_pools::worker_main_if_requested_with(&registry);
    ///     let pool = ProcessPool::builder()
    ///         .workers(2)
    ///         .initializer::<LoadTable>(100)
    ///         .build()?;
    ///     let found = pool.map::<Lookup>([3, 7]);
    ///     assert_eq!(found, [Ok(9), Ok(49)]);
    ///     // An initializer that fails is an error from `build`.
    ///     let failed = ProcessPool::builder()
    ///         .workers(1)
    ///         .initializer::<LoadTable>(0)
    ///         .build()
    ///         .unwrap_err();
    ///     assert!(failed.to_string().contains("an empty table"), "{failed}");
    ///     Ok(())
    /// }
    /// ```
    pub fn initializer<T>(mut self, args: T::Input) -> Self
    where
        T: Task<Output = Result<(), String>>,
    {
        self.init = Some(InitCall::of::<T>(&args));
        self
    }

    /// Runs a task that panicked, crashed its worker or timed out up to
    /// `retries` more times (default 0: never). A retry after a crash or a
    /// timeout runs on a fresh worker. If every attempt fails, the task's
    /// [`crate::TaskError`] has the last failure in `kind` and the others in
    /// `earlier`. Each attempt runs exactly once, so a task may now run up
    /// to `retries + 1` times: only for tasks that are safe to repeat.
    pub fn retries(mut self, retries: usize) -> Self {
        self.retries = retries;
        self
    }

    /// Chunks (of [`PoolBuilder::chunksize`] tasks) that
    /// [`ProcessPool::imap`] keeps submitted ahead of the result it yields
    /// next (default: twice the number of workers, so each worker has one
    /// chunk running and one waiting). Larger keeps workers busier when task
    /// times vary; smaller holds less in memory.
    pub fn max_in_flight(mut self, chunks: usize) -> Self {
        self.max_in_flight = Some(chunks);
        self
    }

    /// How the pool reports progress (default [`Progress::Off`]): each
    /// `map`, `imap_unordered` and `imap` call is one run, counted as tasks
    /// complete, with failures and an ETA. `Progress::auto("sweep")` shows
    /// a bar on a terminal and plain lines on stderr otherwise, with the
    /// workspace's shared reporter ([`sweep_core::progress`]).
    ///
    /// It counts *completions*, not dispatches: the driver threads add each
    /// batch of results as it comes back from a worker (one atomic addition
    /// per batch, not per task), and each failure (panic, crash, timeout, or
    /// an input that could not be sent) as it is known. A task that is
    /// retried counts once, when its last attempt ends.
    pub fn progress(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }
}

/// Limits on the resources of each worker.
impl PoolBuilder {
    /// Caps the memory of each worker process at `bytes` (default: no
    /// limit), enforced by the OS: the worker's `RLIMIT_DATA`, which counts
    /// its heap and private mappings (what a task allocates, and what the
    /// worker itself uses). A task whose allocation fails under it aborts
    /// its worker and fails alone with [`crate::TaskErrorKind::OutOfMemory`],
    /// naming the limit; the worker is replaced and the other tasks run. A
    /// limit too small for a worker to start (or to run the initializer)
    /// makes `build` fail with [`PoolError::MemoryLimitTooSmall`].
    ///
    /// It counts memory reserved, not touched, per process: not files
    /// mapped shared or read-only, not what a task's child processes use
    /// (each gets the same limit of its own). With a limit, the workers'
    /// stderr passes through the pool, which forwards it (`memory.rs`).
    pub fn max_memory_per_worker(mut self, bytes: u64) -> Self {
        self.max_memory = Some(bytes);
        self
    }

    /// How many threads the numerical libraries inside each worker may
    /// start (default [`InnerThreads::Auto`]: `max(1, cores / workers)`),
    /// told through the variables in [`crate::THREAD_VARS`]
    /// (`OMP_NUM_THREADS`, `OPENBLAS_NUM_THREADS`, `MKL_NUM_THREADS`,
    /// `RAYON_NUM_THREADS`, …), so that workers × inner threads do not
    /// exceed the cores. A variable you set yourself, in this program's
    /// environment or with [`PoolBuilder::env`], wins.
    /// [`InnerThreads::Inherit`] sets nothing (`inner_threads.rs`).
    pub fn inner_threads(mut self, threads: InnerThreads) -> Self {
        self.inner_threads = threads;
        self
    }
}

/// Automatic batches: their machinery is in `auto.rs`.
impl PoolBuilder {
    /// Chooses the tasks per message as the pool runs, as joblib's
    /// `batch_size="auto"` does: each `map`, `imap_unordered` and `imap`
    /// call starts with one task per message, measures how long its batches
    /// take, and grows them (at most doubling) until one takes about 0.2 s,
    /// or shrinks them if one takes over 2 s; near the end of a call the
    /// batches get smaller, so that every worker has some. Tiny tasks end
    /// up in large batches, long ones stay one per message. Each call
    /// starts afresh. Replaces [`PoolBuilder::chunksize`]; blame and
    /// exactly-once hold as with fixed chunks. [`ProcessPool::stats`] shows
    /// the sizes it chose.
    pub fn auto_chunksize(self) -> Self {
        self.auto_chunksize_target(crate::auto::DEFAULT_TARGET)
    }

    /// [`PoolBuilder::auto_chunksize`] aiming at `target` per batch
    /// instead of 0.2 s (shrinking past ten times it).
    pub fn auto_chunksize_target(mut self, target: Duration) -> Self {
        self.auto_target = Some(target);
        self
    }
}

impl ProcessPool {
    /// Settings with the defaults: one worker per core, the running program as
    /// the worker, chunksize 1, no timeout, no recycling, 1 GiB messages.
    pub fn builder() -> PoolBuilder {
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
            max_memory: None,
            inner_threads: InnerThreads::Auto,
            auto_target: None,
        }
    }

    /// A pool of `workers` processes with the default settings.
    pub fn new(workers: usize) -> Result<Self, PoolError> {
        Self::builder().workers(workers).build()
    }
}

/// Smallest message limit: room for a task name and a few inputs.
const MIN_MESSAGE_BYTES: usize = 1024;

impl PoolBuilder {
    /// The settings, if they make sense; the running program is the default
    /// worker.
    fn settings(self) -> Result<Settings, PoolError> {
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
        if self.inner_threads == InnerThreads::Fixed(0) {
            return Err(PoolError::Invalid("inner_threads must be at least 1"));
        }
        if self.max_memory == Some(0) {
            return Err(PoolError::Invalid(
                "max_memory_per_worker must be at least 1 byte",
            ));
        }
        if self.auto_target == Some(Duration::ZERO) {
            return Err(PoolError::Invalid("the batch target must be positive"));
        }
        if self.max_in_flight == Some(0) {
            return Err(PoolError::Invalid("max_in_flight must be at least 1"));
        }
        if let Some(Err(detail)) = &self.init {
            let exe = self.exe.clone().unwrap_or_default();
            let detail = detail.clone();
            return Err(PoolError::Initializer { exe, detail });
        }
        let exe = match self.exe {
            Some(exe) => exe,
            None => std::env::current_exe().map_err(PoolError::CurrentExe)?,
        };
        let cores = sweep_core::jobs::default_jobs();
        let mut env = match self.inner_threads.per_worker(self.workers, cores) {
            Some(threads) => thread_vars(threads, &self.env, |var| {
                std::env::var_os(var).is_some()
            }),
            None => Vec::new(),
        };
        env.extend(self.env);
        Ok(Settings {
            workers: self.workers,
            chunksize: self.chunksize,
            max_in_flight: self.max_in_flight.unwrap_or(2 * self.workers),
            progress: self.progress,
            exe,
            env,
            // `Duration::MAX` (or anything past the end of time) is no limit.
            timeout: self
                .timeout
                .filter(|t| std::time::Instant::now().checked_add(*t).is_some()),
            max_tasks: self.max_tasks_per_worker.unwrap_or(usize::MAX),
            max_message: self.max_message_bytes,
            retries: self.retries,
            init: self.init.and_then(Result::ok),
            max_memory: self.max_memory,
            nonce: nonce(),
            auto_target: self.auto_target,
            counters: Default::default(),
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
