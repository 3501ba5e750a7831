//! What a sweep is to this chapter: `size` independent tasks, the parameters
//! of task `i`, the function that computes a task from its parameters, and a
//! serialisable result. [`Sweep`] is the trait a reader implements for their
//! own sweep; the job array ([`crate::array`]) and the timely cluster
//! ([`crate::cluster`]) run any implementation. [`DemoSweep`] is the
//! chapter's demo workloads as one instance of it.
//!
//! A sweep is also `Serialize`: its serialised form *is* its identity. The
//! results directory records it, so shards and `merge` of different sweeps
//! can never mix their results.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use workloads::cli::CommonArgs;
use workloads::{TaskResult, Workload, WorkloadError, WorkloadKind};

// ANCHOR: sweep_trait
/// A parameter sweep: `size()` tasks, task `i` computes `compute(params(i))`.
///
/// Everything that changes a result must be in the serialised form of the
/// sweep (a grid's values, a seed, a version number of the model), because
/// that is what identifies stored results.
pub trait Sweep: Serialize + Send + Sync + 'static {
    /// The parameters of one task.
    type Params;
    /// The result of one task: stored on disk by the job array, sent over
    /// TCP by the timely cluster.
    type Output: Serialize + DeserializeOwned + Clone + Send + 'static;

    /// Number of tasks; they are numbered `0..size()`.
    fn size(&self) -> u64;

    /// The parameters of task `task`.
    fn params(&self, task: u64) -> Self::Params;

    /// The user's function: one task's result from its parameters.
    fn compute(&self, params: Self::Params) -> Self::Output;

    /// Runs task `task`.
    fn run(&self, task: u64) -> Self::Output {
        self.compute(self.params(task))
    }
}
// ANCHOR_END: sweep_trait

/// The chapter's demo workloads (`--workload --size --trials --scale`) as a
/// [`Sweep`]: the parameter of task `i` is `i` itself.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSweep {
    /// The workload.
    pub workload: WorkloadKind,
    /// Tasks in the sweep (the `files` corpus depends on it).
    pub size: u64,
    /// Trials per π task.
    pub trials: u64,
    /// Factor applied to every sleep.
    pub scale: f64,
    /// The prepared workload (for `files`, its corpus on this machine, which
    /// is not part of the sweep's identity).
    #[serde(skip)]
    prepared: Arc<Workload>,
}

impl DemoSweep {
    /// Prepares the sweep the shared command-line flags describe.
    pub fn from_args(args: &CommonArgs) -> Result<DemoSweep, WorkloadError> {
        DemoSweep::new(args.workload, args.size, args.trials, args.scale)
    }

    /// Prepares `size` tasks of `workload`.
    pub fn new(
        workload: WorkloadKind,
        size: u64,
        trials: u64,
        scale: f64,
    ) -> Result<DemoSweep, WorkloadError> {
        let prepared = Arc::new(Workload::prepare(workload, size, trials, scale)?);
        Ok(DemoSweep {
            workload,
            size,
            trials,
            scale,
            prepared,
        })
    }

    /// The prepared workload.
    pub fn workload(&self) -> &Workload {
        &self.prepared
    }

    /// The flags that describe this sweep, to pass on to child processes.
    pub fn flags(&self) -> Vec<String> {
        vec![
            "--workload".into(),
            self.workload.name().into(),
            "--size".into(),
            self.size.to_string(),
            "--trials".into(),
            self.trials.to_string(),
            "--scale".into(),
            self.scale.to_string(),
        ]
    }
}

impl Sweep for DemoSweep {
    type Params = u64;
    type Output = TaskResult;

    fn size(&self) -> u64 {
        self.size
    }

    fn params(&self, task: u64) -> u64 {
        task
    }

    fn compute(&self, task: u64) -> TaskResult {
        self.prepared.run(task)
    }
}
