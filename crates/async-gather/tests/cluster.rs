//! `LocalCluster` behaviour: equal to serial and in order, a panic is one
//! task's error, shutdown cancels what has not started and leaves no thread
//! running work, a shutdown timeout is reported, and dropping the cluster
//! closes it, even inside another runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use async_gather::{LocalCluster, ShutdownError, TaskError, ThreadCount, all_ok};
use workloads::{Workload, WorkloadKind};

const BOUND: Duration = Duration::from_secs(30);

/// Runs `test` on its own thread and fails if it takes longer than [`BOUND`].
fn within<T: Send + 'static>(test: impl FnOnce() -> T + Send + 'static) -> T {
    workloads::testing::bounded(BOUND, test)
}

/// Waits (bounded) until the cluster's threads have all stopped.
fn wait_for_no_threads(threads: &ThreadCount) {
    let deadline = Instant::now() + BOUND;
    while threads.get() > 0 {
        assert!(Instant::now() < deadline, "{} threads left", threads.get());
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn map_and_gather_equal_serial_in_order() {
    within(|| {
        let workload = Workload::prepare(WorkloadKind::Pi, 9, 3000, 1.0).unwrap();
        let expected: Vec<_> =
            workload.inputs().iter().map(|&i| workload.run(i)).collect();
        let cluster = LocalCluster::new(2).unwrap();
        assert_eq!(cluster.jobs(), 2);
        let spec = workload.spec().clone();
        let handles = cluster.map(move |i| spec.run(i), workload.inputs());
        assert_eq!(all_ok(cluster.gather(handles)).unwrap(), expected);
        let one = cluster.submit(|| 6 * 7);
        let waited = cluster.spawn(async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            "waited"
        });
        assert_eq!(cluster.gather(vec![one]), [Ok(42)]);
        assert_eq!(cluster.gather(vec![waited]), [Ok("waited")]);
        cluster.shutdown(BOUND).unwrap();
    });
}

#[test]
fn a_panicking_task_is_one_error() {
    within(|| {
        let cluster = LocalCluster::new(2).unwrap();
        let handles = cluster.map(
            |i: u32| {
                assert!(i != 1, "input {i} is bad");
                i
            },
            0..3,
        );
        let async_panic = cluster.spawn(async { panic!("async boom") });
        assert_eq!(
            cluster.gather(handles),
            [
                Ok(0),
                Err(TaskError::Panicked("input 1 is bad".into())),
                Ok(2)
            ]
        );
        assert_eq!(
            cluster.gather::<()>(vec![async_panic]),
            [Err(TaskError::Panicked("async boom".into()))]
        );
    });
}

#[test]
fn shutdown_cancels_waiting_work_and_leaves_no_thread_running() {
    within(|| {
        let cluster = LocalCluster::new(1).unwrap();
        let threads = cluster.threads();
        // One round trip, so the runtime's worker thread has surely started.
        assert_eq!(cluster.gather(vec![cluster.spawn(async { 1 })]), [Ok(1)]);
        assert_eq!(threads.get(), 2, "one runtime thread, one CPU thread");

        let (release, wait) = mpsc::channel::<()>();
        let blocker = cluster.submit(move || wait.recv_timeout(BOUND).is_ok());
        let started = Arc::new(AtomicUsize::new(0));
        let queued: Vec<_> = (0..10)
            .map(|_| {
                let started = Arc::clone(&started);
                cluster.submit(move || started.fetch_add(1, Ordering::SeqCst))
            })
            .collect();
        let hour = cluster.spawn(async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        });
        // Release the blocker once the runtime has stopped (1 thread left).
        let watcher = threads.clone();
        std::thread::spawn(move || {
            while watcher.get() > 1 {
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = release.send(());
        });

        let start = Instant::now();
        assert_eq!(cluster.shutdown(BOUND), Ok(()));
        assert!(start.elapsed() < BOUND, "waited for the hour-long sleep");
        assert_eq!(threads.get(), 0, "a thread is still running");
        assert_eq!(started.load(Ordering::SeqCst), 0, "queued work ran");
        drop((blocker, queued, hour));
    });
}

#[test]
fn a_shutdown_timeout_is_reported_and_the_threads_finish_later() {
    within(|| {
        let cluster = LocalCluster::new(1).unwrap();
        let threads = cluster.threads();
        let (release, wait) = mpsc::channel::<()>();
        let (running, is_running) = mpsc::channel::<()>();
        let _busy = cluster.submit(move || {
            running.send(()).unwrap();
            wait.recv_timeout(BOUND).is_ok()
        });
        is_running.recv_timeout(BOUND).unwrap();
        assert_eq!(
            cluster.shutdown(Duration::from_millis(20)),
            Err(ShutdownError::TimedOut { busy_threads: 1 })
        );
        release.send(()).unwrap();
        wait_for_no_threads(&threads);
    });
}

#[test]
fn dropping_the_cluster_closes_it() {
    within(|| {
        let cluster = LocalCluster::new(2).unwrap();
        let threads = cluster.threads();
        let _never_gathered = cluster.submit(|| 1);
        drop(cluster);
        assert_eq!(threads.get(), 0);
    });
}

#[test]
fn dropping_a_handle_cancels_its_task() {
    /// Counts its drops: proof that the task's future was dropped.
    struct Guard(Arc<AtomicUsize>);
    impl Drop for Guard {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    within(|| {
        let cluster = LocalCluster::new(1).unwrap();
        let dropped = Arc::new(AtomicUsize::new(0));
        let guard = Guard(Arc::clone(&dropped));
        let handle = cluster.spawn(async move {
            let _guard = guard;
            tokio::time::sleep(Duration::from_secs(3600)).await;
        });
        drop(handle);
        let deadline = Instant::now() + BOUND;
        while dropped.load(Ordering::SeqCst) == 0 {
            assert!(Instant::now() < deadline, "the task was not cancelled");
            std::thread::sleep(Duration::from_millis(1));
        }
        cluster.shutdown(BOUND).unwrap();
    });
}

#[tokio::test]
async fn dropping_or_closing_inside_a_runtime_does_not_panic() {
    let cluster = LocalCluster::new(1).unwrap();
    let threads = cluster.threads();
    assert_eq!(cluster.submit(|| 5).await, Ok(5));
    drop(cluster);
    let other = LocalCluster::new(1).unwrap();
    assert_eq!(
        other.shutdown(Duration::from_secs(1)),
        Err(ShutdownError::InsideRuntime)
    );
    tokio::time::timeout(BOUND, async {
        while threads.get() > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("threads of a dropped cluster kept running");
}

#[test]
fn zero_jobs_is_an_error() {
    assert!(LocalCluster::new(0).is_err());
}
