"""Conjugate heat transfer with a prescribed flow: a parallel-plate channel between heated walls.

Reference: Shah & London (1978), Laminar Flow Forced Convection in Ducts, Academic Press,
ch. VI: hydrodynamically and thermally fully developed flow between parallel plates, both walls at
uniform heat flux, Nu = h D_h / k = 140/17 = 8.235 with D_h = 2 x spacing.

Set-up: water-like fluid in a 1 mm gap with the exact parabolic velocity profile (face mass
fluxes are the exact integrals of the parabola over each cell, so the field is divergence-free),
0.5 mm stainless-steel walls (k = 16 W/m/K, short axial-conduction length), uniform heat flux
into both outer faces, inlet by temperature, zero-gradient outlet. Nu is evaluated in the
fully developed region from the discrete interface flux, the interface temperature (series
conductances) and the mixing-cup bulk temperature. Tolerance 1% (measured 0.01%).
"""

import numpy as np
import pytest

from solver.boundaries import HeatFlux, Inlet, Outlet, Patch
from solver.grid import Grid
from solver.models.energy import solve_energy

WALL, HALF_GAP, LENGTH, DEPTH = 0.5e-3, 0.5e-3, 0.03, 1e-3
K_FLUID, K_WALL, RHO, CP, U_MEAN, FLUX, T_IN = 0.6, 16.0, 1000.0, 4000.0, 0.01, 1e4, 300.0


def _channel(backend, n_fluid=10, n_wall=4, nx=60):
    y = np.concatenate([np.linspace(0, WALL, n_wall + 1),
                        np.linspace(WALL, WALL + 2 * HALF_GAP, n_fluid + 1)[1:],
                        np.linspace(WALL + 2 * HALF_GAP, 2 * WALL + 2 * HALF_GAP, n_wall + 1)[1:]])
    grid = Grid(np.linspace(0, LENGTH, nx + 1), y, [0.0, DEPTH], backend=backend)
    fluid = (grid.centers[1] > WALL) & (grid.centers[1] < WALL + 2 * HALF_GAP)
    conductivity = np.broadcast_to(np.where(fluid, K_FLUID, K_WALL)[None, :, None], grid.shape)

    def primitive(yy):
        # integral of u = 1.5 U (1 - eta^2) over y, eta = (y - centre) / half gap
        eta = (np.clip(yy, WALL, WALL + 2 * HALF_GAP) - (WALL + HALF_GAP)) / HALF_GAP
        return 1.5 * U_MEAN * HALF_GAP * (eta - eta**3 / 3.0)

    column = RHO * DEPTH * (primitive(y[1:]) - primitive(y[:-1]))
    fx = np.broadcast_to(column[None, :, None], (nx + 1, grid.shape[1], 1))
    flux = tuple(backend.asarray(np.ascontiguousarray(f)) for f in
                 (fx, np.zeros((nx, grid.shape[1] + 1, 1)), np.zeros((nx, grid.shape[1], 2))))
    gap = ((WALL, WALL + 2 * HALF_GAP), (0.0, DEPTH))
    bcs = [Inlet(Patch("x_min", gap), velocity=U_MEAN, temperature=T_IN),
           Outlet(Patch("x_max", gap)),
           HeatFlux(Patch("y_min"), FLUX), HeatFlux(Patch("y_max"), FLUX)]
    return grid, backend.asarray(np.ascontiguousarray(conductivity)), flux, bcs, fluid, column


@pytest.mark.parametrize("scheme", ["upwind", "tvd"])
def test_parallel_plates_uniform_flux_nusselt(backend, scheme):
    grid, conductivity, flux, bcs, fluid, column = _channel(backend)
    result = solve_energy(grid, conductivity, bcs, 0.0, flux, CP, scheme)
    assert result.converged
    balance = result.energy_balance
    assert balance["relative_imbalance"] < 1e-6

    temperature = backend.to_host(result.temperature)[:, :, 0]
    i = int(0.6 * grid.shape[0])  # fully developed: x / (D_h Pe) ~ 0.05 here
    j = int(np.argmax(fluid))  # first fluid cell above the lower wall
    d_wall, d_fluid = 0.5 * grid.widths[1][j - 1], 0.5 * grid.widths[1][j]
    # discrete interface flux and interface temperature from the series conductances
    resistance = d_wall / K_WALL + d_fluid / K_FLUID  # [m2 K/W] wall centre to fluid centre
    q_interface = (temperature[i, j - 1] - temperature[i, j]) / resistance
    t_interface = temperature[i, j - 1] - q_interface * d_wall / K_WALL
    t_bulk = np.sum(column * temperature[i]) / np.sum(column)
    nusselt = q_interface * 4 * HALF_GAP / (K_FLUID * (t_interface - t_bulk))
    assert nusselt == pytest.approx(140.0 / 17.0, rel=0.01)
    assert q_interface == pytest.approx(FLUX, rel=0.01)

    # heat balance of the coolant: m cp (T_out - T_in) = 2 q L depth
    outlet = balance["patch_heat_flows"]["outlet_x_max"]
    inlet = balance["patch_heat_flows"]["inlet_x_min"]
    assert -(outlet + inlet) == pytest.approx(2 * FLUX * LENGTH * DEPTH, rel=1e-6)
