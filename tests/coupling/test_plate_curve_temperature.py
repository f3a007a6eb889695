"""A cold plate's dP curve used at another coolant temperature than it was characterized at.

The network's cold plate (solver.network.components.ColdPlate) reads its power law
``dp = c Q^n`` as a friction factor following a power of the Reynolds number, ``f ~ Re^(n-2)``,
so that ``dp = c (rho/rho_0)^(n-1) (mu/mu_0)^(2-n) Q^n``: n = 1 is the Hagen-Poiseuille
limit (dp proportional to mu Q, White, Fluid Mechanics, 7th ed., eq. 6.44), n = 2 the
fully inertial one (dp proportional to rho V^2). The properties are those at each point's mean
coolant temperature ``(T_in + T_out) / 2``.

- Hand values of the scaling law and of the fit in similarity variables (exact algebra,
  tolerance 1e-12).
- The small chip plate of tests/models/data (PG25) characterized at a 25 C inlet and used at
  45 C: its network dP within 3 % of a 3D solve (solver.models.coldplate) at 45 C, where the
  uncorrected curve is more than 10 % off (PG25 viscosity falls by 40 % from 25 to 45 C,
  Melinder 2010).
"""

from pathlib import Path

import numpy as np
import pytest

from solver.case import load_case
from solver.coupling import characterize, coldplate_runner
from solver.materials import get_coolant
from solver.network.components import ColdPlate
from solver.setup import case_at
from solver.units import LPM

PLATE = Path(__file__).resolve().parents[1] / "models" / "data" / "small_chip_plate.toml"


def test_property_factor_by_hand():
    """n = 1.5 fitted from two points taken at rho 1000 kg/m3, mu 2 mPa s: at rho 990, mu 1 mPa s
    the curve falls by (0.99)^0.5 (0.5)^0.5; n = 1 follows the viscosity alone, n = 2 the
    density alone. The law in the network (family 'power') applies the same factor."""
    q = np.array([1e-5, 2e-5])
    plate = ColdPlate("p", "a", "b", flows=tuple(q), pressure_drops=(1e3, 1e3 * 2**1.5),
                      reference_densities=(1000.0, 1000.0),
                      reference_viscosities=(2e-3, 2e-3))
    c, n, _, _ = plate.fit
    assert n == pytest.approx(1.5, rel=1e-12)
    assert plate.property_factor(990.0, 1e-3) == pytest.approx(np.sqrt(0.99 * 0.5), rel=1e-12)
    rho, mu, flow = 990.0, 1e-3, 1.5e-5
    dp, _ = plate.pressure_drop(flow * rho, rho, mu)
    assert dp == pytest.approx(1e3 * 1.5**1.5 * np.sqrt(0.99 * 0.5), rel=1e-12)
    viscous = ColdPlate("v", "a", "b", flows=tuple(q), pressure_drops=(1e3, 2e3),
                        reference_densities=(1000.0, 1000.0), reference_viscosities=(2e-3, 2e-3))
    assert viscous.property_factor(990.0, 1e-3) == pytest.approx(0.5, rel=1e-12)
    inertial = ColdPlate("i", "a", "b", flows=tuple(q), pressure_drops=(1e3, 4e3),
                         reference_densities=(1000.0, 1000.0),
                         reference_viscosities=(2e-3, 2e-3))
    assert inertial.property_factor(990.0, 1e-3) == pytest.approx(0.99, rel=1e-12)
    # without reference properties the curve is used as given
    plain = ColdPlate("n", "a", "b", flows=tuple(q), pressure_drops=(1e3, 1e3 * 2**1.5))
    assert plain.property_factor(990.0, 1e-3) == 1.0
    assert plain.pressure_drop(flow * rho, rho, mu)[0] == pytest.approx(1e3 * 1.5**1.5,
                                                                        rel=1e-12)


def test_fit_in_similarity_variables_recovers_the_law():
    """Points generated from dp = c r^(n-1) v^(2-n) Q^n with a different coolant state at each
    point (as a characterization's outlet temperatures give): the fit returns c and n and
    reproduces every point (exact algebra, 1e-10)."""
    c, n = 3.0e7, 1.3
    q = np.array([0.5, 1.0, 2.0, 3.0]) / LPM
    rho = np.array([1012.0, 1014.0, 1015.0, 1015.5])
    mu = np.array([1.5e-3, 1.7e-3, 1.8e-3, 1.85e-3])
    rho_0, mu_0 = np.exp(np.mean(np.log(rho))), np.exp(np.mean(np.log(mu)))
    dp = c * (rho / rho_0) ** (n - 1) * (mu / mu_0) ** (2 - n) * q**n
    plate = ColdPlate("p", "a", "b", flows=tuple(q), pressure_drops=tuple(dp),
                      reference_densities=tuple(rho), reference_viscosities=tuple(mu))
    assert plate.fit[0] == pytest.approx(c, rel=1e-10)
    assert plate.fit[1] == pytest.approx(n, rel=1e-10)
    for k in range(q.size):
        law, _ = plate.pressure_drop(q[k] * rho[k], rho[k], mu[k])
        assert law == pytest.approx(dp[k], rel=1e-10)


@pytest.fixture(scope="module")
def pg25_plate(tmp_path_factory):
    text = PLATE.read_text().replace('name = "water"', 'name = "PG25"')
    path = tmp_path_factory.mktemp("plate") / "small_chip_plate.toml"
    path.write_text(text)
    return load_case(path)


def test_curve_characterized_at_25_c_predicts_the_3d_pressure_drop_at_45_c(pg25_plate):
    """Characterized at a 25 C inlet (0.1, 0.2, 0.4 L/min), used at 45 C and 0.25 L/min: the
    corrected network dP is within 3 % of the 3D solve at 45 C; the curve as characterized is
    more than 10 % too high there."""
    coolant = get_coolant("PG25")
    power = sum(chip.power for chip in pg25_plate.chips)
    cold = case_at(pg25_plate, 298.15, power)
    curves = characterize(cold, [q / LPM for q in (0.1, 0.2, 0.4)], store=False)
    data = curves.network_plate()
    temperatures = data.pop("curve_temperatures")
    plate = ColdPlate("p", "a", "b", flows=data["flows"], pressure_drops=data["pressure_drops"],
                      reference_densities=tuple(coolant.density(t) for t in temperatures),
                      reference_viscosities=tuple(coolant.viscosity(t) for t in temperatures))
    flow = 0.25 / LPM
    point = coldplate_runner(case_at(pg25_plate, 318.15, power), flow)
    mean = 0.5 * (point.inlet_temperature + point.outlet_temperature)
    rho, mu = float(coolant.density(mean)), float(coolant.viscosity(mean))
    corrected, _ = plate.pressure_drop(flow * rho, rho, mu)
    as_characterized = ColdPlate("u", "a", "b", flows=data["flows"],
                                 pressure_drops=data["pressure_drops"])
    uncorrected, _ = as_characterized.pressure_drop(flow * rho, rho, mu)
    print(f"3D dP at 45 C {point.pressure_drop:.4g} Pa, corrected {corrected:.4g} Pa "
          f"({corrected / point.pressure_drop - 1:+.2%}), as characterized {uncorrected:.4g} Pa "
          f"({uncorrected / point.pressure_drop - 1:+.2%}), exponent {plate.fit[1]:.3f}")
    assert corrected == pytest.approx(point.pressure_drop, rel=0.03)
    assert uncorrected / point.pressure_drop - 1.0 > 0.10
    # R(Q) is not corrected: what the 45 C solve gives against the 25 C fit R = c + d Q^-m,
    # whose flow-dependent part d Q^-m is all a Prandtl/conductivity correction could act on
    fit = curves.resistance_fit("die")
    r_3d = (point.case_temperatures["die"] - point.inlet_temperature) / point.chip_powers["die"]
    print(f"R at 45 C {r_3d:.4f} K/W, 25 C fit {fit.resistance(flow):.4f} K/W "
          f"({fit.resistance(flow) / r_3d - 1:+.2%}), of it flow-dependent "
          f"{fit.d * flow ** -fit.m:.4f} K/W")
