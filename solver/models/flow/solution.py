"""The flow solution: velocity on faces, pressure in cells, residual histories, and the
divergence error that keeps the last good state."""

from __future__ import annotations

from dataclasses import dataclass, field

from solver.backend import array_namespace
from solver.models.flow.settings import FlowSettings


class DivergenceError(RuntimeError):
    """The flow iteration diverged; the solver keeps the last good state.

    Attributes
    ----------
    iteration : int
        Iteration at which divergence was detected.
    state : FlowSolution or None
        The last good state (finite fields), for inspection or restart.
    """

    def __init__(self, message: str, iteration: int, state=None):
        super().__init__(message)
        self.iteration = iteration
        self.state = state


@dataclass(frozen=True)
class FlowResiduals:
    """Scaled residuals of one outer iteration.

    Attributes
    ----------
    iteration : int
    continuity : float
        Sum of absolute cell mass imbalances of the predicted velocities over the reference
        mass flow (inlet flow, or the largest cross-sectional flow in a closed box).
    momentum : (float, float, float)
        ``sum |b - A u| / sum |a_P u|`` per component, before the momentum solve.
    pressure_iterations : int
        Iterations of the pressure-correction solve.
    seconds : float
        Wall time of the iteration.
    pressure_convergence_factor : float
        Averaged residual reduction per iteration of the pressure-correction solve.
    """

    iteration: int
    continuity: float
    momentum: tuple[float, float, float]
    pressure_iterations: int
    seconds: float
    pressure_convergence_factor: float = float("nan")

    @property
    def largest(self) -> float:
        """The largest of the continuity and momentum residuals."""
        return max(self.continuity, *self.momentum)

    def as_dict(self) -> dict[str, float]:
        """Residuals by name (``continuity``, ``u``, ``v``, ``w``), e.g. for a progress line."""
        return {"continuity": self.continuity, "u": self.momentum[0], "v": self.momentum[1],
                "w": self.momentum[2]}


@dataclass
class FlowSolution:
    """Converged (or last) state of a flow solve.

    Attributes
    ----------
    velocity : (u, v, w)
        Face velocities [m/s] with shapes ``(nx+1,ny,nz)``, ``(nx,ny+1,nz)``, ``(nx,ny,nz+1)``.
    pressure : array (nx, ny, nz)
        Static (gauge) pressure [Pa]; 0 in solid cells.
    mass_flux : (Fx, Fy, Fz)
        Face mass fluxes [kg/s], positive along +axis, zero on solid faces.
    iterations : int
        SIMPLE(C) iterations on the grid (with multigrid: on its finest level).
    converged : bool
    history : list of FlowResiduals
    pressure_drop : dict
        Inlet-to-outlet static (area-weighted) and total (flow-weighted) pressure drop [Pa].
    mass_balance_error : float
        ``|inflow - outflow| / inflow`` over the domain boundary.
    seconds : float
        Wall time of the solve [s].
    settings : FlowSettings
    cycles : int
        Nonlinear multigrid cycles (0 on a single grid).
    """

    velocity: tuple
    pressure: object
    mass_flux: tuple
    iterations: int
    converged: bool
    history: list
    pressure_drop: dict
    mass_balance_error: float
    seconds: float
    settings: FlowSettings = field(default_factory=FlowSettings)
    cycles: int = 0

    def cell_velocity(self):
        """Cell-centred velocity [m/s], shape ``(nx, ny, nz, 3)`` (mean of opposite faces)."""
        return cell_velocity(self.velocity)


def cell_velocity(velocity):
    """Average face velocities to cell centres, shape ``(nx, ny, nz, 3)`` [m/s]."""
    u, v, w = velocity
    xp = array_namespace(u)
    return xp.stack([0.5 * (u[1:] + u[:-1]), 0.5 * (v[:, 1:] + v[:, :-1]),
                     0.5 * (w[:, :, 1:] + w[:, :, :-1])], axis=-1)


def divergence_message(s, residuals: FlowResiduals, inflow: float) -> str:
    """The message of a diverged flow solve: where, the residuals and inflow [kg/s], and the
    likely causes for the settings ``s`` (a FlowSettings)."""
    hints = []
    if residuals.iteration <= 5:
        hints.append("the set-up itself (inlet misplaced on solid or facing an outlet, "
                     "no outlet, or a blocked flow path)")
    hints.append(f"under-relaxation too high (relax_velocity={s.relax_velocity}, "
                 f"relax_pressure={s.relax_pressure}); try relax_velocity="
                 f"{round(0.6 * s.relax_velocity, 2)}")
    if s.convection != "upwind":
        hints.append(f"the {s.convection} convection scheme on a coarse grid at high cell "
                     "Peclet/CFL numbers; try convection='upwind' to start")
    return (f"flow solve diverged at iteration {residuals.iteration} (continuity "
            f"{residuals.continuity:.3g}, momentum {max(residuals.momentum):.3g}; "
            f"inflow {inflow:.3g} kg/s). Likely cause: " + "; or ".join(hints)
            + ". The last good state is kept.")
