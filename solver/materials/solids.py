"""Solids: conductivity, density and specific heat (Incropera Table A.1 and TIM data sheets)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from solver.materials.properties import (
    Constant,
    Table,
    as_property,
    check_valid_range,
)


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
            object.__setattr__(self, attribute, as_property(getattr(self, attribute)))
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
        check_valid_range("solid", self.name, T, self.valid_range, where)

    def describe(self) -> dict:
        """Plain-data description (JSON-serialisable) for result metadata."""
        return {"name": self.name, "kind": "solid", "description": self.description,
                "source": self.source, "valid_range_K": list(self.valid_range),
                "temperature_dependent": self.is_temperature_dependent,
                "conductivity_W_per_m_K": self.conductivity.describe(),
                "density_kg_per_m3": self.density.describe(),
                "specific_heat_J_per_kg_K": self.specific_heat.describe()}


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


def builtin_solids() -> dict[str, Solid]:
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
