"""`driver` over range(n) (n = 4^10): serial, multiprocessing, joblib, dask,
numpy (vectorised), joblib over numpy chunks, and numba (`@njit`, `prange`).

Run through `python3 benches/python/run.py` (which sets up the pinned venv);
directly: `target/python-venv/bin/python benches/python/driver.py --jobs 2 [--smoke]`.

The per-task strategies (`Pool.map` with chunksize=1, joblib's threading
backend, one dask `delayed` per element) cost tens to hundreds of microseconds
per task, so they run on a smaller n (recorded in each row's `note`) and are
compared with a serial run on the same n.
"""

import multiprocessing
from functools import partial

import dask
import numpy as np
from joblib import Parallel, delayed

from common import WARMUP_S, Bench, chunks, float_digest, parse_args, warm_dask
import fast
from tasks import DRIVER_DEN, DRIVER_NUM, driver, driver_batch


def main():
    args = parse_args(__doc__)
    jobs = args.jobs
    bench = Bench("driver", args.smoke)
    n = 4**5 if args.smoke else 4**10  # as the Rust benches: thread_pools/driver
    n_per_task = 4**4 if args.smoke else 4**8  # Pool chunksize=1, joblib threading
    n_dask = 4**3 if args.smoke else 4**6  # one dask delayed per element
    smaller = "n reduced from 4^10: {} per task would take {}"
    note_per_task = smaller.format("~30-50 us", "30-60 s per run")
    note_dask = smaller.format("~0.5 ms", "about 10 minutes per run")

    reference = None
    for size in sorted({n, n_per_task, n_dask}):
        result = bench.measure("serial", 1, size,
                               lambda size=size: [driver(i) for i in range(size)],
                               check=float_digest)
        if size == n:
            reference = result
    numeric(bench, n, jobs, reference)

    with multiprocessing.Pool(jobs) as pool:
        pool.map(driver, range(jobs))  # workers started before timing
        bench.measure("multiprocessing Pool.map", jobs, n,
                      lambda: pool.map(driver, range(n)), check=float_digest,
                      note="default chunksize = ceil(n / (4 * jobs))")
        bench.measure("multiprocessing Pool.map chunksize=1", jobs, n_per_task,
                      lambda: pool.map(driver, range(n_per_task), chunksize=1),
                      reps=3, check=float_digest, note=note_per_task)
        bench.measure("multiprocessing Pool.starmap", jobs, n,
                      lambda: pool.starmap(driver, ((i, 1.0, 2.0) for i in range(n))),
                      check=float_digest, note="arguments (i, 1.0, 2.0), default chunksize")

    loky = Parallel(n_jobs=jobs)
    loky(delayed(driver)(i) for i in range(jobs))  # workers started before timing
    bench.measure("joblib loky", jobs, n,
                  lambda: loky(delayed(driver)(i) for i in range(n)),
                  reps=3, check=float_digest,
                  note="Parallel(n_jobs)(delayed(driver)(i) for i in range(n)), "
                       "default backend, batch_size='auto'")
    threading = Parallel(n_jobs=jobs, backend="threading")
    bench.measure("joblib threading", jobs, n_per_task,
                  lambda: threading(delayed(driver)(i) for i in range(n_per_task)),
                  reps=3, check=float_digest, note=note_per_task)

    warm_dask()
    for scheduler, label in [("single-threaded", "dask single-threaded"),
                             ("threads", "dask threads"), ("processes", "dask processes")]:
        workers = 1 if scheduler == "single-threaded" else jobs
        extra = {} if scheduler == "single-threaded" else {"num_workers": jobs}
        note = note_dask
        if scheduler == "processes":
            note += "; the processes scheduler starts its worker processes on every compute"
        bench.measure(
            f"{label} delayed", workers, n_dask,
            lambda s=scheduler, e=extra: list(dask.compute(
                *[dask.delayed(driver)(i) for i in range(n_dask)], scheduler=s, **e)),
            reps=3, check=float_digest, note=note)
        batches = chunks(n, 4 * jobs)
        bench.measure(
            f"{label} delayed batched", workers, n,
            lambda s=scheduler, e=extra, b=batches: [
                x for part in dask.compute(
                    *[dask.delayed(driver_batch)(lo, hi) for lo, hi in b],
                    scheduler=s, **e)
                for x in part],
            reps=3, check=float_digest,
            note=f"{len(batches)} delayed tasks of ~{n // len(batches)} elements "
                 "(batching, as dask's best practices advise)"
                 + ("; starts worker processes on every compute"
                    if scheduler == "processes" else ""))
    bench.emit()


def numeric(bench, n, jobs, reference):
    """numpy, joblib over numpy chunks, numba and numba prange on n elements;
    the float64 input array is built outside the timing, as Rust's `Vec`."""
    x = np.arange(n, dtype=np.float64)
    m = partial(bench.measure, reps=101, budget_s=3.0, warmup_s=WARMUP_S,
                check=partial(fast.close_digest, reference=reference))
    m("numpy", 1, n, lambda: fast.driver_numpy(x),
      note="np.log(x + 1 + 1) / np.sqrt(x + 2 + 1) over a float64 array")
    parts = [x[lo:hi] for lo, hi in chunks(n, 4 * jobs)]
    with Parallel(n_jobs=jobs, backend="threading") as threads:
        threads(delayed(fast.driver_numpy)(p) for p in parts)
        m("joblib threading + numpy", jobs, n,
          lambda: fast.join(threads(delayed(fast.driver_numpy)(p) for p in parts)),
          note=f"{len(parts)} numpy chunks on threads (ufuncs release the GIL)")
    with Parallel(n_jobs=jobs) as loky:
        loky(delayed(fast.driver_numpy)(p) for p in parts)
        m("joblib loky + numpy", jobs, n,
          lambda: fast.join(loky(delayed(fast.driver_numpy)(p) for p in parts)),
          note=f"{len(parts)} numpy chunks on worker processes")
    if fast.numba_missing("driver"):
        return
    fast.driver_numba(x[:8], DRIVER_NUM, DRIVER_DEN)  # compile outside the timing
    m("numba", 1, n, lambda: fast.driver_numba(x, DRIVER_NUM, DRIVER_DEN),
      note=f"@njit loop (numba {fast.NUMBA})")
    fast.driver_numba_prange(x[:8], DRIVER_NUM, DRIVER_DEN)
    for threads in sorted({1, jobs}):
        fast.set_threads(threads)
        m("numba prange", threads, n,
          lambda: fast.driver_numba_prange(x, DRIVER_NUM, DRIVER_DEN),
          note=f"@njit(parallel=True) with prange, {threads} numba threads")


if __name__ == "__main__":
    main()
