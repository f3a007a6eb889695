"""Benchmark: a cold plate whose inlet flow steps down, with the flow frozen (the steady flow
scaled) and with the flow stepped in time; one JSON line per plate.

For each plate case: the steady conjugate solve; the reference, the steady flow solved again at
the new flow rate (same coolant properties) and the steady temperature on it; then the plate in
time from its steady state, the inlet flow stepping to ``--fraction`` of its value at 5 % of the
run, run for 12 settling times with each flow mode (error-controlled steps, 0.01 K).

Reported per mode: each chip's final peak temperature against the reference [K], energy steps,
flow steps and inner iterations (time-accurate), seconds; machine and load.

Run: ``.venv/bin/python benchmarks/plate_flow_step.py [CASE ...] [--fraction 0.5]``
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
from solver.models.coldplate.transient import (  # noqa: E402
    PlateInputs,
    PlateTransient,
    coolant_mass_flow,
    settling_time,
)
from solver.numerics.time_steps import TimeSteps  # noqa: E402
from solver.schedules import Step  # noqa: E402
from solver.setup import build_solid_model, from_case  # noqa: E402

DEFAULT = [ROOT / "cases" / "rack_gpu_plate.toml",
           ROOT / "tests" / "models" / "data" / "small_chip_plate.toml"]


def _solved(case):
    plate = from_case(case, build_solid_model(case, get_backend("cpu")))
    plate.solve()
    return plate


def _peaks(plate, temperature) -> dict:
    field = plate.backend.to_host(temperature)
    return {name: float(np.max(field[mask])) for name, mask in plate.model.chip_masks.items()}


def measure(path: Path, fraction: float) -> dict:
    """The flow-step figures of the plate case at ``path`` as a dict."""
    case = load_case(path)
    plate = _solved(case)
    steady = plate.temperature.copy()
    mass_flow, settle = coolant_mass_flow(plate), settling_time(plate)
    reference = _solved(case)
    reference.flow.scale_inflow(fraction)
    reference.flow.solve(max_iterations=reference.settings.flow.max_iterations)
    held = PlateTransient(reference, PlateInputs(), temperature=steady)
    held.energy.settle(0.0)
    target = _peaks(reference, held.energy.temperature)
    end = 12.0 * settle
    out = {"benchmark": "plate_flow_step", "case": case.name,
           "cells": int(np.prod(plate.grid.shape)), "flow_fraction": fraction,
           "settling_time_s": settle, "end_s": end,
           "reference_peak_K": target, "modes": {}}
    for mode in ("frozen", "time-accurate"):
        fresh = _solved(case)
        start = time.perf_counter()
        transient = PlateTransient(
            fresh, PlateInputs(inlet_flow=Step(mass_flow, fraction * mass_flow, 0.05 * end)),
            temperature=steady, flow=mode)
        result = transient.run(TimeSteps(end, 1e-3, end / 5, 2.0, 0.01))
        flow = transient.flow_in_time
        out["modes"][mode] = {
            "final_minus_reference_K": {name: float(values[-1] - target[name])
                                        for name, values in result.chip_temperature.items()},
            "steps": result.history.steps, "rejected": result.history.rejected,
            "flow_steps": None if flow is None else flow.flow_steps,
            "flow_inner_iterations": None if flow is None else flow.inner_iterations,
            "energy_audit_relative_error": result.audit.relative_error,
            "seconds": round(time.perf_counter() - start, 2)}
    out.update({"machine": f"{platform.node()} {os.cpu_count()} cores",
                "load_1min": round(os.getloadavg()[0], 2)})
    return out


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", type=Path, help="plate case files")
    parser.add_argument("--fraction", type=float, default=0.5,
                        help="new inlet flow over the old (default 0.5)")
    args = parser.parse_args()
    for case_path in args.cases or DEFAULT:
        print(json.dumps(measure(case_path, args.fraction)), flush=True)
