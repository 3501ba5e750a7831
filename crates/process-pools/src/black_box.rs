//! A worker's *black box*: a small piece of memory shared by the worker and
//! its parent, which says which task the worker is running (and since when)
//! without a message per task, and keeps the results the worker has not sent
//! yet, so that they survive the worker's death.
//!
//! The parent creates it (an anonymous memory file, a *memfd*), the worker
//! inherits the descriptor, maps it and closes it. Before each task the
//! worker stores the task's start time and its number (tasks are numbered
//! from 0 over the worker's life); after it, it appends the encoded result to
//! the *log* (the frames it would write to its pipe) and counts the task as
//! done. The log goes down the pipe in one write when the worker runs out of
//! work, at the end of each chunk, when it is full, and before a task that
//! starts a while after the last write ([`crate::outbox`]). So a chunk of
//! thousands of tiny tasks costs a few stores per task and one write.
//!
//! While the worker lives, the parent reads only the three counters
//! ([`BlackBox::progress`]): enough for the per-task timeout. Once it is
//! dead, it reads the log too ([`BlackBox::log`]): results that never reached
//! the pipe are delivered, the task started and not done is blamed, and the
//! tasks not started run elsewhere. Each task still runs at most once.
//!
//! What a task may scribble over is in its own process's memory: the parent
//! checks every length and frame it reads here as it checks the pipe.

use std::fs::File;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};

use memmap2::MmapMut;
use nix::sys::memfd::{MFdFlags, memfd_create};

/// The environment variable that gives a worker its black box's descriptor
/// (a worker of an older version ignores it, and says `STARTED` per task).
pub(crate) const FD_VAR: &str = "PROCESS_POOLS_BLACK_BOX";
/// The name of every black box's memory file.
const NAME: &str = "process-pools-black-box";

/// Bytes of results a black box holds before the worker writes them out.
pub(crate) const LOG_BYTES: usize = 64 * 1024;
/// Bytes before the log: the [`Header`], on a cache line of its own.
const HEADER_BYTES: usize = 64;

/// The counters at the start of the shared memory. Atomics of 64 bits are
/// lock-free where this crate runs, so they work between processes.
#[repr(C)]
struct Header {
    /// Tasks started over the worker's life.
    started: AtomicU64,
    /// Tasks done (their result in the log or already written).
    done: AtomicU64,
    /// When the last task started: `CLOCK_MONOTONIC`, in nanoseconds.
    start_ns: AtomicU64,
    /// The number of the task whose result is the log's first frame.
    log_first: AtomicU64,
    /// Bytes of frames in the log.
    log_len: AtomicU64,
    /// Set by the worker once it has mapped the box: it uses it.
    in_use: AtomicU64,
}

const _: () = assert!(size_of::<Header>() <= HEADER_BYTES);

/// The shared memory, mapped in this process (the parent or the worker).
#[derive(Debug)]
pub(crate) struct BlackBox {
    map: MmapMut,
}

/// What the worker published last, as the parent reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Progress {
    pub(crate) started: u64,
    pub(crate) done: u64,
    /// When task `started - 1` started (`CLOCK_MONOTONIC`, ns).
    pub(crate) start_ns: u64,
}

impl BlackBox {
    /// A new black box, in the parent, and the descriptor the worker
    /// inherits (close-on-exec: only the worker it is meant for gets it).
    pub(crate) fn create() -> std::io::Result<(BlackBox, OwnedFd)> {
        let flags = MFdFlags::MFD_CLOEXEC;
        let fd = memfd_create(NAME, flags)?;
        let file = File::from(fd);
        file.set_len((HEADER_BYTES + LOG_BYTES) as u64)?;
        let black_box = BlackBox::map(&file)?;
        Ok((black_box, file.into()))
    }

    /// The descriptor of the black box this worker inherited, as
    /// [`FD_VAR`] says (read before the hook clears the variable).
    pub(crate) fn fd_from_env() -> Option<RawFd> {
        std::env::var(FD_VAR).ok()?.parse().ok()
    }

    /// Maps the black box this worker inherited as `fd`, and closes the
    /// descriptor (the map stays). `None` if there is none, or the
    /// descriptor is not a black box.
    pub(crate) fn inherit(fd: Option<RawFd>) -> Option<BlackBox> {
        let fd = fd?;
        // The memory file, by its name: not whatever else has that number.
        let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
        if !link
            .to_string_lossy()
            .starts_with(&format!("/memfd:{NAME}"))
        {
            return None;
        }
        // SAFETY: `fd` is open (its link was just read) and is a black box,
        // which nothing else in this process uses: it is owned here from now
        // on, and closed at the end of this function.
        #[allow(unsafe_code)]
        let file = unsafe { File::from_raw_fd(fd) };
        let black_box = BlackBox::map(&file).ok()?;
        if black_box.map.len() != HEADER_BYTES + LOG_BYTES {
            return None;
        }
        black_box.header().in_use.store(1, Ordering::Release);
        Some(black_box)
    }

    fn map(file: &File) -> std::io::Result<BlackBox> {
        // SAFETY: the file is a memfd that only the parent and its worker
        // map; both reach the counters through atomics only, the worker alone
        // writes the log, and the parent reads it only once the worker is
        // dead (`BlackBox::log`).
        #[allow(unsafe_code)]
        let map = unsafe { MmapMut::map_mut(file)? };
        Ok(BlackBox { map })
    }

    fn header(&self) -> &Header {
        // SAFETY: the map starts on a page boundary and is larger than a
        // `Header`, whose fields are atomics: any bytes are a valid value,
        // and they are only ever accessed atomically.
        #[allow(unsafe_code)]
        unsafe {
            &*self.map.as_ptr().cast::<Header>()
        }
    }

    /// Whether the worker mapped it (it says so before its hello).
    pub(crate) fn in_use(&self) -> bool {
        self.header().in_use.load(Ordering::Acquire) == 1
    }

    /// The counters, as the worker published them (one consistent reading).
    pub(crate) fn progress(&self) -> Progress {
        let header = self.header();
        // A few tries for a reading that no task start came in the middle
        // of; a worker that starts tasks faster than that gets the last.
        let mut tries = 0;
        loop {
            tries += 1;
            let started = header.started.load(Ordering::Acquire);
            let start_ns = header.start_ns.load(Ordering::Acquire);
            let done = header.done.load(Ordering::Acquire);
            if header.started.load(Ordering::Acquire) == started || tries == 8 {
                return Progress {
                    started,
                    done,
                    start_ns,
                };
            }
        }
    }

    /// The results the dead worker had not written to its pipe: the number
    /// of the first one and the frames. Empty if the log makes no sense.
    pub(crate) fn log(&self) -> (u64, Vec<u8>) {
        let header = self.header();
        let first = header.log_first.load(Ordering::Acquire);
        let len = header.log_len.load(Ordering::Acquire) as usize;
        match self.map.get(HEADER_BYTES..HEADER_BYTES.saturating_add(len)) {
            Some(bytes) if len <= LOG_BYTES => (first, bytes.to_vec()),
            _ => (first, Vec::new()),
        }
    }
}

/// The worker's side: what it publishes.
impl BlackBox {
    /// Task `task` starts now (`now_ns`: `CLOCK_MONOTONIC`).
    pub(crate) fn publish_start(&self, task: u64, now_ns: u64) {
        let header = self.header();
        header.start_ns.store(now_ns, Ordering::Release);
        header.started.store(task + 1, Ordering::Release);
    }

    /// Appends a frame to the log if it fits; returns whether it did.
    pub(crate) fn append(&mut self, frame: &[u8]) -> bool {
        let len = self.header().log_len.load(Ordering::Relaxed) as usize;
        let Some(end) = len.checked_add(frame.len()).filter(|&e| e <= LOG_BYTES)
        else {
            return false;
        };
        self.map[HEADER_BYTES + len..HEADER_BYTES + end].copy_from_slice(frame);
        self.header().log_len.store(end as u64, Ordering::Release);
        true
    }

    /// `done` tasks are done.
    pub(crate) fn publish_done(&self, done: u64) {
        self.header().done.store(done, Ordering::Release);
    }

    /// The frames in the log, to write to the pipe.
    pub(crate) fn pending(&self) -> &[u8] {
        let len = self.header().log_len.load(Ordering::Relaxed) as usize;
        &self.map[HEADER_BYTES..HEADER_BYTES + len.min(LOG_BYTES)]
    }

    /// The log was written out: it starts again, at task `first`.
    pub(crate) fn reset_log(&self, first: u64) {
        let header = self.header();
        header.log_len.store(0, Ordering::Release);
        header.log_first.store(first, Ordering::Release);
    }
}

/// `CLOCK_MONOTONIC` now, in nanoseconds: the clock of `Instant`, the same
/// in every process of the machine.
pub(crate) fn monotonic_ns() -> u64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC).map_or(0, |t| {
        t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64
    })
}

/// The `Instant` of a `CLOCK_MONOTONIC` reading (never later than now).
pub(crate) fn instant_of(ns: u64) -> std::time::Instant {
    let now = std::time::Instant::now();
    let ago = monotonic_ns().saturating_sub(ns);
    now.checked_sub(std::time::Duration::from_nanos(ago))
        .unwrap_or(now)
}
