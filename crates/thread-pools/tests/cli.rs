//! The demo binary: a verified table on good flags, JSON on request, exit code 2
//! on bad ones.

use thread_pools::names;
use workloads::testing::{
    assert_huge_sizes_refused, assert_usage_errors, assert_verified_json,
    assert_verified_table, run,
};

const DEMO: &str = env!("CARGO_BIN_EXE_thread-pools");

const STRATEGIES: [&str; 13] = [
    workloads::SERIAL,
    names::SCOPED,
    names::CROSSBEAM,
    names::CROSSBEAM_CHUNKED,
    names::RAYON_GLOBAL,
    names::RAYON,
    names::RAYON_MIN_LEN,
    names::RAYON_MAP_INIT,
    names::POOL_MAP,
    names::POOL_MAP_ASYNC,
    names::POOL_STARMAP,
    names::POOL_IMAP_UNORDERED,
    names::RUN_PARALLEL_STEP,
];

#[test]
fn prints_a_verified_table_with_every_strategy() {
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
    let table = assert_verified_table(&run(DEMO, &args), &STRATEGIES);
    assert_eq!(
        table.matches("= serial").count(),
        STRATEGIES.len(),
        "{table}"
    );
    assert!(table.contains("efficiency"));
}

#[test]
fn prints_json_on_request() {
    let args = [
        "--workload",
        "files",
        "--size",
        "2",
        "--jobs",
        "2",
        "--json",
    ];
    assert_verified_json(&run(DEMO, &args), "files", STRATEGIES.len());
}

#[test]
fn bad_flags_exit_with_status_2_and_a_message() {
    assert_usage_errors(DEMO, &[&["--verbose", "yes"]]);
}

#[test]
fn a_size_too_large_to_hold_is_a_usage_error_not_a_panic() {
    assert_huge_sizes_refused(DEMO, &[]);
}
