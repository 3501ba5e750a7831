//! Reads criterion's output directory: every `<benchmark>/new/benchmark.json`
//! (the ids: group, function, parameter) with its sibling `estimates.json` (the
//! statistics). Directory names are never parsed: criterion sanitises them.
//!
//! The naming contract (`benches/src/lib.rs`): group `<bench>/<workload>`,
//! function = strategy, parameter `jobs=J,n=N` or `jobs=J,n=N,<size>=S`.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// One benchmark's result.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Measurement {
    /// The bench target that produced it (`thread_pools`).
    pub(crate) bench: String,
    /// The whole group name (`thread_pools/pi`).
    pub(crate) group: String,
    /// The part of the group after `<bench>/` (`pi`).
    pub(crate) workload: String,
    /// Criterion's function name.
    pub(crate) strategy: String,
    /// Workers.
    pub(crate) jobs: usize,
    /// Tasks per iteration.
    pub(crate) n: u64,
    /// The size of each task and the name of its unit, for sized benches.
    pub(crate) size: Option<(String, u64)>,
    /// Median time per iteration, with its 95 % confidence interval, in ns.
    pub(crate) median_ns: f64,
    pub(crate) median_low_ns: f64,
    pub(crate) median_high_ns: f64,
    /// Mean time per iteration, ns.
    pub(crate) mean_ns: f64,
    /// Criterion's title: what `--list` prints.
    pub(crate) title: String,
}

#[cfg(test)]
impl Measurement {
    /// A measurement for tests: `group` is `bench/workload`, and every
    /// estimate is `median_ns`.
    pub(crate) fn fixture(
        group: &str,
        strategy: &str,
        jobs: usize,
        n: u64,
        median_ns: f64,
    ) -> Measurement {
        let (bench, workload) = group.split_once('/').unwrap();
        Measurement {
            bench: bench.into(),
            group: group.into(),
            workload: workload.into(),
            strategy: strategy.into(),
            jobs,
            n,
            size: None,
            median_ns,
            median_low_ns: median_ns,
            median_high_ns: median_ns,
            mean_ns: median_ns,
            title: format!("{group}/{strategy}/jobs={jobs},n={n}"),
        }
    }
}

/// A benchmark's parameter, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parameter {
    pub(crate) jobs: usize,
    pub(crate) n: u64,
    /// The task size and the name of its unit.
    pub(crate) size: Option<(String, u64)>,
}

/// `jobs=J,n=N[,<size>=S]`, parsed: the one reader of the parameter that
/// `benches::id` and `benches::sized_id` write (the xtask does not depend on
/// the benches).
pub(crate) fn parse_parameter(parameter: &str) -> Option<Parameter> {
    let mut parts = parameter.split(',');
    let jobs = parts.next()?.strip_prefix("jobs=")?.parse().ok()?;
    let n = parts.next()?.strip_prefix("n=")?.parse().ok()?;
    let size = match parts.next() {
        None => None,
        Some(part) => {
            let (name, value) = part.split_once('=')?;
            if name.is_empty() || name == "jobs" || name == "n" {
                return None;
            }
            Some((name.to_string(), value.parse().ok()?))
        }
    };
    if parts.next().is_some() {
        return None;
    }
    Some(Parameter { jobs, n, size })
}

/// Every measurement under `dir`, the criterion output of bench target `bench`,
/// sorted by title. A `benchmark.json` without its `estimates.json`, a
/// malformed file, or an id off the naming contract is an error naming the
/// bench and the file.
pub(crate) fn read_dir(bench: &str, dir: &Path) -> anyhow::Result<Vec<Measurement>> {
    let mut found = Vec::new();
    for new_dir in new_dirs(dir)? {
        let benchmark = new_dir.join("benchmark.json");
        if !benchmark.is_file() {
            continue;
        }
        let measurement = read_one(bench, &new_dir).with_context(|| {
            format!("bench `{bench}`: reading {}", new_dir.display())
        })?;
        found.push(measurement);
    }
    found.sort_by(|a, b| a.title.cmp(&b.title));
    Ok(found)
}

/// Every directory named `new` below `dir` (criterion's latest results;
/// `base` and `change` hold comparisons with earlier runs).
fn new_dirs(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if !path.is_dir() {
                continue;
            }
            if path.file_name().is_some_and(|n| n == "new") {
                found.push(path);
            } else {
                pending.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Criterion's `benchmark.json`: the ids of one benchmark.
#[derive(Debug, Deserialize)]
struct BenchmarkFile {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    title: String,
    throughput: Option<Throughput>,
}

/// Criterion's throughput; only `Elements` (tasks) is part of the contract.
#[derive(Debug, Deserialize)]
struct Throughput {
    #[serde(rename = "Elements")]
    elements: Option<u64>,
}

/// Criterion's `estimates.json`: the statistics this report uses.
#[derive(Debug, Deserialize)]
struct EstimatesFile {
    mean: Option<Estimate>,
    median: Option<Estimate>,
}

/// One statistic: its point estimate and confidence interval, in ns.
#[derive(Debug, Deserialize)]
struct Estimate {
    point_estimate: f64,
    confidence_interval: ConfidenceInterval,
}

#[derive(Debug, Deserialize)]
struct ConfidenceInterval {
    lower_bound: f64,
    upper_bound: f64,
}

fn read_json<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = fs::read_to_string(path)
        .with_context(|| format!("missing or unreadable {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("malformed {}", path.display()))
}

/// A statistic's (point, lower, upper) bounds, each finite and not negative.
fn bounds(name: &str, estimate: Option<Estimate>) -> anyhow::Result<[f64; 3]> {
    let estimate =
        estimate.ok_or_else(|| anyhow!("estimates.json has no `{name}`"))?;
    let values = [
        ("point", estimate.point_estimate),
        ("lower_bound", estimate.confidence_interval.lower_bound),
        ("upper_bound", estimate.confidence_interval.upper_bound),
    ];
    for (field, value) in values {
        if !(value.is_finite() && value >= 0.0) {
            bail!("estimates.json: no valid `{name}` {field}");
        }
    }
    Ok(values.map(|(_, value)| value))
}

fn read_one(bench: &str, new_dir: &Path) -> anyhow::Result<Measurement> {
    let id: BenchmarkFile = read_json(&new_dir.join("benchmark.json"))?;
    let estimates: EstimatesFile = read_json(&new_dir.join("estimates.json"))?;
    let text = |key: &str, value: Option<String>| {
        value.ok_or_else(|| anyhow!("benchmark.json has no string `{key}`"))
    };
    let strategy = text("function_id", id.function_id)?;
    let parameter = text("value_str", id.value_str)?;
    let (group, title) = (id.group_id, id.title);
    let workload = group
        .strip_prefix(bench)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|w| !w.is_empty())
        .ok_or_else(|| {
            anyhow!("group `{group}` is not named `{bench}/<workload>` (use benches::group)")
        })?
        .to_string();
    let Parameter { jobs, n, size } =
        parse_parameter(&parameter).ok_or_else(|| {
            anyhow!(
                "`{title}`: parameter `{parameter}` is not `jobs=J,n=N[,<size>=S]` \
             (use benches::id or benches::sized_id)"
            )
        })?;
    if jobs == 0 || n == 0 {
        bail!("`{title}`: jobs and n must be at least 1");
    }
    if let Some(elements) = id.throughput.and_then(|t| t.elements)
        && elements != n
    {
        bail!("`{title}`: throughput is {elements} elements but n = {n}");
    }
    let [median_ns, median_low_ns, median_high_ns] =
        bounds("median", estimates.median)?;
    let [mean_ns, ..] = bounds("mean", estimates.mean)?;
    if median_ns <= 0.0 {
        bail!("`{title}`: median time is zero");
    }
    Ok(Measurement {
        bench: bench.to_string(),
        group,
        workload,
        strategy,
        jobs,
        n,
        size,
        median_ns,
        median_low_ns,
        median_high_ns,
        mean_ns,
        title,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_follow_the_benches_contract() {
        let parameter = |jobs, n, size| Some(Parameter { jobs, n, size });
        assert_eq!(parse_parameter("jobs=2,n=16"), parameter(2, 16, None));
        assert_eq!(
            parse_parameter("jobs=1,n=16,trials=300"),
            parameter(1, 16, Some(("trials".into(), 300)))
        );
        for bad in [
            "n=16",
            "jobs=2",
            "jobs=x,n=1",
            "jobs=1,n=2,t",
            "jobs=1,n=2,a=1,b=2",
        ] {
            assert_eq!(parse_parameter(bad), None, "{bad}");
        }
    }
}
