//! The fastest honest strategies for the compute workloads on rayon: what a
//! performance engineer writes once the per-task overhead is understood.
//! They are kernels of the demo workloads, so they live in the demo layer;
//! chapter 2 shows them, the benches time them.
//!
//! - [`driver_par_chunks`]: the output is one slice, cut into chunks; each
//!   rayon task fills one chunk with [`driver_into`](crate::driver_into). No per-element
//!   task, enum or `Box`; results equal `driver`'s bit for bit.
//! - [`driver_vec_par_chunks`]: the same with the vectorised `ln`.
//! - [`square_par`]: `square` over a slice in chunks of elements, for the
//!   comparison with numpy and numba (the `square` benches otherwise make
//!   one opaque call per element on purpose, to show the per-task overhead).
//! - [`pi_streams_map`]: one rayon task per π seed, each running the
//!   vectorised [`pi_mc_streams`](crate::pi_mc_streams) kernel. Its estimates depend on
//!   the seed alone, so they are identical on every backend and thread count.

use crate::fast::{driver_into, pi_mc_streams};
use crate::fast_ln::driver_vec_into_uninit;
use crate::kernels::square;
use rayon::ThreadPool;
use rayon::prelude::*;

/// Elements per chunk of [`driver_par_chunks`] unless the input is small:
/// large enough that handing out a chunk (≈ 1 µs) is noise, small enough that
/// a thread slowed down by a neighbour does not hold up the end of the run.
pub const DRIVER_CHUNK: usize = 1 << 14;

// ANCHOR: driver_par_chunks
/// `driver(x, num, den)` for every `x` in `xs`, on `pool`'s threads, one
/// chunk of the output slice per rayon task.
pub fn driver_par_chunks(
    pool: &ThreadPool,
    xs: &[f64],
    num: f64,
    den: f64,
) -> Vec<f64> {
    let mut out = vec![0.0; xs.len()];
    let chunk =
        DRIVER_CHUNK.min(xs.len().div_ceil(pool.current_num_threads()).max(1));
    pool.install(|| {
        out.par_chunks_mut(chunk)
            .zip(xs.par_chunks(chunk))
            .for_each(|(out, xs)| driver_into(xs, num, den, out));
    });
    out
}
// ANCHOR_END: driver_par_chunks

/// [`driver_par_chunks`] with the vectorised `ln`
/// ([`driver_vec_into`](crate::driver_vec_into)): results within a few ulp
/// of `driver`'s. The output is not zeroed first (as numpy's `empty`).
pub fn driver_vec_par_chunks(
    pool: &ThreadPool,
    xs: &[f64],
    num: f64,
    den: f64,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(xs.len());
    let chunk =
        DRIVER_CHUNK.min(xs.len().div_ceil(pool.current_num_threads()).max(1));
    pool.install(|| {
        out.spare_capacity_mut()[..xs.len()]
            .par_chunks_mut(chunk)
            .zip(xs.par_chunks(chunk))
            .for_each(|(out, xs)| driver_vec_into_uninit(xs, num, den, out));
    });
    // SAFETY: the chunks cover every slot, and `driver_vec_into_uninit`
    // writes every slot of its chunk.
    #[allow(unsafe_code)]
    unsafe {
        out.set_len(xs.len());
    }
    out
}

// ANCHOR: square_par
/// `square(x)` for every `x` in `xs`, on `pool`'s threads, at least
/// [`DRIVER_CHUNK`] elements per rayon task. One multiply per element, and
/// 16 bytes moved: rayon's `collect` writes each result once, straight into
/// the output (no zeroing pass first, no per-element task).
pub fn square_par(pool: &ThreadPool, xs: &[u64]) -> Vec<u64> {
    pool.install(|| {
        xs.par_iter()
            .with_min_len(DRIVER_CHUNK)
            .map(|&x| square(x))
            .collect()
    })
}
// ANCHOR_END: square_par

// ANCHOR: pi_streams_map
/// `pi_mc_streams(seed, trials)` for every seed, one rayon task per seed.
pub fn pi_streams_map(pool: &ThreadPool, seeds: &[u64], trials: u64) -> Vec<f64> {
    pool.install(|| {
        seeds
            .par_iter()
            .map(|&seed| pi_mc_streams(seed, trials))
            .collect()
    })
}
// ANCHOR_END: pi_streams_map

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::driver;
    use sweep_core::jobs::rayon_pool;

    #[test]
    fn driver_par_chunks_equals_the_serial_map_bit_for_bit() {
        for (jobs, n) in [(1, 0), (2, 1), (3, 100_003), (2, DRIVER_CHUNK * 3)] {
            let pool = rayon_pool(jobs).unwrap();
            let xs: Vec<f64> = (0..n).map(|i| i as f64).collect();
            let want: Vec<u64> =
                xs.iter().map(|&x| driver(x, 1.0, 2.0).to_bits()).collect();
            let got: Vec<u64> = driver_par_chunks(&pool, &xs, 1.0, 2.0)
                .iter()
                .map(|x| x.to_bits())
                .collect();
            assert_eq!(got, want, "jobs={jobs} n={n}");
        }
    }

    #[test]
    fn square_par_equals_the_serial_map() {
        for (jobs, n) in [(1, 0), (2, 1), (3, 100_003)] {
            let pool = rayon_pool(jobs).unwrap();
            let xs: Vec<u64> = (0..n).map(|i| i * 7_919_000_000).collect();
            let want: Vec<u64> = xs.iter().map(|&x| square(x)).collect();
            assert_eq!(square_par(&pool, &xs), want, "jobs={jobs} n={n}");
        }
    }

    #[test]
    fn pi_streams_map_keeps_order_and_values_on_any_pool() {
        let seeds: Vec<u64> = (0..9).collect();
        let want: Vec<f64> = seeds.iter().map(|&s| pi_mc_streams(s, 999)).collect();
        for jobs in [1, 2, 4] {
            let pool = rayon_pool(jobs).unwrap();
            assert_eq!(pi_streams_map(&pool, &seeds, 999), want, "jobs={jobs}");
        }
    }
}
