//! The timeout of a [`Driver`]'s tasks, and what it reads in its worker's
//! black box ([`crate::black_box`]): while the worker lives, which task runs
//! and since when (for the timeout); once it is dead, the results it had
//! not sent, and whether a task was running when it died (that task is the
//! culprit).

use std::time::Instant;

use super::Driver;
use crate::TaskErrorKind;
use crate::black_box::instant_of;
use crate::process::Worker;
use crate::wire::{self, MAX_FRAME};

impl Driver {
    /// Reads the black box: any change is progress (the worker is not
    /// wedged: the clock of a worker that owes a start restarts), and a task
    /// started and not done is running since the time it published.
    pub(super) fn observe(&mut self) {
        let Some(black_box) =
            self.worker.as_ref().and_then(|w| w.black_box.as_ref())
        else {
            return; // it says `STARTED` instead
        };
        let progress = black_box.progress();
        if progress != self.seen {
            if progress.started != self.seen.started {
                self.stalled_on = None; // its next task started
            }
            self.seen = progress;
            self.waiting_since = Some(Instant::now());
        }
        self.running_since = (progress.started > progress.done)
            .then(|| instant_of(progress.start_ns));
    }

    /// After the worker's end, and its last replies: delivers the results
    /// left in its black box's log (those after the ones read from the pipe)
    /// and says whether a task had started and not finished.
    pub(super) fn recover(&mut self, worker: &Worker) -> bool {
        let Some(black_box) = &worker.black_box else {
            return false;
        };
        // Only a dead worker's log is read: one still running (it could not
        // be killed in time) might be writing it.
        if worker.exited {
            let (first, log) = black_box.log();
            if let Some(from) = self.unread(first, &log) {
                let _ = self.on_frames(&log[from..]);
            }
        }
        black_box.progress().started > self.received
    }

    /// Where the results not read from the pipe start in `log`, whose first
    /// frame is the result of task `first` (`None`: nothing new, or a log
    /// that makes no sense).
    fn unread(&self, first: u64, log: &[u8]) -> Option<usize> {
        let (frames, _) = wire::complete_frames(log, MAX_FRAME).ok()?;
        let skip = usize::try_from(self.received.checked_sub(first)?).ok()?;
        frames.get(skip).map(|&(start, _)| start - 4)
    }

    /// When the running task's time is up, or, with tasks sent and none
    /// running, when the worker must have started the next one: a stopped
    /// or wedged worker is caught before any task starts, and its tasks go
    /// to a fresh worker. `None`: nothing owed, no timeout, or a timeout so
    /// long that it never comes (`Duration::MAX`).
    pub(super) fn deadline(&self) -> Option<Instant> {
        let timeout = self.settings.timeout?;
        match self.running_since {
            Some(started) => started.checked_add(timeout),
            None if !self.in_flight.is_empty() => {
                self.waiting_since?.checked_add(timeout)
            }
            None => None,
        }
    }

    /// The running task's time is up, unless its result is already here.
    pub(super) fn on_timer(&mut self) {
        let Some(worker) = self.worker.as_ref() else {
            return;
        };
        let mut pending = Vec::new();
        while let Ok(event) = worker.events.try_recv() {
            pending.push(event);
        }
        for event in pending {
            self.on_event(Some(event));
        }
        self.observe();
        let due = self.deadline().is_some_and(|d| d <= Instant::now());
        if let (true, Some(worker), Some(timeout)) =
            (due, self.worker.as_ref(), self.settings.timeout)
        {
            worker.kill_group();
            let pid = worker.pid;
            // A running task timed out and is blamed; a worker that never
            // started its next task is replaced and blames none (its tasks,
            // unstarted, run once on the next worker), unless it is the
            // second in a row not to start that task (see `not_started`).
            let blame = (self.running_since.is_some() || self.not_started())
                .then_some(TaskErrorKind::TimedOut { pid, timeout });
            self.on_worker_lost(blame);
        }
    }
}
