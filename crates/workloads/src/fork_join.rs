//! Fork-join the way OpenMP (and so numba's `prange`) runs a parallel loop:
//! the calling thread takes a share of the work instead of sleeping until
//! the pool is done, and idle workers spin for a while before they sleep,
//! so the next loop finds them awake. For loops of a millisecond or less,
//! the two wake-ups an ordinary pool pays per call (workers woken, then the
//! caller) are a large part of the time; here they are mostly gone.
//!
//! The cost: an idle worker keeps its core busy for [`SPIN`] after each
//! loop, taking it from other programs (and from other work of yours). It
//! is the right tool for many short data-parallel loops back to back; for
//! tasks of many milliseconds, or a shared machine, rayon's ordinary pool
//! is the better citizen.
//!
//! The pool is [`micropool`]'s (external threads help with the work they
//! wait for, and threads spin before they sleep); this module cuts a slice
//! into a few contiguous parts per thread, which the threads claim in turn,
//! so one that starts late does not hold up the end.
//!
//! - [`SpinPool`]: `jobs − 1` workers plus the caller;
//! - [`driver_spin`], [`driver_vec_spin`], [`square_spin`], [`copy_spin`],
//!   [`pi_streams_spin`]: the fast kernels on it, as the benches time them (`fork-join` rows).

use std::mem::MaybeUninit;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::fast::{copy_into_uninit, pi_mc_streams, square_into_uninit};
use crate::fast_ln::driver_vec_into_uninit;

/// How long an idle worker spins before it sleeps, in `spin_loop` rounds
/// (tens of nanoseconds each): about a millisecond on current x86 CPUs,
/// the order of libgomp's default.
pub const SPIN: usize = 50_000;

/// Parts per thread of a [`SpinPool::for_parts`] loop: enough that a thread
/// that starts late only delays the end by a small part, few enough that
/// claiming one (an atomic add and an uncontended lock) is noise.
pub const PARTS_PER_THREAD: usize = 8;

/// `jobs` threads for data-parallel loops: `jobs − 1` workers, and the
/// thread that calls [`SpinPool::for_parts`].
pub struct SpinPool {
    /// None for one job: the caller alone, no thread at all.
    pool: Option<micropool::ThreadPool>,
    jobs: usize,
}

impl std::fmt::Debug for SpinPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpinPool")
            .field("jobs", &self.jobs)
            .finish()
    }
}

impl SpinPool {
    /// A pool of `jobs` threads (at least 1) counting the caller. With one
    /// job it starts no thread: its loops are the serial loop itself.
    pub fn new(jobs: usize) -> SpinPool {
        let jobs = jobs.max(1);
        let pool = (jobs > 1).then(|| {
            micropool::ThreadPoolBuilder::default()
                .num_threads(jobs - 1)
                .idle_spin_cycles(SPIN)
                .build()
        });
        SpinPool { pool, jobs }
    }

    /// Threads that work on a loop, the caller included.
    pub fn jobs(&self) -> usize {
        self.jobs
    }

    // ANCHOR: for_parts
    /// Calls `f(xs_part, out_part)` on every part of the slices, cut in
    /// [`PARTS_PER_THREAD`] contiguous parts per thread, and returns when
    /// all are done. Every thread, the caller first, claims the next part
    /// until none is left: a worker that wakes late (its core was asleep)
    /// takes a share of what remains instead of a fixed part the others
    /// would wait for.
    ///
    /// # Panics
    /// If the slices differ in length.
    pub fn for_parts<T: Sync, U: Send>(
        &self,
        xs: &[T],
        out: &mut [U],
        f: impl Fn(&[T], &mut [U]) + Sync,
    ) {
        assert_eq!(xs.len(), out.len(), "for_parts: slices of different length");
        let Some(pool) = &self.pool else {
            return f(xs, out);
        };
        let size = xs.len().div_ceil(self.jobs * PARTS_PER_THREAD).max(1);
        // One lock per part, each taken once: the claim is the counter.
        let parts: Vec<Mutex<Option<Part<'_, T, U>>>> = xs
            .chunks(size)
            .zip(out.chunks_mut(size))
            .map(|part| Mutex::new(Some(part)))
            .collect();
        let next = AtomicUsize::new(0);
        let claim_parts = || {
            while let Some(part) = parts.get(next.fetch_add(1, Ordering::Relaxed)) {
                let claimed = part.lock().unwrap_or_else(|e| e.into_inner()).take();
                if let Some((xs, out)) = claimed {
                    f(xs, out);
                }
            }
        };
        pool.install(|| on_every_thread(self.jobs, &claim_parts));
    }
    // ANCHOR_END: for_parts
}

/// A part of a loop: its inputs and its outputs.
type Part<'a, T, U> = (&'a [T], &'a mut [U]);

/// Runs `work` on `threads` threads of the pool at once, the current one
/// included (`join` lets an idle worker take the other side).
fn on_every_thread(threads: usize, work: &(impl Fn() + Sync)) {
    if threads <= 1 {
        return work();
    }
    micropool::join(work, || on_every_thread(threads - 1, work));
}

/// A new vector of `xs.len()` values, filled by `fill` part by part,
/// without zeroing it first (as numpy's `empty`: zeroing a large output is
/// a pass over memory of its own).
fn new_filled<T: Sync, U: Send>(
    pool: &SpinPool,
    xs: &[T],
    fill: impl Fn(&[T], &mut [MaybeUninit<U>]) + Sync,
) -> Vec<U> {
    let mut out = Vec::with_capacity(xs.len());
    pool.for_parts(xs, &mut out.spare_capacity_mut()[..xs.len()], fill);
    // SAFETY: the parts cover every slot, and each `fill` below writes every
    // slot of its part.
    #[allow(unsafe_code)]
    unsafe {
        out.set_len(xs.len());
    }
    out
}

/// `driver(x, num, den)` for every `x`, with libm's `ln` as
/// [`driver`](crate::driver) (bit-identical to it), part by part.
pub fn driver_spin(pool: &SpinPool, xs: &[f64], num: f64, den: f64) -> Vec<f64> {
    new_filled(pool, xs, |xs, out| {
        for (o, &x) in out.iter_mut().zip(xs) {
            o.write(crate::driver(x, num, den));
        }
    })
}

/// `driver(x, num, den)` for every `x`, with the vectorised `ln`
/// ([`driver_vec_into_uninit`]), part by part.
pub fn driver_vec_spin(pool: &SpinPool, xs: &[f64], num: f64, den: f64) -> Vec<f64> {
    new_filled(pool, xs, |xs, out| {
        driver_vec_into_uninit(xs, num, den, out)
    })
}

/// `square(x)` for every `x`, part by part
/// ([`square_into_uninit`]: AVX2 when the CPU has it).
pub fn square_spin(pool: &SpinPool, xs: &[u64]) -> Vec<u64> {
    new_filled(pool, xs, square_into_uninit)
}

/// A copy of `xs`, part by part ([`copy_into_uninit`]): the memory
/// floor of [`square_spin`].
pub fn copy_spin(pool: &SpinPool, xs: &[u64]) -> Vec<u64> {
    new_filled(pool, xs, copy_into_uninit)
}

/// `pi_mc_streams(seed, trials)` for every seed, part by part.
pub fn pi_streams_spin(pool: &SpinPool, seeds: &[u64], trials: u64) -> Vec<f64> {
    new_filled(pool, seeds, |seeds, out| {
        for (o, &seed) in out.iter_mut().zip(seeds) {
            o.write(pi_mc_streams(seed, trials));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::square;
    use crate::{DRIVER_DEN, DRIVER_NUM, driver_vec_into};

    #[test]
    fn every_kernel_equals_its_serial_version_on_every_pool_size() {
        let xs: Vec<f64> = (0..10_001).map(|i| i as f64).collect();
        let ints: Vec<u64> = (0..10_001).collect();
        let seeds: Vec<u64> = (0..7).collect();
        let mut driver_serial = vec![0.0; xs.len()];
        driver_vec_into(&xs, DRIVER_NUM, DRIVER_DEN, &mut driver_serial);
        let square_serial: Vec<u64> = ints.iter().map(|&x| square(x)).collect();
        let pi_serial: Vec<f64> =
            seeds.iter().map(|&s| pi_mc_streams(s, 1000)).collect();
        for jobs in [1, 2, 3, 4] {
            let pool = SpinPool::new(jobs);
            assert_eq!(pool.jobs(), jobs);
            // Parts start at other offsets than the serial blocks, so the
            // vector `ln` may group values differently: still within 1 ulp
            // of `ln` each, but compare with a tolerance.
            let driver = driver_vec_spin(&pool, &xs, DRIVER_NUM, DRIVER_DEN);
            for (a, b) in driver.iter().zip(&driver_serial) {
                assert!((a - b).abs() <= 4.0 * f64::EPSILON * b.abs(), "{a} {b}");
            }
            let plain: Vec<f64> = xs
                .iter()
                .map(|&x| crate::driver(x, DRIVER_NUM, DRIVER_DEN))
                .collect();
            assert_eq!(driver_spin(&pool, &xs, DRIVER_NUM, DRIVER_DEN), plain);
            assert_eq!(square_spin(&pool, &ints), square_serial, "{jobs} jobs");
            assert_eq!(copy_spin(&pool, &ints), ints, "{jobs} jobs");
            assert_eq!(pi_streams_spin(&pool, &seeds, 1000), pi_serial);
        }
    }

    #[test]
    fn every_slot_is_in_exactly_one_part_and_each_part_runs_once() {
        let pool = SpinPool::new(3);
        let xs: Vec<usize> = (0..1000).collect();
        let mut out = vec![0usize; xs.len()];
        let calls = AtomicUsize::new(0);
        pool.for_parts(&xs, &mut out, |xs, out| {
            calls.fetch_add(1, Ordering::Relaxed);
            for (o, &x) in out.iter_mut().zip(xs) {
                *o += x + 1;
            }
        });
        assert_eq!(out, (1..=1000).collect::<Vec<_>>());
        // 1000 elements in parts of ceil(1000 / (3 × 8)) = 42: 24 parts.
        assert_eq!(calls.into_inner(), 24);
    }

    #[test]
    fn empty_and_tiny_inputs_work() {
        let pool = SpinPool::new(3);
        assert!(square_spin(&pool, &[]).is_empty());
        assert_eq!(square_spin(&pool, &[3]), [9]);
    }

    #[test]
    #[should_panic(expected = "slices of different length")]
    fn mismatched_slices_are_refused() {
        SpinPool::new(2).for_parts(&[1, 2], &mut [0], |_, _| {});
    }
}
