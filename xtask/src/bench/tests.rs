//! The report builder on fixture estimates: `fixtures/criterion/<bench>/` is a
//! small criterion-shaped output (directory names deliberately unlike
//! criterion's: only `benchmark.json` names a benchmark). `fixtures/tables.md`
//! and `fixtures/results.json` are the exact expected outputs.

use std::fs;
use std::path::{Path, PathBuf};

use super::criterion::{self, Measurement};
use super::machine::Machine;
use super::plots;
use super::report::Report;
use super::run::Mode;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bench/fixtures")
}

fn machine() -> Machine {
    Machine::fixture(None)
}

fn read(criterion_dir: &Path) -> anyhow::Result<Vec<Measurement>> {
    let mut all =
        criterion::read_dir("crossover", &criterion_dir.join("crossover"))?;
    all.extend(criterion::read_dir("pools", &criterion_dir.join("pools"))?);
    Ok(all)
}

pub(super) fn fixture_report() -> Report {
    let measurements = read(&fixtures().join("criterion")).unwrap();
    Report::build(machine(), Mode::Quick, None, &measurements).unwrap()
}

/// A copy of the fixture criterion directory to break.
fn fixture_copy() -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy(&path, &target);
            } else {
                fs::copy(&path, &target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(&fixtures().join("criterion"), dir.path());
    dir
}

#[test]
fn measurements_come_from_benchmark_json_and_the_new_estimates() {
    let measurements = read(&fixtures().join("criterion")).unwrap();
    assert_eq!(measurements.len(), 10);
    let serial = measurements
        .iter()
        .find(|m| m.group == "pools/pi" && m.strategy == "serial")
        .unwrap();
    // `new`, never `base` (5000 ns there).
    assert_eq!(serial.median_ns, 1000.0);
    assert_eq!(
        (serial.jobs, serial.n, &serial.workload),
        (1, 8, &"pi".to_string())
    );
    let sized = measurements
        .iter()
        .find(|m| m.title == "crossover/pi/threads/jobs=2,n=4,trials=1000")
        .unwrap();
    assert_eq!(sized.size, Some(("trials".into(), 1000)));
}

#[test]
fn tables_show_speedup_and_efficiency_against_serial() {
    let expected = fs::read_to_string(fixtures().join("tables.md")).unwrap();
    assert_eq!(fixture_report().tables(None), expected);
}

#[test]
fn the_json_holds_every_figure_with_units() {
    let actual =
        serde_json::to_string_pretty(&fixture_report().to_json()).unwrap() + "\n";
    let path = fixtures().join("results.json");
    if std::env::var_os("XTASK_BLESS").is_some() {
        fs::write(&path, &actual).unwrap();
    }
    let expected = fs::read_to_string(&path).unwrap();
    assert_eq!(
        actual, expected,
        "regenerate with XTASK_BLESS=1 and review the diff"
    );
}

#[test]
fn the_json_speedups_are_ratios_of_medians() {
    let json = fixture_report().to_json();
    let pi = json["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == "pools/pi")
        .unwrap();
    let row = &pi["rows"][2];
    assert_eq!(row["strategy"], "threads");
    assert_eq!(row["jobs"], 2);
    assert_eq!(row["median_ns"], 625.0);
    assert_eq!(row["speedup"], 1.6);
    assert_eq!(row["efficiency"], 0.8);
    assert_eq!(row["per_task_ns"], 78.125);
    assert_eq!(json["machine"]["cpu"], "Test CPU");
    assert!(
        json["units"]["median_ns"]
            .as_str()
            .unwrap()
            .contains("nanoseconds")
    );
}

#[test]
fn a_group_with_parallel_rows_and_no_serial_baseline_is_an_error() {
    let dir = fixture_copy();
    fs::remove_dir_all(dir.path().join("pools/pi_serial")).unwrap();
    let measurements = read(dir.path()).unwrap();
    let err =
        Report::build(machine(), Mode::Quick, None, &measurements).unwrap_err();
    let err = format!("{err:#}");
    assert!(err.contains("group `pools/pi`"), "{err}");
    assert!(err.contains("no `serial` baseline at n=8"), "{err}");
}

#[test]
fn serial_map_compares_against_its_for_loop() {
    let measurement = |strategy: &str, median_ns| Measurement {
        bench: "serial_map".into(),
        group: "serial_map/driver".into(),
        workload: "driver".into(),
        strategy: strategy.into(),
        jobs: 1,
        n: 10,
        size: None,
        median_ns,
        median_low_ns: median_ns,
        median_high_ns: median_ns,
        mean_ns: median_ns,
        title: format!("serial_map/driver/{strategy}/jobs=1,n=10"),
    };
    let measurements = [measurement("for loop", 100.0), measurement("my_map", 50.0)];
    let report = Report::build(machine(), Mode::Quick, None, &measurements).unwrap();
    let group = &report.groups[0];
    assert_eq!(group.baseline, "for loop");
    assert_eq!(group.rows[0].strategy, "for loop");
    assert_eq!(group.rows[1].speedup, Some(2.0));
    // Without its baseline, jobs=1 rows are shown without a speedup.
    let report =
        Report::build(machine(), Mode::Quick, None, &measurements[1..]).unwrap();
    assert_eq!(report.groups[0].rows[0].speedup, None);
    assert!(
        report.tables(None).contains("– |"),
        "{}",
        report.tables(None)
    );
}

#[test]
fn a_malformed_or_missing_estimates_file_is_an_error_naming_the_bench() {
    let dir = fixture_copy();
    let estimates = dir.path().join("pools/pi_threads_2/new/estimates.json");
    fs::write(&estimates, "{\"median\": ").unwrap();
    let err = format!("{:#}", read(dir.path()).unwrap_err());
    assert!(err.contains("bench `pools`"), "{err}");
    assert!(err.contains("malformed"), "{err}");
    assert!(err.contains("pi_threads_2"), "{err}");

    fs::remove_file(&estimates).unwrap();
    let err = format!("{:#}", read(dir.path()).unwrap_err());
    assert!(err.contains("bench `pools`"), "{err}");
    assert!(err.contains("missing or unreadable"), "{err}");
    assert!(err.contains("estimates.json"), "{err}");

    let mean = r#"{"point_estimate": 1.0,
        "confidence_interval": {"lower_bound": 0.9, "upper_bound": 1.1}}"#;
    fs::write(&estimates, format!(r#"{{"mean": {mean}}}"#)).unwrap();
    let err = format!("{:#}", read(dir.path()).unwrap_err());
    assert!(err.contains("no `median`"), "{err}");
}

#[test]
fn ids_off_the_naming_contract_are_errors() {
    let dir = fixture_copy();
    let benchmark = dir.path().join("pools/pi_threads_2/new/benchmark.json");
    let text = fs::read_to_string(&benchmark).unwrap();
    fs::write(&benchmark, text.replace("jobs=2,n=8", "two jobs")).unwrap();
    let err = format!("{:#}", read(dir.path()).unwrap_err());
    assert!(err.contains("`two jobs` is not `jobs=J,n=N"), "{err}");

    fs::write(&benchmark, text.replace("\"pools/pi\"", "\"elsewhere/pi\"")).unwrap();
    let err = format!("{:#}", read(dir.path()).unwrap_err());
    assert!(
        err.contains("group `elsewhere/pi` is not named `pools/<workload>`"),
        "{err}"
    );
}

#[test]
fn the_svgs_are_well_formed_labelled_and_name_their_series() {
    let report = fixture_report();
    let (plots, notes) = plots::draw_all(&report).unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    let files: Vec<&str> = plots.iter().map(|p| p.file.as_str()).collect();
    assert_eq!(
        files,
        [
            "crossover-pi-time.svg",
            "crossover-pi-speedup.svg",
            "speedup-pools-pi.svg",
            "overhead.svg"
        ]
    );
    let expected_series: [&[&str]; 4] = [
        &["serial", "threads (jobs=2)"],
        &["break-even (= serial)", "threads (jobs=2)"],
        &["ideal (speedup = jobs)", "threads", "2 cores"],
        &["threads, 2 jobs", "18.0 ns"],
    ];
    // To look at them: XTASK_PLOTS=/some/dir cargo test -p xtask svgs
    if let Some(dir) = std::env::var_os("XTASK_PLOTS") {
        for plot in &plots {
            fs::write(Path::new(&dir).join(&plot.file), &plot.svg).unwrap();
        }
    }
    for (plot, series) in plots.iter().zip(expected_series) {
        let doc = roxmltree::Document::parse(&plot.svg)
            .unwrap_or_else(|e| panic!("{}: not well-formed XML: {e}", plot.file));
        assert_eq!(doc.root_element().tag_name().name(), "svg", "{}", plot.file);
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        for name in series.iter().chain([&plot.title.as_str()]) {
            assert!(
                texts.contains(name),
                "{}: no text {name:?} in {texts:?}",
                plot.file
            );
        }
        let footer = texts.iter().any(|t| t.contains("Test CPU, 2 cores"))
            && texts
                .iter()
                .any(|t| t.contains("commit 0123456789ab, 2025-01-02"));
        assert!(footer, "{}: no machine label in {texts:?}", plot.file);
        assert!(
            doc.descendants()
                .any(|n| n.has_tag_name("polyline") || n.has_tag_name("rect")),
            "{}: nothing drawn",
            plot.file
        );
    }
}

#[test]
fn without_the_data_a_plot_is_left_out_with_a_note() {
    let measurements = read(&fixtures().join("criterion")).unwrap();
    let only_pi: Vec<Measurement> = measurements
        .into_iter()
        .filter(|m| m.group == "pools/pi")
        .collect();
    let report = Report::build(machine(), Mode::Quick, None, &only_pi).unwrap();
    let (plots, notes) = plots::draw_all(&report).unwrap();
    assert_eq!(plots.len(), 1);
    assert_eq!(notes.len(), 2, "{notes:?}");
}

#[test]
fn a_single_bar_overhead_plot_draws_and_serial_alone_draws_none() {
    let measurements = read(&fixtures().join("criterion")).unwrap();
    let square: Vec<Measurement> = measurements
        .into_iter()
        .filter(|m| m.group == "pools/square")
        .collect();
    let report = Report::build(machine(), Mode::Quick, None, &square).unwrap();
    let (plots, _) = plots::draw_all(&report).unwrap();
    assert_eq!(plots.len(), 1);
    assert_eq!(plots[0].file, "overhead.svg");
    roxmltree::Document::parse(&plots[0].svg).unwrap();
    // Hand-out overhead only: the task's own cost (serial) is no bar.
    assert!(plots[0].svg.contains("threads, 2 jobs"));
    assert!(!plots[0].svg.contains("serial, 1 job"));
    let serial: Vec<Measurement> = square
        .into_iter()
        .filter(|m| m.strategy == "serial")
        .collect();
    let report = Report::build(machine(), Mode::Quick, None, &serial).unwrap();
    let (plots, notes) = plots::draw_all(&report).unwrap();
    assert!(
        plots.is_empty(),
        "{:?}",
        plots.iter().map(|p| &p.file).collect::<Vec<_>>()
    );
    assert!(notes.iter().any(|n| n.contains("overhead")), "{notes:?}");
}

#[test]
fn bench_targets_come_from_cargo_metadata() {
    let metadata = serde_json::json!({"packages": [
        {"name": "other", "targets": [{"name": "x", "kind": ["bench"]}]},
        {"name": "benches", "targets": [
            {"name": "benches", "kind": ["lib"]},
            {"name": "thread_pools", "kind": ["bench"]},
            {"name": "crossover", "kind": ["bench"]}
        ]}
    ]});
    assert_eq!(
        super::run::bench_targets_of(&serde_json::from_value(metadata).unwrap())
            .unwrap(),
        ["thread_pools", "crossover"]
    );
    let none = serde_json::json!({"packages": [{"name": "benches", "targets": []}]});
    assert!(
        super::run::bench_targets_of(&serde_json::from_value(none).unwrap())
            .is_err()
    );
}

#[test]
fn the_report_and_the_book_copies_are_written_and_labelled() {
    let report = fixture_report();
    let (plots, notes) = plots::draw_all(&report).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("stale.svg"), "old").unwrap();
    super::write::write_report(&out, &report, &plots, &notes, &[], &[]).unwrap();
    assert!(
        !out.join("stale.svg").exists(),
        "a previous run's plot survived"
    );
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("results.json")).unwrap())
            .unwrap();
    assert_eq!(json["plots"].as_array().unwrap().len(), plots.len());
    let md = fs::read_to_string(out.join("results.md")).unwrap();
    assert!(md.contains("Test CPU, 2 cores"), "{md}");
    assert!(
        md.contains("![Speedup vs jobs: pools/pi (8 tasks)](speedup-pools-pi.svg)")
    );
    let pools = fs::read_to_string(out.join("pools.md")).unwrap();
    assert!(pools.contains("**`pools/pi`**") && !pools.contains("crossover/pi"));

    let book = dir.path().join("book");
    super::write::write_book(&book, &report, &plots, &[], &[]).unwrap();
    for file in [
        "machine.md",
        "tables.md",
        "plots.md",
        "pools.md",
        "crossover.md",
        "python.md",
        "rust-vs-python.md",
        "paired.md",
        "kernels.md",
        "crossover-points.md",
        "cost-model.md",
    ] {
        let text = fs::read_to_string(book.join(file)).unwrap();
        assert!(text.contains("cargo xtask bench --book"), "{file}: {text}");
    }
    let machine = fs::read_to_string(book.join("machine.md")).unwrap();
    assert!(machine.contains("commit 0123456789ab"), "{machine}");
    let plots_md = fs::read_to_string(book.join("plots.md")).unwrap();
    assert!(plots_md.contains("(results/overhead.svg)"), "{plots_md}");
    assert!(book.join("overhead.svg").is_file());
}

#[test]
fn a_listed_benchmark_without_estimates_is_an_error_naming_the_bench() {
    let dir = fixtures().join("criterion");
    let found = criterion::read_dir("pools", &dir.join("pools")).unwrap();
    let mut listed: Vec<String> = found.iter().map(|m| m.title.clone()).collect();
    super::run::check_complete("pools", &listed, &found, &dir).unwrap();
    listed.push("pools/pi/threads/jobs=8,n=8".into());
    let err = super::run::check_complete("pools", &listed, &found, &dir)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "bench `pools`: no estimates for `pools/pi/threads/jobs=8,n=8`"
        ),
        "{err}"
    );
}

/// What a run does to its report directory: clears its `criterion/` (as
/// `run_benches` does), leaves its run file there and writes the report.
fn simulate_run(dir: &Path, report: &Report) {
    let (plots, notes) = plots::draw_all(report).unwrap();
    super::run::clear_dir(&dir.join("criterion")).unwrap();
    fs::write(dir.join("criterion").join("run.json"), "{}").unwrap();
    super::write::write_report(dir, report, &plots, &notes, &[], &[]).unwrap();
}

#[test]
fn smoke_and_filtered_runs_keep_the_last_full_report() {
    let target = tempfile::tempdir().unwrap();
    let full = super::Options {
        smoke: false,
        ..super::Options::smoke()
    };
    let filtered = super::Options {
        filter: Some("pi".into()),
        ..full.clone()
    };
    let smoke_filtered = super::Options {
        filter: Some("pi".into()),
        ..super::Options::smoke()
    };
    let full_dir = super::report_dir(target.path(), &full);
    assert_eq!(full_dir, target.path().join("bench-report"));
    // The last full report.
    let report = fixture_report();
    simulate_run(&full_dir, &report);
    let before = fs::read_to_string(full_dir.join("results.md")).unwrap();
    let mut others = Vec::new();
    // `cargo xtask ci`'s options, a filter, both: each clears and writes its
    // own directory only.
    for options in [super::Options::smoke(), filtered.clone(), smoke_filtered] {
        let dir = super::report_dir(target.path(), &options);
        assert!(dir.starts_with(&full_dir) && dir != full_dir, "{dir:?}");
        assert!(!others.contains(&dir), "{dir:?} shared");
        simulate_run(&dir, &report);
        assert!(dir.join("results.md").is_file());
        assert_eq!(
            fs::read_to_string(full_dir.join("results.md")).unwrap(),
            before,
            "{options:?} replaced the full report"
        );
        assert!(full_dir.join("criterion").join("run.json").is_file());
        assert!(full_dir.join("overhead.svg").is_file());
        others.push(dir);
    }
    assert_eq!(
        super::report_dir(target.path(), &super::Options::smoke()),
        full_dir.join("smoke")
    );
    // The next full run does not clear the others' reports either.
    simulate_run(&full_dir, &report);
    for dir in &others {
        assert!(dir.join("results.md").is_file(), "{dir:?} cleared");
    }
    // --report-only rebuilds the full report, whatever else is given.
    for options in [super::Options::smoke(), filtered] {
        let report_only = super::Options {
            report_only: true,
            ..options
        };
        assert_eq!(super::report_dir(target.path(), &report_only), full_dir);
    }
}

#[test]
fn plots_carry_the_capacity_keep_legends_off_the_data_and_log_tiny_speedups() {
    let mut report = fixture_report();
    report.machine.capacity = Some((1.5, 1.25));
    let set_task_cost = |report: &mut Report, ns: f64| {
        for group in &mut report.groups {
            for row in &mut group.rows {
                row.per_task_ns = ns;
            }
        }
    };
    set_task_cost(&mut report, 10_000.0);
    let text_nodes = |svg: &str| -> Vec<(String, f64)> {
        let doc = roxmltree::Document::parse(svg).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| {
                let x = n.attribute("x")?.parse().ok()?;
                Some((n.text()?.trim().to_string(), x))
            })
            .collect()
    };
    let (plots, _) = plots::draw_all(&report).unwrap();
    for plot in &plots {
        let texts = text_nodes(&plot.svg);
        assert!(
            texts
                .iter()
                .any(|(t, _)| t
                    .contains("parallel capacity 1.50× before, 1.25× after")),
            "{}: no capacity in the footer",
            plot.file
        );
    }
    let speedup = plots
        .iter()
        .find(|p| p.file == "speedup-pools-pi.svg")
        .unwrap();
    let texts = text_nodes(&speedup.svg);
    // The legend panel starts at WIDTH - LEGEND = 690 px: right of the chart.
    for name in [
        "threads",
        "ideal (speedup = jobs)",
        "capacity 1.50× (the ceiling)",
    ] {
        let (_, x) = texts.iter().find(|(t, _)| t == name).unwrap();
        assert!(*x >= 690.0, "{name} at x = {x}, over the chart");
    }
    assert!(!texts.iter().any(|(t, _)| t.contains("log scale")));
    // Tasks under a microsecond: the speedup axis becomes logarithmic.
    set_task_cost(&mut report, 10.0);
    let (plots, _) = plots::draw_all(&report).unwrap();
    let speedup = plots
        .iter()
        .find(|p| p.file == "speedup-pools-pi.svg")
        .unwrap();
    let texts = text_nodes(&speedup.svg);
    assert!(
        texts
            .iter()
            .any(|(t, _)| t == "speedup vs serial (log scale)"),
        "{texts:?}"
    );
}

#[test]
fn the_run_file_round_trips_and_report_only_reads_its_benches() {
    let dir = fixture_copy();
    let run = super::run::RunFile {
        machine: Machine {
            capacity: Some((1.9, 1.8)),
            ..machine()
        },
        mode: Mode::Full,
        filter: None,
        benches: vec!["pools".into()],
    };
    run.save(dir.path()).unwrap();
    let (loaded, ran) = super::run::load_last_run(dir.path()).unwrap();
    assert_eq!(loaded.machine, run.machine);
    assert_eq!(loaded.mode, Mode::Full);
    assert_eq!(loaded.benches, ["pools"]);
    let pools = criterion::read_dir("pools", &dir.path().join("pools")).unwrap();
    assert_eq!(ran.measurements, pools);
    assert!(ran.paired_rows.is_empty());
}

#[test]
fn a_run_file_of_the_previous_xtask_loads_and_a_bad_mode_is_an_error() {
    let dir = fixture_copy();
    let file = |mode: &str| {
        serde_json::json!({
            "benches": ["pools"], "filter": "pi", "mode": mode,
            "machine": machine().to_json(),
        })
        .to_string()
    };
    fs::write(dir.path().join("run.json"), file("smoke")).unwrap();
    let (loaded, _) = super::run::load_last_run(dir.path()).unwrap();
    assert_eq!(loaded.mode, Mode::Smoke);
    assert_eq!(loaded.filter.as_deref(), Some("pi"));
    assert_eq!(loaded.machine, machine());

    fs::write(dir.path().join("run.json"), file("fast")).unwrap();
    let err = format!("{:#}", super::run::load_last_run(dir.path()).unwrap_err());
    assert!(
        err.contains("malformed") && err.contains("run.json"),
        "{err}"
    );
}
