//! Progress for any runner: one small reporter that counts *completed* tasks
//! (not dispatched ones), failures, and the time left.
//!
//! A library takes a [`Progress`] setting (off by default) and turns it into
//! a [`Tracker`] when a run starts; its workers call [`Tracker::add`] as
//! tasks (or whole chunks of tasks) finish. What the user sees depends on
//! where stderr goes:
//!
//! - on a terminal, an indicatif bar with the count, failures and an ETA
//!   (with the `bar` feature; without it, the plain lines below);
//! - anywhere else (a log file, a Slurm job, a pipe), a plain line now and
//!   then (every second at first, every minute after ten minutes: a tenth
//!   of the time elapsed) and one at the end, like joblib's `verbose`:
//!   `[sweep] 1200/4096 done (29%), 2 failed, 3.1 s elapsed, ETA 7.5 s`.
//!
//! ```
//! use sweep_core::progress::Progress;
//! use std::time::Duration;
//! // Progress::auto("sweep") draws a bar or writes lines on stderr; here the
//! // lines go into a buffer instead.
//! let progress = Progress::lines_to("sweep", Duration::from_secs(5), Vec::new());
//! let tracker = progress.start(Some(3));
//! for _ in 0..3 {
//!     tracker.add(1, 0); // one task done, none failed
//! }
//! assert_eq!(tracker.counts().done, 3);
//! tracker.finish();
//! ```
//!
//! Cost: a tracker is an `Arc` of two atomic counters, and `add` is one or
//! two atomic additions (the bar's redraws are rate-limited by indicatif;
//! the plain lines are written by a small thread that wakes at each
//! interval, so a stuck run still shows a heartbeat). Runners of tiny tasks
//! call `add` once per chunk. With [`Progress::Off`] the tracker is `None`
//! inside and `add` does nothing.

#[cfg(feature = "bar")]
use std::io::IsTerminal;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

#[cfg(feature = "bar")]
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

mod batch; // a worker's own count, passed on every few tasks
mod line; // the text of one plain line

pub use batch::{BATCH, Batch};
pub use line::line;

/// Where a line of progress goes when stderr is not the destination.
type Sink = Arc<Mutex<dyn Write + Send>>;

/// The shortest and longest interval between two automatic plain lines.
pub const AUTO_EVERY: (Duration, Duration) =
    (Duration::from_secs(1), Duration::from_secs(60));

// ANCHOR: progress
/// Whether and how a runner reports progress. Off by default.
#[derive(Clone, Default)]
pub enum Progress {
    /// No reporting at all (the default: a library stays quiet).
    #[default]
    Off,
    /// A bar on stderr when it is a terminal (with the `bar` feature);
    /// otherwise plain lines on
    /// stderr at intervals of a tenth of the time elapsed (within
    /// [`AUTO_EVERY`]), and one at the end.
    Auto {
        /// Shown before the counts (`[label] ...`).
        label: String,
    },
    /// Plain lines every `every` (and one at the end) into `sink`.
    Lines {
        /// Shown before the counts.
        label: String,
        /// Shortest time between two lines.
        every: Duration,
        /// Where the lines go.
        sink: Sink,
    },
}
// ANCHOR_END: progress

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Progress::Off => f.write_str("Progress::Off"),
            Progress::Auto { label } => write!(f, "Progress::Auto({label:?})"),
            Progress::Lines { label, every, .. } => {
                write!(f, "Progress::Lines({label:?}, every {every:?})")
            }
        }
    }
}

impl Progress {
    /// A bar on a terminal, plain lines otherwise (both on stderr).
    pub fn auto(label: impl Into<String>) -> Progress {
        Progress::Auto {
            label: label.into(),
        }
    }

    /// Plain lines on stderr every `every`, even on a terminal.
    pub fn lines(label: impl Into<String>, every: Duration) -> Progress {
        Self::lines_to(label, every, std::io::stderr())
    }

    /// Plain lines every `every` into `sink` (a file, a buffer in a test).
    pub fn lines_to(
        label: impl Into<String>,
        every: Duration,
        sink: impl Write + Send + 'static,
    ) -> Progress {
        Progress::Lines {
            label: label.into(),
            every,
            sink: Arc::new(Mutex::new(sink)),
        }
    }

    /// `Progress::auto(label)` if `on`, else [`Progress::Off`]: for a
    /// `--verbose` flag.
    pub fn auto_if(on: bool, label: impl Into<String>) -> Progress {
        if on { Self::auto(label) } else { Progress::Off }
    }

    /// Whether this reports anything.
    pub fn is_on(&self) -> bool {
        !matches!(self, Progress::Off)
    }

    /// Starts counting a run of `total` tasks (`None`: not known yet, as for
    /// a lazy iterator). The clock starts now.
    pub fn start(&self, total: Option<u64>) -> Tracker {
        let output = match self {
            Progress::Off => return Tracker(None),
            #[cfg(feature = "bar")]
            Progress::Auto { label } if std::io::stderr().is_terminal() => {
                Output::Bar(bar(label, total))
            }
            Progress::Auto { label } => Output::Lines {
                label: label.clone(),
                every: None,
                sink: Arc::new(Mutex::new(std::io::stderr())),
            },
            Progress::Lines { label, every, sink } => Output::Lines {
                label: label.clone(),
                every: Some(*every),
                sink: Arc::clone(sink),
            },
        };
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

/// `total` when the number of tasks is not known.
const UNKNOWN: u64 = u64::MAX;

#[cfg(feature = "bar")]
fn bar(label: &str, total: Option<u64>) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    let template = match total {
        Some(_) => "{prefix} [{bar:30}] {pos}/{len} done{msg}, {elapsed}, ETA {eta}",
        None => "{prefix} {spinner} {pos} done{msg}, {elapsed}, {per_sec}",
    };
    let style = ProgressStyle::with_template(template)
        .expect("the template is valid")
        .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(format!("[{label}]"));
    bar
}

/// How progress is shown.
enum Output {
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

/// The counts of a run so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Tasks finished, successful or not.
    pub done: u64,
    /// Of those, the tasks that failed.
    pub failed: u64,
    /// Tasks in the run, if known.
    pub total: Option<u64>,
}

// ANCHOR: tracker
/// The counters of one run; cheap to clone into every worker. The run is
/// reported as finished by [`Tracker::finish`] or when the last clone is
/// dropped.
#[derive(Clone, Default)]
pub struct Tracker(Option<Arc<Shared>>);

impl Tracker {
    /// A tracker that counts nothing (what [`Progress::Off`] starts).
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
    // ANCHOR_END: tracker

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
