//! The demo binary: the first run computes, the second loads from the cache,
//! `--clear` starts over; bad flags exit with status 2.

use std::process::{Command, Output};

fn demo(cache: &std::path::Path, extra: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_caching"))
        .args(["--workload", "sleep", "--size", "3", "--jobs", "2"])
        .args(["--scale", "0.01", "--cache-dir"])
        .arg(cache)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn table(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn second_run_is_served_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let first = table(&demo(&cache, &[]));
    assert!(first.contains("1st pass (3 computed, 0 loaded)"), "{first}");
    for strategy in ["serial, from cache", "rayon, from cache", "thread-pools"] {
        assert!(first.contains(strategy), "{first}");
    }
    assert_eq!(first.matches("= serial").count(), 4, "{first}");
    let second = table(&demo(&cache, &[]));
    assert!(
        second.contains("1st pass (0 computed, 3 loaded)"),
        "{second}"
    );
    let cleared = table(&demo(&cache, &["--clear"]));
    assert!(
        cleared.contains("1st pass (3 computed, 0 loaded)"),
        "{cleared}"
    );
}

#[test]
fn verbose_mode_says_why_a_call_missed() {
    let dir = tempfile::tempdir().unwrap();
    let out = demo(dir.path(), &["--verbose", "--json"]);
    let log = String::from_utf8(out.stderr).unwrap();
    assert!(log.contains("miss: new arguments"), "{log}");
    assert!(log.contains(": hit"), "{log}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["rows"].as_array().unwrap().len(), 4);
}

#[test]
fn bad_flags_exit_with_status_2() {
    workloads::testing::assert_usage_errors(
        env!("CARGO_BIN_EXE_caching"),
        &[&["--nope"]],
    );
}

#[test]
fn an_unusable_cache_dir_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_caching"))
        .args(["--workload", "driver", "--size", "2", "--cache-dir"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("is not a directory"), "{err}");
}
