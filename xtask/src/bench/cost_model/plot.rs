//! The cost model's plots, one per grid group (`cost-model-<group>.svg`):
//! time of one map against the number of tasks, both on log axes; a dot per
//! measured map (one colour per strategy and pool size) and the fitted
//! model's line through them, the serial loop in black. Where the dots leave
//! their line, the model misses.

use plotters::prelude::*;

use super::fit::Params;
use super::grid::Model;
use crate::bench::report::{Group, Report, format_ns};
use crate::bench::svg::{
    Entry, LABEL, Plot, SMALL, Style, chart_builder, color, draw_legend, plot_err,
    svg,
};

/// The start of every file name of these plots.
pub(crate) const PREFIX: &str = "cost-model-";

/// Points on each fitted line: smooth on a log axis.
const STEPS: usize = 48;

/// One line of the plot: its name, colour, measured dots and model.
struct Series {
    name: String,
    color: RGBColor,
    dots: Vec<(f64, f64)>,
    model: Box<dyn Fn(f64) -> f64>,
}

/// The plot of every grid group that has a model.
pub(crate) fn plots(report: &Report, models: &[Model]) -> anyhow::Result<Vec<Plot>> {
    let mut out = Vec::new();
    for group in &report.groups {
        let mine: Vec<&Model> =
            models.iter().filter(|m| m.group == group.name).collect();
        let Some(first) = mine.first() else {
            continue;
        };
        let work = first.fit.params.work_per_task_ns;
        let title = format!("Cost model vs measured: {}", group.name);
        let series = series(group, &mine, work);
        let errors: Vec<String> = mine
            .iter()
            .map(|m| format!("{}: {:.1} %", m.strategy, m.fit.rms_error * 100.0))
            .collect();
        out.push(Plot {
            file: file_name(&group.name),
            svg: draw(report, &title, &series, &errors)?,
            title,
        });
    }
    Ok(out)
}

/// `grid/pi` → `cost-model-grid-pi.svg`.
pub(crate) fn file_name(group: &str) -> String {
    let stem: String = group
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{PREFIX}{stem}.svg")
}

/// The serial loop, then one series per strategy and pool size.
fn series(group: &Group, models: &[&Model], work: f64) -> Vec<Series> {
    let serial_dots = group
        .rows
        .iter()
        .filter(|r| r.strategy == group.baseline)
        .map(|r| (r.n as f64, r.median_ns))
        .collect();
    let mut out = vec![Series {
        name: format!("{} (work × n)", group.baseline),
        color: BLACK,
        dots: serial_dots,
        model: Box::new(move |n| work * n),
    }];
    for model in models {
        let mut jobs: Vec<usize> = model.points.iter().map(|p| p.jobs).collect();
        jobs.sort_unstable();
        jobs.dedup();
        for j in jobs {
            let params: Params = model.fit.params;
            let dots = model
                .points
                .iter()
                .filter(|p| p.jobs == j)
                .map(|p| (p.n as f64, p.time_ns))
                .collect();
            out.push(Series {
                name: format!("{}, {j} jobs", model.strategy),
                color: color(out.len() - 1),
                dots,
                model: Box::new(move |n| params.time_ns(j, n)),
            });
        }
    }
    out
}

fn draw(
    report: &Report,
    title: &str,
    series: &[Series],
    errors: &[String],
) -> anyhow::Result<String> {
    let dots = || series.iter().flat_map(|s| s.dots.iter());
    let (n_lo, n_hi) =
        dots().fold((f64::MAX, 0f64), |(lo, hi), d| (lo.min(d.0), hi.max(d.0)));
    let (x_lo, x_hi) = (n_lo.max(1.0) / 1.5, n_hi.max(1.0) * 1.5);
    let curve = |s: &Series| -> Vec<(f64, f64)> {
        let ratio = (x_hi / x_lo).powf(1.0 / STEPS as f64);
        (0..=STEPS)
            .map(|i| x_lo * ratio.powi(i as i32))
            .map(|n| (n, (s.model)(n)))
            .filter(|p| p.1 > 0.0)
            .collect()
    };
    let curves: Vec<Vec<(f64, f64)>> = series.iter().map(curve).collect();
    let times = dots()
        .map(|d| d.1)
        .chain(curves.iter().flatten().map(|p| p.1));
    let (t_lo, t_hi) =
        times.fold((f64::MAX, 0f64), |(lo, hi), t| (lo.min(t), hi.max(t)));
    svg(report, |area, legend_area| {
        let mut chart = chart_builder(area, title)
            .build_cartesian_2d(
                (x_lo..x_hi).log_scale(),
                (t_lo / 1.5..t_hi * 1.5).log_scale(),
            )
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc("tasks per map (log scale)")
            .y_desc("time of one map (log scale)")
            .label_style(("sans-serif", SMALL))
            .axis_desc_style(("sans-serif", LABEL))
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format_ns(*y))
            .draw()
            .map_err(plot_err)?;
        let mut legend: Vec<Entry> = Vec::new();
        for (s, points) in series.iter().zip(&curves) {
            chart
                .draw_series(LineSeries::new(
                    points.clone(),
                    s.color.stroke_width(2),
                ))
                .map_err(plot_err)?;
            chart
                .draw_series(
                    s.dots.iter().map(|&d| Circle::new(d, 5, s.color.filled())),
                )
                .map_err(plot_err)?;
            legend.push((s.name.clone(), s.color, Style::Line));
        }
        draw_legend(legend_area, &legend)?;
        let mut notes = vec![
            String::new(),
            "dots: measured".to_string(),
            "lines: the fitted model".to_string(),
            "RMS relative error:".to_string(),
        ];
        notes.extend(errors.iter().cloned());
        let top = 70 + 26 * legend.len() as i32;
        for (i, line) in notes.iter().enumerate() {
            legend_area
                .draw(&Text::new(
                    line.clone(),
                    (4, top + 20 * i as i32),
                    ("sans-serif", SMALL),
                ))
                .map_err(plot_err)?;
        }
        Ok(())
    })
}
