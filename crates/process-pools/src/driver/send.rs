//! What a [`Driver`] sends its worker next, and the write: chunks from the
//! backlog (the unstarted tasks of a lost worker) before new jobs, skipping
//! cancelled calls, cutting automatic batches, as many ahead as the pace
//! ([`super::pace`]) and the worker's pipe allow, never past the recycling
//! quota (`max_tasks`).

use std::time::Instant;

use super::{Driver, InFlight, PREFETCH_MAX_BYTES};
use crate::chunk::cut_batch;
use crate::wire;

impl Driver {
    /// Sends chunks while the worker has room: one chunk if it is idle, a few
    /// small ones ahead if its chunks finish quickly.
    pub(super) fn send_what_fits(&mut self) {
        let Some(worker) = self.worker.as_mut() else {
            return;
        };
        loop {
            let idle = self.in_flight.is_empty();
            let room = self.in_flight.len() < self.pace.depth(Instant::now());
            let quota = self.settings.max_tasks.saturating_sub(self.tasks_sent);
            if !room || quota == 0 {
                return;
            }
            let Some(mut chunk) = self
                .backlog
                .pop_front()
                .or_else(|| self.jobs.try_recv().ok())
            else {
                return;
            };
            if chunk.is_cancelled() {
                continue;
            }
            if chunk.is_ticket() {
                match cut_batch(chunk, &self.tickets_to, &mut self.backlog) {
                    Some(batch) => chunk = batch,
                    None => continue,
                }
            }
            if self.pace.start_for(&chunk.call) && !idle {
                // The worker still runs the last call's chunks: this one
                // waits, and is sent alone once it is idle.
                self.backlog.push_front(chunk);
                return;
            }
            let ahead: usize =
                self.in_flight.iter().map(|f| f.chunk.payload.len()).sum();
            if !idle && ahead + chunk.payload.len() > PREFETCH_MAX_BYTES {
                self.backlog.push_front(chunk);
                return;
            }
            if chunk.len() > quota {
                self.backlog.push_front(chunk.slice(quota, chunk.len()));
                chunk = chunk.slice(0, quota);
            }
            let header = wire::chunk_header(
                chunk.len() as u32,
                chunk.fingerprint,
                chunk.function,
            );
            let parts = [&header[..], &chunk.payload];
            // Before the write: this thread may be paused after it while the
            // worker already runs the chunk (see `pace`).
            let sending = Instant::now();
            // The write ends by the time the worker owes a `STARTED` (or the
            // running task its result): a worker that stops reading cannot
            // hold this thread past the timeout.
            let owed_since = if idle {
                Some(sending)
            } else {
                self.waiting_since
            };
            let deadline = self.settings.timeout.and_then(|timeout| {
                self.running_since.or(owed_since)?.checked_add(timeout)
            });
            let sent = worker.send(&parts, self.settings.max_message, deadline);
            match &sent {
                // Sent, or it did not read it in time: then the timer, due
                // now, replaces the worker (and sends the chunk again).
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => {
                    // The worker is gone; its watchers will report it.
                    self.backlog.push_front(chunk);
                    return;
                }
            }
            self.tasks_sent += chunk.len();
            let bytes = 4 + header.len() + chunk.payload.len();
            self.settings.counters.sent(chunk.len(), bytes);
            if idle {
                self.pace.busy(sending);
                self.waiting_since = Some(sending);
            }
            self.in_flight.push_back(InFlight {
                chunk,
                started: 0,
                reported: 0,
                sent: sending,
            });
            if sent.is_err() {
                return;
            }
        }
    }
}
