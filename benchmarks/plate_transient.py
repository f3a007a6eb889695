"""Benchmark: a cold plate in time; one JSON line per plate.

For each plate case: the steady conjugate solve (timed apart), then its thermal impedance
(:func:`solver.models.coldplate.transient.thermal_impedance`: every chip stepped from zero to its
power, TR-BDF2 steps from 0.1 ms growing by 1.15 to 12 settling times) and the Foster fit.

Reported: cells, steps, transient seconds, seconds per step (wall clock, and the process's CPU
time, which a shared machine's load disturbs less), cell-steps per second, the energy audit of
the run, the fit error and the thermal impedance at its end against the steady resistance;
machine and load.

Run: ``.venv/bin/python benchmarks/plate_transient.py [CASE ...] [--backend cpu|gpu]``
(default: the rack example's GPU plate, ``cases/rack_gpu_plate.toml``, and the 1,800-cell test
plate).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from solver.backend import get_backend  # noqa: E402
from solver.case import load_case  # noqa: E402
from solver.models.coldplate.transient import settling_time, thermal_impedance  # noqa: E402
from solver.setup import build_solid_model, from_case  # noqa: E402

DEFAULT = [ROOT / "cases" / "rack_gpu_plate.toml",
           ROOT / "tests" / "models" / "data" / "small_chip_plate.toml"]


def measure(path: Path, backend: str = "cpu") -> dict:
    """Steady solve and thermal impedance of the plate case at ``path``; the figures as a dict."""
    case = load_case(path)
    model = build_solid_model(case, get_backend(backend))
    plate = from_case(case, model)
    start = time.perf_counter()
    plate.solve()
    steady_seconds = time.perf_counter() - start
    steady = {name: (float(np.max(plate.backend.to_host(plate.temperature)[mask]))
                     - plate.inlet_temperature) / model.chip_powers[name]
              for name, mask in model.chip_masks.items()}
    start, cpu_start = time.perf_counter(), time.process_time()
    z = thermal_impedance(plate)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    run = z.pop("_run")
    cells = int(np.prod(model.grid.shape))
    chips = {name: {"fit_terms": e["fit"]["terms"],
                    "fit_max_relative_error": e["fit"]["max_relative_error"],
                    "z_end_over_steady": float(e["impedance"][-1] / steady[name])}
             for name, e in z.items()}
    return {"benchmark": "plate_transient", "case": case.name, "cells": cells,
            "backend": backend, "steady_seconds": round(steady_seconds, 3),
            "settling_time_s": settling_time(plate), "simulated_s": run["end_s"],
            "steps": run["steps"], "transient_seconds": round(seconds, 3),
            "seconds_per_step": round(seconds / run["steps"], 4),
            "cpu_seconds_per_step": round(cpu_seconds / run["steps"], 4),
            "cell_steps_per_second": round(cells * run["steps"] / seconds),
            "energy_audit_relative_error": run["energy_audit_relative_error"], "chips": chips,
            "machine": f"{platform.node()} {os.cpu_count()} cores",
            "load_1min": round(os.getloadavg()[0], 2)}


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", type=Path, help="plate case files")
    parser.add_argument("--backend", default="cpu", choices=("cpu", "gpu"))
    args = parser.parse_args()
    for case_path in args.cases or DEFAULT:
        print(json.dumps(measure(case_path, args.backend)), flush=True)
