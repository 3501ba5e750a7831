//! `cargo xtask bench --python`: runs the Python reference workloads of
//! `benches/python/` (joblib, multiprocessing, dask, in a pinned virtual
//! environment under `target/`) in the same invocation as the Rust benches,
//! adds them to the report as the `python` bench, and compares the best Rust
//! strategy with the best Python strategy on the same workload and size.
//!
//! The runner (`benches/python/run.py`) exits 3 when Python, `venv` or pip is
//! unusable: then this says so and the report holds the Rust part alone. Any
//! other failure (a script error, a result that differs from Rust's) is an
//! error.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};

use super::criterion::Measurement;
use super::report::{Report, Row, format_ns};

/// The bench name of the Python rows (group `python/<workload>`).
pub(crate) const BENCH: &str = "python";

/// The runner's exit code for "no usable Python here".
const UNAVAILABLE: i32 = 3;

/// Which Rust groups each Python workload is compared with, and whether the
/// plain `serial` rows take part: for `startup` and `cache` the point is the
/// pool's start-up and the cached rerun, not the bare task. Rows are compared
/// only at the same number of tasks `n`; the task parameters (trials, sizes)
/// of the Python scripts match the Rust benches.
const COMPARED: &[(&str, &[&str], Serial)] = &[
    (
        "driver",
        &[
            "serial_map/driver",
            "thread_pools/driver",
            "thread_pools/driver_vec",
        ],
        Serial::Include,
    ),
    (
        "pi",
        &[
            "thread_pools/pi",
            "thread_pools/pi_streams",
            "process_pools/pi",
            "async_gather/pi",
        ],
        Serial::Include,
    ),
    (
        "square",
        &[
            "thread_pools/square",
            "thread_pools/square_slices",
            "process_pools/square",
            "async_gather/square",
        ],
        Serial::Include,
    ),
    ("startup", &["process_pools/startup"], Serial::Exclude),
    ("cache", &["caching/pi"], Serial::Exclude),
];

/// Whether the `serial` rows count as a strategy in a comparison.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Serial {
    Include,
    Exclude,
}

/// Runs the Python suite, writing its JSON to `out`. `Ok(false)` when Python is
/// unavailable (the reason is printed); an error when the suite failed.
pub(crate) fn run_suite(
    root: &Path,
    out: &Path,
    smoke: bool,
) -> anyhow::Result<bool> {
    let python = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    let mut command = Command::new(&python);
    command
        .arg(root.join("benches").join("python").join("run.py"))
        .arg("--out")
        .arg(out)
        .current_dir(root);
    if smoke {
        command.arg("--smoke");
    }
    eprintln!("== xtask bench: the Python reference workloads (benches/python)");
    let status = match command.status() {
        Ok(status) => status,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "note: `{}` not found: no Python reference rows; the Rust report \
                 is complete without them",
                python.to_string_lossy()
            );
            return Ok(false);
        }
        Err(err) => return Err(err).context("could not start the Python runner"),
    };
    match status.code() {
        Some(0) => Ok(true),
        Some(UNAVAILABLE) => {
            eprintln!(
                "note: Python, venv or pip is unusable here (see above): no Python \
                 reference rows; the Rust report is complete without them"
            );
            Ok(false)
        }
        _ => bail!(
            "the Python reference suite failed ({status}); its output above names \
             the script or the result that differs from Rust"
        ),
    }
}

/// The measurements of the runner's JSON file, as `python/<workload>` rows.
pub(crate) fn read(path: &Path) -> anyhow::Result<Vec<Measurement>> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("reading the Python results {}", path.display()))?;
    let json: Value = serde_json::from_str(&text)
        .with_context(|| format!("malformed Python results {}", path.display()))?;
    let rows = json["measurements"]
        .as_array()
        .ok_or_else(|| anyhow!("{}: no `measurements` list", path.display()))?;
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            measurement(row).with_context(|| {
                format!("{}: measurement {i} is malformed", path.display())
            })
        })
        .collect()
}

/// The numerical stack the Python run used, for the machine label: numba's
/// version, threading layer (`omp`, `tbb` or `workqueue`: how `prange`
/// threads were run) and whether it vectorises math with Intel's SVML,
/// numpy's version and its BLAS. `None` when the results
/// do not say (an older runner, or numba and numpy missing).
pub(crate) fn numerics(path: &Path) -> anyhow::Result<Option<String>> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("reading the Python results {}", path.display()))?;
    let json: Value = serde_json::from_str(&text)
        .with_context(|| format!("malformed Python results {}", path.display()))?;
    Ok(numerics_of(&json["numerics"]))
}

fn numerics_of(n: &Value) -> Option<String> {
    let text = |key: &str| n[key].as_str().filter(|s| !s.is_empty());
    let mut parts = Vec::new();
    if let Some(numba) = text("numba") {
        let layer = text("numba_threading_layer").unwrap_or("unknown");
        let svml = match n["numba_svml"].as_bool() {
            Some(true) => ", SVML",
            Some(false) => ", no SVML",
            None => "",
        };
        parts.push(format!("numba {numba} (threading layer {layer}{svml})"));
    }
    if let Some(numpy) = text("numpy") {
        let blas = text("numpy_blas").unwrap_or("unknown");
        parts.push(format!("numpy {numpy} (BLAS {blas})"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn measurement(row: &Value) -> anyhow::Result<Measurement> {
    let text = |key: &str| {
        row[key]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| anyhow!("no string `{key}`"))
    };
    let count = |key: &str| {
        row[key]
            .as_u64()
            .filter(|v| *v > 0)
            .ok_or_else(|| anyhow!("no positive integer `{key}`"))
    };
    let time = |key: &str| {
        row[key]
            .as_f64()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| anyhow!("no valid time `{key}`"))
    };
    let workload = text("workload")?;
    let strategy = text("strategy")?;
    let (jobs, n) = (count("jobs")? as usize, count("n")?);
    let group = match compiled_family(&strategy) {
        Some(family) => format!("{BENCH}/{workload} ({family})"),
        None => format!("{BENCH}/{workload}"),
    };
    Ok(Measurement {
        bench: BENCH.to_string(),
        title: format!("{group}/{strategy}/jobs={jobs},n={n}"),
        group,
        workload,
        strategy,
        jobs,
        n,
        size: None,
        median_ns: time("median_ns")?,
        median_low_ns: time("median_low_ns")?,
        median_high_ns: time("median_high_ns")?,
        mean_ns: time("mean_ns")?,
    })
}

/// The best Rust and the best Python strategy on one workload and size.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Comparison {
    pub(crate) workload: String,
    pub(crate) n: u64,
    /// `group: strategy`, its jobs and median.
    pub(crate) rust: (String, usize, f64),
    pub(crate) python: (String, usize, f64),
    /// The fastest Python strategy of each kind ([`KINDS`]), when measured.
    pub(crate) by_kind: Vec<(&'static str, Option<Best>)>,
}

/// A best strategy: `group: strategy`, its jobs and its median in ns.
pub(crate) type Best = (String, usize, f64);

/// The kinds of Python strategy, by a word in the strategy's name: what a
/// scientist writes first (plain Python, with any pool), vectorised numpy,
/// and numba-compiled code.
pub(crate) const KINDS: [(&str, &str); 3] =
    [("plain Python", ""), ("numpy", "numpy"), ("numba", "numba")];

/// The family of a numpy or numba strategy, which gets its own group with
/// its own one-thread baseline ([`super::report::BASELINES`]): a numba row's
/// speedup over the pure-Python `serial` loop is not a parallel speedup, and
/// would be flagged as one above the capacity. `None` for plain Python.
fn compiled_family(strategy: &str) -> Option<&'static str> {
    if strategy.contains("xoshiro lanes") {
        Some("numba lanes")
    } else if strategy.contains("numba") {
        Some("numba")
    } else if strategy.contains("numpy") {
        Some("numpy")
    } else {
        None
    }
}

/// Whether `group` is the Python group of `workload`, or one of its
/// numpy/numba family groups.
fn is_python_group(group: &str, workload: &str) -> bool {
    let plain = format!("{BENCH}/{workload}");
    group == plain || group.starts_with(&format!("{plain} ("))
}

/// The kind of a Python strategy (see [`KINDS`]).
fn kind_of(strategy: &str) -> &'static str {
    if strategy.contains("numba") {
        "numba"
    } else if strategy.contains("numpy") {
        "numpy"
    } else {
        "plain Python"
    }
}

impl Comparison {
    /// Python's median / Rust's median.
    pub(crate) fn rust_speedup(&self) -> f64 {
        self.python.2 / self.rust.2
    }
}

/// For every compared workload and every `n` measured in both languages, the
/// fastest strategy of each.
pub(crate) fn compare(report: &Report) -> Vec<Comparison> {
    let mut out = Vec::new();
    for (workload, rust_groups, serial) in COMPARED {
        let python_groups: Vec<&str> = report
            .groups
            .iter()
            .map(|g| g.name.as_str())
            .filter(|g| is_python_group(g, workload))
            .collect();
        let python_rows = rows_of(report, &python_groups, *serial);
        let rust_rows = rows_of(report, rust_groups, *serial);
        let mut sizes: Vec<u64> = python_rows.iter().map(|(_, r)| r.n).collect();
        sizes.sort_unstable();
        sizes.dedup();
        for n in sizes {
            let best = |rows: &[(&str, &Row)]| {
                rows.iter()
                    .filter(|(_, r)| r.n == n)
                    .min_by(|a, b| a.1.median_ns.total_cmp(&b.1.median_ns))
                    .map(|(group, r)| {
                        (format!("{group}: {}", r.strategy), r.jobs, r.median_ns)
                    })
            };
            if let (Some(rust), Some(python)) =
                (best(&rust_rows), best(&python_rows))
            {
                let by_kind = KINDS
                    .iter()
                    .map(|(kind, _)| {
                        let rows: Vec<(&str, &Row)> = python_rows
                            .iter()
                            .filter(|(_, r)| kind_of(&r.strategy) == *kind)
                            .copied()
                            .collect();
                        (*kind, best(&rows))
                    })
                    .collect();
                out.push(Comparison {
                    workload: workload.to_string(),
                    n,
                    rust,
                    python,
                    by_kind,
                });
            }
        }
    }
    out
}

fn rows_of<'a>(
    report: &'a Report,
    groups: &[&str],
    serial: Serial,
) -> Vec<(&'a str, &'a Row)> {
    report
        .groups
        .iter()
        .filter(|g| groups.contains(&g.name.as_str()))
        .flat_map(|g| g.rows.iter().map(move |r| (g.name.as_str(), r)))
        .filter(|(_, r)| serial == Serial::Include || r.strategy != "serial")
        .collect()
}

/// The comparison as Markdown tables (empty when there is nothing to
/// compare): the best of each language, then one small table per kind of
/// Python, short headers, so each fits a book column at 1280 px.
pub(crate) fn table(comparisons: &[Comparison]) -> String {
    if comparisons.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "**Rust vs Python** (best strategy of each, same run, same workload and \
         number of tasks; *Rust ×*: how many times faster the best Rust is)\n\n\
         | workload | tasks | best Rust | jobs | time | best Python | jobs | time \
         | Rust × |\n\
         |---|---:|---|---:|---:|---|---:|---:|---:|\n",
    );
    for c in comparisons {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1}× |\n",
            c.workload,
            c.n,
            c.rust.0,
            c.rust.1,
            format_ns(c.rust.2),
            c.python.0,
            c.python.1,
            format_ns(c.python.2),
            c.rust_speedup(),
        ));
    }
    for (i, (kind, _)) in KINDS.iter().enumerate() {
        if comparisons.iter().any(|c| c.by_kind[i].1.is_some()) {
            out.push_str(&kind_table(comparisons, i, kind));
        }
    }
    out
}

/// The best Rust against the best Python of one kind: how many times faster
/// Rust is (below 1×: Python is faster).
fn kind_table(comparisons: &[Comparison], i: usize, kind: &str) -> String {
    let mut out = format!(
        "\n**Rust vs {kind}** (its best strategy; below 1× {kind} is faster)\n\n\
         | workload | tasks | Rust time | {kind} strategy | jobs | time | Rust × |\n\
         |---|---:|---:|---|---:|---:|---:|\n"
    );
    for c in comparisons {
        let Some((name, jobs, ns)) = &c.by_kind[i].1 else {
            continue;
        };
        let strategy = name.rsplit(": ").next().unwrap_or(name);
        out.push_str(&format!(
            "| {} | {} | {} | {strategy} | {jobs} | {} | {:.1}× |\n",
            c.workload,
            c.n,
            format_ns(c.rust.2),
            format_ns(*ns),
            ns / c.rust.2
        ));
    }
    out
}

/// The comparison as JSON, with units.
pub(crate) fn to_json(comparisons: &[Comparison]) -> Value {
    let rows: Vec<Value> = comparisons
        .iter()
        .map(|c| {
            json!({
                "workload": c.workload,
                "n": c.n,
                "rust": {"strategy": c.rust.0, "jobs": c.rust.1, "median_ns": c.rust.2},
                "python": {"strategy": c.python.0, "jobs": c.python.1, "median_ns": c.python.2},
                "rust_speedup": c.rust_speedup(),
                "by_kind": c.by_kind.iter().map(|(kind, best)| json!({
                    "kind": kind,
                    "best": best.as_ref().map(|(s, j, ns)| json!({
                        "strategy": s, "jobs": j, "median_ns": ns,
                        "rust_speedup": ns / c.rust.2,
                    })),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "units": {"median_ns": "nanoseconds for all n tasks", "rust_speedup": "python median / rust median"},
        "rows": rows,
    })
}
