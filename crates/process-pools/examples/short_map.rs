//! Where the time of a short `map` goes: one `ProcessPool` built, 16 π tasks
//! (10^6 trials, about 3 ms each) mapped, the pool dropped, at 2 workers —
//! what the `process_pools/pi_mc` bench times — next to the serial loop in
//! the same process, alternated. Prints, per round: build, first result,
//! map and drop times, the CPU time the parent spent during the map (its
//! pool threads and the caller), how the tasks were split between the workers, how
//! long the workers waited between their tasks, and the tail (how long the
//! first worker to finish idled before the last one finished); then medians
//! and spreads, and the tasks of the round with the longest tail on a time line.
//!
//! `cargo run --release -p process-pools --example short_map [-- ROUNDS]`
//!
//! Times depend on the machine and its load (on a machine shared with other
//! work, `setsid` gives the run a scheduling group of its own); the splits
//! and the per-task lines are sample output (PIDs and order change from run
//! to run).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use process_pools::{ProcessPool, Task};
use workloads::cli::example_arg;

const USAGE: &str =
    "usage: cargo run --release -p process-pools --example short_map [-- ROUNDS]";

const TASKS: u64 = 16;
const TRIALS: u64 = 1_000_000;
const JOBS: usize = 2;

/// `pi_mc(seed, trials)`, and which process ran it, from when to when
/// (wall-clock microseconds, comparable across processes).
struct TimedPi;

impl Task for TimedPi {
    const NAME: &'static str = "timed_pi";
    type Input = (u64, u64);
    type Output = (f64, u32, u64, u64);
    fn run((seed, trials): (u64, u64)) -> (f64, u32, u64, u64) {
        let start = now_us();
        let pi = workloads::pi_mc(seed, trials);
        (pi, std::process::id(), start, now_us())
    }
}

fn now_us() -> u64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH);
    since.map_or(0, |d| d.as_micros() as u64)
}

/// One round of what the bench times: build, map, drop; and where each
/// task ran.
struct Round {
    build: Duration,
    first: Duration,
    map: Duration,
    drop: Duration,
    total: Duration,
    /// CPU time of this process (all its threads: the pool's drivers and
    /// watchers, and the caller) during the map.
    parent_cpu: Duration,
    /// `(task, pid, start, end)`, microseconds from the start of the map.
    ran: Vec<(usize, u32, u64, u64)>,
}

/// The bench's shape (`map` of 16 π tasks), with the phases timed.
fn pool_round(inputs: &[(u64, u64)]) -> Round {
    let start = Instant::now();
    let pool = ProcessPool::builder()
        .workers(JOBS)
        .build()
        .expect("a pool");
    let build = start.elapsed();
    let t0 = now_us();
    let cpu0 = cpu_time();
    let mut first = None;
    let mut ran = Vec::new();
    for (task, result) in pool.imap_unordered::<TimedPi>(inputs.iter().copied()) {
        first.get_or_insert_with(|| start.elapsed() - build);
        let (_, pid, from, to) = result.expect("pi");
        ran.push((task, pid, from.saturating_sub(t0), to.saturating_sub(t0)));
    }
    let map = start.elapsed() - build;
    let parent_cpu = cpu_time().saturating_sub(cpu0);
    let before_drop = Instant::now();
    drop(pool);
    let drop = before_drop.elapsed();
    Round {
        build,
        first: first.unwrap_or_default(),
        map,
        drop,
        total: start.elapsed(),
        parent_cpu,
        ran,
    }
}

/// User and system CPU time of this process so far, all threads.
fn cpu_time() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    getrusage(UsageWho::RUSAGE_SELF).map_or(Duration::ZERO, |u| {
        let tv = |t: nix::sys::time::TimeVal| {
            Duration::from_micros(t.tv_sec() as u64 * 1_000_000 + t.tv_usec() as u64)
        };
        tv(u.user_time()) + tv(u.system_time())
    })
}

/// Per worker: tasks run, and the time it waited between its tasks.
/// Returns `(tasks per worker, total wait in ms, tail in ms)`: the tail is
/// how long the first worker to finish idled before the last one finished.
fn balance(ran: &[(usize, u32, u64, u64)]) -> (Vec<usize>, f64, f64) {
    let mut pids: Vec<u32> = ran.iter().map(|r| r.1).collect();
    pids.sort_unstable();
    pids.dedup();
    let mut counts = Vec::new();
    let mut waits = 0;
    let mut ends = Vec::new();
    for pid in pids {
        let mut mine: Vec<(u64, u64)> = ran
            .iter()
            .filter(|r| r.1 == pid)
            .map(|r| (r.2, r.3))
            .collect();
        mine.sort_unstable();
        counts.push(mine.len());
        waits += mine
            .windows(2)
            .map(|w| w[1].0.saturating_sub(w[0].1))
            .sum::<u64>();
        ends.push(mine.last().map_or(0, |m| m.1));
    }
    counts.sort_unstable();
    let last = ends.iter().max().copied().unwrap_or(0);
    let first = if ends.len() < JOBS {
        0
    } else {
        *ends.iter().min().unwrap_or(&0)
    };
    (counts, waits as f64 / 1e3, (last - first) as f64 / 1e3)
}

/// Which worker ran which task when, in one round (sample output).
fn timeline(round: &Round) {
    let mut ran = round.ran.clone();
    ran.sort_by_key(|r| r.2);
    println!("the tasks of the round with the longest tail (sample output):");
    for (task, pid, from, to) in ran {
        println!("  task {task:>2} pid {pid}: ran {from:>6}..{to:>6} us");
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Median and min..max of some durations, in ms.
fn summary(mut values: Vec<Duration>) -> String {
    values.sort();
    let median = values[values.len() / 2];
    let (min, max) = (values[0], values[values.len() - 1]);
    format!("{:6.1} ms ({:.1}..{:.1})", ms(median), ms(min), ms(max))
}

fn main() {
    let registry = process_pools::demo::registry().with::<TimedPi>();
    process_pools::worker_main_if_requested_with(&registry);
    let rounds: usize = example_arg(9, USAGE, |&rounds| match rounds {
        0 => Err("at least one round".into()),
        _ => Ok(()),
    });
    let inputs: Vec<(u64, u64)> = (0..TASKS).map(|seed| (seed, TRIALS)).collect();
    let mut serial = Vec::new();
    let mut pools = Vec::new();
    for round in 0..rounds {
        let start = Instant::now();
        let sum: f64 = inputs.iter().map(|&(s, t)| workloads::pi_mc(s, t)).sum();
        serial.push(start.elapsed());
        std::hint::black_box(sum);
        let r = pool_round(&inputs);
        let (split, waits, tail) = balance(&r.ran);
        println!(
            "round {round}: serial {:5.1} ms | pool build {:4.1} first {:5.1} \
             map {:5.1} drop {:4.1} total {:5.1} ms | split {split:?} \
             waits {waits:4.1} ms tail {tail:4.1} ms",
            ms(serial[round]),
            ms(r.build),
            ms(r.first),
            ms(r.map),
            ms(r.drop),
            ms(r.total)
        );
        pools.push(r);
    }
    let pick = |f: fn(&Round) -> Duration| pools.iter().map(f).collect::<Vec<_>>();
    println!("medians (min..max) over {rounds} rounds:");
    println!("  serial        {}", summary(serial.clone()));
    println!("  pool build    {}", summary(pick(|r| r.build)));
    println!("  first result  {}", summary(pick(|r| r.first)));
    println!("  map           {}", summary(pick(|r| r.map)));
    println!("  drop          {}", summary(pick(|r| r.drop)));
    println!("  pool total    {}", summary(pick(|r| r.total)));
    println!(
        "  parent's CPU  {} during the map",
        summary(pick(|r| r.parent_cpu))
    );
    let mut waits: Vec<f64> = pools.iter().map(|r| balance(&r.ran).1).collect();
    let mut tails: Vec<f64> = pools.iter().map(|r| balance(&r.ran).2).collect();
    waits.sort_by(f64::total_cmp);
    tails.sort_by(f64::total_cmp);
    let even = pools.iter().filter(|r| balance(&r.ran).0 == [8, 8]).count();
    println!(
        "  workers' waits {:.1} ms, tail {:.1} ms (medians); 8/8 split in {even} of {rounds}",
        waits[waits.len() / 2],
        tails[tails.len() / 2]
    );
    let mut ratios: Vec<f64> = serial
        .iter()
        .zip(&pools)
        .map(|(s, p)| s.as_secs_f64() / p.total.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "  speedup (paired, median) {:.2}x",
        ratios[ratios.len() / 2]
    );
    let worst = pools
        .iter()
        .max_by(|a, b| balance(&a.ran).2.total_cmp(&balance(&b.ran).2));
    if let Some(worst) = worst {
        timeline(worst);
    }
    startup_parts(rounds);
}

/// What starting workers costs, piece by piece: a process started the way
/// `std` does when it can (`posix_spawn`) and the way the pool must (`fork`
/// then `exec`: its parent-death signal is armed in between; a `uid` here
/// forces the same path without unsafe code), each waited for; and pools of
/// 1 and 2 workers built and dropped.
fn startup_parts(rounds: usize) {
    let exe = std::env::current_exe().expect("the running program");
    let uid = std::os::unix::fs::MetadataExt::uid(
        &std::fs::metadata("/proc/self").expect("/proc/self"),
    );
    let start = |forked: bool| {
        let started = Instant::now();
        let mut command = std::process::Command::new("/bin/true");
        if forked {
            std::os::unix::process::CommandExt::uid(&mut command, uid);
        }
        command.status().expect("/bin/true runs");
        started.elapsed()
    };
    let build = |workers: usize| {
        let started = Instant::now();
        let pool = ProcessPool::builder()
            .workers(workers)
            .worker_exe(&exe)
            .build()
            .expect("a pool");
        let built = started.elapsed();
        drop(pool);
        built
    };
    let mut parts: [Vec<Duration>; 4] = Default::default();
    for _ in 0..rounds.max(5) {
        parts[0].push(start(false));
        parts[1].push(start(true));
        parts[2].push(build(1));
        parts[3].push(build(2));
    }
    println!("start-up, medians (min..max):");
    let names = [
        "/bin/true, posix_spawn",
        "/bin/true, fork + exec",
        "pool of 1 built",
        "pool of 2 built",
    ];
    for (name, times) in names.iter().zip(parts) {
        println!("  {name:<24}{}", summary(times));
    }
}
