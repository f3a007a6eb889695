"""Multigrid-class linear solvers for seven-point finite-volume systems.

The systems are those of :class:`~solver.numerics.Stencil7`: heat conduction (symmetric, with
conductivity jumps of 1000:1 and more between copper, TIM and coolant, on stretched grids), the
pressure correction of the flow solver (symmetric, possibly singular) and advection-diffusion of
energy (non-symmetric).

Algorithm: cell-centred agglomeration multigrid on the structured grid
-----------------------------------------------------------------------
* **Hierarchy.** Each level merges blocks of 2x2x2 cells into one coarse cell, or fewer axes
  (semi-coarsening) where an axis is weakly coupled, has a single cell, or is solved by line
  smoothing; an odd axis leaves a last aggregate of one cell. Prolongation ``P`` is piecewise
  constant and restriction ``R = P^T`` sums the fine residuals (the flux imbalance of the coarse
  control volume): additive-correction multigrid (Hutchinson & Raithby 1986).
* **Coarse operator.** Seven-point again (:func:`coarsen_stencil`): the Galerkin product
  ``R A P`` with each diffusive coupling divided by the aggregation factor across its face and
  boundary sinks in series with half the inward link, which for uniform diffusion equals the
  rediscretised coarse operator (the unscaled product is 2x too stiff, the classic slow
  convergence of additive correction). Advective couplings and volumetric sinks are summed
  unscaled; cells without couplings are left out. Zero row sums (all-Neumann) are preserved on
  every level.
* **Smoother.** Red-black point Gauss-Seidel; on levels where cells couple much more strongly
  along one axis (thin layers, stretched cells) zebra line Gauss-Seidel along that axis (exact
  tridiagonal line solves: the Thomas recurrence, on a GPU parallel cyclic reduction by a
  thread block per line for lines of more than 8 cells) with coarsening only across the
  lines, which is robust for any aspect ratio along that axis. Pre-smoothing runs the
  colours forward, post-smoothing backward, so the cycle is symmetric for symmetric
  operators.
* **Cycle.** K-cycle by default (Notay & Vassilevski 2008): the coarse problem of an
  intermediate level is solved by two Krylov steps preconditioned by that level's cycle, which
  keeps the convergence factor from degrading with the number of levels, wherever the doubled
  visits keep that level's work per cycle within half the finest level's (all levels below
  the first with full 2x2x2 coarsening); ``cycle="v"`` gives the plain V-cycle.
* **Coarsest level.** (at most ``coarsest_size`` cells, 1,024 by default) Solved directly: on
  the CPU by its banded LU factors (cells numbered with the longest axis varying slowest, so
  the band is cells / longest extent wide: a few sweeps' work per solve), on a GPU by its dense
  inverse applied on the device (8 MB at 1,024 cells, inverted on the device), so a cycle needs
  no host transfer (the pseudo-inverse on both where the operator is singular). A larger
  coarsest level takes the smallest levels' many small kernels out of every cycle.
* **Krylov acceleration.** The cycle preconditions flexible CG (``"pcg"``, symmetric systems) or
  BiCGStab (``"bicgstab"``, non-symmetric); ``"multigrid"`` runs cycles as a stationary
  iteration, each correction scaled by the step that minimises the residual norm (the scaled
  coarse operators over-correct some modes, and a plain stationary cycle can diverge).

All numerics use the stencil's array namespace (NumPy or CuPy); work arrays are allocated once per
level; Krylov coefficients stay on the device, and the residual norm is brought to the host only
every ``check_every`` iterations. Every pass of the cycle is one call of a compiled kernel
(``kernels/*.cu`` on a GPU, their Numba loops of :mod:`solver.numerics.host_kernels` on the
host: a red-black colour, a zebra colour of line solves, the operator, the residual restricted
to the next level, the prolonged correction, the coarse operators of an update; the K-cycle's
coefficient updates are elementwise passes of :mod:`solver.numerics.pointwise`), nothing in the
cycle allocates, and on a GPU the preconditioning cycle is captured once per hierarchy as a
CUDA graph and replayed by one host operation (``cuda_graph``). Every kernel has a NumPy twin
(``tests/gpu_twins.py``); ``tests/numerics/test_cuda_on_host.py`` runs the CUDA source itself on
the CPU and the Numba loops against the twins.

A hierarchy can follow an operator whose coefficients change in place (same pattern):
:meth:`Multigrid.update` recomputes the coarse operators with the kept aggregation and
smoothing axes; :class:`ReusedMultigrid` sets up again when that converges clearly slower.

Singular systems: for an all-Neumann operator (every row sums to zero) the right-hand side must
sum to zero (compatible); the iterates then converge to one of the solutions, defined up to a
constant. The flow solver removes the null space with an outlet Dirichlet condition.

Known limitation: the coarsening is chosen per level for the whole grid, so grids stretched
strongly along two axes in different regions (cell aspect ratios of 30 and more in both x and z)
converge at only 0.2-0.4 per iteration (local, plane-wise smoothing would be needed); one
stretched axis (thin layers), jumps and advection-dominated axes are handled.

Precision: float64 is the default. A float32 operator keeps its whole hierarchy (smoothing,
coarse levels) in float32 while the Krylov iteration, residuals and dot products run in float64
(mixed-precision refinement); the solution is returned in the operator's dtype.
"""

from solver.numerics.cuda import (
    KERNEL_FILES,
    KERNEL_NAMES,
    THREADS,
    cuda_kernels,
    cuda_source,
    launch_blocks,
)
from solver.numerics.linear.coarsening import AXIS_PAIRS, choose_factors, coarsen_stencil
from solver.numerics.linear.krylov import run_krylov
from solver.numerics.linear.multigrid import DotProduct, Level, Multigrid, Transfer, solve
from solver.numerics.linear.reuse import ReusedMultigrid
from solver.numerics.linear.settings import (
    CYCLES,
    GMRES_RESTART,
    LINE_FRACTION,
    LINE_RATIO,
    MAX_COARSEST,
    METHODS,
    SMOOTHERS,
    CarriedValues,
    LevelInfo,
    LinearSolve,
    SolveInfo,
)
from solver.numerics.linear.smoothers import (
    SHIFTS,
    LineSmoother,
    PointSmoother,
    shifted,
    strong_line_axes,
)

__all__ = [
    "AXIS_PAIRS", "coarsen_stencil", "choose_factors", "KERNEL_FILES", "KERNEL_NAMES",
    "THREADS", "cuda_source", "cuda_kernels", "launch_blocks", "run_krylov", "Level",
    "Transfer", "DotProduct", "Multigrid", "solve", "METHODS", "GMRES_RESTART", "SMOOTHERS",
    "CYCLES", "MAX_COARSEST", "LINE_RATIO", "LINE_FRACTION", "LinearSolve", "SolveInfo",
    "CarriedValues",
    "LevelInfo", "SHIFTS", "shifted", "PointSmoother", "LineSmoother",
    "strong_line_axes", "ReusedMultigrid"
]
