//! How tasks travel inside the pool and come back: a [`Chunk`] of encoded
//! inputs goes to a driver thread, and its results come back as
//! [`Delivery`]s on the channel of their `map` call ([`Call`]), collected
//! into one delivery per run of results ([`Batch`]).
//!
//! A call with automatic batches sends one ticket instead of chunks, and
//! each driver cuts its next batch from it ([`cut_batch`]).
//!
//! Progress is counted here, as tasks complete: one addition per batch of
//! results, and one per failure ([`crate::PoolBuilder::progress`]).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::Sender;
use sweep_core::progress::Tracker;

use crate::auto::AutoBatch;
use crate::{TaskError, TaskErrorKind};

/// One `map` call, shared by its chunks. Only chunks hold the sender: when
/// every chunk is gone, the caller's receiver ends, so an unanswered task is
/// reported as lost instead of waited for.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) tx: Sender<Delivery>,
    pub(crate) cancelled: Arc<AtomicBool>,
    /// Counts completions for the pool's progress (off unless asked for).
    pub(crate) tracker: Tracker,
    /// With [`crate::PoolBuilder::auto_chunksize`]: the batch size, and the
    /// inputs not yet cut into batches ([`crate::auto`]).
    pub(crate) auto: Option<AutoBatch>,
}

impl Call {
    /// Hands one task's failure to the caller.
    pub(crate) fn fail(&self, error: TaskError) {
        self.tracker.add(1, 1);
        let _ = self.tx.send(Delivery::Failed(error));
    }
}

/// What a driver hands to the caller.
#[derive(Debug)]
pub(crate) enum Delivery {
    /// Results of tasks `first..first + ends.len()`: result `k` is encoded in
    /// `bytes[ends[k - 1]..ends[k]]`.
    Results {
        first: usize,
        ends: Vec<u32>,
        bytes: Vec<u8>,
    },
    /// One task failed.
    Failed(TaskError),
}

/// Consecutive tasks `first..first + ends.len()` of one call, sent as one
/// message: their encoded inputs one after another, item `k` ending at
/// `ends[k]`.
#[derive(Debug)]
pub(crate) struct Chunk {
    pub(crate) function: &'static str,
    pub(crate) fingerprint: u64,
    pub(crate) first: usize,
    pub(crate) payload: Vec<u8>,
    pub(crate) ends: Vec<u32>,
    pub(crate) call: Arc<Call>,
    /// How the earlier attempts of a retried task failed ([`crate::retry`]);
    /// only a chunk of one task has any.
    pub(crate) failures: Vec<TaskErrorKind>,
}

impl Chunk {
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Items `from..to` as a chunk of their own.
    pub(crate) fn slice(&self, from: usize, to: usize) -> Chunk {
        let start = if from == 0 { 0 } else { self.ends[from - 1] };
        let end = if to == 0 { 0 } else { self.ends[to - 1] };
        Chunk {
            function: self.function,
            fingerprint: self.fingerprint,
            first: self.first + from,
            payload: self.payload[start as usize..end as usize].to_vec(),
            ends: self.ends[from..to].iter().map(|e| e - start).collect(),
            call: Arc::clone(&self.call),
            failures: self.failures.clone(),
        }
    }

    /// Fails items `from..` with `kind`.
    pub(crate) fn fail_from(&self, from: usize, kind: &TaskErrorKind) {
        for k in from..self.len() {
            let mut error = kind.of(self.first + k);
            error.earlier.clone_from(&self.failures);
            self.call.fail(error);
        }
    }

    /// Whether this is a *ticket*: a chunk of no task, standing for a call
    /// whose inputs wait in its [`AutoBatch`]; the driver that takes it cuts
    /// the next batch, and passes it on while inputs remain.
    pub(crate) fn is_ticket(&self) -> bool {
        self.ends.is_empty() && self.call.auto.is_some()
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.call.cancelled.load(Ordering::Relaxed)
    }
}

/// Consecutive results of one call, collected into one [`Delivery`].
#[derive(Default)]
pub(crate) struct Batch {
    call: Option<Arc<Call>>,
    first: usize,
    ends: Vec<u32>,
    bytes: Vec<u8>,
    /// Results in the batch that are failures (a panic), for progress.
    failed: u64,
}

impl Batch {
    /// Adds the encoded result of task `task` of `call`.
    pub(crate) fn push(&mut self, call: &Arc<Call>, task: usize, result: &[u8]) {
        let follows = self.call.as_ref().is_some_and(|c| Arc::ptr_eq(c, call))
            && self.first + self.ends.len() == task;
        if !follows {
            self.send();
            self.call = Some(Arc::clone(call));
            self.first = task;
        }
        self.bytes.extend_from_slice(result);
        self.ends.push(self.bytes.len() as u32);
        // `Result::Err` is variant 1 in postcard: a failure, for progress.
        self.failed += u64::from(result.first() == Some(&1));
    }

    /// Hands what was collected to the caller.
    pub(crate) fn send(&mut self) {
        if let Some(call) = self.call.take() {
            let failed = std::mem::take(&mut self.failed);
            call.tracker.add(self.ends.len() as u64, failed);
            let _ = call.tx.send(Delivery::Results {
                first: self.first,
                ends: std::mem::take(&mut self.ends),
                bytes: std::mem::take(&mut self.bytes),
            });
        }
    }
}

/// The next batch of a call with automatic batches, cut from the inputs it
/// has left; the ticket goes back to the queue of work (`tickets_to`, or
/// failing that this driver's backlog) while inputs remain, for whichever
/// driver has room next.
pub(crate) fn cut_batch(
    ticket: Chunk,
    tickets_to: &Option<Sender<Chunk>>,
    backlog: &mut VecDeque<Chunk>,
) -> Option<Chunk> {
    let auto = ticket.call.auto.as_ref()?;
    let cut = auto.next_batch();
    let batch = cut.map(|cut| Chunk {
        first: cut.first,
        payload: cut.payload,
        ends: cut.ends,
        ..ticket.slice(0, 0)
    });
    if auto.has_more() {
        match tickets_to {
            Some(jobs) => {
                let _ = jobs.send(ticket);
            }
            None => backlog.push_back(ticket),
        }
    }
    batch
}
