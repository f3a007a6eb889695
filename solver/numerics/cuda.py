"""CUDA glue of the raw kernels: source files, compilation through CuPy's RawModule and launch
sizes. The multigrid kernels, the cell operator of :class:`Stencil7` and the momentum
equations' deferred convection correction compile as one module; the CPU runs the same loops
compiled by Numba (:mod:`solver.numerics.host_kernels`)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

KERNEL_FILES = (*(Path(__file__).parent / "linear" / "kernels" / name
                  for name in ("smoothers.cu", "stencil.cu")),
                Path(__file__).parent / "kernels" / "convection.cu")

KERNEL_NAMES = ("rbgs_colour", "rbgs_residual_colour", "line_factor", "zebra_lines",
                "zebra_lines_pcr",
                "stencil_apply", "residual_restrict", "prolong_add", "coarsen_operator",
                "cell_operator", "momentum_tvd_correction")

_CUDA_REAL = {"float64": "double", "float32": "float"}


THREADS = 256  # CUDA threads per block


def cuda_source(dtype) -> str:
    """CUDA source of the multigrid kernels for ``dtype`` (float64 or float32)."""
    return (f"typedef {_CUDA_REAL[np.dtype(dtype).name]} real;\n"
            + "\n".join(path.read_text() for path in KERNEL_FILES))


@functools.cache
def cuda_kernels(xp, dtype_name: str) -> dict:
    """Compiled kernels for one precision, by name (:data:`KERNEL_NAMES`; CuPy only)."""
    module = xp.RawModule(code=cuda_source(dtype_name))
    return {name: module.get_function(name) for name in KERNEL_NAMES}


def launch_blocks(count: int) -> tuple[int]:
    """Grid size (blocks of :data:`THREADS`) covering ``count`` threads."""
    return ((count + THREADS - 1) // THREADS,)
