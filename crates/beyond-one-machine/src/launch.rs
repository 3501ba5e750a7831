//! Running a group of child processes with a deadline: what `array` and
//! `timely` use to simulate a cluster on one machine, and what the tests use so
//! that no process outlives its test.
//!
//! Every child runs in its own process group and is killed, group and all,
//! when its [`Child`] guard is dropped; [`run_all`] kills every child still
//! running at the deadline and says which ones they were. A child that calls
//! [`die_with_parent`] first (this crate's binaries do) is also killed by the
//! kernel if this process dies without dropping the guard (SIGKILL, SIGTERM).

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

/// Set in a child's environment to the pid of the process that started it:
/// [`die_with_parent`] checks it.
pub const PARENT_PID_VAR: &str = "PPR_B1M_PARENT_PID";

// ANCHOR: die_with_parent
/// If this process was started by a [`Child`] guard, asks the kernel to kill
/// it when that parent dies, however the parent dies (SIGKILL included);
/// exits at once if the parent is already gone. Call it first in `main`.
///
/// The kernel sends the signal when the parent *thread* that started us
/// exits, so start children from a thread that outlives them (as
/// [`run_all`] does).
pub fn die_with_parent() {
    let Some(parent) = std::env::var(PARENT_PID_VAR)
        .ok()
        .and_then(|pid| pid.parse::<i32>().ok())
    else {
        return;
    };
    #[cfg(target_os = "linux")]
    if nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).is_err() {
        return; // not fatal: the guard still kills us on drop
    }
    // The parent may have died before the line above: then nobody will.
    if nix::unistd::getppid() != Pid::from_raw(parent) {
        std::process::exit(1);
    }
}
// ANCHOR_END: die_with_parent

/// Why a group of processes did not all finish successfully.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// A process could not be started.
    #[error("could not start {name}: {source}")]
    Spawn {
        /// The process's label.
        name: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A process exited unsuccessfully.
    #[error("{name} failed ({status}){}", stderr_tail(.stderr))]
    Failed {
        /// The process's label.
        name: String,
        /// How it exited.
        status: ExitStatus,
        /// The end of what it wrote to stderr.
        stderr: String,
    },
    /// Processes were still running at the deadline and were killed.
    #[error("timed out after {after:?}: killed {} (still running){}",
            .names.join(", "), stderr_tail(.stderr))]
    Timeout {
        /// Labels of the processes that were killed.
        names: Vec<String>,
        /// The deadline.
        after: Duration,
        /// The end of what the first of them wrote to stderr.
        stderr: String,
    },
    /// Waiting on a process failed.
    #[error("waiting for {name}: {source}")]
    Wait {
        /// The process's label.
        name: String,
        /// What the operating system said.
        source: std::io::Error,
    },
}

fn stderr_tail(stderr: &str) -> String {
    let text = stderr.trim();
    if text.is_empty() {
        String::new()
    } else {
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(8)..];
        format!(":\n  {}", tail.join("\n  "))
    }
}

/// One process that finished successfully.
#[derive(Debug, Clone)]
pub struct Finished {
    /// Its label.
    pub name: String,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
    /// From spawn to exit, as seen by the parent.
    pub wall: Duration,
}

/// What to do when one process of the group fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Kill the others at once: they cannot finish without it (a cluster).
    KillAll,
    /// Let the others finish, then report the failure (independent array tasks).
    LetOthersFinish,
}

// ANCHOR: child_guard
/// A running child process, killed (and reaped) when dropped. Its stdout and
/// stderr go to files, so a chatty child never blocks on a full pipe.
#[derive(Debug)]
pub struct Child {
    name: String,
    child: std::process::Child,
    stdout: PathBuf,
    stderr: PathBuf,
    started: Instant,
    _logs: tempfile::TempDir,
}

impl Drop for Child {
    fn drop(&mut self) {
        // Already exited: harmless. Still running: neither it nor anything it
        // started (its process group) may outlive us.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
// ANCHOR_END: child_guard

impl Child {
    /// Starts `command` with its output captured, labelled `name` in errors.
    pub fn spawn(name: &str, mut command: Command) -> Result<Child, LaunchError> {
        let spawn_error = |source| LaunchError::Spawn {
            name: name.to_owned(),
            source,
        };
        let logs = tempfile::Builder::new()
            .prefix("ppr-child-")
            .tempdir()
            .map_err(spawn_error)?;
        let stdout = logs.path().join("stdout");
        let stderr = logs.path().join("stderr");
        command
            .stdin(Stdio::null())
            .stdout(File::create(&stdout).map_err(spawn_error)?)
            .stderr(File::create(&stderr).map_err(spawn_error)?)
            // Its own process group, so that drop kills what it started too.
            .process_group(0)
            .env(PARENT_PID_VAR, std::process::id().to_string());
        let started = Instant::now();
        let child = command.spawn().map_err(spawn_error)?;
        Ok(Child {
            name: name.to_owned(),
            child,
            stdout,
            stderr,
            started,
            _logs: logs,
        })
    }

    /// Its process id (also its process group id).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its label.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn read(path: &Path) -> String {
        std::fs::read(path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    /// What it has written to stderr so far.
    pub fn stderr(&self) -> String {
        Self::read(&self.stderr)
    }

    fn try_finish(
        &mut self,
    ) -> Result<Option<Result<Finished, LaunchError>>, LaunchError> {
        let status = self.child.try_wait().map_err(|source| LaunchError::Wait {
            name: self.name.clone(),
            source,
        })?;
        Ok(status.map(|status| {
            let wall = self.started.elapsed();
            if status.success() {
                Ok(Finished {
                    name: self.name.clone(),
                    stdout: Self::read(&self.stdout),
                    stderr: self.stderr(),
                    wall,
                })
            } else {
                Err(LaunchError::Failed {
                    name: self.name.clone(),
                    status,
                    stderr: self.stderr(),
                })
            }
        }))
    }
}

/// Runs every command to completion within `timeout` and returns their
/// outputs in order. At the deadline every process still running is killed
/// and named in the error; so is the first process that fails.
pub fn run_all(
    commands: Vec<(String, Command)>,
    timeout: Duration,
    on_failure: OnFailure,
) -> Result<Vec<Finished>, LaunchError> {
    let deadline = Instant::now() + timeout;
    let mut running = Vec::new();
    for (name, command) in commands {
        running.push(Some(Child::spawn(&name, command)?));
    }
    let mut finished: Vec<Option<Finished>> = running.iter().map(|_| None).collect();
    let mut first_failure = None;
    loop {
        for (slot, done) in running.iter_mut().zip(&mut finished) {
            let Some(child) = slot else { continue };
            match child.try_finish()? {
                None => continue,
                Some(Ok(output)) => *done = Some(output),
                Some(Err(failure)) => {
                    first_failure.get_or_insert(failure);
                }
            }
            *slot = None; // exited
        }
        let still_running: Vec<&Child> = running.iter().flatten().collect();
        let give_up = on_failure == OnFailure::KillAll || still_running.is_empty();
        if let Some(failure) = first_failure.take_if(|_| give_up) {
            return Err(failure); // dropping `running` kills the rest
        }
        if still_running.is_empty() {
            return Ok(finished.into_iter().flatten().collect());
        }
        if Instant::now() >= deadline {
            return Err(LaunchError::Timeout {
                names: still_running.iter().map(|c| c.name.clone()).collect(),
                after: timeout,
                stderr: still_running[0].stderr(),
            });
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
