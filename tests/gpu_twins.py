"""Twins of the project's CUDA kernels that the CuPy stand-in (../shared/tools/fakecupy) does not
build in, for running the GPU path on a CPU: ``FAKECUPY_TWINS=tests/gpu_twins.py`` (or
``fakecupy_report.py --twins tests/gpu_twins.py``); ``tests/conftest.py`` registers them when the
stand-in is the ``cupy`` on the path. Calling convention of the stand-in: ``fn(grid, block, args)``
with every device array as its flat C-ordered NumPy buffer (a view: results are written into it).
"""

import numpy as np

from solver.numerics.linear.smoothers import thomas_factors


def thomas_factor(grid, block, args):
    """Twin of ``thomas_factor`` (solver/numerics/linear/kernels/smoothers.cu): one tridiagonal
    system per thread, ``n`` unknowns each, stored line after line."""
    lower, diag, upper, inverse, upper_scaled, lines, n = args
    lines, n = int(lines), int(n)
    assert int(np.prod(grid)) * int(np.prod(block)) >= lines, "launch does not cover the lines"
    shaped = [a[:lines * n].reshape(lines, n) for a in (lower, diag, upper, inverse,
                                                          upper_scaled)]
    thomas_factors(np, *shaped)


TWINS = {"thomas_factor": thomas_factor}
