//! The demo binary: the first run computes, the second loads from the cache,
//! `--clear` starts over; bad flags exit with status 2.

use std::process::{Command, Output};

use caching::names::{CACHED_RAYON, CACHED_SERIAL, CACHED_THREAD_POOLS};
use workloads::testing::assert_huge_sizes_refused;

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
    for strategy in [CACHED_SERIAL, CACHED_RAYON, CACHED_THREAD_POOLS] {
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
fn the_files_workload_is_served_from_the_cache_on_the_second_run() {
    // Each run writes its corpus to a new temporary directory: the key must
    // not contain that path, or nothing would ever hit.
    let dir = tempfile::tempdir().unwrap();
    let files = |cache: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_caching"))
            .args(["--workload", "files", "--size", "3", "--jobs", "2"])
            .arg("--cache-dir")
            .arg(cache)
            .output()
            .unwrap()
    };
    let cache = dir.path().join("cache");
    let first = files(&cache);
    let log = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{log}");
    assert!(table(&first).contains("1st pass (3 computed, 0 loaded)"));
    assert!(log.contains("run again"), "{log}");
    let second = files(&cache);
    let log = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{log}");
    assert!(
        table(&second).contains("1st pass (0 computed, 3 loaded)"),
        "{}",
        table(&second)
    );
    let (entries, _bytes) = caching::Memory::open(&cache).unwrap().usage().unwrap();
    assert_eq!(entries, 3, "the cache did not grow");
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

/// Runs the demo with `--cache-dir dir` and asserts a usage error (exit
/// code 2) whose message contains `expected`.
fn assert_cache_dir_refused(dir: &std::path::Path, expected: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_caching"))
        .args(["--workload", "driver", "--size", "2", "--cache-dir"])
        .arg(dir)
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("invalid value for '--cache-dir"), "{err}");
    assert!(err.contains(expected), "{err}");
    assert!(out.stdout.is_empty(), "no work was done");
}

#[test]
fn a_regular_file_as_cache_dir_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "").unwrap();
    assert_cache_dir_refused(&file, "is not a directory");
    assert_cache_dir_refused(&file.join("sub"), "cannot create cache directory");
    assert_eq!(std::fs::read(&file).unwrap(), b"", "the file is untouched");
}

#[cfg(unix)]
#[test]
fn a_read_only_cache_dir_is_a_usage_error() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555))
        .unwrap();
    let root = std::fs::write(locked.join("probe"), "").is_ok();
    let locked = if !root {
        locked
    } else if std::path::Path::new("/sys/kernel").is_dir() {
        // Root writes through permissions; sysfs refuses new files even so.
        "/sys/kernel".into()
    } else {
        eprintln!("running as root without /sys: skipped");
        return;
    };
    assert_cache_dir_refused(&locked, "is not writable");
}

#[test]
fn a_size_too_large_to_hold_is_a_usage_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let cache = cache.to_str().unwrap();
    assert_huge_sizes_refused(
        env!("CARGO_BIN_EXE_caching"),
        &["--cache-dir", cache],
    );
}
