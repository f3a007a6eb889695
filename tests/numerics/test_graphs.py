"""Captured CUDA graphs (:mod:`solver.numerics.graphs`): a stage runs directly the first time,
is captured the second and replayed after that, and the flow solver's iterations run as graphs
compute exactly what their launches one by one compute, also after the viscosity, the
temperature (buoyancy) and the sources changed in place.

On a machine without a GPU the ``gpu`` tests run under the CuPy stand-in
(``PYTHONPATH=../shared/tools/fakecupy``), whose graphs replay the recorded launches on the
same buffers: a graph reading an array the solver has since replaced gives another answer
than the launches, which is what these tests catch."""

import numpy as np
import pytest

from solver.backend import get_backend, to_host
from solver.grid import Grid
from solver.models.flow import FlowSettings, FlowSolver
from solver.numerics.graphs import GraphedStages
from tests.models.test_flow import MU, RHO, channel_boundaries


def test_stages_run_directly_on_the_host():
    """On NumPy every call runs the work and nothing is captured."""
    calls = []
    stages = GraphedStages(np)
    for _ in range(3):
        stages.run("stage", lambda: calls.append(1))
    assert len(calls) == 3 and stages.captured == 0


@pytest.mark.gpu
def test_stage_is_captured_once_and_replayed():
    """First call direct, second captured and launched, later calls replayed; invalidate()
    starts over."""
    xp = get_backend("gpu").xp
    x = xp.zeros(4)
    stages = GraphedStages(xp)
    for expected in (1.0, 2.0, 3.0):
        stages.run("add", lambda: x.__iadd__(1.0))
        assert float(x[0]) == expected
    assert stages.captured == 1
    stages.invalidate()
    assert stages.captured == 0
    stages.run("add", lambda: x.__iadd__(1.0))
    assert float(x[0]) == 4.0 and stages.captured == 0


def _immersed_channel(backend: str, cuda_graph: bool, buoyant: bool) -> FlowSolver:
    """The immersed-solid channel of ``test_flow.test_gpu_matches_cpu_on_an_immersed_channel``
    (optionally with gravity across it)."""
    x, y, z = np.linspace(0, 4e-3, 13), np.linspace(0, 1e-3, 7), np.linspace(0, 1e-3, 7)
    grid = Grid(x, y, z, backend=get_backend(backend))
    fluid = np.ones(grid.shape, bool)
    fluid[:, :1, :] = False
    fluid[4:6, 3:, 2:5] = False
    extra = dict(gravity=(0.0, 0.0, -9.81), thermal_expansion=3e-4,
                 reference_temperature=300.0) if buoyant else {}
    return FlowSolver(grid, fluid, channel_boundaries(False), RHO, MU,
                      FlowSettings(cuda_graph=cuda_graph), **extra)


def _iterate_with_changes(solver: FlowSolver, buoyant: bool) -> list:
    """Twelve outer iterations; the viscosity (and the temperature) change after four and
    eight, as the coupled plate changes them between flow-energy passes."""
    shape = solver.full_grid.shape
    ramp = np.linspace(0.0, 1.0, shape[2])[None, None, :] * np.ones(shape)
    solver.start()
    for k in range(12):
        if k in (4, 8):
            solver.set_viscosity(MU * (1.0 + 0.2 * k / 8 * ramp))
            if buoyant:
                solver.set_temperature(300.0 + 5.0 * k * ramp)
        solver.iterate()
    return [to_host(a) for a in (*solver.velocity, solver.pressure)]


@pytest.mark.gpu
@pytest.mark.parametrize("buoyant", [False, True])
def test_flow_iterations_as_graphs_match_launches(buoyant):
    """The GPU's outer iterations with their stages captured give the velocities and pressure
    of the same iterations launched kernel by kernel, to 1e-12, after in-place changes of the
    viscosity and the buoyancy force; the momentum, correction and flexible-CG stages are held
    as graphs."""
    graphed = _immersed_channel("gpu", True, buoyant)
    launched = _immersed_channel("gpu", False, buoyant)
    with_graphs = _iterate_with_changes(graphed, buoyant)
    without = _iterate_with_changes(launched, buoyant)
    for a, b in zip(with_graphs, without, strict=True):
        np.testing.assert_allclose(a, b, rtol=0.0, atol=1e-12 * np.abs(b).max())
    assert graphed._stages.captured >= 2 and launched._stages.captured == 0
    assert graphed._pressure.multigrid.stages.captured >= 1
    assert launched._pressure.multigrid.stages.captured == 0


@pytest.mark.gpu
def test_nothing_allocates_inside_a_capture():
    """A captured graph replays on the memory its launches were given: an array allocated
    during the capture goes back to CuPy's pool afterwards and may be handed to other work.
    The stand-in counts such allocations (a real GPU cannot: the test needs the stand-in)."""
    import cupy

    if not hasattr(cupy, "_trace"):
        pytest.skip("allocations during a capture are counted by the CuPy stand-in only")
    cupy._trace.COUNTS.clear()
    _iterate_with_changes(_immersed_channel("gpu", True, True), True)
    assert cupy._trace.COUNTS["graph"] > 0
    assert cupy._trace.COUNTS["alloc_in_capture"] == 0


@pytest.mark.gpu
def test_an_iteration_costs_the_host_few_operations():
    """Issue 11's target: with its stages captured, a SIMPLEC iteration costs the host at most
    10 operations (kernel and graph launches) and 2 synchronisations, counted over the
    iterations after the first two (stages run directly, then captured) as their median (an
    iteration that refreshes the pressure operator adds its coarsest inverse). Before the
    stages (stop 31) the channel plate's iterations cost 181. Counted by the stand-in only."""
    import cupy

    if not hasattr(cupy, "_trace"):
        pytest.skip("host operations are counted by the CuPy stand-in only")
    counts = cupy._trace.COUNTS
    solver = _immersed_channel("gpu", True, False)
    solver.start()
    operations, syncs = [], []
    for _ in range(20):
        before = dict(counts)
        solver.iterate()
        operations.append(sum(counts[k] - before.get(k, 0)
                              for k in ("elementwise", "reduction", "raw", "graph")))
        syncs.append(counts["sync"] - before.get("sync", 0))
    assert np.median(operations[2:]) <= 10
    assert np.median(syncs[2:]) <= 2
