"""Magnitudes a cooling engineer would not expect in a plate case: an error where a value is
impossible for the model or for any cooling hardware, a warning where it is unusual.

============================== ============================ =================================
quantity                       error above                  warning
============================== ============================ =================================
inlet velocity [m/s]           0.3 x 1480 = 444 m/s         above 3 m/s
fixed / ambient temperature    3695 K                       outside -65 C .. 150 C
convection coefficient h       (none)                       above 1e5 W/m2/K
chip or boundary heat flux     (none)                       above 1e7 W/m2 (1 kW/cm2)
============================== ============================ =================================

* Inlet velocity: the mean normal velocity over the inlet's coolant faces (what the flow solver
  imposes). The model is incompressible, which holds below a Mach number of about 0.3 (White,
  *Fluid Mechanics*, 7th ed., 2011, sec. 9.1); the speed of sound in water is about 1480 m/s at
  20 C (Del Grosso and Mader, J. Acoust. Soc. Am. 52, 1972), so 444 m/s is an error. Above
  3 m/s is a warning: erosion-corrosion limits for copper in water are 1.5 m/s (hot water) to
  2.4 m/s (cold water) (Copper Development Association, *The Copper Tube Handbook*, 2016:
  5 ft/s and 8 ft/s).
* Temperatures of ``temperature`` boundaries and convection ambients: above 3695 K, the melting
  point of tungsten, the highest of any metal (CRC Handbook of Chemistry and Physics, 97th ed.),
  no solid of a cold plate exists: an error. Outside -65 C .. 150 C, the widest temperature
  cycling range of semiconductor package qualification (JEDEC JESD22-A104, condition C): a
  warning.
* Convection coefficient: above 1e5 W/m2/K, beyond the range of boiling and condensation
  (2,500 to 100,000 W/m2/K, Incropera et al., *Fundamentals of Heat and Mass Transfer*, 6th ed.,
  Table 1.1): a warning.
* Heat flux (chip power over its footprint, ``heat_flux`` boundaries): above 1 kW/cm2, beyond
  the 790 W/cm2 that Tuckerman and Pease (IEEE Electron Device Letters 2(5), 1981) removed with
  water in silicon microchannels: a warning.
"""

from __future__ import annotations

import numpy as np

from solver.boundaries.flow import Inlet
from solver.boundaries.flow_conditions import FlowConditions
from solver.case.errors import case_error
from solver.setup import boundary_conditions, chip_footprint

SPEED_OF_SOUND_WATER = 1480.0  # [m/s] at 20 C (Del Grosso and Mader 1972)
INCOMPRESSIBLE_MACH = 0.3  # [-] White, Fluid Mechanics, sec. 9.1
MAX_INLET_VELOCITY = INCOMPRESSIBLE_MACH * SPEED_OF_SOUND_WATER  # [m/s] error above
EROSION_VELOCITY = 3.0  # [m/s] warning above (copper in water: 1.5 to 2.4 m/s, CDA)
MELTING_LIMIT = 3695.0  # [K] tungsten melts (CRC Handbook): error above
ELECTRONICS_RANGE = (273.15 - 65.0, 273.15 + 150.0)  # [K] JEDEC JESD22-A104 condition C
MAX_CONVECTION_H = 1e5  # [W/m2/K] boiling and condensation top (Incropera Table 1.1)
MAX_HEAT_FLUX = 1e7  # [W/m2] 1 kW/cm2 (Tuckerman and Pease 1981: 790 W/cm2)


def check_magnitudes(case, grid, fluid: np.ndarray) -> list[str]:
    """Refuse impossible magnitudes and list unusual ones (see the module docstring).

    Parameters
    ----------
    case : Case
        A validated case with bodies.
    grid : Grid
        Its grid (host backend).
    fluid : bool array (nx, ny, nz)
        True in coolant cells (:func:`solver.setup.fluid_cells`).

    Returns
    -------
    list of str
        One line per unusual value, naming its key.

    Raises
    ------
    CaseError
        For an impossible value, naming its key, the value and the limit.
    """
    notes = _temperature_notes(case) + _flux_notes(case)
    if case.solver.physics == "conjugate" and fluid.any():
        notes += _velocity_notes(case, grid, fluid)
    return notes


def _temperature_notes(case) -> list[str]:
    notes = []
    low, high = ELECTRONICS_RANGE
    for i, boundary in enumerate(case.boundaries):
        if boundary.type == "convection":
            key, t = f"boundaries[{i}].ambient_temperature", boundary.ambient_temperature
            if boundary.h > MAX_CONVECTION_H:
                notes.append(f"boundaries[{i}].h: {boundary.h:.4g} W/m2/K is above the "
                             f"{MAX_CONVECTION_H:.0e} W/m2/K of boiling and condensation "
                             "(Incropera, Table 1.1)")
        elif boundary.type == "temperature":
            key, t = f"boundaries[{i}].temperature", boundary.temperature
        else:
            continue
        if t > MELTING_LIMIT:
            raise case_error(case, key, "no solid exists at this temperature (tungsten, the "
                             f"highest-melting metal, melts at {MELTING_LIMIT:.0f} K)", t,
                             f"at most {MELTING_LIMIT:.0f} K")
        if not low <= t <= high:
            notes.append(f"{key}: {t - 273.15:.4g} C is outside -65 C .. 150 C, the widest "
                         "qualification range of semiconductor packages (JEDEC JESD22-A104)")
    return notes


def _flux_notes(case) -> list[str]:
    notes = []
    fluxes = [(f"boundaries[{i}].heat_flux", abs(b.heat_flux))
              for i, b in enumerate(case.boundaries) if b.type == "heat_flux"]
    for i, chip in enumerate(case.chips):
        (x0, x1), (y0, y1) = chip_footprint(case, chip)
        fluxes.append((f"chips[{i}].power", chip.power / ((x1 - x0) * (y1 - y0))))
    for key, flux in fluxes:
        if flux > MAX_HEAT_FLUX:
            notes.append(f"{key}: a heat flux of {flux / 1e4:.4g} W/cm2 is above 1 kW/cm2 "
                         "(water microchannels in silicon removed 790 W/cm2: Tuckerman and "
                         "Pease 1981)")
    return notes


def _velocity_notes(case, grid, fluid: np.ndarray) -> list[str]:
    """The mean inflow velocity [m/s] of each inlet, as the flow solver imposes it."""
    patches = boundary_conditions(case)
    coolant = case.coolant_material()
    notes = []
    for i, patch in enumerate(patches):
        if not isinstance(patch, Inlet):
            continue
        density = float(coolant.density(patch.temperature))
        conditions = FlowConditions(grid, fluid, patches, density=density)
        speed = max(float(o.inflow_velocity[o.patch == i].max(initial=0.0))
                    for o in conditions.openings())
        spec, value = case.boundaries[i].flow_spec()
        key = f"boundaries[{i}].{spec}"
        if speed > MAX_INLET_VELOCITY:
            raise case_error(case, key, f"the inlet velocity {speed:.4g} m/s over the inlet's "
                             "coolant faces is beyond incompressible flow (Mach 0.3 in water)",
                             value, f"at most {MAX_INLET_VELOCITY:.0f} m/s")
        if speed > EROSION_VELOCITY:
            notes.append(f"{key}: inlet velocity {speed:.3g} m/s is above {EROSION_VELOCITY:g} "
                         "m/s (erosion-corrosion limits for copper in water are 1.5 to 2.4 "
                         "m/s: Copper Tube Handbook)")
    return notes

