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
      Some suppliers' "PG25" means 25% glycol **by volume** (25.7% by mass for propylene
      glycol): name it ``"PG25 %vol"`` (or ``"PG25 vol%"``, ``"PG 25% by volume"``), or
      ``get_coolant("PG25", basis="volume")``, or ``propylene_glycol(0.25, basis="volume")``;
      the volume fraction (of the pure components before mixing, at 20 C) is converted with
      :func:`mass_fraction_from_volume_fraction`.

Property functions do not check their temperature range themselves (a check on a device array
forces a device-to-host synchronisation); call :meth:`Coolant.check_range` where a temperature
enters or leaves the model (inlet, converged field, network node).

User-defined materials: :meth:`Solid.constant`, :meth:`Solid.from_table`,
:meth:`Coolant.constant`, :meth:`Coolant.from_table`. Registries: :data:`SOLIDS`,
:data:`COOLANTS`, :func:`get_solid`, :func:`get_coolant`.
"""

from solver.materials.coolants import Coolant
from solver.materials.glycols import (
    ethylene_glycol,
    mass_fraction_from_volume_fraction,
    propylene_glycol,
    volume_fraction_from_mass_fraction,
)
from solver.materials.properties import (
    ATMOSPHERIC_PRESSURE,
    Constant,
    MaterialRangeError,
    Polynomial,
    Table,
    UnknownMaterialError,
    as_property,
    check_valid_range,
    finish,
    prepare,
)
from solver.materials.registry import (
    COOLANT_ALIASES,
    COOLANTS,
    SOLID_ALIASES,
    SOLIDS,
    get_coolant,
    get_solid,
    is_builtin_coolant,
    is_builtin_solid,
)
from solver.materials.solids import Solid, builtin_solids
from solver.materials.water import (
    IAPWSWater,
    water,
    water_conductivity_iapws2011,
    water_density_if97,
    water_specific_heat_if97,
    water_viscosity_iapws2008,
)

__all__ = [
    "Coolant", "mass_fraction_from_volume_fraction", "volume_fraction_from_mass_fraction",
    "propylene_glycol", "ethylene_glycol",
    "ATMOSPHERIC_PRESSURE", "MaterialRangeError", "UnknownMaterialError", "prepare", "finish",
    "Constant", "Table", "Polynomial", "as_property", "check_valid_range", "SOLIDS",
    "SOLID_ALIASES", "COOLANTS", "COOLANT_ALIASES", "get_solid", "is_builtin_solid",
    "is_builtin_coolant", "get_coolant", "Solid", "builtin_solids", "water_density_if97",
    "water_specific_heat_if97", "water_viscosity_iapws2008", "water_conductivity_iapws2011",
    "IAPWSWater", "water"
]
