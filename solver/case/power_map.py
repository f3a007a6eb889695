"""Chip power maps named by a case: CSV grids of relative weights over a chip footprint."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def load_power_map(path: str | Path) -> np.ndarray:
    """Read a power map: a CSV grid of non-negative relative weights over a chip footprint.

    The file holds one row per y-strip and one column per x-strip of equal size; the **first row
    is the lowest y** (the footprint's ``y0`` edge) and the first column the lowest x. Lines
    starting with ``#`` are comments. Only ratios matter (the chip power sets the total).

    Returns
    -------
    numpy.ndarray, shape (n_rows_y, n_columns_x)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"power map {path} not found")
    try:
        values = np.loadtxt(path, delimiter=",", comments="#", ndmin=2)
    except (ValueError, UnicodeDecodeError):
        # NumPy's message quotes the offending text: never echo a file's contents
        raise ValueError(f"power map {path} is not a comma-separated grid of numbers "
                         "(one row per y-strip)") from None
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"power map {path} must be a non-empty grid of finite numbers")
    if np.any(values < 0) or values.sum() <= 0:
        raise ValueError(f"power map {path} needs non-negative weights with a positive sum")
    return values
