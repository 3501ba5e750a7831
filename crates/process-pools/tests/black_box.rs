//! The black box ([`process_pools`]'s `black_box` module): each worker
//! publishes the task it runs in memory it shares with the pool, and keeps
//! the results it has not sent there, instead of a message per task. The
//! worker maps it and keeps no descriptor to it; a crash in the middle of a
//! long chunk of fast tasks loses none of the results before it (the last
//! ones are read from the box) and runs none of them twice; and a worker
//! that cannot map its box keeps every guarantee, with a message per task.
//! (How the box fills up and is written out: the unit tests of `outbox`.)
//!
//! `cargo test -p process-pools --test black_box`

mod common;

use std::collections::HashMap;

use std::os::unix::fs::PermissionsExt;

use common::{bounded, pool};
use process_pools::demo::{Behaviour, Counted};
use process_pools::{PoolBuilder, ProcessPool};

/// Each worker maps a black box of its own, and keeps no descriptor to it
/// (a task cannot reach it by a guessed descriptor number).
#[test]
fn each_worker_maps_its_black_box_and_holds_no_descriptor_to_it() {
    bounded(60, || {
        let pool = pool(2).build().unwrap();
        assert_eq!(pool.map::<Counted>([]), []);
        for pid in pool.worker_pids() {
            assert_eq!(black_boxes(pid), 1, "worker {pid} maps one black box");
            let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).unwrap();
            for fd in fds.flatten() {
                let target = std::fs::read_link(fd.path()).unwrap_or_default();
                let target = target.to_string_lossy();
                assert!(!target.contains("black-box"), "worker {pid}: {target}");
            }
        }
    });
}

/// Tasks `0..n` of one chunk, each recording its executions in `dir`; task
/// `bad` aborts.
fn one_chunk(
    dir: &std::path::Path,
    n: u64,
    bad: u64,
) -> Vec<(String, u64, Behaviour)> {
    let path = dir.display().to_string();
    (0..n)
        .map(|i| {
            let behaviour = if i == bad {
                Behaviour::Abort
            } else {
                Behaviour::Return(i)
            };
            (path.clone(), i, behaviour)
        })
        .collect()
}

/// How many times each task ran, as `Counted` recorded it in `dir` (one
/// file `<task>.<pid>.<n>` per execution), read in one pass.
fn executions(dir: &std::path::Path) -> HashMap<u64, usize> {
    let mut runs = HashMap::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(Ok(task)) = name.split('.').next().map(str::parse) {
            *runs.entry(task).or_default() += 1;
        }
    }
    runs
}

fn crash_late_in_a_chunk(n: u64, bad: u64) {
    bounded(120, move || check_crash_late(pool(1), n, bad));
}

/// Task `bad` of one chunk of `n` aborts: it alone fails, every task ran
/// once.
fn check_crash_late(builder: PoolBuilder, n: u64, bad: u64) {
    {
        let dir = tempfile::tempdir().unwrap();
        let pool = builder.chunksize(n as usize).build().unwrap();
        let results = pool.map::<Counted>(one_chunk(dir.path(), n, bad));
        let runs = executions(dir.path());
        for (i, result) in results.iter().enumerate() {
            let i = i as u64;
            let runs = runs.get(&i).copied().unwrap_or(0);
            assert_eq!(runs, 1, "task {i} ran {runs} times");
            if i == bad {
                let error = result.as_ref().unwrap_err();
                assert_eq!(error.task as u64, bad, "{error}");
            } else {
                assert_eq!(result, &Ok(i), "task {i}");
            }
        }
    }
}

/// How many black boxes process `pid` maps.
fn black_boxes(pid: u32) -> usize {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    maps.lines()
        .filter(|l| l.contains("process-pools-black-box"))
        .count()
}

/// A worker that cannot map its black box (here a wrapper closes the
/// descriptor before it starts the worker, as a launcher that closes every
/// descriptor would) says `STARTED` before each task instead, with the same
/// guarantees.
#[test]
fn a_worker_without_its_black_box_keeps_every_guarantee() {
    bounded(120, || {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("closes-the-box.sh");
        let text = format!(
            "#!/bin/bash\neval \"exec ${{PROCESS_POOLS_BLACK_BOX}}>&-\"\nexec {} \"$@\"\n",
            common::WORKER
        );
        std::fs::write(&script, text).unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .unwrap();
        let builder = || ProcessPool::builder().workers(1).worker_exe(&script);
        let pool = builder().build().unwrap();
        assert_eq!(pool.map::<Counted>([]), []);
        assert_eq!(black_boxes(pool.worker_pids()[0]), 0, "no black box mapped");
        check_crash_late(builder(), 300, 250);
    });
}

#[test]
fn a_crash_late_in_a_long_chunk_of_fast_tasks_loses_and_repeats_none() {
    // The results of the last tasks before the crash are in the box only.
    crash_late_in_a_chunk(8000, 7990);
}
