"""The tasks of `crates/workloads`, written the way the Python originals write them.

Plain functions at module level, so that `multiprocessing`, joblib (loky) and
dask can pickle them by reference and run them in worker processes. Imported
by every workload script in this directory; see `run.py` for how to run them.
"""

import math
import random
import time
import zlib

# `workloads::DRIVER_NUM` / `workloads::DRIVER_DEN`: the notebook's defaults.
DRIVER_NUM = 1.0
DRIVER_DEN = 2.0


# ANCHOR: driver
def driver(number, num=DRIVER_NUM, den=DRIVER_DEN):
    """`log(number + num + 1) / sqrt(number + den + 1)`: the dask notebook's task."""
    return math.log(number + num + 1) / math.sqrt(number + den + 1)
# ANCHOR_END: driver


def driver_batch(start, stop):
    """`driver` over `range(start, stop)`: one task per batch, as dask's docs advise."""
    return [driver(i) for i in range(start, stop)]


# ANCHOR: pi_mc
def pi_mc(seed, trials=1_000_000):
    """Monte Carlo pi from `trials` random points, with a generator seeded by `seed`.

    `random.Random(seed)` is the Mersenne Twister, so the estimate is
    reproducible in Python but cannot equal the Rust one (xoshiro256++).
    """
    rng = random.Random(seed)
    inside = 0
    for _ in range(trials):
        x, y = rng.random(), rng.random()
        if x * x + y * y <= 1.0:
            inside += 1
    return 4.0 * inside / trials
# ANCHOR_END: pi_mc


def sleepy(seconds):
    """Sleeps `seconds` and returns them: the joblib notebook's `time.sleep(i)`."""
    time.sleep(seconds)
    return seconds


def square(x):
    """`x * x`: the trivial task that measures per-task overhead."""
    return x * x


def square_batch(start, stop):
    """`square` over `range(start, stop)`."""
    return [square(i) for i in range(start, stop)]


def process_file(path):
    """Size, whitespace-separated word count and CRC-32 of one file."""
    with open(path, "rb") as f:
        data = f.read()
    return (len(data), len(data.split()), zlib.crc32(data))
