"""Wall and CPU time of every example case as a user meets it: ``coolsim run`` with an empty cache.

Each case in ``cases/`` runs as its own ``coolsim run CASE --output <tmp> --quiet`` process with
an empty plate-curve cache (``COOLSIM_CACHE`` pointed at a new folder), so a coupled rack pays for
its characterization as on a first run. Per case it records the wall time [s], the CPU time of
the process and its children [s], the peak resident memory [MB], the exit code, the cells and
SIMPLEC iterations of a plate run, the 1-minute load average before and after, and whether the
CPU kernels were already compiled (Numba's cache beside ``solver/numerics/host_kernels.py``:
a first run on a machine compiles them, once); ``make demo`` is the sum of its two cases. The
case headers and README quote these figures (a test checks that they match).

Prints one JSON line per case and writes them all to ``benchmarks/results/example_runtimes.json``
(atomically).

Usage: ``python benchmarks/example_runtimes.py [case.toml ...]`` (default: every case in
``cases/``; only the default run stores its records).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from solver.output.atomic import atomic_write_text  # noqa: E402

CASES = ROOT / "cases"
RESULTS = ROOT / "benchmarks" / "results" / "example_runtimes.json"
# the two cases `make demo` runs, in order (Makefile DEMO_CASES)
DEMO_CASES = ("gpu_die_conduction", "rack_coupled")
# where Numba caches the compiled CPU kernels (solver.numerics.host_kernels, cache=True)
KERNEL_CACHE = ROOT / "solver" / "numerics" / "__pycache__"


def kernels_cached() -> bool:
    """True when the CPU kernels were compiled by an earlier run on this machine."""
    return any(KERNEL_CACHE.glob("host_kernels.*.nbi"))


def cache_text(cached: bool) -> str:
    """How a quote states the caches: the plate curves always empty, the kernels as found."""
    return "empty curve cache, " + ("kernels compiled before" if cached else
                                    "kernels compiled in this run")


def machine() -> dict:
    """The machine the figures belong to: CPU model, cores, Python and OS."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model or platform.processor(), "cores": os.cpu_count(),
            "python": platform.python_version(), "system": platform.platform()}


def plate_figures(folder: Path) -> dict:
    """Cells and SIMPLEC iterations from a plate run's ``summary.json`` (None for racks)."""
    summaries = sorted(folder.glob("*/summary.json"))
    summary = json.loads(summaries[0].read_text()) if summaries else {}
    return {"cells": summary.get("grid", {}).get("cells"),
            "flow_iterations": summary.get("solver", {}).get("flow_iterations")}


def duration_text(seconds: float) -> str:
    """``"42 s"`` or ``"3 min 5 s"``: how README and the case headers quote a time."""
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def quoted(record: dict) -> str:
    """The line a case header quotes (checked by ``tests/test_quoted_figures.py``)."""
    return (f"Runtime (benchmarks/example_runtimes.py, {os.cpu_count()} cores, load "
            f"{record['load_1min_before']:.1f}-{record['load_1min_after']:.1f}, "
            f"{cache_text(record['kernels_cached'])}): "
            f"{duration_text(record['wall_s'])} wall, {duration_text(record['cpu_s'])} CPU")


def measure(case: Path) -> dict:
    """Run ``coolsim run case`` once with an empty cache and return its record."""
    with tempfile.TemporaryDirectory() as folder:
        output, cache = Path(folder) / "out", Path(folder) / "cache"
        environment = dict(os.environ, COOLSIM_CACHE=str(cache))
        command = [sys.executable, "-m", "solver.cli", "run", str(case), "--output", str(output),
                   "--quiet"]
        load_before = os.getloadavg()[0]
        cached = kernels_cached()
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=environment,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        error = process.stderr.read().decode(errors="replace").strip().splitlines()
        process.stderr.close()
        record = {"benchmark": "example_runtimes", "case": case.stem,
                "exit_code": process.returncode,
                "error": error[-1] if process.returncode and error else None,
                "wall_s": round(wall, 1),
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
                "peak_memory_mb": round(usage.ru_maxrss / 1024.0, 1),
                **plate_figures(output),
                "load_1min_before": round(load_before, 2),
                "load_1min_after": round(os.getloadavg()[0], 2),
                "kernels_cached": cached}
        record["quoted"] = quoted(record)
        return record


def main(argv: list[str]) -> int:
    """Time the cases named in ``argv`` (default: every example), print and store the records."""
    cases = ([Path(a) for a in argv] if argv else
             sorted(CASES.glob("*.toml")))
    records = []
    for case in cases:
        record = measure(case)
        records.append(record)
        print(json.dumps(record), flush=True)
    by_case = {r["case"]: r for r in records}
    result = {"benchmark": "example_runtimes", "machine": machine(),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cases": records}
    if all(name in by_case for name in DEMO_CASES):
        demo = sum(by_case[n]["wall_s"] for n in DEMO_CASES)
        result["make_demo_wall_s"] = round(demo, 1)
        loads = [by_case[n][k] for n in DEMO_CASES for k in ("load_1min_before",
                                                               "load_1min_after")]
        first = by_case[DEMO_CASES[0]]["kernels_cached"]
        result["make_demo_quoted"] = (f"`make demo` {duration_text(demo)} with an "
                                      f"{cache_text(first)} ({os.cpu_count()} cores, load "
                                      f"{min(loads):.1f}-{max(loads):.1f})")
        print(json.dumps({"benchmark": "example_runtimes", "make_demo_wall_s": round(demo, 1),
                          "quoted": result["make_demo_quoted"]}))
    if not argv:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(RESULTS, json.dumps(result, indent=1) + "\n")
    return 0 if all(r["exit_code"] == 0 for r in records) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
