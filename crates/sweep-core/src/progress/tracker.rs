//! [`Tracker`]: the counters of one run, cheap to clone into every worker,
//! and what shows them: an indicatif bar, or a small thread that writes a
//! plain line now and then. [`Progress::start`](super::Progress::start)
//! picks the output and starts the tracker.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

#[cfg(feature = "bar")]
use indicatif::ProgressBar;

use super::counts::Counts;
use super::line::line;

/// Where a line of progress goes when stderr is not the destination.
pub(super) type Sink = Arc<Mutex<dyn Write + Send>>;

/// The shortest and longest interval between two automatic plain lines.
pub const AUTO_EVERY: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(60));

/// `total` when the number of tasks is not known.
const UNKNOWN: u64 = u64::MAX;

/// How progress is shown.
pub(super) enum Output {
    #[cfg(feature = "bar")]
    Bar(ProgressBar),
    Lines {
        label: String,
        /// `None`: a tenth of the time elapsed, within [`AUTO_EVERY`].
        every: Option<Duration>,
        sink: Sink,
    },
}

struct Shared {
    done: AtomicU64,
    failed: AtomicU64,
    total: AtomicU64,
    started: Instant,
    /// Held while a line is written, so the last line is last.
    writing: Mutex<()>,
    finished: AtomicBool,
    /// Dropped at the finish: stops the thread that writes the lines.
    stop: Mutex<Option<mpsc::Sender<()>>>,
    output: Output,
}

/// The counters of one run; cheap to clone into every worker. The run is
/// reported as finished by [`Tracker::finish`] or when the last clone is
/// dropped.
#[derive(Clone, Default)]
pub struct Tracker(Option<Arc<Shared>>);

impl Tracker {
    /// A tracker that counts nothing (what
    /// [`Progress::Off`](super::Progress::Off) starts).
    pub fn off() -> Tracker {
        Tracker(None)
    }

    /// `done` more tasks finished, of which `failed` failed.
    pub fn add(&self, done: u64, failed: u64) {
        let Some(shared) = &self.0 else { return };
        shared.done.fetch_add(done, Ordering::Relaxed);
        if failed > 0 {
            shared.failed.fetch_add(failed, Ordering::Relaxed);
        }
        match &shared.output {
            #[cfg(feature = "bar")]
            Output::Bar(bar) => {
                bar.inc(done); // indicatif limits how often it redraws
                if failed > 0 {
                    let failed = shared.failed.load(Ordering::Relaxed);
                    bar.set_message(format!(", {failed} failed"));
                }
            }
            Output::Lines { .. } => {} // the lines' thread reads the counts
        }
    }

    /// One task finished, failed if `result` is an error.
    pub fn record<T, E>(&self, result: &Result<T, E>) {
        self.add(1, u64::from(result.is_err()));
    }

    /// Sets the number of tasks once it is known (a lazy input ran out).
    pub fn set_total(&self, total: u64) {
        let Some(shared) = &self.0 else { return };
        shared.total.store(total, Ordering::Relaxed);
        #[cfg(feature = "bar")]
        if let Output::Bar(bar) = &shared.output {
            bar.set_length(total);
        }
    }

    /// `n` more tasks joined the run (a gather or a cluster counting what is
    /// submitted as it goes).
    pub fn add_total(&self, n: u64) {
        let Some(shared) = &self.0 else { return };
        let grow = |total: u64| Some(if total == UNKNOWN { n } else { total + n });
        let _ =
            shared
                .total
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, grow);
        #[cfg(feature = "bar")]
        if let Output::Bar(bar) = &shared.output {
            bar.inc_length(n);
        }
    }

    /// Whether this tracker reports anything.
    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// The counts so far (all zero when off).
    pub fn counts(&self) -> Counts {
        match &self.0 {
            None => Counts {
                done: 0,
                failed: 0,
                total: None,
            },
            Some(shared) => shared.counts(),
        }
    }

    /// Reports the run as finished: the bar is completed, or the last line
    /// is written. Only the first call (or drop) of any clone does it.
    pub fn finish(&self) {
        if let Some(shared) = &self.0 {
            shared.finish();
        }
    }
}

impl std::fmt::Debug for Tracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Tracker").field(&self.counts()).finish()
    }
}

impl Tracker {
    /// Starts counting a run of `total` tasks shown on `output`; the clock
    /// starts now. With plain lines, a small thread writes one per interval.
    pub(super) fn start(output: Output, total: Option<u64>) -> Tracker {
        let lines = matches!(output, Output::Lines { .. });
        let (stop, stopped) = mpsc::channel();
        let shared = Arc::new(Shared {
            done: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            total: AtomicU64::new(total.unwrap_or(UNKNOWN)),
            started: Instant::now(),
            writing: Mutex::new(()),
            finished: AtomicBool::new(false),
            stop: Mutex::new(Some(stop)),
            output,
        });
        if lines {
            let weak = Arc::downgrade(&shared);
            // Best effort: without the thread, only the last line is written.
            let _ = std::thread::Builder::new()
                .name("progress-lines".into())
                .spawn(move || write_lines(&weak, &stopped));
        }
        Tracker(Some(shared))
    }
}

/// The thread of plain lines: one line per interval until the run finishes.
fn write_lines(shared: &Weak<Shared>, stopped: &mpsc::Receiver<()>) {
    loop {
        let Some(gap) = shared.upgrade().map(|s| s.gap()) else {
            return;
        };
        match stopped.recv_timeout(gap) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return, // finished
        }
        match shared.upgrade() {
            Some(shared) => shared.write_line(false),
            None => return,
        }
    }
}

impl Shared {
    fn counts(&self) -> Counts {
        let total = self.total.load(Ordering::Relaxed);
        Counts {
            done: self.done.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            total: (total != UNKNOWN).then_some(total),
        }
    }

    /// Time until the next plain line.
    fn gap(&self) -> Duration {
        #[cfg_attr(not(feature = "bar"), allow(irrefutable_let_patterns))]
        let Output::Lines { every, .. } = &self.output else {
            return AUTO_EVERY.1;
        };
        let (shortest, longest) = AUTO_EVERY;
        every
            .unwrap_or_else(|| {
                (self.started.elapsed() / 10).clamp(shortest, longest)
            })
            .max(Duration::from_millis(1))
    }

    fn write_line(&self, last: bool) {
        #[cfg_attr(not(feature = "bar"), allow(irrefutable_let_patterns))]
        let Output::Lines { label, sink, .. } = &self.output else {
            return;
        };
        let _writing = self.writing.lock();
        if !last && self.finished.load(Ordering::SeqCst) {
            return; // the last line is written already
        }
        let text = line(label, self.counts(), self.started.elapsed(), last);
        if let Ok(mut sink) = sink.lock() {
            // Progress is best effort: a full disk must not fail the run.
            let _ = writeln!(sink, "{text}");
            let _ = sink.flush();
        }
    }

    fn finish(&self) {
        if self.finished.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Ok(mut stop) = self.stop.lock() {
            stop.take(); // wakes the lines' thread, which then returns
        }
        match &self.output {
            #[cfg(feature = "bar")]
            Output::Bar(bar) => bar.finish(),
            Output::Lines { .. } => self.write_line(true),
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.finish();
    }
}
