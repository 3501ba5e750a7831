//! Progress of a `Gather` and of a `LocalCluster` counts every task when it
//! completes, panics and cancellations as failures, and ends with a last
//! line. Bounded: every test has a timeout.

use std::time::Duration;

use async_gather::{Gather, LocalCluster, TaskError};
use workloads::progress::Progress;
use workloads::testing::{Buffer, bounded};

const LIMIT: Duration = Duration::from_secs(60);

fn quiet_lines(label: &str, log: &Buffer) -> Progress {
    Progress::lines_to(label, Duration::from_secs(3600), log.clone())
}

#[test]
fn a_gather_counts_completed_and_failed_tasks() {
    bounded(LIMIT, || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let log = Buffer::default();
        let results = runtime.block_on(async {
            let mut gather =
                Gather::new().with_progress(quiet_lines("gather", &log));
            for i in 0..5u64 {
                gather.spawn(async move {
                    tokio::time::sleep(Duration::from_millis(5 * (5 - i))).await;
                    assert!(i != 3, "task 3 fails");
                    i
                });
            }
            gather.in_order().await
        });
        assert!(matches!(results[3], Err(TaskError::Panicked(_))));
        let last = log.last_line();
        assert!(
            last.starts_with("[gather] 5/5 done (100%), 1 failed"),
            "{last}"
        );
        assert!(last.ends_with("finished"), "{last}");
    });
}

#[test]
fn a_cluster_counts_every_submitted_and_spawned_task() {
    bounded(LIMIT, || {
        let log = Buffer::default();
        let cluster = LocalCluster::new(2)
            .unwrap()
            .with_progress(quiet_lines("cluster", &log));
        let mut handles = cluster.map(|x: u64| x * 2, 0..4u64);
        handles.push(cluster.submit(|| -> u64 { panic!("bad parameters") }));
        let mapped = cluster.gather(handles);
        assert_eq!(mapped.iter().filter(|r| r.is_err()).count(), 1);
        let waited = cluster.gather(vec![cluster.spawn(async { 7u64 })]);
        assert_eq!(waited, [Ok(7)]);
        cluster.shutdown(Duration::from_secs(10)).unwrap();
        let last = log.last_line();
        assert!(
            last.starts_with("[cluster] 6/6 done (100%), 1 failed"),
            "{last}"
        );
        assert!(last.ends_with("finished"), "{last}");
    });
}
