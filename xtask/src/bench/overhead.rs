//! The hand-out overhead plots: what handing one trivial task (`square`) to a
//! strategy and getting its result back costs, per task, on a log scale. The
//! task's own cost is taken out (the strategy's time per task minus its
//! group's serial time per task at the same n), so a bar is overhead only.
//!
//! - `overhead.svg`: the Rust chapters' `<bench>/square` groups;
//! - `overhead-python.svg`: the Python pools on `python/square`.
//!
//! One bar per strategy (its largest n, its best jobs). Cache groups are
//! left out (a cache lookup is not a hand-out), and so are numpy and numba
//! (no task is handed out). A strategy with no measurable overhead (as fast
//! as serial or faster) is named in the side panel instead of drawn.

use std::collections::BTreeMap;

use plotters::prelude::*;
use workloads::report::flag::Work;

use super::python;
use super::report::{Group, Report, Row, format_ns};
use super::svg::{CAPTION, HEIGHT, LABEL, Plot, SMALL, WIDTH, color, plot_err, svg};

/// One bar: its label and the overhead per task in ns.
type Bar = (String, f64);

/// The overhead plots the report's data allows (none without `square`).
pub(crate) fn plots(report: &Report) -> anyhow::Result<Vec<Plot>> {
    let python_square = format!("{}/square", python::BENCH);
    let mut out = Vec::new();
    for (file, language, python) in [
        ("overhead.svg", "Rust", false),
        ("overhead-python.svg", "Python", true),
    ] {
        let pick = |g: &Group| {
            if python {
                g.name == python_square
            } else {
                g.bench != python::BENCH
            }
        };
        let groups: Vec<&Group> = report
            .groups
            .iter()
            .filter(|g| g.workload == "square" && g.work != Work::Cache && pick(g))
            .collect();
        if groups.is_empty() {
            continue;
        }
        let (bars, none) = bars(&groups);
        if bars.is_empty() && none.is_empty() {
            continue;
        }
        let title = format!("Hand-out cost per task ({language}, square)");
        out.push(Plot {
            file: file.to_string(),
            svg: draw(report, &title, &bars, &none)?,
            title,
        });
    }
    Ok(out)
}

/// The bars, shortest first, and the strategies with no measurable overhead.
fn bars(groups: &[&Group]) -> (Vec<Bar>, Vec<String>) {
    let mut best: BTreeMap<(&str, &str), (&Row, f64)> = BTreeMap::new();
    for group in groups {
        for row in group.rows.iter().filter(|r| r.strategy != group.baseline) {
            let Some(serial) = group
                .rows
                .iter()
                .find(|r| r.strategy == group.baseline && r.n == row.n)
            else {
                continue;
            };
            let overhead = row.per_task_ns - serial.per_task_ns;
            let key = (group.bench.as_str(), row.strategy.as_str());
            let better = best
                .get(&key)
                .is_none_or(|(b, o)| (row.n, -overhead) > (b.n, -o));
            if better {
                best.insert(key, (row, overhead));
            }
        }
    }
    let several_benches = groups.len() > 1;
    let mut bars = Vec::new();
    let mut none = Vec::new();
    for ((bench, strategy), (row, overhead)) in best {
        let jobs = if row.jobs == 1 { "job" } else { "jobs" };
        let label = if several_benches {
            format!("{bench}: {strategy}, {} {jobs}", row.jobs)
        } else {
            format!("{strategy}, {} {jobs}", row.jobs)
        };
        if overhead > 0.0 {
            bars.push((label, overhead));
        } else {
            none.push(label);
        }
    }
    bars.sort_by(|a, b| a.1.total_cmp(&b.1));
    (bars, none)
}

/// A horizontal bar chart of `bars` (log scale), with `none` listed beside it.
fn draw(
    report: &Report,
    title: &str,
    bars: &[Bar],
    none: &[String],
) -> anyhow::Result<String> {
    let lo = bars.iter().map(|b| b.1).fold(f64::MAX, f64::min).min(1.0) / 2.0;
    let hi = bars.iter().map(|b| b.1).fold(1.0f64, f64::max) * 8.0;
    let count = bars.len().max(1);
    // An integer range is inclusive here: 0..count-1 gives count segments (a
    // lone bar keeps an empty second one).
    let last = count.max(2) - 1;
    let margin = (HEIGHT / count as u32 / 6).min(40);
    let label_width = bars.iter().map(|b| b.0.chars().count()).max().unwrap_or(10);
    svg(report, |area, side| {
        let mut lines = vec![
            "per task: the strategy's time".to_string(),
            "minus serial's (the task)".into(),
            "each strategy at its largest".into(),
            "batch and its best jobs".into(),
        ];
        if !none.is_empty() {
            lines.push(String::new());
            lines.push("no overhead measurable:".into());
            lines.extend(none.iter().cloned());
        }
        for (i, line) in lines.iter().enumerate() {
            let y = 70 + 22 * i as i32;
            side.draw(&Text::new(line.clone(), (4, y), ("sans-serif", SMALL)))
                .map_err(plot_err)?;
        }
        let mut chart = ChartBuilder::on(area)
            .caption(title, ("sans-serif", CAPTION))
            .margin(14)
            .x_label_area_size(52)
            .y_label_area_size((label_width as u32 * 9 + 16).min(WIDTH / 2))
            .build_cartesian_2d((lo..hi).log_scale(), (0..last).into_segmented())
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("overhead per task (log scale)")
            .label_style(("sans-serif", LABEL))
            .axis_desc_style(("sans-serif", LABEL))
            .x_labels(5)
            .x_label_formatter(&|x| format_ns(*x))
            .y_labels(count)
            .y_label_formatter(&|y| match y {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                    bars.get(*i).map_or(String::new(), |b| b.0.clone())
                }
                SegmentValue::Last => String::new(),
            })
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, ns))| {
                let mut bar = Rectangle::new(
                    [
                        (lo, SegmentValue::Exact(i)),
                        (*ns, SegmentValue::Exact(i + 1)),
                    ],
                    color(i).filled(),
                );
                bar.set_margin(margin, margin, 0, 0);
                bar
            }))
            .map_err(plot_err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, ns))| {
                Text::new(
                    format_ns(*ns),
                    (*ns * 1.1, SegmentValue::CenterOf(i)),
                    ("sans-serif", LABEL),
                )
            }))
            .map_err(plot_err)?;
        Ok(())
    })
}
