"""Tests of solver.materials against published reference values.

Each test names its source and its tolerance. Sources:

* IAPWS-IF97 (Wagner et al. 2000), Table 5: region-1 verification values.
* IAPWS R12-08 (viscosity, Huber et al. 2009), Table 4: verification values with mu2 = 1.
* IAPWS R15-11 (conductivity, Huber et al. 2012), Table 4: verification values with lambda2 = 0.
* IAPWS-95 (Wagner & Pruss 2002) with IAPWS 2008/2011 transport properties at 0.101325 MPa,
  evaluated with CoolProp 8.0.0 (HEOS backend) -- an independent formulation from IF97.
* Melinder (2010), IIR, aqueous propylene / ethylene glycol by mass, evaluated with CoolProp
  8.0.0 (INCOMP::MPG / INCOMP::MEG) -- checks the transcription of the coefficients.
* Incropera, DeWitt, Bergman & Lavine, Fundamentals of Heat and Mass Transfer, 6th ed.,
  Table A.1 (metals).
* /work/shared/DESIGN.md domain numbers (PG25 and water at 35 C).
"""

import dataclasses
import json

import numpy as np
import pytest

from solver.materials import (
    COOLANTS,
    SOLIDS,
    Coolant,
    IAPWSWater,
    MaterialRangeError,
    Solid,
    UnknownMaterialError,
    ethylene_glycol,
    get_coolant,
    get_solid,
    mass_fraction_from_volume_fraction,
    propylene_glycol,
    volume_fraction_from_mass_fraction,
    water_conductivity_iapws2011,
    water_density_if97,
    water_specific_heat_if97,
    water_viscosity_iapws2008,
)

C = 273.15  # [K] at 0 C


# ---------------------------------------------------------------------------------------------
# Water: official IAPWS verification values (tolerance 1e-8 relative: the tables give 9 digits)
# ---------------------------------------------------------------------------------------------

# IAPWS-IF97 Table 5: T [K], p [Pa], specific volume [m3/kg], cp [J/kg/K]
IF97_TABLE5 = [
    (300.0, 3e6, 0.100215168e-2, 4173.01218),
    (300.0, 80e6, 0.971180894e-3, 4010.08987),
    (500.0, 3e6, 0.120241800e-2, 4655.80682),
]


@pytest.mark.parametrize("T, p, v, cp", IF97_TABLE5)
def test_if97_region1_verification_values(T, p, v, cp):
    """IAPWS-IF97 Table 5; rtol 1e-8."""
    assert 1.0 / water_density_if97(T, p) == pytest.approx(v, rel=1e-8)
    assert water_specific_heat_if97(T, p) == pytest.approx(cp, rel=1e-8)


# IAPWS R12-08 Table 4 (mu2 = 1): T [K], rho [kg/m3], mu [1e-6 Pa s]
VISCOSITY_TABLE4 = [
    (298.15, 998.0, 889.735100),
    (298.15, 1200.0, 1437.649467),
    (373.15, 1000.0, 307.883622),
    (433.15, 1.0, 14.538324),
    (873.15, 600.0, 77.430195),
    (1173.15, 400.0, 64.154608),
]


@pytest.mark.parametrize("T, rho, mu", VISCOSITY_TABLE4)
def test_iapws2008_viscosity_verification_values(T, rho, mu):
    """IAPWS R12-08 Table 4; rtol 1e-7 (the table gives 8-10 significant digits)."""
    assert water_viscosity_iapws2008(T, rho) * 1e6 == pytest.approx(mu, rel=1e-7)


# IAPWS R15-11 Table 4 (lambda2 = 0): T [K], rho [kg/m3], lambda [1e-3 W/m/K]
CONDUCTIVITY_TABLE4 = [
    (298.15, 0.0, 18.4341883),
    (298.15, 998.0, 607.712868),
    (298.15, 1200.0, 799.038144),
    (873.15, 0.0, 79.1034659),
]


@pytest.mark.parametrize("T, rho, k", CONDUCTIVITY_TABLE4)
def test_iapws2011_conductivity_verification_values(T, rho, k):
    """IAPWS R15-11 Table 4; rtol 1e-8."""
    assert water_conductivity_iapws2011(T, rho) * 1e3 == pytest.approx(k, rel=1e-8)


# IAPWS-95 + IAPWS 2008/2011 (full formulations) at 0.101325 MPa, CoolProp 8.0.0 HEOS:
# t [C], rho [kg/m3], cp [J/kg/K], mu [Pa s], k [W/m/K]
WATER_IAPWS95 = [
    (1, 999.9018, 4216.113, 0.001731021, 0.5581834),
    (4, 999.9749, 4207.503, 0.001567292, 0.5654654),
    (10, 999.7025, 4195.159, 0.0013059, 0.5787774),
    (25, 997.0476, 4181.315, 0.0008900225, 0.6065161),
    (50, 988.035, 4181.342, 0.0005465163, 0.6406211),
    (75, 974.8429, 4193.203, 0.0003774158, 0.6635612),
    (95, 961.8879, 4210.171, 0.0002970854, 0.675167),
]


@pytest.mark.parametrize("t, rho, cp, mu, k", WATER_IAPWS95)
def test_water_matches_iapws95_at_one_atmosphere(t, rho, cp, mu, k):
    """IAPWS-95 reference values; rtol 0.01% density, 0.1% cp, 0.01% viscosity and
    conductivity (IF97 departs from IAPWS-95 by up to 0.05% in cp here)."""
    water = get_coolant("water")
    T = t + C
    assert water.density(T) == pytest.approx(rho, rel=1e-4)
    assert water.specific_heat(T) == pytest.approx(cp, rel=1e-3)
    assert water.viscosity(T) == pytest.approx(mu, rel=1e-4)
    assert water.conductivity(T) == pytest.approx(k, rel=1e-4)


@pytest.mark.parametrize("quantity", ["density", "specific_heat", "viscosity", "conductivity"])
def test_water_lookup_grid_matches_formulation(quantity):
    """The 0.05 K lookup grid used for speed reproduces the IAPWS formulations; rtol 1e-6 over
    0-100 C (linear-interpolation error bound h^2/8 |f''/f| is 3e-7 for viscosity)."""
    T = np.linspace(C, C + 100.0, 20001)
    fast = IAPWSWater(quantity)(T)
    exact = IAPWSWater(quantity, tabulated=False)(T)
    np.testing.assert_allclose(fast, exact, rtol=1e-6)


def test_water_density_maximum_near_4_celsius():
    """Liquid water is densest at 3.98 C, 999.97 kg/m3 (IAPWS-95); tolerance 0.05 K, 0.01 kg/m3."""
    T = np.linspace(C + 1.0, C + 7.0, 6001)
    rho = get_coolant("water").density(T)
    assert T[np.argmax(rho)] - C == pytest.approx(3.98, abs=0.05)
    assert rho.max() == pytest.approx(999.97, abs=0.01)


# ---------------------------------------------------------------------------------------------
# DESIGN.md numbers at 35 C
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name, rho, cp, mu, k", [
    ("PG25", 1012.5, 3957.0, 1.54e-3, 0.481),
    ("water", 994.1, 4179.0, 0.719e-3, 0.622),
])
def test_design_numbers_at_35_celsius(name, rho, cp, mu, k):
    """DESIGN.md domain numbers; tolerance: half a unit of the last quoted digit plus rounding
    (rho 0.1 kg/m3, cp 1 J/kg/K, mu 0.5%, k 0.001 W/m/K)."""
    coolant = get_coolant(name)
    T = 35.0 + C
    assert coolant.density(T) == pytest.approx(rho, abs=0.1)
    assert coolant.specific_heat(T) == pytest.approx(cp, abs=1.0)
    assert coolant.viscosity(T) == pytest.approx(mu, rel=5e-3)
    assert coolant.conductivity(T) == pytest.approx(k, abs=1e-3)


# ---------------------------------------------------------------------------------------------
# Glycol solutions (Melinder 2010)
# ---------------------------------------------------------------------------------------------

# Melinder (2010) via CoolProp 8.0.0: t [C], rho, cp, mu [Pa s], k
MELINDER = {
    "PG25": [
        (5, 1024.483, 3884.188, 0.004392858, 0.4541402),
        (20, 1019.278, 3920.468, 0.002445233, 0.4678524),
        (40, 1009.909, 3968.65, 0.001353012, 0.4858398),
        (60, 998.3973, 4015.708, 0.0008780355, 0.5032037),
        (80, 985.4298, 4060.656, 0.0006280126, 0.5196322),
    ],
    "PG40": [
        (5, 1040.064, 3657.951, 0.008981651, 0.3908878),
        (20, 1032.273, 3706.723, 0.004383781, 0.4002618),
        (40, 1020.06, 3770.829, 0.002140783, 0.4132107),
        (60, 1006.314, 3833.866, 0.00128268, 0.4265103),
        (80, 991.6339, 3895.815, 0.0008742529, 0.4399818),
    ],
    "EG30": [
        (5, 1043.47, 3673.379, 0.003559243, 0.4507385),
        (20, 1038.046, 3718.251, 0.00216645, 0.4648972),
        (40, 1028.8, 3775.354, 0.001285553, 0.4830272),
        (60, 1017.462, 3828.72, 0.0008660451, 0.5001835),
        (80, 1004.257, 3877.674, 0.00063884, 0.5162371),
    ],
}


@pytest.mark.parametrize("name, t, rho, cp, mu, k",
                         [(name, *row) for name, rows in MELINDER.items() for row in rows])
def test_glycol_reproduces_melinder(name, t, rho, cp, mu, k):
    """Melinder (2010) polynomials; rtol 1e-5 (the reference is printed to 7 digits)."""
    coolant = get_coolant(name)
    T = t + C
    assert coolant.density(T) == pytest.approx(rho, rel=1e-5)
    assert coolant.specific_heat(T) == pytest.approx(cp, rel=1e-5)
    assert coolant.viscosity(T) == pytest.approx(mu, rel=1e-5)
    assert coolant.conductivity(T) == pytest.approx(k, rel=1e-5)


@pytest.mark.parametrize("name, freezing_point", [
    ("PG25", 263.3645521), ("PG40", 252.5817550), ("EG30", 258.5742221)])
def test_glycol_freezing_point(name, freezing_point):
    """Melinder (2010) freezing-point polynomial via CoolProp 8.0.0; tolerance 1e-6 K."""
    coolant = get_coolant(name)
    assert coolant.freezing_point == pytest.approx(freezing_point, abs=1e-6)
    assert coolant.valid_range == (pytest.approx(freezing_point), pytest.approx(373.15))


@pytest.mark.parametrize("factory", [propylene_glycol, ethylene_glycol])
@pytest.mark.parametrize("t", [20.0, 40.0, 60.0, 80.0])
def test_glycol_without_glycol_is_close_to_iapws_water(factory, t):
    """Independent sources agree at zero glycol: Melinder (2010) at x = 0 against IAPWS water;
    tolerance 0.2% density and cp, 2% viscosity, 1% conductivity (fit accuracy)."""
    solution, water = factory(0.0), get_coolant("water")
    T = t + C
    assert solution.density(T) == pytest.approx(water.density(T), rel=2e-3)
    assert solution.specific_heat(T) == pytest.approx(water.specific_heat(T), rel=2e-3)
    assert solution.viscosity(T) == pytest.approx(water.viscosity(T), rel=2e-2)
    assert solution.conductivity(T) == pytest.approx(water.conductivity(T), rel=1e-2)


def test_glycol_names_mean_mass_percent():
    """'PG35' builds propylene glycol 35% by mass; the registry PG25 is 25% by mass."""
    pg35 = get_coolant("PG35")
    assert pg35.name == "PG35"
    assert "35% by mass" in pg35.description
    assert "25% by mass" in get_coolant("PG25").description
    assert get_coolant("pg25") is COOLANTS["PG25"]
    assert get_coolant("eg-30") is COOLANTS["EG30"]
    with pytest.raises(UnknownMaterialError):
        get_coolant("PG70")
    with pytest.raises(ValueError, match="mass fraction"):
        propylene_glycol(0.7)


def test_volume_to_mass_fraction():
    """Supplier volume percent to mass fraction with pure densities at 20 C (CRC Handbook:
    PG 1036.1, EG 1113.5 kg/m3; IAPWS-95 water 998.21): 25% v/v PG = 0.2571 by mass,
    50% v/v EG = 0.5273 by mass; tolerance 1e-4."""
    assert mass_fraction_from_volume_fraction(0.25) == pytest.approx(0.2571, abs=1e-4)
    assert mass_fraction_from_volume_fraction(0.5, "ethylene") == pytest.approx(0.5273, abs=1e-4)
    assert mass_fraction_from_volume_fraction(0.0) == 0.0
    with pytest.raises(ValueError):
        mass_fraction_from_volume_fraction(0.25, "glycerol")


def test_mass_and_volume_fraction_conversions_are_inverse():
    """volume_fraction_from_mass_fraction undoes mass_fraction_from_volume_fraction (same
    pure-component densities; tolerance 1e-12); 25 % PG by mass is 24.31 % by volume."""
    for glycol in ("propylene", "ethylene"):
        for v in (0.0, 0.1, 0.25, 0.4, 0.58, 1.0):
            x = mass_fraction_from_volume_fraction(v, glycol)
            assert volume_fraction_from_mass_fraction(x, glycol) == pytest.approx(v, abs=1e-12)
    assert volume_fraction_from_mass_fraction(0.25) == pytest.approx(0.2431, abs=1e-4)


# Melinder (2010) via CoolProp 8.0.0, INCOMP::MPG at the mass fraction of 25 % and 40 % by
# volume (0.2570502, 0.4089737 from the conversion above): t [C], rho [kg/m3], mu [Pa s]
MELINDER_BY_VOLUME = {
    "PG 25 %vol": [(10, 1023.663, 0.003669401), (20, 1019.916, 0.002511747),
                   (40, 1010.409, 0.001381716), (60, 998.7895, 0.0008934349)],
    "PG40 vol%": [(10, 1038.401, 0.007213021), (20, 1032.969, 0.004538415),
                  (40, 1020.605, 0.002200836), (60, 1006.738, 0.00131242)],
}


@pytest.mark.parametrize("name, t, rho, mu", [(name, *row) for name, rows in
                                              MELINDER_BY_VOLUME.items() for row in rows])
def test_glycol_by_volume_matches_melinder_at_the_converted_concentration(name, t, rho, mu):
    """A concentration by volume is converted to mass before the correlation: density and
    viscosity equal Melinder (2010) (CoolProp 8.0.0) at the converted mass fraction within
    0.5 % (measured: 1e-6); the same number read by mass would be 2 to 4 % off in viscosity."""
    coolant = get_coolant(name)
    T = t + C
    assert coolant.density(T) == pytest.approx(rho, rel=5e-3)
    assert coolant.viscosity(T) == pytest.approx(mu, rel=5e-3)
    assert coolant.concentration["basis"] == "volume"
    by_mass = get_coolant({"PG 25 %vol": "PG25", "PG40 vol%": "PG40"}[name])
    assert abs(by_mass.viscosity(T) / mu - 1.0) > 0.015


# Lange's Handbook of Chemistry, 15th ed. (Dean, 1999), Table 5.13, freezing points of
# propylene glycol-water mixtures: specific gravity at 15.6 C (60 F) against % glycol by volume.
LANGE_PG_SPECIFIC_GRAVITY = [(5, 1.004), (10, 1.006), (15, 1.012), (20, 1.017), (25, 1.020),
                             (30, 1.024), (35, 1.028), (40, 1.032), (45, 1.037), (50, 1.040)]


def test_glycol_by_volume_density_against_a_volume_percent_table():
    """Propylene glycol by volume: the density ratio to water at 15.6 C (Melinder 2010 at the
    converted concentration over IAPWS water) against the specific gravities of Lange's
    Handbook, which tabulates by volume; within 0.5 % (measured at most 0.43 %, the table
    gives three decimals)."""
    water = get_coolant("water")
    T = (60.0 - 32.0) / 1.8 + C  # 60 F
    for percent, specific_gravity in LANGE_PG_SPECIFIC_GRAVITY:
        coolant = propylene_glycol(percent / 100.0, basis="volume")
        ratio = coolant.density(T) / water.density(T)
        assert ratio == pytest.approx(specific_gravity, rel=5e-3), percent


def test_glycol_basis_in_names_and_argument():
    """'PG25 %vol', 'PG 25% by volume' and get_coolant('PG25', basis='volume') are one coolant
    (25 % by volume = 25.71 % by mass); a stated basis that contradicts the argument, or a
    basis for water, is an error; 'PG25' and 'PG25 wt%' stay 25 % by mass."""
    a, b = get_coolant("PG25 %vol"), get_coolant("PG 25% by volume")
    c = get_coolant("PG25", basis="volume")
    assert a.name == b.name == c.name == "PG25%vol"
    assert a.concentration["mass_fraction"] == pytest.approx(
        mass_fraction_from_volume_fraction(0.25), rel=1e-15)
    assert "25% by volume (25.71% by mass)" in a.description
    assert get_coolant("PG25 wt%") is COOLANTS["PG25"]
    assert COOLANTS["PG25"].concentration == {
        "glycol": "propylene glycol", "basis": "mass", "mass_fraction": 0.25,
        "volume_fraction": pytest.approx(volume_fraction_from_mass_fraction(0.25))}
    with pytest.raises(ValueError, match="by volume, not by mass"):
        get_coolant("PG25 %vol", basis="mass")
    with pytest.raises(ValueError, match="glycols only"):
        get_coolant("water", basis="volume")
    with pytest.raises(UnknownMaterialError):
        get_coolant("PG60 %vol")  # 60.9 % by mass, beyond the correlation


# ---------------------------------------------------------------------------------------------
# Trends and consistency
# ---------------------------------------------------------------------------------------------

CANONICAL_COOLANTS = ["water", "PG20", "PG25", "PG30", "PG40", "PG50", "EG20", "EG25", "EG30",
                      "EG40", "EG50"]


@pytest.mark.parametrize("name", CANONICAL_COOLANTS)
def test_coolant_trends_over_valid_range(name):
    """Physical trends over the whole valid range: viscosity falls with T; all properties stay
    positive; glycol density falls above 10 C; conductivity of water and glycols rises with T
    up to 100 C (IAPWS 2011; Melinder 2010)."""
    coolant = get_coolant(name)
    T = np.linspace(*coolant.valid_range, 400)
    mu = coolant.viscosity(T)
    assert np.all(np.diff(mu) < 0)
    for prop in (coolant.density, coolant.specific_heat, coolant.viscosity,
                 coolant.conductivity):
        assert np.all(prop(T) > 0)
    warm = T[T > C + 10.0]
    assert np.all(np.diff(coolant.density(warm)) < 0)
    assert np.all(np.diff(coolant.conductivity(T)) > 0)


@pytest.mark.parametrize("name", CANONICAL_COOLANTS)
def test_prandtl_is_cp_mu_over_k(name):
    """Pr = cp mu / k (definition); rtol 1e-12. Water at 35 C: Pr = 4.83 (IAPWS, +-0.01)."""
    coolant = get_coolant(name)
    T = np.array([C + 20.0, C + 35.0, C + 60.0])
    expected = coolant.specific_heat(T) * coolant.viscosity(T) / coolant.conductivity(T)
    np.testing.assert_allclose(coolant.prandtl(T), expected, rtol=1e-12)
    np.testing.assert_allclose(coolant.kinematic_viscosity(T),
                               coolant.viscosity(T) / coolant.density(T), rtol=1e-12)
    if name == "water":
        assert coolant.prandtl(C + 35.0) == pytest.approx(4.83, abs=0.01)


# ---------------------------------------------------------------------------------------------
# Range enforcement
# ---------------------------------------------------------------------------------------------


def test_check_range_accepts_valid_temperatures():
    """No error inside the valid range, scalars and arrays (including the end points)."""
    water = get_coolant("water")
    water.check_range(C + 35.0)
    water.check_range(np.array([C, C + 50.0, C + 100.0]))
    water.check_range(np.array([]))


def test_check_range_message_names_coolant_temperature_and_range():
    """The message names the coolant, the temperature in C and K, the place and the range."""
    with pytest.raises(MaterialRangeError) as error:
        get_coolant("water").check_range(272.0, where="rack inlet")
    message = str(error.value)
    for text in ("water", "rack inlet", "-1.15 C", "272.00 K", "0.00 C", "100.00 C",
                 "273.15 K", "373.15 K"):
        assert text in message


def test_check_range_below_glycol_freezing_point():
    """PG25 (25% by mass) freezes at -9.8 C (Melinder 2010): -15 C is out of range, -5 C is in."""
    pg25 = get_coolant("PG25")
    pg25.check_range(C - 5.0)
    with pytest.raises(MaterialRangeError, match="PG25"):
        pg25.check_range(C - 15.0)


def test_check_range_on_arrays_reports_count_and_extremes():
    """Array check: counts the offending values and reports the lowest and highest."""
    T = np.full((4, 3, 2), C + 30.0)
    T[1, 2, 0] = C + 120.0
    with pytest.raises(MaterialRangeError) as error:
        get_coolant("PG25").check_range(T, where="cold plate")
    message = str(error.value)
    assert "1 of 24" in message and "120.00 C" in message and "cold plate" in message


def test_check_range_rejects_non_finite():
    """NaN temperatures are an error, not silently accepted."""
    with pytest.raises(MaterialRangeError, match="not a finite"):
        get_coolant("water").check_range(np.array([300.0, np.nan]))


def test_range_error_is_a_value_error():
    """Callers may catch MaterialRangeError as ValueError."""
    assert issubclass(MaterialRangeError, ValueError)


# ---------------------------------------------------------------------------------------------
# Solids (Incropera Table A.1)
# ---------------------------------------------------------------------------------------------

# name, T [K], k [W/m/K], rho [kg/m3], cp [J/kg/K] from Incropera Table A.1
INCROPERA_A1 = [
    ("copper", 300.0, 401.0, 8933.0, 385.0),
    ("copper", 400.0, 393.0, 8933.0, 397.0),
    ("copper", 200.0, 413.0, 8933.0, 356.0),
    ("aluminium_pure", 300.0, 237.0, 2702.0, 903.0),
    ("aluminium_pure", 400.0, 240.0, 2702.0, 949.0),
    ("silicon", 300.0, 148.0, 2330.0, 712.0),
    ("silicon", 400.0, 98.9, 2330.0, 790.0),
    ("silicon", 600.0, 61.9, 2330.0, 867.0),
    ("nickel", 300.0, 90.7, 8900.0, 444.0),
    ("nickel", 400.0, 80.2, 8900.0, 485.0),
    ("stainless_steel_304", 300.0, 14.9, 7900.0, 477.0),
    ("stainless_steel_304", 400.0, 16.6, 7900.0, 515.0),
]


@pytest.mark.parametrize("name, T, k, rho, cp", INCROPERA_A1)
def test_solids_reproduce_incropera_table(name, T, k, rho, cp):
    """Incropera Table A.1 at its table temperatures; rtol 1e-12 (table points are exact)."""
    solid = get_solid(name)
    assert solid.conductivity(T) == pytest.approx(k, rel=1e-12)
    assert solid.density(T) == pytest.approx(rho, rel=1e-12)
    assert solid.specific_heat(T) == pytest.approx(cp, rel=1e-12)


def test_copper_interpolates_linearly_between_table_points():
    """Copper k at 350 K is the mean of 401 (300 K) and 393 (400 K); rtol 1e-12."""
    assert get_solid("copper").conductivity(350.0) == pytest.approx(397.0, rel=1e-12)


def test_silicon_conductivity_is_a_power_law_between_points_and_falls_with_T():
    """Silicon k (Glassbrenner & Slack 1964 via Incropera A.1) falls with T; between table
    points it follows a power law, so k at the geometric-mean temperature is the geometric mean
    of the end values (rtol 1e-12); about 119 W/m/K at 350 K."""
    silicon = get_solid("silicon")
    T = np.linspace(250.0, 600.0, 200)
    assert np.all(np.diff(silicon.conductivity(T)) < 0)
    T_mid = np.sqrt(300.0 * 400.0)
    assert silicon.conductivity(T_mid) == pytest.approx(np.sqrt(148.0 * 98.9), rel=1e-12)
    assert silicon.conductivity(350.0) == pytest.approx(119.2, abs=0.1)


@pytest.mark.parametrize("name, k", [
    ("aluminium", 167.0), ("aluminum", 167.0), ("aluminium_6061", 167.0),
    ("tim_paste", 5.0), ("tim_indium", 86.0), ("tim_liquid_metal", 16.5), ("solder", 58.0)])
def test_constant_solids(name, k):
    """Constant solids: 6061-T6 167 W/m/K (ASM Handbook), indium 86 W/m/K (Indium Corp.),
    Galinstan 16.5 W/m/K (Hodes et al. 2014), SAC305 58 W/m/K (AIM), paste 5 W/m/K
    (representative); exact."""
    solid = get_solid(name)
    assert not solid.is_temperature_dependent
    assert solid.conductivity(330.0) == k
    assert solid.density(330.0) > 1000.0 and solid.specific_heat(330.0) > 100.0


def test_required_names_are_registered():
    """The names in TEAM.md's contract resolve, and every material cites a source."""
    for name in ("copper", "aluminium", "aluminum", "silicon", "nickel", "tim_paste",
                 "tim_indium", "solder"):
        assert get_solid(name).source
    for name in ("water", "PG25"):
        assert get_coolant(name).source
    assert SOLIDS["aluminum"] is SOLIDS["aluminium"]
    assert get_solid("Copper") is SOLIDS["copper"]
    assert get_solid("copper").is_temperature_dependent


def test_unknown_names_list_available_materials():
    """UnknownMaterialError is a KeyError whose message lists the available names."""
    with pytest.raises(KeyError) as error:
        get_solid("unobtainium")
    assert isinstance(error.value, UnknownMaterialError)
    message = str(error.value)
    assert message.startswith("unknown solid 'unobtainium'")
    assert "copper" in message and "tim_indium" in message
    with pytest.raises(UnknownMaterialError, match="PG25"):
        get_coolant("antifreeze")


# ---------------------------------------------------------------------------------------------
# Array kinds, shapes and dtypes
# ---------------------------------------------------------------------------------------------


def _all_property_functions():
    for solid in (get_solid("copper"), get_solid("silicon"), get_solid("aluminium")):
        yield solid.name, solid.conductivity
        yield solid.name, solid.density
        yield solid.name, solid.specific_heat
    for coolant in (get_coolant("water"), get_coolant("PG25")):
        for prop in (coolant.density, coolant.specific_heat, coolant.viscosity,
                     coolant.conductivity, coolant.prandtl):
            yield coolant.name, prop


def test_float_in_float_out():
    """A Python float gives a Python float."""
    for _, prop in _all_property_functions():
        assert type(prop(310.0)) is float


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_arrays_keep_shape_and_dtype(dtype):
    """A (3, 4, 5) field gives a (3, 4, 5) field of the same dtype, equal to the scalar results
    (rtol 1e-12 in float64, 1e-5 in float32)."""
    T = np.linspace(285.0, 345.0, 60).reshape(3, 4, 5).astype(dtype)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for name, prop in _all_property_functions():
        values = prop(T)
        assert isinstance(values, np.ndarray), name
        assert values.shape == (3, 4, 5) and values.dtype == dtype, name
        expected = [prop(float(t)) for t in T.ravel()]
        np.testing.assert_allclose(values.ravel(), expected, rtol=rtol, err_msg=name)


def test_integer_arrays_are_accepted():
    """Integer kelvin arrays are evaluated in float64."""
    values = get_coolant("water").density(np.array([300, 310]))
    assert values.dtype == np.float64


def test_properties_on_every_backend(backend):
    """The same property code runs on each backend (GPU when present) and matches the CPU
    result; rtol 1e-12."""
    T_host = np.linspace(280.0, 360.0, 24).reshape(2, 3, 4)
    T = backend.asarray(T_host)
    for name, prop in _all_property_functions():
        values = prop(T)
        assert type(values) is type(T), name
        np.testing.assert_allclose(backend.to_host(values), prop(T_host), rtol=1e-12,
                                   err_msg=name)
    get_coolant("water").check_range(T)
    with pytest.raises(MaterialRangeError):
        get_coolant("water").check_range(T + 100.0)


# ---------------------------------------------------------------------------------------------
# User-defined materials and metadata
# ---------------------------------------------------------------------------------------------


def test_user_constant_solid():
    """Solid.constant gives constant properties and is not temperature dependent."""
    solid = Solid.constant("my_copper_alloy", k=350.0, rho=8900.0, cp=390.0)
    assert solid.conductivity(300.0) == 350.0
    np.testing.assert_array_equal(solid.conductivity(np.array([300.0, 400.0])), [350.0, 350.0])
    assert solid.density(350.0) == 8900.0 and solid.specific_heat(350.0) == 390.0
    assert not solid.is_temperature_dependent
    assert solid.thermal_diffusivity(300.0) == pytest.approx(350.0 / (8900.0 * 390.0))


def test_user_table_solid_interpolates_and_clamps():
    """Solid.from_table: linear between points, constant beyond the ends, range = table extent."""
    solid = Solid.from_table("vapour_chamber_equivalent", [300.0, 400.0], [1000.0, 800.0],
                             rho=8900.0, cp=385.0)
    assert solid.is_temperature_dependent
    assert solid.conductivity(350.0) == pytest.approx(900.0)
    assert solid.conductivity(250.0) == pytest.approx(1000.0)
    assert solid.conductivity(500.0) == pytest.approx(800.0)
    assert solid.valid_range == (300.0, 400.0)
    with pytest.raises(MaterialRangeError, match="vapour_chamber_equivalent"):
        solid.check_range(450.0)


def test_user_table_solid_with_tabulated_cp():
    """rho and cp may be tables on the same temperatures."""
    solid = Solid.from_table("s", [300.0, 500.0], [10.0, 20.0], rho=[1000.0, 900.0],
                             cp=[500.0, 700.0])
    assert solid.density(400.0) == pytest.approx(950.0)
    assert solid.specific_heat(400.0) == pytest.approx(600.0)


@pytest.mark.parametrize("kwargs", [
    {"temperatures": [300.0, 300.0], "conductivities": [1.0, 2.0]},
    {"temperatures": [400.0, 300.0], "conductivities": [1.0, 2.0]},
    {"temperatures": [300.0, 400.0], "conductivities": [1.0, -2.0]},
    {"temperatures": [300.0, 400.0], "conductivities": [1.0]},
])
def test_bad_tables_are_rejected(kwargs):
    """Tables need strictly increasing temperatures and positive values of matching length."""
    with pytest.raises(ValueError):
        Solid.from_table("bad", rho=1000.0, cp=500.0, **kwargs)


def test_bad_constant_is_rejected():
    """Non-positive properties are rejected."""
    with pytest.raises(ValueError):
        Solid.constant("bad", k=0.0, rho=1000.0, cp=500.0)
    with pytest.raises(ValueError):
        Coolant.constant("bad", rho=1000.0, cp=4000.0, mu=-1e-3, k=0.6)


def test_user_constant_coolant():
    """Coolant.constant: constant properties, Prandtl from its definition, unbounded range by
    default and an explicit range when given."""
    coolant = Coolant.constant("test_fluid", rho=1000.0, cp=4000.0, mu=1e-3, k=0.5)
    assert coolant.prandtl(300.0) == pytest.approx(8.0)
    assert not coolant.is_temperature_dependent
    coolant.check_range(1000.0)
    bounded = Coolant.constant("bounded", 1000.0, 4000.0, 1e-3, 0.5, valid_range=(280.0, 320.0))
    with pytest.raises(MaterialRangeError, match="bounded"):
        bounded.check_range(330.0)


@pytest.mark.parametrize(("celsius", "expected"), [(20.0, 206.6e-6), (25.0, 257.0e-6),
                                                    (40.0, 385.4e-6), (60.0, 523.1e-6)])
def test_water_thermal_expansion(celsius, expected):
    """beta = -(1/rho) drho/dT of water at 1 atm from the IF97 density law, against Kell,
    J. Chem. Eng. Data 20 (1975) 97 (as tabulated in the CRC Handbook) within 0.5 %
    (measured within 0.15 %)."""
    beta = get_coolant("water").thermal_expansion(celsius + 273.15)
    assert beta == pytest.approx(expected, rel=5e-3)


def test_coolant_expansion_given_or_derived():
    """A constant-density coolant has beta 0 unless given; a table coolant derives it from
    its density (linear table: the secant slope over +-0.5 K, exact here)."""
    assert Coolant.constant("c", 1000.0, 4000.0, 1e-3, 0.6).thermal_expansion(300.0) == 0.0
    given = Coolant.constant("c", 1000.0, 4000.0, 1e-3, 0.6, expansion=3e-4)
    assert given.thermal_expansion(300.0) == 3e-4
    table = Coolant.from_table("t", [280.0, 320.0], rho=[1010.0, 990.0], cp=4000.0, mu=1e-3,
                               k=0.6)
    assert table.thermal_expansion(300.0) == pytest.approx(0.5 / 1000.0, rel=1e-12)
    # whether buoyancy can act at all (checked by the case for [solver.flow] gravity)
    assert given.expands and table.expands and get_coolant("water").expands
    assert not Coolant.constant("c", 1000.0, 4000.0, 1e-3, 0.6).expands


def test_user_table_coolant():
    """Coolant.from_table: viscosity interpolated exponentially (geometric mean half-way),
    the others linearly; exact at the table points (rtol 1e-12)."""
    coolant = Coolant.from_table("vendor_pg25", [283.15, 303.15, 323.15],
                                 rho=[1025.0, 1016.0, 1005.0], cp=[3900.0, 3950.0, 4000.0],
                                 mu=[3.5e-3, 1.9e-3, 1.1e-3], k=0.48)
    assert coolant.viscosity(303.15) == pytest.approx(1.9e-3, rel=1e-12)
    assert coolant.viscosity(293.15) == pytest.approx(np.sqrt(3.5e-3 * 1.9e-3), rel=1e-12)
    assert coolant.density(293.15) == pytest.approx(1020.5, rel=1e-12)
    assert coolant.conductivity(300.0) == 0.48
    assert coolant.valid_range == (283.15, 323.15)


def test_materials_are_frozen():
    """Materials are immutable values."""
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_solid("copper").name = "brass"
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_coolant("water").valid_range = (0.0, 1000.0)


def test_describe_is_json_serialisable():
    """describe() gives plain data for result metadata (name, source, range, property kinds)."""
    for material in [*SOLIDS.values(), *COOLANTS.values(),
                     Solid.constant("u", 1.0, 2.0, 3.0), Coolant.constant("v", 1.0, 2.0, 3.0, 4.0)]:
        data = json.loads(json.dumps(material.describe()))
        assert data["name"] == material.name
        assert data["source"]
    water = get_coolant("water").describe()
    assert water["kind"] == "coolant" and water["valid_range_K"] == [273.15, 373.15]
    assert "IAPWS" in water["viscosity_Pa_s"]["formulation"]
