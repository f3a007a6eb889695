"""Time of ``make test`` on a fresh clone, as CI and a new user meet it (install included).

Clones the repository's committed ``HEAD`` into a temporary folder and runs ``make test`` there
(a new virtual environment, the install, then the fast test subset), recording the wall time [s],
the counts pytest prints (passed, skipped, deselected, failed), the failed tests' summary lines,
the commit, and the 1-minute load average before and after. README quotes these figures
(``tests/test_quoted_figures.py`` checks that they match).

Prints one JSON line and writes it to ``benchmarks/results/test_suite.json`` (atomically).

Usage: ``python benchmarks/test_suite.py`` (about 8 minutes on 2 cores).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from solver.output.atomic import atomic_write_text  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results" / "test_suite.json"
COUNTS = re.compile(r"(\d+) (passed|skipped|deselected|failed|errors?)")


def main() -> int:
    """Clone, run ``make test``, print and store the record; exit with make's code."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as folder:
        clone = Path(folder) / "coolsim"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        load_before = os.getloadavg()[0]
        start = time.perf_counter()
        process = subprocess.run(["make", "test"], cwd=clone, capture_output=True, text=True,
                                 env=dict(os.environ, CI="true"))
        wall = time.perf_counter() - start
    last = process.stdout.strip().splitlines()[-1] if process.stdout.strip() else ""
    counts = {kind.rstrip("s") if kind.startswith("error") else kind: int(n)
              for n, kind in COUNTS.findall(last)}
    record = {"benchmark": "test_suite", "command": "make test (fresh clone, install included)",
              "commit": commit, "exit_code": process.returncode, "wall_s": round(wall, 1),
              "counts": counts, "summary_line": last,
              # pytest's short summary (-ra): which tests failed or erred, if any
              "failures": [line for line in process.stdout.splitlines()
                           if line.startswith(("FAILED ", "ERROR "))],
              "cores": os.cpu_count(),
              "load_1min_before": round(load_before, 2),
              "load_1min_after": round(os.getloadavg()[0], 2),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    minutes, seconds = divmod(int(round(record["wall_s"])), 60)  # as README quotes it
    record["quoted"] = (f"`make test` {minutes} min {seconds} s including the install, "
                        f"{counts.get('passed', 0)} passed (fresh clone, {os.cpu_count()} cores, "
                        f"load {load_before:.1f}-{record['load_1min_after']:.1f})")
    print(json.dumps(record))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RESULTS, json.dumps(record, indent=1) + "\n")
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
