//! A sweep that survives a crash: runs a 20-task sweep in a child process that
//! is killed after task 12, reruns it (12 tasks load from the cache, 8 are
//! computed), and checks the results equal an uninterrupted run.
//!
//! ```text
//! cargo run --release -p caching --example resume
//! ```
//! The example drives everything itself: it spawns itself as the child
//! (`resume --child DIR`), waits for the child to report task 12 stored, kills
//! it (SIGKILL on Unix: no destructor, no flush, no goodbye), then reruns.
//! Exits non-zero if the counts or the results are not as expected.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use caching::Memory;
use caching::sweep::resumable_sweep;
use workloads::{TaskSpec, WorkloadKind};

/// Tasks in the sweep, and how many are done when the child is killed.
const TASKS: u64 = 20;
const KILLED_AFTER: u64 = 12;
/// Upper bound on the child's run: the example fails rather than hangs.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The sweep: 20 Monte Carlo π estimates, one seed per task.
fn spec() -> TaskSpec {
    TaskSpec {
        kind: WorkloadKind::Pi,
        trials: 200_000,
        scale: 1.0,
        corpus_dir: None,
    }
}

fn main() -> anyhow::Result<ExitCode> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, dir] = args.as_slice()
        && flag == "--child"
    {
        child(Path::new(dir))
    } else {
        drive()
    }
}

// ANCHOR: child
/// The child: runs the sweep, and after task 12 is stored, says so and waits
/// to be killed (for at most a minute, so it cannot outlive a dead parent).
fn child(dir: &Path) -> anyhow::Result<ExitCode> {
    let memory = Memory::new(dir)?;
    resumable_sweep(&memory, &spec(), TASKS, |i| {
        println!("stored task {}", i + 1);
        if i + 1 == KILLED_AFTER {
            println!("waiting to be killed");
            std::thread::sleep(Duration::from_secs(60));
            std::process::exit(3);
        }
    });
    bail!("the child was not killed")
}
// ANCHOR_END: child

// ANCHOR: drive
fn drive() -> anyhow::Result<ExitCode> {
    let cache = tempfile::tempdir()?; // a fresh cache for a reproducible story
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .arg("--child")
        .arg(cache.path())
        .stdout(Stdio::piped())
        .spawn()
        .context("spawning the child")?;
    wait_for_line(&mut child, "waiting to be killed")?;
    child.kill()?; // the crash
    let status = child.wait()?;
    println!("child killed after task {KILLED_AFTER} ({status})");

    // The rerun: a new process would do the same; the cache is all it needs.
    let memory = Memory::new(cache.path())?;
    let rerun = resumable_sweep(&memory, &spec(), TASKS, |_| {});
    println!(
        "rerun: {} tasks loaded from the cache, {} computed",
        rerun.loaded, rerun.computed
    );

    // An uninterrupted run, in a cache of its own, to compare with.
    let fresh = tempfile::tempdir()?;
    let whole = resumable_sweep(&Memory::new(fresh.path())?, &spec(), TASKS, |_| {});
    let same = rerun.results == whole.results;
    println!("results equal an uninterrupted run: {same}");
    ensure!(
        (rerun.loaded, rerun.computed) == (KILLED_AFTER, TASKS - KILLED_AFTER),
        "expected {KILLED_AFTER} loaded and {} computed",
        TASKS - KILLED_AFTER
    );
    Ok(if same {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
// ANCHOR_END: drive

/// Echoes the child's stdout until `wanted` appears; an error if the child
/// ends first or takes longer than [`TIMEOUT`] (the child is killed then).
fn wait_for_line(child: &mut Child, wanted: &str) -> anyhow::Result<()> {
    let stdout = child.stdout.take().context("the child's stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        match rx.recv_timeout(TIMEOUT) {
            Ok(line) => {
                println!("  child: {line}");
                if line == wanted {
                    return Ok(());
                }
            }
            Err(e) => {
                let _ = child.kill();
                bail!("the child never said `{wanted}`: {e}");
            }
        }
    }
}
