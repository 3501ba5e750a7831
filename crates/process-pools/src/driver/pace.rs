//! How many chunks a [`Driver`](super::Driver) keeps its worker supplied
//! with: one while nothing is known of its chunks; more, sent ahead of time,
//! while they prove quick, up to [`AHEAD_WORK`] of work.
//!
//! The time per chunk is measured from the parent over a *busy period*: from
//! the chunk sent to an idle worker to the latest result, the worker never
//! having run out of chunks. The worker ran its chunks one after another
//! inside that window, so its length divided by the chunks finished can only
//! over-estimate their time, however late the parent's threads run. (A
//! chunk's `STARTED` to its result does not have that property: on a loaded
//! machine both messages are often read together, and a 3 ms task looked
//! instantaneous. That sent the rest of a short `map` ahead to one worker
//! while the other idled.)

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use crate::chunk::Call;

/// Most chunks a worker holds at once: the one it runs and those sent ahead
/// of time, so that small messages stream through the pipe instead of
/// waiting for a round trip each (see [`AHEAD_WORK`]).
const PREFETCH: usize = 16;
/// A busy worker is sent chunks ahead while they add up to less than this
/// much work (by its chunk time so far): enough to hide the round trip
/// through the parent's threads (milliseconds when the workers keep every
/// core busy), little enough that the end of a short `map` is not left to
/// one worker. (16 tasks of 3 ms on 2 cores: 5 ms and 10 ms balance them,
/// 30 ms leaves a 25 ms tail, `examples/short_map.rs`.)
const AHEAD_WORK: Duration = Duration::from_millis(5);

/// The pace of one worker, as the parent sees it.
#[derive(Debug, Default)]
pub(super) struct Pace {
    /// When a chunk was sent to the worker while it was idle; `None` while
    /// it is idle.
    busy_since: Option<Instant>,
    /// Chunks finished since `busy_since`.
    done: u32,
    /// Time per chunk, at most, over the last busy period that finished one.
    per_chunk: Option<Duration>,
    /// The `map` call whose chunks were measured: another call's tasks may
    /// be far longer.
    call: Weak<Call>,
}

impl Pace {
    /// Starts afresh, one chunk at a time, if `call` is not the call this
    /// pace was measured on; says whether it did. (Kept across calls, the
    /// pace of 400 tiny tasks sent the four 300 ms tasks of the next `map`
    /// to one worker in 7 of 8 runs, `tests/pool.rs`.)
    pub(super) fn start_for(&mut self, call: &Arc<Call>) -> bool {
        if std::ptr::eq(self.call.as_ptr(), Arc::as_ptr(call)) {
            return false;
        }
        *self = Pace {
            call: Arc::downgrade(call),
            ..Pace::default()
        };
        true
    }

    /// A chunk is sent to the idle worker; `now` is taken *before* it is
    /// written, or a pause of the sending thread after the write would be
    /// missing from the chunk's time (a 3 ms task measured 34 µs that way).
    pub(super) fn busy(&mut self, now: Instant) {
        self.busy_since = Some(now);
        self.done = 0;
    }

    /// The worker has no chunk left (or a new worker has none yet).
    pub(super) fn idle(&mut self) {
        self.busy_since = None;
        self.done = 0;
    }

    /// A chunk finished; `idle` if it was the worker's last.
    pub(super) fn chunk_done(&mut self, now: Instant, idle: bool) {
        if let Some(since) = self.busy_since {
            self.done = self.done.saturating_add(1);
            self.per_chunk = Some(now.saturating_duration_since(since) / self.done);
        }
        if idle {
            self.idle();
        }
    }

    /// Most chunks the worker may hold: the one it runs and as many more as
    /// fit in [`AHEAD_WORK`]. A chunk running longer than the pace so far
    /// counts, so a slow one stops the sending ahead while it runs. (The pace
    /// carries over from one busy period to the next: a worker that empties
    /// its queue of tiny chunks must get a full queue again at once, or it
    /// and its driver take turns, a round trip for every two chunks.)
    pub(super) fn depth(&self, now: Instant) -> usize {
        let Some(per_chunk) = self.per_chunk else {
            return 1;
        };
        let running = self.busy_since.map_or(Duration::ZERO, |since| {
            now.saturating_duration_since(since) / (self.done + 1)
        });
        let per_chunk = per_chunk.max(running).as_nanos().max(1);
        let ahead = (AHEAD_WORK.as_nanos() / per_chunk) as usize;
        1 + ahead.min(PREFETCH - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUICK: Duration = Duration::from_micros(10);

    #[test]
    fn nothing_is_sent_ahead_before_a_chunk_has_finished() {
        let (mut pace, t) = (Pace::default(), Instant::now());
        assert_eq!(pace.depth(t), 1);
        pace.busy(t);
        assert_eq!(pace.depth(t + QUICK), 1);
    }

    #[test]
    fn quick_chunks_are_sent_ahead_up_to_the_limits() {
        let (mut pace, t) = (Pace::default(), Instant::now());
        pace.busy(t);
        pace.chunk_done(t + QUICK, false);
        assert_eq!(pace.depth(t + QUICK), PREFETCH, "{pace:?}");
        // Its queue ran dry: the next busy period starts at full speed.
        pace.chunk_done(t + 2 * QUICK, true);
        pace.busy(t + 3 * QUICK);
        assert_eq!(pace.depth(t + 3 * QUICK), PREFETCH);
    }

    #[test]
    fn chunks_of_a_few_milliseconds_get_a_few_ahead() {
        let (mut pace, t) = (Pace::default(), Instant::now());
        let chunk = AHEAD_WORK / 3;
        pace.busy(t);
        pace.chunk_done(t + chunk, false);
        pace.chunk_done(t + 2 * chunk, false);
        assert_eq!(pace.depth(t + 2 * chunk), 1 + 3);
    }

    #[test]
    fn a_chunk_of_3_ms_never_looks_instantaneous() {
        // Sent at t, its STARTED and its result read together 3 ms later (the
        // parent's threads ran late): it took up to 3 ms, so one chunk goes
        // ahead, not sixteen.
        let (mut pace, t) = (Pace::default(), Instant::now());
        pace.busy(t);
        pace.chunk_done(t + Duration::from_millis(3), false);
        assert_eq!(pace.depth(t + Duration::from_millis(3)), 2);
    }

    #[test]
    fn slow_chunks_are_not_sent_ahead() {
        let (mut pace, t) = (Pace::default(), Instant::now());
        pace.busy(t);
        pace.chunk_done(t + 2 * AHEAD_WORK, false);
        assert_eq!(pace.depth(t + 2 * AHEAD_WORK), 1);
    }

    #[test]
    fn a_chunk_that_runs_long_stops_the_sending_ahead() {
        let (mut pace, t) = (Pace::default(), Instant::now());
        pace.busy(t);
        pace.chunk_done(t + QUICK, false);
        assert_eq!(pace.depth(t + 4 * AHEAD_WORK), 1);
    }
}
