"""Flow boundary conditions on the six domain sides and on ports inside, resolved face by face.

The boundary list of :mod:`solver.boundaries` (``Inlet``, ``Outlet``, ``Wall``, ``Symmetry``;
later patches override earlier ones) is turned into per-face arrays the flow solver reads:
a kind code per face of each side, the inflow normal velocity [m/s], the outlet static pressure
[Pa] and, for moving walls, the wall velocity [m/s]. Faces no flow patch covers are no-slip walls.

An inlet given by volumetric or mass flow gets a uniform normal velocity over the *fluid* faces
of its patch (faces whose adjacent cell is coolant), so the prescribed flow enters exactly even
when part of the patch is blocked by solid.

Inlet and outlet ports may also sit on a face of the geometry inside the domain (a patch with
``position``, see :func:`solver.boundaries.port_faces`): their faces join the same per-face
arrays as an *opening* of the coolant region, described like a domain side by its axis, the face
index of its plane and the direction of its outward normal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solver.boundaries.flow import (
    FLOW_KINDS,
    INLET,
    OUTLET,
    SYMMETRY,
    WALL,
    Inlet,
    MovingWall,
    Outlet,
    Symmetry,
)
from solver.boundaries.patches import SIDES, side_axis, side_shape
from solver.boundaries.ports import port_faces
from solver.boundaries.thermal import face_owners


def _boundary_cells(fluid: np.ndarray, side: str) -> np.ndarray:
    """Fluid mask of the cell layer touching ``side`` (2-D, the side's face shape)."""
    axis, is_max = side_axis(side)
    return np.take(fluid, -1 if is_max else 0, axis=axis)


@dataclass
class SideConditions:
    """Per-face flow conditions of one opening: a domain side or a port on a face of the
    geometry (host arrays of the side's face shape).

    Attributes
    ----------
    axis : int
        Axis normal to the opening.
    face : int
        Face index of the opening's plane along ``axis`` (0 or n on the domain sides).
    is_max : bool
        True when the outward normal of the coolant points along +axis.
    kind : int8 array
        ``WALL``, ``SYMMETRY``, ``INLET`` or ``OUTLET`` per face.
    inflow_velocity : float array
        [m/s] normal velocity *into* the domain on inlet faces (0 elsewhere).
    pressure : float array
        [Pa] static pressure on outlet faces.
    wall_velocity : float array, shape (3, n1, n2)
        [m/s] velocity of moving-wall faces.
    patch : int array
        Index of the owning boundary in the list (-1: default wall).
    """

    axis: int
    face: int
    is_max: bool
    kind: np.ndarray
    inflow_velocity: np.ndarray
    pressure: np.ndarray
    wall_velocity: np.ndarray
    patch: np.ndarray


class FlowConditions:
    """Face-resolved flow boundary conditions of a grid.

    Parameters
    ----------
    grid : Grid
        The computational grid.
    fluid : array of bool, shape (nx, ny, nz)
        True in coolant cells (host or device array).
    boundaries : sequence of Boundary
        ``Inlet``, ``Outlet``, ``Wall`` (incl. :class:`MovingWall`) and ``Symmetry`` patches;
        other (thermal) kinds are ignored. Later patches override earlier ones.
    density : float
        [kg/m^3] coolant density used to turn an inlet mass flow into a velocity.
    domain_sides : sequence of str
        Sides of ``grid`` that lie on the domain boundary; the others (sides of a flow region
        cropped out of a larger grid, with solid beyond) are walls whatever the patches say.
    """

    def __init__(self, grid, fluid, boundaries: Sequence = (), density: float = 1000.0,
                 domain_sides: Sequence[str] = SIDES):
        self.grid = grid
        self.boundaries = list(boundaries)
        fluid_host = grid.backend.to_host(fluid).astype(bool)
        self.sides: dict[str, SideConditions] = {}
        self.ports: list[SideConditions] = []
        for index, b in enumerate(self.boundaries):
            if b.patch.on_geometry:  # inlet and outlet ports only (boundaries.Boundary)
                self.ports.append(self._port(index, b, fluid_host, density))
        for side in SIDES:
            shape = side_shape(grid, side)
            owners = face_owners(grid, self.boundaries, side, kinds=FLOW_KINDS)
            if side not in domain_sides:
                # a side inside the domain (the flow region is cropped): solid beyond, wall
                owners.fill(-1)
            kind = np.full(shape, WALL, dtype=np.int8)
            inflow = np.zeros(shape)
            pressure = np.zeros(shape)
            wall_velocity = np.zeros((3,) + shape)
            wet = _boundary_cells(fluid_host, side)
            for index in np.unique(owners[owners >= 0]):
                b = self.boundaries[index]
                faces = owners == index
                if isinstance(b, Inlet):
                    kind[faces] = INLET
                    inflow[faces] = self._inlet_velocity(b, side, faces & wet, density)
                elif isinstance(b, Outlet):
                    kind[faces] = OUTLET
                    pressure[faces] = b.pressure
                elif isinstance(b, Symmetry):
                    kind[faces] = SYMMETRY
                elif isinstance(b, MovingWall):
                    wall_velocity[:, faces] = np.asarray(b.velocity, dtype=float)[:, None]
            # faces in front of solid cells carry no flow whatever the patch says
            inflow[~wet] = 0.0
            axis, is_max = side_axis(side)
            face = grid.shape[axis] if is_max else 0
            self.sides[side] = SideConditions(axis, face, is_max, kind, inflow, pressure,
                                              wall_velocity, owners)

    def _port(self, index: int, port, fluid: np.ndarray, density: float) -> SideConditions:
        """The opening of an inlet or outlet port on a face of the geometry."""
        side = port.patch.side
        axis, face, _, faces = port_faces(self.grid, port.patch, fluid)
        if not faces.any():
            what = "inlet" if isinstance(port, Inlet) else "outlet"
            raise ValueError(
                f"{what} port {port.name or side!r} at {'xyz'[axis]} = {port.patch.position:.6g} "
                f"m covers no face with coolant on its inner side and solid beyond ({side} is the "
                "coolant side the port is on): is the port misplaced?")
        shape = side_shape(self.grid, side)
        kind = np.full(shape, WALL, dtype=np.int8)
        inflow = np.zeros(shape)
        pressure = np.zeros(shape)
        if isinstance(port, Inlet):
            kind[faces] = INLET
            inflow[faces] = self._inlet_velocity(port, side, faces, density)
        else:
            kind[faces] = OUTLET
            pressure[faces] = port.pressure
        owners = np.where(faces, index, -1)
        return SideConditions(axis, face, side_axis(side)[1], kind, inflow, pressure,
                              np.zeros((3,) + shape), owners)

    def openings(self, axis: int | None = None) -> list[SideConditions]:
        """Domain sides and ports (all, or those normal to ``axis``)."""
        every = list(self.sides.values()) + self.ports
        return [o for o in every if axis is None or o.axis == axis]

    def _inlet_velocity(self, inlet: Inlet, side: str, wet_faces: np.ndarray,
                        density: float) -> float:
        """Uniform normal velocity [m/s] that carries the inlet's flow over its fluid faces."""
        if inlet.velocity is not None:
            return float(inlet.velocity)
        axis, _ = side_axis(side)
        a, b = (i for i in range(3) if i != axis)
        areas = np.outer(self.grid.widths[a], self.grid.widths[b])
        wet_area = float(areas[wet_faces].sum())
        if wet_area <= 0.0:
            raise ValueError(f"inlet on {side} covers no fluid face: is the inlet misplaced?")
        if inlet.volumetric_flow is not None:
            return float(inlet.volumetric_flow) / wet_area
        return float(inlet.mass_flow) / (density * wet_area)

    @property
    def has_outlet(self) -> bool:
        """True when at least one face is a pressure outlet (pressure level fixed)."""
        return any(bool(np.any(s.kind == OUTLET)) for s in self.openings())
