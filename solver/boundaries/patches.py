"""Where a boundary sits and the base of every kind: the six domain sides, patches restricted
to a rectangle on a side, and the :class:`Boundary` base class."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

SIDES = ("x_min", "x_max", "y_min", "y_max", "z_min", "z_max")


AXIS_OF_SIDE = {"x": 0, "y": 1, "z": 2}


# value given either as a constant or as a function of the in-plane face-centre coordinates
FaceValue = float | Callable[[np.ndarray, np.ndarray], np.ndarray]


def side_axis(side: str) -> tuple[int, bool]:
    """Return ``(axis, is_max)`` of a domain side name such as ``"z_min"``."""
    if side not in SIDES:
        raise ValueError(f"unknown side {side!r}; expected one of {SIDES}")
    return AXIS_OF_SIDE[side[0]], side.endswith("max")


def in_plane_axes(side: str) -> tuple[int, int]:
    """The two axes spanning a side, in increasing order (x sides: (y, z); y: (x, z); z: (x, y))."""
    axis, _ = side_axis(side)
    return tuple(a for a in range(3) if a != axis)


def side_shape(grid, side: str) -> tuple[int, int]:
    """Number of faces on ``side``: the grid's cell counts along the two in-plane axes."""
    a, b = in_plane_axes(side)
    return grid.shape[a], grid.shape[b]


def face_centers(grid, side: str) -> tuple[np.ndarray, np.ndarray]:
    """In-plane face-centre coordinates [m] of ``side`` as two broadcast 2-D host arrays ('ij')."""
    a, b = in_plane_axes(side)
    return np.meshgrid(grid.centers[a], grid.centers[b], indexing="ij")


@dataclass(frozen=True)
class Patch:
    """Where a boundary condition applies.

    Parameters
    ----------
    side : str
        One of ``"x_min", "x_max", "y_min", "y_max", "z_min", "z_max"``.
    region : ((float, float), (float, float)) or None
        Rectangle ``((a0, a1), (b0, b1))`` [m] in the side's two in-plane coordinates, in axis
        order (x sides: (y, z); y sides: (x, z); z sides: (x, y)). ``None`` covers the whole side.
    position : float or None
        [m] coordinate of a grid plane inside the domain, normal to the side's axis, on which the
        patch sits (a face of the geometry); ``None``: on the domain side itself.
    """

    side: str
    region: tuple[tuple[float, float], tuple[float, float]] | None = None
    position: float | None = None

    def __post_init__(self):
        side_axis(self.side)
        if self.region is not None:
            region = tuple(tuple(float(v) for v in pair) for pair in self.region)
            if len(region) != 2 or any(len(pair) != 2 for pair in region):
                raise ValueError(f"patch region must be ((a0, a1), (b0, b1)), got {self.region!r}")
            if any(lo > hi for lo, hi in region):
                raise ValueError(f"patch region bounds must be increasing, got {self.region!r}")
            object.__setattr__(self, "region", region)

    @property
    def on_geometry(self) -> bool:
        """True for a patch on a face of the geometry inside the domain (``position`` given)."""
        return self.position is not None

    def plane_index(self, grid) -> int:
        """Index of the grid plane (face index along the side's axis) the patch lies on.

        The domain side (0 or n) without ``position``; with it, the plane at ``position``,
        which must be a grid face strictly inside the domain (``ValueError`` otherwise).
        """
        axis, is_max = side_axis(self.side)
        faces = grid.faces[axis]
        if self.position is None:
            return faces.size - 1 if is_max else 0
        index = int(np.argmin(np.abs(faces - self.position)))
        widths = grid.widths[axis]
        tolerance = 1e-6 * float(widths[min(index, widths.size - 1)])
        if abs(faces[index] - self.position) > tolerance:
            raise ValueError(f"port plane {'xyz'[axis]} = {self.position:.6g} m is not a grid "
                             f"plane (nearest {faces[index]:.6g} m): snap the grid to it")
        if not 0 < index < faces.size - 1:
            raise ValueError(f"port plane {'xyz'[axis]} = {self.position:.6g} m is on the domain "
                             "boundary: give the port without a position")
        return index

    def face_mask(self, grid) -> np.ndarray:
        """Boolean host mask over the side's faces, shape = the side's two cell counts.

        A face is in the patch when its centre lies inside ``region`` (edges included).
        Move it to the device with ``grid.backend.asarray(mask)`` when needed.
        """
        shape = side_shape(grid, self.side)
        if self.region is None:
            return np.ones(shape, dtype=bool)
        a, b = in_plane_axes(self.side)
        (a0, a1), (b0, b1) = self.region
        ca, cb = grid.centers[a], grid.centers[b]
        in_a = (ca >= a0) & (ca <= a1)
        in_b = (cb >= b0) & (cb <= b1)
        return in_a[:, None] & in_b[None, :]

    def area(self, grid) -> float:
        """Total area [m^2] of the faces in the patch."""
        a, b = in_plane_axes(self.side)
        areas = np.outer(grid.widths[a], grid.widths[b])
        return float(areas[self.face_mask(grid)].sum())


def evaluate_face_value(value: FaceValue, grid, side: str) -> np.ndarray:
    """A constant or a function of the in-plane face-centre coordinates, as a 2-D host array."""
    shape = side_shape(grid, side)
    if callable(value):
        ca, cb = face_centers(grid, side)
        return np.broadcast_to(np.asarray(value(ca, cb), dtype=np.float64), shape).copy()
    return np.full(shape, float(value))


@dataclass(frozen=True)
class Boundary:
    """Base of every boundary kind: a :class:`Patch` and an optional report name."""

    patch: Patch
    name: str = field(default="", kw_only=True)
    #: True for the kinds that may sit on a face of the geometry (inlet and outlet ports)
    port_capable: ClassVar[bool] = False

    def __post_init__(self):
        if self.patch.on_geometry and not self.port_capable:
            raise ValueError(f"{type(self).__name__}: only inlet and outlet ports can sit on a "
                             "face of the geometry (patch position); other kinds take a domain "
                             "side")
