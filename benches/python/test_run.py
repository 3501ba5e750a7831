"""Tests of the runner's checks and error paths; standard library only, no venv.

    python3 -m unittest discover -s benches/python -p 'test_*.py'
"""

import os
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common  # noqa: E402
import run  # noqa: E402
import tasks  # noqa: E402

RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "run.py")


def row(workload, strategy, n, check, jobs=1):
    return {"workload": workload, "strategy": strategy, "jobs": jobs, "n": n,
            "check": check}


class Checks(unittest.TestCase):
    def test_driver_equal_to_reference_passes(self):
        values = [tasks.driver(i) for i in range(10)]
        digest = common.float_digest(values)
        checks = run.run_checks([row("driver", "serial", 10, digest)],
                                {"driver": [dict(digest)]}, None)
        self.assertEqual([c["status"] for c in checks], ["ok"])

    def test_driver_mismatch_names_the_field(self):
        values = [tasks.driver(i) for i in range(10)]
        digest = common.float_digest(values)
        values[9] += 1e-12
        wrong = common.float_digest(values)
        checks = run.run_checks([row("driver", "serial", 10, wrong)],
                                {"driver": [digest]}, None)
        self.assertEqual(checks[0]["status"], "mismatch")
        self.assertIn("crc32_le_f64", checks[0]["detail"])
        self.assertNotIn("first_bits", checks[0]["detail"])

    def test_square_digest_wraps_like_rust(self):
        digest = common.u64_digest([tasks.square(1 << 32)])
        self.assertEqual(digest["first"], [0])

    def test_missing_reference_is_skipped_not_ok(self):
        digest = common.float_digest([1.0])
        checks = run.run_checks([row("driver", "serial", 1, digest)], None, "no cargo")
        self.assertEqual(checks[0]["status"], "skipped")
        self.assertIn("no cargo", checks[0]["detail"])

    def test_pi_strategies_must_equal_python_serial(self):
        serial = common.pi_digest([3.14, 3.15], 100)
        other = common.pi_digest([3.14, 3.16], 100)
        checks = run.run_checks([row("pi", "serial", 2, serial),
                                 row("pi", "joblib loky", 2, other, jobs=2)],
                                None, "no cargo")
        statuses = {c["strategy"]: c["status"] for c in checks}
        self.assertEqual(statuses, {"serial": "skipped", "joblib loky": "mismatch"})

    def test_pi_statistical_comparison(self):
        trials = 1_000_000
        rust = {"pi_mc": {"trials": trials, "estimates": [3.1416, 3.1414]}}
        close = common.pi_digest([3.1410, 3.1420], trials)
        far = common.pi_digest([3.2, 3.2], trials)
        ok = run.run_checks([row("pi", "serial", 2, close)], rust, None)
        bad = run.run_checks([row("pi", "serial", 2, far)], rust, None)
        self.assertEqual(ok[0]["status"], "ok")
        self.assertEqual(bad[0]["status"], "mismatch")
        self.assertIn("SE", bad[0]["detail"])

    def test_pi_families_are_checked_within_their_family(self):
        mt = common.pi_digest([3.14, 3.15], 100)
        np_first = common.pi_digest([3.13, 3.12], 100, family="numpy")
        np_same = common.pi_digest([3.13, 3.12], 100, family="numpy")
        np_other = common.pi_digest([3.13, 3.11], 100, family="numpy")
        checks = run.run_checks([row("pi", "serial", 2, mt),
                                 row("pi", "numpy", 2, np_first),
                                 row("pi", "joblib + numpy", 2, np_same, jobs=2),
                                 row("pi", "numpy bad", 2, np_other, jobs=2)],
                                None, "no cargo")
        statuses = {c["strategy"]: c["status"] for c in checks}
        self.assertEqual(statuses, {"serial": "skipped", "numpy": "skipped",
                                    "joblib + numpy": "ok", "numpy bad": "mismatch"})

    def test_the_lanes_port_must_equal_rust_bit_for_bit(self):
        got = common.pi_digest([3.0, 3.5], 8, family=run.LANES_FAMILY)
        rust = {"pi_mc_streams": {"trials": 8, "bits": got["bits"]}}
        ok = run.run_checks([row("pi", "numba xoshiro lanes", 2, got)], rust, None)
        self.assertEqual(ok[0]["status"], "ok")
        rust["pi_mc_streams"]["bits"] = list(reversed(got["bits"]))
        bad = run.run_checks([row("pi", "numba xoshiro lanes", 2, got)], rust, None)
        self.assertEqual(bad[0]["status"], "mismatch")

    def test_numpy_within_one_ulp_is_close_and_beyond_is_a_mismatch(self):
        want = common.float_digest([1.0, 2.0])
        near = dict(common.float_digest([1.0, 2.0000000000000004]),
                    differ_from_libm=1, max_ulp_from_libm=1)
        far = dict(near, max_ulp_from_libm=3)
        rust = {"driver": [want]}
        close = run.run_checks([row("driver", "numpy", 2, near)], rust, None)
        self.assertEqual(close[0]["status"], "close")
        self.assertIn("1 of 2 values", close[0]["detail"])
        bad = run.run_checks([row("driver", "numpy", 2, far)], rust, None)
        self.assertEqual(bad[0]["status"], "mismatch")

    def test_files_mismatch_names_the_file(self):
        rust = {"files": {"stats": [{"bytes": 4, "words": 1, "checksum": 7},
                                    {"bytes": 4, "words": 2, "checksum": 8}]}}
        got = {"n": 2, "stats": [[4, 1, 7], [4, 3, 8]]}
        checks = run.run_checks([row("files", "serial", 2, got)], rust, None)
        self.assertEqual(checks[0]["status"], "mismatch")
        self.assertIn("file 1", checks[0]["detail"])

    def test_chunks_cover_the_range(self):
        for n, count in [(10, 3), (1, 8), (1 << 20, 8), (7, 7)]:
            parts = common.chunks(n, count)
            self.assertEqual([i for lo, hi in parts for i in range(lo, hi)],
                             list(range(n)))


class Measure(unittest.TestCase):
    def runs(self, smoke, warmup_s):
        calls = []
        bench = common.Bench("square", smoke)
        bench.measure("serial", 1, 1, lambda: calls.append(1), reps=3,
                      warmup_s=warmup_s)
        return len(calls), bench.measurements[0]["samples"]

    def test_a_warm_up_runs_untimed_before_the_timed_runs(self):
        calls, samples = self.runs(smoke=False, warmup_s=0.02)
        self.assertEqual(samples, 3)
        self.assertGreater(calls, 3 + 1, "at least one warm-up run, untimed")

    def test_no_warm_up_unless_asked_and_none_in_a_smoke_run(self):
        self.assertEqual(self.runs(smoke=False, warmup_s=0.0), (3, 3))
        self.assertEqual(self.runs(smoke=True, warmup_s=1.0), (2, 2))


class CommandLine(unittest.TestCase):
    def run_py(self, *args):
        env = {k: v for k, v in os.environ.items() if k != run.IN_VENV_ENV}
        return subprocess.run([sys.executable, RUN, *args], capture_output=True,
                              text=True, env=env, timeout=120)

    def test_every_workload_has_its_script_and_labels_its_rows_so(self):
        # The Rust benches and xtask name workloads as WorkloadKind::name
        # does (`pi`, not `pi_mc`); a script is found by its workload name.
        here = os.path.dirname(RUN)
        for workload in run.WORKLOADS:
            with open(os.path.join(here, f"{workload}.py")) as f:
                self.assertIn(f'Bench("{workload}"', f.read(), workload)
        self.assertIn("pi", run.WORKLOADS)

    def test_bad_arguments_exit_2(self):
        self.assertEqual(self.run_py("--jobs", "0").returncode, 2)
        done = self.run_py("--workloads", "nope")
        self.assertEqual(done.returncode, 2)
        self.assertIn("nope", done.stderr)

    def test_unusable_environment_is_a_clear_message(self):
        with tempfile.TemporaryDirectory() as tmp:
            blocker = os.path.join(tmp, "a-file")
            open(blocker, "w").close()
            done = self.run_py("--smoke", "--venv", os.path.join(blocker, "venv"))
        self.assertEqual(done.returncode, run.EXIT_ENV_UNUSABLE, done.stderr)
        self.assertIn("Python reference workloads unavailable", done.stderr)


if __name__ == "__main__":
    unittest.main()
