//! The dataflow route: a sweep scattered over the workers of a timely-dataflow
//! cluster (several processes connected by TCP, several threads each), and its
//! results gathered back to worker 0.
//!
//! timely's own start-up (`timely_communication::networking::create_sockets`)
//! retries a refused connection every second *forever* and waits for peers
//! without a deadline, so a peer that never starts hangs everyone else. Here
//! [`connect_peers`] makes the same connections with a deadline and a
//! handshake, then hands the sockets to timely
//! (`initialize_networking_from_sockets`): a missing peer becomes a
//! [`ClusterError::PeersMissing`] naming it, never a hang.

use std::any::Any;
use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use timely::CommunicationConfig;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::{AllocatorBuilder, ProcessBuilder};
use timely::communication::initialize::Hooks;
use timely::dataflow::InputHandle;
use timely::dataflow::operators::vec::Map;
use timely::dataflow::operators::{Exchange, Inspect, Probe};
use timely::worker::Worker;
use workloads::{TaskResult, TaskSpec};

/// Bytes every connection starts with, so a stray process on a port (or a
/// peer from another run) is recognised and not mistaken for a cluster member.
const MAGIC: [u8; 8] = *b"PPR-TMLY";

/// Why the cluster could not run the sweep.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The command line or hostfile was not a valid timely configuration.
    #[error("timely configuration: {0}")]
    Config(String),
    /// This process could not listen on its own address.
    #[error("process {process}: cannot listen on {address}: {source}")]
    Bind {
        /// This process's index.
        process: usize,
        /// Its line of the hostfile.
        address: String,
        /// What the operating system said.
        source: io::Error,
    },
    /// Some peers did not connect before the deadline.
    #[error(
        "process {process} of {processes}: no connection from {} within {waited:?}; \
         is every process running, with the same hostfile and -n?",
        describe(.missing)
    )]
    PeersMissing {
        /// This process's index.
        process: usize,
        /// Processes in the cluster.
        processes: usize,
        /// `(index, address)` of every peer still missing at the deadline.
        missing: Vec<(usize, String)>,
        /// The connect timeout.
        waited: Duration,
    },
    /// Something that is not a peer of this cluster answered on a peer's address.
    #[error(
        "process {process}: {address} answered, but not as process {expected} \
             of this cluster ({detail})"
    )]
    WrongPeer {
        /// This process's index.
        process: usize,
        /// The address that answered.
        address: String,
        /// The process we expected there.
        expected: usize,
        /// What was wrong with its answer.
        detail: String,
    },
    /// An I/O error while setting up the connections.
    #[error("process {process}: network set-up: {source}")]
    Network {
        /// This process's index.
        process: usize,
        /// What the operating system said.
        source: io::Error,
    },
    /// timely reported an error, or a worker thread panicked.
    #[error("timely: {0}")]
    Timely(String),
    /// Worker 0 did not receive exactly one result per task.
    #[error(
        "worker 0 gathered {got} results for {size} tasks (duplicates or losses)"
    )]
    Incomplete {
        /// Results gathered.
        got: usize,
        /// Tasks in the sweep.
        size: u64,
    },
}

fn describe(missing: &[(usize, String)]) -> String {
    missing
        .iter()
        .map(|(index, address)| format!("process {index} ({address})"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ANCHOR: sweep_worker
/// The dataflow every worker runs: worker 0 feeds the task indices in, they
/// are scattered over all workers (task `i` to worker `i % peers`), each worker
/// runs its tasks, and the results are exchanged back to worker 0, which
/// returns them in task order. The other workers return `None`.
fn sweep_worker(
    worker: &mut Worker,
    spec: &TaskSpec,
    size: u64,
) -> Option<Vec<(u64, TaskResult)>> {
    let gathered = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&gathered);
    let spec = spec.clone();
    let mut input = InputHandle::new();
    let probe = worker.dataflow::<u64, _, _>(|scope| {
        input
            .to_stream(scope)
            .container::<Vec<u64>>()
            .exchange(|&task| task) // scatter
            .map(move |task| (task, spec.run(task))) // compute
            .exchange(|_| 0) // gather to worker 0
            .inspect(move |pair| sink.borrow_mut().push(pair.clone()))
            .probe()
            .0
    });
    if worker.index() == 0 {
        for task in 0..size {
            input.send(task);
        }
    }
    input.close(); // no more tasks: the dataflow can finish
    while !probe.done() {
        worker.step();
    }
    let mut results = gathered.take();
    results.sort_by_key(|(task, _)| *task);
    (worker.index() == 0).then_some(results)
}
// ANCHOR_END: sweep_worker

// ANCHOR: run_cluster
/// Runs `size` tasks of `spec` on the timely cluster described by `config`
/// (`timely::Config::from_args` reads it from `-w -n -p -h`). Returns the
/// results, in task order, on the process that hosts worker 0 (`-p 0`), and
/// `None` on the others. Peers must connect within `connect_timeout`.
pub fn run_cluster(
    config: timely::Config,
    spec: &TaskSpec,
    size: u64,
    connect_timeout: Duration,
) -> Result<Option<Vec<TaskResult>>, ClusterError> {
    let (builders, comms) =
        build_communication(config.communication, connect_timeout)?;
    let spec = spec.clone();
    let guards =
        timely::execute::execute_from(builders, comms, config.worker, move |w| {
            sweep_worker(w, &spec, size)
        })
        .map_err(ClusterError::Timely)?;
    let mut gathered = None;
    for local in guards.join() {
        if let Some(results) = local.map_err(ClusterError::Timely)? {
            gathered = Some(results);
        }
    }
    let Some(results) = gathered else {
        return Ok(None); // worker 0 lives in another process
    };
    let in_order = results.iter().map(|(task, _)| *task).eq(0..size);
    if !in_order {
        return Err(ClusterError::Incomplete {
            got: results.len(),
            size,
        });
    }
    Ok(Some(
        results.into_iter().map(|(_, result)| result).collect(),
    ))
}
// ANCHOR_END: run_cluster

/// The allocators of this process's workers: timely's own for one process,
/// and for a cluster timely's TCP allocators over sockets from [`connect_peers`].
fn build_communication(
    config: CommunicationConfig,
    connect_timeout: Duration,
) -> Result<(Vec<AllocatorBuilder>, Box<dyn Any + Send>), ClusterError> {
    let CommunicationConfig::Cluster {
        threads,
        process,
        addresses,
        report,
        zerocopy,
    } = config
    else {
        return config.try_build().map_err(ClusterError::Timely);
    };
    let sockets = connect_peers(&addresses, process, connect_timeout, report)?;
    let hooks = Hooks::default();
    let (refill, spill) = (hooks.refill.clone(), hooks.spill.clone());
    let local = if zerocopy {
        ProcessBuilder::new_bytes_vector(threads, refill, spill)
    } else {
        ProcessBuilder::new_typed_vector(threads, refill, spill)
    };
    let (builders, guard) =
        initialize_networking_from_sockets(local, sockets, process, threads, hooks)
            .map_err(|source| ClusterError::Network { process, source })?;
    let builders = builders.into_iter().map(AllocatorBuilder::Tcp).collect();
    Ok((builders, Box::new(guard)))
}

// ANCHOR: connect_peers
/// Connects process `me` to every other process of `addresses` (one per
/// process, `host:port`), as timely's `create_sockets` does, but gives up at
/// `timeout` and names the peers that never showed up. Process `me` listens on
/// its own address, connects to every lower index and accepts every higher one;
/// each connection starts with a handshake `(MAGIC, index, processes)`. Returns
/// one stream per process, `None` at `me`.
pub fn connect_peers(
    addresses: &[String],
    me: usize,
    timeout: Duration,
    report: bool,
) -> Result<Vec<Option<TcpStream>>, ClusterError> {
    let deadline = Instant::now() + timeout;
    let n = addresses.len();
    let network = |source| ClusterError::Network {
        process: me,
        source,
    };
    // Listen first, so that higher peers connecting early are queued, not refused.
    let listener = TcpListener::bind(addresses[me].trim()).map_err(|source| {
        ClusterError::Bind {
            process: me,
            address: addresses[me].clone(),
            source,
        }
    })?;
    listener.set_nonblocking(true).map_err(network)?;
    let mut sockets: Vec<Option<TcpStream>> = (0..n).map(|_| None).collect();
    for (peer, address) in addresses.iter().enumerate().take(me) {
        sockets[peer] = connect_one(address, peer, me, n, deadline)?;
        if report {
            eprintln!("process {me}: connected to process {peer} ({address})");
        }
    }
    while sockets[me + 1..].iter().any(Option::is_none) && Instant::now() < deadline
    {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Some(peer) = accept_one(&stream, me, n, deadline)
                    && sockets[peer].is_none()
                {
                    if report {
                        eprintln!("process {me}: accepted process {peer}");
                    }
                    sockets[peer] = Some(stream);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(network(e)),
        }
    }
    let missing: Vec<(usize, String)> = (0..n)
        .filter(|&peer| peer != me && sockets[peer].is_none())
        .map(|peer| (peer, addresses[peer].clone()))
        .collect();
    if !missing.is_empty() {
        return Err(ClusterError::PeersMissing {
            process: me,
            processes: n,
            missing,
            waited: timeout,
        });
    }
    for stream in sockets.iter().flatten() {
        // timely expects plain blocking sockets.
        stream.set_read_timeout(None).map_err(network)?;
        stream.set_nonblocking(false).map_err(network)?;
        stream.set_nodelay(true).map_err(network)?;
    }
    Ok(sockets)
}
// ANCHOR_END: connect_peers

fn hello(index: usize, processes: usize) -> [u8; 24] {
    let mut bytes = [0; 24];
    bytes[..8].copy_from_slice(&MAGIC);
    bytes[8..16].copy_from_slice(&(index as u64).to_be_bytes());
    bytes[16..].copy_from_slice(&(processes as u64).to_be_bytes());
    bytes
}

/// Reads a peer's hello: `Ok((index, processes))`, or why it is not one.
fn read_hello(stream: &mut TcpStream) -> Result<(usize, usize), String> {
    let mut bytes = [0; 24];
    stream
        .read_exact(&mut bytes)
        .map_err(|e| format!("no handshake: {e}"))?;
    if bytes[..8] != MAGIC {
        return Err("not a beyond-one-machine worker".into());
    }
    let number = |range: std::ops::Range<usize>| {
        u64::from_be_bytes(bytes[range].try_into().expect("8 bytes")) as usize
    };
    Ok((number(8..16), number(16..24)))
}

fn remaining(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}

/// Connects to process `peer` at `address`, retrying refused connections until
/// `deadline`; `Ok(None)` if it never answered in time.
fn connect_one(
    address: &str,
    peer: usize,
    me: usize,
    n: usize,
    deadline: Instant,
) -> Result<Option<TcpStream>, ClusterError> {
    let wrong = |detail: String| ClusterError::WrongPeer {
        process: me,
        address: address.to_owned(),
        expected: peer,
        detail,
    };
    while Instant::now() < deadline {
        let resolved = address.trim().to_socket_addrs().map(|mut a| a.next());
        let Ok(Some(target)) = resolved else {
            // The name may not resolve yet (DNS, a node still booting): retry.
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let per_try = remaining(deadline).min(Duration::from_secs(1));
        let Ok(mut stream) = TcpStream::connect_timeout(&target, per_try) else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let network = |source| ClusterError::Network {
            process: me,
            source,
        };
        stream
            .set_read_timeout(Some(remaining(deadline)))
            .map_err(network)?;
        stream.write_all(&hello(me, n)).map_err(network)?;
        return match read_hello(&mut stream) {
            Ok((index, processes)) if (index, processes) == (peer, n) => {
                Ok(Some(stream))
            }
            Ok((index, processes)) => Err(wrong(format!(
                "it is process {index} of {processes}, expected {peer} of {n}"
            ))),
            // Timed out waiting for the answer: the peer is there but stuck.
            Err(_) if Instant::now() >= deadline => Ok(None),
            Err(detail) => Err(wrong(detail)),
        };
    }
    Ok(None)
}

/// Checks the hello of an accepted connection and answers it; the peer's index,
/// or `None` for anything that is not a higher peer of this cluster.
fn accept_one(
    stream: &TcpStream,
    me: usize,
    n: usize,
    deadline: Instant,
) -> Option<usize> {
    let mut stream = stream;
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(remaining(deadline))).ok()?;
    let (index, processes) = read_hello(&mut stream.try_clone().ok()?).ok()?;
    if processes != n || index <= me || index >= n {
        eprintln!(
            "process {me}: ignored a connection claiming to be {index} of {processes}"
        );
        return None;
    }
    stream.write_all(&hello(me, n)).ok()?;
    Some(index)
}

/// `count` TCP ports on 127.0.0.1 that were free a moment ago (bound to port 0,
/// then released), for a local cluster.
pub fn free_local_ports(count: usize) -> io::Result<Vec<u16>> {
    let listeners = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<io::Result<Vec<_>>>()?;
    listeners
        .iter()
        .map(|l| l.local_addr().map(|a| a.port()))
        .collect()
}

/// Writes a hostfile: one `host:port` line per process, in process order.
pub fn write_hostfile(path: &Path, addresses: &[String]) -> io::Result<()> {
    std::fs::write(path, addresses.join("\n") + "\n")
}
