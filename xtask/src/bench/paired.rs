//! The paired speedups of the `paired` bench target (`benches/benches/paired.rs`):
//! baseline and strategy alternated in one process, the median of the pair
//! ratios with its spread. The bench writes `paired.json` where criterion
//! would write its estimates; this reads it and renders the table, flagging
//! any parallel speedup above the machine's measured capacity.

use std::fs;
use std::path::Path;

use anyhow::Context;
use serde_json::{Value, json};
use workloads::measure::PairedRecord;
use workloads::report::flag::{self, Work};

use super::report::format_ns;

/// The bench target that writes `paired.json`.
pub(crate) const BENCH: &str = "paired";
/// Its output file, in the bench's criterion directory.
pub(crate) const FILE: &str = "paired.json";

/// One paired speedup.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PairedRow {
    pub(crate) title: String,
    pub(crate) workload: String,
    pub(crate) baseline: String,
    pub(crate) strategy: String,
    pub(crate) jobs: usize,
    pub(crate) n: u64,
    pub(crate) pairs: usize,
    pub(crate) median: f64,
    pub(crate) q1: f64,
    pub(crate) q3: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) baseline_seconds: f64,
    pub(crate) strategy_seconds: f64,
    /// The capacity for `jobs` threads measured just before and after the
    /// pairs, when the bench measured it.
    pub(crate) capacity: Option<(f64, f64)>,
    /// The median capacity sampled between the pairs, when it was.
    pub(crate) capacity_during: Option<f64>,
    /// The clock rate the bench measured (an optimised build), in GHz.
    pub(crate) clock_ghz: Option<f64>,
}

impl PairedRow {
    /// Whether this is a parallel speedup above what the machine can give,
    /// by the one rule of `workloads::report::flag` (every pair is the same
    /// CPU work on one worker and on J): an artefact, not a result.
    pub(crate) fn exceeds(&self, capacity: Option<f64>) -> bool {
        let around = self.capacity_around(capacity);
        flag::flagged(Work::Cpu, self.jobs, self.median, self.median, around)
            .is_some()
    }

    /// The capacity to hold this pair against: the largest measured around
    /// and during it, else the run's.
    pub(crate) fn capacity_around(&self, run: Option<f64>) -> Option<f64> {
        self.capacity
            .map(|(before, after)| {
                before.max(after).max(self.capacity_during.unwrap_or(0.0))
            })
            .or(run)
    }

    /// `1.90× / 1.85× / 1.88×` (before / during / after), or `–`.
    fn capacity_cell(&self) -> String {
        let during = self
            .capacity_during
            .map_or("–".to_string(), |d| format!("{d:.2}×"));
        self.capacity.map_or("–".into(), |(b, a)| {
            format!("{b:.2}× / {during} / {a:.2}×")
        })
    }
}

/// The rows of a `paired.json` file.
pub(crate) fn read(path: &Path) -> anyhow::Result<Vec<PairedRow>> {
    let text = fs::read_to_string(path).with_context(|| {
        format!("reading the paired speedups {}", path.display())
    })?;
    let records: Vec<PairedRecord> = serde_json::from_str(&text)
        .with_context(|| format!("malformed {}", path.display()))?;
    records
        .into_iter()
        .enumerate()
        .map(|(i, record)| {
            row_of(record)
                .with_context(|| format!("{}: row {i} is malformed", path.display()))
        })
        .collect()
}

fn row_of(record: PairedRecord) -> anyhow::Result<PairedRow> {
    if !record.equal {
        anyhow::bail!(
            "`{}`: the strategy's result differed from the baseline's",
            record.title
        );
    }
    let p = &record.speedup;
    let numbers = [
        ("median", p.median),
        ("q1", p.q1),
        ("q3", p.q3),
        ("min", p.min),
        ("max", p.max),
        ("baseline_seconds", p.baseline_seconds),
        ("strategy_seconds", p.strategy_seconds),
    ];
    if let Some((key, _)) =
        numbers.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0))
    {
        anyhow::bail!("`{}`: `{key}` is not a positive number", record.title);
    }
    Ok(PairedRow {
        capacity: Some((record.capacity_before, record.capacity_after)),
        capacity_during: record.capacity_during,
        title: record.title,
        workload: record.workload,
        baseline: record.baseline,
        strategy: record.strategy,
        jobs: record.jobs,
        n: record.n,
        pairs: p.pairs,
        median: p.median,
        q1: p.q1,
        q3: p.q3,
        min: p.min,
        max: p.max,
        baseline_seconds: p.baseline_seconds,
        strategy_seconds: p.strategy_seconds,
        clock_ghz: record.clock_ghz,
    })
}

/// The speedup cell: `1.84×`, or a flag when it exceeds the capacity.
fn speedup_cell(row: &PairedRow, capacity: Option<f64>) -> String {
    match row.capacity_around(capacity) {
        Some(c) if row.exceeds(capacity) => {
            format!("⚠ {:.2}× > capacity {c:.2}×", row.median)
        }
        _ => format!("{:.2}×", row.median),
    }
}

/// The Markdown table of the paired speedups (empty without rows).
pub(crate) fn table(rows: &[PairedRow], capacity: Option<f64>) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "**Paired speedups** (baseline and strategy alternated in one process \
         after a warm-up; the median time of each, the median of the pair \
         ratios with their interquartile range and range; the machine's \
         capacity before, during and after the pairs)\n\n\
         | pair | jobs | time: baseline → strategy | speedup | IQR (range) \
         | pairs | capacity |\n|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        out.push_str(&format!(
            "| `{}`: {} vs {}, {} tasks | {} | {} → {} | {} | {:.2}–{:.2} ({:.2}–{:.2}) | {} | {} |\n",
            r.workload,
            r.strategy,
            r.baseline,
            r.n,
            r.jobs,
            format_ns(r.baseline_seconds * 1e9),
            format_ns(r.strategy_seconds * 1e9),
            speedup_cell(r, capacity),
            r.q1,
            r.q3,
            r.min,
            r.max,
            r.pairs,
            r.capacity_cell(),
        ));
    }
    if rows.iter().any(|r| r.exceeds(capacity)) {
        out.push_str(&format!("\n{}\n", flag::RULE));
    }
    out
}

/// The rows as JSON, with units.
pub(crate) fn to_json(rows: &[PairedRow], capacity: Option<f64>) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "workload": r.workload,
                "baseline": r.baseline,
                "strategy": r.strategy,
                "jobs": r.jobs,
                "n": r.n,
                "pairs": r.pairs,
                "speedup_median": r.median,
                "speedup_iqr": [r.q1, r.q3],
                "speedup_range": [r.min, r.max],
                "baseline_median_ns": r.baseline_seconds * 1e9,
                "strategy_median_ns": r.strategy_seconds * 1e9,
                "above_capacity": r.exceeds(capacity),
                "capacity_before_after": r.capacity.map(|(b, a)| [b, a]),
                "capacity_during": r.capacity_during,
            })
        })
        .collect();
    json!({
        "units": {
            "speedup_median": "median over pairs of baseline time / strategy time",
            "baseline_median_ns": "median time of one baseline run (all n tasks), ns",
        },
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(jobs: usize, median: f64) -> PairedRow {
        PairedRow {
            title: "paired/pi/rayon/jobs=2,n=16".into(),
            workload: "pi".into(),
            baseline: "serial".into(),
            strategy: "rayon".into(),
            jobs,
            n: 16,
            pairs: 11,
            median,
            q1: median * 0.9,
            q3: median * 1.1,
            min: median * 0.8,
            max: median * 1.2,
            baseline_seconds: 0.05,
            strategy_seconds: 0.05 / median,
            capacity: None,
            capacity_during: None,
            clock_ghz: None,
        }
    }

    #[test]
    fn a_parallel_speedup_above_capacity_is_flagged() {
        let shown = table(&[row(2, 2.55), row(2, 1.4), row(1, 4.0)], Some(1.3));
        assert!(shown.contains("⚠ 2.55× > capacity 1.30×"), "{shown}");
        assert!(
            shown.contains("| 1.40× |"),
            "within 10 % is not flagged: {shown}"
        );
        assert!(
            shown.contains("| 4.00× |"),
            "one thread is not a parallel speedup"
        );
        let json = to_json(&[row(2, 2.55)], Some(1.3));
        assert_eq!(json["rows"][0]["above_capacity"], true);
        assert!(
            !table(&[row(2, 2.55)], None).contains("⚠ 2.55"),
            "no capacity, no flag"
        );
        // The capacity measured around the pair wins over the run's.
        let mut around = row(2, 1.7);
        around.capacity = Some((1.2, 1.4));
        let shown = table(&[around.clone()], Some(1.9));
        assert!(shown.contains("⚠ 1.70× > capacity 1.40×"), "{shown}");
        around.capacity = Some((1.9, 1.8));
        assert!(table(&[around.clone()], Some(1.2)).contains("| 1.70× |"));
        // A high reading during the pairs counts too: no flag.
        around.capacity = Some((1.2, 1.3));
        around.capacity_during = Some(1.75);
        assert!(table(&[around], Some(1.2)).contains("| 1.70× |"));
    }

    #[test]
    fn paired_json_is_read_and_a_differing_result_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let good = r#"[{"title": "paired/driver/rayon/jobs=2,n=8", "group": "paired/driver",
            "workload": "driver", "strategy": "rayon", "baseline": "serial", "jobs": 2,
            "n": 8, "equal": true, "pairs": 11, "median": 1.8, "q1": 1.7, "q3": 1.9,
            "min": 1.5, "max": 2.0, "baseline_seconds": 0.002, "strategy_seconds": 0.0011,
            "capacity_before": 1.9, "capacity_during": 1.85, "capacity_after": 1.8}]"#;
        fs::write(&path, good).unwrap();
        let rows = read(&path).unwrap();
        assert_eq!((rows[0].jobs, rows[0].n, rows[0].median), (2, 8, 1.8));
        assert_eq!(rows[0].capacity, Some((1.9, 1.8)));
        assert_eq!(rows[0].capacity_during, Some(1.85));
        let shown = table(&rows, None);
        assert!(shown.contains("| 1.90× / 1.85× / 1.80× |"), "{shown}");
        fs::write(&path, good.replace("\"median\": 1.8", "\"median\": 0.0"))
            .unwrap();
        let err = format!("{:#}", read(&path).unwrap_err());
        assert!(err.contains("`median` is not a positive number"), "{err}");
        fs::write(&path, good.replace("\"equal\": true", "\"equal\": false"))
            .unwrap();
        let err = format!("{:#}", read(&path).unwrap_err());
        assert!(err.contains("differed"), "{err}");
    }
}
