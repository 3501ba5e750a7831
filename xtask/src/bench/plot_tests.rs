//! The plots a reader can trust, on fixtures (issue 22): one file per plot
//! (a collision is an error), reference lines drawn as data series (right on
//! a log axis), reference lines that fit the work (none on cached reruns, the
//! sleeps' own ideal on sleeps), every route of a group drawn, and the
//! overhead chart limited to hand-out cost.

use super::criterion::Measurement;
use super::machine::Machine;
use super::plots::{self, check_unique};
use super::report::Report;
use super::run::Mode;
use super::svg::Plot;

const M: fn(&str, &str, usize, u64, f64) -> Measurement = Measurement::fixture;

fn report(rows: &[Measurement]) -> Report {
    let machine = Machine::fixture(Some((1.9, 1.95)));
    Report::build(machine, Mode::Quick, None, rows).unwrap()
}

fn plot<'a>(plots: &'a [Plot], file: &str) -> &'a Plot {
    let files: Vec<&str> = plots.iter().map(|p| p.file.as_str()).collect();
    plots
        .iter()
        .find(|p| p.file == file)
        .unwrap_or_else(|| panic!("no {file} in {files:?}"))
}

fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| Some(n.text()?.trim().to_string()))
        .collect()
}

#[test]
fn every_group_gets_its_own_plot_file_and_a_collision_is_an_error() {
    // Issue 22: `python/pi` and `python/pi (numba)` were both drawn to
    // speedup-python-pi.svg; the pure-Python plot was lost.
    let report = report(&[
        M("python/pi", "serial", 1, 16, 1.34e9),
        M("python/pi", "joblib loky", 1, 16, 1.34e9),
        M("python/pi", "joblib loky", 2, 16, 0.68e9),
        M("python/pi (numba)", "numba", 1, 16, 222e6),
        M("python/pi (numba)", "numba prange", 1, 16, 107e6),
        M("python/pi (numba)", "numba prange", 2, 16, 54.6e6),
    ]);
    let (plots, _) = plots::draw_all(&report).unwrap();
    plot(&plots, "speedup-python-pi.svg");
    plot(&plots, "speedup-python-pi-numba.svg");
    let twice = [plots[0].clone(), plots[0].clone()];
    let err = check_unique(&twice).unwrap_err().to_string();
    assert!(err.contains(&plots[0].file), "{err}");
}

/// The `(x, y)` points of every polyline of the SVG, in pixels.
fn polylines(svg: &str) -> Vec<Vec<(f64, f64)>> {
    let doc = roxmltree::Document::parse(svg).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter_map(|n| n.attribute("points"))
        .map(|points| {
            points
                .split_whitespace()
                .filter_map(|p| {
                    let (x, y) = p.split_once(',')?;
                    Some((x.parse().ok()?, y.parse().ok()?))
                })
                .collect()
        })
        .collect()
}

#[test]
fn on_a_log_axis_the_ideal_line_is_a_curve_of_many_points() {
    // Tasks under a microsecond: a log speedup axis. A two-point ideal drew
    // a straight screen segment, so that ideal at 2 jobs read ≈ 1.6.
    let report = report(&[
        M("thread_pools/square", "serial", 1, 1_000_000, 1.07e6),
        M("thread_pools/square", "rayon", 1, 1_000_000, 907e3),
        M("thread_pools/square", "rayon", 2, 1_000_000, 528e3),
        M("thread_pools/square", "rayon", 4, 1_000_000, 475e3),
    ]);
    let (plots, _) = plots::draw_all(&report).unwrap();
    let svg = &plot(&plots, "speedup-thread_pools-square.svg").svg;
    assert!(texts(svg).iter().any(|t| t.contains("log scale")));
    // The dashes of the ideal: many short segments whose slope changes
    // (a straight segment on screen would have one slope).
    let dashes: Vec<Vec<(f64, f64)>> = polylines(svg)
        .into_iter()
        .filter(|l| l.len() >= 2 && l[0].0 != l[1].0 && l[0].1 != l[1].1)
        .collect();
    let slope = |l: &Vec<(f64, f64)>| {
        let (a, b) = (l[0], l[l.len() - 1]);
        (b.1 - a.1) / (b.0 - a.0)
    };
    let slopes: Vec<f64> = dashes.iter().map(slope).collect();
    let (min, max) = slopes
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), s| (lo.min(*s), hi.max(*s)));
    assert!(dashes.len() > 3, "{dashes:?}");
    assert!(max - min > 0.05, "one slope: a straight line, {slopes:?}");
}

#[test]
fn cached_reruns_have_no_ceiling_and_sleeps_have_their_own_ideal() {
    let report = report(&[
        M("caching/pi", "serial", 1, 10, 2.6e6),
        M("caching/pi", "cached rerun, rayon", 1, 10, 102e3),
        M("caching/pi", "cached rerun, rayon", 2, 10, 109e3),
        M("python/sleep", "serial", 1, 5, 1.5e9),
        M("python/sleep", "joblib loky", 2, 5, 914e6),
        M("python/sleep", "joblib loky", 5, 5, 510e6),
        M("thread_pools/pi", "serial", 1, 16, 42e6),
        M("thread_pools/pi", "rayon", 1, 16, 42e6),
        M("thread_pools/pi", "rayon", 2, 16, 21e6),
    ]);
    let (plots, _) = plots::draw_all(&report).unwrap();
    let cache = texts(&plot(&plots, "speedup-caching-pi.svg").svg);
    assert!(!cache.iter().any(|t| t.contains("ideal")), "{cache:?}");
    assert!(
        !cache.iter().any(|t| t.contains("capacity 1.95×")),
        "{cache:?}"
    );
    let sleep = texts(&plot(&plots, "speedup-python-sleep.svg").svg);
    assert!(
        sleep.iter().any(|t| t == "ideal for these sleeps"),
        "{sleep:?}"
    );
    assert!(
        !sleep.iter().any(|t| t.contains("speedup = jobs")),
        "{sleep:?}"
    );
    assert!(
        !sleep.iter().any(|t| t.contains("(the ceiling)")),
        "{sleep:?}"
    );
    let cpu = texts(&plot(&plots, "speedup-thread_pools-pi.svg").svg);
    assert!(cpu.iter().any(|t| t == "ideal (speedup = jobs)"), "{cpu:?}");
    assert!(
        cpu.iter().any(|t| t == "capacity 1.95× (the ceiling)"),
        "{cpu:?}"
    );
}

#[test]
fn the_plot_of_a_group_shows_every_route_not_only_the_swept_one() {
    // Issue 22: beyond_one_machine/pi drew only the job array (the one route
    // measured at two jobs values).
    let report = report(&[
        M("beyond_one_machine/pi", "serial", 1, 16, 83e6),
        M("beyond_one_machine/pi", "job array + merge", 2, 16, 51e6),
        M("beyond_one_machine/pi", "job array + merge", 4, 16, 54e6),
        M("beyond_one_machine/pi", "thread pool", 2, 16, 44.7e6),
        M(
            "beyond_one_machine/pi",
            "timely 2 processes x 1 worker, TCP",
            2,
            16,
            88.7e6,
        ),
    ]);
    let (plots, _) = plots::draw_all(&report).unwrap();
    let shown = texts(&plot(&plots, "speedup-beyond_one_machine-pi.svg").svg);
    for route in [
        "job array + merge",
        "thread pool",
        "timely 2 processes x 1 worker…",
    ] {
        assert!(shown.iter().any(|t| t == route), "{route}: {shown:?}");
    }
}

#[test]
fn the_overhead_charts_hold_hand_out_cost_only_rust_and_python_apart() {
    let report = report(&[
        M("thread_pools/square", "serial", 1, 1000, 1e3),
        M("thread_pools/square", "rayon", 2, 1000, 0.5e3),
        M("process_pools/square", "serial", 1, 1000, 1e3),
        M(
            "process_pools/square",
            "ProcessPool batched",
            2,
            1000,
            351e3,
        ),
        M("caching/square", "serial", 1, 1, 1.0),
        M("caching/square", "hit", 1, 1, 1900.0),
        M("python/square", "serial", 1, 1000, 38e3),
        M("python/square", "multiprocessing Pool.map", 2, 1000, 140e3),
    ]);
    let (plots, _) = plots::draw_all(&report).unwrap();
    let rust = texts(&plot(&plots, "overhead.svg").svg);
    // 351 ns per task minus the task's own 1 ns.
    assert!(rust.iter().any(|t| t == "350 ns"), "{rust:?}");
    assert!(
        rust.iter()
            .any(|t| t.contains("ProcessPool batched, 2 jobs"))
    );
    assert!(
        !rust.iter().any(|t| t.contains("serial,")),
        "no task cost: {rust:?}"
    );
    assert!(
        !rust.iter().any(|t| t.contains("hit")),
        "no cache lookup: {rust:?}"
    );
    assert!(!rust.iter().any(|t| t.contains("Pool.map")), "{rust:?}");
    // rayon is faster than serial here: no overhead to draw, named aside.
    assert!(
        rust.iter()
            .any(|t| t.contains("thread_pools: rayon, 2 jobs"))
    );
    let python = texts(&plot(&plots, "overhead-python.svg").svg);
    assert!(
        python
            .iter()
            .any(|t| t.contains("multiprocessing Pool.map"))
    );
}
