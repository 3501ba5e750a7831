//! The worker initializer ([`PoolBuilder::initializer`]), Python's
//! `Pool(initializer=…)` and R's `clusterEvalQ`: a task of your registry that
//! every new worker runs once, before its first task, to set up what its
//! tasks share (load a table into a `OnceLock`, open a connection, set a
//! thread count). Replacement workers (after a crash, a timeout or
//! recycling) run it too.
//!
//! Its failure is an error, never a hang or a silent loop: in `build` it is
//! [`crate::PoolError::Initializer`]; in a replacement worker, the tasks
//! that worker was to run fail with [`TaskErrorKind::InitializerFailed`],
//! and that slot starts no other worker for [`INIT_BACKOFF`] (its chunks
//! fail at once meanwhile), so a broken initializer costs one process start
//! per second per worker, not one per task.

use std::io::Write;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, select};

use crate::builder::Config;
use crate::process::{Event, Worker};
use crate::wire::{self, MAX_FRAME};
use crate::{PoolBuilder, Task, TaskErrorKind};

/// How long a worker slot whose initializer failed waits before it starts
/// another worker.
pub const INIT_BACKOFF: Duration = Duration::from_secs(1);

impl PoolBuilder {
    /// Runs task `T` with `args` in every new worker before its first task
    /// (default: nothing). `T` must be in the worker's registry like any
    /// task. Return `Err(reason)` (or panic) to say the worker cannot work:
    /// `build` then fails with [`crate::PoolError::Initializer`]. The pool's
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
}

/// The initializer as it is sent: a chunk of one task.
#[derive(Debug, Clone)]
pub(crate) struct InitCall {
    name: &'static str,
    fingerprint: u64,
    payload: Vec<u8>,
    /// Reads its result: `Ok` if the worker may serve.
    check: fn(&[u8]) -> Result<(), String>,
}

impl InitCall {
    fn of<T>(args: &T::Input) -> Result<InitCall, String>
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
            fingerprint: crate::task::fingerprint::<T>(),
            payload,
            check: check::<T>,
        })
    }
}

fn check<T: Task<Output = Result<(), String>>>(bytes: &[u8]) -> Result<(), String> {
    match crate::stream::decode_result::<T>(bytes) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(reason)) => Err(format!("returned an error: {reason}")),
        Err(kind) => Err(kind.to_string()),
    }
}

/// Why an initializer did not succeed.
pub(crate) enum InitError {
    /// It reported a failure (an error, a panic, a refusal by the worker).
    Failed(String),
    /// The worker died, or its pipe broke, while it ran.
    Died,
    /// It ran past the pool's timeout.
    TimedOut(Duration),
}

impl InitError {
    /// The message, naming the initializer and, if it died, how.
    pub(crate) fn describe(
        &self,
        init: &InitCall,
        pid: u32,
        status: &str,
    ) -> String {
        let name = init.name;
        match self {
            InitError::Failed(why) => format!("the initializer `{name}` {why}"),
            InitError::Died => {
                format!(
                    "the initializer `{name}` killed its worker (pid {pid}): {status}"
                )
            }
            InitError::TimedOut(t) => {
                format!("the initializer `{name}` ran past the timeout of {t:?}")
            }
        }
    }
}

/// Runs the initializer in a worker that has just said hello, and waits for
/// its result: up to the pool's timeout, if any, and never past the end of
/// the pool (`stop`), so dropping a pool never waits for an initializer.
pub(crate) fn run(
    worker: &mut Worker,
    init: &InitCall,
    config: &Config,
    stop: &Receiver<()>,
) -> Result<(), InitError> {
    let header = wire::chunk_header(1, init.fingerprint, init.name);
    let stdin = worker.stdin.as_mut().ok_or(InitError::Died)?;
    let parts = [&header[..], &init.payload];
    wire::write_frame(stdin, &parts, config.max_message)
        .and_then(|()| stdin.flush())
        .map_err(|e| InitError::Failed(format!("cannot be sent: {e}")))?;
    let timeout = config.timeout;
    let timer = match timeout.and_then(|t| Instant::now().checked_add(t)) {
        Some(deadline) => crossbeam_channel::at(deadline),
        None => crossbeam_channel::never(),
    };
    loop {
        let event = select! {
            recv(worker.events) -> event => event.map_err(|_| InitError::Died)?,
            recv(timer) -> _ => {
                return Err(InitError::TimedOut(timeout.unwrap_or_default()));
            }
            recv(stop) -> _ => {
                let why = "was cut short: the pool was dropped";
                return Err(InitError::Failed(why.to_owned()));
            }
        };
        let bytes = match event {
            Event::Frames(bytes) => bytes,
            Event::Closed | Event::Exited => return Err(InitError::Died),
        };
        let (frames, _) = wire::complete_frames(&bytes, MAX_FRAME)
            .map_err(|e| InitError::Failed(e.to_string()))?;
        for (start, end) in frames {
            let frame = &bytes[start..end];
            match frame.first().copied() {
                Some(wire::STARTED) => {}
                Some(wire::RESULT) => {
                    return (init.check)(&frame[1..]).map_err(InitError::Failed);
                }
                Some(wire::UNKNOWN_FUNCTION) => {
                    let why = "is not in the worker's registry (register it there)";
                    return Err(InitError::Failed(why.to_owned()));
                }
                _ => {
                    let text =
                        String::from_utf8_lossy(frame.get(1..).unwrap_or(&[]));
                    return Err(InitError::Failed(format!("was refused: {text}")));
                }
            }
        }
    }
}

/// A worker slot's memory of its last failed initializer, so that it does
/// not start a worker per task while the initializer keeps failing.
#[derive(Debug, Default)]
pub(crate) struct InitFailures {
    last: Option<(Instant, String)>,
}

impl InitFailures {
    /// Remembers a failure.
    pub(crate) fn record(&mut self, detail: &str) {
        self.last = Some((Instant::now(), detail.to_owned()));
    }

    /// The error for tasks, while the last failure is recent.
    pub(crate) fn recent(&self) -> Option<TaskErrorKind> {
        let (at, detail) = self.last.as_ref()?;
        (at.elapsed() < INIT_BACKOFF).then(|| TaskErrorKind::InitializerFailed {
            detail: detail.clone(),
        })
    }
}
