"""Wall time of a sweep run serially (one process) against the same sweep on local Dask worker
processes (``coolsim sweep --workers N``).

Two sweeps (``--case``):

* ``unit_cell`` (default): ``cases/coldplate_unit_cell.toml`` (12,800 cells) over the inlet
  velocity, ``--points`` values from 0.1 to 0.5 m/s;
* ``channels``: the issue's channel plate, ``cases/coldplate_channels.toml`` (161,760 cells)
  over the inlet flow, ``--points`` values from 0.75 to 1.85 L/min (above about 1.9 L/min its
  flow does not settle to a steady state on this grid: those points run to the iteration limit,
  issue 10). ``--grid "2 mm, 0.2 mm, 0.5 mm"`` replaces its ``[grid] max_spacing`` (x, y, z) to
  run a coarser plate.

Pictures, field files and checkpoints are off (each point is then one conjugate solve and its
summary). Each run starts from an empty sweep folder, so every point is solved. Prints one JSON
line: the sweep, points, workers, wall times [s], the speed-up, the mean and largest solve time
of a point [s] and the largest per-point peak memory [MB] in each run, worker losses, whether
both runs gave the same figures (they must: same code, same inputs), the CPU count and the load
average before and after.

Run: ``.venv/bin/python benchmarks/sweep.py [--case channels] [--points 20] [--workers 2]
[--grid "2 mm, 0.2 mm, 0.5 mm"]``. Expected runtime on 2 cores: about 1 minute for 8 unit-cell
points; the issue's 20 channel-plate points at the plate's own grid took 594 s serially and
377 s on 2 workers (speed-up 1.58, the same figures; load 0.8 before, 2.0 during: the benchmark
alone; ``benchmarks/results/sweep_channels.json``).
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
SWEEPS = {  # case file, swept key, range of its values
    "unit_cell": ("coldplate_unit_cell.toml", "boundaries[inlet].velocity", "0.1:0.5:{} m/s"),
    "channels": ("coldplate_channels.toml", "boundaries[inlet].volumetric_flow",
                 "0.75:1.85:{} L/min"),
}
QUIET_OUTPUT = {"output.write_images": False, "output.write_fields": False,
                "output.checkpoint": False}


def timed_sweep(case, points, folder: Path, workers: int) -> tuple[float, object]:
    start = time.perf_counter()
    sweep = run_sweep(case, points, folder, workers=workers, quiet=True)
    return time.perf_counter() - start, sweep


def _point_figures(sweep) -> dict:
    seconds = [r["seconds"] for r in sweep.records if r["seconds"] is not None]
    memory = [r["peak_memory"] for r in sweep.records if r["peak_memory"] is not None]
    return {"point_mean_s": round(sum(seconds) / max(len(seconds), 1), 3),
            "point_max_s": round(max(seconds, default=0.0), 3),
            "point_peak_memory_max_MB": round(max(memory, default=0.0), 1),
            "worker_losses": sum(r.get("worker_losses", 0) for r in sweep.records)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=sorted(SWEEPS), default="unit_cell")
    parser.add_argument("--points", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--grid", default=None, metavar="'X, Y, Z'",
                        help="[grid] max_spacing of the case, e.g. '2 mm, 0.2 mm, 0.5 mm'")
    args = parser.parse_args()
    file, key, values = SWEEPS[args.case]
    changes = dict(QUIET_OUTPUT)
    if args.grid:
        changes["grid.max_spacing"] = [part.strip() for part in args.grid.split(",")]
    case = load_case(ROOT / "cases" / file).with_changes(changes)
    points = full_factorial([parse_values(key, values.format(args.points))])
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        serial_s, serial = timed_sweep(case, points, Path(scratch) / "serial", 1)
        parallel_s, parallel = timed_sweep(case, points, Path(scratch) / "parallel",
                                           args.workers)
    record = {
        "benchmark": "sweep",
        "case": file,
        "grid_max_spacing": changes.get("grid.max_spacing", "as in the case"),
        "swept": f"{key} = {values.format(args.points)}",
        "points": len(points),
        "workers": args.workers,
        "serial_s": round(serial_s, 2),
        "parallel_s": round(parallel_s, 2),
        "speedup": round(serial_s / parallel_s, 3),
        "serial": _point_figures(serial),
        "parallel": _point_figures(parallel),
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
