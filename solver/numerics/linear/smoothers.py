"""Multigrid smoothers: red-black point Gauss-Seidel and zebra line Gauss-Seidel (exact line
solves along strongly coupled axes: the Thomas recurrence, or on a GPU cyclic reduction for
long lines), each colour one call of a compiled kernel (CUDA on a GPU, Numba on the host:
:func:`solver.numerics.host_kernels.compiled_kernels`), and the choice of line axes."""

from __future__ import annotations

import numpy as np

from solver.backend import array_namespace, to_host
from solver.numerics.cuda import THREADS, launch_blocks
from solver.numerics.linear.coarsening import AXIS_PAIRS
from solver.numerics.stencil import Stencil7, along_axis

SHIFTS = tuple((axis, offset) for axis in range(3) for offset in (-1, 1))  # order of NEIGHBOURS

# On a GPU, lines of more than SHORT_LINE cells (up to PARALLEL_LINE_LIMIT, the threads of a
# block) are solved by a block of threads each (cyclic reduction: about log2 n dependent
# steps), shorter ones by a thread each (the Thomas recurrence: 2 n - 1 steps)
SHORT_LINE = 8
PARALLEL_LINE_LIMIT = 1024


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

    One kernel call sweeps a colour. On the host (and on a GPU for lines of at most
    :data:`SHORT_LINE` cells) ``zebra_lines``: the Thomas recurrence, one thread per line (on
    the host the lines advance side by side), on the factors that one ``line_factor`` call
    computes per operator. On a GPU for longer lines ``zebra_lines_pcr``: one block of threads
    per line, parallel cyclic reduction in shared memory (the same solution to round-off, in
    about log2 n dependent steps instead of 2 n, no factors kept).
    """

    def __init__(self, level, axis: int, parallel: bool | None = None):
        """``parallel``: cyclic reduction (True, GPU only) or the Thomas recurrence (False);
        by default cyclic reduction on a GPU for lines of more than :data:`SHORT_LINE`."""
        xp = level.xp
        self.axis = axis
        nx, ny, nz = level.shape
        n = self.length = level.shape[axis]
        lines = nx * ny * nz // n
        sizes = (np.int64(lines), np.int32(nx), np.int32(ny), np.int32(nz), np.int32(axis))
        diag, *coefficients = level.operator
        self.factor = None
        if parallel is None:
            parallel = xp is not np and SHORT_LINE < n <= PARALLEL_LINE_LIMIT
        if parallel:
            if xp is np or n > PARALLEL_LINE_LIMIT:
                raise ValueError(f"cyclic reduction runs on a GPU, lines of up to "
                                 f"{PARALLEL_LINE_LIMIT} cells ({n} on {xp.__name__})")
            self.kernel = level.kernels["zebra_lines_pcr"]
            self.grid, self.block = (lines,), (1 << (n - 1).bit_length(),)
            self.arguments = (diag, *coefficients, level.rhs, level.x_padded, *sizes)
            # dynamic shared memory: four rows' values per thread
            self.options = {"shared_mem": 4 * self.block[0] * level.rhs.dtype.itemsize}
            return
        inverse_pivot = xp.empty(level.shape, dtype=level.rhs.dtype)
        plus_scaled = xp.empty_like(inverse_pivot)
        self.factor = (level.kernels["line_factor"], launch_blocks(lines), (THREADS,),
                       (coefficients[2 * axis], diag, coefficients[2 * axis + 1],
                        inverse_pivot, plus_scaled, *sizes))
        self.kernel = level.kernels["zebra_lines"]
        self.grid, self.block, self.options = launch_blocks(lines), (THREADS,), {}
        self.arguments = (inverse_pivot, plus_scaled, *coefficients, level.rhs,
                          level.x_padded, *sizes)
        self.refresh(level)

    @property
    def dependent_steps(self) -> int:
        """Dependent steps of one colour's line solve (its critical path: the Thomas
        recurrence's forward and backward passes, or the cyclic reduction's steps and the
        final division), a latency the kernel's bytes do not show."""
        n = self.length
        return 2 * n - 1 if self.factor is not None else (n - 1).bit_length() + 1

    def refresh(self, level) -> None:
        """Factorise the lines of the level's operator again after its coefficients changed
        in place (into the same arrays; cyclic reduction reads the operator itself)."""
        if self.factor is not None:
            kernel, grid, block, arguments = self.factor
            kernel(grid, block, arguments)

    def sweep(self, colour: int) -> None:
        """Solve the lines of ``colour`` (the parity of their indices across the axis)."""
        self.kernel(self.grid, self.block, (*self.arguments, np.int32(colour)), **self.options)


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
