//! The worker initializer ([`crate::PoolBuilder::initializer`]), Python's
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
//!
//! The call itself is a plain setting ([`InitCall`], in `settings.rs`); here
//! it runs, in every worker that has just said hello ([`initialize`]).

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, select};

use crate::TaskErrorKind;
use crate::process::{Event, SpawnError, Worker};
use crate::settings::{InitCall, Settings};
use crate::wire::{self, MAX_FRAME};

/// How long a worker slot whose initializer failed waits before it starts
/// another worker.
pub const INIT_BACKOFF: Duration = Duration::from_secs(1);

/// Why an initializer did not succeed.
enum InitError {
    /// It reported a failure (an error, a panic, a refusal by the worker).
    Failed(String),
    /// The worker died, or its pipe broke, while it ran.
    Died,
    /// It ran past the pool's timeout.
    TimedOut(Duration),
}

impl InitError {
    /// The message, naming the initializer and, if it died, how.
    fn describe(&self, init: &InitCall, pid: u32, status: &str) -> String {
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

/// Runs the pool's initializer, if any, in a worker that has just said
/// hello. `stop` ends with the pool: a start that waits for an initializer
/// gives up then.
pub(crate) fn initialize(
    mut worker: Worker,
    settings: &Settings,
    stop: &Receiver<()>,
) -> Result<Worker, SpawnError> {
    let Some(init) = &settings.init else {
        return Ok(worker);
    };
    match run(&mut worker, init, settings, stop) {
        Ok(()) => Ok(worker),
        Err(e) => {
            let status = worker.stop(Duration::from_millis(100));
            let detail = e.describe(init, worker.pid, &status);
            // Under a memory limit, an initializer that ran out of it means
            // the limit is too small for a worker to be ready.
            if let (InitError::Died, Some(said)) = (&e, worker.memory_complaint()) {
                return Err(SpawnError::OutOfMemory(format!("{detail}: {said}")));
            }
            Err(SpawnError::InitFailed(detail))
        }
    }
}

/// Runs the initializer in a worker that has just said hello, and waits for
/// its result: up to the pool's timeout, if any, and never past the end of
/// the pool (`stop`), so dropping a pool never waits for an initializer.
fn run(
    worker: &mut Worker,
    init: &InitCall,
    settings: &Settings,
    stop: &Receiver<()>,
) -> Result<(), InitError> {
    let header = wire::chunk_header(1, init.fingerprint, init.name);
    let parts = [&header[..], &init.payload];
    let timeout = settings.timeout;
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    match worker.send(&parts, settings.max_message, deadline) {
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            return Err(InitError::TimedOut(timeout.unwrap_or_default()));
        }
        Err(e) => return Err(InitError::Failed(format!("cannot be sent: {e}"))),
        Ok(()) => {}
    }
    let timer = match deadline {
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
