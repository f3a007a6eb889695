"""Spreading resistance of a centred isoflux square source on a convectively cooled plate.

Reference: Muzychka, Culham & Yovanovich (2003), "Thermal spreading resistance of eccentric heat
sources on rectangular flux channels", J. Electronic Packaging 125:178-185, eqs. for the mean
source temperature of a single-layer channel (the centred case is that of Yovanovich, Muzychka &
Culham (1999), J. Thermophysics Heat Transfer 13(4):495-500). Plate a x b x t, conductivity k,
adiabatic sides, heat-transfer coefficient h on the sink plane; source c x d centred at (Xc, Yc):

    theta_mean = Q R_1D + 2 sum_m A_m cos(l_m Xc) sin(l_m c/2)/(l_m c)
                        + 2 sum_n A_n cos(d_n Yc) sin(d_n d/2)/(d_n d)
                        + 4 sum_m sum_n A_mn cos(l_m Xc) sin(l_m c/2) cos(d_n Yc) sin(d_n d/2)
                                                 / (l_m d_n c d)
    A_m  = 2 Q [sin((2Xc+c)/2 l_m) - sin((2Xc-c)/2 l_m)] / (a b c k l_m^2 phi(l_m))
    A_mn = 16 Q cos(l_m Xc) sin(l_m c/2) cos(d_n Yc) sin(d_n d/2)
           / (a b c d k b_mn l_m d_n phi(b_mn))
    phi(z) = (z sinh(z t) + h/k cosh(z t)) / (z cosh(z t) + h/k sinh(z t))
    l_m = m pi/a, d_n = n pi/b, b_mn = sqrt(l_m^2 + d_n^2), R_1D = t/(k a b) + 1/(h a b).

(A_n like A_m with b, d, Yc.) The finite-volume plate is checked on a grid a user would pick:
1 mm cells in plan, 0.5 mm through the thickness, source edges on grid lines.
"""

import numpy as np
import pytest

from solver.boundaries import Convection, HeatFlux, Patch
from solver.grid import Grid
from solver.models.energy import solve_conduction


def spreading_mean_rise(a, b, c, d, t, k, h, power, terms=400):
    """Mean source temperature rise [K] and R_1D [K/W], Muzychka et al. (2003), centred source."""
    xc, yc = a / 2, b / 2

    def inverse_phi(z):
        # 1/phi(z) written with tanh so that large z t does not overflow
        th = np.tanh(z * t)
        return (z + h / k * th) / (z * th + h / k)

    m = np.arange(1, terms + 1)
    lam, delta = m * np.pi / a, m * np.pi / b
    r_1d = t / (k * a * b) + 1 / (h * a * b)
    a_m = (2 * power * (np.sin((2 * xc + c) / 2 * lam) - np.sin((2 * xc - c) / 2 * lam))
           / (a * b * c * k * lam**2) * inverse_phi(lam))
    a_n = (2 * power * (np.sin((2 * yc + d) / 2 * delta) - np.sin((2 * yc - d) / 2 * delta))
           / (a * b * d * k * delta**2) * inverse_phi(delta))
    lm, dn = np.meshgrid(lam, delta, indexing="ij")
    beta = np.hypot(lm, dn)
    gx = np.cos(lm * xc) * np.sin(0.5 * lm * c)
    gy = np.cos(dn * yc) * np.sin(0.5 * dn * d)
    a_mn = 16 * power * gx * gy / (a * b * c * d * k * beta * lm * dn) * inverse_phi(beta)
    theta = (power * r_1d
             + 2 * np.sum(a_m * np.cos(lam * xc) * np.sin(0.5 * lam * c) / (lam * c))
             + 2 * np.sum(a_n * np.cos(delta * yc) * np.sin(0.5 * delta * d) / (delta * d))
             + 4 * np.sum(a_mn * gx * gy / (lm * dn * c * d)))
    return theta, r_1d


def test_series_limits():
    """The reference helper itself: no spreading when the source covers the plate, and the
    series has converged (400 vs 800 terms within 1e-5)."""
    theta, r_1d = spreading_mean_rise(0.04, 0.04, 0.04, 0.04, 0.003, 400.0, 5000.0, 100.0)
    assert theta == pytest.approx(100.0 * r_1d, rel=1e-12)
    args = (0.04, 0.04, 0.01, 0.01, 0.003, 400.0, 5000.0, 100.0)
    assert spreading_mean_rise(*args, terms=400)[0] == pytest.approx(
        spreading_mean_rise(*args, terms=800)[0], rel=1e-5)


@pytest.mark.parametrize(
    "plate, source, k, h, power, shape",
    [((0.04, 0.04, 0.003), (0.01, 0.01), 400.0, 5000.0, 100.0, (40, 40, 6)),
     ((0.06, 0.04, 0.005), (0.02, 0.01), 200.0, 2e4, 150.0, (60, 40, 10))],
    ids=["copper-square", "aluminium-rectangle"])
def test_spreading_resistance_isoflux_rectangle(backend, plate, source, k, h, power, shape):
    """(1) Copper plate 40 x 40 x 3 mm, 10 x 10 mm source of 100 W, h = 5000 W/m2K below;
    (2) aluminium-like plate 60 x 40 x 5 mm, 20 x 10 mm source of 150 W, h = 20,000 W/m2K.
    1 mm cells in plan, 0.5 mm through the thickness. Total resistance within 2% of the series
    (measured +0.8% and +1.0%) and the spreading part R_s = R - R_1D within 2% too (measured
    +1.6% and +1.2%); energy balance < 1e-6."""
    (a, b, t), (c, d), ambient = plate, source, 300.0
    theta, r_1d = spreading_mean_rise(a, b, c, d, t, k, h, power)
    r_reference = theta / power

    grid = Grid.uniform(plate, shape, backend=backend)
    patch = Patch("z_max", ((a / 2 - c / 2, a / 2 + c / 2), (b / 2 - d / 2, b / 2 + d / 2)))
    flux = power / (c * d)
    result = solve_conduction(grid, k, [Convection(Patch("z_min"), h, ambient),
                                        HeatFlux(patch, flux)], 0.0)
    assert result.energy_balance["relative_imbalance"] < 1e-6
    assert result.energy_balance["patch_heat_flows"]["heatflux_z_max"] == pytest.approx(power)

    # source-face temperature = top cell centre + q d / k, averaged over the source area
    top = backend.to_host(result.temperature)[:, :, -1] + flux * 0.5 * grid.widths[2][-1] / k
    mask = patch.face_mask(grid)
    areas = np.outer(grid.widths[0], grid.widths[1])
    r_computed = np.sum(((top - ambient) * areas)[mask]) / np.sum(areas[mask]) / power
    assert r_computed == pytest.approx(r_reference, rel=0.02)
    assert r_computed - r_1d == pytest.approx(r_reference - r_1d, rel=0.02)
