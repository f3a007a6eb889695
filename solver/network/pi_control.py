"""Controls in time: a discrete PI controller acting on a steady control's actuator.

The steady controls (:mod:`~solver.network.controls`) say *what* is measured and *which*
actuator moves; in time they act through :class:`PIControl`, a proportional-integral controller
sampled once per time step (like a digital controller whose sample time is the step):

    e = setpoint - measured,   u = u0 + K (e + I / T_i),   I = integral of e dt,
    u clipped to the actuator range [u_min, u_max]

with ``u0`` the actuator at t = 0 (a bumpless start) and the measurement taken at the start of
the step (the hydraulics are quasi-steady, so the controller sees the plant one step late).
The gain ``K`` is signed: positive when raising the actuator raises the measured value (pump
speed -> flow or differential pressure), negative otherwise (facility flow or valve opening ->
TCS supply temperature).

Anti-windup by conditional integration (clamping): the error is integrated only while the
output it would give stays inside the actuator range (at most up to the integral that puts it on
the limit), or when the error drives the output back into it. A saturated controller therefore
holds a bounded integral and leaves the limit as soon as the error changes sign.

Pump speed controls command the drives (:class:`~solver.network.pump_drive.PumpDrive`), whose
ramp and motor lag the speed then follows; valve openings and facility flows act at once (the
valve stroke time is not modelled).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.network.controls import PumpSpeedControl
from solver.network.errors import NetworkError
from solver.schedules import as_schedule


@dataclass(frozen=True)
class PIControl:
    """A steady control driven in time by a PI controller.

    Parameters
    ----------
    control : PumpSpeedControl | SupplyTemperatureControl
        Measured quantity, setpoint, actuator and its range.
    gain : float
        [actuator unit per measured unit] proportional gain K (signed, see module doc).
    integral_time : float
        [s] integral (reset) time T_i.
    setpoint : float | Schedule | None
        Setpoint in time in the control's unit (None: the control's own ``setpoint``).
    drives : tuple of str
        Pumps whose drive takes the speed command (default: the control's pump); name every
        unit of an N+1 group so that a standby unit starts at the controller's speed.
    anti_windup : bool
        Conditional integration (True); False integrates always (only to show windup).
    """

    control: object
    gain: float
    integral_time: float
    setpoint: object = None
    drives: tuple = ()
    anti_windup: bool = True

    def __post_init__(self):
        if not self.integral_time > 0.0:
            raise NetworkError(f"PI control '{self.control.name}': integral_time must be > 0")

    @property
    def name(self):
        """The control's name."""
        return self.control.name

    def setpoint_at(self, t):
        """Setpoint at time ``t`` [s]."""
        return as_schedule(self.setpoint if self.setpoint is not None
                           else self.control.setpoint)(t)

    def driven_pumps(self):
        """Pump names whose drives this control commands (empty for other actuators)."""
        if not isinstance(self.control, PumpSpeedControl):
            return ()
        return tuple(self.drives) or (self.control.pump,)


@dataclass
class PIState:
    """The moving state of one PI controller."""

    pi: PIControl
    bias: float  # u0, the actuator at t = 0
    integral: float = 0.0  # [measured unit * s]
    output: float = 0.0

    def update(self, error, dt):
        """New actuator value after a step ``dt`` [s] with error ``setpoint - measured``."""
        pi = self.pi
        low, high = pi.control.bounds()
        proposed = self.integral + error * dt
        free = self.bias + pi.gain * (error + proposed / pi.integral_time)
        if not pi.anti_windup or low <= free <= high:
            self.integral = proposed
        elif (free > high) == (pi.gain * error < 0.0):
            self.integral = proposed  # the error drives the output back into its range
        else:
            # integrate only up to the integral that puts the output on the limit
            limit = high if free > high else low
            at_limit = pi.integral_time * ((limit - self.bias) / pi.gain - error)
            if min(self.integral, proposed) <= at_limit <= max(self.integral, proposed):
                self.integral = at_limit
        self.output = float(np.clip(self.bias + pi.gain * (error + self.integral
                                                           / pi.integral_time), low, high))
        return self.output


@dataclass
class PlantState:
    """What the controllers measure at one instant (the interface of a steady solution)."""

    network: object
    mass_flow: np.ndarray  # (nb,) [kg/s]
    pressure: np.ndarray  # (nn,) [Pa]
    node_temperature: np.ndarray  # (nn,) [K]
    density: np.ndarray  # (nb,) [kg/m3]

    @property
    def volumetric_flow(self):
        """Branch volumetric flows [m3/s]."""
        return self.mass_flow / self.density

    def node_pressure(self, name):
        """Pressure [Pa] of node ``name``."""
        return float(self.pressure[self.network.node_index(name)])

    def temperature(self, name):
        """Temperature [K] of node ``name``."""
        return float(self.node_temperature[self.network.node_index(name)])


class Controllers:
    """The PI controls of a run: sample, update, command drives and set actuators."""

    def __init__(self, network, controls, drive_states, schedules):
        by_pump = {state.drive.pump: state for state in drive_states}
        self.states = []
        for pi in controls:
            pi.control.validate(network)
            for pump in pi.driven_pumps():
                if pump not in by_pump:
                    raise NetworkError(f"PI control '{pi.name}': pump '{pump}' has no "
                                       "PumpDrive")
            boundary = getattr(pi.control, "flow_boundary", "")
            if boundary and boundary in schedules.flows:
                raise NetworkError(f"PI control '{pi.name}' and a flow schedule both set flow "
                                   f"boundary '{boundary}'")
            pumps = pi.driven_pumps()
            bias = by_pump[pumps[0]].command if pumps else pi.control.current(network)
            self.states.append(PIState(pi, float(bias), output=float(bias)))
        self.by_pump = by_pump

    def update(self, network, plant, t, dt):
        """Sample at ``t`` [s] and act for the step ``dt`` [s]; True when the network changed."""
        changed = False
        for state in self.states:
            pi = state.pi
            value = state.update(pi.setpoint_at(t) - pi.control.measure(plant), dt)
            for pump in pi.driven_pumps():
                self.by_pump[pump].command = value
            if not pi.driven_pumps() and value != pi.control.current(network):
                pi.control.apply(network, value)
                changed = True
        return changed

    def outputs(self):
        """Control name -> actuator value."""
        return {state.pi.name: state.output for state in self.states}


__all__ = ["PIControl", "PIState", "PlantState", "Controllers"]
