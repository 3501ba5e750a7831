//! Crossover points, read off the sized groups (the `crossover` bench): for
//! each parallel strategy, the smallest task from which it stays at least as
//! fast as serial, and the smallest from which it reaches 80 % of what the
//! machine allows (`min(jobs, capacity)`). The "Choosing a strategy" chapter
//! includes this table instead of quoting figures by hand.

use std::collections::BTreeMap;

use super::report::{Group, Report, Row, format_ns};

/// Fraction of `min(jobs, capacity)` that counts as "near full speed".
const NEAR_FULL: f64 = 0.8;

/// One strategy's crossover points: `(task size, serial time per task)`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Crossover {
    pub(crate) group: String,
    pub(crate) unit: String,
    pub(crate) strategy: String,
    pub(crate) jobs: usize,
    pub(crate) break_even: Option<(u64, f64)>,
    pub(crate) near_full: Option<(u64, f64)>,
    /// The speedup target of `near_full`.
    pub(crate) target: f64,
}

/// The crossover points of every sized group.
pub(crate) fn crossovers(report: &Report) -> Vec<Crossover> {
    let capacity = report.capacity();
    let mut out = Vec::new();
    for group in report.groups.iter().filter(|g| g.size_name.is_some()) {
        out.extend(of_group(group, capacity));
    }
    out
}

fn of_group(group: &Group, capacity: Option<f64>) -> Vec<Crossover> {
    let serial: BTreeMap<u64, f64> = group
        .rows
        .iter()
        .filter(|r| r.strategy == group.baseline)
        .filter_map(|r| Some((r.size?, r.per_task_ns)))
        .collect();
    let mut lines: BTreeMap<(&str, usize), Vec<&Row>> = BTreeMap::new();
    for row in group.rows.iter().filter(|r| r.strategy != group.baseline) {
        lines
            .entry((&row.strategy, row.jobs))
            .or_default()
            .push(row);
    }
    lines
        .into_iter()
        .map(|((strategy, jobs), mut rows)| {
            rows.sort_by_key(|r| r.size);
            let target =
                NEAR_FULL * capacity.map_or(jobs as f64, |c| c.min(jobs as f64));
            // The smallest size from which every larger size meets `min`.
            let from = |min: f64| {
                let mut found = None;
                for row in rows.iter().rev() {
                    if row.speedup.is_some_and(|s| s >= min) {
                        found = row.size;
                    } else {
                        break;
                    }
                }
                found.map(|size| {
                    (size, serial.get(&size).copied().unwrap_or(f64::NAN))
                })
            };
            Crossover {
                group: group.name.clone(),
                unit: group.size_name.clone().unwrap_or_default(),
                strategy: strategy.to_string(),
                jobs,
                break_even: from(1.0),
                near_full: from(target),
                target,
            }
        })
        .collect()
}

/// The Markdown table (empty without a sized group).
pub(crate) fn table(crossovers: &[Crossover]) -> String {
    if crossovers.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "**Crossover points** (from which task size on a parallel strategy stays \
         at least as fast as serial, and from which it stays at 80 % or more of \
         the speedup this machine allows, min(jobs, capacity); the time is the \
         serial time per task at that size)\n\n\
         | tasks of | strategy | jobs | at least as fast as serial from | near full \
         speed from |\n|---|---|---:|---:|---:|\n",
    );
    let cell = |point: Option<(u64, f64)>, unit: &str| match point {
        Some((size, ns)) => format!("{size} {unit} ({} per task)", format_ns(ns)),
        None => "not within the sizes measured".to_string(),
    };
    for c in crossovers {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} (≥ {:.2}×) |\n",
            c.group,
            c.strategy,
            c.jobs,
            cell(c.break_even, &c.unit),
            cell(c.near_full, &c.unit),
            c.target,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::tests::fixture_report;
    use super::*;

    #[test]
    fn crossover_points_come_from_the_sized_groups() {
        let mut report = fixture_report();
        let points = crossovers(&report);
        assert!(!points.is_empty());
        assert!(
            points.iter().all(|c| c.group == "crossover/pi"),
            "{points:?}"
        );
        let table = table(&points);
        assert!(table.contains("| crossover/pi |"), "{table}");
        // A strategy that never beats serial says so.
        for group in &mut report.groups {
            for row in &mut group.rows {
                if row.strategy != group.baseline {
                    row.speedup = Some(0.5);
                }
            }
        }
        let table = super::table(&crossovers(&report));
        assert!(table.contains("not within the sizes measured"), "{table}");
    }
}
