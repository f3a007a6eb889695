"""Pumps in time: rotor inertia on a trip, the drive on a start, N+1 units with check valves.

A powered pump follows its drive: the speed command (fixed, or a PI controller's output) is
rate-limited by the VFD ramp ``ramp_rate`` [1/s] and the rotor follows that reference through a
first-order motor lag ``motor_time_constant`` [s] (backward Euler; 0 follows it exactly). The
drive is assumed to have the torque to do so.

An unpowered pump (tripped, or all pumps lost) coasts down on its inertia against the hydraulic
torque of the flow it still moves, per unit

    J d(omega)/dt = -tau_h,   tau_h = Q dp / (eta(Q) omega)                       [N m]

with ``Q`` [m3/s] and ``dp`` [Pa] the unit's flow and pressure rise from the quasi-steady
hydraulics and ``eta`` the pump efficiency at the affinity-similar point. On a fixed quadratic
system curve the operating point stays similar (Q ~ omega, dp ~ omega^2, eta constant), so
``tau_h = k omega^2`` with ``k = P0 / omega0^3`` (``P0`` the shaft power at ``omega0``), and

    omega(t) = omega0 / (1 + t / t_c),   t_c = J / (k omega0) = J omega0^2 / P0     [s]

(twice the rotor's kinetic energy over its shaft power). The step linearises the torque about
the current speed with that affinity slope, ``tau_h(omega_new) ~ tau_n (1 + 2 (omega_new -
omega_n) / omega_n)``, and takes a backward-Euler step (first order, unconditionally stable).
Below :data:`STOPPED_SPEED` the coasting unit is taken as stopped: the branch closes (its head
is then below 1e-4 of rated). Bearing and disc friction are not modelled, so a coasting unit
whose check valve has closed keeps its speed (it no longer affects the flows).

Check valves keep a stopped or slower pump from back-flowing: :func:`split_pump_group` turns a
group of ``count`` identical pumps into ``count`` single-pump branches, each followed by a
:class:`~solver.network.components.CheckValve`, so units can trip and start independently.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from solver.network.components import CheckValve, Pump
from solver.network.errors import NetworkError
from solver.network.graph import Node

STOPPED_SPEED = 0.01  # [-] relative speed below which a coasting pump is taken as stopped
RATED_SPEED = 2.0 * np.pi * 3000.0 / 60.0  # [rad/s] a two-pole motor on 50 Hz


@dataclass(frozen=True)
class PumpDrive:
    """Rotor and drive of pump branch ``pump`` (all its running units alike).

    Parameters
    ----------
    pump : str
        Pump branch name.
    inertia : float
        [kg m2] rotating inertia of one unit (motor rotor, shaft, impeller, entrained water).
    rated_speed : float
        [rad/s] shaft speed at relative speed 1 (the datasheet speed).
    ramp_rate : float | None
        [1/s] VFD ramp: largest change of relative speed per second (None: no limit).
    motor_time_constant : float
        [s] first-order lag of the rotor behind the ramped reference (0: none).
    command : float | None
        [-] relative speed the drive runs at when powered (None: the pump's speed at t = 0,
        or 1 for a standby pump); a PI controller overrides it.
    """

    pump: str
    inertia: float
    rated_speed: float = RATED_SPEED
    ramp_rate: float | None = 0.5
    motor_time_constant: float = 0.0
    command: float | None = None

    def __post_init__(self):
        if not self.inertia > 0.0 or not self.rated_speed > 0.0:
            raise NetworkError(f"pump drive '{self.pump}': inertia and rated_speed must be "
                               "positive")
        if self.ramp_rate is not None and not self.ramp_rate > 0.0:
            raise NetworkError(f"pump drive '{self.pump}': ramp_rate must be positive or None")
        if self.motor_time_constant < 0.0:
            raise NetworkError(f"pump drive '{self.pump}': motor_time_constant must be >= 0")


@dataclass
class DriveState:
    """The moving state of one drive: relative speeds [-] and whether the motor is powered."""

    drive: PumpDrive
    index: int  # branch index of the pump
    units: int  # units the drive turns
    speed: float  # rotor speed
    reference: float  # ramped speed reference
    command: float
    powered: bool

    def start(self):
        """Power the motor: the reference ramps from the present rotor speed."""
        self.powered = True
        self.reference = self.speed

    def trip(self):
        """Cut the motor's power: the rotor coasts."""
        self.powered = False


def start_drives(network, drives):
    """Drive states at t = 0 from the pumps' speeds and running counts."""
    states = []
    for drive in drives:
        i = network.branch_index(drive.pump)
        pump = network.branches[i]
        if pump.kind != "pump":
            raise NetworkError(f"pump drive '{drive.pump}': component is a {pump.kind}, not a "
                               "pump")
        running = pump.running > 0
        command = drive.command if drive.command is not None else (
            pump.speed if running else 1.0)
        speed = pump.speed if running else 0.0
        states.append(DriveState(drive, i, pump.running if running else pump.count, speed,
                                 speed, float(command), running))
    if len({s.index for s in states}) != len(states):
        raise NetworkError("two pump drives name the same pump")
    return states


def hydraulic_torque(state, pump, mass_flow, pressure_drop, density):
    """Torque [N m] the flow takes from one unit's shaft (0 when the unit moves no flow).

    ``pressure_drop`` [Pa] is the branch's (negative for a pump), ``mass_flow`` [kg/s] the
    group's, ``density`` [kg/m3].
    """
    if pump.running == 0 or state.speed <= 0.0:
        return 0.0
    q = max(float(mass_flow), 0.0) / density
    power = q * max(-float(pressure_drop), 0.0) / pump.efficiency(q)
    return power / (state.units * state.speed * state.drive.rated_speed)


def advance_drive(state, dt, torque):
    """Advance the rotor speed over ``dt`` [s] with the hydraulic torque [N m] at its start."""
    drive = state.drive
    if state.powered:
        step = state.command - state.reference
        if drive.ramp_rate is not None:
            step = float(np.clip(step, -drive.ramp_rate * dt, drive.ramp_rate * dt))
        state.reference += step
        if drive.motor_time_constant > 0.0:
            lag = dt / drive.motor_time_constant
            state.speed = (state.speed + lag * state.reference) / (1.0 + lag)
        else:
            state.speed = state.reference
        return
    if state.speed <= 0.0 or torque <= 0.0:
        return
    omega = state.speed * drive.rated_speed
    omega_new = omega - dt * torque / (drive.inertia + 2.0 * dt * torque / omega)
    state.speed = omega_new / drive.rated_speed


def apply_drive(network, state):
    """Set the pump branch to the drive's speed; True when the branch changed.

    Below :data:`STOPPED_SPEED` the branch is closed (``running = 0``).
    """
    pump = network.branches[state.index]
    running = state.units if state.speed >= STOPPED_SPEED else 0
    speed = max(state.speed, STOPPED_SPEED)
    if running == pump.running and (running == 0 or speed == pump.speed):
        return False
    network.replace_branch(pump.name, speed=speed, running=running)
    return True


def split_pump_group(network, name, check_valve_kv=None):
    """Replace pump group ``name`` by one branch per unit, each followed by a check valve.

    Unit ``k`` is ``<name>.<k>`` from the group's inlet to node ``<name>.<k>.out``, then check
    valve ``<name>.<k>.check`` to the group's outlet. The first ``running`` units run at the
    group's speed, the others are standby (``running = 0``).

    Parameters
    ----------
    network : Network
        Edited in place.
    name : str
        Pump group name.
    check_valve_kv : float | None
        [m3/h at 1 bar] forward Kv of each check valve (None: 10 kPa at the pump's largest
        datasheet flow, at 1000 kg/m3).

    Returns
    -------
    list of str
        The unit names.
    """
    i = network.branch_index(name)
    group = network.branches[i]
    if not isinstance(group, Pump):
        raise NetworkError(f"'{name}' is a {group.kind}, not a pump group")
    kv = check_valve_kv if check_valve_kv is not None else (
        group.flows[-1] * 3600.0 / np.sqrt(0.1))
    inlet = next(n for n in network.nodes if n.name == group.inlet)
    units, branches = [], []
    for k in range(group.count):
        unit = f"{name}.{k}"
        network.nodes.append(Node(f"{unit}.out", inlet.position, inlet.fluid))
        branches += [replace(group, name=unit, outlet=f"{unit}.out", count=1,
                             running=int(k < group.running)),
                     CheckValve(f"{unit}.check", f"{unit}.out", group.outlet, kv=kv)]
        units.append(unit)
    network.branches[i:i + 1] = branches
    network.replace_branch(units[0])  # the branch list changed: drop the compiled arrays
    return units


__all__ = ["PumpDrive", "DriveState", "STOPPED_SPEED", "RATED_SPEED", "start_drives",
           "hydraulic_torque", "advance_drive", "apply_drive", "split_pump_group"]
