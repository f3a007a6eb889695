"""Twins of the project's CUDA kernels that the CuPy stand-in (../shared/tools/fakecupy) does not
build in, for running the GPU path on a CPU (the elementwise passes and reductions of
``solver.numerics.pointwise`` bring their host functions as twins):
``FAKECUPY_TWINS=tests/gpu_twins.py`` (or ``fakecupy_report.py --twins tests/gpu_twins.py``);
``tests/conftest.py`` registers them when the stand-in is the ``cupy`` on the path. Calling
convention of the stand-in: ``fn(grid, block, args)`` with every device array as its flat
C-ordered NumPy buffer (a view: results are written into it).

Each twin does its arithmetic with NumPy array operations (``Stencil7``'s array path, the
Thomas recurrence and cyclic reduction vectorised over lines below, the momentum deferred
correction face by face), independently of the kernels' loops, so the stand-in runs check the
kernels' indexing (layouts, colours, halos, aggregates) against array code, and
``tests/numerics/test_cuda_on_host.py`` checks the CUDA source and the Numba loops of
``solver.numerics.host_kernels`` against these twins.
"""

import numpy as np

import solver.pipeline  # noqa: F401 (imports every module that declares pointwise passes)
from solver.models.flow.momentum import TVD_SCHEMES
from solver.numerics import pointwise
from solver.numerics.limiters import minmod, van_leer
from solver.numerics.linear.coarsening import coarsen_stencil
from solver.numerics.stencil import NEIGHBOURS, Stencil7, along_axis


def _covers(grid, block, count):
    assert int(np.prod(grid)) * int(np.prod(block)) >= count, "launch does not cover the work"


def _cells(buffer, shape):
    return buffer[:int(np.prod(shape))].reshape(shape)


def _interior(buffer, shape):
    nx, ny, nz = shape
    return buffer[:(nx + 2) * (ny + 2) * (nz + 2)].reshape(nx + 2, ny + 2, nz + 2)[
        1:-1, 1:-1, 1:-1]


def thomas_factors(lower, diag, upper, inverse, upper_scaled) -> None:
    """Thomas factors of tridiagonal systems ``d x_k - l x_(k-1) - u x_(k+1) = b`` stored with
    the line index last: ``inverse`` (the inverse pivots, 0 where a pivot vanishes against the
    diagonal: a decoupled row) and ``upper_scaled`` (``u`` times the inverse pivot), written in
    place; one loop step per line position, vectorised over the lines."""
    previous = np.zeros_like(diag[..., 0])
    for k in range(diag.shape[-1]):
        pivot = diag[..., k] - lower[..., k] * previous
        ok = np.abs(pivot) > 1e-12 * np.abs(diag[..., k])
        inverse[..., k] = np.where(ok, 1.0 / np.where(ok, pivot, 1.0), 0.0)
        upper_scaled[..., k] = upper[..., k] * inverse[..., k]
        previous = upper_scaled[..., k]


def thomas_solve(lower, inverse, upper_scaled, work) -> None:
    """Solve tridiagonal systems factorised by :func:`thomas_factors` in place: ``work`` holds
    the right-hand sides on entry (line index last) and the solutions on exit."""
    work[..., 0] *= inverse[..., 0]
    for k in range(1, work.shape[-1]):
        work[..., k] += lower[..., k] * work[..., k - 1]
        work[..., k] *= inverse[..., k]
    for k in range(work.shape[-1] - 2, -1, -1):
        work[..., k] += upper_scaled[..., k] * work[..., k + 1]


def _apply(stencil, x):
    """``A x`` by the array expressions of ``Stencil7`` (not its compiled kernel)."""
    return stencil.apply_arrays(x, np.empty(x.shape, dtype=x.dtype))


def _line_layout(array, axis):
    """``array`` (cell-shaped) with the line axis last."""
    return np.moveaxis(array, axis, -1)


def line_factor(grid, block, args):
    """Twin of ``line_factor`` (kernels/smoothers.cu): Thomas factors of every line along
    ``axis``, in the cell layout."""
    minus, diag, plus, inverse, plus_scaled, lines, nx, ny, nz, axis = args
    shape, axis = (int(nx), int(ny), int(nz)), int(axis)
    _covers(grid, block, int(lines))
    thomas_factors(*(_line_layout(_cells(a, shape), axis)
                         for a in (minus, diag, plus, inverse, plus_scaled)))


def _line_right_sides(coefficients, rhs, interior, shape, axis, colour):
    """The right-hand sides of the lines of ``colour`` along ``axis`` (rhs plus the couplings to
    the off-line neighbours, the operator without diagonal and on-line couplings), line index
    last, and the mask of those lines among all."""
    off_line = {name: (c if name[0] != "xyz"[axis] else np.zeros(shape))
                for name, c in zip(NEIGHBOURS, coefficients, strict=True)}
    acc = _cells(rhs, shape) - _apply(Stencil7(diag=np.zeros(shape), **off_line), interior)
    others = [n for a, n in enumerate(shape) if a != axis]
    selected = (np.add.outer(np.arange(others[0]), np.arange(others[1])) % 2) == int(colour)
    return _line_layout(acc, axis)[selected], selected


def zebra_lines(grid, block, args):
    """Twin of ``zebra_lines`` (kernels/smoothers.cu): the lines of one colour along ``axis``
    solved with the off-line neighbours of the other colour."""
    inverse, plus_scaled, *coefficients, rhs, x, lines, nx, ny, nz, axis, colour = args
    shape, axis = (int(nx), int(ny), int(nz)), int(axis)
    _covers(grid, block, int(lines))
    interior = _interior(x, shape)
    coefficients = [_cells(c, shape) for c in coefficients]
    work, selected = _line_right_sides(coefficients, rhs, interior, shape, axis, colour)
    thomas_solve(_line_layout(coefficients[2 * axis], axis)[selected],
                 _line_layout(_cells(inverse, shape), axis)[selected],
                 _line_layout(_cells(plus_scaled, shape), axis)[selected], work)
    _line_layout(interior, axis)[selected] = work


def cyclic_reduction(lower, centre, upper, value) -> np.ndarray:
    """Solve tridiagonal systems ``lower x_(k-1) + centre x_k + upper x_(k+1) = value`` (line
    index last, couplings beyond the ends zero) by parallel cyclic reduction: each step
    eliminates the unknowns ``stride`` away with the rows there, until each row holds one
    unknown; returns ``x``."""
    n = centre.shape[-1]
    stride = 1
    while stride < n:
        below, above = np.zeros_like(centre), np.zeros_like(centre)
        below[..., stride:] = -lower[..., stride:] / centre[..., :-stride]
        above[..., :-stride] = -upper[..., :-stride] / centre[..., stride:]
        new_lower, new_upper = np.zeros_like(lower), np.zeros_like(upper)
        new_lower[..., stride:] = below[..., stride:] * lower[..., :-stride]
        new_upper[..., :-stride] = above[..., :-stride] * upper[..., stride:]
        new_centre, new_value = centre.copy(), value.copy()
        new_centre[..., stride:] += below[..., stride:] * upper[..., :-stride]
        new_value[..., stride:] += below[..., stride:] * value[..., :-stride]
        new_centre[..., :-stride] += above[..., :-stride] * lower[..., stride:]
        new_value[..., :-stride] += above[..., :-stride] * value[..., stride:]
        lower, centre, upper, value = new_lower, new_centre, new_upper, new_value
        stride *= 2
    return value / centre


def zebra_lines_pcr(grid, block, args):
    """Twin of ``zebra_lines_pcr`` (kernels/smoothers.cu): the lines of one colour along
    ``axis`` (one block per line, a block of at least the line's cells) solved by cyclic
    reduction with the off-line neighbours of the other colour; a zero diagonal makes the row
    ``x = 0``."""
    diag, *coefficients, rhs, x, lines, nx, ny, nz, axis, colour = args
    shape, axis = (int(nx), int(ny), int(nz)), int(axis)
    assert int(np.prod(grid)) >= int(lines), "one block per line"
    assert shape[axis] <= int(np.prod(block)) <= 1024, "a thread per cell of the line"
    interior = _interior(x, shape)
    diag = _cells(diag, shape)
    coefficients = [_cells(c, shape) for c in coefficients]
    acc, selected = _line_right_sides(coefficients, rhs, interior, shape, axis, colour)
    centre = _line_layout(diag, axis)[selected]
    empty = centre == 0.0
    lower = np.where(empty, 0.0, -_line_layout(coefficients[2 * axis], axis)[selected])
    upper = np.where(empty, 0.0, -_line_layout(coefficients[2 * axis + 1], axis)[selected])
    lower[..., 0] = upper[..., -1] = 0.0
    value = np.where(empty, 0.0, acc)
    _line_layout(interior, axis)[selected] = cyclic_reduction(
        lower, np.where(empty, 1.0, centre), upper, value)


def rbgs_residual_colour(grid, block, args):
    """Twin of ``rbgs_residual_colour`` (kernels/smoothers.cu): one colour of red-black
    Gauss-Seidel in residual form on the active cells of up to three unpadded fields."""
    fields, sizes, colour = args[:30], args[30:39], int(args[39])
    shapes = [tuple(int(n) for n in sizes[3 * f:3 * f + 3]) for f in range(3)]
    _covers(grid, block, sum(int(np.prod(shape)) for shape in shapes))
    for f, shape in enumerate(shapes):
        if not np.prod(shape):
            continue
        *operator, rhs, active, x = fields[10 * f:10 * f + 10]
        field = _cells(x, shape)
        residual = _cells(rhs, shape) - _apply(_operator(operator, shape), field)
        update = (np.indices(shape).sum(axis=0) % 2 == colour) & (_cells(active, shape) != 0)
        field[update] += residual[update] / _cells(operator[0], shape)[update]


def _operator(arrays, shape):
    return Stencil7(*(_cells(a, shape) for a in arrays))


def cell_operator(grid, block, args):
    """Twin of ``cell_operator`` (kernels/stencil.cu): ``out = A x`` or ``rhs - A x`` on an
    unpadded cell field."""
    *operator, x, rhs, out, nx, ny, nz, residual = args
    shape = (int(nx), int(ny), int(nz))
    _covers(grid, block, int(np.prod(shape)))
    stencil = _operator(operator, shape)
    result = _apply(stencil, _cells(x, shape))
    _cells(out, shape)[...] = _cells(rhs, shape) - result if int(residual) else result


def _tvd_faces(limiter, lower, upper, lower2, upper2, x_lower, x_upper, x_lower2, x_upper2,
               x_face, flux, usable_lower2, usable_upper2):
    """``F (phi_face_TVD - phi_face_upwind)`` of every face by array operations."""
    central = (upper - lower) / (x_upper - x_lower)
    from_lower = limiter(np, (lower - lower2) / (x_lower - x_lower2), central) * (
        x_face - x_lower) * usable_lower2
    from_upper = limiter(np, (upper2 - upper) / (x_upper2 - x_upper), central) * (
        x_face - x_upper) * usable_upper2
    return flux * np.where(flux > 0.0, from_lower, from_upper)


def _linear_upwind(xp, upwind, central):
    return upwind


LIMITERS = {"van_leer": van_leer, "minmod": minmod, "linear_upwind": _linear_upwind}


def momentum_tvd_correction(grid, block, args):
    """Twin of ``momentum_tvd_correction`` (numerics/kernels/convection.cu): the corrections
    of all faces along ``d`` by array operations (upwind-side nodes edge-padded along ``d``,
    those across a port replaced by the face's own node), then their difference into the
    cells: ``rhs`` loses the face above and gains the face below."""
    (phi, flux, before, after, usable, *lines, rhs, nx, ny, nz, d, offset, masks, has_usable,
     scheme) = args
    shape, d, offset = (int(nx), int(ny), int(nz)), int(d), int(offset)
    _covers(grid, block, int(np.prod(shape)))
    n = shape[d]

    def extent(e):
        return tuple(e if axis == d else size for axis, size in enumerate(shape))

    along_d = tuple(n - 1 if axis == d else 1 for axis in range(3))  # lines over the faces
    x_lower, x_upper, x_lower2, x_upper2, x_face = (line[:n - 1].reshape(along_d)
                                                    for line in lines)
    phi = _cells(phi, shape)
    padded = np.concatenate([phi[along_axis(d, slice(0, 1))], phi,
                             phi[along_axis(d, slice(n - 1, n))]], axis=d)
    lower, upper = phi[along_axis(d, slice(0, n - 1))], phi[along_axis(d, slice(1, n))]
    lower2 = padded[along_axis(d, slice(0, n - 1))]
    upper2 = padded[along_axis(d, slice(3, n + 2))]
    if int(masks):
        lower2 = np.where(_cells(before, extent(n - 1)), lower2, lower)
        upper2 = np.where(_cells(after, extent(n - 1)), upper2, upper)
    usable_lower2 = usable_upper2 = 1.0
    if int(has_usable):
        usable = _cells(usable, extent(n + 2))
        usable_lower2 = usable[along_axis(d, slice(0, n - 1))]
        usable_upper2 = usable[along_axis(d, slice(3, n + 2))]
    faces = _cells(flux, extent(n - 1 + 2 * offset))[along_axis(d, slice(offset,
                                                                         offset + n - 1))]
    out = _tvd_faces(LIMITERS[TVD_SCHEMES[int(scheme)]], lower, upper, lower2, upper2,
                     x_lower, x_upper, x_lower2, x_upper2, x_face, faces, usable_lower2,
                     usable_upper2)
    rhs = _cells(rhs, shape)
    rhs[along_axis(d, slice(0, n - 1))] -= out
    rhs[along_axis(d, slice(1, n))] += out


def stencil_apply(grid, block, args):
    """Twin of ``stencil_apply`` (kernels/stencil.cu): ``out = A x``, ``out`` cell-shaped or
    halo-padded."""
    *operator, x, out, nx, ny, nz, out_padded = args
    shape = (int(nx), int(ny), int(nz))
    _covers(grid, block, int(np.prod(shape)))
    target = _interior(out, shape) if int(out_padded) else _cells(out, shape)
    target[...] = _apply(_operator(operator, shape), _interior(x, shape))


def residual_restrict(grid, block, args):
    """Twin of ``residual_restrict`` (kernels/stencil.cu): the residual summed over each
    aggregate of the next coarser level."""
    *operator, rhs, x, coarse_rhs, nx, ny, nz, fx, fy, fz, cx, cy, cz = args
    shape, factors, coarse = ((int(nx), int(ny), int(nz)), (int(fx), int(fy), int(fz)),
                              (int(cx), int(cy), int(cz)))
    _covers(grid, block, int(np.prod(coarse)))
    residual = _cells(rhs, shape) - _apply(_operator(operator, shape), _interior(x, shape))
    blocks = np.zeros(tuple(c * f for c, f in zip(coarse, factors, strict=True)))
    blocks[:shape[0], :shape[1], :shape[2]] = residual
    _cells(coarse_rhs, coarse)[...] = blocks.reshape(
        coarse[0], factors[0], coarse[1], factors[1], coarse[2], factors[2]).sum(axis=(1, 3, 5))


def prolong_add(grid, block, args):
    """Twin of ``prolong_add`` (kernels/stencil.cu): every fine cell takes the correction of
    its aggregate."""
    coarse_x, x, nx, ny, nz, fx, fy, fz, cy, cz = args
    shape, factors = (int(nx), int(ny), int(nz)), (int(fx), int(fy), int(fz))
    _covers(grid, block, int(np.prod(shape)))
    cx = -(-shape[0] // factors[0])
    correction = _interior(coarse_x, (cx, int(cy), int(cz)))
    for axis, f in enumerate(factors):
        correction = np.repeat(correction, f, axis=axis)
    _interior(x, shape)[...] += correction[:shape[0], :shape[1], :shape[2]]


def coarsen_operator(grid, block, args):
    """Twin of ``coarsen_operator`` (kernels/stencil.cu): the coarse operator of
    ``coarsen_stencil`` written into the coarse arrays."""
    operator, coarse_arrays = args[:7], args[7:14]
    nx, ny, nz, fx, fy, fz, cx, cy, cz = (int(v) for v in args[14:])
    coarse = (cx, cy, cz)
    _covers(grid, block, int(np.prod(coarse)))
    new = coarsen_stencil(_operator(operator, (nx, ny, nz)), (fx, fy, fz))
    for buffer, name in zip(coarse_arrays, ("diag", *NEIGHBOURS), strict=True):
        _cells(buffer, coarse)[...] = getattr(new, name)


TWINS = {"coarsen_operator": coarsen_operator, "rbgs_residual_colour": rbgs_residual_colour,
         "line_factor": line_factor,
         "zebra_lines": zebra_lines, "zebra_lines_pcr": zebra_lines_pcr,
         "stencil_apply": stencil_apply,
         "cell_operator": cell_operator, "momentum_tvd_correction": momentum_tvd_correction,
         "residual_restrict": residual_restrict, "prolong_add": prolong_add,
         **{name: kernel.twin for name, kernel in pointwise.KERNELS.items()}}
