"""Time-accurate incompressible flow: second-order backward differences (BDF2) around the SIMPLEC
pressure-velocity iteration, the time step from a Courant-number target, and time averages of
the fields and monitors with a batch-means test of their statistical convergence.

Each step solves the fully implicit system

    rho V (c0 u^{n+1} + c1 u^n + c2 u^{n-1}) / dt + C(u^{n+1}) u^{n+1} - D u^{n+1}
        + G p^{n+1} = b,    div u^{n+1} = 0,

by SIMPLEC inner iterations until the scaled residuals fall below ``inner_tolerance``: the
inertia term on the diagonal makes that a few iterations per step. Convection (with its TVD
correction), diffusion and the pressure gradient are all taken at the new time level. BDF2 with
variable steps, ``omega = dt_n / dt_{n-1}`` (Hairer, Norsett & Wanner, *Solving Ordinary
Differential Equations I*, section III.5):

    c0 = (1 + 2 omega) / (1 + omega),  c1 = -(1 + omega),  c2 = omega^2 / (1 + omega);

the first step is backward Euler (its O(dt^2) local error keeps the global order at 2).
Variable-step BDF2 is zero-stable for omega < 1 + sqrt(2) (Grigorieff 1983); steps grow by at
most ``max_step_growth``. Proof of order 2 and of the time average of a steady flow:
``tests/models/test_flow_time.py`` (decaying Taylor-Green vortex, Taylor & Green 1937).

Units: s (time), m/s (velocity), Pa (pressure), kg/s (the inertia coefficients rho V / dt).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from solver.models.flow.simplec import FlowSolver
from solver.models.flow.solution import DivergenceError
from solver.models.flow.staggered import half_widths
from solver.numerics.statistics import MeanEstimate, batch_means


@dataclass(frozen=True)
class TimeSettings:
    """Settings of time-accurate flow (frozen; echoed into results).

    Parameters
    ----------
    cfl : float
        [-] target Courant number ``max |u| dt / dx`` of the adaptive time step.
    time_step : float, optional
        [s] fixed time step (overrides ``cfl``).
    max_step_growth : float
        [-] largest ratio of two consecutive steps (BDF2 is zero-stable below 2.414).
    inner_iterations : int
        [-] cap on the SIMPLEC iterations of one step.
    inner_tolerance : float
        [-] scaled continuity and momentum residuals at which a step has converged.
    start_up : float
        [-] flow-through times run before averaging starts (the start-up transient).
    later_start_up : float
        [-] the start-up of a run that starts from an earlier average (a later flow-energy
        pass of a cold plate whose coolant properties changed).
    min_average : float
        [-] flow-through times averaged at least.
    max_flow_through_times : float
        [-] flow-through times at most, start-up included.
    batches : int
        [-] batches of the batch-means confidence interval of each monitor's mean.
    average_tolerance : float
        [-] averaging stops when the 95 % confidence interval of every monitor's mean is within
        this fraction of the mean.
    """

    cfl: float = 1.0
    time_step: float | None = None
    max_step_growth: float = 1.2
    inner_iterations: int = 30
    inner_tolerance: float = 1e-5
    start_up: float = 2.0
    later_start_up: float = 1.0
    min_average: float = 3.0
    max_flow_through_times: float = 30.0
    batches: int = 10
    average_tolerance: float = 0.01

    def __post_init__(self):
        if self.cfl <= 0.0 or (self.time_step is not None and self.time_step <= 0.0):
            raise ValueError("cfl and time_step must be positive")
        if not 1.0 <= self.max_step_growth < 1.0 + math.sqrt(2.0):
            raise ValueError("max_step_growth must lie in [1, 2.414) (BDF2 zero-stability)")
        if self.inner_iterations < 1 or self.batches < 2:
            raise ValueError("inner_iterations must be >= 1 and batches >= 2")
        if (min(self.start_up, self.later_start_up, self.min_average) < 0.0
                or self.max_flow_through_times <= 0.0):
            raise ValueError("start-ups and min_average must be >= 0, max_flow_through_times > 0")
        if self.start_up + self.min_average > self.max_flow_through_times:
            raise ValueError("start_up + min_average exceed max_flow_through_times")


@dataclass(frozen=True)
class StepRecord:
    """One time step: ``time`` [s] at its end, ``dt`` [s], Courant number, inner iterations and
    the scaled residuals of its last inner iteration."""

    step: int
    time: float
    dt: float
    courant: float
    inner_iterations: int
    continuity: float
    momentum: float
    converged: bool
    seconds: float

    def as_dict(self) -> dict:
        """JSON/CSV-ready form."""
        return {"step": self.step, "time_s": self.time, "dt_s": self.dt,
                "courant": self.courant, "inner_iterations": self.inner_iterations,
                "continuity": self.continuity, "momentum": self.momentum,
                "converged": self.converged}


def _copies(arrays):
    """Copies of a list of arrays (None stays None)."""
    return None if arrays is None else [a.copy() for a in arrays]


class TimeStepper:
    """BDF2 time integration of a :class:`FlowSolver` (see the module docstring).

    Parameters
    ----------
    flow : FlowSolver
        Its current state is the initial condition at ``time = 0``.
    settings : TimeSettings, optional
    reference_velocity : float
        [m/s] velocity scale for the first step when the fluid starts at rest (a lid-driven
        cavity); the Courant number is measured on the current field otherwise.
    start_time : float
        [s] the clock at the initial condition.
    """

    def __init__(self, flow: FlowSolver, settings: TimeSettings | None = None,
                 reference_velocity: float = 0.0, start_time: float = 0.0):
        self.flow = flow
        self.xp = xp = flow.xp
        self.settings = settings or TimeSettings()
        self.reference_velocity = float(reference_velocity)
        self.time = float(start_time)
        self.steps = 0
        self.records: list[StepRecord] = []
        self._previous = None  # u^n
        self._before = None  # u^{n-1}
        self._saved_pressure = None
        self._last_step = None
        self._terms = [(xp.zeros(c.shape, dtype=flow.dtype), xp.zeros(c.shape, dtype=flow.dtype))
                       for c in flow.components]
        spacing = [1.0 / half_widths(flow.grid.widths[c.axis]) for c in flow.components]
        self._inverse_spacing = [flow.broadcast_line(s, c.axis) * c.active_f
                                 for s, c in zip(spacing, flow.components, strict=True)]
        self._finest = max(float(s.max()) for s in spacing)

    def restart(self) -> None:
        """Take the flow's current state as a new initial condition (next step: backward Euler)."""
        self._previous = self._before = self._last_step = None

    def state(self) -> dict:
        """A copy of the flow and of the stepper's history (for :meth:`load_state`)."""
        return {"time": self.time, "steps": self.steps, "records": len(self.records),
                "last_step": self._last_step, "previous": _copies(self._previous),
                "before": _copies(self._before), "velocity": _copies(self.flow.velocity),
                "pressure": self.flow.pressure.copy()}

    def load_state(self, state: dict) -> None:
        """Return to a state of :meth:`state` (a step taken again from there)."""
        self.time, self.steps, self._last_step = state["time"], state["steps"], \
            state["last_step"]
        del self.records[state["records"]:]
        self._previous, self._before = _copies(state["previous"]), _copies(state["before"])
        self.flow.set_state(state["velocity"], state["pressure"])

    def velocity_change(self) -> float:
        """[m/s] the largest change of a face velocity over the last step (0 before one)."""
        if self._before is None or self._previous is None:
            return 0.0
        xp = self.xp
        return float(xp.max(xp.stack([xp.max(xp.abs(new - old)) for new, old
                                      in zip(self._previous, self._before, strict=True)])))

    def courant_rate(self) -> float:
        """[1/s] largest ``|u| / dx`` over the unknown faces (Courant number per second)."""
        xp = self.xp
        return max(float(xp.max(xp.abs(u) * inverse))
                   for u, inverse in zip(self.flow.velocity, self._inverse_spacing, strict=True))

    def next_step(self) -> float:
        """[s] the next time step: fixed, or from the Courant target (growth limited)."""
        s = self.settings
        if s.time_step is not None:
            return s.time_step
        rate = max(self.courant_rate(), self.reference_velocity * self._finest)
        if rate <= 0.0:
            raise ValueError("the fluid is at rest: give a fixed time_step or a reference "
                             "velocity for the first time step")
        dt = s.cfl / rate
        if self._last_step is not None:
            dt = min(dt, s.max_step_growth * self._last_step)
        return dt

    def _coefficients(self, dt: float) -> tuple[float, float, float]:
        if self._before is None:
            return 1.0, -1.0, 0.0
        omega = dt / self._last_step
        return (1.0 + 2.0 * omega) / (1.0 + omega), -(1.0 + omega), omega**2 / (1.0 + omega)

    def step(self, dt: float | None = None) -> StepRecord:
        """Advance by one time step [s] (``next_step()`` when not given).

        Raises
        ------
        DivergenceError
            Non-finite residuals; the state at the start of the step is restored.
        """
        start = time.perf_counter()
        xp, flow, s = self.xp, self.flow, self.settings
        dt = self.next_step() if dt is None else float(dt)
        if self._previous is None:
            self._previous = [u.copy() for u in flow.velocity]
            self._saved_pressure = flow.pressure.copy()
        else:
            xp.copyto(self._saved_pressure, flow.pressure)
        c0, c1, c2 = self._coefficients(dt)
        for index, (comp, (inertia, source)) in enumerate(zip(flow.components, self._terms,
                                                              strict=True)):
            mass = flow.density * comp.volume / dt
            inertia[...] = c0 * mass
            xp.multiply(-c1 * mass, self._previous[index], out=source)
            if c2:
                source -= c2 * mass * self._before[index]
        flow.set_unsteady_terms(self._terms)
        converged = False
        inner = 0
        while inner < s.inner_iterations:
            inner += 1
            residuals = flow.iterate()
            if not all(np.isfinite((residuals.continuity, *residuals.momentum))):
                self._restore()
                raise DivergenceError(
                    f"time step {self.steps + 1} (t = {self.time:.4g} s, dt = {dt:.3g} s) "
                    "produced non-finite residuals. Likely cause: a time step too large for "
                    "the inner iteration (lower cfl or time_step). The state at the start of "
                    "the step is kept.", flow.iteration)
            if residuals.largest < s.inner_tolerance:
                converged = True
                break
        if self._before is None:
            self._before = [u.copy() for u in self._previous]
        else:
            for older, old in zip(self._before, self._previous, strict=True):
                xp.copyto(older, old)
        for old, u in zip(self._previous, flow.velocity, strict=True):
            xp.copyto(old, u)
        self.time += dt
        self.steps += 1
        self._last_step = dt
        record = StepRecord(self.steps, self.time, dt, self.courant_rate() * dt, inner,
                            residuals.continuity, max(residuals.momentum), converged,
                            time.perf_counter() - start)
        self.records.append(record)
        return record

    def _restore(self) -> None:
        xp, flow = self.xp, self.flow
        for u, old in zip(flow.velocity, self._previous, strict=True):
            xp.copyto(u, old)
        xp.copyto(flow.pressure, self._saved_pressure)
        flow.update_mass_flux()

    def finish(self) -> None:
        """Return the flow solver to steady mode (no time derivative)."""
        self.flow.set_unsteady_terms(None)


class TimeAverage:
    """Running time averages of the flow fields (face velocities, pressure) and of monitors.

    Parameters
    ----------
    flow : FlowSolver
        Supplies the array shapes; :meth:`add` reads its current state.
    """

    def __init__(self, flow: FlowSolver):
        xp = flow.xp
        self.flow = flow
        self._velocity = [xp.zeros_like(u) for u in flow.velocity]
        self._pressure = xp.zeros_like(flow.pressure)
        self.duration = 0.0
        self.weights: list[float] = []
        self.monitors: dict[str, list[float]] = {}

    def add(self, dt: float, monitors: Mapping[str, float]) -> None:
        """Accumulate the current state over ``dt`` [s] and one value of each monitor."""
        for total, u in zip(self._velocity, self.flow.velocity, strict=True):
            total += dt * u
        self._pressure += dt * self.flow.pressure
        self.duration += dt
        self.weights.append(dt)
        for name, value in monitors.items():
            self.monitors.setdefault(name, []).append(float(value))

    @property
    def velocity(self) -> list:
        """Time-averaged face velocities [m/s] on the flow region."""
        return [total / self.duration for total in self._velocity]

    @property
    def pressure(self):
        """Time-averaged cell pressure [Pa] on the flow region."""
        return self._pressure / self.duration

    def estimate(self, name: str, batches: int) -> MeanEstimate:
        """Mean of monitor ``name`` with its 95 % batch-means confidence interval."""
        return batch_means(self.monitors[name], self.weights, batches)


@dataclass
class TimeAveragedFlow:
    """Outcome of :func:`run_time_averaged`.

    ``velocity`` [m/s] and ``pressure`` [Pa] are time averages on the flow region;
    ``statistics`` maps each monitor to its :class:`MeanEstimate`; times are in s: ``time`` the
    run's length, ``averaged_time`` the part averaged, ``averaging_window`` its start and end on
    the stepper's clock; ``steps`` and ``inner_iterations`` count this run.
    """

    velocity: list
    pressure: object
    statistics: dict[str, MeanEstimate]
    converged: bool
    time: float
    averaged_time: float
    flow_through_time: float
    steps: int
    inner_iterations: int
    capped_steps: int
    averaging_window: tuple[float, float] = (0.0, 0.0)
    records: list[StepRecord] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-ready summary (no fields)."""
        return {"converged": self.converged, "time_s": self.time,
                "averaged_time_s": self.averaged_time,
                "flow_through_time_s": self.flow_through_time,
                "flow_through_times": self.time / self.flow_through_time,
                "averaging_window_s": list(self.averaging_window),
                "steps": self.steps, "inner_iterations": self.inner_iterations,
                "steps_at_inner_cap": self.capped_steps,
                "statistics": {n: e.as_dict() for n, e in self.statistics.items()}}


def run_time_averaged(stepper: TimeStepper, flow_through_time: float,
                      monitors: Mapping[str, Callable[[], float]] | None = None,
                      callback: Callable[[StepRecord, dict], None] | None = None,
                      progress=None, start_up: float | None = None) -> TimeAveragedFlow:
    """Step in time, discard the start-up, and average until the monitors' means are known.

    Runs ``settings.start_up`` flow-through times, then averages fields and monitors for at
    least ``settings.min_average`` flow-through times and until the 95 % batch-means confidence
    interval of every monitor's mean lies within ``settings.average_tolerance`` of it (checked
    every tenth of a flow-through time), or ``settings.max_flow_through_times`` are reached
    (then ``converged`` is False).

    Parameters
    ----------
    stepper : TimeStepper
    flow_through_time : float
        [s] the time unit of the run (a plate's coolant volume over its volumetric flow; a
        cavity's side over its lid speed).
    monitors : mapping of str to callable, optional
        Scalar monitors evaluated after every step (e.g. the pressure drop [Pa]).
    callback : callable, optional
        ``callback(record, monitor_values)`` after every step.
    start_up : float, optional
        [-] flow-through times before averaging, instead of ``settings.start_up``.
    progress : solver.progress.Progress, optional
        One line per step (with the time in flow-through times on the stepper's clock); its
        time left counts to the earliest end, then to the end that the narrowing of the
        confidence intervals (as one over the root of the averaged time) predicts.

    Returns
    -------
    TimeAveragedFlow
        The flow solver is left in steady mode at its last instantaneous state.
    """
    s = stepper.settings
    monitors = dict(monitors or {})
    period = float(flow_through_time)
    if not period > 0.0:
        raise ValueError("flow_through_time must be positive")
    origin, first_step = stepper.time, stepper.steps
    average_from = origin + (s.start_up if start_up is None else start_up) * period
    earliest_end = average_from + s.min_average * period
    latest_end = origin + s.max_flow_through_times * period
    expected_end = earliest_end
    average = TimeAverage(stepper.flow)
    statistics: dict[str, MeanEstimate] = {}
    converged = False
    last_check = -np.inf
    inner = capped = 0
    stepper.flow.start()
    try:
        while stepper.time < latest_end - 1e-9 * period:
            record = stepper.step(min(stepper.next_step(), latest_end - stepper.time))
            inner += record.inner_iterations
            capped += not record.converged
            values = {name: monitor() for name, monitor in monitors.items()}
            if stepper.time > average_from:
                average.add(record.dt, values)
            if callback is not None:
                callback(record, values)
            if progress is not None:
                progress.update(record.step, {"continuity": record.continuity,
                                              "momentum": record.momentum},
                                {"t_flow_through": stepper.time / period,
                                 "courant": record.courant, **values},
                                fraction=(stepper.time - origin) / (expected_end - origin))
            if (stepper.time >= earliest_end - 1e-9 * period
                    and stepper.time - last_check >= 0.1 * period
                    and len(average.weights) >= s.batches):
                last_check = stepper.time
                statistics = {name: average.estimate(name, s.batches) for name in monitors}
                worst = max((e.relative_half_width / s.average_tolerance
                             for e in statistics.values()), default=0.0)
                if worst <= 1.0:
                    converged = True
                    break
                # the interval narrows as 1/sqrt(averaged time): the end to expect
                expected_end = min(max(average_from + average.duration * worst**2,
                                       stepper.time), latest_end)
    finally:
        stepper.finish()
    if average.duration == 0.0:
        raise ValueError("the run ended before averaging started (start_up too long)")
    if not converged and len(average.weights) >= s.batches:
        # (a converged run stopped right after estimating them)
        statistics = {name: average.estimate(name, s.batches) for name in monitors}
    return TimeAveragedFlow(average.velocity, average.pressure, statistics, converged,
                            stepper.time - origin, average.duration, period,
                            stepper.steps - first_step, inner, capped,
                            (stepper.time - average.duration, stepper.time),
                            stepper.records[first_step:])
