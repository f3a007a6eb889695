"""Inlet and outlet ports on faces of the geometry (a manifold port entering a plenum).

A port with a plane position (``Patch(side, region, position)``) sits between coolant cells and
solid or empty cells inside the domain. It must act exactly like a port on a domain side:

* **Equivalence.** A channel whose inlet and outlet are ports on the faces of solid (flow) or
  empty (energy) blocks placed before and after it reproduces the channel with the same ports on
  the domain sides, field by field, to the solver tolerance (1e-7 relative; both solves run to
  residuals of 1e-10). Both flow directions are tested, so ports on min and max sides are.
* **Perpendicular feed.** A parallel-plate channel fed through a port in its ceiling develops
  the plane Poiseuille pressure gradient downstream: Darcy f*Re = 96 (Shah & London 1978,
  *Laminar Flow Forced Convection in Ducts*) within 1% on 16 cells across the gap, and within
  1e-6 of the same channel fed through its end face (the discrete value; measured: 95.813,
  -0.19% with the quadratic wall gradient, equal to 5e-8).
* **Balances.** Mass balance < 1e-9 and energy balance ``|Q - m cp (T_out - T_in)| / Q`` < 1e-6
  with a heated floor; the heat leaving through the port equals ``m cp T_out``.
"""

import dataclasses

import numpy as np
import pytest

from solver.boundaries import HeatFlux, Inlet, Outlet, Patch, Symmetry
from solver.grid import Grid
from solver.models.energy import ConductionSolve, energy_balance, solve_energy
from solver.models.flow import FlowSettings, FlowSolver
from solver.numerics.linear import LinearSolve

RHO, MU, CP, K_FLUID = 1000.0, 1e-3, 4180.0, 0.6
GAP, LENGTH, BLOCK = 1e-3, 8e-3, 0.5e-3
TIGHT = FlowSettings(convection="van_leer", tolerance=1e-10, max_iterations=4000,
                     pressure_rtol=1e-6)
SPANWISE = [Symmetry(Patch("z_min")), Symmetry(Patch("z_max"))]


def solve_flow(grid, fluid, boundaries, settings=TIGHT):
    solver = FlowSolver(grid, fluid, boundaries, RHO, MU, settings)
    solution = solver.solve()
    assert solution.converged
    return solver, solution


def solve_heat(grid, fluid, boundaries, mass_flux):
    """Energy with a heated floor (5 kW/m2); water-like fluid, empty cells outside the fluid."""
    k = np.where(fluid, K_FLUID, 0.0)
    cp = np.where(fluid, CP, 0.0)
    heated = boundaries + [HeatFlux(Patch("y_min"), 5e3, name="floor")]
    settings = ConductionSolve(linear=LinearSolve(method="bicgstab", rtol=1e-12),
                               tolerance=1e-10, max_iterations=200, initial_temperature=300.0)
    result = solve_energy(grid, k, heated, 0.0, mass_flux, cp, scheme="tvd", settings=settings)
    balance = energy_balance(grid, result.temperature, k, heated, 0.0, mass_flux, cp,
                             scheme="tvd")
    return result.temperature, balance


@pytest.mark.parametrize("forward, wall_gradient",
                         [(True, "linear"), (False, "linear"), (True, "quadratic")],
                         ids=["ports_min_to_max", "ports_max_to_min", "quadratic_wall"])
def test_ports_on_block_faces_equal_domain_side_ports(forward, wall_gradient):
    """Ports on the faces of blocks inside the domain reproduce domain-side ports (1e-7),
    also with the quadratic wall gradient (an inlet's zero tangential velocity taken as a
    wall's, on the side and on the block face alike)."""
    settings = dataclasses.replace(TIGHT, wall_gradient=wall_gradient)
    nx, ny = 32, 8
    x = np.linspace(0.0, LENGTH, nx + 1)
    y = np.linspace(0.0, GAP, ny + 1)
    z = np.array([0.0, GAP / ny])
    inlet_side, outlet_side = ("x_min", "x_max") if forward else ("x_max", "x_min")
    plane = {"x_min": 0.0, "x_max": LENGTH}

    sides = Grid(x, y, z)
    fluid_sides = np.ones(sides.shape, bool)
    ports_sides = [Inlet(Patch(inlet_side), velocity=0.02, temperature=300.0, name="in"),
                   Outlet(Patch(outlet_side), 0.0, name="out")]
    _, reference = solve_flow(sides, fluid_sides, SPANWISE + ports_sides, settings)

    blocks = Grid(np.concatenate([[-BLOCK], x, [LENGTH + BLOCK]]), y, z)
    fluid_blocks = np.ones(blocks.shape, bool)
    fluid_blocks[[0, -1]] = False  # solid (for the flow) before and after the channel
    ports_blocks = [
        Inlet(Patch(inlet_side, position=plane[inlet_side]), velocity=0.02, temperature=300.0,
              name="in"),
        Outlet(Patch(outlet_side, position=plane[outlet_side]), 0.0, name="out")]
    solver, ported = solve_flow(blocks, fluid_blocks, SPANWISE + ports_blocks, settings)

    scale = np.abs(reference.velocity[0]).max()
    for axis in range(3):
        inner = ported.velocity[axis][1:-1]
        assert np.abs(inner - reference.velocity[axis]).max() < 1e-7 * scale
    dp = reference.pressure_drop["static"]
    assert ported.pressure_drop["static"] == pytest.approx(dp, rel=1e-7)
    assert ported.pressure_drop["total"] == pytest.approx(reference.pressure_drop["total"],
                                                          rel=1e-7)
    assert np.abs(ported.pressure[1:-1] - reference.pressure).max() < 1e-7 * abs(dp)
    assert solver.mass_balance_error() < 1e-9

    # energy: the same temperatures, the blocks being empty cells behind the ports
    t_sides, balance_sides = solve_heat(sides, fluid_sides, ports_sides, reference.mass_flux)
    t_blocks, balance_blocks = solve_heat(blocks, fluid_blocks, ports_blocks, ported.mass_flux)
    assert np.abs(t_blocks[1:-1] - t_sides).max() < 1e-7 * float(t_sides.max() - 300.0)
    flows_sides = balance_sides["patch_heat_flows"]
    flows_blocks = balance_blocks["patch_heat_flows"]
    for name in ("in", "out", "floor"):
        assert flows_blocks[name] == pytest.approx(flows_sides[name], rel=1e-7)
    assert balance_blocks["relative_imbalance"] < 1e-9


def ceiling_fed_channel(ny: int = 16, nx: int = 32):
    """Parallel plates (gap along y) fed through a port in the ceiling over the first 0.75 mm,
    with a 0.25 mm solid lid above; outlet on the x_max end face."""
    dy = GAP / ny
    y = np.concatenate([np.linspace(0.0, GAP, ny + 1), [GAP + 0.25e-3]])
    grid = Grid(np.linspace(0.0, LENGTH, nx + 1), y, np.array([0.0, dy]))
    fluid = np.ones(grid.shape, bool)
    fluid[:, -1] = False  # the lid
    flow = 0.01 * GAP * dy  # mean channel velocity 0.01 m/s, Re = 20 on D_h = 2 gap
    ports = [Inlet(Patch("y_max", ((0.0, 0.75e-3), (0.0, dy)), position=GAP),
                   volumetric_flow=flow, temperature=300.0, name="port"),
             Outlet(Patch("x_max"), 0.0, name="out")]
    return grid, fluid, ports, flow


def developed_fre(solution, grid, fluid, mean_velocity):
    """Darcy f*Re from the mean pressure gradient between 60% and 90% of the length."""
    nx = grid.shape[0]
    p = np.array([solution.pressure[i][fluid[i]].mean() for i in range(nx)])
    i0, i1 = int(0.6 * nx), int(0.9 * nx)
    x = grid.centers[0]
    gradient = -(p[i1] - p[i0]) / (x[i1] - x[i0])
    hydraulic_diameter = 2 * GAP
    friction = gradient * hydraulic_diameter / (0.5 * RHO * mean_velocity**2)
    return friction * RHO * mean_velocity * hydraulic_diameter / MU


def test_ceiling_port_feeds_plane_poiseuille_flow():
    """Downstream of a ceiling port the channel is plane Poiseuille flow (f*Re 96, 1%), equal to
    the end-fed channel's discrete value (1e-6); mass and energy balances close."""
    settings = FlowSettings(convection="van_leer", tolerance=1e-9, max_iterations=4000)
    grid, fluid, ports, flow = ceiling_fed_channel()
    solver, solution = solve_flow(grid, fluid, SPANWISE + ports, settings)
    fre = developed_fre(solution, grid, fluid, 0.01)
    assert fre == pytest.approx(96.0, rel=0.01)

    end_fed = Grid(grid.faces[0], grid.faces[1][:-1], grid.faces[2])
    end_ports = [Inlet(Patch("x_min"), volumetric_flow=flow, temperature=300.0),
                 Outlet(Patch("x_max"), 0.0)]
    _, reference = solve_flow(end_fed, np.ones(end_fed.shape, bool), SPANWISE + end_ports,
                              settings)
    fre_end = developed_fre(reference, end_fed, np.ones(end_fed.shape, bool), 0.01)
    assert fre == pytest.approx(fre_end, rel=1e-6)

    # all the flow enters through the port (downward) and leaves through the end face
    assert solver.mass_balance_error() < 1e-9
    assert solution.pressure_drop["mass_flow"] == pytest.approx(RHO * flow, rel=1e-9)
    port_flux = solution.mass_flux[1][:, -2, :]
    assert port_flux.sum() == pytest.approx(-RHO * flow, rel=1e-9)
    assert np.all(port_flux[grid.centers[0] > 0.75e-3] == 0.0)

    temperature, balance = solve_heat(grid, fluid, ports, solution.mass_flux)
    flows = balance["patch_heat_flows"]
    heat = flows["floor"]
    assert heat == pytest.approx(5e3 * LENGTH * grid.widths[2][0], rel=1e-12)
    # heat carried: m cp (T_out - T_in) from the outlet's mixing-cup temperature
    out_flux = solution.mass_flux[0][-1][fluid[-1]]
    t_out = float((out_flux * temperature[-1][fluid[-1]]).sum() / out_flux.sum())
    rise_heat = RHO * flow * CP * (t_out - 300.0)
    assert abs(heat - rise_heat) / heat < 1e-6
    assert flows["port"] == pytest.approx(RHO * flow * CP * 300.0, rel=1e-12)


def test_port_without_coolant_behind_it_is_reported():
    """A port plane with no coolant on its inner side names the port and the likely mistake."""
    grid, fluid, ports, _ = ceiling_fed_channel(ny=8, nx=8)
    misplaced = [Inlet(Patch("y_min", ((0.0, 0.75e-3), (0.0, 1.0)), position=GAP),
                       velocity=0.01, temperature=300.0, name="port"), ports[1]]
    with pytest.raises(ValueError, match="inlet port 'port' at y = 0.001 m covers no face"):
        FlowSolver(grid, fluid, SPANWISE + misplaced, RHO, MU, TIGHT)


def test_port_position_must_be_a_grid_plane_inside_the_domain():
    grid, _, _, _ = ceiling_fed_channel(ny=8, nx=8)
    with pytest.raises(ValueError, match="not a grid plane"):
        Patch("y_max", position=0.3e-3 + 1e-5).plane_index(grid)
    with pytest.raises(ValueError, match="on the domain boundary"):
        Patch("y_max", position=0.0).plane_index(grid)


CEILING_CASE = """
[case]
name = "ceiling_ports"

[solver]
physics = "conjugate"

[solver.flow]
scheme = "van_leer"

[grid]
max_spacing = "1 mm"

[materials.test_fluid]
kind = "coolant"
density = 1000.0
specific_heat = 4000.0
viscosity = 1e-3
conductivity = 0.6

[coolant]
name = "test_fluid"

[[bodies]]
name = "plate"
material = "copper"
shape = "box"
min = ["0 mm", "0 mm", "0 mm"]
max = ["20 mm", "10 mm", "4 mm"]

[[bodies]]
name = "upstream_half"
material = "coolant"
shape = "box"
min = ["1 mm", "1 mm", "1 mm"]
max = ["10 mm", "9 mm", "3 mm"]

[[bodies]]
name = "downstream_half"
material = "coolant"
shape = "box"
min = ["10 mm", "1 mm", "1 mm"]
max = ["19 mm", "9 mm", "3 mm"]

[[boundaries]]
name = "heater"
type = "heat_flux"
side = "z_min"
heat_flux = "20 W/cm2"

[[boundaries]]
name = "inlet"
type = "inlet"
side = "z_max"
at = "3 mm"
region = { min = ["1 mm", "3 mm"], max = ["3 mm", "7 mm"] }
volumetric_flow = "0.3 L/min"
temperature = "30 C"

[[boundaries]]
name = "outlet"
type = "outlet"
side = "z_max"
at = "3 mm"
region = { min = ["17 mm", "3 mm"], max = ["19 mm", "7 mm"] }
pressure = "0 Pa"
"""


def test_case_with_ceiling_ports_runs_with_closed_balances(tmp_path):
    """A case file whose ports enter and leave a plenum through its ceiling (key ``at``), with a
    user-defined coolant filling two fluid bodies: the coolant takes up the heater's 40 W
    (Q = m cp dT within 1e-3, the issue's example bound), mass balance < 1e-6."""
    from solver.case import load_case
    from solver.pipeline import run

    path = tmp_path / "ceiling_ports.toml"
    path.write_text(CEILING_CASE)
    summary = run(load_case(path), backend="cpu", output=tmp_path / "results", quiet=True)
    flow = summary["flow"]
    assert flow["heat_input_W"] == pytest.approx(20e4 * 0.02 * 0.01, rel=1e-9)
    assert flow["energy_balance_relative_error"] < 1e-3
    assert flow["mass_balance_relative_error"] < 1e-6
    m_dot = 1000.0 * 0.3e-3 / 60
    assert flow["mass_flow_kg_per_s"] == pytest.approx(m_dot, rel=1e-9)
    assert flow["outlet_temperature_rise_K"] == pytest.approx(40.0 / (m_dot * 4000.0), rel=1e-3)
    assert flow["pressure_drop_Pa"] > 0.0
    # the method and its convergence are reported: summary and images/convergence.png
    method = summary["solver"]["flow_method"]
    assert method["algorithm"] == "simplec" and method["pressure_solver"]["method"] == "pcg"
    image = tmp_path / "results" / "ceiling_ports" / "images" / "convergence.png"
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the streamlines start at the ceiling port (seeded in the cells it feeds)
    from solver.output import ResultDirectory, Scene

    seeds = Scene(ResultDirectory(tmp_path / "results", "ceiling_ports")).inlet_seeds()
    points = seeds.points
    assert len(points) > 0
    assert np.all((points[:, 0] > 1e-3) & (points[:, 0] < 3e-3))
    assert np.all((points[:, 1] > 3e-3) & (points[:, 1] < 7e-3))
    assert np.all((points[:, 2] > 2e-3) & (points[:, 2] < 3e-3))


def _ported_channel_with_rib(backend):
    """A channel between solid blocks with ports on the block faces (inflow 0.05 m/s) and a
    rib across the flow: grid, fluid mask and boundaries on ``backend``."""
    nx, ny = 16, 6
    x = np.concatenate([[-BLOCK], np.linspace(0.0, LENGTH, nx + 1), [LENGTH + BLOCK]])
    grid = Grid(x, np.linspace(0.0, GAP, ny + 1), np.linspace(0.0, GAP, 4), backend=backend)
    fluid = np.ones(grid.shape, bool)
    fluid[[0, -1]] = False
    fluid[6:9, :3, 1] = False  # a rib across the flow
    ports = [Inlet(Patch("x_min", position=0.0), velocity=0.05, temperature=300.0, name="in"),
             Outlet(Patch("x_max", position=LENGTH), 0.0, name="out")]
    return grid, fluid, ports


@pytest.mark.gpu
@pytest.mark.parametrize("scheme, wall_gradient",
                         [("van_leer", "linear"), ("minmod", "linear"),
                          ("linear_upwind", "linear"), ("van_leer", "quadratic")])
def test_gpu_matches_cpu_with_ports_and_each_scheme(scheme, wall_gradient):
    """Ports on block faces (masked upwind nodes at the ports, solid across the flow) with each
    convection scheme, and with the quadratic wall gradient: 40 SIMPLEC iterations on the GPU
    backend give the CPU's velocities and residual history to 1e-10 (the per-cell convection
    kernel against the host's faces)."""
    from solver.backend import get_backend

    runs = []
    for backend in ("cpu", "gpu"):
        grid, fluid, ports = _ported_channel_with_rib(get_backend(backend))
        solver = FlowSolver(grid, fluid, ports, RHO, MU,
                            FlowSettings(convection=scheme, max_iterations=40,
                                         tolerance=1e-14, wall_gradient=wall_gradient))
        solution = solver.solve()
        runs.append(([grid.backend.to_host(u) for u in solution.velocity],
                     [(r.continuity, *r.momentum) for r in solver.history]))
    (cpu, cpu_history), (gpu, gpu_history) = runs
    np.testing.assert_allclose(gpu_history, cpu_history, rtol=1e-10, atol=1e-300)
    for cpu_u, gpu_u in zip(cpu, gpu, strict=True):
        np.testing.assert_allclose(gpu_u, cpu_u, rtol=0, atol=1e-10 * np.abs(cpu_u).max())


@pytest.mark.gpu
def test_gpu_discarded_pressure_solves_give_the_cpu_iterates(monkeypatch):
    """On a GPU the pressure solve runs before the drift test's answer reaches the host and is
    made again when the d coefficients drifted: over the first 25 iterations of the ported
    channel (van Leer) some solves are discarded (more solves than iterations), and the residual
    history, the pressure PCG iterations of every iteration and the velocities are the CPU's
    (1e-10; the iteration counts exactly)."""
    from solver.backend import get_backend
    from solver.models.flow import simplec

    solves = []
    original = simplec.FlowSolver._solve_correction

    def counted(self, *args):
        solves.append(self.iteration)
        return original(self, *args)

    runs = []
    for backend in ("cpu", "gpu"):
        if backend == "gpu":
            monkeypatch.setattr(simplec.FlowSolver, "_solve_correction", counted)
        grid, fluid, ports = _ported_channel_with_rib(get_backend(backend))
        solver = FlowSolver(grid, fluid, ports, RHO, MU,
                            FlowSettings(convection="van_leer", max_iterations=25, tolerance=1e-14,
                                         potential_initialisation=False))
        solution = solver.solve()
        runs.append(([grid.backend.to_host(u) for u in solution.velocity],
                     [(r.continuity, *r.momentum) for r in solver.history],
                     [r.pressure_iterations for r in solver.history]))
    (cpu, cpu_history, cpu_pcg), (gpu, gpu_history, gpu_pcg) = runs
    assert len(solves) > len(gpu_history)  # some speculative solves were discarded
    assert gpu_pcg == cpu_pcg
    np.testing.assert_allclose(gpu_history, cpu_history, rtol=1e-10, atol=1e-300)
    for cpu_u, gpu_u in zip(cpu, gpu, strict=True):
        np.testing.assert_allclose(gpu_u, cpu_u, rtol=0, atol=1e-10 * np.abs(cpu_u).max())


@pytest.mark.gpu
def test_gpu_port_set_up_takes_host_and_device_masks(monkeypatch):
    """Ports on block faces set up on the GPU backend from a host fluid mask (as the flow
    conditions pass it) and from a device one: the same faces. Real CuPy refuses host arrays in
    its functions (``cupy.take`` of a NumPy mask raised a TypeError at set-up); under the CuPy
    stand-in host arrays are made to raise the same way."""
    import cupy

    from solver.backend import get_backend
    from solver.boundaries.ports import port_faces

    if hasattr(cupy, "_trace"):  # the stand-in: refuse host arrays as CuPy does
        monkeypatch.setattr(cupy._trace, "MIXED", "raise")
    grid, fluid, ports = _ported_channel_with_rib(get_backend("gpu"))
    for port in ports:
        host = port_faces(grid, port.patch, fluid)
        device = port_faces(grid, port.patch, cupy.asarray(fluid))
        assert host[:3] == device[:3]
        assert host[3].any() and np.array_equal(host[3], device[3])
