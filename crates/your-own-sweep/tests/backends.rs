//! The sweep gives the same numbers, bit for bit, serially, on threads and in
//! worker processes. The process pool's workers are this crate's binary
//! (`CARGO_BIN_EXE_your-own-sweep`), whose `main` calls the worker hook:
//! the test binary itself cannot serve (libtest owns its `main`).

use std::time::Duration;

use process_pools::ProcessPool;
use thread_pools::{Pool, Serial};
use your_own_sweep::{Backend, grid, linspace, sweep};

/// A bound for every test: a hang fails it instead of blocking CI.
const LIMIT: Duration = Duration::from_secs(120);

fn means(results: Vec<Result<f64, thread_pools::TaskFailure>>) -> Vec<u64> {
    results.into_iter().map(|r| r.unwrap().to_bits()).collect()
}

// ANCHOR: test_backends
#[test]
fn every_backend_gives_the_serial_results() {
    bounded(|| {
        let rates = linspace(2.8, 4.0, 12);
        let run = |backend: &Backend| {
            let cache = tempfile::tempdir().unwrap(); // a cold cache each
            means(backend.sweep(grid(&rates, &[100, 1_000], cache.path())))
        };
        let expected = run(&Backend::Serial);
        let threads = Backend::Threads(Pool::new(2).unwrap());
        assert_eq!(run(&threads), expected);
        let processes = ProcessPool::builder()
            .workers(2)
            .worker_exe(env!("CARGO_BIN_EXE_your-own-sweep"))
            .build()
            .unwrap();
        assert_eq!(run(&Backend::Processes(processes)), expected);
    });
}
// ANCHOR_END: test_backends

#[test]
fn a_point_that_fails_is_its_own_error() {
    bounded(|| {
        let cache = tempfile::tempdir().unwrap();
        let mut points = grid(&[3.0, 3.5], &[100], cache.path());
        points[1].cache = cache.path().join("missing"); // not a cache directory
        let results = sweep(&Serial, points);
        assert!(results[0].is_ok());
        let failure = results[1].clone().unwrap_err();
        assert_eq!(failure.index, 1);
        assert!(
            failure.message.contains("cannot use the cache"),
            "{failure}"
        );
    });
}

/// Runs `body` on another thread, failing the test after [`LIMIT`].
fn bounded(body: impl FnOnce() + Send + 'static) {
    let (done, finished) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        body();
        let _ = done.send(());
    });
    match finished.recv_timeout(LIMIT) {
        Ok(()) => worker.join().unwrap(),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("no result after {LIMIT:?}")
        }
    }
}
