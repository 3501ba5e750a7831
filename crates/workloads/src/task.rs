//! One demo workload made runnable task by task: what `--workload` and `--size`
//! select in every chapter's demo.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::corpus::{FileStats, generate_corpus, process_file};
use crate::error::WorkloadError;
use crate::kernels::{driver, pi_mc, sleepy};

/// `num` used by the demos' `driver` tasks (the notebook's default argument).
pub const DRIVER_NUM: f64 = 1.0;
/// `den` used by the demos' `driver` tasks (the notebook's default argument).
pub const DRIVER_DEN: f64 = 2.0;
/// Trials per π task unless `--trials` says otherwise.
pub const DEFAULT_PI_TRIALS: u64 = 1_000_000;
/// Bytes per generated corpus file in the `files` workload.
pub const CORPUS_FILE_BYTES: usize = 256 * 1024;
/// Seed of the demos' corpus.
pub const CORPUS_SEED: u64 = 2024;

/// The four workloads the demos can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum WorkloadKind {
    /// `driver(i, 1, 2)` for task `i`: tiny CPU tasks.
    Driver,
    /// `pi_mc(i, trials)` for task `i`: heavier CPU tasks, one seed each.
    Pi,
    /// `sleepy(0.5 * (i + 1) * scale)` for task `i`: waiting, not computing.
    Sleep,
    /// `process_file(file i)` over a generated corpus: one task per file.
    Files,
}

impl WorkloadKind {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            WorkloadKind::Driver => "driver",
            WorkloadKind::Pi => "pi",
            WorkloadKind::Sleep => "sleep",
            WorkloadKind::Files => "files",
        }
    }
}

/// What one task returns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Output {
    /// A number: `driver`, `pi_mc` and `sleepy` results.
    Number(f64),
    /// The statistics of one corpus file.
    File(FileStats),
}

impl Output {
    /// A single number for summaries and folds: the number itself, or a file's
    /// word count.
    pub fn value(&self) -> f64 {
        match self {
            Output::Number(x) => *x,
            Output::File(stats) => stats.words as f64,
        }
    }
}

/// The result of one task: an [`Output`] or the error that task hit.
pub type TaskResult = Result<Output, WorkloadError>;

/// How to run task `i` of a workload. Small, `Copy`-cheap to clone and
/// serialisable, so it can be shared by threads or sent to worker processes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// Which workload.
    pub kind: WorkloadKind,
    /// Trials per π task.
    pub trials: u64,
    /// Factor applied to every sleep duration.
    pub scale: f64,
    /// Directory of the generated corpus (`files` workload only).
    pub corpus_dir: Option<PathBuf>,
}

impl TaskSpec {
    // ANCHOR: run_task
    /// Runs task `i`. Depends only on `self` and `i`, never on which thread or
    /// process runs it.
    pub fn run(&self, i: u64) -> TaskResult {
        Ok(match self.kind {
            WorkloadKind::Driver => {
                Output::Number(driver(i as f64, DRIVER_NUM, DRIVER_DEN))
            }
            WorkloadKind::Pi => Output::Number(pi_mc(i, self.trials)),
            WorkloadKind::Sleep => Output::Number(sleepy(self.sleep_seconds(i))),
            WorkloadKind::Files => Output::File(process_file(&self.corpus_file(i))?),
        })
    }
    // ANCHOR_END: run_task

    /// How long sleep task `i` sleeps: `0.5 * (i + 1) * scale` seconds, so five
    /// tasks sleep 0.5, 1, 1.5, 2 and 2.5 s as in the joblib original.
    pub fn sleep_seconds(&self, i: u64) -> f64 {
        0.5 * (i + 1) as f64 * self.scale
    }

    /// The path of corpus file `i`.
    pub fn corpus_file(&self, i: u64) -> PathBuf {
        let dir = self.corpus_dir.clone().unwrap_or_default();
        dir.join(format!("file-{i:05}.txt"))
    }
}

/// A workload ready to run: its [`TaskSpec`], its size, and for `files` the
/// generated corpus, deleted when the `Workload` is dropped.
#[derive(Debug)]
pub struct Workload {
    spec: TaskSpec,
    size: u64,
    _corpus: Option<tempfile::TempDir>,
}

impl Workload {
    /// Prepares `size` tasks of `kind`; for `files` this writes the corpus to a
    /// temporary directory first (outside any timing).
    pub fn prepare(
        kind: WorkloadKind,
        size: u64,
        trials: u64,
        scale: f64,
    ) -> Result<Self, WorkloadError> {
        let mut spec = TaskSpec {
            kind,
            trials,
            scale,
            corpus_dir: None,
        };
        let corpus = if kind == WorkloadKind::Files {
            let dir = tempfile::Builder::new()
                .prefix("ppr-corpus-")
                .tempdir()
                .map_err(|e| WorkloadError::io(std::env::temp_dir(), &e))?;
            generate_corpus(
                dir.path(),
                size as usize,
                CORPUS_FILE_BYTES,
                CORPUS_SEED,
            )?;
            spec.corpus_dir = Some(dir.path().to_path_buf());
            Some(dir)
        } else {
            None
        };
        Ok(Workload {
            spec,
            size,
            _corpus: corpus,
        })
    }

    /// How to run one task; clone it to share with workers.
    pub fn spec(&self) -> &TaskSpec {
        &self.spec
    }

    /// Number of tasks.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The task inputs, `0..size`, in order.
    pub fn inputs(&self) -> Vec<u64> {
        (0..self.size).collect()
    }

    /// Runs task `i` (see [`TaskSpec::run`]).
    pub fn run(&self, i: u64) -> TaskResult {
        self.spec.run(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_runs_its_task() {
        let driver = Workload::prepare(WorkloadKind::Driver, 3, 1, 1.0).unwrap();
        assert_eq!(
            driver.run(2),
            Ok(Output::Number(crate::kernels::driver(2.0, 1.0, 2.0)))
        );
        let pi = Workload::prepare(WorkloadKind::Pi, 2, 500, 1.0).unwrap();
        assert_eq!(pi.run(1), Ok(Output::Number(pi_mc(1, 500))));
        let sleep = Workload::prepare(WorkloadKind::Sleep, 5, 1, 0.001).unwrap();
        assert_eq!(sleep.spec().sleep_seconds(4), 0.5 * 5.0 * 0.001);
        assert_eq!(sleep.inputs(), vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn files_workload_generates_and_deletes_its_corpus() {
        let files = Workload::prepare(WorkloadKind::Files, 2, 1, 1.0).unwrap();
        let dir = files.spec().corpus_dir.clone().unwrap();
        let Ok(Output::File(stats)) = files.run(1) else {
            panic!("file task failed")
        };
        assert_eq!(stats.bytes, CORPUS_FILE_BYTES as u64);
        assert!(
            files.run(2).is_err(),
            "past the corpus is an error, not a panic"
        );
        drop(files);
        assert!(!dir.exists());
    }

    #[test]
    fn spec_round_trips_through_json() {
        let spec = TaskSpec {
            kind: WorkloadKind::Pi,
            trials: 9,
            scale: 0.5,
            corpus_dir: None,
        };
        let text = serde_json::to_string(&spec).unwrap();
        assert_eq!(serde_json::from_str::<TaskSpec>(&text).unwrap(), spec);
    }
}
