//! From the report to the cost model: the `grid` bench's groups (pool size ×
//! number of tasks, `benches/benches/grid.rs`) as points, one fit per
//! parallel strategy of each group ([`Model`]), and the answer to "how many
//! tasks before it pays off" on this machine and on larger ones
//! ([`Payoff`]).

use serde::Serialize;

use super::fit::{self, Fit, Params, Point};
use crate::bench::report::{Group, Report};

/// The bench target whose groups the cost model is fitted to.
pub(crate) const BENCH: &str = "grid";

/// The machines the payoff is predicted for, beside this one.
pub(crate) const PREDICTED_CORES: [usize; 2] = [16, 64];

/// One strategy of one group, its measured points and its fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Model {
    pub(crate) group: String,
    pub(crate) strategy: String,
    pub(crate) points: Vec<Point>,
    pub(crate) fit: Fit,
}

/// The fewest tasks from which a strategy on one worker per core beats the
/// serial loop.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Payoff {
    pub(crate) group: String,
    pub(crate) strategy: String,
    /// The cores of this machine (the jobs of the measured answer).
    pub(crate) cores: usize,
    /// Read off the measurements on this machine.
    pub(crate) measured: Measured,
    /// The fitted model's answer on this machine.
    pub(crate) fitted: Option<u64>,
    /// The model's answer on larger machines: `(cores, tasks)`, predicted.
    pub(crate) predicted: Vec<(usize, Option<u64>)>,
}

/// What the measurements on this machine say, at `jobs` = its cores.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Measured {
    /// Faster than serial at every count measured from `from` on, slower at
    /// `after` (the count before it), if any.
    From { after: Option<u64>, from: u64 },
    /// Slower than serial at the largest count measured.
    NotUpTo(u64),
    /// Not measured on this many workers.
    Absent,
}

/// Every model the report's grid groups allow, group by group.
pub(crate) fn models(report: &Report) -> Vec<Model> {
    let mut out = Vec::new();
    for group in report.groups.iter().filter(|g| g.bench == BENCH) {
        let Some(work) = work_per_task_ns(group) else {
            continue;
        };
        for strategy in strategies(group) {
            let points = points(group, &strategy);
            if let Some(fit) = fit::fit(&points, work) {
                out.push(Model {
                    group: group.name.clone(),
                    strategy,
                    points,
                    fit,
                });
            }
        }
    }
    out
}

/// The serial work of one task: the mean of the baseline's time per task
/// over the counts measured (what a relative least-squares fit of
/// `work × n` to the serial rows gives).
pub(crate) fn work_per_task_ns(group: &Group) -> Option<f64> {
    let serial: Vec<f64> = group
        .rows
        .iter()
        .filter(|r| r.strategy == group.baseline)
        .map(|r| r.per_task_ns)
        .collect();
    (!serial.is_empty()).then(|| serial.iter().sum::<f64>() / serial.len() as f64)
}

/// The group's strategies other than its baseline, in table order.
fn strategies(group: &Group) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for row in group.rows.iter().filter(|r| r.strategy != group.baseline) {
        if !out.contains(&row.strategy) {
            out.push(row.strategy.clone());
        }
    }
    out
}

fn points(group: &Group, strategy: &str) -> Vec<Point> {
    group
        .rows
        .iter()
        .filter(|r| r.strategy == strategy)
        .map(|r| Point {
            jobs: r.jobs,
            n: r.n,
            time_ns: r.median_ns,
        })
        .collect()
}

/// The payoff of every model, on `cores` (this machine) and, predicted, on
/// [`PREDICTED_CORES`].
pub(crate) fn payoffs(
    report: &Report,
    models: &[Model],
    cores: usize,
) -> Vec<Payoff> {
    models
        .iter()
        .map(|model| {
            let params: Params = model.fit.params;
            let group = report.groups.iter().find(|g| g.name == model.group);
            Payoff {
                group: model.group.clone(),
                strategy: model.strategy.clone(),
                cores,
                measured: group
                    .map_or(Measured::Absent, |g| measured(g, model, cores)),
                fitted: params.break_even(cores),
                predicted: PREDICTED_CORES
                    .iter()
                    .map(|&n| (n, params.on_cores(cores, n).break_even(n)))
                    .collect(),
            }
        })
        .collect()
}

/// The measured answer: the smallest count from which the strategy on
/// `cores` workers stays faster than the serial row at the same count.
fn measured(group: &Group, model: &Model, cores: usize) -> Measured {
    let mut rows: Vec<(u64, f64)> = group
        .rows
        .iter()
        .filter(|r| r.strategy == model.strategy && r.jobs == cores)
        .filter_map(|r| Some((r.n, r.speedup?)))
        .collect();
    rows.sort_by_key(|r| r.0);
    let Some(&(largest, _)) = rows.last() else {
        return Measured::Absent;
    };
    let faster_from = rows.iter().rposition(|r| r.1 <= 1.0).map_or(0, |i| i + 1);
    match rows.get(faster_from) {
        Some(&(from, _)) => Measured::From {
            after: faster_from.checked_sub(1).map(|i| rows[i].0),
            from,
        },
        None => Measured::NotUpTo(largest),
    }
}
