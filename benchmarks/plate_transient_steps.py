"""A few transient steps of the 1,800-cell test plate on a chosen backend; one JSON line.

The driver of the transient-step case of ``benchmarks/gpu_launches.py`` (which runs it on the
CuPy stand-in and counts launches, syncs and transfers per step) and a quick before/after
check of the histories: the plate's steady flow and temperature are solved, then
:class:`solver.models.coldplate.transient.PlateTransient` takes ``--steps`` fixed steps of
``--dt`` with the chip stepping from 10 to 50 W after the first step (``--inputs power``), the
inlet 2 K warmer as well (``inlet``), or the inlet flow halved as well (``flow``: the
convective part of the operator changes in time).

Run: ``.venv/bin/python benchmarks/plate_transient_steps.py [--backend cpu|gpu]
[--inputs power|inlet|flow] [--steps 12] [--dt 0.02] [--save HISTORY.json]``.
Prints cells, steps, seconds per step (wall clock of this backend) and the last record; with
``--save`` every record of the run goes to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from solver.backend import get_backend  # noqa: E402
from solver.case import load_case  # noqa: E402
from solver.models.coldplate.transient import PlateInputs, PlateTransient  # noqa: E402
from solver.numerics.time_steps import TimeSteps  # noqa: E402
from solver.schedules import Step  # noqa: E402
from solver.setup import build_solid_model, from_case  # noqa: E402

CASE = ROOT / "tests" / "models" / "data" / "small_chip_plate.toml"


def inputs_of(kind: str, plate, dt: float) -> PlateInputs:
    """The plate's inputs in time: the chip from 10 to 50 W at ``dt`` [s], and with ``inlet``
    the inlet 2 K warmer, with ``flow`` the inlet flow halved, both from ``2 dt``."""
    power = {"die": Step(10.0, 50.0, dt)}
    if kind == "power":
        return PlateInputs(chip_power=power)
    if kind == "inlet":
        t_in = plate.inlet_temperature
        return PlateInputs(chip_power=power, inlet_temperature=Step(t_in, t_in + 2.0, 2 * dt))
    flow = PlateTransient(plate).steady_flow
    return PlateInputs(chip_power=power, inlet_flow=Step(flow, 0.5 * flow, 2 * dt))


def measure(backend: str, kind: str, steps: int, dt: float, save: Path | None) -> dict:
    """Solve the plate, run its transient; the figures as a dict."""
    case = load_case(CASE)
    model = build_solid_model(case, get_backend(backend))
    plate = from_case(case, model)
    plate.solve()
    transient = PlateTransient(plate, inputs_of(kind, plate, dt))
    counted = sys.modules.get("cupy")
    if backend == "gpu" and hasattr(counted, "reset"):
        counted.reset()  # the CuPy stand-in: count the transient alone, not the steady solve
    start = time.perf_counter()
    result = transient.run(TimeSteps(steps * dt, dt))
    seconds = time.perf_counter() - start
    rows = result.rows()
    if save is not None:
        save.write_text(json.dumps(rows))
    return {"benchmark": "plate_transient_steps", "backend": backend, "inputs": kind,
            "cells": model.grid.n_cells, "steps": result.history.steps,
            "seconds_per_step": round(seconds / result.history.steps, 4),
            "stage_solves": len(result.history.linear_iterations),
            "linear_iterations": sum(result.history.linear_iterations),
            "energy_audit_relative_error": result.audit.relative_error, "last": rows[-1]}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="cpu", choices=("cpu", "gpu"))
    parser.add_argument("--inputs", default="power", choices=("power", "inlet", "flow"))
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--dt", type=float, default=0.02)
    parser.add_argument("--save", type=Path)
    opts = parser.parse_args()
    print(json.dumps(measure(opts.backend, opts.inputs, opts.steps, opts.dt, opts.save)),
          flush=True)
