//! Chapter 6, beyond one machine: the two ways this book scales a sweep past
//! one computer, with existing engines rather than home-made cluster software.
//!
//! # What is here
//! - [`shard`]: split `0..size` into `n` shards that cover every task exactly
//!   once ([`Shard::range`](shard::Shard::range)), and find this process's
//!   shard from `--shard i/n` or Slurm's job-array environment.
//! - [`array`]: the job-array route. [`array::run_shard`] runs one shard on a
//!   thread pool (the thread-pools chapter's `run_parallel_step`) and stores
//!   each result in a shared results directory through the caching chapter's
//!   `Memory`; [`array::merge`] gathers them and names every missing shard.
//! - [`cluster`]: the dataflow route. [`cluster::run_cluster`] scatters the
//!   sweep over the workers of a timely-dataflow cluster (processes connected
//!   by TCP, threads in each) and gathers the results to worker 0; a peer that
//!   never connects is an error after a timeout, not a hang.
//! - [`launch`]: run a group of processes with a deadline, killing them on
//!   drop: how the demo (and the tests) simulate a cluster on one machine.
//! - [`local`]: both routes as child processes of this program
//!   ([`local::launch_array`], [`local::launch_cluster`]), which serves them
//!   once its `main` calls [`local::child_main_if_requested`].
//!
//! Run the chapter's demos with
//! `cargo run --release -p beyond-one-machine -- array --shards 4 --workload pi --size 64`
//! and
//! `cargo run --release -p beyond-one-machine -- timely --processes 2 --workers 1 --workload pi --size 64`.
//! The Slurm scripts are in `slurm/`.
#![warn(missing_docs)]

pub mod array;
pub mod cluster;
pub mod launch;
pub mod local;
pub mod shard;

pub use array::Sweep;
