//! Many threads, and two processes, writing and reading the same keys at
//! once: every read returns the correct value (or, before any write, none);
//! `clear` and `reduce_size` running meanwhile neither fail nor disturb them.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use caching::{Limits, Memory};
use workloads::testing::{bounded, wait_bounded};

const KEYS: u64 = 50;
const ROUNDS: usize = 4;
/// Set in the child process: the cache directory it hammers.
const CHILD_ENV: &str = "CACHING_TEST_CHILD_DIR";

/// The value of key `k`: big enough (16 KiB) that a torn write would show.
fn value(k: u64) -> Vec<u64> {
    (0..2048).map(|j| k.wrapping_mul(1_000_003) ^ j).collect()
}

/// Writes and reads every key several times, asserting each read is right.
fn hammer(memory: &Memory, offset: u64) {
    let f = memory.function::<Vec<u64>>("shared", 0);
    for round in 0..ROUNDS {
        for j in 0..KEYS {
            let k = (j + offset + round as u64) % KEYS;
            if round % 2 == 0 {
                f.put(&k, &value(k)).unwrap(); // always overwrite: races on purpose
            }
            assert_eq!(f.call(&k, || value(k)), value(k), "key {k}");
            if let Some(v) = f.get(&k) {
                assert_eq!(v, value(k), "key {k}");
            }
        }
    }
}

#[test]
fn many_threads_write_the_same_keys() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path()).unwrap();
    std::thread::scope(|s| {
        for t in 0..8 {
            let memory = memory.clone();
            s.spawn(move || hammer(&memory, t * 7));
        }
    });
    let stats = memory.stats();
    assert_eq!(stats.corrupt, 0, "{stats:?}");
    assert_eq!(memory.usage().unwrap().0, KEYS as usize);
}

/// Run only as the child of `two_processes_write_the_same_keys`.
#[test]
#[ignore = "run by two_processes_write_the_same_keys in a child process"]
fn child_process_hammers() {
    let dir = std::env::var(CHILD_ENV).expect("run by the parent test");
    let memory = Memory::new(dir).unwrap();
    hammer(&memory, 13);
    assert_eq!(memory.stats().corrupt, 0);
}

#[test]
fn two_processes_write_the_same_keys() {
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path()).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process_hammers",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    hammer(&memory, 0);
    let status = wait_bounded(&mut child, Duration::from_secs(60));
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(
        status.success(),
        "the child's reads were wrong: {status}\n{out}"
    );
    assert!(out.contains("1 passed"), "the child ran its test: {out}");
    assert_eq!(memory.stats().corrupt, 0);
    let f = memory.function::<Vec<u64>>("shared", 0);
    for k in 0..KEYS {
        assert_eq!(f.get(&k), Some(value(k)));
    }
}

#[test]
fn housekeeping_runs_safely_alongside_readers_and_writers() {
    bounded(Duration::from_secs(120), || {
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::new(dir.path()).unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        let sweeps = std::thread::scope(|s| {
            let writers: Vec<_> = (0..4)
                .map(|t| {
                    let memory = memory.clone();
                    s.spawn(move || hammer(&memory, t * 11))
                })
                .collect();
            let keeper = s.spawn(|| {
                let mut sweeps = 0;
                let few = Limits {
                    max_items: Some(5),
                    ..Limits::default()
                };
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    memory.clear().expect("clear while others work");
                    memory.reduce_size(few).expect("reduce_size likewise");
                    sweeps += 1;
                }
                sweeps
            });
            for writer in writers {
                writer.join().expect("every read was right");
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            keeper.join().expect("housekeeping never failed")
        });
        assert!(sweeps > 0);
        let stats = memory.stats();
        assert_eq!((stats.corrupt, stats.store_failures), (0, 0), "{stats:?}");
    });
}
