//! The cost of one element (`driver`, `square`) or one trial (`pi`) of the compute
//! kernels, in nanoseconds and in cycles at the measured clock, beside the
//! bound a parallel run can reach on this machine: the serial cost divided by
//! the measured parallel capacity, and for `square`, which moves 16 bytes per
//! multiply, no less than the memory floor: the copy of the same bytes on as
//! many threads (`thread_pools/copy`).
//!
//! The table reads rows the report already has (the `thread_pools` groups and,
//! with `--python`, the `python` ones); it adds no measurement of its own.

use super::report::{Report, Row, format_ns};
use super::run::Mode;

/// Trials per π task in the benches (`benches/benches/thread_pools.rs`,
/// `benches/python/pi.py`), and in a smoke run.
const PI_TRIALS: (f64, f64) = (1e6, 1e3);

/// The group that times the memory floor of `square`: the same bytes
/// copied, per element, on 1 to J threads.
const COPY: &str = "thread_pools/copy";

/// `(group, unit, whether time per task is per element already, whether
/// the copy's memory floor bounds it too)`.
const KERNELS: &[(&str, &str, bool, bool)] = &[
    ("thread_pools/driver", "element", true, false),
    ("thread_pools/driver_vec", "element", true, false),
    ("python/driver (numpy)", "element", true, false),
    ("python/driver (numba)", "element", true, false),
    (COPY, "element", true, false),
    ("thread_pools/square_slices", "element", true, true),
    ("python/square (numpy)", "element", true, true),
    ("python/square (numba)", "element", true, true),
    ("thread_pools/pi", "trial", false, false),
    ("thread_pools/pi_streams", "trial", false, false),
    ("python/pi (numpy)", "trial", false, false),
    ("python/pi (numba)", "trial", false, false),
    ("python/pi (numba lanes)", "trial", false, false),
];

/// One line of the table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cost {
    pub(crate) group: String,
    pub(crate) strategy: String,
    pub(crate) jobs: usize,
    pub(crate) unit: &'static str,
    /// Wall-clock nanoseconds per element or trial.
    pub(crate) ns: f64,
    /// For a parallel row: the serial row's ns divided by the capacity, and
    /// for a row the copy bounds, at least the copy's ns on as many threads.
    pub(crate) bound_ns: Option<f64>,
    /// Whether the row's speedup is flagged in its group's table (the one
    /// rule, `workloads::report::flag`).
    pub(crate) flagged: bool,
}

/// The serial row and the fastest row of each kernel group, at its largest n.
pub(crate) fn costs(report: &Report) -> Vec<Cost> {
    let trials = if report.mode == Mode::Smoke {
        PI_TRIALS.1
    } else {
        PI_TRIALS.0
    };
    let capacity = report.capacity();
    let floor = copy_floor(report);
    let mut out = Vec::new();
    for (name, unit, per_element, copy_bounds) in KERNELS {
        let Some(group) = report.groups.iter().find(|g| g.name == *name) else {
            continue;
        };
        let Some(n) = group.rows.iter().map(|r| r.n).max() else {
            continue;
        };
        let rows: Vec<&Row> = group.rows.iter().filter(|r| r.n == n).collect();
        let per = |r: &Row| {
            if *per_element {
                r.per_task_ns
            } else {
                r.per_task_ns / trials
            }
        };
        let serial = rows.iter().find(|r| r.strategy == group.baseline);
        let fastest = rows
            .iter()
            .min_by(|a, b| a.median_ns.total_cmp(&b.median_ns));
        let fastest_serial = rows
            .iter()
            .filter(|r| r.jobs == 1)
            .min_by(|a, b| a.median_ns.total_cmp(&b.median_ns));
        let mut picked: Vec<&Row> = [serial, fastest_serial, fastest]
            .into_iter()
            .flatten()
            .copied()
            .collect();
        picked.dedup_by(|a, b| a.strategy == b.strategy && a.jobs == b.jobs);
        let one_thread = fastest_serial.map(|r| per(r));
        for row in picked {
            let compute = match (row.jobs > 1, one_thread, capacity) {
                (true, Some(ns), Some(c)) => Some(ns / c.min(row.jobs as f64)),
                _ => None,
            };
            // Parallel rows only, as the compute bound: one-thread copies
            // move by a fifth from minute to minute on a shared machine,
            // which would make a floor of one thread's noise.
            let memory = floor
                .iter()
                .filter(|_| *copy_bounds && row.jobs > 1)
                .find(|(jobs, _)| *jobs == row.jobs)
                .map(|(_, ns)| *ns);
            let bound_ns = match (compute, memory) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            out.push(Cost {
                group: name.to_string(),
                strategy: row.strategy.clone(),
                jobs: row.jobs,
                unit,
                ns: per(row),
                bound_ns,
                flagged: group.flag(row, capacity).is_some(),
            });
        }
    }
    out
}

/// The copy's fastest ns per element at each number of threads, at its
/// largest n (empty when it was not measured).
fn copy_floor(report: &Report) -> Vec<(usize, f64)> {
    let Some(group) = report.groups.iter().find(|g| g.name == COPY) else {
        return Vec::new();
    };
    let n = group.rows.iter().map(|r| r.n).max();
    let mut floor: Vec<(usize, f64)> = Vec::new();
    for row in group.rows.iter().filter(|r| Some(r.n) == n) {
        match floor.iter_mut().find(|(jobs, _)| *jobs == row.jobs) {
            Some((_, ns)) => *ns = ns.min(row.per_task_ns),
            None => floor.push((row.jobs, row.per_task_ns)),
        }
    }
    floor
}

/// The Markdown table (empty when no kernel group was measured).
pub(crate) fn table(report: &Report, costs: &[Cost]) -> String {
    if costs.is_empty() {
        return String::new();
    }
    let clock = report.machine.clock_ghz;
    let mut out = format!(
        "**Cost per element or trial** (`driver` and `square`: per element; \
         `pi`: per trial; wall time of the whole run divided by the elements \
         or trials; cycles at the measured clock{}; bound for a \
         parallel row: the fastest one-thread cost divided by the measured \
         capacity, which is what perfect scaling would give here, and for \
         `square`, which moves 16 bytes per multiply, no less than `copy`, \
         the same bytes copied on as many threads: the memory floor)\n\n\
         | kernel | strategy | jobs | ns each | cycles × jobs | bound | \
         of bound |\n|---|---|---:|---:|---:|---:|---:|\n",
        clock.map(|c| format!(" ≈ {c:.1} GHz")).unwrap_or_default()
    );
    for c in costs {
        let cycles = clock.map_or("–".to_string(), |ghz| {
            format!("{:.1}", c.ns * ghz * c.jobs as f64)
        });
        let warn = if c.flagged { "⚠ " } else { "" };
        let (bound, of) = match c.bound_ns {
            Some(b) => (ns(b), format!("{warn}{:.0} %", 100.0 * b / c.ns)),
            None => ("–".into(), "–".into()),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {cycles} | {bound} | {of} |\n",
            label(&c.group),
            c.strategy,
            c.jobs,
            ns(c.ns)
        ));
    }
    if costs.iter().any(|c| c.flagged) {
        out.push_str(&format!("\n{}\n", workloads::report::flag::RULE));
    }
    out
}

/// A kernel group's short name, so that the table fits a book page: `Rust
/// driver_vec` for `thread_pools/driver_vec`, `numba pi` for `python/pi
/// (numba)`, `numba lanes pi` for `python/pi (numba lanes)`.
fn label(group: &str) -> String {
    if let Some(workload) = group.strip_prefix("thread_pools/") {
        return format!("Rust {workload}");
    }
    let python = group.strip_prefix("python/").and_then(|rest| {
        let (workload, kind) = rest.split_once(" (")?;
        Some(format!("{} {workload}", kind.strip_suffix(')')?))
    });
    python.unwrap_or_else(|| group.to_string())
}

/// Nanoseconds with two decimals below 10 ns, else `format_ns`.
fn ns(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.2} ns")
    } else {
        format_ns(value)
    }
}

#[cfg(test)]
mod tests {
    use super::super::criterion::Measurement;
    use super::super::machine::Machine;
    use super::*;

    #[test]
    fn costs_are_per_element_or_trial_with_the_capacity_bound() {
        let machine = Machine {
            cpu: "T".into(),
            cores: 2,
            rustc: "r".into(),
            commit: "c".into(),
            date: "d".into(),
            capacity: Some((1.6, 1.8)),
            clock_ghz: Some(2.0),
            numerics: None,
        };
        let rows = [
            Measurement::fixture("thread_pools/driver", "serial", 1, 1000, 8000.0),
            Measurement::fixture("thread_pools/driver", "rayon", 2, 1000, 5000.0),
            Measurement::fixture("thread_pools/pi_streams", "serial", 1, 16, 16e6),
        ];
        let report = Report::build(machine, Mode::Quick, None, &rows).unwrap();
        let costs = costs(&report);
        assert_eq!(costs.len(), 3, "{costs:?}");
        assert_eq!((costs[0].ns, costs[0].bound_ns), (8.0, None));
        assert_eq!(costs[1].ns, 5.0);
        assert_eq!(costs[1].bound_ns, Some(8.0 / 1.8));
        assert_eq!(
            (costs[2].ns, costs[2].unit),
            (1.0, "trial"),
            "16 ms / 16 / 10^6"
        );
        let table = table(&report, &costs);
        assert!(table.contains("≈ 2.0 GHz"), "{table}");
        assert!(table.contains("| 20.0 |"), "5 ns × 2 GHz × 2 jobs: {table}");
        assert!(table.contains("| 89 % |"), "{table}");
    }

    #[test]
    fn the_copy_is_the_floor_of_square_and_of_nothing_else() {
        let machine = Machine::fixture(Some((2.0, 2.0)));
        let rows = [
            Measurement::fixture(COPY, "serial", 1, 1000, 200.0),
            Measurement::fixture(COPY, "fork-join", 2, 1000, 150.0),
            Measurement::fixture(
                "thread_pools/square_slices",
                "serial",
                1,
                1000,
                300.0,
            ),
            Measurement::fixture(
                "thread_pools/square_slices",
                "fork",
                2,
                1000,
                160.0,
            ),
            Measurement::fixture("thread_pools/driver", "serial", 1, 1000, 8000.0),
            Measurement::fixture("thread_pools/driver", "rayon", 2, 1000, 4000.0),
        ];
        let report = Report::build(machine, Mode::Quick, None, &rows).unwrap();
        let costs = costs(&report);
        let bound = |group: &str, jobs| {
            costs
                .iter()
                .find(|c| c.group == group && c.jobs == jobs)
                .and_then(|c| c.bound_ns)
        };
        // Per element: compute would allow 0.3 / 2 = 0.15 ns, the copy on
        // 2 threads takes 0.15 ns.
        assert_eq!(bound("thread_pools/square_slices", 2), Some(0.15));
        // One thread: no bound, as for the compute bound.
        assert_eq!(bound("thread_pools/square_slices", 1), None);
        // `driver` is bound by compute alone, and a one-thread copy by nothing.
        assert_eq!(bound("thread_pools/driver", 2), Some(4.0));
        assert_eq!(bound(COPY, 1), None);
        // With no copy measured, square is bound by compute alone.
        let report = Report::build(
            Machine::fixture(Some((2.0, 2.0))),
            Mode::Quick,
            None,
            &rows[2..],
        )
        .unwrap();
        let costs = super::costs(&report);
        let square = |jobs| {
            costs
                .iter()
                .find(|c| c.group == "thread_pools/square_slices" && c.jobs == jobs)
                .unwrap()
                .bound_ns
        };
        assert!((square(2).unwrap() - 0.15).abs() < 1e-12, "{costs:?}");
        assert_eq!(square(1), None);
    }

    #[test]
    fn kernel_labels_are_short() {
        assert_eq!(label("thread_pools/driver_vec"), "Rust driver_vec");
        assert_eq!(label("python/pi (numba lanes)"), "numba lanes pi");
        assert_eq!(label("python/square (numpy)"), "numpy square");
        assert_eq!(label("grid/pi"), "grid/pi");
    }
}
