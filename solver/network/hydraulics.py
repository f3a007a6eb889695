"""Newton solve of the network hydraulics: branch mass flows and node pressures together.

Unknowns ``x = [m (nb), p_free (nf)]``. Equations, with ``A`` the node-branch incidence
(``+1`` where a branch enters a node):

    branch b:  F_b = (p_inlet - p_outlet) - dp_b(m_b) = -(A^T p)_b - dp_b(m_b)   [Pa]
    node n:    F_n = (A m)_n + s_n                                              [kg/s]

for every node whose pressure is free (``s_n`` the fixed injections). The Jacobian is sparse and
analytic,

    J = [[ -diag(d dp/dm) - C,  -A_free^T ],
         [  A_free,              0        ]],

where ``C`` holds the derivatives of a branch's pressure drop with respect to other branches'
flows: the header momentum terms and the split-dependent junctions
(:mod:`solver.network.junctions`), whose leg losses depend on the flows of all three legs.

solved with ``scipy.sparse.linalg.spsolve``. A few steps of the linear theory method (Wood &
Charles 1972: each law replaced by its secant through the current flow) give a robust start when
no warm start is supplied; a backtracking line search on ``|F|^2`` guards the Newton steps.
All laws are smooth and signed, so reverse flow needs no special case.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from solver.network.errors import NetworkConvergenceError
from solver.network.junctions import junction_terms
from solver.network.laws import LAWS


@dataclass(frozen=True)
class HydraulicSolve:
    """Settings of the Newton iteration.

    Attributes
    ----------
    rtol : float
        Convergence when branch residuals / pressure scale and node residuals / flow scale are
        both below ``rtol`` (infinity norm).
    max_iterations : int
        Newton iterations before giving up.
    linear_theory_steps : int
        Secant (linear theory) iterations used as the start when no ``x0`` is given.
    """

    rtol: float = 1e-11
    max_iterations: int = 60
    linear_theory_steps: int = 4


@dataclass
class HydraulicResult:
    """Converged hydraulic state.

    Attributes
    ----------
    mass_flow : ndarray (nb,)
        [kg/s] signed branch flows.
    pressure : ndarray (nn,)
        [Pa] node pressures.
    pressure_drop : ndarray (nb,)
        [Pa] ``p_inlet - p_outlet`` of every branch.
    residuals : list of float
        Scaled residual norm before each Newton step and at the end.
    iterations : int
    converged : bool
    """

    mass_flow: np.ndarray
    pressure: np.ndarray
    pressure_drop: np.ndarray
    residuals: list = field(default_factory=list)
    iterations: int = 0
    converged: bool = False


def evaluate_laws(compiled, m, rho, mu):
    """Pressure drop [Pa] and its own-flow derivative [Pa s/kg] of every branch.

    Vectorised per law family, plus the header momentum terms
    ``kappa (m_b|m_b| / (rho_b A_b^2) - m_p|m_p| / (rho_p A_p^2))`` whose partner derivatives
    are added by :func:`coupling_jacobian`, and the junction loss terms (their own-flow
    derivatives too are left to :func:`coupling_jacobian`).
    """
    dp = np.zeros_like(m)
    ddp = np.zeros_like(m)
    for family, (idx, params) in compiled.families.items():
        dp[idx], ddp[idx] = LAWS[family](params, m[idx], rho[idx], mu[idx])
    if compiled.momentum:
        b, p, kappa, area, area_p = compiled.momentum
        has = p >= 0
        partner = np.where(has, m[np.where(has, p, 0)], 0.0)
        rho_p = rho[np.where(has, p, 0)]
        np.add.at(dp, b, kappa * (m[b] * np.abs(m[b]) / (rho[b] * area**2)
                                  - partner * np.abs(partner) / (rho_p * area_p**2)))
        np.add.at(ddp, b, kappa * 2.0 * np.abs(m[b]) / (rho[b] * area**2))
    if compiled.junctions is not None:
        rows, terms, *_ = junction_terms(compiled.junctions, m, rho)
        np.add.at(dp, rows, terms)
    return dp, ddp


def coupling_jacobian(compiled, m, rho):
    """Derivatives d dp_b / d m_c not in :func:`evaluate_laws`' own-flow derivative (nb x nb
    sparse, or None): the momentum terms' partner entries and every junction entry."""
    nb = len(compiled.branch_names)
    rows, cols, values = [], [], []
    if compiled.momentum:
        b, p, kappa, _, area_p = compiled.momentum
        has = p >= 0
        b, p, kappa, area_p = b[has], p[has], kappa[has], area_p[has]
        rows.append(b)
        cols.append(p)
        values.append(-kappa * 2.0 * np.abs(m[p]) / (rho[p] * area_p**2))
    if compiled.junctions is not None:
        _, _, j_rows, j_cols, j_values = junction_terms(compiled.junctions, m, rho)
        rows.append(j_rows)
        cols.append(j_cols)
        values.append(j_values)
    if not rows:
        return None
    return sp.csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(nb, nb))


class System:
    """Residual and Jacobian of the hydraulic equations for fixed fluid properties."""

    def __init__(self, compiled, rho, mu):
        self.c = compiled
        self.rho = rho
        self.mu = mu
        self.nb = len(compiled.branch_names)
        self.free = np.flatnonzero(~compiled.fixed)
        self.a_free = compiled.incidence[self.free].tocsr()
        self.a_free_t = self.a_free.T.tocsr()
        self.at_fixed = compiled.incidence[compiled.fixed].T.tocsr()
        self.p_fixed = compiled.fixed_pressure[compiled.fixed]
        self.s = compiled.injection[self.free]

    def pressures(self, x):
        p = self.c.fixed_pressure.copy()
        p[self.free] = x[self.nb:]
        return p

    def residual(self, x):
        m = x[:self.nb]
        dp, ddp = evaluate_laws(self.c, m, self.rho, self.mu)
        at_p = self.a_free_t @ x[self.nb:] + self.at_fixed @ self.p_fixed
        self.last_dp_scale = float(np.max(np.abs(dp), initial=0.0))
        return np.concatenate([-at_p - dp, self.a_free @ m + self.s]), ddp

    def jacobian(self, ddp, m):
        block = sp.diags(-ddp)
        coupling = coupling_jacobian(self.c, m, self.rho)
        if coupling is not None:
            block = block - coupling
        return sp.bmat([[block, -self.a_free_t], [self.a_free, None]], format="csc")

    def scaled_norm(self, f, x, p_scale):
        p_scale = max(p_scale, self.last_dp_scale)
        m_scale = max(np.max(np.abs(x[:self.nb]), initial=0.0), np.sum(np.abs(self.s)), 1e-12)
        return max(np.max(np.abs(f[:self.nb]), initial=0.0) / p_scale,
                   np.max(np.abs(f[self.nb:]), initial=0.0) / m_scale)


def _pressure_scale(network, compiled):
    scale = 1.0
    for b in network.branches:
        if b.kind == "pump" and b.is_open:
            scale = max(scale, b.shutoff_pressure())
    if compiled.fixed.any():
        fp = compiled.fixed_pressure[compiled.fixed]
        scale = max(scale, float(fp.max() - fp.min()))
    return scale


def _typical_flow(network, rho):
    """A flow scale [kg/s] for the first secant linearisation."""
    flows = [0.5 * b.flows[-1] * max(b.running, 1) * b.speed for b in network.branches
             if b.kind == "pump" and b.is_open]
    flows += [abs(fb.mass_flow) / float(np.mean(rho)) for fb in network.flow_boundaries]
    return float(np.mean(rho)) * (max(flows) if flows else 1e-4)


def _linear_theory_start(system, x, steps):
    """Secant ('linear theory') iterations: dp_b = (dp_b(m)/m) m, flows averaged between steps."""
    nb = system.nb
    m = x[:nb]
    for _ in range(steps):
        dp, ddp = evaluate_laws(system.c, m, system.rho, system.mu)
        # split each law into a constant part (pump shutoff, hydrostatic) and a secant slope
        dp0, _ = evaluate_laws(system.c, np.zeros_like(m), system.rho, system.mu)
        small = np.abs(m) < 1e-15
        secant = np.where(small, ddp, (dp - dp0) / np.where(small, 1.0, m))
        secant = np.where(np.abs(secant) < 1e-30, 1e-30, secant)
        jac = sp.bmat([[sp.diags(-secant), -system.a_free_t], [system.a_free, None]], format="csc")
        rhs = np.concatenate([dp0 + system.at_fixed @ system.p_fixed, -system.s])
        sol = spsolve(jac, rhs)
        if not np.all(np.isfinite(sol)):
            break
        x = np.concatenate([0.5 * (m + sol[:nb]), sol[nb:]])
        m = x[:nb]
    return x


def solve_hydraulics(network, rho, mu, x0=None, settings=HydraulicSolve(), residuals=None):
    """Solve the network hydraulics for fixed branch densities and viscosities.

    A warm start that stalls (a strongly changed state, e.g. after large property changes) is
    abandoned after ``settings.max_iterations // 3`` steps for the linear-theory start.

    Parameters
    ----------
    network : Network
    rho, mu : ndarray (nb,)
        [kg/m3], [Pa s] fluid density and viscosity in every branch.
    x0 : ndarray | None
        Warm start ``[m, p_free]`` (e.g. the previous solution); None uses the linear theory start.
    settings : HydraulicSolve
    residuals : list | None
        Filled with the scaled residual norm history when given.

    Returns
    -------
    HydraulicResult

    Raises
    ------
    NetworkConvergenceError
        If Newton does not reach ``settings.rtol``.
    """
    if x0 is not None:
        warm = []
        try:
            result = _newton(network, rho, mu, x0, settings, warm,
                             max(settings.max_iterations // 3, 8))
            if residuals is not None:
                residuals.extend(warm)
            return result
        except NetworkConvergenceError:
            if residuals is not None:
                residuals.clear()
    return _newton(network, rho, mu, None, settings, residuals, settings.max_iterations)


def _newton(network, rho, mu, x0, settings, residuals, max_iterations):
    """Newton iterations from ``x0`` (or the linear-theory start when None)."""
    compiled = network.compile()
    system = System(compiled, np.asarray(rho, float), np.asarray(mu, float))
    p_scale = _pressure_scale(network, compiled)
    nb = system.nb
    if x0 is None:
        x = np.concatenate([np.full(nb, _typical_flow(network, rho)),
                            np.full(system.free.size, float(np.mean(system.p_fixed))
                                    if system.p_fixed.size else 0.0)])
        x = _linear_theory_start(system, x, settings.linear_theory_steps)
    else:
        x = np.array(x0, dtype=float)
    history = residuals if residuals is not None else []
    weights = np.concatenate([np.full(nb, 1.0 / p_scale),
                              np.full(system.free.size, 1.0 / _typical_flow(network, rho))])
    f, ddp = system.residual(x)
    norm = system.scaled_norm(f, x, p_scale)
    history.append(norm)
    converged = norm < settings.rtol
    iterations = 0
    while not converged and iterations < max_iterations:
        # Newton direction from the analytic sparse Jacobian
        dx = spsolve(system.jacobian(ddp, x[:nb]), -f)
        if not np.all(np.isfinite(dx)):
            raise NetworkConvergenceError("singular network Jacobian: check for components in "
                                          "series with zero resistance or isolated pieces")
        # backtracking line search on |F|^2 (Armijo, halving)
        merit = float(np.sum((weights * f) ** 2))
        t = 1.0
        while True:
            x_try = x + t * dx
            f_try, ddp_try = system.residual(x_try)
            if float(np.sum((weights * f_try) ** 2)) <= (1.0 - 1e-4 * t) * merit or t < 1e-6:
                break
            t *= 0.5
        x, f, ddp = x_try, f_try, ddp_try
        iterations += 1
        norm = system.scaled_norm(f, x, p_scale)
        history.append(norm)
        converged = norm < settings.rtol
    if not converged:
        raise NetworkConvergenceError(f"network Newton did not converge in {iterations} "
                                      f"iterations (scaled residual {norm:.3e})")
    m = x[:nb]
    dp, _ = evaluate_laws(compiled, m, system.rho, system.mu)
    return HydraulicResult(m.copy(), system.pressures(x), dp, list(history), iterations, True)


def state_vector(network, result):
    """Pack a :class:`HydraulicResult` as the ``x0`` warm start of :func:`solve_hydraulics`."""
    c = network.compile()
    return np.concatenate([result.mass_flow, result.pressure[~c.fixed]])
