//! The robust [`ProcessPool`]: persistent worker processes, each driven by one
//! thread of the parent that hands it chunks of tasks, enforces the timeout,
//! notices when it dies, blames the right task, and replaces it.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufReader, BufWriter, Write};
use std::marker::PhantomData;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, never, select, unbounded};

use crate::Task;
use crate::wire::{self, BAD_INPUT, HELLO, MAGIC, RESULTS, UNKNOWN_FUNCTION};
use crate::worker::{FLUSH_EVERY, POOL_WORKER_ARG};

// ANCHOR: task_error
/// Why one task has no result. Every variant names the task (its position in
/// the input); the other tasks of the same `map` are not affected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    /// The task panicked; the worker caught it and lives on.
    #[error("task {task} panicked: {message}")]
    Panicked {
        /// Which task.
        task: usize,
        /// The panic message and where it was raised.
        message: String,
    },
    /// The worker process died while running the task (abort, exit, a signal).
    #[error("task {task} killed its worker (pid {pid}): {status}")]
    Crashed {
        /// Which task.
        task: usize,
        /// The worker's process id.
        pid: u32,
        /// How it ended, e.g. `signal: 9 (SIGKILL)` or `exit status: 3`.
        status: String,
    },
    /// The task ran past the pool's timeout; its worker was killed.
    #[error(
        "task {task} timed out after {timeout:?}; its worker (pid {pid}) was killed"
    )]
    TimedOut {
        /// Which task.
        task: usize,
        /// The worker's process id.
        pid: u32,
        /// The pool's per-task timeout.
        timeout: Duration,
    },
    /// The worker's registry has no function of this name.
    #[error(
        "task {task}: the worker has no function named `{name}` (register it in the worker's Registry)"
    )]
    UnknownFunction {
        /// Which task.
        task: usize,
        /// The name that was sent.
        name: String,
    },
    /// An input or output did not encode or decode: the two sides disagree
    /// about the task's types.
    #[error("task {task}: undeserialisable message: {detail}")]
    BadMessage {
        /// Which task.
        task: usize,
        /// What went wrong.
        detail: String,
    },
    /// No worker process could be started to run the task.
    #[error("task {task}: no worker could be started: {detail}")]
    WorkerUnavailable {
        /// Which task.
        task: usize,
        /// Why.
        detail: String,
    },
    /// The pool's machinery stopped before the task finished (a bug).
    #[error("task {task} was lost")]
    Lost {
        /// Which task.
        task: usize,
    },
}
// ANCHOR_END: task_error

impl TaskError {
    /// The position of the task in the input.
    pub fn task(&self) -> usize {
        match *self {
            TaskError::Panicked { task, .. }
            | TaskError::Crashed { task, .. }
            | TaskError::TimedOut { task, .. }
            | TaskError::UnknownFunction { task, .. }
            | TaskError::BadMessage { task, .. }
            | TaskError::WorkerUnavailable { task, .. }
            | TaskError::Lost { task } => task,
        }
    }

    fn with_task(&self, task: usize) -> TaskError {
        let mut error = self.clone();
        match &mut error {
            TaskError::Panicked { task: t, .. }
            | TaskError::Crashed { task: t, .. }
            | TaskError::TimedOut { task: t, .. }
            | TaskError::UnknownFunction { task: t, .. }
            | TaskError::BadMessage { task: t, .. }
            | TaskError::WorkerUnavailable { task: t, .. }
            | TaskError::Lost { task: t } => *t = task,
        }
        error
    }
}

/// Why a pool could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// A setting is out of range.
    #[error("invalid pool setting: {0}")]
    Invalid(&'static str),
    /// The path of the running program is unknown.
    #[error("cannot find the running program to use as the worker: {0}")]
    CurrentExe(std::io::Error),
    /// A worker process could not be started.
    #[error("cannot start worker {exe:?}: {detail}")]
    Spawn {
        /// The worker executable.
        exe: PathBuf,
        /// Why.
        detail: String,
    },
}

/// How often a busy worker may be sent more work before it has finished its
/// current chunk (only while its chunks finish quickly, see [`PREFETCH_BELOW`]).
const PREFETCH: usize = 16;
/// Workers whose last chunk took less than this get chunks ahead of time.
const PREFETCH_BELOW: Duration = Duration::from_millis(2);
/// At most this many bytes of requests are sent ahead to a busy worker, so a
/// write to its pipe (64 KiB) never blocks; larger chunks wait until it is idle.
const PREFETCH_MAX_BYTES: usize = 32 * 1024;
/// How long a new worker has to say hello.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a worker asked to exit may take before it is killed.
const EXIT_GRACE: Duration = Duration::from_millis(500);

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
}

impl PoolBuilder {
    /// Number of worker processes (default: the number of cores).
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = workers;
        self
    }

    /// The executable to start as a worker (default: the running program,
    /// which must call [`crate::worker_main_if_requested`] first in `main`).
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

    /// Longest a task may run; past it the worker is killed and replaced and
    /// the task gets [`TaskError::TimedOut`] (default: no limit).
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

    /// Starts the workers and waits until each has said hello.
    pub fn build(self) -> Result<ProcessPool, PoolError> {
        ProcessPool::start(self)
    }
}
// ANCHOR_END: builder

/// What every driver thread needs to know.
#[derive(Debug)]
struct Config {
    exe: PathBuf,
    env: Vec<(OsString, OsString)>,
    timeout: Option<Duration>,
    max_tasks: usize,
}

// ANCHOR: pool_struct
/// A pool of worker processes that run [`Task`]s.
///
/// Each worker is the worker executable started with a worker argument, fed
/// by one thread of this process over its stdin and stdout. A panic, a crash,
/// an `exit`, a signal or a timeout costs the task that caused it (it gets a
/// [`TaskError`]) and at most a worker (which is replaced), never the `map`.
/// Dropping the pool stops every worker; none is left behind.
#[derive(Debug)]
pub struct ProcessPool {
    jobs: Option<Sender<Chunk>>,
    stop: Option<Sender<()>>,
    drivers: Vec<JoinHandle<()>>,
    pids: Arc<Mutex<Vec<u32>>>,
    chunksize: usize,
}
// ANCHOR_END: pool_struct

impl ProcessPool {
    /// Settings with the defaults: one worker per core, the running program as
    /// the worker, chunksize 1, no timeout, no recycling.
    pub fn builder() -> PoolBuilder {
        PoolBuilder {
            workers: workloads::cli::default_jobs(),
            exe: None,
            env: Vec::new(),
            chunksize: 1,
            timeout: None,
            max_tasks_per_worker: None,
        }
    }

    /// A pool of `workers` processes with the default settings.
    pub fn new(workers: usize) -> Result<Self, PoolError> {
        Self::builder().workers(workers).build()
    }

    fn start(settings: PoolBuilder) -> Result<Self, PoolError> {
        if settings.workers == 0 {
            return Err(PoolError::Invalid("a pool needs at least one worker"));
        }
        if settings.chunksize == 0 {
            return Err(PoolError::Invalid("chunksize must be at least 1"));
        }
        if settings.max_tasks_per_worker == Some(0) {
            return Err(PoolError::Invalid(
                "max_tasks_per_worker must be at least 1",
            ));
        }
        if settings.timeout == Some(Duration::ZERO) {
            return Err(PoolError::Invalid("the timeout must be positive"));
        }
        let exe = match settings.exe {
            Some(exe) => exe,
            None => std::env::current_exe().map_err(PoolError::CurrentExe)?,
        };
        let config = Arc::new(Config {
            exe,
            env: settings.env,
            timeout: settings.timeout,
            max_tasks: settings.max_tasks_per_worker.unwrap_or(usize::MAX),
        });
        let (jobs_tx, jobs_rx) = unbounded();
        let (stop_tx, stop_rx) = unbounded();
        let (ready_tx, ready_rx) = unbounded();
        let pids = Arc::new(Mutex::new(vec![0; settings.workers]));
        let mut pool = ProcessPool {
            jobs: Some(jobs_tx),
            stop: Some(stop_tx),
            drivers: Vec::new(),
            pids: Arc::clone(&pids),
            chunksize: settings.chunksize,
        };
        for slot in 0..settings.workers {
            let mut driver = Driver {
                slot,
                config: Arc::clone(&config),
                jobs: jobs_rx.clone(),
                stop: stop_rx.clone(),
                pids: Arc::clone(&pids),
                backlog: VecDeque::new(),
                in_flight: VecDeque::new(),
                worker: None,
                fast: false,
            };
            let ready = ready_tx.clone();
            let spawned = thread::Builder::new()
                .name(format!("process-pool-{slot}"))
                .spawn(move || {
                    // The worker is started by this thread, which lives as long
                    // as the pool: Linux kills a worker whose starting thread ends.
                    match driver.spawn() {
                        Ok(worker) => {
                            driver.worker = Some(worker);
                            let _ = ready.send(Ok(()));
                            driver.run();
                        }
                        Err(detail) => {
                            let _ = ready.send(Err(detail));
                        }
                    }
                });
            match spawned {
                Ok(handle) => pool.drivers.push(handle),
                Err(e) => {
                    return Err(PoolError::Spawn {
                        exe: config.exe.clone(),
                        detail: format!("cannot start a thread: {e}"),
                    });
                }
            }
        }
        drop(ready_tx);
        for _ in 0..settings.workers {
            match ready_rx.recv() {
                Ok(Ok(())) => {}
                Ok(Err(detail)) => {
                    return Err(PoolError::Spawn {
                        exe: config.exe.clone(),
                        detail,
                    });
                }
                Err(_) => {
                    return Err(PoolError::Spawn {
                        exe: config.exe.clone(),
                        detail: "a driver thread stopped".into(),
                    });
                }
            }
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

    /// Process ids of the current workers (they change when a worker is
    /// replaced).
    pub fn worker_pids(&self) -> Vec<u32> {
        self.pids.lock().expect("pids lock").clone()
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
        let lost = |task| Err(TaskError::Lost { task });
        let results = results.into_iter().enumerate();
        results
            .map(|(task, r)| r.unwrap_or_else(|| lost(task)))
            .collect()
    }
    // ANCHOR_END: map

    /// Runs `T` on every input and yields `(position, result)` as tasks
    /// finish, in whatever order that is. Dropping the stream early cancels
    /// the tasks not yet started.
    pub fn imap_unordered<T: Task>(
        &self,
        inputs: impl IntoIterator<Item = T::Input>,
    ) -> ResultStream<'_, T> {
        let (tx, rx) = unbounded();
        let call = Arc::new(Call {
            tx,
            cancelled: AtomicBool::new(false),
        });
        let jobs = self.jobs.as_ref().expect("the pool is running");
        let mut chunk = Chunk::empty(T::NAME, 0, &call);
        let mut total = 0;
        for input in inputs {
            let task = total;
            total += 1;
            let payload = std::mem::take(&mut chunk.payload);
            match postcard::to_extend(&input, payload) {
                Ok(payload) => {
                    chunk.payload = payload;
                    chunk.ends.push(chunk.payload.len() as u32);
                }
                Err(e) => {
                    // Send what came before, report this one, go on after it.
                    let before = std::mem::replace(
                        &mut chunk,
                        Chunk::empty(T::NAME, task + 1, &call),
                    );
                    if !before.ends.is_empty() {
                        let _ = jobs.send(before);
                    }
                    let detail = format!("cannot encode the input: {e}");
                    let _ = call.tx.send(Delivery::Failed(TaskError::BadMessage {
                        task,
                        detail,
                    }));
                    continue;
                }
            }
            if chunk.ends.len() == self.chunksize {
                let full = std::mem::replace(
                    &mut chunk,
                    Chunk::empty(T::NAME, total, &call),
                );
                let _ = jobs.send(full);
            }
        }
        if !chunk.ends.is_empty() {
            let _ = jobs.send(chunk);
        }
        let cancelled = Arc::clone(&call);
        drop(call);
        ResultStream {
            rx,
            call: cancelled,
            seen: vec![false; total],
            remaining: total,
            ready: VecDeque::new(),
            _pool: PhantomData,
        }
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

// ANCHOR: stream
/// The results of [`ProcessPool::imap_unordered`], as tasks finish.
pub struct ResultStream<'pool, T: Task> {
    rx: Receiver<Delivery>,
    call: Arc<Call>,
    seen: Vec<bool>,
    remaining: usize,
    ready: VecDeque<(usize, Result<T::Output, TaskError>)>,
    _pool: PhantomData<&'pool ProcessPool>,
}
// ANCHOR_END: stream

impl<T: Task> ResultStream<'_, T> {
    /// Results still to come.
    pub fn len(&self) -> usize {
        self.remaining
    }

    /// Whether every result has been yielded.
    pub fn is_empty(&self) -> bool {
        self.remaining == 0
    }

    fn accept(&mut self, task: usize, result: Result<T::Output, TaskError>) {
        if let Some(seen) = self.seen.get_mut(task).filter(|seen| !**seen) {
            *seen = true;
            self.ready.push_back((task, result));
        }
    }

    fn decode(&mut self, first: usize, count: usize, frame: &[u8]) {
        let mut rest = frame;
        for k in 0..count {
            let task = first + k;
            match postcard::take_from_bytes::<Result<T::Output, String>>(rest) {
                Ok((result, tail)) => {
                    rest = tail;
                    let result = result
                        .map_err(|message| TaskError::Panicked { task, message });
                    self.accept(task, result);
                }
                Err(e) => {
                    let detail = format!(
                        "cannot decode the result of `{}` as {}: {e}",
                        T::NAME,
                        std::any::type_name::<T::Output>()
                    );
                    for task in task..first + count {
                        let detail = detail.clone();
                        self.accept(
                            task,
                            Err(TaskError::BadMessage { task, detail }),
                        );
                    }
                    return;
                }
            }
        }
    }
}

impl<T: Task> Iterator for ResultStream<'_, T> {
    type Item = (usize, Result<T::Output, TaskError>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                self.remaining -= 1;
                return Some(item);
            }
            if self.remaining == 0 {
                return None;
            }
            match self.rx.recv() {
                Ok(Delivery::Results {
                    first,
                    count,
                    frame,
                }) => self.decode(first, count, &frame[5..]),
                Ok(Delivery::Failed(error)) => self.accept(error.task(), Err(error)),
                Err(_) => {
                    // Every chunk is gone without an answer: cannot happen
                    // unless a driver thread panicked. Never hang on it.
                    let lost: Vec<usize> = (0..self.seen.len())
                        .filter(|&task| !self.seen[task])
                        .collect();
                    for task in lost {
                        self.accept(task, Err(TaskError::Lost { task }));
                    }
                }
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T: Task> Drop for ResultStream<'_, T> {
    fn drop(&mut self) {
        self.call.cancelled.store(true, Ordering::Relaxed);
    }
}

/// One `map` call, shared by its chunks.
#[derive(Debug)]
struct Call {
    tx: Sender<Delivery>,
    cancelled: AtomicBool,
}

/// What a driver hands to the caller.
#[derive(Debug)]
enum Delivery {
    /// A `RESULTS` frame: results of tasks `first..first + count`, encoded
    /// after the 5-byte header.
    Results {
        first: usize,
        count: usize,
        frame: Vec<u8>,
    },
    /// One task failed.
    Failed(TaskError),
}

/// Consecutive tasks `first..first + ends.len()` of one call, sent as one
/// message: their encoded inputs one after another, item `k` ending at
/// `ends[k]`.
#[derive(Debug)]
struct Chunk {
    function: &'static str,
    first: usize,
    payload: Vec<u8>,
    ends: Vec<u32>,
    call: Arc<Call>,
}

impl Chunk {
    fn empty(function: &'static str, first: usize, call: &Arc<Call>) -> Self {
        Chunk {
            function,
            first,
            payload: Vec::new(),
            ends: Vec::new(),
            call: Arc::clone(call),
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Items `from..to` as a chunk of their own.
    fn slice(&self, from: usize, to: usize) -> Chunk {
        let start = if from == 0 { 0 } else { self.ends[from - 1] };
        let end = if to == 0 { 0 } else { self.ends[to - 1] };
        Chunk {
            function: self.function,
            first: self.first + from,
            payload: self.payload[start as usize..end as usize].to_vec(),
            ends: self.ends[from..to].iter().map(|e| e - start).collect(),
            call: Arc::clone(&self.call),
        }
    }

    fn fail_all(&self, from: usize, error: &TaskError) {
        for k in from..self.len() {
            let error = error.with_task(self.first + k);
            let _ = self.call.tx.send(Delivery::Failed(error));
        }
    }
}

/// A chunk sent to the worker, and how many of its results came back.
#[derive(Debug)]
struct InFlight {
    chunk: Chunk,
    reported: usize,
}

/// What the reader thread of a worker reports.
#[derive(Debug)]
enum Event {
    Frame(Vec<u8>),
    Closed,
}

/// One live worker process.
#[derive(Debug)]
struct Worker {
    child: Child,
    pid: u32,
    stdin: BufWriter<ChildStdin>,
    events: Receiver<Event>,
    reader: Option<JoinHandle<()>>,
    tasks_sent: usize,
    /// When the worker was last seen making progress on its current chunk.
    progress: Instant,
    /// When the current front chunk started.
    front_since: Instant,
}

/// The thread that owns one worker slot.
struct Driver {
    slot: usize,
    config: Arc<Config>,
    jobs: Receiver<Chunk>,
    stop: Receiver<()>,
    pids: Arc<Mutex<Vec<u32>>>,
    /// Work that goes before new jobs: retries and chunks of a lost worker.
    backlog: VecDeque<Chunk>,
    in_flight: VecDeque<InFlight>,
    worker: Option<Worker>,
    /// Whether this worker's chunks finish quickly enough to send ahead.
    fast: bool,
}

impl Driver {
    // ANCHOR: driver_loop
    fn run(mut self) {
        loop {
            if self.worker.is_none() && !self.restart() {
                return;
            }
            self.send_what_fits();
            let worker = self.worker.as_ref().expect("a worker is running");
            let events = worker.events.clone();
            if self.in_flight.is_empty() {
                if worker.tasks_sent >= self.config.max_tasks {
                    self.retire(); // recycled: a fresh one starts next turn
                    continue;
                }
                select! {
                    recv(self.jobs) -> job => match job {
                        Ok(chunk) => self.backlog.push_back(chunk),
                        Err(_) => return self.retire(),
                    },
                    recv(self.stop) -> _ => return self.retire(),
                    recv(events) -> event => self.on_event(event.ok()),
                }
                continue;
            }
            let room = self.fast && self.in_flight.len() < PREFETCH;
            let more_jobs = if room { self.jobs.clone() } else { never() };
            let timer = match self.config.timeout {
                Some(timeout) => {
                    crossbeam_channel::at(worker.progress + timeout + FLUSH_EVERY)
                }
                None => never(),
            };
            select! {
                recv(events) -> event => self.on_event(event.ok()),
                recv(more_jobs) -> job => match job {
                    Ok(chunk) => self.backlog.push_back(chunk),
                    Err(_) => return self.kill(),
                },
                recv(self.stop) -> _ => return self.kill(),
                recv(timer) -> _ => self.on_timeout(),
            }
        }
    }
    // ANCHOR_END: driver_loop

    /// Starts a replacement worker; if that fails, fails the next chunk (so
    /// the caller hears about it) and returns whether the pool goes on.
    fn restart(&mut self) -> bool {
        match self.spawn() {
            Ok(worker) => {
                self.worker = Some(worker);
                true
            }
            Err(detail) => {
                let chunk = match self.backlog.pop_front() {
                    Some(chunk) => chunk,
                    None => select! {
                        recv(self.jobs) -> job => match job {
                            Ok(chunk) => chunk,
                            Err(_) => return false,
                        },
                        recv(self.stop) -> _ => return false,
                    },
                };
                let error = TaskError::WorkerUnavailable { task: 0, detail };
                chunk.fail_all(0, &error);
                true
            }
        }
    }

    /// Starts a worker process and its reader thread, and waits for hello.
    fn spawn(&mut self) -> Result<Worker, String> {
        let mut child = Command::new(&self.config.exe)
            .arg(POOL_WORKER_ARG)
            .envs(self.config.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| e.to_string())?;
        let pid = child.id();
        let stdin = BufWriter::with_capacity(64 * 1024, child.stdin.take().unwrap());
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, events) = unbounded();
        let reader = thread::Builder::new()
            .name(format!("process-pool-reader-{pid}"))
            .spawn(move || read_frames(stdout, tx));
        let reader = match reader {
            Ok(reader) => reader,
            Err(e) => {
                reap(&mut child, Duration::ZERO);
                return Err(format!("cannot start a thread: {e}"));
            }
        };
        let hello = events.recv_timeout(HANDSHAKE_TIMEOUT);
        let is_hello = |f: &[u8]| f.len() == 9 && f[0] == HELLO && &f[1..5] == MAGIC;
        if !matches!(&hello, Ok(Event::Frame(f)) if is_hello(f)) {
            let status = describe(reap(&mut child, Duration::ZERO));
            let _ = reader.join();
            return Err(format!(
                "it did not answer as a worker ({status}); does its `main` call \
                 process_pools::worker_main_if_requested() first?"
            ));
        }
        self.pids.lock().expect("pids lock")[self.slot] = pid;
        let now = Instant::now();
        Ok(Worker {
            child,
            pid,
            stdin,
            events,
            reader: Some(reader),
            tasks_sent: 0,
            progress: now,
            front_since: now,
        })
    }

    /// Sends chunks while the worker has room: one chunk if it is idle, a few
    /// small ones ahead if its chunks finish quickly.
    fn send_what_fits(&mut self) {
        let Some(worker) = self.worker.as_mut() else {
            return;
        };
        loop {
            let idle = self.in_flight.is_empty();
            let room = idle || (self.fast && self.in_flight.len() < PREFETCH);
            let quota = self.config.max_tasks.saturating_sub(worker.tasks_sent);
            if !room || quota == 0 {
                return;
            }
            let Some(mut chunk) = self
                .backlog
                .pop_front()
                .or_else(|| self.jobs.try_recv().ok())
            else {
                return;
            };
            if chunk.call.cancelled.load(Ordering::Relaxed) {
                continue;
            }
            let ahead: usize =
                self.in_flight.iter().map(|f| f.chunk.payload.len()).sum();
            if !idle && ahead + chunk.payload.len() > PREFETCH_MAX_BYTES {
                self.backlog.push_front(chunk);
                return;
            }
            if chunk.len() > quota {
                self.backlog.push_front(chunk.slice(quota, chunk.len()));
                chunk = chunk.slice(0, quota);
            }
            let header = wire::chunk_header(chunk.len() as u32, chunk.function);
            let sent =
                wire::write_frame(&mut worker.stdin, &[&header, &chunk.payload])
                    .and_then(|()| worker.stdin.flush());
            if sent.is_err() {
                // The worker is gone; its reader will report it.
                self.backlog.push_front(chunk);
                return;
            }
            if idle {
                worker.progress = Instant::now();
                worker.front_since = worker.progress;
            }
            worker.tasks_sent += chunk.len();
            self.in_flight.push_back(InFlight { chunk, reported: 0 });
        }
    }

    fn on_event(&mut self, event: Option<Event>) {
        let frame = match event {
            Some(Event::Frame(frame)) => frame,
            Some(Event::Closed) | None => return self.on_worker_lost(None),
        };
        let worker = self.worker.as_mut().expect("a worker is running");
        let Some(front) = self.in_flight.front_mut() else {
            return; // nothing asked: ignore
        };
        match frame.first().copied() {
            Some(RESULTS) => {
                let count = wire::u32_at(&frame, 1).unwrap_or(0) as usize;
                let count = count.min(front.chunk.len() - front.reported);
                let first = front.chunk.first + front.reported;
                front.reported += count;
                let delivery = Delivery::Results {
                    first,
                    count,
                    frame,
                };
                let _ = front.chunk.call.tx.send(delivery);
                worker.progress = Instant::now();
                if front.reported == front.chunk.len() {
                    self.fast =
                        worker.progress - worker.front_since < PREFETCH_BELOW;
                    worker.front_since = worker.progress;
                    self.in_flight.pop_front();
                }
            }
            Some(kind @ (UNKNOWN_FUNCTION | BAD_INPUT)) => {
                let text = String::from_utf8_lossy(&frame[1..]).into_owned();
                let error = if kind == UNKNOWN_FUNCTION {
                    TaskError::UnknownFunction {
                        task: 0,
                        name: text,
                    }
                } else {
                    TaskError::BadMessage {
                        task: 0,
                        detail: text,
                    }
                };
                front.chunk.fail_all(front.reported, &error);
                worker.progress = Instant::now();
                worker.front_since = worker.progress;
                self.in_flight.pop_front();
            }
            _ => {
                // Not our protocol: treat the worker as broken.
                let _ = worker.child.kill();
                self.on_worker_lost(None);
            }
        }
    }

    fn on_timeout(&mut self) {
        let worker = self.worker.as_mut().expect("a worker is running");
        if let Some(timeout) = self.config.timeout {
            let _ = worker.child.kill();
            let pid = worker.pid;
            self.on_worker_lost(Some(TaskError::TimedOut {
                task: 0,
                pid,
                timeout,
            }));
        }
    }

    // ANCHOR: blame
    /// The worker died (or was killed for a timeout). If exactly one task it
    /// was sent is unfinished, that task is to blame. If more are, the worker
    /// may have finished some without saying so yet: they are all retried one
    /// by one on the new worker (which is sent one task at a time), and that
    /// pins the blame exactly.
    fn on_worker_lost(&mut self, timed_out: Option<TaskError>) {
        let mut worker = self.worker.take().expect("a worker is running");
        let status = reap(&mut worker.child, Duration::from_secs(1));
        if let Some(reader) = worker.reader.take() {
            let _ = reader.join();
        }
        let unfinished: Vec<Chunk> = self
            .in_flight
            .drain(..)
            .map(|f| f.chunk.slice(f.reported, f.chunk.len()))
            .filter(|chunk| chunk.len() > 0)
            .collect();
        let mut retry = VecDeque::new();
        if let [only] = &unfinished[..]
            && only.len() == 1
        {
            let error = timed_out.unwrap_or(TaskError::Crashed {
                task: 0,
                pid: worker.pid,
                status: describe(status),
            });
            only.fail_all(0, &error);
        } else {
            for chunk in &unfinished {
                retry.extend((0..chunk.len()).map(|k| chunk.slice(k, k + 1)));
            }
        }
        retry.extend(self.backlog.drain(..));
        self.backlog = retry;
        self.fast = false; // one task at a time until chunks prove quick
    }
    // ANCHOR_END: blame

    /// Asks an idle worker to exit (by closing its stdin) and waits for it.
    fn retire(&mut self) {
        if let Some(mut worker) = self.worker.take() {
            drop(worker.stdin);
            reap(&mut worker.child, EXIT_GRACE);
            if let Some(reader) = worker.reader.take() {
                let _ = reader.join();
            }
        }
    }

    /// Kills a busy worker at shutdown.
    fn kill(&mut self) {
        if let Some(worker) = self.worker.as_mut() {
            let _ = worker.child.kill();
        }
        self.retire();
    }
}

/// Reads frames from a worker until its stdout closes.
fn read_frames(stdout: ChildStdout, events: Sender<Event>) {
    let mut reader = BufReader::with_capacity(64 * 1024, stdout);
    loop {
        let mut frame = Vec::new();
        match wire::read_frame(&mut reader, &mut frame) {
            Ok(true) => {
                if events.send(Event::Frame(frame)).is_err() {
                    return;
                }
            }
            Ok(false) | Err(_) => {
                let _ = events.send(Event::Closed);
                return;
            }
        }
    }
}

/// Waits up to `grace` for `child` to exit, then kills it; never leaves a
/// zombie. Returns how it ended.
fn reap(child: &mut Child, grace: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + grace;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                thread::sleep(Duration::from_micros(200));
            }
            Ok(None) => {
                let _ = child.kill();
                return child.wait().ok();
            }
            Err(_) => return None,
        }
    }
}

fn describe(status: Option<ExitStatus>) -> String {
    status.map_or_else(|| "unknown exit status".to_owned(), |s| s.to_string())
}
