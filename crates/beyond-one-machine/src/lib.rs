//! Chapter 6, beyond one machine: the two ways this book scales a sweep past
//! one computer, with existing engines rather than home-made cluster software.
//!
//! # What is here
//! - [`sweep`]: the [`Sweep`] trait (task `i`'s parameters, the function, a
//!   serialisable result) that both routes run: yours is one instance, the
//!   demo's `DemoSweep` another.
//! - [`shard`]: split `0..size` into `n` shards that cover every task exactly
//!   once ([`Shard::range`](shard::Shard::range)), and find this process's
//!   shard from `--shard i/n`, or `--shards n` and `SLURM_ARRAY_TASK_ID`.
//! - [`array`](mod@array): the job-array route. [`array::run_shard`] runs one shard on a
//!   thread pool (the thread-pools chapter's `run_parallel_step`) and stores
//!   each result in a shared [`results`] directory; [`array::merge`] gathers
//!   them, read-only, and names every missing shard.
//! - [`status`]: one progress view of a running job array, read from its
//!   results directory ([`status::array_status`], [`status::watch`]).
//! - [`cluster`]: the dataflow route. [`cluster::run_cluster`] scatters the
//!   sweep over the workers of a timely-dataflow cluster (processes connected
//!   by TCP, threads in each) and gathers the results to worker 0. [`connect`]
//!   makes the connections with a deadline, a job identity and a heartbeat,
//!   so a missing or lost peer is an error naming it, not a hang;
//!   [`slurm`] derives the cluster's addresses from Slurm's environment;
//!   [`tally`] counts the tasks done in every process for one progress view.
//! - [`launch`]: run a group of processes with a deadline, killing them on
//!   drop or when this process dies: how the demo (and the tests) simulate a
//!   cluster on one machine.
//! - `commands`: the `shard` and `worker` subcommands a cluster runs.
//! - `local`: both routes as child processes of this program
//!   (`local::launch_array`, `local::launch_cluster`), which serves them
//!   once its `main` calls `local::child_main_if_requested`.
//!
//! [`cluster::ClusterError`] is defined in a file of its own below both
//! `cluster` and `connect` (which return it), and [`local::LocalError`]
//! likewise below `local` and `commands`: no two files import each other.
//!
//! `commands`, `local` and `demo` (the book's demo workloads as a sweep)
//! belong to the demo: they need the `cli` feature (on by default, with the
//! demo binary). The library alone (`default-features = false`) has neither
//! clap nor the demo workloads.
//!
//! # Your own sweep, sharded
//! ```
#![doc = include_str!("../examples/own_sweep.rs")]
//! ```
//!
//! [`names`]: the name of each strategy, one for the demo, the benchmarks and
//! the book.
//!
//! Run the chapter's demos with
//! `cargo run --release -p beyond-one-machine -- array --shards 4 --workload pi --size 64`
//! and
//! `cargo run --release -p beyond-one-machine -- timely --processes 2 --workers 1 --workload pi --size 64`.
//! The Slurm scripts are in `slurm/`.
#![warn(missing_docs)]

pub mod names;

pub mod array;
pub mod cluster;
mod cluster_error;
#[cfg(feature = "cli")]
pub mod commands;
pub mod connect;
#[cfg(feature = "cli")]
pub mod demo;
#[cfg(test)]
mod fake_env;
pub mod launch;
#[cfg(feature = "cli")]
pub mod local;
#[cfg(feature = "cli")]
mod local_error;
pub mod results;
pub mod shard;
pub mod slurm;
pub mod status;
pub mod sweep;
pub mod tally;

#[cfg(feature = "cli")]
pub use demo::DemoSweep;
pub use sweep::Sweep;
