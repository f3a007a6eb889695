"""Settings of the flow solver: convection scheme, pressure-velocity algorithm, relaxation,
tolerances and the pressure-correction solve."""

from __future__ import annotations

from dataclasses import dataclass

CONVECTION_SCHEMES = ("upwind", "van_leer", "minmod", "linear_upwind")


ALGORITHMS = ("simplec", "simple")


METHODS = ("auto", "multigrid", "single_grid")


WALL_GRADIENTS = ("linear", "quadratic")


@dataclass(frozen=True)
class FlowSettings:
    """Settings of the steady flow solve (frozen; echoed into result metadata).

    Parameters
    ----------
    convection : {"van_leer", "minmod", "linear_upwind", "upwind"}
        Convection scheme. The limited schemes are bounded second order (deferred correction);
        ``"linear_upwind"`` is unlimited second order; ``"upwind"`` first order.
    algorithm : {"simplec", "simple"}
        Pressure-velocity coupling (the smoother of every multigrid level).
    method : {"auto", "multigrid", "single_grid"}
        Outer iteration: ``"multigrid"`` runs nonlinear multigrid (FAS V-cycles,
        :mod:`solver.models.flow.fas`) with the SIMPLE(C) iterations as smoother, whose cycle
        count barely grows with the grid; ``"single_grid"`` iterates on the grid alone;
        ``"auto"`` takes multigrid where plain 2:1 coarsening reduces the grid 8-fold without
        merging coolant and solid cells (no ports on faces of the geometry, no buoyancy) and the
        single grid elsewhere; ``"multigrid"`` also agglomerates odd runs of cells (3:1 cells),
        which did not pay on the channel plate (docs/flow_methods.md).
    relax_velocity : float
        Implicit under-relaxation factor of momentum, 0 < alpha <= 1.
    relax_pressure : float, optional
        Pressure under-relaxation; by default 1 for SIMPLEC and 0.3 for SIMPLE.
    max_iterations : int
        Maximum outer SIMPLE(C) iterations on the grid (with multigrid: of its finest level,
        ``pre + post`` = 4 per cycle).
    tolerance : float
        Converged when the scaled continuity and momentum residuals fall below it.
    momentum_sweeps : int
        Red-black Gauss-Seidel sweeps per momentum solve (each sweep updates both colours).
    pressure_rtol : float
        Relative tolerance of the pressure-correction solve per outer iteration.
    pressure_max_iterations : int
        Iteration cap of the pressure-correction solve.
    pressure_operator_interval : int
        Rebuild the pressure-correction operator and its multigrid hierarchy from the current
        momentum coefficients at least every this many iterations (1: every iteration), and
        whenever a coefficient drifted by more than 10% of the largest; in between the frozen
        coefficients are used. The converged state does not depend on it.
    divergence_factor : float
        Stop with :class:`DivergenceError` when a residual grows by this factor over its minimum.
    potential_initialisation : bool
        Start from the potential flow that satisfies continuity (one pressure-type solve).
    wall_gradient : {"quadratic", "linear"}
        The velocity gradient at a no-slip wall half a cell from the node: ``"quadratic"``
        from the parabola through the wall and the two nearest nodes (second order at the wall;
        where a passage is one cell across, linear;
        :func:`solver.models.flow.momentum.wall_geometry`), ``"linear"`` from the nearest node
        alone (first order: friction low on coarse passages).
    cuda_graph : bool
        On a GPU, run each SIMPLE(C) iteration as a few captured CUDA graphs
        (:mod:`solver.numerics.graphs`): the momentum stage (assembly, relaxation, sweeps, mass
        fluxes, continuity residual), the pressure solve's CG iterations between residual
        checks, the pressure operator's update and the correction; False launches every kernel
        one by one. No effect on the CPU.
    """

    convection: str = "van_leer"
    algorithm: str = "simplec"
    method: str = "auto"
    relax_velocity: float = 0.8
    relax_pressure: float | None = None
    max_iterations: int = 1000
    tolerance: float = 1e-6
    momentum_sweeps: int = 4
    pressure_rtol: float = 1e-2
    pressure_max_iterations: int = 50
    pressure_operator_interval: int = 10
    divergence_factor: float = 1e6
    potential_initialisation: bool = True
    wall_gradient: str = "quadratic"
    cuda_graph: bool = True

    def __post_init__(self):
        if self.convection not in CONVECTION_SCHEMES:
            raise ValueError(f"convection must be one of {CONVECTION_SCHEMES}")
        if self.algorithm not in ALGORITHMS:
            raise ValueError(f"algorithm must be one of {ALGORITHMS}")
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}")
        if self.wall_gradient not in WALL_GRADIENTS:
            raise ValueError(f"wall_gradient must be one of {WALL_GRADIENTS}")
        if self.relax_pressure is None:
            object.__setattr__(self, "relax_pressure",
                               1.0 if self.algorithm == "simplec" else 0.3)
        if not 0.0 < self.relax_velocity <= 1.0 or not 0.0 < self.relax_pressure <= 1.0:
            raise ValueError("under-relaxation factors must lie in (0, 1]")
        if self.algorithm == "simplec" and self.relax_velocity >= 1.0:
            raise ValueError("SIMPLEC needs relax_velocity < 1")
        if self.max_iterations < 1 or self.momentum_sweeps < 1:
            raise ValueError("max_iterations and momentum_sweeps must be at least 1")
