"""A rack in time: the documented 18-tray rack loses its running CDU pump; the standby starts.

``cases/rack_network.toml`` (18 trays x 4 GPU + 2 CPU plates, 82.8 kW) built by the rack builder
with one of its two CDU pumps running (N+1), split into units with check valves. The TCS flow
(124.2 L/min) and the supply temperature (36 C) are held by PI controllers. The running pump
trips at 10 s and the standby starts 5 s later, ramping at 50 %/s.

References: OCP / ASHRAE TC 9.9 guidance on CDU N+1 redundancy and ride-through (the time the
chips stay under their limit after a failure); Thorley (2004) sec. 5.2 for the pump run-down.
"""

import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from solver.case import NetworkSection
from solver.materials import get_coolant
from solver.network.events import PumpStart, PumpTrip
from solver.network.pi_control import PIControl
from solver.network.pump_drive import PumpDrive, split_pump_group
from solver.network.rack import build_network
from solver.network.transient import TransientSettings, simulate_transient

CASE = Path(__file__).resolve().parents[2] / "cases" / "rack_network.toml"


def rack_with_standby_pump():
    """The case's rack with one running and one standby CDU pump, and its PI controls."""
    data = tomllib.loads(CASE.read_text())
    data["network"]["rack"]["cdu"]["pumps"]["running"] = 1
    built = build_network(NetworkSection(**data["network"]))
    units = split_pump_group(built.network, built.pump)
    flow, supply = built.controls
    controls = [PIControl(replace(flow, pump=units[0]), gain=0.5 / flow.setpoint,
                          integral_time=2.0, drives=tuple(units)),
                PIControl(supply, gain=-0.5, integral_time=30.0)]
    fluids = {"coolant": get_coolant(data["coolant"]["name"]), "facility": get_coolant("water")}
    return built, units, controls, fluids


def test_rack_pump_trip_and_standby_start_ride_through():
    built, units, controls, fluids = rack_with_standby_pump()
    run = simulate_transient(built.network, fluids, 120.0, TransientSettings(dt=0.25),
                             events=[PumpTrip(units[0], 10.0), PumpStart(units[1], 15.0)],
                             drives=[PumpDrive(u, 0.002) for u in units], controls=controls)
    hottest = run.chip_temperature.max(axis=1)
    initial, peak = hottest[0], hottest.max()
    t_peak = run.time[np.argmax(hottest)]
    assert initial - 273.15 == pytest.approx(60.0, abs=0.1)  # the case's steady figure
    assert peak > initial + 5.0  # the chips heat while the flow is down ...
    assert 10.0 < t_peak < 20.0  # ... until the standby pump is up (started 15 s, 2 s ramp)
    limit = 273.15 + 70.0
    ride_through = run.ride_through_time(limit)
    assert peak > limit and 10.0 < ride_through <= t_peak
    assert run.ride_through_time(peak + 0.1) is None
    # recovered: flow and supply temperature back at their setpoints, chips at their start
    flow = run.flow("cdu.supply_pipe") / run.mass_flow[0, built.network.branch_index(
        "cdu.supply_pipe")]
    assert flow[-1] == pytest.approx(1.0, rel=1e-4)
    assert run.temperature("cdu.supply")[-1] == pytest.approx(273.15 + 36.0, abs=0.02)
    assert hottest[-1] == pytest.approx(initial, abs=0.1)
    assert run.pump_speed[units[1]][-1] > 0.5 > run.pump_speed[units[0]][-1]
    assert run.energy_balance_error() < 1e-6
