//! The mechanism, by hand and minimal: the program re-executes itself as
//! workers, sends each a task as one line of JSON on its stdin, and reads the
//! result, with the worker's process id, as one line of JSON from its stdout.
//!
//! It works, and it is short, but it is not robust: a worker that crashes makes
//! the whole map fail, and a task that hangs hangs the map. The robust version
//! is [`crate::ProcessPool`]. This file stands alone: it shares only the
//! [`Task`] trait and the [`Registry`] with the pool (`task.rs`), and its
//! worker has its own hook, [`worker_main_if_requested`].

use std::io::{self, BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use crate::task::{Registry, Task};

/// First argument of a worker of the by-hand mechanism.
pub const BY_HAND_WORKER_ARG: &str = "--process-pools-worker=by-hand";

// ANCHOR: messages
/// One task, as the parent sends it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Request {
    /// Position of the task in the input.
    pub index: usize,
    /// Which registered function to run.
    pub function: String,
    /// Its input.
    pub input: serde_json::Value,
}

/// One result, as the worker sends it back.
#[derive(Debug, Serialize, Deserialize)]
pub struct Reply {
    /// Position of the task in the input.
    pub index: usize,
    /// Process id of the worker that ran it.
    pub pid: u32,
    /// Its output, or why there is none.
    pub output: Result<serde_json::Value, String>,
}
// ANCHOR_END: messages

// ANCHOR: hook
/// Call this first in `main`: if this process was started as a by-hand
/// worker, it serves the tasks of `registry` and exits; otherwise it returns
/// at once and `main` goes on.
pub fn worker_main_if_requested(registry: &Registry) {
    if is_a_worker() {
        let status = match serve(registry) {
            Ok(()) => 0,
            Err(_) => 70,
        };
        std::process::exit(status);
    }
}

fn is_a_worker() -> bool {
    std::env::args_os()
        .nth(1)
        .is_some_and(|arg| arg == BY_HAND_WORKER_ARG)
}
// ANCHOR_END: hook

// ANCHOR: worker
/// The worker: one request per line in, one reply per line out.
fn serve(registry: &Registry) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    for line in io::stdin().lock().lines() {
        let request: Request = serde_json::from_str(&line?)?;
        let reply = Reply {
            index: request.index,
            pid: std::process::id(),
            output: registry.call_json(&request.function, request.input),
        };
        serde_json::to_writer(&mut stdout, &reply)?;
        stdout.write_all(b"\n")?;
        stdout.flush()?;
    }
    Ok(())
}
// ANCHOR_END: worker

/// A result of [`map`]: the output and the process that computed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Done<T> {
    /// Process id of the worker.
    pub pid: u32,
    /// The task's output.
    pub output: T,
}

/// Why [`map`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ByHandError {
    /// A worker could not be started, or its pipe broke (it crashed).
    #[error("worker I/O: {0}")]
    Io(#[from] io::Error),
    /// A message did not encode or decode.
    #[error("bad message: {0}")]
    Json(#[from] serde_json::Error),
    /// The worker ran the task and reported an error.
    #[error("task {index}: {message}")]
    Task {
        /// Which task.
        index: usize,
        /// What the worker said.
        message: String,
    },
}

// ANCHOR: map
/// Runs `T` on every input in `jobs` worker processes started from `exe`;
/// results in input order, each with the pid of the worker that computed it.
/// Each worker takes the next task as soon as it is free.
pub fn map<T: Task>(
    exe: &Path,
    inputs: &[T::Input],
    jobs: usize,
) -> Result<Vec<Done<T::Output>>, ByHandError>
where
    T::Input: Sync,
    T::Output: Send,
{
    if is_a_worker() {
        // Started as a worker, this program runs `main` instead of the hook:
        // starting workers here would start workers without end.
        let e = "started as a worker: call by_hand::worker_main_if_requested first";
        return Err(io::Error::other(e).into());
    }
    let next = AtomicUsize::new(0);
    let results = Mutex::new((0..inputs.len()).map(|_| None).collect::<Vec<_>>());
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs.max(1))
            .map(|_| {
                scope.spawn(|| feed_one_worker::<T>(exe, inputs, &next, &results))
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().expect("feeder panicked"))
    })?;
    let results = results.into_inner().expect("a feeder panicked");
    Ok(results
        .into_iter()
        .map(|r| r.expect("every task ran"))
        .collect())
}

/// One worker process and the thread that feeds it.
fn feed_one_worker<T: Task>(
    exe: &Path,
    inputs: &[T::Input],
    next: &AtomicUsize,
    results: &Mutex<Vec<Option<Done<T::Output>>>>,
) -> Result<(), ByHandError> {
    let mut child = Command::new(exe)
        .arg(BY_HAND_WORKER_ARG)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut to_worker = child.stdin.take().expect("piped");
    let mut from_worker = BufReader::new(child.stdout.take().expect("piped"));
    let mut line = String::new();
    let mut outcome = || -> Result<(), ByHandError> {
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(input) = inputs.get(index) else {
                return Ok(());
            };
            let request = Request {
                index,
                function: T::NAME.to_owned(),
                input: serde_json::to_value(input)?,
            };
            serde_json::to_writer(&mut to_worker, &request)?;
            to_worker.write_all(b"\n")?;
            to_worker.flush()?;
            line.clear();
            if from_worker.read_line(&mut line)? == 0 {
                let died = format!("the worker died during task {index}");
                return Err(io::Error::other(died).into());
            }
            let reply: Reply = serde_json::from_str(&line)?;
            let output = reply
                .output
                .map_err(|message| ByHandError::Task { index, message })?;
            let done = Done {
                pid: reply.pid,
                output: serde_json::from_value(output)?,
            };
            results.lock().expect("no panics while locked")[index] = Some(done);
        }
    };
    let outcome = outcome();
    drop(to_worker); // end of input: the worker's loop ends and it exits
    let status = child.wait()?;
    outcome.map_err(|e| match e {
        ByHandError::Io(e) => io::Error::other(format!("{e} ({status})")).into(),
        other => other,
    })
}
// ANCHOR_END: map
