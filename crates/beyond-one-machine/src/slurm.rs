//! A timely cluster's addresses from Slurm's environment, so that no hostfile
//! (and no shared file system) is needed: every task of an `srun` step
//! derives the same list, one `host:port` line per task, from
//! `SLURM_STEP_NODELIST`, `SLURM_STEP_TASKS_PER_NODE` and the job id.
//!
//! Tasks are placed as `srun --distribution=block` places them: the first
//! node's tasks get ranks `0..k`, the next node's the ranks after. Ports:
//! - with `SLURM_STEP_RESV_PORTS` (`srun --resv-ports`, or a site whose
//!   `MpiParams` reserves ports), task `l` of a node listens on the reserved
//!   range's first port `+ l`: Slurm keeps these free of other jobs;
//! - otherwise task `r` listens on `10000 + (job id % 220) * 100 + r`: two
//!   jobs collide only if their ids agree modulo 220 *and* they share a
//!   node, and then the handshake's job identity turns the collision into a
//!   clear error rather than a mixed-up cluster.

/// How long a task of an `srun` step waits, after printing its error, before
/// it exits: see [`let_the_log_catch_up`].
pub const LOG_CATCH_UP: std::time::Duration = std::time::Duration::from_millis(200);

/// Gives Slurm time to carry the error just printed into the job's log.
/// `srun` forwards a task's output asynchronously; when a task exits the
/// moment it printed, the step can end before its last line reaches `srun`,
/// and the log says only "exit code 1". Measured on Slurm 22.05 with a killed
/// peer: the line was lost in 5 of 20 jobs, and in 0 of 35 with this pause.
/// Outside Slurm (no `SLURM_STEP_ID`) it returns at once.
pub fn let_the_log_catch_up() {
    if std::env::var_os("SLURM_STEP_ID").is_some() {
        std::thread::sleep(LOG_CATCH_UP);
    }
}

/// What the Slurm environment says about this task's cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmCluster {
    /// One `host:port` per task, in rank order.
    pub addresses: Vec<String>,
    /// This task's rank (`SLURM_PROCID`).
    pub rank: usize,
    /// The job and step, as one number for the handshake.
    pub job: u64,
}

/// Why the environment does not describe a cluster.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SlurmError {
    /// A variable is missing or malformed.
    #[error("{name}={value:?}: {reason} (is this a task of `srun`?)")]
    Var {
        /// The variable.
        name: &'static str,
        /// Its value, empty if unset.
        value: String,
        /// What is wrong.
        reason: String,
    },
}

fn var_error(
    name: &'static str,
    value: &str,
    reason: impl Into<String>,
) -> SlurmError {
    SlurmError::Var {
        name,
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// Expands a Slurm host list: `n[1-3,7],gpu01` is `n1 n2 n3 n7 gpu01`;
/// zero padding is kept (`n[08-10]` is `n08 n09 n10`); several bracket
/// groups in one name multiply (`r[1-2]n[1-2]`).
pub fn expand_hostlist(list: &str) -> Result<Vec<String>, String> {
    let mut hosts = Vec::new();
    for name in split_top_level(list.trim()) {
        hosts.extend(expand_name(&name)?);
    }
    Ok(hosts)
}

/// Splits at commas outside brackets.
fn split_top_level(list: &str) -> Vec<String> {
    let (mut parts, mut current, mut depth) = (Vec::new(), String::new(), 0);
    for c in list.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts.into_iter().filter(|p| !p.is_empty()).collect()
}

fn expand_name(name: &str) -> Result<Vec<String>, String> {
    let Some(open) = name.find('[') else {
        return Ok(vec![name.to_owned()]);
    };
    let close = name[open..]
        .find(']')
        .map(|c| open + c)
        .ok_or_else(|| format!("unclosed `[` in {name}"))?;
    let (prefix, ranges, rest) =
        (&name[..open], &name[open + 1..close], &name[close + 1..]);
    let tails = expand_name(rest)?;
    let mut names = Vec::new();
    for range in ranges.split(',') {
        let (lo, hi) = range.split_once('-').unwrap_or((range, range));
        let bad = || format!("bad range `{range}` in {name}");
        let (a, b) = (
            lo.parse::<u64>().map_err(|_| bad())?,
            hi.parse::<u64>().map_err(|_| bad())?,
        );
        if b < a || b - a > 100_000 {
            return Err(bad());
        }
        for k in a..=b {
            for tail in &tails {
                names.push(format!("{prefix}{k:0width$}{tail}", width = lo.len()));
            }
        }
    }
    Ok(names)
}

/// Expands `SLURM_STEP_TASKS_PER_NODE`: `2(x3),1` is `[2, 2, 2, 1]`.
pub fn expand_tasks_per_node(text: &str) -> Result<Vec<usize>, String> {
    let mut counts = Vec::new();
    for part in text.trim().split(',') {
        let bad = || format!("bad entry `{part}`");
        let (count, times) = match part.split_once("(x") {
            Some((count, times)) => {
                (count, times.strip_suffix(')').ok_or_else(bad)?)
            }
            None => (part, "1"),
        };
        let count: usize = count.parse().map_err(|_| bad())?;
        let times: usize = times.parse().map_err(|_| bad())?;
        counts.extend(std::iter::repeat_n(count, times));
    }
    Ok(counts)
}

// ANCHOR: cluster_from_slurm
/// The cluster of this `srun` task, read through `var` (pass
/// `|name| std::env::var(name).ok()`): one address per task, in rank order.
pub fn cluster_from_slurm(
    var: impl Fn(&str) -> Option<String>,
) -> Result<SlurmCluster, SlurmError> {
    let get =
        |name: &'static str| var(name).ok_or_else(|| var_error(name, "", "not set"));
    let number = |name: &'static str| -> Result<u64, SlurmError> {
        let value = get(name)?;
        value
            .trim()
            .parse()
            .map_err(|_| var_error(name, &value, "not a number"))
    };
    let nodelist = get("SLURM_STEP_NODELIST")?;
    let nodes = expand_hostlist(&nodelist)
        .map_err(|why| var_error("SLURM_STEP_NODELIST", &nodelist, why))?;
    let per_node_text = get("SLURM_STEP_TASKS_PER_NODE")?;
    let per_node = expand_tasks_per_node(&per_node_text).map_err(|why| {
        var_error("SLURM_STEP_TASKS_PER_NODE", &per_node_text, why)
    })?;
    if per_node.len() != nodes.len() {
        let why = format!("{} counts for {} nodes", per_node.len(), nodes.len());
        return Err(var_error("SLURM_STEP_TASKS_PER_NODE", &per_node_text, why));
    }
    let job = number("SLURM_JOB_ID")?;
    let step = var("SLURM_STEP_ID").and_then(|s| s.trim().parse::<u64>().ok());
    // (base, whether the offset is the local task id rather than the rank)
    let (base, per_node_ports) = match var("SLURM_STEP_RESV_PORTS") {
        Some(ports) => {
            let first = ports.split(['-', ',']).next().unwrap_or_default();
            let first: u16 = first.parse().map_err(|_| {
                var_error("SLURM_STEP_RESV_PORTS", &ports, "not a port range")
            })?;
            (u32::from(first), true)
        }
        None => (10_000 + (job % 220) as u32 * 100, false),
    };
    let mut addresses = Vec::new();
    for (node, &tasks) in nodes.iter().zip(&per_node) {
        for local in 0..tasks as u32 {
            let offset = if per_node_ports {
                local
            } else {
                addresses.len() as u32
            };
            let port = u16::try_from(base + offset).map_err(|_| {
                var_error(
                    "SLURM_STEP_TASKS_PER_NODE",
                    &per_node_text,
                    "too many tasks per node",
                )
            })?;
            addresses.push(format!("{node}:{port}"));
        }
    }
    let rank = number("SLURM_PROCID")? as usize;
    if rank >= addresses.len() {
        let why = format!("rank {rank} of {} tasks", addresses.len());
        return Err(var_error("SLURM_PROCID", &rank.to_string(), why));
    }
    Ok(SlurmCluster {
        addresses,
        rank,
        job: job << 16 | step.unwrap_or(0) & 0xffff,
    })
}
// ANCHOR_END: cluster_from_slurm

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_env::env;

    #[test]
    fn host_lists_expand_as_slurm_writes_them() {
        let hosts = |s: &str| expand_hostlist(s).unwrap();
        assert_eq!(hosts("n1"), ["n1"]);
        assert_eq!(hosts("n[1-3,7],gpu01"), ["n1", "n2", "n3", "n7", "gpu01"]);
        assert_eq!(hosts("n[08-10]"), ["n08", "n09", "n10"]);
        assert_eq!(hosts("r[1-2]n[1-2]"), ["r1n1", "r1n2", "r2n1", "r2n2"]);
        assert!(expand_hostlist("n[3-1]").is_err());
        assert!(expand_hostlist("n[1-").is_err());
        assert_eq!(expand_tasks_per_node("2(x3),1").unwrap(), [2, 2, 2, 1]);
        assert!(expand_tasks_per_node("2(x").is_err());
    }

    #[test]
    fn one_address_per_task_with_ports_per_job_and_local_task() {
        let pairs = [
            ("SLURM_STEP_NODELIST", "a,b[1-2]"),
            ("SLURM_STEP_TASKS_PER_NODE", "2,1(x2)"),
            ("SLURM_JOB_ID", "445"),
            ("SLURM_STEP_ID", "0"),
            ("SLURM_PROCID", "1"),
        ];
        let cluster = cluster_from_slurm(env(&pairs)).unwrap();
        // 445 % 220 = 5: base port 10500, plus the rank.
        assert_eq!(
            cluster.addresses,
            ["a:10500", "a:10501", "b1:10502", "b2:10503"]
        );
        assert_eq!(cluster.rank, 1);
        let mut reserved = pairs.to_vec();
        reserved.push(("SLURM_STEP_RESV_PORTS", "12000-12001"));
        let cluster = cluster_from_slurm(env(&reserved)).unwrap();
        // Reserved ports are per node: local task ids, not ranks.
        assert_eq!(cluster.addresses[1..3], ["a:12001", "b1:12000"]);
        let other_job = [("SLURM_JOB_ID", "446"), pairs[0], pairs[1], pairs[4]];
        assert_ne!(
            cluster_from_slurm(env(&other_job)).unwrap().addresses[0],
            "a:10500"
        );
        let err = cluster_from_slurm(env(&pairs[1..])).unwrap_err();
        assert!(err.to_string().contains("SLURM_STEP_NODELIST"), "{err}");
    }
}
