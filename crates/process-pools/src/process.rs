//! One worker process, seen from the pool: how it is started (its own process
//! group, the marker, a parent-death signal armed before it runs any code),
//! the two threads that watch it (one reads its replies, one waits for it to
//! end), and how it is stopped (its whole process group is killed, then it is
//! reaped).

use std::io::{self, BufWriter, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, unbounded};
use nix::fcntl::{FcntlArg, fcntl};
use nix::sys::signal::{Signal, kill, killpg};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;

use crate::black_box::{self, BlackBox};
use crate::memory::{self, StderrTail};
use crate::settings::Settings;
use crate::wire::{self, HELLO, MAGIC, NOT_HOOKED};
use crate::worker::{HOOK_FIX, MARKER_VAR, Marker, POOL_WORKER_ARG};

mod requests; // the request pipe, which never blocks past a deadline

pub(crate) use requests::Requests;

/// How long a new worker has to say hello.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);

/// What the threads watching a worker report.
#[derive(Debug)]
pub(crate) enum Event {
    /// Complete frames, as read from its pipe (length prefixes included).
    Frames(Vec<u8>),
    /// Its reply pipe ended (or carried something that is not our protocol).
    Closed,
    /// The process ended (it is not reaped yet, so its pid stays reserved).
    Exited,
}

/// Why a worker could not be started.
#[derive(Debug)]
pub(crate) enum SpawnError {
    /// The program ran its `main` instead of serving (no hook).
    NotHooked(String),
    /// Its initializer failed ([`crate::PoolBuilder::initializer`]).
    InitFailed(String),
    /// It could not start, or run the initializer, under the memory limit
    /// ([`crate::PoolBuilder::max_memory_per_worker`]).
    OutOfMemory(String),
    /// Anything else.
    Failed(String),
}

/// One live worker process.
#[derive(Debug)]
pub(crate) struct Worker {
    child: Child,
    pub(crate) pid: u32,
    /// Its request pipe: write with [`Worker::send`].
    pub(crate) stdin: Option<BufWriter<Requests>>,
    pub(crate) events: Receiver<Event>,
    pub(crate) closed: bool,
    pub(crate) exited: bool,
    /// With a memory limit: the end of its stderr ([`crate::memory`]).
    pub(crate) stderr: Option<StderrTail>,
    /// What it is running, and its results not yet sent
    /// ([`crate::black_box`]).
    pub(crate) black_box: Option<BlackBox>,
}

/// Starts a worker process and the threads that watch it, and waits for its
/// hello. (The pool's initializer, if any, runs next: [`crate::init`].)
pub(crate) fn spawn(settings: &Settings) -> Result<Worker, SpawnError> {
    let failed = |e: std::io::Error| SpawnError::Failed(e.to_string());
    let parent = std::process::id() as i32;
    // Without one (no memfd here), the worker says `STARTED` per task.
    let (black_box, black_box_fd) = match BlackBox::create() {
        Ok((black_box, fd)) => (Some(black_box), Some(fd)),
        Err(_) => (None, None),
    };
    let marker = Marker {
        parent,
        nonce: settings.nonce,
        limit: settings.max_message,
    };
    let mut command = Command::new(&settings.exe);
    command
        .arg(POOL_WORKER_ARG)
        .envs(settings.env.iter().map(|(k, v)| (k, v)))
        .env(MARKER_VAR, marker.encode())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .process_group(0); // its own group: killed as one, with what it starts
    die_with_this_thread(&mut command, parent);
    if let Some(fd) = &black_box_fd {
        inherit(&mut command, fd.as_raw_fd());
        command.env(black_box::FD_VAR, fd.as_raw_fd().to_string());
    }
    if let Some(bytes) = settings.max_memory {
        memory::limit_data(&mut command, bytes);
        command.stderr(Stdio::piped()); // forwarded, and read for its end
    }
    let mut child = command.spawn().map_err(|e| match e.raw_os_error() {
        Some(nix::libc::ENOMEM) if settings.max_memory.is_some() => {
            SpawnError::OutOfMemory(e.to_string())
        }
        _ => failed(e),
    })?;
    drop(black_box_fd); // the worker has its own; the map stays here
    let pid = child.id();
    let stderr = child.stderr.take().map(|s| memory::watch_stderr(s, pid));
    let stdin = match child.stdin.take().map(Requests::new).transpose() {
        Ok(stdin) => stdin.map(|s| BufWriter::with_capacity(64 * 1024, s)),
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(failed(e));
        }
    };
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, events) = unbounded();
    let mut worker = Worker {
        child,
        pid,
        stdin,
        events,
        closed: false,
        exited: false,
        stderr: None,
        black_box,
    };
    match stderr {
        Some(Ok(tail)) => worker.stderr = Some(tail),
        Some(Err(e)) => {
            worker.stop(Duration::ZERO);
            return Err(failed(e));
        }
        None => {}
    }
    let limit = settings.max_message;
    let reader_tx = tx.clone();
    let threads = thread::Builder::new()
        .name(format!("process-pool-reader-{pid}"))
        .spawn(move || read_frames(stdout, limit, reader_tx))
        .and_then(|_| {
            thread::Builder::new()
                .name(format!("process-pool-waiter-{pid}"))
                .spawn(move || wait_for_exit(pid, tx))
        });
    if let Err(e) = threads {
        worker.stop(Duration::ZERO);
        return Err(failed(e));
    }
    match handshake(&mut worker, settings.nonce) {
        Ok(()) => {
            // A worker that could not map it says `STARTED` per task.
            if !worker.black_box.as_ref().is_some_and(BlackBox::in_use) {
                worker.black_box = None;
            }
            Ok(worker)
        }
        Err(SpawnError::NotHooked(detail)) => {
            worker.stop(Duration::from_secs(1));
            Err(SpawnError::NotHooked(detail))
        }
        Err(_) => {
            let status = worker.stop(Duration::from_millis(100));
            if let Some(said) = worker.memory_complaint() {
                return Err(SpawnError::OutOfMemory(format!("{status}: {said}")));
            }
            Err(SpawnError::Failed(format!(
                "it did not answer as a worker ({status}); {HOOK_FIX}"
            )))
        }
    }
}

/// Waits for the worker's first message: hello, or why it is not a worker.
/// What it wrote before it ended arrives before the end of its pipe.
fn handshake(worker: &mut Worker, nonce: u64) -> Result<(), SpawnError> {
    let not_a_worker = || SpawnError::Failed(String::new());
    let mut deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        match worker.events.recv_timeout(wait) {
            Ok(Event::Frames(bytes)) if is_hello(&bytes, nonce) => return Ok(()),
            Ok(Event::Frames(bytes)) if bytes.get(4) == Some(&NOT_HOOKED) => {
                let text = String::from_utf8_lossy(&bytes[5..]).into_owned();
                return Err(SpawnError::NotHooked(text));
            }
            Ok(Event::Exited) => {
                worker.exited = true;
                deadline = deadline.min(Instant::now() + Duration::from_secs(1));
            }
            Ok(Event::Closed) => {
                worker.closed = true;
                return Err(not_a_worker());
            }
            Ok(Event::Frames(_)) | Err(_) => return Err(not_a_worker()),
        }
    }
}

fn is_hello(bytes: &[u8], nonce: u64) -> bool {
    bytes.len() == 4 + 17
        && bytes[4] == HELLO
        && &bytes[5..9] == MAGIC
        && wire::u64_at(bytes, 13) == Some(nonce)
}

// ANCHOR: pdeathsig
/// Arms the worker's parent-death signal between `fork` and `exec`, before
/// any code of the worker program runs: even a program that never reaches
/// the worker hook dies with the thread that started it (a driver thread,
/// which lives as long as the pool).
#[allow(unsafe_code)]
fn die_with_this_thread(command: &mut Command, parent: i32) {
    // SAFETY: the closure runs in the child after `fork`, where only
    // async-signal-safe calls are allowed. It makes two plain system calls
    // (prctl, getppid) and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            if nix::unistd::getppid().as_raw() != parent {
                return Err(nix::errno::Errno::ESRCH.into()); // parent gone
            }
            Ok(())
        });
    }
}
// ANCHOR_END: pdeathsig

/// Lets the worker (and only it) inherit descriptor `fd`, close-on-exec in
/// this process: the flag is cleared in the child, between fork and exec.
#[allow(unsafe_code)]
fn inherit(command: &mut Command, fd: RawFd) {
    // SAFETY: the closure runs in the child after `fork`; it makes one
    // system call (fcntl) and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            let fd = std::os::fd::BorrowedFd::borrow_raw(fd);
            fcntl(fd, FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()))?;
            Ok(())
        });
    }
}

/// Reads the worker's replies and hands over every complete frame; ends when
/// the pipe ends or carries something that is not a frame.
fn read_frames(mut stdout: ChildStdout, limit: usize, events: Sender<Event>) {
    let mut pending: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match stdout.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&buf[..n]);
        let Ok((_, used)) = wire::complete_frames(&pending, limit) else {
            break; // a length over the limit: not our protocol
        };
        if used > 0 {
            let rest = pending.split_off(used);
            let frames = std::mem::replace(&mut pending, rest);
            if events.send(Event::Frames(frames)).is_err() {
                return;
            }
        }
    }
    let _ = events.send(Event::Closed);
}

/// Waits until the worker ends, without reaping it (so its pid, which is
/// also its process group's id, cannot be reused before the pool has killed
/// the group), and says so.
fn wait_for_exit(pid: u32, events: Sender<Event>) {
    let flags = WaitPidFlag::WEXITED | WaitPidFlag::WNOWAIT;
    while let Err(nix::errno::Errno::EINTR) =
        waitid(Id::Pid(Pid::from_raw(pid as i32)), flags)
    {}
    let _ = events.send(Event::Exited);
}

impl Worker {
    /// Sends one frame to the worker, giving up with `TimedOut` at
    /// `deadline` if the worker does not read it by then (`None`: no limit).
    pub(crate) fn send(
        &mut self,
        parts: &[&[u8]],
        limit: usize,
        deadline: Option<Instant>,
    ) -> io::Result<()> {
        let stdin = self.stdin.as_mut().ok_or(io::ErrorKind::BrokenPipe)?;
        stdin.get_mut().deadline = deadline;
        wire::write_frame(stdin, parts, limit).and_then(|()| stdin.flush())
    }
}

impl Worker {
    /// Kills the worker's process group (the worker and every process its
    /// tasks started, unless one left the group on purpose), and the worker
    /// by its pid, in case a task moved the worker itself to another group.
    /// (Its pid cannot be reused meanwhile: it is not reaped yet.)
    pub(crate) fn kill_group(&self) {
        let pid = Pid::from_raw(self.pid as i32);
        let _ = killpg(pid, Signal::SIGKILL);
        if !self.exited {
            let _ = kill(pid, Signal::SIGKILL);
        }
    }

    /// Stops the worker: closes its request pipe, waits up to `grace` for it
    /// to end, kills its process group, and reaps it. Frames it sent before
    /// it ended are passed to `frames`. Returns how it ended.
    pub(crate) fn stop_with(
        &mut self,
        grace: Duration,
        mut frames: impl FnMut(Vec<u8>),
    ) -> String {
        if let Some(stdin) = self.stdin.as_mut() {
            // Dropping it flushes what a failed write left: never wait.
            stdin.get_mut().deadline = Some(Instant::now());
        }
        self.stdin = None;
        if self.exited {
            self.kill_group(); // what it started must not keep its pipe open
        }
        let deadline = Instant::now() + grace;
        let give_up = deadline + Duration::from_secs(5);
        let mut killed = false;
        // The end of the pipe and the end of the process, in either order.
        while !(self.closed && self.exited) {
            let now = Instant::now();
            if now > give_up {
                break; // never hang here, whatever holds the pipe
            }
            let wait = if now < deadline {
                deadline - now
            } else if !killed {
                self.kill_group();
                killed = true;
                Duration::from_secs(1)
            } else if self.exited {
                break; // a process outside the group holds the pipe
            } else {
                Duration::from_millis(100)
            };
            match self.events.recv_timeout(wait) {
                Ok(Event::Frames(bytes)) => frames(bytes),
                Ok(Event::Closed) => self.closed = true,
                Ok(Event::Exited) => {
                    self.exited = true;
                    // Whatever the worker started dies with it, so no child
                    // keeps the pipe open.
                    self.kill_group();
                }
                Err(_) if killed && !self.exited => {
                    // Unkillable so far (stopped in the kernel): try again.
                    self.kill_group();
                }
                Err(_) => {}
            }
        }
        self.kill_group();
        let status = reap(&mut self.child);
        status.unwrap_or_else(|| "unknown exit status".to_owned())
    }

    /// What a dead worker that never said hello (or never finished its
    /// initializer) said about memory, if it had a limit.
    pub(crate) fn memory_complaint(&self) -> Option<String> {
        self.stderr.as_ref()?.startup_complaint()
    }

    /// The error for the task a dead worker was running, if it ran out of
    /// memory under the pool's limit (`status`: how it ended).
    pub(crate) fn out_of_memory(
        &self,
        limit: Option<u64>,
        status: &str,
    ) -> Option<crate::TaskErrorKind> {
        self.stderr
            .as_ref()?
            .out_of_memory(self.pid, limit?, status)
    }

    /// [`Worker::stop_with`], dropping late frames.
    pub(crate) fn stop(&mut self, grace: Duration) -> String {
        self.stop_with(grace, |_| {})
    }
}

/// Reaps an ended (or killed) child; never blocks for long.
fn reap(child: &mut Child) -> Option<String> {
    for _ in 0..1000 {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status.to_string()),
            Ok(None) => thread::sleep(Duration::from_millis(1)),
            Err(_) => return None,
        }
    }
    None
}
