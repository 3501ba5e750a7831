//! `cargo xtask ci`: exactly what CI runs, in order, stopping at the first
//! failure with its name. After the workspace's tests, `layers` checks the
//! libraries as a reader's crate sees them (each alone, packaged, and from a
//! crate outside the workspace; see `layers.rs`). Contributors run the same command locally. The last
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

/// About what a cold run writes under `target/` (debug tests, each library
/// alone, the outside projects, release benches): 7.6 GB measured on a
/// fresh clone.
const COLD_RUN_BYTES: u64 = 8_000_000_000;

pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    if let Some(warning) = free_bytes(root).and_then(disk_warning) {
        eprintln!("{warning}");
    }
    let total = STEPS.len() + 4;
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
    eprintln!("== xtask ci [{}/{total}] layers", total - 3);
    crate::layers::run(root, None).context("step `layers` failed")?;
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

/// Bytes an unprivileged user may still write on the disk holding `root`.
// The conversions are no-ops on 64-bit Linux, not on 32-bit targets.
#[allow(clippy::useless_conversion)]
fn free_bytes(root: &Path) -> Option<u64> {
    let stat = nix::sys::statvfs::statvfs(root).ok()?;
    Some(
        u64::from(stat.blocks_available())
            .saturating_mul(u64::from(stat.fragment_size())),
    )
}

/// A warning, not a failure: a warm `target/` needs far less than a cold one,
/// but a full disk otherwise shows up only as a compiler's I/O error.
fn disk_warning(free: u64) -> Option<String> {
    (free < COLD_RUN_BYTES).then(|| {
        format!(
            "xtask ci: warning: {:.1} GB free on this disk; a cold run writes about {:.0} GB \
             under target/, and a full disk fails as \"No space left on device\"",
            free as f64 / 1e9,
            COLD_RUN_BYTES as f64 / 1e9
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_disk_is_warned_about_and_a_roomy_one_is_not() {
        let warning = disk_warning(1_500_000_000).expect("1.5 GB is short");
        assert!(warning.contains("1.5 GB free"), "{warning}");
        assert_eq!(disk_warning(COLD_RUN_BYTES), None);
    }

    #[test]
    fn the_disk_of_the_checkout_can_be_read() {
        assert!(free_bytes(Path::new(".")).is_some_and(|free| free > 0));
    }
}
