//! The report's SVG plots, each in the frame of `svg.rs` (labelled with the
//! machine, its measured parallel capacity, the toolchain, commit and date):
//!
//! - `speedup-<group>.svg` (the group's name, `/`, spaces and brackets as
//!   `-`: `speedup-python-pi-numba.svg`): speedup vs jobs per strategy, for
//!   every group that sweeps jobs (at its largest n); a strategy measured at
//!   one jobs value is a dot, so every route shows. The reference lines are
//!   data series, exact on a log axis too, and fit the work: for computing,
//!   the ideal (speedup = jobs) and the measured capacity; for sleeps, the
//!   ideal for those sleeps; for cached reruns, none. For tasks under a
//!   microsecond (`square`), whose speedups span decades, the axis is log;
//! - `<group>-time.svg` and `…-speedup.svg`: time per task and speedup vs
//!   task size (log scale) for every sized group (the `crossover` bench):
//!   where the parallel lines cross the serial one;
//! - `overhead*.svg` (`overhead.rs`): the hand-out cost per task on `square`.
//!
//! Two plots never share a file: [`check_unique`] makes a collision an error.

use std::collections::BTreeMap;

use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use workloads::report::flag::Work;

use super::report::{Group, Report, Row, format_ns};
use super::svg::{
    Entry, LABEL, Plot, SMALL, Style, chart_builder, color, draw_dashed,
    draw_legend, draw_line, plot_err, svg,
};
use super::{cost_model, overhead};

/// Below this baseline time per task, a speedup plot uses a log axis.
const LOG_SPEEDUP_BELOW_NS: f64 = 1_000.0;

/// Every plot the report's data allows, and notes on the ones it does not.
pub(crate) fn draw_all(report: &Report) -> anyhow::Result<(Vec<Plot>, Vec<String>)> {
    let mut plots = Vec::new();
    let mut notes = Vec::new();
    for group in &report.groups {
        if group.size_name.is_some() {
            plots.extend(size_plots(report, group)?);
        } else if let Some(plot) = speedup_plot(report, group)? {
            plots.push(plot);
        }
    }
    if !plots.iter().any(|p| p.file.starts_with("speedup-")) {
        notes.push("no group sweeps jobs: no speedup-vs-jobs plot".to_string());
    }
    if !report.groups.iter().any(|g| g.size_name.is_some()) {
        notes.push(
            "no sized group (crossover bench): no time-vs-task-size plot".into(),
        );
    }
    let overhead = overhead::plots(report)?;
    if overhead.is_empty() {
        notes.push("no `square` group: no per-task overhead plot".into());
    }
    plots.extend(overhead);
    plots.extend(cost_model::plots(report)?);
    check_unique(&plots)?;
    Ok((plots, notes))
}

/// The file-name stem of a group's plots, from its full name, so that every
/// group gets its own: `python/pi (numba)` → `python-pi-numba` (the
/// numba family's plot no longer overwrites the pure-Python one).
fn file_stem(group: &Group) -> String {
    let mut stem = String::new();
    for c in group.name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            stem.push(c);
        } else if !stem.ends_with('-') {
            stem.push('-');
        }
    }
    stem.trim_end_matches('-').to_string()
}

/// An error naming the file when two plots would be written to one file.
pub(crate) fn check_unique(plots: &[Plot]) -> anyhow::Result<()> {
    let mut seen = std::collections::BTreeMap::new();
    for plot in plots {
        if let Some(other) = seen.insert(plot.file.as_str(), plot.title.as_str()) {
            anyhow::bail!(
                "two plots would be written to {}: {other:?} and {:?}",
                plot.file,
                plot.title
            );
        }
    }
    Ok(())
}

/// Speedup vs jobs at the group's largest n where a strategy was measured at
/// two or more jobs values: every strategy with a speedup at that n, a line
/// when swept, a dot when measured at one jobs value (so every route of a
/// chapter shows, not only the swept one).
fn speedup_plot(report: &Report, group: &Group) -> anyhow::Result<Option<Plot>> {
    let swept = |rows: &[&Row]| {
        let mut jobs: Vec<usize> = rows.iter().map(|r| r.jobs).collect();
        jobs.sort_unstable();
        jobs.dedup();
        jobs.len() >= 2
    };
    let mut by_n: BTreeMap<u64, BTreeMap<&str, Vec<&Row>>> = BTreeMap::new();
    // The baseline is a line of its own only when it was swept too (numba's
    // `prange`, the faster one-thread row, on 1 and 2 threads).
    let baseline_swept = |n: u64| {
        group
            .rows
            .iter()
            .any(|r| r.strategy == group.baseline && r.n == n && r.jobs > 1)
    };
    for row in group.rows.iter().filter(|r| r.speedup.is_some()) {
        if row.strategy != group.baseline || baseline_swept(row.n) {
            by_n.entry(row.n)
                .or_default()
                .entry(&row.strategy)
                .or_default()
                .push(row);
        }
    }
    let Some((n, strategies)) = by_n
        .into_iter()
        .rev()
        .find(|(_, strategies)| strategies.values().any(|rows| swept(rows)))
    else {
        return Ok(None);
    };
    let max_jobs = strategies
        .values()
        .flat_map(|rows| rows.iter().map(|r| r.jobs))
        .max()
        .unwrap_or(1)
        .max(report.machine.cores);
    let speedups = || strategies.values().flatten().filter_map(|r| r.speedup);
    let max_speedup = speedups().fold(0.0f64, f64::max);
    let min_speedup = speedups().fold(f64::MAX, f64::min);
    // Tasks under a microsecond: speedups from 0.001 to 2 would sit on zero
    // on a linear axis, so the axis is logarithmic.
    let baseline_ns = group
        .rows
        .iter()
        .filter(|r| r.strategy == group.baseline && r.n == n)
        .map(|r| r.per_task_ns)
        .next()
        .unwrap_or(f64::MAX);
    let log = baseline_ns < LOG_SPEEDUP_BELOW_NS;
    let references = references(group, report.capacity(), max_jobs);
    let reference_top = references
        .iter()
        .flat_map(|(_, points)| points.iter().map(|p| p.1))
        .fold(1.0f64, f64::max);
    let y_top = reference_top.max(max_speedup);
    let title = format!("Speedup vs jobs: {} ({n} tasks)", group.name);
    let lines: Vec<(&str, Vec<(f64, f64)>)> = strategies
        .iter()
        .map(|(strategy, rows)| {
            let mut points: Vec<(f64, f64)> = rows
                .iter()
                .filter_map(|r| Some((r.jobs as f64, r.speedup?)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            (*strategy, points)
        })
        .collect();
    let plot = SpeedupPlot {
        baseline: &group.baseline,
        cores: report.machine.cores,
        max_jobs,
        references: &references,
        lines: &lines,
    };
    let svg = svg(report, |area, legend_area| {
        let x = 0.5f64..max_jobs as f64 + 0.5;
        let mut legend = Vec::new();
        if log {
            let y = (min_speedup.min(1.0) / 2.0..y_top * 2.0).log_scale();
            let chart = chart_builder(area, &title).build_cartesian_2d(x, y);
            plot.draw(chart.map_err(plot_err)?, &mut legend, " (log scale)")?;
        } else {
            let chart =
                chart_builder(area, &title).build_cartesian_2d(x, 0f64..y_top * 1.1);
            plot.draw(chart.map_err(plot_err)?, &mut legend, "")?;
        }
        draw_legend(legend_area, &legend)
    })?;
    Ok(Some(Plot {
        file: format!("speedup-{}.svg", file_stem(group)),
        title,
        svg,
    }))
}

/// Points per job on a reference curve: enough for a smooth curve on a log
/// axis.
const STEPS_PER_JOB: usize = 20;

/// The reference lines of a group's speedup plot, as data series: for
/// computing, the ideal (speedup = jobs) and the measured capacity; for
/// sleeps, the ideal for those sleeps on each number of workers; for a
/// cache, none (a cached rerun is not held against any ceiling).
fn references(
    group: &Group,
    capacity: Option<f64>,
    max_jobs: usize,
) -> Vec<(Entry, Vec<(f64, f64)>)> {
    let last = max_jobs as f64 + 0.5;
    match group.work {
        Work::Cpu => {
            let steps = (max_jobs - 1) * STEPS_PER_JOB;
            let ideal = (0..=steps)
                .map(|i| 1.0 + i as f64 / STEPS_PER_JOB as f64)
                .map(|j| (j, j))
                .collect();
            let mut lines = vec![(
                ("ideal (speedup = jobs)".to_string(), BLACK, Style::Dashed),
                ideal,
            )];
            if let Some(c) = capacity {
                let red = RGBColor(200, 60, 60);
                let name = format!("capacity {c:.2}× (the ceiling)");
                lines.push(((name, red, Style::Dashed), vec![(0.5, c), (last, c)]));
            }
            lines
        }
        Work::Sleeps(_) => {
            let ideal = (1..=max_jobs)
                .filter_map(|j| Some((j as f64, group.ceiling(j, None)?)))
                .collect();
            let name = "ideal for these sleeps".to_string();
            vec![((name, BLACK, Style::Dashed), ideal)]
        }
        Work::Cache => Vec::new(),
    }
}

/// What a speedup-vs-jobs plot shows, to draw on a linear or a log axis.
struct SpeedupPlot<'a> {
    baseline: &'a str,
    cores: usize,
    max_jobs: usize,
    references: &'a [(Entry, Vec<(f64, f64)>)],
    lines: &'a [(&'a str, Vec<(f64, f64)>)],
}

impl SpeedupPlot<'_> {
    fn draw<Y>(
        &self,
        mut chart: ChartContext<'_, SVGBackend<'_>, Cartesian2d<RangedCoordf64, Y>>,
        legend: &mut Vec<Entry>,
        scale: &str,
    ) -> anyhow::Result<()>
    where
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let (y_lo, y_hi) = {
            let range = chart.y_range();
            (range.start, range.end)
        };
        chart
            .configure_mesh()
            .x_desc("jobs (workers)")
            .y_desc(format!("speedup vs {}{scale}", self.baseline))
            .label_style(("sans-serif", SMALL))
            .axis_desc_style(("sans-serif", LABEL))
            .x_labels(self.max_jobs + 1)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| super::report::ratio(*y))
            .draw()
            .map_err(plot_err)?;
        for ((name, c, _), points) in self.references {
            draw_dashed(&mut chart, legend, (*c, name.clone()), points.clone())?;
        }
        let grey = RGBColor(150, 150, 150);
        let cores = self.cores as f64;
        let cores_line = vec![(cores, y_lo), (cores, y_hi)];
        draw_dashed(
            &mut chart,
            legend,
            (grey, format!("{} cores", self.cores)),
            cores_line,
        )?;
        for (i, (strategy, points)) in self.lines.iter().enumerate() {
            draw_line(&mut chart, legend, (color(i), strategy), points, 5)?;
        }
        Ok(())
    }
}

/// One series per (strategy, jobs, n) of a sized group, sorted by size.
fn size_series(group: &Group) -> Vec<(String, Vec<&Row>)> {
    let several_n = group.rows.iter().any(|r| r.n != group.rows[0].n);
    let mut series: BTreeMap<(bool, &str, usize, u64), Vec<&Row>> = BTreeMap::new();
    for row in &group.rows {
        let key = (
            row.strategy != group.baseline,
            row.strategy.as_str(),
            row.jobs,
            row.n,
        );
        series.entry(key).or_default().push(row);
    }
    series
        .into_iter()
        .map(|((_, strategy, jobs, n), mut rows)| {
            rows.sort_by_key(|r| r.size);
            let mut name = if jobs == 1 {
                strategy.to_string()
            } else {
                format!("{strategy} (jobs={jobs})")
            };
            if several_n {
                name.push_str(&format!(", n={n}"));
            }
            (name, rows)
        })
        .collect()
}

/// Time per task and speedup against task size, both on a log size axis.
fn size_plots(report: &Report, group: &Group) -> anyhow::Result<Vec<Plot>> {
    let unit = group.size_name.as_deref().unwrap_or("size");
    let series = size_series(group);
    let sizes = group.rows.iter().filter_map(|r| r.size);
    let (lo, hi) = sizes.fold((u64::MAX, 0), |(lo, hi), s| (lo.min(s), hi.max(s)));
    let (x_lo, x_hi) = (lo.max(1) as f64 / 1.5, hi.max(1) as f64 * 1.5);
    let times = group.rows.iter().map(|r| r.per_task_ns);
    let (t_lo, t_hi) =
        times.fold((f64::MAX, 0f64), |(lo, hi), t| (lo.min(t), hi.max(t)));
    let n = group.rows[0].n;
    let time_title =
        format!("Time per task vs task size: {} ({n} tasks)", group.name);
    let time_svg = svg(report, |area, legend_area| {
        let mut legend = Vec::new();
        let mut chart = chart_builder(area, &time_title)
            .build_cartesian_2d(
                (x_lo..x_hi).log_scale(),
                (t_lo / 1.5..t_hi * 1.5).log_scale(),
            )
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc(format!("task size ({unit} per task, log scale)"))
            .y_desc("median time per task (log scale)")
            .label_style(("sans-serif", SMALL))
            .axis_desc_style(("sans-serif", LABEL))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format_ns(*y))
            .draw()
            .map_err(plot_err)?;
        for (i, (name, rows)) in series.iter().enumerate() {
            let c = color(i);
            let points: Vec<(f64, f64)> = rows
                .iter()
                .filter_map(|r| Some((r.size? as f64, r.per_task_ns)))
                .collect();
            draw_line(&mut chart, &mut legend, (c, name), &points, 4)?;
        }
        draw_legend(legend_area, &legend)
    })?;
    let max_speedup = group
        .rows
        .iter()
        .filter_map(|r| r.speedup)
        .fold(1.0f64, f64::max);
    let speedup_title = format!("Speedup vs task size: {} ({n} tasks)", group.name);
    let speedup_svg = svg(report, |area, legend_area| {
        let mut legend = Vec::new();
        let mut chart = chart_builder(area, &speedup_title)
            .build_cartesian_2d((x_lo..x_hi).log_scale(), 0f64..max_speedup * 1.15)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc(format!("task size ({unit} per task, log scale)"))
            .y_desc(format!("speedup vs {}", group.baseline))
            .label_style(("sans-serif", SMALL))
            .axis_desc_style(("sans-serif", LABEL))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(DashedLineSeries::new(
                [(x_lo, 1.0), (x_hi, 1.0)],
                8,
                6,
                BLACK.stroke_width(2),
            ))
            .map_err(plot_err)?;
        legend.push((
            format!("break-even (= {})", group.baseline),
            BLACK,
            Style::Dashed,
        ));
        for (i, (name, rows)) in series.iter().enumerate() {
            if rows.iter().all(|r| r.strategy == group.baseline) {
                continue;
            }
            let c = color(i);
            let points: Vec<(f64, f64)> = rows
                .iter()
                .filter_map(|r| Some((r.size? as f64, r.speedup?)))
                .collect();
            draw_line(&mut chart, &mut legend, (c, name), &points, 4)?;
        }
        draw_legend(legend_area, &legend)
    })?;
    let stem = file_stem(group);
    Ok(vec![
        Plot {
            file: format!("{stem}-time.svg"),
            title: time_title,
            svg: time_svg,
        },
        Plot {
            file: format!("{stem}-speedup.svg"),
            title: speedup_title,
            svg: speedup_svg,
        },
    ])
}
