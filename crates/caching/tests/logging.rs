//! The library never prints: its warnings reach the program through the `log`
//! facade (here a logger that records them), and nothing else.

use std::sync::Mutex;

use caching::{Lookup, Memory, MissReason};

/// Every record logged, as `(level, target, message)`.
static RECORDS: Mutex<Vec<(log::Level, String, String)>> = Mutex::new(Vec::new());

struct Recorder;

impl log::Log for Recorder {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        let entry = (
            record.level(),
            record.target().to_owned(),
            record.args().to_string(),
        );
        RECORDS.lock().unwrap().push(entry);
    }

    fn flush(&self) {}
}

#[test]
fn warnings_and_verbose_lookups_go_through_log() {
    log::set_logger(&Recorder).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    let dir = tempfile::tempdir().unwrap();
    let memory = Memory::new(dir.path()).unwrap();
    let f = memory.function::<u32>("logged", 0);
    f.put(&1u8, &10).unwrap();
    let entry = memory.entries().unwrap()[0].path.clone();
    std::fs::write(&entry, b"garbage").unwrap();
    assert!(matches!(
        f.lookup(&1u8),
        Lookup::Miss(MissReason::Corrupt(_))
    ));
    let records = std::mem::take(&mut *RECORDS.lock().unwrap());
    assert_eq!(records.len(), 1, "{records:?}");
    let (level, target, message) = &records[0];
    assert_eq!((*level, target.as_str()), (log::Level::Warn, "caching"));
    assert!(message.contains("is corrupt"), "{message}");

    // A quiet handle logs nothing on hits and misses; a verbose one, each.
    f.call(&2u8, || 20);
    f.call(&2u8, || unreachable!());
    assert!(RECORDS.lock().unwrap().is_empty());
    let verbose = memory.clone().verbose(true).function::<u32>("logged", 0);
    verbose.call(&2u8, || unreachable!());
    let records = std::mem::take(&mut *RECORDS.lock().unwrap());
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].0, log::Level::Info);
    assert_eq!(records[0].2, "logged2: hit", "name, arguments, outcome");

    // Arguments that cannot be serialised: computed, not cached, one warning.
    assert_eq!(f.call(&Unserialisable, || 30), 30);
    let records = std::mem::take(&mut *RECORDS.lock().unwrap());
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].0, log::Level::Warn);
    assert!(records[0].2.ends_with("; not cached"), "{records:?}");
}

/// An argument that refuses to be serialised.
struct Unserialisable;

impl serde::Serialize for Unserialisable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom(
            "this argument cannot be serialised",
        ))
    }
}
