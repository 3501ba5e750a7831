//! Splitting a sweep of `size` tasks into `count` shards, one per job-array task,
//! and finding "which shard am I" from `--shard i/n` or Slurm's environment.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// Why a shard could not be determined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    /// `--shard` was not of the form `i/n` with `0 <= i < n`.
    #[error("`{0}` is not a shard: expected `i/n` with 0 <= i < n, e.g. `0/4`")]
    Syntax(String),
    /// Neither `--shard` nor `SLURM_ARRAY_TASK_ID` was given.
    #[error(
        "no shard given: pass --shard i/n, or run inside a Slurm job array \
         (SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT are not set)"
    )]
    NotInArray,
    /// A Slurm variable is missing or not a number.
    #[error("{name}={value:?} is not usable: {reason}")]
    SlurmVar {
        /// The variable's name.
        name: &'static str,
        /// Its value (empty if unset).
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The array task id does not map onto `0..count`.
    #[error(
        "array task id {id} is not one of the {count} ids {min}, {min}+{step}, ...: \
         submit a contiguous array such as --array=0-{last}"
    )]
    IdOutOfRange {
        /// `SLURM_ARRAY_TASK_ID`.
        id: u64,
        /// `SLURM_ARRAY_TASK_MIN`.
        min: u64,
        /// `SLURM_ARRAY_TASK_STEP`.
        step: u64,
        /// `SLURM_ARRAY_TASK_COUNT`.
        count: u64,
        /// `count - 1`, for the message.
        last: u64,
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
/// `|name| std::env::var(name).ok()`).
///
/// Convention: the shard index is the *position* of the task in the array,
/// `(SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP`, and
/// the shard count is `SLURM_ARRAY_TASK_COUNT`. So `--array=0-3`, `--array=1-4`
/// and `--array=10-40:10` all mean shards `0/4 .. 3/4`. Arrays given as a list
/// (`--array=1,5,9`) are rejected unless they are evenly spaced: submit a range.
/// Returns `Ok(None)` outside a job array.
pub fn shard_from_slurm(
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<Shard>, ShardError> {
    let Some(id) = var("SLURM_ARRAY_TASK_ID") else {
        return Ok(None);
    };
    let number = |name: &'static str, value: Option<String>| {
        let value = value.unwrap_or_default();
        value
            .trim()
            .parse::<u64>()
            .map_err(|_| ShardError::SlurmVar {
                name,
                value: value.clone(),
                reason: "expected a non-negative integer",
            })
    };
    let id = number("SLURM_ARRAY_TASK_ID", Some(id))?;
    let count = number("SLURM_ARRAY_TASK_COUNT", var("SLURM_ARRAY_TASK_COUNT"))?;
    // MIN and STEP are set by every Slurm that sets COUNT; default to 0 and 1.
    let min = match var("SLURM_ARRAY_TASK_MIN") {
        Some(v) => number("SLURM_ARRAY_TASK_MIN", Some(v))?,
        None => 0,
    };
    let step = match var("SLURM_ARRAY_TASK_STEP") {
        Some(v) => number("SLURM_ARRAY_TASK_STEP", Some(v))?,
        None => 1,
    };
    if count == 0 || step == 0 {
        return Err(ShardError::SlurmVar {
            name: if count == 0 {
                "SLURM_ARRAY_TASK_COUNT"
            } else {
                "SLURM_ARRAY_TASK_STEP"
            },
            value: "0".into(),
            reason: "must be at least 1",
        });
    }
    let out_of_range = ShardError::IdOutOfRange {
        id,
        min,
        step,
        count,
        last: count - 1,
    };
    let offset = id.checked_sub(min).ok_or(out_of_range.clone())?;
    if offset % step != 0 {
        return Err(out_of_range);
    }
    Shard::new(offset / step, count)
        .map(Some)
        .ok_or(out_of_range)
}
// ANCHOR_END: from_slurm

/// `--shard` if given, else Slurm's environment of this process; an error if
/// neither says which shard this is.
pub fn resolve_shard(flag: Option<Shard>) -> Result<Shard, ShardError> {
    match flag {
        Some(shard) => Ok(shard),
        None => shard_from_slurm(|name| std::env::var(name).ok())?
            .ok_or(ShardError::NotInArray),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

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

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn slurm_ids_are_positions_in_the_array() {
        let shard = |pairs: &[(&str, &str)]| shard_from_slurm(env(pairs));
        assert_eq!(shard(&[]), Ok(None), "not in an array");
        let zero_based = [
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(shard(&zero_based), Ok(Shard::new(2, 4)));
        let one_based = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_STEP", "1"),
        ];
        assert_eq!(shard(&one_based), Ok(Shard::new(3, 4)));
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "30"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "10"),
            ("SLURM_ARRAY_TASK_STEP", "10"),
        ];
        assert_eq!(shard(&stepped), Ok(Shard::new(2, 4)));
    }

    #[test]
    fn bad_slurm_environments_are_errors() {
        let shard = |pairs: &[(&str, &str)]| shard_from_slurm(env(pairs));
        let no_count = shard(&[("SLURM_ARRAY_TASK_ID", "1")]).unwrap_err();
        assert!(no_count.to_string().contains("SLURM_ARRAY_TASK_COUNT"));
        let not_a_number = [
            ("SLURM_ARRAY_TASK_ID", "x"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert!(matches!(
            shard(&not_a_number),
            Err(ShardError::SlurmVar { .. })
        ));
        let past_the_end = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        let err = shard(&past_the_end).unwrap_err();
        assert!(err.to_string().contains("--array=0-3"), "{err}");
        let off_step = [
            ("SLURM_ARRAY_TASK_ID", "5"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ];
        assert!(
            matches!(shard(&off_step), Ok(Some(_))),
            "1,3,5: 5 is shard 2"
        );
        let listed = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ];
        assert!(matches!(
            shard(&listed),
            Err(ShardError::IdOutOfRange { .. })
        ));
        assert_eq!(
            resolve_shard(Shard::new(1, 2)),
            Ok(Shard { index: 1, count: 2 })
        );
    }
}
