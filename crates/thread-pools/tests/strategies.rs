//! Every strategy gives the serial results on every workload (including empty
//! and one-element inputs), in input order where promised; the unordered stream
//! yields each index once; `jobs` is respected. Every test is bounded by a
//! timeout, so a deadlock fails the test instead of hanging it.

use std::collections::HashSet;
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Duration;

use thread_pools::{
    Pool, PoolError, channel_completed, channel_map, channel_map_chunked,
    default_chunk, rayon_map, rayon_map_in, rayon_map_init, rayon_map_min_len,
    rayon_map_results, rayon_pool, run_parallel_step, scoped_map,
};
use workloads::{TaskResult, Workload, WorkloadKind};

use workloads::testing::bounded;

const LIMIT: Duration = Duration::from_secs(60);

fn unwrap_all(
    results: Vec<Result<TaskResult, thread_pools::TaskError>>,
) -> Vec<TaskResult> {
    results.into_iter().map(Result::unwrap).collect()
}

/// Every strategy of the chapter on `size` tasks of `kind`, compared with the
/// serial loop.
fn check_all_strategies(kind: WorkloadKind, size: u64, jobs: usize) {
    let workload = Workload::prepare(kind, size, 200, 0.0005).unwrap();
    let inputs = workload.inputs();
    let task = |&i: &u64| workload.run(i);
    let expected: Vec<TaskResult> = inputs.iter().map(task).collect();
    assert_eq!(expected.len() as u64, size);
    let chunk = default_chunk(inputs.len(), jobs);
    let rayon_jobs = rayon_pool(jobs).unwrap();
    let pool = Pool::new(jobs).unwrap();
    let spec = Arc::new(workload.spec().clone());
    let label = format!("{kind:?}, size {size}, jobs {jobs}");

    assert_eq!(scoped_map(&inputs, jobs, task), expected, "scoped {label}");
    assert_eq!(
        channel_map(&inputs, jobs, task),
        expected,
        "channel {label}"
    );
    assert_eq!(
        channel_map_chunked(&inputs, jobs, chunk, task),
        expected,
        "chunked {label}"
    );
    assert_eq!(
        channel_map_chunked(&inputs, jobs, 3, task),
        expected,
        "chunk 3 {label}"
    );
    assert_eq!(rayon_map(&inputs, task), expected, "rayon {label}");
    assert_eq!(
        rayon_map_in(&rayon_jobs, &inputs, task),
        expected,
        "{label}"
    );
    assert_eq!(
        rayon_map_min_len(&rayon_jobs, &inputs, chunk, task),
        expected,
        "min_len {label}"
    );
    let init = || workload.spec().clone();
    assert_eq!(
        rayon_map_init(&rayon_jobs, &inputs, init, |spec, &i| spec.run(i)),
        expected,
        "map_init {label}"
    );
    assert_eq!(
        unwrap_all(rayon_map_results(&rayon_jobs, &inputs, task)),
        expected,
        "rayon results {label}"
    );
    let s = Arc::clone(&spec);
    assert_eq!(
        unwrap_all(pool.map(inputs.clone(), move |i| s.run(i))),
        expected,
        "Pool.map {label}"
    );
    let s = Arc::clone(&spec);
    let handle = pool.map_async(inputs.clone(), move |i| s.run(i));
    assert_eq!(unwrap_all(handle.wait()), expected, "map_async {label}");
    let tuples = inputs.iter().map(|&i| (Arc::clone(&spec), i));
    let star = |spec: Arc<workloads::TaskSpec>, i: u64| spec.run(i);
    assert_eq!(
        unwrap_all(pool.starmap(tuples, star)),
        expected,
        "starmap {label}"
    );
    let s = Arc::clone(&spec);
    let mut unordered: Vec<_> = pool
        .imap_unordered(inputs.clone(), move |i| s.run(i))
        .collect();
    unordered.sort_by_key(|(index, _)| *index);
    let indices: Vec<usize> = unordered.iter().map(|(index, _)| *index).collect();
    assert_eq!(indices, (0..inputs.len()).collect::<Vec<_>>(), "{label}");
    assert_eq!(
        unwrap_all(unordered.into_iter().map(|(_, r)| r).collect()),
        expected,
        "imap_unordered {label}"
    );
    assert_eq!(
        unwrap_all(run_parallel_step(task, &inputs, jobs, false)),
        expected,
        "run_parallel_step {label}"
    );
}

#[test]
fn every_strategy_equals_serial_on_every_workload() {
    bounded(LIMIT, || {
        for jobs in [1, 2, 3] {
            check_all_strategies(WorkloadKind::Driver, 1000, jobs);
            check_all_strategies(WorkloadKind::Pi, 9, jobs);
            check_all_strategies(WorkloadKind::Sleep, 4, jobs);
            check_all_strategies(WorkloadKind::Files, 3, jobs);
        }
    });
}

#[test]
fn empty_and_one_element_inputs() {
    bounded(LIMIT, || {
        for kind in [
            WorkloadKind::Driver,
            WorkloadKind::Pi,
            WorkloadKind::Sleep,
            WorkloadKind::Files,
        ] {
            check_all_strategies(kind, 0, 2);
            check_all_strategies(kind, 1, 2);
            check_all_strategies(kind, 1, 4);
        }
    });
}

/// Tasks that finish in reverse order still come back in input order.
#[test]
fn order_is_kept_when_tasks_finish_out_of_order() {
    bounded(LIMIT, || {
        let inputs: Vec<u64> = (0..12).collect();
        let expected: Vec<u64> = inputs.iter().map(|i| i * 10).collect();
        // Later inputs sleep less, so they tend to finish first.
        let slow_first = |&i: &u64| {
            std::thread::sleep(Duration::from_millis(2 * (12 - i)));
            i * 10
        };
        assert_eq!(scoped_map(&inputs, 3, slow_first), expected);
        assert_eq!(channel_map(&inputs, 3, slow_first), expected);
        assert_eq!(channel_map_chunked(&inputs, 3, 2, slow_first), expected);
        assert_eq!(rayon_map(&inputs, slow_first), expected);
        let pool = Pool::new(3).unwrap();
        let owned = move |i: u64| slow_first(&i);
        let got: Vec<u64> = pool
            .map(inputs.clone(), owned)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, expected);
        let ran = run_parallel_step(slow_first, &inputs, 3, false);
        assert_eq!(
            ran.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            expected
        );
    });
}

#[test]
fn unordered_yields_every_index_exactly_once() {
    bounded(LIMIT, || {
        let pool = Pool::new(3).unwrap();
        let stream = pool.imap_unordered(0..200u64, |i| {
            if i.is_multiple_of(7) {
                std::thread::sleep(Duration::from_millis(1));
            }
            i * 2
        });
        assert_eq!(stream.size_hint(), (200, Some(200)));
        let mut seen = HashSet::new();
        for (index, result) in stream {
            assert!(seen.insert(index), "index {index} yielded twice");
            assert_eq!(result.unwrap(), index as u64 * 2);
        }
        assert_eq!(seen.len(), 200);
        assert_eq!(pool.imap_unordered(Vec::<u64>::new(), |i| i).count(), 0);
    });
}

/// Distinct thread ids seen by the tasks of one map.
fn distinct(threads: impl IntoIterator<Item = ThreadId>) -> usize {
    threads.into_iter().collect::<HashSet<_>>().len()
}

#[test]
fn jobs_is_respected() {
    bounded(LIMIT, || {
        let inputs: Vec<u64> = (0..64).collect();
        let here = |_: &u64| {
            std::thread::sleep(Duration::from_millis(1));
            std::thread::current().id()
        };
        for jobs in [1, 2, 3] {
            let done = channel_completed(&inputs, jobs, here);
            assert_eq!(done.len(), inputs.len());
            assert!(distinct(done.iter().map(|d| d.thread)) <= jobs);
            assert!(done.iter().all(|d| d.worker < jobs && d.thread == d.value));
            assert!(distinct(scoped_map(&inputs, jobs, here)) <= jobs);
            assert!(distinct(channel_map(&inputs, jobs, here)) <= jobs);
            assert!(distinct(channel_map_chunked(&inputs, jobs, 4, here)) <= jobs);
            let rayon_jobs = rayon_pool(jobs).unwrap();
            assert!(distinct(rayon_map_in(&rayon_jobs, &inputs, here)) <= jobs);
            let pool = Pool::new(jobs).unwrap();
            assert_eq!(pool.jobs(), jobs);
            let owned = move |i: u64| here(&i);
            let ids = pool
                .map(inputs.clone(), owned)
                .into_iter()
                .map(Result::unwrap);
            assert!(distinct(ids) <= jobs);
            let ids = pool
                .imap_unordered(inputs.clone(), owned)
                .map(|(_, r)| r.unwrap());
            assert!(distinct(ids) <= jobs);
            let ids = run_parallel_step(here, &inputs, jobs, false);
            assert!(distinct(ids.into_iter().map(Result::unwrap)) <= jobs);
        }
    });
}

#[test]
fn zero_jobs_is_an_error() {
    assert!(matches!(Pool::new(0), Err(PoolError::ZeroJobs)));
    assert!(matches!(rayon_pool(0), Err(thread_pools::JobsError::Zero)));
    assert_eq!(
        Pool::new(0).unwrap_err().to_string(),
        "a pool needs at least one worker, got jobs = 0"
    );
}

#[test]
fn map_async_returns_before_the_work_is_done() {
    bounded(LIMIT, || {
        let pool = Pool::new(2).unwrap();
        let (release_tx, release_rx) = shared_channel();
        let mut handle = pool.map_async(0..4u64, move |i| {
            // Each task waits for the test to release it.
            let _ = release_rx.lock().unwrap().recv();
            i + 1
        });
        assert!(!handle.ready(), "nothing can be done yet");
        for _ in 0..4 {
            release_tx.send(()).unwrap();
        }
        let results: Vec<u64> =
            handle.wait().into_iter().map(Result::unwrap).collect();
        assert_eq!(results, vec![1, 2, 3, 4]);
    });
}

/// A sender and a shareable receiver from `std::sync::mpsc`.
fn shared_channel() -> (
    std::sync::mpsc::Sender<()>,
    Arc<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    (tx, Arc::new(std::sync::Mutex::new(rx)))
}

#[test]
fn starmap_unpacks_tuples_of_every_arity() {
    bounded(LIMIT, || {
        let pool = Pool::new(2).unwrap();
        let triples: Vec<(f64, f64, f64)> =
            (0..5).map(|x| (f64::from(x), 1.0, 2.0)).collect();
        let got = pool.starmap(triples.clone(), workloads::driver);
        let expected: Vec<f64> = triples
            .iter()
            .map(|&(x, a, b)| workloads::driver(x, a, b))
            .collect();
        assert_eq!(
            got.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            expected
        );
        let pairs = pool.starmap(vec![(2u64, 3u64), (4, 5)], |a: u64, b: u64| a * b);
        assert_eq!(pairs, vec![Ok(6), Ok(20)]);
        let single = pool.starmap(vec![(7u64,)], |a: u64| a + 1);
        assert_eq!(single, vec![Ok(8)]);
        let four = pool
            .starmap(vec![(1u8, 2u8, 3u8, 4u8)], |a: u8, b: u8, c: u8, d: u8| {
                a + b + c + d
            });
        assert_eq!(four, vec![Ok(10)]);
    });
}

#[test]
fn dropping_the_pool_finishes_submitted_work_and_joins_workers() {
    bounded(LIMIT, || {
        let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let pool = Pool::new(2).unwrap();
        let c = Arc::clone(&counter);
        let handle = pool.map_async(0..10u64, move |_| {
            std::thread::sleep(Duration::from_millis(2));
            c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        });
        drop(pool);
        // Drop joined the workers after they ran every submitted task.
        assert_eq!(counter.load(std::sync::atomic::Ordering::SeqCst), 10);
        assert!(handle.wait().iter().all(Result::is_ok));
        // Only the test's own reference is left: the workers' clones are gone.
        assert_eq!(Arc::strong_count(&counter), 1);
    });
}
