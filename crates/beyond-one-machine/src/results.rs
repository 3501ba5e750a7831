//! The job array's results directory: one file per task, plus `sweep.json`,
//! the sweep and shard count the directory belongs to (so shards or a merge
//! of another sweep are refused, not mixed in).
//!
//! The entries are chapter 5's, from its bottom layer `caching::store`: each
//! result (JSON) is sealed with a checksum under the key of *its sweep and
//! its task* and written to a temporary file renamed into place, and killed
//! writers' temporaries are swept the same way. So a killed task never
//! leaves half a result, a damaged entry reads as missing, never as a
//! value, and an entry copied in from another sweep or under another task's
//! name does not unseal: it is missing too. Not a `caching::Memory`: `merge`
//! must read a read-only copy, and a task is known by its index in the
//! sweep, not by a function and its arguments.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use caching::store::{self, Durability};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The file naming the sweep and shard count of a results directory.
pub const SWEEP_FILE: &str = "sweep.json";

/// Why the results directory could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResultsError {
    /// The directory does not exist (for reading).
    #[error("results directory {0} does not exist")]
    Missing(PathBuf),
    /// The path exists but is not a directory (a file, say).
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
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
    /// The directory's `sweep.json` is not a sweep record.
    #[error("{0} is not a results directory's sweep record (damaged, or not ours)")]
    BadRecord(PathBuf),
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
    /// `sweep.json`'s bytes: every entry's key starts from them.
    identity: Vec<u8>,
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
        if dir.exists() && !dir.is_dir() {
            return Err(ResultsError::NotADirectory(dir.to_path_buf()));
        }
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let results = Results::at(dir, record)?;
        let path = dir.join(SWEEP_FILE);
        if !path.exists() {
            // Several shards may start at once: the first rename wins, the
            // others then find the file and compare.
            match store::write_new(dir, &path, &results.identity) {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                other => other.map_err(io_error(&path))?,
            }
        }
        results.check()?;
        // Temporaries of writers killed mid-write (chapter 5's sweeper).
        store::remove_stale_temporaries(dir, SystemTime::now());
        Ok(results)
    }

    fn at(dir: &Path, record: &SweepRecord) -> Result<Results, ResultsError> {
        Ok(Results {
            dir: dir.to_path_buf(),
            identity: encode(record, "the sweep")?,
        })
    }

    /// Opens `dir` for reading only. `Ok(None)` for the record if no shard has
    /// written to it yet; an error if it belongs to another sweep.
    pub fn open(dir: &Path, record: &SweepRecord) -> Result<Results, ResultsError> {
        if dir.exists() && !dir.is_dir() {
            return Err(ResultsError::NotADirectory(dir.to_path_buf()));
        }
        if !dir.is_dir() {
            return Err(ResultsError::Missing(dir.to_path_buf()));
        }
        let results = Results::at(dir, record)?;
        if dir.join(SWEEP_FILE).exists() {
            results.check()?;
        }
        Ok(results)
    }

    /// Opens `dir` for reading only, with the record it holds: for a reader
    /// that does not know the sweep (the `status` of a running array). Each
    /// entry is still checked against its key, which comes from the record's
    /// exact bytes. `Ok(None)` if no shard has written the record yet.
    pub fn open_recorded(
        dir: &Path,
    ) -> Result<Option<(Results, SweepRecord)>, ResultsError> {
        if !dir.is_dir() {
            return Err(ResultsError::Missing(dir.to_path_buf()));
        }
        let path = dir.join(SWEEP_FILE);
        let identity = match fs::read(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            other => other.map_err(io_error(&path))?,
        };
        let record: SweepRecord = serde_json::from_slice(&identity)
            .map_err(|_| ResultsError::BadRecord(path))?;
        let dir = dir.to_path_buf();
        Ok(Some((Results { dir, identity }, record)))
    }

    fn check(&self) -> Result<(), ResultsError> {
        let path = self.dir.join(SWEEP_FILE);
        let stored = fs::read(&path).map_err(io_error(&path))?;
        let same = serde_json::from_slice::<SweepRecord>(&stored).is_ok_and(|s| {
            serde_json::from_slice::<SweepRecord>(&self.identity)
                .is_ok_and(|t| s == t)
        });
        if same {
            return Ok(());
        }
        Err(ResultsError::OtherSweep {
            dir: self.dir.clone(),
            stored: String::from_utf8_lossy(&stored).trim().to_owned(),
            this: String::from_utf8_lossy(&self.identity).into(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, task: u64) -> PathBuf {
        self.dir.join(format!("task-{task}.entry"))
    }

    // ANCHOR: put_get
    /// The key of `task`'s entry: this sweep (`sweep.json`) and the task's
    /// index, so an entry answers exactly one task of exactly one sweep.
    fn key(&self, task: u64) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.identity);
        hasher.update(&task.to_le_bytes());
        *hasher.finalize().as_bytes()
    }

    /// Stores the result of `task`, sealed under its key: written to a
    /// temporary file in the same directory, then renamed over the entry,
    /// so readers see the old entry or the new one, never a part.
    pub fn put<R: Serialize>(
        &self,
        task: u64,
        value: &R,
    ) -> Result<(), ResultsError> {
        let bytes = store::seal(&self.key(task), &encode(value, "a result")?);
        let path = self.path(task);
        store::write_atomic(&self.dir, &path, &bytes, Durability::Rename)
            .map_err(io_error(&path))
    }

    /// The entry of `task`: present only if it unseals under its key and
    /// decodes. A damaged entry (or another sweep's) is reported, not
    /// deleted (the directory may be read-only); the next `put` replaces it.
    /// Whatever else is at its path (a pipe, a huge file) is damaged too:
    /// chapter 5's reader refuses it from its type or header.
    pub fn get<R: DeserializeOwned>(&self, task: u64) -> Entry<R> {
        let bytes = match store::read_sealed_file(&self.path(task)) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Entry::Absent,
            Err(e) => return Entry::Damaged(e.to_string()),
        };
        let body = match store::unseal(&self.key(task), &bytes) {
            Ok(body) => body,
            Err(why) => return Entry::Damaged(why),
        };
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

/// Writes `bytes` to `path` all or nothing, with chapter 5's atomic write
/// (a temporary file beside it, then a rename): for the merged output.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ResultsError> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    store::write_atomic(dir, path, bytes, Durability::Rename).map_err(io_error(path))
}

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
        let path = dir.path().join("task-0.entry");
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
        let two_hours_ago = SystemTime::now() - 2 * store::STALE_TEMPORARY;
        let file = fs::File::options().write(true).open(&old).unwrap();
        file.set_modified(two_hours_ago).unwrap();
        Results::create(dir.path(), &record(3)).unwrap();
        assert!(!old.exists(), "abandoned long ago");
        assert!(new.exists(), "may be another shard's write in flight");
    }

    #[test]
    fn an_entry_answers_one_task_of_one_sweep() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let ours = Results::create(a.path(), &record(3)).unwrap();
        let other = Results::create(b.path(), &record(4)).unwrap();
        other.put(1, &7.0_f64).unwrap();
        // Another sweep's entry, copied in: not a value of this sweep.
        fs::copy(b.path().join("task-1.entry"), a.path().join("task-1.entry"))
            .unwrap();
        assert!(matches!(ours.get::<f64>(1), Entry::Damaged(_)));
        // This sweep's entry of task 1 under task 2's name: not task 2's.
        ours.put(1, &1.0_f64).unwrap();
        fs::copy(a.path().join("task-1.entry"), a.path().join("task-2.entry"))
            .unwrap();
        assert!(matches!(ours.get::<f64>(2), Entry::Damaged(_)));
        assert_eq!(ours.get::<f64>(1), Entry::Present(1.0));
    }

    #[test]
    fn write_file_replaces_whole_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        write_file(&path, b"one").unwrap();
        write_file(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");
    }
}
