"""The coolant: temperature-dependent density, specific heat, viscosity and conductivity with
their valid range."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from solver.materials.properties import (
    Constant,
    Table,
    as_property,
    check_valid_range,
)


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
    expansion : float or None
        [1/K] volumetric thermal-expansion coefficient for the Boussinesq buoyancy term of a
        coolant whose density is given as a constant; None derives it from the density law
        (:meth:`thermal_expansion`).
    concentration : dict or None
        A glycol solution's make-up: ``glycol``, ``basis`` ("mass" or "volume": how its name
        states the concentration), ``mass_fraction`` [kg/kg] and ``volume_fraction`` [m3/m3]
        (None for other coolants).
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
    expansion: float | None = None
    concentration: dict | None = field(default=None, compare=False)

    def __post_init__(self):
        for attribute in ("density", "specific_heat", "viscosity", "conductivity"):
            object.__setattr__(self, attribute, as_property(getattr(self, attribute)))
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

    @property
    def expands(self) -> bool:
        """True when the coolant has a nonzero thermal-expansion coefficient: a given
        ``expansion``, or else a density that varies with temperature."""
        if self.expansion is not None:
            return self.expansion != 0.0
        return not self.density.is_constant

    def thermal_expansion(self, T: float) -> float:
        """Volumetric thermal-expansion coefficient ``beta = -(1/rho) drho/dT`` [1/K] at ``T``
        [K]: ``expansion`` when given, else a central difference of the density law over
        +-0.5 K (one-sided at the ends of ``valid_range``); 0 for a constant density."""
        if self.expansion is not None:
            return float(self.expansion)
        low, high = self.valid_range
        step = 0.5
        lower, upper = max(T - step, low), min(T + step, high)
        rho_lower, rho_upper = float(self.density(lower)), float(self.density(upper))
        return -(rho_upper - rho_lower) / ((upper - lower) * float(self.density(T)))

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
        check_valid_range("coolant", self.name, T, self.valid_range, where)

    def describe(self) -> dict:
        """Plain-data description (JSON-serialisable) for result metadata."""
        return {"name": self.name, "kind": "coolant", "description": self.description,
                "source": self.source, "valid_range_K": list(self.valid_range),
                "freezing_point_K": self.freezing_point,
                "concentration": self.concentration,
                "temperature_dependent": self.is_temperature_dependent,
                "density_kg_per_m3": self.density.describe(),
                "specific_heat_J_per_kg_K": self.specific_heat.describe(),
                "viscosity_Pa_s": self.viscosity.describe(),
                "conductivity_W_per_m_K": self.conductivity.describe()}
