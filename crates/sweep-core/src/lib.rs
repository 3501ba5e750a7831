//! The small runtime every chapter library shares: what a sweep needs to run
//! on any backend, and nothing of the book's demos.
//!
//! # What is here
//! - [`executor`]: a named [`Task`], the [`Executor`] trait that runs it on
//!   every input in input order, the [`Serial`] executor, [`TaskFailure`]
//!   and [`panic_message`]. `thread_pools::Backend` and
//!   `process_pools::ProcessPool` implement the same trait, so one line moves
//!   a sweep between serial, threads and processes.
//! - [`progress`]: the progress reporter every runner shares (a bar on a
//!   terminal, plain lines in a log; off unless switched on).
//! - [`jobs`]: the default number of workers and, with the `rayon` feature,
//!   a rayon pool of exactly `jobs` threads (`jobs = 0` is an error).
//!
//! The demo tasks, command line, report and measurement of the book live in
//! the `workloads` crate (the demo layer), which depends on this one, never
//! the other way round.
#![warn(missing_docs)]

pub mod executor;
pub mod jobs;
pub mod progress;

pub use executor::{Executor, Serial, Task, TaskFailure, panic_message};
pub use progress::Progress;
