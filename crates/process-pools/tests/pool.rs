//! The robust pool: equal to serial on every workload, order kept, the
//! unordered stream, multi-argument tasks, chunking, recycling, and clear
//! errors for an unknown function or an undeserialisable message.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{NotRegistered, WORKER, bounded, pool};
use process_pools::demo::{
    Driver, PiMc, ReadSetting, RunWorkload, SETTING, ScaleBy, Square, WhoAmI,
};
use process_pools::{PoolError, ProcessPool, Task, TaskErrorKind};
use workloads::{Workload, WorkloadKind};

#[test]
fn equal_to_serial_on_every_workload() {
    bounded(120, || {
        let workloads = [
            Workload::prepare(WorkloadKind::Driver, 200, 1, 1.0).unwrap(),
            Workload::prepare(WorkloadKind::Pi, 6, 2_000, 1.0).unwrap(),
            Workload::prepare(WorkloadKind::Sleep, 3, 1, 0.01).unwrap(),
            Workload::prepare(WorkloadKind::Files, 3, 1, 1.0).unwrap(),
        ];
        for chunksize in [1, 4] {
            let pool = pool(2).chunksize(chunksize).build().unwrap();
            for workload in &workloads {
                let serial: Vec<_> =
                    workload.inputs().iter().map(|&i| workload.run(i)).collect();
                let tasks = workload
                    .inputs()
                    .into_iter()
                    .map(|i| (workload.spec().clone(), i));
                let parallel: Vec<_> = pool
                    .map::<RunWorkload>(tasks)
                    .into_iter()
                    .map(Result::unwrap)
                    .collect();
                assert_eq!(
                    parallel,
                    serial,
                    "{:?}, chunksize {chunksize}",
                    workload.spec().kind
                );
            }
        }
    });
}

#[test]
fn map_keeps_input_order_with_any_chunksize() {
    bounded(60, || {
        for chunksize in [1, 7, 1000] {
            let pool = pool(2).chunksize(chunksize).build().unwrap();
            let results = pool.map::<Square>(0..2000u64);
            let expected: Vec<_> = (0..2000u64).map(|x| Ok(x * x)).collect();
            assert_eq!(results, expected, "chunksize {chunksize}");
        }
    });
}

#[test]
fn multi_argument_tasks_take_a_tuple() {
    bounded(60, || {
        let pool = pool(2).build().unwrap();
        let pi = pool.map::<PiMc>((0..4).map(|seed| (seed, 1_000)));
        for (seed, estimate) in pi.into_iter().enumerate() {
            assert_eq!(estimate, Ok(workloads::pi_mc(seed as u64, 1_000)));
        }
        let d = pool.map::<Driver>([(3.0, 1.0, 2.0)]);
        assert_eq!(d, vec![Ok(workloads::driver(3.0, 1.0, 2.0))]);
    });
}

#[test]
fn an_empty_input_gives_no_results() {
    bounded(30, || {
        let pool = pool(1).build().unwrap();
        assert!(pool.map::<Square>(Vec::new()).is_empty());
        assert_eq!(pool.imap_unordered::<Square>(Vec::new()).count(), 0);
    });
}

#[test]
fn the_unordered_stream_yields_every_task_once_as_it_finishes() {
    bounded(60, || {
        let pool = pool(2).build().unwrap();
        // Task 0 is slow: a fast task finishes before it.
        let inputs = (0..6u64).map(|i| (i, if i == 0 { 300 } else { 10 }));
        let order: Vec<(usize, (u64, u32))> = pool
            .imap_unordered::<WhoAmI>(inputs)
            .map(|(task, result)| (task, result.unwrap()))
            .collect();
        let tasks: HashSet<usize> = order.iter().map(|(task, _)| *task).collect();
        assert_eq!(tasks, (0..6).collect());
        for (task, (index, pid)) in &order {
            assert_eq!(*task as u64, *index);
            assert!(pool.worker_pids().contains(pid));
        }
        assert_ne!(order[0].0, 0, "the slow task does not finish first");
    });
}

#[test]
fn dropping_the_stream_early_cancels_the_rest() {
    bounded(60, || {
        let pool = pool(1).build().unwrap();
        let mut stream = pool.imap_unordered::<WhoAmI>((0..50).map(|i| (i, 20)));
        assert!(stream.next().is_some());
        drop(stream); // 49 × 20 ms not run: this returns quickly
        assert_eq!(pool.map::<Square>([3]), vec![Ok(9)]);
    });
}

#[test]
fn tasks_spread_over_every_worker() {
    bounded(60, || {
        let pool = pool(2).build().unwrap();
        let pids: HashSet<u32> = pool
            .map::<WhoAmI>((0..8).map(|i| (i, 30)))
            .into_iter()
            .map(|r| r.unwrap().1)
            .collect();
        assert_eq!(pids, pool.worker_pids().into_iter().collect());
        assert!(
            !pids.contains(&std::process::id()),
            "not run in this process"
        );
    });
}

#[test]
fn long_tasks_after_tiny_ones_are_shared_out() {
    bounded(60, || {
        let pool = pool(2).build().unwrap();
        // Tiny tasks teach each worker's driver to send many ahead...
        let tiny = pool.map::<WhoAmI>((0..400).map(|i| (i, 0)));
        assert!(tiny.iter().all(Result::is_ok));
        // ...which must not carry over to the next map: four long tasks go
        // two and two, not four to whichever driver reads the queue first.
        let mut per_worker = std::collections::HashMap::<u32, usize>::new();
        for result in pool.map::<WhoAmI>((0..4).map(|i| (i, 300))) {
            *per_worker.entry(result.unwrap().1).or_default() += 1;
        }
        let mut counts: Vec<usize> = per_worker.into_values().collect();
        counts.sort_unstable();
        assert_eq!(counts, [2, 2], "tasks per worker");
    });
}

#[test]
fn max_tasks_per_worker_recycles_workers() {
    bounded(60, || {
        let pool = pool(1)
            .max_tasks_per_worker(2)
            .chunksize(3)
            .build()
            .unwrap();
        let results = pool.map::<WhoAmI>((0..6).map(|i| (i, 0)));
        let pids: Vec<u32> = results.iter().map(|r| r.as_ref().unwrap().1).collect();
        assert_eq!(pids[0], pids[1]);
        assert_ne!(pids[1], pids[2]);
        assert_eq!(pids[2], pids[3]);
        assert_eq!(pids.iter().collect::<HashSet<_>>().len(), 3);
        for pid in &pids[..4] {
            assert!(!common::alive(*pid), "retired worker {pid} exited");
        }
    });
}

#[test]
fn an_unknown_function_name_is_a_clear_error() {
    bounded(30, || {
        let pool = pool(1).chunksize(2).build().unwrap();
        let results = pool.map::<NotRegistered>([1, 2, 3]);
        for (task, result) in results.into_iter().enumerate() {
            let error = result.unwrap_err();
            assert_eq!(error.task, task);
            assert_eq!(
                error.kind,
                TaskErrorKind::UnknownFunction {
                    name: "not_registered".into()
                }
            );
            assert!(
                error
                    .to_string()
                    .contains("no function named `not_registered`")
            );
        }
        assert_eq!(pool.map::<Square>([4]), vec![Ok(16)], "the worker survives");
    });
}

#[test]
fn a_self_describing_input_fails_at_first_use_saying_what_to_send() {
    bounded(30, || {
        let pool = pool(1).build().unwrap();
        let inputs = vec![serde_json::json!({"a": 1}), serde_json::json!({})];
        let results = pool.map::<process_pools::demo::JsonFields>(inputs);
        assert_eq!(results.len(), 2);
        for result in results {
            let message = result.unwrap_err().to_string();
            assert!(message.contains("self-describing"), "{message}");
            assert!(message.contains("JSON String"), "{message}");
        }
        // The pool is still usable.
        assert_eq!(pool.map::<process_pools::demo::Square>(vec![3]), [Ok(9)]);
    });
}

/// Claims to be `square` but sends a string.
struct SquareOfText;

impl Task for SquareOfText {
    const NAME: &'static str = "square";
    type Input = String;
    type Output = u64;
    fn run(_: String) -> u64 {
        unreachable!("never run here")
    }
}

/// Claims `square` returns text.
struct SquareAsText;

impl Task for SquareAsText {
    const NAME: &'static str = "square";
    type Input = u64;
    type Output = String;
    fn run(_: u64) -> String {
        unreachable!("never run here")
    }
}

/// What a stale worker binary looks like from the parent: the same name, and
/// types whose encodings look alike (`-5i64` is encoded as `9u64`).
struct SquareSigned;

impl Task for SquareSigned {
    const NAME: &'static str = "square";
    type Input = i64;
    type Output = i64;
    fn run(x: i64) -> i64 {
        x * x
    }
}

#[test]
fn a_task_with_other_types_under_the_same_name_is_a_type_mismatch() {
    bounded(30, || {
        let pool = pool(1).chunksize(2).build().unwrap();
        // Before the type fingerprint, -5 came back as -41: 9u64 squared is
        // 81, decoded as a zigzag i64.
        let results = pool.map::<SquareSigned>([-5, 3, 2]);
        for (task, result) in results.iter().enumerate() {
            let error = result.as_ref().unwrap_err();
            assert_eq!(error.task, task);
            let TaskErrorKind::TypeMismatch { detail } = &error.kind else {
                panic!("{error:?}")
            };
            assert!(
                detail.contains("takes u64 and returns u64")
                    && detail.contains("stale"),
                "{detail}"
            );
        }
        let error = pool
            .map::<SquareOfText>(["seven".to_owned()])
            .remove(0)
            .unwrap_err();
        assert!(
            matches!(error.kind, TaskErrorKind::TypeMismatch { .. }),
            "{error}"
        );
        let error = pool.map::<SquareAsText>([3u64]).remove(0).unwrap_err();
        assert!(
            matches!(error.kind, TaskErrorKind::TypeMismatch { .. }),
            "{error}"
        );
        assert_eq!(pool.map::<Square>([5]), vec![Ok(25)], "the worker survives");
    });
}

#[test]
fn a_global_changed_in_the_parent_is_not_seen_by_workers() {
    bounded(30, || {
        let pool = pool(2).build().unwrap();
        SETTING.store(10, std::sync::atomic::Ordering::Relaxed);
        // Threads share the global; worker processes have their own copy.
        assert_eq!(
            std::thread::spawn(|| ReadSetting::run(3)).join().unwrap(),
            30
        );
        assert_eq!(pool.map::<ReadSetting>([3]), vec![Ok(3)]);
        // The fix: send what the task needs with it.
        let factor = SETTING.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(pool.map::<ScaleBy>([(factor, 3)]), vec![Ok(30)]);
    });
}

#[test]
fn bad_settings_and_non_worker_programs_are_build_errors() {
    bounded(60, || {
        for bad in [
            pool(0),
            pool(1).chunksize(0),
            pool(1).max_tasks_per_worker(0),
        ] {
            assert!(matches!(bad.build(), Err(PoolError::Invalid(_))));
        }
        let missing = ProcessPool::builder()
            .workers(1)
            .worker_exe("/no/such/program");
        assert!(matches!(missing.build(), Err(PoolError::Spawn { .. })));
        // A program that is not a worker at all.
        let not_a_worker = ProcessPool::builder().workers(1).worker_exe("/bin/true");
        let error = not_a_worker.build().unwrap_err().to_string();
        assert!(
            error.contains("worker_main_if_requested_with(&registry)"),
            "{error}"
        );
        for bad in [
            pool(1).max_message_bytes(10),
            pool(1).timeout(Duration::ZERO),
        ] {
            assert!(matches!(bad.build(), Err(PoolError::Invalid(_))));
        }
        assert!(std::path::Path::new(WORKER).exists());
    });
}

#[test]
fn a_pool_can_be_shared_by_threads() {
    bounded(60, || {
        let pool = pool(2).build().unwrap();
        std::thread::scope(|s| {
            for t in 0..3u64 {
                let pool = &pool;
                s.spawn(move || {
                    let inputs: Vec<u64> = (t * 100..t * 100 + 100).collect();
                    let expected: Vec<_> =
                        inputs.iter().map(|x| Ok(x * x)).collect();
                    assert_eq!(pool.map::<Square>(inputs), expected);
                });
            }
        });
    });
}
