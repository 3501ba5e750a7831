//! The harness of the two lazy-against-eager memory examples (thread-pools'
//! `lazy_memory`, process-pools' `imap_memory`): each pool sums `square(i)`
//! over `0..tasks` once lazily and once eagerly, and this times both and
//! prints the peak resident memory of each. Part of [`crate::measure`].

use std::io;
use std::time::Instant;

use super::rss::{peak_rss_mib, reset_peak_rss};
use crate::kernels::square;

/// Runs `lazy`, then `eager` (each returns the wrapping sum of `square(i)`
/// for `i` in `0..tasks`), checks both sums, and prints the time and peak
/// resident memory (reset between the two) of each. `setting` describes the
/// pool; `eager_result_bytes` is the size of one result the eager run keeps.
///
/// # Errors
/// If a run fails, gives a wrong sum, or the peak cannot be read.
pub fn print_lazy_vs_eager<E: std::fmt::Display>(
    tasks: u64,
    setting: &str,
    lazy: impl FnOnce() -> Result<u64, E>,
    eager: impl FnOnce() -> Result<u64, E>,
    eager_result_bytes: usize,
) -> io::Result<()> {
    let expected = (0..tasks).fold(0u64, |sum, i| sum.wrapping_add(square(i)));
    println!("{tasks} tasks of square, {setting}");
    println!("at start: peak {:.1} MiB", peak_rss_mib()?);
    println!("{:<28} {:>9} {:>15}", "", "time (s)", "peak RSS (MiB)");
    let resettable = reset_peak_rss();
    timed("lazy imap (sum as it goes)", expected, lazy)?;
    let resettable = resettable && reset_peak_rss();
    timed("eager map", expected, eager)?;
    if !resettable {
        println!("(the peak could not be reset: the second figure is the larger)");
    }
    println!(
        "each eager result is a Result<u64, TaskError> of {eager_result_bytes} bytes"
    );
    Ok(())
}

fn timed<E: std::fmt::Display>(
    what: &str,
    expected: u64,
    run: impl FnOnce() -> Result<u64, E>,
) -> io::Result<()> {
    let start = Instant::now();
    let sum = run().map_err(|e| io::Error::other(format!("{what}: {e}")))?;
    if sum != expected {
        return Err(io::Error::other(format!("{what}: wrong sum")));
    }
    let seconds = start.elapsed().as_secs_f64();
    println!("{what:<28} {seconds:>9.2} {:>15.1}", peak_rss_mib()?);
    Ok(())
}

#[cfg(target_os = "linux")]
#[cfg(test)]
mod tests {
    use super::*;

    fn right(tasks: u64) -> Result<u64, String> {
        Ok((0..tasks).fold(0u64, |sum, i| sum.wrapping_add(square(i))))
    }

    #[test]
    fn both_sums_are_checked_and_a_failure_is_named() {
        assert!(
            print_lazy_vs_eager(100, "test", || right(100), || right(100), 8)
                .is_ok()
        );
        let wrong = print_lazy_vs_eager(100, "test", || right(100), || Ok(1), 8);
        assert!(
            wrong
                .unwrap_err()
                .to_string()
                .contains("eager map: wrong sum")
        );
        let failed = print_lazy_vs_eager(
            100,
            "test",
            || Err("boom".to_owned()),
            || right(100),
            8,
        );
        assert!(
            failed
                .unwrap_err()
                .to_string()
                .contains("lazy imap (sum as it goes): boom")
        );
    }
}
