"""Monte Carlo pi, one task per seed (16 seeds x 10^6 trials), every Python strategy.

Run through `python3 benches/python/run.py`; directly:
`target/python-venv/bin/python benches/python/pi_mc.py --jobs 2 [--smoke]`.

Each task is a pure-Python loop over `random.Random(seed)`, as the originals
write it. The estimates equal each other across strategies (checked by
`run.py`) but not the Rust ones, which use xoshiro256++: `run.py` compares
those statistically.
"""

import logging
import multiprocessing
from functools import partial

import dask
from joblib import Parallel, delayed

from common import Bench, parse_args, pi_digest, warm_dask
from tasks import pi_mc, square


def main():
    args = parse_args(__doc__)
    jobs = args.jobs
    bench = Bench("pi_mc", args.smoke)
    n, trials = (4, 1_000) if args.smoke else (16, 1_000_000)  # as thread_pools/pi_mc
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


if __name__ == "__main__":
    main()
