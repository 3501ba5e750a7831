//! Progress, off by default, one switch on: it counts completions and
//! failures of `map` and `imap` (a retried task once), and its last line
//! is written before the call returns.

mod common;

use std::time::Duration;

use common::{bounded, pool};
use process_pools::demo::{Behaviour, Flaky, Misbehave, Square};
use workloads::progress::Progress;
use workloads::testing::Buffer;

/// Lines into `buffer`, only the last one (the interval is an hour).
fn lines(label: &str, buffer: &Buffer) -> Progress {
    Progress::lines_to(label, Duration::from_secs(3600), buffer.clone())
}

#[test]
fn map_counts_completions_and_failures() {
    bounded(60, || {
        let buffer = Buffer::default();
        for chunksize in [1, 4] {
            let pool = pool(2)
                .chunksize(chunksize)
                .progress(lines("map", &buffer))
                .build()
                .unwrap();
            let inputs = (0..20).map(|i| match i {
                3 => Behaviour::Panic("three".into()),
                11 => Behaviour::Abort,
                _ => Behaviour::Return(i),
            });
            let results = pool.map::<Misbehave>(inputs);
            assert_eq!(results.iter().filter(|r| r.is_err()).count(), 2);
            let line = buffer.last_line();
            assert!(
                line.starts_with("[map] 20/20 done (100%), 2 failed"),
                "{line}"
            );
            assert!(line.ends_with("finished"), "{line}");
        }
    });
}

#[test]
fn imap_counts_a_lazy_run_and_learns_its_total() {
    bounded(60, || {
        let buffer = Buffer::default();
        let pool = pool(2)
            .chunksize(8)
            .progress(lines("lazy", &buffer))
            .build()
            .unwrap();
        let sum: u64 = pool.imap::<Square, _>(0..1000u64).map(Result::unwrap).sum();
        assert_eq!(sum, (0..1000u64).map(|x| x * x).sum::<u64>());
        let line = buffer.last_line();
        assert!(line.starts_with("[lazy] 1000/1000 done (100%),"), "{line}");
        assert!(!line.contains("failed"), "{line}");
    });
}

#[test]
fn a_retried_task_counts_once() {
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().display().to_string();
        let buffer = Buffer::default();
        let pool = pool(2)
            .retries(1)
            .progress(lines("retry", &buffer))
            .build()
            .unwrap();
        // Task 2 panics once and succeeds on its retry.
        let inputs = (0..6).map(|i| {
            (
                path.clone(),
                i,
                u64::from(i == 2),
                Behaviour::Panic("once".into()),
            )
        });
        assert!(pool.map::<Flaky>(inputs).iter().all(Result::is_ok));
        let line = buffer.last_line();
        assert!(line.starts_with("[retry] 6/6 done (100%),"), "{line}");
        assert!(!line.contains("failed"), "{line}");
    });
}
