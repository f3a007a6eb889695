"""Multigrid-class linear solvers for seven-point finite-volume systems.

The systems are those of :class:`~solver.operators.Stencil7`: heat conduction (symmetric, with
conductivity jumps of 1000:1 and more between copper, TIM and coolant, on stretched grids), the
pressure correction of the flow solver (symmetric, possibly singular) and advection-diffusion of
energy (non-symmetric).

Algorithm: cell-centred agglomeration multigrid on the structured grid
-----------------------------------------------------------------------
* **Hierarchy.** Each level merges blocks of 2x2x2 cells into one coarse cell, or fewer axes
  (semi-coarsening) where an axis is weakly coupled, has a single cell, or is solved by line
  smoothing; an odd axis leaves a last aggregate of one cell. Prolongation ``P`` is piecewise
  constant and restriction ``R = P^T`` sums the fine residuals (the flux imbalance of the coarse
  control volume): additive-correction multigrid (Hutchinson & Raithby 1986).
* **Coarse operator.** Seven-point again (:func:`coarsen_stencil`): the Galerkin product
  ``R A P`` with each diffusive coupling divided by the aggregation factor across its face and
  boundary sinks in series with half the inward link, which for uniform diffusion equals the
  rediscretised coarse operator (the unscaled product is 2x too stiff, the classic slow
  convergence of additive correction). Advective couplings and volumetric sinks are summed
  unscaled; cells without couplings are left out. Zero row sums (all-Neumann) are preserved on
  every level.
* **Smoother.** Red-black point Gauss-Seidel; on levels where cells couple much more strongly
  along one axis (thin layers, stretched cells) zebra line Gauss-Seidel along that axis (exact
  tridiagonal line solves) with coarsening only across the lines, which is robust for any
  aspect ratio along that axis. Pre-smoothing runs the colours forward, post-smoothing
  backward, so the cycle is symmetric for symmetric operators.
* **Cycle.** K-cycle by default (Notay & Vassilevski 2008): the coarse problem of an
  intermediate level is solved by two Krylov steps preconditioned by that level's cycle, which
  keeps the convergence factor from degrading with the number of levels, wherever the doubled
  visits keep that level's work per cycle within half the finest level's (all levels below
  the first with full 2x2x2 coarsening); ``cycle="v"`` gives the plain V-cycle.
* **Coarsest level.** (at most ``coarsest_size`` cells) A dense inverse computed once on the
  host (LU, or the pseudo-inverse when the operator is singular) and applied on the device, so
  a cycle needs no host transfer.
* **Krylov acceleration.** The cycle preconditions flexible CG (``"pcg"``, symmetric systems) or
  BiCGStab (``"bicgstab"``, non-symmetric); ``"multigrid"`` runs cycles as a stationary
  iteration, each correction scaled by the step that minimises the residual norm (the scaled
  coarse operators over-correct some modes, and a plain stationary cycle can diverge).

All numerics use the stencil's array namespace (NumPy or CuPy); work arrays are allocated once per
level; Krylov coefficients stay on the device, and the residual norm is brought to the host only
every ``check_every`` iterations. On the host, sweeps are strided array operations and line
solves use LAPACK (``?gttrs``); on a GPU, a red-black colour and a set of line solves are one
CUDA kernel launch each (``kernels/smoothers.cu``; NumPy twins run the same arithmetic).

Singular systems: for an all-Neumann operator (every row sums to zero) the right-hand side must
sum to zero (compatible); the iterates then converge to one of the solutions, defined up to a
constant. The flow solver removes the null space with an outlet Dirichlet condition.

Known limitation: the coarsening is chosen per level for the whole grid, so grids stretched
strongly along two axes in different regions (cell aspect ratios of 30 and more in both x and z)
converge at only 0.2-0.4 per iteration (local, plane-wise smoothing would be needed); one
stretched axis (thin layers), jumps and advection-dominated axes are handled.

Precision: float64 is the default. A float32 operator keeps its whole hierarchy (smoothing,
coarse levels) in float32 while the Krylov iteration, residuals and dot products run in float64
(mixed-precision refinement); the solution is returned in the operator's dtype.
"""

from __future__ import annotations

import functools
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.linalg
import scipy.linalg.lapack

from solver.operators import NEIGHBOURS, Stencil7, array_namespace

METHODS = ("pcg", "bicgstab", "fgmres", "multigrid")
GMRES_RESTART = 20  # Krylov vectors per FGMRES cycle (2 x 21 arrays of the grid's size)
SMOOTHERS = ("auto", "point")
CYCLES = ("k", "v")
MAX_COARSEST = 2048  # cells; the coarsest level is solved with a dense inverse
# an axis gets line smoothing where at least LINE_FRACTION of the cells couple LINE_RATIO times
# more strongly along it than along the other axes
LINE_RATIO = 4.0
LINE_FRACTION = 0.05
KERNEL_FILE = Path(__file__).parent / "kernels" / "smoothers.cu"
_CUDA_REAL = {"float64": "double", "float32": "float"}
_THREADS = 256  # CUDA threads per block


def cuda_source(dtype) -> str:
    """CUDA source of the smoother kernels for ``dtype`` (float64 or float32)."""
    return f"typedef {_CUDA_REAL[np.dtype(dtype).name]} real;\n" + KERNEL_FILE.read_text()


@functools.cache
def _cuda_kernels(xp, dtype_name: str):
    """Compiled ``(rbgs_colour, thomas_lines)`` kernels for one precision (CuPy only)."""
    module = xp.RawModule(code=cuda_source(dtype_name))
    return module.get_function("rbgs_colour"), module.get_function("thomas_lines")


def _blocks(count: int) -> tuple[int]:
    return ((count + _THREADS - 1) // _THREADS,)


@dataclass(frozen=True)
class LinearSolve:
    """Settings of one linear solve (a frozen value object, echoed into result metadata).

    Parameters
    ----------
    method : {"pcg", "bicgstab", "fgmres", "multigrid"}
        Multigrid-preconditioned flexible CG (symmetric systems), multigrid-preconditioned
        BiCGStab or flexible GMRES (non-symmetric systems; FGMRES never breaks down and its
        residual never grows, at the price of 2 x 21 stored vectors) or stationary multigrid
        cycles (each correction scaled to minimise the residual).
    rtol : float
        Stop when ``||r|| <= max(rtol * ||r0||, atol)`` (Euclidean norms of ``rhs - A x``).
    atol : float
        Absolute residual tolerance, in the units of the assembled equation (e.g. W).
    max_iterations : int
        Maximum Krylov iterations (or cycles for ``"multigrid"``).
    pre_sweeps, post_sweeps : int
        Gauss-Seidel sweeps (point or line) before and after the coarse-grid correction.
    coarsest_size : int
        Stop coarsening when a level has at most this many cells (at most 2048); it is solved
        directly (dense inverse).
    anisotropy_threshold : float
        An axis is coarsened only where its mean coupling is at least this fraction of the
        strongest axis' coupling (semi-coarsening for thin layers and stretched cells).
    smoother : {"auto", "point"}
        ``"auto"``: red-black point Gauss-Seidel, replaced on a level by zebra line
        Gauss-Seidel along each axis where cells couple much more strongly (thin layers,
        stretched cells); ``"point"``: always point smoothing.
    cycle : {"k", "v"}
        ``"k"``: K-cycle, the coarse-grid problem of every intermediate level is solved by two
        Krylov steps preconditioned by that level's cycle (level-independent convergence with
        coefficient jumps); ``"v"``: plain V-cycle (one recursive call per level).
    check_every : int or None
        Bring the residual norm to the host (a device synchronisation on the GPU) only every
        this many iterations; the history then holds one entry per check. ``None``: every
        iteration on the CPU, every 4th on a GPU.
    """

    method: str = "pcg"
    rtol: float = 1e-8
    atol: float = 0.0
    max_iterations: int = 200
    pre_sweeps: int = 2
    post_sweeps: int = 2
    coarsest_size: int = 512
    anisotropy_threshold: float = 0.25
    check_every: int | None = None
    smoother: str = "auto"
    cycle: str = "k"

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {self.method!r}")
        if self.smoother not in SMOOTHERS:
            raise ValueError(f"smoother must be one of {SMOOTHERS}, got {self.smoother!r}")
        if self.cycle not in CYCLES:
            raise ValueError(f"cycle must be one of {CYCLES}, got {self.cycle!r}")
        if self.rtol < 0 or self.atol < 0:
            raise ValueError("rtol and atol must be non-negative")
        if self.max_iterations < 1 or (self.check_every is not None and self.check_every < 1):
            raise ValueError("max_iterations and check_every must be at least 1")
        if self.pre_sweeps < 0 or self.post_sweeps < 0 or self.pre_sweeps + self.post_sweeps < 1:
            raise ValueError("smoothing sweeps must be non-negative and not both zero")
        if not 1 <= self.coarsest_size <= MAX_COARSEST:
            raise ValueError(f"coarsest_size must be between 1 and {MAX_COARSEST}")


@dataclass(frozen=True)
class SolveInfo:
    """Outcome of a linear solve.

    Attributes
    ----------
    method : str
        The method that ran.
    iterations : int
        Krylov iterations (or multigrid cycles) performed.
    converged : bool
        True when the tolerance was met.
    initial_residual, final_residual : float
        Euclidean norm of ``rhs - A x`` at the start and at the end (equation units).
    relative_residual : float
        ``final_residual / initial_residual`` (0 when the initial residual is 0).
    convergence_factor : float
        Averaged residual reduction per iteration ``relative_residual ** (1 / iterations)``.
    seconds : float
        Wall-clock time of the solve, including the multigrid set-up when it was built here.
    """

    method: str
    iterations: int
    converged: bool
    initial_residual: float
    final_residual: float
    relative_residual: float
    convergence_factor: float
    seconds: float


@dataclass(frozen=True)
class LevelInfo:
    """Description of one multigrid level (for reports and tests).

    Attributes
    ----------
    shape : tuple of int
        Cells per axis.
    coarsening : tuple of int
        Aggregation factor per axis towards the next level ((1, 1, 1) on the coarsest).
    cells : int
        Number of cells.
    line_axes : tuple of int
        Axes smoothed by line Gauss-Seidel on this level (empty: point smoothing).
    """

    shape: tuple[int, int, int]
    coarsening: tuple[int, int, int]
    cells: int
    line_axes: tuple[int, ...] = ()


# -- coarse operator -------------------------------------------------------------------------

_AXIS_PAIRS = (("x_minus", "x_plus"), ("y_minus", "y_plus"), ("z_minus", "z_plus"))


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


def _take(array, axis, sl):
    """``array[..., sl, ...]`` with the slice applied along ``axis``."""
    index = [slice(None)] * 3
    index[axis] = sl
    return array[tuple(index)]


def _boundary_sink(xp, sink, link, axis: int, first: bool):
    """Sinks of the boundary slab of ``axis`` seen from the coarse cell centre: the fine sink
    (a conductance to an outside node) in series with half the inward link, which the coarse
    centre lies behind. Non-positive sinks and missing links are left as they are."""
    slab = _take(sink, axis, slice(0, 1) if first else slice(-1, None))
    inward = _take(link, axis, slice(0, 1) if first else slice(-1, None))
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
    for axis, (minus_name, plus_name) in enumerate(_AXIS_PAIRS):
        n, f = shape[axis], factors[axis]
        plus = stencil.neighbour(plus_name)
        minus = stencil.neighbour(minus_name)
        # diffusive part of link i -> i+1: the smaller of both directions; the rest is advective
        diffusive = xp.maximum(xp.minimum(_take(plus, axis, slice(0, n - 1)),
                                          _take(minus, axis, slice(1, n))), 0.0)
        scaled_plus = plus.copy()
        _take(scaled_plus, axis, slice(0, n - 1))[...] -= (1.0 - 1.0 / f) * diffusive
        scaled_minus = minus.copy()
        _take(scaled_minus, axis, slice(1, n))[...] -= (1.0 - 1.0 / f) * diffusive
        # couplings that cross an aggregate face, summed over the face
        other = tuple(1 if a == axis else factors[a] for a in range(3))
        coarse[plus_name] = _block_sum(
            _take(_pad_to(xp, scaled_plus, padded), axis, slice(f - 1, None, f)), other)
        coarse[minus_name] = _block_sum(
            _take(_pad_to(xp, scaled_minus, padded), axis, slice(0, None, f)), other)
        # boundary sinks on both ends of a coarsened axis (not a one-cell last aggregate)
        if f == 2 and n > 1:
            series = _boundary_sink(xp, sink, diffusive, axis, first=True)
            target = _take(boundary, axis, slice(0, 1))
            xp.minimum(target, series, out=target)
            if n % 2 == 0:
                series = _boundary_sink(xp, sink, diffusive, axis, first=False)
                target = _take(boundary, axis, slice(-1, None))
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


# -- one multigrid level -----------------------------------------------------------------------

_SHIFTS = tuple((axis, offset) for axis in range(3) for offset in (-1, 1))  # order of NEIGHBOURS


def _shifted(padded, shape, axis, offset, start=(0, 0, 0), step=(1, 1, 1)):
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


class _PointSmoother:
    """Red-black point Gauss-Seidel. On the host each colour is four strided sub-lattices
    updated with array operations; on a GPU one CUDA kernel launch updates a colour
    (``rbgs_colour`` in kernels/smoothers.cu, the same arithmetic)."""

    def __init__(self, level):
        xp, dtype = level.xp, level.rhs.dtype
        self.xp = xp
        self.colours = ([], [])
        if xp is not np:
            self.kernel = _cuda_kernels(xp, dtype.name)[0]
            nx, ny, nz = level.shape
            self.arguments = (xp.ascontiguousarray(level.inverse),
                              *(xp.ascontiguousarray(c) for c in level.coefficients),
                              level.rhs, level.x_padded, np.int32(nx), np.int32(ny),
                              np.int32(nz))
            self.grid = _blocks(nx * ny * nz)
            return
        for colour, start, step in _sub_blocks(level, None):
            sub = tuple(slice(s, None, 2) for s in start)
            terms = [(xp.ascontiguousarray(coef[sub]),
                      _shifted(level.x_padded, level.shape, axis, offset, start, step))
                     for (axis, offset), coef, on in zip(
                         _SHIFTS, level.coefficients, level.active, strict=True) if on]
            centre = _shifted(level.x_padded, level.shape, 0, 0, start, step)
            acc = xp.empty(centre.shape, dtype=dtype)
            self.colours[colour].append((centre, level.rhs[sub],
                                         xp.ascontiguousarray(level.inverse[sub]), terms, acc,
                                         xp.empty_like(acc)))

    def sweep(self, colour: int) -> None:
        xp = self.xp
        if xp is not np:
            self.kernel(self.grid, (_THREADS,), (*self.arguments, np.int32(colour)))
            return
        for centre, rhs, inverse, terms, acc, tmp in self.colours[colour]:
            # x_P = (rhs + sum a_nb x_nb) / a_P on one sub-lattice
            acc[...] = rhs
            for coef, neighbour in terms:
                xp.multiply(coef, neighbour, out=tmp)
                acc += tmp
            xp.multiply(acc, inverse, out=centre)


class _TridiagonalLines:
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
        if xp is not np:
            # one CUDA thread per line (thomas_lines in kernels/smoothers.cu)
            self.kernel = _cuda_kernels(xp, diag.dtype.name)[1]
            self.lines = int(np.prod(diag.shape[:-1]))
        if self.thomas:
            # Thomas factors: inverse pivots and normalised upper couplings
            self.lower = lower
            self.inverse = xp.empty_like(diag)
            self.upper_scaled = xp.empty_like(diag)
            previous = xp.zeros_like(diag[..., 0])
            for k in range(diag.shape[-1]):
                pivot = diag[..., k] - lower[..., k] * previous
                ok = xp.abs(pivot) > 1e-12 * xp.abs(diag[..., k])
                self.inverse[..., k] = xp.where(ok, 1.0 / xp.where(ok, pivot, 1.0), 0.0)
                self.upper_scaled[..., k] = upper[..., k] * self.inverse[..., k]
                previous = self.upper_scaled[..., k]
            self.row = xp.empty_like(diag[..., 0])
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
            self.kernel(_blocks(self.lines), (_THREADS,),
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


class _LineSmoother:
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
                        _shifted(level.x_padded, level.shape, a, offset, start, step), axis, -1))
                     for (a, offset), coef, on in zip(
                         _SHIFTS, level.coefficients, level.active, strict=True)
                     if on and a != axis]
            centre = xp.moveaxis(_shifted(level.x_padded, level.shape, 0, 0, start, step),
                                 axis, -1)
            lines = _TridiagonalLines(xp.ascontiguousarray(moved(minus)),
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


def _line_axes(stencil: Stencil7, ratio: float, fraction: float) -> tuple[int, ...]:
    """Axes that get line smoothing: where at least ``fraction`` of the cells couple ``ratio``
    times more strongly along the axis than along either other axis (thin cells, thin
    layers), or advection dominates diffusion along it (cell Peclet number above 2: the
    coefficients of a link differ by more than twice their common, diffusive part)."""
    xp = array_namespace(stencil.diag)
    strength = [xp.abs(stencil.neighbour(m)) + xp.abs(stencil.neighbour(p))
                for m, p in _AXIS_PAIRS]
    axes = []
    for axis, (minus, plus) in enumerate(_AXIS_PAIRS):
        n = stencil.shape[axis]
        if n < 2:
            continue
        others = xp.maximum(*(strength[a] for a in range(3) if a != axis))
        strong = float(xp.mean(strength[axis] > ratio * others))
        up = _take(stencil.neighbour(plus), axis, slice(0, n - 1))
        down = _take(stencil.neighbour(minus), axis, slice(1, n))
        advective = float(xp.mean(xp.abs(up - down) > 2.0 * xp.minimum(xp.abs(up),
                                                                       xp.abs(down))))
        if strong >= fraction or advective >= fraction:
            axes.append(axis)
    return tuple(axes)


class _Level:
    """Operator, work arrays and smoothers of one level (allocated once)."""

    def __init__(self, stencil: Stencil7, line_axes=()):
        xp = array_namespace(stencil.diag)
        self.xp = xp
        self.stencil = stencil
        self.shape = stencil.shape
        nx, ny, nz = self.shape
        dtype = stencil.diag.dtype
        self.coefficients = [stencil.neighbour(name) for name in NEIGHBOURS]
        self.active = [bool(xp.any(c != 0)) for c in self.coefficients]
        self.x_padded = xp.zeros((nx + 2, ny + 2, nz + 2), dtype=dtype)
        self.x = self.x_padded[1:-1, 1:-1, 1:-1]
        self.rhs = xp.zeros(self.shape, dtype=dtype)
        self.tmp = xp.empty(self.shape, dtype=dtype)
        diag = stencil.diag
        self.inverse = xp.where(diag != 0, 1.0 / xp.where(diag != 0, diag, 1.0), 0.0)
        self.line_axes = tuple(line_axes)
        self.smoothers = ([_LineSmoother(self, axis) for axis in self.line_axes]
                          or [_PointSmoother(self)])

    def smooth(self, sweeps: int, reverse: bool) -> None:
        """Gauss-Seidel sweeps on ``x`` for ``rhs``; ``reverse`` runs the transposed order
        (colours and line directions backwards), so pre- and post-smoothing are adjoint."""
        steps = [(smoother, colour) for smoother in self.smoothers for colour in (0, 1)]
        if reverse:
            steps.reverse()
        for _ in range(sweeps):
            for smoother, colour in steps:
                smoother.sweep(colour)

    def apply(self, padded, out, tmp=None):
        """``out = A x`` for a halo-padded ``x`` (halo zero); ``tmp``: scratch like ``out``."""
        xp = self.xp
        tmp = self.tmp if tmp is None else tmp
        xp.multiply(self.stencil.diag, padded[1:-1, 1:-1, 1:-1], out=out)
        for (axis, offset), coef, on in zip(_SHIFTS, self.coefficients, self.active,
                                            strict=True):
            if on:
                xp.multiply(coef, _shifted(padded, self.shape, axis, offset), out=tmp)
                out -= tmp
        return out

    def residual(self, out):
        """``out = rhs - A x`` for this level's ``x`` and ``rhs``."""
        self.apply(self.x_padded, out)
        self.xp.subtract(self.rhs, out, out=out)
        return out


def _choose_factors(stencil: Stencil7, threshold: float) -> tuple[int, int, int]:
    """Aggregation factor per axis: 2 where the axis is coupled about as strongly as the
    strongest axis (mean coefficient per cell at least ``threshold`` times the largest), else 1.
    """
    xp = array_namespace(stencil.diag)
    strength = [float(xp.mean(xp.abs(stencil.neighbour(m)) + xp.abs(stencil.neighbour(p))))
                if n > 1 else 0.0
                for (m, p), n in zip(_AXIS_PAIRS, stencil.shape, strict=True)]
    strongest = max(strength)
    return tuple(2 if n > 1 and s >= threshold * strongest else 1
                 for s, n in zip(strength, stencil.shape, strict=True))


class _Dot:
    """Dot products ``sum(a * b)`` of equally shaped arrays, as device scalars.

    On the host the product goes through a scratch array and NumPy's pairwise sum instead of
    BLAS ``dot``: multithreaded BLAS level-1 calls interleaved with other work stall on
    thread wake-ups (milliseconds each on a loaded machine), and pairwise summation is also
    more accurate. On a device ``vdot`` is used.
    """

    def __init__(self, xp):
        self.xp = xp
        self.scratch = {}

    def __call__(self, a, b):
        if self.xp is not np:
            return self.xp.vdot(a, b)
        key = (a.shape, np.result_type(a, b))
        work = self.scratch.get(key)
        if work is None:
            work = self.scratch[key] = np.empty(a.shape, dtype=key[1])
        np.multiply(a, b, out=work)
        return work.sum()

    def norm(self, a) -> float:
        """Euclidean norm, brought to the host."""
        return math.sqrt(float(self(a, a)))


def _cells(level) -> int:
    return int(np.prod(level.shape))


class _CoarsestSolver:
    """Direct solve of the coarsest level as a product with its dense inverse, kept on the
    device (no host transfer or synchronisation per cycle). The inverse comes from an LU
    factorisation on the host; a (numerically) singular operator, e.g. all-Neumann pressure
    systems whose rows sum to zero, gets the pseudo-inverse (least-squares solution orthogonal
    to the null space). Rows without any entry (empty aggregates) become identity rows."""

    def __init__(self, stencil: Stencil7):
        xp = array_namespace(stencil.diag)
        self.shape = stencil.shape
        matrix = stencil.to_scipy().toarray()
        empty = ~matrix.any(axis=1)
        matrix[empty, empty] = 1.0
        lu, pivots = scipy.linalg.lu_factor(matrix, check_finite=False)
        pivot_size = np.abs(np.diag(lu))
        self.singular = bool(pivot_size.min() <= 1e-12 * pivot_size.max())
        if self.singular:
            inverse = scipy.linalg.pinv(matrix)
        else:
            inverse = scipy.linalg.lu_solve((lu, pivots), np.eye(matrix.shape[0]))
        self.inverse = xp.asarray(inverse, dtype=stencil.diag.dtype)

    def solve(self, rhs, out) -> None:
        """``out = A^-1 rhs`` (arrays of the coarsest level's shape, on the device)."""
        out[...] = (self.inverse @ rhs.reshape(-1)).reshape(self.shape)


class Multigrid:
    """Cell-centred agglomeration multigrid hierarchy of a seven-point operator.

    Built once per operator (build a new one when the coefficients change); usable as a
    stand-alone solver (:meth:`solve` with stationary cycles or Krylov acceleration) or as a
    preconditioner (:meth:`precondition`). See the module docstring for the algorithm.

    Parameters
    ----------
    stencil : Stencil7
        The fine operator (NumPy or CuPy arrays, shape ``(nx, ny, nz)``).
    settings : LinearSolve
        Smoothing sweeps, coarsest size and semi-coarsening threshold are taken from here.

    Attributes
    ----------
    levels : list of LevelInfo
        Shape, aggregation factors and cell count of each level, finest first.
    setup_seconds : float
        Wall-clock time spent building the hierarchy.
    """

    def __init__(self, stencil: Stencil7, settings: LinearSolve = LinearSolve()):
        start = time.perf_counter()
        self.settings = settings
        self.stencil = stencil
        self.xp = array_namespace(stencil.diag)
        self._dot = _Dot(self.xp)
        self._levels = []
        self._factors = []
        level_stencil = stencil
        while True:
            small = int(np.prod(level_stencil.shape)) <= settings.coarsest_size
            line_axes = () if small or settings.smoother == "point" else _line_axes(
                level_stencil, LINE_RATIO, LINE_FRACTION)
            self._levels.append(_Level(level_stencil, line_axes))
            if small or level_stencil.shape == (1, 1, 1):
                break
            factors = _choose_factors(level_stencil, settings.anisotropy_threshold)
            across = tuple(1 if a in line_axes or n < 2 else 2
                           for a, n in enumerate(level_stencil.shape))
            if line_axes and max(across) == 2:
                # lines solve their axis exactly: coarsen only across the lines
                factors = across
            self._factors.append(factors)
            level_stencil = coarsen_stencil(level_stencil, factors)
        self._factors.append((1, 1, 1))
        self._transfers = [self._transfer_views(fine, coarse, factors) for fine, coarse, factors
                           in zip(self._levels[:-1], self._levels[1:], self._factors,
                                  strict=False)]
        self._coarsest = _CoarsestSolver(self._levels[-1].stencil)
        # K-cycle work vectors (halo-padded, halo zero) on the intermediate levels
        self._symmetric = settings.method not in ("bicgstab", "fgmres")
        # where the doubled visits keep the level's work per cycle within half the finest
        # level's (bounded cycle cost also with semi-coarsening, which halves cells per level)
        self._krylov = [None] * len(self._levels)
        visits = 1
        for i, level in enumerate(self._levels[1:-1], start=1):
            if settings.cycle == "k" and 2 * visits * _cells(level) <= _cells(self._levels[0]) / 2:
                self._krylov[i] = tuple(self.xp.zeros_like(level.x_padded) for _ in range(5))
                visits *= 2
        self.levels = [LevelInfo(lvl.shape, f, int(np.prod(lvl.shape)), lvl.line_axes)
                       for lvl, f in zip(self._levels, self._factors, strict=True)]
        self.setup_seconds = time.perf_counter() - start

    def _transfer_views(self, fine: _Level, coarse: _Level, factors):
        """Work arrays and views for restriction (block sum) and prolongation (injection)."""
        xp = self.xp
        padded = tuple(nc * f for nc, f in zip(coarse.shape, factors, strict=True))
        residual = xp.zeros(padded, dtype=fine.rhs.dtype)
        blocks = []
        for nc, f in zip(coarse.shape, factors, strict=True):
            blocks += [nc, f]
        correction = fine.x_padded[tuple(slice(1, 1 + p) for p in padded)].reshape(blocks)
        # the last coarse cell of an odd axis overlaps the upper halo, which is re-zeroed
        halos = [_take(fine.x_padded, axis, slice(-1, None))
                 for axis in range(3) if padded[axis] > fine.shape[axis]]
        interior = residual[tuple(slice(0, n) for n in fine.shape)]
        return residual.reshape(blocks), interior, correction, halos

    # -- cycles ------------------------------------------------------------------------------
    def _cycle(self, index: int) -> None:
        level = self._levels[index]
        if index == len(self._levels) - 1:
            self._coarsest.solve(level.rhs, level.x)
            return
        coarse = self._levels[index + 1]
        residual_blocks, residual, correction, halos = self._transfers[index]
        # pre-smoothing, restriction of the residual (sum over each aggregate)
        level.smooth(self.settings.pre_sweeps, reverse=False)
        level.residual(residual)
        residual_blocks.sum(axis=(1, 3, 5), out=coarse.rhs)
        # coarse-grid correction, injected into every cell of the aggregate
        coarse.x_padded.fill(0)
        if self._krylov[index + 1] is None:
            self._cycle(index + 1)
        else:
            self._krylov_correction(index + 1)
        correction += coarse.x[:, None, :, None, :, None]
        for halo in halos:
            halo.fill(0)
        # post-smoothing with the colours reversed (symmetric cycle)
        level.smooth(self.settings.post_sweeps, reverse=True)

    def _krylov_correction(self, index: int) -> None:
        """Coarse-grid solve of the K-cycle (Notay & Vassilevski 2008): two Krylov steps on
        level ``index``, each preconditioned by that level's cycle, so that the correction does
        not lose quality with the number of levels. Symmetric systems use flexible CG
        coefficients (energy minimisation), non-symmetric ones GCR (residual minimisation).
        Coefficients stay device scalars (no host synchronisation)."""
        xp, dot, level = self.xp, self._dot, self._levels[index]
        rhs, v1, v2, w1, w2 = self._krylov[index]
        inner = (slice(1, -1),) * 3
        rhs[inner] = level.rhs
        # first step: v1 = C r, w1 = A v1
        self._cycle(index)
        v1[inner] = level.x
        level.apply(v1, w1[inner])
        # (a zero rho1 means v1 = 0, a zero coarse residual: every coefficient is then 0)
        if self._symmetric:
            rho1 = dot(v1, w1)
            rho1 = xp.where(rho1 != 0, rho1, 1.0)
            a1 = dot(v1, rhs) / rho1
        else:
            rho1 = dot(w1, w1)
            rho1 = xp.where(rho1 != 0, rho1, 1.0)
            a1 = dot(w1, rhs) / rho1
        # second step from the updated residual r2 = r - a1 w1
        rhs -= a1 * w1
        level.rhs[...] = rhs[inner]
        level.x_padded.fill(0)
        self._cycle(index)
        v2[inner] = level.x
        level.apply(v2, w2[inner])
        if self._symmetric:
            gamma = dot(v2, w1)
            rho2 = dot(v2, w2) - gamma * gamma / rho1
            a2 = dot(v2, rhs) / xp.where(rho2 != 0, rho2, 1.0)
            a1 = a1 - gamma * a2 / rho1
        else:
            gamma = dot(w1, w2) / rho1
            w2 -= gamma * w1
            rho2 = dot(w2, w2)
            a2 = dot(w2, rhs) / xp.where(rho2 != 0, rho2, 1.0)
            a1 = a1 - gamma * a2
        a2 = xp.where(rho2 != 0, a2, 0.0)
        # x = a1 v1 + a2 v2
        xp.multiply(v1[inner], a1, out=level.x)
        level.x += a2 * v2[inner]

    def vcycle(self, rhs, x):
        """Apply one multigrid cycle to ``A x = rhs``, updating ``x`` in place.

        The finest level does smoothing and coarse correction as in a V-cycle; the coarse
        levels recurse as V- or K-cycles (``settings.cycle``).

        Parameters
        ----------
        rhs, x : array, shape (nx, ny, nz)
            Right-hand side (equation units) and current iterate (unknown's units).

        Returns
        -------
        array
            ``x`` (the same object), improved.
        """
        finest = self._levels[0]
        finest.rhs[...] = rhs
        finest.x[...] = x
        self._cycle(0)
        x[...] = finest.x
        return x

    def precondition(self, r, out=None):
        """One cycle from a zero guess for ``A z = r``: the preconditioner ``z = M^-1 r``.

        Parameters
        ----------
        r : array, shape (nx, ny, nz)
            Residual (equation units).
        out : array, optional
            Where to write ``z``; a new array when omitted.
        """
        finest = self._levels[0]
        finest.rhs[...] = r
        finest.x_padded.fill(0)
        self._cycle(0)
        if out is None:
            return finest.x.copy()
        out[...] = finest.x
        return out

    def solve(self, rhs, x0=None, settings: LinearSolve | None = None,
              residuals: list | None = None):
        """Solve ``A x = rhs`` with this hierarchy; see :func:`solve` for the arguments."""
        return _run(self, rhs, x0, settings or self.settings, residuals, 0.0)


# -- Krylov drivers ----------------------------------------------------------------------------

class _History:
    """Residual norms brought to the host on a schedule, with the stopping test."""

    def __init__(self, xp, dot: _Dot, settings: LinearSolve, residuals: list | None, r):
        self.dot = dot
        self.every = settings.check_every or (1 if xp is np else 4)
        self.residuals = residuals
        self.initial = dot.norm(r)
        self.target = max(settings.rtol * self.initial, settings.atol)
        self.last = self.initial
        if residuals is not None:
            residuals.append(self.initial)

    def done(self, r, iteration: int, last_iteration: bool) -> bool:
        """Record ``||r||`` when due and return True when the tolerance is met."""
        if iteration % self.every and not last_iteration:
            return False
        self.last = self.dot.norm(r)
        if self.residuals is not None:
            self.residuals.append(self.last)
        return self.last <= self.target


def _pcg(mg: Multigrid, x, r, history: _History, max_iterations: int) -> int:
    xp, dot, finest = mg.xp, mg._dot, mg._levels[0]
    padded = xp.zeros(finest.x_padded.shape, dtype=r.dtype)
    p = padded[1:-1, 1:-1, 1:-1]
    q_padded = xp.zeros_like(padded)
    q = q_padded[1:-1, 1:-1, 1:-1]
    z = xp.empty_like(r)
    tmp = xp.empty_like(r)
    mg.precondition(r, out=z)
    p[...] = z
    for k in range(1, max_iterations + 1):
        # step along p: alpha = (r, z) / (p, A p)
        finest.apply(padded, q, tmp)
        pq = dot(padded, q_padded)
        alpha = dot(r, z) / pq
        xp.multiply(p, alpha, out=tmp)
        x += tmp
        xp.multiply(q, alpha, out=tmp)
        r -= tmp
        if history.done(r, k, k == max_iterations):
            return k
        # new direction A-conjugate to the last one; the flexible form (Notay 2000) stays
        # valid when the K-cycle makes the preconditioner vary between iterations
        mg.precondition(r, out=z)
        p *= -dot(z, q) / pq
        p += z
    return max_iterations


def _bicgstab(mg: Multigrid, x, r, history: _History, max_iterations: int) -> int:
    xp, dot, finest = mg.xp, mg._dot, mg._levels[0]
    shadow = r.copy()
    p = xp.zeros_like(r)
    v = xp.zeros_like(r)
    t = xp.zeros_like(r)
    tmp = xp.empty_like(r)
    p_hat_padded = xp.zeros(finest.x_padded.shape, dtype=r.dtype)
    s_hat_padded = xp.zeros(finest.x_padded.shape, dtype=r.dtype)
    p_hat = p_hat_padded[1:-1, 1:-1, 1:-1]
    s_hat = s_hat_padded[1:-1, 1:-1, 1:-1]
    rho = alpha = omega = 1.0
    shadow_norm = history.initial
    for k in range(1, max_iterations + 1):
        # p = r + beta (p - omega v), right-preconditioned by one cycle
        rho_new = dot(shadow, r)
        if (k - 1) % history.every == 0 and abs(float(rho_new)) <= 1e-12 * shadow_norm * (
                history.last):
            # breakdown (r orthogonal to the shadow residual): restart from the current r
            shadow[...] = r
            shadow_norm = history.last
            p.fill(0)
            v.fill(0)
            rho = alpha = omega = 1.0
            rho_new = dot(shadow, r)
        beta = (rho_new / rho) * (alpha / omega)
        xp.multiply(v, omega, out=tmp)
        p -= tmp
        p *= beta
        p += r
        mg.precondition(p, out=p_hat)
        finest.apply(p_hat_padded, v, tmp)
        alpha = rho_new / dot(shadow, v)
        # half step: s = r - alpha v (kept in r)
        xp.multiply(v, alpha, out=tmp)
        r -= tmp
        xp.multiply(p_hat, alpha, out=tmp)
        x += tmp
        if history.done(r, k, False):
            return k
        # stabilising step: omega minimises ||s - omega A s_hat||
        omega = _minimal_residual_step(mg, s_hat_padded, s_hat, t, x, r, tmp)
        rho = rho_new
        if history.done(r, k, k == max_iterations):
            return k
    return max_iterations


def _fgmres(mg: Multigrid, x, r, history: _History, max_iterations: int) -> int:
    """Restarted flexible GMRES (Saad 1993), right-preconditioned by one cycle per iteration.

    The preconditioned directions ``z_j`` are kept (the K-cycle is a variable preconditioner);
    the least-squares problem is solved by Givens rotations on the host (small), the update
    ``x += Z y`` and the true residual ``r -= A Z y`` once per restart cycle.
    """
    xp, dot, finest = mg.xp, mg._dot, mg._levels[0]
    m = GMRES_RESTART
    basis = [xp.empty_like(r) for _ in range(m + 1)]
    directions = [xp.zeros(finest.x_padded.shape, dtype=r.dtype) for _ in range(m)]
    w = xp.empty_like(r)
    tmp = xp.empty_like(r)
    update = xp.zeros(finest.x_padded.shape, dtype=r.dtype)
    inner = (slice(1, -1),) * 3
    k = 0
    while k < max_iterations:
        beta = float(dot.norm(r))
        if beta == 0.0 or not np.isfinite(beta):
            return k
        xp.multiply(r, 1.0 / beta, out=basis[0])
        hessenberg = np.zeros((m + 1, m))
        cosines, sines = np.zeros(m), np.zeros(m)
        g = np.zeros(m + 1)
        g[0] = beta
        used = 0
        for j in range(m):
            mg.precondition(basis[j], out=directions[j][inner])
            finest.apply(directions[j], w, tmp)
            # modified Gram-Schmidt against the basis
            for i in range(j + 1):
                hessenberg[i, j] = float(dot(w, basis[i]))
                w -= hessenberg[i, j] * basis[i]
            hessenberg[j + 1, j] = float(dot.norm(w))
            used, k = j + 1, k + 1
            if hessenberg[j + 1, j] > 0.0:
                xp.multiply(w, 1.0 / hessenberg[j + 1, j], out=basis[j + 1])
            # Givens rotations keep the least-squares residual |g[j+1]| current
            for i in range(j):
                a, b = hessenberg[i, j], hessenberg[i + 1, j]
                hessenberg[i, j] = cosines[i] * a + sines[i] * b
                hessenberg[i + 1, j] = -sines[i] * a + cosines[i] * b
            a, b = hessenberg[j, j], hessenberg[j + 1, j]
            radius = float(np.hypot(a, b))
            cosines[j], sines[j] = (a / radius, b / radius) if radius > 0 else (1.0, 0.0)
            hessenberg[j, j] = radius
            hessenberg[j + 1, j] = 0.0
            g[j + 1] = -sines[j] * g[j]
            g[j] = cosines[j] * g[j]
            if abs(g[j + 1]) <= history.target or k >= max_iterations or radius == 0.0:
                break
        # y from the triangular system; x += Z y, r -= A Z y (the true residual)
        y = np.zeros(used)
        for i in range(used - 1, -1, -1):
            if hessenberg[i, i] != 0.0:
                y[i] = (g[i] - hessenberg[i, i + 1:used] @ y[i + 1:]) / hessenberg[i, i]
        update.fill(0)
        for i in range(used):
            update += y[i] * directions[i]
        x += update[inner]
        finest.apply(update, w, tmp)
        r -= w
        if history.done(r, k, True):
            return k
    return max_iterations


def _minimal_residual_step(mg: Multigrid, c_padded, c, ac, x, r, tmp):
    """One preconditioned minimal-residual step, in place; returns its length ``alpha``.

    ``c`` (the interior view of ``c_padded``) becomes one cycle on the residual ``r``, ``ac`` its
    image ``A c``; then ``x += alpha c`` and ``r -= alpha A c`` with ``alpha`` minimising
    ``||r - alpha A c||``. ``tmp`` is scratch of the shape of ``r``.
    """
    xp, dot = mg.xp, mg._dot
    mg.precondition(r, out=c)
    mg._levels[0].apply(c_padded, ac, tmp)
    alpha = dot(ac, r) / dot(ac, ac)
    xp.multiply(c, alpha, out=tmp)
    x += tmp
    xp.multiply(ac, alpha, out=tmp)
    r -= tmp
    return alpha


def _vcycles(mg: Multigrid, x, r, history: _History, max_iterations: int) -> int:
    xp, finest = mg.xp, mg._levels[0]
    padded = xp.zeros(finest.x_padded.shape, dtype=r.dtype)
    c = padded[1:-1, 1:-1, 1:-1]
    ac = xp.empty_like(r)
    tmp = xp.empty_like(r)
    for k in range(1, max_iterations + 1):
        # cycle correction c for the residual equation, scaled to minimise ||r - alpha A c||
        _minimal_residual_step(mg, padded, c, ac, x, r, tmp)
        if history.done(r, k, k == max_iterations):
            return k
    return max_iterations


_DRIVERS = {"pcg": _pcg, "bicgstab": _bicgstab, "fgmres": _fgmres, "multigrid": _vcycles}


def _run(mg: Multigrid, rhs, x0, settings: LinearSolve, residuals, setup_seconds: float):
    start = time.perf_counter()
    xp = mg.xp
    # the Krylov iteration and its residuals run in float64 also for a float32 operator (whose
    # hierarchy then preconditions in float32): mixed-precision refinement
    dtype = mg._levels[0].x.dtype
    work = np.promote_types(dtype, np.float64)
    x = xp.zeros(mg.stencil.shape, dtype=work) if x0 is None else xp.array(x0, dtype=work)
    rhs = xp.asarray(rhs, dtype=work)
    r = mg.stencil.residual(x, rhs)
    history = _History(xp, mg._dot, settings, residuals, r)
    iterations = 0
    if history.initial > history.target:
        iterations = _DRIVERS[settings.method](mg, x, r, history, settings.max_iterations)
    # report the true residual, not the recursively updated one
    final = mg._dot.norm(mg.stencil.residual(x, rhs))
    relative = final / history.initial if history.initial > 0 else 0.0
    factor = relative ** (1.0 / iterations) if iterations else 0.0
    # converged: the stopping test was met and the true residual confirms it (the recursively
    # updated residual may drift from it by round-off)
    converged = history.last <= history.target and final <= 10.0 * history.target
    info = SolveInfo(method=settings.method, iterations=iterations, converged=converged,
                     initial_residual=history.initial, final_residual=final,
                     relative_residual=relative, convergence_factor=factor,
                     seconds=setup_seconds + time.perf_counter() - start)
    return x.astype(dtype, copy=False), info


def solve(stencil: Stencil7, rhs, x0=None, settings: LinearSolve = LinearSolve(),
          residuals: list | None = None):
    """Solve ``A x = rhs`` for a seven-point operator with multigrid-class work.

    Parameters
    ----------
    stencil : Stencil7
        The operator (NumPy or CuPy arrays, shape ``(nx, ny, nz)``); use ``"pcg"`` only when it
        is symmetric positive (semi-)definite.
    rhs : array, shape (nx, ny, nz)
        Right-hand side in the equation's units (e.g. W for heat conduction).
    x0 : array, optional
        Initial guess (warm start) in the unknown's units (e.g. K); zero when omitted. Not
        modified.
    settings : LinearSolve
        Method, tolerances and multigrid parameters.
    residuals : list, optional
        When given, the Euclidean residual norm is appended to it: the initial one, then one per
        check (every ``settings.check_every`` iterations).

    Returns
    -------
    x : array, shape (nx, ny, nz)
        The solution, on the stencil's device.
    info : SolveInfo
        Iterations, residuals, averaged convergence factor and time (set-up included).
    """
    mg = Multigrid(stencil, settings)
    return _run(mg, rhs, x0, settings, residuals, mg.setup_seconds)
