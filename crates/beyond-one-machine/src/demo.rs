//! The demo's sweep (compiled with the `cli` feature only): the book's demo
//! workloads (`--workload --size --trials --scale`) as one [`Sweep`], run by
//! the demo binary, its child processes, the tests and the benches.

use std::sync::Arc;

use serde::Serialize;
use workloads::cli::CommonArgs;
use workloads::{TaskResult, Workload, WorkloadError, WorkloadKind};

use crate::Sweep;

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
