"""The CPU engine: the CUDA kernels of :mod:`solver.numerics.cuda` compiled for the host by
Numba, with the CUDA kernels' arguments and arithmetic.

Each function here is the loop nest of the CUDA kernel of the same name (one loop iteration per
CUDA thread, the same index arithmetic on flat C-ordered arrays, the same order of floating-point
operations), so the solver's code calls one kernel interface on both backends:
:func:`host_kernels` returns them by name, called as a CuPy ``RawKernel`` is,
``kernel(grid, block, arguments)`` (grid and block are ignored on the host). A kernel is one
compiled loop without temporaries, where the NumPy expressions it replaces made one pass and one
temporary per operator. Compiled code is cached on disk (``cache=True``), so only the first run on
a machine pays the compilation.

Threads: every kernel is compiled twice, serial and with its outermost loop (``prange``) split
among Numba's threads (as many as the machine has cores, ``NUMBA_NUM_THREADS``); a call on at
least :data:`PARALLEL_CELLS` cells takes the threaded one. Each loop iteration writes its own
cells and reads none that another writes in the same call (a colour reads the other colour, a
restriction's coarse cells are split among the threads whole), so both give the same bits.
"""

from __future__ import annotations

import functools
import types

import numba
import numpy as np
from numba import prange

from solver.numerics.cuda import cuda_kernels

# a call on this many cells or more runs on all of Numba's threads (fewer: one thread, whose
# loop costs less than waking the others)
PARALLEL_CELLS = 8192

# helpers of the kernels' loops, inlined into them (a call per cell would cost more than its
# arithmetic)
_inline = functools.partial(numba.njit, cache=True, inline="always")


def _compiled(function, parallel: bool):
    """``function`` compiled by Numba, its ``prange`` loops threaded when ``parallel``. The
    threaded variant compiles a copy under its own name, so the two have separate disk
    caches."""
    if parallel:
        function = types.FunctionType(function.__code__, function.__globals__,
                                      function.__name__, function.__defaults__,
                                      function.__closure__)
        function.__qualname__ += "_threaded"
    return numba.njit(function, cache=True, nogil=True, parallel=parallel)


@_inline
def _flat(array):
    """The flat view of a C-contiguous array (refused for any other: no silent copy)."""
    return array.reshape(array.size)


def _rbgs_colour(inverse_diag, x_minus, x_plus, y_minus, y_plus, z_minus, z_plus, rhs, x,
                 nx, ny, nz, colour):
    inverse_diag, rhs, x = _flat(inverse_diag), _flat(rhs), _flat(x)
    x_minus, x_plus, y_minus = _flat(x_minus), _flat(x_plus), _flat(y_minus)
    y_plus, z_minus, z_plus = _flat(y_plus), _flat(z_minus), _flat(z_plus)
    sy = nz + 2
    sx = (ny + 2) * (nz + 2)
    for row in prange(nx):
        i = np.int64(row)  # (prange counts unsigned)
        for j in range(ny):
            for k in range((colour + i + j) & 1, nz, 2):
                c = (i * ny + j) * nz + k
                p = (i + 1) * sx + (j + 1) * sy + (k + 1)
                acc = rhs[c]
                acc += x_minus[c] * x[p - sx]
                acc += x_plus[c] * x[p + sx]
                acc += y_minus[c] * x[p - sy]
                acc += y_plus[c] * x[p + sy]
                acc += z_minus[c] * x[p - 1]
                acc += z_plus[c] * x[p + 1]
                x[p] = acc * inverse_diag[c]


def _line_factor(minus, diag, plus, inverse_pivot, plus_scaled, lines, nx, ny, nz, axis):
    """``line_factor`` with the lines side by side, each line's positions in order (the
    outermost loop runs across the lines): the recurrence's ``previous`` is the line's scaled
    coupling one position back."""
    minus, diag, plus = _flat(minus), _flat(diag), _flat(plus)
    inverse_pivot, plus_scaled = _flat(inverse_pivot), _flat(plus_scaled)
    step = ny * nz if axis == 0 else (nz if axis == 1 else 1)
    lines_across = ny if axis == 0 else nx
    for across in prange(lines_across):
        for along in range(nx if axis == 0 else ny):
            i, j = _line_cell(across, along, axis)
            for k in range(nz):
                c = (i * ny + j) * nz + k
                first = (i if axis == 0 else (j if axis == 1 else k)) == 0
                previous = 0.0 if first else plus_scaled[c - step]
                pivot = diag[c] - minus[c] * previous
                inverse = 1.0 / pivot if abs(pivot) > 1e-12 * abs(diag[c]) else 0.0
                inverse_pivot[c] = inverse
                plus_scaled[c] = plus[c] * inverse


@_inline
def _line_cell(across, along, axis):
    """Indices ``(i, j)`` of a loop over lines along ``axis``: ``across`` indexes the outer
    loop (y for lines along x, else x), ``along`` the middle one."""
    across, along = np.int64(across), np.int64(along)  # (prange counts unsigned)
    return (along, across) if axis == 0 else (across, along)


def _zebra_lines(inverse_pivot, plus_scaled, x_minus, x_plus, y_minus, y_plus, z_minus, z_plus,
                 rhs, x, lines, nx, ny, nz, axis, colour):
    """``zebra_lines`` with the lines of a colour swept side by side, the contiguous z index
    innermost (lines along x or y advance one position for all of them at once, the outermost
    loop runs across the lines): the same recurrence per line as the CUDA kernel's, whose
    ``previous`` is the line's value at the position before (the halo's zero before the
    first), read back from ``x`` here."""
    inverse_pivot, plus_scaled, rhs, x = (_flat(inverse_pivot), _flat(plus_scaled),
                                          _flat(rhs), _flat(x))
    x_minus, x_plus, y_minus = _flat(x_minus), _flat(x_plus), _flat(y_minus)
    y_plus, z_minus, z_plus = _flat(y_plus), _flat(z_minus), _flat(z_plus)
    py, px = nz + 2, (ny + 2) * (nz + 2)
    minus = x_minus if axis == 0 else (y_minus if axis == 1 else z_minus)
    line_step = px if axis == 0 else (py if axis == 1 else 1)
    middle = nx if axis == 0 else ny
    lines_across = ny if axis == 0 else nx
    for across in prange(lines_across):
        # forward elimination with the off-line neighbours (the other colour), in line order
        for along in range(middle):
            i, j = _line_cell(across, along, axis)
            if axis == 2:
                if (i + j) & 1 != colour:
                    continue
                first, stride = 0, 1
            else:
                first, stride = (colour + (j if axis == 0 else i)) & 1, 2
            for k in range(first, nz, stride):
                c = (i * ny + j) * nz + k
                p = (i + 1) * px + (j + 1) * py + (k + 1)
                acc = rhs[c]
                if axis != 0:
                    acc += x_minus[c] * x[p - px] + x_plus[c] * x[p + px]
                if axis != 1:
                    acc += y_minus[c] * x[p - py] + y_plus[c] * x[p + py]
                if axis != 2:
                    acc += z_minus[c] * x[p - 1] + z_plus[c] * x[p + 1]
                x[p] = (acc + minus[c] * x[p - line_step]) * inverse_pivot[c]
        # back substitution in reverse line order (the last cell of each line keeps its value)
        for along in range(middle - 2 if axis < 2 else middle - 1, -1, -1):
            i, j = _line_cell(across, along, axis)
            if axis == 2:
                if (i + j) & 1 != colour:
                    continue
                first, stop, stride = nz - 2, -1, -1
            else:
                first, stop, stride = (colour + (j if axis == 0 else i)) & 1, nz, 2
            for k in range(first, stop, stride):
                p = (i + 1) * px + (j + 1) * py + (k + 1)
                x[p] += plus_scaled[(i * ny + j) * nz + k] * x[p + line_step]


@_inline
def _operator_at(diag, x_minus, x_plus, y_minus, y_plus, z_minus, z_plus, centre, west, east,
                 south, north, bottom, top):
    """``(A x)`` at a cell from its coefficients and the values of ``x`` at it and its six
    neighbours (``operator_at`` of stencil.cu; scalars only, so inlining costs nothing)."""
    return diag * centre - (x_minus * west + x_plus * east + y_minus * south + y_plus * north
                            + z_minus * bottom + z_plus * top)


def _stencil_apply(diag, x_minus, x_plus, y_minus, y_plus, z_minus, z_plus, x, out, nx, ny, nz,
                   out_padded):
    diag, x, out = _flat(diag), _flat(x), _flat(out)
    x_minus, x_plus, y_minus = _flat(x_minus), _flat(x_plus), _flat(y_minus)
    y_plus, z_minus, z_plus = _flat(y_plus), _flat(z_minus), _flat(z_plus)
    py, px = nz + 2, (ny + 2) * (nz + 2)
    for row in prange(nx):
        i = np.int64(row)  # (prange counts unsigned)
        for j in range(ny):
            for k in range(nz):
                c = (i * ny + j) * nz + k
                p = (i + 1) * px + (j + 1) * py + (k + 1)
                out[p if out_padded else c] = _operator_at(
                    diag[c], x_minus[c], x_plus[c], y_minus[c], y_plus[c], z_minus[c],
                    z_plus[c], x[p], x[p - px], x[p + px], x[p - py], x[p + py], x[p - 1],
                    x[p + 1])


def _residual_restrict(diag, x_minus, x_plus, y_minus, y_plus, z_minus, z_plus, rhs, x,
                       coarse_rhs, nx, ny, nz, fx, fy, fz, cx, cy, cz):
    """``residual_restrict`` streaming through the fine cells of each layer of coarse cells
    in order: each coarse cell receives its fine residuals in the order of the CUDA kernel's
    loops (C order within the aggregate), so the sums are the same."""
    diag, rhs, x, coarse_rhs = _flat(diag), _flat(rhs), _flat(x), _flat(coarse_rhs)
    x_minus, x_plus, y_minus = _flat(x_minus), _flat(x_plus), _flat(y_minus)
    y_plus, z_minus, z_plus = _flat(y_plus), _flat(z_minus), _flat(z_plus)
    py, px = nz + 2, (ny + 2) * (nz + 2)
    for layer in prange(cx):  # a thread sums whole coarse cells
        ci = np.int64(layer)
        coarse_rhs[ci * cy * cz:(ci + 1) * cy * cz] = 0.0
        for i in range(ci * fx, min(ci * fx + fx, nx)):
            for j in range(ny):
                row = (ci * cy + j // fy) * cz
                for k in range(nz):
                    c = (i * ny + j) * nz + k
                    p = (i + 1) * px + (j + 1) * py + (k + 1)
                    coarse_rhs[row + k // fz] += rhs[c] - _operator_at(
                        diag[c], x_minus[c], x_plus[c], y_minus[c], y_plus[c], z_minus[c],
                        z_plus[c], x[p], x[p - px], x[p + px], x[p - py], x[p + py],
                        x[p - 1], x[p + 1])


def _prolong_add(coarse_x, x, nx, ny, nz, fx, fy, fz, cy, cz):
    coarse_x, x = _flat(coarse_x), _flat(x)
    for row in prange(nx):
        i = np.int64(row)  # (prange counts unsigned)
        for j in range(ny):
            for k in range(nz):
                p = ((i + 1) * (ny + 2) + (j + 1)) * (nz + 2) + (k + 1)
                q = ((i // fx + 1) * (cy + 2) + (j // fy + 1)) * (cz + 2) + (k // fz + 1)
                x[p] += coarse_x[q]


def _unpadded_pass(diag, x_minus, x_plus, y_minus, y_plus, z_minus, z_plus, x, rhs, out, active,
                   nx, ny, nz, sweep, residual, colour):
    """The seven-point operator on an unpadded field, for two kernels: ``cell_operator``
    (``sweep`` 0: ``out = A x``, or ``rhs - A x`` with ``residual``) and one field of
    ``rbgs_residual_colour`` (``sweep`` 1: on the cells of ``colour`` where ``active`` is not
    zero, ``x += (rhs - A x) / diag``). Each neighbour is taken only where it exists, subtracted
    in the order of ``Stencil7.apply`` (``unpadded_operator_at`` of smoothers.cu)."""
    diag, x, rhs, out, active = _flat(diag), _flat(x), _flat(rhs), _flat(out), _flat(active)
    x_minus, x_plus, y_minus = _flat(x_minus), _flat(x_plus), _flat(y_minus)
    y_plus, z_minus, z_plus = _flat(y_plus), _flat(z_minus), _flat(z_plus)
    sx = ny * nz
    for row in prange(nx):
        i = np.int64(row)  # (prange counts unsigned)
        for j in range(ny):
            for k in range((colour + i + j) & 1 if sweep else 0, nz, 2 if sweep else 1):
                c = (i * ny + j) * nz + k
                if sweep and active[c] == 0.0:
                    continue
                ax = diag[c] * x[c]
                if i > 0:
                    ax -= x_minus[c] * x[c - sx]
                if i < nx - 1:
                    ax -= x_plus[c] * x[c + sx]
                if j > 0:
                    ax -= y_minus[c] * x[c - nz]
                if j < ny - 1:
                    ax -= y_plus[c] * x[c + nz]
                if k > 0:
                    ax -= z_minus[c] * x[c - 1]
                if k < nz - 1:
                    ax -= z_plus[c] * x[c + 1]
                if sweep:
                    x[c] += (rhs[c] - ax) / diag[c]
                else:
                    out[c] = rhs[c] - ax if residual else ax


_OFF, _ON = np.int32(0), np.int32(1)


def _cell_operator_arguments(arguments):
    """``cell_operator``'s arguments for :func:`_unpadded_pass` (``rhs`` stands in for the
    unread ``active``)."""
    *operator, x, rhs, out, nx, ny, nz, residual = arguments
    return (*operator, x, rhs, out, rhs, nx, ny, nz, _OFF, residual, _OFF)


def _rbgs_field_arguments(arguments):
    """One field of ``rbgs_residual_colour`` for :func:`_unpadded_pass`."""
    *operator, rhs, active, x, nx, ny, nz, colour = arguments
    return (*operator, x, rhs, x, active, nx, ny, nz, _ON, _OFF, colour)


@_inline
def _diffusive_link(plus, minus, c, step):
    return max(min(plus[c], minus[c + step]), 0.0)


@_inline
def _boundary_series(sink, inward):
    return 1.0 / (1.0 / sink + 0.5 / inward) if (sink > 0 and inward > 0) else sink


def _coarsen_operator(diag, x_minus, x_plus, y_minus, y_plus, z_minus, z_plus, coarse_diag,
                      coarse_x_minus, coarse_x_plus, coarse_y_minus, coarse_y_plus,
                      coarse_z_minus, coarse_z_plus, nx, ny, nz, fx, fy, fz, cx, cy, cz):
    diag = _flat(diag)
    minus = (_flat(x_minus), _flat(y_minus), _flat(z_minus))
    plus = (_flat(x_plus), _flat(y_plus), _flat(z_plus))
    coarse_diag = _flat(coarse_diag)
    coarse_minus_out = (_flat(coarse_x_minus), _flat(coarse_y_minus), _flat(coarse_z_minus))
    coarse_plus_out = (_flat(coarse_x_plus), _flat(coarse_y_plus), _flat(coarse_z_plus))
    nx, ny, nz = np.int64(nx), np.int64(ny), np.int64(nz)
    fx, fy, fz = np.int64(fx), np.int64(fy), np.int64(fz)
    n = (nx, ny, nz)
    f = (fx, fy, fz)
    step = (ny * nz, nz, np.int64(1))
    for row in prange(cx):
        ci = np.int64(row)
        for cj in range(cy):
            for ck in range(cz):
                cc = (ci * cy + cj) * cz + ck
                first = (ci * fx, cj * fy, ck * fz)
                coarse_minus = np.zeros(3)
                coarse_plus = np.zeros(3)
                coupled_sink = 0.0
                coupled_cells = 0.0
                isolated_sink = 0.0
                for a in range(fx):
                    for b in range(fy):
                        for d in range(fz):
                            index = (first[0] + a, first[1] + b, first[2] + d)
                            if index[0] >= nx or index[1] >= ny or index[2] >= nz:
                                continue
                            c = index[0] * step[0] + index[1] * step[1] + index[2]
                            sink = diag[c] - (minus[0][c] + plus[0][c] + minus[1][c]
                                              + plus[1][c] + minus[2][c] + plus[2][c])
                            isolated = (abs(minus[0][c]) + abs(plus[0][c]) + abs(minus[1][c])
                                        + abs(plus[1][c]) + abs(minus[2][c]) + abs(plus[2][c])
                                        == 0.0)
                            boundary = sink
                            for axis in range(3):
                                i, size = index[axis], n[axis]
                                shrink = 1.0 - 1.0 / f[axis]
                                if f[axis] == 2 and size > 1:
                                    if i == 0:
                                        boundary = min(boundary, _boundary_series(
                                            sink, _diffusive_link(plus[axis], minus[axis], c,
                                                                  step[axis])))
                                    if size % 2 == 0 and i == size - 1:
                                        boundary = min(boundary, _boundary_series(
                                            sink, _diffusive_link(plus[axis], minus[axis],
                                                                  c - step[axis], step[axis])))
                                if i == first[axis] + f[axis] - 1:
                                    coarse_plus[axis] += plus[axis][c] - (
                                        shrink * _diffusive_link(plus[axis], minus[axis], c,
                                                                 step[axis])
                                        if i < size - 1 else 0.0)
                                if i == first[axis]:
                                    coarse_minus[axis] += minus[axis][c] - (
                                        shrink * _diffusive_link(plus[axis], minus[axis],
                                                                 c - step[axis], step[axis])
                                        if i > 0 else 0.0)
                            if isolated:
                                isolated_sink += sink
                            else:
                                coupled_sink += boundary
                                coupled_cells += 1.0
                for axis in range(3):
                    coarse_minus_out[axis][cc] = coarse_minus[axis]
                    coarse_plus_out[axis][cc] = coarse_plus[axis]
                coarse_diag[cc] = ((coupled_sink if coupled_cells > 0 else isolated_sink)
                                   + coarse_minus[0] + coarse_plus[0] + coarse_minus[1]
                                   + coarse_plus[1] + coarse_minus[2] + coarse_plus[2])


@_inline
def _limited_slope(upwind, central, scheme):
    if scheme == 2:
        return upwind
    product = upwind * central
    if not product > 0.0:
        return 0.0
    if scheme == 0:
        return 2.0 * product / (upwind + central)
    return np.copysign(min(abs(upwind), abs(central)), central)


@_inline
def _index_along(i, j, k, d, m, ny, nz, extent):
    if d == 0:
        return (m * ny + j) * nz + k
    if d == 1:
        return (i * extent + m) * nz + k
    return (i * ny + j) * extent + m


def _momentum_tvd_correction(phi, flux, before, after, usable, x_lower, x_upper, x_lower2,
                             x_upper2, x_face, rhs, nx, ny, nz, d, flux_offset, masks,
                             has_usable, scheme):
    phi, flux, rhs = _flat(phi), _flat(flux), _flat(rhs)
    before, after, usable = _flat(before), _flat(after), _flat(usable)
    n = nx if d == 0 else (ny if d == 1 else nz)
    for row in prange(nx):
        i = np.int64(row)  # (prange counts unsigned)
        for j in range(ny):
            for k in range(nz):
                m = i if d == 0 else (j if d == 1 else k)
                below = 0.0
                above = 0.0
                for side in range(2):
                    f = m - 1 + side
                    if f < 0 or f > n - 2:
                        continue
                    face = _index_along(i, j, k, d, f, ny, nz, n - 1)
                    lower = phi[_index_along(i, j, k, d, f, ny, nz, n)]
                    upper = phi[_index_along(i, j, k, d, f + 1, ny, nz, n)]
                    lower2 = (phi[_index_along(i, j, k, d, f - 1 if f > 0 else 0, ny, nz, n)]
                              if (before[face] if masks else True) else lower)
                    upper2 = (phi[_index_along(i, j, k, d, f + 2 if f + 2 < n else n - 1, ny,
                                               nz, n)]
                              if (after[face] if masks else True) else upper)
                    usable_lower2 = (usable[_index_along(i, j, k, d, f, ny, nz, n + 2)]
                                     if has_usable else 1.0)
                    usable_upper2 = (usable[_index_along(i, j, k, d, f + 3, ny, nz, n + 2)]
                                     if has_usable else 1.0)
                    central = (upper - lower) / (x_upper[f] - x_lower[f])
                    from_lower = (_limited_slope((lower - lower2) / (x_lower[f] - x_lower2[f]),
                                                 central, scheme)
                                  * (x_face[f] - x_lower[f]) * usable_lower2)
                    from_upper = (_limited_slope((upper2 - upper) / (x_upper2[f] - x_upper[f]),
                                                 central, scheme)
                                  * (x_face[f] - x_upper[f]) * usable_upper2)
                    flow = flux[_index_along(i, j, k, d, f + flux_offset, ny, nz,
                                             n - 1 + 2 * flux_offset)]
                    value = flow * (from_lower if flow > 0 else from_upper)
                    if side == 0:
                        below = value
                    else:
                        above = value
                c = (i * ny + j) * nz + k
                rhs[c] = (rhs[c] - above) + below


class HostKernel:
    """A compiled host loop called as a CuPy ``RawKernel``: ``kernel(grid, block, args)``
    (``arguments``, when given, turns the CUDA kernel's arguments into the loop's); the
    threaded variant where the array ``args[work]`` has at least ``parallel_cells``
    elements."""

    def __init__(self, function, work: int, parallel_cells: int, arguments=None):
        self.serial = _compiled(function, parallel=False)
        self.threaded = _compiled(function, parallel=True)
        self.work, self.parallel_cells = work, parallel_cells
        self.arguments = arguments

    def __call__(self, grid, block, arguments) -> None:
        threaded = arguments[self.work].size >= self.parallel_cells
        if self.arguments is not None:
            arguments = self.arguments(arguments)
        (self.threaded if threaded else self.serial)(*arguments)


class ThreeFieldKernel(HostKernel):
    """``rbgs_residual_colour``: up to three fields of their own shapes (the momentum
    components), each swept by the one-field loop; a field of shape (0, 0, 0) is absent."""

    def __call__(self, grid, block, arguments) -> None:
        fields, sizes, colour = arguments[:30], arguments[30:39], arguments[39]
        for f in range(3):
            nx, ny, nz = sizes[3 * f:3 * f + 3]
            if nx * ny * nz:
                super().__call__(grid, block, (*fields[10 * f:10 * f + 10], nx, ny, nz, colour))


# each kernel's loop nest, and the index of the argument whose size measures its work
HOST_KERNELS = {
    "rbgs_colour": (_rbgs_colour, 7),
    "line_factor": (_line_factor, 1),
    "zebra_lines": (_zebra_lines, 8),
    "stencil_apply": (_stencil_apply, 0),
    "residual_restrict": (_residual_restrict, 7),
    "prolong_add": (_prolong_add, 1),
    "coarsen_operator": (_coarsen_operator, 0),
    "momentum_tvd_correction": (_momentum_tvd_correction, 0),
}


def compiled_kernels(xp, dtype_name: str) -> dict:
    """The kernels by name for ``xp``'s arrays of precision ``dtype_name``: the host loops of
    this module on NumPy, the CUDA kernels (:func:`solver.numerics.cuda.cuda_kernels`) on
    CuPy."""
    return host_kernels() if xp is np else cuda_kernels(xp, dtype_name)


@functools.cache
def host_kernels(parallel_cells: int = PARALLEL_CELLS) -> dict:
    """The compiled host kernels by name (:data:`HOST_KERNELS`, ``cell_operator`` and
    ``rbgs_residual_colour``), called as the CUDA kernels of
    :func:`solver.numerics.cuda.cuda_kernels` are; threaded on ``parallel_cells`` cells or
    more. Numba compiles each for the precision of the arrays it is called with."""
    kernels = {name: HostKernel(function, work, parallel_cells)
               for name, (function, work) in HOST_KERNELS.items()}
    kernels["cell_operator"] = HostKernel(_unpadded_pass, 0, parallel_cells,
                                          _cell_operator_arguments)
    kernels["rbgs_residual_colour"] = ThreeFieldKernel(_unpadded_pass, 7, parallel_cells,
                                                       _rbgs_field_arguments)
    return kernels
