//! Test-only: a fake process environment for the functions that read Slurm's
//! variables through a lookup (`|name| std::env::var(name).ok()` in the
//! program): [`crate::shard::shard_from_slurm`] and
//! [`crate::slurm::cluster_from_slurm`]. Their unit tests set variables here
//! instead of in the real environment, which tests running in parallel share.

use std::collections::HashMap;

/// A lookup that sees exactly the variables `pairs`, as the real one would
/// if they were the only ones set.
pub(crate) fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}
