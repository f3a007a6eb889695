"""Convergence of the pressure-correction multigrid on the example plates' own operators.

For each conjugate example in ``cases/`` (on its case grid, and on the coarser grid its test
uses) the flow solver runs ``--iterations`` SIMPLEC iterations from the potential-flow start, so
that the pressure-correction operator carries realistic momentum coefficients; that operator is
then solved for a random right-hand side on the coolant cells to a relative residual of 1e-8,
and to the flow's own tolerance (``pressure_rtol``), with the flow solver's settings (PCG
preconditioned by a V-cycle; zebra lines where an axis is strongly coupled, semi-coarsening
across them) and, for comparison, with K-cycles (the flow's setting before issue 11's stop 32:
its doubled coarse visits cost 5 times the kernel launches of a V-cycle on a GPU) and with
red-black point smoothing (the setting before issue 10).

Prints one JSON line per operator, tolerance and variant: cells of the flow region, levels
(shape and aggregation factors), PCG iterations, averaged convergence factor
``(r_k / r_0)^(1/k)``, set-up and solve seconds, and the machine load. The design bar is a
factor <= 0.2 at 1e-8 on every operator.

Usage: ``python benchmarks/pressure_multigrid.py [--iterations 20] [--cases a.toml ...]``
(about 2 min on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # BLAS threads only add wake-up latency here

import numpy as np  # noqa: E402

from solver.backend import CPU  # noqa: E402
from solver.case import load_case  # noqa: E402
from solver.numerics.linear import Multigrid  # noqa: E402
from solver.setup import build_solid_model, from_case  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "models"))
from test_coldplate_examples import TEST_GRIDS, quiet_case  # noqa: E402

CASES = ("coldplate_channels.toml", "coldplate_pinfin.toml", "coldplate_unit_cell.toml")
RTOL = 1e-8


def pressure_operator(case, iterations: int):
    """The pressure-correction operator and the coolant mask after ``iterations`` SIMPLEC
    iterations of ``case``'s flow, and the flow solver's pressure settings."""
    plate = from_case(case, build_solid_model(case, CPU))
    for _ in range(iterations):
        plate.flow.iterate()
    return plate.flow.pressure_operator, plate.flow.fluid, plate.flow.pressure_settings


def measure(stencil, fluid, settings, rtol: float) -> dict:
    """Solve ``stencil`` for a random right-hand side on the coolant cells to ``rtol``."""
    rhs = np.random.default_rng(0).standard_normal(stencil.shape) * fluid
    start = time.perf_counter()
    # every iteration's residual in the history (the flow's GPU check schedule keeps only
    # the checks'; the iterates are the same)
    multigrid = Multigrid(stencil, replace(settings, rtol=rtol, max_iterations=200,
                                           gpu_check_schedule=False))
    setup = time.perf_counter() - start
    residuals = []
    start = time.perf_counter()
    multigrid.solve(rhs, residuals=residuals)
    solve = time.perf_counter() - start
    k = len(residuals) - 1
    return {"levels": [[list(level.shape), list(level.coarsening)]
                       for level in multigrid.levels],
            "iterations": k,
            "convergence_factor": (residuals[-1] / residuals[0]) ** (1.0 / k) if k else 0.0,
            "setup_seconds": round(setup, 4), "solve_seconds": round(solve, 4)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--cases", nargs="+", default=list(CASES))
    args = parser.parse_args(argv)
    for name in args.cases:
        grids = {"case": load_case(ROOT / "cases" / name)}
        if name in TEST_GRIDS:
            grids["test"] = quiet_case(name)
        for grid_name, case in grids.items():
            stencil, fluid, settings = pressure_operator(case, args.iterations)
            variants = {"flow": settings,
                        "k_cycle": replace(settings, cycle="k", pre_sweeps=2, post_sweeps=2),
                        "point": replace(settings, smoother="point")}
            for rtol in (RTOL, settings.rtol):
                for variant, chosen in variants.items():
                    record = {"benchmark": "pressure_multigrid", "case": name,
                              "grid": grid_name, "cells": int(np.prod(stencil.shape)),
                              "simplec_iterations": args.iterations, "variant": variant,
                              "smoother": chosen.smoother, "cycle": chosen.cycle, "rtol": rtol,
                              **measure(stencil, fluid, chosen, rtol),
                              "load_average": os.getloadavg()[0]}
                    print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
