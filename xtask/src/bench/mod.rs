//! `cargo xtask bench`: runs every criterion bench target of the `benches`
//! package, then turns criterion's results into one report: a table per
//! workload in the terminal, `target/bench-report/results.{json,md}`, one
//! `<bench>.md` per bench target, and SVG plots; `--book` copies the tables and
//! plots into `book/src/results/` for the book's Results chapter.
//!
//! ```text
//! cargo xtask bench                  criterion --quick on every bench
//! cargo xtask bench --full           criterion's normal statistics
//! cargo xtask bench --smoke          every bench once, tiny sizes (CI)
//! cargo xtask bench --filter pi_mc   only benchmarks whose id matches (regex)
//! cargo xtask bench --book           and copy tables and plots into the book
//! cargo xtask bench --report-only    rebuild the report from the last run
//! cargo xtask bench --python         also the Python reference workloads
//! ```
//!
//! Each bench target writes to its own fresh criterion directory,
//! `target/bench-report/criterion/<bench>/`, cleared before it runs, so a
//! stale result never reaches the report. A `--filter` run writes its report
//! to `target/bench-report/filtered/` instead, so it never destroys the last
//! full report. The `paired` bench target writes paired speedups (see
//! `paired.rs`) instead of criterion estimates. Every benchmark the target lists
//! (`-- --list`) must have left its estimates: a bench that fails or a missing
//! estimates file is an error naming the bench.

mod criterion;
mod crossover;
mod kernels;
mod machine;
mod paired;
mod plots;
mod python;
#[cfg(test)]
mod python_tests;
mod report;
#[cfg(test)]
mod tests;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};

use self::criterion::Measurement;
use self::machine::Machine;
use self::report::Report;

/// `benches::SMOKE_ENV`: tells every bench to use tiny sizes.
const SMOKE_ENV: &str = "PPR_BENCH_SMOKE";

/// How long and how carefully to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Mode {
    /// criterion `--quick`: until the estimate is stable, at least 100 ms each.
    Quick,
    /// criterion's normal statistics (100 samples, 3 s warm-up, 5 s each).
    Full,
    /// Every benchmark briefly with tiny sizes: exercises the pipeline; the
    /// numbers mean nothing.
    Smoke,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Quick => "quick",
            Mode::Full => "full",
            Mode::Smoke => "smoke",
        }
    }

    /// The criterion arguments of this mode.
    fn criterion_args(self) -> &'static [&'static str] {
        match self {
            // Quick mode stops once the estimate is stable, or after the
            // measurement time (capped at 2 s: a busy machine never gets
            // stable). 10^4 bootstrap resamples instead of 10^5 cut the
            // analysis from ~1.5 s to ~0.2 s per benchmark; the median itself
            // does not depend on them.
            Mode::Quick => &[
                "--quick",
                "--measurement-time",
                "2",
                "--nresamples",
                "10000",
                "--noplot",
            ],
            Mode::Full => &[],
            // Quick mode again, stopped after ~50 ms (a benchmark's own
            // group settings can raise that), with few resamples: criterion's
            // normal sampling would run even a 100 ms iteration 55 times.
            Mode::Smoke => &[
                "--quick",
                "--measurement-time",
                "0.05",
                "--nresamples",
                "1000",
                "--noplot",
            ],
        }
    }
}

/// The options of `cargo xtask bench`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Options {
    /// criterion's normal statistics instead of `--quick` (much slower).
    #[arg(long, conflicts_with = "smoke")]
    pub(crate) full: bool,
    /// Run every bench briefly with tiny sizes (numbers meaningless; for CI).
    #[arg(long)]
    pub(crate) smoke: bool,
    /// Only benchmarks whose id (`<bench>/<workload>/<strategy>/jobs=J,n=N`)
    /// matches this regular expression; bench targets with no match are skipped.
    #[arg(long, value_name = "PATTERN")]
    pub(crate) filter: Option<String>,
    /// Copy the tables and plots into book/src/results/ (needs a complete,
    /// measured run: not with --smoke or --filter).
    #[arg(long, conflicts_with_all = ["smoke", "filter"])]
    pub(crate) book: bool,
    /// Do not run anything: rebuild the report from the last run's criterion
    /// output in target/bench-report/criterion/.
    #[arg(long)]
    pub(crate) report_only: bool,
    /// Also run the Python reference workloads (benches/python: joblib,
    /// multiprocessing, dask in a pinned venv under target/; needs python3 and
    /// the network to install) and compare them with Rust.
    #[arg(long)]
    pub(crate) python: bool,
}

impl Options {
    /// The options `cargo xtask ci` uses: `--smoke`.
    pub(crate) fn smoke() -> Options {
        Options {
            full: false,
            smoke: true,
            filter: None,
            book: false,
            report_only: false,
            python: false,
        }
    }

    fn mode(&self) -> Mode {
        if self.smoke {
            Mode::Smoke
        } else if self.full {
            Mode::Full
        } else {
            Mode::Quick
        }
    }
}

/// What a run measured, saved beside criterion's output so that
/// `--report-only` labels the report with the run's own machine and date.
const RUN_FILE: &str = "run.json";

pub(crate) fn run(root: &Path, options: &Options) -> anyhow::Result<()> {
    let out_dir = report_dir(&target_dir(root), options);
    let criterion_dir = out_dir.join("criterion");
    let python_json = criterion_dir.join("python.json");
    let (machine, mode, filter, mut measurements, paired_rows) = if options
        .report_only
    {
        load_last_run(&criterion_dir)?
    } else {
        let mut machine = Machine::detect(root);
        let mode = options.mode();
        let before = machine::parallel_capacity(machine.cores);
        eprintln!(
            "== xtask bench: parallel capacity {before:.2}× of {} cores",
            machine.cores
        );
        let (measurements, paired_rows) =
            run_benches(root, &criterion_dir, mode, options, &machine)?;
        let after = machine::parallel_capacity(machine.cores);
        eprintln!(
            "== xtask bench: parallel capacity after the Rust benches {after:.2}×"
        );
        machine.capacity = Some((before, after));
        write_run_machine(&criterion_dir, &machine)?;
        if options.python {
            python::run_suite(root, &python_json, mode == Mode::Smoke)?;
        }
        (
            machine,
            mode.name().to_string(),
            options.filter.clone(),
            measurements,
            paired_rows,
        )
    };
    // The clock comes from the paired bench (an optimised build); this xtask
    // is a debug build, whose own loop would make the clock look slow.
    let mut machine = machine;
    machine.clock_ghz = paired_rows.iter().find_map(|r| r.clock_ghz);
    // The Python rows of this run (or, with --report-only, of the last one).
    if python_json.is_file() {
        measurements.extend(python::read(&python_json)?);
    }
    if options.book && (mode != "quick" && mode != "full" || filter.is_some()) {
        bail!("--book needs a complete measured run, not a {mode} or filtered one");
    }
    let report = Report::build(machine, &mode, filter, &measurements).context(
        "building the report (the measurements are kept: after a fix, \
         `cargo xtask bench --report-only` rebuilds it without measuring again)",
    )?;
    let (plots, notes) = plots::draw_all(&report)?;
    let comparisons = python::compare(&report);
    println!("\n{}\n", report.label());
    println!("{}", report.tables(None));
    println!("{}", python::table(&comparisons));
    println!("{}", paired::table(&paired_rows, report.capacity()));
    println!("{}", kernels::table(&report, &kernels::costs(&report)));
    println!("{}", crossover::table(&crossover::crossovers(&report)));
    for note in &notes {
        eprintln!("note: {note}");
    }
    write_report(
        &out_dir,
        &report,
        &plots,
        &notes,
        &comparisons,
        &paired_rows,
    )?;
    eprintln!("report: {}", out_dir.join("results.md").display());
    if options.book {
        let book_dir = root.join("book").join("src").join("results");
        write_book(&book_dir, &report, &plots, &comparisons, &paired_rows)?;
        eprintln!("book copies: {}", book_dir.display());
    }
    Ok(())
}

/// Where a run writes its report: `<target>/bench-report`, or
/// `<target>/bench-report/filtered` for a `--filter` run, so that a partial
/// run never replaces (or clears) the last full report. `--report-only`
/// rebuilds the last full report.
fn report_dir(target: &Path, options: &Options) -> PathBuf {
    let full = target.join("bench-report");
    if options.filter.is_some() && !options.report_only {
        full.join("filtered")
    } else {
        full
    }
}

/// `$CARGO_TARGET_DIR` or `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
}

/// The bench targets of the `benches` package, from `cargo metadata`.
fn bench_targets(root: &Path) -> anyhow::Result<Vec<String>> {
    let output = crate::cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed ({})", output.status);
    }
    let metadata: Value =
        serde_json::from_slice(&output.stdout).context("parsing cargo metadata")?;
    bench_targets_of(&metadata)
}

fn bench_targets_of(metadata: &Value) -> anyhow::Result<Vec<String>> {
    let package = metadata["packages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == "benches"))
        .ok_or_else(|| anyhow!("cargo metadata lists no `benches` package"))?;
    let targets: Vec<String> = package["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == "bench"))
        })
        .filter_map(|t| t["name"].as_str().map(str::to_string))
        .collect();
    if targets.is_empty() {
        bail!("the `benches` package has no bench targets");
    }
    Ok(targets)
}

fn run_benches(
    root: &Path,
    criterion_dir: &Path,
    mode: Mode,
    options: &Options,
    machine: &Machine,
) -> anyhow::Result<(Vec<Measurement>, Vec<paired::PairedRow>)> {
    let targets = bench_targets(root)?;
    eprintln!("== xtask bench: building {} bench targets", targets.len());
    let status = bench_command(root, mode, None)
        .arg("--no-run")
        .status()
        .context("could not start cargo bench")?;
    if !status.success() {
        bail!("building the benches failed ({status})");
    }
    if criterion_dir.exists() {
        fs::remove_dir_all(criterion_dir)
            .with_context(|| format!("clearing {}", criterion_dir.display()))?;
    }
    fs::create_dir_all(criterion_dir)?;
    let started = Instant::now();
    let mut measurements = Vec::new();
    let mut paired_rows = Vec::new();
    let mut ran = Vec::new();
    for (i, bench) in targets.iter().enumerate() {
        let dir = criterion_dir.join(bench);
        fs::create_dir_all(&dir)?;
        let listed = list(root, mode, bench, &dir, options.filter.as_deref())?;
        let left = targets.len() - i - 1;
        if listed.is_empty() {
            if options.filter.is_some() {
                eprintln!(
                    "== xtask bench [{}/{}] {bench}: nothing matches the filter, skipped",
                    i + 1,
                    targets.len()
                );
                continue;
            }
            bail!("bench `{bench}` defines no benchmarks");
        }
        eprintln!(
            "== xtask bench [{}/{}] {bench}: {} benchmarks ({left} more {} after \
             this; {} so far)",
            i + 1,
            targets.len(),
            listed.len(),
            if left == 1 { "target" } else { "targets" },
            format_duration(started.elapsed())
        );
        let mut command = bench_command(root, mode, Some(bench));
        command
            .arg("--")
            .args(mode.criterion_args())
            .args(options.filter.as_deref())
            .env("CRITERION_HOME", &dir);
        let status = command.status().with_context(|| {
            format!("bench `{bench}`: could not start cargo bench")
        })?;
        if !status.success() {
            bail!("bench `{bench}` failed ({status})");
        }
        if bench == paired::BENCH {
            let found = paired::read(&dir.join(paired::FILE))?;
            let titles: Vec<&str> = found.iter().map(|r| r.title.as_str()).collect();
            if let Some(missing) =
                listed.iter().find(|t| !titles.contains(&t.as_str()))
            {
                bail!("bench `{bench}`: no paired result for `{missing}`");
            }
            paired_rows.extend(found);
        } else {
            let found = criterion::read_dir(bench, &dir)?;
            check_complete(bench, &listed, &found, &dir)?;
            measurements.extend(found);
        }
        ran.push(bench.clone());
    }
    if ran.is_empty() {
        bail!("no benchmark matches the filter");
    }
    eprintln!(
        "== xtask bench: {} benchmarks in {} targets ran in {} (after the build)",
        measurements.len(),
        ran.len(),
        format_duration(started.elapsed())
    );
    if options.filter.is_none() {
        eprintln!("== xtask bench: {} paired speedups", paired_rows.len());
    }
    let run = json!({
        "machine": machine.to_json(),
        "mode": mode.name(),
        "filter": options.filter,
        "benches": ran,
    });
    fs::write(
        criterion_dir.join(RUN_FILE),
        serde_json::to_string_pretty(&run)?,
    )?;
    Ok((measurements, paired_rows))
}

/// Records the finished machine label (with the parallel capacity measured
/// around the run) in the run file, for `--report-only`.
fn write_run_machine(criterion_dir: &Path, machine: &Machine) -> anyhow::Result<()> {
    let path = criterion_dir.join(RUN_FILE);
    let mut run: Value = serde_json::from_str(&fs::read_to_string(&path)?)
        .with_context(|| format!("malformed {}", path.display()))?;
    run["machine"] = machine.to_json();
    fs::write(&path, serde_json::to_string_pretty(&run)?)?;
    Ok(())
}

/// Every benchmark `bench` listed must have left its estimates.
fn check_complete(
    bench: &str,
    listed: &[String],
    found: &[Measurement],
    dir: &Path,
) -> anyhow::Result<()> {
    for title in listed {
        if !found.iter().any(|m| &m.title == title) {
            bail!(
                "bench `{bench}`: no estimates for `{title}` in {}",
                dir.display()
            );
        }
    }
    Ok(())
}

/// `$CARGO bench -p benches [--bench <bench>]`, with the smoke variable set
/// only in smoke mode.
fn bench_command(root: &Path, mode: Mode, bench: Option<&str>) -> Command {
    let mut command = crate::cargo();
    command.args(["bench", "-p", "benches"]).current_dir(root);
    if let Some(bench) = bench {
        command.args(["--bench", bench]);
    }
    if mode == Mode::Smoke {
        command.env(SMOKE_ENV, "1");
    } else {
        command.env_remove(SMOKE_ENV);
    }
    command
}

/// The titles of the benchmarks `bench` would run (criterion `--list`).
fn list(
    root: &Path,
    mode: Mode,
    bench: &str,
    dir: &Path,
    filter: Option<&str>,
) -> anyhow::Result<Vec<String>> {
    let output = bench_command(root, mode, Some(bench))
        .args(["--quiet", "--", "--list"])
        .args(filter)
        .env("CRITERION_HOME", dir)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("bench `{bench}`: could not start cargo bench"))?;
    if !output.status.success() {
        bail!(
            "bench `{bench}` failed to list its benchmarks ({})",
            output.status
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.strip_suffix(": benchmark"))
        .map(str::to_string)
        .collect())
}

/// What `load_last_run` returns: machine, mode, filter, measurements, pairs.
type LastRun = (
    Machine,
    String,
    Option<String>,
    Vec<Measurement>,
    Vec<paired::PairedRow>,
);

fn load_last_run(criterion_dir: &Path) -> anyhow::Result<LastRun> {
    let path = criterion_dir.join(RUN_FILE);
    let text = fs::read_to_string(&path).with_context(|| {
        format!("no previous run: cannot read {}", path.display())
    })?;
    let run: Value = serde_json::from_str(&text)
        .with_context(|| format!("malformed {}", path.display()))?;
    let machine = Machine::from_json(&run["machine"])
        .ok_or_else(|| anyhow!("malformed machine in {}", path.display()))?;
    let mode = run["mode"].as_str().unwrap_or("unknown").to_string();
    let filter = run["filter"].as_str().map(str::to_string);
    let mut measurements = Vec::new();
    let mut paired_rows = Vec::new();
    for bench in run["benches"].as_array().into_iter().flatten() {
        let bench = bench
            .as_str()
            .ok_or_else(|| anyhow!("malformed benches in {}", path.display()))?;
        let dir = criterion_dir.join(bench);
        if bench == paired::BENCH {
            paired_rows.extend(paired::read(&dir.join(paired::FILE))?);
        } else {
            measurements.extend(criterion::read_dir(bench, &dir)?);
        }
    }
    Ok((machine, mode, filter, measurements, paired_rows))
}

/// `results.json`, `results.md`, `<bench>.md` and the plots in `out_dir`,
/// after removing the previous run's.
fn write_report(
    out_dir: &Path,
    report: &Report,
    plots: &[plots::Plot],
    notes: &[String],
    comparisons: &[python::Comparison],
    paired_rows: &[paired::PairedRow],
) -> anyhow::Result<()> {
    fs::create_dir_all(out_dir)?;
    remove_generated(out_dir)?;
    let mut json = report.to_json();
    json["paired"] = paired::to_json(paired_rows, report.capacity());
    json["plots"] = json!(plots.iter().map(|p| &p.file).collect::<Vec<_>>());
    if !comparisons.is_empty() {
        json["rust_vs_python"] = python::to_json(comparisons);
        fs::write(
            out_dir.join("rust-vs-python.md"),
            format!("*{}*\n\n{}", report.label(), python::table(comparisons)),
        )?;
    }
    fs::write(
        out_dir.join("results.json"),
        serde_json::to_string_pretty(&json)? + "\n",
    )?;
    let mut md = format!("# Benchmark results\n\n{}\n\n", report.label());
    for plot in plots {
        md.push_str(&format!("![{}]({})\n\n", plot.title, plot.file));
    }
    for note in notes {
        md.push_str(&format!("Note: {note}.\n\n"));
    }
    md.push_str(&python::table(comparisons));
    md.push('\n');
    md.push_str(&paired::table(paired_rows, report.capacity()));
    md.push('\n');
    md.push_str(&kernels::table(report, &kernels::costs(report)));
    md.push('\n');
    md.push_str(&crossover::table(&crossover::crossovers(report)));
    md.push('\n');
    md.push_str(&report.tables(None));
    fs::write(out_dir.join("results.md"), md)?;
    for bench in report.benches() {
        fs::write(
            out_dir.join(format!("{bench}.md")),
            bench_page(report, bench),
        )?;
    }
    for plot in plots {
        fs::write(out_dir.join(&plot.file), &plot.svg)?;
    }
    Ok(())
}

/// The tables of one bench, under its label: what a chapter page includes.
fn bench_page(report: &Report, bench: &str) -> String {
    format!("*{}*\n\n{}", report.label(), report.tables(Some(bench)))
}

/// Copies for the book: `machine.md` (the label), `<bench>.md` per bench,
/// `tables.md` (all tables), `plots.md` (every plot, linked as `results/…`
/// from a page in `book/src/`) and the SVGs.
fn write_book(
    book_dir: &Path,
    report: &Report,
    plots: &[plots::Plot],
    comparisons: &[python::Comparison],
    paired_rows: &[paired::PairedRow],
) -> anyhow::Result<()> {
    fs::create_dir_all(book_dir)?;
    remove_generated(book_dir)?;
    let generated =
        "<!-- generated by `cargo xtask bench --book`; do not edit -->\n";
    fs::write(
        book_dir.join("machine.md"),
        format!(
            "{generated}*{} These are the figures of the machine that made \
             them; run `cargo xtask bench` for yours.*\n",
            report.label()
        ),
    )?;
    let mut tables = String::from(generated);
    for bench in report.benches() {
        fs::write(
            book_dir.join(format!("{bench}.md")),
            format!("{generated}{}", bench_page(report, bench)),
        )?;
        tables.push_str(&format!(
            "\n### `{bench}`\n\n{}",
            report.tables(Some(bench))
        ));
    }
    fs::write(book_dir.join("tables.md"), tables)?;
    fs::write(
        book_dir.join("crossover-points.md"),
        format!(
            "{generated}*{}*\n\n{}",
            report.label(),
            crossover::table(&crossover::crossovers(report))
        ),
    )?;
    fs::write(
        book_dir.join("kernels.md"),
        format!(
            "{generated}*{}*\n\n{}",
            report.label(),
            kernels::table(report, &kernels::costs(report))
        ),
    )?;
    fs::write(
        book_dir.join("paired.md"),
        format!(
            "{generated}*{}*\n\n{}",
            report.label(),
            paired::table(paired_rows, report.capacity())
        ),
    )?;
    // The Python page includes these two files whether or not this run had
    // --python, so a run without it says so instead of breaking the book.
    let not_measured = format!(
        "{generated}*The Python reference rows were not measured in this run: \
         `cargo xtask bench --python --book` measures and copies them.*\n"
    );
    if !report.benches().contains(&python::BENCH) {
        fs::write(
            book_dir.join(format!("{}.md", python::BENCH)),
            &not_measured,
        )?;
    }
    let comparison = if comparisons.is_empty() {
        not_measured
    } else {
        format!(
            "{generated}*{}*\n\n{}",
            report.label(),
            python::table(comparisons)
        )
    };
    fs::write(book_dir.join("rust-vs-python.md"), comparison)?;
    let mut plots_md = String::from(generated);
    for plot in plots {
        plots_md.push_str(&format!("\n![{}](results/{})\n", plot.title, plot.file));
        fs::write(book_dir.join(&plot.file), &plot.svg)?;
    }
    fs::write(book_dir.join("plots.md"), plots_md)?;
    Ok(())
}

/// Removes the `.md`, `.svg` and `.json` files directly in `dir` (what a
/// previous report wrote there).
fn remove_generated(dir: &Path) -> anyhow::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let generated = path
            .extension()
            .is_some_and(|e| e == "md" || e == "svg" || e == "json");
        if path.is_file() && generated {
            fs::remove_file(&path)
                .with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds >= 60 {
        format!("{}m{:02}s", seconds / 60, seconds % 60)
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}
