//! `testing::wait_bounded` on real child processes (`sh`, `sleep`): an
//! integration test, since it runs programs of the system.

use std::process::Command;
use std::time::Duration;

use workloads::testing::wait_bounded;

#[test]
fn wait_bounded_returns_the_exit_status() {
    let mut child = Command::new("sh").args(["-c", "exit 3"]).spawn().unwrap();
    let status = wait_bounded(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(3));
}

#[test]
fn wait_bounded_kills_and_reaps_a_child_that_hangs() {
    let mut child = Command::new("sleep").arg("30").spawn().unwrap();
    let pid = child.id();
    let hang = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_bounded(&mut child, Duration::from_millis(100))
    }));
    assert!(hang.is_err(), "a hang must fail");
    // Killed and reaped: gone from the process table, not left a zombie.
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}
