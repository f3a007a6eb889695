"""Throughput and time to solution of the cold-plate example cases on the CPU.

Runs each conjugate example in ``cases/`` as ``coolsim run`` does (results to a temporary folder,
no images) and prints one JSON line per case: cells, SIMPLEC iterations, flow / energy / total
wall time [s], flow throughput [cell-iterations per second], the pressure-correction multigrid
convergence factor (geometric mean over the outer iterations and its worst value), pressure
iterations per outer iteration, energy-balance and mass-balance errors, thermal resistance [K/W]
and pressure drop [Pa] beside the speed, and the machine load.

Usage: ``python benchmarks/coldplate_examples.py [--backend cpu|gpu] [case.toml ...]``
(default: every ``cases/coldplate_*.toml``; each case header states its measured figures, e.g.
``cases/coldplate_pinfin.toml``: 144,970 cells, about 1.5 min on 2 cores).
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # BLAS threads only add wake-up latency here

from solver.case import load_case  # noqa: E402
from solver.pipeline import run

CASES = Path(__file__).resolve().parents[1] / "cases"


def measure(path: Path, backend: str = "cpu") -> dict:
    """Run one conjugate case on ``backend`` and return its benchmark record."""
    case = load_case(path)
    case = case.model_copy(update={"output": case.output.model_copy(
        update={"write_images": False})})
    with tempfile.TemporaryDirectory() as folder:
        summary = run(case, backend=backend, output=folder, quiet=True)
    solver, timings, flow = summary["solver"], summary["timings_s"], summary.get("flow", {})
    history = solver.get("flow_history", [])
    factors = [h["pressure_convergence_factor"] for h in history
               if h.get("pressure_convergence_factor") is not None
               and math.isfinite(h["pressure_convergence_factor"])]
    iterations = solver.get("flow_iterations", 0)
    cells = summary["grid"]["cells"]
    return {
        "benchmark": "coldplate_examples",
        "case": case.name,
        "backend": summary["backend"]["name"],
        "dtype": summary["grid"]["dtype"],
        "cells": cells,
        "flow_method": solver.get("flow_method", {}).get("outer"),
        "flow_cycles": solver.get("flow_method", {}).get("cycles"),
        "flow_energy_passes": solver.get("flow_method", {}).get("passes"),
        "flow_iterations": iterations,
        "flow_seconds": timings.get("flow"),
        "energy_seconds": timings.get("energy"),
        "total_seconds": timings.get("total"),
        "flow_cell_iterations_per_second": (cells * iterations / timings["flow"]
                                            if timings.get("flow") else None),
        "pressure_convergence_factor_mean": (math.exp(sum(map(math.log, factors)) / len(factors))
                                             if factors else None),
        "pressure_convergence_factor_worst": max(factors) if factors else None,
        "pressure_iterations_mean": (sum(h["pressure_iterations"] for h in history) / len(history)
                                     if history else None),
        "energy_balance_relative_error": summary["energy_balance"]["relative_error"],
        "mass_balance_relative_error": flow.get("mass_balance_relative_error"),
        "thermal_resistance_K_per_W": flow.get("thermal_resistance_K_per_W"),
        "pressure_drop_Pa": flow.get("pressure_drop_Pa"),
        "peak_chip_temperature_K": max((c["max_temperature_K"] for c in
                                        summary.get("chips", {}).values()), default=None),
        "load_average_1min": os.getloadavg()[0],
    }


def main(argv: list[str]) -> int:
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    backend = "cpu"
    if "--backend" in argv:
        at = argv.index("--backend")
        backend = argv[at + 1]
        argv = argv[:at] + argv[at + 2:]
    paths = [Path(a) for a in argv] or sorted(CASES.glob("coldplate_*.toml"))
    for path in paths:
        print(json.dumps(measure(path, backend)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
