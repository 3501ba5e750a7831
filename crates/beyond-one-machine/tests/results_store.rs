//! Chapter 6's results store attacked as a careless or hostile user would:
//! whatever sits at an entry's path (garbage, an empty or huge file, a
//! directory, a pipe, another task's entry) reads as missing with a reason,
//! never as a value and never as a hang or a crash; shards writing the same
//! entry at once leave one whole entry; a results "directory" that is a
//! file is refused with a reason; a merge with entries missing or damaged
//! says which, and why. Every test is bounded.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use beyond_one_machine::Sweep;
use beyond_one_machine::array::{ArrayError, merge};
use beyond_one_machine::results::{Entry, Results, SweepRecord};

const BOUND: Duration = Duration::from_secs(30);

fn within<T: Send + 'static>(test: impl FnOnce() -> T + Send + 'static) -> T {
    workloads::testing::bounded(BOUND, test)
}

fn record() -> SweepRecord {
    SweepRecord {
        sweep: serde_json::json!({"a": [1.5, 2.5]}),
        size: 8,
        shards: 2,
    }
}

fn damaged(entry: Entry<f64>) -> String {
    match entry {
        Entry::Damaged(why) => why,
        other => panic!("read as {other:?}, not as damaged"),
    }
}

#[test]
fn whatever_sits_at_an_entrys_path_reads_as_damaged_with_a_reason() {
    within(|| {
        let dir = tempfile::tempdir().unwrap();
        let results = Results::create(dir.path(), &record()).unwrap();
        let path = |task: u64| dir.path().join(format!("task-{task}.entry"));
        fs::write(path(0), b"").unwrap();
        assert!(damaged(results.get(0)).contains("truncated"));
        fs::write(path(1), "{\"value\": 1.0} and garbage ".repeat(5)).unwrap();
        assert!(damaged(results.get(1)).contains("bad magic"));
        // A sparse 1 TiB file: refused from its header, never loaded.
        fs::File::create(path(2)).unwrap().set_len(1 << 40).unwrap();
        assert!(!damaged(results.get(2)).is_empty());
        fs::create_dir(path(3)).unwrap();
        assert!(!damaged(results.get(3)).is_empty());
        // A pipe nobody writes to: opening it for reading would wait forever.
        let fifo = std::process::Command::new("mkfifo").arg(path(4)).status();
        assert!(fifo.unwrap().success());
        assert!(!damaged(results.get(4)).is_empty());
        // A sealed entry whose payload is not a result of this type.
        results.put(5, &"a string, not a number").unwrap();
        assert!(damaged(results.get(5)).contains("decode"));
        // A symbolic link to this sweep's entry of another task.
        results.put(6, &6.0_f64).unwrap();
        std::os::unix::fs::symlink(path(6), path(7)).unwrap();
        assert!(!damaged(results.get(7)).is_empty());
        assert_eq!(results.get::<f64>(6), Entry::Present(6.0));
    });
}

#[test]
fn shards_writing_one_entry_at_once_leave_one_whole_entry() {
    within(|| {
        let dir = tempfile::tempdir().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|writer| {
                let results = Results::create(dir.path(), &record()).unwrap();
                std::thread::spawn(move || {
                    for round in 0..300 {
                        results.put(0, &vec![writer as f64; 100 + round]).unwrap();
                    }
                })
            })
            .collect();
        let reader = {
            let results = Results::open(dir.path(), &record()).unwrap();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut seen = 0;
                while !stop.load(Ordering::SeqCst) {
                    match results.get::<Vec<f64>>(0) {
                        Entry::Absent => {}
                        Entry::Present(v) => {
                            assert!(v.iter().all(|x| *x == v[0]), "a mixture");
                            seen += 1;
                        }
                        Entry::Damaged(why) => panic!("a reader saw damage: {why}"),
                    }
                }
                seen
            })
        };
        for writer in writers {
            writer.join().unwrap();
        }
        stop.store(true, Ordering::SeqCst);
        assert!(reader.join().unwrap() > 0);
        let results = Results::open(dir.path(), &record()).unwrap();
        assert!(matches!(results.get::<Vec<f64>>(0), Entry::Present(_)));
        let names: Vec<String> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.starts_with(".tmp")), "{names:?}");
    });
}

#[test]
fn a_results_directory_that_is_a_file_is_refused_with_a_reason() {
    within(|| {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("results");
        fs::write(&file, b"not a directory").unwrap();
        let created = Results::create(&file, &record()).unwrap_err();
        assert!(
            created.to_string().contains("not a directory"),
            "create: {created}"
        );
        let opened = Results::open(&file, &record()).unwrap_err();
        assert!(
            opened.to_string().contains("not a directory"),
            "open: {opened}"
        );
        assert_eq!(fs::read(&file).unwrap(), b"not a directory");
    });
}

/// A sweep of six tasks: task `i` is `i * i`.
#[derive(serde::Serialize)]
struct Squares;

impl Sweep for Squares {
    type Params = u64;
    type Output = f64;
    fn size(&self) -> u64 {
        6
    }
    fn params(&self, task: u64) -> u64 {
        task
    }
    fn compute(&self, i: u64) -> f64 {
        (i * i) as f64
    }
}

/// Stores every result of `sweep` in `dir` as `shards` shards would.
fn store_all(sweep: &Squares, shards: u64, dir: &Path) -> Results {
    let record = SweepRecord {
        sweep: serde_json::to_value(sweep).unwrap(),
        size: sweep.size(),
        shards,
    };
    let results = Results::create(dir, &record).unwrap();
    for task in 0..sweep.size() {
        results.put(task, &sweep.run(task)).unwrap();
    }
    results
}

#[test]
fn a_merge_with_entries_missing_or_damaged_names_each_and_why() {
    within(|| {
        let dir = tempfile::tempdir().unwrap();
        let sweep = Squares;
        store_all(&sweep, 2, dir.path());
        assert_eq!(merge(&sweep, 2, dir.path()).unwrap().len(), 6);
        fs::remove_file(dir.path().join("task-1.entry")).unwrap();
        let entry = dir.path().join("task-4.entry");
        let mut bytes = fs::read(&entry).unwrap();
        *bytes.last_mut().unwrap() ^= 1;
        fs::write(&entry, &bytes).unwrap();
        let err = merge(&sweep, 2, dir.path()).unwrap_err();
        assert!(matches!(err, ArrayError::Missing { .. }), "{err}");
        let message = err.to_string();
        assert!(message.contains("2 of 6 results missing"), "{message}");
        assert!(
            message.contains("shard 0/2 (tasks 0..3): 1 missing: 1"),
            "{message}"
        );
        assert!(
            message.contains("shard 1/2 (tasks 3..6): 1 missing: 4"),
            "{message}"
        );
        assert!(message.contains("task 4: checksum mismatch"), "{message}");
        assert_eq!(err.resubmit_ids().unwrap(), "0,1");
    });
}
