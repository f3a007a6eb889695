"""Multigrid smoothers: red-black point Gauss-Seidel and zebra line Gauss-Seidel (Thomas
factorisation along strongly coupled axes), each colour one call of a compiled kernel (CUDA on a
GPU, Numba on the host: :func:`solver.numerics.host_kernels.compiled_kernels`), and the choice
of line axes."""

from __future__ import annotations

import numpy as np

from solver.backend import array_namespace, to_host
from solver.numerics.cuda import THREADS, launch_blocks
from solver.numerics.linear.coarsening import AXIS_PAIRS
from solver.numerics.stencil import Stencil7, along_axis

SHIFTS = tuple((axis, offset) for axis in range(3) for offset in (-1, 1))  # order of NEIGHBOURS


def shifted(padded, shape, axis, offset):
    """View of a halo-padded array (one halo cell on each side of ``shape``) holding each
    cell's neighbour at ``offset`` along ``axis``."""
    index = [slice(1, 1 + n) for n in shape]
    index[axis] = slice(1 + offset, 1 + offset + shape[axis])
    return padded[tuple(index)]


class PointSmoother:
    """Red-black point Gauss-Seidel: one ``rbgs_colour`` kernel call updates a colour
    (kernels/smoothers.cu on a GPU, its Numba loop on the host)."""

    def __init__(self, level):
        self.kernel = level.kernels["rbgs_colour"]
        nx, ny, nz = level.shape
        self.arguments = (level.inverse, *level.operator[1:], level.rhs, level.x_padded,
                          np.int32(nx), np.int32(ny), np.int32(nz))
        self.grid = launch_blocks(nx * ny * nz)

    def refresh(self, level) -> None:
        """Take the level's operator after its coefficients changed in place (the kernel
        reads them where they are: nothing to do)."""

    def sweep(self, colour: int) -> None:
        """Update the cells of ``colour`` ((i + j + k) % 2)."""
        self.kernel(self.grid, (THREADS,), (*self.arguments, np.int32(colour)))


class LineSmoother:
    """Zebra line Gauss-Seidel along one axis: each line is solved exactly (all lines of a
    colour at once); lines of one colour are checkerboarded in the other two axes. Robust
    where cells are thin across that axis (strong coupling).

    One ``zebra_lines`` kernel call sweeps a colour (one thread per line on a GPU; on the host
    the lines advance side by side), on the Thomas factors that one ``line_factor`` call
    computes per operator.
    """

    def __init__(self, level, axis: int):
        xp = level.xp
        self.axis = axis
        nx, ny, nz = level.shape
        lines = nx * ny * nz // level.shape[axis]
        inverse_pivot = xp.empty(level.shape, dtype=level.rhs.dtype)
        plus_scaled = xp.empty_like(inverse_pivot)
        sizes = (np.int64(lines), np.int32(nx), np.int32(ny), np.int32(nz), np.int32(axis))
        diag, *coefficients = level.operator
        self.factor = (level.kernels["line_factor"], launch_blocks(lines), (THREADS,),
                       (coefficients[2 * axis], diag, coefficients[2 * axis + 1],
                        inverse_pivot, plus_scaled, *sizes))
        self.kernel = level.kernels["zebra_lines"]
        self.grid = launch_blocks(lines)
        self.arguments = (inverse_pivot, plus_scaled, *coefficients, level.rhs,
                          level.x_padded, *sizes)
        self.refresh(level)

    def refresh(self, level) -> None:
        """Factorise the lines of the level's operator again after its coefficients changed
        in place (into the same arrays)."""
        kernel, grid, block, arguments = self.factor
        kernel(grid, block, arguments)

    def sweep(self, colour: int) -> None:
        """Solve the lines of ``colour`` (the parity of their indices across the axis)."""
        self.kernel(self.grid, (THREADS,), (*self.arguments, np.int32(colour)))


def strong_line_axes(stencil: Stencil7, ratio: float, fraction: float) -> tuple[int, ...]:
    """Axes that get line smoothing: where at least ``fraction`` of the cells couple ``ratio``
    times more strongly along the axis than along either other axis (thin cells, thin
    layers), or advection dominates diffusion along it (cell Peclet number above 2: the
    coefficients of a link differ by more than twice their common, diffusive part)."""
    xp = array_namespace(stencil.diag)
    strength = [xp.abs(stencil.neighbour(m)) + xp.abs(stencil.neighbour(p))
                for m, p in AXIS_PAIRS]
    axes = []
    for axis, (minus, plus) in enumerate(AXIS_PAIRS):
        n = stencil.shape[axis]
        if n < 2:
            continue
        others = xp.maximum(*(strength[a] for a in range(3) if a != axis))
        up = stencil.neighbour(plus)[along_axis(axis, slice(0, n - 1))]
        down = stencil.neighbour(minus)[along_axis(axis, slice(1, n))]
        # both fractions to the host in one transfer
        strong, advective = (float(v) for v in to_host(xp.stack([
            xp.mean(strength[axis] > ratio * others),
            xp.mean(xp.abs(up - down) > 2.0 * xp.minimum(xp.abs(up), xp.abs(down)))])))
        if strong >= fraction or advective >= fraction:
            axes.append(axis)
    return tuple(axes)
