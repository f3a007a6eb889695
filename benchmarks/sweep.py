"""Wall time of a sweep run serially (one process) against the same sweep on local Dask worker
processes (``coolsim sweep --workers N``).

The sweep: ``cases/coldplate_unit_cell.toml`` (12,800 cells) over the inlet velocity, ``--points``
values from 0.1 to 0.5 m/s, pictures, field files and checkpoints off (each point is then one
conjugate solve and its summary). Each run starts from an empty sweep folder, so every point is
solved. Prints one JSON line: points, workers, wall times [s], the speed-up, the mean solve time
of a point [s] in each run, whether both runs gave the same figures (they must: same code, same
inputs), the CPU count and the load average before and after.

Run: ``.venv/bin/python benchmarks/sweep.py [--points 8] [--workers 2]``. Expected runtime on
2 cores: about 1 minute for 8 points.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from solver.case import load_case  # noqa: E402
from solver.sweep import full_factorial, parse_values, run_sweep  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CASE = ROOT / "cases" / "coldplate_unit_cell.toml"
QUIET_OUTPUT = {"output.write_images": False, "output.write_fields": False,
                "output.checkpoint": False}


def timed_sweep(case, points, folder: Path, workers: int) -> tuple[float, object]:
    start = time.perf_counter()
    sweep = run_sweep(case, points, folder, workers=workers, quiet=True)
    return time.perf_counter() - start, sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    case = load_case(CASE).with_changes(QUIET_OUTPUT)
    axis = parse_values("boundaries[inlet].velocity", f"0.1:0.5:{args.points} m/s")
    points = full_factorial([axis])
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        serial_s, serial = timed_sweep(case, points, Path(scratch) / "serial", 1)
        parallel_s, parallel = timed_sweep(case, points, Path(scratch) / "parallel",
                                           args.workers)
    record = {
        "benchmark": "sweep",
        "case": CASE.name,
        "points": len(points),
        "workers": args.workers,
        "serial_s": round(serial_s, 2),
        "parallel_s": round(parallel_s, 2),
        "speedup": round(serial_s / parallel_s, 3),
        "serial_point_mean_s": round(sum(r["seconds"] for r in serial.records) / len(points), 3),
        "parallel_point_mean_s": round(sum(r["seconds"] for r in parallel.records)
                                       / len(points), 3),
        "failed": len(serial.failed) + len(parallel.failed),
        "same_figures": [r["metrics"] for r in serial.records]
        == [r["metrics"] for r in parallel.records],
        "cpu_count": os.cpu_count(),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
