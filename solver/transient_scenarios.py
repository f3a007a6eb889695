"""Scenarios of a rack in time: a failure or a change at a given time, from the design point.

Each ``[[scenarios]]`` entry of a transient kind (:mod:`solver.case.transient_scenarios`) becomes
one run of :func:`solver.network.transient.simulate_transient` on the rack built from the case
(plate curves replaced by the coupled ones where a coupled rack gives them):

==================  =============================================================================
``pump_trip``       the CDU pump group is split into units with check valves; unit 0 trips at
                    ``time`` and coasts down on its rotor inertia; a standby unit (if the group
                    has one: ``count > running``) starts ``start_delay`` later and ramps up (N+1)
``pumps_lost``      every running unit trips at ``time``; nothing restarts
``facility_loss``   the facility flow follows ``flow`` (default: a step from its controlled
                    design value to 0 at ``time``) and/or
                    its supply temperature follows ``supply_temperature``; a facility flow in
                    time switches the supply-temperature control off (no water to control)
``power_step``      the powers of the plates of ``groups`` (default all) are ``power`` (a fraction
                    of the design power, in time) times their design power
``plate_blocking``  ``plate``'s dP(Q) is scaled by 1/(1 - fraction)^2 from ``time`` on
==================  =============================================================================

The rack's steady controls act as PI controllers in time (gains and integral times from
``[network.transient]``: pump speed ``K = pump_gain / setpoint``, supply temperature ``K =
-supply_gain x`` the actuator range). Chips follow their plate's steady R(Q), or, for plate
groups with Foster data (``foster`` or ``thermal_impedance``), a
:class:`~solver.numerics.foster.FosterNetwork` started at its steady state for the t = 0 power
and scaled by ``R(Q) / sum R_i`` so that its steady part follows the flow
(:class:`~solver.network.transient.DynamicChip` with ``follows_flow``).

The outcome per scenario: ride-through time (from the event, the first change of the scenario,
to the first chip at its limit, None when none reaches it within the horizon), the hottest chip's
peak and its time, the lowest TCS flow and plate flow, the energy-balance error of the run.
Units: SI (s, K, kg/s, m3/s, W).
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, field, replace

import numpy as np

from solver.case.network_transient import load_foster_file
from solver.case.schedules import schedule_from_table
from solver.case.transient_scenarios import facility_loss_default
from solver.coupling.rack import build_rack, solve_settings, with_plate_curves
from solver.materials.registry import get_coolant
from solver.network.controls import PumpSpeedControl, solve_with_controls
from solver.network.events import BoundarySchedules, PlateBlocking, PumpStart, PumpTrip
from solver.network.pi_control import PIControl
from solver.network.pump_drive import PumpDrive, split_pump_group
from solver.network.rack import DESIGN_DENSITY
from solver.network.thermal_transient import ThermalCapacity
from solver.network.transient import DynamicChip, TransientSettings, simulate_transient
from solver.numerics.foster import FosterNetwork
from solver.schedules import Step
from solver.units import TEMPERATURE_UNITS, VOLUMETRIC_FLOW_UNITS

# [m3] the network cell of a plate whose coolant heat comes from its 3D solve in time: the 3D
# plate held its coolant, so the cell passes the heat through (a millilitre's thousandth)
PASS_THROUGH_VOLUME = 1e-9


@dataclass
class TransientOutcome:
    """One scenario run in time.

    Attributes
    ----------
    label, kind : str
    result : solver.network.TransientResult
    event_time : float
        [s] when the scenario's first change happens.
    limits : dict
        Plate name -> chip limit [K].
    supply_node, tcs_branch, facility_branch : str
        Names of the TCS supply node, the TCS flow branch and the facility-side exchanger branch.
    pumps : list of str
        Pump unit names.
    runtime : float
        [s] wall time of the run.
    row : dict
        The summary row (:func:`outcome_row`).
    powers : dict
        Plate name -> its power in time [W] (a schedule), for the plates whose power changes.
    """

    label: str
    kind: str
    result: object
    event_time: float
    limits: dict
    supply_node: str
    tcs_branch: str
    facility_branch: str
    pumps: list
    runtime: float
    row: dict
    powers: dict = field(default_factory=dict)


def plate_fosters(section, resolve) -> dict:
    """Plate group name -> :class:`FosterNetwork` of the groups with ``foster`` or
    ``thermal_impedance`` (``resolve`` turns a case-relative path into a path)."""
    out = {}
    for group in section.rack.plates:
        spec = group.foster
        if group.thermal_impedance is not None:
            spec = load_foster_file(resolve(group.thermal_impedance))
        if spec is not None:
            out[group.name] = FosterNetwork(tuple(spec.resistances), tuple(spec.time_constants))
    return out


def group_of(plate: str) -> str:
    """Plate group of a rack plate name ``tray.<k>.<group>.<i>``."""
    return plate.split(".")[2]


def _schedules(spec, built, network, duration):
    """Boundary schedules, the facility flow under control (bool) and the event time [s]."""
    powers, temperatures, flows = {}, {}, {}
    controlled = True
    if spec.kind == "power_step":
        profile = schedule_from_table(spec.power, None, "power")
        for plate in built.plates:
            if not spec.groups or group_of(plate) in spec.groups:
                powers[plate] = profile * network.branches[network.branch_index(plate)].power
    elif spec.kind == "facility_loss":
        supply = next(fb for fb in network.flow_boundaries if fb.name == built.facility_supply) \
            if spec.flow is not None or facility_loss_default(spec) else None
        if spec.flow is not None:
            flows[supply.name] = DESIGN_DENSITY * schedule_from_table(
                spec.flow, VOLUMETRIC_FLOW_UNITS, "flow")
        elif supply is not None:
            flows[supply.name] = Step(supply.mass_flow, 0.0, spec.time)
        if spec.supply_temperature is not None:
            temperatures[built.facility_supply] = schedule_from_table(
                spec.supply_temperature, TEMPERATURE_UNITS, "supply_temperature")
        controlled = not flows
    schedules = BoundarySchedules(powers, temperatures, flows)
    changes = [t for s in schedules.all() for t in s.breakpoints(duration)]
    event_time = min(changes) if changes else spec.time
    return schedules, controlled, event_time


def _pi_controls(built, units, settings, facility_controlled):
    """The rack's steady controls as PI controllers (pump speed on every unit's drive)."""
    controls = []
    for control in built.controls:
        if isinstance(control, PumpSpeedControl):
            controls.append(PIControl(replace(control, pump=units[0]),
                                      gain=settings.pump_gain / control.setpoint,
                                      integral_time=settings.pump_integral_time,
                                      drives=tuple(units)))
        elif facility_controlled:
            low, high = control.bounds()
            controls.append(PIControl(control, gain=-settings.supply_gain * (high - low),
                                      integral_time=settings.supply_integral_time))
    return controls


def _events(spec, units, network, settings, built):
    """Pump trips and starts, plate blockings of a scenario."""
    running = [u for u in units if network.branches[network.branch_index(u)].running]
    standby = [u for u in units if u not in running]
    if spec.kind == "pump_trip":
        events = [PumpTrip(running[0], spec.time)]
        if spec.standby_start and standby:
            events.append(PumpStart(standby[0], spec.time + settings.start_delay))
        return events
    if spec.kind == "pumps_lost":
        return [PumpTrip(u, spec.time) for u in running]
    if spec.kind == "plate_blocking":
        return [PlateBlocking(spec.plate or built.plates[0], spec.time, spec.fraction)]
    return []


def _chip_models(built, network, fosters, schedules):
    """Plate name -> DynamicChip for the plates of groups with a Foster network, each at its
    steady state for the power at t = 0."""
    models = {}
    for plate in built.plates:
        foster = fosters.get(group_of(plate))
        if foster is None:
            continue
        power = schedules.powers.get(plate, network.branches[network.branch_index(plate)].power)
        power0 = power(0.0) if callable(power) else float(power)
        models[plate] = DynamicChip(foster, np.array(foster.resistances) * power0,
                                    follows_flow=True)
    return models


def _design_point(network, fluids, built, units, steady, passes=3):
    """Set the actuators in place to the design point of the split pump group, so the run
    starts in equilibrium: the controls solved with unit 0 as the pump actuator, then every
    running unit set to the mean speed of the running units, a few passes (the speeds meet at
    the group's controlled speed); the facility flow is left at its controlled value."""
    controls = [replace(c, pump=units[0]) if isinstance(c, PumpSpeedControl) else c
                for c in built.controls]
    running = [u for u in units if network.branches[network.branch_index(u)].running]
    for _ in range(passes):
        solve_with_controls(network, fluids, controls, steady)
        speed = float(np.mean([network.branches[network.branch_index(u)].speed
                               for u in running]))
        for unit in running:
            network.replace_branch(unit, speed=speed)
    solve_with_controls(network, fluids, controls, steady)


def run_transient_scenario(section, coolant, spec, limits, plate_curves=None,
                           fosters=None, coolant_heat=None) -> TransientOutcome:
    """Run one transient scenario of a rack from its steady design point.

    Parameters
    ----------
    section : solver.case.NetworkSection
        With ``rack`` and ``transient``.
    coolant : solver.materials.Coolant
        TCS coolant.
    spec : a transient scenario of :mod:`solver.case.transient_scenarios`
    limits : solver.output.report.DesignLimits
        Chip limits [K].
    plate_curves : dict, optional
        Plate group -> :class:`solver.coupling.PlateCurves` replacing the network curves.
    fosters : dict, optional
        Plate group -> FosterNetwork (:func:`plate_fosters`).
    coolant_heat : dict, optional
        Plate name -> heat into its coolant in time [W] from its 3D solve in time
        (:func:`solver.transient_run.replay_and_correct`). Such a plate's network cell holds
        no wall heat and a negligible coolant volume (``PASS_THROUGH_VOLUME``): the 3D plate
        stored its heat on the way; its chip keeps the scenario's power.
    """
    settings = section.transient
    built = build_rack(with_plate_curves(section, plate_curves or {}), coolant)
    network = built.network
    steady = solve_settings(section)
    fluids = {"coolant": coolant, "facility": get_coolant(section.facility_fluid)}
    units = split_pump_group(network, built.pump)
    _design_point(network, fluids, built, units, steady)
    duration = spec.duration or settings.duration
    schedules, facility_controlled, event_time = _schedules(spec, built, network, duration)
    coolant_heat = dict(coolant_heat or {})
    schedules = replace(schedules, coolant_heat=coolant_heat)
    events = _events(spec, units, network, settings, built)
    if events:
        event_time = min(e.time for e in events)
    drives = [PumpDrive(u, settings.rotor_inertia, ramp_rate=settings.ramp_rate,
                        motor_time_constant=settings.motor_time_constant) for u in units]
    capacity = ThermalCapacity(
        volumes={p: PASS_THROUGH_VOLUME if p in coolant_heat else settings.plate_volume
                 for p in built.plates},
        wall_heat_capacities={p: 0.0 if p in coolant_heat else settings.plate_heat_capacity
                              for p in built.plates})
    start = clock.perf_counter()
    result = simulate_transient(
        network, fluids, duration,
        TransientSettings(dt=settings.time_step, capacity=capacity, steady=steady),
        schedules=schedules, events=events, drives=drives,
        controls=_pi_controls(built, units, settings, facility_controlled),
        chip_models=_chip_models(built, network, fosters or {}, schedules))
    runtime = clock.perf_counter() - start
    chip_limits = {plate: limits.chip_limit(plate) for plate in result.plates}
    outcome = TransientOutcome(spec.name or spec.kind, spec.kind, result, event_time,
                               chip_limits, built.supply_node, "cdu.supply_pipe",
                               f"{built.exchanger}.cold", units, runtime, {},
                               dict(schedules.powers))
    outcome.row = outcome_row(outcome)
    return outcome


def outcome_row(outcome: TransientOutcome) -> dict:
    """Summary of a run: ride-through [s] (None: never within the horizon), hottest chip peak
    [K] and its time [s], lowest TCS and plate flows [m3/s], energy-balance error [-]."""
    result = outcome.result
    crossing = result.ride_through_time(outcome.limits)
    peaks = result.chip_temperature.max(axis=0)
    hottest = int(np.argmax(peaks))
    margin = np.array([outcome.limits[p] for p in result.plates]) - peaks
    tcs = result.flow(outcome.tcs_branch)
    plate_flows = np.stack([result.flow(p) for p in result.plates], axis=1)
    return {
        "scenario": outcome.label, "kind": outcome.kind,
        "event_time_s": outcome.event_time,
        "ride_through_s": None if crossing is None else max(crossing - outcome.event_time, 0.0),
        "horizon_s": float(result.time[-1]),
        "hottest_chip": result.plates[hottest],
        "peak_chip_temperature": float(peaks[hottest]),
        "peak_time_s": float(result.time[np.argmax(result.chip_temperature[:, hottest])]),
        "initial_hottest_chip_temperature": float(result.chip_temperature[0].max()),
        "smallest_margin_K": float(margin.min()),
        "chips_over_limit": int(np.sum(margin < 0.0)),
        "min_tcs_flow_fraction": float(tcs.min() / tcs[0]),
        "min_plate_flow_fraction": float(np.min(plate_flows / plate_flows[0])),
        "max_supply_temperature": float(result.temperature(outcome.supply_node).max()),
        "energy_balance_error": result.energy_balance_error(),
        "steps": int(result.time.size - 1),
        "runtime_s": outcome.runtime,
    }


def run_transient_scenarios(section, coolant, specs, limits, plate_curves=None,
                            fosters=None) -> list[TransientOutcome]:
    """Run every transient scenario in ``specs`` (see :func:`run_transient_scenario`)."""
    return [run_transient_scenario(section, coolant, spec, limits, plate_curves, fosters)
            for spec in specs]


__all__ = ["TransientOutcome", "plate_fosters", "group_of", "run_transient_scenario",
           "outcome_row", "run_transient_scenarios"]
