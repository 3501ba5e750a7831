//! What a sweep is to this chapter: `size` independent tasks, the parameters
//! of task `i`, the function that computes a task from its parameters, and a
//! serialisable result. [`Sweep`] is the trait a reader implements for their
//! own sweep; the job array ([`crate::array`]) and the timely cluster
//! ([`crate::cluster`]) run any implementation. The demo's `DemoSweep`
//! (in `demo.rs`, with the `cli` feature) is one instance of it.
//!
//! A sweep is also `Serialize`: its serialised form *is* its identity. The
//! results directory records it, so shards and `merge` of different sweeps
//! can never mix their results.

use serde::Serialize;
use serde::de::DeserializeOwned;

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
