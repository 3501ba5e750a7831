//! The cost model on synthetic grids made from known parameters: the fit
//! recovers them, the payoff is the brute-force answer, and the snippet
//! labels every prediction as predicted.

use super::fit::{Params, Point, fit};
use super::grid::{Measured, PREDICTED_CORES};
use super::{CostModel, plot};
use crate::bench::criterion::Measurement;
use crate::bench::machine::Machine;
use crate::bench::report::Report;
use crate::bench::run::Mode;

const PI: Params = Params {
    fixed_ns: 90_000.0,
    per_task_ns: 3_000.0,
    work_per_task_ns: 75_000.0,
    cores: 1.8,
};

const SQUARE: Params = Params {
    fixed_ns: 15_000.0,
    per_task_ns: 8.0,
    work_per_task_ns: 0.7,
    cores: 1.9,
};

const JOBS: [usize; 3] = [1, 2, 4];
const PI_COUNTS: [u64; 4] = [4, 16, 64, 256];

/// The grid of `params` at every jobs value and count, each time scaled by
/// `noise(i)` (1 for exact data).
fn grid(
    params: &Params,
    counts: &[u64],
    noise: impl Fn(usize) -> f64,
) -> Vec<Point> {
    let cells = JOBS
        .iter()
        .flat_map(|&j| counts.iter().map(move |&n| (j, n)));
    cells
        .enumerate()
        .map(|(i, (jobs, n))| Point {
            jobs,
            n,
            time_ns: params.time_ns(jobs, n as f64) * noise(i),
        })
        .collect()
}

fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    ((actual - expected) / expected).abs() <= tolerance
}

#[test]
fn the_fit_recovers_known_parameters_from_exact_data() {
    let fitted = fit(&grid(&PI, &PI_COUNTS, |_| 1.0), PI.work_per_task_ns).unwrap();
    let p = fitted.params;
    assert!(close(p.fixed_ns, PI.fixed_ns, 1e-6), "{p:?}");
    assert!(close(p.per_task_ns, PI.per_task_ns, 1e-6), "{p:?}");
    assert!(close(p.cores, PI.cores, 1e-6), "{p:?}");
    assert!(
        fitted.rms_error < 1e-9 && fitted.worst_error < 1e-9,
        "{fitted:?}"
    );
    assert_eq!(fitted.points, 12);
    assert!(fitted.cores_told, "{fitted:?}");
}

#[test]
fn the_fit_stays_close_on_noisy_data_and_reports_the_noise() {
    // ±3 %, alternating: the error says so, the parameters stay near.
    let noise = |i: usize| if i.is_multiple_of(2) { 1.03 } else { 0.97 };
    let fitted = fit(&grid(&PI, &PI_COUNTS, noise), PI.work_per_task_ns).unwrap();
    let p = fitted.params;
    assert!(close(p.cores, PI.cores, 0.05), "{p:?}");
    assert!(close(p.fixed_ns, PI.fixed_ns, 0.5), "{p:?}");
    assert!(
        fitted.rms_error > 0.01 && fitted.rms_error < 0.04,
        "{fitted:?}"
    );
    assert!(fitted.worst_error >= fitted.rms_error, "{fitted:?}");
}

#[test]
fn a_cost_per_task_far_above_the_work_is_recovered_too() {
    let counts = [1_000, 10_000, 100_000];
    let fitted =
        fit(&grid(&SQUARE, &counts, |_| 1.0), SQUARE.work_per_task_ns).unwrap();
    let p = fitted.params;
    assert!(close(p.fixed_ns, SQUARE.fixed_ns, 1e-3), "{p:?}");
    assert!(close(p.per_task_ns, SQUARE.per_task_ns, 1e-3), "{p:?}");
    assert!(fitted.rms_error < 1e-6, "{fitted:?}");
    // The work is far too small a part of the time to tell the cores.
    assert!(!fitted.cores_told, "{fitted:?}");
}

#[test]
fn no_fit_without_two_pool_sizes() {
    let one_size: Vec<Point> = grid(&PI, &PI_COUNTS, |_| 1.0)
        .into_iter()
        .filter(|p| p.jobs == 2)
        .collect();
    assert_eq!(fit(&one_size, PI.work_per_task_ns), None);
}

/// The fewest tasks from which the model beats `work × n`, by counting.
fn brute_force(params: &Params, jobs: usize) -> Option<u64> {
    (1..1_000_000u64).find(|&n| {
        params.time_ns(jobs, n as f64) < params.work_per_task_ns * n as f64
    })
}

#[test]
fn the_break_even_is_the_fewest_tasks_that_beat_serial() {
    for jobs in [1, 2, 4, 16, 64] {
        for cores in [1.5, 1.8, 2.0, 16.0, 64.0] {
            for fixed_ns in [0.0, 90_000.0, 5e6] {
                let params = Params {
                    cores,
                    fixed_ns,
                    ..PI
                };
                assert_eq!(
                    params.break_even(jobs),
                    brute_force(&params, jobs),
                    "{params:?} on {jobs} jobs"
                );
            }
        }
    }
    // One worker never beats serial; nor does a task that costs more to
    // hand out than its work.
    assert_eq!(PI.break_even(1), None);
    assert_eq!(SQUARE.break_even(2), None);
}

#[test]
fn predictions_scale_the_cores_by_the_fraction_measured() {
    let on_16 = PI.on_cores(2, 16);
    assert!(close(on_16.cores, 1.8 / 2.0 * 16.0, 1e-12), "{on_16:?}");
    assert_eq!(on_16.fixed_ns, PI.fixed_ns);
    // A fit above the machine's cores (noise) counts as all of each core.
    assert_eq!(Params { cores: 3.0, ..PI }.on_cores(2, 64).cores, 64.0);
    // More cores, fewer tasks needed when the fixed cost dominates; never
    // fewer than it takes to beat serial with one task per core.
    let heavy = Params {
        fixed_ns: 5e6,
        ..PI
    };
    let (here, there) = (heavy.break_even(2), heavy.on_cores(2, 16).break_even(16));
    assert_eq!((here, there), (Some(165), Some(75)));
    assert!(on_16.break_even(16) <= PI.break_even(2));
}

fn machine() -> Machine {
    Machine::fixture(Some((1.9, 1.9)))
}

/// A report of the grid bench made from known parameters: `grid/pi` with
/// threads and processes, and `grid/square` with processes.
pub(crate) fn grid_report() -> Report {
    let threads = Params {
        fixed_ns: 10_000.0,
        per_task_ns: 200.0,
        cores: 1.95,
        ..PI
    };
    let mut rows = Vec::new();
    let mut add = |group: &str, strategy: &str, params: &Params, counts: &[u64]| {
        for point in grid(params, counts, |_| 1.0) {
            let (jobs, n, t) = (point.jobs, point.n, point.time_ns);
            rows.push(Measurement::fixture(group, strategy, jobs, n, t));
        }
        for &n in counts {
            let serial = params.work_per_task_ns * n as f64;
            rows.push(Measurement::fixture(group, "serial", 1, n, serial));
        }
    };
    add("grid/pi", "ProcessPool", &PI, &PI_COUNTS);
    add("grid/pi", "rayon threads", &threads, &PI_COUNTS);
    add(
        "grid/square",
        "ProcessPool batched",
        &SQUARE,
        &[1_000, 10_000, 100_000],
    );
    rows.dedup_by(|a, b| a.title == b.title);
    rows.sort_by(|a, b| a.title.cmp(&b.title));
    rows.dedup_by(|a, b| a.title == b.title);
    Report::build(machine(), Mode::Quick, None, &rows).unwrap()
}

#[test]
fn the_report_fits_one_model_per_strategy_and_group() {
    let model = CostModel::build(&grid_report());
    let names: Vec<(&str, &str)> = model
        .models
        .iter()
        .map(|m| (m.group.as_str(), m.strategy.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("grid/pi", "ProcessPool"),
            ("grid/pi", "rayon threads"),
            ("grid/square", "ProcessPool batched"),
        ]
    );
    let pi = &model.models[0].fit.params;
    assert!(close(pi.fixed_ns, PI.fixed_ns, 1e-6), "{pi:?}");
    assert!(close(pi.cores, PI.cores, 1e-6), "{pi:?}");
    // The measured payoff on this machine agrees with the fitted one.
    let payoff = &model.payoffs[0];
    let fitted = payoff.fitted.unwrap();
    assert_eq!(fitted, brute_force(&PI, 2).unwrap());
    let Measured::From { after, from } = payoff.measured else {
        panic!("{payoff:?}");
    };
    assert!(
        after.is_none_or(|a| a < fitted) && fitted <= from,
        "{payoff:?}"
    );
    assert_eq!(model.payoffs[2].fitted, None, "square never pays off");
    assert_eq!(model.payoffs[2].measured, Measured::NotUpTo(100_000));
}

#[test]
fn the_snippet_labels_every_prediction_as_predicted() {
    let report = grid_report();
    let model = CostModel::build(&report);
    let plots = super::plots(&report).unwrap();
    let md = model.markdown(&report, &plots, "results/");
    let (parameters, payoffs) = md.split_once("**How many tasks").unwrap();
    let rows = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("| grid/"))
            .map(String::from)
            .collect()
    };
    assert_eq!(rows(parameters).len(), 3, "{md}");
    assert!(parameters.contains("RMS"), "{md}");
    // Square's work cannot tell its cores: a dash, explained.
    assert!(parameters.contains("| 0.70 ns | – |"), "{md}");
    assert!(parameters.contains("too little to tell *C*"), "{md}");
    for header in ["2 cores, measured", "2 cores, fitted"] {
        assert!(payoffs.contains(header), "{md}");
    }
    for cores in PREDICTED_CORES {
        let header = format!("{cores} cores, predicted |");
        assert!(payoffs.contains(&header), "{md}");
    }
    // Every predicted cell says so, and nothing measured or fitted does.
    let payoff_rows = rows(payoffs);
    assert_eq!(payoff_rows.len(), 3, "{md}");
    for row in &payoff_rows {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let here = &cells[3..5];
        let larger = &cells[5..5 + PREDICTED_CORES.len()];
        assert!(here.iter().all(|c| !c.contains("predicted")), "{row}");
        assert!(larger.iter().all(|c| c.ends_with("(predicted)*")), "{row}");
    }
    assert!(
        payoffs.contains("**predicted** by the model, not measured"),
        "{md}"
    );
    assert!(md.starts_with(&format!("*{}*", report.label())), "{md}");
    assert!(md.contains("](results/cost-model-grid-pi.svg)"), "{md}");
    if std::env::var_os("XTASK_SHOW").is_some() {
        println!("{md}");
    }
}

#[test]
fn without_the_grid_the_snippet_says_it_was_not_fitted() {
    let report = super::super::tests::fixture_report();
    let model = CostModel::build(&report);
    assert!(model.models.is_empty());
    assert_eq!(model.tables(), "");
    let md = model.markdown(&report, &[], "results/");
    assert!(md.contains("cost model was not fitted in this run"), "{md}");
}

#[test]
fn one_plot_per_grid_group_with_measured_dots_and_fitted_lines() {
    let report = grid_report();
    let plots = super::plots(&report).unwrap();
    let files: Vec<&str> = plots.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(
        files,
        ["cost-model-grid-pi.svg", "cost-model-grid-square.svg"]
    );
    assert!(plots.iter().all(|p| p.file.starts_with(plot::PREFIX)));
    let pi = &plots[0].svg;
    for text in [
        "dots: measured",
        "lines: the fitted model",
        "ProcessPool, 4 jobs",
    ] {
        assert!(pi.contains(text), "{text} missing");
    }
}

#[test]
fn the_report_and_the_book_get_the_snippet_and_its_plots() {
    let report = grid_report();
    let (plots, notes) = crate::bench::plots::draw_all(&report).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    crate::bench::write::write_report(&out, &report, &plots, &notes, &[], &[])
        .unwrap();
    let md = std::fs::read_to_string(out.join("cost-model.md")).unwrap();
    assert!(md.contains("](cost-model-grid-pi.svg)"), "{md}");
    assert!(out.join("cost-model-grid-pi.svg").is_file());
    let results = std::fs::read_to_string(out.join("results.md")).unwrap();
    assert!(results.contains("**How many tasks before"), "{results}");
    let json = std::fs::read_to_string(out.join("results.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    let models = &json["cost_model"]["models"];
    assert_eq!(models[0]["fit"]["params"]["fixed_ns"], 90_000.0, "{models}");

    let book = dir.path().join("book");
    crate::bench::write::write_book(&book, &report, &plots, &[], &[]).unwrap();
    let md = std::fs::read_to_string(book.join("cost-model.md")).unwrap();
    assert!(md.starts_with("<!-- generated by `cargo xtask bench --book`"));
    assert!(md.contains("](results/cost-model-grid-pi.svg)"), "{md}");
    assert!(book.join("cost-model-grid-square.svg").is_file());
}
