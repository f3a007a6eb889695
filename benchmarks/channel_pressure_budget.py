"""Where example (a)'s pressure drop converges slowly: its budget along the flow, per grid.

``cases/coldplate_channels.toml`` on the three grids of ``benchmarks/coldplate_grid_study.py
--set refined`` (4 / 6 / 8 cells across a channel), one flow pass at the inlet's viscosity
(steady, isothermal: no cancellation with the viscosity's temperature dependence). The mean
pressure of the coolant on each x plane of the channel bank gives the budget:

- ``developed``: the straight line fitted to the plane means at 16-32 mm (the channels run
  from 4 to 36 mm), its drop over the channels' 32 mm (friction of the developed flow, the
  line's slope is ``gradient_Pa_per_m``);
- ``inlet_side``: the inlet face's static pressure minus the line at 4 mm (the inlet plenum,
  the contraction into the channels and the developing flow's excess);
- ``outlet_side``: the line at 36 mm minus the outlet's static pressure (the expansion into
  the outlet plenum, a recovery: negative).

Beside it the duct model: developed f Re of a straight 0.4 x 3 mm duct (the channels'
cross-section) on each grid's cross-section cells (4 x 6, 6 x 9, 8 x 12, and finer), against
Shah & London's (1978) exact value, with the wall gradient of the plate run; and ``--split``
runs the duct with only one cross direction refined.

Measured 2026-12-07 (quadratic wall gradient, 2 cores, load 1.8-2.0; throw-away runs of this
code before it was a script, the same numbers): dp 1106.84 / 1144.06 / 1173.77 Pa = inlet
side 202.6 / 209.0 / 217.6 + developed 969.4 / 1002.6 / 1017.7 + outlet side -65.2 / -67.6 /
-61.5 Pa. The developed gradient grows by 1.0343 and 1.0150, as the duct model's f Re does
(76.14 / 78.58 / 79.75 against 81.615: -6.7 / -3.7 / -2.3 %, ratios 1.0321 and 1.0149), and
extrapolates with it to 1,039 / 1,041 / 1,041 Pa: the developed friction, 87 % of dp, converges
as the duct of the channels' cross-section does, whose error on these cells comes as much from
the 3 mm height on 6 / 9 / 12 cells (0.5 / 0.36 / 0.25 mm against boundary layers about 0.2 mm
thick at the lid and the base: 16 x 6 cells still -4.0 %) as from the 4 / 6 / 8 cells across
(4 x 24 cells still -3.4 %). The inlet side, 18 % of dp, still grows by 6.4 then 8.5 Pa (the
developing flow on 2 / 1.4 / 1.0 mm cells along the channels): not yet in the asymptotic range.
With the linear wall the duct model gives -15.3 / -8.5 / -5.5 / -1.7 % on 4 x 6 / 6 x 9 / 8 x 12
/ 16 x 24 cells (quadratic: -0.56 % on 16 x 24).

Run: ``.venv/bin/python benchmarks/channel_pressure_budget.py [--grids coarse medium fine]
[--wall-gradient quadratic|linear] [--duct-only] [--split]``. Prints one JSON line per grid and
per duct series. The plate grids take about 30 s, 1.5 min and 4.5 min on 2 cores; the duct
model about 30 s.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small BLAS calls: threads only add spin-waits

import numpy as np  # noqa: E402

from solver.backend import get_backend  # noqa: E402
from solver.grid import Grid  # noqa: E402
from solver.network.friction import rectangular_duct_friction_reynolds  # noqa: E402
from solver.setup import build_solid_model, from_case  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "models"))
from coldplate_grid_study import BANK, CHANNEL_WIDTH, GRID_SETS, level_case  # noqa: E402
from test_flow import U_IN, channel_boundaries, developed_fre, solve  # noqa: E402

FIT_WINDOW = (16e-3, 32e-3)  # [m] x range of the developed-flow line
CHANNEL_HEIGHT = BANK[2][1] - BANK[2][0]  # [m]
DUCT_CELLS = ((4, 6), (6, 9), (8, 12), (16, 24))  # cells across (y) x up (z) the duct
SPLIT_CELLS = ((4, 12), (4, 24), (8, 6), (16, 6))


def plate_budget(level, wall_gradient: str) -> dict:
    """Solve example (a) on ``level`` (one pass at the inlet viscosity) and split its dp [Pa]."""
    case = level_case(level, flow_settings={"wall_gradient": wall_gradient}, passes=1)
    model = build_solid_model(case, get_backend("cpu"))
    plate = from_case(case, model)
    start = time.perf_counter()
    result = plate.solve()
    seconds = time.perf_counter() - start
    flow = plate.flow
    pressure = np.asarray(flow.pressure_on_grid())
    fluid = np.asarray(flow.embed(flow.fluid)).astype(bool)
    x, y, z = model.grid.centers
    (x0, x1), (y0, y1), (z0, z1) = BANK
    bank = ((y > y0) & (y < y1))[:, None] & ((z > z0) & (z < z1))[None, :]
    mean = np.array([pressure[i][fluid[i] & bank].mean() for i in range(len(x))])
    window = (x > FIT_WINDOW[0]) & (x < FIT_WINDOW[1])
    slope, intercept = np.polyfit(x[window], mean[window], 1)
    drop = flow.pressure_drop()
    at_start, at_end = slope * x0 + intercept, slope * x1 + intercept
    return {"grid": level.name, "cells": model.grid.n_cells, "wall_gradient": wall_gradient,
            "pressure_drop_Pa": drop["static"],
            "inlet_side_Pa": drop["inlet_static"] - at_start,
            "developed_Pa": at_start - at_end,
            "outlet_side_Pa": at_end - drop["outlet_static"],
            "gradient_Pa_per_m": -slope, "planes_in_fit": int(window.sum()),
            "converged": bool(result.converged), "seconds": seconds}


def duct_friction(cells_across: int, cells_up: int, wall_gradient: str) -> float:
    """Developed Darcy f Re of a straight duct of the channels' cross-section (0.4 x 3 mm)."""
    hydraulic_diameter = 2 * CHANNEL_WIDTH * CHANNEL_HEIGHT / (CHANNEL_WIDTH + CHANNEL_HEIGHT)
    grid = Grid(np.linspace(0.0, 8 * hydraulic_diameter, 17),
                np.linspace(0.0, CHANNEL_WIDTH, cells_across + 1),
                np.linspace(0.0, CHANNEL_HEIGHT, cells_up + 1))
    fluid = np.ones(grid.shape, bool)
    solution = solve(grid, fluid, channel_boundaries(False), tolerance=1e-9, max_iterations=4000,
                     wall_gradient=wall_gradient)  # asserts convergence and the mass balance
    return developed_fre(solution, grid, fluid, hydraulic_diameter, U_IN)


def duct_series(cells, wall_gradient: str) -> dict:
    """f Re and its error against Shah & London on each (across, up) pair of ``cells``."""
    exact = rectangular_duct_friction_reynolds(CHANNEL_WIDTH / CHANNEL_HEIGHT)
    values = [duct_friction(a, b, wall_gradient) for a, b in cells]
    return {"duct": "0.4 x 3 mm", "wall_gradient": wall_gradient, "exact": exact,
            "cells": [f"{a}x{b}" for a, b in cells], "friction_reynolds": values,
            "relative_errors": [v / exact - 1.0 for v in values]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grids", nargs="+", choices=["coarse", "medium", "fine"],
                        default=["coarse", "medium", "fine"])
    parser.add_argument("--wall-gradient", choices=["quadratic", "linear"], default="quadratic")
    parser.add_argument("--duct-only", action="store_true", help="the duct model alone")
    parser.add_argument("--split", action="store_true",
                        help="also the duct with one cross direction refined at a time")
    args = parser.parse_args()
    print(json.dumps({"benchmark": "channel_pressure_budget",
                      **duct_series(DUCT_CELLS, args.wall_gradient)}), flush=True)
    if args.split:
        print(json.dumps({"benchmark": "channel_pressure_budget",
                          **duct_series(SPLIT_CELLS, args.wall_gradient)}), flush=True)
    if args.duct_only:
        return
    for level in GRID_SETS["refined"]:
        if level.name in args.grids:
            print(json.dumps({"benchmark": "channel_pressure_budget", "set": "refined",
                              "load_average": os.getloadavg()[0],
                              **plate_budget(level, args.wall_gradient)}), flush=True)


if __name__ == "__main__":
    main()
