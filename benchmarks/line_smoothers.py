"""One zebra colour of line Gauss-Seidel, timed per sweep, on the line shapes of the channel
plate's multigrid levels: the Thomas recurrence with a thread per line (``zebra_lines``, what
the CPU and, for lines of up to 8 cells, the GPU run) against parallel cyclic reduction with a
thread block per line (``zebra_lines_pcr``, the GPU's kernel for longer lines), on the chosen
backend. The stand-in's model prices a kernel by its bytes; a Thomas line solve is a chain of
2 n - 1 dependent steps (``dependent_steps``), which only a GPU can time: this is the script
that decides the GPU's choice of kernel (``SHORT_LINE`` in ``solver/numerics/linear/
smoothers.py``) on the first GPU lent (``benchmarks/gpu_check.sh`` runs it).

Each shape is a level's (cells along the line axis last in the record's ``line_cells``): the
pressure correction's finest level (20 x 297 x 6, lines along y) and a coarse one
(5 x 297 x 1), the energy's finest level along x and y (20 x 337 x 24) and a coarse one along y
(20 x 85 x 12), on a random diagonally dominant operator. Both kernels solve the same lines
(their results agree to ``max_difference`` relative); the CPU has only the Thomas sweep.

Run: ``.venv/bin/python benchmarks/line_smoothers.py [--backend cpu|gpu] [--repeat 50]``;
prints one JSON line per level and axis (about 10 s on 2 CPU cores; on the CuPy stand-in the
times are the emulation's, not a GPU's).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solver.backend import get_backend  # noqa: E402
from solver.numerics.linear import Level  # noqa: E402
from solver.numerics.linear.smoothers import LineSmoother  # noqa: E402
from solver.numerics.stencil import NEIGHBOURS, OFFSETS, Stencil7, along_axis  # noqa: E402

LEVELS = [("pressure, finest", (20, 297, 6), 1), ("pressure, coarse", (5, 297, 1), 1),
          ("energy, finest", (20, 337, 24), 0), ("energy, finest", (20, 337, 24), 1),
          ("energy, coarse", (20, 85, 12), 1)]


def random_operator(shape, backend, seed: int = 1) -> Stencil7:
    """A diagonally dominant seven-point operator with random couplings (zero beyond the
    grid), on ``backend``."""
    rng = np.random.default_rng(seed)
    couplings = {}
    for name in NEIGHBOURS:
        axis, offset = OFFSETS[name]
        c = rng.uniform(0.1, 2.0, shape)
        c[along_axis(axis, 0 if offset < 0 else -1)] = 0.0
        couplings[name] = c
    diag = sum(couplings.values()) + rng.uniform(0.1, 1.0, shape)
    return Stencil7(backend.asarray(diag), *(backend.asarray(couplings[n]) for n in NEIGHBOURS))


def time_sweeps(backend, smoother: LineSmoother, repeat: int) -> float:
    """Seconds per colour sweep, median of ``repeat`` (CUDA events on a GPU)."""
    xp = backend.xp
    smoother.sweep(0)  # compiled and warm
    times = []
    for k in range(repeat):
        if xp is np:
            start = time.perf_counter()
            smoother.sweep(k % 2)
            times.append(time.perf_counter() - start)
            continue
        begin, end = xp.cuda.Event(), xp.cuda.Event()
        begin.record()
        smoother.sweep(k % 2)
        end.record()
        end.synchronize()
        times.append(xp.cuda.get_elapsed_time(begin, end) * 1e-3)
    return float(np.median(times))


def measure(backend, name: str, shape, axis: int, repeat: int) -> dict:
    """The record of one level and line axis."""
    level = Level(random_operator(shape, backend), line_axes=(axis,))
    level.rhs[...] = backend.asarray(np.random.default_rng(2).standard_normal(shape))
    record = {"benchmark": "line_smoothers", "level": name, "shape": list(shape),
              "line_axis": axis, "line_cells": shape[axis],
              "lines": int(np.prod(shape)) // shape[axis], "backend": backend.name,
              "device": backend.device}
    solutions = {}
    parallel = (False, True) if backend.xp is not np else (False,)
    for choice in parallel:
        smoother = LineSmoother(level, axis, parallel=choice)
        key = "cyclic_reduction" if choice else "thomas"
        level.x_padded.fill(0)
        record[f"{key}_us_per_sweep"] = time_sweeps(backend, smoother, repeat) * 1e6
        record[f"{key}_dependent_steps"] = smoother.dependent_steps
        level.x_padded.fill(0)
        smoother.sweep(0)
        smoother.sweep(1)
        solutions[key] = backend.to_host(level.x)
    if len(solutions) == 2:
        scale = max(float(np.abs(solutions["thomas"]).max()), 1e-300)
        record["max_difference"] = float(
            np.abs(solutions["thomas"] - solutions["cyclic_reduction"]).max() / scale)
    return record


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="cpu", choices=("cpu", "gpu", "auto"))
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args(argv)
    backend = get_backend(args.backend)
    for name, shape, axis in LEVELS:
        print(json.dumps(measure(backend, name, shape, axis, args.repeat)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
