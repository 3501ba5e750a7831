//! Splitting a sweep of `size` tasks into `count` shards, one per job-array task,
//! and finding "which shard am I": `--shard i/n` by hand, or `--shards n` in a
//! job array, where the shard index is `SLURM_ARRAY_TASK_ID`.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// Why a shard could not be determined: always a usage error (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShardError {
    /// `--shard` was not of the form `i/n` with `0 <= i < n`.
    #[error("`{0}` is not a shard: expected `i/n` with 0 <= i < n, e.g. `0/4`")]
    Syntax(String),
    /// Neither `--shard` nor `--shards` was given.
    #[error(
        "which shard? pass --shards N inside a Slurm job array (the shard is \
         SLURM_ARRAY_TASK_ID), or --shard i/n to run shard i of n by hand"
    )]
    NoShardCount,
    /// `--shards` was given outside a job array, without `--shard`.
    #[error(
        "--shards {0} given, but SLURM_ARRAY_TASK_ID is not set: this is not a \
         job-array task; pass --shard i/{0} to run shard i here"
    )]
    NotInArray(u64),
    /// `--shard i/n` and `--shards m` disagree.
    #[error("--shard {shard} disagrees with --shards {shards}")]
    Disagree {
        /// The `--shard` flag.
        shard: Shard,
        /// The `--shards` flag.
        shards: u64,
    },
    /// `SLURM_ARRAY_TASK_ID` is not a number.
    #[error("SLURM_ARRAY_TASK_ID={0:?} is not a non-negative integer")]
    BadTaskId(String),
    /// The array task id is not a shard index of the job.
    #[error(
        "array task id {id} is not a shard of this job: with --shards {shards} \
         the ids are 0..={last}; submit --array=0-{last}, or any subset of it"
    )]
    IdOutOfRange {
        /// `SLURM_ARRAY_TASK_ID`.
        id: u64,
        /// `--shards`.
        shards: u64,
        /// `shards - 1`, for the message.
        last: u64,
    },
    /// More shards than tasks: some shards would have nothing to do (and a
    /// huge count would take forever to check).
    #[error(
        "{shards} shards for {size} tasks: use at most one shard per task \
         (--shards {size} or fewer)"
    )]
    TooMany {
        /// The shard count asked for.
        shards: u64,
        /// Tasks in the sweep.
        size: u64,
    },
}

// ANCHOR: shard
/// Shard `index` of `count`: which slice of the sweep one array task runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: u64,
    /// How many shards the sweep is split into (≥ 1).
    pub count: u64,
}

impl Shard {
    /// Shard `index` of `count`, or `None` unless `index < count`.
    pub fn new(index: u64, count: u64) -> Option<Shard> {
        (index < count).then_some(Shard { index, count })
    }

    /// The tasks of this shard out of `0..size`: a contiguous block, the
    /// blocks of shards `0..count` tile `0..size` exactly, and their lengths
    /// differ by at most one (some are empty when `count > size`).
    pub fn range(self, size: u64) -> Range<u64> {
        let bound = |k: u64| {
            (u128::from(size) * u128::from(k) / u128::from(self.count)) as u64
        };
        bound(self.index)..bound(self.index + 1)
    }

    /// Every shard of `count`, in order.
    pub fn all(count: u64) -> impl Iterator<Item = Shard> {
        (0..count).map(move |index| Shard { index, count })
    }
}
// ANCHOR_END: shard

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    /// Parses `i/n`, e.g. `0/4` (the first of four shards).
    fn from_str(text: &str) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax(text.to_owned());
        let (index, count) = text.split_once('/').ok_or_else(syntax)?;
        let index = index.trim().parse().map_err(|_| syntax())?;
        let count = count.trim().parse().map_err(|_| syntax())?;
        Shard::new(index, count).ok_or_else(syntax)
    }
}

// ANCHOR: from_slurm
/// The shard of this Slurm array task, read through `var` (pass
/// `|name| std::env::var(name).ok()`), for a job split into `shards` shards.
///
/// The shard count belongs to the job (`--shards N`, set once in the job
/// script); the shard index is `SLURM_ARRAY_TASK_ID`, which must be one of
/// `0..N`. Nothing else of Slurm's array environment is read, so any subset
/// of the ids (`--array=0-3`, `--array=1,3`, `--array=2`) runs exactly those
/// shards, and resubmitting the ids `merge` names completes the sweep.
/// Returns `Ok(None)` outside a job array.
pub fn shard_from_slurm(
    shards: u64,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<Shard>, ShardError> {
    let Some(id) = var("SLURM_ARRAY_TASK_ID") else {
        return Ok(None);
    };
    let id: u64 = id.trim().parse().map_err(|_| ShardError::BadTaskId(id))?;
    let out_of_range = ShardError::IdOutOfRange {
        id,
        shards,
        last: shards.saturating_sub(1),
    };
    Shard::new(id, shards).map(Some).ok_or(out_of_range)
}
// ANCHOR_END: from_slurm

/// The shard this process runs: `--shard i/n` if given (checked against
/// `--shards` if both are), else shard `SLURM_ARRAY_TASK_ID` of `--shards`.
/// Also refuses more shards than the `size` tasks of the sweep.
pub fn resolve_shard(
    flag: Option<Shard>,
    shards: Option<u64>,
    size: u64,
) -> Result<Shard, ShardError> {
    let shard = match (flag, shards) {
        (Some(shard), Some(n)) if shard.count != n => {
            return Err(ShardError::Disagree { shard, shards: n });
        }
        (Some(shard), _) => shard,
        (None, Some(n)) => shard_from_slurm(n, |name| std::env::var(name).ok())?
            .ok_or(ShardError::NotInArray(n))?,
        (None, None) => return Err(ShardError::NoShardCount),
    };
    check_count(shard.count, size)?;
    Ok(shard)
}

/// Refuses a shard count above the number of tasks (at least 1).
pub fn check_count(shards: u64, size: u64) -> Result<(), ShardError> {
    if shards > size.max(1) {
        return Err(ShardError::TooMany { shards, size });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake_env::env;

    #[test]
    fn parses_i_of_n() {
        assert_eq!("0/4".parse(), Ok(Shard { index: 0, count: 4 }));
        assert_eq!(" 3 / 4 ".parse(), Ok(Shard { index: 3, count: 4 }));
        for bad in ["4/4", "1/0", "a/2", "1", "-1/2", "1/2/3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
        assert_eq!(Shard { index: 2, count: 5 }.to_string(), "2/5");
    }

    #[test]
    fn ranges_are_balanced_blocks() {
        let ranges: Vec<_> = Shard::all(4).map(|s| s.range(10)).collect();
        assert_eq!(ranges, vec![0..2, 2..5, 5..7, 7..10]);
        let ranges: Vec<_> = Shard::all(3).map(|s| s.range(2)).collect();
        assert_eq!(ranges, vec![0..0, 0..1, 1..2], "more shards than tasks");
        let huge = Shard { index: 1, count: 2 }.range(u64::MAX);
        assert_eq!(huge.end, u64::MAX, "no overflow");
    }

    #[test]
    fn the_array_task_id_is_the_shard_index() {
        let shard = |pairs: &[(&str, &str)]| shard_from_slurm(4, env(pairs));
        assert_eq!(shard(&[]), Ok(None), "not in an array");
        // Whatever the array's other ids, id i is shard i/4: --array=1,3
        // runs shards 1 and 3, and Slurm's COUNT, MIN and STEP are ignored.
        for (id, count) in [("1", "2"), ("3", "2"), ("2", "1"), ("0", "4")] {
            let pairs = [
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_COUNT", count),
                ("SLURM_ARRAY_TASK_MIN", "1"),
                ("SLURM_ARRAY_TASK_STEP", "1"),
            ];
            let index = id.parse().unwrap();
            assert_eq!(shard(&pairs), Ok(Shard::new(index, 4)), "id {id}");
        }
    }

    #[test]
    fn bad_slurm_environments_are_errors() {
        let shard = |pairs: &[(&str, &str)]| shard_from_slurm(4, env(pairs));
        let not_a_number = shard(&[("SLURM_ARRAY_TASK_ID", "x")]);
        assert_eq!(not_a_number, Err(ShardError::BadTaskId("x".into())));
        let err = shard(&[("SLURM_ARRAY_TASK_ID", "4")]).unwrap_err();
        assert!(err.to_string().contains("--array=0-3"), "{err}");
    }

    #[test]
    fn flags_resolve_or_explain() {
        let two = Shard::new(1, 2);
        assert_eq!(resolve_shard(two, None, 10), Ok(two.unwrap()));
        assert_eq!(resolve_shard(two, Some(2), 10), Ok(two.unwrap()));
        assert!(matches!(
            resolve_shard(two, Some(3), 10),
            Err(ShardError::Disagree { .. })
        ));
        assert_eq!(resolve_shard(None, None, 10), Err(ShardError::NoShardCount));
        assert!(matches!(
            resolve_shard(Shard::new(0, 11), None, 10),
            Err(ShardError::TooMany { .. })
        ));
        assert_eq!(check_count(1, 0), Ok(()), "one shard of nothing is fine");
        assert!(check_count(1_000_000_000_000_000_000, 13).is_err());
    }
}
