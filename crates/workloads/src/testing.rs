//! Test helpers shared by every chapter's tests: [`bounded`], which turns a
//! hang into a failure, [`wait_bounded`], which does the same for a child
//! process, [`Buffer`], a sink whose progress lines a test reads back, and
//! the demo checks of `tests/cli.rs` — run the demo
//! binary and assert what [`crate::report::Report`] promises: every strategy
//! listed and equal to serial, JSON on request, exit code 2 on bad flags.
//!
//! ```no_run
//! use workloads::testing::{assert_usage_errors, assert_verified_table, run};
//! let exe = "target/debug/serial-map"; // env!("CARGO_BIN_EXE_<crate>") in a test
//! let out = run(exe, &["--workload", "pi", "--size", "4", "--trials", "1000"]);
//! assert_verified_table(&out, &["for loop", "my_map"]);
//! assert_usage_errors(exe, &[&["--size", "0"]]);
//! ```

use std::io::Write;
use std::process::{Child, Command, ExitStatus, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Flags every demo must refuse with exit code 2 (see [`crate::cli`]).
pub const BAD_COMMON_FLAGS: &[&[&str]] = &[
    &["--size", "0"],
    &["--jobs", "0"],
    &["--workload", "unknown"],
    &["--size", "ten"],
    &["--scale", "-1"],
];

/// Runs the demo `exe` with `args` and returns what it did.
///
/// # Panics
/// If `exe` cannot be started.
pub fn run(exe: &str, args: &[&str]) -> Output {
    Command::new(exe)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot start {exe}: {e}"))
}

/// Asserts the demo succeeded and printed a table in which each of
/// `strategies` appears, every row equals serial, and nothing mismatched.
/// Returns the table for further checks.
pub fn assert_verified_table(out: &Output, strategies: &[&str]) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    for strategy in strategies {
        assert!(table.contains(strategy), "{strategy} missing: {table}");
    }
    let rows = table
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .count();
    assert!(rows >= strategies.len(), "{table}");
    assert_eq!(table.matches("= serial").count(), rows, "{table}");
    assert!(!table.contains("MISMATCH"), "{table}");
    table
}

/// Asserts the demo succeeded and printed the JSON report of `workload` with
/// `rows` rows, all verified. Returns the JSON.
pub fn assert_verified_json(
    out: &Output,
    workload: &str,
    rows: usize,
) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("--json prints JSON");
    assert_eq!(json["workload"], workload);
    let list = json["rows"].as_array().expect("a list of rows");
    assert_eq!(list.len(), rows, "{json}");
    assert!(list.iter().all(|r| r["verified"] == true), "{json}");
    json
}

/// Asserts that `exe` refuses each of `bad` (and the [`BAD_COMMON_FLAGS`])
/// with exit code 2 and an `error:` message on stderr.
pub fn assert_usage_errors(exe: &str, bad: &[&[&str]]) {
    for args in BAD_COMMON_FLAGS.iter().chain(bad) {
        let out = run(exe, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(message.contains("error:"), "{args:?}: {message}");
    }
}

/// Asserts that `exe` refuses a `--size` too large to hold, for each workload
/// with a size limit, with exit code 2 and a message naming the limit (not a
/// panic). `extra` is added to every command line (say, a `--cache-dir`).
pub fn assert_huge_sizes_refused(exe: &str, extra: &[&str]) {
    for workload in ["pi", "driver", "sleep"] {
        let mut args =
            vec!["--workload", workload, "--size", "18446744073709551615"];
        args.extend(extra);
        let out = run(exe, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("takes at most"), "{args:?}: {err}");
    }
}

/// Runs `test` on its own thread and fails if it takes longer than `limit`:
/// a test of threads, processes or runtimes that hangs fails instead of
/// blocking CI. A panic in `test` is re-raised here with its own message.
pub fn bounded<T: Send + 'static>(
    limit: Duration,
    test: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(test));
        let _ = done.send(outcome);
    });
    match result.recv_timeout(limit) {
        Ok(Ok(value)) => value,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("the test hung: no result after {limit:?}"),
    }
}

/// Waits for `child` to exit, for at most `limit`: a child that hangs fails
/// the test instead of hanging it. Past the limit the child is killed and
/// reaped (nothing outlives the test), then this panics.
///
/// # Panics
/// If the child is still running after `limit`, or cannot be waited for.
pub fn wait_bounded(child: &mut Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("waiting for the child") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child {} still running after {limit:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_returns_the_result_and_reraises_panics() {
        assert_eq!(bounded(Duration::from_secs(5), || 7), 7);
        let panic = std::panic::catch_unwind(|| {
            bounded(Duration::from_secs(5), || panic!("inner message"))
        })
        .unwrap_err();
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"inner message"));
    }

    #[test]
    #[should_panic(expected = "the test hung")]
    fn bounded_fails_a_hang() {
        bounded(Duration::from_millis(50), || {
            std::thread::sleep(Duration::from_secs(2));
        });
    }
}

/// A `Write` whose bytes the test reads back: give a clone to
/// [`crate::progress::Progress::lines_to`] and read the lines it wrote.
#[derive(Clone, Default)]
pub struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Buffer {
    /// Everything written so far.
    ///
    /// # Panics
    /// If the bytes are not UTF-8.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }

    /// The last line written so far, empty if none.
    ///
    /// # Panics
    /// If the bytes are not UTF-8.
    pub fn last_line(&self) -> String {
        self.text().lines().last().unwrap_or_default().to_owned()
    }
}
