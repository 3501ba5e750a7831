"""One task per file: word count + CRC-32 of each file of the generated corpus.

Run through `python3 benches/python/run.py`, which generates the corpus with
the Rust `workloads::generate_corpus` (so both languages read the same bytes)
and passes its directory in $PPR_PYTHON_CORPUS; directly:
`PPR_PYTHON_CORPUS=dir target/python-venv/bin/python benches/python/files.py --jobs 2`.
Without a corpus the script prints an empty list.
"""

import multiprocessing
import os
import sys
from functools import partial

import dask
from joblib import Parallel, delayed

from common import Bench, parse_args
from tasks import process_file, square


def main():
    args = parse_args(__doc__)
    jobs = args.jobs
    bench = Bench("files", args.smoke)
    corpus = os.environ.get("PPR_PYTHON_CORPUS")
    if not corpus or not os.path.isdir(corpus):
        print("  files: no corpus ($PPR_PYTHON_CORPUS unset): skipped", file=sys.stderr)
        bench.emit()
        return
    paths = sorted(os.path.join(corpus, f) for f in os.listdir(corpus)
                   if f.startswith("file-") and f.endswith(".txt"))
    n = len(paths)

    def check(result):
        return {"n": len(result), "stats": [list(s) for s in result]}

    note = f"{n} files of {os.path.getsize(paths[0]) if paths else 0} bytes"
    m = partial(bench.measure, reps=5, budget_s=8.0, check=check, note=note)
    m("serial", 1, n, lambda: [process_file(p) for p in paths])
    with multiprocessing.Pool(jobs) as pool:
        pool.map(square, range(jobs))
        m("multiprocessing Pool.map", jobs, n, lambda: pool.map(process_file, paths))
    loky = Parallel(n_jobs=jobs)
    loky(delayed(square)(i) for i in range(jobs))
    m("joblib loky", jobs, n, lambda: loky(delayed(process_file)(p) for p in paths))
    threading = Parallel(n_jobs=jobs, backend="threading")
    m("joblib threading", jobs, n,
      lambda: threading(delayed(process_file)(p) for p in paths))
    m("dask threads delayed", jobs, n,
      lambda: list(dask.compute(*[dask.delayed(process_file)(p) for p in paths],
                                scheduler="threads", num_workers=jobs)))
    bench.emit()


if __name__ == "__main__":
    main()
