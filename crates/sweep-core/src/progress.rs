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
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[cfg(feature = "bar")]
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

// The files, bottom up: `counts` (what a run has done), `line` (the text of
// one plain line), `tracker` (the counters a run updates, and how they are
// shown), `batch` (a worker's own count); this one, the setting on top.
mod batch; // a worker's own count, passed on every few tasks
mod counts; // the counts of a run so far
mod line; // the text of one plain line
mod tracker; // the counters of one run, and the bar or the lines' thread

pub use batch::{BATCH, Batch};
pub use counts::Counts;
pub use line::line;
pub use tracker::{AUTO_EVERY, Tracker};

use tracker::{Output, Sink};

// ANCHOR: progress
/// Whether and how a runner reports progress. Off by default.
#[derive(Clone, Default)]
pub enum Progress {
    /// No reporting at all (the default: a library stays quiet).
    #[default]
    Off,
    /// A bar on stderr when it is a terminal (with the `bar` feature);
    /// otherwise plain lines on stderr at intervals of a tenth of the time
    /// elapsed (within [`AUTO_EVERY`]), and one at the end.
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
            Progress::Off => return Tracker::off(),
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
        Tracker::start(output, total)
    }
}

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
