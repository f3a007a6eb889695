"""Explicit unit parsing for case files, and the pydantic base of every case-file section.

Inside the solver everything is SI (m, kg, s, K, W, Pa). A case file may write a quantity either as
a plain number, which is taken in SI, or as a string ``"<number> <unit>"`` with a unit from the
short, explicit tables below (``"1.5 L/min"``, ``"25 C"``, ``"28 mm"``, ``"20 kPa"``). Nothing is
guessed: an unknown unit is an error that lists the allowed ones.

The ``Annotated`` types (``Temperature``, ``Length``, ...) are used as field types in the case
schema; they convert on validation so the typed case always holds SI floats.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

ZERO_CELSIUS = 273.15
"""[K] 0 C in kelvin."""
LPM = 60000.0
"""[L/min per m3/s] volumetric flow conversion."""

# unit -> (scale, offset): SI = value * scale + offset
LENGTH_UNITS = {"m": (1.0, 0.0), "mm": (1e-3, 0.0), "um": (1e-6, 0.0), "cm": (1e-2, 0.0),
                "in": (0.0254, 0.0)}
TEMPERATURE_UNITS = {"K": (1.0, 0.0), "C": (1.0, ZERO_CELSIUS), "degC": (1.0, ZERO_CELSIUS)}
TEMPERATURE_DIFFERENCE_UNITS = {"K": (1.0, 0.0), "C": (1.0, 0.0), "degC": (1.0, 0.0)}
VOLUMETRIC_FLOW_UNITS = {"m3/s": (1.0, 0.0), "L/min": (1e-3 / 60.0, 0.0), "L/s": (1e-3, 0.0),
                         "m3/h": (1.0 / 3600.0, 0.0), "gpm": (3.785411784e-3 / 60.0, 0.0)}
MASS_FLOW_UNITS = {"kg/s": (1.0, 0.0), "g/s": (1e-3, 0.0), "kg/h": (1.0 / 3600.0, 0.0)}
PRESSURE_UNITS = {"Pa": (1.0, 0.0), "kPa": (1e3, 0.0), "bar": (1e5, 0.0),
                  "psi": (6894.757293168, 0.0), "mbar": (1e2, 0.0)}
POWER_UNITS = {"W": (1.0, 0.0), "kW": (1e3, 0.0), "MW": (1e6, 0.0)}
VELOCITY_UNITS = {"m/s": (1.0, 0.0), "mm/s": (1e-3, 0.0)}
TIME_UNITS = {"s": (1.0, 0.0), "ms": (1e-3, 0.0), "us": (1e-6, 0.0), "min": (60.0, 0.0),
              "h": (3600.0, 0.0)}
HEAT_FLUX_UNITS = {"W/m2": (1.0, 0.0), "W/cm2": (1e4, 0.0), "kW/m2": (1e3, 0.0)}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z/0-9]+)\s*$")


def _finite(number: float, value, what: str) -> float:
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite {what}: write a number that fits a "
                         "double (|x| < 1.8e308), not inf or nan")
    return number


def parse_quantity(value, units: dict[str, tuple[float, float]], what: str) -> float:
    """Convert a number (taken as SI) or a ``"<number> <unit>"`` string to an SI float.

    Parameters
    ----------
    value : float | int | str
        The case-file value.
    units : dict
        Allowed units mapping to ``(scale, offset)`` with ``SI = value * scale + offset``.
    what : str
        Name of the quantity, used in error messages.

    Raises
    ------
    ValueError
        With a message that lists the allowed units.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a {what} (number or string with unit), got a boolean")
    if isinstance(value, int | float):
        return _finite(float(value), value, what)
    if isinstance(value, str):
        match = _QUANTITY.match(value)
        if match and match.group(2) in units:
            scale, offset = units[match.group(2)]
            return _finite(float(match.group(1)) * scale + offset, value, what)
        allowed = ", ".join(units)
        raise ValueError(f"cannot read {value!r} as a {what}; write a number in SI or "
                         f"'<number> <unit>' with unit one of: {allowed}")
    raise ValueError(f"expected a {what} (number or string with unit), got {type(value).__name__}")


def _quantity(units, what):
    return BeforeValidator(lambda v: parse_quantity(v, units, what))


Length = Annotated[float, _quantity(LENGTH_UNITS, "length [m]")]
Temperature = Annotated[float, _quantity(TEMPERATURE_UNITS, "temperature [K]")]
TemperatureDifference = Annotated[float, _quantity(TEMPERATURE_DIFFERENCE_UNITS,
                                                   "temperature difference [K]")]
VolumetricFlow = Annotated[float, _quantity(VOLUMETRIC_FLOW_UNITS, "volumetric flow [m3/s]")]
MassFlow = Annotated[float, _quantity(MASS_FLOW_UNITS, "mass flow [kg/s]")]
Pressure = Annotated[float, _quantity(PRESSURE_UNITS, "pressure [Pa]")]
Power = Annotated[float, _quantity(POWER_UNITS, "power [W]")]
Velocity = Annotated[float, _quantity(VELOCITY_UNITS, "velocity [m/s]")]
Duration = Annotated[float, _quantity(TIME_UNITS, "time [s]")]
HeatFluxDensity = Annotated[float, _quantity(HEAT_FLUX_UNITS, "heat flux [W/m2]")]


class Section(BaseModel):
    """Base of every case-file section: unknown keys are errors, values are immutable.

    Field descriptions must state the SI unit in square brackets, e.g. ``"[m] plate thickness"``;
    the key reference in ``docs/case_reference.md`` is generated from them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)
