"""Cold plates in the rack loop: characterization curves, superposition of chip powers, the
base rack solve and the coupled rack (network <-> 3D plates)."""

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
from solver.coupling.rack import RackResult, build_rack, rebuilt, solve_rack, with_plate_curves
from solver.coupling.superposition import (
    UnitResponses,
    unit_responses,
    unit_responses_from_cold_plate,
)

__all__ = [
    "Runner", "parse_flows", "coldplate_runner", "run_one", "characterize",
    "CouplingTolerances", "CoupledRack", "plate_group", "couple_rack", "CURVES_FORMAT",
    "PressureDropFit", "ResistanceFit", "fit_pressure_drop", "fit_resistance", "OperatingPoint",
    "PlateCurves", "format_curves", "RackResult", "build_rack", "solve_rack",
    "with_plate_curves", "rebuilt", "UnitResponses", "unit_responses",
    "unit_responses_from_cold_plate"
]
