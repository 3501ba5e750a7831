"""Monte Carlo pi, one task per seed (16 seeds x 10^6 trials), every Python
strategy: pure Python, numpy, numba, and the Rust vectorised kernel in numba.

Run through `python3 benches/python/run.py`; directly:
`target/python-venv/bin/python benches/python/pi.py --jobs 2 [--smoke]`.

Each task is a pure-Python loop over `random.Random(seed)`, as the originals
write it. The estimates equal each other across strategies (checked by
`run.py`) but not the Rust ones, which use xoshiro256++: `run.py` compares
those statistically.
"""

import logging
import multiprocessing
from functools import partial

import dask
import numpy as np
from joblib import Parallel, delayed

from common import WARMUP_S, Bench, parse_args, pi_digest, warm_dask
import fast
from tasks import pi_mc, square


def main():
    args = parse_args(__doc__)
    jobs = args.jobs
    bench = Bench("pi", args.smoke)
    n, trials = (4, 1_000) if args.smoke else (16, 1_000_000)  # as thread_pools/pi
    task = partial(pi_mc, trials=trials)
    note = f"{trials} trials per task; random.Random(seed) with seed = task index"
    seeds = range(n)
    m = partial(bench.measure, reps=3, budget_s=8.0,
                check=partial(pi_digest, trials=trials))

    m("serial", 1, n, lambda: [pi_mc(s, trials) for s in seeds], note=note)
    for workers in sorted({1, jobs}):
        with multiprocessing.Pool(workers) as pool:
            pool.map(square, range(workers))
            m("multiprocessing Pool.map", workers, n,
              lambda: pool.map(task, seeds), note=note + "; default chunksize")
            if workers > 1:
                m("multiprocessing Pool.map chunksize=1", workers, n,
                  lambda: pool.map(task, seeds, chunksize=1), note=note)
    loky = Parallel(n_jobs=jobs)
    loky(delayed(square)(i) for i in range(jobs))
    m("joblib loky", jobs, n, lambda: loky(delayed(pi_mc)(s, trials) for s in seeds),
      note=note)
    threading = Parallel(n_jobs=jobs, backend="threading")
    m("joblib threading", jobs, n,
      lambda: threading(delayed(pi_mc)(s, trials) for s in seeds),
      note=note + "; the GIL lets one thread run Python at a time")
    warm_dask()
    for scheduler in ["single-threaded", "threads", "processes"]:
        workers = 1 if scheduler == "single-threaded" else jobs
        extra = {} if scheduler == "single-threaded" else {"num_workers": jobs}
        m(f"dask {scheduler} delayed", workers, n,
          lambda s=scheduler, e=extra: list(dask.compute(
              *[dask.delayed(pi_mc)(seed, trials) for seed in seeds],
              scheduler=s, **e)),
          note=note + ("; starts worker processes on every compute"
                       if scheduler == "processes" else ""))

    numeric(bench, n, trials, jobs)

    from dask.distributed import Client, LocalCluster
    with LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        client.gather(client.map(square, range(jobs)))
        m("dask distributed LocalCluster", jobs, n,
          lambda: client.gather(client.compute(
              [dask.delayed(pi_mc)(s, trials) for s in seeds])),
          note=note + f"; Client.compute + gather on a running LocalCluster of "
                      f"{jobs} worker processes x 1 thread")
    bench.emit()


def numeric(bench, n, trials, jobs):
    """numpy (blocks of vectorised draws), joblib over numpy tasks, numba
    (`@njit` and `prange`, numba's Mersenne Twister), and the port of the Rust
    `pi_mc_streams` kernel to numba (8 xoshiro256++ lanes: equal to Rust's
    estimates bit for bit). Each family's estimates are compared with its
    first row's; `family` names the generator."""
    seeds = np.arange(n, dtype=np.uint64)

    def m(strategy, workers, run, family, note):
        bench.measure(strategy, workers, n, run, reps=7, budget_s=6.0, note=note,
                      warmup_s=WARMUP_S,
                      check=lambda r: pi_digest(list(map(float, r)), trials,
                                                family=family))

    np_note = "numpy default_rng(seed) (PCG64), blocks of 2^16 points"
    m("numpy", 1, lambda: [fast.pi_numpy(s, trials) for s in range(n)], "numpy",
      np_note)
    with Parallel(n_jobs=jobs, backend="threading") as threads:
        threads(delayed(square)(i) for i in range(jobs))
        m("joblib threading + numpy", jobs,
          lambda: threads(delayed(fast.pi_numpy)(s, trials) for s in range(n)),
          "numpy", np_note + "; one task per seed on threads")
    with Parallel(n_jobs=jobs) as loky:
        loky(delayed(square)(i) for i in range(jobs))
        m("joblib loky + numpy", jobs,
          lambda: loky(delayed(fast.pi_numpy)(s, trials) for s in range(n)),
          "numpy", np_note + "; one task per seed on worker processes")
    if fast.numba_missing("pi"):
        return
    fast.pi_numba_serial(seeds[:1], 8)  # compile outside the timing
    mt = f"numba {fast.NUMBA}: np.random.seed(seed) in compiled code (per-thread MT19937)"
    m("numba", 1, lambda: fast.pi_numba_serial(seeds, trials), "numba MT19937", mt)
    fast.pi_numba_prange(seeds[:1], 8)
    for threads in sorted({1, jobs}):
        fast.set_threads(threads)
        m("numba prange", threads, lambda: fast.pi_numba_prange(seeds, trials),
          "numba MT19937", mt + f"; prange over seeds, {threads} threads")
    lanes = "the Rust pi_mc_streams kernel ported to numba (8 xoshiro256++ lanes)"
    fast.pi_numba_streams(0, 8)
    m("numba xoshiro lanes", 1,
      lambda: [fast.pi_numba_streams(s, trials) for s in range(n)],
      "xoshiro256++ lanes", lanes)
    fast.pi_numba_streams_prange(seeds[:1], 8)
    fast.set_threads(jobs)
    m("numba xoshiro lanes prange", jobs,
      lambda: fast.pi_numba_streams_prange(seeds, trials), "xoshiro256++ lanes",
      lanes + f"; prange over seeds, {jobs} threads")
    with Parallel(n_jobs=jobs, backend="threading") as threads:
        threads(delayed(square)(i) for i in range(jobs))
        m("joblib threading + numba xoshiro lanes", jobs,
          lambda: threads(delayed(fast.pi_numba_streams)(s, trials) for s in range(n)),
          "xoshiro256++ lanes", lanes + "; @njit(nogil=True), one task per seed on threads")


if __name__ == "__main__":
    main()
