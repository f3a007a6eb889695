"""Pumps in time: coast-down on inertia, drive ramps, trip and standby start, all pumps lost.

References
----------
- Thorley, Fluid Transients in Pipeline Systems (2nd ed. 2004), sec. 5.2 (pump run-down):
  ``J d(omega)/dt = -T``, with the torque from the affinity laws ``T ~ omega^2`` on a quadratic
  system, giving ``omega = omega0 / (1 + t / t_c)``, ``t_c = J omega0^2 / P0``.
- Wylie & Streeter, Fluid Transients in Systems (1993), ch. 10 (pump trip, check valves).
- Karassik et al., Pump Handbook (4th ed. 2008), sec. 2.3: affinity laws Q ~ N, H ~ N^2.
- Hairer, Norsett & Wanner, Solving ODEs I: backward Euler (and its linearised form) is first
  order.
"""

import numpy as np
import pytest
from transient_networks import FLUIDS, cooling_loop

from solver.network import ExpansionTank, Network, Node, solve_network
from solver.network.components import HeatLoad, Pump
from solver.network.events import PumpStart, PumpTrip
from solver.network.pump_drive import RATED_SPEED, STOPPED_SPEED, PumpDrive
from solver.network.thermal_transient import DEFAULT_VOLUMES
from solver.network.transient import TransientSettings, simulate_transient


def pump_on_quadratic_system():
    """One pump (eta = 0.5 everywhere) against dp = c Q|Q| in a closed loop."""
    pump = Pump("pump", "a", "b", flows=(0.0, 1e-3, 2e-3), pressures=(1e5, 8e4, 4e4))
    system = HeatLoad("system", "b", "a", power=0.0, rated_flow=1e-3, rated_pressure_drop=6e4)
    return Network([Node("a"), Node("b")], [pump, system],
                   tanks=[ExpansionTank("tank", "a", 1e5)])


def test_pump_spin_down_matches_the_inertia_solution():
    net = pump_on_quadratic_system()
    steady = solve_network(net, FLUIDS)
    shaft_power = steady.volumetric_flow[0] * -steady.pressure_drop[0] / 0.5
    inertia = 0.02
    t_c = inertia * RATED_SPEED**2 / shaft_power
    errors, steps = [], [10, 20, 40, 80]
    for n in steps:
        run = simulate_transient(net, FLUIDS, 3.0 * t_c, TransientSettings(dt=t_c / n),
                                 events=[PumpTrip("pump", 0.0)],
                                 drives=[PumpDrive("pump", inertia)])
        speed = run.pump_speed["pump"]
        errors.append(float(np.max(np.abs(speed - 1.0 / (1.0 + run.time / t_c)))))
        # quasi-steady hydraulics on the affinity laws: the flow follows the speed
        assert run.flow("pump") / steady.mass_flow[0] == pytest.approx(speed, rel=1e-9)
    order = np.polyfit(np.log(1.0 / np.array(steps)), np.log(errors), 1)[0]
    assert order == pytest.approx(1.0, abs=0.05)
    assert errors[-1] < 0.5 / steps[-1]  # max error below half the step over t_c


def test_standby_start_follows_the_drive_ramp_and_motor_lag():
    net = cooling_loop(pump_units=2, running=1)
    drives = [PumpDrive("pump.0", 1e-4), PumpDrive("pump.1", 1e-4, ramp_rate=0.4)]
    run = simulate_transient(net, FLUIDS, 12.0, TransientSettings(dt=0.1),
                             events=[PumpStart("pump.1", 3.0)], drives=drives)
    expected = np.clip(0.4 * (run.time - 3.0), 0.0, 1.0)  # VFD ramp: exact
    assert run.pump_speed["pump.1"] == pytest.approx(expected, abs=1e-12)
    # a first-order motor lag instead of the ramp: 1 - exp(-t / tau_m), first order in dt
    errors = []
    for dt in (0.1, 0.05, 0.025):
        lagged = [PumpDrive("pump.0", 1e-4),
                  PumpDrive("pump.1", 1e-4, ramp_rate=None, motor_time_constant=1.5)]
        run = simulate_transient(net, FLUIDS, 6.0, TransientSettings(dt=dt),
                                 events=[PumpStart("pump.1", 0.0)], drives=lagged)
        exact = 1.0 - np.exp(-run.time / 1.5)
        errors.append(float(np.max(np.abs(run.pump_speed["pump.1"] - exact))))
    order = np.log2(errors[0] / errors[1]), np.log2(errors[1] / errors[2])
    assert order == pytest.approx((1.0, 1.0), abs=0.06)


def test_pump_trip_with_standby_start_rides_through():
    net = cooling_loop(pump_units=2, running=1)
    drives = [PumpDrive("pump.0", 1e-4), PumpDrive("pump.1", 1e-4, ramp_rate=0.5)]
    run = simulate_transient(net, FLUIDS, 600.0, TransientSettings(dt=0.25),
                             events=[PumpTrip("pump.0", 10.0), PumpStart("pump.1", 15.0)],
                             drives=drives)
    chip = run.chip("plate.0")
    before, peak = chip[0], chip.max()
    t_peak = run.time[np.argmax(chip)]
    assert peak > before + 1.0  # the chips heat while the flow is down ...
    assert 10.0 < t_peak <= 15.0 + 1.0 / 0.5 + 5.0  # ... until the standby pump is up
    # recovered: the steady state with the standby unit running and the tripped one coasting
    # at its final speed behind its closed check valve
    coasting = run.pump_speed["pump.0"][-1]
    assert coasting < 0.5
    swapped = cooling_loop(pump_units=2, running=1)
    swapped.replace_branch("pump.0", speed=coasting)
    swapped.replace_branch("pump.1", running=1)
    steady = solve_network(swapped, FLUIDS)
    assert run.mass_flow[-1] == pytest.approx(steady.mass_flow, rel=1e-9, abs=1e-12)
    i = net.branch_index("plate.0")
    case = steady.inlet_temperature[i] + net.branches[i].thermal_resistance(
        steady.volumetric_flow[i]) * 1000.0
    assert chip[-1] == pytest.approx(case, abs=1e-4)
    # the check valve keeps the slower pump from back-flowing: only its reverse leak
    # (1e-4 of its Kv) passes, under 1 % of the running pump's flow
    assert 0.0 > run.flow("pump.0")[-1] > -1e-2 * run.flow("pump.1")[-1]
    # ride-through: the first crossing of a limit between the start and the peak, else None
    limit = 0.5 * (before + peak)
    crossing = run.ride_through_time(limit)
    assert 10.0 < crossing < t_peak
    k = np.searchsorted(run.time, crossing)
    assert chip[k - 1] < limit <= chip[k]
    assert run.ride_through_time(peak + 0.1) is None
    assert run.peak_chip_temperatures()["plate.0"] == peak
    assert run.energy_balance_error() < 1e-6


def test_all_pumps_lost_plates_heat_at_power_over_capacity():
    net = cooling_loop(pump_units=2, running=1)
    run = simulate_transient(net, FLUIDS, 40.0, TransientSettings(dt=0.05),
                             events=[PumpTrip("pump.0", 1.0)],
                             drives=[PumpDrive("pump.0", 1e-5), PumpDrive("pump.1", 1e-5)])
    below = run.pump_speed["pump.0"] < STOPPED_SPEED
    assert below.any() and not below[0]
    stopped = run.time > run.time[np.argmax(below)]
    assert stopped.sum() > 100
    coolant = np.array(net.compile().branch_fluid) == "coolant"
    assert np.all(np.abs(run.mass_flow[stopped][:, coolant]) < 1e-9)
    # with no flow each plate's coolant (and so its chip) heats at P / (rho V cp)
    capacity = FLUIDS["coolant"].density(300.0) * DEFAULT_VOLUMES["cold_plate"] * FLUIDS[
        "coolant"].specific_heat(300.0)
    slope = np.diff(run.chip("plate.0")[stopped]) / np.diff(run.time[stopped])
    assert slope == pytest.approx(1000.0 / capacity, rel=1e-9)
    assert run.energy_balance_error() < 1e-6
