"""A cold plate as a reduced-order transient element of the network: the Foster network fitted
to the plate's 3D thermal impedance, run inside the network integrator, against the 3D transient
of the same plate under the same power step (issue 12: within 3 %).

References: JEDEC JESD51-14 (Z_th and its Foster form); Duhamel superposition of the step
response for a linear plate (Carslaw & Jaeger, Conduction of Heat in Solids, sec. 1.14)."""

from pathlib import Path

import numpy as np
import pytest

from solver.backend import get_backend
from solver.case import load_case
from solver.materials import Coolant
from solver.models.coldplate.transient import PlateInputs, PlateTransient, thermal_impedance
from solver.network import Network, Node, PressureBoundary
from solver.network.components import ColdPlate
from solver.network.events import BoundarySchedules
from solver.network.transient import DynamicChip, TransientSettings, simulate_transient
from solver.numerics.time_steps import TimeSteps
from solver.schedules import Step
from solver.setup import build_solid_model, from_case

PLATE = Path(__file__).resolve().parents[1] / "models" / "data" / "small_chip_plate.toml"


def test_network_with_a_foster_plate_follows_the_3d_plate_through_a_power_step():
    """The small chip plate (0.2 L/min of water at 30 C): its Z_th fitted with a Foster network,
    used as the plate's dynamic chip in a network that feeds it at the same inlet temperature,
    under a step from 10 to 50 W at 1 s; the network's chip temperature follows the 3D plate's
    peak die temperature within 3 % of the largest rise (measured 0.61 %) over 12 s; the
    network's chip equals the Foster network's own response to 1e-9 K (measured 2e-13: the
    plumbing adds nothing)."""
    case = load_case(PLATE)
    model = build_solid_model(case, get_backend("cpu"))
    plate = from_case(case, model)
    plate.solve()
    foster = thermal_impedance(plate)["die"]["foster"]
    power = Step(10.0, 50.0, 1.0)
    t_in = plate.inlet_temperature
    # 3D: from the steady state at 10 W
    transient = PlateTransient(plate, PlateInputs(chip_power={"die": power}))
    transient.energy.settle(0.0)
    reference = transient.run(TimeSteps(12.0, 1e-2, 0.25, 1.3))
    # network: one plate between two pressure boundaries, coolant entering at T_in
    water = Coolant.constant("water", rho=plate.density, cp=float(
        plate.coolant.specific_heat(t_in)), mu=plate.viscosity_inlet, k=0.6)
    flow = plate.capacity_rate() / float(plate.coolant.specific_heat(t_in)) / plate.density
    network = Network([Node("in"), Node("out")],
                      [ColdPlate("plate", "in", "out", flows=(flow,), pressure_drops=(50.0,),
                                 power=10.0, resistance_flows=(flow,),
                                 resistances=(foster.steady_resistance,))],
                      pressure_boundaries=[PressureBoundary("in", "in", 50.0, t_in),
                                           PressureBoundary("out", "out", 0.0, t_in)])
    start = foster.steady_state(10.0)
    run = simulate_transient(network, {"coolant": water}, 12.0, TransientSettings(dt=0.05),
                             schedules=BoundarySchedules(powers={"plate": power}),
                             chip_models={"plate": DynamicChip(foster, start)})
    # the 3D records (steps from 10 ms after the jump) interpolated to the network's times
    rise = np.interp(run.time, reference.times, reference.chip_temperature["die"] - t_in)
    chip = run.chip("plate") - t_in
    error = np.max(np.abs(chip - rise))
    assert error < 0.03 * np.max(rise)
    assert chip[0] == pytest.approx(rise[0], rel=0.03)
    exact = foster.steady_resistance * 10.0 + foster.response(run.time, Step(0.0, 40.0, 1.0))
    assert np.max(np.abs(chip - exact)) < 1e-9
