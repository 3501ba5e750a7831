//! The results table every chapter demo prints: strategy, jobs, wall time,
//! speedup against the baseline of the same run, efficiency, and whether the
//! strategy's result equals the baseline's.
//!
//! [`Report::compare`] measures a speedup *paired* (baseline and strategy
//! alternated after a warm-up, [`crate::measure::paired`]) and shows the
//! spread of the pair ratios; [`Report::with_capacity`] puts the machine's
//! measured parallel capacity in the header and flags a parallel speedup
//! above it by the one rule of [`flag`] instead of printing it as a plain
//! number.
//!
//! ```
//! use workloads::report::Report;
//! let mut report = Report::new("example", "driver", 3);
//! let expected = report.baseline("for loop", || vec![1, 4, 9]);
//! report.check("iterator", 1, &expected, || (1..=3).map(|x| x * x).collect());
//! assert!(report.all_verified());
//! ```

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde::Serialize;
use sweep_core::progress::{Progress, Tracker};

use crate::measure::{Budget, Paired, paired, parallel_capacity};

pub mod flag;

/// The name of the serial baseline in every chapter's demo and benchmarks.
pub const SERIAL: &str = "serial";

/// Baselines slower than this are not paired in [`Report::compare`]: rerunning
/// them for every pair would make the demo take minutes.
pub const PAIRED_UP_TO: Duration = Duration::from_millis(500);

/// One strategy's measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Strategy name.
    pub strategy: String,
    /// Workers it used.
    pub jobs: usize,
    /// Median wall time, in seconds.
    pub seconds: f64,
    /// How many runs the median is taken over.
    pub runs: usize,
    /// Baseline time / this time.
    pub speedup: f64,
    /// Speedup / jobs.
    pub efficiency: f64,
    /// Whether its result equals the baseline's.
    pub verified: bool,
    /// The paired measurement behind `speedup`, when it was paired.
    pub paired: Option<Paired>,
}

/// All rows of one demo run. The first row recorded is the baseline.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Chapter (crate) name.
    pub chapter: String,
    /// Workload name.
    pub workload: String,
    /// Number of tasks.
    pub size: u64,
    /// Cores of this machine.
    pub cores: usize,
    /// The machine's parallel capacity, when measured (see
    /// [`Report::with_capacity`]).
    pub capacity: Option<f64>,
    /// The measurements, baseline first.
    pub rows: Vec<Row>,
    /// The demo's progress on stderr (rows measured), off unless
    /// [`Report::with_progress`] turns it on.
    #[serde(skip)]
    progress: Tracker,
}

/// Repeat a quick strategy until it has run this long (or [`MAX_RUNS`] times),
/// and report the median, so short runs are not one noisy sample.
const TIME_BUDGET: Duration = Duration::from_millis(300);
/// Most runs per strategy.
const MAX_RUNS: usize = 7;

impl Report {
    /// An empty report for `size` tasks of `workload` in `chapter`.
    pub fn new(chapter: &str, workload: &str, size: u64) -> Self {
        Report {
            chapter: chapter.to_owned(),
            workload: workload.to_owned(),
            size,
            cores: sweep_core::jobs::default_jobs(),
            capacity: None,
            rows: Vec::new(),
            progress: Tracker::off(),
        }
    }

    /// Shows the demo's progress on stderr while it measures `rows`
    /// strategies (the baseline included): a bar on a terminal, plain lines
    /// in a log (see [`crate::progress`]). A wrong result counts as failed.
    pub fn with_progress(mut self, rows: u64) -> Self {
        let label = format!("{} demo", self.chapter);
        self.progress = Progress::auto(label).start(Some(rows));
        self
    }

    /// Measures the machine's parallel capacity now (about half a second:
    /// the same spin work on one thread and on every core) and shows it in
    /// the header; parallel speedups above it are flagged.
    pub fn with_capacity(mut self) -> Self {
        let capacity = parallel_capacity(self.cores, Duration::from_millis(60));
        self.capacity = Some(capacity);
        self
    }

    /// Times `run` against `baseline` *paired* (alternately, after a warm-up)
    /// and checks its result equals `expected`; returns whether it did. A
    /// baseline slower than [`PAIRED_UP_TO`] is not rerun for every pair:
    /// the row is timed alone, like [`Report::check`].
    pub fn compare<T: PartialEq>(
        &mut self,
        strategy: &str,
        jobs: usize,
        expected: &T,
        baseline: impl FnMut() -> T,
        run: impl FnMut() -> T,
    ) -> bool {
        self.compare_with(Budget::quick(), strategy, jobs, expected, baseline, run)
    }

    /// [`Report::compare`] with pairs of `budget` instead of
    /// [`Budget::quick`]: fewer pairs for a strategy whose every run starts
    /// processes (process pools, a local cluster).
    pub fn compare_with<T: PartialEq>(
        &mut self,
        budget: Budget,
        strategy: &str,
        jobs: usize,
        expected: &T,
        baseline: impl FnMut() -> T,
        run: impl FnMut() -> T,
    ) -> bool {
        let base = self.rows.first().map_or(0.0, |r| r.seconds);
        if base > PAIRED_UP_TO.as_secs_f64() {
            return self.check(strategy, jobs, expected, run);
        }
        let (paired, _, result) = paired(budget, baseline, run);
        let verified = result == *expected;
        self.push(
            strategy,
            jobs,
            paired.strategy_seconds,
            paired.pairs,
            verified,
        );
        let row = self.rows.last_mut().expect("just pushed");
        row.speedup = paired.median;
        row.efficiency = paired.median / jobs.max(1) as f64;
        row.paired = Some(paired);
        verified
    }

    /// Times the baseline (serial) strategy and returns its result, which later
    /// strategies are checked against.
    ///
    /// A quick baseline (under [`PAIRED_UP_TO`]) runs once untimed first, so
    /// its time is not that of a cold first run.
    pub fn baseline<T>(&mut self, strategy: &str, mut run: impl FnMut() -> T) -> T {
        let start = Instant::now();
        let first = run();
        if start.elapsed() > PAIRED_UP_TO {
            self.push(strategy, 1, start.elapsed().as_secs_f64(), 1, true);
            return first;
        }
        let (result, seconds, runs) = time_median(run);
        self.push(strategy, 1, seconds, runs, true);
        result
    }

    /// Times `run` on `jobs` workers and checks its result equals `expected`;
    /// returns whether it did.
    pub fn check<T: PartialEq>(
        &mut self,
        strategy: &str,
        jobs: usize,
        expected: &T,
        run: impl FnMut() -> T,
    ) -> bool {
        let (result, seconds, runs) = time_median(run);
        let verified = result == *expected;
        self.push(strategy, jobs, seconds, runs, verified);
        verified
    }

    /// Records a measurement made elsewhere.
    pub fn push(
        &mut self,
        strategy: &str,
        jobs: usize,
        seconds: f64,
        runs: usize,
        ok: bool,
    ) {
        let base = self.rows.first().map_or(seconds, |row| row.seconds);
        let speedup = if seconds > 0.0 {
            base / seconds
        } else {
            f64::INFINITY
        };
        self.rows.push(Row {
            strategy: strategy.to_owned(),
            jobs,
            seconds,
            runs,
            speedup,
            efficiency: speedup / jobs.max(1) as f64,
            verified: ok,
            paired: None,
        });
        self.progress.add(1, u64::from(!ok));
    }

    /// Whether every strategy's result equalled the baseline's.
    pub fn all_verified(&self) -> bool {
        self.rows.iter().all(|row| row.verified)
    }

    /// The report as an aligned text table.
    pub fn table(&self) -> String {
        // One header line (the chapters' CLI tests expect two lines before
        // the rows): what ran, the capacity, and how the speedup was taken.
        let capacity = self
            .capacity
            .map(|c| {
                format!(
                    ", parallel capacity now {c:.2}× (no parallel speedup can \
                     exceed it)"
                )
            })
            .unwrap_or_default();
        let paired = if self.rows.iter().any(|r| r.paired.is_some()) {
            "; paired: median of baseline/strategy pair ratios, IQR in brackets"
        } else {
            ""
        };
        let mut out = format!(
            "{}: workload {}, {} tasks, {} cores{capacity} (speedup vs {}{paired})\n",
            self.chapter,
            self.workload,
            self.size,
            self.cores,
            self.rows.first().map_or("-", |r| r.strategy.as_str()),
        );
        let width = self
            .rows
            .iter()
            .map(|r| r.strategy.len())
            .max()
            .unwrap_or(8)
            .max(8);
        let _ = writeln!(
            out,
            "{:<width$}  {:>4}  {:>10}  {:>4}  {:>8}  {:>10}  result",
            "strategy", "jobs", "wall time", "runs", "speedup", "efficiency"
        );
        for row in &self.rows {
            let _ = writeln!(
                out,
                "{:<width$}  {:>4}  {:>10}  {:>4}  {:>7.2}x  {:>9.0}%  {}{}",
                row.strategy,
                row.jobs,
                format_seconds(row.seconds),
                row.runs,
                row.speedup,
                row.efficiency * 100.0,
                if row.verified { "= serial" } else { "MISMATCH" },
                self.note(row),
            );
        }
        out
    }

    /// The spread of a paired speedup, and a flag when a parallel speedup is
    /// above the measured capacity (an artefact, not a result).
    fn note(&self, row: &Row) -> String {
        let mut note = String::new();
        if let Some(p) = &row.paired {
            let _ = write!(note, "  ({:.2}–{:.2})", p.q1, p.q3);
        }
        // The demos measure the capacity only for work that computes (the
        // latency and cache demos leave it out), so their rows are CPU work.
        let parallel = self.parallel_speedup(row);
        if let Some(capacity) = flag::flagged(
            flag::Work::Cpu,
            row.jobs,
            row.speedup,
            parallel,
            self.capacity,
        ) {
            let _ = write!(note, "  ⚠ above capacity {capacity:.2}×: suspect");
        }
        note
    }

    /// `row` over the same strategy on one worker, when the report has that
    /// row; else its speedup over the baseline.
    fn parallel_speedup(&self, row: &Row) -> f64 {
        self.rows
            .iter()
            .find(|r| r.jobs == 1 && r.strategy == row.strategy)
            .map_or(row.speedup, |one| one.seconds / row.seconds)
    }

    /// The report as pretty-printed JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report always serialises")
    }

    /// Prints the table (or JSON) to stdout and returns the process exit code:
    /// failure, with a message on stderr, if any strategy disagreed with serial.
    pub fn finish(&self, json: bool) -> ExitCode {
        self.progress.finish();
        if json {
            println!("{}", self.json());
        } else {
            print!("{}", self.table());
        }
        if self.all_verified() {
            ExitCode::SUCCESS
        } else {
            let bad: Vec<&str> = self
                .rows
                .iter()
                .filter(|r| !r.verified)
                .map(|r| r.strategy.as_str())
                .collect();
            eprintln!("error: results differ from serial for: {}", bad.join(", "));
            ExitCode::FAILURE
        }
    }
}

/// Runs `run` once, and again while the total stays within the time budget;
/// returns the last result, the median time in seconds and the number of runs.
fn time_median<T>(mut run: impl FnMut() -> T) -> (T, f64, usize) {
    let mut times = Vec::new();
    let started = Instant::now();
    loop {
        let t0 = Instant::now();
        let result = run();
        times.push(t0.elapsed().as_secs_f64());
        if times.len() >= MAX_RUNS || started.elapsed() * 2 > TIME_BUDGET {
            times.sort_by(f64::total_cmp);
            return (result, times[times.len() / 2], times.len());
        }
    }
}

/// Formats seconds with a unit that keeps 3–4 significant digits.
pub fn format_seconds(seconds: f64) -> String {
    match seconds {
        s if s < 1e-6 => format!("{:.1} ns", s * 1e9),
        s if s < 1e-3 => format!("{:.1} µs", s * 1e6),
        s if s < 1.0 => format!("{:.1} ms", s * 1e3),
        s => format!("{s:.2} s"),
    }
}

#[cfg(test)]
mod tests;
