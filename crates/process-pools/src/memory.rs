//! The memory limit of each worker ([`crate::PoolBuilder::max_memory_per_worker`]):
//! the OS enforces it, and the pool recognizes a task that ran into it.
//!
//! **The limit.** Between `fork` and `exec`, before any code of the worker
//! runs, the pool sets the worker's `RLIMIT_DATA` (soft and hard, so a task
//! cannot raise it). Since Linux 4.7 that counts every private writable
//! mapping: the heap, and every anonymous `mmap` an allocator makes, thread
//! stacks included. `RLIMIT_AS` would count the whole address space instead:
//! code and shared libraries, files mapped read-only, and the reservations
//! glibc makes and never touches (64 MiB per malloc arena, one arena per
//! thread that allocates), so a limit that means "this task may use 1 GiB"
//! would have to guess those. Both count memory *reserved*, not memory
//! touched: a `Vec::with_capacity` counts in full before it is filled.
//!
//! **Recognizing it.** An allocation that fails under the limit makes Rust's
//! standard library print `memory allocation of N bytes failed` to stderr and
//! abort (SIGABRT). The stable language offers no hook for that moment
//! (`std::alloc::set_alloc_error_hook` is unstable, and a library must not
//! impose a global allocator on the program that uses it). So with a limit,
//! the pool passes each worker's stderr through: a thread forwards every
//! byte to the pool's own stderr at once and keeps the last
//! [`TAIL_BYTES`]. A worker that died of SIGABRT with that line in its tail
//! ran out of memory ([`StderrTail::out_of_memory`]); anything else is a
//! crash, as before. At startup, any complaint about memory in a worker
//! that never said hello means the limit is too small to start it.

use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{ChildStderr, Command};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{Receiver, bounded};
use nix::sys::resource::{Resource, setrlimit};

use crate::TaskErrorKind;

/// How much of the end of a worker's stderr the pool keeps: room for the
/// message and the backtrace that `RUST_BACKTRACE` adds after it.
pub(crate) const TAIL_BYTES: usize = 64 * 1024;

/// What Rust's standard library prints when an allocation fails.
const RUST_OOM: &str = "memory allocation of ";

/// Sets the data limit of the process `command` starts, before it runs.
#[allow(unsafe_code)]
pub(crate) fn limit_data(command: &mut Command, bytes: u64) {
    // SAFETY: the closure runs in the child after `fork`, where only
    // async-signal-safe calls are allowed: it makes one plain system call
    // (setrlimit) and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            setrlimit(Resource::RLIMIT_DATA, bytes, bytes)?;
            Ok(())
        });
    }
}

/// The end of a worker's stderr, kept while a thread forwards all of it.
#[derive(Debug)]
pub(crate) struct StderrTail {
    tail: Arc<Mutex<Vec<u8>>>,
    /// Disconnected once the worker's stderr has ended.
    ended: Receiver<()>,
}

/// Starts the thread that forwards the worker's stderr to ours and keeps
/// its tail.
pub(crate) fn watch_stderr(stderr: ChildStderr, pid: u32) -> io::Result<StderrTail> {
    let tail = Arc::new(Mutex::new(Vec::new()));
    let (end_tx, ended) = bounded::<()>(0);
    let kept = Arc::clone(&tail);
    thread::Builder::new()
        .name(format!("process-pool-stderr-{pid}"))
        .spawn(move || {
            forward(stderr, &kept);
            drop(end_tx); // the watcher's `ended` disconnects: all is read
        })?;
    Ok(StderrTail { tail, ended })
}

/// Copies `stderr` to this process's stderr until it ends, keeping the last
/// [`TAIL_BYTES`] in `tail`.
fn forward(mut stderr: ChildStderr, tail: &Mutex<Vec<u8>>) {
    let mut buf = vec![0u8; 8 * 1024];
    loop {
        let n = match stderr.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let _ = io::stderr().write_all(&buf[..n]);
        if let Ok(mut tail) = tail.lock() {
            tail.extend_from_slice(&buf[..n]);
            let excess = tail.len().saturating_sub(TAIL_BYTES);
            tail.drain(..excess);
        }
    }
}

impl StderrTail {
    /// Waits up to `grace` for the worker's stderr to end (the worker is
    /// dead: only what it started may still hold it), then returns the tail.
    fn read(&self, grace: Duration) -> Vec<u8> {
        // Disconnected: all is read; a timeout: read what is there.
        let _ = self.ended.recv_timeout(grace);
        self.tail.lock().map(|t| t.clone()).unwrap_or_default()
    }

    /// The error for the task a dead worker was running, if it ran out of
    /// memory: it died of SIGABRT (`status`, as the pool reaped it) and its
    /// stderr has Rust's message.
    pub(crate) fn out_of_memory(
        &self,
        pid: u32,
        limit: u64,
        status: &str,
    ) -> Option<TaskErrorKind> {
        if !status.contains("SIGABRT") {
            return None;
        }
        let requested = failed_allocation(&self.read(Duration::from_secs(1)))?;
        Some(TaskErrorKind::OutOfMemory {
            pid,
            limit,
            requested,
        })
    }

    /// The last line of a worker that never said hello, if it is about
    /// memory (Rust's message, the loader's or libc's "cannot allocate",
    /// "out of memory", a thread that could not start): the limit is too
    /// small to start a worker.
    pub(crate) fn startup_complaint(&self) -> Option<String> {
        let tail = self.read(Duration::from_secs(1));
        let text = String::from_utf8_lossy(&tail);
        text.lines()
            .rev()
            .find(|line| is_about_memory(line))
            .map(|line| line.trim().to_owned())
    }
}

fn is_about_memory(line: &str) -> bool {
    let line = line.to_lowercase();
    // EAGAIN ("resource temporarily unavailable") is what creating a thread
    // says when its stack does not fit.
    [
        "memory allocation of",
        "cannot allocate",
        "out of memory",
        "resource temporarily unavailable",
    ]
    .iter()
    .any(|words| line.contains(words))
}

/// The size in Rust's `memory allocation of N bytes failed` line: the last
/// one, unless it failed while printing the backtrace of the one before
/// (then it is followed by "skipping backtrace printing").
fn failed_allocation(tail: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(tail);
    let lines: Vec<&str> = text.lines().collect();
    let nested = |i: usize| {
        lines
            .get(i + 1)
            .is_some_and(|next| next.starts_with("skipping backtrace printing"))
    };
    let mut found = lines.iter().enumerate().rev().filter_map(|(i, line)| {
        let size = line.strip_prefix(RUST_OOM)?.strip_suffix(" bytes failed")?;
        Some((size.parse::<u64>().ok()?, nested(i)))
    });
    let (last, last_nested) = found.next()?;
    match found.next() {
        Some((first, _)) if last_nested => Some(first),
        _ => Some(last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_failed_allocation_is_found_before_a_backtrace() {
        let tail = b"task says hi\nmemory allocation of 1073741824 bytes failed\n\
                     stack backtrace:\n   0: std::alloc::rust_oom\n";
        assert_eq!(failed_allocation(tail), Some(1 << 30));
        let nested = b"memory allocation of 67108864 bytes failed\n\
                       stack backtrace:\n   0: std::alloc::rust_oom\n\
                       memory allocation of 1792 bytes failed\n\
                       skipping backtrace printing to avoid potential recursion\n";
        assert_eq!(failed_allocation(nested), Some(64 << 20));
        assert_eq!(failed_allocation(b"memory allocation of lots failed"), None);
        assert_eq!(failed_allocation(b"all is well\n"), None);
    }

    #[test]
    fn startup_complaints_about_memory_are_recognized() {
        assert!(is_about_memory(
            "cannot allocate TLS data structures for initial thread"
        ));
        assert!(is_about_memory("fatal: Cannot allocate memory"));
        assert!(!is_about_memory("error: no such file"));
    }
}
