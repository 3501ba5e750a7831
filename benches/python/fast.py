"""The tasks as a numerical Python programmer writes them for speed: numpy
vectorised, and numba-compiled (`@njit` serial and `prange` parallel).

These are the honest "best Python" baselines: the pure-Python loops of
`tasks.py` are what the original notebooks wrote, but nobody who knows numpy
times a million `math.log` calls in the interpreter. Imported by `driver.py`,
`pi.py` and `square.py`; run through `python3 benches/python/run.py`.

numba is optional: if it cannot be imported, `NUMBA` is None, the numba rows
are skipped and the scripts say so on stderr (`numba_missing()`).

Generators: numpy's `default_rng(seed)` (PCG64) and numba's per-thread
Mersenne Twister (`np.random.seed(seed)` inside compiled code) are both seeded
from the task's seed alone, so every numpy strategy gives the same estimates
bit for bit, and so does every numba strategy; neither can equal the Rust
xoshiro256++ estimates, which `run.py` compares statistically.
"""

import sys

import numpy as np

from tasks import DRIVER_DEN, DRIVER_NUM

try:
    import numba
    from numba import njit, prange
    NUMBA = numba.__version__
    NUMBA_ERROR = None
except Exception as e:  # ImportError, or a broken llvmlite
    NUMBA = None
    NUMBA_ERROR = f"{type(e).__name__}: {e}"


def numba_missing(workload):
    """True (and says so on stderr) when numba is unavailable."""
    if NUMBA is None:
        print(f"  python/{workload}: numba unavailable ({NUMBA_ERROR}); "
              "numba rows skipped", file=sys.stderr, flush=True)
        return True
    return False


# ------------------------------------------------------------- checks --

def close_digest(values, reference):
    """`float_digest` of a numpy result, plus how far it is from the
    pure-Python `math` results (the same libm as Rust): how many values differ
    and by how many units in the last place at most. numpy's own SIMD `log`
    can differ from libm's in the last bit; run.py reports that, it does not
    hide it."""
    from common import float_digest
    got = values.tolist()
    bits = np.asarray(values, dtype=np.float64).view(np.int64)
    want = np.asarray(reference, dtype=np.float64).view(np.int64)
    ulps = np.abs(bits - want)
    digest = float_digest(got)
    digest["differ_from_libm"] = int(np.count_nonzero(ulps))
    digest["max_ulp_from_libm"] = int(ulps.max()) if ulps.size else 0
    return digest


def join(parts):
    """The chunk results of a joblib run, as one array."""
    return np.concatenate(parts) if parts else np.empty(0)


# --------------------------------------------------------------- numpy --

# ANCHOR: driver_numpy
def driver_numpy(x, num=DRIVER_NUM, den=DRIVER_DEN):
    """`driver` over the float64 array `x`: two ufunc passes of C loops.

    `(x + num) + 1.0` in the order of the Rust and Python `driver`.
    """
    return np.log(x + num + 1.0) / np.sqrt(x + den + 1.0)
# ANCHOR_END: driver_numpy


def square_numpy(x):
    """`x * x` over a uint64 array (wrapping, like Rust's `wrapping_mul`)."""
    return x * x


# Points per block in `pi_numpy`: 2 x 64 KiB x 8 bytes stays in L2 cache
# instead of allocating 16 MB per task.
PI_BLOCK = 1 << 16


def pi_numpy(seed, trials):
    """Monte Carlo pi with numpy's `default_rng(seed)` (PCG64), in blocks."""
    rng = np.random.default_rng(seed)
    inside = 0
    done = 0
    x = np.empty(PI_BLOCK)
    y = np.empty(PI_BLOCK)
    while done < trials:
        m = min(PI_BLOCK, trials - done)
        xs, ys = x[:m], y[:m]
        rng.random(out=xs)
        rng.random(out=ys)
        np.multiply(xs, xs, out=xs)
        np.multiply(ys, ys, out=ys)
        np.add(xs, ys, out=xs)
        inside += int(np.count_nonzero(xs <= 1.0))
        done += m
    return 4.0 * inside / trials


# --------------------------------------------------------------- numba --

if NUMBA is not None:
    # ANCHOR: driver_numba
    @njit(cache=False)
    def driver_numba(x, num, den):
        """`driver` over `x`, one compiled loop."""
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = np.log(x[i] + num + 1.0) / np.sqrt(x[i] + den + 1.0)
        return out

    @njit(parallel=True, cache=False)
    def driver_numba_prange(x, num, den):
        """`driver` over `x`, the loop split over numba's threads."""
        out = np.empty_like(x)
        for i in prange(x.size):
            out[i] = np.log(x[i] + num + 1.0) / np.sqrt(x[i] + den + 1.0)
        return out
    # ANCHOR_END: driver_numba

    @njit(cache=False)
    def square_numba(x):
        """`x * x` over a uint64 array, one compiled loop."""
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = x[i] * x[i]
        return out

    @njit(parallel=True, cache=False)
    def square_numba_prange(x):
        """`x * x` over a uint64 array on numba's threads."""
        out = np.empty_like(x)
        for i in prange(x.size):
            out[i] = x[i] * x[i]
        return out

    @njit(cache=False, nogil=True)
    def pi_numba(seed, trials):
        """Monte Carlo pi, compiled; numba's generator of the running thread,
        seeded with `seed` (so the estimate depends on the seed alone)."""
        np.random.seed(seed)
        inside = 0
        for _ in range(trials):
            x = np.random.random()
            y = np.random.random()
            if x * x + y * y <= 1.0:
                inside += 1
        return 4.0 * inside / trials

    @njit(cache=False)
    def pi_numba_serial(seeds, trials):
        """`pi_numba` for every seed, in order."""
        out = np.empty(seeds.size)
        for i in range(seeds.size):
            out[i] = pi_numba(seeds[i], trials)
        return out

    @njit(parallel=True, cache=False)
    def pi_numba_prange(seeds, trials):
        """`pi_numba` for every seed, one task per `prange` iteration."""
        out = np.empty(seeds.size)
        for i in prange(seeds.size):
            out[i] = pi_numba(seeds[i], trials)
        return out


    # ---- the Rust `pi_mc_streams` kernel, ported: same generators, seeds and
    # arithmetic, so its estimates equal Rust's bit for bit (run.py checks).
    PI_STREAMS = 8
    M64 = np.uint64(0xFFFFFFFFFFFFFFFF)

    @njit(inline="always")
    def _rotl(x, k):
        return (x << np.uint64(k)) | (x >> np.uint64(64 - k))

    @njit(inline="always")
    def _mix(z):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))

    @njit(cache=False)
    def _lanes(seed):
        """Lane k: SplitMix64 from derive_seed(seed, k), as `Lanes::new`."""
        s = np.empty((4, PI_STREAMS), dtype=np.uint64)
        golden = np.uint64(0x9E3779B97F4A7C15)
        for k in range(PI_STREAMS):
            state = _mix(np.uint64(seed) ^ (np.uint64(k) * golden))
            for j in range(4):
                state = state + golden
                s[j, k] = _mix(state)
        return s

    @njit(inline="always")
    def _step(a, b, c, d):
        """One xoshiro256++ step: (output, new state)."""
        result = _rotl(a + d, 23) + a
        t = b << np.uint64(17)
        c ^= a
        d ^= b
        b ^= c
        a ^= d
        c ^= t
        return result, a, b, c, _rotl(d, 45)

    UNIT = 2.0 ** -52

    @njit(cache=False, nogil=True)
    def pi_numba_streams(seed, trials):
        """`workloads::pi_mc_streams` in numba: 8 xoshiro256++ lanes.

        `float(bits >> 12) * 2^-52` is exactly Rust's `from_bits(..) - 1.0`.
        """
        s = _lanes(seed)
        s0 = s[0].copy()
        s1 = s[1].copy()
        s2 = s[2].copy()
        s3 = s[3].copy()
        inside = np.zeros(PI_STREAMS, dtype=np.int64)
        rounds = trials // PI_STREAMS
        for _ in range(rounds):
            for k in range(PI_STREAMS):  # a constant trip count: vectorisable
                rx, a, b, c, d = _step(s0[k], s1[k], s2[k], s3[k])
                ry, a, b, c, d = _step(a, b, c, d)
                s0[k], s1[k], s2[k], s3[k] = a, b, c, d
                x = float(rx >> np.uint64(12)) * UNIT
                y = float(ry >> np.uint64(12)) * UNIT
                inside[k] += x * x + y * y <= 1.0
        for k in range(trials % PI_STREAMS):
            rx, a, b, c, d = _step(s0[k], s1[k], s2[k], s3[k])
            ry, a, b, c, d = _step(a, b, c, d)
            x = float(rx >> np.uint64(12)) * UNIT
            y = float(ry >> np.uint64(12)) * UNIT
            inside[k] += x * x + y * y <= 1.0
        return 4.0 * inside.sum() / trials

    @njit(parallel=True, cache=False)
    def pi_numba_streams_prange(seeds, trials):
        """`pi_numba_streams` for every seed, one task per `prange` iteration."""
        out = np.empty(seeds.size)
        for i in prange(seeds.size):
            out[i] = pi_numba_streams(seeds[i], trials)
        return out


def set_threads(jobs):
    """numba's thread count for `prange` (at most its NUMBA_NUM_THREADS)."""
    numba.set_num_threads(min(jobs, numba.config.NUMBA_NUM_THREADS))
    return numba.get_num_threads()
