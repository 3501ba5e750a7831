//! The worker side: the hook a program calls first thing in `main`, which turns
//! the process into a worker when a pool started it as one, and the loop that
//! serves chunks of tasks until the pool closes the request pipe.
//!
//! A worker carries a marker the library controls (an environment variable
//! with the pool's pid, a nonce and the message limit), which the hook
//! consumes. A process that carries the marker but never entered the hook
//! (the program forgot it, and runs directly, behind a wrapper script, or
//! relaunched by its own `main`) refuses to start workers of its own
//! ([`refuse_if_unhooked_worker`]): forgetting the hook is an error, never a
//! fork bomb.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

use nix::fcntl::{FcntlArg, FdFlag, fcntl};
use nix::sys::signal::{SigSet, Signal, killpg};
use nix::unistd::{getpgrp, getppid};

use crate::black_box::BlackBox;
use crate::outbox::{Outbox, ServeError, record_panic};
use crate::task::Registry;
use crate::wire::{self, MAX_FRAME};

/// First argument of a worker of [`crate::ProcessPool`].
pub const POOL_WORKER_ARG: &str = "--process-pools-worker=pool";

/// The environment variable that marks a process as a pool's worker:
/// `parent pid:nonce:message limit`.
pub(crate) const MARKER_VAR: &str = "PROCESS_POOLS_WORKER";

/// Exit status of a worker program that builds a pool instead of serving.
pub(crate) const EXIT_NOT_HOOKED: i32 = 71;

/// The fix, as the error messages name it.
pub(crate) const HOOK_FIX: &str = "call `process_pools::worker_main_if_requested_with(&registry)` \
     first in `main` of the worker program";

/// Set once this process has entered the hook as a worker.
static HOOK_ENTERED: AtomicBool = AtomicBool::new(false);

// ANCHOR: hook
/// Call this first in `main` of any program whose executable serves as a
/// worker (by default a pool re-executes the running program). If a pool
/// started this process as its worker, it serves the tasks of `registry` and
/// exits; otherwise it returns at once and `main` goes on.
///
/// The registry is yours: the tasks your pools send must be in it.
pub fn worker_main_if_requested_with(registry: &Registry) {
    if std::env::args_os().nth(1).as_deref() != Some(OsStr::new(POOL_WORKER_ARG)) {
        return;
    }
    let Some(marker) = Marker::from_env() else {
        return; // the argument without the marker: not started by a pool
    };
    // The pool, or a wrapper script between it and this program.
    let parent = getppid().as_raw();
    HOOK_ENTERED.store(true, Ordering::SeqCst);
    let black_box = BlackBox::fd_from_env();
    consume_marker();
    match serve_pool(registry, &marker, parent, black_box) {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("process-pools worker {}: {e}", std::process::id());
            std::process::exit(70)
        }
    }
}
// ANCHOR_END: hook

/// What the pool tells its worker through [`MARKER_VAR`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Marker {
    pub(crate) parent: i32,
    pub(crate) nonce: u64,
    pub(crate) limit: usize,
}

impl Marker {
    pub(crate) fn encode(&self) -> String {
        format!("{}:{}:{}", self.parent, self.nonce, self.limit)
    }

    fn parse(text: &str) -> Option<Marker> {
        let mut parts = text.split(':');
        let marker = Marker {
            parent: parts.next()?.parse().ok()?,
            nonce: parts.next()?.parse().ok()?,
            limit: parts.next()?.parse::<usize>().ok()?.min(MAX_FRAME),
        };
        parts.next().is_none().then_some(marker)
    }

    fn from_env() -> Option<Marker> {
        Marker::parse(&std::env::var(MARKER_VAR).ok()?)
    }
}

// ANCHOR: refuse
/// Called by `PoolBuilder::build`. A process that carries the marker but
/// never entered the hook is a pool's worker program running its whole
/// `main` instead of serving tasks, started directly, through a wrapper
/// script, or relaunched by that `main`: it must not start workers of its
/// own, or each would start more. It says why on stderr and, if its stdout
/// is a pipe (the pool's, through a wrapper), to the pool, and exits. A real
/// worker consumed the marker in the hook, so its tasks' programs never see
/// it and may build pools.
pub(crate) fn refuse_if_unhooked_worker() {
    if HOOK_ENTERED.load(Ordering::SeqCst) {
        return;
    }
    let Some(marker) = Marker::from_env() else {
        return;
    };
    let text = format!(
        "the worker program builds a pool instead of serving (it carries \
         {MARKER_VAR} from the pool in process {}, but never entered the \
         hook): {HOOK_FIX}",
        marker.parent
    );
    eprintln!("process-pools: {text}");
    if stdout_is_a_pipe() {
        let mut stdout = io::stdout().lock();
        let _ = wire::write_frame(
            &mut stdout,
            &[&[wire::NOT_HOOKED], text.as_bytes()],
            MAX_FRAME,
        );
        let _ = stdout.flush();
    }
    std::process::exit(EXIT_NOT_HOOKED);
}
// ANCHOR_END: refuse

/// Removes the marker from this process's environment, so the processes its
/// tasks start never carry it (they may build pools of their own). Changing
/// the environment is sound only while no other thread can read it: the hook
/// runs first in `main`, so this checks that the process has one thread, and
/// otherwise leaves the marker (a task's program that builds a pool is then
/// refused, with the message that names the marker).
fn consume_marker() {
    if !single_threaded() {
        return;
    }
    // SAFETY: this process has a single thread (checked just above, and only
    // this thread could start another), so nothing reads the environment
    // while it changes.
    #[allow(unsafe_code)]
    unsafe {
        std::env::remove_var(MARKER_VAR);
        std::env::remove_var(crate::black_box::FD_VAR);
    }
}

/// Whether this process has exactly one thread.
fn single_threaded() -> bool {
    std::fs::read_dir("/proc/self/task").is_ok_and(|tasks| tasks.count() == 1)
}

/// Whether standard output is a pipe (as a worker's, and a wrapper's child's,
/// is).
fn stdout_is_a_pipe() -> bool {
    use nix::sys::stat::{SFlag, fstat};
    fstat(io::stdout().as_fd()).is_ok_and(|stat| {
        SFlag::from_bits_truncate(stat.st_mode & SFlag::S_IFMT.bits())
            == SFlag::S_IFIFO
    })
}

/// Serves the pool's protocol: first the process is set up so that no task
/// can hang or outlive it, then the loop runs.
fn serve_pool(
    registry: &Registry,
    marker: &Marker,
    parent: i32,
    black_box: Option<RawFd>,
) -> io::Result<()> {
    die_with_the_parent(parent)?;
    // Mapped (and its descriptor closed) before the low descriptors fill up.
    let black_box = BlackBox::inherit(black_box);
    // The protocol moves to private close-on-exec descriptors, so a task's
    // child processes never hold the pipes open, and out of reach of a task
    // that writes to a descriptor it guessed (3, 4, …: C libraries do). Stdin
    // becomes /dev/null (a task that reads it sees the end at once) and
    // stdout goes to stderr (a task that prints cannot corrupt the messages).
    occupy_low_descriptors();
    let requests = File::from(private_copy(io::stdin().as_fd())?);
    let replies = File::from(private_copy(io::stdout().as_fd())?);
    nix::unistd::dup2_stdin(File::open("/dev/null")?)?;
    nix::unistd::dup2_stdout(io::stderr())?;
    std::panic::set_hook(Box::new(record_panic));
    serve(registry, requests, replies, marker, black_box)
}

/// The first descriptor the protocol may use: below it, every free
/// descriptor leads to /dev/null.
const FIRST_PRIVATE_FD: i32 = 64;

/// Fills the free descriptors below [`FIRST_PRIVATE_FD`] with /dev/null
/// (close-on-exec), for the life of the worker, so the protocol's copies
/// land above them: a task that writes to descriptor 3 to 63 writes into
/// /dev/null, never into a reply. Best effort: under a low limit on open
/// files it fills what it can.
fn occupy_low_descriptors() {
    let mut fillers = Vec::new();
    while let Ok(null) = File::options().read(true).write(true).open("/dev/null") {
        if null.as_raw_fd() >= FIRST_PRIVATE_FD {
            break; // dropped: the protocol's copies take this one and up
        }
        fillers.push(null);
    }
    std::mem::forget(fillers); // open until the worker exits
}

/// A close-on-exec duplicate of `fd`. (Only the parent-watch thread runs
/// besides this one, and it starts no process, so no exec can come between
/// the two calls.)
fn private_copy(fd: BorrowedFd<'_>) -> io::Result<OwnedFd> {
    let copy = nix::unistd::dup(fd)?;
    fcntl(&copy, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))?;
    Ok(copy)
}

// ANCHOR: die_with_parent
/// The pool started this worker with SIGKILL as its parent-death signal (set
/// between fork and exec, before any of our code ran). Here it becomes
/// SIGTERM, caught by a thread that kills the worker's whole process group:
/// if the parent dies, the worker *and* any process its tasks started die.
fn die_with_the_parent(parent: i32) -> io::Result<()> {
    // The group the pool gave this worker, taken now: a task may move the
    // worker to another group (even the pool's), which must never be killed.
    let group = getpgrp();
    let die = move || {
        let _ = killpg(group, Signal::SIGKILL);
        let _ = nix::sys::signal::raise(Signal::SIGKILL); // if it left the group
    };
    let mut term = SigSet::empty();
    term.add(Signal::SIGTERM);
    term.thread_block()?; // every thread started from now on blocks it too
    std::thread::Builder::new()
        .name("process-pools-parent-watch".into())
        .spawn(move || {
            if term.wait().is_ok() {
                die();
            }
        })?;
    nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)?;
    if getppid().as_raw() != parent {
        die(); // it died meanwhile
    }
    Ok(())
}
// ANCHOR_END: die_with_parent

/// The worker loop: say hello, then for each chunk request look the task up,
/// check its types, and serve it, until the parent closes the request pipe.
fn serve(
    registry: &Registry,
    requests: File,
    replies: File,
    marker: &Marker,
    black_box: Option<BlackBox>,
) -> io::Result<()> {
    let mut input = BufReader::with_capacity(64 * 1024, requests);
    let mut out = Outbox::new(replies, marker.limit, black_box);
    out.hello(marker.nonce)?;
    let mut frame = Vec::new();
    loop {
        // A chunk is done (or about to wait for work): its results go, in
        // one write, so the parent can send more.
        out.flush()?;
        if !wire::read_frame(&mut input, &mut frame, marker.limit)? {
            return out.flush();
        }
        let request = wire::parse_chunk(&frame)?;
        let Some(entry) = registry.entry(request.name) else {
            out.refuse(wire::UNKNOWN_FUNCTION, request.name)?;
            continue;
        };
        if entry.fingerprint != request.fingerprint {
            let (input, output) = entry.types;
            let text = format!(
                "the worker's `{}` takes {input} and returns {output}, and the \
                 pool's does not (is the worker binary stale?)",
                request.name
            );
            out.refuse(wire::TYPE_MISMATCH, &text)?;
            continue;
        }
        match (entry.serve)(request.count, request.inputs, &mut out) {
            Ok(()) => {}
            Err(ServeError::BadInput(detail)) => {
                out.refuse(wire::BAD_INPUT, &detail)?
            }
            Err(ServeError::Io(e)) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_marker_round_trips_and_rejects_garbage() {
        let marker = Marker {
            parent: 42,
            nonce: 7,
            limit: 1000,
        };
        assert_eq!(Marker::parse(&marker.encode()), Some(marker));
        for bad in ["", "1:2", "1:2:3:4", "a:2:3", "1:2:-3"] {
            assert_eq!(Marker::parse(bad), None, "{bad}");
        }
    }
}
