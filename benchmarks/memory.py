"""Memory per cell of a cold-plate solve, the largest plate one GPU holds, and what a
multi-GPU slab decomposition would exchange: the figures of docs/scaling.md.

Each example plate runs on the CPU backend (images off) under ``tracemalloc``, which sees
every NumPy array: the peak of traced memory over the run, divided by the cells, is the
working set per cell of the algorithm (fields, coefficients, multigrid hierarchies, Krylov
vectors); the GPU path allocates the same arrays plus kernel work arrays of the same sizes
(line factors, K-cycle slots), so it is a lower bound there. From it: the cells that fit in
90 % of an H100 (80 GB) and an H200 (141 GB), and for such a plate split into ``P`` slabs
along its longest axis, the bytes of one halo exchange (one layer each side, float64) per
smoother sweep against the bytes a sweep streams, and the exchange time over NVLink
(450 GB/s per direction) against the sweep time at 3 TB/s.

Run: ``.venv/bin/python benchmarks/memory.py [--cases unit_cell channels]``. Prints one JSON
line per case. Expected runtime (2 CPU cores): about 1 minute for both.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import tracemalloc

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from solver import pipeline  # noqa: E402
from solver.case import load_case  # noqa: E402

CASES = {"unit_cell": "cases/coldplate_unit_cell.toml",
         "channels": "cases/coldplate_channels.toml",
         "pin_fin": "cases/coldplate_pinfin.toml"}
GPUS = {"H100": 80e9, "H200": 141e9}
NVLINK = 450e9  # bytes/s per direction
HBM = 3.0e12  # bytes/s
SWEEP_ARRAYS = 9  # a point sweep streams diag^-1, six couplings, rhs and x


def measure(name: str) -> dict:
    case = load_case(CASES[name])
    output = case.output.model_copy(update={"write_images": False})
    case = case.model_copy(update={"output": output})
    tracemalloc.start()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        summary = pipeline.run(case, "cpu", scratch, quiet=True)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    cells = summary["grid"]["cells"]
    per_cell = peak / cells
    fits = {gpu: int(0.9 * size / per_cell) for gpu, size in GPUS.items()}
    # a plate of H200 size with the example's proportions, split into slabs along its
    # longest axis
    shape = summary["grid"]["shape"]
    scale = (fits["H200"] / cells) ** (1.0 / 3.0)
    big = [max(1, round(n * scale)) for n in shape]
    longest = max(range(3), key=lambda a: big[a])
    face = big[0] * big[1] * big[2] // big[longest]
    slabs = {}
    for parts in (2, 4, 8):
        halo_bytes = 2 * face * 8  # one layer each side of an inner slab, float64
        sweep_bytes = SWEEP_ARRAYS * 8 * big[longest] * face / parts
        slabs[parts] = {"halo_bytes_per_sweep": halo_bytes,
                        "halo_fraction_of_sweep_bytes": halo_bytes / sweep_bytes,
                        "exchange_us": 1e6 * halo_bytes / NVLINK,
                        "sweep_us": 1e6 * sweep_bytes / HBM}
    return {"case": name, "cells": cells, "shape": shape, "seconds": seconds,
            "peak_traced_bytes": peak, "bytes_per_cell": per_cell,
            "cells_in_90_percent_of": fits, "h200_plate_shape": big,
            "slab_axis": "xyz"[longest],
            "slab_decomposition_of_h200_plate": slabs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", choices=sorted(CASES),
                        default=["unit_cell", "channels"])
    for name in parser.parse_args().cases:
        print(json.dumps(measure(name)), flush=True)


if __name__ == "__main__":
    main()
