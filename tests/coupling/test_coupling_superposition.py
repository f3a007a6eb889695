"""Superposition of chip powers and inlet temperature on a fixed flow field.

A small conjugate problem: a copper base (k 400 W/m/K) under a water layer (k 0.6, cp 4180,
rho 1000) in plug flow along x, two chips in the base, an inlet and an outlet patch, and a weak
convective loss on the top of the water (h 10 W/m2/K to 300 K) so that the "other boundary
data" term is exercised too. With first-order upwind and constant properties the discrete
energy equation is linear, so the superposed field must equal a direct solve up to the linear
solver's tolerance (issue 5 asks 0.1 K; we get about 1e-6 K).
"""

import numpy as np
import pytest

from solver.boundaries import Convection, Inlet, Outlet, Patch
from solver.coupling import unit_responses
from solver.grid import Grid
from solver.models.energy import ConductionSolve, solve_energy
from solver.numerics.linear import LinearSolve

RHO, CP_WATER, K_WATER, K_COPPER = 1000.0, 4180.0, 0.6, 400.0
VELOCITY = 0.05  # [m/s] plug flow
NX, NY, NZ = 24, 4, 8
LX, LY, LZ = 0.04, 0.01, 0.004
SOLID_LAYERS = 4


def _problem(backend, convection=True):
    grid = Grid.uniform((LX, LY, LZ), (NX, NY, NZ), backend=backend)
    fluid = np.zeros((NX, NY, NZ), dtype=bool)
    fluid[:, :, SOLID_LAYERS:] = True
    k = np.where(fluid, K_WATER, K_COPPER)
    cp = np.where(fluid, CP_WATER, 0.0)
    dy, dz = LY / NY, LZ / NZ
    fx = np.zeros((NX + 1, NY, NZ))
    fx[:, :, SOLID_LAYERS:] = RHO * VELOCITY * dy * dz
    flux = (fx, np.zeros((NX, NY + 1, NZ)), np.zeros((NX, NY, NZ + 1)))
    z_fluid = (SOLID_LAYERS * dz, LZ)
    boundaries = [Inlet(Patch("x_min", ((0.0, LY), z_fluid)), velocity=VELOCITY,
                        temperature=308.15, name="inlet"),
                  Outlet(Patch("x_max", ((0.0, LY), z_fluid)), name="outlet")]
    if convection:
        boundaries.append(Convection(Patch("z_max"), h=10.0, ambient_temperature=300.0))
    volume = grid.cell_volumes()
    sources = {}
    for name, (i0, i1) in {"gpu0": (3, 8), "gpu1": (14, 19)}.items():
        mask = np.zeros((NX, NY, NZ), dtype=bool)
        mask[i0:i1, :, 0] = True
        per_watt = np.where(mask, 1.0, 0.0) / float(np.sum(backend.to_host(volume)[mask]))
        sources[name] = backend.asarray(per_watt)
    arrays = {"k": backend.asarray(k), "cp": backend.asarray(cp),
              "flux": tuple(backend.asarray(f) for f in flux)}
    return grid, boundaries, sources, arrays


def _direct(grid, boundaries, sources, arrays, powers, inlet_temperature):
    from dataclasses import replace

    bcs = [replace(b, temperature=inlet_temperature) if isinstance(b, Inlet) else b
           for b in boundaries]
    source = sum(p * sources[name] for name, p in powers.items())
    settings = ConductionSolve(linear=LinearSolve(method="bicgstab", rtol=1e-12,
                                                  max_iterations=2000), relaxation=1.0)
    return solve_energy(grid, arrays["k"], bcs, source, arrays["flux"], arrays["cp"],
                        scheme="upwind", settings=settings)


@pytest.mark.parametrize("convection", [True, False], ids=["with_convection", "inlet_only"])
def test_superposition_matches_direct_solve(backend, convection):
    grid, boundaries, sources, arrays = _problem(backend, convection)
    responses = unit_responses(grid, arrays["k"], boundaries, sources, arrays["flux"],
                               arrays["cp"])
    assert responses.energy_imbalance < 1e-8
    assert (responses.base is not None) == convection
    if not convection:
        # the inlet is the only thermal boundary: a 1 K inlet lifts every cell by 1 K
        np.testing.assert_allclose(backend.to_host(responses.inlet), 1.0, atol=1e-8)
    errors = []
    for powers, t_in in [({"gpu0": 1000.0, "gpu1": 1000.0}, 308.15),
                         ({"gpu0": 1400.0, "gpu1": 250.0}, 313.15),
                         ({"gpu1": 700.0}, 300.0)]:
        direct = _direct(grid, boundaries, sources, arrays, powers, t_in)
        superposed = responses.temperature(powers, t_in)
        error = float(np.max(np.abs(backend.to_host(superposed)
                                    - backend.to_host(direct.temperature))))
        rise = float(backend.to_host(direct.temperature).max()) - t_in
        assert rise > 5.0  # a real heating problem, not a trivial one
        assert error < 1e-3, f"superposition error {error:.2e} K"
        errors.append(error)
    print(f"superposition max error {max(errors):.2e} K")


def test_unit_response_energy_per_watt(backend):
    """1 W in a chip, zero inlet and no losses: the outlet carries the 1 W (m cp dT), less the
    small part conducted back out through the fixed-temperature inlet face (0.03 % here)."""
    grid, boundaries, sources, arrays = _problem(backend, convection=False)
    responses = unit_responses(grid, arrays["k"], boundaries, {"gpu0": sources["gpu0"]},
                               arrays["flux"], arrays["cp"])
    g = backend.to_host(responses.chips["gpu0"])
    fx = backend.to_host(arrays["flux"][0])
    outflow_heat = float(np.sum(fx[-1] * CP_WATER * g[-1]))
    assert outflow_heat == pytest.approx(1.0, rel=1e-3)


def test_unknown_chip_is_an_error(backend):
    grid, boundaries, sources, arrays = _problem(backend, convection=False)
    responses = unit_responses(grid, arrays["k"], boundaries, sources, arrays["flux"],
                               arrays["cp"])
    with pytest.raises(KeyError, match="no unit response"):
        responses.temperature({"cpu": 100.0}, 300.0)


CONJUGATE_CASE = """
[case]
name = "two_chip_plate"

[solver]
physics = "conjugate"

[solver.flow]
scheme = "upwind"

[solver.nonlinear]
max_iterations = 1          # constant coolant properties: one flow-energy pass

[grid]
max_spacing = "1 mm"

[[bodies]]
name = "base"
material = "copper"
shape = "box"
min = ["0 mm", "0 mm", "0 mm"]
max = ["40 mm", "10 mm", "2 mm"]

[[bodies]]
name = "channel"
material = "coolant"
shape = "box"
min = ["0 mm", "0 mm", "2 mm"]
max = ["40 mm", "10 mm", "4 mm"]

[[chips]]
name = "upstream"
body = "base"
power = "15 W"
footprint = { min = ["4 mm", "0 mm"], max = ["14 mm", "10 mm"] }

[[chips]]
name = "downstream"
body = "base"
power = "25 W"
footprint = { min = ["26 mm", "0 mm"], max = ["36 mm", "10 mm"] }

[[boundaries]]
name = "inlet"
type = "inlet"
side = "x_min"
region = { min = ["0 mm", "2 mm"], max = ["10 mm", "4 mm"] }
volumetric_flow = "1 L/min"
temperature = "35 C"

[[boundaries]]
name = "outlet"
type = "outlet"
side = "x_max"
region = { min = ["0 mm", "2 mm"], max = ["10 mm", "4 mm"] }
"""


def test_superposition_on_a_solved_cold_plate(tmp_path):
    """Unit responses from a conjugate cold-plate solve (flow solver + energy) reproduce the
    plate's own temperature field and a direct energy solve at another power map and inlet
    temperature, within 0.1 K (issue 5)."""
    from solver.backend import CPU
    from solver.case import load_case
    from solver.coupling import unit_responses_from_cold_plate
    from solver.setup import build_solid_model, from_case

    path = tmp_path / "two_chip_plate.toml"
    path.write_text(CONJUGATE_CASE)
    case = load_case(path)
    model = build_solid_model(case, CPU)
    plate = from_case(case, model)
    assert plate.settings.energy_scheme == "upwind"
    result = plate.solve()
    responses = unit_responses_from_cold_plate(plate, result)
    t_in = plate.inlet_temperature
    same = responses.temperature({"upstream": 15.0, "downstream": 25.0}, t_in)
    own_error = float(np.max(np.abs(same - result.temperature)))
    assert own_error < 0.1
    print(f"cold plate: superposed vs own field {own_error:.2e} K")
    # another power map and inlet temperature against a direct solve on the same flow field
    powers, t_new = {"upstream": 40.0, "downstream": 5.0}, t_in + 5.0
    source = sum(p * (np.where(model.chip_masks[n], model.heat_source, 0.0)
                      / {"upstream": 15.0, "downstream": 25.0}[n]) for n, p in powers.items())
    from dataclasses import replace

    bcs = [replace(b, temperature=t_new) if isinstance(b, Inlet) else b
           for b in getattr(plate, "boundaries", None) or model.boundaries]
    settings = ConductionSolve(linear=LinearSolve(method="bicgstab", rtol=1e-12,
                                                  max_iterations=2000), relaxation=1.0)
    direct = solve_energy(plate.grid, result.conductivity, bcs, source,
                          tuple(result.flow.mass_flux), plate.specific_heat, scheme="upwind",
                          settings=settings)
    superposed = responses.temperature(powers, t_new)
    error = float(np.max(np.abs(superposed - direct.temperature)))
    assert float(direct.temperature.max()) - t_new > 5.0
    assert error < 0.1, f"superposition error {error:.3g} K"
    print(f"cold plate: superposed vs direct solve {error:.2e} K")


def test_characterize_runs_the_cold_plate_model(tmp_path):
    """The default runner drives solver.models.coldplate: dP rises and R falls with flow, the outlet
    temperature rise follows m cp dT = P, and the curves land in the plate cache."""
    from solver.case import load_case
    from solver.coupling import characterize
    from solver.setup import curves_path
    from solver.units import LPM

    path = tmp_path / "two_chip_plate.toml"
    path.write_text(CONJUGATE_CASE)
    case = load_case(path)
    flows = [q / LPM for q in (0.5, 1.0, 2.0)]
    curves = characterize(case, flows, backend="cpu")
    assert curves_path(case, flows).is_file()
    assert np.all(np.diff(curves.pressure_drops) > 0)
    for chip in ("upstream", "downstream"):
        assert np.all(np.diff(curves.resistances[chip]) < 0)
    # outlet rise = P / (m cp) with the coolant's properties at the inlet
    coolant = case.coolant_material()
    t_in = curves.inlet_temperature
    rise = 40.0 / (coolant.density(t_in) * coolant.specific_heat(t_in) * curves.flows)
    np.testing.assert_allclose(curves.outlet_temperatures - t_in, rise, rtol=5e-3)
    fit = curves.pressure_drop_fit()
    assert fit.max_relative_error < 0.05  # laminar plate: dP nearly linear in Q
