//! The name of each strategy this chapter measures: one constant used by
//! the demo's table, the benchmarks' ids and the book, so one strategy has
//! one name everywhere. No `/` in a name (it separates a benchmark id's parts).

/// The whole sweep on one process's thread pool ([`crate::array::run_tasks`]).
pub const THREAD_POOL: &str = "thread pool";
/// Every shard as a process into a results directory, then
/// [`crate::array::merge`].
pub const JOB_ARRAY: &str = "job array + merge";
/// The array resubmitted over a complete results directory: start-up only.
pub const JOB_ARRAY_RERUN: &str = "job array rerun, all stored";

/// Where a timely cluster's processes run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelyRoute {
    /// Its workers are threads of this process.
    InProcess,
    /// One process, spawned as a child.
    Spawned,
    /// Several processes over TCP.
    Tcp,
}

/// The name of a timely run: `timely 2 processes x 1 worker, TCP`.
pub fn timely(processes: u64, workers: u64, route: TimelyRoute) -> String {
    let plural = |n: u64, word: &str| match (n, word.ends_with('s')) {
        (1, _) => format!("{n} {word}"),
        (_, true) => format!("{n} {word}es"),
        (_, false) => format!("{n} {word}s"),
    };
    let shape = format!(
        "timely {} x {}",
        plural(processes, "process"),
        plural(workers, "worker")
    );
    match route {
        TimelyRoute::InProcess => shape,
        TimelyRoute::Spawned => format!("{shape}, spawned"),
        TimelyRoute::Tcp => format!("{shape}, TCP"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timely_names_read_as_the_benchmarks_ids() {
        assert_eq!(
            timely(1, 2, TimelyRoute::InProcess),
            "timely 1 process x 2 workers"
        );
        assert_eq!(
            timely(1, 2, TimelyRoute::Spawned),
            "timely 1 process x 2 workers, spawned"
        );
        assert_eq!(
            timely(2, 1, TimelyRoute::Tcp),
            "timely 2 processes x 1 worker, TCP"
        );
    }
}
