//! The text of one plain progress line (see [`line`]).

use std::fmt::Write as _;
use std::time::Duration;

use super::counts::Counts;

/// One plain progress line: `[label] 1200/4096 done (29%), 2 failed, 3.1 s
/// elapsed, ETA 7.5 s` (no total, no ETA: `[label] 1200 done, ...`).
pub fn line(label: &str, counts: Counts, elapsed: Duration, last: bool) -> String {
    let Counts {
        done,
        failed,
        total,
    } = counts;
    let mut text = format!("[{label}] {done}");
    if let Some(total) = total {
        let percent = (done * 100).checked_div(total).unwrap_or(100);
        let _ = write!(text, "/{total} done ({percent}%)");
    } else {
        text.push_str(" done");
    }
    if failed > 0 {
        let _ = write!(text, ", {failed} failed");
    }
    let _ = write!(text, ", {:.1} s elapsed", elapsed.as_secs_f64());
    match total {
        _ if last => text.push_str(", finished"),
        Some(total) if done > 0 && done < total => {
            let left = elapsed.as_secs_f64() * (total - done) as f64 / done as f64;
            let _ = write!(text, ", ETA {left:.1} s");
        }
        _ => {}
    }
    text
}
