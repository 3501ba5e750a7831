//! Starting the worker of a [`Driver`]'s slot, and replacing it when it is
//! lost: a replacement that cannot start (or whose initializer fails) costs
//! the chunks it was to run, with the reason, never a hang or a loop; so
//! does a chunk that a worker cannot even receive under its memory limit;
//! and a task that no fresh worker starts in time is blamed, not re-sent
//! forever.

use std::sync::Arc;

use crossbeam_channel::select;

use super::Driver;
use crate::TaskErrorKind;
use crate::init;
use crate::process::{self, SpawnError};

impl Driver {
    /// Starts a worker for this slot: the process, its hello, then the
    /// pool's initializer. The one way a worker starts, at `build` and for
    /// every replacement.
    pub(super) fn spawn(&mut self) -> Result<(), SpawnError> {
        let worker = process::spawn(&self.settings)
            .and_then(|worker| init::initialize(worker, &self.settings, &self.stop))
            .inspect_err(|e| {
                if let SpawnError::InitFailed(detail) = e {
                    self.init_failures.record(detail);
                }
            })?;
        if let Ok(mut pids) = self.pids.lock() {
            pids[self.slot] = worker.pid;
        }
        // The initializer's task, if any, counts in its black box.
        self.boxed = worker.black_box.is_some();
        self.seen = worker
            .black_box
            .as_ref()
            .map(crate::black_box::BlackBox::progress)
            .unwrap_or_default();
        self.received = self.seen.done;
        self.worker = Some(worker);
        self.tasks_sent = 0;
        Ok(())
    }

    /// Starts a replacement worker. If that fails, it waits for work and
    /// tries again (so that an error is about now, not about when the last
    /// worker died); if that fails too, the chunk fails with the reason, and
    /// the next chunk will try again. Returns whether the pool goes on.
    pub(super) fn restart(&mut self) -> bool {
        if self.init_failures.recent().is_none() && self.spawn().is_ok() {
            return true;
        }
        let chunk = match self.backlog.pop_front() {
            Some(chunk) => chunk,
            None => select! {
                recv(self.jobs) -> job => match job {
                    Ok(chunk) => chunk,
                    Err(_) => return false,
                },
                recv(self.stop) -> _ => return false,
            },
        };
        if let Some(failed) = self.init_failures.recent() {
            chunk.fail_from(0, &failed); // no worker per task while it fails
            return true;
        }
        match self.spawn() {
            Ok(()) => self.backlog.push_front(chunk),
            Err(SpawnError::Failed(detail) | SpawnError::NotHooked(detail)) => {
                chunk.fail_from(0, &TaskErrorKind::WorkerUnavailable { detail });
            }
            Err(SpawnError::OutOfMemory(detail)) => {
                let detail = format!("under the memory limit: {detail}");
                chunk.fail_from(0, &TaskErrorKind::WorkerUnavailable { detail });
            }
            Err(SpawnError::InitFailed(detail)) => {
                chunk.fail_from(0, &TaskErrorKind::InitializerFailed { detail });
            }
        }
        true
    }

    /// The worker did not start its next task within the timeout. The first
    /// time, the task goes to a fresh worker (a stopped or wedged worker is
    /// not the task's fault). If the fresh worker does not start it in time
    /// either, the task is the cause (its input takes longer than the
    /// timeout to arrive and decode): it counts as started, and is blamed,
    /// instead of being sent to worker after worker forever. Returns whether
    /// it is blamed.
    pub(super) fn not_started(&mut self) -> bool {
        let Some(front) = self.in_flight.front_mut() else {
            return false;
        };
        let task = front.chunk.first + front.reported;
        let again = self.stalled_on.as_ref().is_some_and(|(call, first)| {
            std::ptr::eq(call.as_ptr(), Arc::as_ptr(&front.chunk.call))
                && *first == task
        });
        if again {
            self.stalled_on = None;
            front.started = front.reported + 1;
        } else {
            self.stalled_on = Some((Arc::downgrade(&front.chunk.call), task));
        }
        again
    }

    /// The worker ran out of memory with no task running: receiving its
    /// next chunk (the message, the inputs) does not fit under the limit.
    /// That chunk fails, or every fresh worker would die on it in turn. It
    /// is the first one sent, or, if the worker died while it was being
    /// written, the one put back first in the backlog.
    pub(super) fn fail_chunk_being_received(&mut self, kind: &TaskErrorKind) {
        if let Some(front) = self.in_flight.front_mut() {
            front.chunk.fail_from(front.reported, kind);
            front.reported = front.chunk.len();
        } else if let Some(chunk) = self.backlog.pop_front() {
            chunk.fail_from(0, kind);
        }
    }
}
