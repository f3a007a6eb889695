"""Accuracy of the wall velocity gradient: ``wall_gradient = "quadratic"`` against ``"linear"``.

Three flows, each on a sequence of grids, with both wall gradients (``[solver.flow]
wall_gradient``, :func:`solver.models.flow.momentum.wall_geometry`):

- ``plates``: plane Poiseuille flow (1 mm gap, 4 / 8 / 16 cells across): Darcy f Re against
  96 (Shah & London 1978); the quadratic wall's discrete solution is the exact parabola at the
  nodes, f Re = 96 / (1 + h^2 / 2) (the midpoint flow rate), i.e. the linear wall's on twice
  the cells.
- ``square_duct``: developed flow in a square duct (4 / 8 / 16 cells a side): f Re against the
  series solution (White 1991, eq. 3-48; 56.91, Shah & London 1978).
- ``fin_bank_2d``: a 2-D unit of the channel plate's fin bank (half a 0.7 mm pitch between
  symmetry planes: half a 0.3 mm fin, half a 0.4 mm channel; 1 mm inlet plenum, 6 mm of
  sharp-ended fin, 2 mm outlet plenum; water at 30 C, 0.5 m/s in the channel, Re 440 on the
  gap), 8 / 16 / 32 / 64 cells across the channel: the static pressure drop and its observed
  order between successive grids (the fin ends' sharp corners and the developing flow, which
  the straight-duct cases do not have).

Prints one JSON line per flow and wall gradient (values, errors, observed orders, seconds).
Usage: ``python benchmarks/wall_gradient.py [--flows plates square_duct fin_bank_2d]``
(about 2 minutes on 2 cores, most of it the 64-cell fin bank).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from solver.boundaries import Inlet, Outlet, Patch, Symmetry  # noqa: E402
from solver.grid import Grid  # noqa: E402
from solver.models.flow import FlowSettings, FlowSolver  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "models"))
from test_flow import exact_duct_fre  # noqa: E402
from test_flow_walls import plates, square_duct  # noqa: E402

GRADIENTS = ("quadratic", "linear")
WATER_30C = (995.6, 7.97e-4)  # [kg/m^3], [Pa s] (solver.materials water at 303.15 K, rounded)


def _solve(grid, fluid, boundaries, wall_gradient, density, viscosity):
    settings = FlowSettings(tolerance=1e-9, max_iterations=20000, wall_gradient=wall_gradient)
    solution = FlowSolver(grid, fluid, boundaries, density, viscosity, settings).solve()
    if not solution.converged:
        raise RuntimeError(f"not converged on {grid.shape}")
    return solution


def timed(function, *args):
    """``function(*args)``'s first value (f Re) and the seconds it took."""
    start = time.perf_counter()
    value = function(*args)
    return (value[0] if isinstance(value, tuple) else value), time.perf_counter() - start


def fin_bank_2d(cells: int, wall_gradient: str) -> float:
    """Static pressure drop [Pa] of the 2-D fin-bank unit with ``cells`` across the channel."""
    h = 0.4e-3 / cells
    inlet_end, fin_end, length = 1e-3, 7e-3, 9e-3
    grid = Grid(np.linspace(0.0, length, int(round(length / h)) + 1),
                np.linspace(0.0, 0.35e-3, int(round(0.35e-3 / h)) + 1), np.array([0.0, h]))
    xc, yc = grid.centers[0], grid.centers[1]
    fin = ((xc > inlet_end) & (xc < fin_end))[:, None, None] & (yc < 0.15e-3)[None, :, None]
    fluid = ~np.broadcast_to(fin, grid.shape)
    boundaries = [Inlet(Patch("x_min"), velocity=0.5 * 0.2 / 0.35, temperature=303.15),
                  Outlet(Patch("x_max"), pressure=0.0)]
    boundaries += [Symmetry(Patch(side)) for side in ("y_min", "y_max", "z_min", "z_max")]
    solution = _solve(grid, fluid, boundaries, wall_gradient, *WATER_30C)
    return float(np.mean(solution.pressure[0, :, 0]))


FLOWS = {  # the straight ducts are the tests' (tests/models/test_flow_walls.py, test_flow.py)
    "plates": (plates, (4, 8, 16), 96.0),
    "square_duct": (square_duct, (4, 8, 16), exact_duct_fre(1.0)),
    "fin_bank_2d": (fin_bank_2d, (8, 16, 32, 64), None),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", nargs="+", choices=sorted(FLOWS), default=list(FLOWS))
    args = parser.parse_args()
    for name in args.flows:
        function, sizes, exact = FLOWS[name]
        for wall_gradient in GRADIENTS:
            values, seconds = zip(*(timed(function, n, wall_gradient) for n in sizes),
                                  strict=True)
            record = {"benchmark": "wall_gradient", "flow": name, "wall_gradient": wall_gradient,
                      "cells_across": list(sizes), "values": list(values),
                      "seconds": [round(s, 2) for s in seconds],
                      "load_average": os.getloadavg()[0]}
            if exact is not None:
                errors = [v / exact - 1.0 for v in values]
                record |= {"exact": exact, "relative_errors": errors,
                           "observed_orders": [float(np.log2(errors[i] / errors[i + 1]))
                                               for i in range(len(errors) - 1)]}
            else:
                steps = np.diff(values)
                record |= {"changes": steps.tolist(),
                           "observed_orders": [float(np.log2(abs(steps[i] / steps[i + 1])))
                                               for i in range(len(steps) - 1)]}
            print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
