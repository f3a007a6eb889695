"""Cold plates in the rack loop: characterization curves and superposition of chip powers.

Characterization
----------------
A cold plate seen from the rack network is two curves of the coolant flow ``Q`` [m3/s]:

* the pressure drop ``dP(Q)`` [Pa], fitted as ``dP = a Q + b Q^2`` (laminar + inertial losses,
  least squares on relative residuals) or ``dP = a Q^n`` (log-log least squares);
* the thermal resistance of every chip, OCP definition ``R = (T_case - T_inlet) / P_chip``
  [K/W], fitted as ``R = c + d Q^-m`` (``c`` the conduction/spreading floor, ``d Q^-m`` the
  convective part that falls with flow).

:func:`characterize` runs one cold-plate solve per flow through a *runner* callable (the default
:func:`coldplate_runner` drives :mod:`solver.models.coldplate`), gathers the points in
:class:`PlateCurves`, and stores them in the plate cache, outside the case folders, under
``<cache>/plates/<case stem>-<geometry hash>/curves-<flows hash>.json`` (plus the exports: the
points and the fits as CSV with units, a Modelica Buildings record;
:func:`solver.setup.curves_path`, :mod:`solver.output.exports`). The key is
:func:`solver.case.case_hash` with ``scope="geometry"`` (grid, materials, coolant, bodies, solver
settings, chip footprints and the positions of the flow patches, which fix the result too);
stored curves are reused when the key and the flows match and recomputed otherwise.

Superposition
-------------
At a fixed flow field and constant properties the upwind-discretised energy equation is linear
in the chip powers ``P_i``, the inlet temperature ``T_in`` and the other boundary data, so

``T = T_base + T_in G_in + sum_i P_i G_i``

with ``G_i`` [K/W] the field for 1 W in chip ``i`` (every boundary temperature and flux zero),
``G_in`` [-] the field for a 1 K inlet (equal to 1 when the inlet is the only thermal boundary)
and ``T_base`` [K] the field of the remaining boundary data (convection ambients, fixed
temperatures, heat fluxes). :func:`unit_responses` computes them once per plate and flow with
:func:`solver.models.energy.solve_energy`; :meth:`UnitResponses.temperature` is then a few array
multiply-adds for any power map.

Units are SI (m3/s, Pa, K, W) unless a name says otherwise (``_L_per_min``).
"""

from solver.coupling.characterize import (
    Runner,
    characterize,
    coldplate_runner,
    parse_flows,
    run_one,
)
from solver.coupling.coupled_rack import CoupledRack, CouplingTolerances, couple_rack, plate_group
from solver.coupling.curves import (
    CURVES_FORMAT,
    OperatingPoint,
    PlateCurves,
    PressureDropFit,
    ResistanceFit,
    fit_pressure_drop,
    fit_resistance,
    format_curves,
)
from solver.coupling.rack import (
    RackResult,
    build_rack,
    rebuilt,
    solve_rack,
    solve_settings,
    with_plate_curves,
)
from solver.coupling.superposition import (
    UnitResponses,
    unit_responses,
    unit_responses_from_cold_plate,
)

__all__ = [
    "Runner", "parse_flows", "coldplate_runner", "run_one", "characterize",
    "CouplingTolerances", "CoupledRack", "plate_group", "couple_rack", "CURVES_FORMAT",
    "PressureDropFit", "ResistanceFit", "fit_pressure_drop", "fit_resistance", "OperatingPoint",
    "PlateCurves", "format_curves", "RackResult", "build_rack", "solve_rack", "solve_settings",
    "with_plate_curves", "rebuilt", "UnitResponses", "unit_responses",
    "unit_responses_from_cold_plate"
]
