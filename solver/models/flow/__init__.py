"""Incompressible laminar flow, steady or time-accurate, on the staggered Cartesian grid with
immersed solids.

Discretisation
--------------
* **Staggered (MAC) finite volumes.** Pressure lives at cell centres ``(nx, ny, nz)``; the
  velocity component along axis ``a`` lives on the faces normal to ``a``: ``u`` on x-faces
  ``(nx+1, ny, nz)``, ``v`` on y-faces ``(nx, ny+1, nz)``, ``w`` on z-faces ``(nx, ny, nz+1)``.
  The momentum control volume of a face spans from the centre of the cell behind it to the
  centre of the cell ahead (half cells on the domain boundary); no checkerboard modes.
* **Immersed solids.** A per-cell ``fluid`` mask. A face velocity is an unknown only when both
  adjacent cells are fluid; faces touching solid carry zero normal velocity. The tangential
  no-slip wall sits on the fluid-solid cell face, half a cell from the velocity node: the viscous
  coefficient there uses the half distance (``mu A / (dy/2)``), as on a domain wall.
* **Convection.** First-order upwind, or a bounded second-order TVD scheme (van Leer or minmod
  limited, or plain linear upwind) applied as a deferred correction on top of the upwind matrix.
  The convective operator is written in its bounded (non-conservative) form
  ``a_P = sum a_nb``, equal to the conservative one when continuity holds.
* **Coupling.** SIMPLEC (default) or SIMPLE with implicit under-relaxation of momentum; the
  pressure correction is symmetric positive definite (Dirichlet ``p' = 0`` on pressure outlets)
  and solved by multigrid-preconditioned CG (:class:`solver.numerics.linear.Multigrid`); its
  operator is assembled again every few iterations or when the momentum coefficients drift, and
  the hierarchy then updated in place with the structure of its last set-up
  (:class:`solver.numerics.linear.ReusedMultigrid`: set up again when a solve needs 1.5 times
  the iterations of the first after the set-up).
* **Boundaries.** Inlet: uniform normal velocity scaled to the flow over the fluid faces of the
  patch, zero tangential velocity. Outlet: fixed static pressure on the boundary face, zero
  normal gradient of velocity (the outlet face velocity is an unknown of a half control volume
  driven by ``p_cell - p_outlet``). Wall: no slip (optionally moving). Symmetry: zero normal
  velocity and zero shear.
* **Buoyancy.** Optional Boussinesq term ``-rho beta (T - T_ref) g`` per momentum volume.
* **Time-accurate mode** (:mod:`~solver.models.flow.time_stepping`). BDF2 (backward-Euler start,
  variable steps from a Courant target) with SIMPLEC inner iterations per step; time averages
  of fields and monitors, stopped by a batch-means confidence interval on each monitor's mean.

The flow lives on the bounding box of the fluid cells (solid beyond it is a wall); results are
returned on the full grid. Units are SI throughout: m, s, kg, Pa, kg/s (mass fluxes), Pa s
(dynamic viscosity).

Validation (tests/models/test_flow.py): plane Poiseuille and rectangular ducts against Shah &
London (1978) f*Re with observed order 2; lid-driven cavity against Ghia, Ghia & Shin (1982);
immersed solid walls reproduce walled ducts. tests/models/test_flow_time.py: second order in time
on the decaying Taylor-Green vortex; the time average of a steady flow is its steady solution.
Performance (benchmarks/flow_unit_cell.py): about 20 ms per iteration on the 80,000-cell peer
unit cell (30,000 fluid cells) on one CPU core.

Limits: laminar flow. Flows that are physically unsteady (e.g. pin arrays at pin Reynolds
numbers of several hundred) stall at a residual plateau in the steady mode; the time-accurate
mode averages them instead.
"""

from solver.models.flow.momentum import Component
from solver.models.flow.settings import ALGORITHMS, CONVECTION_SCHEMES, FlowSettings
from solver.models.flow.simplec import FlowSolver, solve_flow
from solver.models.flow.solution import DivergenceError, FlowResiduals, FlowSolution, cell_velocity
from solver.models.flow.staggered import INTERIOR, half_widths, pad_edge, pad_zero
from solver.models.flow.time_stepping import (
    StepRecord,
    TimeAverage,
    TimeAveragedFlow,
    TimeSettings,
    TimeStepper,
    run_time_averaged,
)

__all__ = [
    "Component", "CONVECTION_SCHEMES", "ALGORITHMS", "FlowSettings", "FlowSolver", "solve_flow",
    "DivergenceError", "FlowResiduals", "FlowSolution", "cell_velocity", "INTERIOR",
    "half_widths", "pad_edge", "pad_zero", "StepRecord", "TimeAverage", "TimeAveragedFlow",
    "TimeSettings", "TimeStepper", "run_time_averaged"
]
