"""Outer iterations and time to a converged state on the lid-driven cavity (Ghia et al. 1982).

The 2D cavity (unit square, lid speed 1, one cell deep with symmetry planes) at Reynolds number
``--re`` on ``n x n`` cells (van Leer convection, SIMPLEC, the flow solver's default settings).
``--methods`` runs the outer iteration as nonlinear multigrid (FAS V-cycles over SIMPLEC) and/or
SIMPLEC on the single grid. Every code normalises its residuals differently, so the figure to
compare is the number of outer steps (cycles or iterations) to a *converged state*: the first
step from which the centreline profiles u(y) and v(x) stay within ``1e-4`` of the lid speed of
those of a tightly converged run (scaled residuals 1e-9) on the same grid (issue 10's
criterion). Also printed: iterations and wall time to the scaled residual 1e-6, wall time to
the converged state, the largest deviation from Ghia, Ghia & Shin (1982) on both centrelines,
the mean pressure multigrid factor, and the machine load.

With ``--peer`` each grid is also run by OpenFOAM ``simpleFoam`` serial through the peer's own
script (``../shared/peers/openfoam-cavity/run.sh``) in the same benchmark run (it stops at
initial residuals 1e-6 in its own norm), and a comparison line gives the peer's wall time over
coolsim's time to the converged state and to its own scaled residual 1e-6.

``--self-convergence`` runs both wall gradients (``[solver.flow] wall_gradient``) on each of
``--sizes`` instead and prints each grid's largest centreline difference from the finest
grid's solutions and from Ghia: Ghia's values are themselves a 129 x 129 solution, so the
deviation from Ghia of a fine grid is Ghia's own error. Measured 2026-12-07 (Re 1000, sizes 128
256 512, load about 1.5, 3 min): on 512^2 the two walls agree
to 1.3e-4 (u) and 1.9e-4 (v) and differ from Ghia by 0.0063 / 0.018 (quadratic) and 0.0063 /
0.018 (linear); against the quadratic 512^2 solution the quadratic wall's 128^2 / 256^2
centrelines differ by 0.0035 / 0.00054 (u) and 0.0065 / 0.0011 (v), the linear wall's by
0.0057 / 0.0011 and 0.0095 / 0.0018: the quadratic wall is 1.5-2x nearer the grid-converged
profile, and the linear wall's smaller deviation from Ghia at 128^2 (0.0053 against 0.0074) is
its error partly cancelling Ghia's.

Usage: ``python benchmarks/cavity.py [--re 1000] [--sizes 64 128] [--methods multigrid
single_grid] [--backend cpu|gpu] [--peer] [--self-convergence]`` (about 2 min on 2 cores
without the peer).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # BLAS threads only add wake-up latency here

import numpy as np  # noqa: E402

from solver.backend import get_backend  # noqa: E402
from solver.boundaries import MovingWall, Patch, Symmetry  # noqa: E402
from solver.grid import Grid  # noqa: E402
from solver.models.flow import FlowSettings, FlowSolver  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "models"))
from test_flow import GHIA_U, GHIA_V, GHIA_X, GHIA_Y  # noqa: E402

STATE_TOLERANCE = 1e-4  # [lid speed] converged-state criterion on the centreline profiles
PEER = Path(__file__).resolve().parents[2] / "shared" / "peers" / "openfoam-cavity" / "run.sh"


def cavity_solver(reynolds: float, n: int, settings: FlowSettings,
                  backend: str = "cpu") -> tuple[Grid, FlowSolver]:
    """The grid and flow solver of the ``n x n`` cavity (unit square, lid speed 1, one cell
    deep)."""
    grid = Grid.uniform((1.0, 1.0, 1.0 / n), (n, n, 1), backend=get_backend(backend))
    boundaries = [MovingWall(Patch("y_max"), velocity=(1.0, 0.0, 0.0)),
                  Symmetry(Patch("z_min")), Symmetry(Patch("z_max"))]
    return grid, FlowSolver(grid, np.ones(grid.shape, bool), boundaries, 1.0, 1.0 / reynolds,
                            settings)


def ghia_lines(grid, velocity) -> tuple:
    """u(y) on the vertical and v(x) on the horizontal centreline [lid speeds] of the face
    velocities ``velocity`` (u, v, w) on ``grid``, interpolated to Ghia's points (the walls'
    values at the ends)."""
    n = grid.shape[0]
    u = grid.backend.to_host(velocity[0])[n // 2, :, 0]
    v = grid.backend.to_host(velocity[1])[:, n // 2, 0]
    y, x = grid.centers[1], grid.centers[0]
    return (np.interp(GHIA_Y, np.r_[0.0, y, 1.0], np.r_[0.0, u, 1.0]),
            np.interp(GHIA_X, np.r_[0.0, x, 1.0], np.r_[0.0, v, 0.0]))


def cavity(reynolds: float, n: int, method: str, backend: str = "cpu") -> dict:
    """Solve the cavity to scaled residuals 1e-9, recording the centrelines every outer step
    (a SIMPLEC iteration, or a multigrid cycle)."""
    grid, solver = cavity_solver(reynolds, n, FlowSettings(tolerance=1e-9, max_iterations=20000,
                                                           method=method), backend)
    to_host = grid.backend.to_host
    profiles, clock, residuals, iterations = [], [], [], []
    start = time.perf_counter()

    def record(res, flow):
        u, v, _ = (to_host(a) for a in flow.velocity_on_grid())
        profiles.append(np.concatenate([u[n // 2, :, 0], v[:, n // 2, 0]]))
        clock.append(time.perf_counter() - start)
        residuals.append(res.largest)
        iterations.append(res.iteration)
        return False

    solution = solver.solve(callback=record)
    final = profiles[-1]
    deviation = [float(np.max(np.abs(p - final))) for p in profiles]
    unsettled = [i for i, d in enumerate(deviation) if d > STATE_TOLERANCE]
    settled = unsettled[-1] + 1 if unsettled else 0
    to_residual = next((i + 1 for i, r in enumerate(residuals) if r < 1e-6), None)
    u_line, v_line = ghia_lines(grid, solution.velocity)
    factors = [h.pressure_convergence_factor for h in solution.history
               if h.pressure_convergence_factor is not None
               and math.isfinite(h.pressure_convergence_factor)
               and h.pressure_convergence_factor > 0]
    return {"benchmark": "cavity", "reynolds": reynolds, "cells": n * n,
            "backend": grid.backend.name,
            "method": "multigrid" if solver.multigrid else "single_grid",
            "converged": solution.converged,
            "iterations_to_converged_state": settled + 1,
            "simplec_iterations_to_converged_state": iterations[settled],
            "seconds_to_converged_state": round(clock[settled], 3),
            "iterations_to_residual_1e-6": to_residual,
            "seconds_to_residual_1e-6": (round(clock[to_residual - 1], 3)
                                         if to_residual else None),
            "iterations_to_residual_1e-9": solution.iterations,
            "max_error_u_vs_ghia": float(np.max(np.abs(u_line - GHIA_U[int(reynolds)]))),
            "max_error_v_vs_ghia": float(np.max(np.abs(v_line - GHIA_V[int(reynolds)]))),
            "pressure_convergence_factor_mean": (math.exp(np.mean(np.log(factors)))
                                                 if factors else None),
            "load_average_1min": os.getloadavg()[0]}


def centrelines(reynolds: float, n: int, wall_gradient: str) -> tuple:
    """u(y) and v(x) on the centrelines at Ghia's points [lid speeds], from a multigrid solve
    of the ``n x n`` cavity to scaled residuals 1e-7 with ``wall_gradient``."""
    grid, solver = cavity_solver(reynolds, n, FlowSettings(
        tolerance=1e-7, max_iterations=20000, method="multigrid", wall_gradient=wall_gradient))
    solution = solver.solve()
    if not solution.converged:
        raise RuntimeError(f"cavity {n}^2 ({wall_gradient} wall) did not converge")
    return ghia_lines(grid, solution.velocity)


def self_convergence(reynolds: float, sizes) -> list[dict]:
    """Each wall gradient's centrelines on ``sizes`` against the finest grid's (both walls'),
    and against Ghia: which coarse grid is nearer the grid-converged profile."""
    lines = {(wall, n): centrelines(reynolds, n, wall)
             for wall in ("quadratic", "linear") for n in sizes}
    finest = max(sizes)
    records = []
    for (wall, n), (u, v) in lines.items():
        record = {"benchmark": "cavity", "study": "self_convergence", "reynolds": reynolds,
                  "wall_gradient": wall, "cells": n * n,
                  "max_error_u_vs_ghia": float(np.max(np.abs(u - GHIA_U[int(reynolds)]))),
                  "max_error_v_vs_ghia": float(np.max(np.abs(v - GHIA_V[int(reynolds)])))}
        for reference in ("quadratic", "linear"):
            u_ref, v_ref = lines[(reference, finest)]
            record[f"max_difference_u_vs_{reference}_{finest}"] = float(np.max(np.abs(u - u_ref)))
            record[f"max_difference_v_vs_{reference}_{finest}"] = float(np.max(np.abs(v - v_ref)))
        records.append(record)
    return records


def openfoam(reynolds: float, n: int) -> dict:
    """The peer's serial ``simpleFoam`` run (its own script; stops at initial residuals 1e-6)."""
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, RES=str(int(reynolds)), NS=str(n), MODES="serial", OUT=folder,
                   RUNDIR=str(Path(folder) / "run"))
        subprocess.run(["bash", str(PEER)], env=env, check=True, capture_output=True)
        with open(Path(folder) / "summary.csv") as table:
            row = next(csv.DictReader(table))
    return {"benchmark": "cavity", "code": "openfoam simpleFoam (serial, linearUpwind)",
            "reynolds": reynolds, "cells": n * n, "wall_seconds": float(row["wall_s"]),
            "iterations_to_residual_1e-6": int(row["iterations"]),
            "converged": row["converged"] == "yes",
            "max_error_u_vs_ghia": float(row["u_maxabs"]),
            "max_error_v_vs_ghia": float(row["v_maxabs"]),
            "load_average_1min": os.getloadavg()[0]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--re", type=float, default=1000.0, choices=[100.0, 400.0, 1000.0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--methods", nargs="+", default=["multigrid", "single_grid"],
                        choices=["multigrid", "single_grid"])
    parser.add_argument("--backend", choices=["cpu", "gpu"], default="cpu")
    parser.add_argument("--peer", action="store_true",
                        help="also run OpenFOAM simpleFoam serial on each grid (needs the peer "
                             "script in ../shared/peers/openfoam-cavity and simpleFoam)")
    parser.add_argument("--self-convergence", action="store_true",
                        help="instead: both wall gradients on --sizes, each grid's centrelines "
                             "against the finest grid's")
    args = parser.parse_args(argv)
    if args.self_convergence:
        for record in self_convergence(args.re, args.sizes):
            print(json.dumps(record), flush=True)
        return 0
    if args.peer and not (PEER.is_file() and shutil.which("simpleFoam")):
        parser.error(f"--peer needs {PEER} and simpleFoam on the PATH")
    for n in args.sizes:
        ours = {}
        for method in args.methods:
            ours[method] = cavity(args.re, n, method, args.backend)
            print(json.dumps(ours[method]), flush=True)
        if args.peer:
            peer = openfoam(args.re, n)
            print(json.dumps(peer), flush=True)
            print(json.dumps({
                "benchmark": "cavity", "comparison": "openfoam wall time / coolsim time",
                "reynolds": args.re, "cells": n * n,
                **{f"{method}_to_converged_state": round(
                    peer["wall_seconds"] / record["seconds_to_converged_state"], 2)
                   for method, record in ours.items()},
                **{f"{method}_to_residual_1e-6": round(
                    peer["wall_seconds"] / record["seconds_to_residual_1e-6"], 2)
                   for method, record in ours.items() if record["seconds_to_residual_1e-6"]},
            }), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
