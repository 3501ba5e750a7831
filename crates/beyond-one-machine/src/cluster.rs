//! The dataflow route: a [`Sweep`] scattered over the workers of a
//! timely-dataflow cluster (several processes connected by TCP, several
//! threads each), and its results gathered back to worker 0.
//!
//! The connections are made by [`crate::connect`] (a deadline, a handshake
//! with the job's identity, a heartbeat), then handed to timely
//! (`initialize_networking_from_sockets`): a missing peer is an error after
//! the connect timeout, and a peer lost mid-run is one clear error naming it
//! within the peer timeout, not a hang or a cascade of panics.
//!
//! Progress is one view, shown by the process hosting worker 0, of the
//! tasks done in every process: each process counts its own as they finish
//! and its heartbeat carries the count ([`crate::tally`]).

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use sweep_core::progress::{Progress, Tracker};
use timely::CommunicationConfig;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::{AllocatorBuilder, ProcessBuilder};
use timely::communication::initialize::Hooks;
use timely::dataflow::InputHandle;
use timely::dataflow::operators::vec::Map;
use timely::dataflow::operators::{Exchange, Inspect, Probe};
use timely::worker::Worker;

use crate::connect::{Heartbeat, Identity, connect_peers};
use crate::sweep::Sweep;
use crate::tally::Tally;

pub use crate::cluster_error::ClusterError;
pub use crate::connect::{free_local_ports, write_hostfile};

/// How patient a cluster process is, and what it does when a peer is lost.
#[derive(Clone)]
pub struct ClusterOptions {
    /// How long to wait for every peer to connect.
    pub connect_timeout: Duration,
    /// A peer silent for this long, plus a heartbeat interval (a quarter
    /// of it), is lost; a pause shorter than this (a stall, a stop and
    /// resume) is not. A peer that exits or is killed is noticed at once.
    pub peer_timeout: Duration,
    /// This job's identity: processes of another job are refused.
    pub job: u64,
    /// Called once, from a heartbeat thread, when a peer is lost. A program
    /// should print the error and exit: the cluster cannot finish, and the
    /// worker threads may be busy in a long task.
    pub on_lost: Arc<dyn Fn(&ClusterError) + Send + Sync>,
    /// Progress of the tasks done in every process, shown by the process
    /// that hosts worker 0. Off by default.
    pub progress: Progress,
}

impl std::fmt::Debug for ClusterOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterOptions")
            .field("connect_timeout", &self.connect_timeout)
            .field("peer_timeout", &self.peer_timeout)
            .field("job", &self.job)
            .finish_non_exhaustive()
    }
}

impl ClusterOptions {
    /// Waits `connect_timeout` for peers and `peer_timeout` for heartbeats;
    /// a lost peer is only recorded (the run returns it as an error).
    pub fn new(connect_timeout: Duration, peer_timeout: Duration, job: u64) -> Self {
        ClusterOptions {
            connect_timeout,
            peer_timeout,
            job,
            on_lost: Arc::new(|_| {}),
            progress: Progress::Off,
        }
    }
}

// ANCHOR: sweep_worker
/// The dataflow every worker runs: worker 0 feeds the task indices in, they
/// are scattered over all workers (task `i` to worker `i % peers`), each worker
/// runs its tasks, and the results are exchanged back to worker 0, which
/// returns them in task order. The other workers return `None`, and so does
/// every worker once `stop()` says a peer is lost. Each task done is counted
/// on `tally` where it ran.
fn sweep_worker<S: Sweep>(
    worker: &mut Worker,
    sweep: &Arc<S>,
    stop: &dyn Fn() -> bool,
    tally: &Arc<Tally>,
) -> Option<Vec<(u64, S::Output)>> {
    let gathered = Rc::new(RefCell::new(Vec::new()));
    let sink = Rc::clone(&gathered);
    let sweep = Arc::clone(sweep);
    let size = sweep.size();
    let tally = Arc::clone(tally);
    let mut input = InputHandle::new();
    let probe = worker.dataflow::<u64, _, _>(|scope| {
        input
            .to_stream(scope)
            .container::<Vec<u64>>()
            .exchange(|&task| task) // scatter
            .map(move |task| {
                let result = sweep.run(task); // compute
                tally.task_done();
                (task, result)
            })
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
        if stop() {
            return None;
        }
        worker.step();
    }
    let mut results = gathered.take();
    results.sort_by_key(|(task, _)| *task);
    (worker.index() == 0).then_some(results)
}
// ANCHOR_END: sweep_worker

// ANCHOR: run_cluster
/// Runs `sweep` on the timely cluster described by `config`
/// (`timely::Config::from_args` reads it from `-w -n -p -h`). Returns the
/// results, in task order, on the process that hosts worker 0 (`-p 0`), and
/// `None` on the others.
pub fn run_cluster<S: Sweep>(
    config: timely::Config,
    sweep: Arc<S>,
    options: &ClusterOptions,
) -> Result<Option<Vec<S::Output>>, ClusterError> {
    let size = sweep.size();
    let tally = Arc::new(tally_for(&config.communication, &options.progress, size));
    let (builders, comms, heartbeat) =
        build_communication(config.communication, options, &tally)?;
    let stop = heartbeat.as_ref().map(Heartbeat::lost_flag);
    let counted = Arc::clone(&tally);
    let guards =
        timely::execute::execute_from(builders, comms, config.worker, move |w| {
            let stop = stop.as_ref();
            let stop = || stop.is_some_and(|lost| lost());
            sweep_worker(w, &sweep, &stop, &counted)
        })
        .map_err(ClusterError::Timely)?;
    let joined: Vec<_> = guards.join();
    if let Some(lost) = heartbeat.as_ref().and_then(Heartbeat::lost) {
        return Err(lost); // what went wrong, not the panics it caused
    }
    let mut gathered = None;
    for local in joined {
        if let Some(results) = local.map_err(ClusterError::Timely)? {
            gathered = Some(results);
        }
    }
    if let Some(heartbeat) = heartbeat {
        heartbeat.finish();
    }
    let Some(results) = gathered else {
        return Ok(None); // worker 0 lives in another process
    };
    tally.complete(); // worker 0 holds every result: all tasks are done
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

/// The tally of this process: its view is on only where worker 0 lives
/// (process 0 of a cluster, or the only process).
fn tally_for(config: &CommunicationConfig, progress: &Progress, size: u64) -> Tally {
    let (processes, hosts_worker_0) = match config {
        CommunicationConfig::Cluster {
            process, addresses, ..
        } => (addresses.len(), *process == 0),
        _ => (1, true),
    };
    let tracker = match hosts_worker_0 {
        true => progress.start(Some(size)),
        false => Tracker::off(),
    };
    Tally::new(tracker, processes, size)
}

type Communication = (
    Vec<AllocatorBuilder>,
    Box<dyn Any + Send>,
    Option<Heartbeat>,
);

/// The allocators of this process's workers: timely's own for one process,
/// and for a cluster timely's TCP allocators over sockets from
/// [`connect_peers`], watched by a [`Heartbeat`].
fn build_communication(
    config: CommunicationConfig,
    options: &ClusterOptions,
    tally: &Arc<Tally>,
) -> Result<Communication, ClusterError> {
    let CommunicationConfig::Cluster {
        threads,
        process,
        addresses,
        report,
        zerocopy,
    } = config
    else {
        let (builders, guard) = config.try_build().map_err(ClusterError::Timely)?;
        return Ok((builders, guard, None));
    };
    if process >= addresses.len() || threads == 0 {
        return Err(ClusterError::Config(format!(
            "process {process} of {} with {threads} workers: need -p < -n and -w >= 1",
            addresses.len()
        )));
    }
    let me = Identity {
        job: options.job,
        index: process,
        processes: addresses.len(),
    };
    let peers = connect_peers(&addresses, me, options.connect_timeout, report)?;
    let network = |source| ClusterError::Network { process, source };
    let heartbeat = Heartbeat::start_counting(
        peers.beat,
        &addresses,
        process,
        options.peer_timeout,
        Arc::clone(&options.on_lost),
        Some(Arc::clone(tally)),
    )
    .map_err(network)?;
    let hooks = Hooks::default();
    let (refill, spill) = (hooks.refill.clone(), hooks.spill.clone());
    let local = if zerocopy {
        ProcessBuilder::new_bytes_vector(threads, refill, spill)
    } else {
        ProcessBuilder::new_typed_vector(threads, refill, spill)
    };
    let (builders, guard) = initialize_networking_from_sockets(
        local, peers.data, process, threads, hooks,
    )
    .map_err(network)?;
    let builders = builders.into_iter().map(AllocatorBuilder::Tcp).collect();
    let guard = NetworkGuard {
        threads: Some(Box::new(guard)),
        abandon: Box::new(heartbeat.lost_flag()),
    };
    Ok((builders, Box::new(guard), Some(heartbeat)))
}

/// timely's network threads, joined when dropped unless a peer was lost: a
/// thread reading from a stopped peer would block forever, so it is
/// abandoned (the process should exit soon anyway).
struct NetworkGuard {
    threads: Option<Box<dyn Any + Send>>,
    abandon: Box<dyn Fn() -> bool + Send>,
}

impl Drop for NetworkGuard {
    fn drop(&mut self) {
        if let Some(threads) = self.threads.take()
            && (self.abandon)()
        {
            std::mem::forget(threads);
        }
    }
}
