"""Start-up cost: start a pool or cluster, run one trivial task, shut it down.

Run through `python3 benches/python/run.py`; directly:
`target/python-venv/bin/python benches/python/startup.py --jobs 2 [--smoke]`.

n = 1: each row is the wall time from nothing to the first result and back to
nothing, the price paid once per `with Pool(...)`, per joblib executor and per
`LocalCluster`. The `serial` row is the task itself.
"""

import logging
import multiprocessing
import multiprocessing.pool
from functools import partial

from joblib import Parallel, delayed
from joblib.externals.loky import get_reusable_executor

from common import Bench, parse_args
from tasks import square


def pool_once(context, jobs):
    with context.Pool(jobs) as pool:
        return pool.apply(square, (3,))


def thread_pool_once(jobs):
    with multiprocessing.pool.ThreadPool(jobs) as pool:
        return pool.apply(square, (3,))


def loky_cold(jobs):
    return Parallel(n_jobs=jobs)(delayed(square)(3) for _ in range(1))[0]


def stop_loky():
    """Shuts joblib's reusable loky executor down, so the next call starts it."""
    get_reusable_executor().shutdown(wait=True, kill_workers=True)


def local_cluster_once(jobs, processes):
    from dask.distributed import Client, LocalCluster
    with LocalCluster(n_workers=jobs, threads_per_worker=1, processes=processes,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client:
        return client.submit(square, 3).result()


def main():
    args = parse_args(__doc__)
    jobs = args.jobs
    bench = Bench("startup", args.smoke)

    def check(result):
        return {"n": 1, "result": result}

    m = partial(bench.measure, reps=3, budget_s=15.0, check=check)
    m("serial", 1, 1, lambda: square(3), reps=100)
    default = multiprocessing.get_start_method()
    m("multiprocessing Pool", jobs, 1,
      lambda: pool_once(multiprocessing.get_context(), jobs),
      note=f"start method {default!r} (this platform's default)")
    for method in ["fork", "spawn"]:
        if method != default and method in multiprocessing.get_all_start_methods():
            m(f"multiprocessing Pool ({method})", jobs, 1,
              lambda mt=method: pool_once(multiprocessing.get_context(mt), jobs),
              note=f"start method {method!r}"
                   + (" (the default on macOS and Windows)" if method == "spawn" else ""))
    m("multiprocessing ThreadPool", jobs, 1, lambda: thread_pool_once(jobs))
    m("joblib loky", jobs, 1, lambda: loky_cold(jobs), setup=stop_loky,
      note="first Parallel call after the reusable executor was shut down")
    m("dask LocalCluster (processes)", jobs, 1,
      lambda: local_cluster_once(jobs, True),
      note=f"LocalCluster(n_workers={jobs}, threads_per_worker=1) + Client, "
           "submit one task, close")
    m("dask LocalCluster (threads)", jobs, 1,
      lambda: local_cluster_once(jobs, False),
      note="LocalCluster(processes=False): workers in this process")
    bench.emit()


if __name__ == "__main__":
    main()
