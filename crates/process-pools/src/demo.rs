//! The demo's tasks: what the chapter's demo, examples, tests and benches send
//! to worker processes, including [`Misbehave`] (tasks that crash, hang or
//! spawn on purpose) and the global [`SETTING`]. A library registers none of
//! them for you: your program serves *its* tasks with
//! [`crate::worker_main_if_requested_with`]; [`worker_main_if_requested`]
//! here serves these, for the demo.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use workloads::{TaskResult, TaskSpec};

use crate::{Registry, Task};

/// The demo's hook: call it first in `main` of a program whose workers run
/// the demo's tasks (with either mechanism). Not for your own tasks: use
/// [`crate::worker_main_if_requested_with`] with your registry.
pub fn worker_main_if_requested() {
    let registry = registry();
    crate::by_hand::worker_main_if_requested(&registry);
    crate::worker_main_if_requested_with(&registry);
}

/// Every task of this module.
pub fn registry() -> Registry {
    Registry::new()
        .with::<Square>()
        .with::<PiMc>()
        .with::<Driver>()
        .with::<RunWorkload>()
        .with::<WhoAmI>()
        .with::<ThreadsSeen>()
        .with::<Misbehave>()
        .with::<ReadSetting>()
        .with::<ScaleBy>()
        .with::<Blob>()
        .with::<Counted>()
        .with::<Flaky>()
        .with::<Setup>()
        .with::<SweepPoint>()
        .with::<JsonFields>()
}

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

/// What a worker was told about threads: the value of each of
/// [`crate::THREAD_VARS`] in its environment, and the size of rayon's
/// global pool there after running a small parallel sum on it.
#[derive(Debug)]
pub struct ThreadsSeen;

impl Task for ThreadsSeen {
    const NAME: &'static str = "threads_seen";
    type Input = ();
    type Output = (Vec<(String, Option<String>)>, usize);
    fn run((): ()) -> Self::Output {
        use rayon::prelude::*;
        let vars = crate::THREAD_VARS
            .iter()
            .map(|var| (var.to_string(), std::env::var(var).ok()))
            .collect();
        let _sum: u64 = (0..10_000u64).into_par_iter().sum();
        (vars, rayon::current_num_threads())
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
    /// Reads standard input to its end; returns how many bytes it read.
    ReadStdin,
    /// Runs `sh -c` on the command and returns its exit code (a task that
    /// starts processes, possibly in the background).
    Shell(String),
    /// Writes the line to file descriptors 1 and 3 to 10, wherever they
    /// lead (a C library logging to a descriptor it guessed); returns how
    /// many it could write to.
    WriteFds(String),
    /// Moves its worker into the pool's process group (as a careless
    /// `setpgid` in a library can), then sleeps this many milliseconds.
    LeaveGroup(u64),
    /// Allocates this many bytes, fills them, and returns how many (a task
    /// that needs more memory than it may have).
    Allocate(u64),
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
            Behaviour::ReadStdin => {
                let mut input = Vec::new();
                let _ =
                    std::io::Read::read_to_end(&mut std::io::stdin(), &mut input);
                input.len() as u64
            }
            Behaviour::Shell(command) => std::process::Command::new("sh")
                .args(["-c", &command])
                .status()
                .ok()
                .and_then(|status| status.code())
                .map_or(u64::MAX, |code| code as u64),
            Behaviour::WriteFds(line) => [1, 3, 4, 5, 6, 7, 8, 9, 10]
                .into_iter()
                .filter(|fd| write_to_fd(*fd, &line))
                .count() as u64,
            Behaviour::LeaveGroup(millis) => {
                use nix::unistd::{Pid, getpgid, getppid, setpgid};
                let pool_group = getpgid(Some(getppid())).expect("the pool's group");
                setpgid(Pid::from_raw(0), pool_group)
                    .expect("joined the pool's group");
                std::thread::sleep(Duration::from_millis(millis));
                0
            }
            Behaviour::Allocate(bytes) => {
                let filled = vec![1u8; bytes as usize];
                filled.iter().map(|b| u64::from(*b)).sum()
            }
        }
    }
}
// ANCHOR_END: misbehave

/// Writes `line` to this process's descriptor `fd`, if it is open, without
/// `unsafe`: through `/proc/self/fd`, which reopens what `fd` leads to.
fn write_to_fd(fd: u32, line: &str) -> bool {
    std::fs::OpenOptions::new()
        .write(true)
        .open(format!("/proc/self/fd/{fd}"))
        .and_then(|mut file| std::io::Write::write_all(&mut file, line.as_bytes()))
        .is_ok()
}

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

/// The number of fields of a JSON object: a task whose input is
/// self-describing (`serde_json::Value`), which compiles and cannot travel.
#[derive(Debug)]
pub struct JsonFields;

impl Task for JsonFields {
    const NAME: &'static str = "json_fields";
    type Input = serde_json::Value;
    type Output = u64;
    fn run(value: serde_json::Value) -> u64 {
        value.as_object().map_or(0, |o| o.len() as u64)
    }
}

/// Takes some bytes, returns `len` zero bytes: messages of any size.
#[derive(Debug)]
pub struct Blob;

impl Task for Blob {
    const NAME: &'static str = "blob";
    type Input = (Vec<u8>, u64);
    type Output = Vec<u8>;
    fn run((_, len): (Vec<u8>, u64)) -> Vec<u8> {
        vec![0; len as usize]
    }
}

/// Records each execution as a new file in a directory, then behaves as told:
/// counts how many times a task ran, even in a process that died.
#[derive(Debug)]
pub struct Counted;

impl Task for Counted {
    const NAME: &'static str = "counted";
    /// `(directory, task id, behaviour)`.
    type Input = (String, u64, Behaviour);
    type Output = u64;
    fn run((dir, id, behaviour): (String, u64, Behaviour)) -> u64 {
        record_execution(&dir, id);
        Misbehave::run(behaviour)
    }
}

/// Records each execution like [`Counted`]; its first `fails` executions
/// behave as told, the later ones return the task id: a task that a retry
/// can rescue. `(directory, task id, fails, behaviour)`.
#[derive(Debug)]
pub struct Flaky;

impl Task for Flaky {
    const NAME: &'static str = "flaky";
    type Input = (String, u64, u64, Behaviour);
    type Output = u64;
    fn run((dir, id, fails, behaviour): (String, u64, u64, Behaviour)) -> u64 {
        record_execution(&dir, id);
        if executions(&dir, id) <= fails {
            Misbehave::run(behaviour)
        } else {
            id
        }
    }
}

/// A worker initializer ([`crate::PoolBuilder::initializer`]): records its
/// run in `directory` as task `0` (unless the directory is empty); its first
/// `good_runs` runs behave well, the later ones as told; then it sets
/// [`SETTING`] in the worker. A setting of 0 is refused with an error.
/// `(directory, setting, good_runs, behaviour)`.
#[derive(Debug)]
pub struct Setup;

impl Task for Setup {
    const NAME: &'static str = "setup";
    type Input = (String, u64, u64, Behaviour);
    type Output = Result<(), String>;
    fn run(
        (dir, setting, good_runs, bad): (String, u64, u64, Behaviour),
    ) -> Self::Output {
        if !dir.is_empty() {
            record_execution(&dir, 0);
            if executions(&dir, 0) > good_runs {
                Misbehave::run(bad);
            }
        }
        if setting == 0 {
            return Err("a setting of 0 makes no sense".into());
        }
        SETTING.store(setting, Ordering::Relaxed);
        Ok(())
    }
}

/// One point of a two-parameter sweep, `pi_mc(seed, trials)`, written once
/// as a [`sweep_core::executor::Task`], so it runs serially, on threads or in
/// processes alike. Zero trials is a bug of the caller: it panics.
#[derive(Debug)]
pub struct SweepPoint;

impl sweep_core::executor::Task for SweepPoint {
    const NAME: &'static str = "sweep_point";
    type Input = (u64, u64);
    type Output = f64;
    fn run((seed, trials): (u64, u64)) -> f64 {
        assert!(trials > 0, "a sweep point needs at least one trial");
        workloads::pi_mc(seed, trials)
    }
}

/// How many executions of task `id` are recorded in `dir`.
fn executions(dir: &str, id: u64) -> u64 {
    let prefix = format!("{id}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let names = entries.flatten().map(|e| e.file_name());
    names
        .filter(|n| n.to_string_lossy().starts_with(&prefix))
        .count() as u64
}

/// Creates `dir/<id>.<pid>.<n>` for the first free `n`.
fn record_execution(dir: &str, id: u64) {
    let pid = std::process::id();
    for n in 0.. {
        let path = format!("{dir}/{id}.{pid}.{n}");
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            _ => return,
        }
    }
}
