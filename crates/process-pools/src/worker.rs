//! The worker side: the hook a program calls first thing in `main`, which turns
//! the process into a worker when the pool started it as one, and the loop that
//! serves chunks of tasks until its stdin closes.

use std::cell::RefCell;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::Registry;
use crate::wire::{self, BAD_INPUT, HELLO, MAGIC, RESULTS, UNKNOWN_FUNCTION};

/// First argument of a worker of the robust [`crate::ProcessPool`].
pub const POOL_WORKER_ARG: &str = "--process-pools-worker=pool";
/// First argument of a worker of the by-hand mechanism ([`crate::by_hand`]).
pub const BY_HAND_WORKER_ARG: &str = "--process-pools-worker=by-hand";

/// A worker sends its results at least this often while it works through a
/// long chunk, so the pool sees progress (and can tell which task hung).
pub(crate) const FLUSH_EVERY: Duration = Duration::from_millis(10);

// ANCHOR: hook
/// Call this first in `main` of any program whose executable serves as a
/// worker (the default: the pool re-executes the running program). If this
/// process was started as a worker, it serves the [`Registry::builtin`] tasks
/// and exits; otherwise it returns at once and `main` goes on.
pub fn worker_main_if_requested() {
    worker_main_if_requested_with(&Registry::builtin());
}

/// Like [`worker_main_if_requested`], serving the tasks of `registry`.
pub fn worker_main_if_requested_with(registry: &Registry) {
    let Some(mode) = std::env::args_os().nth(1) else {
        return;
    };
    let result = if mode == OsStr::new(POOL_WORKER_ARG) {
        serve_pool(registry)
    } else if mode == OsStr::new(BY_HAND_WORKER_ARG) {
        crate::by_hand::serve(registry)
    } else {
        return;
    };
    match result {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("process-pools worker {}: {e}", std::process::id());
            std::process::exit(70)
        }
    }
}
// ANCHOR_END: hook

/// Serves the robust pool's protocol on stdin/stdout.
fn serve_pool(registry: &Registry) -> io::Result<()> {
    // If the parent dies, even mid-task, this worker dies with it.
    #[cfg(target_os = "linux")]
    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGKILL)?;
    // Keep the protocol on a private copy of stdout, and point stdout itself at
    // stderr: a task that prints cannot corrupt the messages.
    let protocol = File::from(nix::unistd::dup(io::stdout())?);
    nix::unistd::dup2_stdout(io::stderr())?;
    std::panic::set_hook(Box::new(|info| {
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
    }));
    serve(registry, io::stdin().lock(), protocol)
}

thread_local! {
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The message of the panic that just unwound: what the panic hook recorded
/// (message and location), or the payload if no hook ran.
pub(crate) fn take_panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(message) = LAST_PANIC.with(|last| last.borrow_mut().take()) {
        return message;
    }
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_owned()
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

/// Where a worker puts its results: encoded one after another and sent in a
/// frame at the end of the chunk, or earlier once [`FLUSH_EVERY`] has passed.
pub(crate) struct Outbox {
    out: BufWriter<Box<dyn Write>>,
    results: Vec<u8>,
    count: u32,
    last_flush: Instant,
}

impl Outbox {
    fn new(out: Box<dyn Write>) -> Self {
        Outbox {
            out: BufWriter::with_capacity(64 * 1024, out),
            results: Vec::new(),
            count: 0,
            last_flush: Instant::now(),
        }
    }

    /// Adds one result; sends what has accumulated if it is time to.
    pub(crate) fn push(&mut self, result: &impl Serialize) -> io::Result<()> {
        let buf = std::mem::take(&mut self.results);
        self.results = postcard::to_extend(result, buf)
            .map_err(|e| io::Error::other(format!("cannot encode a result: {e}")))?;
        self.count += 1;
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.write_results()?;
            self.flush()?;
        }
        Ok(())
    }

    /// Ends a chunk: its remaining results become a frame. The frame is sent
    /// at once, unless the next request is already here and the last send was
    /// recent: then it goes with the next chunk's (one write for several).
    fn end_chunk(&mut self, more_waiting: bool) -> io::Result<()> {
        self.write_results()?;
        if !more_waiting || self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush()?;
        }
        Ok(())
    }

    /// Moves the accumulated results, if any, into a frame in the buffer.
    fn write_results(&mut self) -> io::Result<()> {
        if self.count > 0 {
            let header = [&[RESULTS][..], &self.count.to_le_bytes()].concat();
            wire::write_frame(&mut self.out, &[&header, &self.results])?;
            self.results.clear();
            self.count = 0;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.last_flush = Instant::now();
        Ok(())
    }

    fn send(&mut self, parts: &[&[u8]]) -> io::Result<()> {
        wire::write_frame(&mut self.out, parts)?;
        self.flush()
    }
}

// ANCHOR: serve
/// The worker loop: say hello, then for each chunk request look the function up
/// and serve it, until the parent closes our stdin.
pub(crate) fn serve(
    registry: &Registry,
    input: impl io::Read,
    output: impl Write + 'static,
) -> io::Result<()> {
    let mut input = BufReader::with_capacity(64 * 1024, input);
    let mut out = Outbox::new(Box::new(output));
    out.send(&[&[HELLO], MAGIC, &std::process::id().to_le_bytes()])?;
    let mut frame = Vec::new();
    while wire::read_frame(&mut input, &mut frame)? {
        let (count, name, inputs) = wire::parse_chunk(&frame)?;
        let Some(serve_chunk) = registry.serve_fn(name) else {
            out.send(&[&[UNKNOWN_FUNCTION], name.as_bytes()])?;
            continue;
        };
        if out.out.buffer().is_empty() {
            out.last_flush = Instant::now(); // time since the last send
        }
        match serve_chunk(count, inputs, &mut out) {
            Ok(()) => out.end_chunk(!input.buffer().is_empty())?,
            Err(ServeError::BadInput(detail)) => {
                out.send(&[&[BAD_INPUT], detail.as_bytes()])?
            }
            Err(ServeError::Io(e)) => return Err(e),
        }
    }
    Ok(())
}
// ANCHOR_END: serve
