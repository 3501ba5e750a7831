#!/usr/bin/env python3
"""Runs the Python reference workloads and checks them against the Rust results.

    python3 benches/python/run.py [--out target/bench-report/python.json]
                                  [--smoke] [--jobs N] [--workloads driver,pi]
                                  [--no-rust]

1. Creates (or reuses) a virtual environment in `target/python-venv` with the
   pinned packages of `benches/python/requirements.txt` (`pip install -r`;
   needs the network the first time) and re-executes itself inside it.
2. Generates the corpus of the `files` workload with the Rust
   `workloads::generate_corpus` (`cargo run -p workloads --example
   reference_values`), so both languages read the same bytes.
3. Runs every workload script (`driver.py`, `pi.py`, `square.py`,
   `sleep.py`, `startup.py`, `cache.py`, `files.py`), each in its own process;
   each prints a JSON list of measurements (shape: see `common.py`).
4. Checks the results: deterministic ones (`driver`, `square`, `files`,
   `sleep`) bit for bit against the Rust values printed by the
   `reference_values` example (numpy rows may be `close`: within 2 ulp of
   libm, reported as such); `pi` exactly between the strategies of one
   generator family, the first of each family statistically against Rust
   (Mersenne Twister, PCG64 and xoshiro256++ cannot agree bit for bit), and
   the numba port of Rust's `pi_mc_streams` exactly against Rust; cached
   results against the uncached ones.
5. Writes one JSON file:
   `{"python", "packages", "numerics", "machine", "mode", "jobs", "elapsed_s",
     "measurements": [...], "checks": [...], "errors": [...]}`
   and prints a table per workload on stderr.

`--smoke` uses tiny sizes: the whole run takes seconds (after the venv exists).
`--no-rust` skips everything that needs cargo (the checks against Rust and the
`files` workload).

Exit status: 0 all measured and every check passed; 1 a check failed or a
workload script failed; 2 bad arguments; 3 the environment is unusable (Python
older than 3.10, no `venv` module, pip or the network failed), with a message
saying what to install.
"""

import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REQUIREMENTS = os.path.join(HERE, "requirements.txt")
WORKLOADS = ["driver", "pi", "square", "sleep", "startup", "cache", "files"]
IN_VENV_ENV = "PPR_PYTHON_IN_VENV"
EXIT_ENV_UNUSABLE = 3
MIN_PYTHON = (3, 10)
# A Python pi estimate from T trials has standard error about
# 4 * sqrt(p (1 - p)) / sqrt(T) with p = pi / 4.
PI_SE_ONE_TRIAL = 4.0 * math.sqrt(math.pi / 4 * (1 - math.pi / 4))
PI_Z_LIMIT = 4.0  # for the means over all seeds
PI_Z_LIMIT_ONE = 5.0  # for any single Python estimate


def target_dir():
    return os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")


def parse_args():
    parser = argparse.ArgumentParser(
        description="Python reference workloads (joblib, multiprocessing, dask), "
                    "checked against the Rust results.")
    parser.add_argument("--out", default=os.path.join(target_dir(), "bench-report",
                                                      "python.json"),
                        help="JSON file to write (default: %(default)s)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes, so the whole run takes seconds")
    parser.add_argument("--jobs", type=int, default=None,
                        help="workers for the parallel strategies (default: cores)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help="comma-separated subset of: %(default)s")
    parser.add_argument("--no-rust", action="store_true",
                        help="skip the checks against Rust and the files workload")
    parser.add_argument("--venv", default=os.path.join(target_dir(), "python-venv"),
                        help="virtual environment to create or reuse "
                             "(default: %(default)s)")
    args = parser.parse_args()
    if args.jobs is not None and args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    selected = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = [w for w in selected if w not in WORKLOADS]
    if unknown or not selected:
        parser.error(f"--workloads: unknown {unknown}; choose from {WORKLOADS}")
    args.workloads = selected
    return args


def unusable(message):
    print(f"error: Python reference workloads unavailable: {message}", file=sys.stderr)
    sys.exit(EXIT_ENV_UNUSABLE)


# ---------------------------------------------------------------- the venv --

def requirements_hash():
    with open(REQUIREMENTS, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def venv_python(venv):
    return os.path.join(venv, "Scripts" if os.name == "nt" else "bin",
                        "python.exe" if os.name == "nt" else "python")


def ensure_venv_and_reexec(args):
    """Creates/updates the venv, then replaces this process with run.py inside it."""
    if sys.version_info < MIN_PYTHON:
        unusable(f"Python {platform.python_version()} is too old: the pinned dask "
                 f"and joblib need Python >= {'.'.join(map(str, MIN_PYTHON))}")
    venv = os.path.abspath(args.venv)
    python = venv_python(venv)
    stamp = os.path.join(venv, ".ppr-requirements.sha256")
    if not os.path.exists(python):
        print(f"creating a virtual environment in {venv}", file=sys.stderr)
        try:
            import venv as venv_module  # noqa: F401  (missing on some distros)
        except ImportError:
            unusable("the `venv` module is missing (Debian/Ubuntu: apt install "
                     "python3-venv)")
        done = subprocess.run([sys.executable, "-m", "venv", venv])
        if done.returncode != 0 or not os.path.exists(python):
            shutil.rmtree(venv, ignore_errors=True)
            unusable(f"`{sys.executable} -m venv {venv}` failed (Debian/Ubuntu: "
                     "apt install python3-venv, which also provides pip)")
    wanted = requirements_hash()
    have = open(stamp).read().strip() if os.path.exists(stamp) else None
    if have != wanted:
        print(f"installing the pinned packages of {REQUIREMENTS} (pip)", file=sys.stderr)
        pip = [python, "-m", "pip", "install", "--disable-pip-version-check",
               "--quiet", "-r", REQUIREMENTS]
        done = subprocess.run(pip)
        if done.returncode != 0:
            unusable(f"`{' '.join(pip)}` failed (exit {done.returncode}): is pip "
                     "installed in the venv and is PyPI reachable?")
        with open(stamp, "w") as f:
            f.write(wanted + "\n")
    # No __pycache__ next to the scripts in the source tree.
    env = dict(os.environ, **{IN_VENV_ENV: venv, "PYTHONDONTWRITEBYTECODE": "1"})
    argv = [python, os.path.abspath(__file__)] + sys.argv[1:]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(python, argv, env)


def packages():
    from importlib import metadata
    names = []
    with open(REQUIREMENTS) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line.split("==", 1)[0])
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def numerics():
    """numba's threading layer and numpy's BLAS (`numerics.py`, run in its
    own process after the workloads); `{}` when it cannot tell."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "numerics.py")
    try:
        done = subprocess.run([sys.executable, script], capture_output=True,
                              text=True, timeout=300)
        return json.loads(done.stdout) if done.returncode == 0 else {}
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        return {}


# ---------------------------------------------------------------- machine --

def command_output(cmd):
    try:
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def machine(jobs):
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        cpu = platform.processor() or cpu
    commit = command_output(["git", "rev-parse", "--short=12", "HEAD"])
    if commit and command_output(["git", "status", "--porcelain"]):
        commit += "-dirty"
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    now = datetime.datetime.now(datetime.timezone.utc)
    return {"cpu": cpu, "cores": cores, "jobs": jobs,
            "os": f"{platform.system()} {platform.release()}",
            "python": f"{platform.python_implementation()} {platform.python_version()}",
            "multiprocessing_start_method": __import__("multiprocessing")
            .get_start_method(),
            "commit": commit or "unknown commit",
            "date": now.strftime("%Y-%m-%d %H:%M UTC")}


# ----------------------------------------------------------- Rust values --

class RustReference:
    """Runs the `reference_values` example of the `workloads` crate."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.error = None if enabled else "skipped (--no-rust)"

    def run(self, extra):
        if self.error:  # disabled, or cargo already failed
            return None
        cargo = os.environ.get("CARGO", "cargo")
        cmd = [cargo, "run", "--release", "-q", "-p", "workloads", "--example",
               "reference_values", "--"] + extra
        try:
            done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                                  timeout=1800)
        except (OSError, subprocess.TimeoutExpired) as e:
            self.error = f"cargo failed to run `{' '.join(cmd)}`: {e}"
            return None
        if done.returncode != 0:
            self.error = (f"cargo: `{' '.join(cmd)}` exited {done.returncode}: "
                          f"{done.stderr.strip()[-2000:]}")
            return None
        try:
            return json.loads(done.stdout)
        except json.JSONDecodeError as e:
            self.error = f"reference_values printed invalid JSON: {e}"
            return None


# ------------------------------------------------------------ run scripts --

def run_script(workload, jobs, smoke, env, errors):
    script = os.path.join(HERE, f"{workload}.py")
    cmd = [sys.executable, script, "--jobs", str(jobs)] + (["--smoke"] if smoke else [])
    print(f"python/{workload}:", file=sys.stderr, flush=True)
    timeout = 300 if smoke else 3600
    try:
        done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, env=env,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        errors.append(f"{workload}.py did not finish within {timeout} s")
        return []
    if done.returncode != 0:
        errors.append(f"{workload}.py exited with status {done.returncode}")
        return []
    try:
        rows = json.loads(done.stdout)
    except json.JSONDecodeError as e:
        errors.append(f"{workload}.py printed invalid JSON: {e}")
        return []
    keys = {"bench", "group", "workload", "strategy", "jobs", "n", "median_ns",
            "median_low_ns", "median_high_ns", "mean_ns", "check"}
    for row in rows:
        missing = keys - set(row)
        if missing:
            errors.append(f"{workload}.py: a row lacks {sorted(missing)}: {row}")
            return []
    return rows


# ------------------------------------------------------------------ checks --

def check_row(row, against, status, detail):
    return {"workload": row["workload"], "strategy": row["strategy"],
            "jobs": row["jobs"], "n": row["n"], "against": against,
            "status": status, "detail": detail}


def differences(got, want, fields):
    return [f"{f}: python {got.get(f)!r} != rust {want.get(f)!r}"
            for f in fields if got.get(f) != want.get(f)]


def by_n(entries):
    return {e["n"]: e for e in entries or []}


def family_of(check):
    return check.get("family", "random.Random")


def run_checks(rows, rust, rust_error):
    checks = []
    skipped = f"Rust values unavailable: {rust_error}"
    # The first pi row of each generator family is the one its others must
    # equal bit for bit (for the pure-Python family that is `serial`).
    first = {}
    for r in rows:
        if r["check"] and "bits" in r["check"]:
            first.setdefault((r["workload"], r["n"], family_of(r["check"])), r)
    rust_driver = by_n(rust.get("driver")) if rust else {}
    rust_square = by_n(rust.get("square")) if rust else {}
    for row in rows:
        c, w = row["check"], row["workload"]
        if c is None:
            continue
        if w in ("driver", "square"):
            want = (rust_driver if w == "driver" else rust_square).get(row["n"])
            fields = (["n", "first_bits", "sum_bits", "crc32_le_f64"] if w == "driver"
                      else ["n", "first", "wrapping_sum", "crc32_le_u64"])
            if want is None:
                checks.append(check_row(row, "rust", "skipped", skipped))
                continue
            diff = differences(c, want, fields)
            checks.append(digest_check(row, diff, fields))
        elif w == "files":
            want = rust.get("files") if rust else None
            if not want:
                checks.append(check_row(row, "rust", "skipped", skipped))
                continue
            expected = [[s["bytes"], s["words"], s["checksum"]] for s in want["stats"]]
            bad = [f"file {i}: python {g} != rust {e} (bytes, words, crc32)"
                   for i, (g, e) in enumerate(zip(c["stats"], expected)) if g != e]
            if len(c["stats"]) != len(expected):
                bad.insert(0, f"{len(c['stats'])} files != rust {len(expected)}")
            checks.append(check_row(row, "rust", "mismatch" if bad else "ok",
                                    "; ".join(bad[:5]) or
                                    f"{len(expected)} files: bytes, words, CRC-32 equal"))
        elif w == "sleep":
            want = rust.get("sleep") if rust else None
            if not want or want["scale"] != c["scale"]:
                checks.append(check_row(row, "rust", "skipped", skipped))
                continue
            ok = c["seconds"] == want["seconds"][:c["n"]]
            checks.append(check_row(row, "rust", "ok" if ok else "mismatch",
                                    f"slept {c['seconds']} s" if ok else
                                    f"python {c['seconds']} != rust {want['seconds']}"))
        elif w in ("pi", "cache") and "bits" in c:
            family = family_of(c)
            base = first.get((w, row["n"], family))
            if base is not row:
                ok = c["bits"] == base["check"]["bits"]
                checks.append(check_row(
                    row, f"python {base['strategy']} ({family})",
                    "ok" if ok else "mismatch",
                    "estimates equal bit for bit" if ok else
                    f"{c['estimates']} != {base['strategy']} {base['check']['estimates']}"))
            elif w == "pi" and family == LANES_FAMILY:
                checks.append(pi_lanes_exact(row, rust, skipped))
            elif w == "pi":
                checks.append(pi_statistical(row, rust, skipped))
        elif w == "cache" and "in_cache" in c:
            checks.append(check_row(row, "python", "ok" if c["in_cache"] else "mismatch",
                                    "check_call_in_cache is True after the first run"))
        elif w == "startup":
            ok = c.get("result") == 9
            checks.append(check_row(row, "python", "ok" if ok else "mismatch",
                                    f"square(3) = {c.get('result')}"))
    return checks


# The family of the numba port of the Rust `pi_mc_streams` kernel: its
# estimates must equal Rust's bit for bit.
LANES_FAMILY = "xoshiro256++ lanes"
# numpy's own SIMD log differs from libm's by 1 ulp in a few dozen of 4^10
# values (measured); the division in `driver` can carry that to 2 ulp. More
# than this is a mismatch.
MAX_ULP = 2


def digest_check(row, diff, fields):
    """Bit for bit against Rust; a numpy row within MAX_ULP of libm is `close`."""
    c = row["check"]
    if not diff:
        return check_row(row, "rust", "ok",
                         f"equal bit for bit ({', '.join(fields[1:])})")
    if "max_ulp_from_libm" in c and c["max_ulp_from_libm"] <= MAX_ULP:
        return check_row(
            row, "rust", "close",
            f"{c['differ_from_libm']} of {c['n']} values differ from Rust (and from "
            f"Python's math module) by at most {c['max_ulp_from_libm']} ulp: numpy's "
            "vectorised log is not libm's (1 ulp apart, at most 2 after the division); "
            "the rest are equal bit for bit")
    return check_row(row, "rust", "mismatch", "; ".join(diff))


# `rust` is the JSON of the `reference_values` example, keyed by the Rust
# function (`pi_mc`, `pi_mc_streams`), not by the workload (`pi`).
def pi_lanes_exact(row, rust, skipped):
    """The numba port of `pi_mc_streams` equals the Rust estimates exactly."""
    c = row["check"]
    want = rust.get("pi_mc_streams") if rust else None
    if not want or want["trials"] != c["trials"] or len(want["bits"]) < c["n"]:
        return check_row(row, "rust pi_mc_streams", "skipped", skipped)
    ok = c["bits"] == want["bits"][:c["n"]]
    return check_row(row, "rust pi_mc_streams", "ok" if ok else "mismatch",
                     "estimates equal Rust's bit for bit" if ok else
                     f"python {c['bits']} != rust {want['bits'][:c['n']]}")


def pi_statistical(row, rust, skipped):
    """Python's and Rust's estimates (different generators) agree statistically."""
    c = row["check"]
    want = rust.get("pi_mc") if rust else None
    if not want or want["trials"] != c["trials"] or len(want["estimates"]) < c["n"]:
        return check_row(row, "rust (statistical)", "skipped", skipped)
    n, trials = c["n"], c["trials"]
    se = PI_SE_ONE_TRIAL / math.sqrt(trials)
    py_mean = sum(c["estimates"]) / n
    rs_mean = sum(want["estimates"][:n]) / n
    z_diff = abs(py_mean - rs_mean) / (se * math.sqrt(2.0 / n))
    z_py = abs(py_mean - math.pi) / (se / math.sqrt(n))
    z_rs = abs(rs_mean - math.pi) / (se / math.sqrt(n))
    worst = max(abs(x - math.pi) / se for x in c["estimates"])
    ok = z_diff < PI_Z_LIMIT and z_py < PI_Z_LIMIT and worst < PI_Z_LIMIT_ONE
    return check_row(
        row, "rust (statistical)", "ok" if ok else "mismatch",
        f"mean of {n} estimates: python {py_mean:.6f}, rust {rs_mean:.6f}, "
        f"pi {math.pi:.6f}; standard error of one estimate {se:.2e}; "
        f"|python - rust| = {z_diff:.2f} SE of the difference, |python - pi| = "
        f"{z_py:.2f} SE, |rust - pi| = {z_rs:.2f} SE, worst single python "
        f"estimate {worst:.2f} SE (limits: {PI_Z_LIMIT} SE for the means, "
        f"{PI_Z_LIMIT_ONE} SE for one estimate); "
        "not bit-identical: Mersenne Twister vs xoshiro256++")


# ------------------------------------------------------------------ output --

def print_tables(rows):
    serial = {(r["workload"], r["n"]): r["median_ns"] for r in rows
              if r["strategy"] == "serial"}
    for workload in dict.fromkeys(r["workload"] for r in rows):
        print(f"\npython/{workload}", file=sys.stderr)
        print(f"  {'strategy':<44} {'jobs':>4} {'n':>8} {'median':>11} "
              f"{'per task':>10} {'speedup':>8}", file=sys.stderr)
        for r in (r for r in rows if r["workload"] == workload):
            base = serial.get((workload, r["n"]))
            speedup = f"{base / r['median_ns']:.2f}x" if base else "-"
            print(f"  {r['strategy']:<44} {r['jobs']:>4} {r['n']:>8} "
                  f"{fmt_ns(r['median_ns']):>11} {fmt_ns(r['median_ns'] / r['n']):>10} "
                  f"{speedup:>8}", file=sys.stderr)


def fmt_ns(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3f} {unit}"
    return f"{ns:.0f} ns"


def main():
    args = parse_args()
    if os.environ.get(IN_VENV_ENV) is None:
        ensure_venv_and_reexec(args)  # does not return
    if os.path.realpath(sys.prefix) != os.path.realpath(os.environ[IN_VENV_ENV]):
        unusable(f"re-running inside {os.environ[IN_VENV_ENV]} failed "
                 f"(sys.prefix is {sys.prefix})")
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
        import joblib  # noqa: F401
    except ImportError as e:
        unusable(f"the venv {args.venv} lacks a pinned package ({e}); delete it "
                 "and rerun")

    started = time.monotonic()
    from common import default_jobs
    jobs = args.jobs or default_jobs()
    info = machine(jobs)  # the date is the start of the run
    tmp = os.path.join(target_dir(), "python-tmp")
    corpus = os.path.join(tmp, "corpus")
    shutil.rmtree(corpus, ignore_errors=True)
    os.makedirs(tmp, exist_ok=True)
    env = dict(os.environ, PPR_PYTHON_TMP=tmp)
    env.pop("PPR_PYTHON_CORPUS", None)
    rust = RustReference(not args.no_rust)
    errors = []

    if "files" in args.workloads:
        files = 4 if args.smoke else 32
        print("generating the files corpus (cargo run -p workloads --example "
              "reference_values)", file=sys.stderr, flush=True)
        made = rust.run(["--driver-n", "1", "--square-n", "1", "--pi-seeds", "0",
                         "--corpus-dir", corpus, "--corpus-files", str(files)])
        if made and made.get("files"):
            env["PPR_PYTHON_CORPUS"] = corpus

    rows = []
    for workload in args.workloads:
        if workload == "files" and "PPR_PYTHON_CORPUS" not in env:
            print("python/files: skipped, no corpus", file=sys.stderr)
            continue
        rows += run_script(workload, jobs, args.smoke, env, errors)

    reference = None
    if rows and not args.no_rust:
        def sizes(w):
            return sorted({r["n"] for r in rows if r["workload"] == w} or {1})
        pi = next((r["check"] for r in rows
                   if r["workload"] == "pi" and r["strategy"] == "serial"), None)
        sleep = next((r["check"] for r in rows if r["workload"] == "sleep"), None)
        extra = ["--driver-n", ",".join(map(str, sizes("driver"))),
                 "--square-n", ",".join(map(str, sizes("square"))),
                 "--pi-seeds", str(pi["n"] if pi else 0),
                 "--pi-trials", str(pi["trials"] if pi else 1),
                 "--sleep-tasks", str(sleep["n"] if sleep else 0),
                 "--scale", str(sleep["scale"] if sleep else 1.0)]
        if "PPR_PYTHON_CORPUS" in env:
            extra += ["--corpus-dir", corpus, "--corpus-files",
                      str(4 if args.smoke else 32)]
        print("computing the Rust reference values", file=sys.stderr, flush=True)
        reference = rust.run(extra)
    if rust.error and not args.no_rust:
        errors.append(f"Rust reference values unavailable (checks against Rust "
                      f"and the files workload skipped): {rust.error}")
    checks = run_checks(rows, reference, rust.error)
    shutil.rmtree(corpus, ignore_errors=True)

    print_tables(rows)
    mismatches = [c for c in checks if c["status"] == "mismatch"]
    skipped = [c for c in checks if c["status"] == "skipped"]
    close = [c for c in checks if c["status"] == "close"]
    print(f"\nchecks: {len(checks) - len(mismatches) - len(skipped) - len(close)} "
          f"ok, {len(close)} close, {len(mismatches)} mismatch, {len(skipped)} "
          "skipped", file=sys.stderr)
    for c in close:
        print(f"close: python/{c['workload']} {c['strategy']} jobs={c['jobs']}: "
              f"{c['detail']}", file=sys.stderr)
    for c in mismatches:
        print(f"MISMATCH python/{c['workload']} {c['strategy']} jobs={c['jobs']} "
              f"n={c['n']} against {c['against']}: {c['detail']}", file=sys.stderr)
    if skipped:
        print(f"skipped: {skipped[0]['detail']}", file=sys.stderr)
    for e in errors:
        print(f"error: {e}", file=sys.stderr)

    report = {
        "python": platform.python_version(),
        "packages": packages(),
        "numerics": numerics(),
        "machine": info,
        "mode": "smoke" if args.smoke else "full",
        "jobs": jobs,
        "elapsed_s": round(time.monotonic() - started, 1),
        "units": {"median_ns": "nanoseconds per run of all n tasks, median of "
                               "`samples` repetitions",
                  "median_low_ns": "fastest repetition, ns",
                  "median_high_ns": "slowest repetition, ns",
                  "mean_ns": "mean of the repetitions, ns"},
        "measurements": rows,
        "checks": checks,
        "errors": errors,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
        f.write("\n")
    print(f"wrote {args.out} ({len(rows)} measurements, "
          f"{report['elapsed_s']} s)", file=sys.stderr)
    return 1 if mismatches or errors else 0


if __name__ == "__main__":
    sys.exit(main())
