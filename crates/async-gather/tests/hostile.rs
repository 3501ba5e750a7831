//! The promises of the gather's timeouts and the cluster's handles, attacked
//! as a careless or hostile user would: a zero or `Duration::MAX` timeout, a
//! panicking task, a handle awaited after its cluster shut down, a handle
//! dropped, a cluster gathered from async code. Each test is bounded.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use async_gather::{Gather, LocalCluster, ShutdownError, TaskError};

const BOUND: Duration = Duration::from_secs(30);

/// Runs `test` on its own thread and fails if it takes longer than [`BOUND`].
fn within<T: Send + 'static>(test: impl FnOnce() -> T + Send + 'static) -> T {
    workloads::testing::bounded(BOUND, test)
}

/// A fresh single-threaded runtime, to await handles outside their cluster.
fn other_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn a_zero_timeout_fails_every_task_even_one_that_is_ready_at_once() {
    within(|| {
        other_runtime().block_on(async {
            let mut gather = Gather::new().with_timeout(Duration::ZERO);
            for i in 0..50u32 {
                gather.spawn(async move { i });
            }
            for result in gather.in_order().await {
                assert_eq!(result, Err(TaskError::TimedOut(Duration::ZERO)));
            }
        })
    });
}

#[test]
fn a_duration_max_timeout_means_no_timeout() {
    within(|| {
        other_runtime().block_on(async {
            let mut gather = Gather::new().with_timeout(Duration::MAX);
            gather.spawn(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                1
            });
            gather.spawn_blocking(|| 2);
            assert_eq!(gather.in_order().await, [Ok(1), Ok(2)]);
        })
    });
}

#[test]
fn a_panic_under_a_timeout_is_that_tasks_error_with_its_message() {
    within(|| {
        other_runtime().block_on(async {
            let mut gather = Gather::new().with_timeout(Duration::from_secs(10));
            gather.spawn(async { panic!("task 0 is bad") });
            gather.spawn(async { 1 });
            let results: Vec<Result<i32, _>> = gather.in_order().await;
            assert_eq!(results[0], Err(TaskError::Panicked("task 0 is bad".into())));
            assert_eq!(results[1], Ok(1));
        })
    });
}

#[test]
fn shutdown_with_duration_max_or_zero_does_not_panic() {
    within(|| {
        let cluster = LocalCluster::new(1).unwrap();
        assert_eq!(cluster.gather(vec![cluster.submit(|| 1)]), [Ok(1)]);
        cluster.shutdown(Duration::MAX).unwrap();
        // Zero: nothing is running, so nothing can be reported busy.
        let cluster = LocalCluster::new(2).unwrap();
        assert_eq!(cluster.gather(vec![cluster.submit(|| 1)]), [Ok(1)]);
        assert_eq!(cluster.shutdown(Duration::ZERO), Ok(()));
    });
}

#[test]
fn a_zero_shutdown_timeout_reports_a_running_task_at_once() {
    within(|| {
        let cluster = LocalCluster::new(1).unwrap();
        let (started, release) = (mpsc::channel(), mpsc::channel::<()>());
        let (started_tx, started_rx) = started;
        let (release_tx, release_rx) = release;
        let handle = cluster.submit(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().ok();
        });
        started_rx.recv().unwrap();
        let threads = cluster.threads();
        let result = cluster.shutdown(Duration::ZERO);
        assert!(
            matches!(result, Err(ShutdownError::TimedOut { busy_threads }) if busy_threads >= 1),
            "{result:?}"
        );
        release_tx.send(()).unwrap();
        drop(handle);
        while threads.get() > 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

#[test]
fn a_handle_finished_before_shutdown_keeps_its_value_after_it() {
    within(|| {
        let cluster = LocalCluster::new(1).unwrap();
        let (done_tx, done_rx) = mpsc::channel();
        let handle = cluster.spawn(async move {
            done_tx.send(()).unwrap();
            7
        });
        done_rx.recv().unwrap();
        // Let the spawned task finish storing its output.
        std::thread::sleep(Duration::from_millis(50));
        cluster.shutdown(BOUND).unwrap();
        assert_eq!(other_runtime().block_on(handle), Ok(7));
    });
}

#[test]
fn a_handle_awaited_after_shutdown_is_cancelled_not_a_hang() {
    within(|| {
        let cluster = LocalCluster::new(1).unwrap();
        let waiting = cluster.spawn(std::future::pending::<u32>());
        let cpu = {
            let (release_tx, release_rx) = mpsc::channel::<()>();
            let blocker = cluster.submit(move || release_rx.recv().ok());
            let queued = cluster.submit(|| 5u32);
            drop(release_tx);
            drop(blocker);
            queued
        };
        cluster.shutdown(BOUND).unwrap();
        let runtime = other_runtime();
        assert_eq!(runtime.block_on(waiting), Err(TaskError::Cancelled));
        // The CPU task may have run before the shutdown; never a hang.
        let cpu = runtime.block_on(cpu);
        assert!(matches!(cpu, Ok(5) | Err(TaskError::Cancelled)), "{cpu:?}");
    });
}

#[test]
fn a_handle_awaited_while_its_cluster_shuts_down_is_cancelled() {
    within(|| {
        let cluster = LocalCluster::new(1).unwrap();
        let handle = cluster.spawn(std::future::pending::<u32>());
        let awaiting = std::thread::spawn(move || other_runtime().block_on(handle));
        std::thread::sleep(Duration::from_millis(50));
        cluster.shutdown(BOUND).unwrap();
        assert_eq!(awaiting.join().unwrap(), Err(TaskError::Cancelled));
    });
}

#[test]
fn dropping_a_submitted_handle_means_its_cpu_work_never_starts() {
    within(|| {
        let cluster = LocalCluster::new(1).unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let blocker = cluster.submit(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().ok();
        });
        started_rx.recv().unwrap();
        let counted = Arc::clone(&ran);
        let dropped = cluster.submit(move || counted.fetch_add(1, Ordering::SeqCst));
        drop(dropped);
        // Give the runtime time to abort the dropped task.
        std::thread::sleep(Duration::from_millis(50));
        release_tx.send(()).unwrap();
        assert_eq!(cluster.gather(vec![blocker]), [Ok(())]);
        let after = cluster.submit(|| ());
        assert_eq!(cluster.gather(vec![after]), [Ok(())]);
        cluster.shutdown(BOUND).unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 0, "a dropped task ran");
    });
}

#[test]
fn gather_from_async_code_is_a_clear_panic_not_a_deadlock() {
    within(|| {
        let cluster = LocalCluster::new(1).unwrap();
        let handle = cluster.submit(|| 1);
        let inside = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            other_runtime().block_on(async { cluster.gather(vec![handle]) })
        }));
        let panic = inside.expect_err("gather inside a runtime must panic");
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        assert!(message.contains("async code"), "unclear panic: {message}");
        cluster.shutdown(BOUND).unwrap();
    });
}
