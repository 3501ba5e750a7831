//! The report's SVG plots (plotters, SVG backend only), each labelled with the
//! machine, toolchain, commit and date in its footer:
//!
//! - `speedup-<bench>-<workload>.svg`: speedup vs jobs per strategy, with the
//!   ideal line (speedup = jobs) and the core count marked, for every group
//!   that sweeps jobs (at its largest n);
//! - `<bench>-<workload>-time.svg` and `…-speedup.svg`: time per task and
//!   speedup vs task size (log scale) for every sized group (the `crossover`
//!   bench): where the parallel lines cross the serial one;
//! - `overhead.svg`: the cost per task of each strategy on the trivial `square`
//!   task (log scale), from every `<bench>/square` group.

use std::collections::BTreeMap;
use std::fmt::Display;

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::report::{Group, Report, Row, format_ns};

/// One drawn plot: its file name, title and the SVG text.
#[derive(Debug, Clone)]
pub(crate) struct Plot {
    pub(crate) file: String,
    pub(crate) title: String,
    pub(crate) svg: String,
}

const WIDTH: u32 = 900;
const HEIGHT: u32 = 540;
const FOOTER: u32 = 44;

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

/// One strategy's line, a dot of `dot` pixels on each point, and its legend
/// entry.
fn draw_line<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    c: RGBColor,
    name: &str,
    points: &[(f64, f64)],
    dot: u32,
) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .draw_series(LineSeries::new(points.to_vec(), c.stroke_width(2)))
        .map_err(plot_err)?
        .label(name)
        .legend(move |(x, y)| {
            PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
        });
    chart
        .draw_series(points.iter().map(|&p| Circle::new(p, dot, c.filled())))
        .map_err(plot_err)?;
    Ok(())
}

/// The legend box, top left.
fn draw_legend<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
) -> anyhow::Result<()>
where
    DB: DrawingBackend + 'a,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(plot_err)
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

/// Draws the chart with `draw` above a footer holding the report's label.
fn svg(
    report: &Report,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    let mut text = String::new();
    {
        let root =
            SVGBackend::with_string(&mut text, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let (chart, footer) = root.split_vertically(HEIGHT - FOOTER);
        draw(&chart)?;
        let style = ("sans-serif", 13).into_font().color(&RGBColor(90, 90, 90));
        let machine = &report.machine;
        let lines = [
            format!(
                "cargo xtask bench ({} mode) on {}, {} cores",
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
                    (12, 4 + 18 * i as i32),
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
    let y_max = (max_jobs as f64).max(max_speedup) * 1.1;
    let title = format!("Speedup vs jobs: {} ({n} tasks)", group.name);
    let svg = svg(report, |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(&title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(0.5f64..max_jobs as f64 + 0.5, 0f64..y_max)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc("jobs (workers)")
            .y_desc(format!("speedup vs {}", group.baseline))
            .x_labels(max_jobs + 1)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()
            .map_err(plot_err)?;
        let ideal = [(1.0, 1.0), (max_jobs as f64, max_jobs as f64)];
        chart
            .draw_series(DashedLineSeries::new(ideal, 8, 6, BLACK.stroke_width(1)))
            .map_err(plot_err)?
            .label("ideal (speedup = jobs)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
        let cores = report.machine.cores as f64;
        let grey = RGBColor(150, 150, 150);
        chart
            .draw_series(DashedLineSeries::new(
                [(cores, 0.0), (cores, y_max)],
                3,
                4,
                grey.stroke_width(1),
            ))
            .map_err(plot_err)?
            .label(format!("{} cores", report.machine.cores))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], grey));
        for (i, (strategy, rows)) in strategies.iter().enumerate() {
            let c = color(i);
            let mut points: Vec<(f64, f64)> = rows
                .iter()
                .filter_map(|r| Some((r.jobs as f64, r.speedup?)))
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            draw_line(&mut chart, c, strategy, &points, 4)?;
        }
        draw_legend(&mut chart)
    })?;
    Ok(Some(Plot {
        file: format!("speedup-{}.svg", file_stem(group)),
        title,
        svg,
    }))
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
    let time_svg = svg(report, |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(&time_title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(72)
            .build_cartesian_2d(
                (x_lo..x_hi).log_scale(),
                (t_lo / 1.5..t_hi * 1.5).log_scale(),
            )
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc(format!("task size ({unit} per task, log scale)"))
            .y_desc("median time per task (log scale)")
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
            draw_line(&mut chart, c, name, &points, 3)?;
        }
        draw_legend(&mut chart)
    })?;
    let max_speedup = group
        .rows
        .iter()
        .filter_map(|r| r.speedup)
        .fold(1.0f64, f64::max);
    let speedup_title = format!("Speedup vs task size: {} ({n} tasks)", group.name);
    let speedup_svg = svg(report, |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(&speedup_title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d((x_lo..x_hi).log_scale(), 0f64..max_speedup * 1.15)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc(format!("task size ({unit} per task, log scale)"))
            .y_desc(format!("speedup vs {}", group.baseline))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(DashedLineSeries::new(
                [(x_lo, 1.0), (x_hi, 1.0)],
                8,
                6,
                BLACK.stroke_width(1),
            ))
            .map_err(plot_err)?
            .label(format!("break-even (= {})", group.baseline))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
        for (i, (name, rows)) in series.iter().enumerate() {
            if rows.iter().all(|r| r.strategy == group.baseline) {
                continue;
            }
            let c = color(i);
            let points: Vec<(f64, f64)> = rows
                .iter()
                .filter_map(|r| Some((r.size? as f64, r.speedup?)))
                .collect();
            draw_line(&mut chart, c, name, &points, 3)?;
        }
        draw_legend(&mut chart)
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
    let svg = svg(report, |area| {
        let mut chart = ChartBuilder::on(area)
            .caption(&title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size((label_width as u32 * 7 + 16).min(WIDTH / 2))
            .build_cartesian_2d((lo..hi).log_scale(), (0..last).into_segmented())
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("median time per task (log scale; lowest over jobs, largest n)")
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
                    ("sans-serif", 13),
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
