//! [`Paired`]: the pair ratios of a paired measurement summed up (median,
//! quartiles, range), and [`median`]. Part of [`crate::measure`], re-exported
//! there.

use serde::{Deserialize, Serialize};

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

/// The median of `values` (the mean of the middle two for an even count).
///
/// # Panics
/// If `values` is empty.
pub fn median(values: &[f64]) -> f64 {
    assert!(!values.is_empty(), "the median of nothing");
    quantile(values, 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
