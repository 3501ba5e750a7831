//! [`Tally`]: the tasks of a timely run done so far in *every* process, for
//! the one progress view shown by the process that hosts worker 0.
//!
//! Counting the results as they reach worker 0 is not enough: a worker
//! computes a whole batch of tasks before its results leave, and worker 0
//! counts nothing while it computes a task itself. So each process counts
//! its own tasks as they finish, the heartbeat (`connect/heartbeat.rs`)
//! carries that count to every peer a few times a second, and the view adds
//! its own count to the latest count of each peer.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use sweep_core::progress::Tracker;

/// Tasks done in this process and, as last heard, in each peer.
pub struct Tally {
    own: AtomicU64,
    seen: Mutex<Seen>,
    /// The view: on in the process hosting worker 0, off elsewhere.
    tracker: Tracker,
    size: u64,
}

struct Seen {
    /// Each process's last count (this process's slot stays 0).
    peers: Vec<u64>,
    /// What the tracker shows: the sum, never past `size`.
    shown: u64,
}

impl Tally {
    /// A tally of a run of `size` tasks on `processes` processes, shown on
    /// `tracker` (off outside the process hosting worker 0).
    pub fn new(tracker: Tracker, processes: usize, size: u64) -> Tally {
        Tally {
            own: AtomicU64::new(0),
            seen: Mutex::new(Seen {
                peers: vec![0; processes],
                shown: 0,
            }),
            tracker,
            size,
        }
    }

    /// One task of this process is done.
    pub fn task_done(&self) {
        self.own.fetch_add(1, Ordering::Relaxed);
        self.show();
    }

    /// Tasks this process has done: what its heartbeat sends.
    pub fn own(&self) -> u64 {
        self.own.load(Ordering::Relaxed)
    }

    /// `peer` says it has done `count` tasks.
    pub fn peer(&self, peer: usize, count: u64) {
        if let Ok(mut seen) = self.seen.lock()
            && let Some(slot) = seen.peers.get_mut(peer)
        {
            *slot = (*slot).max(count); // counts only grow
        }
        self.show();
    }

    /// Tasks done in all processes, as far as this one knows.
    pub fn total(&self) -> u64 {
        let peers: u64 = self.seen.lock().map_or(0, |s| s.peers.iter().sum());
        self.own() + peers
    }

    fn show(&self) {
        if !self.tracker.is_on() {
            return;
        }
        let total = self.total().min(self.size);
        if let Ok(mut seen) = self.seen.lock()
            && total > seen.shown
        {
            self.tracker.add(total - seen.shown, 0);
            seen.shown = total;
        }
    }

    /// Every task is done (worker 0 holds every result): shows the full
    /// count, whatever peers' last counts are still on their way, and ends
    /// the view.
    pub fn complete(&self) {
        if let Ok(mut seen) = self.seen.lock() {
            self.tracker.add(self.size.saturating_sub(seen.shown), 0);
            seen.shown = self.size;
        }
        self.tracker.finish();
    }
}
