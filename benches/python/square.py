"""Per-task overhead: the trivial task `square` over range(n) (n = 10^6), and
the same work vectorised (numpy) and compiled (numba).

Run through `python3 benches/python/run.py`; directly:
`target/python-venv/bin/python benches/python/square.py --jobs 2 [--smoke]`.

Time per task (median_ns / n) is the cost of the machinery, since the task
itself takes a few tens of nanoseconds. The strategies that pay per task
(`chunksize=1`, the threading backend, one dask `delayed` per element) run on
a smaller n, recorded in each row's `note`.
"""

import multiprocessing
import multiprocessing.pool
from functools import partial

import dask
import numpy as np
from joblib import Parallel, delayed

from common import WARMUP_S, Bench, chunks, parse_args, u64_digest, warm_dask
import fast
from tasks import square, square_batch


def main():
    args = parse_args(__doc__)
    jobs = args.jobs
    bench = Bench("square", args.smoke)
    # The sizes of the Rust benches: thread_pools/square (n) and
    # process_pools/square (n_per_task, its "ProcessPool unbatched" row).
    n = 10**3 if args.smoke else 10**6
    n_per_task = 64 if args.smoke else 20_000
    n_dask = 4**3 if args.smoke else 4**6
    smaller = "n reduced from 10^6 (per-task cost), as process_pools/square"

    for size in sorted({n, n_per_task, n_dask}):
        bench.measure("serial", 1, size, lambda size=size: [square(i) for i in range(size)],
                      check=u64_digest)
    numeric(bench, n, jobs)
    with multiprocessing.Pool(jobs) as pool:
        pool.map(square, range(jobs))
        bench.measure("multiprocessing Pool.map", jobs, n,
                      lambda: pool.map(square, range(n)), check=u64_digest,
                      note="default chunksize = ceil(n / (4 * jobs))")
        bench.measure("multiprocessing Pool.map chunksize=1", jobs, n_per_task,
                      lambda: pool.map(square, range(n_per_task), chunksize=1),
                      reps=3, check=u64_digest, note=smaller)
        bench.measure("multiprocessing Pool.imap_unordered chunksize=1", jobs,
                      n_per_task,
                      lambda: sorted(pool.imap_unordered(square, range(n_per_task))),
                      reps=3, check=u64_digest,
                      note=smaller + "; results sorted back into order for the check")
    with multiprocessing.pool.ThreadPool(jobs) as pool:
        bench.measure("multiprocessing ThreadPool.map", jobs, n,
                      lambda: pool.map(square, range(n)), check=u64_digest,
                      note="threads; default chunksize")
    loky = Parallel(n_jobs=jobs)
    loky(delayed(square)(i) for i in range(jobs))
    bench.measure("joblib loky", jobs, n,
                  lambda: loky(delayed(square)(i) for i in range(n)),
                  reps=3, check=u64_digest, note="batch_size='auto'")
    threading = Parallel(n_jobs=jobs, backend="threading")
    bench.measure("joblib threading", jobs, n_per_task,
                  lambda: threading(delayed(square)(i) for i in range(n_per_task)),
                  reps=3, check=u64_digest, note=smaller)
    warm_dask()
    for scheduler in ["single-threaded", "threads"]:
        workers = 1 if scheduler == "single-threaded" else jobs
        extra = {} if scheduler == "single-threaded" else {"num_workers": jobs}
        bench.measure(
            f"dask {scheduler} delayed", workers, n_dask,
            lambda s=scheduler, e=extra: list(dask.compute(
                *[dask.delayed(square)(i) for i in range(n_dask)], scheduler=s, **e)),
            reps=3, check=u64_digest,
            note="n reduced from 10^6 to 4^6 (dask: ~0.5 ms per task)")
        batches = chunks(n, 4 * jobs)
        bench.measure(
            f"dask {scheduler} delayed batched", workers, n,
            lambda s=scheduler, e=extra, b=batches: [
                x for part in dask.compute(
                    *[dask.delayed(square_batch)(lo, hi) for lo, hi in b],
                    scheduler=s, **e)
                for x in part],
            reps=3, check=u64_digest, note=f"{len(batches)} delayed batches")
    bench.emit()


def numeric(bench, n, jobs):
    """numpy, joblib over numpy chunks, numba and numba prange on n uint64s
    (the input array built outside the timing)."""
    x = np.arange(n, dtype=np.uint64)
    m = partial(bench.measure, reps=101, budget_s=3.0, warmup_s=WARMUP_S,
                check=lambda a: u64_digest(a.tolist()))
    m("numpy", 1, n, lambda: fast.square_numpy(x), note="x * x over a uint64 array")
    parts = [x[lo:hi] for lo, hi in chunks(n, 4 * jobs)]
    with Parallel(n_jobs=jobs, backend="threading") as threads:
        threads(delayed(fast.square_numpy)(p) for p in parts)
        m("joblib threading + numpy", jobs, n,
          lambda: fast.join(threads(delayed(fast.square_numpy)(p) for p in parts)),
          note=f"{len(parts)} numpy chunks on threads")
    if fast.numba_missing("square"):
        return
    fast.square_numba(x[:8])
    m("numba", 1, n, lambda: fast.square_numba(x), note=f"@njit loop (numba {fast.NUMBA})")
    fast.square_numba_prange(x[:8])
    for threads in sorted({1, jobs}):
        fast.set_threads(threads)
        m("numba prange", threads, n, lambda: fast.square_numba_prange(x),
          note=f"prange, {threads} numba threads")


if __name__ == "__main__":
    main()
