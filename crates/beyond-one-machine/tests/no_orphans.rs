//! Killing the demo, however it is killed, leaves none of its shard or
//! cluster processes running. (Its own test binary: it counts the children of
//! the processes it starts, and no other test may start any meanwhile.)

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The pids of the processes whose parent is `parent`.
fn children_of(parent: u32) -> Vec<i32> {
    let mut found = Vec::new();
    for item in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = item.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may hold spaces, so split after ')'.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
        if fields.get(1).and_then(|p| p.parse::<u32>().ok()) == Some(parent) {
            found.push(pid);
        }
    }
    found
}

/// Whether `pid` is running (not gone, not a zombie waiting to be reaped).
fn running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.trim().chars().next());
        !matches!(state, Some('Z' | 'X'))
    })
}

/// Kills a demo if the test fails before it does.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the demo with `args`, waits until it has `want` children, kills it
/// with `signal`, and returns its children still running 1 s later (killing
/// those, so that a failing test leaves nothing behind either).
fn survivors(args: &[&str], want: usize, signal: Signal) -> Vec<i32> {
    let mut demo = Demo(
        Command::new(env!("CARGO_BIN_EXE_beyond-one-machine"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let children = loop {
        let children = children_of(demo.0.id());
        if children.len() >= want {
            break children;
        }
        assert!(
            Instant::now() < deadline,
            "the demo never started {want} children"
        );
        assert!(demo.0.try_wait().unwrap().is_none(), "the demo ended first");
        std::thread::sleep(Duration::from_millis(10));
    };
    kill(Pid::from_raw(demo.0.id() as i32), signal).unwrap();
    demo.0.wait().unwrap();
    std::thread::sleep(Duration::from_secs(1));
    let alive: Vec<i32> = children.into_iter().filter(|&pid| running(pid)).collect();
    for &pid in &alive {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
    alive
}

#[test]
fn killing_a_demo_kills_its_shards_and_cluster_processes() {
    // Sleep tasks of 1 s and 2 s: the children live long enough to be seen.
    let sleep = ["--workload", "sleep", "--size", "2", "--scale", "2"];
    let mut array = vec!["array", "--shards", "2", "--jobs", "2"];
    array.extend(sleep);
    let mut timely = vec!["timely", "--processes", "2", "--workers", "1"];
    timely.extend(sleep);
    for signal in [Signal::SIGKILL, Signal::SIGTERM] {
        for (args, children) in [(&array, 2), (&timely, 2)] {
            let alive = survivors(args, children, signal);
            assert!(
                alive.is_empty(),
                "{signal} of {args:?} left {alive:?} running"
            );
        }
    }
}
