//! The `paired.json` format: one [`PairedRecord`] per paired speedup, written
//! by the `paired` bench (`benches/benches/paired.rs`) and read by
//! `cargo xtask bench`. One typed home, so writer and reader cannot drift.

use serde::{Deserialize, Serialize};

use super::stats::Paired;

/// One paired speedup with the machine's state while it was measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairedRecord {
    /// `paired/<workload>/<strategy>/jobs=J,n=N`: what `--list` prints.
    pub title: String,
    /// `paired/<workload>`.
    pub group: String,
    /// The workload.
    pub workload: String,
    /// The strategy timed against the baseline.
    pub strategy: String,
    /// The baseline strategy (one thread).
    pub baseline: String,
    /// Workers of the strategy.
    pub jobs: usize,
    /// Tasks per run.
    pub n: u64,
    /// Whether the two results were equal (checked on the last pair).
    pub equal: bool,
    /// The paired speedup: median and spread of the pair ratios, and the
    /// median time of each side (seconds).
    #[serde(flatten)]
    pub speedup: Paired,
    /// The capacity for `jobs` threads just before the pairs.
    pub capacity_before: f64,
    /// The median of the capacity samples taken between the pairs (files
    /// written before it was measured have none).
    #[serde(default)]
    pub capacity_during: Option<f64>,
    /// The capacity for `jobs` threads just after the pairs.
    pub capacity_after: f64,
    /// The clock rate the bench measured (an optimised build), in GHz.
    #[serde(default)]
    pub clock_ghz: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> PairedRecord {
        PairedRecord {
            title: "paired/pi/rayon/jobs=2,n=16".into(),
            group: "paired/pi".into(),
            workload: "pi".into(),
            strategy: "rayon".into(),
            baseline: "serial".into(),
            jobs: 2,
            n: 16,
            equal: true,
            speedup: Paired::from_times(&[(2.0, 1.0), (1.8, 1.0)]),
            capacity_before: 1.7,
            capacity_during: Some(1.9),
            capacity_after: 1.8,
            clock_ghz: None,
        }
    }

    #[test]
    fn a_record_round_trips_through_flat_json() {
        let text = serde_json::to_string(&record()).unwrap();
        assert!(text.contains("\"median\":1.9"), "flat, as before: {text}");
        let back: PairedRecord = serde_json::from_str(&text).unwrap();
        assert_eq!(back, record());
    }

    #[test]
    fn a_file_without_the_capacity_during_still_reads() {
        let mut value = serde_json::to_value(record()).unwrap();
        value.as_object_mut().unwrap().remove("capacity_during");
        let back: PairedRecord = serde_json::from_value(value).unwrap();
        assert_eq!(back.capacity_during, None);
        assert_eq!((back.capacity_before, back.capacity_after), (1.7, 1.8));
    }
}
