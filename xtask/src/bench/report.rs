//! Turns measurements into the report: one table per group (`<bench>/<workload>`)
//! with median time, time per task, speedup against the group's serial baseline
//! from the same run, and efficiency (speedup / jobs); as aligned Markdown
//! tables (terminal, `results.md`, the book) and as JSON with units.
//!
//! The baseline of a group is its strategy named `serial`, except for the
//! benches and groups listed in [`BASELINES`]. A row is compared with the baseline measured at the
//! same `n` (and task size). A group with a parallel row (jobs > 1) and no
//! baseline to compare it with is an error; rows with jobs = 1 and no baseline
//! are shown without a speedup.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::bail;
use serde_json::{Value, json};
use workloads::report::flag::{self, Work};

use super::criterion::Measurement;
use super::machine::Machine;
use super::run::Mode;

/// Benches (`bench`) and groups (`bench/workload`) whose baseline strategy is
/// not called `serial`, the group entry winning over its bench's:
/// - chapter 1 compares serial strategies only, against the plain `for` loop;
/// - chapter 4's `sleep` group cannot run 10^4 sleeps serially: its baseline
///   is one thread (`gather current_thread`), so the speedup shows what more
///   threads add to waiting (nothing);
/// - the Python numpy and numba families, against their own one-thread rows.
pub(crate) const BASELINES: &[(&str, &str)] = &[
    ("serial_map", "for loop"),
    ("async_gather/sleep", "gather current_thread"),
    // The Python numpy/numba families (`python.rs`): each against its own
    // one-thread row, so a speedup is parallel scaling, not a new algorithm.
    // numba's `prange` function on one thread can beat its serial `@njit`
    // one (numba compiles the two differently around np.random's generator:
    // π's serial loop ran 2× slower, while the lanes kernel, which carries
    // its own generator, runs as fast either way), so a numba family is
    // held against the faster of its one-thread rows.
    ("python/driver (numpy)", "numpy"),
    ("python/driver (numba)", FASTEST_ONE_THREAD),
    ("python/square (numpy)", "numpy"),
    ("python/square (numba)", FASTEST_ONE_THREAD),
    ("python/pi (numpy)", "numpy"),
    ("python/pi (numba)", FASTEST_ONE_THREAD),
    ("python/pi (numba lanes)", FASTEST_ONE_THREAD),
];

/// A [`BASELINES`] entry for "the group's fastest one-worker strategy (at
/// its largest n)", instead of a fixed name.
pub(crate) const FASTEST_ONE_THREAD: &str = "(the fastest one-thread row)";

/// Benches and groups whose tasks do not compute (the group entry winning),
/// so that a parallel speedup is not held against the CPU capacity (the one
/// rule: `workloads::report::flag`):
/// - caches: a cached rerun skips the work, so no ceiling applies;
/// - the Python sleeps: 5 sleeps of 1 to 5 units (`benches/python/sleep.py`),
///   whose ideal on 5 workers is 3× (the longest bounds the run);
/// - chapter 4's sleeps, against a one-thread gather that already overlaps
///   them all: the ideal of more threads is 1×.
pub(crate) const WORK: &[(&str, Work<'static>)] = &[
    ("caching", Work::Cache),
    ("python/cache", Work::Cache),
    ("async_gather/sleep", Work::Sleeps(&[])),
    ("python/sleep", Work::Sleeps(&[1.0, 2.0, 3.0, 4.0, 5.0])),
];

/// What the tasks of group `group` of bench `bench` spend their time on.
pub(crate) fn work_of(bench: &str, group: &str) -> Work<'static> {
    let find = |key: &str| WORK.iter().find(|(k, _)| *k == key);
    find(group)
        .or_else(|| find(bench))
        .map_or(Work::Cpu, |(_, work)| *work)
}

/// The name of the baseline strategy of group `group` of bench `bench`.
pub(crate) fn baseline_of(bench: &str, group: &str) -> &'static str {
    let find = |key: &str| BASELINES.iter().find(|(k, _)| *k == key);
    find(group)
        .or_else(|| find(bench))
        .map_or("serial", |(_, strategy)| strategy)
}

/// One row of a table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    pub(crate) strategy: String,
    pub(crate) jobs: usize,
    pub(crate) n: u64,
    pub(crate) size: Option<u64>,
    pub(crate) median_ns: f64,
    pub(crate) median_low_ns: f64,
    pub(crate) median_high_ns: f64,
    pub(crate) mean_ns: f64,
    /// Median time divided by the number of tasks.
    pub(crate) per_task_ns: f64,
    /// Baseline median / this median, same run, same n and size.
    pub(crate) speedup: Option<f64>,
    /// Speedup / jobs.
    pub(crate) efficiency: Option<f64>,
}

/// One group: a workload of one bench, every strategy measured on it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    pub(crate) bench: String,
    pub(crate) name: String,
    pub(crate) workload: String,
    pub(crate) baseline: String,
    /// What its tasks spend their time on: the ceiling of its speedups.
    pub(crate) work: Work<'static>,
    /// The unit of the task size, for sized groups (`trials`).
    pub(crate) size_name: Option<String>,
    pub(crate) rows: Vec<Row>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Report {
    pub(crate) machine: Machine,
    pub(crate) mode: Mode,
    /// The `--filter` of the run, if any.
    pub(crate) filter: Option<String>,
    pub(crate) groups: Vec<Group>,
}

impl Report {
    /// Groups the measurements and computes speedups. Errors on a parallel row
    /// without a baseline, or a group that mixes task-size units.
    pub(crate) fn build(
        machine: Machine,
        mode: Mode,
        filter: Option<String>,
        measurements: &[Measurement],
    ) -> anyhow::Result<Report> {
        let mut by_group: BTreeMap<&str, Vec<&Measurement>> = BTreeMap::new();
        for m in measurements {
            by_group.entry(&m.group).or_default().push(m);
        }
        let mut groups = Vec::new();
        for (name, members) in by_group {
            groups.push(build_group(name, &members)?);
        }
        Ok(Report {
            machine,
            mode,
            filter,
            groups,
        })
    }

    /// The bench targets in the report, in order.
    pub(crate) fn benches(&self) -> Vec<&str> {
        let mut benches: Vec<&str> =
            self.groups.iter().map(|g| g.bench.as_str()).collect();
        benches.dedup();
        benches
    }

    /// `Measured by cargo xtask bench (quick) on …`: the label of every output.
    pub(crate) fn label(&self) -> String {
        let filter = self
            .filter
            .as_ref()
            .map(|f| format!(", --filter {f}"))
            .unwrap_or_default();
        format!(
            "Measured by `cargo xtask bench` ({} mode{filter}) on {}.",
            self.mode,
            self.machine.label()
        )
    }

    /// The tables of one bench (or all when `bench` is `None`), one per group,
    /// each under a bold `bench/workload` line, for terminal and Markdown.
    pub(crate) fn tables(&self, bench: Option<&str>) -> String {
        let mut out = String::new();
        for group in &self.groups {
            if bench.is_some_and(|b| b != group.bench) {
                continue;
            }
            if !out.is_empty() {
                out.push('\n');
            }
            let _ = writeln!(
                out,
                "**`{}`** (speedup vs `{}`, same run)\n",
                group.name, group.baseline
            );
            out.push_str(&group.table(self.capacity()));
            if group.flagged(self.capacity()) {
                let _ = writeln!(out, "\n{}", flag::RULE);
            }
        }
        out
    }

    /// The larger of the capacities measured before and after the run.
    pub(crate) fn capacity(&self) -> Option<f64> {
        self.machine
            .capacity
            .map(|(before, after)| before.max(after))
    }

    /// Every figure, with its unit in its name, as JSON.
    pub(crate) fn to_json(&self) -> Value {
        let groups: Vec<Value> = self.groups.iter().map(Group::to_json).collect();
        json!({
            "label": self.label(),
            "machine": self.machine.to_json(),
            "mode": self.mode.name(),
            "filter": self.filter,
            "units": {
                "median_ns": "nanoseconds per iteration (all n tasks), criterion's median",
                "median_ci_ns": "95% confidence interval of the median, nanoseconds",
                "mean_ns": "nanoseconds per iteration, criterion's mean",
                "per_task_ns": "median_ns / n, nanoseconds per task",
                "tasks_per_second": "n / median, tasks per second",
                "speedup": "baseline median / median (ratio, same run, same n and size)",
                "efficiency": "speedup / jobs (ratio, 1 = perfect scaling)",
                "size": "task size in the unit named by the group's size_unit",
            },
            "groups": groups,
        })
    }
}

/// The strategy of the fastest one-worker row at the largest n that has one.
fn fastest_one_worker<'a>(members: &[&'a Measurement]) -> Option<&'a str> {
    let ones = members.iter().filter(|m| m.jobs == 1);
    let n = ones.clone().map(|m| m.n).max()?;
    ones.filter(|m| m.n == n)
        .min_by(|a, b| a.median_ns.total_cmp(&b.median_ns))
        .map(|m| m.strategy.as_str())
}

fn build_group(name: &str, members: &[&Measurement]) -> anyhow::Result<Group> {
    let first = members[0];
    let baseline = match baseline_of(&first.bench, name) {
        FASTEST_ONE_THREAD => {
            fastest_one_worker(members).unwrap_or(FASTEST_ONE_THREAD)
        }
        named => named,
    };
    let size_name = first.size.as_ref().map(|(unit, _)| unit.clone());
    for m in members {
        if m.size.as_ref().map(|(unit, _)| unit) != size_name.as_ref() {
            bail!(
                "group `{name}`: `{}` and `{}` disagree on the task-size unit",
                first.title,
                m.title
            );
        }
    }
    let size_of = |m: &Measurement| m.size.as_ref().map(|(_, s)| *s);
    let mut rows = Vec::new();
    for m in members {
        let base = members
            .iter()
            .filter(|b| {
                b.strategy == baseline && b.n == m.n && size_of(b) == size_of(m)
            })
            .min_by_key(|b| b.jobs);
        let speedup = base.map(|b| b.median_ns / m.median_ns);
        if speedup.is_none() && m.jobs > 1 {
            let at = match &m.size {
                Some((unit, size)) => format!("n={}, {unit}={size}", m.n),
                None => format!("n={}", m.n),
            };
            bail!(
                "group `{name}`: no `{baseline}` baseline at {at} to compare `{}` \
                 (jobs={}) with; a group with parallel strategies needs a strategy \
                 named `{baseline}` measured at the same n in the same run (or an \
                 entry in BASELINES, xtask/src/bench/report.rs)",
                m.strategy,
                m.jobs
            );
        }
        rows.push(Row {
            strategy: m.strategy.clone(),
            jobs: m.jobs,
            n: m.n,
            size: size_of(m),
            median_ns: m.median_ns,
            median_low_ns: m.median_low_ns,
            median_high_ns: m.median_high_ns,
            mean_ns: m.mean_ns,
            per_task_ns: m.median_ns / m.n as f64,
            speedup,
            efficiency: speedup.map(|s| s / m.jobs as f64),
        });
    }
    // Size, n, then the baseline first, then strategies by name and jobs.
    rows.sort_by(|a, b| {
        (a.size, a.n, a.strategy != baseline, &a.strategy, a.jobs).cmp(&(
            b.size,
            b.n,
            b.strategy != baseline,
            &b.strategy,
            b.jobs,
        ))
    });
    Ok(Group {
        bench: first.bench.clone(),
        name: name.to_string(),
        workload: first.workload.clone(),
        baseline: baseline.to_string(),
        work: work_of(&first.bench, name),
        size_name,
        rows,
    })
}

impl Group {
    /// How much faster `row` ran on its workers than on one: against the same
    /// strategy's one-worker row when the group has it, else against the
    /// baseline. Only that is a *parallel* speedup: a cached rerun against a
    /// computed run is faster for another reason, and may be any number.
    fn parallel_speedup(&self, row: &Row) -> Option<f64> {
        let one_worker = self.rows.iter().find(|r| {
            r.jobs == 1
                && r.strategy == row.strategy
                && (r.n, r.size) == (row.n, row.size)
        });
        match one_worker {
            Some(one) => Some(one.median_ns / row.median_ns),
            None => row.speedup,
        }
    }

    /// The ceiling `row`'s parallel speedup exceeds, by the one rule of
    /// `workloads::report::flag` (a parallel speedup of CPU work above the
    /// capacity, or of sleeps above their ideal; never a slowdown or a
    /// cache): `None` when it is not flagged.
    pub(crate) fn flag(&self, row: &Row, capacity: Option<f64>) -> Option<f64> {
        let (speedup, parallel) = row.speedup.zip(self.parallel_speedup(row))?;
        flag::flagged(self.work, row.jobs, speedup, parallel, capacity)
    }

    /// Whether any row of the table is flagged.
    pub(crate) fn flagged(&self, capacity: Option<f64>) -> bool {
        self.rows.iter().any(|r| self.flag(r, capacity).is_some())
    }

    /// The ceiling a parallel speedup of this group on `jobs` workers is held
    /// against (the capacity, or the ideal for its sleeps); `None` for a
    /// cache.
    pub(crate) fn ceiling(&self, jobs: usize, capacity: Option<f64>) -> Option<f64> {
        flag::ceiling(self.work, jobs, capacity)
    }

    /// An aligned Markdown table; a parallel speedup above `capacity` is
    /// flagged (⚠), not printed as a plain number.
    pub(crate) fn table(&self, capacity: Option<f64>) -> String {
        let mut header = vec!["strategy".to_string(), "jobs".into(), "tasks".into()];
        if let Some(unit) = &self.size_name {
            header.push(unit.clone());
        }
        header.extend(
            ["median", "per task", "speedup", "efficiency"].map(String::from),
        );
        let mut rows = vec![header];
        for row in &self.rows {
            let mut cells = vec![
                row.strategy.clone(),
                row.jobs.to_string(),
                row.n.to_string(),
            ];
            if let Some(size) = row.size {
                cells.push(size.to_string());
            }
            cells.push(format_ns(row.median_ns));
            cells.push(format_ns(row.per_task_ns));
            cells.push(
                row.speedup
                    .map_or("–".into(), |s| self.speedup_cell(row, s, capacity)),
            );
            cells.push(
                row.efficiency
                    .map_or("–".into(), |e| format!("{}%", percent(e * 100.0))),
            );
            rows.push(cells);
        }
        markdown_table(&rows)
    }

    /// `1.84×`; flagged, `⚠ 2.40×`, and the parallel speedup that exceeds
    /// the ceiling when it is not the number shown (`⚠ 1.20× (2.88× vs 1)`).
    fn speedup_cell(
        &self,
        row: &Row,
        speedup: f64,
        capacity: Option<f64>,
    ) -> String {
        if self.flag(row, capacity).is_none() {
            return format!("{}×", ratio(speedup));
        }
        match self.parallel_speedup(row) {
            Some(p) if ratio(p) != ratio(speedup) => {
                format!("⚠ {}× ({}× vs 1)", ratio(speedup), ratio(p))
            }
            _ => format!("⚠ {}×", ratio(speedup)),
        }
    }

    fn to_json(&self) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                json!({
                    "strategy": r.strategy,
                    "jobs": r.jobs,
                    "n": r.n,
                    "size": r.size,
                    "median_ns": r.median_ns,
                    "median_ci_ns": [r.median_low_ns, r.median_high_ns],
                    "mean_ns": r.mean_ns,
                    "per_task_ns": r.per_task_ns,
                    "tasks_per_second": r.n as f64 * 1e9 / r.median_ns,
                    "speedup": r.speedup,
                    "efficiency": r.efficiency,
                })
            })
            .collect();
        json!({
            "group": self.name,
            "bench": self.bench,
            "workload": self.workload,
            "baseline": self.baseline,
            "size_unit": self.size_name,
            "rows": rows,
        })
    }
}

/// A table whose first row is the header; the first column left-aligned, the
/// others right-aligned, padded so it also reads well in a terminal.
fn markdown_table(rows: &[Vec<String>]) -> String {
    let columns = rows[0].len();
    let width = |c: usize| {
        rows.iter()
            .map(|r| r[c].chars().count())
            .max()
            .unwrap_or(0)
            .max(3)
    };
    let widths: Vec<usize> = (0..columns).map(width).collect();
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        out.push('|');
        for (c, cell) in cells.iter().enumerate() {
            let pad = widths[c] - cell.chars().count();
            if c == 0 {
                let _ = write!(out, " {cell}{} |", " ".repeat(pad));
            } else {
                let _ = write!(out, " {}{cell} |", " ".repeat(pad));
            }
        }
        out.push('\n');
    };
    line(&mut out, &rows[0]);
    out.push('|');
    for (c, w) in widths.iter().enumerate() {
        if c == 0 {
            let _ = write!(out, " {} |", "-".repeat(*w));
        } else {
            let _ = write!(out, " {}: |", "-".repeat(w - 1));
        }
    }
    out.push('\n');
    for row in &rows[1..] {
        line(&mut out, row);
    }
    out
}

/// A speedup: two decimals, or two significant digits below 0.1 (`0.0013`),
/// so a strategy 700 times slower than serial does not read `0.00`.
pub(crate) fn ratio(x: f64) -> String {
    if x >= 0.1 || x <= 0.0 {
        format!("{x:.2}")
    } else {
        let decimals = (-x.log10()).ceil() as usize + 1;
        format!("{x:.decimals$}")
    }
}

/// A percentage: no decimals, or two significant digits below 1 %.
fn percent(x: f64) -> String {
    if x >= 1.0 || x <= 0.0 {
        format!("{x:.0}")
    } else {
        let decimals = (-x.log10()).ceil() as usize + 1;
        format!("{x:.decimals$}")
    }
}

/// Nanoseconds as a human time with three significant digits: `812 ns`,
/// `1.23 µs`, `45.6 ms`, `2.00 s`.
pub(crate) fn format_ns(ns: f64) -> String {
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    if value >= 100.0 {
        format!("{value:.0} {unit}")
    } else if value >= 10.0 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.2} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_get_three_significant_digits_and_a_unit() {
        assert_eq!(format_ns(812.4), "812 ns");
        assert_eq!(format_ns(1_234.0), "1.23 µs");
        assert_eq!(format_ns(45_600_000.0), "45.6 ms");
        assert_eq!(format_ns(2e9), "2.00 s");
    }

    #[test]
    fn tiny_ratios_keep_two_significant_digits() {
        assert_eq!(ratio(1.6), "1.60");
        assert_eq!(ratio(0.1), "0.10");
        assert_eq!(ratio(0.0013), "0.0013");
        assert_eq!(ratio(0.05), "0.050");
        assert_eq!(percent(80.0), "80");
        assert_eq!(percent(0.5), "0.50");
        assert_eq!(percent(0.013), "0.013");
    }

    #[test]
    fn only_the_listed_benches_have_another_baseline() {
        assert_eq!(baseline_of("serial_map", "serial_map/driver"), "for loop");
        assert_eq!(baseline_of("thread_pools", "thread_pools/pi"), "serial");
        assert_eq!(
            baseline_of("async_gather", "async_gather/sleep"),
            "gather current_thread"
        );
        assert_eq!(baseline_of("async_gather", "async_gather/pi"), "serial");
    }
}
