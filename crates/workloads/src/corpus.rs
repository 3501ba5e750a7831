//! The "processing multiple input files" workload: a reproducible corpus of text
//! files, and the per-file task (word count + checksum).

use std::fs;
use std::path::{Path, PathBuf};

use rand_xoshiro::Xoshiro256PlusPlus;
use rand_xoshiro::rand_core::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::error::WorkloadError;
use crate::kernels::derive_seed;

const VOCABULARY: &[&str] = &[
    "alpha", "beta", "gamma", "delta", "sweep", "seed", "trial", "worker", "pool",
    "task", "result", "cache", "thread", "process", "gather", "scatter", "rust",
    "python", "joblib", "dask", "a", "of", "the", "to", "in", "parallel",
];

/// What [`process_file`] computes for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStats {
    /// Size of the file in bytes.
    pub bytes: u64,
    /// Number of whitespace-separated words.
    pub words: u64,
    /// CRC-32 of the file's bytes.
    pub checksum: u32,
}

/// Writes `n` text files of exactly `bytes` bytes each into `dir` (created if
/// missing) and returns their paths in order.
///
/// File `i` depends only on `(seed, i)`, so the corpus is the same on every run
/// and machine. Each file is written to a temporary name and renamed into place,
/// so an interrupted run never leaves a half-written file under a final name.
pub fn generate_corpus(
    dir: &Path,
    n: usize,
    bytes: usize,
    seed: u64,
) -> Result<Vec<PathBuf>, WorkloadError> {
    fs::create_dir_all(dir).map_err(|e| WorkloadError::io(dir, &e))?;
    (0..n)
        .map(|i| {
            let path = dir.join(format!("file-{i:05}.txt"));
            let text = corpus_text(derive_seed(seed, i as u64), bytes);
            let partial = path.with_extension("txt.partial");
            fs::write(&partial, text)
                .map_err(|e| WorkloadError::io(&partial, &e))?;
            fs::rename(&partial, &path).map_err(|e| WorkloadError::io(&path, &e))?;
            Ok(path)
        })
        .collect()
}

fn corpus_text(seed: u64, bytes: usize) -> String {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut text = String::with_capacity(bytes + 16);
    let mut words_on_line = 0;
    while text.len() < bytes {
        let word = VOCABULARY[(rng.next_u64() % VOCABULARY.len() as u64) as usize];
        text.push_str(word);
        words_on_line += 1;
        if words_on_line == 12 {
            text.push('\n');
            words_on_line = 0;
        } else {
            text.push(' ');
        }
    }
    text.truncate(bytes); // ASCII only, so any byte length is a char boundary
    text
}

// ANCHOR: process_file
/// Reads one file and returns its size, word count and CRC-32.
///
/// An unreadable or missing file is an error naming the file, never a panic.
pub fn process_file(path: &Path) -> Result<FileStats, WorkloadError> {
    let data = fs::read(path).map_err(|e| WorkloadError::io(path, &e))?;
    let words = data
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .count();
    Ok(FileStats {
        bytes: data.len() as u64,
        words: words as u64,
        checksum: crc32fast::hash(&data),
    })
}
// ANCHOR_END: process_file

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_is_reproducible_and_sized() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let files_a = generate_corpus(a.path(), 3, 1000, 7).unwrap();
        let files_b = generate_corpus(b.path(), 3, 1000, 7).unwrap();
        assert_eq!(files_a.len(), 3);
        for (x, y) in files_a.iter().zip(&files_b) {
            let (x, y) = (fs::read(x).unwrap(), fs::read(y).unwrap());
            assert_eq!(x.len(), 1000);
            assert_eq!(x, y);
        }
        let other = tempfile::tempdir().unwrap();
        let files_c = generate_corpus(other.path(), 1, 1000, 8).unwrap();
        assert_ne!(
            fs::read(&files_a[0]).unwrap(),
            fs::read(&files_c[0]).unwrap()
        );
        let leftovers = fs::read_dir(a.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().unwrap() != "txt")
            .count();
        assert_eq!(leftovers, 0, "no partial files left behind");
    }

    #[test]
    fn process_file_counts_words_and_checksums() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt");
        fs::write(&path, "one two  three\nfour\n").unwrap();
        let stats = process_file(&path).unwrap();
        assert_eq!(stats.words, 4);
        assert_eq!(stats.bytes, 20);
        assert_eq!(stats.checksum, crc32fast::hash(b"one two  three\nfour\n"));
    }

    #[test]
    fn process_file_reports_missing_file_by_name() {
        let err = process_file(Path::new("/no/such/file.txt")).unwrap_err();
        assert!(err.to_string().contains("/no/such/file.txt"), "{err}");
    }

    #[test]
    fn process_file_reports_a_directory_as_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        assert!(process_file(dir.path()).is_err());
    }

    #[test]
    fn generate_corpus_reports_an_unwritable_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain-file");
        fs::write(&file, "x").unwrap();
        let err = generate_corpus(&file.join("sub"), 1, 10, 1).unwrap_err();
        assert!(err.to_string().contains("plain-file"), "{err}");
    }
}
