//! `cargo xtask ci`: exactly what CI runs, in order, stopping at the first
//! failure with its name. Contributors run the same command locally. The last
//! step, `cargo xtask bench --smoke`, runs every bench briefly with tiny sizes
//! and builds the whole report (in `target/bench-report/smoke/`, so the last
//! full report is kept), so a broken bench or report fails CI.

use std::path::Path;

use anyhow::{Context, bail};

/// The steps, in order: a name and the cargo arguments.
const STEPS: &[(&str, &[&str])] = &[
    ("fmt", &["fmt", "--all", "--check"]),
    (
        "clippy",
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    ),
    ("test", &["test", "--workspace"]),
    ("bench-tests", &["test", "-p", "benches", "--benches"]),
];

pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    let total = STEPS.len() + 3;
    for (number, (name, args)) in STEPS.iter().enumerate() {
        eprintln!(
            "== xtask ci [{}/{total}] {name}: cargo {}",
            number + 1,
            args.join(" ")
        );
        let status = crate::cargo()
            .args(*args)
            .current_dir(root)
            .status()
            .with_context(|| format!("step `{name}`: could not start cargo"))?;
        if !status.success() {
            bail!("step `{name}` failed ({status})");
        }
    }
    eprintln!("== xtask ci [{}/{total}] slurm", total - 2);
    crate::slurm::run(root).context("step `slurm` failed")?;
    eprintln!("== xtask ci [{}/{total}] book", total - 1);
    crate::book::run(root, false).context("step `book` failed")?;
    eprintln!("== xtask ci [{total}/{total}] bench --smoke");
    crate::bench::run(root, &crate::bench::Options::smoke())
        .context("step `bench --smoke` failed")?;
    eprintln!("== xtask ci: all {total} steps passed");
    Ok(())
}
