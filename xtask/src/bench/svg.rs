//! The frame every report plot is drawn in (plotters, SVG backend only):
//! the size, fonts and colours, the legend in its own panel right of the
//! chart (never over the data), and the footer with the machine, its measured
//! parallel capacity, the toolchain, commit and date. `plots.rs` and
//! `overhead.rs` draw into it.

use std::fmt::Display;

use anyhow::anyhow;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::report::Report;

/// One drawn plot: its file name, title and the SVG text.
#[derive(Debug, Clone)]
pub(crate) struct Plot {
    pub(crate) file: String,
    pub(crate) title: String,
    pub(crate) svg: String,
}

pub(crate) const WIDTH: u32 = 960;
pub(crate) const HEIGHT: u32 = 560;
pub(crate) const FOOTER: u32 = 50;
/// The legend panel right of the chart.
pub(crate) const LEGEND: u32 = 270;
/// Font sizes: readable when the SVG is scaled to a book's ~750 px column.
pub(crate) const CAPTION: u32 = 24;
pub(crate) const LABEL: u32 = 17;
pub(crate) const SMALL: u32 = 15;

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

pub(crate) fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

pub(crate) fn plot_err(e: impl Display) -> anyhow::Error {
    anyhow!("drawing a plot: {e}")
}

/// How a series is drawn, and so its legend entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// A solid line with a dot on each point: a measured strategy.
    Line,
    /// Dots alone: a strategy measured at one point.
    Dots,
    /// A dashed line: a reference (ideal, ceiling, core count).
    Dashed,
}

/// One legend entry: name, colour and style.
pub(crate) type Entry = (String, RGBColor, Style);

/// One strategy's line with a dot of `dot` pixels on each point; its legend
/// entry goes into `legend`.
pub(crate) fn draw_line<DB, X, Y>(
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
    // A single point is a dot of its own, large enough to see.
    let (style, dot) = if points.len() == 1 {
        (Style::Dots, dot + 3)
    } else {
        chart
            .draw_series(LineSeries::new(points.to_vec(), c.stroke_width(3)))
            .map_err(plot_err)?;
        (Style::Line, dot)
    };
    chart
        .draw_series(points.iter().map(|&p| Circle::new(p, dot, c.filled())))
        .map_err(plot_err)?;
    legend.push((name.to_string(), c, style));
    Ok(())
}

/// A reference line (ideal, ceiling, core count) drawn dashed through
/// `points` in data coordinates: give it enough points and it follows its
/// curve on a log axis too, instead of a straight screen segment.
pub(crate) fn draw_dashed<DB, X, Y>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, Y>>,
    legend: &mut Vec<Entry>,
    (c, name): (RGBColor, String),
    points: Vec<(f64, f64)>,
) -> anyhow::Result<()>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64>,
    Y: Ranged<ValueType = f64>,
{
    chart
        .draw_series(DashedLineSeries::new(points, 8, 6, c.stroke_width(2)))
        .map_err(plot_err)?;
    legend.push((name, c, Style::Dashed));
    Ok(())
}

/// The legend in its own panel (right of the chart), so it never hides data.
pub(crate) fn draw_legend(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    entries: &[Entry],
) -> anyhow::Result<()> {
    let font = ("sans-serif", SMALL).into_font();
    for (i, (name, c, style)) in entries.iter().enumerate() {
        let y = 70 + 26 * i as i32;
        match style {
            Style::Dashed => {
                for pair in [[(4, y), (12, y)], [(18, y), (26, y)]] {
                    area.draw(&PathElement::new(pair.to_vec(), c.stroke_width(2)))
                        .map_err(plot_err)?;
                }
            }
            Style::Line => {
                area.draw(&PathElement::new(
                    vec![(4, y), (30, y)],
                    c.stroke_width(3),
                ))
                .map_err(plot_err)?;
                area.draw(&Circle::new((17, y), 4, c.filled()))
                    .map_err(plot_err)?;
            }
            Style::Dots => {
                area.draw(&Circle::new((17, y), 6, c.filled()))
                    .map_err(plot_err)?;
            }
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

/// A drawing area of the SVG backend.
pub(crate) type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Draws the chart with `draw` (given the chart area and the legend panel)
/// above a footer holding the report's label, capacity included.
pub(crate) fn svg(
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
                 (no parallel speedup can exceed it)"
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

/// A chart builder with the report's caption, margins and label areas.
pub(crate) fn chart_builder<'a, 'b>(
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
