"""Benchmark of the multigrid-preconditioned conduction solve (solver/numerics/linear).

Physics: steady conduction in a 20 mm cube of a 0.4 W/m/K matrix holding a copper block
(400 W/m/K, a 1000:1 jump), random volumetric heating of about 1 W/cm^3, T = 0 on the bottom
face and convection (h = 2000 W/m^2/K) on the top face; harmonic-mean face conductances. With
``--stretched`` the z widths grow geometrically by 400x (cell aspect ratios up to about 70).

Prints one JSON line per size to stdout: cells, iterations, seconds (set-up + solve, after a
warm-up solve on a GPU), cells x iterations per second, peak memory, observed averaged
convergence factor, final relative residual, levels, backend, device and dtype.

Run: ``python benchmarks/conduction.py [--sizes 32 64 128] [--backend cpu|gpu|auto]
[--dtype float64|float32] [--stretched]``. About 10 s on 2 CPU cores for the default sizes
(measured: 9 PCG iterations, factor 0.10-0.11, 0.33 s at 64^3 and 2.9 s at 128^3).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import tracemalloc

import numpy as np

from solver.backend import get_backend
from solver.grid import Grid
from solver.numerics import Stencil7
from solver.numerics.linear import LinearSolve, Multigrid

PAIRS = (("x_minus", "x_plus"), ("y_minus", "y_plus"), ("z_minus", "z_plus"))


def conduction_problem(n: int, stretched: bool, backend, dtype):
    """Stencil [W/K] and right-hand side [W] of the benchmark problem on n^3 cells."""
    length = 0.02
    faces = np.linspace(0.0, length, n + 1)
    z_faces = faces
    if stretched:
        dz = 400.0 ** (np.arange(n) / (n - 1))
        z_faces = np.concatenate([[0.0], np.cumsum(dz / dz.sum() * length)])
    grid = Grid(faces, faces, z_faces)
    k = np.full(grid.shape, 0.4)
    k[n // 4:3 * n // 4, n // 4:n // 2 + 3, n // 3:2 * n // 3] = 400.0
    coefficients = {}
    for axis, (minus, plus) in enumerate(PAIRS):
        # harmonic-mean conductance between neighbouring centres
        shape = [1, 1, 1]
        shape[axis] = -1
        w = np.moveaxis(np.broadcast_to(grid.widths[axis].reshape(shape), k.shape), axis, 0)
        area = np.moveaxis(np.broadcast_to(grid.face_areas(axis), k.shape), axis, 0)
        kk = np.moveaxis(k, axis, 0)
        g = area[:-1] / (0.5 * w[:-1] / kk[:-1] + 0.5 * w[1:] / kk[1:])
        up, down = np.zeros_like(kk), np.zeros_like(kk)
        up[:-1], down[1:] = g, g
        coefficients[plus] = np.moveaxis(up, 0, axis)
        coefficients[minus] = np.moveaxis(down, 0, axis)
    diag = sum(coefficients.values())
    # T = 0 below (half-cell conductance), convection h = 2000 W/m^2/K above
    area_z = np.broadcast_to(grid.face_areas(2), k.shape)
    dz = grid.widths[2]
    diag[:, :, 0] += k[:, :, 0] * area_z[:, :, 0] / (0.5 * dz[0])
    diag[:, :, -1] += area_z[:, :, -1] / (1.0 / 2000.0 + 0.5 * dz[-1] / k[:, :, -1])
    coefficients["diag"] = diag
    stencil = Stencil7(**{name: backend.asarray(np.ascontiguousarray(value), dtype=dtype)
                          for name, value in coefficients.items()})
    rhs = np.random.default_rng(n).random(grid.shape) * 1e6 * np.asarray(grid.cell_volumes())
    return stencil, backend.asarray(rhs, dtype=dtype)


def run(n: int, stretched: bool, backend, dtype, settings: LinearSolve) -> dict:
    stencil, rhs = conduction_problem(n, stretched, backend, dtype)
    if backend.is_gpu:
        # compile kernels and create every level's arrays once before timing
        Multigrid(stencil, settings).solve(rhs)
    tracemalloc.start()
    backend.synchronize()
    start = time.perf_counter()
    mg = Multigrid(stencil, settings)
    residuals: list[float] = []
    _, info = mg.solve(rhs, residuals=residuals)
    backend.synchronize()
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    cells = n**3
    return {
        "benchmark": "conduction",
        "grid": [n, n, n],
        "stretched": stretched,
        "cells": cells,
        "method": info.method,
        "iterations": info.iterations,
        "seconds": round(seconds, 4),
        "setup_seconds": round(mg.setup_seconds, 4),
        "cell_iterations_per_second": round(cells * info.iterations / seconds, 1),
        "convergence_factor": round(info.convergence_factor, 4),
        "relative_residual": info.relative_residual,
        "converged": info.converged,
        "levels": [list(level.shape) for level in mg.levels],
        "peak_host_memory_mb_traced": round(peak / 2**20, 1),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "backend": backend.name,
        "device": backend.device,
        "dtype": str(np.dtype(dtype)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--backend", default="auto", choices=["auto", "cpu", "gpu"])
    parser.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    parser.add_argument("--stretched", action="store_true")
    parser.add_argument("--rtol", type=float, default=1e-8)
    args = parser.parse_args(argv)
    backend = get_backend(args.backend)
    settings = LinearSolve(rtol=args.rtol)
    for n in args.sizes:
        print(json.dumps(run(n, args.stretched, backend, np.dtype(args.dtype), settings)),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
