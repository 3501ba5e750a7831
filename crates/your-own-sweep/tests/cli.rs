//! The binary as a user runs it: every backend prints the same table, a
//! second run is served from the cache, bad flags are usage errors (exit
//! code 2) and nothing is left running.

use std::process::{Command, Output};

const EXE: &str = env!("CARGO_BIN_EXE_your-own-sweep");

fn run<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S]) -> Output {
    // `timeout` bounds the run: a hang fails the test. Run in a directory
    // of its own, so that a flag mistaken for a path leaves nothing here.
    let cwd = tempfile::tempdir().unwrap();
    let output = Command::new("timeout")
        .arg("60")
        .arg(EXE)
        .args(args)
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(124), "timed out: {args:?}");
    output
}

#[test]
fn every_backend_prints_the_same_table() {
    let cache = tempfile::tempdir().unwrap();
    let table = |backend: &str| {
        let dir = cache.path().join(backend);
        let dir = dir.to_str().unwrap();
        let args = [
            "--backend",
            backend,
            "--rates",
            "6",
            "--cache",
            dir,
            "--progress",
        ];
        let out = run(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log = String::from_utf8(out.stderr).unwrap();
        (String::from_utf8(out.stdout).unwrap(), log)
    };
    let (serial, _) = table("serial");
    assert_eq!(serial.lines().count(), 1 + 12, "a header and 6 × 2 points");
    let (threads, log) = table("threads");
    assert_eq!(threads, serial);
    assert!(log.contains("[sweep] 12/12 done (100%)"), "progress: {log}");
    let (processes, _) = table("processes");
    assert_eq!(processes, serial);
    let (again, _) = table("processes"); // from the cache this time
    assert_eq!(again, serial);
}

#[test]
fn bad_flags_are_usage_errors() {
    for bad in [
        &["--backend", "gpu"][..],
        &["--jobs", "0"],
        &["--rates", "many"],
        &["--jobs"],
        &["--nope"],
        &["--cache", "/dev/null"],
        // A careless user's: the value forgotten before the next flag, an
        // empty path, a negative or huge count, `=` syntax, a stray word.
        &["--cache", "--progress"],
        &["--cache", ""],
        &["--cache", "/dev/null/below-a-file"],
        &["--jobs", "-1"],
        &["--jobs", "99999999999999999999999"],
        &["--rates=5"],
        &["extra"],
    ] {
        let out = run(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("your-own-sweep: "), "{bad:?}: {err}");
        assert!(out.stdout.is_empty(), "nothing half written: {bad:?}");
    }
}

#[test]
fn a_cache_path_that_is_not_utf8_works_and_a_bad_flag_is_a_usage_error() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(OsStr::from_bytes(b"cache-\xff"));
    let out = run(&[
        OsStr::new("--rates"),
        OsStr::new("3"),
        OsStr::new("--cache"),
        cache.as_os_str(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(cache.is_dir(), "the cache is where the user said");
    let out = run(&[OsStr::new("--backend"), OsStr::from_bytes(b"thr\xffeads")]);
    assert_eq!(out.status.code(), Some(2), "a usage error, not a panic");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid text"));
}
