//! The demo binary: a verified table on good flags, JSON on request, exit code 2
//! on bad ones.

use std::process::{Command, Output};

fn demo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thread-pools"))
        .args(args)
        .output()
        .unwrap()
}

const STRATEGIES: [&str; 13] = [
    "serial",
    "scoped threads",
    "crossbeam, 1 msg/task",
    "crossbeam, chunked",
    "rayon par_iter (global)",
    "rayon pool(jobs)",
    "rayon with_min_len",
    "rayon map_init",
    "Pool.map",
    "Pool.map_async+wait",
    "Pool.starmap",
    "Pool.imap_unordered",
    "run_parallel_step",
];

#[test]
fn prints_a_verified_table_with_every_strategy() {
    let out = demo(&[
        "--workload",
        "pi",
        "--size",
        "4",
        "--trials",
        "1000",
        "--jobs",
        "2",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    for strategy in STRATEGIES {
        assert!(table.contains(strategy), "{strategy}: {table}");
    }
    assert_eq!(
        table.matches("= serial").count(),
        STRATEGIES.len(),
        "{table}"
    );
    assert!(table.contains("efficiency"));
}

#[test]
fn prints_json_on_request() {
    let out = demo(&[
        "--workload",
        "files",
        "--size",
        "2",
        "--jobs",
        "2",
        "--json",
    ]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["workload"], "files");
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), STRATEGIES.len());
    assert!(rows.iter().all(|r| r["verified"] == true));
}

#[test]
fn bad_flags_exit_with_status_2_and_a_message() {
    for bad in [
        &["--size", "0"][..],
        &["--jobs", "0"],
        &["--workload", "unknown"],
        &["--verbose", "yes"],
    ] {
        let out = demo(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(message.contains("error:"), "{bad:?}: {message}");
    }
}
