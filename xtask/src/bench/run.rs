//! Running `cargo xtask bench`: the bench targets (from `cargo metadata`),
//! each listed (`-- --list`), run into its own criterion directory and read
//! back, and the run file that lets `--report-only` rebuild the report.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use serde::{Deserialize, Serialize};

use super::Options;
use super::criterion::{self, Measurement};
use super::machine::Machine;
use super::paired;

/// `benches::SMOKE_ENV`: tells every bench to use tiny sizes.
const SMOKE_ENV: &str = "PPR_BENCH_SMOKE";

/// How long and how carefully to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
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
    /// What the report and the run file call it.
    pub(crate) fn name(self) -> &'static str {
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

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
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
    let metadata: Metadata =
        serde_json::from_slice(&output.stdout).context("parsing cargo metadata")?;
    bench_targets_of(&metadata)
}

/// The part of `cargo metadata`'s output this module reads.
#[derive(Debug, Deserialize)]
pub(crate) struct Metadata {
    packages: Vec<Package>,
}

#[derive(Debug, Deserialize)]
struct Package {
    name: String,
    targets: Vec<Target>,
}

#[derive(Debug, Deserialize)]
struct Target {
    name: String,
    kind: Vec<String>,
}

pub(crate) fn bench_targets_of(metadata: &Metadata) -> anyhow::Result<Vec<String>> {
    let package = metadata
        .packages
        .iter()
        .find(|p| p.name == "benches")
        .ok_or_else(|| anyhow!("cargo metadata lists no `benches` package"))?;
    let targets: Vec<String> = package
        .targets
        .iter()
        .filter(|t| t.kind.iter().any(|k| k == "bench"))
        .map(|t| t.name.clone())
        .collect();
    if targets.is_empty() {
        bail!("the `benches` package has no bench targets");
    }
    Ok(targets)
}

/// Empties `dir` (creating it if needed): a run's criterion directory, so a
/// stale result never reaches the report.
pub(crate) fn clear_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)
            .with_context(|| format!("clearing {}", dir.display()))?;
    }
    fs::create_dir_all(dir)?;
    Ok(())
}

/// Builds and runs every bench target (those the filter matches), reading
/// each one's results as soon as it has run.
pub(crate) fn run_benches(
    root: &Path,
    criterion_dir: &Path,
    mode: Mode,
    options: &Options,
) -> anyhow::Result<Ran> {
    let targets = bench_targets(root)?;
    eprintln!("== xtask bench: building {} bench targets", targets.len());
    let status = bench_command(root, mode, None)
        .arg("--no-run")
        .status()
        .context("could not start cargo bench")?;
    if !status.success() {
        bail!("building the benches failed ({status})");
    }
    clear_dir(criterion_dir)?;
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
            elapsed(started)
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
        elapsed(started)
    );
    if options.filter.is_none() {
        eprintln!("== xtask bench: {} paired speedups", paired_rows.len());
    }
    Ok(Ran {
        benches: ran,
        measurements,
        paired_rows,
    })
}

/// Every benchmark `bench` listed must have left its estimates.
pub(crate) fn check_complete(
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

/// What a run measured, saved beside criterion's output so that
/// `--report-only` labels the report with the run's own machine and mode.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RunFile {
    /// The machine label, with the parallel capacity measured around the run.
    #[serde(with = "machine_json")]
    pub(crate) machine: Machine,
    pub(crate) mode: Mode,
    pub(crate) filter: Option<String>,
    /// The bench targets that ran, each with its directory of results.
    pub(crate) benches: Vec<String>,
}

impl RunFile {
    const NAME: &str = "run.json";

    pub(crate) fn save(&self, criterion_dir: &Path) -> anyhow::Result<()> {
        let path = criterion_dir.join(Self::NAME);
        fs::write(&path, serde_json::to_string_pretty(self)?)
            .with_context(|| format!("writing {}", path.display()))
    }

    fn load(criterion_dir: &Path) -> anyhow::Result<RunFile> {
        let path = criterion_dir.join(Self::NAME);
        let text = fs::read_to_string(&path).with_context(|| {
            format!("no previous run: cannot read {}", path.display())
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("malformed {}", path.display()))
    }
}

/// The run file keeps the machine in the report's own JSON shape.
mod machine_json {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value;

    use super::Machine;

    pub(super) fn serialize<S: Serializer>(
        machine: &Machine,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        machine.to_json().serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Machine, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Machine::from_json(&value)
            .ok_or_else(|| D::Error::custom("malformed machine"))
    }
}

/// What the bench targets left: criterion measurements and paired speedups.
#[derive(Debug)]
pub(crate) struct Ran {
    /// The bench targets that ran.
    pub(crate) benches: Vec<String>,
    pub(crate) measurements: Vec<Measurement>,
    pub(crate) paired_rows: Vec<paired::PairedRow>,
}

/// The last run's file and results, read back for `--report-only`.
pub(crate) fn load_last_run(criterion_dir: &Path) -> anyhow::Result<(RunFile, Ran)> {
    let run = RunFile::load(criterion_dir)?;
    let mut measurements = Vec::new();
    let mut paired_rows = Vec::new();
    for bench in &run.benches {
        let dir = criterion_dir.join(bench);
        if bench == paired::BENCH {
            paired_rows.extend(paired::read(&dir.join(paired::FILE))?);
        } else {
            measurements.extend(criterion::read_dir(bench, &dir)?);
        }
    }
    let ran = Ran {
        benches: run.benches.clone(),
        measurements,
        paired_rows,
    };
    Ok((run, ran))
}

/// The time since `started`, as the report writes times.
fn elapsed(started: Instant) -> String {
    workloads::report::format_seconds(started.elapsed().as_secs_f64())
}
