"""The built-in materials by name: solids and coolants with their aliases, ``PG<n>``/``EG<n>``
glycol solutions, and the look-ups :func:`get_solid` and :func:`get_coolant`."""

from __future__ import annotations

import re

from solver.materials.coolants import Coolant
from solver.materials.glycols import (
    ethylene_glycol,
    mass_fraction_from_volume_fraction,
    propylene_glycol,
)
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


# "PG25", "pg_25", "PG 25 %vol", "PG25 vol%", "PG 25% by volume", "EG30 wt%", "PG25 %mass"
_GLYCOL_NAME = re.compile(r"^(pg|eg)[\s_-]*(\d+(?:\.\d+)?)\s*%?\s*"
                          r"(vol|v/v|by\s+volume|mass|wt|w/w|by\s+mass|by\s+weight)?\s*%?$")

_VOLUME_WORDS = ("vol", "v/v")


def glycol_basis(name: str) -> str | None:
    """The concentration basis a glycol name states: ``"volume"`` ("PG25 %vol"), ``"mass"``
    ("PG25 wt%"), or None when it states none ("PG25", which means mass) or is no glycol name."""
    match = _GLYCOL_NAME.match(str(name).strip().lower())
    if not match or not match.group(3):
        return None
    return "volume" if match.group(3).startswith(_VOLUME_WORDS) or "volume" in match.group(3) \
        else "mass"


def is_glycol_name(name: str) -> bool:
    """True for a ``PG<n>``/``EG<n>`` name, with or without a basis ("PG25", "PG 25 %vol")."""
    return bool(_GLYCOL_NAME.match(str(name).strip().lower()))


def is_builtin_solid(name: str) -> bool:
    """True when :func:`get_solid` knows ``name`` (case-insensitive, aliases included)."""
    return _normalise(name) in {_normalise(key) for key in SOLIDS}


def _glycol_mass_fraction(percent: float, glycol: str, basis: str) -> float:
    fraction = percent / 100.0
    if basis == "mass":
        return fraction
    return mass_fraction_from_volume_fraction(min(fraction, 1.0), glycol)


def is_builtin_coolant(name: str) -> bool:
    """True when :func:`get_coolant` knows ``name`` (registry names, ``PG<n>``, ``EG<n>``, with
    an optional basis such as ``"PG25 %vol"``), within the 0-60 % by mass of the correlation."""
    key = _normalise(name)
    if key in {_normalise(k) for k in COOLANTS}:
        return True
    match = _GLYCOL_NAME.match(str(name).strip().lower())
    if not match:
        return False
    glycol = "propylene" if match.group(1) == "pg" else "ethylene"
    basis = glycol_basis(name) or "mass"
    return _glycol_mass_fraction(float(match.group(2)), glycol, basis) <= 0.6


def get_coolant(name: str, basis: str | None = None) -> Coolant:
    """The built-in coolant called ``name`` (case-insensitive).

    Besides the registry names, ``"PG<n>"`` and ``"EG<n>"`` give propylene or ethylene glycol
    with ``n`` percent glycol **by mass** (0-60), e.g. ``"PG35"``; ``"PG25 %vol"`` (also
    ``"PG25 vol%"``, ``"PG 25% by volume"``) or ``basis="volume"`` means ``n`` percent by
    volume of the pure components before mixing (converted to mass with the densities of
    glycol and water, :func:`~solver.materials.glycols.mass_fraction_from_volume_fraction`).

    Parameters
    ----------
    name : str
    basis : {"mass", "volume"}, optional
        Concentration basis of a glycol name that states none (default mass).

    Raises
    ------
    UnknownMaterialError
        If there is no such coolant; the message lists the available names.
    ValueError
        If ``basis`` contradicts the basis written in the name, or is given for a coolant that
        is no glycol.
    """
    stated = glycol_basis(name)
    if basis is not None and basis not in ("mass", "volume"):
        raise ValueError(f"basis must be 'mass' or 'volume', got {basis!r}")
    if basis is not None and stated is not None and basis != stated:
        raise ValueError(f"coolant {name!r} states its concentration by {stated}, "
                         f"not by {basis}")
    if basis is not None and not is_glycol_name(name):
        raise ValueError(f"a concentration basis applies to PG<n>/EG<n> glycols only, not to "
                         f"{name!r}")
    basis = stated or basis or "mass"
    key = _normalise(name)
    lookup = {_normalise(k): coolant for k, coolant in COOLANTS.items()}
    if key in lookup and basis == "mass":
        return lookup[key]
    match = _GLYCOL_NAME.match(str(name).strip().lower())
    glycol = "propylene" if match and match.group(1) == "pg" else "ethylene"
    if match and _glycol_mass_fraction(float(match.group(2)), glycol, basis) <= 0.6:
        percent = float(match.group(2))
        canonical = f"{match.group(1).upper()}{percent:g}"
        if basis == "mass" and canonical in COOLANTS:
            return COOLANTS[canonical]
        factory = propylene_glycol if match.group(1) == "pg" else ethylene_glycol
        return factory(percent / 100.0, basis=basis)
    raise UnknownMaterialError(
        f"unknown coolant {name!r}; available: {_available(COOLANTS, COOLANT_ALIASES)}; "
        "'PG<n>' / 'EG<n>' give propylene / ethylene glycol with n% glycol by mass (0-60), "
        "'PG<n> %vol' n% by volume.")
