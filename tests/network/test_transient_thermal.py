"""Transient coolant temperatures: transport delay, capacity, energy, steady limit, chip hook.

References
----------
- LeVeque, Finite Volume Methods for Hyperbolic Problems (2002), sec. 8.6 / 4.10: upwind
  numerical diffusion ``D_num = u dx (1 - CFL) / 2`` explicit, ``u dx (1 + CFL) / 2`` for the
  implicit (backward Euler) upwind scheme; a front spreads with variance ``2 D t``.
- Levenspiel, Chemical Reaction Engineering (3rd ed. 1999), ch. 14: tanks-in-series model, the
  residence-time distribution of ``N`` mixed cells has mean ``tau`` and variance ``tau^2 / N``.
- Basu & DasGupta, "The mean, median and mode of unimodal distributions", Theory Probab. Appl.
  41 (1997): ``|median - mean| <= sqrt(3/5) sigma``.
- Incropera & DeWitt, Fundamentals of Heat and Mass Transfer, sec. 5.3 (lumped capacitance):
  ``T - T_in = (T0 - T_in) exp(-t / tau)``, ``tau = rho V cp / (m cp)``.
- Hairer, Norsett & Wanner, Solving ODEs I, sec. II.7: backward Euler is first order, leading
  global error of ``y' = -y / tau`` at time t is ``(t / tau) (dt / 2 tau) y(t)``.
"""

import numpy as np
import pytest
from transient_networks import FLUIDS, cooling_loop, pipe_between_boundaries

from solver.network import Network, Node, PressureBoundary, solve_network
from solver.network.components import HeatLoad
from solver.network.events import BoundarySchedules
from solver.network.thermal_transient import ThermalCapacity
from solver.network.transient import DynamicChip, TransientSettings, simulate_transient
from solver.schedules import Ramp, Step


def residence_time(network):
    """Plug-flow residence time L / u [s] of the network's pipe."""
    steady = solve_network(network, FLUIDS)
    pipe = network.branch("pipe")
    return pipe.length * pipe.flow_area / steady.volumetric_flow[0]


@pytest.mark.parametrize("spread,steps_per_tau", [(0.1, 100), (0.2, 20), (0.1, 10)])
def test_pipe_transport_delay_and_bounded_smearing(spread, steps_per_tau):
    net = pipe_between_boundaries()
    tau = residence_time(net)
    dt = tau / steps_per_tau
    t0 = 10.0 * dt  # on the step grid, so every step after the front is dt long
    settings = TransientSettings(dt=dt, capacity=ThermalCapacity(transport_spread=spread))
    cells = settings.capacity.pipe_cells()
    sigma = np.sqrt(tau**2 / cells + tau * dt)  # documented spread of the arrival
    assert sigma / tau <= np.sqrt(spread**2 + dt / tau) + 1e-12
    run = simulate_transient(net, FLUIDS, t0 + tau + 14.0 * sigma, settings,
                             BoundarySchedules(temperatures={"in": Step(300.0, 310.0, t0)}))
    t, outlet = run.time, run.temperature("out")
    assert outlet[t <= t0 + 1e-9] == pytest.approx(300.0, abs=1e-12)  # nothing before the step
    # arrival-time distribution: the outlet's rise per step, at the step midpoints
    rise = np.diff(outlet) / 10.0
    mid = 0.5 * (t[1:] + t[:-1])
    assert rise.sum() == pytest.approx(1.0, abs=1e-6)
    mean = np.sum(mid * rise) / rise.sum()
    variance = np.sum((mid - mean) ** 2 * rise) / rise.sum()
    # plug flow arrives after L/u; backward Euler adds half a step, exactly
    assert mean - t0 == pytest.approx(tau + dt / 2.0, rel=1e-6)
    # smearing: tanks in series (tau^2/N) + backward-Euler diffusion (tau dt) = 2 D_num tau/u^2
    assert variance == pytest.approx(sigma**2, rel=1e-6)
    # the 50 % crossing lies within half a step plus the unimodal mean-median bound of L/u
    k = int(np.flatnonzero(outlet >= 305.0)[0])
    t50 = t[k - 1] + (305.0 - outlet[k - 1]) / (outlet[k] - outlet[k - 1]) * (t[k] - t[k - 1])
    assert abs(t50 - t0 - tau) <= dt / 2.0 + np.sqrt(3.0 / 5.0) * sigma


def lumped_body(volume=2e-3):
    """A 2 L well-mixed volume fed at 300 K from a pressure boundary."""
    body = HeatLoad("body", "in", "out", power=0.0, rated_flow=1e-4, rated_pressure_drop=1e4)
    return Network([Node("in"), Node("out")], [body],
                   pressure_boundaries=[PressureBoundary("in", "in", 2.5e3, 300.0),
                                        PressureBoundary("out", "out", 0.0, 300.0)]), volume


def test_lumped_body_exponential_first_order_in_time():
    net, volume = lumped_body()
    rho = FLUIDS["coolant"].density(300.0)
    m = solve_network(net, FLUIDS).mass_flow[0]
    tau = rho * volume / m  # rho V cp / (m cp)
    t_end, start = 2.0 * tau, 320.0
    exact = 300.0 + (start - 300.0) * np.exp(-t_end / tau)
    errors, steps = [], [10, 20, 40, 80]
    for n in steps:
        run = simulate_transient(net, FLUIDS, t_end,
                                 TransientSettings(dt=tau / n, capacity=ThermalCapacity(
                                     volumes={"body": volume})),
                                 initial_temperature=start)
        errors.append(abs(run.temperature("out")[-1] - exact))
    order = np.polyfit(np.log(1.0 / np.array(steps)), np.log(errors), 1)[0]
    assert order == pytest.approx(1.0, abs=0.05)
    # and the finest error is the leading backward-Euler term (t/tau)(dt/2tau)(T - T_in)
    leading = (t_end / tau) * (1.0 / (2.0 * steps[-1])) * (exact - 300.0)
    assert errors[-1] == pytest.approx(leading, rel=0.03)


def loop_schedules():
    """Every plate steps 1 -> 2 kW at 20 s; the facility supply warms 32 -> 36 C over 60 s."""
    return BoundarySchedules(
        powers={"plate.0": Step(1000.0, 2000.0, 20.0), "plate.1": Step(1000.0, 2000.0, 20.0)},
        temperatures={"fw.supply": Ramp(305.15, 309.15, 40.0, 60.0)},
        flows={"fw.supply": Step(0.1, 0.06, 70.0)})


def test_energy_is_conserved_over_time():
    net = cooling_loop()
    capacity = ThermalCapacity(wall_heat_capacities={"plate.0": 120.0, "plate.1": 120.0,
                                                     "hx.hot": 4000.0, "supply_pipe": 500.0},
                               volumes={"hx.cold": 3e-3})
    run = simulate_transient(net, FLUIDS, 300.0, TransientSettings(dt=0.7, capacity=capacity),
                             loop_schedules())
    stored, supplied = run.stored_energy, run.energy_change()
    assert stored[-1] > 1e5  # the loop warmed up: a real change of stored energy
    assert np.max(np.abs(stored - supplied)) <= 1e-6 * np.max(np.abs(stored))
    assert run.energy_balance_error() <= 1e-6
    # and the steps landed on the schedule breakpoints
    for t in (20.0, 40.0, 70.0, 100.0):
        assert np.min(np.abs(run.time - t)) < 1e-12


def test_long_times_reproduce_the_steady_network():
    net = cooling_loop()
    steady = solve_network(net, FLUIDS)
    # from a uniform 330 K, large implicit steps reach the steady state
    run = simulate_transient(net, FLUIDS, 4000.0, TransientSettings(dt=20.0),
                             initial_temperature=330.0)
    assert np.max(np.abs(run.node_temperature[0] - steady.node_temperature)) > 1.0
    assert run.node_temperature[-1] == pytest.approx(steady.node_temperature, abs=1e-8)
    assert run.mass_flow[-1] == pytest.approx(steady.mass_flow, rel=1e-12)
    for name in ("plate.0", "plate.1"):
        i = net.branch_index(name)
        case = steady.inlet_temperature[i] + net.branches[i].thermal_resistance(
            steady.volumetric_flow[i]) * net.branches[i].power
        assert run.chip(name)[-1] == pytest.approx(case, abs=1e-8)
    # started at the steady state, the run stays there; both add the pumps' shaft power
    # (solver.network.thermal.pump_heat) to the coolant, the same on the same flows
    still = simulate_transient(net, FLUIDS, 30.0, TransientSettings(dt=1.0))
    assert np.max(np.abs(still.node_temperature - steady.node_temperature)) < 1e-9
    assert steady.pump_heat > 0.0
    assert still.pump_heat == pytest.approx(np.full(still.time.size, steady.pump_heat),
                                            rel=1e-9)


class OneTermFoster:
    """Stub of a one-term Foster network (R [K/W], tau [s]), exact for power linear in a step."""

    def __init__(self, resistance, tau):
        self.resistance, self.tau = resistance, tau

    def advance(self, state, dt, power_start, power_end):
        decay = np.exp(-dt / self.tau)
        slope = (power_end - power_start) / dt
        at_end = self.resistance * (power_end - self.tau * slope)
        at_start = self.resistance * (power_start - self.tau * slope)
        return at_end + (state - at_start) * decay

    def temperature(self, state):
        return state


def test_dynamic_chip_model_hook():
    net = cooling_loop()
    model = OneTermFoster(0.02, 3.0)
    power = Ramp(1000.0, 2000.0, 10.0, 4.0)
    run = simulate_transient(net, FLUIDS, 30.0, TransientSettings(dt=0.25),
                             BoundarySchedules(powers={"plate.0": power}),
                             chip_models={"plate.0": DynamicChip(model, 0.0)})
    # the exact rise of the one-term network for the ramped power, from rest
    t = np.linspace(0.0, 30.0, 300001)
    rise = np.zeros_like(t)
    for j in range(1, t.size):
        rise[j] = model.advance(rise[j - 1], t[j] - t[j - 1], power(t[j - 1]), power(t[j]))
    expected = np.interp(run.time, t, rise) + run.inlet_temperature[:, net.branch_index(
        "plate.0")]
    assert run.chip("plate.0") == pytest.approx(expected, abs=1e-9)
    # the other plate keeps the steady-curve chip temperature T_in + R(Q) P
    steady = solve_network(net, FLUIDS)
    i = net.branch_index("plate.1")
    case = steady.inlet_temperature[i] + net.branches[i].thermal_resistance(
        steady.volumetric_flow[i]) * 1000.0
    assert run.chip("plate.1")[0] == pytest.approx(case, abs=1e-9)


def test_coolant_heat_of_a_plate_solved_in_3d_enters_its_coolant():
    """A plate whose coolant heat comes from its 3D solve (``coolant_heat``): the heat that
    enters its coolant is that schedule, not the chip power (a 3D plate stores part of a power
    step in its solids first), while the chip keeps the power. With the plate's cell passing the
    heat through, its outlet is ``T_in + Q(t) / (m cp)`` exactly (energy balance of the cell,
    Incropera sec. 1.3.1) once the pipe upstream holds a steady inlet; the run's energy balance
    closes to 1e-9 with the coolant heat as the heat supplied."""
    net = cooling_loop()
    delayed = Ramp(1000.0, 2000.0, 20.0, 30.0)  # the power steps at 20 s, the coolant sees a ramp
    schedules = BoundarySchedules(powers={"plate.0": Step(1000.0, 2000.0, 20.0)},
                                  coolant_heat={"plate.0": delayed})
    capacity = ThermalCapacity(volumes={"plate.0": 1e-9})
    run = simulate_transient(net, FLUIDS, 80.0, TransientSettings(dt=0.5, capacity=capacity),
                             schedules)
    assert run.energy_balance_error() <= 1e-9
    i = net.branch_index("plate.0")
    cp = FLUIDS["coolant"].specific_heat(300.0)
    for t in (10.0, 35.0, 60.0):
        k = int(np.argmin(np.abs(run.time - t)))
        # backward Euler takes the heat at the step's middle
        heat = delayed(t - 0.25)
        rise = run.outlet_temperature[k, i] - run.inlet_temperature[k, i]
        assert rise == pytest.approx(heat / (run.mass_flow[k, i] * cp), rel=1e-6)
    # the chip follows the power: its rise over the coolant jumps at 20 s
    chip = run.chip("plate.0")
    k = int(np.argmin(np.abs(run.time - 20.5)))
    assert chip[k] - run.outlet_temperature[k, i] > 1.5 * (chip[k - 2]
                                                          - run.outlet_temperature[k - 2, i])
    with pytest.raises(Exception, match="coolant heat schedule for 'pipe'"):
        simulate_transient(net, FLUIDS, 1.0, TransientSettings(dt=0.5),
                           BoundarySchedules(coolant_heat={"pipe": 1.0}))
