//! The label every output of `cargo xtask bench` carries: which machine,
//! toolchain, commit and date produced the numbers.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// Where a set of measurements comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Machine {
    /// CPU model (`model name` in `/proc/cpuinfo`).
    pub(crate) cpu: String,
    /// Cores available to this process.
    pub(crate) cores: usize,
    /// `rustc -V`.
    pub(crate) rustc: String,
    /// Short commit hash, with `-dirty` when the work tree has changes.
    pub(crate) commit: String,
    /// When the run started, `YYYY-MM-DD HH:MM UTC`.
    pub(crate) date: String,
    /// [`parallel_capacity`] measured before and after the run, when it was.
    pub(crate) capacity: Option<(f64, f64)>,
    /// [`workloads::measure::clock_ghz`] at the start of the run, when
    /// measured: to state per-element costs in cycles.
    pub(crate) clock_ghz: Option<f64>,
    /// The Python run's numerical stack (`benches/python/run.py`'s
    /// `numerics`): numba's threading layer and numpy's BLAS, when measured.
    /// Not kept in the run file: it comes from `python.json` every time.
    pub(crate) numerics: Option<String>,
}

impl Machine {
    /// A made-up 2-core machine of capacity `capacity` (before, after), for
    /// the report's tests.
    #[cfg(test)]
    pub(crate) fn fixture(capacity: Option<(f64, f64)>) -> Machine {
        Machine {
            cpu: "Test CPU".into(),
            cores: 2,
            rustc: "rustc 1.88.0 (test)".into(),
            commit: "0123456789ab".into(),
            date: "2025-01-02 03:04 UTC".into(),
            capacity,
            clock_ghz: None,
            numerics: None,
        }
    }

    /// Detects this machine; anything unknown reads `unknown`.
    pub(crate) fn detect(root: &Path) -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| cpu_model(&info))
            .unwrap_or_else(|| "unknown CPU".into());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let rustc_path = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let rustc = output(Command::new(rustc_path).arg("-V"), root)
            .unwrap_or_else(|| "unknown rustc".into());
        let commit = match output(
            Command::new("git").args(["rev-parse", "--short=12", "HEAD"]),
            root,
        ) {
            Some(hash) => {
                let dirty = output(
                    Command::new("git").args(["status", "--porcelain"]),
                    root,
                )
                .is_some_and(|s| !s.is_empty());
                if dirty { format!("{hash}-dirty") } else { hash }
            }
            None => "unknown commit".into(),
        };
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Machine {
            cpu,
            cores,
            rustc,
            commit,
            date: utc_date(seconds),
            capacity: None,
            clock_ghz: None,
            numerics: None,
        }
    }

    /// One line: `AMD EPYC, 2 cores, rustc 1.95.0 (…), commit abc123, 2026-…`.
    pub(crate) fn label(&self) -> String {
        let capacity = self
            .capacity
            .map(|(before, after)| {
                format!(
                    " (parallel capacity {before:.2}× before the run, {after:.2}× \
                     after: no **parallel** speedup can exceed it)"
                )
            })
            .unwrap_or_default();
        let clock = self
            .clock_ghz
            .map(|ghz| format!(", clock ≈ {ghz:.1} GHz"))
            .unwrap_or_default();
        let numerics = self
            .numerics
            .as_ref()
            .map(|n| format!(", {n}"))
            .unwrap_or_default();
        format!(
            "{}, {} cores{capacity}{clock}, {}{numerics}, commit {}, {}",
            self.cpu, self.cores, self.rustc, self.commit, self.date
        )
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut value = json!({
            "cpu": self.cpu,
            "cores": self.cores,
            "rustc": self.rustc,
            "commit": self.commit,
            "date_utc": self.date,
            "parallel_capacity": self.capacity.map(|(before, after)| json!({
                "before": before,
                "after": after,
                "unit": "cores' worth of CPU: cores x (time alone) / (time with every core busy)",
            })),
        });
        if let Some(ghz) = self.clock_ghz {
            value["clock_ghz"] = json!(ghz);
        }
        value
    }

    pub(crate) fn from_json(value: &Value) -> Option<Machine> {
        let text = |key: &str| value.get(key)?.as_str().map(str::to_string);
        Some(Machine {
            cpu: text("cpu")?,
            cores: usize::try_from(value.get("cores")?.as_u64()?).ok()?,
            rustc: text("rustc")?,
            commit: text("commit")?,
            date: text("date_utc")?,
            capacity: value.get("parallel_capacity").and_then(|c| {
                Some((c.get("before")?.as_f64()?, c.get("after")?.as_f64()?))
            }),
            clock_ghz: value.get("clock_ghz").and_then(Value::as_f64),
            numerics: None,
        })
    }
}

/// How many cores' worth of CPU this machine gives right now (see
/// [`workloads::measure::parallel_capacity`], which the chapter demos use
/// too): about 0.2 s of spin work per timing, so about two seconds in all.
pub(crate) fn parallel_capacity(cores: usize) -> f64 {
    workloads::measure::parallel_capacity(
        cores,
        std::time::Duration::from_millis(200),
    )
}

fn output(command: &mut Command, dir: &Path) -> Option<String> {
    let out = command.current_dir(dir).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The first `model name` in `/proc/cpuinfo` text.
fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_string())
    })
}

/// `YYYY-MM-DD HH:MM UTC` for seconds since the Unix epoch (proleptic
/// Gregorian calendar, Howard Hinnant's `civil_from_days`).
fn utc_date(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let minutes = (seconds % 86_400) / 60;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        minutes / 60,
        minutes % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_dates() {
        assert_eq!(utc_date(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_date(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc_date(1_767_225_599), "2025-12-31 23:59 UTC");
    }

    #[test]
    fn the_cpu_model_is_read_from_cpuinfo() {
        let info = "processor\t: 0\nvendor_id\t: X\nmodel name\t: AMD EPYC 7B13\n";
        assert_eq!(cpu_model(info).as_deref(), Some("AMD EPYC 7B13"));
        assert_eq!(cpu_model("processor: 0\n"), None);
    }

    #[test]
    fn the_machine_round_trips_through_json() {
        // A fixed machine: `detect` runs git and rustc, which a unit test
        // must not depend on (`cargo xtask bench` runs it for real).
        let mut machine = Machine {
            cpu: "AMD EPYC 7B13".into(),
            cores: 2,
            rustc: "rustc 1.88.0 (test)".into(),
            commit: "0123456789ab-dirty".into(),
            date: utc_date(1_767_225_599),
            capacity: None,
            clock_ghz: Some(2.45),
            numerics: None,
        };
        assert_eq!(
            Machine::from_json(&machine.to_json()),
            Some(machine.clone())
        );
        machine.capacity = Some((1.5, 1.25));
        assert!(machine.label().contains("parallel capacity 1.50× before"));
        assert_eq!(Machine::from_json(&machine.to_json()), Some(machine));
    }
}
