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
//! cargo xtask bench --filter pi      only benchmarks whose id matches (regex)
//! cargo xtask bench --book           and copy tables and plots into the book
//! cargo xtask bench --report-only    rebuild the report from the last run
//! cargo xtask bench --python         also the Python reference workloads
//! ```
//!
//! Each bench target writes to its own fresh criterion directory,
//! `target/bench-report/criterion/<bench>/`, cleared before it runs, so a
//! stale result never reaches the report. A `--smoke` run writes its report
//! to `target/bench-report/smoke/` and a `--filter` run to
//! `target/bench-report/filtered/` (both: `smoke/filtered/`), so neither
//! destroys the last full report. The `paired` bench target writes paired speedups (see
//! `paired.rs`) instead of criterion estimates. Every benchmark the target lists
//! (`-- --list`) must have left its estimates: a bench that fails or a missing
//! estimates file is an error naming the bench.
//!
//! `run.rs` runs the benches and keeps the run file, `criterion.rs` and
//! `paired.rs` read their results, `report.rs` builds the tables,
//! `cost_model/` fits the cost model to the `grid` bench, and `write.rs`
//! writes the report and the book's copies.

mod cost_model;
mod criterion;
mod crossover;
#[cfg(test)]
mod flag_tests;
mod kernels;
mod machine;
mod overhead;
mod paired;
#[cfg(test)]
mod plot_tests;
mod plots;
mod python;
#[cfg(test)]
mod python_tests;
mod report;
mod run;
mod svg;
#[cfg(test)]
mod tests;
mod write;

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use self::machine::Machine;
use self::report::Report;
use self::run::{Mode, Ran, RunFile};

/// The options of `cargo xtask bench`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Options {
    /// criterion's normal statistics instead of `--quick` (much slower).
    #[arg(long, conflicts_with = "smoke")]
    pub(crate) full: bool,
    /// Run every bench briefly with tiny sizes (numbers meaningless; for CI).
    /// The report goes to target/bench-report/smoke/, keeping the last full one.
    #[arg(long)]
    pub(crate) smoke: bool,
    /// Only benchmarks whose id (`<bench>/<workload>/<strategy>/jobs=J,n=N`)
    /// matches this regular expression; bench targets with no match are skipped.
    /// The report goes to target/bench-report/filtered/.
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

pub(crate) fn run(root: &Path, options: &Options) -> anyhow::Result<()> {
    let out_dir = report_dir(&target_dir(root), options);
    let criterion_dir = out_dir.join("criterion");
    let python_json = criterion_dir.join("python.json");
    let (run, ran) = if options.report_only {
        run::load_last_run(&criterion_dir)?
    } else {
        let mut machine = Machine::detect(root);
        let mode = options.mode();
        let before = machine::parallel_capacity(machine.cores);
        eprintln!(
            "== xtask bench: parallel capacity {before:.2}× of {} cores",
            machine.cores
        );
        let ran = run::run_benches(root, &criterion_dir, mode, options)?;
        let after = machine::parallel_capacity(machine.cores);
        eprintln!(
            "== xtask bench: parallel capacity after the Rust benches {after:.2}×"
        );
        machine.capacity = Some((before, after));
        let run = RunFile {
            machine,
            mode,
            filter: options.filter.clone(),
            benches: ran.benches.clone(),
        };
        run.save(&criterion_dir)?;
        if options.python {
            python::run_suite(root, &python_json, mode == Mode::Smoke)?;
        }
        (run, ran)
    };
    let RunFile {
        mut machine,
        mode,
        filter,
        ..
    } = run;
    let Ran {
        mut measurements,
        paired_rows,
        ..
    } = ran;
    // The clock comes from the paired bench (an optimised build); this xtask
    // is a debug build, whose own loop would make the clock look slow.
    machine.clock_ghz = paired_rows.iter().find_map(|r| r.clock_ghz);
    // The Python rows of this run (or, with --report-only, of the last one).
    if python_json.is_file() {
        measurements.extend(python::read(&python_json)?);
        machine.numerics = python::numerics(&python_json)?;
    }
    if options.book && (mode == Mode::Smoke || filter.is_some()) {
        bail!("--book needs a complete measured run, not a {mode} or filtered one");
    }
    let report = Report::build(machine, mode, filter, &measurements).context(
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
    println!("{}", cost_model::CostModel::build(&report).tables());
    for note in &notes {
        eprintln!("note: {note}");
    }
    write::write_report(
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
        write::write_book(&book_dir, &report, &plots, &comparisons, &paired_rows)?;
        eprintln!("book copies: {}", book_dir.display());
    }
    Ok(())
}

/// Where a run writes its report: `<target>/bench-report` for a measured
/// run; below it `smoke/` for a `--smoke` run and `filtered/` for a
/// `--filter` run (`smoke/filtered/` for both), so that neither a run with
/// meaningless numbers nor a partial one replaces (or clears) the last full
/// report. Each directory holds its own `criterion/`, the only directory a
/// run clears, and a report removes only the files directly in its own
/// directory. `--report-only` rebuilds the last full report.
fn report_dir(target: &Path, options: &Options) -> PathBuf {
    let mut dir = target.join("bench-report");
    if options.report_only {
        return dir;
    }
    if options.smoke {
        dir.push("smoke");
    }
    if options.filter.is_some() {
        dir.push("filtered");
    }
    dir
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
