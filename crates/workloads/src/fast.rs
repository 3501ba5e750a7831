//! The workloads as a performance engineer writes them: whole slices instead
//! of one call per element, and a π kernel whose inner loop the compiler keeps
//! in registers and vectorises.
//!
//! - [`driver_into`]: `driver` over a slice into a slice (no per-element
//!   allocation, enum or `Box`); the chapters split the slices in chunks over
//!   threads.
//! - [`square_into_uninit`]: `square` over a slice, compiled for AVX2 when
//!   the CPU has it; [`copy_into_uninit`], the same bytes moved with no
//!   arithmetic: the memory floor `square` cannot beat.
//! - [`pi_mc_streams`]: Monte Carlo π with [`PI_STREAMS`] independent
//!   xoshiro256++ generators advanced side by side. Every generator is seeded
//!   from the task's `seed` alone, so the estimate depends only on
//!   `(seed, trials)`, exactly like [`pi_mc`](crate::pi_mc), whose results it does
//!   not change (it is a different, equally valid estimator).
//!
//! `cargo test -p workloads fast` checks both against the simple versions.

use std::mem::MaybeUninit;

use crate::kernels::{derive_seed, driver, square};

// ANCHOR: driver_into
/// `out[i] = driver(xs[i], num, den)` for every `i`: one pass over two
/// slices, no per-element allocation, enum or `Box`.
///
/// The time goes into libm's `ln` (a call per element, which no compiler
/// vectorises); `sqrt` and the division overlap with it. Splitting them into
/// a second, vectorised pass was measured slower (`examples/kernels.rs`).
///
/// # Panics
/// If the slices differ in length.
pub fn driver_into(xs: &[f64], num: f64, den: f64, out: &mut [f64]) {
    assert_eq!(
        xs.len(),
        out.len(),
        "driver_into: slices of different length"
    );
    for (o, &x) in out.iter_mut().zip(xs) {
        *o = driver(x, num, den);
    }
}
// ANCHOR_END: driver_into

/// `out[i] = square(xs[i])` for every `i`, bit-identical to [`square`].
///
/// Compiled for AVX2 when the CPU has it (checked at run time, as
/// [`pi_mc_streams`]): x86-64's baseline SSE2 has no 64-bit vector multiply
/// worth using, AVX2 builds one from 32-bit ones, four lanes at a time. On
/// 10^6 elements the loop is then bound by memory more than by the multiply
/// (compare [`copy_into_uninit`]).
///
/// # Panics
/// If the slices differ in length.
pub fn square_into_uninit(xs: &[u64], out: &mut [MaybeUninit<u64>]) {
    assert_eq!(
        xs.len(),
        out.len(),
        "square_into: slices of different length"
    );
    map_u64(xs, out, square)
}

/// `out[i] = xs[i]`: the bytes [`square_into_uninit`] moves (8 read and 8
/// written per element) by the same kind of loop, with no multiply. Its
/// time is the memory floor of `square` on slices; the benches report it as
/// `thread_pools/copy`.
///
/// Each value is or-ed with a zero the compiler cannot see through: a plain
/// copy loop becomes a call to `memcpy`, which for megabytes writes around
/// the caches (non-temporal stores), a different and here slower path than
/// the one `square`'s stores take.
///
/// # Panics
/// If the slices differ in length.
pub fn copy_into_uninit(xs: &[u64], out: &mut [MaybeUninit<u64>]) {
    assert_eq!(xs.len(), out.len(), "copy_into: slices of different length");
    let zero = std::hint::black_box(0u64);
    map_u64(xs, out, move |x| x | zero)
}

/// `out[i] = f(xs[i])`, compiled for AVX2 when the CPU has it (checked at
/// run time, as [`pi_mc_streams`]): the same integer operations on every
/// path, so the results are identical.
#[inline(always)]
fn map_u64(xs: &[u64], out: &mut [MaybeUninit<u64>], f: impl Fn(u64) -> u64) {
    #[inline(always)]
    fn kernel(xs: &[u64], out: &mut [MaybeUninit<u64>], f: impl Fn(u64) -> u64) {
        for (o, &x) in out.iter_mut().zip(xs) {
            o.write(f(x));
        }
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx2")]
        fn avx2(xs: &[u64], out: &mut [MaybeUninit<u64>], f: impl Fn(u64) -> u64) {
            kernel(xs, out, f)
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: `avx2` needs AVX2, which the CPU has.
            #[allow(unsafe_code)]
            return unsafe { avx2(xs, out, f) };
        }
    }
    kernel(xs, out, f)
}

/// Independent generators per π task in [`pi_mc_streams`]: enough lanes for
/// the compiler to fill the vector registers and hide each step's latency.
pub const PI_STREAMS: usize = 8;

// ANCHOR: pi_mc_streams
/// Estimates π from `trials` random points, drawn round-robin from
/// [`PI_STREAMS`] xoshiro256++ generators seeded from `seed` alone.
///
/// The generators' states live in arrays indexed by lane, and one round
/// advances every lane once: the lanes do not depend on each other, so the
/// loop body compiles to vector instructions instead of one long chain of
/// dependent steps. The estimate depends only on `(seed, trials)`.
///
/// # Panics
/// If `trials` is 0.
pub fn pi_mc_streams(seed: u64, trials: u64) -> f64 {
    assert!(trials > 0, "pi_mc_streams needs at least one trial");
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: `pi_streams_avx512` needs AVX-512F, which the CPU has.
        #[allow(unsafe_code)]
        return unsafe { pi_streams_avx512(seed, trials) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `pi_streams_avx2` needs AVX2, which the CPU has (checked
        // just above). The same integer and IEEE operations run, so the
        // estimate is bit-identical to the portable path's.
        #[allow(unsafe_code)]
        return unsafe { pi_streams_avx2(seed, trials) };
    }
    pi_streams(seed, trials)
}

/// [`pi_streams`] compiled for AVX2 (four 64-bit lanes per instruction).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn pi_streams_avx2(seed: u64, trials: u64) -> f64 {
    pi_streams(seed, trials)
}

/// [`pi_streams`] compiled for AVX-512 (eight 64-bit lanes and a rotate).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn pi_streams_avx512(seed: u64, trials: u64) -> f64 {
    pi_streams(seed, trials)
}

/// The kernel of [`pi_mc_streams`], for any instruction set.
#[inline(always)]
fn pi_streams(seed: u64, trials: u64) -> f64 {
    let mut lanes = Lanes::new(seed);
    let rounds = trials / PI_STREAMS as u64;
    let mut inside = [0u64; PI_STREAMS];
    for _ in 0..rounds {
        lanes.round(&mut inside, PI_STREAMS);
    }
    // The last trials % PI_STREAMS points come from the first lanes.
    lanes.round(&mut inside, (trials % PI_STREAMS as u64) as usize);
    4.0 * inside.iter().sum::<u64>() as f64 / trials as f64
}
// ANCHOR_END: pi_mc_streams

/// [`PI_STREAMS`] xoshiro256++ states: word `j` of lane `k` is `sj[k]`, so
/// one step of every lane is a few whole-array (vector) operations.
#[derive(Clone, Copy)]
struct Lanes {
    s0: [u64; PI_STREAMS],
    s1: [u64; PI_STREAMS],
    s2: [u64; PI_STREAMS],
    s3: [u64; PI_STREAMS],
}

impl Lanes {
    /// Lane `k` is seeded with SplitMix64 from `derive_seed(seed, k)`, as
    /// `rand`'s `seed_from_u64` seeds one generator.
    fn new(seed: u64) -> Lanes {
        let mut lanes = Lanes {
            s0: [0; PI_STREAMS],
            s1: [0; PI_STREAMS],
            s2: [0; PI_STREAMS],
            s3: [0; PI_STREAMS],
        };
        for k in 0..PI_STREAMS {
            let mut state = derive_seed(seed, k as u64);
            lanes.s0[k] = splitmix64(&mut state);
            lanes.s1[k] = splitmix64(&mut state);
            lanes.s2[k] = splitmix64(&mut state);
            lanes.s3[k] = splitmix64(&mut state);
        }
        lanes
    }

    /// One point per lane for the first `lanes` lanes (all of them in the
    /// main loop): `inside[k]` counts lane `k`'s points in the circle.
    #[inline(always)]
    fn round(&mut self, inside: &mut [u64; PI_STREAMS], lanes: usize) {
        let Lanes { s0, s1, s2, s3 } = self;
        for k in 0..lanes.min(PI_STREAMS) {
            let (mut a, mut b, mut c, mut d) = (s0[k], s1[k], s2[k], s3[k]);
            let x = unit(xoshiro(&mut a, &mut b, &mut c, &mut d));
            let y = unit(xoshiro(&mut a, &mut b, &mut c, &mut d));
            (s0[k], s1[k], s2[k], s3[k]) = (a, b, c, d);
            inside[k] += u64::from(x * x + y * y <= 1.0);
        }
    }

    /// The next `f64` of every lane (for the tests).
    #[cfg(test)]
    fn next_unit(&mut self) -> [f64; PI_STREAMS] {
        let Lanes { s0, s1, s2, s3 } = self;
        std::array::from_fn(|k| {
            unit(xoshiro(&mut s0[k], &mut s1[k], &mut s2[k], &mut s3[k]))
        })
    }
}

/// One xoshiro256++ step (Blackman and Vigna) on the state `(a, b, c, d)`.
#[inline(always)]
fn xoshiro(a: &mut u64, b: &mut u64, c: &mut u64, d: &mut u64) -> u64 {
    let result = a.wrapping_add(*d).rotate_left(23).wrapping_add(*a);
    let t = *b << 17;
    *c ^= *a;
    *d ^= *b;
    *b ^= *c;
    *a ^= *d;
    *c ^= t;
    *d = d.rotate_left(45);
    result
}

/// A uniform `f64` in `[0, 1)` from the top 52 bits of a draw, as the
/// mantissa of a number in `[1, 2)` minus 1 (exact, and no int-to-float
/// conversion, which has no vector instruction before AVX-512).
#[inline(always)]
fn unit(bits: u64) -> f64 {
    f64::from_bits((bits >> 12) | 0x3FF0_0000_0000_0000) - 1.0
}

/// The SplitMix64 step (Steele, Lea and Flood), used to fill generator states.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_xoshiro::Xoshiro256PlusPlus;
    use rand_xoshiro::rand_core::{Rng, SeedableRng};

    #[test]
    fn driver_into_equals_driver_bit_for_bit() {
        let xs: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        let mut out = vec![0.0; xs.len()];
        driver_into(&xs, 1.0, 2.0, &mut out);
        for (x, o) in xs.iter().zip(&out) {
            assert_eq!(o.to_bits(), driver(*x, 1.0, 2.0).to_bits());
        }
    }

    #[test]
    #[should_panic(expected = "different length")]
    fn driver_into_refuses_mismatched_slices() {
        driver_into(&[1.0], 1.0, 2.0, &mut []);
    }

    #[test]
    fn every_lane_is_the_reference_xoshiro256plusplus() {
        // Our lanes equal rand_xoshiro seeded the same way (SplitMix64 fill).
        let mut lanes = Lanes::new(9);
        let mut reference: Vec<Xoshiro256PlusPlus> = (0..PI_STREAMS)
            .map(|k| Xoshiro256PlusPlus::seed_from_u64(derive_seed(9, k as u64)))
            .collect();
        for _ in 0..100 {
            let got = lanes.next_unit();
            for (k, rng) in reference.iter_mut().enumerate() {
                let bits = (rng.next_u64() >> 12) | 0x3FF0_0000_0000_0000;
                assert_eq!(got[k].to_bits(), (f64::from_bits(bits) - 1.0).to_bits());
            }
        }
    }

    #[test]
    fn pi_mc_streams_is_reproducible_and_depends_on_the_seed() {
        let a = pi_mc_streams(7, 10_001);
        let there = std::thread::spawn(|| pi_mc_streams(7, 10_001))
            .join()
            .unwrap();
        assert_eq!(a.to_bits(), there.to_bits());
        assert_ne!(a.to_bits(), pi_mc_streams(8, 10_001).to_bits());
    }

    #[test]
    fn pi_mc_streams_converges_and_counts_every_trial() {
        let estimate = pi_mc_streams(1, 2_000_003);
        assert!((estimate - std::f64::consts::PI).abs() < 0.01, "{estimate}");
        // With 1..7 trials the estimate is 4 * inside / trials exactly.
        for trials in 1..=7u64 {
            let e = pi_mc_streams(3, trials);
            let inside = e * trials as f64 / 4.0;
            assert_eq!(inside, inside.round(), "{trials}: {e}");
            assert!(inside <= trials as f64);
        }
    }

    #[test]
    fn every_instruction_set_gives_the_same_estimate() {
        for trials in [1, 7, 8, 9, 100_003] {
            let portable = pi_streams(5, trials);
            assert_eq!(pi_mc_streams(5, trials).to_bits(), portable.to_bits());
        }
    }

    #[test]
    #[should_panic(expected = "at least one trial")]
    fn pi_mc_streams_rejects_zero_trials() {
        pi_mc_streams(0, 0);
    }
}
