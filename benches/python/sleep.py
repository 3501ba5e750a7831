"""The joblib notebook's sleep example: 5 tasks sleeping 0.5, 1, ..., 2.5 s x scale.

Run through `python3 benches/python/run.py`; directly:
`target/python-venv/bin/python benches/python/sleep.py --jobs 2 [--smoke]`.

`scale` is 0.2 (0.01 with --smoke), as the Rust demos' `--scale`: task i
sleeps `0.5 * (i + 1) * scale` seconds. Waiting holds no core, so more workers
than cores help here: the rows with jobs = n show it.
"""

import multiprocessing
from functools import partial

import dask
from joblib import Parallel, delayed

from common import Bench, parse_args
from tasks import sleepy, square


def main():
    args = parse_args(__doc__)
    jobs = args.jobs
    bench = Bench("sleep", args.smoke)
    n = 5
    scale = 0.01 if args.smoke else 0.2
    seconds = [0.5 * (i + 1) * scale for i in range(n)]
    note = f"scale {scale}: sleeps {seconds} s"

    def check(result):
        return {"n": len(result), "scale": scale, "seconds": list(result)}

    m = partial(bench.measure, reps=3, check=check, note=note)
    m("serial", 1, n, lambda: [sleepy(s) for s in seconds])
    with multiprocessing.Pool(jobs) as pool:
        pool.map(square, range(jobs))
        m("multiprocessing Pool.map", jobs, n, lambda: pool.map(sleepy, seconds))
    for workers in sorted({jobs, n}):
        loky = Parallel(n_jobs=workers)
        loky(delayed(square)(i) for i in range(workers))
        m("joblib loky", workers, n, lambda: loky(delayed(sleepy)(s) for s in seconds))
        threading = Parallel(n_jobs=workers, backend="threading")
        m("joblib threading", workers, n,
          lambda: threading(delayed(sleepy)(s) for s in seconds))
        m("dask threads delayed", workers, n,
          lambda w=workers: list(dask.compute(
              *[dask.delayed(sleepy)(s) for s in seconds],
              scheduler="threads", num_workers=w)))
    bench.emit()


if __name__ == "__main__":
    main()
