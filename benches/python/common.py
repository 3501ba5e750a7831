"""Shared by the workload scripts: command line, timing and the JSON they print.

Every workload script (`driver.py`, `pi.py`, ...) is run by `run.py` as
`python <script> --jobs J [--smoke]` inside the pinned virtual environment, and
prints one JSON list of measurements on stdout, each of the shape

    {"bench": "python", "group": "python/<workload>", "workload": "<workload>",
     "strategy": "...", "jobs": J, "n": N, "title": "python/<workload>/<strategy>/jobs=J,n=N",
     "median_ns": ..., "median_low_ns": ..., "median_high_ns": ..., "mean_ns": ...,
     "samples": K, "note": "..." | null, "check": {...} | null}

Times are nanoseconds per whole run of the n tasks (as criterion reports an
iteration). `median_low_ns` / `median_high_ns` are the fastest and slowest of
the K repetitions (criterion's confidence interval has no equivalent over so
few repetitions). `check` is a digest of the results, which `run.py` compares
with the Rust results.
"""

import argparse
import json
import math
import os
import statistics
import struct
import sys
import time
import zlib

MASK64 = (1 << 64) - 1


def parse_args(description):
    """`--jobs J` (default: the cores this process may use) and `--smoke`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--jobs", type=positive_int, default=default_jobs())
    parser.add_argument("--smoke", action="store_true", help="tiny sizes")
    return parser.parse_args()


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def default_jobs():
    """Cores available to this process (like `std::thread::available_parallelism`)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# How long the numpy, joblib-over-numpy and numba rows run untimed before
# they are timed (`Bench.measure`'s `warmup_s`): long enough for numba's
# threads and the allocator to settle, as criterion's warm-up does for Rust.
WARMUP_S = 0.5


class Bench:
    """Collects the measurements of one workload script."""

    def __init__(self, workload, smoke):
        self.workload = workload
        self.smoke = smoke
        self.measurements = []

    def measure(self, strategy, jobs, n, run, reps=5, budget_s=10.0, note=None,
                check=None, setup=None, warmup_s=0.0):
        """Times `run()` (one whole run of the n tasks) up to `reps` times.

        With `warmup_s`, `run()` first runs untimed until that much time has
        passed (at least once), as criterion warms up before it measures: the
        threads of numba's pool started and spinning, the output's pages
        mapped, the caches filled. Stops early once the repetitions took
        `budget_s` in total (at least one always runs). `setup()`, if given, runs untimed before each repetition.
        `check(result)` turns the last result into a digest. Returns the last
        result.
        """
        if self.smoke:
            reps, budget_s, warmup_s = min(reps, 2), min(budget_s, 1.0), 0.0
        if warmup_s > 0:
            start = time.perf_counter()
            run()
            while time.perf_counter() - start < warmup_s:
                run()
        samples = []
        total = 0.0
        result = None
        while len(samples) < reps and (not samples or total < budget_s):
            if setup:
                setup()
            start = time.perf_counter_ns()
            result = run()
            elapsed = time.perf_counter_ns() - start
            samples.append(elapsed)
            total += elapsed / 1e9
        group = f"python/{self.workload}"
        self.measurements.append({
            "bench": "python",
            "group": group,
            "workload": self.workload,
            "strategy": strategy,
            "jobs": jobs,
            "n": n,
            "title": f"{group}/{strategy}/jobs={jobs},n={n}",
            "median_ns": float(statistics.median(samples)),
            "median_low_ns": float(min(samples)),
            "median_high_ns": float(max(samples)),
            "mean_ns": float(statistics.fmean(samples)),
            "samples": len(samples),
            "note": note,
            "check": check(result) if check else None,
        })
        print(f"  {strategy:<40} jobs={jobs:<2} n={n:<8} "
              f"median {statistics.median(samples) / 1e9:9.4f} s  ({len(samples)} runs)",
              file=sys.stderr, flush=True)
        return result

    def emit(self):
        """Prints the measurements as JSON on stdout."""
        json.dump(self.measurements, sys.stdout)
        sys.stdout.write("\n")


def hex_bits(x):
    """The bits of a float, as Rust's `format!("{:#018x}", x.to_bits())`."""
    return "0x" + struct.pack(">d", x).hex()


def float_digest(values, first=8):
    """Digest of a list of floats: first few bits, left-to-right sum, CRC-32."""
    total = 0.0
    for x in values:  # not sum(): Python 3.12+ sums floats with compensation
        total += x
    crc = zlib.crc32(struct.pack(f"<{len(values)}d", *values))
    return {"n": len(values), "first_bits": [hex_bits(x) for x in values[:first]],
            "sum": total, "sum_bits": hex_bits(total), "crc32_le_f64": crc}


def u64_digest(values, first=8):
    """Digest of a list of u64s: first few, wrapping sum, CRC-32."""
    values = [v & MASK64 for v in values]
    crc = zlib.crc32(struct.pack(f"<{len(values)}Q", *values))
    return {"n": len(values), "first": values[:first],
            "wrapping_sum": sum(values) & MASK64, "crc32_le_u64": crc}


def pi_digest(estimates, trials, family="random.Random"):
    """The estimates and their bits, compared exactly between the strategies
    of one `family` (one generator: `random.Random`, numpy, numba, ...)."""
    return {"n": len(estimates), "trials": trials, "estimates": list(estimates),
            "bits": [hex_bits(x) for x in estimates], "family": family}


def chunks(n, count):
    """`count` contiguous (start, stop) ranges covering range(n)."""
    count = max(1, min(count, n))
    step = math.ceil(n / count)
    return [(s, min(s + step, n)) for s in range(0, n, step)]


def warm_dask():
    """Runs one trivial dask task on the in-process schedulers, untimed, so that
    the first measured compute does not pay for dask's lazy imports."""
    import dask

    from tasks import square
    for scheduler in ("single-threaded", "threads"):
        dask.compute(dask.delayed(square)(2), scheduler=scheduler)
