"""Krylov drivers preconditioned by one multigrid cycle: flexible CG, BiCGStab, flexible GMRES,
and stationary multigrid cycles, with residual histories."""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np

from solver.backend import to_host
from solver.numerics.linear.settings import (
    GMRES_RESTART,
    CarriedValues,
    LinearSolve,
    SolveInfo,
)
from solver.numerics.pointwise import SAFE_RATIO, Pointwise, dot_product, safe_ratio

if TYPE_CHECKING:  # annotations only: the module above imports this one
    from solver.numerics.linear.multigrid import DotProduct, Multigrid


class _History:
    """Residual norms brought to the host on a schedule, with the stopping test.

    On the CPU the norm is checked every iteration, or every ``check_every`` when set, or as on
    a GPU with ``gpu_check_schedule`` (then the CPU makes the GPU's iterations). On a
    GPU each check is a host synchronisation, so by default checks are at most 4 iterations
    apart: the first after one iteration, then as far ahead as the measured convergence rate
    predicts the tolerance to be met, so that the reported iteration count is the one a check
    every iteration would give (to within one) at a fraction of the synchronisations. There the
    initial norm stays on the device until the first check brings it with the current one (a
    solve that starts converged then reports one iteration where the CPU reports none).

    ``carried``: on a GPU, a :class:`CarriedValues` whose slots 0 and 1 the checks after the
    first fill with the squared true residual (``true_residual()``, the final norm when the
    check ends the solve) and the squared recursive one, so that the last check brings the
    final norm and the caller's values in its one transfer (``final``, at ``final_iteration``).
    """

    def __init__(self, xp, dot: DotProduct, settings: LinearSolve, residuals: list | None, r,
                 carried: CarriedValues | None = None, true_residual=None):
        self.xp, self.dot, self.settings = xp, dot, settings
        as_on_gpu = xp is not np or settings.gpu_check_schedule
        self.carried = carried if as_on_gpu else None
        self.true_residual = true_residual
        self.final = self.final_iteration = None
        self.every = settings.check_every or (4 if as_on_gpu else 1)
        self.adaptive = settings.check_every is None
        self.residuals = residuals
        self.initial = self.target = self.last = None
        self.checked = 0  # iteration of the last check
        self.next = 1 if self.adaptive else self.every
        self._initial_squared = None
        if self.carried is not None and self.carried.initial_squared is not None:
            self._plan_first_check(math.sqrt(self.carried.initial_squared),
                                   self.carried.expected_factor)
            return
        if self.carried is not None and self.carried.initial_slot is not None:
            self._plan_relative_first_check(self.carried.expected_factor)
            return
        self._initial_squared = dot(r, r)
        if xp is np:
            self._set_initial(math.sqrt(float(self._initial_squared)))

    def _plan_first_check(self, initial: float, factor: float | None) -> None:
        """Take the initial norm from the caller (no transfer) and, adaptively, plan the first
        check where the last solve's convergence factor predicts the tolerance to be met."""
        self._set_initial(initial)
        if self.adaptive and factor is not None and 0.0 < factor < 1.0 and initial > self.target:
            self.next = self._iterations_to(self.target / initial, factor)

    def _plan_relative_first_check(self, factor: float | None) -> None:
        """With the initial norm still on the device: plan the first check where the last
        solve's convergence factor predicts the relative tolerance to be met (the plan of
        :meth:`_plan_first_check` when ``atol`` is 0)."""
        rtol = self.settings.rtol
        if (self.adaptive and factor is not None and 0.0 < factor < 1.0 and 0.0 < rtol < 1.0
                and self.settings.atol == 0.0):
            self.next = self._iterations_to(rtol, factor)

    def _iterations_to(self, reduction: float, factor: float) -> int:
        """Iterations (1 to ``every``) a residual falling by ``factor`` per iteration needs to
        fall by ``reduction`` (both in (0, 1))."""
        needed = math.log(reduction) / math.log(factor)
        return min(max(math.ceil(needed - 1e-9), 1), self.every)

    def _set_initial(self, value: float) -> None:
        self.initial = self.last = value
        self.target = max(self.settings.rtol * value, self.settings.atol)
        if self.residuals is not None:
            self.residuals.append(value)

    def known_initial(self) -> float:
        """The initial norm on the host (a synchronisation on a GPU before the first check)."""
        if self.initial is None:
            self._set_initial(math.sqrt(float(self._initial_squared)))
        return self.initial

    def check_on_device(self) -> bool:
        """True when the device part of the next check is the carried slots'
        (:meth:`fill_slots`), which can run with the iterations before it."""
        return self.carried is not None and not (
            self.initial is None and self.carried.initial_slot is None)

    def fill_slots(self, r) -> None:
        """The device part of a carried check: the squared true and recursive residual norms
        into the carried slots 0 and 1."""
        slots = self.carried.device
        _squared_norm(self.xp, self.true_residual(), out=slots[0, ...])
        _squared_norm(self.xp, r, out=slots[1, ...])

    def done(self, r, iteration: int, last_iteration: bool, filled: bool = False) -> bool:
        """Record ``||r||`` when due and return True when the tolerance is met (``filled``:
        the carried slots hold this check's norms already)."""
        if iteration < self.next and not last_iteration:
            return False
        if self.check_on_device():
            if not filled:
                self.fill_slots(r)
            self.carried.host = to_host(self.carried.device)
            if self.initial is None:  # the caller's slot held the initial norm
                self._set_initial(math.sqrt(float(self.carried.host[self.carried.initial_slot])))
            self.final, self.final_iteration = math.sqrt(float(self.carried.host[0])), iteration
            current = math.sqrt(float(self.carried.host[1]))
        elif self.initial is None:
            # the initial norm travels with the first check: one transfer for both
            initial, current = to_host(self.xp.stack([self._initial_squared, self.dot(r, r)]))
            self._set_initial(math.sqrt(float(initial)))
            current = math.sqrt(float(current))
        else:
            current = self.dot.norm(r)
        previous, since = self.last, iteration - self.checked
        self.last = current
        self.checked = iteration
        if self.residuals is not None:
            self.residuals.append(self.last)
        if self.last <= self.target:
            return True
        step = self.every
        if self.adaptive and 0.0 < self.last < previous and since > 0:
            # iterations still needed at the rate measured since the last check
            rate = (self.last / previous) ** (1.0 / since)
            step = self._iterations_to(self.target / self.last, rate)
        self.next = iteration + step
        return False


def _pcg_step(p, q, alpha, x, r):
    x += p * alpha
    r -= q * alpha


# x += alpha p, r -= alpha q
_PCG_STEP = Pointwise("pcg_step", "T p, T q, T alpha", "T x, T r",
                      "x += p * alpha; r -= q * alpha", _pcg_step)


def _pcg_direction(z, beta, p):
    p *= -beta
    p += z


# p = z - beta p (beta = (z, A p) / (p, A p): the flexible form)
_PCG_DIRECTION = Pointwise("pcg_direction", "T z, T beta", "T p", "p = p * (-beta) + z",
                           _pcg_direction)


class _PcgWork:
    """The work arrays and device scalars of flexible CG on one hierarchy, kept with it so
    that an iteration touches the same memory in every solve (on a GPU it is captured once as
    a CUDA graph and replayed, :class:`~solver.numerics.graphs.GraphedStages`)."""

    def __init__(self, xp, finest, dtype):
        self.padded = xp.zeros(finest.x_padded.shape, dtype=dtype)
        self.p = self.padded[1:-1, 1:-1, 1:-1]
        self.q_padded = xp.zeros_like(self.padded)
        self.q = self.q_padded[1:-1, 1:-1, 1:-1]
        self.z = xp.empty(finest.shape, dtype=dtype)
        self.tmp = xp.empty_like(self.z)
        scalars = xp.zeros(5, dtype=dtype)
        self.rz, self.pq, self.alpha, self.zq, self.beta = (scalars[k, ...] for k in range(5))


def _pcg(mg: Multigrid, x, r, history: _History, max_iterations: int) -> int:
    """Flexible CG; the iterations (preconditioning, new direction, step) between two residual
    checks are one stage of ``mg.stages``: one graph launch on a GPU, ``x`` and ``r`` being
    the hierarchy's kept arrays (:meth:`Multigrid.workspace`)."""
    xp, dot, finest = mg.xp, mg.dot, mg.hierarchy[0]
    work = mg.workspace("pcg", lambda: _PcgWork(xp, finest, r.dtype))
    p, q, z = work.p, work.q, work.z

    def step():
        # step along p: alpha = (r, z) / (p, A p)
        finest.apply(work.padded, work.q_padded, work.tmp)
        dot.into(work.padded, work.q_padded, work.pq)
        dot.into(r, z, work.rz)
        SAFE_RATIO(xp, work.rz, work.pq, work.alpha)
        _PCG_STEP(xp, p, q, work.alpha, x, r)

    def first():
        mg.precondition(r, out=z, graph=False)
        xp.copyto(p, z)
        step()

    def following():
        # new direction A-conjugate to the last one; the flexible form (Notay 2000) stays
        # valid when the K-cycle makes the preconditioner vary between iterations
        mg.precondition(r, out=z, graph=False)
        dot.into(z, q, work.zq)
        SAFE_RATIO(xp, work.zq, work.pq, work.beta)
        _PCG_DIRECTION(xp, z, work.beta, p)
        step()

    def iterations(start: bool, count: int, check: bool):
        def run():
            for i in range(count):
                (first if start and i == 0 else following)()
            if check:
                history.fill_slots(r)
        return run

    k = 0
    while k < max_iterations:
        # the iterations up to the next residual check, with the check's device part: one
        # stage (every iteration on the CPU, up to ``check_every`` on a GPU)
        count = max(min(history.next, max_iterations) - k, 1)
        check = history.check_on_device()
        mg.stages.run(("pcg", k == 0, count, check), iterations(k == 0, count, check))
        k += count
        if history.done(r, k, k == max_iterations, filled=check):
            return k
    return max_iterations


def _bicgstab(mg: Multigrid, x, r, history: _History, max_iterations: int) -> int:
    xp, dot, finest = mg.xp, mg.dot, mg.hierarchy[0]
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
    shadow_norm = history.known_initial()
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
        beta = safe_ratio(xp, rho_new * alpha, rho * omega)
        xp.multiply(v, omega, out=tmp)
        p -= tmp
        p *= beta
        p += r
        mg.precondition(p, out=p_hat)
        finest.apply(p_hat_padded, v, tmp)
        alpha = safe_ratio(xp, rho_new, dot(shadow, v))
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

    Each new direction is orthogonalised by classical Gram-Schmidt applied twice (Giraud, L.,
    Langou, J. & Rozloznik, M. (2005) Comput. Math. Appl. 50:1069-1075: orthogonal to working
    precision like modified Gram-Schmidt). On a GPU the basis is one 2-D array, each pass two
    matrix-vector products, and the Hessenberg column (both passes' projections and the new
    norm) comes to the host in one transfer per iteration; on the CPU the projections are the
    pairwise-summed dot products of :class:`DotProduct`.

    The preconditioned directions ``z_j`` are kept (the K-cycle is a variable preconditioner);
    the least-squares problem is solved by Givens rotations on the host (small), the update
    ``x += Z y`` and the true residual ``r -= A Z y`` once per restart cycle.
    """
    xp, dot, finest = mg.xp, mg.dot, mg.hierarchy[0]
    m = GMRES_RESTART
    basis_block = xp.empty((m + 1, r.size), dtype=r.dtype)
    basis = [basis_block[i].reshape(r.shape) for i in range(m + 1)]
    directions = [xp.zeros(finest.x_padded.shape, dtype=r.dtype) for _ in range(m)]
    w = xp.empty_like(r)
    tmp = xp.empty_like(r)
    update = xp.zeros(finest.x_padded.shape, dtype=r.dtype)
    inner = (slice(1, -1),) * 3
    k = 0
    while k < max_iterations:
        # the first restart's norm is the initial one (on a GPU its one transfer)
        beta = history.known_initial() if k == 0 else float(dot.norm(r))
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
            hessenberg[:j + 2, j] = _orthogonalise(xp, dot, w, basis, basis_block[:j + 1])
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


def _orthogonalise(xp, dot: DotProduct, w, basis, block) -> np.ndarray:
    """Classical Gram-Schmidt, twice (CGS2: as stable as the modified one, Giraud et al. 2005),
    of ``w`` against the first ``len(block)`` basis vectors, in place; returns the Hessenberg
    column on the host: both passes' projections summed, then the norm of the new ``w``. On a
    GPU ``block`` (those basis vectors as the rows of a 2-D array) makes each pass two
    matrix-vector products and the column one transfer."""
    count = len(block)
    if xp is not np:
        flat = w.reshape(-1)
        first = block @ flat
        flat -= first @ block
        second = block @ flat
        flat -= second @ block
        return to_host(xp.concatenate([first + second, xp.sqrt(dot(w, w)).reshape(1)]))
    column = np.zeros(count + 1)
    for _ in range(2):
        products = np.array([dot(w, basis[i]) for i in range(count)])
        for i in range(count):
            w -= products[i] * basis[i]
        column[:count] += products
    column[count] = dot.norm(w)
    return column


def _minimal_residual_step(mg: Multigrid, c_padded, c, ac, x, r, tmp):
    """One preconditioned minimal-residual step, in place; returns its length ``alpha``.

    ``c`` (the interior view of ``c_padded``) becomes one cycle on the residual ``r``, ``ac`` its
    image ``A c``; then ``x += alpha c`` and ``r -= alpha A c`` with ``alpha`` minimising
    ``||r - alpha A c||``. ``tmp`` is scratch of the shape of ``r``.
    """
    xp, dot = mg.xp, mg.dot
    mg.precondition(r, out=c)
    mg.hierarchy[0].apply(c_padded, ac, tmp)
    alpha = safe_ratio(xp, dot(ac, r), dot(ac, ac))
    xp.multiply(c, alpha, out=tmp)
    x += tmp
    xp.multiply(ac, alpha, out=tmp)
    r -= tmp
    return alpha


def _vcycles(mg: Multigrid, x, r, history: _History, max_iterations: int) -> int:
    xp, finest = mg.xp, mg.hierarchy[0]
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


def _krylov_start(given, x, rhs, r):
    x[...] = 0.0
    rhs[...] = given
    r[...] = given


# a solve from x = 0: the kept right-hand side and the residual are the given right-hand side
_KRYLOV_START = Pointwise("krylov_start", "T given", "T x, T rhs, T r",
                          "x = (T)0; rhs = given; r = given", _krylov_start)


def _squared_norm(xp, a, out) -> None:
    """``(a, a)`` into the device scalar ``out`` (through one of ``a``'s precision when the
    two differ: float32 values carried with a float64 Krylov residual)."""
    if out.dtype == a.dtype:
        dot_product(xp, a, a, out=out)
        return
    value = xp.empty((), dtype=a.dtype)
    dot_product(xp, a, a, out=value)
    out[...] = value


def run_krylov(mg: Multigrid, rhs_given, x0, settings: LinearSolve, residuals,
               setup_seconds: float, carry: CarriedValues | None = None, out=None):
    """Solve ``A x = rhs`` with ``settings.method`` preconditioned by ``mg``'s cycle; returns
    the solution (written into ``out`` when given) and its :class:`SolveInfo`."""
    start = time.perf_counter()
    xp = mg.xp
    # the Krylov iteration and its residuals run in float64 also for a float32 operator (whose
    # hierarchy then preconditions in float32): mixed-precision refinement
    dtype = mg.hierarchy[0].x.dtype
    work = np.promote_types(dtype, np.float64)
    # the iterate, the right-hand side and the residuals in arrays kept with the hierarchy
    # (captured iterations find them in every solve); the solution is returned as a copy
    shape = mg.stencil.shape
    x, rhs, r, r_true = (mg.workspace((name, work), lambda: xp.zeros(shape, dtype=work))
                         for name in ("x", "rhs", "r", "r_true"))
    if x0 is None:  # x = 0, r = rhs: one pass
        _KRYLOV_START(xp, xp.asarray(rhs_given, dtype=work), x, rhs, r)
    else:
        xp.copyto(x, xp.asarray(x0, dtype=work))
        xp.copyto(rhs, xp.asarray(rhs_given, dtype=work))
        mg.stencil.residual(x, rhs, out=r)
    # the final norm with the caller's values at the last check (flexible CG on a GPU, whose
    # last check is at the final x), else in a transfer of its own after the solve
    if carry is not None and x0 is not None:  # the caller's initial norm is that of rhs
        carry.initial_squared = carry.initial_slot = None
    history = _History(xp, mg.dot, settings, residuals, r,
                       carry if settings.method == "pcg" else None,
                       lambda: mg.stencil.residual(x, rhs, out=r_true))
    iterations = 0
    # on a GPU the initial norm is known after the first check: the driver always starts
    if history.initial is None or history.initial > history.target:
        iterations = _DRIVERS[settings.method](mg, x, r, history, settings.max_iterations)
    # report the true residual, not the recursively updated one (with the carried values)
    if history.final is not None and history.final_iteration == iterations:
        final = history.final
    elif carry is None:
        final = mg.dot.norm(mg.stencil.residual(x, rhs, out=r_true))
    else:
        _squared_norm(xp, mg.stencil.residual(x, rhs, out=r_true), out=carry.device[0, ...])
        carry.host = to_host(carry.device)
        final = math.sqrt(float(carry.host[0]))
    relative = final / history.initial if history.initial > 0 else 0.0
    factor = relative ** (1.0 / iterations) if iterations else 0.0
    # converged: the stopping test was met and the true residual confirms it (the recursively
    # updated residual may drift from it by round-off)
    converged = history.last <= history.target and final <= 10.0 * history.target
    info = SolveInfo(method=settings.method, iterations=iterations, converged=converged,
                     initial_residual=history.initial, final_residual=final,
                     relative_residual=relative, convergence_factor=factor,
                     seconds=setup_seconds + time.perf_counter() - start)
    if out is None:
        return x.astype(dtype, copy=True), info
    xp.copyto(out, x)
    return out, info
