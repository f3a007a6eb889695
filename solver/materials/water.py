"""Water from the IAPWS formulations: IF97 region 1 density and specific heat, 2008 viscosity,
2011 conductivity, tabulated for fast evaluation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solver.materials.coolants import Coolant
from solver.materials.properties import ATMOSPHERIC_PRESSURE, ZERO_CELSIUS, finish, prepare

# IAPWS-IF97 region 1, Table 2: exponents I, J and coefficients n of the dimensionless Gibbs
# free energy gamma(pi, tau) = sum n (7.1 - pi)^I (tau - 1.222)^J.
_IF97_REGION1 = (
    (0, -2, 0.14632971213167), (0, -1, -0.84548187169114), (0, 0, -0.37563603672040e1),
    (0, 1, 0.33855169168385e1), (0, 2, -0.95791963387872), (0, 3, 0.15772038513228),
    (0, 4, -0.16616417199501e-1), (0, 5, 0.81214629983568e-3), (1, -9, 0.28319080123804e-3),
    (1, -7, -0.60706301565874e-3), (1, -1, -0.18990068218419e-1), (1, 0, -0.32529748770505e-1),
    (1, 1, -0.21841717175414e-1), (1, 3, -0.52838357969930e-4), (2, -3, -0.47184321073267e-3),
    (2, 0, -0.30001780793026e-3), (2, 1, 0.47661393906987e-4), (2, 3, -0.44141845330846e-5),
    (2, 17, -0.72694996297594e-15), (3, -4, -0.31679644845054e-4), (3, 0, -0.28270797985312e-5),
    (3, 6, -0.85205128120103e-9), (4, -5, -0.22425281908000e-5), (4, -2, -0.65171222895601e-6),
    (4, 10, -0.14341729937924e-12), (5, -8, -0.40516996860117e-6), (8, -11, -0.12734301741641e-8),
    (8, -6, -0.17424871230634e-9), (21, -29, -0.68762131295531e-18),
    (23, -31, 0.14478307828521e-19), (29, -38, 0.26335781662795e-22),
    (30, -39, -0.11947622640071e-22), (31, -40, 0.18228094581404e-23),
    (32, -41, -0.93537087292458e-25),
)


_IF97_GAS_CONSTANT = 461.526  # [J/kg/K] specific gas constant of water in IF97


_IF97_P_STAR = 16.53e6  # [Pa]


_IF97_T_STAR = 1386.0  # [K]


# IAPWS 2008 viscosity (R12-08): reference values and coefficients H_i (Table 1), H_ij (Table 2)
_WATER_T_CRIT = 647.096  # [K]


_WATER_RHO_CRIT = 322.0  # [kg/m3]


_VISCOSITY_H0 = (1.67752, 2.20462, 0.6366564, -0.241605)


_VISCOSITY_H1 = (  # rows i = 0..5, columns j = 0..6
    (5.20094e-1, 2.22531e-1, -2.81378e-1, 1.61913e-1, -3.25372e-2, 0.0, 0.0),
    (8.50895e-2, 9.99115e-1, -9.06851e-1, 2.57399e-1, 0.0, 0.0, 0.0),
    (-1.08374, 1.88797, -7.72479e-1, 0.0, 0.0, 0.0, 0.0),
    (-2.89555e-1, 1.26613, -4.89837e-1, 0.0, 6.98452e-2, 0.0, -4.35673e-3),
    (0.0, 0.0, -2.57040e-1, 0.0, 0.0, 8.72102e-3, 0.0),
    (0.0, 1.20573e-1, 0.0, 0.0, 0.0, 0.0, -5.93264e-4),
)


# IAPWS 2011 thermal conductivity (R15-11): coefficients L_k (Table 1), L_ij (Table 2)
_CONDUCTIVITY_L0 = (2.443221e-3, 1.323095e-2, 6.770357e-3, -3.454586e-3, 4.096266e-4)


_CONDUCTIVITY_L1 = (  # rows i = 0..4, columns j = 0..5
    (1.60397357, -0.646013523, 0.111443906, 0.102997357, -0.0504123634, 0.00609859258),
    (2.33771842, -2.78843778, 1.53616167, -0.463045512, 0.0832827019, -0.00719201245),
    (2.19650529, -4.54580785, 3.55777244, -1.40944978, 0.275418278, -0.0205938816),
    (-1.21051378, 1.60812989, -0.621178141, 0.0716373224, 0.0, 0.0),
    (-2.7203370, 4.57586331, -3.18369245, 1.1168348, -0.19268305, 0.012913842),
)


def _horner(coefficients, x):
    """``sum c_k x^k`` for coefficients lowest power first (x scalar or array)."""
    result = coefficients[-1] + 0.0 * x
    for c in reversed(coefficients[:-1]):
        result = result * x + c
    return result


def _if97_gibbs_derivatives(T, pressure):
    """IF97 region 1 ``(gamma_pi, gamma_tau_tau)`` at temperature ``T`` [K], pressure [Pa]."""
    pi = pressure / _IF97_P_STAR
    a = 7.1 - pi
    b = _IF97_T_STAR / T - 1.222
    # collapse the pressure dependence: one coefficient per exponent J
    gamma_pi, gamma_tau_tau = {}, {}
    for I, J, n in _IF97_REGION1:
        if I > 0:
            gamma_pi[J] = gamma_pi.get(J, 0.0) - n * I * a ** (I - 1)
        gamma_tau_tau[J] = gamma_tau_tau.get(J, 0.0) + n * a**I * J * (J - 1)
    g_pi = 0.0 * b
    g_tt = 0.0 * b
    for J, c in gamma_pi.items():
        if c:
            g_pi = g_pi + c * b**J
    for J, c in gamma_tau_tau.items():
        if c:
            g_tt = g_tt + c * b ** (J - 2)
    return g_pi, g_tt


def water_density_if97(T, pressure=ATMOSPHERIC_PRESSURE):
    """Density of liquid water from IAPWS-IF97 region 1.

    Parameters
    ----------
    T : float or array
        Temperature [K] (273.15-623.15 K, at pressures above saturation).
    pressure : float
        Absolute pressure [Pa].

    Returns
    -------
    float or array
        Density [kg/m3], same kind as ``T``.
    """
    xp, T, is_scalar = prepare(T)
    T64 = T.astype(np.float64) if not is_scalar else T
    g_pi, _ = _if97_gibbs_derivatives(T64, pressure)
    pi = pressure / _IF97_P_STAR
    rho = pressure / (pi * g_pi * _IF97_GAS_CONSTANT * T64)
    return finish(rho if is_scalar else rho.astype(T.dtype), is_scalar)


def water_specific_heat_if97(T, pressure=ATMOSPHERIC_PRESSURE):
    """Isobaric specific heat of liquid water from IAPWS-IF97 region 1.

    Parameters
    ----------
    T : float or array
        Temperature [K].
    pressure : float
        Absolute pressure [Pa].

    Returns
    -------
    float or array
        Specific heat capacity [J/kg/K], same kind as ``T``.
    """
    xp, T, is_scalar = prepare(T)
    T64 = T.astype(np.float64) if not is_scalar else T
    _, g_tt = _if97_gibbs_derivatives(T64, pressure)
    tau = _IF97_T_STAR / T64
    cp = -(tau**2) * g_tt * _IF97_GAS_CONSTANT
    return finish(cp if is_scalar else cp.astype(T.dtype), is_scalar)


def water_viscosity_iapws2008(T, density):
    """Dynamic viscosity of water from IAPWS 2008 without the critical enhancement (mu2 = 1).

    Parameters
    ----------
    T : float or array
        Temperature [K].
    density : float or array
        Density [kg/m3] (broadcast against ``T``).

    Returns
    -------
    float or array
        Dynamic viscosity [Pa s].
    """
    xp, T, is_scalar = prepare(T)
    t = T / _WATER_T_CRIT
    d = density / _WATER_RHO_CRIT
    # dilute-gas part mu0 and finite-density part mu1, in units of 1e-6 Pa s
    mu0 = 100.0 * xp.sqrt(t) / _horner(_VISCOSITY_H0, 1.0 / t)
    x, y = 1.0 / t - 1.0, d - 1.0
    exponent = _horner([_horner(row, y) for row in _VISCOSITY_H1], x)
    mu1 = xp.exp(d * exponent)
    return finish(mu0 * mu1 * 1e-6, is_scalar)


def water_conductivity_iapws2011(T, density):
    """Thermal conductivity of water from IAPWS 2011 without the critical enhancement.

    Parameters
    ----------
    T : float or array
        Temperature [K].
    density : float or array
        Density [kg/m3] (broadcast against ``T``).

    Returns
    -------
    float or array
        Thermal conductivity [W/m/K].
    """
    xp, T, is_scalar = prepare(T)
    t = T / _WATER_T_CRIT
    d = density / _WATER_RHO_CRIT
    # dilute-gas part lambda0 and finite-density part lambda1, in units of 1e-3 W/m/K
    lambda0 = xp.sqrt(t) / _horner(_CONDUCTIVITY_L0, 1.0 / t)
    x, y = 1.0 / t - 1.0, d - 1.0
    exponent = _horner([_horner(row, y) for row in _CONDUCTIVITY_L1], x)
    lambda1 = xp.exp(d * exponent)
    return finish(lambda0 * lambda1 * 1e-3, is_scalar)


_WATER_QUANTITIES = ("density", "specific_heat", "viscosity", "conductivity")


# Lookup grid for fast evaluation: 0.05 K steps from -20 C to 120 C. Linear interpolation on it
# reproduces the formulations to better than 1e-6 relative (viscosity has the most curvature).
_WATER_TABLE_START = ZERO_CELSIUS - 20.0  # [K]


_WATER_TABLE_STEP = 0.05  # [K]


_WATER_TABLE_POINTS = 2801


def _water_exact(quantity, T, pressure):
    """Evaluate one IAPWS water property directly from the formulations (float64 inputs)."""
    if quantity == "density":
        return water_density_if97(T, pressure)
    if quantity == "specific_heat":
        return water_specific_heat_if97(T, pressure)
    rho = water_density_if97(T, pressure)
    if quantity == "viscosity":
        return water_viscosity_iapws2008(T, rho)
    return water_conductivity_iapws2011(T, rho)


@dataclass(frozen=True)
class IAPWSWater:
    """One property of liquid water at a fixed pressure from the IAPWS formulations.

    By default the formulation is evaluated once on a 0.05 K grid (-20 C to 120 C) and looked
    up with linear interpolation (agreement with the formulation better than 1e-6 relative,
    about 20x faster on large fields); temperatures beyond the grid take the end values.

    Parameters
    ----------
    quantity : {"density", "specific_heat", "viscosity", "conductivity"}
        Which property (SI units: kg/m3, J/kg/K, Pa s, W/m/K).
    pressure : float
        Absolute pressure [Pa].
    tabulated : bool
        Use the lookup grid (default) or evaluate the formulation at every call.
    """

    quantity: str
    pressure: float = ATMOSPHERIC_PRESSURE
    tabulated: bool = True
    _grid_values: object = field(default=None, init=False, repr=False, compare=False,
                                 hash=False)

    def __post_init__(self):
        if self.quantity not in _WATER_QUANTITIES:
            raise ValueError(f"quantity must be one of {_WATER_QUANTITIES}, got {self.quantity!r}")
        if self.tabulated:
            grid = _WATER_TABLE_START + _WATER_TABLE_STEP * np.arange(_WATER_TABLE_POINTS)
            object.__setattr__(self, "_grid_values",
                               _water_exact(self.quantity, grid, self.pressure))

    is_constant = False

    def __call__(self, T):
        """Evaluate at ``T`` [K] (float or array; returns the same kind)."""
        xp, T_arr, is_scalar = prepare(T)
        T64 = T_arr if is_scalar else T_arr.astype(np.float64)
        if not self.tabulated:
            value = _water_exact(self.quantity, T64, self.pressure)
        else:
            # uniform grid: cell index and weight by arithmetic, then one gather per end point
            values = self._grid_values if xp is np else xp.asarray(self._grid_values)
            s = (T64 - _WATER_TABLE_START) * (1.0 / _WATER_TABLE_STEP)
            s = xp.clip(s, 0.0, _WATER_TABLE_POINTS - 1.000001)
            index = s.astype(np.intp) if not is_scalar else int(s)
            weight = s - index
            low = values[index]
            value = low + (values[index + 1] - low) * weight
        return finish(value if is_scalar else value.astype(T_arr.dtype, copy=False), is_scalar)

    def describe(self) -> dict:
        """Plain-data description for result metadata."""
        formulation = {"density": "IAPWS-IF97 region 1", "specific_heat": "IAPWS-IF97 region 1",
                       "viscosity": "IAPWS 2008 (density from IAPWS-IF97)",
                       "conductivity": "IAPWS 2011 (density from IAPWS-IF97)"}[self.quantity]
        return {"kind": "IAPWS", "formulation": formulation, "pressure": self.pressure,
                "lookup_step_K": _WATER_TABLE_STEP if self.tabulated else None}


_WATER_SOURCE = ("IAPWS-IF97 region 1 (density, specific heat); IAPWS 2008 viscosity (R12-08); "
                 "IAPWS 2011 thermal conductivity (R15-11); critical enhancements omitted")


def water(pressure: float = ATMOSPHERIC_PRESSURE) -> Coolant:
    """Liquid water at a fixed pressure, valid from 0 C to 100 C.

    Parameters
    ----------
    pressure : float
        Absolute pressure [Pa]; default 0.101325 MPa. Between 0.1 and 0.5 MPa the density
        changes by about 0.02%, so the default serves pressurised cooling loops too (above
        99.97 C at 0.101325 MPa the liquid is superheated; the formulation still holds).

    Returns
    -------
    Coolant
        Properties from IAPWS-IF97 / IAPWS 2008 / IAPWS 2011.
    """
    name = "water" if pressure == ATMOSPHERIC_PRESSURE else f"water@{pressure:g}Pa"
    return Coolant(name,
                   density=IAPWSWater("density", pressure),
                   specific_heat=IAPWSWater("specific_heat", pressure),
                   viscosity=IAPWSWater("viscosity", pressure),
                   conductivity=IAPWSWater("conductivity", pressure),
                   valid_range=(ZERO_CELSIUS, ZERO_CELSIUS + 100.0),
                   freezing_point=ZERO_CELSIUS,
                   source=_WATER_SOURCE,
                   description=f"liquid water at {pressure / 1e6:.6g} MPa")
