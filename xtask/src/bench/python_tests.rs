//! `--python`: reading the runner's JSON and comparing it with the Rust rows,
//! on the fixture `fixtures/python/python.json`.

use std::fs;
use std::path::PathBuf;

use super::criterion::Measurement;
use super::machine::Machine;
use super::python;
use super::report::Report;
use super::run::Mode;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("src/bench/fixtures/python/python.json")
}

fn rust_row(
    group: &str,
    strategy: &str,
    jobs: usize,
    n: u64,
    median_ns: f64,
) -> Measurement {
    Measurement::fixture(group, strategy, jobs, n, median_ns)
}

fn machine() -> Machine {
    Machine::fixture(None)
}

#[test]
fn python_rows_become_python_groups() {
    let rows = python::read(&fixture()).unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[1].group, "python/driver");
    assert_eq!(rows[1].strategy, "multiprocessing Pool.map");
    assert_eq!((rows[1].jobs, rows[1].n), (2, 1_048_576));
    assert_eq!(rows[1].median_ns, 280e6);
}

#[test]
fn malformed_python_results_are_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("python.json");
    fs::write(&path, r#"{"measurements": [{"workload": "driver"}]}"#).unwrap();
    let err = format!("{:#}", python::read(&path).unwrap_err());
    assert!(err.contains("measurement 0 is malformed"), "{err}");
    assert!(python::read(&dir.path().join("missing.json")).is_err());
}

#[test]
fn the_comparison_takes_the_best_of_each_language_at_the_same_size() {
    let mut all = python::read(&fixture()).unwrap();
    all.push(rust_row("thread_pools/driver", "serial", 1, 1_048_576, 6e6));
    all.push(rust_row(
        "thread_pools/driver",
        "rayon",
        2,
        1_048_576,
        3.5e6,
    ));
    all.push(rust_row(
        "serial_map/driver",
        "for loop",
        1,
        1_048_576,
        5.6e6,
    ));
    // Not compared: a workload and size Python did not measure.
    all.push(rust_row("thread_pools/pi", "serial", 1, 16, 7e7));
    let report = Report::build(machine(), Mode::Quick, None, &all).unwrap();
    let comparisons = python::compare(&report);
    assert_eq!(comparisons.len(), 1, "{comparisons:?}");
    let c = &comparisons[0];
    assert_eq!((c.workload.as_str(), c.n), ("driver", 1_048_576));
    assert_eq!(c.rust, ("thread_pools/driver: rayon".to_string(), 2, 3.5e6));
    assert_eq!(
        c.python,
        (
            "python/driver: multiprocessing Pool.map".to_string(),
            2,
            280e6
        )
    );
    assert_eq!(c.rust_speedup(), 80.0);
    let table = python::table(&comparisons);
    assert!(
        table.contains("| driver | 1048576 | thread_pools/driver: rayon | 2 |"),
        "{table}"
    );
    assert!(table.contains("80.0×"), "{table}");
    assert_eq!(
        python::to_json(&comparisons)["rows"][0]["rust_speedup"],
        80.0
    );
    assert!(python::table(&[]).is_empty());
}

#[test]
fn startup_compares_pools_not_the_bare_task() {
    let python = |strategy: &str, jobs, median_ns| {
        let mut m = rust_row("python/startup", strategy, jobs, 1, median_ns);
        m.bench = "python".into();
        m
    };
    let all = vec![
        python("serial", 1, 1e3),
        python("multiprocessing Pool", 2, 1e7),
        rust_row("process_pools/startup", "serial", 1, 1, 1.0),
        rust_row("process_pools/startup", "ProcessPool", 2, 1, 2e6),
    ];
    let report = Report::build(machine(), Mode::Quick, None, &all).unwrap();
    let comparisons = python::compare(&report);
    assert_eq!(comparisons.len(), 1);
    assert_eq!(comparisons[0].rust.0, "process_pools/startup: ProcessPool");
    assert_eq!(
        comparisons[0].python.0,
        "python/startup: multiprocessing Pool"
    );
    assert_eq!(comparisons[0].rust_speedup(), 5.0);
}

#[test]
fn the_best_numpy_and_numba_rows_are_compared_by_kind() {
    let mut all = python::read(&fixture()).unwrap();
    let n = 1_048_576;
    all.push(rust_row("thread_pools/driver", "serial", 1, n, 6e6));
    all.push(rust_row(
        "thread_pools/driver",
        "rayon par_chunks",
        2,
        n,
        3e6,
    ));
    all.push(rust_row("python/driver", "numpy", 1, n, 6e6));
    all.push(rust_row("python/driver", "numba prange", 2, n, 2.4e6));
    let report = Report::build(machine(), Mode::Quick, None, &all).unwrap();
    let comparisons = python::compare(&report);
    let c = &comparisons[0];
    assert_eq!(
        c.python.0, "python/driver: numba prange",
        "best of all kinds"
    );
    let kinds: Vec<(&str, Option<f64>)> = c
        .by_kind
        .iter()
        .map(|(k, b)| (*k, b.as_ref().map(|b| b.2)))
        .collect();
    assert_eq!(
        kinds,
        [
            ("plain Python", Some(280e6)),
            ("numpy", Some(6e6)),
            ("numba", Some(2.4e6))
        ]
    );
    let table = python::table(&comparisons);
    // One small table per kind, so that each fits the book's column.
    for kind in ["plain Python", "numpy", "numba"] {
        assert!(table.contains(&format!("**Rust vs {kind}**")), "{table}");
    }
    assert!(
        table.contains("| numba prange | 2 | 2.40 ms | 0.8× |"),
        "{table}"
    );
    assert!(table.contains("| numpy | 1 | 6.00 ms | 2.0× |"), "{table}");
    let widest = table.lines().map(|l| l.split('|').count()).max();
    assert!(widest <= Some(11), "at most 9 columns: {table}");
}

/// Python `pi` rows `(strategy, jobs, median ns)` of 16 tasks, read back
/// from a `python.json` as the runner writes it.
fn pi_rows(rows: &[(&str, u64, f64)]) -> Vec<Measurement> {
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|&(strategy, jobs, median)| {
            serde_json::json!({"workload": "pi", "strategy": strategy, "jobs": jobs,
                "n": 16, "median_ns": median, "median_low_ns": median,
                "median_high_ns": median, "mean_ns": median})
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("python.json");
    let json = serde_json::json!({ "measurements": rows });
    fs::write(&path, json.to_string()).unwrap();
    python::read(&path).unwrap()
}

#[test]
fn numpy_and_numba_rows_get_their_own_groups_and_baselines() {
    let rows = pi_rows(&[
        ("serial", 1, 4e9),
        ("numba", 1, 3e8),
        ("numba prange", 2, 1.5e8),
        ("numba xoshiro lanes", 1, 6e7),
        ("joblib threading + numba xoshiro lanes", 2, 3e7),
        ("numpy", 1, 3e8),
    ]);
    let groups: Vec<&str> = rows.iter().map(|r| r.group.as_str()).collect();
    assert_eq!(
        groups,
        [
            "python/pi",
            "python/pi (numba)",
            "python/pi (numba)",
            "python/pi (numba lanes)",
            "python/pi (numba lanes)",
            "python/pi (numpy)"
        ]
    );
    let mut machine = machine();
    machine.capacity = Some((1.9, 1.9));
    let report = Report::build(machine, Mode::Quick, None, &rows).unwrap();
    let numba = report
        .groups
        .iter()
        .find(|g| g.name == "python/pi (numba)")
        .unwrap();
    let prange = numba.rows.iter().find(|r| r.jobs == 2).unwrap();
    assert_eq!(prange.speedup, Some(2.0), "against numba on one thread");
    assert!(!report.tables(None).contains('⚠'), "nothing above capacity");
    // The comparison still sees every kind of Python.
    let mut all = rows.clone();
    all.push(rust_row("thread_pools/pi_streams", "serial", 1, 16, 1.2e7));
    all.push(rust_row("thread_pools/pi_streams", "rayon", 2, 16, 6e6));
    let report =
        Report::build(report.machine.clone(), Mode::Quick, None, &all).unwrap();
    let c = &python::compare(&report)[0];
    assert_eq!(c.python.2, 3e7, "the fastest of all Python rows");
}

#[test]
fn a_numba_family_is_held_against_its_faster_one_thread_row() {
    // Issue 22: numba `prange` on one thread ran 2.07× faster than numba's
    // serial `@njit`, so every prange speedup over the serial row was
    // inflated (4.05× on 2 threads).
    let rows = pi_rows(&[
        ("serial", 1, 4e9),
        ("numba", 1, 222e6),
        ("numba prange", 1, 107e6),
        ("numba prange", 2, 54.6e6),
    ]);
    let report = Report::build(machine(), Mode::Quick, None, &rows).unwrap();
    let numba = report
        .groups
        .iter()
        .find(|g| g.name == "python/pi (numba)")
        .unwrap();
    assert_eq!(numba.baseline, "numba prange");
    let two = numba.rows.iter().find(|r| r.jobs == 2).unwrap();
    let speedup = two.speedup.unwrap();
    assert!((speedup - 107.0 / 54.6).abs() < 1e-9, "{speedup}");
    assert!(report.tables(None).contains("(speedup vs `numba prange`"));
}

#[test]
fn the_label_names_numbas_threading_layer_and_numpys_blas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("python.json");
    let json = serde_json::json!({"measurements": [], "numerics": {
        "numba": "0.68.1", "numba_threading_layer": "omp", "numba_svml": false,
        "numpy": "2.4.6", "numpy_blas": "scipy-openblas 0.3.29"}});
    fs::write(&path, json.to_string()).unwrap();
    let numerics = python::numerics(&path).unwrap();
    let mut machine = machine();
    machine.numerics = numerics;
    let label = machine.label();
    assert!(
        label.contains(
            "numba 0.68.1 (threading layer omp, no SVML), numpy 2.4.6 (BLAS scipy-openblas 0.3.29)"
        ),
        "{label}"
    );
    fs::write(&path, r#"{"measurements": []}"#).unwrap();
    assert_eq!(python::numerics(&path).unwrap(), None);
}
