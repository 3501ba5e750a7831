//! The pool's end of a worker's request pipe ([`Requests`]): non-blocking,
//! so that a write to a worker that stopped reading gives up at the task's
//! deadline instead of holding its driver thread.

use std::io::{self, Write};
use std::os::fd::AsFd;
use std::process::ChildStdin;
use std::time::{Duration, Instant};

use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// A worker's request pipe, never blocking past a deadline: its end is
/// non-blocking, and a write that finds it full waits for room only until
/// the deadline. A worker that stops reading (stopped by SIGSTOP, wedged)
/// cannot hold its driver thread past the pool's timeout, however large
/// the chunk (a pipe holds 64 KiB).
#[derive(Debug)]
pub(crate) struct Requests {
    pipe: ChildStdin,
    /// `None`: wait as long as it takes (the pool has no timeout).
    pub(super) deadline: Option<Instant>,
}

impl Requests {
    pub(super) fn new(pipe: ChildStdin) -> io::Result<Requests> {
        fcntl(&pipe, FcntlArg::F_SETFL(OFlag::O_NONBLOCK))?;
        Ok(Requests {
            pipe,
            deadline: None,
        })
    }

    /// Waits until the pipe has room, or fails with `TimedOut` at the
    /// deadline.
    fn wait_for_room(&self) -> io::Result<()> {
        let timeout = match self.deadline {
            None => PollTimeout::NONE,
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                // Rounded up to a millisecond, so it never spins.
                let left = left.max(Duration::from_millis(1));
                PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX)
            }
        };
        let mut fds = [PollFd::new(self.pipe.as_fd(), PollFlags::POLLOUT)];
        match poll(&mut fds, timeout) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

impl Write for Requests {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        loop {
            match self.pipe.write(bytes) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.wait_for_room()?;
                }
                written => return written,
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(()) // nothing is buffered here
    }
}
