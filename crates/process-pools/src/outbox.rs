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

use crate::wire::{self, Failure, MAX_FRAME};

// ANCHOR: outbox
/// Where a worker writes its replies. `STARTED` goes out (with the result of
/// the task before it, in the same write) before each task runs; results
/// wait in the buffer until then, or until the worker has nothing to do.
pub(crate) struct Outbox {
    out: BufWriter<File>,
    scratch: Vec<u8>,
    limit: usize,
}

impl Outbox {
    /// Tells the parent that the next task starts now.
    pub(crate) fn started(&mut self) -> io::Result<()> {
        wire::write_frame(&mut self.out, &[&[wire::STARTED]], self.limit)?;
        self.out.flush()
    }

    /// Sends the result of the task that started last.
    pub(crate) fn result<T: Serialize>(
        &mut self,
        result: &Result<T, Failure>,
    ) -> io::Result<()> {
        self.scratch.clear();
        self.scratch.push(wire::RESULT);
        let mut encoded =
            postcard::to_extend(result, std::mem::take(&mut self.scratch)).map_err(
                |e| io::Error::other(format!("cannot encode a result: {e}")),
            )?;
        if encoded.len() > self.limit {
            let too_large: Result<(), Failure> = Err(Failure::OutputTooLarge {
                bytes: encoded.len() as u64 - 1,
                limit: self.limit as u64,
            });
            encoded.truncate(1);
            encoded = postcard::to_extend(&too_large, encoded)
                .map_err(|e| io::Error::other(e.to_string()))?;
        }
        let written = wire::write_frame(&mut self.out, &[&encoded], self.limit);
        self.scratch = encoded;
        written
    }

    /// Refuses a whole chunk, before any of its tasks started.
    pub(crate) fn refuse(&mut self, kind: u8, text: &str) -> io::Result<()> {
        wire::write_frame(&mut self.out, &[&[kind], text.as_bytes()], self.limit)
    }
}
// ANCHOR_END: outbox

impl Outbox {
    /// An outbox on the reply pipe; no message over `limit` bytes.
    pub(crate) fn new(replies: File, limit: usize) -> Outbox {
        Outbox {
            out: BufWriter::with_capacity(64 * 1024, replies),
            scratch: Vec::new(),
            limit,
        }
    }

    /// Says hello: the magic, this worker's pid and the pool's nonce.
    pub(crate) fn hello(&mut self, nonce: u64) -> io::Result<()> {
        let pid = std::process::id().to_le_bytes();
        let hello: [&[u8]; 4] =
            [&[wire::HELLO], wire::MAGIC, &pid, &nonce.to_le_bytes()];
        wire::write_frame(&mut self.out, &hello, MAX_FRAME)
    }

    /// Sends every reply still in the buffer.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
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
