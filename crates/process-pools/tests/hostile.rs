//! Tasks and settings that used to hang the pool (issue 17), each now an
//! error for the task concerned, or simply working, within a bounded time and
//! with no process left behind: a task that reads stdin, a task that leaves a
//! background process behind before its worker crashes, times out or is
//! dropped, messages over the size limit, a worker executable deleted from
//! disk, and `timeout(Duration::MAX)`.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{WORKER, alive, bounded, eventually, executions, live_children, pool};
use process_pools::demo::{Behaviour, Blob, Misbehave};
use process_pools::{ProcessPool, TaskErrorKind};

/// A shell command that starts `sleep 100` in the background and writes its
/// pid to `file`.
fn background(file: &Path) -> String {
    format!("sleep 100 & echo $! > {}", file.display())
}

/// The pid in `file`, once it is there.
fn pid_in(file: &Path) -> u32 {
    assert!(eventually(10, || std::fs::read_to_string(file)
        .is_ok_and(|s| s.ends_with('\n'))));
    std::fs::read_to_string(file)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_task_that_reads_stdin_sees_its_end() {
    bounded(30, || {
        let pool = pool(1).chunksize(2).build().unwrap();
        let results =
            pool.map::<Misbehave>([Behaviour::ReadStdin, Behaviour::Return(1)]);
        assert_eq!(results, vec![Ok(0), Ok(1)]);
    });
}

#[test]
fn a_background_process_then_a_crash_neither_hangs_nor_survives() {
    bounded(30, || {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bg");
        let pool = pool(1).build().unwrap();
        let results = pool.map::<Misbehave>([
            Behaviour::Shell(background(&file)),
            Behaviour::Abort,
            Behaviour::Return(2),
        ]);
        assert_eq!(results[0], Ok(0));
        assert!(matches!(
            results[1].as_ref().unwrap_err().kind,
            TaskErrorKind::Crashed { .. }
        ));
        assert_eq!(results[2], Ok(2));
        let bg = pid_in(&file);
        assert!(
            eventually(5, || !alive(bg)),
            "background process {bg} survived"
        );
    });
}

#[test]
fn a_background_process_then_a_timeout_neither_hangs_nor_survives() {
    bounded(30, || {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bg");
        let pool = pool(1).timeout(Duration::from_millis(300)).build().unwrap();
        let command = format!("{}; sleep 100", background(&file));
        let results =
            pool.map::<Misbehave>([Behaviour::Shell(command), Behaviour::Return(1)]);
        assert!(matches!(
            results[0].as_ref().unwrap_err().kind,
            TaskErrorKind::TimedOut { .. }
        ));
        assert_eq!(results[1], Ok(1));
        let bg = pid_in(&file);
        assert!(
            eventually(5, || !alive(bg)),
            "background process {bg} survived"
        );
    });
}

#[test]
fn dropping_the_pool_after_a_background_process_neither_hangs_nor_leaves_it() {
    bounded(30, || {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bg");
        let pool = pool(1).build().unwrap();
        let results = pool.map::<Misbehave>([Behaviour::Shell(background(&file))]);
        assert_eq!(results, vec![Ok(0)]);
        let bg = pid_in(&file);
        assert!(alive(bg));
        drop(pool);
        assert!(
            eventually(5, || !alive(bg)),
            "background process {bg} survived"
        );
    });
}

/// What each descriptor of process `pid` (or "self") refers to, by number.
fn descriptors(pid: &str) -> Vec<(String, String)> {
    let dir = format!("/proc/{pid}/fd");
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let target = std::fs::read_link(e.path()).ok()?;
            let number = e.file_name().to_string_lossy().into_owned();
            Some((number, target.display().to_string()))
        })
        .collect()
}

#[test]
fn a_tasks_child_processes_do_not_inherit_the_protocol_pipes() {
    bounded(30, || {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("fds");
        let pool = pool(1).build().unwrap();
        let worker = pool.worker_pids()[0].to_string();
        // The worker's pipes that it did not inherit from this process: the
        // protocol's.
        let ours = descriptors("self");
        let protocol: Vec<String> = descriptors(&worker)
            .into_iter()
            .filter(|(_, target)| target.starts_with("pipe:"))
            .filter(|fd| !ours.contains(fd))
            .map(|(_, target)| target)
            .collect();
        assert_eq!(protocol.len(), 2, "{protocol:?}");
        // A shell started by a task lists what its descriptors refer to.
        let command = format!(
            "for fd in /proc/$$/fd/*; do readlink $fd; done > {}; true",
            file.display()
        );
        assert_eq!(
            pool.map::<Misbehave>([Behaviour::Shell(command)]),
            vec![Ok(0)]
        );
        let inherited = std::fs::read_to_string(&file).unwrap();
        for pipe in &protocol {
            assert!(!inherited.contains(pipe.as_str()), "{pipe} in {inherited}");
        }
    });
}

#[test]
fn an_input_over_the_message_limit_fails_alone_and_chunks_are_split_to_fit() {
    bounded(30, || {
        let limit = 64 * 1024;
        let pool = pool(1)
            .chunksize(8)
            .max_message_bytes(limit)
            .build()
            .unwrap();
        let inputs = (0..8).map(|i| {
            let size = if i == 3 { 100 * 1024 } else { 20 * 1024 };
            (vec![7u8; size], i)
        });
        let results = pool.map::<Blob>(inputs);
        for (i, result) in results.iter().enumerate() {
            if i != 3 {
                assert_eq!(result, &Ok(vec![0; i]), "task {i}");
            }
        }
        let error = results[3].as_ref().unwrap_err();
        assert!(
            matches!(error.kind, TaskErrorKind::TooLarge { what: "input", .. }),
            "{error}"
        );
        let message = error.to_string();
        assert!(message.contains("over the message limit of"), "{message}");
    });
}

#[test]
fn an_output_over_the_message_limit_fails_alone() {
    bounded(30, || {
        let limit = 64 * 1024;
        let pool = pool(1)
            .chunksize(3)
            .max_message_bytes(limit)
            .build()
            .unwrap();
        let results = pool.map::<Blob>([
            (Vec::new(), 1),
            (Vec::new(), 100 * 1024),
            (Vec::new(), 2),
        ]);
        assert_eq!(results[0], Ok(vec![0]));
        let error = results[1].as_ref().unwrap_err();
        let TaskErrorKind::TooLarge { what, limit: l, .. } = error.kind else {
            panic!("{error}")
        };
        assert_eq!((what, l), ("output", limit as u64));
        assert_eq!(results[2], Ok(vec![0, 0]));
    });
}

#[test]
fn a_deleted_worker_executable_is_an_error_when_a_worker_must_be_replaced() {
    bounded(60, || {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("worker");
        std::fs::copy(WORKER, &exe).unwrap();
        let pool = ProcessPool::builder()
            .workers(1)
            .worker_exe(&exe)
            .build()
            .unwrap();
        std::fs::remove_file(&exe).unwrap();
        let results =
            pool.map::<Misbehave>([Behaviour::Abort, Behaviour::Return(1)]);
        assert!(matches!(
            results[0].as_ref().unwrap_err().kind,
            TaskErrorKind::Crashed { .. }
        ));
        let error = results[1].as_ref().unwrap_err();
        assert!(
            matches!(error.kind, TaskErrorKind::WorkerUnavailable { .. }),
            "{error}"
        );
        // The pool goes on answering, with errors, until the program is back.
        let again = pool.map::<Misbehave>([Behaviour::Return(2)]);
        assert!(again[0].is_err());
        std::fs::copy(WORKER, &exe).unwrap();
        assert_eq!(pool.map::<Misbehave>([Behaviour::Return(3)]), vec![Ok(3)]);
    });
}

#[test]
fn a_timeout_of_duration_max_means_no_limit() {
    bounded(30, || {
        let pool = pool(2).timeout(Duration::MAX).build().unwrap();
        let results = pool.map::<Misbehave>((0..4).map(Behaviour::Return));
        assert_eq!(results, (0..4).map(Ok).collect::<Vec<_>>());
        let slow = pool.map::<Misbehave>([Behaviour::Sleep(50)]);
        assert_eq!(slow, vec![Ok(0)]);
    });
}

#[test]
fn a_task_writing_to_low_file_descriptors_cannot_reach_the_protocol() {
    bounded(60, || {
        let pool = pool(1).build().unwrap();
        let line = "1234 a log line from a careless library\n".to_owned();
        let results = pool.map::<Misbehave>([
            Behaviour::WriteFds(line.clone()),
            Behaviour::Return(7),
            Behaviour::WriteFds(line),
        ]);
        // Stdout (now stderr) takes the line; no protocol descriptor is in
        // reach, so the map ends with every result, and no hang.
        assert_eq!(results[1], Ok(7));
        for written in [&results[0], &results[2]] {
            let written = *written.as_ref().unwrap();
            assert!(written >= 1, "at least stdout: {written}");
        }
        assert_eq!(pool.map::<Misbehave>([Behaviour::Return(1)]), [Ok(1)]);
    });
}

#[test]
fn a_worker_stopped_while_idle_is_replaced_and_its_tasks_run_elsewhere() {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    bounded(60, || {
        let pool = pool(1).timeout(Duration::from_secs(1)).build().unwrap();
        let stopped = pool.worker_pids()[0];
        kill(Pid::from_raw(stopped as i32), Signal::SIGSTOP).unwrap();
        let started = std::time::Instant::now();
        let results = pool.map::<Misbehave>((0..6).map(|_| Behaviour::Sleep(100)));
        assert_eq!(results, vec![Ok(0); 6], "every task ran, none was blamed");
        // One timeout to notice, then 0.6 s of tasks on the new worker.
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert!(
            eventually(5, || !alive(stopped)),
            "the stopped worker is gone"
        );
        assert_ne!(pool.worker_pids(), [stopped]);
        // Each task ran exactly once, on the new worker; the stopped one is
        // no longer a child of this process (other tests' workers may be).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_str().unwrap().to_owned();
        let stopped_again = pool.worker_pids()[0];
        kill(Pid::from_raw(stopped_again as i32), Signal::SIGSTOP).unwrap();
        let tasks = (0..4).map(|id| (path.clone(), id, Behaviour::Return(id)));
        let results = pool.map::<process_pools::demo::Counted>(tasks);
        assert_eq!(results, [Ok(0), Ok(1), Ok(2), Ok(3)]);
        for id in 0..4 {
            let ran_in = executions(dir.path(), id);
            assert_eq!(ran_in.len(), 1, "task {id} ran {ran_in:?}");
            assert_ne!(ran_in[0], stopped_again, "not on the stopped worker");
        }
        assert!(
            eventually(5, || !alive(stopped_again)),
            "the stopped one is gone"
        );
        let children = live_children(std::process::id());
        assert!(!children.contains(&stopped_again), "{children:?}");
        assert!(pool.worker_pids().iter().all(|pid| children.contains(pid)));
    });
}

#[test]
fn a_task_that_moves_its_worker_to_another_group_still_times_out_and_dies() {
    bounded(60, || {
        let timeout = Duration::from_millis(500);
        let pool = pool(1).timeout(timeout).build().unwrap();
        let worker = pool.worker_pids()[0];
        let started = std::time::Instant::now();
        let results = pool
            .map::<Misbehave>([Behaviour::LeaveGroup(60_000), Behaviour::Return(1)]);
        let took = started.elapsed();
        assert!(
            matches!(
                results[0].as_ref().unwrap_err().kind,
                TaskErrorKind::TimedOut { .. }
            ),
            "{results:?}"
        );
        assert_eq!(results[1], Ok(1));
        assert!(
            took < Duration::from_secs(3),
            "TimedOut came after {took:?}"
        );
        assert!(!alive(worker), "the worker {worker} outlived its timeout");
        assert!(!live_children(std::process::id()).contains(&worker));
    });
}
