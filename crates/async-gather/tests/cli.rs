//! The demo binary: a verified table for the latency example and for the
//! scheduler comparison, JSON on request, exit code 2 on bad flags.

use async_gather::names;
use workloads::testing::{
    assert_huge_sizes_refused, assert_usage_errors, assert_verified_json,
    assert_verified_table, run,
};

const DEMO: &str = env!("CARGO_BIN_EXE_async-gather");

/// The demo's table lists `strategies` after its serial baseline, all
/// verified; returns its header line.
fn verified_table(args: &[&str], strategies: &[&str]) -> String {
    let table = assert_verified_table(&run(DEMO, args), strategies);
    assert_eq!(
        table.matches("= serial").count(),
        strategies.len() + 1,
        "{table}"
    );
    assert!(table.contains("paired"), "every speedup is paired: {table}");
    table.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn latency_example_is_verified() {
    let header = verified_table(
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
            names::SPAWN_BLOCKING,
            names::ASYNC_BOUNDED,
            names::ASYNC_ALL_AT_ONCE,
        ],
    );
    // Waiting is not bounded by the CPU: no capacity, so no false flag.
    assert!(!header.contains("capacity"), "{header}");
}

#[test]
fn scheduler_comparison_is_verified() {
    let header = verified_table(
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
            names::CURRENT_THREAD,
            names::MULTI_THREAD,
            names::SPAWN_BLOCKING,
            names::RAYON_HAND_OFF,
            names::LOCAL_CLUSTER,
        ],
    );
    assert!(header.contains("parallel capacity now"), "{header}");
}

#[test]
fn prints_json_on_request() {
    let out = run(DEMO, &["--workload", "driver", "--size", "100", "--json"]);
    assert_verified_json(&out, "driver", 6);
}

#[test]
fn bad_flags_exit_with_status_2_and_a_message() {
    assert_usage_errors(DEMO, &[]);
}

#[test]
fn a_size_too_large_to_hold_is_a_usage_error_not_a_panic() {
    assert_huge_sizes_refused(DEMO, &[]);
}
