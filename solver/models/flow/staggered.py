"""Index helpers of the staggered (MAC) grid: slices along an axis, half widths, edge and zero
padding."""

from __future__ import annotations

import numpy as np

from solver.numerics.stencil import along_axis

LOWER, UPPER = slice(None, -1), slice(1, None)


FIRST, LAST = slice(0, 1), slice(-1, None)


INTERIOR = slice(1, -1)


def half_widths(widths: np.ndarray) -> np.ndarray:
    """Momentum control-volume widths at the faces of one axis (half cells at the ends) [m]."""
    return np.concatenate([[0.5 * widths[0]], 0.5 * (widths[:-1] + widths[1:]),
                           [0.5 * widths[-1]]])


def pad_edge(xp, array, axis: int):
    """Pad ``array`` by one repeated layer on both ends of ``axis``."""
    first = array[along_axis(axis, FIRST)]
    last = array[along_axis(axis, LAST)]
    return xp.concatenate([first, array, last], axis=axis)


def pad_zero(xp, array, axis: int):
    """Pad ``array`` by one layer of zeros on both ends of ``axis``."""
    shape = list(array.shape)
    shape[axis] = 1
    zero = xp.zeros(shape, dtype=array.dtype)
    return xp.concatenate([zero, array, zero], axis=axis)
