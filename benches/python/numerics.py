"""The numerical stack the Python rows ran on, for the report's machine label:
numba's version, the threading layer `prange` used (`omp`, `tbb` or
`workqueue`: known only after a parallel function has run) and whether it
uses Intel's SVML for vectorised math, and numpy's
version and BLAS. Prints one JSON object; `run.py` runs it after the
workloads, in its own process, so it never changes what they measured.

Directly: `target/python-venv/bin/python benches/python/numerics.py`.
"""

import json


def numba_info():
    try:
        import numba
        import numpy as np
    except Exception:  # ImportError, or a broken llvmlite
        return {}

    @numba.njit(parallel=True, cache=False)
    def touch(n):
        out = np.zeros(n)
        for i in numba.prange(n):
            out[i] = i
        return out

    touch(64)
    return {"numba": numba.__version__,
            "numba_threading_layer": numba.threading_layer(),
            "numba_threads": numba.get_num_threads(),
            # Intel's vector math library: with it, numba vectorises `log`.
            # Only an SVML-patched LLVM (Anaconda's llvmlite) can use it;
            # PyPI's llvmlite wheels are not patched.
            "numba_svml": bool(numba.config.USING_SVML)}


def numpy_info():
    try:
        import numpy as np
    except ImportError:
        return {}
    blas = None
    try:  # numpy >= 1.25
        deps = np.show_config(mode="dicts").get("Build Dependencies", {})
        b = deps.get("blas", {})
        blas = " ".join(str(b[k]) for k in ("name", "version") if b.get(k))
    except Exception:
        pass
    return {"numpy": np.__version__, "numpy_blas": blas or "unknown"}


if __name__ == "__main__":
    print(json.dumps({**numpy_info(), **numba_info()}))
