"""Property laws of temperature (constant, table, polynomial), their valid ranges, and the
material errors."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solver.backend import array_namespace
from solver.units import ZERO_CELSIUS

ATMOSPHERIC_PRESSURE = 101325.0  # [Pa]


class MaterialRangeError(ValueError):
    """A temperature outside the range where a material's properties are valid."""


class UnknownMaterialError(KeyError):
    """A material name that is not in the registry; the message lists the available names."""

    def __str__(self) -> str:  # KeyError would otherwise print the message in quotes
        return str(self.args[0]) if self.args else ""


def prepare(T):
    """``(xp, T_as_array, is_scalar)``; Python scalars are evaluated as float64 NumPy values."""
    if isinstance(T, (int, float)):
        return np, np.float64(T), True
    xp = array_namespace(T)
    if not hasattr(T, "dtype") or T.dtype.kind != "f":
        T = xp.asarray(T, dtype=xp.float64)
    return xp, T, False


def finish(value, is_scalar):
    return float(value) if is_scalar else value


def _celsius(T_kelvin: float) -> str:
    return f"{T_kelvin - ZERO_CELSIUS:.2f} C ({T_kelvin:.2f} K)"


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
        xp, T, is_scalar = prepare(T)
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
        xp, T, is_scalar = prepare(T)
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
        return finish(result, is_scalar)

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
        xp, T, is_scalar = prepare(T)
        t = T - self.reference_temperature
        result = self.coefficients[-1] + 0.0 * t
        for c in reversed(self.coefficients[:-1]):
            result = result * t + c
        if self.exponential:
            result = xp.exp(result)
        return finish(result * self.scale, is_scalar)

    def describe(self) -> dict:
        """Plain-data description for result metadata."""
        return {"kind": "exponential polynomial" if self.exponential else "polynomial",
                "coefficients": list(self.coefficients),
                "reference_temperature": self.reference_temperature, "scale": self.scale}


def as_property(value):
    if callable(value) and hasattr(value, "describe"):
        return value
    return Constant(float(value))


def check_valid_range(kind, name, T, valid_range, where):
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
