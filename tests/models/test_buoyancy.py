"""Buoyancy from the case file: ``[solver.flow] gravity`` drives a Boussinesq term in the cold
plate's flow, with the coolant's thermal-expansion coefficient at the inlet temperature; flow
and temperature are coupled within each outer iteration, and a closed domain (no inlet, no
outlet) holds natural convection.

Forced flow with buoyancy: fully developed mixed convection in a vertical slot of width ``2a``
between walls at ``T_ref -+ dT/2``, fluid entering at ``T_ref`` (the mean wall temperature); with
gravity along ``-z`` the temperature is linear across the slot, ``T - T_ref = (dT/2) eta`` with
``eta = y/a - 1``, and the axial velocity is the Poiseuille profile plus an antisymmetric
buoyant part (e.g. Bejan, Convection Heat Transfer, 4th ed. 2013, sec. 5.3, mixed convection
between differentially heated walls):

    u(eta) = 3/2 U (1 - eta^2) - C (eta^3 - eta),   C = rho beta g dT a^2 / (12 mu).

The net flow of the buoyant part is zero and, with ``T_ref`` the mean wall temperature, the
pressure gradient is that of Poiseuille flow.

Natural convection: the differentially heated square cavity of de Vahl Davis, Int. J. Numer.
Methods Fluids 3 (1983) 249 (hot and cold side walls, adiabatic top and bottom, Pr 0.71); mean
Nusselt numbers 1.118 (Ra 1e3), 2.243 (Ra 1e4), 4.519 (Ra 1e5).
"""

from __future__ import annotations

import tomllib

import numpy as np
import pytest

from solver.backend import CPU
from solver.case import CaseError, case_from_dict, validate_case
from solver.setup import build_solid_model, from_case

A = 1e-3  # [m] half width of the slot
U = 1e-3  # [m/s] mean velocity
RHO, MU, BETA, G, DT = 1000.0, 8e-4, 3e-4, 9.81, 4.0

SLOT = """
[case]
name = "buoyant_slot"
[solver]
physics = "{physics}"
[solver.flow]
gravity = [0.0, 0.0, {gravity}]
[grid]
max_spacing = ["1 mm", "{spacing} mm", "0.5 mm"]
[materials.slot_fluid]
kind = "coolant"
conductivity = 0.6
density = 1000.0
specific_heat = 4000.0
viscosity = 8e-4
{expansion}
[coolant]
name = "slot_fluid"
[[bodies]]
name = "slot"
material = "{material}"
shape = "box"
min = ["0 mm", "0 mm", "0 mm"]
max = ["1 mm", "2 mm", "40 mm"]
[[boundaries]]
name = "inlet"
type = "inlet"
side = "z_min"
velocity = "1 mm/s"
temperature = "30 C"
[[boundaries]]
name = "outlet"
type = "outlet"
side = "z_max"
pressure = "0 Pa"
[[boundaries]]
name = "cold_wall"
type = "temperature"
side = "y_min"
temperature = "28 C"
[[boundaries]]
name = "hot_wall"
type = "temperature"
side = "y_max"
temperature = "32 C"
[[boundaries]]
name = "front"
type = "symmetry"
side = "x_min"
[[boundaries]]
name = "back"
type = "symmetry"
side = "x_max"
"""


def slot_case(spacing=0.1, gravity=-9.81, expansion="thermal_expansion = 3e-4",
              physics="conjugate", material="coolant"):
    text = SLOT.format(spacing=spacing, gravity=gravity, expansion=expansion, physics=physics,
                       material=material)
    case = case_from_dict(tomllib.loads(text))
    validate_case(case)
    return case


def developed_profile(case):
    """Axial velocity across the slot [m/s] at 80 % of its length, the cell centres' eta, and
    the solve's result."""
    model = build_solid_model(case, CPU)
    result = from_case(case, model).solve()
    w = np.asarray(result.flow.velocity[2])
    eta = model.grid.centers[1] / A - 1.0
    return w[0, :, int(0.8 * (w.shape[2] - 1))], eta, result


def test_mixed_convection_in_a_vertical_slot_second_order():
    """Buoyant (antisymmetric) and forced (symmetric) parts of the velocity against the
    analytic profile on 10, 20 and 40 cells across: observed order >= 1.8 for both, finest
    errors below 0.6 % (buoyant part, of its maximum) and 0.1 % (of the Poiseuille maximum);
    measured 7.2 / 1.86 / 0.47 % and 0.97 / 0.25 / 0.063 %."""
    c = RHO * BETA * G * DT * A**2 / (12.0 * MU)
    buoyant_errors, forced_errors = [], []
    for spacing in (0.2, 0.1, 0.05):
        u, eta, result = developed_profile(slot_case(spacing))
        assert result.converged
        assert result.metrics["buoyancy"]["thermal_expansion_per_K"] == BETA
        buoyant = -c * (eta**3 - eta)
        forced = 1.5 * U * (1.0 - eta**2)
        antisymmetric = 0.5 * (u - u[::-1])
        symmetric = 0.5 * (u + u[::-1])
        buoyant_errors.append(np.max(np.abs(antisymmetric - buoyant)) / np.max(np.abs(buoyant)))
        forced_errors.append(np.max(np.abs(symmetric - forced)) / np.max(forced))
    for errors in (buoyant_errors, forced_errors):
        orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
        assert np.all(orders >= 1.8), (errors, orders)
    assert buoyant_errors[-1] < 6e-3
    assert forced_errors[-1] < 1e-3


def test_without_gravity_the_profile_stays_symmetric():
    """The same slot with zero gravity: no antisymmetric part (below 1e-9 of U), so the case
    key is what makes the difference above."""
    u, _, result = developed_profile(slot_case(0.2, gravity=0.0))
    assert result.converged
    assert "buoyancy" not in result.metrics
    assert np.max(np.abs(u - u[::-1])) < 1e-9 * U


def test_gravity_needs_a_thermal_expansion_coefficient():
    with pytest.raises(CaseError, match="solver.flow.gravity.*thermal-expansion"):
        slot_case(expansion="")


def test_gravity_in_a_conduction_case_is_an_error():
    text = """
[case]
name = "block"
[solver.flow]
gravity = [0.0, 0.0, -9.81]
[[bodies]]
name = "block"
material = "copper"
shape = "box"
min = ["0 mm", "0 mm", "0 mm"]
max = ["10 mm", "10 mm", "2 mm"]
[[boundaries]]
name = "bottom"
type = "temperature"
side = "z_min"
temperature = "30 C"
"""
    case = case_from_dict(tomllib.loads(text))
    with pytest.raises(CaseError, match="solver.flow.gravity.*conduction"):
        validate_case(case)


CAVITY = """
[case]
name = "cavity"
[solver]
physics = "conjugate"
[solver.flow]
gravity = [0.0, 0.0, -9.81]
scheme = "van_leer"
max_iterations = 5000
[solver.flow.tolerances]
continuity = 1e-7
momentum = 1e-7
[solver.nonlinear]
tolerance = 1e-7
[grid]
max_spacing = ["{h} mm", "1 mm", "{h} mm"]
[materials.air_like]
kind = "coolant"
density = 1.0
viscosity = 1e-3
specific_heat = 1000.0
conductivity = {k}
thermal_expansion = {beta}
[coolant]
name = "air_like"
[[bodies]]
name = "cavity"
material = "coolant"
shape = "box"
min = ["0 mm", "0 mm", "0 mm"]
max = ["10 mm", "1 mm", "10 mm"]
[[boundaries]]
name = "hot"
type = "temperature"
side = "x_min"
temperature = "300.5 K"
[[boundaries]]
name = "cold"
type = "temperature"
side = "x_max"
temperature = "299.5 K"
[[boundaries]]
name = "bottom"
type = "adiabatic"
side = "z_min"
[[boundaries]]
name = "top"
type = "adiabatic"
side = "z_max"
[[boundaries]]
name = "front"
type = "symmetry"
side = "y_min"
[[boundaries]]
name = "back"
type = "symmetry"
side = "y_max"
"""


def cavity_nusselt(rayleigh: float, cells: int):
    """Mean Nusselt numbers of the hot and cold walls of the 10 mm cavity (Pr 0.71, dT 1 K,
    1 mm deep) on ``cells`` x ``cells`` cells, and the solve's flow entry."""
    length, nu, dt, depth = 0.01, 1e-3, 1.0, 1e-3
    alpha = nu / 0.71
    k = 1000.0 * alpha
    beta = rayleigh * nu * alpha / (G * dt * length**3)
    case = case_from_dict(tomllib.loads(CAVITY.format(h=10.0 / cells, k=k, beta=beta)))
    validate_case(case)
    result = from_case(case, build_solid_model(case, CPU)).solve()
    assert result.converged
    flows = result.metrics["boundary_heat_flows_W"]
    return (flows["hot"] / (k * dt * depth), -flows["cold"] / (k * dt * depth), result)


def test_natural_convection_cavity_in_one_coupled_loop():
    """Ra 1e3 on 32 x 32 cells: Nu within 0.5 % of de Vahl Davis (measured 1.1180, +0.00 %;
    1.1201, +0.19 %, with the linear wall gradient),
    hot and cold walls equal to 1e-9 (conservation), converged within one coupled loop (a
    second pass only confirms it; measured 301 iterations, about 5 s)."""
    hot, cold, result = cavity_nusselt(1e3, 32)
    assert hot == pytest.approx(1.118, rel=5e-3)
    assert cold == pytest.approx(hot, rel=1e-9)
    assert result.passes <= 2
    assert result.metrics["closed_domain"]


@pytest.mark.slow
def test_natural_convection_cavity_grid_convergence():
    """Ra 1e4 on 32 and 64 cells: the error falls (measured 2.2459 -> 2.2449, +0.13 % ->
    +0.08 %), 64 x 64 within 0.5 % and the Richardson extrapolation (order 2) within 0.3 %
    (measured 2.2446, +0.07 %); Ra 1e5 on 64 x 64 within 1 % (measured 4.5239, +0.11 %). With
    the linear wall gradient: 2.2664 -> 2.2504, Richardson 2.2450, Ra 1e5 4.558 (+0.87 %)."""
    coarse, _, _ = cavity_nusselt(1e4, 32)
    fine, _, _ = cavity_nusselt(1e4, 64)
    assert abs(fine - 2.243) < abs(coarse - 2.243)
    assert fine == pytest.approx(2.243, rel=5e-3)
    assert fine + (fine - coarse) / 3.0 == pytest.approx(2.243, rel=3e-3)
    high, _, _ = cavity_nusselt(1e5, 64)
    assert high == pytest.approx(4.519, rel=1e-2)
