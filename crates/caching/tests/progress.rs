//! `CachedSweep` with progress gives the same results as the plain sweeps,
//! counts every task (loaded or computed) and its failures, and writes its
//! last line when the sweep returns.

use std::time::Duration;

use caching::Memory;
use caching::sweep::{CachedSweep, cached_serial, resumable_sweep};
use workloads::progress::Progress;
use workloads::testing::Buffer;
use workloads::{TaskResult, Workload, WorkloadKind};

/// One way to run a sweep.
type Run = fn(&CachedSweep<'_>, &[u64]) -> Vec<TaskResult>;

#[test]
fn a_sweep_with_progress_counts_every_task_and_keeps_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path()).unwrap();
    let workload = Workload::prepare(WorkloadKind::Pi, 12, 100, 1.0).unwrap();
    let (spec, inputs) = (workload.spec(), workload.inputs());
    let every = Duration::from_secs(3600);
    let runs: [(&str, Run); 3] = [
        ("serial", |sweep, inputs| sweep.serial(inputs)),
        ("rayon", |sweep, inputs| sweep.rayon(inputs, 2).unwrap()),
        ("resumable", |sweep, inputs| {
            sweep.resumable(inputs.len() as u64, |_| {}).results
        }),
    ];
    let expected = cached_serial(&memory, spec, &inputs);
    for (name, run) in runs {
        let log = Buffer::default();
        let sweep = CachedSweep::new(&memory, spec).progress(Progress::lines_to(
            name,
            every,
            log.clone(),
        ));
        assert_eq!(run(&sweep, &inputs), expected, "{name}");
        let last = log.last_line();
        assert!(
            last.starts_with(&format!("[{name}] 12/12 done (100%)")),
            "{last}"
        );
        assert!(last.ends_with("finished"), "{last}");
    }
    let plain = resumable_sweep(&memory, spec, 12, |_| {});
    assert_eq!((plain.loaded, plain.computed), (12, 0));
}

#[test]
fn failed_tasks_are_counted_as_failures() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path()).unwrap();
    let workload = Workload::prepare(WorkloadKind::Files, 3, 1, 1.0).unwrap();
    let spec = workload.spec().clone();
    std::fs::remove_file(spec.corpus_file(1)).unwrap(); // task 1 cannot read its file
    let log = Buffer::default();
    let every = Duration::from_secs(3600);
    let results = CachedSweep::new(&memory, &spec)
        .progress(Progress::lines_to("files", every, log.clone()))
        .serial(&workload.inputs());
    assert!(results[1].is_err() && results[0].is_ok());
    assert!(
        log.last_line()
            .starts_with("[files] 3/3 done (100%), 1 failed"),
        "{}",
        log.last_line()
    );
}
