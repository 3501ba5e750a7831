//! The peak resident memory of this process (Linux), to show what a lazy or
//! an eager run holds at once. Part of [`crate::measure`], re-exported there.

use std::io;

/// `VmHWM`, the peak resident set of this process, in MiB (Linux: read
/// from `/proc/self/status`).
///
/// # Errors
/// If `/proc/self/status` cannot be read or has no readable `VmHWM`.
pub fn peak_rss_mib() -> io::Result<f64> {
    let invalid =
        |message: &str| io::Error::new(io::ErrorKind::InvalidData, message);
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or_else(|| invalid("no VmHWM in /proc/self/status"))?;
    let kib: f64 = line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| invalid("VmHWM has no value"))?
        .parse()
        .map_err(|e| invalid(&format!("VmHWM is not a number: {e}")))?;
    Ok(kib / 1024.0)
}

/// Resets the peak of [`peak_rss_mib`] to the current resident set (Linux
/// 4.0 and later); returns whether it could.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_peak_resident_set_is_read_in_mib() {
        let peak = peak_rss_mib().unwrap();
        // A test binary holds at least its code: more than 100 KiB, and
        // less than a TiB (a value read in the wrong unit would not be).
        assert!(peak > 0.1 && peak < 1024.0 * 1024.0, "{peak} MiB");
    }
}
