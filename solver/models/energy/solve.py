"""Conduction and energy solves: settings, results, and the Picard loop over ``k(T)`` with the
multigrid-preconditioned Krylov solve inside."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from solver.backend import array_namespace, to_host
from solver.boundaries.flow import Inlet
from solver.boundaries.patches import Boundary
from solver.boundaries.thermal import (
    Convection,
    FixedTemperature,
)
from solver.models.energy.assembly import KeptAssembly, check_inputs, freeze_limiter
from solver.models.energy.balance import (
    flows_from_terms,
    heat_balance,
)
from solver.models.energy.terms import cell_array, check_mass_flux, side_terms
from solver.numerics.anderson import AndersonMixing
from solver.numerics.linear.multigrid import Multigrid
from solver.numerics.linear.reuse import ReusedMultigrid
from solver.numerics.linear.settings import LinearSolve


# ---------------------------------------------------------------------------------------------
# settings and results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConductionSolve:
    """Settings of the non-linear (Picard / deferred-correction) loop around the linear solves.

    Parameters
    ----------
    linear : solver.numerics.linear.LinearSolve or None
        Linear-solver settings; ``None`` takes MG-preconditioned CG (conduction) or flexible GMRES
        (advection) with ``rtol = 1e-10``.
    tolerance : float
        [K] stop when the largest temperature change between outer iterations is below this.
        Used by temperature-dependent conductivity (Picard) and by the TVD deferred correction.
    max_iterations : int
        Maximum number of outer iterations.
    initial_temperature : float or None
        [K] starting field; ``None`` takes the mean of the boundary temperatures.
    relaxation : float
        Under-relaxation of the outer update ``T <- T + relaxation (T_new - T)``, in (0, 1].
        Values below 1 damp the limit cycles that limiter switching can cause in the TVD
        deferred correction.
    acceleration_depth : int
        Past outer iterations combined by Anderson acceleration
        (:class:`~solver.numerics.anderson.AndersonMixing`) into the next one; 0: the
        under-relaxed update alone. The stopping test is the same either way.
    """

    linear: LinearSolve | None = None
    tolerance: float = 1e-4
    max_iterations: int = 50
    initial_temperature: float | None = None
    relaxation: float = 1.0
    acceleration_depth: int = 0

    def __post_init__(self):
        if not 0.0 < self.relaxation <= 1.0:
            raise ValueError(f"relaxation must be in (0, 1], got {self.relaxation}")
        if self.acceleration_depth < 0:
            raise ValueError(f"acceleration_depth must be >= 0, got {self.acceleration_depth}")
        if self.tolerance <= 0 or self.max_iterations < 1:
            raise ValueError("tolerance must be > 0 and max_iterations >= 1")


@dataclass
class ConductionResult:
    """Outcome of :func:`solve_conduction` or :func:`solve_energy`.

    Attributes
    ----------
    temperature : array (nx, ny, nz)
        [K] cell temperatures on the grid's backend.
    conductivity : array (nx, ny, nz)
        [W/m/K] conductivity used in the last assembly.
    energy_balance : dict
        ``heat_generated`` [W], ``patch_heat_flows`` {name: W into the domain},
        ``net_heat`` [W] (generated + all boundary flows), ``reference_heat`` [W] (total heat in),
        ``relative_imbalance`` = |net| / reference.
    linear_history : list of dict
        One entry per linear solve: iterations, converged, relative residual, method, residuals.
    outer_history : list of float
        [K] largest temperature change of each outer iteration.
    converged : bool
        True when the outer loop met its tolerance (always True for a single linear solve that
        converged).
    limiter_frozen_at : int or None
        The outer iteration after which the TVD limiter was frozen because the deferred
        correction had stalled (a limit cycle of the limiter); None when it never was or
        was thawed.
    limiter_thawed_at : int or None
        The outer iteration at which the frozen limiter's correction diverged, so the solve
        went back to the live limiter from the iterate it was frozen at (for good).
    """

    temperature: object
    conductivity: object
    energy_balance: dict
    linear_history: list = field(default_factory=list)
    outer_history: list = field(default_factory=list)
    converged: bool = True
    limiter_frozen_at: int | None = None
    limiter_thawed_at: int | None = None

    def describe(self) -> str:
        """One line on how the solve went: outer and linear iterations, the last temperature
        change [K] and the last linear relative residual, e.g. for a progress message."""
        linear = sum(int(entry.get("iterations", 0)) for entry in self.linear_history)
        residual = self.linear_history[-1].get("relative_residual") if self.linear_history \
            else None
        parts = [f"temperature solve: {len(self.outer_history)} outer iteration(s)",
                 f"{linear} linear iterations"]
        if self.outer_history:
            parts.append(f"last change {self.outer_history[-1]:.2e} K")
        if self.limiter_frozen_at is not None:
            parts.append(f"limiter frozen after outer iteration {self.limiter_frozen_at}")
        if self.limiter_thawed_at is not None:
            parts.append(f"frozen limiter diverged at outer iteration {self.limiter_thawed_at}")
        if residual is not None:
            parts.append(f"residual {float(residual):.1e}")
        return ", ".join(parts) + ("" if self.converged else " (not converged)")


class KeptEnergySystem:
    """What the steady energy solves of one grid keep between calls whose inputs change
    little (the passes of a cold plate's flow-energy iteration): the operator's arrays
    (:class:`~solver.models.energy.assembly.KeptAssembly`, each new operator assembled into
    them) and the multigrid hierarchy, updated in place for each new operator
    (:class:`~solver.numerics.linear.reuse.ReusedMultigrid`: its aggregation and smoothing
    axes kept, set up again when a solve needs clearly more iterations than the first after
    the last set-up; on a GPU the captured preconditioning cycle stays valid).

    Parameters
    ----------
    grid : Grid
    scheme : {"upwind", "tvd"}
        Convection scheme of the solves.
    settings : LinearSolve
        Settings of the hierarchy (those of :func:`linear_settings`).
    """

    def __init__(self, grid, scheme: str, settings: LinearSolve):
        self.assembly = KeptAssembly(grid, None, scheme)
        self.hierarchy = ReusedMultigrid(settings)


# ---------------------------------------------------------------------------------------------
# solves
# ---------------------------------------------------------------------------------------------
def linear_settings(settings: LinearSolve | None, symmetric: bool) -> LinearSolve:
    """MG-preconditioned CG (symmetric) or flexible GMRES (advective) with ``rtol = 1e-10`` by
    default; a ``"pcg"`` request on a non-symmetric system is switched to ``"fgmres"``."""
    if settings is None:
        return LinearSolve(method="pcg" if symmetric else "fgmres", rtol=1e-10)
    if not symmetric and settings.method == "pcg":
        return replace(settings, method="fgmres")
    return settings


def linear_solve(multigrid, rhs, x0, settings: LinearSolve):
    """One multigrid-class solve of ``multigrid`` (a :class:`Multigrid` or
    :class:`~solver.numerics.linear.reuse.ReusedMultigrid`) from the warm start ``x0``; returns x
    and a history entry (dict)."""
    # absolute floor near round-off of the equation's terms (warm starts make rtol too strict)
    xp = array_namespace(rhs)
    floor = 5.0 * float(np.finfo(rhs.dtype).eps) * float(
        xp.linalg.norm(multigrid.stencil.diag * x0))
    if settings.atol < floor:
        settings = replace(settings, atol=floor)
    residuals: list[float] = []
    x, info = multigrid.solve(rhs, x0, settings, residuals)
    return x, {**asdict(info), "residuals": residuals}


def _initial_temperature(boundaries, settings: ConductionSolve) -> float:
    if settings.initial_temperature is not None:
        return float(settings.initial_temperature)
    values = []
    for b in boundaries:
        if isinstance(b, FixedTemperature | Inlet) and not callable(b.temperature):
            values.append(float(b.temperature))
        elif isinstance(b, Convection):
            values.append(float(b.ambient_temperature))
    return float(np.mean(values)) if values else 300.0


def _report(progress, iteration: int, change: float, monitors: dict) -> None:
    if progress is None:
        return
    if hasattr(progress, "update"):
        progress.update(iteration, {"temperature_change_K": change}, monitors)
    else:
        progress(iteration, {"temperature_change_K": change}, monitors)


def _solve_thermal(grid, conductivity, boundaries, heat_source, settings, progress,
                   mass_flux=None, specific_heat=None, scheme="upwind", temperature=None,
                   kept: KeptEnergySystem | None = None):
    xp = grid.backend.xp
    flux = cp = None
    if mass_flux is not None:
        flux = check_mass_flux(grid, mass_flux)
        cp = cell_array(grid, specific_heat, "specific_heat")
    variable_k = callable(conductivity)
    iterative = variable_k or (flux is not None and scheme == "tvd")
    if temperature is None:
        temperature = grid.full(_initial_temperature(boundaries, settings))
    else:
        temperature = cell_array(grid, temperature, "temperature").copy()
    k = cell_array(grid, conductivity(temperature) if variable_k else conductivity,
                    "conductivity")

    linear_history, outer_history = [], []
    converged = False
    # the TVD limiter once frozen, when, and the iterate it was frozen at
    fractions = frozen_at = thawed_at = frozen_from = None
    may_freeze = scheme == "tvd" and flux is not None
    solve_settings = linear_settings(settings.linear, symmetric=flux is None)
    multigrid = None
    mixing = AndersonMixing(settings.acceleration_depth, settings.relaxation)
    # the operator is kept while the conductivity stays (the TVD deferred correction changes
    # the right side alone); assembled again for each k(T)
    if kept is None:
        assembly, hierarchy = KeptAssembly(grid, cp, scheme), None
    elif kept.assembly.scheme != scheme:
        raise ValueError(f"the kept energy system is for the {kept.assembly.scheme!r} scheme, "
                         f"not {scheme!r}")
    else:
        assembly, hierarchy = kept.assembly, kept.hierarchy
    source = cell_array(grid, heat_source if heat_source is not None else 0.0, "heat_source")
    check_inputs(grid, k, source)
    for iteration in range(1, (settings.max_iterations if iterative else 1) + 1):
        stencil = assembly.prepare(k, boundaries, flux, cp)
        rhs = assembly.right_side(source, temperature, fractions)
        terms = assembly.terms
        if iteration == 1 and not any(bool(xp.any(t.coef > 0)) for t in terms.values()):
            raise ValueError("no fixed temperature, convection or inlet touches a conducting "
                             "cell: the steady temperature is not determined")
        # the hierarchy is rebuilt only when the matrix changes (k(T)); the TVD deferred
        # correction changes the right-hand side alone
        rebuild = multigrid is None or variable_k
        if rebuild:
            multigrid = (Multigrid(stencil, solve_settings) if hierarchy is None
                         else hierarchy.prepare(stencil))
        new, entry = linear_solve(multigrid if hierarchy is None else hierarchy, rhs,
                                  temperature, solve_settings)
        entry["setup_seconds"] = multigrid.setup_seconds if rebuild else 0.0
        linear_history.append(entry)
        linear_converged = bool(entry.get("converged", True))
        solid = k > 0
        mixed = iterative and not (settings.relaxation == 1.0 and mixing.depth == 0)
        products = mixing.products(temperature, new, weight=solid) if mixed else []
        # finiteness, the change, the peak temperature and the mixing's products: one transfer
        finite, change, peak, *values = (float(v) for v in to_host(xp.stack([
            xp.all(xp.isfinite(new)), xp.max(xp.where(solid, xp.abs(new - temperature), 0.0)),
            xp.max(xp.where(solid, new, -xp.inf)), *products])))
        if fractions is not None and (
                not change <= 2.0 * outer_history[frozen_at - 1]
                or (iteration - frozen_at > STALL_WINDOW and _stalled(outer_history + [change]))):
            # the frozen correction diverges (an explicit deferred correction that blends
            # faces towards the downwind cell can), or, accelerated, stops converging: back
            # to the live limiter from the iterate it was frozen at, for good
            outer_history.append(change)
            temperature, fractions, frozen_at, may_freeze = frozen_from, None, None, False
            thawed_at = iteration
            mixing.reset()
            continue
        if not finite:
            raise FloatingPointError("the temperature solve produced non-finite values; check "
                                     "conductivities, sources and boundary values for NaN/inf")
        outer_history.append(change)
        # under-relaxed (accelerated) outer update; the converged field is the last linear
        # solution itself
        done = iterative and change < settings.tolerance
        temperature = new if done or not mixed else mixing.next_iterate(values)
        _report(progress, iteration, change, {"max_temperature_K": peak})
        if done:
            converged = linear_converged
            break
        if variable_k:
            k = cell_array(grid, conductivity(temperature), "conductivity")
        if may_freeze and fractions is None and _stalled(outer_history):
            # a limiter that switches between the iterates keeps the change from falling:
            # frozen at the current iterate, the correction is linear and the loop converges
            # (limiter freezing, Venkatakrishnan 1995, J. Comput. Phys. 118:120-130)
            fractions, frozen_at = freeze_limiter(grid, temperature, flux, terms), iteration
            frozen_from = temperature
            mixing.reset()
    if not iterative:
        converged = linear_converged

    # balance from the coefficients of the last assembly (closes to the linear residual)
    generated = float(xp.sum(xp.where(k > 0, source * grid.cell_volumes(), 0.0),
                             dtype=xp.float64))
    terms = side_terms(grid, k, boundaries, flux, cp, scheme, temperature)
    flows = flows_from_terms(grid, temperature, boundaries, terms)
    balance = heat_balance(generated, flows)
    # empty cells: fill with the lowest conducting-cell temperature
    solid = k > 0
    t_min = xp.min(xp.where(solid, temperature, xp.inf))
    temperature = xp.where(solid, temperature, t_min)
    return (temperature, k, balance, linear_history, outer_history, converged, frozen_at,
            thawed_at)


STALL_WINDOW = 5  # outer iterations over which the temperature change must fall 5 %


def _stalled(outer_history: list) -> bool:
    """True when the largest temperature change fell by less than 5 % over the last
    :data:`STALL_WINDOW` outer iterations (a converging deferred correction falls faster)."""
    return (len(outer_history) > STALL_WINDOW
            and outer_history[-1] > 0.95 * outer_history[-1 - STALL_WINDOW])


def solve_conduction(grid, conductivity, boundaries: Sequence[Boundary], heat_source=None,
                     settings: ConductionSolve = ConductionSolve(), progress=None,
                     temperature=None) -> ConductionResult:
    """Solve steady heat conduction, with Picard iteration for temperature-dependent conductivity.

    Parameters
    ----------
    grid : Grid
        The grid.
    conductivity : array (nx, ny, nz), float, or callable
        [W/m/K] cell conductivities, or ``k(T)`` mapping a temperature field [K] to them (e.g.
        :func:`material_conductivity`); then ``k`` is re-evaluated and the system reassembled
        and re-solved (warm start) until the largest temperature change is below
        ``settings.tolerance``.
    boundaries : sequence of Boundary
        Patches; at least one fixed temperature or convection must touch a conducting cell.
    heat_source : array (nx, ny, nz), float or None
        [W/m^3] volumetric heat generation (see :func:`chip_heat_source`).
    settings : ConductionSolve
        Outer-loop and linear-solver settings.
    progress : solver.progress.Progress or callable, optional
        Receives ``(iteration, {"temperature_change_K": dT}, monitors)`` after each solve.
    temperature : array (nx, ny, nz), optional
        [K] initial field (warm start).

    Returns
    -------
    ConductionResult
    """
    out = _solve_thermal(grid, conductivity, boundaries, heat_source, settings, progress,
                         temperature=temperature)
    return ConductionResult(*out)


def solve_energy(grid, conductivity, boundaries: Sequence[Boundary], heat_source, mass_flux,
                 specific_heat, scheme: str = "upwind",
                 settings: ConductionSolve = ConductionSolve(relaxation=0.7), progress=None,
                 temperature=None, kept: KeptEnergySystem | None = None) -> ConductionResult:
    """Solve steady advection-diffusion for a given mass-flux field (see :func:`assemble_energy`).

    Upwind needs one linear solve (plus Picard iterations for a callable conductivity); the TVD
    scheme iterates its deferred correction until the largest temperature change is below
    ``settings.tolerance`` [K]; the default under-relaxation 0.7 damps limiter limit cycles, and
    one that persists (the change falls by less than 5 % over :data:`STALL_WINDOW` outer
    iterations) freezes the limiter at the current iterate, which makes the correction linear
    (``limiter_frozen_at`` of the result). A frozen correction that diverges goes back to the
    live limiter (``limiter_thawed_at``).
    Parameters as in :func:`assemble_energy` and :func:`solve_conduction`; the energy balance
    includes the advected heat ``F cp T``. ``kept``: the operator's arrays and the hierarchy
    kept from the caller's last solve on this grid (:class:`KeptEnergySystem`), updated in
    place instead of made anew.
    """
    out = _solve_thermal(grid, conductivity, boundaries, heat_source, settings, progress,
                         mass_flux, specific_heat, scheme, temperature, kept)
    return ConductionResult(*out)
