//! The `multiprocessing` / joblib / dask conveniences of [`Pool`], one test
//! (or more) each: worker initializer, opt-in retries, lazy bounded
//! submission (`max_in_flight`), ordered `imap`, `get(timeout)`, `chunksize`,
//! progress that counts completions, and the serial/threads [`Backend`].
//! Every test is bounded, so a deadlock fails it instead of hanging.

use std::cell::Cell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use thread_pools::{Backend, Pool, PoolError};
use workloads::executor::{Executor, Serial, Task};
use workloads::progress::Progress;
use workloads::testing::{Buffer, bounded};

const LIMIT: Duration = Duration::from_secs(60);

thread_local! {
    /// Set by the initializer: what a task sees of its worker's setup.
    static WORKER: Cell<Option<usize>> = const { Cell::new(None) };
}

#[test]
fn the_initializer_runs_once_per_worker_before_any_task() {
    bounded(LIMIT, || {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let pool = Pool::builder()
            .jobs(3)
            .initializer(move |worker| {
                counter.fetch_add(1, Ordering::SeqCst);
                WORKER.set(Some(worker));
                Ok::<(), String>(())
            })
            .build()
            .unwrap();
        let seen = pool.map(0..60u64, |_| {
            std::thread::sleep(Duration::from_millis(1));
            WORKER.get().expect("initialised before the task")
        });
        let workers: HashSet<usize> = seen.into_iter().map(Result::unwrap).collect();
        assert!(workers.iter().all(|&w| w < 3), "{workers:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 3, "once per worker");
    });
}

#[test]
fn a_failing_initializer_is_a_clear_error_and_no_task_runs() {
    bounded(LIMIT, || {
        let err = Pool::builder()
            .jobs(2)
            .initializer(|worker| {
                if worker == 1 {
                    Err(format!("no licence for worker {worker}"))
                } else {
                    Ok(())
                }
            })
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, PoolError::Initializer { worker: 1, message }
                if message == "no licence for worker 1"),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "the initializer failed on worker 1: no licence for worker 1"
        );
        let panicked = Pool::builder()
            .jobs(2)
            .initializer(|_| -> Result<(), String> { panic!("database down") })
            .build()
            .unwrap_err();
        assert!(
            panicked.to_string().contains("panicked: database down"),
            "{panicked}"
        );
    });
}

/// A task that panics on its first `fails` attempts for each input.
fn flaky(fails: usize, attempts: Arc<Mutex<Vec<u64>>>) -> impl Fn(u64) -> u64 {
    move |x| {
        let mut log = attempts.lock().unwrap();
        log.push(x);
        let tries = log.iter().filter(|&&y| y == x).count();
        drop(log);
        assert!(tries > fails, "attempt {tries} of {x} failed");
        x * 10
    }
}

#[test]
fn tasks_are_never_retried_by_default() {
    bounded(LIMIT, || {
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let pool = Pool::new(2).unwrap();
        let results = pool.map(0..4u64, flaky(1, Arc::clone(&attempts)));
        assert_eq!(attempts.lock().unwrap().len(), 4, "each task ran once");
        for (i, result) in results.into_iter().enumerate() {
            let err = result.unwrap_err();
            assert_eq!((err.index, err.earlier_attempts().len()), (i, 0));
        }
    });
}

#[test]
fn retries_rerun_a_failed_task_and_report_every_attempt() {
    bounded(LIMIT, || {
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let pool = Pool::builder().jobs(2).retries(2).build().unwrap();
        // Fails twice, then succeeds on the third and last attempt.
        let results = pool.map(0..4u64, flaky(2, Arc::clone(&attempts)));
        assert_eq!(results, [Ok(0), Ok(10), Ok(20), Ok(30)]);
        assert_eq!(attempts.lock().unwrap().len(), 12);
        // Fails three times: every attempt is reported.
        let always = Arc::new(Mutex::new(Vec::new()));
        let results = pool.map([7u64], flaky(5, Arc::clone(&always)));
        let err = results[0].clone().unwrap_err();
        assert_eq!(err.message, "attempt 3 of 7 failed");
        assert_eq!(
            err.earlier_attempts(),
            ["attempt 1 of 7 failed", "attempt 2 of 7 failed"]
        );
        assert!(
            err.to_string()
                .contains("after 2 earlier failed attempt(s)")
        );
        assert_eq!(always.lock().unwrap().len(), 3, "1 + retries, no more");
    });
}

#[test]
fn imap_pulls_inputs_lazily_and_keeps_at_most_max_in_flight() {
    bounded(LIMIT, || {
        let pulled = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&pulled);
        // An endless input: only laziness makes this finish.
        let inputs = (0u64..).inspect(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        let pool = Pool::builder().jobs(2).max_in_flight(8).build().unwrap();
        let mut taken = 0;
        for (i, result) in pool.imap(inputs, |x| x + 1).take(1000).enumerate() {
            assert_eq!(result, Ok(i as u64 + 1), "in input order");
            taken += 1;
            let ahead = pulled.load(Ordering::SeqCst) - taken;
            assert!(ahead <= 8, "{ahead} inputs pulled ahead of the consumer");
        }
        assert_eq!(taken, 1000);
    });
}

#[test]
fn imap_with_a_chunksize_never_goes_past_max_in_flight() {
    bounded(LIMIT, || {
        for (chunksize, max) in [(50, 100), (50, 120), (64, 10), (1, 1)] {
            let pulled = Arc::new(AtomicUsize::new(0));
            let counter = Arc::clone(&pulled);
            let inputs = (0u64..).inspect(move |_| {
                counter.fetch_add(1, Ordering::SeqCst);
            });
            let pool = Pool::builder()
                .jobs(2)
                .chunksize(chunksize)
                .max_in_flight(max)
                .build()
                .unwrap();
            let mut most = 0;
            for (taken, result) in pool.imap(inputs, |x| x * 2).take(500).enumerate()
            {
                assert_eq!(result, Ok(2 * taken as u64), "in input order");
                most = most.max(pulled.load(Ordering::SeqCst) - (taken + 1));
            }
            assert!(
                most <= max,
                "chunksize {chunksize}: {most} in flight, max {max}"
            );
        }
    });
}

#[test]
fn imap_keeps_input_order_whatever_the_completion_order() {
    bounded(LIMIT, || {
        let pool = Pool::builder().jobs(3).chunksize(2).build().unwrap();
        let slow_first = |x: u64| {
            std::thread::sleep(Duration::from_millis((20 - x % 20) / 4));
            x * x
        };
        let ordered: Vec<u64> = pool
            .imap(0..100u64, slow_first)
            .map(Result::unwrap)
            .collect();
        assert_eq!(ordered, (0..100u64).map(|x| x * x).collect::<Vec<_>>());
        assert_eq!(pool.imap(Vec::<u64>::new(), |x| x).count(), 0);
        let fragile = |x: u64| {
            assert!(x != 5, "no five");
            x
        };
        let results: Vec<_> = pool.imap(0..10u64, fragile).collect();
        assert_eq!(results.len(), 10, "a panic costs its own slot only");
        assert_eq!(results[5].clone().unwrap_err().message, "no five");
        assert!(
            results
                .iter()
                .enumerate()
                .all(|(i, r)| i == 5 || r == &Ok(i as u64))
        );
        let mut unordered: Vec<usize> = pool
            .imap_unordered(0..100u64, slow_first)
            .map(|(i, _)| i)
            .collect();
        unordered.sort_unstable();
        assert_eq!(unordered, (0..100).collect::<Vec<_>>());
    });
}

#[test]
fn get_with_a_timeout_gives_the_handle_back_until_the_results_are_ready() {
    bounded(LIMIT, || {
        let pool = Pool::new(2).unwrap();
        let (release, gate) = crossbeam_channel::unbounded::<()>();
        let handle = pool.map_async(0..4u64, move |x| {
            let _ = gate.recv();
            x + 1
        });
        let not_ready = handle.get(Duration::from_millis(20)).unwrap_err();
        assert!(
            not_ready
                .to_string()
                .starts_with("results not ready after 20ms"),
            "{not_ready}"
        );
        for _ in 0..4 {
            release.send(()).unwrap();
        }
        let results = not_ready.handle.get(Duration::from_secs(30)).unwrap();
        assert_eq!(results, [Ok(1), Ok(2), Ok(3), Ok(4)]);
    });
}

#[test]
fn chunksize_sends_consecutive_tasks_to_one_worker() {
    bounded(LIMIT, || {
        let pool = Pool::builder().jobs(2).chunksize(5).build().unwrap();
        let threads = pool.map(0..40u64, |_| {
            std::thread::sleep(Duration::from_millis(1));
            std::thread::current().id()
        });
        let threads: Vec<_> = threads.into_iter().map(Result::unwrap).collect();
        for chunk in threads.chunks(5) {
            assert!(
                chunk.iter().all(|t| *t == chunk[0]),
                "one chunk, one thread"
            );
        }
        for bad in [
            Pool::builder().chunksize(0),
            Pool::builder().max_in_flight(0),
        ] {
            assert!(matches!(bad.build(), Err(PoolError::Invalid(_))));
        }
    });
}

#[test]
fn progress_counts_completions_not_dispatches_and_failures() {
    bounded(LIMIT, || {
        let log = Buffer::default();
        let every = Duration::from_millis(5);
        let progress = Progress::lines_to("pool", every, log.clone());
        let pool = Pool::builder().jobs(2).progress(progress).build().unwrap();
        let (release, gate) = crossbeam_channel::unbounded::<()>();
        let handle = pool.map_async(0..10u64, move |x| {
            let _ = gate.recv();
            assert!(x % 4 != 3, "task {x} fails");
            x
        });
        std::thread::sleep(Duration::from_millis(100));
        let waiting = log.text();
        assert!(!waiting.is_empty(), "a line every 5 ms");
        assert!(
            waiting
                .lines()
                .all(|l| l.starts_with("[pool] 0/10 done (0%)")),
            "all submitted, none completed: {waiting}"
        );
        for _ in 0..10 {
            release.send(()).unwrap();
        }
        let results = handle.wait();
        assert_eq!(results.iter().filter(|r| r.is_err()).count(), 2);
        let text = log.text();
        let last = text.lines().last().unwrap();
        assert!(
            last.starts_with("[pool] 10/10 done (100%), 2 failed,"),
            "{text}"
        );
        assert!(last.ends_with(", finished"), "{text}");
    });
}

#[test]
fn progress_of_a_lazy_imap_learns_its_total_when_the_input_ends() {
    bounded(LIMIT, || {
        let log = Buffer::default();
        let progress =
            Progress::lines_to("lazy", Duration::from_secs(3600), log.clone());
        let pool = Pool::builder().jobs(2).progress(progress).build().unwrap();
        let inputs = (0..50u64).filter(|x| x % 2 == 0); // length unknown ahead
        assert_eq!(pool.imap(inputs, |x| x).count(), 25);
        assert!(
            log.text().starts_with("[lazy] 25/25 done (100%)"),
            "{}",
            log.text()
        );
    });
}

/// Fails its first run of each input, then succeeds: a flaky task. Its
/// input is self-describing (`serde_json::Value`), which no binary format
/// without a schema can decode.
struct FlakyJson;

static FLAKY_RUNS: AtomicUsize = AtomicUsize::new(0);

impl Task for FlakyJson {
    const NAME: &'static str = "flaky_json";
    type Input = serde_json::Value;
    type Output = u64;
    fn run(input: serde_json::Value) -> u64 {
        let run = FLAKY_RUNS.fetch_add(1, Ordering::SeqCst);
        assert!(run > 0, "the first run fails");
        input["x"].as_u64().unwrap()
    }
}

#[test]
fn retries_through_the_executor_are_real_runs_whatever_the_input() {
    bounded(LIMIT, || {
        let pool = Pool::builder().jobs(1).retries(2).build().unwrap();
        let results = pool.run_tasks::<FlakyJson>(vec![serde_json::json!({"x": 7})]);
        assert_eq!(results, [Ok(7)], "the second attempt ran and succeeded");
        assert_eq!(FLAKY_RUNS.load(Ordering::SeqCst), 2, "two real runs");
    });
}

struct Halve;

impl Task for Halve {
    const NAME: &'static str = "halve";
    type Input = u64;
    type Output = u64;
    fn run(x: u64) -> u64 {
        assert!(x.is_multiple_of(2), "{x} is odd");
        x / 2
    }
}

/// Code written once against `&impl Executor`: the backend is the caller's
/// one-line choice.
fn halve_all(executor: &impl Executor) -> Vec<Option<u64>> {
    let inputs: Vec<u64> = (0..50).collect();
    let results = executor.run_tasks::<Halve>(inputs);
    results.into_iter().map(Result::ok).collect()
}

#[test]
fn one_backend_switch_runs_the_same_task_serially_or_on_threads() {
    bounded(LIMIT, || {
        let expected = halve_all(&Serial);
        assert_eq!(expected[4], Some(2));
        assert_eq!(expected[3], None, "a panic is that task's failure");
        assert_eq!(halve_all(&Backend::Serial), expected);
        assert_eq!(halve_all(&Backend::threads(3).unwrap()), expected);
        let retrying = Pool::builder().jobs(2).retries(1).build().unwrap();
        assert_eq!(halve_all(&retrying), expected, "retries clone via encoding");
        let failure = Backend::threads(2).unwrap().run_tasks::<Halve>(vec![2, 5]);
        let failure = failure[1].clone().unwrap_err();
        assert_eq!(failure.index, 1);
        assert!(failure.message.contains("5 is odd"), "{failure}");
    });
}

#[test]
fn dropping_a_map_handle_skips_the_tasks_not_started() {
    bounded(LIMIT, || {
        let ran = Arc::new(AtomicUsize::new(0));
        let pool = Pool::builder().jobs(1).chunksize(1).build().unwrap();
        let (release, gate) = crossbeam_channel::unbounded::<()>();
        let counter = Arc::clone(&ran);
        let handle = pool.map_async(0..100u64, move |_| {
            let _ = gate.recv();
            counter.fetch_add(1, Ordering::SeqCst);
        });
        drop(handle);
        drop(release); // the running task returns
        drop(pool); // joins the worker after the queue is drained
        assert!(
            ran.load(Ordering::SeqCst) <= 1,
            "{}",
            ran.load(Ordering::SeqCst)
        );
    });
}
