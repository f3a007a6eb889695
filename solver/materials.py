"""Solid and coolant properties: one source of truth for the 3D solver and the 1D network.

Every property is a function of temperature ``T`` in kelvin. ``T`` may be a Python float, a NumPy
array or a CuPy array; the result has the same kind (float in, float out; array in, array of the
same shape, dtype and device out). The formulas use plain arithmetic (Horner polynomials),
``xp.interp`` or a uniform-grid lookup, with ``xp`` the array module of ``T``, so the same code
runs on the GPU. CuPy is never imported here.

Solids
    :class:`Solid` with ``conductivity(T)`` [W/m/K], ``density(T)`` [kg/m3] and
    ``specific_heat(T)`` [J/kg/K]. Built-in metals follow Incropera, DeWitt, Bergman & Lavine,
    *Fundamentals of Heat and Mass Transfer*, 6th/7th ed., Table A.1 (values at 100-1500 K),
    interpolated linearly in T (silicon conductivity: as a power law between table points).
Coolants
    :class:`Coolant` with ``density``, ``specific_heat``, ``viscosity`` [Pa s] (dynamic),
    ``conductivity``, ``prandtl`` and ``kinematic_viscosity`` [m2/s], a ``freezing_point`` [K] and a
    ``valid_range`` (K, K) that :meth:`Coolant.check_range` enforces.

    * ``"water"``: liquid water at 0.101325 MPa from the IAPWS formulations: density and specific
      heat from IAPWS-IF97 region 1 (Wagner et al., J. Eng. Gas Turbines Power 122 (2000) 150;
      within 0.002% (density) and 0.06% (specific heat) of IAPWS-95 here), viscosity from
      IAPWS 2008 (Huber et al., J. Phys. Chem. Ref. Data 38 (2009) 101; IAPWS R12-08),
      conductivity from IAPWS 2011 (Huber et al., J. Phys. Chem. Ref. Data 41 (2012) 033102;
      IAPWS R15-11). The critical enhancement terms (mu2, lambda2) are left out: below 100 C at
      0.1 MPa they change the result by less than 0.003%.
    * ``"PG25"`` etc.: aqueous propylene glycol (``PG``) and ethylene glycol (``EG``), the number
      being the glycol **mass** percentage, from the polynomials of Melinder, *Properties of
      secondary working fluids for indirect systems*, IIR (2010), with the coefficients as
      distributed in CoolProp's incompressible-liquid data (fluids ``MPG`` and ``MEG``), valid
      from the freezing point of the mixture to 100 C and 0-60% glycol by mass.
      Note: some suppliers' "PG25" means 25% glycol **by volume** (about 26% by mass for
      propylene glycol); check the datasheet, convert with
      :func:`mass_fraction_from_volume_fraction` and use ``propylene_glycol(mass_fraction)``.

Property functions do not check their temperature range themselves (a check on a device array
forces a device-to-host synchronisation); call :meth:`Coolant.check_range` where a temperature
enters or leaves the model (inlet, converged field, network node).

User-defined materials: :meth:`Solid.constant`, :meth:`Solid.from_table`,
:meth:`Coolant.constant`, :meth:`Coolant.from_table`. Registries: :data:`SOLIDS`,
:data:`COOLANTS`, :func:`get_solid`, :func:`get_coolant`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np

from solver.operators import array_namespace

ZERO_CELSIUS = 273.15  # [K]
ATMOSPHERIC_PRESSURE = 101325.0  # [Pa]


class MaterialRangeError(ValueError):
    """A temperature outside the range where a material's properties are valid."""


class UnknownMaterialError(KeyError):
    """A material name that is not in the registry; the message lists the available names."""

    def __str__(self) -> str:  # KeyError would otherwise print the message in quotes
        return str(self.args[0]) if self.args else ""


# ---------------------------------------------------------------------------------------------
# Array helpers
# ---------------------------------------------------------------------------------------------


def _prepare(T):
    """``(xp, T_as_array, is_scalar)``; Python scalars are evaluated as float64 NumPy values."""
    if isinstance(T, (int, float)):
        return np, np.float64(T), True
    xp = array_namespace(T)
    if not hasattr(T, "dtype") or T.dtype.kind != "f":
        T = xp.asarray(T, dtype=xp.float64)
    return xp, T, False


def _finish(value, is_scalar):
    return float(value) if is_scalar else value


def _celsius(T_kelvin: float) -> str:
    return f"{T_kelvin - ZERO_CELSIUS:.2f} C ({T_kelvin:.2f} K)"


# ---------------------------------------------------------------------------------------------
# Property curves: callables of temperature
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Constant:
    """A property independent of temperature.

    Parameters
    ----------
    value : float
        The property value in SI units (W/m/K, kg/m3, J/kg/K or Pa s).
    """

    value: float

    def __post_init__(self):
        if not (math.isfinite(self.value) and self.value > 0):
            raise ValueError(f"property value must be a positive finite number, got {self.value}")

    is_constant = True

    def __call__(self, T):
        """Return ``value`` with the kind and shape of ``T`` [K]."""
        xp, T, is_scalar = _prepare(T)
        if is_scalar:
            return float(self.value)
        return xp.full(T.shape, self.value, dtype=T.dtype)

    def describe(self) -> dict:
        """Plain-data description for result metadata."""
        return {"kind": "constant", "value": self.value}


_INTERPOLATIONS = ("linear", "log", "loglog")


@dataclass(frozen=True)
class Table:
    """A tabulated property, interpolated between points and held constant beyond the ends.

    Parameters
    ----------
    temperatures : sequence of float
        Strictly increasing table temperatures [K].
    values : sequence of float
        Property values at those temperatures (SI units), all positive.
    interpolation : {"linear", "log", "loglog"}
        ``"linear"``: value linear in T. ``"log"``: ln(value) linear in T (exponential between
        points, suited to viscosity). ``"loglog"``: ln(value) linear in ln(T) (a power law between
        points, suited to the conductivity of crystals such as silicon).
    """

    temperatures: tuple
    values: tuple
    interpolation: str = "linear"

    def __post_init__(self):
        temperatures = tuple(float(t) for t in self.temperatures)
        values = tuple(float(v) for v in self.values)
        object.__setattr__(self, "temperatures", temperatures)
        object.__setattr__(self, "values", values)
        if len(temperatures) != len(values) or len(temperatures) < 1:
            raise ValueError("a property table needs as many values as temperatures (at least 1)")
        if any(b <= a for a, b in zip(temperatures, temperatures[1:], strict=False)):
            raise ValueError(f"table temperatures must increase strictly, got {temperatures}")
        if temperatures[0] <= 0:
            raise ValueError("table temperatures are absolute temperatures [K] and must be > 0")
        if not all(math.isfinite(v) and v > 0 for v in values):
            raise ValueError(f"table values must be positive finite numbers, got {values}")
        if self.interpolation not in _INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {_INTERPOLATIONS}, "
                             f"got {self.interpolation!r}")

    is_constant = False

    @property
    def range(self) -> tuple[float, float]:
        """(lowest, highest) table temperature [K]."""
        return self.temperatures[0], self.temperatures[-1]

    def __call__(self, T):
        """Interpolate the table at ``T`` [K] (float or array; returns the same kind)."""
        xp, T, is_scalar = _prepare(T)
        temperatures = xp.asarray(self.temperatures, dtype=T.dtype)
        values = xp.asarray(self.values, dtype=T.dtype)
        if self.interpolation == "linear":
            result = xp.interp(T, temperatures, values)
        elif self.interpolation == "log":
            result = xp.exp(xp.interp(T, temperatures, xp.log(values)))
        else:
            result = xp.exp(xp.interp(xp.log(T), xp.log(temperatures), xp.log(values)))
        if not is_scalar:
            result = result.astype(T.dtype, copy=False)  # np.interp always returns float64
        return _finish(result, is_scalar)

    def describe(self) -> dict:
        """Plain-data description for result metadata."""
        return {"kind": "table", "interpolation": self.interpolation,
                "temperatures": list(self.temperatures), "values": list(self.values)}


@dataclass(frozen=True)
class Polynomial:
    """``scale * P(T - reference_temperature)`` or, if ``exponential``, ``scale * exp(P(...))``.

    ``P(t) = c0 + c1 t + c2 t^2 + ...`` is evaluated in Horner form.

    Parameters
    ----------
    coefficients : sequence of float
        ``c0, c1, ...`` (lowest power first).
    reference_temperature : float
        [K] temperature at which ``t = 0``.
    exponential : bool
        Return ``scale * exp(P)`` instead of ``scale * P``.
    scale : float
        Unit factor applied to the result (e.g. 1e-3 for mPa s -> Pa s).
    """

    coefficients: tuple
    reference_temperature: float
    exponential: bool = False
    scale: float = 1.0

    is_constant = False

    def __call__(self, T):
        """Evaluate at ``T`` [K] (float or array; returns the same kind)."""
        xp, T, is_scalar = _prepare(T)
        t = T - self.reference_temperature
        result = self.coefficients[-1] + 0.0 * t
        for c in reversed(self.coefficients[:-1]):
            result = result * t + c
        if self.exponential:
            result = xp.exp(result)
        return _finish(result * self.scale, is_scalar)

    def describe(self) -> dict:
        """Plain-data description for result metadata."""
        return {"kind": "exponential polynomial" if self.exponential else "polynomial",
                "coefficients": list(self.coefficients),
                "reference_temperature": self.reference_temperature, "scale": self.scale}


# ---------------------------------------------------------------------------------------------
# Liquid water: IAPWS-IF97 region 1, IAPWS 2008 viscosity, IAPWS 2011 conductivity
# ---------------------------------------------------------------------------------------------

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
    xp, T, is_scalar = _prepare(T)
    T64 = T.astype(np.float64) if not is_scalar else T
    g_pi, _ = _if97_gibbs_derivatives(T64, pressure)
    pi = pressure / _IF97_P_STAR
    rho = pressure / (pi * g_pi * _IF97_GAS_CONSTANT * T64)
    return _finish(rho if is_scalar else rho.astype(T.dtype), is_scalar)


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
    xp, T, is_scalar = _prepare(T)
    T64 = T.astype(np.float64) if not is_scalar else T
    _, g_tt = _if97_gibbs_derivatives(T64, pressure)
    tau = _IF97_T_STAR / T64
    cp = -(tau**2) * g_tt * _IF97_GAS_CONSTANT
    return _finish(cp if is_scalar else cp.astype(T.dtype), is_scalar)


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
    xp, T, is_scalar = _prepare(T)
    t = T / _WATER_T_CRIT
    d = density / _WATER_RHO_CRIT
    # dilute-gas part mu0 and finite-density part mu1, in units of 1e-6 Pa s
    mu0 = 100.0 * xp.sqrt(t) / _horner(_VISCOSITY_H0, 1.0 / t)
    x, y = 1.0 / t - 1.0, d - 1.0
    exponent = _horner([_horner(row, y) for row in _VISCOSITY_H1], x)
    mu1 = xp.exp(d * exponent)
    return _finish(mu0 * mu1 * 1e-6, is_scalar)


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
    xp, T, is_scalar = _prepare(T)
    t = T / _WATER_T_CRIT
    d = density / _WATER_RHO_CRIT
    # dilute-gas part lambda0 and finite-density part lambda1, in units of 1e-3 W/m/K
    lambda0 = xp.sqrt(t) / _horner(_CONDUCTIVITY_L0, 1.0 / t)
    x, y = 1.0 / t - 1.0, d - 1.0
    exponent = _horner([_horner(row, y) for row in _CONDUCTIVITY_L1], x)
    lambda1 = xp.exp(d * exponent)
    return _finish(lambda0 * lambda1 * 1e-3, is_scalar)


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
        xp, T_arr, is_scalar = _prepare(T)
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
        return _finish(value if is_scalar else value.astype(T_arr.dtype, copy=False), is_scalar)

    def describe(self) -> dict:
        """Plain-data description for result metadata."""
        formulation = {"density": "IAPWS-IF97 region 1", "specific_heat": "IAPWS-IF97 region 1",
                       "viscosity": "IAPWS 2008 (density from IAPWS-IF97)",
                       "conductivity": "IAPWS 2011 (density from IAPWS-IF97)"}[self.quantity]
        return {"kind": "IAPWS", "formulation": formulation, "pressure": self.pressure,
                "lookup_step_K": _WATER_TABLE_STEP if self.tabulated else None}


def _as_property(value):
    if callable(value) and hasattr(value, "describe"):
        return value
    return Constant(float(value))


def _check_range(kind, name, T, valid_range, where):
    """Raise :class:`MaterialRangeError` if any of ``T`` [K] lies outside ``valid_range``."""
    low, high = valid_range
    if isinstance(T, (int, float)):
        t_min = t_max = float(T)
        finite, count, size = math.isfinite(t_min), 1, 1
    else:
        xp = array_namespace(T)
        T = xp.asarray(T)
        if T.size == 0:
            return
        finite = bool(xp.all(xp.isfinite(T)))
        t_min, t_max = float(xp.min(T)), float(xp.max(T))
        size = int(T.size)
        count = int(xp.count_nonzero((T < low) | (T > high))) if finite else size
    location = f" at {where}" if where else ""
    if not finite:
        raise MaterialRangeError(f"{kind} '{name}'{location}: temperature is not a finite number")
    if t_min >= low and t_max <= high:
        return
    allowed = (f"the valid range {low - ZERO_CELSIUS:.2f} C to {high - ZERO_CELSIUS:.2f} C "
               f"({low:.2f} K to {high:.2f} K)")
    if size == 1:
        message = f"temperature {_celsius(t_min)} is outside {allowed}"
    else:
        message = (f"{count} of {size} temperatures are outside {allowed}; lowest "
                   f"{_celsius(t_min)}, highest {_celsius(t_max)}")
    raise MaterialRangeError(f"{kind} '{name}'{location}: {message}")


# ---------------------------------------------------------------------------------------------
# Materials
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Solid:
    """A solid with temperature-dependent (or constant) properties.

    Each property is a callable of temperature ``T`` [K] (float, NumPy or CuPy array) that
    returns the same kind: ``solid.conductivity(T)`` [W/m/K], ``solid.density(T)`` [kg/m3],
    ``solid.specific_heat(T)`` [J/kg/K]. Numbers given to the constructor become constants.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"copper"``.
    conductivity, density, specific_heat : float or property (Constant, Table, ...)
        Thermal conductivity [W/m/K], density [kg/m3], specific heat capacity [J/kg/K].
    valid_range : (float, float)
        Temperatures [K] over which the data are valid (tables: their extent).
    source : str
        Where the values come from.
    description : str
        One line for people, e.g. "OFHC copper".
    """

    name: str
    conductivity: object
    density: object
    specific_heat: object
    valid_range: tuple = (0.0, math.inf)
    source: str = "user-defined"
    description: str = ""

    def __post_init__(self):
        for attribute in ("conductivity", "density", "specific_heat"):
            object.__setattr__(self, attribute, _as_property(getattr(self, attribute)))
        low, high = (float(v) for v in self.valid_range)
        if not 0.0 <= low < high:
            raise ValueError(f"solid '{self.name}': valid_range must be (low, high) in K with "
                             f"0 <= low < high, got {self.valid_range}")
        object.__setattr__(self, "valid_range", (low, high))

    @classmethod
    def constant(cls, name: str, k: float, rho: float, cp: float, **kwargs) -> Solid:
        """A solid with constant properties.

        Parameters
        ----------
        name : str
            Material name.
        k : float
            Thermal conductivity [W/m/K].
        rho : float
            Density [kg/m3].
        cp : float
            Specific heat capacity [J/kg/K].
        **kwargs
            ``valid_range``, ``source``, ``description``.
        """
        return cls(name, Constant(float(k)), Constant(float(rho)), Constant(float(cp)), **kwargs)

    @classmethod
    def from_table(cls, name: str, temperatures, conductivities, rho, cp,
                   interpolation: str = "linear", **kwargs) -> Solid:
        """A solid whose conductivity is tabulated against temperature.

        Parameters
        ----------
        name : str
            Material name.
        temperatures : sequence of float
            Strictly increasing temperatures [K].
        conductivities : sequence of float
            Thermal conductivity at those temperatures [W/m/K].
        rho : float or sequence of float
            Density [kg/m3]: a constant, or values at ``temperatures``.
        cp : float or sequence of float
            Specific heat capacity [J/kg/K]: a constant, or values at ``temperatures``.
        interpolation : {"linear", "log", "loglog"}
            How the conductivity is interpolated (see :class:`Table`).
        **kwargs
            ``valid_range`` (default: the table's extent), ``source``, ``description``.
        """
        k = Table(temperatures, conductivities, interpolation)

        def curve(value):
            if np.ndim(value) == 0:
                return Constant(float(value))
            return Table(temperatures, value)

        kwargs.setdefault("valid_range", k.range)
        return cls(name, k, curve(rho), curve(cp), **kwargs)

    @property
    def is_temperature_dependent(self) -> bool:
        """True if any property varies with temperature."""
        return not all(p.is_constant for p in (self.conductivity, self.density,
                                               self.specific_heat))

    def thermal_diffusivity(self, T):
        """Thermal diffusivity ``k / (rho cp)`` [m2/s] at ``T`` [K]."""
        return self.conductivity(T) / (self.density(T) * self.specific_heat(T))

    def check_range(self, T, where: str = "") -> None:
        """Raise :class:`MaterialRangeError` if any temperature ``T`` [K] is outside
        ``valid_range``; ``where`` names the place in the message (e.g. ``"lid"``)."""
        _check_range("solid", self.name, T, self.valid_range, where)

    def describe(self) -> dict:
        """Plain-data description (JSON-serialisable) for result metadata."""
        return {"name": self.name, "kind": "solid", "description": self.description,
                "source": self.source, "valid_range_K": list(self.valid_range),
                "temperature_dependent": self.is_temperature_dependent,
                "conductivity_W_per_m_K": self.conductivity.describe(),
                "density_kg_per_m3": self.density.describe(),
                "specific_heat_J_per_kg_K": self.specific_heat.describe()}


@dataclass(frozen=True)
class Coolant:
    """A liquid coolant with temperature-dependent properties and an enforced valid range.

    Each property is a callable of temperature ``T`` [K] (float, NumPy or CuPy array) that
    returns the same kind: ``density(T)`` [kg/m3], ``specific_heat(T)`` [J/kg/K],
    ``viscosity(T)`` [Pa s] (dynamic), ``conductivity(T)`` [W/m/K]. Property calls do not check
    the range; call :meth:`check_range`.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"PG25"``.
    density, specific_heat, viscosity, conductivity : float or property
        See above; numbers become constants.
    valid_range : (float, float)
        Temperatures [K] over which the properties are valid.
    freezing_point : float or None
        Freezing point [K] (None if unknown).
    source : str
        Where the values come from.
    description : str
        One line for people, e.g. "propylene glycol 25% by mass in water".
    """

    name: str
    density: object
    specific_heat: object
    viscosity: object
    conductivity: object
    valid_range: tuple = (0.0, math.inf)
    freezing_point: float | None = None
    source: str = "user-defined"
    description: str = ""

    def __post_init__(self):
        for attribute in ("density", "specific_heat", "viscosity", "conductivity"):
            object.__setattr__(self, attribute, _as_property(getattr(self, attribute)))
        low, high = (float(v) for v in self.valid_range)
        if not 0.0 <= low < high:
            raise ValueError(f"coolant '{self.name}': valid_range must be (low, high) in K with "
                             f"0 <= low < high, got {self.valid_range}")
        object.__setattr__(self, "valid_range", (low, high))

    @classmethod
    def constant(cls, name: str, rho: float, cp: float, mu: float, k: float, **kwargs) -> Coolant:
        """A coolant with constant properties.

        Parameters
        ----------
        name : str
            Coolant name.
        rho : float
            Density [kg/m3].
        cp : float
            Specific heat capacity [J/kg/K].
        mu : float
            Dynamic viscosity [Pa s] (water at 35 C: about 7.2e-4).
        k : float
            Thermal conductivity [W/m/K].
        **kwargs
            ``valid_range`` [K] (default unbounded), ``freezing_point`` [K], ``source``,
            ``description``.
        """
        return cls(name, Constant(float(rho)), Constant(float(cp)), Constant(float(mu)),
                   Constant(float(k)), **kwargs)

    @classmethod
    def from_table(cls, name: str, temperatures, rho, cp, mu, k, **kwargs) -> Coolant:
        """A coolant from a property table (e.g. a supplier's datasheet).

        Density, specific heat and conductivity are interpolated linearly in T, viscosity
        exponentially (ln mu linear in T). Each of ``rho``, ``cp``, ``mu``, ``k`` may be a
        constant or a sequence of values at ``temperatures``.

        Parameters
        ----------
        name : str
            Coolant name.
        temperatures : sequence of float
            Strictly increasing temperatures [K].
        rho, cp, mu, k : float or sequence of float
            Density [kg/m3], specific heat [J/kg/K], dynamic viscosity [Pa s],
            conductivity [W/m/K].
        **kwargs
            ``valid_range`` (default: the table's extent), ``freezing_point``, ``source``,
            ``description``.
        """
        temperatures = tuple(float(t) for t in temperatures)

        def curve(value, interpolation="linear"):
            if np.ndim(value) == 0:
                return Constant(float(value))
            return Table(temperatures, value, interpolation)

        kwargs.setdefault("valid_range", (temperatures[0], temperatures[-1]))
        return cls(name, curve(rho), curve(cp), curve(mu, "log"), curve(k), **kwargs)

    @property
    def is_temperature_dependent(self) -> bool:
        """True if any property varies with temperature."""
        return not all(p.is_constant for p in (self.density, self.specific_heat,
                                               self.viscosity, self.conductivity))

    def prandtl(self, T):
        """Prandtl number ``cp mu / k`` [-] at ``T`` [K]."""
        return self.specific_heat(T) * self.viscosity(T) / self.conductivity(T)

    def kinematic_viscosity(self, T):
        """Kinematic viscosity ``mu / rho`` [m2/s] at ``T`` [K]."""
        return self.viscosity(T) / self.density(T)

    def check_range(self, T, where: str = "") -> None:
        """Raise :class:`MaterialRangeError` if any temperature is outside ``valid_range``.

        Parameters
        ----------
        T : float or array
            Temperature(s) [K]. Arrays are reduced on their device (one synchronisation).
        where : str
            Where the temperature was found, for the message (e.g. ``"rack 3 inlet"``).
        """
        _check_range("coolant", self.name, T, self.valid_range, where)

    def describe(self) -> dict:
        """Plain-data description (JSON-serialisable) for result metadata."""
        return {"name": self.name, "kind": "coolant", "description": self.description,
                "source": self.source, "valid_range_K": list(self.valid_range),
                "freezing_point_K": self.freezing_point,
                "temperature_dependent": self.is_temperature_dependent,
                "density_kg_per_m3": self.density.describe(),
                "specific_heat_J_per_kg_K": self.specific_heat.describe(),
                "viscosity_Pa_s": self.viscosity.describe(),
                "conductivity_W_per_m_K": self.conductivity.describe()}


# ---------------------------------------------------------------------------------------------
# Built-in coolants
# ---------------------------------------------------------------------------------------------

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


@dataclass(frozen=True)
class _MelinderFluid:
    """Melinder (2010) polynomial coefficients for one aqueous solution, as in CoolProp.

    ``f(x, T) = sum_ij c[i][j] (T - T_base)^i (x - x_base)^j`` with i the temperature power
    (rows) and j the mass-fraction power (columns); viscosity is ``exp(f)`` in mPa s.
    """

    label: str
    T_base: float
    x_base: float
    density: tuple
    specific_heat: tuple
    conductivity: tuple
    log_viscosity_mPa_s: tuple
    freezing_point: tuple
    x_max: float = 0.6
    T_max: float = ZERO_CELSIUS + 100.0

    def temperature_coefficients(self, matrix, mass_fraction):
        dx = mass_fraction - self.x_base
        return tuple(sum(c * dx**j for j, c in enumerate(row)) for row in matrix)


# Melinder (2010), propylene glycol (1,2-propanediol)-water, mass fraction 0-0.6
# (CoolProp dev/incompressible_liquids/json/MPG.json, reference "Melinder2010").
_MELINDER_PG = _MelinderFluid(
    label="propylene glycol",
    T_base=305.8583, x_base=0.307031,
    density=((1.018e3, 7.604e1, -2.498e1, -1.550e2, -1.131e2, 2.342e2),
             (-5.406e-1, -9.450e-1, 2.700e-1, 2.829, -2.221, 0.0),
             (-2.666e-3, 5.541e-3, -4.018e-3, -7.175e-3, 0.0, 0.0),
             (1.347e-5, -1.343e-5, 3.376e-5, 0.0, 0.0, 0.0)),
    specific_heat=((3.882e3, -1.304e3, -1.598e3, 3.539e2, 5.000e3, -4.959e3),
                   (2.699, 5.070, 9.534e-1, 3.102e1, -7.135e1, 0.0),
                   (-1.659e-3, -4.752e-3, 1.167e-1, -2.950e-1, 0.0, 0.0),
                   (-1.032e-5, 1.522e-4, -4.870e-4, 0.0, 0.0, 0.0)),
    conductivity=((4.513e-1, -4.795e-1, 2.076e-1, -9.083e-2, -5.952e-2, 2.104e-1),
                  (7.955e-4, -1.678e-3, 1.563e-3, -2.518e-3, -3.605e-3, 0.0),
                  (3.482e-8, 8.941e-6, -4.615e-5, 6.543e-5, 0.0, 0.0),
                  (-5.966e-9, 1.493e-8, 9.897e-8, 0.0, 0.0, 0.0)),
    log_viscosity_mPa_s=((6.837e-1, 3.328, 5.453e-1, -3.900, -1.587, 3.564e1),
                         (-3.045e-2, -3.984e-2, -8.600e-4, 1.054e-1, 4.475e-2, 0.0),
                         (2.525e-4, 4.332e-4, -1.593e-4, -1.589e-3, 0.0, 0.0),
                         (-1.399e-6, -1.860e-6, -4.465e-7, 0.0, 0.0, 0.0)),
    freezing_point=((2.599e2, -6.631e1, -1.094e2, -2.283e2, -3.409e2, 1.465e2),),
)

# Melinder (2010), ethylene glycol (1,2-ethanediol)-water, mass fraction 0-0.6
# (CoolProp dev/incompressible_liquids/json/MEG.json, reference "Melinder2010").
_MELINDER_EG = _MelinderFluid(
    label="ethylene glycol",
    T_base=304.878, x_base=0.308462,
    density=((1.034e3, 1.311e2, 7.490e-1, -1.062e2, -9.623e1, 4.891e2),
             (-4.781e-1, -6.876e-1, 7.855e-1, 1.229, -7.211, 0.0),
             (-2.692e-3, 4.805e-3, -3.995e-3, -1.153e-2, 0.0, 0.0),
             (4.725e-6, 1.690e-6, 4.982e-5, 0.0, 0.0, 0.0)),
    specific_heat=((3.737e3, -1.799e3, -9.933e2, 2.610e3, 1.537e3, -1.618e4),
                   (2.930, 1.046e1, 3.516, -1.189, -4.272e1, 0.0),
                   (-4.675e-3, -4.147e-2, 5.109e-2, -1.643e-1, 0.0, 0.0),
                   (-1.389e-5, 1.847e-5, -7.138e-4, 0.0, 0.0, 0.0)),
    conductivity=((4.720e-1, -4.286e-1, 1.747e-1, 3.017e-2, -1.322e-1, 2.678e-1),
                  (8.903e-4, -1.473e-3, 6.814e-4, -2.412e-3, 2.555e-3, 0.0),
                  (-1.058e-6, 1.059e-5, -3.612e-5, 4.004e-5, 0.0, 0.0),
                  (-2.789e-9, -1.142e-8, 2.365e-8, 0.0, 0.0, 0.0)),
    log_viscosity_mPa_s=((4.705e-1, 2.471, 3.328e-2, 1.659, 3.089, -1.865e1),
                         (-2.550e-2, -1.171e-2, 1.086e-2, 3.157e-3, 1.831e-2, 0.0),
                         (1.782e-4, 1.052e-4, 1.051e-4, 4.063e-4, 0.0, 0.0),
                         (-7.669e-7, -1.634e-6, -6.475e-6, 0.0, 0.0, 0.0)),
    freezing_point=((2.579e2, -8.080e1, -1.334e2, -7.293e1, 1.006e2, 1.140e1),),
)

_MELINDER_SOURCE = ("Melinder, Properties of secondary working fluids for indirect systems, "
                    "IIR 2010 (polynomial coefficients as distributed with CoolProp, "
                    "incompressible fluid {code})")


def _melinder_coolant(fluid: _MelinderFluid, code: str, mass_fraction: float,
                      name: str | None) -> Coolant:
    if not 0.0 <= mass_fraction <= fluid.x_max:
        raise ValueError(f"{fluid.label} mass fraction must be between 0 and {fluid.x_max} "
                         f"(Melinder 2010 correlation), got {mass_fraction}")
    percent = round(100.0 * mass_fraction, 2)
    name = name or f"{code[1:]}{percent:g}"

    def poly(matrix, **kwargs):
        return Polynomial(fluid.temperature_coefficients(matrix, mass_fraction), fluid.T_base,
                          **kwargs)

    freezing_point = fluid.temperature_coefficients(fluid.freezing_point, mass_fraction)[0]
    return Coolant(name,
                   density=poly(fluid.density),
                   specific_heat=poly(fluid.specific_heat),
                   viscosity=poly(fluid.log_viscosity_mPa_s, exponential=True, scale=1e-3),
                   conductivity=poly(fluid.conductivity),
                   valid_range=(max(freezing_point, ZERO_CELSIUS - 50.0), fluid.T_max),
                   freezing_point=freezing_point,
                   source=_MELINDER_SOURCE.format(code=code),
                   description=f"{fluid.label} {percent:g}% by mass in water")


# Pure-glycol densities at 20 C [kg/m3] (CRC Handbook of Chemistry and Physics: 1,2-propanediol
# 1.0361 g/cm3, 1,2-ethanediol 1.1135 g/cm3) and water at 20 C (IAPWS-95: 998.21 kg/m3).
_GLYCOL_DENSITY_20C = {"propylene": 1036.1, "ethylene": 1113.5}
_WATER_DENSITY_20C = 998.21


def mass_fraction_from_volume_fraction(volume_fraction: float, glycol: str = "propylene") -> float:
    """Glycol mass fraction of a mixture specified by volume (volumes of the pure components
    before mixing, at 20 C, as suppliers state it).

    Parameters
    ----------
    volume_fraction : float
        Glycol volume fraction [m3/m3], 0 to 1 (0.25 for "25% by volume").
    glycol : {"propylene", "ethylene"}
        Which glycol.

    Returns
    -------
    float
        Glycol mass fraction [kg/kg]; 25% by volume propylene glycol is 0.257 by mass.
    """
    if glycol not in _GLYCOL_DENSITY_20C:
        raise ValueError(f"glycol must be one of {tuple(_GLYCOL_DENSITY_20C)}, got {glycol!r}")
    if not 0.0 <= volume_fraction <= 1.0:
        raise ValueError(f"volume fraction must be between 0 and 1, got {volume_fraction}")
    glycol_mass = volume_fraction * _GLYCOL_DENSITY_20C[glycol]
    return glycol_mass / (glycol_mass + (1.0 - volume_fraction) * _WATER_DENSITY_20C)


def propylene_glycol(mass_fraction: float, name: str | None = None) -> Coolant:
    """Aqueous propylene glycol from Melinder (2010), valid from its freezing point to 100 C.

    Parameters
    ----------
    mass_fraction : float
        Glycol mass fraction [kg/kg], 0 to 0.6 (0.25 for "PG25" by mass). For a supplier's
        volume percentage, convert to mass first (25% by volume is about 26% by mass).
    name : str, optional
        Coolant name; default ``"PG<percent>"``.

    Returns
    -------
    Coolant
    """
    return _melinder_coolant(_MELINDER_PG, "MPG", mass_fraction, name)


def ethylene_glycol(mass_fraction: float, name: str | None = None) -> Coolant:
    """Aqueous ethylene glycol from Melinder (2010), valid from its freezing point to 100 C.

    Parameters
    ----------
    mass_fraction : float
        Glycol mass fraction [kg/kg], 0 to 0.6.
    name : str, optional
        Coolant name; default ``"EG<percent>"``.

    Returns
    -------
    Coolant
    """
    return _melinder_coolant(_MELINDER_EG, "MEG", mass_fraction, name)


# ---------------------------------------------------------------------------------------------
# Built-in solids
# ---------------------------------------------------------------------------------------------

_INCROPERA = ("Incropera, DeWitt, Bergman & Lavine, Fundamentals of Heat and Mass Transfer, "
              "6th ed. (2007), Table A.1")


def _incropera(name, description, density, temperatures, conductivities, specific_heats,
               conductivity_interpolation="linear"):
    return Solid(name,
                 conductivity=Table(temperatures, conductivities, conductivity_interpolation),
                 density=Constant(density),
                 specific_heat=Table(temperatures, specific_heats),
                 valid_range=(temperatures[0], temperatures[-1]),
                 source=_INCROPERA,
                 description=description)


def _builtin_solids() -> dict[str, Solid]:
    solids = [
        # Incropera Table A.1 "Copper, pure": rho 8933, at 300 K cp 385, k 401 (OFHC copper
        # is 99.99% Cu, the same values within 1%).
        _incropera("copper", "pure (OFHC) copper", 8933.0,
                   (100, 200, 300, 400, 600, 800, 1000, 1200),
                   (482, 413, 401, 393, 379, 366, 352, 339),
                   (252, 356, 385, 397, 417, 433, 451, 480)),
        # Incropera Table A.1 "Aluminum, pure": rho 2702, at 300 K cp 903, k 237.
        _incropera("aluminium_pure", "pure aluminium", 2702.0,
                   (100, 200, 300, 400, 600, 800),
                   (302, 237, 237, 240, 231, 218),
                   (482, 798, 903, 949, 1033, 1146)),
        # Incropera Table A.1 "Nickel, pure": rho 8900, at 300 K cp 444, k 90.7. Electroplated
        # nickel layers can be lower (about 70 W/m/K); define your own if that matters.
        _incropera("nickel", "pure nickel", 8900.0,
                   (100, 200, 300, 400, 600, 800, 1000, 1200, 1500),
                   (164, 107, 90.7, 80.2, 65.6, 67.6, 71.8, 76.2, 82.6),
                   (232, 383, 444, 485, 592, 530, 562, 594, 616)),
        # Incropera Table A.1 "Silicon": rho 2330, at 300 K cp 712, k 148 (from Glassbrenner &
        # Slack, Phys. Rev. 134 (1964) A1058). Conductivity interpolated as a power law
        # between table points (k ~ T^-1.4 between 300 and 400 K).
        _incropera("silicon", "single-crystal silicon (die)", 2330.0,
                   (100, 200, 300, 400, 600, 800, 1000, 1200, 1500),
                   (884, 264, 148, 98.9, 61.9, 42.2, 31.2, 25.7, 22.7),
                   (259, 556, 712, 790, 867, 913, 946, 967, 992),
                   conductivity_interpolation="loglog"),
        # Incropera Table A.1 "Stainless steel, AISI 304": rho 7900, at 300 K cp 477, k 14.9.
        _incropera("stainless_steel_304", "stainless steel AISI 304", 7900.0,
                   (100, 200, 300, 400, 600, 800, 1000, 1200, 1500),
                   (9.2, 12.6, 14.9, 16.6, 19.8, 22.6, 25.4, 28.0, 31.7),
                   (272, 402, 477, 515, 557, 582, 611, 640, 682)),
        # Aluminium alloy 6061-T6 at 25 C: k 167 W/m/K, rho 2700 kg/m3, cp 896 J/kg/K
        # (ASM Handbook Vol. 2, Properties of wrought aluminum alloys; MatWeb 6061-T6).
        Solid.constant("aluminium_6061", 167.0, 2700.0, 896.0, valid_range=(200.0, 450.0),
                       source="ASM Handbook Vol. 2 (1990), 6061-T6 at 25 C",
                       description="aluminium alloy 6061-T6 (cold plates)"),
        # Indium metal TIM: k 86 W/m/K (Indium Corporation indium data; CRC Handbook gives
        # 81.6 W/m/K at 300 K), rho 7310 kg/m3, cp 233 J/kg/K (CRC: 26.74 J/mol/K / 114.82 g/mol).
        Solid.constant("tim_indium", 86.0, 7310.0, 233.0, valid_range=(200.0, 429.0),
                       source="Indium Corporation indium product data (k); CRC Handbook of "
                              "Chemistry and Physics (rho, cp); melts at 156.6 C",
                       description="indium foil / solder TIM"),
        # Gallium-indium-tin liquid metal (Galinstan): k 16.5 W/m/K, rho 6440 kg/m3,
        # cp 296 J/kg/K (Hodes et al., IEEE Trans. CPMT 4 (2014) 46). Commercial liquid-metal
        # pastes quote higher (up to about 70 W/m/K); give your product with Solid.constant.
        Solid.constant("tim_liquid_metal", 16.5, 6440.0, 296.0, valid_range=(254.0, 573.0),
                       source="Hodes et al., IEEE Trans. Compon. Packag. Manuf. Technol. 4 "
                              "(2014) 46 (Galinstan)",
                       description="gallium-indium-tin liquid metal TIM (Galinstan)"),
        # Filled silicone thermal paste: representative of current high-performance greases
        # (datasheet k 3-8 W/m/K, specific gravity about 2.5). Not a specific product: replace
        # it with your datasheet value through Solid.constant.
        Solid.constant("tim_paste", 5.0, 2500.0, 1000.0, valid_range=(233.0, 473.0),
                       source="representative value (datasheets of filled silicone greases "
                              "give 3-8 W/m/K); cp estimated",
                       description="thermal paste (representative)"),
        # SAC305 (Sn-3.0Ag-0.5Cu) solder: k 58 W/m/K and rho 7380 kg/m3 (AIM SAC305
        # datasheet); cp 228 J/kg/K by mass-weighted mixing of Sn 227, Ag 235, Cu 385 J/kg/K
        # (Incropera Table A.1).
        Solid.constant("solder", 58.0, 7380.0, 228.0, valid_range=(200.0, 490.0),
                       source="AIM SAC305 datasheet (k, rho); cp by rule of mixtures from "
                              "Incropera Table A.1",
                       description="SAC305 lead-free solder"),
    ]
    return {solid.name: solid for solid in solids}


def _builtin_coolants() -> dict[str, Coolant]:
    coolants = [water()]
    coolants += [propylene_glycol(p / 100.0) for p in (20, 25, 30, 40, 50)]
    coolants += [ethylene_glycol(p / 100.0) for p in (20, 25, 30, 40, 50)]
    return {coolant.name: coolant for coolant in coolants}


#: Built-in solids by name (aliases included as extra keys pointing to the same object).
SOLIDS: dict[str, Solid] = _builtin_solids()
#: Other accepted names for solids.
SOLID_ALIASES: dict[str, str] = {
    "aluminium": "aluminium_6061", "aluminum": "aluminium_6061", "aluminum_6061": "aluminium_6061",
    "al6061": "aluminium_6061", "aluminum_pure": "aluminium_pure", "cu": "copper",
    "copper_ofhc": "copper", "ofhc_copper": "copper", "si": "silicon", "ni": "nickel",
    "ss304": "stainless_steel_304", "stainless_steel": "stainless_steel_304",
    "indium": "tim_indium", "galinstan": "tim_liquid_metal", "tim_grease": "tim_paste",
    "sac305": "solder",
}
SOLIDS.update({alias: SOLIDS[target] for alias, target in SOLID_ALIASES.items()})

#: Built-in coolants by name ("PG25" = propylene glycol 25% by mass).
COOLANTS: dict[str, Coolant] = _builtin_coolants()
#: Other accepted names for coolants.
COOLANT_ALIASES: dict[str, str] = {"h2o": "water", "pure_water": "water", "di_water": "water"}
COOLANTS.update({alias: COOLANTS[target] for alias, target in COOLANT_ALIASES.items()})


def _normalise(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _available(registry: dict, aliases: dict) -> str:
    canonical = [name for name in registry if name not in aliases]
    return ", ".join(canonical) + " (also: " + ", ".join(aliases) + ")"


def get_solid(name: str) -> Solid:
    """The built-in solid called ``name`` (case-insensitive; aliases such as "aluminum").

    Raises
    ------
    UnknownMaterialError
        If there is no such solid; the message lists the available names.
    """
    lookup = {_normalise(key): solid for key, solid in SOLIDS.items()}
    try:
        return lookup[_normalise(name)]
    except KeyError:
        raise UnknownMaterialError(
            f"unknown solid {name!r}; available: {_available(SOLIDS, SOLID_ALIASES)}. "
            "Define other solids with constant properties or a conductivity table.") from None


_GLYCOL_NAME = re.compile(r"^(pg|eg)_?(\d+(?:\.\d+)?)$")


def get_coolant(name: str) -> Coolant:
    """The built-in coolant called ``name`` (case-insensitive).

    Besides the registry names, ``"PG<n>"`` and ``"EG<n>"`` give propylene or ethylene glycol
    with ``n`` percent glycol **by mass** (0-60), e.g. ``"PG35"``.

    Raises
    ------
    UnknownMaterialError
        If there is no such coolant; the message lists the available names.
    """
    key = _normalise(name)
    lookup = {_normalise(k): coolant for k, coolant in COOLANTS.items()}
    if key in lookup:
        return lookup[key]
    match = _GLYCOL_NAME.match(key)
    if match and float(match.group(2)) <= 60.0:
        canonical = f"{match.group(1).upper()}{float(match.group(2)):g}"
        if canonical in COOLANTS:
            return COOLANTS[canonical]
        mass_fraction = float(match.group(2)) / 100.0
        factory = propylene_glycol if match.group(1) == "pg" else ethylene_glycol
        return factory(mass_fraction)
    raise UnknownMaterialError(
        f"unknown coolant {name!r}; available: {_available(COOLANTS, COOLANT_ALIASES)}; "
        "'PG<n>' / 'EG<n>' give propylene / ethylene glycol with n% glycol by mass (0-60).")


__all__ = [
    "ATMOSPHERIC_PRESSURE", "COOLANTS", "COOLANT_ALIASES", "Constant", "Coolant", "IAPWSWater",
    "MaterialRangeError", "Polynomial", "SOLIDS", "SOLID_ALIASES", "Solid", "Table",
    "UnknownMaterialError", "ZERO_CELSIUS", "ethylene_glycol", "get_coolant", "get_solid",
    "mass_fraction_from_volume_fraction", "propylene_glycol", "water",
    "water_conductivity_iapws2011", "water_density_if97", "water_specific_heat_if97",
    "water_viscosity_iapws2008",
]
