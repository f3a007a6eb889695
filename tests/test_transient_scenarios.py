"""Scenarios of a rack in time (solver.transient_scenarios) on small racks: each kind does what
physics says it must, the ride-through time matches a hand computation, outputs are written.

References: OCP / ASHRAE TC 9.9 guidance on CDU N+1 redundancy and ride-through (the time the
chips stay under their limit after a failure); a stalled, well-mixed plate of heat capacity
``C = rho V cp + C_wall`` [J/K] heats at ``P / C`` [K/s] (lumped first law, e.g. Incropera,
Fundamentals of Heat and Mass Transfer, sec. 5.3, with no convection out).
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from solver.case import load_case
from solver.numerics.foster import FosterNetwork
from solver.output.report import DesignLimits
from solver.pipeline import run
from solver.transient_scenarios import plate_fosters, run_transient_scenario

sys.path.insert(0, str(Path(__file__).resolve().parent))
from transient_racks import write_small_rack  # noqa: E402

LIMITS = DesignLimits(chip_temperature_max=273.15 + 95.0)


def _rack(tmp_path, scenario, **options):
    """The small rack with one scenario: (case, outcome)."""
    case = load_case(write_small_rack(tmp_path, scenarios="\n[[scenarios]]\n" + scenario,
                                      **options))
    outcome = run_transient_scenario(case.network, case.coolant_material(), case.scenarios[0],
                                     LIMITS, fosters=plate_fosters(case.network, case.resolve))
    return case, outcome


def test_pump_trip_flow_dips_and_recovers_after_the_standby_start(tmp_path):
    _, outcome = _rack(tmp_path, 'kind = "pump_trip"\ntime = "10 s"',
                       transient_extra='rotor_inertia = 0.002\nstart_delay = "5 s"')
    result, row = outcome.result, outcome.row
    flow = result.flow("cdu.supply_pipe") / result.flow("cdu.supply_pipe")[0]
    t = result.time
    before, gap = flow[t < 10.0], flow[(t > 12.0) & (t <= 15.0)]
    assert np.all(before == pytest.approx(1.0, rel=1e-9))
    # the tripped unit coasts down, the standby is still off
    assert gap[-1] < 0.5 and np.all(np.diff(gap) < 0.0)
    assert flow[-1] == pytest.approx(1.0, rel=1e-3)  # the standby, PI-driven, restores it
    speeds = result.pump_speed
    # the tripped unit coasts behind its closed check valve; the standby carries the flow
    assert result.flow("cdu.pumps.0")[-1] < 1e-3 * result.flow("cdu.pumps.0")[0]
    assert speeds["cdu.pumps.1"][-1] > 0.5
    assert speeds["cdu.pumps.1"][t < 15.0].max() == 0.0  # started at 10 + 5 s
    hottest = result.chip_temperature.max(axis=1)
    assert hottest.max() > hottest[0] + 2.0 and hottest[-1] == pytest.approx(hottest[0],
                                                                             abs=0.05)
    assert 15.0 < row["peak_time_s"] < 25.0
    assert row["ride_through_s"] is None and row["energy_balance_error"] < 1e-9


def test_pumps_lost_ride_through_matches_the_lumped_plate_by_hand(tmp_path):
    """One tray (no header loop, so nothing circulates once the pumps stop); rotor inertia so
    small that the pumps stop within a few 10 ms steps. From its steady outlet temperature
    T0 = T_in + P / (m cp) each GPU plate heats at P / C, C = rho V cp + C_wall, so its chip
    reaches the limit after (T_limit - T0) C / P."""
    case, outcome = _rack(tmp_path, 'kind = "pumps_lost"\ntime = "1 s"', trays=1,
                          duration=40.0, dt=0.01, transient_extra=(
                              "rotor_inertia = 1e-7\nplate_volume = 5e-5\n"
                              "plate_heat_capacity = 300.0"))
    result = outcome.result
    plate = "tray.0.gpu.0"
    i = result.network.branch_index(plate)
    t_outlet = result.outlet_temperature[0, i]
    coolant = case.coolant_material()
    mean_temperature = 0.5 * (result.inlet_temperature[0, i] + t_outlet)
    capacity = float(coolant.density(mean_temperature) * coolant.specific_heat(
        mean_temperature)) * 5e-5 + 300.0
    by_hand = (LIMITS.chip_temperature_max - t_outlet) * capacity / 1000.0
    row = outcome.row
    assert row["ride_through_s"] == pytest.approx(by_hand, rel=0.01)
    # and the chips rise at P / C once stalled
    late = (result.time > 5.0) & (result.time < 30.0)
    slope = np.polyfit(result.time[late], result.chip(plate)[late], 1)[0]
    assert slope == pytest.approx(1000.0 / capacity, rel=2e-3)
    assert np.abs(result.flow(plate)[result.time > 2.0]).max() < 1e-4 * result.flow(plate)[0]


def test_facility_loss_warms_the_supply_and_the_chips(tmp_path):
    _, lost = _rack(tmp_path, 'kind = "facility_loss"\ntime = "5 s"', duration=120.0, dt=0.5)
    supply = lost.result.temperature("cdu.supply") - 273.15
    assert supply[0] == pytest.approx(36.0, abs=0.01) and supply[-1] > 50.0
    assert np.all(np.diff(supply[lost.result.time > 5.0]) > -1e-9)  # it only warms
    assert lost.row["ride_through_s"] is not None
    assert lost.result.flow("cdu.hx.cold")[-1] == 0.0
    _, warm = _rack(tmp_path, 'kind = "facility_loss"\nsupply_temperature = { kind = "ramp", '
                              'start_value = "32 C", end_value = "38 C", start = "5 s", '
                              'duration = "20 s" }', duration=120.0, dt=0.5)
    supply = warm.result.temperature("cdu.supply") - 273.15
    # the supply control opens the facility valve to its top and still loses the 36 C setpoint
    assert supply.max() > 37.0 and warm.row["event_time_s"] == 5.0


def test_power_step_chips_follow_the_steady_curve_or_the_foster_network(tmp_path):
    step = 'kind = "power_step"\npower = { kind = "step", before = 0.3, after = 1.0, time = "5 s" }'
    _, steady = _rack(tmp_path, step, duration=30.0, dt=0.1)
    result = steady.result
    chip = result.chip("tray.0.gpu.0")
    i = result.network.branch_index("tray.0.gpu.0")
    plate = result.network.branches[i]
    t_in = result.inlet_temperature[:, i]
    q = result.mass_flow[0, i] / 1012.0
    # steady R(Q): at 30 % power the chip sits R(Q) * 300 W above its inlet, at once
    assert chip[0] - t_in[0] == pytest.approx(plate.thermal_resistance(q) * 300.0, rel=2e-3)
    # with a Foster network the chip follows Z(t) scaled by R(Q) / sum R_i
    foster = FosterNetwork((0.008, 0.016), (0.5, 4.0))
    _, dynamic = _rack(tmp_path, step, duration=30.0, dt=0.1, gpu_extra=(
        "foster = { resistances = [0.008, 0.016], time_constants = [0.5, 4.0] }"))
    result = dynamic.result
    chip, t_in = result.chip("tray.0.gpu.0"), result.inlet_temperature[:, i]
    scale = plate.thermal_resistance(result.mass_flow[0, i] / 1012.0) / foster.steady_resistance
    k0 = np.searchsorted(result.time, 5.0)
    for dt in (0.5, 2.0):
        k = np.searchsorted(result.time, 5.0 + dt)
        rise = (chip[k] - t_in[k]) - (chip[k0] - t_in[k0])
        assert rise == pytest.approx(scale * 700.0 * foster.impedance(dt), rel=0.02)
    assert chip[1] - t_in[1] == pytest.approx(chip[0] - t_in[0], abs=1e-6)  # started steady


def test_plate_blocking_starves_that_plate_only(tmp_path):
    _, outcome = _rack(tmp_path, 'kind = "plate_blocking"\nplate = "tray.1.gpu.2"\n'
                                 'fraction = 0.8\ntime = "5 s"', duration=40.0, dt=0.25)
    result = outcome.result
    blocked = result.flow("tray.1.gpu.2") / result.flow("tray.1.gpu.2")[0]
    other = result.flow("tray.2.gpu.0") / result.flow("tray.2.gpu.0")[0]
    assert blocked[-1] < 0.35 and other[-1] > 0.99
    assert outcome.row["hottest_chip"] == "tray.1.gpu.2"
    assert outcome.row["min_plate_flow_fraction"] == pytest.approx(blocked.min())


def test_square_wave_power_schedule_is_scaled_per_plate(tmp_path):
    """A checkpoint pattern: every plate at 30 % or 100 % of its design power (13.8 kW)."""
    _, outcome = _rack(tmp_path, 'kind = "power_step"\npower = { kind = "square_wave", '
                                 'low = 0.3, high = 1.0, period = "20 s", duty = 0.5, '
                                 'start = "5 s" }', duration=40.0, dt=0.25)
    t = outcome.result.time
    # the heat load less the pumps' shaft power (solver.network.thermal.pump_heat)
    heat = outcome.result.heat_load - outcome.result.pump_heat
    assert np.all(outcome.result.pump_heat > 0.0)
    assert heat[(t > 5.0) & (t <= 15.0)] == pytest.approx(13800.0)
    assert heat[(t > 15.0) & (t <= 25.0)] == pytest.approx(0.3 * 13800.0)
    assert heat[t < 5.0] == pytest.approx(0.3 * 13800.0)
    assert outcome.row["event_time_s"] == 5.0  # the first change of the power


def test_case_run_writes_time_series_plots_and_the_report_table(tmp_path):
    path = write_small_rack(tmp_path, duration=30.0, dt=0.5, scenarios=(
        '\n[[scenarios]]\nkind = "pump_trip"\nname = "trip"\n\n[[scenarios]]\n'
        'kind = "pump_failed"\nname = "steady trip"\n'))
    run(load_case(path), backend="cpu", output=tmp_path / "out", quiet=True)
    folder = tmp_path / "out" / "small_rack"
    csv = (folder / "transient" / "trip" / "timeseries.csv").read_text().splitlines()
    assert csv[0].startswith("time [s],chip tray.0.gpu.0 [C]") and len(csv) == 62
    assert "speed cdu.pumps.1 [-]" in csv[0] and "TCS supply [C]" in csv[0]
    assert (folder / "transient" / "trip" / "transient.png").stat().st_size > 10_000
    report = json.loads((folder / "report.json").read_text())
    assert report["transient_scenarios"][0]["scenario"] == "trip"
    assert [r["scenario"] for r in report["scenarios"]][-1] == "steady trip"
    markdown = (folder / "report.md").read_text()
    assert "## Scenarios in time" in markdown and "never within the horizon" in markdown
    assert (folder / "scenarios" / "scenarios.md").is_file()
