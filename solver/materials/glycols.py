"""Propylene- and ethylene-glycol solutions from Melinder (2010), 0-60 % by mass, and the
conversions between a concentration by volume (of the pure components before mixing, as coolant
data sheets state it) and by mass (what the correlation takes)."""

from __future__ import annotations

from dataclasses import dataclass

from solver.materials.coolants import Coolant
from solver.materials.properties import ZERO_CELSIUS, Polynomial


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


def _melinder_coolant(fluid: _MelinderFluid, code: str, fraction: float, name: str | None,
                      basis: str) -> Coolant:
    glycol = fluid.label.split()[0]
    if basis not in ("mass", "volume"):
        raise ValueError(f"basis must be 'mass' or 'volume', got {basis!r}")
    mass_fraction = (mass_fraction_from_volume_fraction(fraction, glycol) if basis == "volume"
                     else fraction)
    if not 0.0 <= mass_fraction <= fluid.x_max:
        raise ValueError(f"{fluid.label} mass fraction must be between 0 and {fluid.x_max} "
                         f"(Melinder 2010 correlation), got {mass_fraction:.4g}")
    volume_fraction = (fraction if basis == "volume"
                       else volume_fraction_from_mass_fraction(mass_fraction, glycol))
    percent = round(100.0 * fraction, 2)
    if basis == "volume":
        name = name or f"{code[1:]}{percent:g}%vol"
        description = (f"{fluid.label} {percent:g}% by volume ({100.0 * mass_fraction:.2f}% by "
                       "mass) in water")
    else:
        name = name or f"{code[1:]}{percent:g}"
        description = (f"{fluid.label} {percent:g}% by mass ({100.0 * volume_fraction:.2f}% by "
                       "volume) in water")

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
                   source=_MELINDER_SOURCE.format(code=code), description=description,
                   concentration={"glycol": fluid.label, "basis": basis,
                                  "mass_fraction": mass_fraction,
                                  "volume_fraction": volume_fraction})


# Pure-glycol densities at 20 C [kg/m3] (CRC Handbook of Chemistry and Physics: 1,2-propanediol
# 1.0361 g/cm3, 1,2-ethanediol 1.1135 g/cm3) and water at 20 C (IAPWS-95: 998.21 kg/m3).
_GLYCOL_DENSITY_20C = {"propylene": 1036.1, "ethylene": 1113.5}


_WATER_DENSITY_20C = 998.21


def _pure_glycol_density(glycol: str, fraction: float, basis: str) -> float:
    """[kg/m3] of the pure glycol at 20 C, after checking the glycol and the fraction."""
    if glycol not in _GLYCOL_DENSITY_20C:
        raise ValueError(f"glycol must be one of {tuple(_GLYCOL_DENSITY_20C)}, got {glycol!r}")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"{basis} fraction must be between 0 and 1, got {fraction}")
    return _GLYCOL_DENSITY_20C[glycol]


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
    glycol_mass = volume_fraction * _pure_glycol_density(glycol, volume_fraction, "volume")
    return glycol_mass / (glycol_mass + (1.0 - volume_fraction) * _WATER_DENSITY_20C)


def volume_fraction_from_mass_fraction(mass_fraction: float, glycol: str = "propylene") -> float:
    """Glycol volume fraction (pure components before mixing, at 20 C) of a mixture of glycol
    mass fraction ``mass_fraction`` [kg/kg]; the inverse of
    :func:`mass_fraction_from_volume_fraction`.

    Returns
    -------
    float
        [m3/m3]; 25% by mass propylene glycol is 0.243 by volume.
    """
    glycol_volume = mass_fraction / _pure_glycol_density(glycol, mass_fraction, "mass")
    return glycol_volume / (glycol_volume + (1.0 - mass_fraction) / _WATER_DENSITY_20C)


def propylene_glycol(fraction: float, name: str | None = None, basis: str = "mass") -> Coolant:
    """Aqueous propylene glycol from Melinder (2010), valid from its freezing point to 100 C.

    Parameters
    ----------
    fraction : float
        Glycol fraction [-]: by mass [kg/kg], 0 to 0.6 (0.25 for "PG25"), or with
        ``basis="volume"`` by volume [m3/m3] of the pure components before mixing (converted
        with :func:`mass_fraction_from_volume_fraction`: 25% by volume is 25.7% by mass).
    name : str, optional
        Coolant name; default ``"PG<percent>"`` by mass, ``"PG<percent>%vol"`` by volume.
    basis : {"mass", "volume"}
        What ``fraction`` measures.

    Returns
    -------
    Coolant
        With ``concentration``: the basis and both fractions.
    """
    return _melinder_coolant(_MELINDER_PG, "MPG", fraction, name, basis)


def ethylene_glycol(fraction: float, name: str | None = None, basis: str = "mass") -> Coolant:
    """Aqueous ethylene glycol from Melinder (2010), valid from its freezing point to 100 C.

    Parameters
    ----------
    fraction : float
        Glycol fraction [-] by mass (0 to 0.6), or by volume with ``basis="volume"``.
    name : str, optional
        Coolant name; default ``"EG<percent>"`` by mass, ``"EG<percent>%vol"`` by volume.
    basis : {"mass", "volume"}
        What ``fraction`` measures.

    Returns
    -------
    Coolant
    """
    return _melinder_coolant(_MELINDER_EG, "MEG", fraction, name, basis)
