//! The demo's side of this chapter (compiled with the `cli` feature only):
//! a task of the book's demo workloads, written for async code. A program
//! of your own writes its own `async fn` per task.

use std::time::Duration;

use workloads::{Output, TaskResult, TaskSpec, WorkloadKind};

// ANCHOR: run_task
/// Task `i` of a workload, written for async code: a `sleep` task awaits a
/// tokio timer (it gives its thread back while it waits) and returns what
/// `workloads::sleepy` returns; every other task is CPU work and simply runs,
/// holding its runtime thread until it is done.
pub async fn run_task(spec: &TaskSpec, i: u64) -> TaskResult {
    if spec.kind == WorkloadKind::Sleep {
        let seconds = spec.sleep_seconds(i);
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
        return Ok(Output::Number(seconds));
    }
    spec.run(i)
}
// ANCHOR_END: run_task
