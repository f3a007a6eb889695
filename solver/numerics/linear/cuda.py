"""CUDA glue of the smoother kernels: source file, compilation through CuPy's RawModule and
launch sizes (the NumPy twins live in :mod:`solver.numerics.linear.smoothers`)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

KERNEL_FILE = Path(__file__).parent / "kernels" / "smoothers.cu"


_CUDA_REAL = {"float64": "double", "float32": "float"}


THREADS = 256  # CUDA threads per block


def cuda_source(dtype) -> str:
    """CUDA source of the smoother kernels for ``dtype`` (float64 or float32)."""
    return f"typedef {_CUDA_REAL[np.dtype(dtype).name]} real;\n" + KERNEL_FILE.read_text()


@functools.cache
def cuda_kernels(xp, dtype_name: str):
    """Compiled ``(rbgs_colour, thomas_lines, thomas_factor)`` kernels for one precision (CuPy
    only)."""
    module = xp.RawModule(code=cuda_source(dtype_name))
    return tuple(module.get_function(name)
                 for name in ("rbgs_colour", "thomas_lines", "thomas_factor"))


def launch_blocks(count: int) -> tuple[int]:
    return ((count + THREADS - 1) // THREADS,)
