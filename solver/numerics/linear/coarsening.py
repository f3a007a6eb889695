"""Coarsening for cell-centred aggregation multigrid: aggregation factors per axis and the
scaled Galerkin 7-point coarse operators."""

from __future__ import annotations

from solver.backend import array_namespace, to_host
from solver.numerics.stencil import NEIGHBOURS, Stencil7, along_axis

AXIS_PAIRS = (("x_minus", "x_plus"), ("y_minus", "y_plus"), ("z_minus", "z_plus"))


def _pad_to(xp, array, shape):
    """Zero-pad ``array`` at the upper end of every axis to ``shape``."""
    if tuple(array.shape) == tuple(shape):
        return array
    out = xp.zeros(shape, dtype=array.dtype)
    out[tuple(slice(0, n) for n in array.shape)] = array
    return out


def _block_sum(array, factors):
    """Sum ``array`` over blocks of ``factors`` cells (its shape must be divisible by them)."""
    (nx, ny, nz), (fx, fy, fz) = array.shape, factors
    return array.reshape(nx // fx, fx, ny // fy, fy, nz // fz, fz).sum(axis=(1, 3, 5))


def _boundary_sink(xp, sink, link, axis: int, first: bool):
    """Sinks of the boundary slab of ``axis`` seen from the coarse cell centre: the fine sink
    (a conductance to an outside node) in series with half the inward link, which the coarse
    centre lies behind. Non-positive sinks and missing links are left as they are."""
    slab = sink[along_axis(axis, slice(0, 1) if first else slice(-1, None))]
    inward = link[along_axis(axis, slice(0, 1) if first else slice(-1, None))]
    ok = (slab > 0) & (inward > 0)
    series = 1.0 / (1.0 / xp.where(ok, slab, 1.0) + 0.5 / xp.where(ok, inward, 1.0))
    return xp.where(ok, series, slab)


def coarsen_stencil(stencil: Stencil7, factors: tuple[int, int, int]) -> Stencil7:
    """Coarse seven-point stencil of ``stencil`` for aggregates of ``factors`` cells per axis.

    The Galerkin product ``R A P`` of piecewise-constant aggregation with two geometric
    corrections for diffusion: each diffusive (symmetric) coupling across a face normal to
    axis ``a`` is divided by the aggregation factor ``f_a``, and the sink ``diag - sum a_nb`` of
    a cell on a grid boundary normal to a coarsened axis (a Dirichlet or convective conductance
    folded into ``diag``) is put in series with half of the cell's inward link. Other sinks
    count as volumetric and are summed; sinks of isolated cells, whose couplings are all zero,
    are left out unless the whole aggregate is isolated; advective excess couplings are summed.

    For uniform diffusion this is the rediscretised coarse operator: a coarse face has the
    summed area but ``f_a`` times the centre distance, and the coarse centre lies ``f_a`` times
    further from a boundary. The unscaled product over-estimates conductances by ``f_a`` and
    makes the correction too small (the slow convergence of plain additive correction; cf. the
    over-correction of Braess 1995).

    Parameters
    ----------
    stencil : Stencil7
        Fine operator, shape ``(nx, ny, nz)``.
    factors : tuple of int
        Aggregation factor per axis, 1 or 2. An odd axis coarsened by 2 leaves a last
        aggregate of one cell.

    Returns
    -------
    Stencil7
        Coarse operator of shape ``ceil(n / f)`` per axis, in the same equation units.
    """
    xp = array_namespace(stencil.diag)
    shape = stencil.shape
    coarse_shape = tuple(-(-n // f) for n, f in zip(shape, factors, strict=True))
    padded = tuple(nc * f for nc, f in zip(coarse_shape, factors, strict=True))
    sink = stencil.diag - sum(stencil.neighbour(name) for name in NEIGHBOURS)
    boundary = sink.copy()
    coarse = {}
    for axis, (minus_name, plus_name) in enumerate(AXIS_PAIRS):
        n, f = shape[axis], factors[axis]
        plus = stencil.neighbour(plus_name)
        minus = stencil.neighbour(minus_name)
        # diffusive part of link i -> i+1: the smaller of both directions; the rest is advective
        diffusive = xp.maximum(xp.minimum(plus[along_axis(axis, slice(0, n - 1))],
                                          minus[along_axis(axis, slice(1, n))]), 0.0)
        scaled_plus = plus.copy()
        scaled_plus[along_axis(axis, slice(0, n - 1))][...] -= (1.0 - 1.0 / f) * diffusive
        scaled_minus = minus.copy()
        scaled_minus[along_axis(axis, slice(1, n))][...] -= (1.0 - 1.0 / f) * diffusive
        # couplings that cross an aggregate face, summed over the face
        other = tuple(1 if a == axis else factors[a] for a in range(3))
        coarse[plus_name] = _block_sum(
            _pad_to(xp, scaled_plus, padded)[along_axis(axis, slice(f - 1, None, f))], other)
        coarse[minus_name] = _block_sum(
            _pad_to(xp, scaled_minus, padded)[along_axis(axis, slice(0, None, f))], other)
        # boundary sinks on both ends of a coarsened axis (not a one-cell last aggregate)
        if f == 2 and n > 1:
            series = _boundary_sink(xp, sink, diffusive, axis, first=True)
            target = boundary[along_axis(axis, slice(0, 1))]
            xp.minimum(target, series, out=target)
            if n % 2 == 0:
                series = _boundary_sink(xp, sink, diffusive, axis, first=False)
                target = boundary[along_axis(axis, slice(-1, None))]
                xp.minimum(target, series, out=target)
    # cells without any coupling (e.g. empty cells kept as identity rows) are solved exactly by
    # the smoother; their sinks would only corrupt the coarse cell they share with coupled cells
    isolated = (sum(xp.abs(stencil.neighbour(name)) for name in NEIGHBOURS) == 0).astype(
        sink.dtype)
    coupled_sink = _block_sum(_pad_to(xp, boundary * (1.0 - isolated), padded), factors)
    coupled_cells = _block_sum(_pad_to(xp, 1.0 - isolated, padded), factors)
    isolated_sink = _block_sum(_pad_to(xp, sink * isolated, padded), factors)
    diag = xp.where(coupled_cells > 0, coupled_sink, isolated_sink)
    for name in NEIGHBOURS:
        diag = diag + coarse[name]
    return Stencil7(diag=diag, **coarse)


def choose_factors(stencil: Stencil7, threshold: float,
                   exclude: tuple[int, ...] = ()) -> tuple[int, int, int]:
    """Aggregation factor per axis: 2 where the axis is coupled about as strongly as the
    strongest candidate axis (mean coefficient per cell at least ``threshold`` times the
    largest), else 1.

    Axes in ``exclude`` (solved exactly by line smoothing) are not coarsened, and the strongest
    coupling is taken among the others: across the lines, coarsening follows the couplings that
    the point-wise part of the smoother leaves smooth (semi-coarsening). Without a candidate axis
    (every other axis is one cell thick) all axes are candidates again.
    """
    xp = array_namespace(stencil.diag)
    # the mean coupling per axis, brought to the host in one transfer
    strength = [float(v) if n > 1 else 0.0 for v, n in zip(to_host(xp.stack([
        xp.mean(xp.abs(stencil.neighbour(m)) + xp.abs(stencil.neighbour(p)))
        for m, p in AXIS_PAIRS])), stencil.shape, strict=True)]
    candidates = [a for a, n in enumerate(stencil.shape) if n > 1 and a not in exclude]
    if not candidates:
        candidates = [a for a, n in enumerate(stencil.shape) if n > 1]
    strongest = max(strength[a] for a in candidates)
    return tuple(2 if a in candidates and strength[a] >= threshold * strongest else 1
                 for a in range(3))
