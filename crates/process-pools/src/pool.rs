//! The robust [`ProcessPool`]: persistent worker processes, each driven by one
//! thread of the parent ([`crate::driver`]). Here: starting the pool from its
//! [`Settings`], `map` and `imap_unordered` (cutting the inputs into chunks
//! that fit in a message), and stopping it. Its builder is on top of it
//! ([`crate::PoolBuilder`], `builder.rs`).

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, unbounded};
use sweep_core::progress::Progress;

use crate::auto::AutoBatch;
use crate::chunk::{Call, Chunk};
use crate::driver::Driver;
use crate::process::SpawnError;
use crate::settings::Settings;
use crate::stats::{Counters, PoolStats};
use crate::stream::ResultStream;
use crate::task::{Task, fingerprint};
use crate::wire::chunk_overhead;
use crate::{PoolError, TaskError, TaskErrorKind};

/// A pool of worker processes that run [`Task`]s.
///
/// Each worker is the worker executable started with a worker argument, fed
/// by one thread of this process over pipes. A panic, a crash, an `exit`, a
/// signal or a timeout costs the task that caused it (it gets a
/// [`TaskError`]) and at most a worker (which is replaced), never the `map`:
/// the worker says which task it starts, so only that one is blamed, and the
/// tasks it had not started run on a fresh worker. Every task runs at most
/// once. Dropping the pool stops every worker and the processes they started.
///
/// The worker program must call [`crate::worker_main_if_requested_with`]
/// first in `main`, with a registry holding your tasks:
///
/// ```rust,standalone_crate
/// use process_pools::{ProcessPool, Registry, Task};
///
/// struct Double;
/// impl Task for Double {
///     const NAME: &'static str = "double";
///     type Input = u64;
///     type Output = u64;
///     fn run(x: u64) -> u64 { 2 * x }
/// }
///
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     // A worker started by the pool below serves here and never returns.
///     process_pools::worker_main_if_requested_with(&Registry::new().with::<Double>());
///     let pool = ProcessPool::builder().workers(2).build()?;
///     let doubled: Vec<u64> = pool
///         .map::<Double>([1, 2, 3])
///         .into_iter()
///         .collect::<Result<_, _>>()?;
///     assert_eq!(doubled, [2, 4, 6]);
///     Ok(())
/// }
/// ```
///
/// In `cargo test`, the test binary cannot serve as the worker (libtest owns
/// its `main`): point [`crate::PoolBuilder::worker_exe`] at one of your
/// crate's binaries, `env!("CARGO_BIN_EXE_<name>")`, whose `main` calls the
/// hook, or write the test with `harness = false` and its own `main`.
#[derive(Debug)]
pub struct ProcessPool {
    jobs: Option<Sender<Chunk>>,
    stop: Option<Sender<()>>,
    drivers: Vec<JoinHandle<()>>,
    pids: Arc<Mutex<Vec<u32>>>,
    chunksize: usize,
    max_message: usize,
    /// Chunks a lazy call keeps submitted ahead ([`crate::lazy`]).
    pub(crate) max_in_flight: usize,
    /// Off unless asked for ([`crate::PoolBuilder::progress`]).
    pub(crate) progress: Progress,
    /// Automatic batches ([`crate::PoolBuilder::auto_chunksize`]).
    auto_target: Option<Duration>,
    counters: Arc<Counters>,
}

impl ProcessPool {
    /// Starts the workers, one driver thread each, and waits until each has
    /// said hello (and run the initializer).
    pub(crate) fn start(settings: Settings) -> Result<Self, PoolError> {
        let settings = Arc::new(settings);
        let (jobs_tx, jobs_rx) = unbounded();
        let (stop_tx, stop_rx) = unbounded();
        let (ready_tx, ready_rx) = unbounded();
        let pids = Arc::new(Mutex::new(vec![0; settings.workers]));
        let mut pool = ProcessPool {
            jobs: Some(jobs_tx.clone()),
            stop: Some(stop_tx),
            drivers: Vec::new(),
            pids: Arc::clone(&pids),
            chunksize: settings.chunksize,
            max_message: settings.max_message,
            max_in_flight: settings.max_in_flight,
            progress: settings.progress.clone(),
            auto_target: settings.auto_target,
            counters: Arc::clone(&settings.counters),
        };
        // The first worker starts alone: a program that is not a worker
        // (no hook, a wrong executable) then costs one start, not one per
        // worker. The others start together once it has said hello.
        for slot in 0..settings.workers {
            let driver = Driver::new(
                slot,
                Arc::clone(&settings),
                jobs_rx.clone(),
                stop_rx.clone(),
                Arc::clone(&pids),
            )
            .passing_tickets_to(jobs_tx.clone());
            let ready = ready_tx.clone();
            // The worker is started by this thread, which lives as long as
            // the pool: a worker dies with the thread that started it.
            let spawned = thread::Builder::new()
                .name(format!("process-pool-{slot}"))
                .spawn(move || driver.start_and_run(ready));
            match spawned {
                Ok(handle) => pool.drivers.push(handle),
                Err(e) => return Err(spawn_error(&settings, e.to_string())),
            }
            if slot == 0 {
                ready_or_error(&ready_rx, &settings)?;
            }
        }
        drop(ready_tx);
        for _ in 1..settings.workers {
            ready_or_error(&ready_rx, &settings)?;
        }
        Ok(pool)
    }

    /// Number of worker processes.
    pub fn workers(&self) -> usize {
        self.drivers.len()
    }

    /// Tasks per message.
    pub fn chunksize(&self) -> usize {
        self.chunksize
    }

    /// What the pool has sent its workers so far: messages, tasks, bytes,
    /// and the most tasks in one message (see [`PoolStats`]).
    pub fn stats(&self) -> PoolStats {
        self.counters.snapshot()
    }

    /// A fresh batch size for one call, with automatic batches.
    pub(crate) fn auto_batch(&self) -> Option<AutoBatch> {
        let target = self.auto_target?;
        Some(AutoBatch::new(target, self.workers()))
    }

    /// Process ids of the current workers (they change when a worker is
    /// replaced).
    pub fn worker_pids(&self) -> Vec<u32> {
        self.pids.lock().map(|p| p.clone()).unwrap_or_default()
    }

    // ANCHOR: map
    /// Runs `T` on every input; one `Result` per input, in input order.
    pub fn map<T: Task>(
        &self,
        inputs: impl IntoIterator<Item = T::Input>,
    ) -> Vec<Result<T::Output, TaskError>> {
        let stream = self.imap_unordered::<T>(inputs);
        let mut results: Vec<Option<_>> = (0..stream.len()).map(|_| None).collect();
        for (task, result) in stream {
            results[task] = Some(result);
        }
        let lost = |task| Err(TaskErrorKind::Lost.of(task));
        let results = results.into_iter().enumerate();
        results
            .map(|(task, r)| r.unwrap_or_else(|| lost(task)))
            .collect()
    }
    // ANCHOR_END: map

    /// Runs `T` on every input and yields `(position, result)` as tasks
    /// finish, in whatever order that is. Dropping the stream early cancels
    /// the tasks not yet started. It takes and encodes every input first
    /// (an endless input never returns: use [`ProcessPool::imap`]); if the
    /// input iterator panics, the tasks already sent are cancelled and the
    /// panic goes on to the caller.
    pub fn imap_unordered<T: Task>(
        &self,
        inputs: impl IntoIterator<Item = T::Input>,
    ) -> ResultStream<'_, T> {
        let (tx, rx) = unbounded();
        let cancelled = Arc::new(AtomicBool::new(false));
        let call = Arc::new(Call {
            tx,
            cancelled: Arc::clone(&cancelled),
            tracker: self.progress.start(None),
            auto: self.auto_batch(),
        });
        let mut chunker = self.chunker::<T>(&call);
        let mut total = 0;
        let taken = catch_unwind(AssertUnwindSafe(|| {
            for input in inputs {
                chunker.add(total, &input);
                total += 1;
            }
        }));
        if let Err(panic) = taken {
            // The input iterator (or an input's `Serialize`) panicked: the
            // call is abandoned, so the tasks already sent must not run.
            cancelled.store(true, Ordering::Relaxed);
            call.tracker.finish();
            resume_unwind(panic);
        }
        chunker.send();
        chunker.send_ticket();
        call.tracker.set_total(total as u64);
        let tracker = call.tracker.clone();
        drop(call); // only chunks hold the sender now
        ResultStream {
            rx,
            cancelled,
            seen: vec![false; total],
            remaining: total,
            ready: VecDeque::new(),
            tracker,
            _pool: PhantomData,
        }
    }
}

impl ProcessPool {
    /// A chunker for a call of `T`. With automatic batches, it queues the
    /// inputs in the call's [`AutoBatch`] instead of cutting chunks.
    pub(crate) fn chunker<'a, T: Task>(
        &'a self,
        call: &'a Arc<Call>,
    ) -> Chunker<'a, T> {
        let queue = call.auto.is_some();
        Chunker {
            jobs: self.jobs.as_ref().expect("the pool is running"),
            call,
            queue,
            chunksize: if queue { usize::MAX } else { self.chunksize },
            room: self
                .max_message
                .saturating_sub(chunk_overhead(T::NAME.len())),
            chunk: None,
            _task: PhantomData,
        }
    }
}

/// Cuts the inputs of one call into chunks of at most `chunksize` tasks that
/// fit in one message; an input too large for any message fails alone.
pub(crate) struct Chunker<'a, T> {
    jobs: &'a Sender<Chunk>,
    call: &'a Arc<Call>,
    /// Runs of inputs go to the call's [`AutoBatch`], not to the workers.
    queue: bool,
    chunksize: usize,
    room: usize,
    chunk: Option<Chunk>,
    _task: PhantomData<T>,
}

impl<T: Task> Chunker<'_, T> {
    pub(crate) fn add(&mut self, task: usize, input: &T::Input) {
        if T::NAME.len() > usize::from(u8::MAX) {
            let detail = format!("the task name `{}` is over 255 bytes", T::NAME);
            return self.fail(task, TaskErrorKind::BadMessage { detail });
        }
        let encoded = match postcard::to_stdvec(input) {
            Ok(encoded) if encoded.len() <= self.room => encoded,
            Ok(encoded) => {
                let limit = self.room as u64;
                let bytes = encoded.len() as u64;
                let what = "input";
                return self
                    .fail(task, TaskErrorKind::TooLarge { what, bytes, limit });
            }
            Err(e) => {
                let detail = format!("cannot encode the input: {e}");
                return self.fail(task, TaskErrorKind::BadMessage { detail });
            }
        };
        let fits = self
            .chunk
            .as_ref()
            .is_some_and(|c| c.payload.len() + encoded.len() <= self.room);
        if !fits {
            self.send();
        }
        let chunk = self.chunk.get_or_insert_with(|| Chunk {
            function: T::NAME,
            fingerprint: fingerprint::<T>(),
            first: task,
            payload: Vec::new(),
            ends: Vec::new(),
            call: Arc::clone(self.call),
            failures: Vec::new(),
        });
        chunk.payload.extend_from_slice(&encoded);
        chunk.ends.push(chunk.payload.len() as u32);
        if chunk.len() == self.chunksize {
            self.send();
        }
    }

    /// Sends the chunk being filled, if any (or queues it, see `queue`).
    pub(crate) fn send(&mut self) {
        match (self.chunk.take(), &self.call.auto) {
            (Some(run), Some(auto)) if self.queue => {
                auto.push(run.first, run.payload, run.ends);
            }
            (Some(chunk), _) => {
                let _ = self.jobs.send(chunk);
            }
            (None, _) => {}
        }
    }

    /// Cuts chunks of `chunksize` tasks and sends them, even with automatic
    /// batches (the lazy `imap` cuts them of the size measured so far).
    pub(crate) fn with_chunksize(mut self, chunksize: usize) -> Self {
        self.chunksize = chunksize;
        self.queue = false;
        self
    }

    /// With automatic batches, tells the drivers that inputs wait: one
    /// ticket, which the driver that takes it passes on while inputs remain,
    /// so whichever driver has room next cuts the next batch.
    pub(crate) fn send_ticket(&mut self) {
        if let Some(auto) = &self.call.auto
            && self.queue
            && auto.has_more()
        {
            let _ = self.jobs.send(Chunk {
                function: T::NAME,
                fingerprint: fingerprint::<T>(),
                first: 0,
                payload: Vec::new(),
                ends: Vec::new(),
                call: Arc::clone(self.call),
                failures: Vec::new(),
            });
        }
    }

    /// Task `task` fails without being sent; the chunk goes before it, so
    /// chunks stay runs of consecutive tasks.
    fn fail(&mut self, task: usize, kind: TaskErrorKind) {
        self.send();
        self.call.fail(kind.of(task));
    }
}

impl Drop for ProcessPool {
    fn drop(&mut self) {
        // Closing both channels tells every driver to stop its worker and end.
        self.jobs.take();
        self.stop.take();
        for driver in self.drivers.drain(..) {
            let _ = driver.join();
        }
    }
}

/// Waits for one worker to be ready; its failure is the pool's.
fn ready_or_error(
    ready: &Receiver<Result<(), SpawnError>>,
    settings: &Settings,
) -> Result<(), PoolError> {
    let exe = || settings.exe.clone();
    match ready.recv() {
        Ok(Ok(())) => Ok(()),
        Ok(Err(SpawnError::NotHooked(detail))) => {
            Err(PoolError::NotHooked { exe: exe(), detail })
        }
        Ok(Err(SpawnError::Failed(detail))) => Err(spawn_error(settings, detail)),
        Ok(Err(SpawnError::OutOfMemory(detail))) => {
            Err(PoolError::MemoryLimitTooSmall {
                limit: settings.max_memory.unwrap_or_default(),
                detail,
            })
        }
        Ok(Err(SpawnError::InitFailed(detail))) => {
            Err(PoolError::Initializer { exe: exe(), detail })
        }
        Err(_) => Err(spawn_error(settings, "a driver stopped".into())),
    }
}

fn spawn_error(settings: &Settings, detail: String) -> PoolError {
    PoolError::Spawn {
        exe: settings.exe.clone(),
        detail,
    }
}
