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
