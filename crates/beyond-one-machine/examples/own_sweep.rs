//! Your own sweep, beyond one machine: a two-parameter function over a grid,
//! run as a job array (3 shards into a results directory, then merged) and on
//! a timely cluster, each checked against the plain serial loop.
//!
//! ```text
//! cargo run -p beyond-one-machine --example own_sweep            # all here
//! own_sweep shard RESULTS   # in a job array: shard SLURM_ARRAY_TASK_ID of 3
//! own_sweep merge RESULTS   # after the array: results, or the ids to resubmit
//! ```

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use beyond_one_machine::Sweep;
use beyond_one_machine::array::{merge, run_shard};
use beyond_one_machine::cluster::{ClusterOptions, run_cluster};
use beyond_one_machine::shard::{Shard, resolve_shard};
use serde::Serialize;

// ANCHOR: user_sweep
/// The function to sweep: a damped oscillation, observed at time `t = 10`.
fn amplitude(damping: f64, frequency: f64) -> f64 {
    (-damping * 10.0).exp() * (frequency * 10.0).cos()
}

/// The sweep: every damping with every frequency. Serialised, it identifies
/// the results on disk, so changing the grid never mixes old results in.
#[derive(Serialize)]
struct Grid {
    damping: Vec<f64>,
    frequency: Vec<f64>,
}

impl Sweep for Grid {
    type Params = (f64, f64);
    type Output = f64;

    fn size(&self) -> u64 {
        (self.damping.len() * self.frequency.len()) as u64
    }

    fn params(&self, task: u64) -> (f64, f64) {
        let columns = self.frequency.len();
        let (row, column) = (task as usize / columns, task as usize % columns);
        (self.damping[row], self.frequency[column])
    }

    fn compute(&self, (damping, frequency): (f64, f64)) -> f64 {
        amplitude(damping, frequency)
    }
}
// ANCHOR_END: user_sweep

/// Shards of the job: the job script's `--array=0-2`.
const SHARDS: u64 = 3;

fn grid() -> Grid {
    Grid {
        damping: vec![0.0, 0.1, 0.2, 0.5],
        frequency: vec![1.0, 2.0, 3.0],
    }
}

// ANCHOR: user_array
/// One array task: shard `SLURM_ARRAY_TASK_ID` of [`SHARDS`], on 2 threads.
fn array_task(
    grid: &Grid,
    results: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let shard = resolve_shard(None, Some(SHARDS), grid.size())?;
    run_shard(grid, shard, 2, results)?;
    Ok(())
}

/// After the array: every result in task order, or an error naming the
/// shards (array ids) to resubmit.
fn merged(
    grid: &Grid,
    results: &Path,
) -> Result<Vec<f64>, Box<dyn std::error::Error>> {
    Ok(merge(grid, SHARDS, results)?)
}
// ANCHOR_END: user_array

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let grid = grid();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["shard", results] => return array_task(&grid, Path::new(results)),
        ["merge", results] => {
            println!("{:?}", merged(&grid, Path::new(results))?);
            return Ok(());
        }
        [] => {}
        _ => workloads::cli::usage_error(
            "usage: own_sweep [shard RESULTS | merge RESULTS]",
        ),
    }
    let serial: Vec<f64> = (0..grid.size()).map(|task| grid.run(task)).collect();

    // The job array, here: every shard in turn, then the merge.
    let results = tempfile::tempdir()?;
    for shard in Shard::all(SHARDS) {
        run_shard(&grid, shard, 2, results.path())?;
    }
    assert_eq!(merged(&grid, results.path())?, serial);

    // ANCHOR: user_timely
    // The timely route: 2 workers in this process here; on a cluster the
    // same call runs in every process, with the cluster's configuration.
    let options =
        ClusterOptions::new(Duration::from_secs(30), Duration::from_secs(10), 0);
    let config = timely::Config::process(2);
    let gathered = run_cluster(config, Arc::new(grid), &options)?;
    assert_eq!(
        gathered,
        Some(serial.clone()),
        "worker 0 is in this process"
    );
    // ANCHOR_END: user_timely
    println!(
        "{} results, job array and timely equal to serial",
        serial.len()
    );
    Ok(())
}
