"""The coolant flow of a cold plate in time, for the plate's energy in time.

:class:`PlateFlowInTime` advances the plate's flow solver with BDF2
(:mod:`solver.models.flow.time_stepping`) while its inlet flow follows a schedule, and serves
the face mass fluxes [kg/s] of the time the energy integrator asks for
(:class:`solver.models.energy.transient.TransientEnergy` takes it as its ``mass_flux(t)``).

Model
-----
* **Inlet.** Every inlet keeps the velocity profile of its boundary condition, scaled by
  ``inlet flow(t) / design flow`` and imposed at the new time level of each flow step.
* **Flow steps** follow the Courant target of :class:`TimeSettings` and land on every time the
  energy integrator asks for: an interval is split into equal steps, none longer than the
  Courant step.
* **Settled flow.** While the inlet flow holds, the flow approaches its steady state
  geometrically: with ``d_n`` the largest change of a face velocity over step ``n`` and
  ``r = d_n / d_(n-1) < 1``, the change still to come is about ``d_n r / (1 - r)``. When that is
  below ``settle_tolerance`` times the largest face speed, the flow is settled: the steady
  flow is solved from there (to the steady tolerance, which the inner iterations of a time step
  do not reach) and held, without steps,
  until the inlet flow changes again (a breakpoint of its schedule or a new value), and starts
  again with backward Euler. A flow that never settles (vortex shedding) is stepped throughout.
* **Steps taken again.** A time earlier than the flow's (an energy step rejected by the error
  control) restores the flow saved at the latest earlier time it was asked for, and steps again.
* **Start.** When the inlet flow at ``t = 0`` differs from the flow the plate was solved at, the
  steady flow at the ``t = 0`` inlet flow is solved first.

Units: s (time), kg/s (mass flows and face mass fluxes).
"""

from __future__ import annotations

import math

from solver.models.flow.time_stepping import TimeSettings, TimeStepper
from solver.schedules import Schedule

# snapshots kept for steps taken again: the start of an energy step and its middle stage
SNAPSHOTS = 3
# [-] scaled continuity and momentum residuals of a steady flow solved here (the steady cold
# plate stops on its monitors, near 1e-8 on the test plates)
STEADY_RESIDUAL = 1e-9


class PlateFlowInTime:
    """A cold plate's flow stepped in time along its inlet flow (see the module docstring).

    Parameters
    ----------
    plate : solver.models.coldplate.ColdPlate
        The plate, its steady flow solved at ``design_flow``.
    inlet_flow : solver.schedules.Schedule
        [kg/s] the inlet mass flow in time (its breakpoints: where it jumps or kinks).
    design_flow : float
        [kg/s] the mass flow of the plate's boundary conditions (its steady solve).
    settings : TimeSettings, optional
        Courant target and inner iterations of the flow steps.
    settle_tolerance : float
        [-] velocity change still to come, relative to the largest face speed, at which the
        flow counts as settled.
    """

    def __init__(self, plate, inlet_flow: Schedule, design_flow: float,
                 settings: TimeSettings | None = None, settle_tolerance: float = 1e-4):
        self.plate = plate
        self.settle_tolerance = float(settle_tolerance)
        self._last_change = None  # [m/s] the velocity change of the last flow step
        self.inlet_flow = inlet_flow
        self.design_flow = float(design_flow)
        self.stepper = TimeStepper(plate.flow, settings or TimeSettings())
        self.settled = True
        self.factor = 1.0
        self.flow_steps = self.inner_iterations = 0
        self._snapshots: list[tuple[float, dict, bool, float]] = []
        start = self._factor_at(0.0)
        if abs(start - 1.0) > 1e-12:
            self._set_factor(start)
            if not self._solve_steady():
                raise ValueError(f"the steady flow at the t = 0 inlet flow "
                                 f"({start * self.design_flow:.4g} kg/s) did not converge")

    # -- the energy integrator's view ------------------------------------------------------
    def __call__(self, time: float) -> tuple:
        """[kg/s] the plate's face mass fluxes (full grid) at ``time`` [s]."""
        self.advance(time)
        return self.plate.face_mass_flux()

    # -- stepping ----------------------------------------------------------------------------
    def _factor_at(self, time: float) -> float:
        return float(self.inlet_flow(time)) / self.design_flow

    def _set_factor(self, factor: float) -> None:
        self.plate.flow.scale_inflow(factor)
        self.factor = factor

    def _close(self, a: float, b: float) -> bool:
        return abs(a - b) <= 1e-12 * max(1.0, abs(a), abs(b))

    def _changes(self, start: float, end: float) -> bool:
        """Whether the inlet flow changes over ``(start, end]`` [s]."""
        return (any(start < b for b in self.inlet_flow.breakpoints(end))
                or not self._close(self._factor_at(end), self.factor))

    def _save(self) -> None:
        time = self.stepper.time
        if self._snapshots and self._close(self._snapshots[-1][0], time):
            return
        self._snapshots.append((time, self.stepper.state(), self.settled, self.factor))
        del self._snapshots[:-SNAPSHOTS]

    def _restore(self, time: float) -> None:
        earlier = [s for s in self._snapshots if s[0] <= time or self._close(s[0], time)]
        if not earlier:
            raise ValueError(f"the flow cannot go back to t = {time:.6g} s: it is at "
                             f"{self.stepper.time:.6g} s and kept no earlier state")
        saved_time, state, settled, factor = earlier[-1]
        self._snapshots = [s for s in self._snapshots if s[0] <= saved_time]
        self.stepper.load_state(state)
        self.settled = settled
        self._set_factor(factor)
        self.stepper.restart()

    def advance(self, time: float) -> None:
        """Bring the flow to ``time`` [s] (back to a saved state first if it is earlier)."""
        stepper = self.stepper
        if time < stepper.time and not self._close(time, stepper.time):
            self._restore(time)
        if not self._close(stepper.time, time) and stepper.time < time:
            self._save()
        while not self._close(stepper.time, time) and stepper.time < time:
            now = stepper.time
            if self.settled and not self._changes(now, time):
                stepper.time = time  # steady: the flow holds
                break
            if self.settled:
                self.settled = False
                self._last_change = None
                stepper.restart()
            largest = stepper.next_step()
            count = max(1, math.ceil((time - now) / largest * (1.0 - 1e-9)))
            dt = (time - now) / count
            factor = self._factor_at(now + dt)
            changed = not self._close(factor, self.factor)
            if changed:
                self._set_factor(factor)
            record = stepper.step(dt)
            if self._close(stepper.time, time):
                stepper.time = time
            self.flow_steps += 1
            self.inner_iterations += record.inner_iterations
            # once settled, the last of the approach and the inner tolerance's bias are
            # solved away to the steady tolerance (stepping goes on if that fails)
            self.settled = self._settling(changed) and self._solve_steady()

    def _solve_steady(self) -> bool:
        """Solve the steady flow from the current state to scaled residuals below
        ``STEADY_RESIDUAL``; True when it got there."""
        self.stepper.finish()
        limit = self.plate.settings.flow.max_iterations
        return bool(self.plate.flow.solve(
            max_iterations=limit,
            callback=lambda residuals, _: residuals.largest < STEADY_RESIDUAL).converged)

    def _settling(self, changed: bool) -> bool:
        """Whether the velocity change still to come is below the tolerance (two host
        transfers: the last step's largest change and the largest speed; see the module
        docstring)."""
        change, last = self.stepper.velocity_change(), self._last_change
        self._last_change = None if changed else change
        if changed or last is None or not change < last:
            return False
        ratio = change / last
        xp = self.plate.xp
        speed = float(xp.max(xp.stack([xp.max(xp.abs(u)) for u in self.plate.flow.velocity])))
        return change * ratio / (1.0 - ratio) < self.settle_tolerance * speed

    # -- checkpoints -------------------------------------------------------------------------
    def state(self) -> dict:
        """Arrays (``u``, ``v``, ``w`` [m/s], ``pressure`` [Pa]) and scalars of the flow now."""
        flow = self.plate.flow
        u, v, w = flow.velocity
        return {"u": u, "v": v, "w": w, "pressure": flow.pressure,
                "time": self.stepper.time, "settled": self.settled, "factor": self.factor}

    def state_at(self, time: float) -> dict:
        """:meth:`state` at ``time`` [s]: now, or the saved state of that time (the start of an
        energy step that an interrupt cut short)."""
        if self._close(self.stepper.time, time):
            return self.state()
        for saved_time, saved, settled, factor in self._snapshots:
            if self._close(saved_time, time):
                u, v, w = saved["velocity"]
                return {"u": u, "v": v, "w": w, "pressure": saved["pressure"],
                        "time": saved_time, "settled": settled, "factor": factor}
        raise ValueError(f"the flow kept no state at t = {time:.6g} s")

    def load_state(self, state: dict) -> None:
        """Continue from a :meth:`state` (the next flow step starts with backward Euler)."""
        self._set_factor(float(state["factor"]))
        self.plate.flow.set_state([state[name] for name in ("u", "v", "w")], state["pressure"])
        self.stepper.time = float(state["time"])
        self.stepper.restart()
        self.settled = bool(state["settled"])
        self._snapshots = []

    def finish(self) -> None:
        """Return the flow solver to steady mode."""
        self.stepper.finish()
