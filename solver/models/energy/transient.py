"""The energy equation in time: ``C dT/dt + div(F cp T) - div(k grad T) = S(t)`` over solids and
coolant, integrated with TR-BDF2.

Time integration
----------------
TR-BDF2 (Bank et al. 1985; Hosea & Shampine 1996) takes each step ``dt`` in two implicit stages:
a trapezoidal stage to ``t + gamma dt`` and a BDF2 stage through ``t``, ``t + gamma dt`` and
``t + dt``. With ``gamma = 2 - sqrt(2)``

* it is second order and L-stable: the stiff modes of thin TIM layers and small die cells are
  damped, not rung (Crank-Nicolson rings on them);
* it is one-step and self-starting: no start-up step, and steps may change freely (a power step
  restarts the steps small; see :class:`solver.numerics.time_steps.TimeSteps`);
* both stages solve with the same matrix ``A + C V / (d dt)``, ``d = 1 - 1/sqrt(2)``, so one
  multigrid hierarchy serves the whole step;
* it conserves energy exactly in its own quadrature: the step equals
  ``C V (T1 - T0) = dt (w f0 + w f* + d f1)`` with ``w = 1/(2 sqrt(2))``, ``f = b - A T`` the net
  heat flow of each cell [W]; summed over the cells the interior fluxes cancel, so the stored
  energy ``sum C V T`` changes by exactly the time integral of (heat generated + heat through the
  boundaries), to the linear solver's residual. :class:`EnergyAudit` keeps both sides.

Each stage takes the steady operator at its time and adds the time term. The operator and the
boundary terms are kept between stages, corrections and steps
(:class:`~solver.models.energy.assembly.KeptAssembly`): assembled again only when the
conductivity or the mass fluxes change (a ``k(T)`` or an inlet flow in time) or a boundary's
kind changes, the boundary terms alone when a boundary value changes (an inlet temperature in
time); heat sources and the TVD correction touch the right side only, which is re-evaluated
from the kept device arrays with no host transfer. The inputs are evaluated once per stage
time. The TVD
deferred correction is re-evaluated within each stage from the under-relaxed latest temperature
(loose linear solves) until it changes by less than its tolerance, then solved once more with
the settled correction to the full linear tolerance; the step's rates are those of that last
system, whose solution is kept, so the energy audit holds however far the correction went.
Temperature-dependent conductivity and heat capacity are evaluated at the start of each step:
lagged by one step, which is first order in time where they vary (exact for constant
properties); the energy audit then holds for the lagged capacity.

Units: SI (s, K, W, J/m3/K, kg/s).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from solver.backend import to_host
from solver.boundaries.flow import Inlet
from solver.models.energy.assembly import KeptAssembly
from solver.models.energy.balance import flows_from_terms, heat_balance
from solver.models.energy.solve import (
    ConductionSolve,
    linear_settings,
    linear_solve,
    solve_conduction,
    solve_energy,
)
from solver.models.energy.terms import cell_array, check_mass_flux, side_terms
from solver.numerics.linear.reuse import ReusedMultigrid
from solver.numerics.linear.settings import LinearSolve
from solver.numerics.stencil import NEIGHBOURS, Stencil7
from solver.units import ZERO_CELSIUS

MIN_STEP_FACTOR = 0.2  # an error-controlled step shrinks at most this much at once
MIN_STEP_FRACTION = 1e-3  # ... and is never rejected below this fraction of the first step
CORRECTION_RTOL = 1e-3  # linear tolerance of the deferred-correction solves before the last
GAMMA = 2.0 - math.sqrt(2.0)
"""Fraction of the step taken by the trapezoidal stage."""
STAGE_WEIGHT = 1.0 / (2.0 * math.sqrt(2.0))
"""Weight ``w`` of the start and trapezoidal-stage rates in the step's quadrature."""
END_WEIGHT = 1.0 - 1.0 / math.sqrt(2.0)
"""Weight ``d`` of the end rate; also the factor of ``dt`` in both stages' time term."""
# the step's weights less those of the quadratic through the three rates (third order): their
# products with the rates estimate the step's local error
ERROR_WEIGHTS = (STAGE_WEIGHT - (1.0 / 3.0 - (1.0 + GAMMA) / 2.0 + GAMMA) / GAMMA,
                 STAGE_WEIGHT + 1.0 / (6.0 * GAMMA * (GAMMA - 1.0)),
                 END_WEIGHT - (1.0 / 3.0 - GAMMA / 2.0) / (1.0 - GAMMA))


@dataclass
class EnergyAudit:
    """Energy bookkeeping of a transient run [J].

    Attributes
    ----------
    initial_stored : float
        [J] ``sum C V T`` at the start (C at the start of each step; see module docstring).
    stored_change : float
        [J] sum over the steps of ``sum C V (T1 - T0)``.
    heat_in : float
        [J] time integral of heat generated plus heat through all boundaries (the step's
        quadrature), positive into the domain.
    generated : float
        [J] time integral of the heat sources alone.
    """

    initial_stored: float = 0.0
    stored_change: float = 0.0
    heat_in: float = 0.0
    generated: float = 0.0

    @property
    def relative_error(self) -> float:
        """``|stored change - heat in| / max(|heat in|, |generated|, |stored change|)``."""
        scale = max(abs(self.heat_in), abs(self.generated), abs(self.stored_change)) or 1.0
        return abs(self.stored_change - self.heat_in) / scale


@dataclass
class TransientSolve:
    """Settings of the stage solves.

    Parameters
    ----------
    linear : LinearSolve or None
        ``None``: multigrid-preconditioned CG for conduction, flexible GMRES (K-cycles) with
        advection, ``rtol = 1e-10``.
    corrections : int
        Most solves per stage with the TVD deferred correction re-evaluated from the stage's
        latest (under-relaxed) temperature. The correction is explicit: taken once from the
        stage's starting guess it limit-cycles at Courant numbers well above 1.
    tolerance, relative_tolerance : float
        Stop re-evaluating the correction when the temperature changes by less than
        ``tolerance`` [K] or than ``relative_tolerance`` times the stage's change over the step
        (a correction needs no more accuracy than the step itself has).
    relaxation : float
        Under-relaxation of the guess between corrections, in (0, 1].
    """

    linear: LinearSolve | None = None
    corrections: int = 30
    tolerance: float = 1e-6
    relative_tolerance: float = 1e-2
    relaxation: float = 0.85


def _at(value, time):
    return value(time) if callable(value) else value


class TransientEnergy:
    """Energy equation in time on a grid, advanced step by step (TR-BDF2).

    Parameters
    ----------
    grid : Grid
        The grid.
    conductivity : array, float or callable
        [W/m/K] cell conductivities (0: empty cell), or ``k(T)`` (lagged by one step).
    heat_capacity : array, float or callable
        [J/m3/K] volumetric heat capacity ``rho cp`` of every cell, or ``C(T)`` (lagged).
    boundaries : sequence of Boundary, or callable
        Patches, or ``boundaries(t)`` returning them at time ``t`` [s] (an inlet temperature
        that changes in time).
    heat_source : array, float, None or callable
        [W/m3] heat generation, or ``heat_source(t)``.
    mass_flux : tuple (Fx, Fy, Fz), callable or None
        [kg/s] face mass fluxes (frozen flow), or ``mass_flux(t)``; ``None``: conduction.
    specific_heat : array or float
        [J/kg/K] of the fluid cells (with ``mass_flux``).
    scheme : {"upwind", "tvd"}
        Convection scheme.
    temperature : array or float
        [K] initial field.
    settings : TransientSolve
    time : float
        [s] time of the initial field.
    """

    def __init__(self, grid, conductivity, heat_capacity, boundaries, heat_source=None,
                 mass_flux=None, specific_heat=None, scheme: str = "upwind",
                 temperature=300.0, settings: TransientSolve | None = None,
                 time: float = 0.0):
        self.grid = grid
        self.xp = grid.backend.xp
        self.conductivity = conductivity
        self.heat_capacity = heat_capacity
        self.boundaries = boundaries
        self.heat_source = heat_source
        self.mass_flux = mass_flux
        self.cp = None if mass_flux is None else cell_array(grid, specific_heat, "specific_heat")
        self.scheme = scheme if mass_flux is not None else "upwind"
        self.settings = settings or TransientSolve()
        self.temperature = cell_array(grid, temperature, "temperature").copy()
        self.time = float(time)
        self.linear = linear_settings(self.settings.linear, symmetric=mass_flux is None)
        self._loose = replace(self.linear, rtol=max(self.linear.rtol, CORRECTION_RTOL))
        self._multigrid = ReusedMultigrid(self.linear)
        self._operator: Stencil7 | None = None  # the hierarchy's operator, refreshed in place
        self._operator_step = None  # [s] the step it was made for
        self._operator_version = None  # ... and the version of the kept assembly's operator
        self._assembly = KeptAssembly(grid, self.cp, self.scheme)
        self._inputs: dict = {}  # time [s] -> (boundaries, heat source, mass flux) there
        # inputs that do not change in time, as backend arrays once (kept by the assembly)
        self._fixed = {name: cell_array(grid, value, name) for name, value in (
            ("conductivity", conductivity), ("heat_capacity", heat_capacity))
            if not callable(value)}
        self.volumes = grid.cell_volumes()
        self.linear_iterations: list[int] = []
        self.estimate_error = False  # set by run_transient for steps with an error tolerance
        self.error = None  # [K] local error estimate of the last step
        k, capacity = self._properties()
        self.audit = EnergyAudit(initial_stored=float(self._stored(capacity, k > 0,
                                                                   self.temperature)))

    # -- the state --------------------------------------------------------------------------
    def _properties(self):
        t = self.temperature
        k, capacity = (self._fixed[name] if name in self._fixed
                       else cell_array(self.grid, value(t), name)
                       for name, value in (("conductivity", self.conductivity),
                                           ("heat_capacity", self.heat_capacity)))
        return k, capacity

    def _stored(self, capacity, conducting, temperature):
        """[J] ``sum C V T`` over the conducting cells (a device scalar)."""
        xp = self.xp
        return xp.sum(xp.where(conducting, capacity * self.volumes * temperature, 0.0),
                      dtype=xp.float64)

    def _generated(self, source, conducting):
        """[W] heat generated in the conducting cells (a device scalar)."""
        xp = self.xp
        return xp.sum(xp.where(conducting, source * self.volumes, 0.0), dtype=xp.float64)

    def state(self) -> dict:
        """Arrays and scalars to checkpoint: temperature [K], time [s], the audit [J]."""
        a = self.audit
        return {"temperature": self.temperature, "time": self.time,
                "audit": [a.initial_stored, a.stored_change, a.heat_in, a.generated]}

    def load_state(self, state: dict) -> None:
        """Continue from a :meth:`state`."""
        self.temperature = cell_array(self.grid, state["temperature"], "temperature").copy()
        self.time = float(state["time"])
        self.audit = EnergyAudit(*(float(v) for v in state["audit"]))

    # -- one stage ---------------------------------------------------------------------------
    def _inputs_at(self, time):
        """Boundaries, heat source [W/m3] and mass fluxes [kg/s] at ``time`` [s], evaluated
        once per time (the stages' deferred corrections share them)."""
        if time not in self._inputs:
            flux = _at(self.mass_flux, time)
            source = _at(self.heat_source, time)
            if len(self._inputs) >= 3:  # a step's three times
                del self._inputs[next(iter(self._inputs))]
            self._inputs[time] = (
                _at(self.boundaries, time),
                cell_array(self.grid, 0.0 if source is None else source, "heat_source"),
                None if flux is None else check_mass_flux(self.grid, flux))
        return self._inputs[time]

    def _system(self, time, k, temperature):
        """Steady operator (kept while its inputs stay), right-hand side [W] and heat source
        [W/m3] at ``time`` [s]."""
        boundaries, source, flux = self._inputs_at(time)
        stencil = self._assembly.prepare(k, boundaries, flux)
        return stencil, self._assembly.right_side(source, temperature), source

    def _rate(self, stencil, rhs, temperature, conducting):
        """Net heat flow into each cell [W] (``b - A T``; 0 in empty cells)."""
        return self.xp.where(conducting, rhs - stencil.apply(temperature), 0.0)

    def _refresh_operator(self, stencil, shift) -> None:
        """The hierarchy's operator ``A + shift`` (set up once, then refreshed in place)."""
        self._operator_version = self._assembly.version
        shifted = [stencil.diag + shift] + [stencil.neighbour(n) for n in NEIGHBOURS]
        if self._operator is None:
            self._operator = Stencil7(*(self.xp.array(a) for a in shifted))
        else:
            for name, array in zip(("diag", *NEIGHBOURS), shifted, strict=True):
                getattr(self._operator, name)[...] = array
        self._multigrid.prepare(self._operator)

    def _solve_stage(self, time, k, shift, extra, guess, start, refresh=True):
        """Solve ``(A + shift) T = b + extra`` at ``time``; returns T, the net flows
        ``b - A T`` [W] of the system solved (the one the step's quadrature uses) and the heat
        generated [W] (a device scalar). The hierarchy's operator is refreshed when
        ``refresh``, when the assembly's operator changed, or when inputs change in time and a
        new hierarchy is due."""
        xp = self.xp
        conducting = k > 0
        settings = self.settings
        tvd = self.scheme == "tvd"
        final = not tvd  # the solve whose system the step's quadrature uses
        for correction in range(1, settings.corrections + 1):
            final = final or correction == settings.corrections
            stencil, rhs, source = self._system(time, k, guess)
            # the operator changes with the step or with inputs that change in time, never
            # with the deferred correction (right-hand side only)
            if correction == 1 and (refresh or self._operator_version != self._assembly.version
                                    or (self._varying() and self._multigrid.setup_due)):
                self._refresh_operator(stencil, shift)
            if correction == 1:
                held = self._operator.diag * start
            # corrections on the way are solved loosely, the last one to the full tolerance
            linear = self.linear if final else self._loose
            # empty cells (identity rows) keep their value
            full = xp.where(conducting, rhs + extra, held)
            temperature, entry = linear_solve(self._multigrid, full, guess, linear)
            self.linear_iterations.append(int(entry["iterations"]))
            if final:
                break
            # the correction's change against the stage's own change over the step
            changes = xp.where(conducting, xp.abs(temperature - xp.stack([guess, start])), 0.0)
            change, step_change = (float(v) for v in to_host(xp.max(changes, axis=(1, 2, 3))))
            if change < max(settings.tolerance, settings.relative_tolerance * step_change):
                final, guess = True, temperature
            else:
                # under-relaxed guess for the next correction (limiter switching can cycle)
                guess = guess + settings.relaxation * (temperature - guess)
        return (temperature, self._rate(stencil, rhs, temperature, conducting),
                self._generated(source, conducting))

    def _varying(self) -> bool:
        """True when an input of the operator may change in time."""
        return any(callable(v) for v in (self.conductivity, self.heat_capacity,
                                         self.boundaries, self.mass_flux))

    # -- one step ----------------------------------------------------------------------------
    def step(self, dt: float, end: float | None = None) -> None:
        """Advance by ``dt`` [s] (TR-BDF2). ``end`` [s]: the step lands on a breakpoint at that
        time; its inputs are taken just before it (a jump there belongs to the next step) and
        the time is set to it exactly."""
        if not dt > 0.0:
            raise ValueError(f"time step must be > 0 s, got {dt}")
        xp = self.xp
        t0, t_half = self.time, self.time + GAMMA * dt
        t1 = self.time + dt if end is None else math.nextafter(end, -math.inf)
        k, capacity = self._properties()
        conducting = k > 0
        start = self.temperature
        stencil, rhs, source = self._system(t0, k, start)
        rate0 = self._rate(stencil, rhs, start, conducting)
        generated0 = self._generated(source, conducting)
        # both stages: time term C V / (d dt) on the diagonal; the operator is the last step's
        # unless the step or an input that changes in time changed it
        shift = xp.where(conducting, capacity * self.volumes / (END_WEIGHT * dt), 0.0)
        refresh = callable(self.heat_capacity) or self._operator_step != dt
        self._operator_step = dt
        # trapezoidal stage: C V (T* - T0) / (gamma dt / 2) = f0 + f*
        middle, rate_mid, generated_mid = self._solve_stage(
            t_half, k, shift, shift * start + rate0, start, start, refresh)
        # BDF2 stage: C V (T1 - T0) / (d dt) = (w / d)(f0 + f*) + f1
        extrapolated = start + (middle - start) / GAMMA
        final, rate1, generated1 = self._solve_stage(
            t1, k, shift, shift * start + (STAGE_WEIGHT / END_WEIGHT) * (rate0 + rate_mid),
            extrapolated, start, False)
        error = None
        if self.estimate_error:
            # Hosea & Shampine's filtered estimate: (I - d dt J)^-1 dt sum e_j f_j / (C V),
            # which is (A + C V / (d dt))^-1 sum e_j f_j / d, one loose solve
            e0, e1, e2 = ERROR_WEIGHTS
            rhs = xp.where(conducting, (e0 * rate0 + e1 * rate_mid + e2 * rate1) / END_WEIGHT,
                           0.0)
            error, _ = linear_solve(self._multigrid, rhs, xp.zeros_like(rhs), self._loose)
        # finiteness, the step's heat flows, the stored energy change and the error estimate
        # reach the host in one transfer
        sums = [xp.sum(r, dtype=xp.float64) for r in (rate0, rate_mid, rate1)]
        stored = self._stored(capacity, conducting, final - start)
        finite, *values = (float(v) for v in to_host(xp.stack([
            xp.all(xp.isfinite(final)).astype(xp.float64), *sums, generated0, generated_mid,
            generated1, stored, xp.max(xp.abs(error)) if error is not None
            else xp.zeros((), dtype=xp.float64)])))
        if not finite:
            raise FloatingPointError(f"the temperature became non-finite in the step from "
                                     f"{t0:.6g} s; the state of {t0:.6g} s is kept")
        net0, net_mid, net1, gen0, gen_mid, gen1, stored, largest = values
        self.error = largest if error is not None else None
        w, d = STAGE_WEIGHT, END_WEIGHT
        self.audit.heat_in += dt * (w * (net0 + net_mid) + d * net1)
        self.audit.generated += dt * (w * (gen0 + gen_mid) + d * gen1)
        self.audit.stored_change += stored
        self.temperature = final
        self.time = t0 + dt if end is None else end

    def settle(self, time: float | None = None) -> None:
        """Replace the field by the steady state of the inputs at ``time`` [s] (default: the
        current time) and restart the energy audit from it."""
        time = self.time if time is None else time
        k, _ = self._properties()
        flux = _at(self.mass_flux, time)
        source = _at(self.heat_source, time)
        settings = ConductionSolve(linear=self.linear, tolerance=self.settings.tolerance,
                                   max_iterations=200, relaxation=self.settings.relaxation)
        boundaries = _at(self.boundaries, time)
        if flux is None:
            result = solve_conduction(self.grid, k, boundaries, source, settings,
                                      temperature=self.temperature)
        else:
            result = solve_energy(self.grid, k, boundaries, source, flux, self.cp, self.scheme,
                                  settings, temperature=self.temperature)
        self.temperature = self.xp.where(k > 0, result.temperature, self.temperature)
        k, capacity = self._properties()
        self.audit = EnergyAudit(initial_stored=float(self._stored(capacity, k > 0,
                                                                   self.temperature)))

    def balance(self) -> dict:
        """Heat flows [W] at the current state: generated, per boundary patch, and the rate of
        change of stored energy they imply (:func:`solver.models.energy.heat_balance`)."""
        k, _ = self._properties()
        flux = _at(self.mass_flux, self.time)
        if flux is not None:
            flux = check_mass_flux(self.grid, flux)
        boundaries = _at(self.boundaries, self.time)
        source = _at(self.heat_source, self.time)
        source = cell_array(self.grid, 0.0 if source is None else source, "heat_source")
        generated = float(self._generated(source, k > 0))
        terms = side_terms(self.grid, k, boundaries, flux, self.cp, self.scheme,
                           self.temperature)
        return heat_balance(generated, flows_from_terms(self.grid, self.temperature, boundaries,
                                                        terms))


@dataclass
class TransientHistory:
    """Monitors of a transient run, one record per step (and the initial state).

    Attributes
    ----------
    times : list of float
        [s] time of each record.
    records : list of dict
        The monitor values of each record (from the run's ``monitor`` function).
    steps : int
        Steps taken.
    linear_iterations : list of int
        Linear iterations of every stage solve.
    rejected : int
        Steps taken again, shorter, because their error estimate exceeded the tolerance.
    step, proposed_step : float or None
        [s] the last step taken and the error controller's proposal for the next one (None
        before the first step): a resumed run continues the step sequence with them.
    """

    times: list = field(default_factory=list)
    records: list = field(default_factory=list)
    steps: int = 0
    linear_iterations: list = field(default_factory=list)
    rejected: int = 0
    step: float | None = None
    proposed_step: float | None = None

    def series(self, name: str) -> list:
        """The values of monitor ``name`` over the records."""
        return [r[name] for r in self.records]


def run_transient(energy: TransientEnergy, steps, monitor: Callable | None = None,
                  breakpoints=(), progress=None, checkpoint=None, checkpoint_every: int = 0,
                  history: TransientHistory | None = None) -> TransientHistory:
    """Advance ``energy`` from its time to ``steps.end``.

    Parameters
    ----------
    energy : TransientEnergy
    steps : solver.numerics.time_steps.TimeSteps
        Step sequence; steps restart at ``initial`` on each breakpoint and land on it. With a
        ``tolerance`` [K] the step follows the filtered local error estimate of TR-BDF2
        (Hosea & Shampine 1996): ``dt_next = dt min(growth, max(0.2, 0.9 (tol/err)^(1/3)))``,
        and a step whose estimate exceeds the tolerance is taken again with that shorter step.
    monitor : callable, optional
        ``monitor(temperature, time) -> dict`` of host floats recorded after each step.
    breakpoints : sequence of float
        [s] times of jumps and kinks of the inputs (``solver.schedules.breakpoints``).
    progress : solver.progress.Progress, optional
        Receives ``(step, {}, {"t_s": t, **monitors}, fraction=steps done / steps in all)``
        after each step (monitors ending in ``_K`` shown in C).
    checkpoint : callable, optional
        ``checkpoint(energy, history, due)`` after every step; ``due`` every
        ``checkpoint_every`` steps and on landing on a breakpoint (the callback decides what
        to write).
    history : TransientHistory, optional
        The records so far of a resumed run (continued; its initial state is not recorded
        again).

    Returns
    -------
    TransientHistory
    """
    def record():
        history.times.append(energy.time)
        history.records.append(monitor(energy.temperature, energy.time) if monitor else {})

    if history is None:
        history = TransientHistory()
        record()
    breaks = tuple(b for b in breakpoints if b > energy.time)
    start = energy.time
    total = steps.count(breaks, energy.time)
    tolerance = steps.tolerance
    energy.estimate_error = tolerance is not None
    dt, proposed = history.step, history.proposed_step
    while energy.time < steps.end * (1 - 1e-12):
        dt = steps.next_step(energy.time, dt, breaks, proposed)
        landing = [b for b in breaks if abs(energy.time + dt - b) <= 1e-9 * dt]
        before = energy.state()
        energy.step(dt, landing[0] if landing else None)
        if tolerance is not None:
            # the usual controller of a second-order method: the error scales as dt^3
            factor = 0.9 * (tolerance / max(energy.error, 1e-300)) ** (1.0 / 3.0)
            proposed = dt * min(max(factor, MIN_STEP_FACTOR), max(steps.growth, 1.0))
            if energy.error > tolerance and dt > MIN_STEP_FRACTION * steps.initial:
                energy.load_state(before)
                history.rejected += 1
                continue
        history.steps += 1
        history.step, history.proposed_step = dt, proposed
        record()
        if progress is not None:
            shown = {(k[:-2] + "_C" if k.endswith("_K") else k):
                     (v - ZERO_CELSIUS if k.endswith("_K") else v)
                     for k, v in history.records[-1].items()}
            done = (history.steps / total if tolerance is None
                    else (energy.time - start) / max(steps.end - start, 1e-300))
            progress.update(history.steps, {}, {"t_s": energy.time, **shown}, fraction=done)
        if checkpoint is not None:
            checkpoint(energy, history,
                       bool(landing) or bool(checkpoint_every
                                             and history.steps % checkpoint_every == 0))
    history.linear_iterations = list(energy.linear_iterations)
    return history


def with_inlet_temperature(boundaries, temperature: float) -> list:
    """``boundaries`` with every inlet's temperature set to ``temperature`` [K]."""
    return [replace(b, temperature=temperature) if isinstance(b, Inlet) else b
            for b in boundaries]
