//! The worker's side of the replies: the [`Outbox`] it writes them to, why
//! serving a chunk can fail ([`ServeError`]), and the message of a task's
//! panic, as its failure reply carries it.
//!
//! Below the registry ([`crate::task`]), which serves each chunk through an
//! outbox, and the worker loop ([`crate::worker`]), which owns one.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufWriter, Write};

use serde::Serialize;

use crate::black_box::{BlackBox, monotonic_ns};
use crate::wire::{self, Failure, MAX_FRAME};

// ANCHOR: outbox
/// Where a worker writes its replies. With a [`BlackBox`] (the usual case),
/// each task's start is published there and its result appended to the
/// box's log, which goes to the pipe in one write now and then; without one
/// (the worker could not map it), `STARTED` goes out, flushed, before each
/// task.
pub(crate) struct Outbox {
    out: BufWriter<File>,
    scratch: Vec<u8>,
    limit: usize,
    black_box: Option<BlackBox>,
    /// Tasks started, and done, over the worker's life.
    started: u64,
    done: u64,
    /// When the task that started last started (`CLOCK_MONOTONIC`, ns).
    start_ns: u64,
    /// When the oldest result in the log was on its way: the start of its
    /// task.
    pending_since_ns: u64,
    /// [`HOLD_NS`] (the tests hold results for ever, to fill the log).
    hold_ns: u64,
}

/// A result waits in the log at most about this long if another task
/// starts: a result is not held back long by a slow task behind it in the
/// same chunk.
const HOLD_NS: u64 = 1_000_000;

impl Outbox {
    /// Tells the parent that the next task starts now.
    pub(crate) fn started(&mut self) -> io::Result<()> {
        let Some(black_box) = &self.black_box else {
            wire::write_frame(&mut self.out, &[&[wire::STARTED]], self.limit)?;
            return self.out.flush();
        };
        let now = monotonic_ns();
        if now.saturating_sub(self.pending_since_ns) >= self.hold_ns
            && !black_box.pending().is_empty()
        {
            self.write_log()?;
        }
        if let Some(black_box) = &self.black_box {
            black_box.publish_start(self.started, now);
        }
        self.started += 1;
        self.start_ns = now;
        Ok(())
    }

    /// Sends the result of the task that started last.
    pub(crate) fn result<T: Serialize>(
        &mut self,
        result: &Result<T, Failure>,
    ) -> io::Result<()> {
        // The frame: length, RESULT, the encoded result.
        self.scratch.clear();
        self.scratch.extend_from_slice(&[0, 0, 0, 0, wire::RESULT]);
        let mut encoded =
            postcard::to_extend(result, std::mem::take(&mut self.scratch)).map_err(
                |e| io::Error::other(format!("cannot encode a result: {e}")),
            )?;
        if encoded.len() - 4 > self.limit {
            let too_large: Result<(), Failure> = Err(Failure::OutputTooLarge {
                bytes: encoded.len() as u64 - 5,
                limit: self.limit as u64,
            });
            encoded.truncate(5);
            encoded = postcard::to_extend(&too_large, encoded)
                .map_err(|e| io::Error::other(e.to_string()))?;
        }
        let len = (encoded.len() - 4) as u32;
        encoded[..4].copy_from_slice(&len.to_le_bytes());
        let sent = self.send_result(&encoded);
        self.scratch = encoded;
        sent
    }

    /// Refuses a whole chunk, before any of its tasks started.
    pub(crate) fn refuse(&mut self, kind: u8, text: &str) -> io::Result<()> {
        self.write_log()?; // the results before it go first
        wire::write_frame(&mut self.out, &[&[kind], text.as_bytes()], self.limit)
    }
}
// ANCHOR_END: outbox

impl Outbox {
    /// An outbox on the reply pipe, with the black box if there is one; no
    /// message over `limit` bytes.
    pub(crate) fn new(
        replies: File,
        limit: usize,
        black_box: Option<BlackBox>,
    ) -> Outbox {
        Outbox {
            out: BufWriter::with_capacity(64 * 1024, replies),
            scratch: Vec::new(),
            limit,
            black_box,
            started: 0,
            done: 0,
            start_ns: 0,
            pending_since_ns: 0,
            hold_ns: HOLD_NS,
        }
    }

    /// Says hello: the magic, this worker's pid and the pool's nonce.
    pub(crate) fn hello(&mut self, nonce: u64) -> io::Result<()> {
        let pid = std::process::id().to_le_bytes();
        let hello: [&[u8]; 4] =
            [&[wire::HELLO], wire::MAGIC, &pid, &nonce.to_le_bytes()];
        wire::write_frame(&mut self.out, &hello, MAX_FRAME)
    }

    /// Sends every reply still in the buffer, or in the black box's log.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.write_log()?;
        self.out.flush()
    }

    /// A whole result frame: into the log if it fits (after writing the log
    /// out if that makes room), else straight down the pipe.
    fn send_result(&mut self, frame: &[u8]) -> io::Result<()> {
        let Some(black_box) = self.black_box.as_mut() else {
            return self.out.write_all(frame);
        };
        if black_box.pending().is_empty() {
            self.pending_since_ns = self.start_ns;
        }
        if !black_box.append(frame) {
            self.pending_since_ns = self.start_ns;
            self.write_log()?;
            let black_box = self.black_box.as_mut().expect("checked above");
            if !black_box.append(frame) {
                // Larger than the whole log: if the worker dies while it is
                // written, the task counts as started and not done (blamed).
                self.out.write_all(frame)?;
                self.out.flush()?;
                black_box.reset_log(self.done + 1);
            }
        }
        self.done += 1;
        if let Some(black_box) = &self.black_box {
            black_box.publish_done(self.done);
        }
        Ok(())
    }

    /// Writes the black box's log to the pipe, and empties it.
    fn write_log(&mut self) -> io::Result<()> {
        let Some(black_box) = &self.black_box else {
            return Ok(());
        };
        if !black_box.pending().is_empty() {
            self.out.flush()?;
            self.out.get_mut().write_all(black_box.pending())?;
        }
        // Everything done so far is in the pipe now: the log starts after.
        black_box.reset_log(self.done);
        Ok(())
    }
}

/// Why a chunk could not be served.
#[derive(Debug)]
pub(crate) enum ServeError {
    /// The inputs did not decode as the task's input type.
    BadInput(String),
    /// The pipe to the parent broke.
    Io(io::Error),
}

impl From<io::Error> for ServeError {
    fn from(e: io::Error) -> Self {
        ServeError::Io(e)
    }
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The panic hook of a worker: records the message and where, for
/// [`take_panic_message`].
pub(crate) fn record_panic(info: &std::panic::PanicHookInfo<'_>) {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string panic payload");
    let message = match info.location() {
        Some(at) => format!("{message} (at {at})"),
        None => message.to_owned(),
    };
    LAST_PANIC.with(|last| *last.borrow_mut() = Some(message));
}

/// The message of the panic that just unwound: what the panic hook recorded
/// (message and location), or the payload if no hook ran.
pub(crate) fn take_panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(message) = LAST_PANIC.with(|last| last.borrow_mut().take()) {
        return message;
    }
    sweep_core::panic_message(payload.as_ref())
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Seek};
    use std::os::fd::IntoRawFd;

    use super::*;
    use crate::black_box::LOG_BYTES;

    /// The results in `bytes` (whole frames of `RESULT, Ok(Vec<u8>)`).
    fn results(bytes: &[u8]) -> Vec<Vec<u8>> {
        let (frames, _) = wire::complete_frames(bytes, MAX_FRAME).unwrap();
        let decode = |(start, end): (usize, usize)| {
            assert_eq!(bytes[start], wire::RESULT);
            let (result, rest) =
                postcard::take_from_bytes::<Result<Vec<u8>, Failure>>(
                    &bytes[start + 1..end],
                )
                .unwrap();
            assert!(rest.is_empty());
            result.unwrap()
        };
        frames.into_iter().map(decode).collect()
    }

    /// Results of `sizes` go through a worker whose results are written
    /// only when the log is full, and which then dies without a last write:
    /// what reached the pipe, and the log after it (from the result number
    /// it says it starts at), are every result once, in order.
    fn every_result_once_in_order(sizes: &[usize]) {
        let (parent_view, fd) = BlackBox::create().unwrap();
        // The worker's own map of the same memory file, as it inherits it.
        let worker_view = BlackBox::inherit(Some(fd.into_raw_fd())).unwrap();
        assert!(parent_view.in_use());
        let mut pipe = tempfile::tempfile().unwrap();
        let mut out =
            Outbox::new(pipe.try_clone().unwrap(), MAX_FRAME, Some(worker_view));
        out.hold_ns = u64::MAX; // written only when full: it fills up
        let expected: Vec<Vec<u8>> = (sizes.iter().enumerate())
            .map(|(i, &n)| vec![i as u8; n])
            .collect();
        for result in &expected {
            out.started().unwrap();
            out.result::<Vec<u8>>(&Ok(result.clone())).unwrap();
        }
        // It dies here: no flush.
        let mut written = Vec::new();
        pipe.rewind().unwrap();
        pipe.read_to_end(&mut written).unwrap();
        let mut seen = results(&written);
        let (first, log) = parent_view.log();
        let skip = seen.len().checked_sub(first as usize).unwrap();
        seen.extend(results(&log).into_iter().skip(skip));
        assert_eq!(seen, expected);
        let progress = parent_view.progress();
        let n = sizes.len() as u64;
        assert_eq!((progress.started, progress.done), (n, n));
    }

    /// Small results, and every seventh of 9000 bytes: the log fills up
    /// and is written out many times; result `big` is larger than the whole
    /// log, and goes straight down the pipe.
    fn sizes(big: usize) -> Vec<usize> {
        (0..200)
            .map(|i| match i {
                i if i == big => LOG_BYTES + 10,
                i if i % 7 == 0 => 9_000,
                i => i % 13,
            })
            .collect()
    }

    #[test]
    fn the_pipe_then_the_log_hold_every_result_once_in_order() {
        every_result_once_in_order(&sizes(50));
    }

    #[test]
    fn so_they_do_right_after_a_result_larger_than_the_log() {
        every_result_once_in_order(&sizes(197));
        every_result_once_in_order(&sizes(199));
    }
}
