"""Multigrid smoothers: red-black point Gauss-Seidel and line Gauss-Seidel (Thomas
factorisation along strongly coupled axes), written against ``xp``."""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.linalg.lapack

from solver.backend import array_namespace, to_host
from solver.numerics.linear.coarsening import AXIS_PAIRS
from solver.numerics.linear.cuda import THREADS, cuda_kernels, launch_blocks
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
        xp, dtype = level.xp, level.rhs.dtype
        self.xp = xp
        self.colours = ([], [])
        if xp is not np:
            self.kernel = cuda_kernels(xp, dtype.name)[0]
            nx, ny, nz = level.shape
            self.arguments = (xp.ascontiguousarray(level.inverse),
                              *(xp.ascontiguousarray(c) for c in level.coefficients),
                              level.rhs, level.x_padded, np.int32(nx), np.int32(ny),
                              np.int32(nz))
            self.grid = launch_blocks(nx * ny * nz)
            return
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
        xp = self.xp
        if xp is not np:
            self.kernel(self.grid, (THREADS,), (*self.arguments, np.int32(colour)))
            return
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


class TridiagonalLines:
    """Many independent tridiagonal systems ``d_k x_k - l_k x_(k-1) - u_k x_(k+1) = b_k``, one
    per line, the line index last (arrays of shape ``(m1, m2, n)``).

    On the host the lines are concatenated into one system factorised once by LAPACK
    (``?gttrf``, partial pivoting) and solved by ``?gttrs`` per sweep (SciPy needs three or more
    unknowns). On a GPU the Thomas algorithm runs one CUDA thread per line (``thomas_lines`` in
    kernels/smoothers.cu); its NumPy twin, vectorised over the lines, serves tiny systems and
    ``thomas=True`` on the host (parity tests).
    """

    def __init__(self, lower, diag, upper, thomas: bool | None = None):
        xp = array_namespace(diag)
        self.xp = xp
        self.thomas = xp is not np or (diag.size < 3 if thomas is None else thomas)
        if self.thomas:
            # Thomas factors: inverse pivots and normalised upper couplings
            self.lower = lower
            self.inverse = xp.empty_like(diag)
            self.upper_scaled = xp.empty_like(diag)
            self.row = xp.empty_like(diag[..., 0])
        if xp is not np:
            # one CUDA thread per line (thomas_factor, thomas_lines in kernels/smoothers.cu)
            _, self.kernel, factor = cuda_kernels(xp, diag.dtype.name)
            self.lines = int(np.prod(diag.shape[:-1]))
            factor(launch_blocks(self.lines), (THREADS,),
                   (lower, diag, upper, self.inverse, self.upper_scaled,
                    np.int64(self.lines), np.int32(diag.shape[-1])))
        elif self.thomas:
            thomas_factors(xp, lower, diag, upper, self.inverse, self.upper_scaled)
        else:
            gttrf, self.gttrs = scipy.linalg.lapack.get_lapack_funcs(
                ("gttrf", "gttrs"), dtype=diag.dtype)
            self.factors = gttrf(-lower.ravel()[1:], diag.ravel(), -upper.ravel()[:-1])[:5]

    def solve(self, work) -> None:
        """Overwrite ``work`` (right-hand sides, contiguous) with the solutions."""
        if not self.thomas:
            solution, _ = self.gttrs(*self.factors, work.reshape(-1), overwrite_b=True)
            work.reshape(-1)[...] = solution
            return
        xp, row = self.xp, self.row
        if xp is not np:
            self.kernel(launch_blocks(self.lines), (THREADS,),
                        (self.lower, self.inverse, self.upper_scaled, work,
                         np.int64(self.lines), np.int32(work.shape[-1])))
            return
        # forward elimination and back substitution along the lines
        work[..., 0] *= self.inverse[..., 0]
        for k in range(1, work.shape[-1]):
            xp.multiply(self.lower[..., k], work[..., k - 1], out=row)
            work[..., k] += row
            work[..., k] *= self.inverse[..., k]
        for k in range(work.shape[-1] - 2, -1, -1):
            xp.multiply(self.upper_scaled[..., k], work[..., k + 1], out=row)
            work[..., k] += row


class LineSmoother:
    """Zebra line Gauss-Seidel along one axis: each line is solved exactly (all lines of a
    colour at once); lines of one colour are checkerboarded in the other two axes. Robust
    where cells are thin across that axis (strong coupling)."""

    def __init__(self, level, axis: int):
        xp = level.xp
        self.xp = xp
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
