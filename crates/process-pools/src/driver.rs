//! The thread that owns one worker slot of a [`crate::ProcessPool`]: it sends
//! chunks to its worker, follows which task the worker has started (in its
//! black box, [`crate::black_box`]), forwards results, enforces the per-task
//! timeout, and when the worker dies blames the one task that was running
//! and re-sends the ones it had not started.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, never, select};

use crate::TaskErrorKind;
use crate::chunk::{Batch, Call, Chunk};
use crate::init::InitFailures;
use crate::process::{Event, SpawnError, Worker};
use crate::settings::Settings;
use crate::wire::{self, MAX_FRAME};

mod pace; // how many chunks a worker is sent ahead of time
mod restart; // starting this slot's worker, and replacing it
mod send; // what goes to the worker next, and writing it
mod watch; // the timeout, and reading the worker's black box

use pace::Pace;

/// At most this many bytes of requests are sent ahead to a busy worker, so a
/// write to its pipe (64 KiB) never blocks; larger chunks wait until it is idle.
const PREFETCH_MAX_BYTES: usize = 32 * 1024;
/// How long a worker asked to exit may take before it is killed.
const EXIT_GRACE: Duration = Duration::from_millis(500);
/// How long a dead worker's last messages may take to arrive.
const LOST_GRACE: Duration = Duration::from_secs(1);

/// A chunk sent to the worker: how many results came back, and, without a
/// black box, how many of its tasks started (`STARTED`; `reported <= started
/// <= reported + 1`); `started > reported` also marks a task blamed for not
/// starting in time.
#[derive(Debug)]
struct InFlight {
    chunk: Chunk,
    started: usize,
    reported: usize,
    /// When it was written (for automatic batches, [`crate::auto`]).
    sent: Instant,
}

/// The thread that owns one worker slot.
pub(crate) struct Driver {
    slot: usize,
    settings: Arc<Settings>,
    jobs: Receiver<Chunk>,
    stop: Receiver<()>,
    pids: Arc<Mutex<Vec<u32>>>,
    /// Work that goes before new jobs: the unstarted tasks of a lost worker.
    backlog: VecDeque<Chunk>,
    in_flight: VecDeque<InFlight>,
    worker: Option<Worker>,
    tasks_sent: usize,
    /// When the task running now started, if one is.
    running_since: Option<Instant>,
    /// With nothing running and tasks sent: since when the worker owes us a
    /// `STARTED` (the last send to an idle worker, or the last reply).
    waiting_since: Option<Instant>,
    /// How fast this worker gets through chunks: see [`Pace`].
    pace: Pace,
    /// The last failure of the pool's initializer in this slot.
    init_failures: InitFailures,
    /// The task (its call, and position) that the last worker replaced did
    /// not start in time: see [`Driver::not_started`].
    stalled_on: Option<(Weak<Call>, usize)>,
    /// Where a ticket of automatic batches goes back to while its call has
    /// inputs left ([`Chunk::is_ticket`]): the pool's queue of work.
    tickets_to: Option<Sender<Chunk>>,
    /// When the worker finished its last chunk, while it has more.
    last_done: Option<Instant>,
    /// Whether the worker publishes its tasks in a black box (or says
    /// `STARTED` per task).
    boxed: bool,
    /// Results read from the worker, by the numbering of its black box.
    received: u64,
    /// What its black box said when last read.
    seen: crate::black_box::Progress,
}

impl Driver {
    pub(crate) fn new(
        slot: usize,
        settings: Arc<Settings>,
        jobs: Receiver<Chunk>,
        stop: Receiver<()>,
        pids: Arc<Mutex<Vec<u32>>>,
    ) -> Self {
        Driver {
            slot,
            settings,
            jobs,
            stop,
            pids,
            backlog: VecDeque::new(),
            in_flight: VecDeque::new(),
            worker: None,
            tasks_sent: 0,
            running_since: None,
            waiting_since: None,
            pace: Pace::default(),
            init_failures: InitFailures::default(),
            stalled_on: None,
            tickets_to: None,
            last_done: None,
            boxed: false,
            received: 0,
            seen: crate::black_box::Progress::default(),
        }
    }

    /// Passes the tickets of automatic batches back to `jobs`.
    pub(crate) fn passing_tickets_to(mut self, jobs: Sender<Chunk>) -> Self {
        self.tickets_to = Some(jobs);
        self
    }

    /// Starts the first worker, says whether that worked, and runs.
    pub(crate) fn start_and_run(mut self, ready: Sender<Result<(), SpawnError>>) {
        match self.spawn() {
            Ok(()) => {
                let _ = ready.send(Ok(()));
                self.run();
            }
            Err(e) => {
                let _ = ready.send(Err(e));
            }
        }
    }

    // ANCHOR: driver_loop
    fn run(mut self) {
        loop {
            if self.worker.is_none() && !self.restart() {
                return;
            }
            self.observe(); // which task runs, for the timeout and for sends
            self.send_what_fits();
            let Some(worker) = self.worker.as_ref() else {
                continue;
            };
            let events = worker.events.clone();
            let idle = self.in_flight.is_empty();
            if idle && self.tasks_sent >= self.settings.max_tasks {
                self.retire(); // recycled: a fresh one starts next turn
                continue;
            }
            let room = self.in_flight.len() < self.pace.depth(Instant::now());
            let more_jobs = if room { self.jobs.clone() } else { never() };
            let timer = match self.deadline() {
                Some(deadline) => crossbeam_channel::at(deadline),
                None => never(),
            };
            select! {
                recv(events) -> event => self.on_event(event.ok()),
                recv(more_jobs) -> job => match job {
                    Ok(chunk) => self.backlog.push_back(chunk),
                    Err(_) => return self.shut_down(),
                },
                recv(self.stop) -> _ => return self.shut_down(),
                recv(timer) -> _ => self.on_timer(),
            }
        }
    }
    // ANCHOR_END: driver_loop

    fn on_event(&mut self, event: Option<Event>) {
        match event {
            Some(Event::Frames(bytes)) => {
                if self.on_frames(&bytes).is_err() {
                    // Not our protocol: the worker is broken.
                    if let Some(worker) = &self.worker {
                        worker.kill_group();
                    }
                    self.on_worker_lost(None);
                }
            }
            Some(Event::Closed) | None => {
                if let Some(worker) = self.worker.as_mut() {
                    worker.closed = true;
                }
                self.on_worker_lost(None);
            }
            Some(Event::Exited) => {
                if let Some(worker) = self.worker.as_mut() {
                    worker.exited = true;
                }
                self.on_worker_lost(None);
            }
        }
    }

    // ANCHOR: on_frames
    /// Follows the worker's replies: `RESULT` finishes the next task (which,
    /// without a black box, a `STARTED` marked as running first), a refusal
    /// fails a whole chunk that has not started. Consecutive results go to
    /// their caller in one delivery.
    fn on_frames(&mut self, bytes: &[u8]) -> Result<(), ()> {
        let (frames, _) = wire::complete_frames(bytes, MAX_FRAME).map_err(|_| ())?;
        let mut batch = Batch::default();
        let mut again = Vec::new(); // failed tasks to retry (opt-in)
        let retries = self.settings.retries;
        let boxed = self.boxed;
        let received = &mut self.received;
        let outcome = frames.into_iter().try_for_each(|(start, end)| {
            let frame = &bytes[start..end];
            let front = self.in_flight.front_mut().ok_or(())?;
            match frame.first().copied() {
                Some(wire::STARTED) if !boxed && front.started == front.reported => {
                    front.started += 1;
                    self.running_since = Some(Instant::now());
                    self.stalled_on = None;
                }
                Some(wire::RESULT)
                    if front.started == front.reported + 1
                        || (boxed && front.reported < front.chunk.len()) =>
                {
                    let (k, chunk) = (front.reported, &front.chunk);
                    front.reported += 1;
                    *received += 1;
                    self.running_since = None;
                    // With opt-in retries a failed task may run again.
                    match crate::retry::failure_in(frame, retries > 0) {
                        Some(kind) => again.extend(chunk.failed(k, kind, retries)),
                        None => {
                            batch.push(&chunk.call, chunk.first + k, &frame[1..])
                        }
                    }
                    if front.reported == front.chunk.len() {
                        let now = Instant::now();
                        if let Some(auto) = &front.chunk.call.auto {
                            // From when the worker could start it.
                            let from = self
                                .last_done
                                .map_or(front.sent, |done| done.max(front.sent));
                            auto.observe(
                                front.chunk.len(),
                                now.saturating_duration_since(from),
                            );
                        }
                        self.in_flight.pop_front();
                        let idle = self.in_flight.is_empty();
                        self.pace.chunk_done(now, idle);
                        self.last_done = (!idle).then_some(now);
                    }
                }
                Some(kind)
                    if front.started == 0
                        && front.reported == 0
                        && kind >= wire::UNKNOWN_FUNCTION =>
                {
                    let kind =
                        TaskErrorKind::from_refusal(kind, &frame[1..]).ok_or(())?;
                    batch.send(); // results before, error after: keep the order
                    front.chunk.fail_from(0, &kind);
                    self.in_flight.pop_front();
                    if self.in_flight.is_empty() {
                        self.pace.idle();
                        self.last_done = None;
                    }
                }
                _ => return Err(()),
            }
            Ok(())
        });
        batch.send();
        self.backlog.extend(again);
        self.waiting_since = Some(Instant::now()); // it answered: the clock restarts
        outcome
    }
    // ANCHOR_END: on_frames

    // ANCHOR: blame
    /// The worker died, or was killed for a timeout. Its last replies are
    /// read first. Then the task it had started and not finished, if any, is
    /// the culprit: it fails, once. The tasks it had not started go first to
    /// the next worker: they run once, there.
    fn on_worker_lost(&mut self, timed_out: Option<TaskErrorKind>) {
        let Some(mut worker) = self.worker.take() else {
            return;
        };
        let mut late = Vec::new();
        let mut again = None;
        let status = worker.stop_with(LOST_GRACE, |frames| late.push(frames));
        for frames in late {
            let _ = self.on_frames(&frames);
        }
        // Results it had not sent yet, and whether a task was running.
        let running = self.recover(&worker);
        let out_of_memory = match timed_out {
            None => worker.out_of_memory(self.settings.max_memory, &status),
            Some(_) => None,
        };
        if let Some(front) = self.in_flight.front_mut()
            && (front.started > front.reported || running)
        {
            let kind =
                timed_out
                    .or(out_of_memory)
                    .unwrap_or(TaskErrorKind::Crashed {
                        pid: worker.pid,
                        status,
                    });
            // It fails, or with opt-in retries runs again, on a fresh worker.
            again = front
                .chunk
                .failed(front.reported, kind, self.settings.retries);
            front.reported += 1;
        } else if let Some(kind) = out_of_memory {
            self.fail_chunk_being_received(&kind);
        }
        let unstarted = self
            .in_flight
            .drain(..)
            .map(|f| f.chunk.slice(f.reported, f.chunk.len()))
            .filter(|chunk| chunk.len() > 0);
        let mut backlog: VecDeque<Chunk> = unstarted.chain(again).collect();
        backlog.extend(self.backlog.drain(..));
        self.backlog = backlog;
        self.running_since = None;
        self.waiting_since = None;
        self.last_done = None;
        self.pace = Pace::default(); // one chunk at a time until they prove quick
    }
    // ANCHOR_END: blame

    /// Asks an idle worker to exit (by closing its request pipe) and waits.
    fn retire(&mut self) {
        if let Some(mut worker) = self.worker.take() {
            worker.stop(EXIT_GRACE);
        }
    }

    /// Stops the worker at shutdown, busy or not, with all it started.
    fn shut_down(&mut self) {
        if let Some(worker) = self.worker.as_ref()
            && !self.in_flight.is_empty()
        {
            worker.kill_group();
        }
        self.retire();
    }
}
