//! The command line every chapter demo shares.
//!
//! A chapter's `main.rs` flattens [`CommonArgs`] into its own `clap::Parser`, so
//! `--workload`, `--size`, `--jobs`, `--trials`, `--scale` and `--json` mean the
//! same everywhere. Bad values (`--size 0`, `--jobs 0`, an unknown workload, a
//! non-number) are rejected by clap with a clear message and exit code 2.

use std::num::NonZeroUsize;

use clap::builder::{RangedU64ValueParser, TypedValueParser};

use crate::{DEFAULT_PI_TRIALS, Workload, WorkloadError, WorkloadKind};

/// Flags shared by every chapter's demo.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Which workload to run.
    #[arg(long, value_enum, default_value_t = WorkloadKind::Pi)]
    pub workload: WorkloadKind,
    /// Number of tasks (≥ 1).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    pub size: u64,
    /// Worker threads or processes (≥ 1); default: the number of cores.
    #[arg(long, value_parser = jobs_parser())]
    pub jobs: Option<usize>,
    /// Random points per π task (≥ 1).
    #[arg(long, default_value_t = DEFAULT_PI_TRIALS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub trials: u64,
    /// Multiplies every sleep of the `sleep` workload (> 0), for quick runs.
    #[arg(long, default_value_t = 1.0, value_parser = parse_scale)]
    pub scale: f64,
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

impl CommonArgs {
    /// `--jobs`, or the number of cores when it was not given.
    pub fn jobs(&self) -> usize {
        self.jobs.unwrap_or_else(default_jobs)
    }

    /// Builds the selected workload (generating the corpus for `files`).
    pub fn prepare(&self) -> Result<Workload, WorkloadError> {
        Workload::prepare(self.workload, self.size, self.trials, self.scale)
    }
}

/// The default `--jobs`: `std::thread::available_parallelism()`, or 1 if unknown.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

/// Upper bound on `--jobs`: more is surely a typo, and would exhaust the machine.
pub const MAX_JOBS: u64 = 1024;

fn jobs_parser() -> impl TypedValueParser<Value = usize> {
    RangedU64ValueParser::<u64>::new()
        .range(1..=MAX_JOBS)
        .map(|jobs| jobs as usize)
}

fn parse_scale(text: &str) -> Result<f64, String> {
    let scale: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if scale.is_finite() && scale > 0.0 && scale <= 1e6 {
        Ok(scale)
    } else {
        Err(format!("`{text}` must be a positive number (at most 1e6)"))
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Demo {
        #[command(flatten)]
        common: CommonArgs,
    }

    fn parse(args: &[&str]) -> Result<CommonArgs, clap::Error> {
        let argv = std::iter::once("demo").chain(args.iter().copied());
        Demo::try_parse_from(argv).map(|d| d.common)
    }

    #[test]
    fn defaults() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.workload, WorkloadKind::Pi);
        assert_eq!(args.size, 16);
        assert_eq!(args.jobs(), default_jobs());
        assert!(!args.json);
    }

    #[test]
    fn accepts_every_flag() {
        let args = parse(&[
            "--workload",
            "files",
            "--size",
            "3",
            "--jobs",
            "2",
            "--trials",
            "10",
            "--scale",
            "0.1",
            "--json",
        ])
        .unwrap();
        assert_eq!(args.workload, WorkloadKind::Files);
        assert_eq!((args.size, args.jobs(), args.trials), (3, 2, 10));
        assert_eq!(args.scale, 0.1);
        assert!(args.json);
    }

    #[test]
    fn rejects_bad_values_with_usage_errors() {
        for bad in [
            &["--size", "0"][..],
            &["--jobs", "0"],
            &["--jobs", "100000"],
            &["--workload", "nope"],
            &["--size", "many"],
            &["--scale", "-1"],
            &["--scale", "NaN"],
            &["--trials", "0"],
            &["--unknown"],
        ] {
            let err = parse(bad).expect_err(&format!("{bad:?} must be rejected"));
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }
}
