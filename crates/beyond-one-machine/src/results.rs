//! The job array's results directory: one file per task, each written to a
//! temporary file and renamed into place (so a killed task never leaves half
//! a result), each carrying a checksum (so a damaged file is seen as missing,
//! never read as a value), plus `sweep.json`, the sweep and shard count the
//! directory belongs to (so shards or a merge of another sweep are refused,
//! not mixed in).
//!
//! Reading needs no write access: `merge` works on a read-only copy.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The file naming the sweep and shard count of a results directory.
pub const SWEEP_FILE: &str = "sweep.json";

/// A temporary file older than this was left by a writer that was killed.
const STALE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Why the results directory could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The directory does not exist (for reading).
    #[error("results directory {0} does not exist")]
    Missing(PathBuf),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The directory holds the results of another sweep or shard count.
    #[error(
        "{dir} holds the results of another sweep:\n  stored: {stored}\n  \
         this run: {this}\nuse another results directory, or the same flags"
    )]
    OtherSweep {
        /// The directory.
        dir: PathBuf,
        /// Its `sweep.json`.
        stored: String,
        /// This run's.
        this: String,
    },
    /// A value could not be serialised.
    #[error("cannot serialise {what}: {source}")]
    Encode {
        /// What.
        what: &'static str,
        /// serde's message.
        source: serde_json::Error,
    },
}

/// What a results directory belongs to: written once by the first shard,
/// checked by every later shard and by `merge`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRecord {
    /// The sweep, serialised.
    pub sweep: serde_json::Value,
    /// Its number of tasks.
    pub size: u64,
    /// The number of shards it is split into.
    pub shards: u64,
}

/// One task's entry in the directory.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry<R> {
    /// The stored result.
    Present(R),
    /// Never stored.
    Absent,
    /// Stored but damaged (truncated, altered): treated as missing.
    Damaged(String),
}

/// A results directory (see the module docs).
#[derive(Debug, Clone)]
pub struct Results {
    dir: PathBuf,
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> ResultsError + '_ {
    move |source| ResultsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Results {
    /// Opens `dir` for writing, creating it if needed, and records `record`
    /// in it, or checks that it already holds the same one.
    pub fn create(
        dir: &Path,
        record: &SweepRecord,
    ) -> Result<Results, ResultsError> {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let results = Results {
            dir: dir.to_path_buf(),
        };
        let bytes = encode(record, "the sweep")?;
        let path = dir.join(SWEEP_FILE);
        if !path.exists() {
            // Several shards may start at once: the first rename wins, the
            // others then find the file and compare.
            match write_atomic(&path, &bytes, false) {
                Err(ResultsError::Io { source, .. })
                    if source.kind() == io::ErrorKind::AlreadyExists => {}
                other => other?,
            }
        }
        results.check(record)?;
        results.remove_stale_temporary_files();
        Ok(results)
    }

    /// Removes temporary files that a writer killed mid-write left behind
    /// (a write takes milliseconds: any older than an hour is abandoned).
    fn remove_stale_temporary_files(&self) {
        let Ok(items) = fs::read_dir(&self.dir) else {
            return;
        };
        for item in items.flatten() {
            let stale = item.file_name().to_string_lossy().starts_with(".tmp")
                && item
                    .metadata()
                    .and_then(|meta| meta.modified())
                    .is_ok_and(|at| at.elapsed().unwrap_or_default() > STALE);
            if stale {
                let _ = fs::remove_file(item.path());
            }
        }
    }

    /// Opens `dir` for reading only. `Ok(None)` for the record if no shard has
    /// written to it yet; an error if it belongs to another sweep.
    pub fn open(dir: &Path, record: &SweepRecord) -> Result<Results, ResultsError> {
        if !dir.is_dir() {
            return Err(ResultsError::Missing(dir.to_path_buf()));
        }
        let results = Results {
            dir: dir.to_path_buf(),
        };
        if dir.join(SWEEP_FILE).exists() {
            results.check(record)?;
        }
        Ok(results)
    }

    fn check(&self, record: &SweepRecord) -> Result<(), ResultsError> {
        let path = self.dir.join(SWEEP_FILE);
        let stored = fs::read(&path).map_err(io_error(&path))?;
        let same = serde_json::from_slice::<SweepRecord>(&stored)
            .is_ok_and(|stored| stored == *record);
        if same {
            return Ok(());
        }
        Err(ResultsError::OtherSweep {
            dir: self.dir.clone(),
            stored: String::from_utf8_lossy(&stored).trim().to_owned(),
            this: String::from_utf8_lossy(&encode(record, "the sweep")?).into(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, task: u64) -> PathBuf {
        self.dir.join(format!("task-{task}.json"))
    }

    // ANCHOR: put_get
    /// Stores the result of `task`: written to a temporary file in the same
    /// directory, then renamed over the entry, so readers see the old entry
    /// or the new one, never a part.
    pub fn put<R: Serialize>(
        &self,
        task: u64,
        value: &R,
    ) -> Result<(), ResultsError> {
        let body = encode(value, "a result")?;
        let mut bytes = blake3::hash(&body).to_hex().as_bytes().to_vec();
        bytes.push(b'\n');
        bytes.extend_from_slice(&body);
        write_atomic(&self.path(task), &bytes, true)
    }

    /// The entry of `task`: present only if its checksum matches and it
    /// decodes. A damaged entry is reported, not deleted (the directory may
    /// be read-only); the next `put` replaces it.
    pub fn get<R: DeserializeOwned>(&self, task: u64) -> Entry<R> {
        let bytes = match fs::read(self.path(task)) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Entry::Absent,
            Err(e) => return Entry::Damaged(format!("cannot read: {e}")),
        };
        let Some((sum, body)) = bytes.split_at_checked(64) else {
            return Entry::Damaged("truncated".into());
        };
        let body = body.strip_prefix(b"\n").unwrap_or_default();
        if sum != blake3::hash(body).to_hex().as_bytes() {
            return Entry::Damaged("checksum mismatch".into());
        }
        match serde_json::from_slice(body) {
            Ok(value) => Entry::Present(value),
            Err(e) => Entry::Damaged(format!("cannot decode: {e}")),
        }
    }
    // ANCHOR_END: put_get
}

fn encode<T: Serialize + ?Sized>(
    value: &T,
    what: &'static str,
) -> Result<Vec<u8>, ResultsError> {
    serde_json::to_vec(value).map_err(|source| ResultsError::Encode { what, source })
}

// ANCHOR: write_atomic
/// Writes `bytes` to `path` all or nothing: into a temporary file next to it,
/// then a rename. With `replace` false, an existing `path` is kept and the
/// error is `AlreadyExists`. The temporary file is removed on any error
/// (disk full, say), so a failure leaves nothing half written.
pub fn write_atomic(
    path: &Path,
    bytes: &[u8],
    replace: bool,
) -> Result<(), ResultsError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".tmp")
        .tempfile_in(dir)
        .map_err(io_error(dir))?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .map_err(io_error(path))?;
    let persisted = if replace {
        file.persist(path).map(drop)
    } else {
        file.persist_noclobber(path).map(drop)
    };
    persisted.map_err(|e| io_error(path)(e.error))
}
// ANCHOR_END: write_atomic

#[cfg(test)]
mod tests {
    use super::*;

    fn record(size: u64) -> SweepRecord {
        SweepRecord {
            sweep: serde_json::json!({"a": [1.5, 2.5]}),
            size,
            shards: 2,
        }
    }

    #[test]
    fn entries_round_trip_and_damage_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let results = Results::create(dir.path(), &record(3)).unwrap();
        assert_eq!(results.get::<f64>(0), Entry::Absent);
        results.put(0, &0.1_f64).unwrap();
        assert_eq!(results.get::<f64>(0), Entry::Present(0.1));
        let path = dir.path().join("task-0.json");
        let mut bytes = fs::read(&path).unwrap();
        *bytes.last_mut().unwrap() ^= 1; // one flipped bit: 0.1 -> 0.0
        fs::write(&path, &bytes).unwrap();
        assert!(matches!(results.get::<f64>(0), Entry::Damaged(_)));
        fs::write(&path, &bytes[..10]).unwrap();
        assert!(matches!(results.get::<f64>(0), Entry::Damaged(_)));
        results.put(0, &0.1_f64).unwrap(); // repaired
        assert_eq!(results.get::<f64>(0), Entry::Present(0.1));
    }

    #[test]
    fn a_directory_belongs_to_one_sweep() {
        let dir = tempfile::tempdir().unwrap();
        Results::create(dir.path(), &record(3)).unwrap();
        Results::create(dir.path(), &record(3)).unwrap();
        Results::open(dir.path(), &record(3)).unwrap();
        let err = Results::create(dir.path(), &record(4)).unwrap_err();
        assert!(matches!(err, ResultsError::OtherSweep { .. }), "{err}");
        assert!(Results::open(dir.path(), &record(4)).is_err());
    }

    #[test]
    fn abandoned_temporary_files_are_removed_by_the_next_shard() {
        let dir = tempfile::tempdir().unwrap();
        let (old, new) = (dir.path().join(".tmpOLD"), dir.path().join(".tmpNEW"));
        for path in [&old, &new] {
            fs::write(path, b"half a res").unwrap();
        }
        let two_hours_ago = std::time::SystemTime::now() - 2 * STALE;
        let file = fs::File::options().write(true).open(&old).unwrap();
        file.set_modified(two_hours_ago).unwrap();
        Results::create(dir.path(), &record(3)).unwrap();
        assert!(!old.exists(), "abandoned long ago");
        assert!(new.exists(), "may be another shard's write in flight");
    }

    #[test]
    fn write_atomic_keeps_or_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_atomic(&path, b"one", false).unwrap();
        assert!(write_atomic(&path, b"two", false).is_err());
        assert_eq!(fs::read(&path).unwrap(), b"one");
        write_atomic(&path, b"two", true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");
    }
}
