//! Automatic batch size ([`crate::PoolBuilder::auto_chunksize`]), as joblib's
//! `batch_size="auto"` does it: start with one task per message, measure how
//! long batches take, and grow the batch (at most doubling it) until a batch
//! takes about the target (0.2 s by default), or shrink it when one takes
//! over ten times that. Near the end of a call, batches are capped at a
//! share of what is left, so that every worker gets some.
//!
//! One [`AutoBatch`] per call. `map` and `imap_unordered` encode every input
//! at once, into its [`AutoBatch`]'s queue of inputs not yet sent; a driver
//! that has room cuts the next batch from it, of the size measured so far
//! (`driver.rs`; the pool puts one *ticket* for the call in the queue of
//! work, which drivers pass on while inputs remain). The lazy `imap` cuts
//! its chunks itself, as it takes inputs, of the size measured so far.
//!
//! A batch is an ordinary chunk once cut: the worker says which task it
//! starts, so blame and exactly-once hold as for fixed chunks.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

/// joblib's target for one batch (`MIN_IDEAL_BATCH_DURATION`).
pub(crate) const DEFAULT_TARGET: Duration = Duration::from_millis(200);
/// A batch longer than this many targets is cut down (joblib: 2 s for 0.2 s).
const TOO_LONG: u32 = 10;

/// The batch size of one call, and its inputs not yet sent.
#[derive(Debug)]
pub(crate) struct AutoBatch {
    target: Duration,
    workers: usize,
    tuning: Mutex<Tuning>,
    queue: Mutex<Queue>,
}

/// The size now, and what the batches of that size took so far.
#[derive(Debug)]
struct Tuning {
    size: usize,
    batches: u32,
    elapsed: Duration,
}

/// Encoded inputs not yet sent, in runs of consecutive tasks.
#[derive(Debug, Default)]
struct Queue {
    runs: VecDeque<Run>,
    /// Inputs in `runs` not yet taken.
    left: usize,
}

/// Tasks `first..first + ends.len()`, input `k` ending at `ends[k]`; those
/// before `taken` are sent.
#[derive(Debug)]
struct Run {
    first: usize,
    payload: Vec<u8>,
    ends: Vec<u32>,
    taken: usize,
}

/// A batch cut from the queue: tasks `first..first + ends.len()`.
#[derive(Debug, PartialEq)]
pub(crate) struct Cut {
    pub(crate) first: usize,
    pub(crate) payload: Vec<u8>,
    pub(crate) ends: Vec<u32>,
}

impl AutoBatch {
    pub(crate) fn new(target: Duration, workers: usize) -> Self {
        AutoBatch {
            target,
            workers: workers.max(1),
            tuning: Mutex::new(Tuning {
                size: 1,
                batches: 0,
                elapsed: Duration::ZERO,
            }),
            queue: Mutex::default(),
        }
    }

    /// Tasks per batch, as measured so far.
    pub(crate) fn size(&self) -> usize {
        self.tuning.lock().map_or(1, |t| t.size)
    }

    /// A batch of `tasks` tasks took `elapsed`, from when the worker could
    /// start it (sent to an idle worker, or its previous batch done) to its
    /// last result. Only batches of the current size count (as in joblib):
    /// a batch cut before the size changed says nothing of the new size.
    pub(crate) fn observe(&self, tasks: usize, elapsed: Duration) {
        let Ok(mut t) = self.tuning.lock() else {
            return;
        };
        if tasks != t.size {
            return;
        }
        t.batches += 1;
        t.elapsed += elapsed;
        let batch = t.elapsed / t.batches; // the mean, at this size
        let new = next_size(t.size, batch, self.target);
        if new != t.size {
            *t = Tuning {
                size: new,
                batches: 0,
                elapsed: Duration::ZERO,
            };
        }
    }

    /// Queues tasks `first..first + ends.len()` (their encoded inputs) to
    /// be cut into batches.
    pub(crate) fn push(&self, first: usize, payload: Vec<u8>, ends: Vec<u32>) {
        if let Ok(mut queue) = self.queue.lock() {
            queue.left += ends.len();
            queue.runs.push_back(Run {
                first,
                payload,
                ends,
                taken: 0,
            });
        }
    }

    /// Whether inputs remain to be cut.
    pub(crate) fn has_more(&self) -> bool {
        self.queue.lock().is_ok_and(|q| q.left > 0)
    }

    /// The next batch: the size measured so far, capped so that what is
    /// left is shared by every worker, and never across two runs.
    pub(crate) fn next_batch(&self) -> Option<Cut> {
        let size = self.size();
        let mut queue = self.queue.lock().ok()?;
        let share = queue.left / (2 * self.workers);
        let want = size.min(share).max(1);
        let run = queue.runs.front_mut()?;
        let from = run.taken;
        let to = (from + want).min(run.ends.len());
        let start = if from == 0 { 0 } else { run.ends[from - 1] };
        let end = run.ends[to - 1];
        let cut = Cut {
            first: run.first + from,
            payload: run.payload[start as usize..end as usize].to_vec(),
            ends: run.ends[from..to].iter().map(|e| e - start).collect(),
        };
        run.taken = to;
        if to == run.ends.len() {
            queue.runs.pop_front();
        }
        queue.left -= to - from;
        Some(cut)
    }
}

/// joblib's rule: a batch under the target grows towards twice the size
/// that would take the target, at most doubling; one over ten targets
/// shrinks to twice the size that would; otherwise the size stays.
fn next_size(size: usize, batch: Duration, target: Duration) -> usize {
    let batch = batch.as_secs_f64();
    let ideal = (size as f64 * target.as_secs_f64() / batch.max(1e-9)) as usize;
    if batch < target.as_secs_f64() {
        size.saturating_mul(2).min(ideal.saturating_mul(2)).max(1)
    } else if batch > (target * TOO_LONG).as_secs_f64() && size >= 2 {
        ideal.saturating_mul(2).max(1)
    } else {
        size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn quick_batches_double_and_slow_ones_shrink() {
        let target = 200 * MS;
        assert_eq!(next_size(1, MS, target), 2);
        assert_eq!(next_size(64, MS, target), 128);
        // Near the target: towards twice the ideal, no further.
        assert_eq!(next_size(10, 150 * MS, target), 20);
        // In the band: unchanged.
        assert_eq!(next_size(10, 500 * MS, target), 10);
        // A single task never shrinks; a long batch does.
        assert_eq!(next_size(1, 5000 * MS, target), 1);
        assert_eq!(next_size(100, 4000 * MS, target), 10);
    }

    #[test]
    fn only_batches_of_the_current_size_count() {
        let auto = AutoBatch::new(200 * MS, 2);
        auto.observe(1, MS);
        assert_eq!(auto.size(), 2);
        auto.observe(1, MS); // cut before the change
        assert_eq!(auto.size(), 2);
        auto.observe(2, MS);
        assert_eq!(auto.size(), 4);
        // Long tasks: the size stays at 1.
        let long = AutoBatch::new(200 * MS, 2);
        long.observe(1, 300 * MS);
        long.observe(1, 300 * MS);
        assert_eq!(long.size(), 1);
    }

    #[test]
    fn batches_are_cut_in_order_and_capped_near_the_end() {
        let auto = AutoBatch::new(200 * MS, 2);
        // Tasks 0..8 (input k is the byte k, task 3's is two bytes), then
        // task 10 (9 failed before it was queued).
        let payload = vec![0, 1, 2, 3, 3, 4, 5, 6, 7];
        auto.push(0, payload, vec![1, 2, 3, 5, 6, 7, 8, 9]);
        auto.push(10, vec![10], vec![1]);
        for _ in 0..6 {
            auto.observe(auto.size(), MS); // grows to 64
        }
        assert_eq!(auto.size(), 64);
        // 9 left and 2 workers: batches of 9 / 4, then less.
        let first = auto.next_batch().unwrap();
        let expected = Cut {
            first: 0,
            payload: vec![0, 1],
            ends: vec![1, 2],
        };
        assert_eq!(first, expected);
        let second = auto.next_batch().unwrap();
        let expected = Cut {
            first: 2,
            payload: vec![2],
            ends: vec![1],
        };
        assert_eq!(second, expected);
        let third = auto.next_batch().unwrap();
        assert_eq!(
            (third.first, third.payload, third.ends),
            (3, vec![3, 3], vec![2])
        );
        let mut firsts = Vec::new();
        while let Some(cut) = auto.next_batch() {
            firsts.push(cut.first);
        }
        assert_eq!(firsts, [4, 5, 6, 7, 10]);
        assert!(!auto.has_more());
    }
}
