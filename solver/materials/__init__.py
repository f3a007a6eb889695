"""Materials: solids, coolants (IAPWS water, glycol solutions) and the registry of built-in
names."""

from solver.materials.coolants import Coolant
from solver.materials.glycols import (
    ethylene_glycol,
    mass_fraction_from_volume_fraction,
    propylene_glycol,
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
    "Coolant", "mass_fraction_from_volume_fraction", "propylene_glycol", "ethylene_glycol",
    "ATMOSPHERIC_PRESSURE", "MaterialRangeError", "UnknownMaterialError", "prepare", "finish",
    "Constant", "Table", "Polynomial", "as_property", "check_valid_range", "SOLIDS",
    "SOLID_ALIASES", "COOLANTS", "COOLANT_ALIASES", "get_solid", "is_builtin_solid",
    "is_builtin_coolant", "get_coolant", "Solid", "builtin_solids", "water_density_if97",
    "water_specific_heat_if97", "water_viscosity_iapws2008", "water_conductivity_iapws2011",
    "IAPWSWater", "water"
]
