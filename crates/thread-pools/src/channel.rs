//! A worker pool by hand: a job queue, `jobs` workers and a results channel,
//! built from `crossbeam-channel` and scoped threads.

use std::mem::MaybeUninit;
use std::thread::ThreadId;

use crossbeam_channel::unbounded;

// ANCHOR: completed
/// One finished task, as a worker reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct Completed<U> {
    /// Position of the task in the input.
    pub index: usize,
    /// Which worker ran it, `0..jobs`.
    pub worker: usize,
    /// The operating-system thread of that worker.
    pub thread: ThreadId,
    /// What the task returned.
    pub value: U,
}
// ANCHOR_END: completed

// ANCHOR: channel_completed
/// Runs `f` on every input with `jobs` workers that take task indices from a
/// shared queue, one at a time. Returns the results **in completion order**,
/// each tagged with its task index and the worker that ran it.
///
/// # Panics
/// If `jobs` is 0, or (once every worker has stopped) with a task's panic.
pub fn channel_completed<T, U, F>(
    inputs: &[T],
    jobs: usize,
    f: F,
) -> Vec<Completed<U>>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync,
{
    assert!(jobs > 0, "a pool needs at least one worker");
    let (job_tx, job_rx) = unbounded::<usize>();
    let (done_tx, done_rx) = unbounded::<Completed<U>>();
    for index in 0..inputs.len() {
        job_tx.send(index).expect("the queue's receiver is alive");
    }
    drop(job_tx); // an empty, closed queue tells the workers to stop
    let f = &f;
    std::thread::scope(|scope| {
        for worker in 0..jobs {
            let (job_rx, done_tx) = (job_rx.clone(), done_tx.clone());
            scope.spawn(move || {
                let thread = std::thread::current().id();
                for index in job_rx {
                    let value = f(&inputs[index]);
                    let done = Completed {
                        index,
                        worker,
                        thread,
                        value,
                    };
                    if done_tx.send(done).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx); // the results channel closes when the last worker ends
        done_rx.iter().collect()
    })
}
// ANCHOR_END: channel_completed

// ANCHOR: channel_map
/// [`channel_completed`], put back in input order: the pool's job, since
/// workers finish in whatever order the scheduler decides.
pub fn channel_map<T, U, F>(inputs: &[T], jobs: usize, f: F) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync,
{
    let mut slots: Vec<Option<U>> = (0..inputs.len()).map(|_| None).collect();
    for done in channel_completed(inputs, jobs, f) {
        slots[done.index] = Some(done.value);
    }
    slots
        .into_iter()
        .map(|slot| slot.expect("every task reports exactly once"))
        .collect()
}
// ANCHOR_END: channel_map

// ANCHOR: channel_map_chunked
/// The same pool, but each message is a *chunk*: a range of inputs together
/// with the piece of the output it fills. The queue is touched once per chunk
/// rather than once per task, and each worker writes its results straight into
/// their final place, so nothing is copied or reordered afterwards. This is
/// what makes tiny tasks pay.
///
/// # Panics
/// If `jobs` or `chunk` is 0, or (once every worker has stopped) with a
/// task's panic.
#[allow(unsafe_code)] // one `set_len`, justified below
pub fn channel_map_chunked<T, U, F>(
    inputs: &[T],
    jobs: usize,
    chunk: usize,
    f: F,
) -> Vec<U>
where
    T: Sync,
    U: Send,
    F: Fn(&T) -> U + Sync,
{
    assert!(jobs > 0 && chunk > 0, "jobs and chunk must be at least 1");
    let len = inputs.len();
    let mut results: Vec<U> = Vec::with_capacity(len);
    // The uninitialised output, cut into chunks that travel with their inputs.
    let output = &mut results.spare_capacity_mut()[..len];
    let (job_tx, job_rx) = unbounded::<(usize, &mut [MaybeUninit<U>])>();
    for (k, piece) in output.chunks_mut(chunk).enumerate() {
        job_tx
            .send((k * chunk, piece))
            .expect("the queue's receiver is alive");
    }
    drop(job_tx);
    let (done_tx, done_rx) = unbounded::<usize>();
    let f = &f;
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let (job_rx, done_tx) = (job_rx.clone(), done_tx.clone());
            scope.spawn(move || {
                for (start, piece) in job_rx {
                    for (slot, input) in piece.iter_mut().zip(&inputs[start..]) {
                        slot.write(f(input));
                    }
                    let _ = done_tx.send(piece.len()); // only once all written
                }
            });
        }
    }); // a task's panic resurfaces here, before `set_len`: nothing is exposed
    drop((job_rx, done_tx)); // ends the borrow of `results`' spare capacity
    let written: usize = done_rx.iter().sum();
    assert_eq!(written, len, "every chunk reports once, after writing it");
    // SAFETY: the chunks partition `results[..len]`; each was taken from the
    // queue by exactly one worker, which wrote every slot of it before
    // reporting its length, and the reports add up to `len`.
    unsafe { results.set_len(len) };
    results
}
// ANCHOR_END: channel_map_chunked

// ANCHOR: default_chunk
/// The chunk size `multiprocessing.Pool.map` picks: about four chunks per
/// worker, so a slow chunk near the end cannot leave the others idle for long.
pub fn default_chunk(len: usize, jobs: usize) -> usize {
    len.div_ceil(4 * jobs.max(1)).max(1)
}
// ANCHOR_END: default_chunk
