"""PI controls in time: setpoints reached, limits held, anti-windup recovers.

References
----------
- Astrom & Hagglund, Advanced PID Control (ISA 2006), sec. 3.5 (integrator windup;
  conditional integration / clamping) and sec. 3.4 (PI with integral time T_i).
- Astrom & Murray, Feedback Systems (2008), sec. 10.4: integral action removes the
  steady-state error of a stable plant under a constant setpoint.
"""

import numpy as np
import pytest
from transient_networks import FLUIDS, cooling_loop

from solver.network import solve_network
from solver.network.controls import PumpSpeedControl, SupplyTemperatureControl
from solver.network.events import BoundarySchedules
from solver.network.pi_control import PIControl
from solver.network.pump_drive import PumpDrive
from solver.network.transient import TransientSettings, simulate_transient
from solver.schedules import Step, Table


def loop_flow(net):
    """Steady volumetric flow [m3/s] of the supply pipe."""
    return solve_network(net, FLUIDS).volumetric_flow[net.branch_index("supply_pipe")]


def flow_control(q0, setpoint, anti_windup=True):
    """PI on the pump speed holding the supply-pipe flow; loop gain K dQ/ds = 0.5."""
    control = PumpSpeedControl("flow", "pump.0", "flow", q0, component="supply_pipe",
                               min_speed=0.3, max_speed=1.2)
    return PIControl(control, gain=0.5 / q0, integral_time=2.0, setpoint=setpoint,
                     anti_windup=anti_windup)


def run_flow_control(pi, duration):
    net = cooling_loop()
    return simulate_transient(net, FLUIDS, duration, TransientSettings(dt=0.1),
                              drives=[PumpDrive("pump.0", 1e-4, ramp_rate=0.5)], controls=[pi])


def test_pump_speed_pi_reaches_its_flow_setpoint():
    q0 = loop_flow(cooling_loop())
    run = run_flow_control(flow_control(q0, Step(q0, 1.1 * q0, 5.0)), 120.0)
    flow = run.flow("supply_pipe") / FLUIDS["coolant"].density(300.0)
    assert flow[0] == pytest.approx(q0, rel=1e-9)  # bumpless start at the steady setpoint
    assert flow[-1] == pytest.approx(1.1 * q0, rel=1e-6)
    assert run.pump_speed["pump.0"][-1] == pytest.approx(run.actuators["flow"][-1], rel=1e-9)


def test_supply_temperature_pi_rejects_a_power_step():
    net = cooling_loop()
    setpoint = 309.0
    # plant gain dT_supply / d(facility flow) [K s/kg] around the operating point
    warm, cool = cooling_loop(facility_flow=0.10), cooling_loop(facility_flow=0.11)
    slope = (solve_network(cool, FLUIDS).temperature("supply")
             - solve_network(warm, FLUIDS).temperature("supply")) / 0.01
    control = SupplyTemperatureControl("supply", "supply", setpoint, flow_boundary="fw.supply",
                                       min_value=0.01, max_value=1.0)
    pi = PIControl(control, gain=0.5 / slope, integral_time=30.0)
    steps = {f"plate.{k}": Step(1000.0, 1300.0, 20.0) for k in range(2)}
    run = simulate_transient(net, FLUIDS, 900.0, TransientSettings(dt=0.5),
                             BoundarySchedules(powers=steps), controls=[pi])
    supply = run.temperature("supply")
    assert supply[0] == pytest.approx(setpoint, abs=1e-4)  # started at the met setpoint
    assert supply.max() > setpoint + 0.05  # the power step disturbs it ...
    assert supply[-1] == pytest.approx(setpoint, abs=1e-4)  # ... and integral action removes it
    assert run.actuators["supply"][-1] > run.actuators["supply"][0]  # more facility water


def recovery_time(run, q0, t_change, target):
    """Time [s] after ``t_change`` until the flow stays within 1 % of ``target``."""
    flow = run.flow("supply_pipe") / FLUIDS["coolant"].density(300.0)
    outside = (run.time >= t_change) & (np.abs(flow / (target * q0) - 1.0) > 0.01)
    return float(run.time[np.flatnonzero(outside)[-1]] - t_change) if outside.any() else 0.0


@pytest.mark.parametrize("anti_windup", [True, False])
def test_anti_windup_holds_limits_and_recovers(anti_windup):
    q0 = loop_flow(cooling_loop())
    # 55 s asking for 1.6 q0 (beyond the 1.2 speed limit), then a reachable 1.1 q0
    setpoint = Table((0.0, 5.0, 5.001, 60.0, 60.001), (q0, q0, 1.6 * q0, 1.6 * q0, 1.1 * q0))
    run = run_flow_control(flow_control(q0, setpoint, anti_windup), 150.0)
    speed = run.actuators["flow"]
    assert np.all((speed >= 0.3) & (speed <= 1.2))  # the output stays within its limits
    saturated = (run.time > 15.0) & (run.time < 60.0)
    assert np.all(speed[saturated] == 1.2)
    flow = run.flow("supply_pipe") / FLUIDS["coolant"].density(300.0)
    after = run.time > 60.0
    # time the flow stays over the new target by more than 1 % (the windup's overshoot)
    over = float(np.sum(np.diff(run.time)[after[1:]] * (flow[1:][after[1:]] > 1.01 * 1.1 * q0)))
    recovered = recovery_time(run, q0, 60.0, 1.1)
    # with anti-windup: off the limit within 2 s, within 1 % of the target in 40 s
    meets = over < 2.0 and recovered < 40.0
    if anti_windup:
        assert meets
        assert flow[-1] == pytest.approx(1.1 * q0, rel=1e-5)
    else:  # the wound-up integral holds the speed at its limit: the same check fails
        assert not meets
        assert over > 40.0
