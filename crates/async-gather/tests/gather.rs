//! Scatter/gather behaviour: equal to serial and in order, as-completed yields
//! every index once, per-task timeouts and panics are per-task errors, and
//! dropping a gather aborts its outstanding tasks; every strategy has its own
//! name. Sleep-based tests run on tokio's paused clock, so they are instant
//! and exact.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_gather::names::{ASYNC_ALL_AT_ONCE, ASYNC_BOUNDED, LOCAL_CLUSTER};
use async_gather::{
    Executor, Gather, Placement, Scheduler, TaskError, all_ok, gather,
    gather_bounded, hand_off, measure_stall, rayon_pool,
};
use tokio::time::Instant;
use workloads::{Workload, WorkloadKind, pi_mc};

/// Bounds a test that uses real threads, so a bug fails it instead of hanging.
async fn bounded<T>(work: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(30), work)
        .await
        .expect("test took longer than 30 s")
}

#[cfg(feature = "cli")] // the demo's `run_task`
#[tokio::test(start_paused = true)]
async fn gather_equals_serial_and_keeps_order() {
    let workload = Workload::prepare(WorkloadKind::Sleep, 6, 1, 0.01).unwrap();
    let spec = Arc::new(workload.spec().clone());
    let expected: Vec<_> =
        workload.inputs().iter().map(|&i| workload.run(i)).collect();
    // Later inputs sleep longer here; reverse them so they finish first.
    let tasks = (0..6u64).rev().map(|i| {
        let spec = Arc::clone(&spec);
        async move { async_gather::demo::run_task(&spec, i).await }
    });
    let mut results = all_ok(gather(tasks).await).unwrap();
    results.reverse();
    assert_eq!(results, expected);
}

#[tokio::test(start_paused = true)]
async fn all_at_once_takes_the_longest_task_and_a_limit_queues() {
    let sleeps = |ms: [u64; 5]| {
        ms.into_iter().map(|ms| async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ms
        })
    };
    let ms = [500, 1000, 1500, 2000, 2500];
    let start = Instant::now();
    let all = all_ok(gather(sleeps(ms)).await).unwrap();
    assert_eq!(all, ms);
    assert_eq!(start.elapsed(), Duration::from_millis(2500));
    let start = Instant::now();
    let two = all_ok(gather_bounded(sleeps(ms), 2).await).unwrap();
    assert_eq!(two, ms);
    // The joblib example: two workers take 4.5 s.
    assert_eq!(start.elapsed(), Duration::from_millis(4500));
}

#[tokio::test(start_paused = true)]
async fn as_completed_yields_each_index_once_in_completion_order() {
    let mut gather = Gather::new();
    for ms in [30u64, 10, 20, 0] {
        gather.spawn(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            ms
        });
    }
    assert_eq!(gather.len(), 4);
    let mut seen = Vec::new();
    while let Some((index, result)) = gather.next_completed().await {
        seen.push((index, result.unwrap()));
    }
    assert_eq!(seen, [(3, 0), (1, 10), (2, 20), (0, 30)]);
    assert!(gather.next_completed().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_timed_out_task_is_an_error_and_the_others_succeed() {
    let mut gather = Gather::new().with_timeout(Duration::from_secs(1));
    for secs in [0u64, 5, 0] {
        gather.spawn(async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            secs
        });
    }
    let start = Instant::now();
    let results = gather.in_order().await;
    assert_eq!(
        results,
        [
            Ok(0),
            Err(TaskError::TimedOut(Duration::from_secs(1))),
            Ok(0)
        ]
    );
    assert_eq!(start.elapsed(), Duration::from_secs(1), "did not wait 5 s");
}

#[tokio::test]
async fn a_panicking_task_is_an_error_not_a_lost_gather() {
    let tasks = (0..4u64).map(|i| async move {
        if i == 2 {
            panic!("task {i} failed");
        }
        i * 10
    });
    let results = bounded(gather(tasks)).await;
    assert_eq!(
        results,
        [
            Ok(0),
            Ok(10),
            Err(TaskError::Panicked("task 2 failed".into())),
            Ok(30)
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panics_in_blocking_and_rayon_tasks_are_errors_too() {
    let mut gather = Gather::new();
    gather.spawn_blocking(|| 1);
    gather.spawn_blocking(|| -> i32 { panic!("blocking boom") });
    let results = bounded(gather.in_order()).await;
    assert_eq!(
        results,
        [Ok(1), Err(TaskError::Panicked("blocking boom".into()))]
    );

    let pool = rayon_pool(2).unwrap();
    let ok = hand_off(&pool, || 7);
    let bad = hand_off(&pool, || -> i32 { panic!("cpu boom") });
    assert_eq!(bounded(ok).await, Ok(7));
    assert_eq!(
        bounded(bad).await,
        Err(TaskError::Panicked("cpu boom".into()))
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_a_gather_aborts_its_outstanding_tasks() {
    let finished = Arc::new(AtomicUsize::new(0));
    let tasks = (0..10u64).map(|i| {
        let finished = Arc::clone(&finished);
        async move {
            // Tasks 0..5 take 1 s, tasks 5..10 take 10 s.
            let secs = if i < 5 { 1 } else { 10 };
            tokio::time::sleep(Duration::from_secs(secs)).await;
            finished.fetch_add(1, Ordering::SeqCst);
        }
    });
    // Give up on the gather after 5 s: the timeout drops it.
    let gave_up = tokio::time::timeout(Duration::from_secs(5), gather(tasks)).await;
    assert!(gave_up.is_err());
    assert_eq!(finished.load(Ordering::SeqCst), 5);
    // Long after the slow tasks would have finished, none of them has.
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        finished.load(Ordering::SeqCst),
        5,
        "aborted tasks kept running"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_hand_off_skips_work_that_has_not_started() {
    let pool = rayon_pool(1).unwrap();
    let started = Arc::new(AtomicUsize::new(0));
    let (release, wait) = std::sync::mpsc::channel::<()>();
    // Occupy the only pool thread until released.
    let busy = hand_off(&pool, move || wait.recv().is_ok());
    let queued: Vec<_> = (0..10)
        .map(|_| {
            let started = Arc::clone(&started);
            hand_off(&pool, move || started.fetch_add(1, Ordering::SeqCst))
        })
        .collect();
    drop(queued);
    release.send(()).unwrap();
    assert_eq!(bounded(busy).await, Ok(true));
    // Anything queued after the drop runs after them (one thread, FIFO).
    assert_eq!(bounded(hand_off(&pool, || ())).await, Ok(()));
    assert_eq!(started.load(Ordering::SeqCst), 0);
}

/// Runs `test` on its own thread and fails if it takes longer than 30 s.
fn within(test: impl FnOnce() + Send + 'static) {
    workloads::testing::bounded(Duration::from_secs(30), test);
}

#[test]
fn every_scheduler_equals_serial_and_keeps_order() {
    within(every_scheduler_equals_serial);
}

#[test]
fn stall_measurement_gives_serial_results_in_both_placements() {
    within(|| {
        let expected: Vec<f64> = (0..6).map(|i| pi_mc(i, 2000)).collect();
        for placement in [Placement::InAsyncTasks, Placement::RayonHandOff] {
            let period = Duration::from_millis(1);
            let run =
                measure_stall(placement, 2, 0..6u64, |i| pi_mc(i, 2000), period)
                    .unwrap();
            assert_eq!(all_ok(run.results).unwrap(), expected, "{placement:?}");
            assert!(run.lateness.max >= run.lateness.median);
        }
    });
}

fn every_scheduler_equals_serial() {
    for kind in [WorkloadKind::Pi, WorkloadKind::Driver, WorkloadKind::Files] {
        let workload = Workload::prepare(kind, 7, 2000, 1.0).unwrap();
        let expected: Vec<_> =
            workload.inputs().iter().map(|&i| workload.run(i)).collect();
        for scheduler in Scheduler::ALL {
            let executor = Executor::new(scheduler, 2).unwrap();
            let spec = workload.spec().clone();
            let results = executor.map(workload.inputs(), move |i| spec.run(i));
            assert_eq!(all_ok(results).unwrap(), expected, "{kind:?} {scheduler:?}");
        }
    }
}

#[test]
fn executor_rejects_zero_jobs() {
    assert!(Executor::new(Scheduler::Rayon, 0).is_err());
    assert!(rayon_pool(0).is_err());
}

#[test]
fn every_strategy_has_its_own_name_and_no_slash() {
    let mut all: Vec<&str> = Scheduler::ALL.iter().map(|s| s.name()).collect();
    all.extend([ASYNC_BOUNDED, ASYNC_ALL_AT_ONCE, LOCAL_CLUSTER]);
    all.extend([Placement::InAsyncTasks, Placement::RayonHandOff].map(|p| p.name()));
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "a name used twice: {all:?}");
    assert!(all.iter().all(|name| !name.contains('/')), "{all:?}");
}

#[tokio::test(start_paused = true)]
async fn gather_of_nothing_is_empty() {
    let none: Vec<std::future::Ready<u8>> = Vec::new();
    assert!(gather(none.clone()).await.is_empty());
    assert!(gather_bounded(none, 3).await.is_empty());
    assert!(Gather::<u8>::new().is_empty());
}

/// A task that blocks its thread (no `.await`) until `release` is sent or
/// 10 s pass, then returns 1. A timeout that only fires once the task is
/// done would see the value: the tests release it only after the gather
/// has reported the timeout.
fn blocking_task(release: std::sync::mpsc::Receiver<()>) -> impl FnOnce() -> u32 {
    move || {
        let _ = release.recv_timeout(Duration::from_secs(10));
        1
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_task_that_blocks_its_thread_still_times_out_on_time() {
    let (release, wait) = std::sync::mpsc::channel();
    let mut gather = Gather::new().with_timeout(Duration::from_millis(200));
    let block = blocking_task(wait);
    gather.spawn(async move { block() }); // blocks a runtime thread
    gather.spawn(async { 2 });
    let results = bounded(gather.in_order()).await;
    let _ = release.send(()); // only now may the blocked task finish
    assert_eq!(
        results,
        [Err(TaskError::TimedOut(Duration::from_millis(200))), Ok(2)]
    );
}

#[tokio::test]
async fn spawn_blocking_times_out_on_time_even_on_one_thread() {
    let (release, wait) = std::sync::mpsc::channel();
    let mut gather = Gather::new().with_timeout(Duration::from_millis(200));
    gather.spawn_blocking(blocking_task(wait));
    let results = bounded(gather.in_order()).await;
    let _ = release.send(());
    assert_eq!(
        results,
        [Err(TaskError::TimedOut(Duration::from_millis(200)))]
    );
}

#[tokio::test]
async fn a_blocked_single_thread_reports_a_late_timeout_never_a_value() {
    // One thread, blocked by the task: nothing can fire the timeout until
    // the task returns, but its value, 300 ms past a 50 ms limit, is refused.
    let mut gather = Gather::new().with_timeout(Duration::from_millis(50));
    gather.spawn(async {
        std::thread::sleep(Duration::from_millis(300));
        1
    });
    let results = bounded(gather.in_order()).await;
    assert_eq!(
        results,
        [Err(TaskError::TimedOut(Duration::from_millis(50)))]
    );
}

#[tokio::test(start_paused = true)]
async fn dropping_a_gather_with_timeouts_aborts_its_tasks_too() {
    // With a timeout each task runs as its own tokio task under a watcher:
    // dropping the gather must abort the tasks, not only their watchers.
    let finished = Arc::new(AtomicUsize::new(0));
    let mut gather = Gather::new().with_timeout(Duration::MAX); // no limit
    for secs in [1u64, 10] {
        let finished = Arc::clone(&finished);
        gather.spawn(async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            finished.fetch_add(1, Ordering::SeqCst);
        });
    }
    let gave_up =
        tokio::time::timeout(Duration::from_secs(5), gather.in_order()).await;
    assert!(gave_up.is_err());
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(
        finished.load(Ordering::SeqCst),
        1,
        "the 10 s task was aborted"
    );
}
