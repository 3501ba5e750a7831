//! The report's SVG plots (plotters, SVG backend only), each labelled in its
//! footer with the machine, its measured parallel capacity, the toolchain,
//! commit and date; the legend sits in its own panel right of the chart, never
//! over the data:
//!
//! - `speedup-<bench>-<workload>.svg`: speedup vs jobs per strategy, with the
//!   ideal line (speedup = jobs) and the core count marked, for every group
//!   that sweeps jobs (at its largest n); for tasks under a microsecond
//!   (`square`), whose speedups span decades, the speedup axis is logarithmic;
//! - `<bench>-<workload>-time.svg` and `…-speedup.svg`: time per task and
//!   speedup vs task size (log scale) for every sized group (the `crossover`
//!   bench): where the parallel lines cross the serial one;
//! - `overhead.svg`: the cost per task of each strategy on the trivial `square`
//!   task (log scale), from every `<bench>/square` group.

use std::collections::BTreeMap;
use std::fmt::Display;

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::report::{Group, Report, Row, format_ns};

/// One drawn plot: its file name, title and the SVG text.
#[derive(Debug, Clone)]
pub(crate) struct Plot {
    pub(crate) file: String,
    pub(crate) title: String,
    pub(crate) svg: String,
}

const WIDTH: u32 = 960;
const HEIGHT: u32 = 560;
const FOOTER: u32 = 50;
/// The legend panel right of the chart.
const LEGEND: u32 = 270;
/// Font sizes: readable when the SVG is scaled to a book's ~750 px column.
const CAPTION: u32 = 24;
const LABEL: u32 = 17;
const SMALL: u32 = 15;
/// Below this baseline time per task, a speedup plot uses a log axis.
const LOG_SPEEDUP_BELOW_NS: f64 = 1_000.0;

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

fn plot_err(e: impl Display) -> anyhow::Error {
    anyhow!("drawing a plot: {e}")
}

/// One legend entry: name, colour, and whether its line is dashed.
type Entry = (String, RGBColor, bool);

/// One strategy's line with a dot of `dot` pixels on each point; its legend
/// entry goes into `legend`.
fn draw_line<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    legend: &mut Vec<Entry>,
    (c, name): (RGBColor, &str),
    points: &[(f64, f64)],
    dot: u32,
) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .draw_series(LineSeries::new(points.to_vec(), c.stroke_width(3)))
        .map_err(plot_err)?;
    chart
        .draw_series(points.iter().map(|&p| Circle::new(p, dot, c.filled())))
        .map_err(plot_err)?;
    legend.push((name.to_string(), c, false));
    Ok(())
}

/// The legend in its own panel (right of the chart), so it never hides data.
fn draw_legend(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    entries: &[Entry],
) -> anyhow::Result<()> {
    let font = ("sans-serif", SMALL).into_font();
    for (i, (name, c, dashed)) in entries.iter().enumerate() {
        let y = 70 + 26 * i as i32;
        let line = if *dashed {
            vec![(4, y), (12, y), (18, y), (26, y)]
        } else {
            vec![(4, y), (30, y)]
        };
        if *dashed {
            for pair in line.chunks(2) {
                area.draw(&PathElement::new(pair.to_vec(), c.stroke_width(2)))
                    .map_err(plot_err)?;
            }
        } else {
            area.draw(&PathElement::new(line, c.stroke_width(3)))
                .map_err(plot_err)?;
            area.draw(&Circle::new((17, y), 4, c.filled()))
                .map_err(plot_err)?;
        }
        let text: String = if name.chars().count() > 30 {
            name.chars().take(29).chain(['…']).collect()
        } else {
            name.clone()
        };
        area.draw(&Text::new(text, (38, y - 9), font.clone()))
            .map_err(plot_err)?;
    }
    Ok(())
}

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
    match overhead_plot(report)? {
        Some(plot) => plots.push(plot),
        None => notes.push("no `square` group: no per-task overhead plot".into()),
    }
    Ok((plots, notes))
}

fn file_stem(group: &Group) -> String {
    format!("{}-{}", group.bench, group.workload)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A drawing area of the SVG backend.
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Draws the chart with `draw` (given the chart area and the legend panel)
/// above a footer holding the report's label, capacity included.
fn svg(
    report: &Report,
    draw: impl FnOnce(&Area<'_>, &Area<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    let mut text = String::new();
    {
        let root =
            SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let (main, footer) = root.split_vertically(HEIGHT - FOOTER);
        let (chart, legend) = main.split_horizontally(WIDTH - LEGEND);
        draw(&chart, &legend)?;
        let style = ("sans-serif", 14).into_font().color(&RGBColor(70, 70, 70));
        let machine = &report.machine;
        let capacity = match machine.capacity {
            Some((before, after)) => format!(
                "parallel capacity {before:.2}× before, {after:.2}× after \
                 (no speedup can exceed it)"
            ),
            None => "parallel capacity not measured".to_string(),
        };
        let lines = [
            format!(
                "cargo xtask bench ({} mode) on {}, {} cores; {capacity}",
                report.mode, machine.cpu, machine.cores
            ),
            format!(
                "{}, commit {}, {}",
                machine.rustc, machine.commit, machine.date
            ),
        ];
        for (i, line) in lines.iter().enumerate() {
            footer
                .draw(&Text::new(
                    line.clone(),
                    (12, 6 + 20 * i as i32),
                    style.clone(),
                ))
                .map_err(plot_err)?;
        }
        root.present().map_err(plot_err)?;
    }
    Ok(text)
}

/// Speedup vs jobs for every strategy that was measured at two or more jobs
/// values, at the group's largest such n.
fn speedup_plot(report: &Report, group: &Group) -> anyhow::Result<Option<Plot>> {
    let swept = |rows: &[&Row]| {
        let mut jobs: Vec<usize> = rows.iter().map(|r| r.jobs).collect();
        jobs.sort_unstable();
        jobs.dedup();
        jobs.len() >= 2
    };
    let mut by_n: BTreeMap<u64, BTreeMap<&str, Vec<&Row>>> = BTreeMap::new();
    for row in group.rows.iter().filter(|r| r.speedup.is_some()) {
        if row.strategy != group.baseline {
            by_n.entry(row.n)
                .or_default()
                .entry(&row.strategy)
                .or_default()
                .push(row);
        }
    }
    let Some((n, strategies)) =
        by_n.into_iter().rev().find_map(|(n, strategies)| {
            let swept: Vec<(&str, Vec<&Row>)> = strategies
                .into_iter()
                .filter(|(_, rows)| swept(rows))
                .collect();
            (!swept.is_empty()).then_some((n, swept))
        })
    else {
        return Ok(None);
    };
    let max_jobs = strategies
        .iter()
        .flat_map(|(_, rows)| rows.iter().map(|r| r.jobs))
        .max()
        .unwrap_or(1)
        .max(report.machine.cores);
    let max_speedup = strategies
        .iter()
        .flat_map(|(_, rows)| rows.iter().filter_map(|r| r.speedup))
        .fold(0.0f64, f64::max);
    let min_speedup = strategies
        .iter()
        .flat_map(|(_, rows)| rows.iter().filter_map(|r| r.speedup))
        .fold(f64::MAX, f64::min);
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
    let y_top = (max_jobs as f64).max(max_speedup);
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
        capacity: report.capacity(),
        max_jobs,
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

/// A chart builder with the report's caption, margins and label areas.
fn chart_builder<'a, 'b>(
    area: &'a Area<'b>,
    title: &str,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(title, ("sans-serif", CAPTION))
        .margin(14)
        .x_label_area_size(52)
        .y_label_area_size(72);
    builder
}

/// What a speedup-vs-jobs plot shows, to draw on a linear or a log axis.
struct SpeedupPlot<'a> {
    baseline: &'a str,
    cores: usize,
    capacity: Option<f64>,
    max_jobs: usize,
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
        let ideal = [(1.0, 1.0), (self.max_jobs as f64, self.max_jobs as f64)];
        chart
            .draw_series(DashedLineSeries::new(ideal, 8, 6, BLACK.stroke_width(2)))
            .map_err(plot_err)?;
        legend.push(("ideal (speedup = jobs)".into(), BLACK, true));
        let grey = RGBColor(150, 150, 150);
        let cores = self.cores as f64;
        chart
            .draw_series(DashedLineSeries::new(
                [(cores, y_lo), (cores, y_hi)],
                3,
                4,
                grey.stroke_width(2),
            ))
            .map_err(plot_err)?;
        legend.push((format!("{} cores", self.cores), grey, true));
        if let Some(capacity) = self.capacity {
            let red = RGBColor(200, 60, 60);
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.5, capacity), (self.max_jobs as f64 + 0.5, capacity)],
                    4,
                    4,
                    red.stroke_width(2),
                ))
                .map_err(plot_err)?;
            legend.push((
                format!("capacity {capacity:.2}× (the ceiling)"),
                red,
                true,
            ));
        }
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
        legend.push((format!("break-even (= {})", group.baseline), BLACK, true));
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

/// Per-task cost of each strategy on `square`: for every (bench, strategy),
/// its row at the largest n, and of those the lowest time per task.
fn overhead_plot(report: &Report) -> anyhow::Result<Option<Plot>> {
    let mut best: BTreeMap<(&str, &str), &Row> = BTreeMap::new();
    for group in report.groups.iter().filter(|g| g.workload == "square") {
        for row in &group.rows {
            let key = (group.bench.as_str(), row.strategy.as_str());
            let better = best
                .get(&key)
                .is_none_or(|b| (row.n, -row.per_task_ns) > (b.n, -b.per_task_ns));
            if better {
                best.insert(key, row);
            }
        }
    }
    if best.is_empty() {
        return Ok(None);
    }
    let mut bars: Vec<(String, f64)> = best
        .into_iter()
        .map(|((bench, strategy), row)| {
            (
                format!("{bench}: {strategy} (jobs={})", row.jobs),
                row.per_task_ns,
            )
        })
        .collect();
    bars.sort_by(|a, b| a.1.total_cmp(&b.1));
    let lo = bars.iter().map(|b| b.1).fold(f64::MAX, f64::min) / 3.0;
    let hi = bars.iter().map(|b| b.1).fold(0f64, f64::max) * 6.0;
    let count = bars.len();
    // An integer range is inclusive here: 0..count-1 gives count segments (a
    // lone bar keeps an empty second one).
    let last = count.max(2) - 1;
    let margin = (HEIGHT / count as u32 / 6).min(40);
    let title = "Per-task overhead: time per trivial task (square)".to_string();
    let label_width = bars.iter().map(|b| b.0.chars().count()).max().unwrap_or(10);
    let svg = svg(report, |area, legend_area| {
        // No legend: the bars are labelled. The panel holds a note instead.
        legend_area
            .draw(&Text::new(
                "one bar per strategy:",
                (4, 70),
                ("sans-serif", SMALL),
            ))
            .map_err(plot_err)?;
        legend_area
            .draw(&Text::new(
                "its best jobs, largest n",
                (4, 92),
                ("sans-serif", SMALL),
            ))
            .map_err(plot_err)?;
        let mut chart = ChartBuilder::on(area)
            .caption(&title, ("sans-serif", CAPTION))
            .margin(14)
            .x_label_area_size(52)
            .y_label_area_size((label_width as u32 * 8 + 16).min(WIDTH / 2))
            .build_cartesian_2d((lo..hi).log_scale(), (0..last).into_segmented())
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("median time per task (log scale)")
            .label_style(("sans-serif", SMALL))
            .axis_desc_style(("sans-serif", LABEL))
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
                    (*ns * 1.08, SegmentValue::CenterOf(i)),
                    ("sans-serif", SMALL),
                )
            }))
            .map_err(plot_err)?;
        Ok(())
    })?;
    Ok(Some(Plot {
        file: "overhead.svg".into(),
        title,
        svg,
    }))
}
