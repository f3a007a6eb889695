"""Flow boundary kinds: inlet (velocity, volumetric or mass flow, with its temperature),
outlet (pressure), wall, symmetry and moving wall."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from solver.boundaries.patches import Boundary


@dataclass(frozen=True)
class Inlet(Boundary):
    """Coolant inflow, given by exactly one of velocity, volumetric flow or mass flow.

    Parameters
    ----------
    velocity : float, optional
        [m/s] mean normal velocity into the domain.
    volumetric_flow : float, optional
        [m^3/s] total flow through the patch.
    mass_flow : float, optional
        [kg/s] total mass flow through the patch.
    temperature : float
        [K] inflow temperature (the energy equation treats the patch as fixed temperature
        with advective inflow ``F cp T_inlet``).
    """

    port_capable: ClassVar[bool] = True
    velocity: float | None = None
    volumetric_flow: float | None = None
    mass_flow: float | None = None
    temperature: float = field(kw_only=True)

    def __post_init__(self):
        super().__post_init__()
        given = [v for v in (self.velocity, self.volumetric_flow, self.mass_flow) if v is not None]
        if len(given) != 1:
            raise ValueError("Inlet needs exactly one of velocity, volumetric_flow, mass_flow")
        if given[0] < 0:
            raise ValueError(f"Inlet flow must be >= 0 (into the domain), got {given[0]}")


@dataclass(frozen=True)
class Outlet(Boundary):
    """Coolant outflow at a static pressure.

    Parameters
    ----------
    pressure : float
        [Pa] static (gauge) pressure of the outflow. Reverse flow (a recirculation reaching
        the outlet) enters from rest at this pressure: it is then a total pressure, the static
        pressure inside being ``pressure - rho u^2 / 2``. For energy the patch is zero-gradient
        (outflow takes the upwind cell temperature, backflow enters at it; no diffusive flux).
    """

    port_capable: ClassVar[bool] = True
    pressure: float = 0.0


@dataclass(frozen=True)
class Wall(Boundary):
    """No-slip wall for the flow; thermally neutral (adiabatic unless a thermal patch is there)."""


@dataclass(frozen=True)
class Symmetry(Boundary):
    """Symmetry plane for the flow; thermally neutral (adiabatic unless a thermal patch is set)."""


FLOW_KINDS = (Inlet, Outlet, Wall, Symmetry)


WALL, SYMMETRY, INLET, OUTLET = 0, 1, 2, 3


KIND_NAMES = {WALL: "wall", SYMMETRY: "symmetry", INLET: "inlet", OUTLET: "outlet"}


@dataclass(frozen=True)
class MovingWall(Wall):
    """No-slip wall that slides in its own plane (e.g. the lid of a driven cavity).

    Parameters
    ----------
    velocity : (float, float, float)
        [m/s] wall velocity; its component normal to the side is ignored.
    """

    velocity: tuple[float, float, float] = (0.0, 0.0, 0.0)
