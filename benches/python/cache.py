"""joblib `Memory`: a 10-task pi sweep (10^5 trials each), first run and cached rerun.

Run through `python3 benches/python/run.py`; directly:
`target/python-venv/bin/python benches/python/cache.py --jobs 2 [--smoke]`.

Mirrors the Rust `caching/pi` bench: the uncached sweep (`serial`), the first
run through the cache (every call a miss that computes and stores), the rerun
served from the cache, serially and through joblib's loky backend, and the
latency of one hit and of `check_call_in_cache`. The cache lives in a fresh
directory under $PPR_PYTHON_TMP (set by run.py to target/python-tmp), deleted
afterwards.
"""

import os
import shutil
import tempfile
from functools import partial

from joblib import Memory, Parallel, delayed

from common import Bench, parse_args, pi_digest
from tasks import pi_mc, square


def main():
    args = parse_args(__doc__)
    jobs = args.jobs
    bench = Bench("cache", args.smoke)
    n, trials = 10, (1_000 if args.smoke else 100_000)
    seeds = range(n)
    parent = os.environ.get("PPR_PYTHON_TMP")
    if parent:
        os.makedirs(parent, exist_ok=True)
    location = tempfile.mkdtemp(prefix="joblib-memory-", dir=parent)
    try:
        memory = Memory(location, verbose=0)
        cached_pi = memory.cache(pi_mc)
        note = f"{trials} trials per task; Memory(location) on {location}"
        m = partial(bench.measure, reps=5, budget_s=8.0,
                    check=partial(pi_digest, trials=trials), note=note)

        m("serial", 1, n, lambda: [pi_mc(s, trials) for s in seeds])
        m("joblib Memory first run", 1, n,
          lambda: [cached_pi(s, trials) for s in seeds],
          setup=lambda: memory.clear(warn=False))
        m("joblib Memory cached rerun", 1, n,
          lambda: [cached_pi(s, trials) for s in seeds])
        loky = Parallel(n_jobs=jobs)
        loky(delayed(square)(i) for i in range(jobs))
        m("joblib Memory cached rerun, joblib loky", jobs, n,
          lambda: loky(delayed(cached_pi)(s, trials) for s in seeds))

        single = partial(bench.measure, reps=20, budget_s=4.0,
                         check=lambda r: pi_digest([r], trials) if isinstance(r, float) else
                         {"n": 1, "in_cache": r}, note=note)
        single("serial", 1, 1, lambda: pi_mc(0, trials))
        single("joblib Memory hit", 1, 1, lambda: cached_pi(0, trials))
        single("joblib Memory check_call_in_cache", 1, 1,
               lambda: cached_pi.check_call_in_cache(0, trials))
    finally:
        shutil.rmtree(location, ignore_errors=True)
    bench.emit()


if __name__ == "__main__":
    main()
