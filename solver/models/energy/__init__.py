"""Steady energy equation on the Cartesian grid: conduction in solids, advection-diffusion in fluid.

Discretisation (cell-centred finite volumes on the non-uniform tensor grid):

* **Diffusion.** The conductance of the face between cells P and N is the series (harmonic) value
  ``G = A / (d_P/k_P + d_N/k_N)`` with ``d`` the centre-to-face distances, so material interfaces
  that sit on grid faces are exact for 1-D series stacks. A fixed temperature acts through the half
  cell (``G = A k_P / d_P``); convection through the series resistance ``1/(1/h + d_P/k_P)``;
  a heat flux enters the right-hand side.
* **Empty cells** (conductivity 0, material id -1) carry no physics: their faces have zero
  conductance, and their rows are identity rows scaled to the mean diagonal (so Krylov and
  multigrid solvers see a well-scaled matrix). After a solve they are filled with the lowest
  temperature of the non-empty cells so that plots and statistics are unaffected; mask them by
  material id.
* **Advection** (:func:`assemble_energy`). Face mass fluxes ``F`` [kg/s] live on the staggered
  faces; the advective heat flow through a face is ``F cp T_face`` with ``cp`` of the upwind cell.
  First-order upwind is implicit. The bounded second-order scheme (``"tvd"``) reconstructs the
  face value from the upwind cell with a van Leer (harmonic-mean) limited slope on the
  non-uniform spacing, clipped to the two cells' values, and adds the difference to upwind by
  deferred correction from the previous ``temperature`` iterate.
* **Boundaries** follow :mod:`solver.boundaries`: later patches override earlier ones, uncovered
  faces are adiabatic, ``Inlet`` brings the advective inflow ``F cp T_inlet`` with no diffusive
  flux across the face (upstream plenum at ``T_inlet``; fixed temperature without mass fluxes),
  ``Outlet`` is zero-gradient (outflow at the upwind value, no diffusion).

Conservation: every interior face contributes the same flux to both cells (also with deferred
correction), so the sum of all cell equations is exactly "heat generated + heat through the
boundaries = 0". :func:`patch_heat_flows` evaluates the boundary flows with the very coefficients
used by the assembly, so the energy balance closes to the linear-solver residual.

Linear systems go to :mod:`solver.numerics.linear` (multigrid-preconditioned CG for conduction,
flexible GMRES with advection); the multigrid hierarchy is kept across TVD deferred-correction
passes (only the right-hand side changes) and rebuilt on each Picard pass for ``k(T)``. In
float64 the balance closes to about 1e-10; float32 grids reach about 1e-3 (round-off of ``T``
near 300 K).

All kernels are written against ``grid.backend.xp`` (NumPy or CuPy); the only host work is on
small per-side boundary masks. Units: SI (m, K, W, kg/s, J/kg/K).
"""

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
from solver.models.energy.sources import chip_cells, chip_heat_source, material_conductivity
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
    "chip_cells", "chip_heat_source", "AXIS_NAMES", "LO", "HI", "cell_array", "check_mass_flux",
    "check_no_flow_into_empty", "SideTerms", "side_terms", "cut_port_faces", "face_conductance"
]
