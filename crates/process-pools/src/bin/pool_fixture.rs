//! A test fixture, not a demo: a program shaped like a user's, for the tests
//! that must run a whole program (`tests/recursion.rs`). Its environment
//! chooses the shape:
//!
//! - `FIXTURE_LOG=<file>`: every start of `main` appends a line to the file,
//!   `marked` if it carries the pool's marker, so a test counts the starts.
//! - `FIXTURE_UNHOOKED`: `main` forgets the worker hook and builds a pool.
//!   The workers it starts refuse to build pools of their own, and `build`
//!   fails with the fix. Before the marker, this was a fork bomb: run it only
//!   under a process cap (the tests do).
//! - `FIXTURE_RELAUNCH`: `main` (which forgets the hook) first relaunches
//!   itself as a subprocess with `--relaunched`, as some programs do, and
//!   exits with its status; the relaunched copy builds the pool.
//! - `FIXTURE_WRAPPER=<script>`: the pool's workers run through this script
//!   (a wrapper that runs the program without `exec`).
//! - `FIXTURE_QUICK`: runs 4 tasks and exits 0 if they all succeed; one
//!   task runs this program again as a task's own program (which builds a
//!   pool of its own) unless `FIXTURE_NESTED` is set.
//! - Otherwise it starts two workers, prints their pids and a directory, and
//!   runs two tasks that never end (one has started a background process,
//!   whose pid it writes to `<dir>/background`), until it is killed.
//!
//! `FIXTURE_UNHOOKED=1 cargo run -p process-pools --bin pool_fixture` (capped!)

use std::io::Write;

use process_pools::ProcessPool;
use process_pools::demo::{Behaviour, Misbehave};

fn main() -> anyhow::Result<()> {
    log_start()?;
    let set = |name| std::env::var_os(name).is_some();
    if !set("FIXTURE_UNHOOKED") && !set("FIXTURE_RELAUNCH") {
        process_pools::demo::worker_main_if_requested();
    }
    let relaunched = std::env::args().any(|arg| arg == "--relaunched");
    if set("FIXTURE_RELAUNCH") && !relaunched {
        let status = std::process::Command::new(std::env::current_exe()?)
            .arg("--relaunched")
            .status()?;
        std::process::exit(status.code().unwrap_or(1));
    }
    let mut builder = ProcessPool::builder().workers(2);
    if let Some(wrapper) = std::env::var_os("FIXTURE_WRAPPER") {
        builder = builder.worker_exe(wrapper);
    }
    let pool = builder.build()?;
    if set("FIXTURE_QUICK") {
        return quick(&pool, !set("FIXTURE_NESTED"));
    }
    let dir =
        std::env::temp_dir().join(format!("pool-fixture-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{:?} {}", pool.worker_pids(), dir.display())?;
    stdout.flush()?;
    let background = format!(
        "sleep 300 & echo $! > {}/background; sleep 300",
        dir.display()
    );
    let tasks = [Behaviour::Shell(background), Behaviour::Sleep(300_000)];
    let _ = pool.map::<Misbehave>(tasks);
    Ok(())
}

/// Appends this start to `FIXTURE_LOG`, if set.
fn log_start() -> anyhow::Result<()> {
    let Some(log) = std::env::var_os("FIXTURE_LOG") else {
        return Ok(());
    };
    let marked = std::env::var_os("PROCESS_POOLS_WORKER").is_some();
    let line = format!(
        "{} {}\n",
        std::process::id(),
        if marked { "marked" } else { "plain" }
    );
    let mut file = std::fs::File::options()
        .append(true)
        .create(true)
        .open(log)?;
    file.write_all(line.as_bytes())?;
    Ok(())
}

/// Four small tasks; with `nested`, one of them runs this program again (as
/// a task's own program, which builds its own pool).
fn quick(pool: &ProcessPool, nested: bool) -> anyhow::Result<()> {
    let mut tasks = vec![
        Behaviour::Return(1),
        Behaviour::Return(2),
        Behaviour::Return(3),
    ];
    if nested {
        let exe = std::env::current_exe()?;
        let command = format!("FIXTURE_NESTED=1 '{}'", exe.display());
        tasks.push(Behaviour::Shell(command));
    }
    let results = pool.map::<Misbehave>(tasks);
    println!("{results:?}");
    anyhow::ensure!(results.iter().all(Result::is_ok), "a task failed");
    Ok(())
}
