//! A test fixture, not a demo: a program shaped like a user's, for the tests
//! that must run a whole program (`tests/recursion.rs`).
//!
//! - With `FIXTURE_UNHOOKED` set, `main` forgets the worker hook and builds a
//!   pool: the workers it starts refuse to build pools of their own, and
//!   `build` fails with the fix. Before the marker, this was a fork bomb: run
//!   it only under a process cap (the test does).
//! - Otherwise it starts two workers, prints their pids and a directory, and
//!   runs two tasks that never end (one has started a background process,
//!   whose pid it writes to `<dir>/background`), until it is killed.
//!
//! `FIXTURE_UNHOOKED=1 cargo run -p process-pools --bin pool_fixture` (capped!)

use std::io::Write;

use process_pools::ProcessPool;
use process_pools::demo::{Behaviour, Misbehave};

fn main() -> anyhow::Result<()> {
    if std::env::var_os("FIXTURE_UNHOOKED").is_none() {
        process_pools::demo::worker_main_if_requested();
    }
    let pool = ProcessPool::builder().workers(2).build()?;
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
