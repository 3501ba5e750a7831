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
//! `measure/stats.rs` ([`Paired`], [`median`]) and `measure/rss.rs` (peak
//! memory) are the bottom; `capacity.rs`, `record.rs` and `lazy_eager.rs`
//! stand on them; this file times the pairs and re-exports them all.
//!
//! ```
//! use workloads::measure::{Budget, paired};
//! let (speedup, a, b) = paired(Budget::quick(), || (0..1000u64).sum::<u64>(),
//!                              || (0..1000u64).sum::<u64>());
//! assert_eq!(a, b);
//! assert!(speedup.pairs >= Budget::quick().min_pairs);
//! ```

use std::time::{Duration, Instant};

mod capacity;
mod lazy_eager;
mod record;
mod rss;
mod stats;
pub use capacity::{CapacityProbe, clock_ghz, parallel_capacity};
pub use lazy_eager::print_lazy_vs_eager;
pub use record::PairedRecord;
pub use rss::{peak_rss_mib, reset_peak_rss};
pub use stats::{Paired, median};

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

fn timed<T>(run: &mut impl FnMut() -> T) -> (T, f64) {
    let start = Instant::now();
    let result = run();
    (result, start.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

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
