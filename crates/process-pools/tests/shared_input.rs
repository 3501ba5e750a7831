//! One large read-only input shared with every worker (`SharedInput`):
//! 1 GiB written once, read by every worker, costs one copy, not one per
//! task, and nothing is left behind. Shown by counting, never by timing:
//!
//! - every worker's checksum of the whole GiB equals the serial one;
//! - the pool sent a few hundred bytes through its pipes for all the tasks
//!   (`ProcessPool::stats`), not a GiB per task;
//! - each worker holds the GiB as shared memory pages (`RssShmem` in its
//!   `/proc/self/status`), and its private memory (`RssAnon`) stays small;
//! - once the input and the pool are dropped, no process on the machine
//!   holds or maps the memory file (every `/proc/*/fd` and `/proc/*/maps`
//!   we may read), whether the pool went first, or a worker crashed with
//!   the input mapped; a worker lets go of a dropped input's map when it
//!   maps the next one; a handle whose input is gone is an error.
//!
//! It is a test with its own `main` (`harness = false`), which serves as
//! the workers as well: `cargo test -p process-pools --test shared_input`.

use std::collections::BTreeSet;
use std::time::Duration;

use process_pools::{
    ProcessPool, Registry, Shared, SharedError, SharedInput, Task, TaskErrorKind,
};
use serde::{Deserialize, Serialize};

/// 2^27 `u64`s: 1 GiB.
const ELEMENTS: u64 = 1 << 27;
/// Written in pieces of 8 MiB, so the parent never holds the GiB itself.
const PIECE: u64 = 1 << 20;

/// Element `i` of the input: a pattern, different at every position.
fn element(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i >> 7)
}

/// An order-sensitive checksum.
fn checksum(h: u64, xs: &[u64]) -> u64 {
    xs.iter()
        .fold(h, |h, &x| h.wrapping_mul(31).wrapping_add(x))
}

/// What a worker saw.
#[derive(Debug, Serialize, Deserialize)]
struct Seen {
    pid: u32,
    checksum: u64,
    len: usize,
    /// Private memory, and shared memory pages, after reading it all (KiB).
    rss_anon_kib: u64,
    rss_shmem_kib: u64,
}

// ANCHOR: checksum_task
/// Reads the whole shared input in the worker.
struct ChecksumAll;

impl Task for ChecksumAll {
    const NAME: &'static str = "checksum_all";
    type Input = Shared<u64>;
    type Output = Result<Seen, String>;
    fn run(input: Shared<u64>) -> Result<Seen, String> {
        let data = input.get().map_err(|e| e.to_string())?; // mapped once per worker
        Ok(Seen {
            pid: std::process::id(),
            checksum: checksum(0, &data),
            len: data.len(),
            rss_anon_kib: status_kib("RssAnon:"),
            rss_shmem_kib: status_kib("RssShmem:"),
        })
    }
}
// ANCHOR_END: checksum_task

/// Maps the input, then the worker dies (an abort, as a C library's).
struct MapThenAbort;

impl Task for MapThenAbort {
    const NAME: &'static str = "map_then_abort";
    type Input = Shared<u64>;
    type Output = u64;
    fn run(input: Shared<u64>) -> u64 {
        let data = input.get().expect("mapped");
        if data.len() < usize::MAX {
            std::process::abort();
        }
        data[0]
    }
}

/// Maps the input and says which shared inputs this worker maps now.
struct MapsNow;

impl Task for MapsNow {
    const NAME: &'static str = "maps_now";
    type Input = Shared<u64>;
    type Output = Result<BTreeSet<String>, String>;
    fn run(input: Shared<u64>) -> Result<BTreeSet<String>, String> {
        let data = input.get().map_err(|e| e.to_string())?;
        let _ = checksum(0, &data);
        Ok(shared_maps(std::process::id()))
    }
}

fn registry() -> Registry {
    Registry::new()
        .with::<ChecksumAll>()
        .with::<MapThenAbort>()
        .with::<MapsNow>()
}

fn main() {
    process_pools::worker_main_if_requested_with(&registry());
    // A bound for the whole test: a hang fails it instead of blocking CI.
    std::thread::spawn(|| {
        std::thread::sleep(Duration::from_secs(300));
        eprintln!("shared_input: no result after 300 s");
        std::process::exit(1);
    });
    one_gib_costs_one_copy_and_every_worker_reads_it();
    the_input_outlives_the_pool_and_a_crashed_worker_leaks_nothing();
    a_worker_lets_go_of_a_dropped_input();
    a_handle_whose_input_is_gone_is_an_error();
    println!("shared_input: all checks passed");
}

fn one_gib_costs_one_copy_and_every_worker_reads_it() {
    let pieces = (0..ELEMENTS / PIECE).map(|p| {
        (p * PIECE..(p + 1) * PIECE)
            .map(element)
            .collect::<Vec<_>>()
    });
    let input = SharedInput::from_pieces(pieces).unwrap();
    assert_eq!(input.bytes(), 1 << 30);
    let serial = (0..ELEMENTS / PIECE).fold(0, |h, p| {
        let piece: Vec<u64> = (p * PIECE..(p + 1) * PIECE).map(element).collect();
        checksum(h, &piece)
    });
    let name = input.memfd_name();
    let workers = 2;
    let pool = ProcessPool::builder().workers(workers).build().unwrap();
    let tasks = 4;
    let seen = pool.map::<ChecksumAll>(vec![input.handle(); tasks]);
    let stats = pool.stats();
    let mut pids = BTreeSet::new();
    for seen in seen {
        let seen = seen.unwrap().unwrap();
        assert_eq!((seen.checksum, seen.len), (serial, ELEMENTS as usize));
        assert!(seen.rss_shmem_kib >= 1 << 20, "the GiB, shared: {seen:?}");
        assert!(seen.rss_anon_kib < 64 << 10, "no private copy: {seen:?}");
        pids.insert(seen.pid);
    }
    assert_eq!(pids.len(), workers, "every worker read it: {pids:?}");
    assert_eq!(stats.tasks, tasks as u64);
    assert!(stats.bytes < 1024, "handles, not data: {stats:?}");
    println!(
        "1 GiB written once; {tasks} tasks on {workers} workers read it; \
         {} bytes sent through the pipes; checksums equal serial",
        stats.bytes
    );
    drop(input);
    drop(pool);
    assert_gone(&name);
}

fn the_input_outlives_the_pool_and_a_crashed_worker_leaks_nothing() {
    let data: Vec<u64> = (0..1000).map(element).collect();
    let input = ProcessPool::builder()
        .workers(1)
        .build()
        .unwrap()
        .share(&data)
        .unwrap(); // the pool that shared it is dropped here
    let name = input.memfd_name();
    let pool = ProcessPool::builder().workers(1).build().unwrap();
    let crashed = pool.map::<MapThenAbort>([input.handle()]);
    let error = crashed[0].clone().unwrap_err();
    assert!(
        matches!(error.kind, TaskErrorKind::Crashed { .. }),
        "{error}"
    );
    // The replacement worker reads it, and so does this process.
    let seen = pool.map::<ChecksumAll>([input.handle()]);
    let seen = seen[0].as_ref().unwrap().as_ref().unwrap();
    assert_eq!(seen.checksum, checksum(0, &data));
    assert_eq!(&*input.handle().get().unwrap(), &data[..]);
    drop(pool);
    drop(input);
    assert_gone(&name);
    println!("dropped after its pool, with a crashed worker: nothing left");
}

fn a_worker_lets_go_of_a_dropped_input() {
    let pool = ProcessPool::builder().workers(1).build().unwrap();
    let first = SharedInput::new(&[1u64, 2, 3]).unwrap();
    let maps = pool.map::<MapsNow>([first.handle()]);
    assert_eq!(maps[0], Ok(Ok(BTreeSet::from([first.memfd_name()]))));
    let first_name = first.memfd_name();
    drop(first);
    let second = SharedInput::new(&[4u64, 5]).unwrap();
    let maps = pool.map::<MapsNow>([second.handle()]);
    assert_eq!(maps[0], Ok(Ok(BTreeSet::from([second.memfd_name()]))));
    assert_gone(&first_name);
    println!("a worker let go of a dropped input when it mapped the next");
}

fn a_handle_whose_input_is_gone_is_an_error() {
    let input = SharedInput::new(&[7u64; 10]).unwrap();
    let handle = input.handle();
    drop(input);
    let pool = ProcessPool::builder().workers(1).build().unwrap();
    let seen = pool.map::<ChecksumAll>([handle]);
    let message = seen[0].as_ref().unwrap().as_ref().unwrap_err();
    assert!(message.contains("not available"), "{message}");
    assert!(matches!(handle.get(), Err(SharedError::Unavailable { .. })));
    println!("a handle whose input was dropped: {message}");
}

/// A line of `/proc/self/status`, in KiB.
fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or(0)
}

/// The shared inputs process `pid` maps.
fn shared_maps(pid: u32) -> BTreeSet<String> {
    let maps =
        std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    maps.lines()
        .filter_map(|line| line.split("/memfd:").nth(1))
        .filter_map(|rest| rest.split(' ').next())
        .filter(|name| name.starts_with("process-pools-shared-"))
        .map(str::to_owned)
        .collect()
}

/// Fails if any process we may look at still holds or maps `name`.
fn assert_gone(name: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let holders = holders(name);
        if holders.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{name} is still held by {holders:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn holders(name: &str) -> Vec<u32> {
    let pids = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok());
    pids.filter(|&pid| {
        let maps = shared_maps(pid).contains(name);
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .any(|target| target.to_string_lossy().contains(name));
        maps || fds
    })
    .collect()
}
