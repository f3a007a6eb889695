"""Time integration of the network: quasi-steady hydraulics, implicit coolant temperatures.

Each step from ``t_n`` to ``t_n+1``:

1. events at or before ``t_n`` fire (pump trips and starts, plate blockings);
2. PI controllers sample the state at ``t_n`` and move their actuators
   (:mod:`~solver.network.pi_control`: pump speed commands, valve openings, facility flows);
3. pump rotors advance (:mod:`~solver.network.pump_drive`: a powered pump follows its drive, an
   unpowered one coasts down on its inertia against the hydraulic torque at ``t_n``);
4. boundary schedules are evaluated at the step midpoint (powers, supply temperatures,
   facility flows, and the coolant heat of plates solved in 3D where given; steps land on every
   breakpoint, so a jump acts exactly from its time on);
5. the hydraulics are solved quasi-steadily (the flow settles in well under a second) with
   :func:`~solver.network.hydraulics.solve_hydraulics`, warm-started from the previous step,
   and only when an actuator or boundary flow changed;
6. coolant temperatures advance by one backward-Euler step, with the branch heat inputs at the
   step midpoint plus the pumps' shaft power on the step's flows (``CoupledSolve.pump_heat``
   of the steady settings, :func:`~solver.network.thermal.pump_heat`)
   (:func:`~solver.network.thermal_transient.thermal_step`: capacity, upwind transport,
   mixing, quasi-steady exchanger);
7. chip temperatures follow from the plates' steady resistance, or from a dynamic model
   (:class:`DynamicChip`).

Fluid properties (density, viscosity, specific heat per loop) are those of the initial steady
state (:func:`~solver.network.solve.solve_network`, or
:func:`~solver.network.controls.solve_with_controls` at the controllers' setpoints when there
are PI controls) and are held for the run, which keeps the discrete energy balance exact. The
run starts from that steady state, or from a uniform temperature.

Chip temperature from the steady curve. With ``C = |m| cp`` the plate's heat-capacity flow and
``T_plate`` its coolant (one well-mixed cell, equal to its outlet),

    T_chip = T_plate + max(R(Q) - 1 / C, 0) P

which is the steady OCP metric ``T_inlet + R(Q) P`` whenever ``R(Q) >= 1 / C`` (at a steady
state ``T_plate = T_inlet + P / C``), and stays at the plate coolant temperature when the flow
stops, so a stalled plate heats its chip. ``R`` is evaluated at the flow, but not below the
lowest flow of the plate's R(Q) curve (no extrapolation).

Chip temperature from a dynamic model (:class:`DynamicChip`): ``T_inlet + rise(state)``. With
``follows_flow`` the model's rise is scaled by ``R(Q) / R_model`` (``R_model`` its steady
resistance, e.g. a Foster network's ``sum R_i`` characterised at one flow), so its time constants
are kept while its steady part follows the plate's R(Q) curve as the flow changes, and the chip
is never below the plate's coolant: ``T_chip = max(T_inlet + R(Q) / R_model rise, T_plate)``
(a stalled plate heats its chip as in the steady case).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from solver.network.controls import solve_with_controls
from solver.network.errors import NetworkError
from solver.network.events import (
    BoundarySchedules,
    PlateBlocking,
    PumpStart,
    PumpTrip,
    step_times,
)
from solver.network.hydraulics import HydraulicSolve, solve_hydraulics, state_vector
from solver.network.pi_control import Controllers, PlantState
from solver.network.pump_drive import advance_drive, apply_drive, hydraulic_torque, start_drives
from solver.network.solve import CoupledSolve, solve_network
from solver.network.thermal import pump_heat
from solver.network.thermal_transient import (
    CellLayout,
    ThermalCapacity,
    thermal_state,
    thermal_step,
)
from solver.network.transient_result import TransientResult
from solver.schedules import as_schedule


@dataclass(frozen=True)
class TransientSettings:
    """Settings of the transient run.

    Parameters
    ----------
    dt : float
        [s] time step (steps also land on events and schedule breakpoints).
    capacity : ThermalCapacity
        Volumes, wall heat capacities and pipe cell count.
    hydraulics : HydraulicSolve
        Newton settings of the per-step hydraulic solve.
    steady : CoupledSolve
        Settings of the initial steady solve.
    """

    dt: float = 0.5
    capacity: ThermalCapacity = field(default_factory=ThermalCapacity)
    hydraulics: HydraulicSolve = field(default_factory=HydraulicSolve)
    steady: CoupledSolve = field(default_factory=CoupledSolve)


class ChipModel(Protocol):
    """A dynamic chip model (e.g. a Foster RC network of the plate's thermal impedance).

    ``temperature(state)`` is the chip's rise [K] above the plate's *inlet* coolant (the
    reference of the characterised Z_th); ``advance(state, dt, power_start, power_end)``
    returns the state after ``dt`` [s] with the power [W] linear from ``power_start`` to
    ``power_end`` over the step.
    """

    def advance(self, state, dt, power_start, power_end): ...

    def temperature(self, state): ...


@dataclass
class DynamicChip:
    """A plate's chip temperature from ``model`` (a :class:`ChipModel`) starting at ``state``.

    With ``follows_flow`` the rise is scaled by ``R(Q) / model.steady_resistance`` and kept at or
    above the plate's coolant (module doc); the model then needs ``steady_resistance`` [K/W].
    """

    model: ChipModel
    state: object
    follows_flow: bool = False


def _copy(network):
    """A copy of ``network`` whose lists can be edited without touching the original."""
    return replace(network, nodes=list(network.nodes), branches=list(network.branches),
                   heat_exchangers=list(network.heat_exchangers), tanks=list(network.tanks),
                   pressure_boundaries=list(network.pressure_boundaries),
                   flow_boundaries=list(network.flow_boundaries),
                   junctions=list(network.junctions))


class _Plates:
    """Chip temperatures of the cold plates (steady R(Q) or a dynamic model)."""

    def __init__(self, network, chip_models):
        self.index = np.array([i for i, b in enumerate(network.branches)
                               if b.kind == "cold_plate"], dtype=np.int64)
        self.names = [network.branches[i].name for i in self.index]
        self.branches = [network.branches[i] for i in self.index]
        self.models = dict(chip_models or {})
        unknown = set(self.models) - set(self.names)
        if unknown:
            raise NetworkError(f"chip models given for unknown cold plates: "
                               f"{', '.join(sorted(unknown))}")

    def advance(self, dt, power_start, power_end):
        """Advance the dynamic models over ``dt`` [s] with the plate powers [W] (nb arrays)."""
        for name, chip in self.models.items():
            i = self.index[self.names.index(name)]
            chip.state = chip.model.advance(chip.state, dt, float(power_start[i]),
                                            float(power_end[i]))

    def temperatures(self, step, mass_flow, density, specific_heat, power):
        """Chip temperatures [K] (n_plates,) for a thermal state and the plate powers [W]."""
        out = np.empty(self.index.size)
        for k, (i, plate) in enumerate(zip(self.index, self.branches, strict=True)):
            q = abs(mass_flow[i]) / density[i]
            if len(plate.resistance_flows):
                q = max(q, min(plate.resistance_flows))
            if plate.name in self.models:
                chip = self.models[plate.name]
                rise = chip.model.temperature(chip.state)
                if not chip.follows_flow:
                    out[k] = step.inlet_temperature[i] + rise
                    continue
                scale = plate.thermal_resistance(q) / chip.model.steady_resistance
                out[k] = max(step.inlet_temperature[i] + scale * rise,
                             step.outlet_temperature[i])
                continue
            capacity_flow = abs(mass_flow[i]) * specific_heat[i]
            rise = plate.thermal_resistance(q) - (1.0 / capacity_flow if capacity_flow > 0
                                                  else np.inf)
            out[k] = step.outlet_temperature[i] + max(rise, 0.0) * power[i]
        return out


class _Boundaries:
    """Boundary schedules applied to the network's heat inputs, temperatures and flows."""

    def __init__(self, network, schedules):
        schedules.validate(network)
        self.powers = {network.branch_index(n): as_schedule(s)
                       for n, s in schedules.powers.items()}
        self.temperatures = {n: as_schedule(s) for n, s in schedules.temperatures.items()}
        self.flows = {n: as_schedule(s) for n, s in schedules.flows.items()}
        self.coolant_heat = {network.branch_index(n): as_schedule(s)
                             for n, s in schedules.coolant_heat.items()}

    def apply_initial(self, network):
        """Set the t = 0 values on the network itself (for the initial steady state)."""
        for i, s in self.powers.items():
            network.replace_branch(network.branches[i].name, power=s(0.0))
        for name, s in self.temperatures.items():
            network.replace_boundary_temperature(name, s(0.0))
        for name, s in self.flows.items():
            network.replace_flow_boundary(name, s(0.0))

    def heat(self, network, t):
        """Heat input of every branch at time ``t`` [s] (nb,) [W]."""
        heat = network.compile().heat_input.copy()
        for i, s in self.powers.items():
            heat[i] = s(t)
        return heat

    def coolant(self, heat, t):
        """Heat entering the coolant of every branch at ``t`` [s] (nb,) [W]: ``heat`` (the
        chip powers) where no coolant heat is given."""
        if not self.coolant_heat:
            return heat
        coolant = heat.copy()
        for i, s in self.coolant_heat.items():
            coolant[i] = s(t)
        return coolant

    def node_temperatures(self, network, t):
        """Boundary temperature of every node at ``t`` [s] (nn,) [K] (nan off boundaries)."""
        values = network.compile().boundary_temperature.copy()
        for group in (network.pressure_boundaries, network.flow_boundaries):
            for boundary in group:
                if boundary.name in self.temperatures:
                    values[network.node_index(boundary.node)] = self.temperatures[
                        boundary.name](t)
        return values

    def update_flows(self, network, t):
        """Set the scheduled facility flows at ``t`` [s]; True when one changed."""
        changed = False
        for fb in list(network.flow_boundaries):
            if fb.name in self.flows:
                value = self.flows[fb.name](t)
                if value != fb.mass_flow:
                    network.replace_flow_boundary(fb.name, value)
                    changed = True
        return changed


class _Motors:
    """Pump drives and the trip / start events that switch them."""

    def __init__(self, network, drives, events):
        self.states = start_drives(network, drives)
        by_pump = {state.drive.pump: state for state in self.states}
        for event in events:
            if not isinstance(event, PumpTrip | PumpStart):
                raise NetworkError(f"unknown event {event!r}")
            if event.pump not in by_pump:
                raise NetworkError(f"event {type(event).__name__} at {event.time} s: pump "
                                   f"'{event.pump}' has no PumpDrive")
        self.pending = sorted(events, key=lambda e: e.time)
        self.by_pump = by_pump

    def fire(self, t):
        """Apply the events at or before ``t`` [s] not yet applied."""
        while self.pending and self.pending[0].time <= t:
            event = self.pending.pop(0)
            state = self.by_pump[event.pump]
            if isinstance(event, PumpTrip):
                state.trip()
            else:
                state.start()

    def advance(self, network, dt, mass_flow, pressure_drop, density):
        """Advance every rotor over ``dt`` [s]; True when a pump branch changed."""
        changed = False
        for state in self.states:
            i = state.index
            torque = hydraulic_torque(state, network.branches[i], mass_flow[i],
                                      pressure_drop[i], density[i])
            advance_drive(state, dt, torque)
            changed = apply_drive(network, state) or changed
        return changed

    def speeds(self):
        """Pump name -> relative rotor speed [-]."""
        return {state.drive.pump: state.speed for state in self.states}


def simulate_transient(network, fluids, duration, settings=TransientSettings(),
                       schedules=None, events=(), drives=(), controls=(), chip_models=None,
                       initial_temperature=None) -> TransientResult:
    """Integrate the network in time from its steady state at t = 0.

    Parameters
    ----------
    network : Network
        Left unchanged (the run works on a copy, returned in the result).
    fluids : dict
        Fluid key -> coolant (as for :func:`~solver.network.solve.solve_network`).
    duration : float
        [s] simulated time.
    settings : TransientSettings
    schedules : BoundarySchedules | None
        Powers, boundary temperatures and facility flows in time (None: all constant).
    events : sequence of PumpTrip | PumpStart | PlateBlocking
        Pump motors cut or switched on, plates blocked, at given times [s].
    drives : sequence of PumpDrive
        Rotor and drive of each pump that changes speed (every pump named by an event or
        commanded by a PI control).
    controls : sequence of PIControl
        PI controllers; the initial state is the steady state at their setpoints.
    chip_models : dict | None
        Plate name -> :class:`DynamicChip` replacing the steady R(Q) chip temperature.
    initial_temperature : float | None
        [K] start every cell and node at this temperature instead of the steady state.

    Returns
    -------
    TransientResult
    """
    net = _copy(network)
    schedules = schedules if schedules is not None else BoundarySchedules()
    boundaries = _Boundaries(net, schedules)
    boundaries.apply_initial(net)
    if controls:
        targets = [replace(pi.control, setpoint=pi.setpoint_at(0.0)) for pi in controls]
        steady, _ = solve_with_controls(net, fluids, targets, settings.steady)
    else:
        steady = solve_network(net, fluids, settings.steady)
    rho, mu, cp = steady.density, steady.viscosity, steady.specific_heat
    layout = CellLayout.build(net, settings.capacity, rho, cp)
    plates = _Plates(net, chip_models)
    m = steady.mass_flow
    cells = layout.steady_cells(m, steady.inlet_temperature, steady.outlet_temperature)
    nodes = steady.node_temperature.copy()
    if initial_temperature is not None:
        cells[:] = initial_temperature
        nodes[:] = initial_temperature
    x = state_vector(net, steady)
    pressure_drop, pressure = steady.pressure_drop, steady.pressure
    blockings = sorted((e for e in events if isinstance(e, PlateBlocking)),
                       key=lambda e: e.time)
    motors = _Motors(net, drives, [e for e in events if not isinstance(e, PlateBlocking)])
    controllers = Controllers(net, controls, motors.states, schedules)
    energy0 = float(layout.capacity @ cells)

    def heat_at(t, mass_flow, pressure_drop):
        # branch heat inputs at time t, plus the pumps' shaft power as the steady state had it
        pumps = (pump_heat(net, mass_flow, pressure_drop, rho) if settings.steady.pump_heat
                 else np.zeros(len(net.branches)))
        return boundaries.heat(net, t) + pumps, float(np.sum(pumps))

    heat, pumps = heat_at(0.0, m, pressure_drop)
    first = thermal_state(net, layout, m, cp, boundaries.node_temperatures(net, 0.0), cells,
                          nodes)
    record = _Record(net, plates, motors, controllers)
    record.add(0.0, m, first, plates.temperatures(first, m, rho, cp, heat),
               boundaries.coolant(heat, 0.0), 0.0, pumps)
    times = step_times(duration, settings.dt, schedules.all(), events)
    t = 0.0
    for t_next in times:
        dt = t_next - t
        mid = 0.5 * (t + t_next)
        motors.fire(t)
        changed = False
        while blockings and blockings[0].time <= t:
            blockings.pop(0).apply(net)
            changed = True
        changed = controllers.update(net, PlantState(net, m, pressure, nodes, rho), t,
                                     dt) or changed
        changed = motors.advance(net, dt, m, pressure_drop, rho) or changed
        changed = boundaries.update_flows(net, mid) or changed
        if changed:
            hyd = solve_hydraulics(net, rho, mu, x0=x, settings=settings.hydraulics)
            m, pressure_drop, pressure = hyd.mass_flow, hyd.pressure_drop, hyd.pressure
            x = state_vector(net, hyd)
        power_start = boundaries.heat(net, t)
        heat, pumps = heat_at(mid, m, pressure_drop)
        coolant = boundaries.coolant(heat, mid)
        step = thermal_step(net, layout, m, cp, coolant,
                            boundaries.node_temperatures(net, mid), cells, nodes, dt)
        cells, nodes = step.cell_temperature, step.node_temperature
        plates.advance(dt, power_start, 2.0 * heat - power_start)
        chips = plates.temperatures(step, m, rho, cp, heat)
        record.add(t_next, m, step, chips, coolant, float(layout.capacity @ cells) - energy0,
                   pumps)
        t = t_next
    return record.result()


class _Record:
    """Rows of the result, appended step by step."""

    def __init__(self, network, plates, motors, controllers):
        self.network = network
        self.plates = plates
        self.motors = motors
        self.controllers = controllers
        self.rows = []
        self.speeds = []
        self.outputs = []

    def add(self, t, mass_flow, step, chips, heat, stored, pumps):
        """Append the state at time ``t`` [s] (``pumps``: the pump heat [W] within ``heat``)."""
        self.rows.append((t, mass_flow, step.node_temperature, step.inlet_temperature,
                          step.outlet_temperature, chips, float(np.sum(heat)),
                          -step.boundary_heat_in, step.exchanger_heat, stored, pumps))
        self.speeds.append(self.motors.speeds())
        self.outputs.append(self.controllers.outputs())

    def result(self):
        """The :class:`TransientResult`."""
        cols = list(zip(*self.rows, strict=True))
        return TransientResult(self.network, np.array(cols[0]), np.array(cols[1]),
                               np.array(cols[2]), np.array(cols[3]), np.array(cols[4]),
                               list(self.plates.names), np.array(cols[5]).reshape(
                                   len(self.rows), -1),
                               np.array(cols[6]), np.array(cols[7]),
                               np.array(cols[8]).reshape(len(self.rows), -1), np.array(cols[9]),
                               {name: np.array([row[name] for row in self.speeds])
                                for name in self.motors.speeds()},
                               {name: np.array([row[name] for row in self.outputs])
                                for name in self.controllers.outputs()},
                               np.array(cols[10]))


__all__ = ["TransientSettings", "DynamicChip", "ChipModel", "simulate_transient"]
