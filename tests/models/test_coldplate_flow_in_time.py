"""A cold plate's flow stepped in time with its inlet flow (solver.models.coldplate.flow_in_time)
and the plate's energy in time on that flow.

References
----------
- The time-accurate flow itself (BDF2 around SIMPLEC) is verified against the decaying
  Taylor-Green vortex in ``tests/models/test_flow_time.py`` (Taylor & Green 1937).
- Steady limit: once the inlet flow holds, an incompressible flow relaxes to the steady flow of
  the new boundary conditions (uniqueness of steady laminar flow at these Reynolds numbers), so
  the stepped flow must end at the steady solution at the new flow rate, and the plate's
  temperature at the steady conjugate solution on it.
- Continuity: the inflow at every time is the schedule's value (imposed at the inlet).
"""

from pathlib import Path

import numpy as np
import pytest

from solver.backend import get_backend
from solver.case import load_case
from solver.models.coldplate.flow_in_time import PlateFlowInTime
from solver.models.coldplate.transient import (
    PlateInputs,
    PlateTransient,
    coolant_mass_flow,
    settling_time,
)
from solver.numerics.time_steps import TimeSteps
from solver.schedules import Step
from solver.setup import build_solid_model, from_case

CASE = Path(__file__).parent / "data" / "small_chip_plate.toml"


def _solved():
    case = load_case(CASE)
    plate = from_case(case, build_solid_model(case, get_backend("cpu")))
    assert plate.solve().converged
    return plate


@pytest.fixture(scope="module")
def plates():
    """The small chip plate solved at its flow, and its steady flow at half that flow (the same
    coolant properties: the steady flow solved again with the inlet scaled)."""
    plate = _solved()
    plate.steady_temperature = plate.temperature.copy()
    half = _solved()
    half.flow.scale_inflow(0.5)
    half.flow.solve(max_iterations=1000)  # to round-off (the plate's tolerance is 0: monitors)
    assert half.flow.history[-1].largest < 1e-13
    return plate, half


def _largest_difference(a, b):
    return max(float(np.max(np.abs(x - y))) for x, y in zip(a.flow.velocity, b.flow.velocity,
                                                             strict=True))


def test_stepped_flow_carries_the_schedule_settles_and_ends_at_the_steady_flow(plates):
    """A step to half the flow at 10 ms: the inflow follows the schedule exactly (1e-12), the flow
    moves, settles within 0.3 s and then equals the steady flow at half the flow (1e-9 of the
    largest speed; measured 1e-16: the settled flow is solved to the steady tolerance from
    there); while the inlet holds no more flow steps are taken. Going back to an earlier time
    (an energy step taken again) restores the flow of that time bit for bit."""
    plate, half = plates
    fresh = _solved()
    m0 = coolant_mass_flow(fresh)
    flow = PlateFlowInTime(fresh, Step(m0, 0.5 * m0, 0.01), m0)
    flow.advance(0.005)
    assert flow.flow_steps == 0 and flow.settled  # before the step the flow holds
    assert _largest_difference(fresh, plate) == 0.0
    flow.advance(0.02)
    assert fresh.flow._boundary_flows()[0] == pytest.approx(0.5 * m0, rel=1e-12)
    assert not flow.settled
    moving = [u.copy() for u in fresh.flow.velocity]
    flow.advance(0.03)
    flow.advance(0.02)  # back: restored from the state saved at 0.02 s
    assert all(np.array_equal(u, v) for u, v in zip(fresh.flow.velocity, moving, strict=True))
    flow.advance(0.3)
    assert flow.settled
    speed = max(float(np.max(np.abs(u))) for u in half.flow.velocity)
    assert _largest_difference(fresh, half) < 1e-9 * speed
    steps = flow.flow_steps
    flow.advance(2.0)
    assert flow.flow_steps == steps


def test_flow_solved_at_the_start_when_the_schedule_starts_elsewhere(plates):
    """An inlet flow that starts at half the flow the plate was solved at: the steady flow at
    half the flow is solved first (1e-9 of the largest speed)."""
    _, half = plates
    fresh = _solved()
    m0 = coolant_mass_flow(fresh)
    PlateFlowInTime(fresh, Step(0.5 * m0, m0, 1.0), m0)
    speed = max(float(np.max(np.abs(u))) for u in half.flow.velocity)
    assert _largest_difference(fresh, half) < 1e-6 * speed


@pytest.mark.slow
def test_plate_in_time_on_the_stepped_flow_ends_at_the_steady_state_of_the_new_flow(plates):
    """The flow halved at 0.6 s; after 12 settling times the die's peak temperature is the steady
    conjugate solution on the steady flow at half the flow within 1e-3 K (measured 4e-5 K; the
    frozen, scaled flow ends 0.30 K off on this plate, whose inlet spreads over the channel ends);
    the energy audit closes to 1e-9 and the coolant takes up the chip's 50 W (0.1 %)."""
    plate, half = plates
    steady = plate.steady_temperature
    reference = PlateTransient(half, PlateInputs(), temperature=steady)
    reference.energy.settle(0.0)
    die = half.model.chip_masks["die"]
    target = float(np.max(reference.energy.temperature[die]))
    fresh = _solved()
    m0 = coolant_mass_flow(fresh)
    end = 12 * settling_time(plate)
    transient = PlateTransient(fresh, PlateInputs(inlet_flow=Step(m0, 0.5 * m0, 0.05 * end)),
                               temperature=steady, flow="time-accurate")
    result = transient.run(TimeSteps(end, 1e-3, end / 20, 1.3))
    assert result.chip_temperature["die"][-1] == pytest.approx(target, abs=1e-3)
    assert abs(result.audit.relative_error) < 1e-9
    assert result.coolant_heat[-1] == pytest.approx(50.0, rel=1e-3)


@pytest.mark.gpu
def test_time_accurate_flow_on_the_gpu_matches_the_cpu(plates):
    """The plate in time on a time-accurate flow on the GPU backend gives the CPU's records: the
    inlet flow halved at 20 ms, six 20 ms steps from each backend's own steady state. Bar 1e-5 K
    (the TVD corrections stop at 1e-6 K; the flow steps' inner iterations stop at their
    tolerance on each backend)."""
    results = []
    for name in ("cpu", "gpu"):
        case = load_case(CASE)
        plate = from_case(case, build_solid_model(case, get_backend(name)))
        assert plate.solve().converged
        m0 = coolant_mass_flow(plate)
        transient = PlateTransient(plate, PlateInputs(inlet_flow=Step(m0, 0.5 * m0, 0.02)),
                                   flow="time-accurate")
        results.append(transient.run(TimeSteps(0.12, 0.02)))
        assert transient.flow_in_time.flow_steps > 5
    cpu, gpu = results
    for got, want in ((gpu.chip_temperature["die"], cpu.chip_temperature["die"]),
                      (gpu.outlet_temperature, cpu.outlet_temperature)):
        np.testing.assert_allclose(got, want, rtol=0.0, atol=1e-5)
