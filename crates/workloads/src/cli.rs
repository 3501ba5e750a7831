//! The command line every chapter demo shares.
//!
//! A chapter's `main.rs` flattens [`CommonArgs`] into its own `clap::Parser`, so
//! `--workload`, `--size`, `--jobs`, `--trials`, `--scale` and `--json` mean the
//! same everywhere. Bad values (`--size 0`, `--jobs 0`, an unknown workload, a
//! non-number, a `--size` above the workload's [`max_size`]) are rejected by
//! clap with a clear message and exit code 2.
//!
//! The clap parsing is behind the crate's `cli` feature (the demos turn it
//! on); without it, [`CommonArgs`], [`default_jobs`] and [`max_size`] remain,
//! so a library can take a `CommonArgs` without depending on clap.

#[cfg(feature = "cli")]
use clap::builder::{RangedU64ValueParser, TypedValueParser};
#[cfg(feature = "cli")]
use clap::error::ErrorKind;
#[cfg(feature = "cli")]
use clap::{ArgMatches, FromArgMatches};

use crate::error::WorkloadError;
#[cfg(feature = "cli")]
use crate::task::DEFAULT_PI_TRIALS;
use crate::task::{Workload, WorkloadKind};

/// Flags shared by every chapter's demo (checked as a whole: `--size` must
/// suit `--workload`, see [`max_size`]).
#[derive(Debug, Clone)]
pub struct CommonArgs {
    /// Which workload to run.
    pub workload: WorkloadKind,
    /// Number of tasks (1 to [`max_size`] of the workload).
    pub size: u64,
    /// Worker threads or processes (1 to [`MAX_JOBS`]); `None`: the cores.
    pub jobs: Option<usize>,
    /// Random points per π task (≥ 1).
    pub trials: u64,
    /// Multiplies every sleep of the `sleep` workload (> 0).
    pub scale: f64,
    /// Print the results as JSON instead of a table.
    pub json: bool,
}

#[cfg(feature = "cli")]
/// What clap parses; [`CommonArgs`] is this once the flags agree.
#[derive(Debug, Clone, clap::Args)]
struct Flags {
    /// Which workload to run.
    #[arg(long, value_enum, default_value_t = WorkloadKind::Pi)]
    workload: WorkloadKind,
    /// Number of tasks (≥ 1; at most 10^7 for driver, 10^6 for pi, 10^4 for
    /// sleep, 4096 for files).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..))]
    size: u64,
    /// Worker threads or processes (≥ 1); default: the number of cores.
    #[arg(long, value_parser = jobs_parser())]
    jobs: Option<usize>,
    /// Random points per π task (≥ 1).
    #[arg(long, default_value_t = DEFAULT_PI_TRIALS,
          value_parser = clap::value_parser!(u64).range(1..))]
    trials: u64,
    /// Multiplies every sleep of the `sleep` workload (> 0), for quick runs.
    #[arg(long, default_value_t = 1.0, value_parser = parse_scale)]
    scale: f64,
    /// Print the results as JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// The largest `--size` a workload accepts. The demos hold every input and
/// every result in memory (several copies, one per strategy compared) and
/// `files` writes its whole corpus to disk first, so a size past these
/// limits could not be allocated, or would fill the disk, or index past
/// `usize` on a 32-bit machine: it is refused up front instead of panicking.
pub fn max_size(kind: WorkloadKind) -> u64 {
    match kind {
        // About 100 bytes per task and copy: 10^7 tasks is a few GB at most.
        WorkloadKind::Driver => 10_000_000,
        // At least one trial each; a million tasks already takes hours.
        WorkloadKind::Pi => 1_000_000,
        // Task i sleeps 0.5 (i + 1) s: 10^4 tasks is 290 days of sleep.
        WorkloadKind::Sleep => 10_000,
        // 256 KiB per file: 4096 files is a 1 GiB corpus in the temp dir.
        WorkloadKind::Files => 4096,
    }
}

#[cfg(feature = "cli")]
impl Flags {
    fn check(self) -> Result<CommonArgs, clap::Error> {
        let max = max_size(self.workload);
        if self.size > max {
            return Err(clap::Error::raw(
                ErrorKind::ValueValidation,
                format!(
                    "invalid value '{}' for '--size <SIZE>': the {} workload \
                     takes at most {max} tasks",
                    self.size,
                    self.workload.name()
                ),
            ));
        }
        Ok(CommonArgs {
            workload: self.workload,
            size: self.size,
            jobs: self.jobs,
            trials: self.trials,
            scale: self.scale,
            json: self.json,
        })
    }
}

#[cfg(feature = "cli")]
// `clap::Args` by hand, so that a chapter's `#[command(flatten)]` gets the
// cross-flag check too: an error here is a usage error (exit code 2).
impl FromArgMatches for CommonArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Flags::from_arg_matches(matches)?.check()
    }

    fn update_from_arg_matches(
        &mut self,
        matches: &ArgMatches,
    ) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

#[cfg(feature = "cli")]
impl clap::Args for CommonArgs {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        Flags::augment_args(cmd)
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        Flags::augment_args_for_update(cmd)
    }
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

/// The default `--jobs` (defined in [`crate::jobs`], which libraries use).
pub use sweep_core::jobs::default_jobs;

/// Upper bound on `--jobs`: more is surely a typo, and would exhaust the machine.
pub const MAX_JOBS: u64 = 1024;

#[cfg(feature = "cli")]
fn jobs_parser() -> impl TypedValueParser<Value = usize> {
    RangedU64ValueParser::<u64>::new()
        .range(1..=MAX_JOBS)
        .map(|jobs| jobs as usize)
}

#[cfg(feature = "cli")]
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

/// The one optional argument of an example (`cargo run --example NAME --
/// [ARG]`), parsed as `T`, or `default` without one. The examples are too
/// small for clap, but not for its rule: a bad value or an extra argument
/// prints `usage` and exits with code 2, and `check` can refuse a value that
/// parses (`jobs` of 0, say) with its reason.
pub fn example_arg<T: std::str::FromStr>(
    default: T,
    usage: &str,
    check: impl Fn(&T) -> Result<(), String>,
) -> T {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse_example_arg(&args, default, check) {
        Ok(value) => value,
        Err(why) => usage_error(&format!("{why}\n{usage}")),
    }
}

/// Prints `error: MESSAGE` on stderr and exits with code 2, as clap does
/// for a bad command line.
pub fn usage_error(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2)
}

fn parse_example_arg<T: std::str::FromStr>(
    args: &[String],
    default: T,
    check: impl Fn(&T) -> Result<(), String>,
) -> Result<T, String> {
    let value = match args {
        [] => default,
        [text] => text
            .parse()
            .map_err(|_| format!("`{text}` is not a valid value"))?,
        [_, extra, ..] => return Err(format!("unexpected argument `{extra}`")),
    };
    check(&value)?;
    Ok(value)
}

#[cfg(test)]
mod example_arg_tests {
    use super::parse_example_arg;

    fn parse(args: &[&str]) -> Result<u64, String> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        parse_example_arg(&args, 7, |&n| {
            if n == 0 {
                Err("must be at least 1".into())
            } else {
                Ok(())
            }
        })
    }

    #[test]
    fn the_default_a_value_and_every_kind_of_bad_line() {
        assert_eq!(parse(&[]), Ok(7));
        assert_eq!(parse(&["12"]), Ok(12));
        assert_eq!(parse(&["-3"]), Err("`-3` is not a valid value".into()));
        assert_eq!(parse(&["0"]), Err("must be at least 1".into()));
        assert_eq!(parse(&["1", "2"]), Err("unexpected argument `2`".into()));
    }
}

#[cfg(all(test, feature = "cli"))]
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
            &["--size", "18446744073709551615"],
            &["--size", "18446744073709551616"],
            &["--workload", "driver", "--size", "10000001"],
            &["--workload", "pi", "--size", "1000001"],
            &["--workload", "sleep", "--size", "10001"],
            &["--workload", "files", "--size", "4097"],
        ] {
            let err = parse(bad).expect_err(&format!("{bad:?} must be rejected"));
            assert_eq!(err.exit_code(), 2, "{bad:?}");
        }
    }

    #[test]
    fn sizes_up_to_each_workloads_maximum_are_accepted() {
        for kind in [
            WorkloadKind::Driver,
            WorkloadKind::Pi,
            WorkloadKind::Sleep,
            WorkloadKind::Files,
        ] {
            let max = max_size(kind).to_string();
            let args = parse(&["--workload", kind.name(), "--size", &max]).unwrap();
            assert_eq!(args.size, max_size(kind));
        }
        let err = parse(&["--workload", "files", "--size", "5000"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("the files workload takes at most 4096"),
            "{err}"
        );
    }
}
