"""The energy equation on the grid: conduction in solids and convection in the coolant,
assembly, TVD advection, boundary heat flows and balance, sources, and the solve."""

from solver.models.energy.advection import advection_correction
from solver.models.energy.assembly import SCHEMES, assemble, assemble_conduction, assemble_energy
from solver.models.energy.balance import (
    energy_balance,
    flows_from_terms,
    heat_balance,
    patch_heat_flows,
)
from solver.models.energy.solve import (
    ConductionResult,
    ConductionSolve,
    solve_conduction,
    solve_energy,
)
from solver.models.energy.sources import chip_heat_source, material_conductivity
from solver.models.energy.terms import (
    AXIS_NAMES,
    HI,
    LO,
    SideTerms,
    cell_array,
    check_mass_flux,
    check_no_flow_into_empty,
    cut_port_faces,
    face_conductance,
    side_terms,
)

__all__ = [
    "advection_correction", "SCHEMES", "assemble", "assemble_conduction", "assemble_energy",
    "flows_from_terms", "patch_heat_flows", "energy_balance", "heat_balance", "ConductionSolve",
    "ConductionResult", "solve_conduction", "solve_energy", "material_conductivity",
    "chip_heat_source", "AXIS_NAMES", "LO", "HI", "cell_array", "check_mass_flux",
    "check_no_flow_into_empty", "SideTerms", "side_terms", "cut_port_faces", "face_conductance"
]
