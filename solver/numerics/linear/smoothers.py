"""Multigrid smoothers: red-black point Gauss-Seidel and line Gauss-Seidel (Thomas
factorisation along strongly coupled axes), written against ``xp``."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.linalg.lapack

from solver.backend import array_namespace, to_host
from solver.numerics.cuda import THREADS, launch_blocks
from solver.numerics.linear.coarsening import AXIS_PAIRS
from solver.numerics.stencil import Stencil7, along_axis

SHIFTS = tuple((axis, offset) for axis in range(3) for offset in (-1, 1))  # order of NEIGHBOURS


def shifted(padded, shape, axis, offset, start=(0, 0, 0), step=(1, 1, 1)):
    """View of a halo-padded array holding the neighbour at ``offset`` along ``axis``.

    ``padded`` has one halo cell on each side; the view covers cells ``start::step`` of the
    interior of ``shape``.
    """
    index = []
    for a in range(3):
        lo = 1 + start[a] + (offset if a == axis else 0)
        index.append(slice(lo, lo + shape[a] - start[a], step[a]))
    return padded[tuple(index)]


def _sub_blocks(level, line_axis):
    """Red-black sub-lattices (``line_axis`` None) or zebra line sets of a level.

    Yields ``(colour, start, step)``: cells ``start::step``; a colour's blocks never touch
    each other through the seven-point stencil.
    """
    for a in range(2):
        for b in range(2):
            for c in range(2):
                start = [a, b, c]
                step = [2, 2, 2]
                if line_axis is not None:
                    if start[line_axis]:
                        continue
                    step[line_axis] = 1
                if any(s >= n for s, n in zip(start, level.shape, strict=True)):
                    continue
                yield (a + b + c) % 2, tuple(start), tuple(step)


class PointSmoother:
    """Red-black point Gauss-Seidel. On the host each colour is four strided sub-lattices
    updated with array operations; on a GPU one CUDA kernel launch updates a colour
    (``rbgs_colour`` in kernels/smoothers.cu, the same arithmetic)."""

    def __init__(self, level):
        self.xp = level.xp
        self.kernel = None  # the device kernel of a sweep
        if level.kernels is not None:
            self.kernel = level.kernels["rbgs_colour"]
            nx, ny, nz = level.shape
            self.arguments = (level.inverse, *level.operator[1:], level.rhs, level.x_padded,
                              np.int32(nx), np.int32(ny), np.int32(nz))
            self.grid = launch_blocks(nx * ny * nz)
            return
        self.refresh(level)

    def refresh(self, level) -> None:
        """Take the level's operator after its coefficients changed in place (the kernel
        reads them where they are; the host copies its sub-lattices again)."""
        if self.kernel is not None:
            return
        xp, dtype = self.xp, level.rhs.dtype
        self.colours = ([], [])
        for colour, start, step in _sub_blocks(level, None):
            sub = tuple(slice(s, None, 2) for s in start)
            terms = [(xp.ascontiguousarray(coef[sub]),
                      shifted(level.x_padded, level.shape, axis, offset, start, step))
                     for (axis, offset), coef, on in zip(
                         SHIFTS, level.coefficients, level.active, strict=True) if on]
            centre = shifted(level.x_padded, level.shape, 0, 0, start, step)
            acc = xp.empty(centre.shape, dtype=dtype)
            self.colours[colour].append((centre, level.rhs[sub],
                                         xp.ascontiguousarray(level.inverse[sub]), terms, acc,
                                         xp.empty_like(acc)))

    def sweep(self, colour: int) -> None:
        if self.kernel is not None:
            self.kernel(self.grid, (THREADS,), (*self.arguments, np.int32(colour)))
            return
        xp = self.xp
        for centre, rhs, inverse, terms, acc, tmp in self.colours[colour]:
            # x_P = (rhs + sum a_nb x_nb) / a_P on one sub-lattice
            acc[...] = rhs
            for coef, neighbour in terms:
                xp.multiply(coef, neighbour, out=tmp)
                acc += tmp
            xp.multiply(acc, inverse, out=centre)


def thomas_factors(xp, lower, diag, upper, inverse, upper_scaled) -> None:
    """Thomas factors of tridiagonal systems ``d x_k - l x_(k-1) - u x_(k+1) = b`` stored with
    the line index last: ``inverse`` (the inverse pivots, 0 where a pivot vanishes against the
    diagonal: a decoupled row) and ``upper_scaled`` (``u`` times the inverse pivot), written in
    place. The NumPy twin of the ``thomas_factor`` kernel (one loop step per line position)."""
    previous = xp.zeros_like(diag[..., 0])
    for k in range(diag.shape[-1]):
        pivot = diag[..., k] - lower[..., k] * previous
        ok = xp.abs(pivot) > 1e-12 * xp.abs(diag[..., k])
        inverse[..., k] = xp.where(ok, 1.0 / xp.where(ok, pivot, 1.0), 0.0)
        upper_scaled[..., k] = upper[..., k] * inverse[..., k]
        previous = upper_scaled[..., k]


def thomas_solve(xp, lower, inverse, upper_scaled, work) -> None:
    """Solve tridiagonal systems factorised by :func:`thomas_factors` in place: ``work`` holds
    the right-hand sides on entry (line index last) and the solutions on exit. The NumPy twin
    of the recurrence in the ``zebra_lines`` kernel."""
    work[..., 0] *= inverse[..., 0]
    for k in range(1, work.shape[-1]):
        work[..., k] += lower[..., k] * work[..., k - 1]
        work[..., k] *= inverse[..., k]
    for k in range(work.shape[-1] - 2, -1, -1):
        work[..., k] += upper_scaled[..., k] * work[..., k + 1]


class TridiagonalLines:
    """Many independent tridiagonal systems ``d_k x_k - l_k x_(k-1) - u_k x_(k+1) = b_k``, one
    per line, the line index last (host arrays of shape ``(m1, m2, n)``).

    The lines are concatenated into one system factorised once by LAPACK (``?gttrf``, partial
    pivoting) and solved by ``?gttrs`` per sweep (SciPy needs three or more unknowns); the
    Thomas recurrence (:func:`thomas_factors`, :func:`thomas_solve`: the arithmetic of the
    GPU kernels) serves tiny systems and ``thomas=True`` (parity tests).
    """

    def __init__(self, lower, diag, upper, thomas: bool | None = None):
        self.thomas = diag.size < 3 if thomas is None else thomas
        if self.thomas:
            self.lower = lower
            self.inverse = np.empty_like(diag)
            self.upper_scaled = np.empty_like(diag)
            thomas_factors(np, lower, diag, upper, self.inverse, self.upper_scaled)
        else:
            gttrf, self.gttrs = scipy.linalg.lapack.get_lapack_funcs(
                ("gttrf", "gttrs"), dtype=diag.dtype)
            self.factors = gttrf(-lower.ravel()[1:], diag.ravel(), -upper.ravel()[:-1])[:5]

    def solve(self, work) -> None:
        """Overwrite ``work`` (right-hand sides, contiguous) with the solutions."""
        if self.thomas:
            thomas_solve(np, self.lower, self.inverse, self.upper_scaled, work)
            return
        solution, _ = self.gttrs(*self.factors, work.reshape(-1), overwrite_b=True)
        work.reshape(-1)[...] = solution


class LineSmoother:
    """Zebra line Gauss-Seidel along one axis: each line is solved exactly (all lines of a
    colour at once); lines of one colour are checkerboarded in the other two axes. Robust
    where cells are thin across that axis (strong coupling).

    On the host each colour is a few strided sub-blocks whose lines LAPACK solves; on a GPU
    one ``zebra_lines`` launch (kernels/smoothers.cu) sweeps a colour, one thread per line, on
    the Thomas factors that one ``line_factor`` launch computes per operator.
    """

    def __init__(self, level, axis: int):
        xp = level.xp
        self.xp = xp
        self.axis = axis
        self.kernel = None  # the device kernel of a sweep
        if level.kernels is not None:
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
        in place (into the same arrays on a GPU)."""
        if self.kernel is not None:
            kernel, grid, block, arguments = self.factor
            kernel(grid, block, arguments)
            return
        xp, axis = self.xp, self.axis
        self.colours = ([], [])
        minus = level.coefficients[2 * axis]
        plus = level.coefficients[2 * axis + 1]
        for colour, start, step in _sub_blocks(level, axis):
            sub = tuple(slice(s, None, st) for s, st in zip(start, step, strict=True))

            def moved(array, sub=sub):
                return xp.moveaxis(array[sub], axis, -1)

            # off-line neighbours, in a layout with the line index last
            terms = [(xp.ascontiguousarray(moved(coef)), xp.moveaxis(
                        shifted(level.x_padded, level.shape, a, offset, start, step), axis, -1))
                     for (a, offset), coef, on in zip(
                         SHIFTS, level.coefficients, level.active, strict=True)
                     if on and a != axis]
            centre = xp.moveaxis(shifted(level.x_padded, level.shape, 0, 0, start, step),
                                 axis, -1)
            lines = TridiagonalLines(xp.ascontiguousarray(moved(minus)),
                                      xp.ascontiguousarray(moved(level.stencil.diag)),
                                      xp.ascontiguousarray(moved(plus)))
            work = xp.empty(centre.shape, dtype=level.rhs.dtype)
            self.colours[colour].append((centre, moved(level.rhs), terms, lines, work,
                                         xp.empty_like(work)))

    def sweep(self, colour: int) -> None:
        if self.kernel is not None:
            self.kernel(self.grid, (THREADS,), (*self.arguments, np.int32(colour)))
            return
        xp = self.xp
        for centre, rhs, terms, lines, work, tmp in self.colours[colour]:
            # right-hand side of the lines: rhs + off-line neighbour contributions
            work[...] = rhs
            for coef, neighbour in terms:
                xp.multiply(coef, neighbour, out=tmp)
                work += tmp
            lines.solve(work)
            centre[...] = work


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
