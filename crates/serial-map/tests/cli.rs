//! The demo binary: a verified table on good flags, exit code 2 on bad ones.

use serial_map::names;
use workloads::testing::{
    assert_huge_sizes_refused, assert_usage_errors, assert_verified_json,
    assert_verified_table, run,
};

const DEMO: &str = env!("CARGO_BIN_EXE_serial-map");
const STRATEGIES: &[&str] = &[
    names::FOR_LOOP,
    names::MY_MAP,
    names::ITERATOR_MAP,
    names::FOLD_SUM,
];

#[test]
fn prints_a_verified_table() {
    let out = run(
        DEMO,
        &["--workload", "pi", "--size", "4", "--trials", "1000"],
    );
    let table = assert_verified_table(&out, STRATEGIES);
    assert_eq!(
        table.matches("= serial").count(),
        STRATEGIES.len(),
        "{table}"
    );
}

#[test]
fn prints_json_on_request() {
    let out = run(DEMO, &["--workload", "files", "--size", "2", "--json"]);
    assert_verified_json(&out, "files", STRATEGIES.len());
}

#[test]
fn bad_flags_exit_with_status_2_and_a_message() {
    assert_usage_errors(DEMO, &[&["--trials", "0"]]);
}

#[test]
fn a_size_too_large_to_hold_is_a_usage_error_not_a_panic() {
    assert_huge_sizes_refused(DEMO, &[]);
}
