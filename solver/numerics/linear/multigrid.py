"""The multigrid hierarchy: levels, smoothers chosen by coupling strength, V- and K-cycles and
the dense coarsest solve."""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.linalg

from solver.backend import array_namespace, to_host
from solver.numerics.cuda import THREADS, launch_blocks
from solver.numerics.graphs import CapturedWork, GraphedStages
from solver.numerics.host_kernels import compiled_kernels
from solver.numerics.linear.coarsening import choose_factors, coarsen_stencil
from solver.numerics.linear.krylov import run_krylov
from solver.numerics.linear.settings import (
    LINE_FRACTION,
    LINE_RATIO,
    LevelInfo,
    LinearSolve,
)
from solver.numerics.linear.smoothers import (
    SHIFTS,
    LineSmoother,
    PointSmoother,
    shifted,
    strong_line_axes,
)
from solver.numerics.pointwise import Pointwise, dot_product, safe_ratio
from solver.numerics.stencil import NEIGHBOURS, Stencil7


def _inverse_diagonal(diag, inverse):
    np.divide(1.0, np.where(diag != 0, diag, 1.0), out=inverse)
    inverse *= diag != 0


# 1 / a_P, 0 on empty rows
_INVERSE_DIAGONAL = Pointwise("inverse_diagonal", "T diag", "T inverse",
                              "inverse = diag != (T)0 ? (T)1 / diag : (T)0", _inverse_diagonal)


class Level:
    """Operator, work arrays and smoothers of one level (allocated once), with the compiled
    kernels (``kernels``, by name: CUDA on a GPU, Numba loops on the host) and the operator as
    contiguous arrays ``(diag, x_minus, ..., z_plus)`` (``operator``) for them.
    """

    def __init__(self, stencil: Stencil7, line_axes=()):
        xp = array_namespace(stencil.diag)
        self.xp = xp
        self.stencil = stencil
        self.shape = stencil.shape
        nx, ny, nz = self.shape
        dtype = stencil.diag.dtype
        self.coefficients = [stencil.neighbour(name) for name in NEIGHBOURS]
        self.x_padded = xp.zeros((nx + 2, ny + 2, nz + 2), dtype=dtype)
        self.x = self.x_padded[1:-1, 1:-1, 1:-1]
        self.rhs = xp.zeros(self.shape, dtype=dtype)
        self.tmp = xp.empty(self.shape, dtype=dtype)
        self.inverse = xp.empty(self.shape, dtype=dtype)
        self.kernels = compiled_kernels(xp, dtype.name)
        self.operator = tuple(xp.ascontiguousarray(a) for a in (stencil.diag, *self.coefficients))
        self._refresh_operator()
        self.line_axes = tuple(line_axes)
        self.smoothers = ([LineSmoother(self, axis) for axis in self.line_axes]
                          or [PointSmoother(self)])

    def _refresh_operator(self) -> None:
        xp, diag = self.xp, self.stencil.diag
        _INVERSE_DIAGONAL(xp, diag, self.inverse)
        for copy, array in zip(self.operator, (diag, *self.coefficients), strict=True):
            if copy is not array:
                copy[...] = array

    def refresh(self) -> None:
        """Take the operator after its coefficients changed in place (same shape and
        smoothing axes): inverse diagonal and smoother factors again, into the arrays they
        had (a captured cycle stays valid)."""
        self._refresh_operator()
        for smoother in self.smoothers:
            smoother.refresh(self)

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
        """``out = A x`` for a halo-padded ``x`` (halo zero). ``out`` is cell-shaped, or
        halo-padded (then its interior is written); ``tmp``: scratch of the cell shape.

        One ``stencil_apply`` kernel call when ``x`` has the level's precision (the float64
        Krylov iteration on a float32 hierarchy applies the operator by array operations)."""
        xp = self.xp
        if padded.dtype == self.rhs.dtype:
            nx, ny, nz = self.shape
            self.kernels["stencil_apply"](
                launch_blocks(nx * ny * nz), (THREADS,),
                (*self.operator, padded, out, np.int32(nx), np.int32(ny), np.int32(nz),
                 np.int32(out.shape != self.shape)))
            return out
        target = out if out.shape == self.shape else out[1:-1, 1:-1, 1:-1]
        tmp = self.tmp if tmp is None else tmp
        xp.multiply(self.stencil.diag, padded[1:-1, 1:-1, 1:-1], out=target)
        for (axis, offset), coef in zip(SHIFTS, self.coefficients, strict=True):
            xp.multiply(coef, shifted(padded, self.shape, axis, offset), out=tmp)
            target -= tmp
        return out


class Transfer:
    """Restriction of a level's residual to the next coarser level (the sum over each
    aggregate: one ``residual_restrict`` kernel call) and prolongation of the coarse correction
    (injected into every cell of the aggregate: one ``prolong_add`` call)."""

    def __init__(self, fine: Level, coarse: Level, factors):
        self.fine, self.coarse = fine, coarse
        self.factors = tuple(int(f) for f in factors)

    def restrict_residual(self) -> None:
        """``coarse.rhs = R (fine.rhs - A fine.x)``."""
        fine, coarse = self.fine, self.coarse
        (nx, ny, nz), (cx, cy, cz) = fine.shape, coarse.shape
        fine.kernels["residual_restrict"](
            launch_blocks(cx * cy * cz), (THREADS,),
            (*fine.operator, fine.rhs, fine.x_padded, coarse.rhs,
             *(np.int32(n) for n in (nx, ny, nz, *self.factors, cx, cy, cz))))

    def add_correction(self) -> None:
        """``fine.x += P coarse.x`` (halos stay zero)."""
        fine, coarse = self.fine, self.coarse
        nx, ny, nz = fine.shape
        fine.kernels["prolong_add"](
            launch_blocks(nx * ny * nz), (THREADS,),
            (coarse.x_padded, fine.x_padded,
             *(np.int32(n) for n in (nx, ny, nz, *self.factors, *coarse.shape[1:]))))


class DotProduct:
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

    def into(self, a, b, out) -> None:
        """``sum(a * b)`` into the 0-d array ``out`` (on a device one reduction kernel, which a
        captured CUDA graph can hold)."""
        if self.xp is np:
            out[...] = self(a, b)
        else:
            dot_product(self.xp, a, b, out=out)

    def norm(self, a) -> float:
        """Euclidean norm, brought to the host."""
        return math.sqrt(float(self(a, a)))


def _cells(level) -> int:
    return int(np.prod(level.shape))


def _band_order(shape) -> tuple[int, ...]:
    """The axes longest first: cells numbered with the longest axis varying slowest give the
    narrowest band (half-width: cells / longest extent)."""
    return tuple(sorted(range(3), key=lambda axis: -shape[axis]))


def _dense_matrix(stencil: Stencil7) -> np.ndarray:
    """The operator as a dense host matrix in C-order cell numbering, rows without any entry
    (empty aggregates) made identity rows."""
    matrix = stencil.to_scipy().toarray()
    empty = ~matrix.any(axis=1)
    matrix[empty, empty] = 1.0
    return matrix


def _is_singular(pivots) -> bool:
    """True when the smallest LU pivot is below 1e-12 of the largest (numerically singular,
    e.g. an all-Neumann operator whose rows sum to zero)."""
    size = np.abs(pivots)
    return bool(size.min() <= 1e-12 * size.max())


class _BandedLU:
    """LU factors with partial pivoting of a seven-point operator in band storage (LAPACK
    ``?gbtrf``/``?gbtrs``), its cells numbered longest axis slowest (:func:`_band_order`): per
    solve ``3 n w`` operations for ``n`` cells and half-width ``w``, against ``n^2`` for dense
    triangular factors (``w = 3`` for a coarsest level of 3 x 297 cells)."""

    def __init__(self, stencil: Stencil7):
        shape = stencil.shape
        self.order = _band_order(shape)
        self.inverse_order = tuple(int(a) for a in np.argsort(self.order))
        self.ordered_shape = tuple(shape[a] for a in self.order)
        n = int(np.prod(shape))
        number = np.empty(n, dtype=np.int64)  # new number of each cell (C order)
        number[np.arange(n).reshape(shape).transpose(self.order).ravel()] = np.arange(n)
        matrix = stencil.to_scipy().tocoo()
        rows, cols = number[matrix.row], number[matrix.col]
        width = int(np.max(np.abs(rows - cols), initial=0))
        band = np.zeros((3 * width + 1, n))  # rows 0..w-1: room for the pivoting's fill-in
        band[2 * width + rows - cols, cols] = matrix.data
        empty = np.ones(n, dtype=bool)
        empty[rows[matrix.data != 0]] = False
        band[2 * width, empty] = 1.0
        self.width = width
        gbtrf, self._gbtrs = scipy.linalg.get_lapack_funcs(("gbtrf", "gbtrs"), (band,))
        self.factors, self.pivots, info = gbtrf(band, width, width)
        self.singular = info > 0 or _is_singular(self.factors[2 * width])

    def solve(self, rhs, out) -> None:
        """``out = A^-1 rhs`` (host arrays of the level's shape)."""
        ordered = rhs.transpose(self.order).astype(np.float64).ravel()
        x, _ = self._gbtrs(self.factors, self.width, self.width, ordered, self.pivots)
        out[...] = x.reshape(self.ordered_shape).transpose(self.inverse_order)


class _CoarsestSolver:
    """Direct solve of the coarsest level. On a GPU a product with its dense inverse, kept on
    the device (no host transfer or synchronisation per cycle); on the CPU the banded LU
    factors (:class:`_BandedLU`: the work of a few smoothing sweeps per solve, where dense
    triangular factors would take ``n^2``). The banded LU on the host also tells a
    (numerically) singular operator, e.g. an all-Neumann pressure system whose rows sum to
    zero, which gets the pseudo-inverse on either backend (least-squares solution orthogonal
    to the null space). Rows without any entry (empty aggregates) become identity rows. On a
    GPU a regular operator is inverted on the device, at set-up and after its coefficients
    change (dense assembly by one scatter, LU in cuSOLVER: no host transfer)."""

    def __init__(self, stencil: Stencil7):
        xp = array_namespace(stencil.diag)
        self.xp, self.stencil, self.shape = xp, stencil, stencil.shape
        cells = int(np.prod(self.shape))
        dtype = stencil.diag.dtype
        # the inverse (GPU: overwritten in place, captured cycles read it; CPU: singular only)
        self.inverse = xp.empty((cells, cells), dtype=dtype) if xp is not np else None
        self.factors = None  # CPU, regular operator: the banded LU factors
        self.product = xp.empty(cells, dtype=dtype)
        self._refresh_on_host()
        self._on_device = xp is not np and not self.singular
        if self._on_device:
            # where each stacked coefficient goes in the dense matrix, sent once
            rows, cols, source, sign = stencil.entry_positions()
            self._target = xp.asarray(rows * cells + cols)
            self._source = xp.asarray(source)
            self._sign = xp.asarray(sign, dtype=dtype)
            self._stacked = xp.empty((len(NEIGHBOURS) + 1, *self.shape), dtype=dtype)
            self._matrix = xp.empty((cells, cells), dtype=dtype)
            self.refresh()

    def refresh(self) -> None:
        """Invert the operator again after its coefficients changed in place (the device
        array is overwritten, not replaced)."""
        if not self._on_device:
            self._refresh_on_host()
            return
        xp, stencil, matrix = self.xp, self.stencil, self._matrix
        xp.stack([stencil.diag, *(stencil.neighbour(name) for name in NEIGHBOURS)],
                 out=self._stacked)
        matrix.fill(0.0)
        matrix.ravel()[self._target] = self._stacked.ravel()[self._source] * self._sign
        matrix.ravel()[::matrix.shape[0] + 1] += ~matrix.any(axis=1)  # empty rows: identity
        self.inverse[...] = xp.linalg.inv(matrix)

    def _refresh_on_host(self) -> None:
        """Factorise on the host (banded LU, one transfer each way): sets ``singular``, the
        CPU's factors and a singular operator's pseudo-inverse."""
        xp, stencil = self.xp, self.stencil
        host = Stencil7(*to_host(xp.stack([stencil.diag, *(stencil.neighbour(name)
                                                            for name in NEIGHBOURS)])))
        banded = _BandedLU(host)
        self.singular = banded.singular
        if xp is np:
            self.factors = None if self.singular else banded
        if not self.singular:
            return
        inverse = scipy.linalg.pinv(_dense_matrix(host))
        if xp is np:
            self.inverse = inverse.astype(self.product.dtype, copy=False)
        else:
            self.inverse[...] = xp.asarray(inverse, dtype=self.inverse.dtype)

    def solve(self, rhs, out) -> None:
        """``out = A^-1 rhs`` (arrays of the coarsest level's shape, on the device; ``rhs``
        contiguous)."""
        if self.factors is not None:
            self.factors.solve(rhs, out)
            return
        self.xp.matmul(self.inverse, rhs.reshape(-1), out=self.product)
        out[...] = self.product.reshape(self.shape)


def _kcycle_step(w, numerator, denominator, rhs, level_rhs):
    rhs -= numerator / np.where(denominator != 0, denominator, 1.0) * w
    level_rhs[...] = rhs


# r2 = r - a1 w1 with a1 = num1 / rho1 (rho1 = 0 only where w1 = 0), copied to the level's rhs
_KCYCLE_STEP = Pointwise(
    "kcycle_step", "T w, T numerator, T denominator", "T rhs, T level_rhs",
    "rhs -= numerator / (denominator != 0 ? denominator : (T)1) * w; level_rhs = rhs",
    _kcycle_step)


def _gcr_orthogonalise(w1, gamma, rho1, w2):
    w2 -= gamma / np.where(rho1 != 0, rho1, 1.0) * w1


# w2 -= (w1.w2 / w1.w1) w1
_GCR_ORTHOGONALISE = Pointwise(
    "gcr_orthogonalise", "T w1, T gamma, T rho1", "T w2",
    "w2 -= gamma / (rho1 != 0 ? rho1 : (T)1) * w1", _gcr_orthogonalise)


def _kcycle_combine_cg(v1, v2, num1, rho1, gamma, rho2, num2, x):
    rho = np.where(rho1 != 0, rho1, 1.0)
    second = rho2 - gamma * gamma / rho
    a2 = safe_ratio(np, num2, second)
    x[...] = (num1 - gamma * a2) / rho * v1 + a2 * v2


def _kcycle_combine_gcr(v1, v2, num1, rho1, gamma, rho2, num2, x):
    rho = np.where(rho1 != 0, rho1, 1.0)
    a2 = safe_ratio(np, num2, rho2)
    x[...] = (num1 - gamma * a2) / rho * v1 + a2 * v2


# x = a1 v1 + a2 v2: flexible CG coefficients (rho2 holds v2.A v2 before A-orthogonalisation)
_KCYCLE_COMBINE_CG = Pointwise(
    "kcycle_combine_cg", "T v1, T v2, T num1, T rho1, T gamma, T rho2, T num2", "T x",
    "const T rho = rho1 != 0 ? rho1 : (T)1;"
    " const T second = rho2 - gamma * gamma / rho;"
    " const T a2 = second != 0 ? num2 / second : (T)0;"
    " x = (num1 - gamma * a2) / rho * v1 + a2 * v2", _kcycle_combine_cg)

# x = a1 v1 + a2 v2: GCR coefficients (rho2 = w2.w2 after orthogonalisation against w1)
_KCYCLE_COMBINE_GCR = Pointwise(
    "kcycle_combine_gcr", "T v1, T v2, T num1, T rho1, T gamma, T rho2, T num2", "T x",
    "const T rho = rho1 != 0 ? rho1 : (T)1;"
    " const T a2 = rho2 != 0 ? num2 / rho2 : (T)0;"
    " x = (num1 - gamma * a2) / rho * v1 + a2 * v2", _kcycle_combine_gcr)


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
        self.dot = DotProduct(self.xp)
        self.hierarchy = []
        self._factors = []
        level_stencil = stencil
        while True:
            small = int(np.prod(level_stencil.shape)) <= settings.coarsest_size
            line_axes = () if small or settings.smoother == "point" else strong_line_axes(
                level_stencil, LINE_RATIO, LINE_FRACTION)
            self.hierarchy.append(Level(level_stencil, line_axes))
            if small or level_stencil.shape == (1, 1, 1):
                break
            # lines solve their axis exactly: coarsen across them, by coupling strength
            factors = choose_factors(level_stencil, settings.anisotropy_threshold,
                                     exclude=line_axes)
            self._factors.append(factors)
            level_stencil = coarsen_stencil(level_stencil, factors)
        self._factors.append((1, 1, 1))
        self._transfers = [Transfer(fine, coarse, factors) for fine, coarse, factors
                           in zip(self.hierarchy[:-1], self.hierarchy[1:], self._factors,
                                  strict=False)]
        self._coarsest = _CoarsestSolver(self.hierarchy[-1].stencil)
        # K-cycle work vectors (halo-padded, halo zero) and coefficient slots on the
        # intermediate levels
        self._symmetric = settings.method not in ("bicgstab", "fgmres")
        # where the doubled visits keep the level's work per cycle within half the finest
        # level's (bounded cycle cost also with semi-coarsening, which halves cells per level)
        self._krylov = [None] * len(self.hierarchy)
        visits = 1
        finest = _cells(self.hierarchy[0])
        for i, level in enumerate(self.hierarchy[1:-1], start=1):
            if settings.cycle == "k" and 2 * visits * _cells(level) <= finest / 2:
                scalars = self.xp.zeros(5, dtype=level.rhs.dtype)
                self._krylov[i] = (tuple(self.xp.zeros_like(level.x_padded) for _ in range(5)),
                                   tuple(scalars[k:k + 1].reshape(()) for k in range(5)))
                visits *= 2
        self._graph = None  # the captured preconditioning cycle (GPU)
        # the Krylov iterations' kept arrays and their graphs (GPU)
        self._workspace = {}
        self.stages = GraphedStages(self.xp, settings.cuda_graph)
        self.levels = [LevelInfo(lvl.shape, f, int(np.prod(lvl.shape)), lvl.line_axes)
                       for lvl, f in zip(self.hierarchy, self._factors, strict=True)]
        self.setup_seconds = time.perf_counter() - start

    def update(self) -> None:
        """Take the finest operator after its coefficients changed in place (same sparsity
        pattern), keeping the hierarchy's structure: the coarse operators are recomputed with
        the levels' aggregation factors and smoothing axes, into the arrays they had, then the
        smoothers and the coarsest inverse. Cheaper than a new hierarchy (no coupling
        statistics, one host transfer) and a captured cycle stays valid. The structure was
        chosen for the operator at set-up: build a new hierarchy when the couplings changed
        character (a convergence factor that degrades says so)."""
        start = time.perf_counter()
        self.update_levels()
        self.refresh_coarsest()
        self.setup_seconds = time.perf_counter() - start

    def update_levels(self) -> None:
        """The device part of :meth:`update`: the coarse operators and every level's smoother
        factors (kernel launches only: it can run inside a captured CUDA graph)."""
        for fine, coarse, factors in zip(self.hierarchy[:-1], self.hierarchy[1:],
                                         self._factors, strict=False):
            # one kernel call per level, into the coarse level's own arrays (coarse operators
            # come from coarsen_stencil: contiguous, so ``operator`` holds the very arrays)
            fine.kernels["coarsen_operator"](
                launch_blocks(int(np.prod(coarse.shape))), (THREADS,),
                (*fine.operator, *coarse.operator,
                 *(np.int32(n) for n in (*fine.shape, *factors, *coarse.shape))))
        for level in self.hierarchy:
            level.refresh()

    def refresh_coarsest(self) -> None:
        """The rest of :meth:`update`: the coarsest level's inverse again (a host transfer, or
        a dense inverse on the device)."""
        self._coarsest.refresh()

    # -- cycles ------------------------------------------------------------------------------
    def _cycle(self, index: int) -> None:
        level = self.hierarchy[index]
        if index == len(self.hierarchy) - 1:
            self._coarsest.solve(level.rhs, level.x)
            return
        coarse, transfer = self.hierarchy[index + 1], self._transfers[index]
        # pre-smoothing, restriction of the residual (sum over each aggregate)
        level.smooth(self.settings.pre_sweeps, reverse=False)
        transfer.restrict_residual()
        # coarse-grid correction, injected into every cell of the aggregate
        coarse.x_padded.fill(0)
        if self._krylov[index + 1] is None:
            self._cycle(index + 1)
        else:
            self._krylov_correction(index + 1)
        transfer.add_correction()
        # post-smoothing with the colours reversed (symmetric cycle)
        level.smooth(self.settings.post_sweeps, reverse=True)

    def _krylov_correction(self, index: int) -> None:
        """Coarse-grid solve of the K-cycle (Notay & Vassilevski 2008): two Krylov steps on
        level ``index``, each preconditioned by that level's cycle, so that the correction does
        not lose quality with the number of levels. Symmetric systems use flexible CG
        coefficients (energy minimisation), non-symmetric ones GCR (residual minimisation).
        Coefficients stay device scalars in preallocated slots, and the updates are single
        passes (:data:`_KCYCLE_STEP`, ...): no host synchronisation and no allocation."""
        xp, level = self.xp, self.hierarchy[index]
        (rhs, v1, v2, w1, w2), (num1, rho1, gamma, rho2, num2) = self._krylov[index]
        inner = (slice(1, -1),) * 3
        rhs[inner] = level.rhs
        # first step: v1 = C r, w1 = A v1 (a zero rho1 means v1 = 0: all coefficients are 0)
        self._cycle(index)
        v1[inner] = level.x
        level.apply(v1, w1)
        first = v1 if self._symmetric else w1
        dot_product(xp, first, w1, out=rho1)
        dot_product(xp, first, rhs, out=num1)
        # second step from the updated residual r2 = r - a1 w1
        _KCYCLE_STEP(xp, w1[inner], num1, rho1, rhs[inner], level.rhs)
        level.x_padded.fill(0)
        self._cycle(index)
        v2[inner] = level.x
        level.apply(v2, w2)
        if self._symmetric:
            dot_product(xp, v2, w1, out=gamma)
            dot_product(xp, v2, w2, out=rho2)
            dot_product(xp, v2, rhs, out=num2)
            combine = _KCYCLE_COMBINE_CG
        else:
            dot_product(xp, w1, w2, out=gamma)
            _GCR_ORTHOGONALISE(xp, w1, gamma, rho1, w2)
            dot_product(xp, w2, w2, out=rho2)
            dot_product(xp, w2, rhs, out=num2)
            combine = _KCYCLE_COMBINE_GCR
        # x = a1 v1 + a2 v2
        combine(xp, v1[inner], v2[inner], num1, rho1, gamma, rho2, num2, level.x)

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
        finest = self.hierarchy[0]
        finest.rhs[...] = rhs
        finest.x[...] = x
        self._cycle(0)
        x[...] = finest.x
        return x

    def workspace(self, key, make):
        """The work arrays ``key`` of the Krylov drivers, made by ``make()`` the first time
        and kept with the hierarchy (so a captured iteration finds them in every solve)."""
        if key not in self._workspace:
            self._workspace[key] = make()
        return self._workspace[key]

    def precondition(self, r, out=None, graph: bool = True):
        """One cycle from a zero guess for ``A z = r``: the preconditioner ``z = M^-1 r``.

        On a GPU with ``settings.cuda_graph`` the cycle is captured as a CUDA graph the first
        time and replayed afterwards (:class:`~solver.numerics.graphs.CapturedWork`; every array
        the cycle touches is allocated with its hierarchy and every coefficient is a device
        scalar in a preallocated slot, so the graph stays valid for the hierarchy's life).

        Parameters
        ----------
        r : array, shape (nx, ny, nz)
            Residual (equation units).
        out : array, optional
            Where to write ``z``; a new array when omitted.
        graph : bool
            False runs the cycle's launches (inside work being captured as a whole).
        """
        finest = self.hierarchy[0]
        finest.rhs[...] = r
        if graph and self.xp is not np and self.settings.cuda_graph:
            if self._graph is None:
                self._graph = CapturedWork(self.xp, self._cycle_from_zero)
            self._graph.launch()
        else:
            self._cycle_from_zero()
        if out is None:
            return finest.x.copy()
        out[...] = finest.x
        return out

    def _cycle_from_zero(self) -> None:
        self.hierarchy[0].x_padded.fill(0)
        self._cycle(0)

    def solve(self, rhs, x0=None, settings: LinearSolve | None = None,
              residuals: list | None = None, carry=None, out=None):
        """Solve ``A x = rhs`` with this hierarchy; see :func:`solve` for the arguments
        (``carry``: a :class:`CarriedValues` brought to the host with the final norm;
        ``out``: where to write the solution, a new array when omitted)."""
        return run_krylov(self, rhs, x0, settings or self.settings, residuals, 0.0, carry, out)


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
    return run_krylov(mg, rhs, x0, settings, residuals, mg.setup_seconds)
