//! The demo binary: a verified table on good flags, exit code 2 on bad ones,
//! and no worker left behind when it is interrupted with Ctrl-C.

mod common;

use std::process::{Command, Stdio};

use process_pools::names;
use workloads::testing::{
    assert_usage_errors, assert_verified_json, assert_verified_table, run,
};

use common::{WORKER, alive, bounded, eventually, live_children};

const STRATEGIES: &[&str] = &[
    workloads::SERIAL,
    names::BY_HAND,
    names::PROCESS_POOL,
    names::RAYON_THREADS,
];

#[test]
fn prints_a_verified_table() {
    bounded(120, || {
        let args = [
            "--workload",
            "pi",
            "--size",
            "4",
            "--trials",
            "1000",
            "--jobs",
            "2",
        ];
        let table = assert_verified_table(&run(WORKER, &args), STRATEGIES);
        assert_eq!(
            table.matches("= serial").count(),
            STRATEGIES.len(),
            "{table}"
        );
        // The header shows the capacity, and every speedup was paired.
        let header = table.lines().next().unwrap_or_default();
        assert!(header.contains("parallel capacity now"), "{table}");
        assert!(header.contains("paired"), "{table}");
    });
}

#[test]
fn prints_json_on_request() {
    bounded(120, || {
        let args = [
            "--workload",
            "files",
            "--size",
            "2",
            "--jobs",
            "2",
            "--json",
        ];
        assert_verified_json(&run(WORKER, &args), "files", STRATEGIES.len());
    });
}

#[test]
fn progress_reaches_a_log_when_asked_for_and_only_then() {
    bounded(120, || {
        let args = ["--workload", "pi", "--size", "4", "--trials", "1000"];
        let quiet = run(WORKER, &args);
        assert!(quiet.status.success());
        let stderr = String::from_utf8_lossy(&quiet.stderr);
        assert!(!stderr.contains("[ProcessPool]"), "{stderr}");
        // stderr is a pipe here, as in a log: plain lines, the last at the end.
        let noisy = run(WORKER, &[&args[..], &["--progress"]].concat());
        assert_verified_table(&noisy, STRATEGIES);
        let stderr = String::from_utf8_lossy(&noisy.stderr);
        let last = stderr.lines().rfind(|l| l.starts_with("[ProcessPool]"));
        let last = last.unwrap_or_else(|| panic!("no progress: {stderr}"));
        assert!(last.starts_with("[ProcessPool] 4/4 done (100%)"), "{last}");
        assert!(last.ends_with("finished"), "{last}");
    });
}

#[test]
fn bad_flags_exit_with_status_2_and_a_message() {
    assert_usage_errors(
        WORKER,
        &[
            &["--chunksize", "0"],
            &["--size", "18446744073709551615"],
            &["--timeout", "-1"],
            &["--timeout", "0"],
            &["--timeout", "nan"],
            &["--timeout", "1e300"],
            &["--timeout", "soon"],
        ],
    );
    for bad in ["-1", "0", "nan", "1e300"] {
        let out = run(WORKER, &["--timeout", bad]);
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(
            message.contains("must be a positive number of seconds"),
            "{bad}: {message}"
        );
    }
}

fn is_pool_worker(pid: u32) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains("worker=pool"))
}

#[test]
fn ctrl_c_leaves_no_worker_behind() {
    bounded(120, || {
        // Serial sleeps 1 s, then the process pools run for about 0.6 s each.
        let mut child = Command::new(WORKER)
            .args([
                "--workload",
                "sleep",
                "--size",
                "4",
                "--scale",
                "0.2",
                "--jobs",
                "2",
            ])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let demo_pid = child.id();
        let mut workers = Vec::new();
        let seen = eventually(60, || {
            workers = live_children(demo_pid);
            workers.retain(|&pid| is_pool_worker(pid));
            workers.len() == 2
        });
        assert!(seen, "the demo's pool workers never appeared");
        // Ctrl-C, delivered to the demo only (a terminal would also signal
        // the workers, which share its process group).
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(demo_pid as i32),
            nix::sys::signal::Signal::SIGINT,
        )
        .unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success());
        assert!(
            eventually(10, || workers.iter().all(|&pid| !alive(pid))),
            "workers {workers:?} outlived the demo"
        );
    });
}
