"""Validation of time-accurate flow (solver.models.flow.time_stepping).

References
----------
* Taylor, G. I. & Green, A. E. (1937) Proc. R. Soc. Lond. A 158:499-521: the 2-D vortex
  ``u = U sin(kx) cos(ky), v = -U cos(kx) sin(ky)`` is an exact Navier-Stokes solution that
  decays as ``exp(-2 nu k^2 t)``. On the square ``[0, pi/k]^2`` its normal velocity and shear
  vanish on every side, so symmetry (free-slip) sides bound it exactly.
* Temporal order is measured on one fixed grid from three step sizes (Richardson): the spatial
  error is the same in all three runs and cancels in their differences.
"""

import numpy as np
import pytest

from solver.boundaries import Inlet, Outlet, Patch, Symmetry
from solver.grid import Grid
from solver.models.flow import DivergenceError, FlowSettings, FlowSolver
from solver.models.flow.time_stepping import TimeSettings, TimeStepper, run_time_averaged

RHO, MU = 1000.0, 1e-3
NU = MU / RHO
SIDE, U0 = 1e-3, 0.01  # Reynolds number U0 SIDE / nu = 10
K = np.pi / SIDE
DECAY_TIME = 1.0 / (2.0 * NU * K**2)  # [s] e-folding time of the vortex's velocity


def taylor_green(n: int, steps: int, end_time: float, momentum_sweeps: int = 16):
    """u on the x faces at ``end_time`` after ``steps`` BDF2 steps, and the exact u there."""
    grid = Grid.uniform((SIDE, SIDE, SIDE / n), (n, n, 1))
    sides = [Symmetry(Patch(f"{a}_{e}")) for a in "xyz" for e in ("min", "max")]
    settings = FlowSettings(relax_velocity=0.8, pressure_rtol=1e-6, momentum_sweeps=momentum_sweeps,
                            potential_initialisation=False)
    flow = FlowSolver(grid, np.ones(grid.shape, bool), sides, RHO, MU, settings)
    (xf, yf, _), (xc, yc, _) = grid.faces, grid.centers
    u = U0 * np.sin(K * xf)[:, None, None] * np.cos(K * yc)[None, :, None]
    v = -U0 * np.cos(K * xc)[:, None, None] * np.sin(K * yf)[None, :, None]
    flow.set_state((u, v, np.zeros((n, n, 2))), np.zeros(grid.shape))
    stepper = TimeStepper(flow, TimeSettings(time_step=end_time / steps, inner_iterations=100,
                                             inner_tolerance=1e-7))
    for _ in range(steps):
        record = stepper.step()
        assert record.converged
    assert stepper.time == pytest.approx(end_time)
    return flow.velocity[0].copy(), u * np.exp(-end_time / DECAY_TIME)


def test_taylor_green_decay_is_second_order_in_time():
    """BDF2 (backward-Euler start): the step-halving differences fall by 4 (observed order
    2 +- 0.3 on both pairs), and the finest run matches the exact decay to 0.1 % of U0."""
    runs = [taylor_green(24, steps, DECAY_TIME) for steps in (8, 16, 32)]
    coarse = np.max(np.abs(runs[0][0] - runs[1][0]))
    fine = np.max(np.abs(runs[1][0] - runs[2][0]))
    order = np.log2(coarse / fine)
    assert 1.7 < order < 2.3, order
    assert np.max(np.abs(runs[2][0] - runs[2][1])) < 1e-3 * U0


def test_fixed_step_and_courant_target():
    """A fixed time_step is taken as given; the adaptive step meets the Courant target on its
    first step and grows by at most max_step_growth."""
    grid = Grid.uniform((6e-3, 1e-3, 1.25e-4), (24, 8, 1))
    flow = FlowSolver(grid, np.ones(grid.shape, bool), channel(), RHO, MU, FlowSettings())
    flow.start()
    stepper = TimeStepper(flow, TimeSettings(cfl=0.5, max_step_growth=1.1))
    expected = 0.5 / stepper.courant_rate()
    first = stepper.step()
    assert first.dt == pytest.approx(expected)
    second = stepper.step()
    assert second.dt <= 1.1 * first.dt * (1 + 1e-12)
    fixed = TimeStepper(flow, TimeSettings(time_step=1e-3))
    assert fixed.step().dt == 1e-3


def channel():
    """Plane channel 6 mm long, 1 mm gap, Reynolds number 10 on the gap."""
    return [Inlet(Patch("x_min"), velocity=0.01, temperature=300.0),
            Outlet(Patch("x_max"), pressure=0.0), Symmetry(Patch("z_min")),
            Symmetry(Patch("z_max"))]


def test_time_average_of_a_steady_flow_is_the_steady_solution():
    """A steady channel flow run in time: after the start-up the average of fields and pressure
    drop equals the steady solution (1e-5 relative), and the batch-means test stops the run
    after the minimum averaging time with a zero-width interval."""
    grid = Grid.uniform((6e-3, 1e-3, 1.25e-4), (24, 8, 1))
    fluid = np.ones(grid.shape, bool)
    steady = FlowSolver(grid, fluid, channel(), RHO, MU, FlowSettings(tolerance=1e-10))
    reference = steady.solve()
    assert reference.converged
    flow = FlowSolver(grid, fluid, channel(), RHO, MU, FlowSettings())
    settings = TimeSettings(cfl=2.0, start_up=6.0, min_average=2.0, max_flow_through_times=20.0,
                            inner_tolerance=1e-8, inner_iterations=60)
    result = run_time_averaged(TimeStepper(flow, settings), flow.residence_time(),
                               {"dp": lambda: flow.pressure_drop()["static"]})
    assert result.converged
    assert result.time == pytest.approx(8.0 * flow.residence_time(), rel=0.02)
    dp = result.statistics["dp"]
    assert dp.mean == pytest.approx(reference.pressure_drop["static"], rel=1e-5)
    assert dp.relative_half_width < 1e-5
    flow.set_state(result.velocity, result.pressure)
    u_mean = flow.velocity_on_grid()[0]
    scale = np.max(np.abs(reference.velocity[0]))
    assert np.max(np.abs(u_mean - reference.velocity[0])) < 1e-5 * scale
    assert flow.unsteady is None  # the solver is back in steady mode


def test_a_step_that_blows_up_keeps_the_state_before_it():
    """Non-finite residuals stop the step with DivergenceError and restore the velocities of the
    last completed step."""
    grid = Grid.uniform((6e-3, 1e-3, 1.25e-4), (24, 8, 1))
    flow = FlowSolver(grid, np.ones(grid.shape, bool), channel(), RHO, MU, FlowSettings())
    flow.start()
    stepper = TimeStepper(flow, TimeSettings(time_step=1e-3))
    stepper.step()
    before = [u.copy() for u in flow.velocity]
    flow.velocity[0][5, 3, 0] = np.nan  # corrupted after the step: the next one cannot be finite
    with pytest.raises(DivergenceError, match="start of the step is kept"):
        stepper.step()
    for u, saved in zip(flow.velocity, before, strict=True):
        np.testing.assert_array_equal(u, saved)
    assert stepper.steps == 1


@pytest.mark.gpu
def test_gpu_time_steps_match_cpu():
    """CuPy and NumPy BDF2 runs of the Taylor-Green vortex (16^2, 4 steps) agree to 1e-9 U0."""
    from solver.backend import get_backend

    fields = []
    for name in ("cpu", "gpu"):
        backend = get_backend(name)
        grid = Grid.uniform((SIDE, SIDE, SIDE / 16), (16, 16, 1), backend=backend)
        sides = [Symmetry(Patch(f"{a}_{e}")) for a in "xyz" for e in ("min", "max")]
        flow = FlowSolver(grid, np.ones(grid.shape, bool), sides, RHO, MU,
                          FlowSettings(potential_initialisation=False, pressure_rtol=1e-8))
        (xf, yf, _), (xc, yc, _) = grid.faces, grid.centers
        u = U0 * np.sin(K * xf)[:, None, None] * np.cos(K * yc)[None, :, None]
        v = -U0 * np.cos(K * xc)[:, None, None] * np.sin(K * yf)[None, :, None]
        flow.set_state((u, v, np.zeros((16, 16, 2))), np.zeros(grid.shape))
        stepper = TimeStepper(flow, TimeSettings(time_step=DECAY_TIME / 8, inner_tolerance=1e-9,
                                                 inner_iterations=200))
        for _ in range(4):
            stepper.step()
        fields.append(backend.to_host(flow.velocity[0]))
    np.testing.assert_allclose(fields[1], fields[0], atol=1e-9 * U0)
