//! The demo binary: a verified table for the latency example and for the
//! scheduler comparison, JSON on request, exit code 2 on bad flags.

use std::process::{Command, Output};

fn demo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_async-gather"))
        .args(args)
        .output()
        .unwrap()
}

fn verified_table(args: &[&str], strategies: &[&str]) {
    let out = demo(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    for strategy in strategies {
        assert!(table.contains(strategy), "{strategy}: {table}");
    }
    assert_eq!(
        table.matches("= serial").count(),
        strategies.len() + 1,
        "{table}"
    );
}

#[test]
fn latency_example_is_verified() {
    verified_table(
        &[
            "--workload",
            "sleep",
            "--size",
            "3",
            "--jobs",
            "2",
            "--scale",
            "0.01",
        ],
        &[
            "threads (spawn_blocking)",
            "async, 2 at a time",
            "async, all at once",
        ],
    );
}

#[test]
fn scheduler_comparison_is_verified() {
    verified_table(
        &[
            "--workload",
            "pi",
            "--size",
            "4",
            "--trials",
            "1000",
            "--jobs",
            "2",
        ],
        &[
            "current_thread",
            "multi_thread",
            "spawn_blocking",
            "rayon hand-off",
            "LocalCluster map+gather",
        ],
    );
}

#[test]
fn prints_json_on_request() {
    let out = demo(&["--workload", "driver", "--size", "100", "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["workload"], "driver");
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().all(|r| r["verified"] == true));
}

#[test]
fn bad_flags_exit_with_status_2_and_a_message() {
    for bad in [
        &["--size", "0"][..],
        &["--jobs", "0"],
        &["--workload", "unknown"],
        &["--scale", "-1"],
    ] {
        let out = demo(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(message.contains("error:"), "{bad:?}: {message}");
    }
}
