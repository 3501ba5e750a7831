//! Out of file descriptors when a crashed worker must be replaced: the tasks
//! that needed the new worker fail with the reason, the driver neither panics
//! nor hangs, and the pool recovers once descriptors are available again. Its
//! own test binary, because it lowers this process's descriptor limit.

mod common;

use std::process::Command;

use common::{bounded, pool};
use process_pools::TaskErrorKind;
use process_pools::demo::{Behaviour, Misbehave};

/// The lowest descriptor number not in use: with the soft limit set to it,
/// this process can open nothing more.
fn lowest_free_fd() -> u64 {
    let open: Vec<u64> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse().ok())
        .collect();
    (0..).find(|fd| !open.contains(fd)).unwrap()
}

/// Sets this process's soft limit on descriptors (the hard one stays).
fn set_fd_limit(soft: &str) {
    let me = std::process::id().to_string();
    let status = Command::new("prlimit")
        .args(["--pid", &me, &format!("--nofile={soft}:")])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn running_out_of_descriptors_fails_the_tasks_not_the_pool() {
    bounded(60, || {
        let pool = pool(1).build().unwrap();
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
        let soft = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .and_then(|l| l.split_whitespace().nth(3))
            .unwrap()
            .to_owned();
        // The first task crashes its worker; the next ones need a new one.
        let inputs = [Behaviour::Abort, Behaviour::Return(1), Behaviour::Return(2)];
        let free = lowest_free_fd();
        set_fd_limit(&free.to_string());
        let results = pool.map::<Misbehave>(inputs);
        set_fd_limit(&soft);
        assert!(matches!(
            results[0].as_ref().unwrap_err().kind,
            TaskErrorKind::Crashed { .. }
        ));
        for result in &results[1..] {
            let error = result.as_ref().unwrap_err();
            let TaskErrorKind::WorkerUnavailable { detail } = &error.kind else {
                panic!("{error}")
            };
            assert!(detail.contains("Too many open files"), "{detail}");
        }
        assert_eq!(pool.map::<Misbehave>([Behaviour::Return(3)]), vec![Ok(3)]);
    });
}
