//! Connecting the processes of a timely cluster, and noticing when one is lost.
//!
//! timely's own start-up (`timely_communication::networking::create_sockets`)
//! retries a refused connection every second *forever*, waits for peers
//! without a deadline, and has no way to tell a peer of this job from a
//! stray process. Once running, a peer that dies shows up as panics in
//! timely's network threads when the survivors next touch the network, and a
//! stopped (hung) peer is never noticed at all.
//!
//! [`connect_peers`] makes the connections itself, with a deadline and a
//! handshake carrying the job's identity, and opens a second connection to
//! every peer for a heartbeat: [`Heartbeat`] sends a byte every
//! `timeout / 4` and turns a closed connection (the peer exited or was
//! killed: within milliseconds) or `timeout` without a byte (stopped, hung,
//! or unreachable) into one [`ClusterError::PeerLost`] naming the peer.
//!
//! This file is the connection set-up (handshake, deadline, the hostfile);
//! the heartbeat, noticing a lost peer, is in `connect/heartbeat.rs`.

mod heartbeat;

pub use heartbeat::Heartbeat;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::cluster_error::ClusterError;

/// Bytes every connection starts with, so a stray process on a port is
/// recognised and not mistaken for a cluster member.
const MAGIC: [u8; 8] = *b"PPR-TMLY";
/// Bytes of a hello: magic, job, index, processes, channel.
const HELLO: usize = 33;

/// The two connections between each pair of processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    /// Handed to timely.
    Data = 0,
    /// Watched by [`Heartbeat`].
    Beat = 1,
}

/// Who a process is: the job it belongs to, its index, and the cluster size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    /// The job (a Slurm job and step, or a random number for a local run):
    /// a process of another job on the same port is refused.
    pub job: u64,
    /// This process, `0..processes`.
    pub index: usize,
    /// Processes in the cluster.
    pub processes: usize,
}

/// The connections of one process to all the others.
#[derive(Debug)]
pub struct Peers {
    /// One data stream per process (`None` at this process), for timely.
    pub data: Vec<Option<TcpStream>>,
    /// One heartbeat stream per process (`None` at this process).
    pub beat: Vec<Option<TcpStream>>,
}

fn hello(me: Identity, channel: Channel) -> [u8; HELLO] {
    let mut bytes = [0; HELLO];
    bytes[..8].copy_from_slice(&MAGIC);
    bytes[8..16].copy_from_slice(&me.job.to_be_bytes());
    bytes[16..24].copy_from_slice(&(me.index as u64).to_be_bytes());
    bytes[24..32].copy_from_slice(&(me.processes as u64).to_be_bytes());
    bytes[32] = channel as u8;
    bytes
}

/// Reads a peer's hello: `(identity, channel)`, or why it is not one.
fn read_hello(mut stream: &TcpStream) -> Result<(Identity, Channel), String> {
    let mut bytes = [0; HELLO];
    stream
        .read_exact(&mut bytes)
        .map_err(|e| format!("no handshake: {e}"))?;
    if bytes[..8] != MAGIC {
        return Err("not a beyond-one-machine worker".into());
    }
    let number = |at: usize| {
        u64::from_be_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
    };
    let channel = match bytes[32] {
        0 => Channel::Data,
        1 => Channel::Beat,
        other => return Err(format!("unknown channel {other}")),
    };
    let peer = Identity {
        job: number(8),
        index: number(16) as usize,
        processes: number(24) as usize,
    };
    Ok((peer, channel))
}

fn remaining(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}

/// The wildcard address with the port of `address` (`host:port`): a process
/// listens on every interface, whatever its hostfile line resolves to here.
fn wildcard(address: &str) -> Option<SocketAddr> {
    let port = address.trim().rsplit_once(':')?.1.parse::<u16>().ok()?;
    Some(SocketAddr::from(([0, 0, 0, 0], port)))
}

// ANCHOR: connect_peers
/// Connects process `me.index` to every other process of `addresses` (one
/// `host:port` per process), giving up at `timeout` and naming the peers that
/// never showed up. It listens on the wildcard address at its own port,
/// connects to every lower index and accepts every higher one, twice per
/// peer (data and heartbeat); each connection starts with a handshake
/// `(magic, job, index, processes, channel)`.
pub fn connect_peers(
    addresses: &[String],
    me: Identity,
    timeout: Duration,
    report: bool,
) -> Result<Peers, ClusterError> {
    let deadline = Instant::now() + timeout;
    let (n, i) = (addresses.len(), me.index);
    let network = |source| ClusterError::Network { process: i, source };
    // Listen first, so that higher peers connecting early are queued, not refused.
    let bind = |source| ClusterError::Bind {
        process: i,
        address: addresses[i].clone(),
        source,
    };
    let own = wildcard(&addresses[i])
        .ok_or_else(|| bind(io::Error::other("expected host:port")))?;
    let listener = TcpListener::bind(own).map_err(bind)?;
    listener.set_nonblocking(true).map_err(network)?;
    let mut peers = Peers {
        data: (0..n).map(|_| None).collect(),
        beat: (0..n).map(|_| None).collect(),
    };
    for (peer, address) in addresses.iter().enumerate().take(i) {
        for channel in [Channel::Data, Channel::Beat] {
            let stream = connect_one(address, peer, me, channel, deadline)?;
            *slot(&mut peers, channel, peer) = stream;
        }
        if report {
            eprintln!("process {i}: connected to process {peer} ({address})");
        }
    }
    let complete =
        |p: &Peers| (i + 1..n).all(|k| p.data[k].is_some() && p.beat[k].is_some());
    while !complete(&peers) && Instant::now() < deadline {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Some((peer, channel)) = accept_one(&stream, me, deadline) {
                    let place = slot(&mut peers, channel, peer);
                    if place.is_none() {
                        *place = Some(stream);
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => return Err(network(e)),
        }
    }
    let missing: Vec<(usize, String)> = (0..n)
        .filter(|&k| k != i && (peers.data[k].is_none() || peers.beat[k].is_none()))
        .map(|k| (k, addresses[k].clone()))
        .collect();
    if !missing.is_empty() {
        return Err(ClusterError::PeersMissing {
            process: i,
            processes: n,
            missing,
            waited: timeout,
        });
    }
    for stream in peers.data.iter().flatten() {
        // timely expects plain blocking sockets.
        stream.set_read_timeout(None).map_err(network)?;
        stream.set_nonblocking(false).map_err(network)?;
        stream.set_nodelay(true).map_err(network)?;
    }
    Ok(peers)
}
// ANCHOR_END: connect_peers

fn slot(peers: &mut Peers, channel: Channel, peer: usize) -> &mut Option<TcpStream> {
    match channel {
        Channel::Data => &mut peers.data[peer],
        Channel::Beat => &mut peers.beat[peer],
    }
}

/// Connects to process `peer` at `address`, retrying refused connections until
/// `deadline`; `Ok(None)` if it never answered in time.
fn connect_one(
    address: &str,
    peer: usize,
    me: Identity,
    channel: Channel,
    deadline: Instant,
) -> Result<Option<TcpStream>, ClusterError> {
    let wrong = |detail: String| ClusterError::WrongPeer {
        process: me.index,
        address: address.to_owned(),
        expected: peer,
        detail,
    };
    let network = |source| ClusterError::Network {
        process: me.index,
        source,
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
        stream
            .set_read_timeout(Some(remaining(deadline)))
            .map_err(network)?;
        stream.write_all(&hello(me, channel)).map_err(network)?;
        let expected = Identity { index: peer, ..me };
        return match read_hello(&stream) {
            Ok((them, _)) if them == expected => Ok(Some(stream)),
            Ok((them, _)) if them.job != me.job => Err(wrong(format!(
                "it belongs to job {:#x}, this is job {:#x}: two jobs on one port?",
                them.job, me.job
            ))),
            Ok((them, _)) => Err(wrong(format!(
                "it is process {} of {}, expected {peer} of {}",
                them.index, them.processes, me.processes
            ))),
            // Timed out waiting for the answer: the peer is there but stuck.
            Err(_) if Instant::now() >= deadline => Ok(None),
            Err(detail) => Err(wrong(detail)),
        };
    }
    Ok(None)
}

/// Checks the hello of an accepted connection and answers it; the peer's
/// index and channel, or `None` for anything that is not a higher peer of
/// this job (it is closed; the stray process sees why from its own side).
fn accept_one(
    stream: &TcpStream,
    me: Identity,
    deadline: Instant,
) -> Option<(usize, Channel)> {
    let mut stream = stream;
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(remaining(deadline))).ok()?;
    let (peer, channel) = read_hello(stream).ok()?;
    let ours = peer.job == me.job
        && peer.processes == me.processes
        && (me.index + 1..me.processes).contains(&peer.index);
    // Answer even a stranger, so that it can say what it found here.
    stream.write_all(&hello(me, channel)).ok()?;
    ours.then_some((peer.index, channel))
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
