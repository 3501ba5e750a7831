//! The tasks the demo, the examples, the tests and the benches send to worker
//! processes; [`crate::Registry::builtin`] registers all of them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use workloads::{TaskResult, TaskSpec};

use crate::Task;

/// `square(x)`: the trivial task that measures what a round trip costs.
#[derive(Debug)]
pub struct Square;

impl Task for Square {
    const NAME: &'static str = "square";
    type Input = u64;
    type Output = u64;
    fn run(x: u64) -> u64 {
        workloads::square(x)
    }
}

// ANCHOR: multi_arg
/// `pi_mc(seed, trials)`: a task with two arguments, sent as a tuple.
#[derive(Debug)]
pub struct PiMc;

impl Task for PiMc {
    const NAME: &'static str = "pi_mc";
    type Input = (u64, u64);
    type Output = f64;
    fn run((seed, trials): (u64, u64)) -> f64 {
        workloads::pi_mc(seed, trials)
    }
}
// ANCHOR_END: multi_arg

/// `driver(number, num, den)`: three arguments.
#[derive(Debug)]
pub struct Driver;

impl Task for Driver {
    const NAME: &'static str = "driver";
    type Input = (f64, f64, f64);
    type Output = f64;
    fn run((number, num, den): (f64, f64, f64)) -> f64 {
        workloads::driver(number, num, den)
    }
}

// ANCHOR: run_workload
/// Task `i` of a demo workload. The [`TaskSpec`] travels with every task: the
/// worker has nothing but what it is sent.
#[derive(Debug)]
pub struct RunWorkload;

impl Task for RunWorkload {
    const NAME: &'static str = "workload";
    type Input = (TaskSpec, u64);
    type Output = TaskResult;
    fn run((spec, i): (TaskSpec, u64)) -> TaskResult {
        spec.run(i)
    }
}
// ANCHOR_END: run_workload

/// Sleeps `millis`, then returns `(index, pid of the worker)`: shows which
/// process ran what, and in which order tasks finish.
#[derive(Debug)]
pub struct WhoAmI;

impl Task for WhoAmI {
    const NAME: &'static str = "who_am_i";
    type Input = (u64, u64);
    type Output = (u64, u32);
    fn run((index, millis): (u64, u64)) -> (u64, u32) {
        std::thread::sleep(Duration::from_millis(millis));
        (index, std::process::id())
    }
}

// ANCHOR: misbehave
/// What a [`Misbehave`] task does: each way a task can go wrong.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Behaviour {
    /// Returns the number: a well-behaved task.
    Return(u64),
    /// Panics with this message (an ordinary bug).
    Panic(String),
    /// Calls `std::process::abort()` (what a failed C assertion does).
    Abort,
    /// Calls `std::process::exit(code)` (a library that exits on error).
    Exit(i32),
    /// Sends itself SIGKILL (what the out-of-memory killer does).
    Kill,
    /// Sleeps this many milliseconds, then returns 0 (a task that hangs).
    Sleep(u64),
    /// Prints the number to stdout, then returns it (a chatty library).
    Print(u64),
}

/// A task that behaves as it is told, to show what the pool does about it.
#[derive(Debug)]
pub struct Misbehave;

impl Task for Misbehave {
    const NAME: &'static str = "misbehave";
    type Input = Behaviour;
    type Output = u64;
    fn run(behaviour: Behaviour) -> u64 {
        match behaviour {
            Behaviour::Return(x) => x,
            Behaviour::Panic(message) => panic!("{message}"),
            Behaviour::Abort => std::process::abort(),
            Behaviour::Exit(code) => std::process::exit(code),
            Behaviour::Kill => {
                let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
                unreachable!("SIGKILL cannot be caught")
            }
            Behaviour::Sleep(millis) => {
                std::thread::sleep(Duration::from_millis(millis));
                0
            }
            Behaviour::Print(x) => {
                println!("task says {x}");
                x
            }
        }
    }
}
// ANCHOR_END: misbehave

// ANCHOR: isolation
/// A global setting of this program, 1 unless someone changes it.
pub static SETTING: AtomicU64 = AtomicU64::new(1);

/// `x * SETTING`, reading the global *in the process that runs the task*.
#[derive(Debug)]
pub struct ReadSetting;

impl Task for ReadSetting {
    const NAME: &'static str = "read_setting";
    type Input = u64;
    type Output = u64;
    fn run(x: u64) -> u64 {
        x * SETTING.load(Ordering::Relaxed)
    }
}

/// `x * factor`: the fix. What the task needs travels with it.
#[derive(Debug)]
pub struct ScaleBy;

impl Task for ScaleBy {
    const NAME: &'static str = "scale_by";
    type Input = (u64, u64);
    type Output = u64;
    fn run((factor, x): (u64, u64)) -> u64 {
        x * factor
    }
}
// ANCHOR_END: isolation
