"""The built-in materials by name: solids and coolants with their aliases, ``PG<n>``/``EG<n>``
glycol solutions, and the look-ups :func:`get_solid` and :func:`get_coolant`."""

from __future__ import annotations

import re

from solver.materials.coolants import Coolant
from solver.materials.glycols import ethylene_glycol, propylene_glycol
from solver.materials.properties import UnknownMaterialError
from solver.materials.solids import Solid, builtin_solids
from solver.materials.water import water


def _builtin_coolants() -> dict[str, Coolant]:
    coolants = [water()]
    coolants += [propylene_glycol(p / 100.0) for p in (20, 25, 30, 40, 50)]
    coolants += [ethylene_glycol(p / 100.0) for p in (20, 25, 30, 40, 50)]
    return {coolant.name: coolant for coolant in coolants}


#: Built-in solids by name (aliases included as extra keys pointing to the same object).
SOLIDS: dict[str, Solid] = builtin_solids()


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


def is_builtin_solid(name: str) -> bool:
    """True when :func:`get_solid` knows ``name`` (case-insensitive, aliases included)."""
    return _normalise(name) in {_normalise(key) for key in SOLIDS}


def is_builtin_coolant(name: str) -> bool:
    """True when :func:`get_coolant` knows ``name`` (registry names, ``PG<n>``, ``EG<n>``)."""
    key = _normalise(name)
    if key in {_normalise(k) for k in COOLANTS}:
        return True
    match = _GLYCOL_NAME.match(key)
    return bool(match) and float(match.group(2)) <= 60.0


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
