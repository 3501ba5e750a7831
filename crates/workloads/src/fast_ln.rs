//! `driver` as a performance engineer writes it once the profile says "libm's
//! `log`": a vectorised natural logarithm over whole blocks of lanes, so that
//! `ln`, `sqrt` and the division all run as vector instructions.
//!
//! - [`ln_into`]: the logarithm of a slice, [`LN_BLOCK`] values at a time,
//!   by fdlibm's method (reduce to `m·2^k` with `m` in `[√½, √2)`, then a
//!   degree-14 odd polynomial in `s = (m−1)/(m+1)`), written without
//!   branches so the compiler turns each loop over a block into vector
//!   instructions. It stays within 1 ulp of the standard library's `ln`
//!   (checked on every `driver` input of the benches, on random inputs of
//!   every binade and on edge cases in the tests below); zero, negative,
//!   subnormal and infinite arguments and NaN go to `f64::ln`. A value's
//!   result depends on that value alone, not on the slice around it.
//! - [`driver_vec_into`]: `driver` over a slice with that `ln`, then `sqrt`
//!   and the division on the same lanes, with run-time dispatch to AVX-512
//!   or AVX2 like [`pi_mc_streams`](crate::pi_mc_streams). Its results are
//!   close to `driver`'s (within a few ulp), not bit-identical: the report
//!   says so.
//!
//! `cargo test -p workloads fast_ln` checks the accuracy.

use std::mem::MaybeUninit;

use crate::kernels::driver;

/// Values per block of [`ln_into`] and [`driver_vec_into`].
pub const LN_BLOCK: usize = 64;

// fdlibm's constants (e_log.c), by their bits as fdlibm gives them: ln 2
// split in a high part with trailing zero bits (so `k·LN2_HI` is exact) and
// the rest, and the polynomial's coefficients.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const LG1: f64 = f64::from_bits(0x3fe5_5555_5555_5593);
const LG2: f64 = f64::from_bits(0x3fd9_9999_9997_fa04);
const LG3: f64 = f64::from_bits(0x3fd2_4924_9422_9359);
const LG4: f64 = f64::from_bits(0x3fcc_71c5_1d8e_78af);
const LG5: f64 = f64::from_bits(0x3fc7_4664_96cb_03de);
const LG6: f64 = f64::from_bits(0x3fc3_9a09_d078_c69f);
const LG7: f64 = f64::from_bits(0x3fc2_f112_df3e_5244);

/// The bits of the mantissa, and of 1.0.
const MANTISSA: u64 = 0x000f_ffff_ffff_ffff;
const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;
/// `2^52` as bits, and as a value: or-ing a small integer into the low bits
/// of `2^52` and subtracting `2^52` converts it to `f64` with integer vector
/// instructions (AVX2 has no 64-bit integer to float conversion).
const TWO52_BITS: u64 = 0x4330_0000_0000_0000;
const TWO52: f64 = 4_503_599_627_370_496.0;

// ANCHOR: ln_block
/// A block of arguments of `ln`, reduced: `x = (1 + f) · 2^k` with `1 + f`
/// in `[√½, √2)`, and `s = f / (2 + f)`.
struct Reduced {
    s: [f64; LN_BLOCK],
    f: [f64; LN_BLOCK],
    k: [f64; LN_BLOCK],
}

impl Reduced {
    /// Reduces the argument `arg(x)` of every value, without a branch. Only
    /// the results of positive normal arguments mean anything.
    #[inline(always)]
    fn reduce(&mut self, x: &[f64; LN_BLOCK], arg: impl Fn(f64) -> f64) {
        for (i, &x) in x.iter().enumerate() {
            let bits = arg(x).to_bits();
            let m = f64::from_bits((bits & MANTISSA) | ONE_BITS); // in [1, 2)
            let big = m > std::f64::consts::SQRT_2;
            let m = if big { m * 0.5 } else { m };
            let e = f64::from_bits(TWO52_BITS | (bits >> 52)) - (TWO52 + 1023.0);
            self.k[i] = if big { e + 1.0 } else { e };
            self.f[i] = m - 1.0;
            self.s[i] = self.f[i] / (2.0 + self.f[i]);
        }
    }

    /// `ln` of argument `i`: ln(1 + f) = 2·atanh(s) by fdlibm's polynomial,
    /// plus k·ln 2.
    #[inline(always)]
    fn ln(&self, i: usize) -> f64 {
        let (s, f, k) = (self.s[i], self.f[i], self.k[i]);
        let z = s * s;
        let w = z * z;
        let t1 = w * (LG2 + w * (LG4 + w * LG6));
        let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
        let r = t2 + t1;
        let hfsq = 0.5 * f * f;
        k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f)
    }
}
// ANCHOR_END: ln_block

/// Whether `x` is a positive normal number, the only arguments [`Reduced`]
/// takes: negative numbers and NaN have larger bit patterns than +∞.
#[inline(always)]
fn is_positive_normal(x: f64) -> bool {
    const LOW: u64 = f64::MIN_POSITIVE.to_bits();
    x.to_bits().wrapping_sub(LOW) < f64::INFINITY.to_bits() - LOW
}

/// A place a result goes: an `f64`, or a `MaybeUninit<f64>` of a vector not
/// yet filled (so that a new output need not be zeroed first).
trait Slot {
    fn set(&mut self, value: f64);
}

impl Slot for f64 {
    #[inline(always)]
    fn set(&mut self, value: f64) {
        *self = value;
    }
}

impl Slot for MaybeUninit<f64> {
    #[inline(always)]
    fn set(&mut self, value: f64) {
        self.write(value);
    }
}

/// `out[i] = then(ln(arg(xs[i])), xs[i])`, in blocks, and in two passes per
/// block: the first reduces every argument (with its division), the second
/// evaluates the polynomials. Each pass is a loop of short, independent
/// steps, which the processor overlaps; one pass per value is one long chain
/// of dependent steps (a division, then the polynomial), and slower by half.
///
/// The last block is padded. An argument that is not a positive normal
/// number (zero, negative, subnormal, infinite, NaN) gets `exact(x)`
/// instead, in a separate pass that runs only if there is one (a check per
/// block, in the loops below, slowed them by a quarter). So each value's
/// result depends on that value alone, never on where a slice starts or
/// ends: split across threads, the results are the same.
#[inline(always)]
fn map_ln<O: Slot>(
    xs: &[f64],
    out: &mut [O],
    arg: impl Fn(f64) -> f64 + Copy,
    then: impl Fn(f64, f64) -> f64,
    exact: impl Fn(f64) -> f64,
) {
    let mut reduced = Reduced {
        s: [0.0; LN_BLOCK],
        f: [0.0; LN_BLOCK],
        k: [0.0; LN_BLOCK],
    };
    let mut blocks = xs.chunks_exact(LN_BLOCK);
    let mut outs = out.chunks_exact_mut(LN_BLOCK);
    for (x, o) in (&mut blocks).zip(&mut outs) {
        let x: &[f64; LN_BLOCK] = x.try_into().expect("a whole block");
        reduced.reduce(x, arg);
        for (i, o) in o.iter_mut().enumerate() {
            o.set(then(reduced.ln(i), x[i]));
        }
    }
    let (rest, out_rest) = (blocks.remainder(), outs.into_remainder());
    if !rest.is_empty() {
        let mut x = [1.0; LN_BLOCK];
        x[..rest.len()].copy_from_slice(rest);
        reduced.reduce(&x, arg);
        for (i, o) in out_rest.iter_mut().enumerate() {
            o.set(then(reduced.ln(i), x[i]));
        }
    }
    let bad = xs
        .iter()
        .fold(false, |bad, &x| bad | !is_positive_normal(arg(x)));
    if bad {
        for (o, &x) in out.iter_mut().zip(xs) {
            if !is_positive_normal(arg(x)) {
                o.set(exact(x));
            }
        }
    }
}

/// Compiles `$name` for the best instruction set the CPU has, and calls it:
/// AVX-512, AVX2, or the portable build. The same IEEE operations run on
/// every path, so the results are identical.
macro_rules! dispatch {
    ($name:ident($($arg:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx512f")]
            fn avx512<O: Slot>(xs: &[f64], num: f64, den: f64, out: &mut [O]) {
                $name(xs, num, den, out)
            }
            #[target_feature(enable = "avx2")]
            fn avx2<O: Slot>(xs: &[f64], num: f64, den: f64, out: &mut [O]) {
                $name(xs, num, den, out)
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: `avx512` needs AVX-512F, which the CPU has.
                #[allow(unsafe_code)]
                return unsafe { avx512($($arg),*) };
            }
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: `avx2` needs AVX2, which the CPU has.
                #[allow(unsafe_code)]
                return unsafe { avx2($($arg),*) };
            }
        }
        $name($($arg),*)
    }};
}

/// `out[i] = ln(xs[i])`, within 1 ulp of `f64::ln`.
///
/// # Panics
/// If the slices differ in length.
pub fn ln_into(xs: &[f64], out: &mut [f64]) {
    assert_eq!(xs.len(), out.len(), "ln_into: slices of different length");
    #[inline(always)]
    fn kernel<O: Slot>(xs: &[f64], _: f64, _: f64, out: &mut [O]) {
        map_ln(xs, out, |x| x, |l, _| l, f64::ln)
    }
    dispatch!(kernel(xs, 0.0, 0.0, out))
}

/// `out[i] ≈ driver(xs[i], num, den)` for every `i`: the vectorised `ln`
/// above, then `sqrt` and the division on the same lanes. Within a few ulp
/// of `driver` (1 from `ln`, and the roundings around it).
///
/// # Panics
/// If the slices differ in length.
pub fn driver_vec_into(xs: &[f64], num: f64, den: f64, out: &mut [f64]) {
    assert_eq!(
        xs.len(),
        out.len(),
        "driver_vec_into: slices of different length"
    );
    dispatch!(driver_vec_kernel(xs, num, den, out))
}

/// [`driver_vec_into`] into the spare capacity of a new vector: every slot
/// of `out` is written, so the caller may then take them as initialised
/// (and a new output need not be zeroed first).
///
/// # Panics
/// If the slices differ in length.
pub fn driver_vec_into_uninit(
    xs: &[f64],
    num: f64,
    den: f64,
    out: &mut [MaybeUninit<f64>],
) {
    assert_eq!(
        xs.len(),
        out.len(),
        "driver_vec_into: slices of different length"
    );
    dispatch!(driver_vec_kernel(xs, num, den, out))
}

/// `driver_vec_into` into a new vector, without zeroing it first.
pub fn driver_vec(xs: &[f64], num: f64, den: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(xs.len());
    driver_vec_into_uninit(xs, num, den, &mut out.spare_capacity_mut()[..xs.len()]);
    // SAFETY: `driver_vec_into_uninit` wrote every one of the first
    // `xs.len()` slots.
    #[allow(unsafe_code)]
    unsafe {
        out.set_len(xs.len());
    }
    out
}

/// The kernel of [`driver_vec_into`], for any instruction set.
#[inline(always)]
fn driver_vec_kernel<O: Slot>(xs: &[f64], num: f64, den: f64, out: &mut [O]) {
    map_ln(
        xs,
        out,
        |x| x + num + 1.0,
        |l, x| l / (x + den + 1.0).sqrt(),
        |x| driver(x, num, den),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DRIVER_DEN, DRIVER_NUM};

    /// How many representable values lie between `a` and `b`.
    fn ulps(a: f64, b: f64) -> u64 {
        if a == b || (a.is_nan() && b.is_nan()) {
            return 0;
        }
        if a.is_sign_negative() != b.is_sign_negative() {
            return u64::MAX;
        }
        a.to_bits().abs_diff(b.to_bits())
    }

    fn ln_all(values: &[f64]) -> Vec<f64> {
        let mut out = vec![f64::NAN; values.len()];
        ln_into(values, &mut out);
        out
    }

    fn worst(values: &[f64]) -> (u64, f64) {
        let logs = ln_all(values);
        values
            .iter()
            .zip(logs)
            .map(|(&x, l)| (ulps(l, x.ln()), x))
            .max_by_key(|&(u, _)| u)
            .unwrap_or((0, 0.0))
    }

    #[test]
    fn ln_into_is_within_one_ulp_on_every_driver_input() {
        let n = 1u64 << 20; // 4^10, the benches' inputs
        let args: Vec<f64> = (0..n).map(|i| i as f64 + DRIVER_NUM + 1.0).collect();
        let (ulp, at) = worst(&args);
        assert!(ulp <= 1, "{ulp} ulp at {at}");
    }

    #[test]
    fn ln_into_is_within_one_ulp_across_the_range() {
        // Every binade from the smallest normal to the largest, 2000 values
        // each, and the neighbourhood of 1 (where ln is near 0).
        let mut values = Vec::new();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for exponent in 1..2047u64 {
            for _ in 0..2000 {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                values.push(f64::from_bits((exponent << 52) | (state >> 12)));
            }
        }
        for i in 1..100_000u64 {
            values.push(1.0 + i as f64 * f64::EPSILON);
            values.push(1.0 - i as f64 * f64::EPSILON / 2.0);
        }
        let (ulp, at) = worst(&values);
        assert!(ulp <= 1, "{ulp} ulp at {at:e}");
    }

    #[test]
    fn ln_into_agrees_on_edge_cases() {
        let edges = [
            1.0,
            2.0,
            0.5,
            std::f64::consts::E,
            std::f64::consts::SQRT_2,
            f64::from_bits(std::f64::consts::SQRT_2.to_bits() + 1),
            f64::MIN_POSITIVE,
            f64::MAX,
            0.0,
            -0.0,
            -1.0,
            f64::MIN_POSITIVE / 4.0, // subnormal
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            5e-324,
        ];
        // Alone, and inside whole blocks of ordinary values.
        for edge in edges {
            let mut block = vec![3.0; 2 * LN_BLOCK + 5];
            for at in [0, LN_BLOCK + 7, 2 * LN_BLOCK + 4] {
                block[at] = edge;
            }
            for (x, l) in block.iter().zip(ln_all(&block)) {
                assert!(ulps(l, x.ln()) <= 1, "ln({x:e}) = {l:e}, not {:e}", x.ln());
            }
        }
        let ones = ln_all(&[1.0; LN_BLOCK]);
        assert!(ones.iter().all(|&l| l == 0.0), "ln(1) is exactly 0");
    }

    #[test]
    fn driver_vec_into_is_close_to_driver_and_handles_the_tail() {
        for n in [0usize, 1, 63, 64, 65, 1000, 4099] {
            let xs: Vec<f64> = (0..n).map(|i| i as f64 * 3.5).collect();
            let mut out = vec![f64::NAN; n];
            driver_vec_into(&xs, DRIVER_NUM, DRIVER_DEN, &mut out);
            for (&x, &o) in xs.iter().zip(&out) {
                let exact = driver(x, DRIVER_NUM, DRIVER_DEN);
                assert!(ulps(o, exact) <= 2, "driver({x}) = {o}, not {exact}");
            }
        }
    }

    #[test]
    fn a_values_result_does_not_depend_on_where_the_slice_is_cut() {
        let mut xs: Vec<f64> = (0..1000).map(|i| i as f64 * 1.7).collect();
        let mut whole = vec![0.0; xs.len()];
        driver_vec_into(&xs, DRIVER_NUM, DRIVER_DEN, &mut whole);
        for cut in [1, 63, 64, 100, 999] {
            let mut parts = vec![0.0; xs.len()];
            let (a, b) = parts.split_at_mut(cut);
            driver_vec_into(&xs[..cut], DRIVER_NUM, DRIVER_DEN, a);
            driver_vec_into(&xs[cut..], DRIVER_NUM, DRIVER_DEN, b);
            assert_eq!(parts, whole, "cut at {cut}");
        }
        // A special value changes its own result only.
        xs[500] = -DRIVER_NUM - 1.0; // ln(0)
        let mut with_zero = vec![0.0; xs.len()];
        driver_vec_into(&xs, DRIVER_NUM, DRIVER_DEN, &mut with_zero);
        assert_eq!(with_zero[500], f64::NEG_INFINITY);
        assert_eq!(with_zero[..500], whole[..500]);
        assert_eq!(with_zero[501..], whole[501..]);
    }

    #[test]
    fn a_new_output_equals_one_written_in_place() {
        let xs: Vec<f64> = (0..1001).map(|i| i as f64 * 0.9).collect();
        let mut in_place = vec![0.0; xs.len()];
        driver_vec_into(&xs, DRIVER_NUM, DRIVER_DEN, &mut in_place);
        assert_eq!(driver_vec(&xs, DRIVER_NUM, DRIVER_DEN), in_place);
        assert!(driver_vec(&[], DRIVER_NUM, DRIVER_DEN).is_empty());
    }

    #[test]
    fn every_instruction_set_gives_the_same_values() {
        let xs: Vec<f64> = (0..10_000).map(|i| i as f64 * 0.37).collect();
        let mut dispatched = vec![0.0; xs.len()];
        let mut portable = vec![0.0; xs.len()];
        driver_vec_into(&xs, DRIVER_NUM, DRIVER_DEN, &mut dispatched);
        driver_vec_kernel(&xs, DRIVER_NUM, DRIVER_DEN, &mut portable);
        assert_eq!(dispatched, portable);
    }

    #[test]
    #[should_panic(expected = "slices of different length")]
    fn driver_vec_into_refuses_mismatched_slices() {
        driver_vec_into(&[1.0, 2.0], 1.0, 2.0, &mut [0.0]);
    }
}
