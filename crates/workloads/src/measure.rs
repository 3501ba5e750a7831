//! Paired speedups and the machine's parallel capacity: how the demos and
//! `cargo xtask bench` turn timings into a speedup a reader can trust.
//!
//! - [`paired`]: warm both up, then alternate baseline and strategy
//!   (A B, B A, A B, …) in the same process and take the median of the pair ratios,
//!   with their spread. Timing the baseline first and cold, then the strategy
//!   warm, makes identical code look 1.3–2× faster; alternating cancels the
//!   warm-up and most of the drift of a shared machine.
//! - [`parallel_capacity`]: how many cores' worth of CPU the machine gives
//!   right now (the same spin work alone and on every core at once). No
//!   parallel speedup can honestly exceed it; [`Paired::exceeds`] flags one
//!   that does. A [`CapacityProbe`] samples it between pairs
//!   ([`paired_between`]), so a speedup is read against the capacity it had.
//! - [`clock_ghz`]: a rough clock-rate estimate, to state a cost in cycles.
//! - [`peak_rss_mib`] and [`reset_peak_rss`]: the peak resident memory of
//!   this process (Linux), to show what a lazy or an eager run holds at once.
//!
//! ```
//! use workloads::measure::{Budget, paired};
//! let (speedup, a, b) = paired(Budget::quick(), || (0..1000u64).sum::<u64>(),
//!                              || (0..1000u64).sum::<u64>());
//! assert_eq!(a, b);
//! assert!(speedup.pairs >= Budget::quick().min_pairs);
//! ```

use std::io;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

mod capacity;
mod lazy_eager;
mod record;
pub use capacity::{CapacityProbe, clock_ghz, parallel_capacity};
pub use lazy_eager::print_lazy_vs_eager;
pub use record::PairedRecord;

/// How long a paired measurement may take.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Untimed runs of each side before the pairs.
    pub warm_up: usize,
    /// At least this many pairs, however long they take.
    pub min_pairs: usize,
    /// At most this many pairs.
    pub max_pairs: usize,
    /// Stop adding pairs (past `min_pairs`) once this much time is spent.
    pub time: Duration,
}

impl Budget {
    /// For a demo: 1 warm-up, 5 to 31 pairs, about half a second.
    pub fn quick() -> Budget {
        Budget {
            warm_up: 1,
            min_pairs: 5,
            max_pairs: 31,
            time: Duration::from_millis(500),
        }
    }

    /// For a benchmark run: 2 warm-ups, 11 to 101 pairs, about 5 seconds.
    pub fn bench() -> Budget {
        Budget {
            warm_up: 2,
            min_pairs: 11,
            max_pairs: 101,
            time: Duration::from_secs(5),
        }
    }
}

/// A paired speedup: `baseline time / strategy time`, pair by pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// Median of the pair ratios: the speedup.
    pub median: f64,
    /// Smallest pair ratio.
    pub min: f64,
    /// Largest pair ratio.
    pub max: f64,
    /// First quartile of the pair ratios.
    pub q1: f64,
    /// Third quartile of the pair ratios.
    pub q3: f64,
    /// Number of pairs.
    pub pairs: usize,
    /// Median time of the baseline, seconds.
    pub baseline_seconds: f64,
    /// Median time of the strategy, seconds.
    pub strategy_seconds: f64,
}

impl Paired {
    /// From the times of each pair, `(baseline, strategy)` in seconds.
    ///
    /// # Panics
    /// If `times` is empty.
    pub fn from_times(times: &[(f64, f64)]) -> Paired {
        assert!(
            !times.is_empty(),
            "a paired speedup needs at least one pair"
        );
        let ratios: Vec<f64> = times.iter().map(|&(a, b)| a / b).collect();
        let base: Vec<f64> = times.iter().map(|t| t.0).collect();
        let strat: Vec<f64> = times.iter().map(|t| t.1).collect();
        Paired {
            median: quantile(&ratios, 0.5),
            min: quantile(&ratios, 0.0),
            max: quantile(&ratios, 1.0),
            q1: quantile(&ratios, 0.25),
            q3: quantile(&ratios, 0.75),
            pairs: times.len(),
            baseline_seconds: quantile(&base, 0.5),
            strategy_seconds: quantile(&strat, 0.5),
        }
    }

    /// Whether the speedup is above what the machine can give: a parallel
    /// strategy's median above the measured capacity (plus 10 % for noise).
    pub fn exceeds(&self, capacity: f64) -> bool {
        self.median > capacity * 1.1
    }

    /// `1.84× (IQR 1.80–1.88)`, or `3.10× (above capacity 1.20×!)` when the
    /// speedup exceeds what the machine can give: such a figure is an
    /// artefact (a cold baseline, a frequency change), not a result.
    pub fn display(&self, capacity: Option<f64>) -> String {
        match capacity {
            Some(c) if self.exceeds(c) => {
                format!("{:.2}× (!) above capacity {c:.2}×: suspect", self.median)
            }
            _ => format!("{:.2}× (IQR {:.2}–{:.2})", self.median, self.q1, self.q3),
        }
    }
}

/// The `q` quantile (0 to 1) of `values`, interpolating between neighbours.
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (low, high) = (position.floor() as usize, position.ceil() as usize);
    sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
}

// ANCHOR: paired
/// Times `baseline` and `strategy` alternately (after `budget.warm_up`
/// untimed runs of each) and returns the paired speedup and the last result
/// of each side, for checking.
pub fn paired<A, B>(
    budget: Budget,
    baseline: impl FnMut() -> A,
    strategy: impl FnMut() -> B,
) -> (Paired, A, B) {
    paired_between(budget, baseline, strategy, || {})
}

/// [`paired`], calling `between` (untimed) after every pair: the `paired`
/// bench samples the machine's capacity there, *during* the pairs.
pub fn paired_between<A, B>(
    budget: Budget,
    mut baseline: impl FnMut() -> A,
    mut strategy: impl FnMut() -> B,
    mut between: impl FnMut(),
) -> (Paired, A, B) {
    let mut a = baseline();
    let mut b = strategy();
    for _ in 1..budget.warm_up {
        a = baseline();
        b = strategy();
    }
    let started = Instant::now();
    let mut times = Vec::new();
    while times.len() < budget.min_pairs
        || (times.len() < budget.max_pairs && started.elapsed() < budget.time)
    {
        let (ta, tb);
        // A B, then B A: whichever runs first after a pause (a cold cache,
        // a core waking up) pays for it, so each side goes first half the time.
        if times.len() % 2 == 0 {
            (a, ta) = timed(&mut baseline);
            (b, tb) = timed(&mut strategy);
        } else {
            (b, tb) = timed(&mut strategy);
            (a, ta) = timed(&mut baseline);
        }
        times.push((ta, tb));
        between();
    }
    (Paired::from_times(&times), a, b)
}
// ANCHOR_END: paired

/// The median of `values` (the mean of the middle two for an even count).
///
/// # Panics
/// If `values` is empty.
pub fn median(values: &[f64]) -> f64 {
    assert!(!values.is_empty(), "the median of nothing");
    quantile(values, 0.5)
}

fn timed<T>(run: &mut impl FnMut() -> T) -> (T, f64) {
    let start = Instant::now();
    let result = run();
    (result, start.elapsed().as_secs_f64())
}

/// `VmHWM`, the peak resident set of this process, in MiB (Linux: read
/// from `/proc/self/status`).
///
/// # Errors
/// If `/proc/self/status` cannot be read or has no readable `VmHWM`.
pub fn peak_rss_mib() -> io::Result<f64> {
    let invalid =
        |message: &str| io::Error::new(io::ErrorKind::InvalidData, message);
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or_else(|| invalid("no VmHWM in /proc/self/status"))?;
    let kib: f64 = line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| invalid("VmHWM has no value"))?
        .parse()
        .map_err(|e| invalid(&format!("VmHWM is not a number: {e}")))?;
    Ok(kib / 1024.0)
}

/// Resets the peak of [`peak_rss_mib`] to the current resident set (Linux
/// 4.0 and later); returns whether it could.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_peak_resident_set_is_read_in_mib() {
        let peak = peak_rss_mib().unwrap();
        // A test binary holds at least its code: more than 100 KiB, and
        // less than a TiB (a value read in the wrong unit would not be).
        assert!(peak > 0.1 && peak < 1024.0 * 1024.0, "{peak} MiB");
    }

    #[test]
    fn pair_ratios_give_median_quartiles_and_range() {
        let times = [(2.0, 1.0), (3.0, 1.0), (1.0, 1.0), (4.0, 1.0), (5.0, 1.0)];
        let p = Paired::from_times(&times);
        assert_eq!((p.median, p.min, p.max), (3.0, 1.0, 5.0));
        assert_eq!((p.q1, p.q3), (2.0, 4.0));
        assert_eq!(p.pairs, 5);
        assert_eq!((p.baseline_seconds, p.strategy_seconds), (3.0, 1.0));
    }

    #[test]
    fn a_speedup_above_capacity_is_flagged_not_printed_plainly() {
        let p = Paired::from_times(&[(3.0, 1.0)]);
        assert!(p.exceeds(1.5));
        let shown = p.display(Some(1.5));
        assert!(shown.contains("above capacity 1.50×"), "{shown}");
        assert!(
            !p.exceeds(2.9),
            "within 10 % of capacity is noise, not a flag"
        );
        assert_eq!(p.display(None), "3.00× (IQR 3.00–3.00)");
    }

    #[test]
    fn paired_alternates_and_warms_up_first() {
        let log = std::cell::RefCell::new(Vec::new());
        let budget = Budget {
            warm_up: 2,
            min_pairs: 3,
            max_pairs: 3,
            time: Duration::ZERO,
        };
        let (p, a, b) = paired(
            budget,
            || log.borrow_mut().push('A'),
            || log.borrow_mut().push('B'),
        );
        assert_eq!((a, b), ((), ()));
        assert_eq!(p.pairs, 3);
        let order: String = log.borrow().iter().collect();
        assert_eq!(
            order, "ABABABBAAB",
            "2 warm-ups, then 3 pairs, each side first in turn"
        );
    }

    #[test]
    fn paired_between_runs_after_every_pair_untimed() {
        let log = std::cell::RefCell::new(String::new());
        let budget = Budget {
            warm_up: 1,
            min_pairs: 2,
            max_pairs: 2,
            time: Duration::ZERO,
        };
        paired_between(
            budget,
            || log.borrow_mut().push('A'),
            || log.borrow_mut().push('B'),
            || log.borrow_mut().push('p'),
        );
        assert_eq!(*log.borrow(), "ABABpBAp");
    }

    #[test]
    fn a_calibrated_probe_samples_a_plausible_capacity() {
        let probe = CapacityProbe::calibrate(1, Duration::from_millis(2));
        for capacity in [probe.sample(), probe.measure()] {
            // One thread against one thread: near 1, never 0 or infinite.
            assert!(capacity > 0.0 && capacity.is_finite(), "{capacity}");
        }
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), 2.5);
    }

    #[test]
    fn capacity_and_clock_are_plausible() {
        let capacity = parallel_capacity(1, Duration::from_millis(5));
        assert!(capacity > 0.0 && capacity.is_finite(), "{capacity}");
        assert!(clock_ghz() > 0.05, "a clock estimate is positive");
    }
}
