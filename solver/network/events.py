"""What happens to a network in time: boundary schedules and discrete pump events.

- :class:`BoundarySchedules`: plate and heat-load powers [W], boundary supply temperatures [K]
  and facility flows [kg/s] as numbers or :class:`solver.schedules.Schedule` objects (a
  synchronized power step of every plate, a facility supply temperature rising, facility water
  lost as a flow falling to 0).
- :class:`PumpTrip` / :class:`PumpStart`: a pump's motor loses power at ``time`` (it then coasts
  down on its inertia) or is switched on (a standby pump started after a delay follows its drive
  up to speed). "All pumps lost" is a trip of every pump.
- :class:`PlateBlocking`: a cold plate's flow area closes by a fraction at ``time`` (debris,
  a kinked hose): its dP(Q) is scaled by ``1 / (1 - fraction)^2`` from then on.

The time integrator lands a step on every schedule breakpoint and event time
(:func:`step_times`); within a step a schedule is evaluated at the step's midpoint, so a jump at
a breakpoint acts exactly from that breakpoint on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solver.network.errors import NetworkError
from solver.schedules import as_schedule, breakpoints


@dataclass(frozen=True)
class BoundarySchedules:
    """Time-dependent boundary values of a network (each a number or a ``Schedule``).

    Parameters
    ----------
    powers : dict
        Cold plate or heat load name -> heat added to the coolant [W].
    temperatures : dict
        Pressure or flow boundary name -> temperature of the fluid entering there [K].
    flows : dict
        Flow boundary name -> mass flow into the network [kg/s].
    coolant_heat : dict
        Cold plate name -> heat entering its coolant [W] where that differs from the chip's
        power (``powers``): the coolant heat of a plate solved in 3D in time, whose solids
        store part of the power on the way.
    """

    powers: dict = field(default_factory=dict)
    temperatures: dict = field(default_factory=dict)
    flows: dict = field(default_factory=dict)
    coolant_heat: dict = field(default_factory=dict)

    def validate(self, network):
        """Raise NetworkError for names that are not a heated branch or a boundary."""
        heated = {b.name for b in network.branches if b.kind in ("cold_plate", "heat_load")}
        for name in self.powers:
            if name not in heated:
                raise NetworkError(f"power schedule for '{name}': not a cold plate or heat "
                                   "load of the network")
        for name in self.coolant_heat:
            if name not in {b.name for b in network.branches if b.kind == "cold_plate"}:
                raise NetworkError(f"coolant heat schedule for '{name}': not a cold plate of "
                                   "the network")
        ends = {x.name for x in network.pressure_boundaries + network.flow_boundaries}
        for name in self.temperatures:
            if name not in ends:
                raise NetworkError(f"temperature schedule for '{name}': not a pressure or "
                                   "flow boundary of the network")
        for name in self.flows:
            if name not in {fb.name for fb in network.flow_boundaries}:
                raise NetworkError(f"flow schedule for '{name}': not a flow boundary of the "
                                   "network")

    def all(self):
        """Every schedule (for their breakpoints)."""
        return [as_schedule(s) for group in (self.powers, self.temperatures, self.flows,
                                             self.coolant_heat)
                for s in group.values()]


@dataclass(frozen=True)
class PumpTrip:
    """The motor of pump ``pump`` loses power at ``time`` [s]; the pump coasts down."""

    pump: str
    time: float


@dataclass(frozen=True)
class PumpStart:
    """Pump ``pump`` is switched on at ``time`` [s] (a standby start: trip time + delay)."""

    pump: str
    time: float


@dataclass(frozen=True)
class PlateBlocking:
    """Cold plate ``plate`` loses ``fraction`` of its flow area at ``time`` [s]: its dP(Q) is
    multiplied by ``1 / (1 - fraction)^2`` (the same flow through the rest; R(Q) unchanged)."""

    plate: str
    time: float
    fraction: float

    def __post_init__(self):
        if not 0.0 <= self.fraction < 1.0:
            raise NetworkError(f"plate blocking of '{self.plate}': fraction must be in [0, 1), "
                               f"got {self.fraction}")

    def apply(self, network):
        """Scale the plate's pressure drops in ``network`` (edited in place)."""
        i = network.branch_index(self.plate)
        plate = network.branches[i]
        if plate.kind != "cold_plate":
            raise NetworkError(f"plate blocking: '{self.plate}' is a {plate.kind}, not a cold "
                               "plate")
        factor = 1.0 / (1.0 - self.fraction) ** 2
        network.replace_branch(self.plate, pressure_drops=tuple(
            p * factor for p in plate.pressure_drops))


def step_times(duration, dt, schedules=(), events=()):
    """Step end times [s] in ``(0, duration]``: every ``dt`` [s] plus breakpoints and events.

    Times closer than ``1e-9 dt`` to a kept time are merged into it.
    """
    if not duration > 0.0 or not dt > 0.0:
        raise NetworkError(f"need duration > 0 and dt > 0, got {duration} and {dt}")
    count = int(np.ceil(duration / dt - 1e-9))
    grid = np.minimum(dt * np.arange(1, count + 1), duration)
    extra = list(breakpoints(schedules, duration)) + [e.time for e in events
                                                       if 0.0 < e.time <= duration]
    times = np.unique(np.concatenate([grid, np.asarray(extra, dtype=float)]))
    keep = np.concatenate([[True], np.diff(times) > 1e-9 * dt])
    times = times[keep]
    if times[0] < 1e-9 * dt:
        times = times[1:]
    return times


__all__ = ["BoundarySchedules", "PumpTrip", "PumpStart", "PlateBlocking", "step_times"]
