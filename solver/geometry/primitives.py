"""Geometry primitives: the body base class, boxes and cylinders (SI metres), and the errors
and axis helpers shared by every body."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

AXIS_NAMES = ("x", "y", "z")


class GeometryError(ValueError):
    """A body is degenerate, does not fit, or its mesh file is unreadable or not a closed solid."""


def axis_index(axis: int | str) -> int:
    """Axis number ``0|1|2`` from ``0|1|2`` or ``"x"|"y"|"z"``."""
    if isinstance(axis, str) and axis in AXIS_NAMES:
        return AXIS_NAMES.index(axis)
    if isinstance(axis, int | np.integer) and 0 <= int(axis) <= 2:
        return int(axis)
    raise GeometryError(f"axis must be 0, 1, 2 or 'x', 'y', 'z', got {axis!r}")


def vector3(value, what: str, body: str) -> tuple[float, float, float]:
    array = np.asarray(value, dtype=np.float64)
    if array.shape != (3,) or not np.all(np.isfinite(array)):
        raise GeometryError(f"{body}: {what} must be three finite numbers (x, y, z) [m], "
                            f"got {value!r}")
    return tuple(float(v) for v in array)


def check_envelope(body: str, lower, upper) -> tuple[tuple, tuple]:
    lower = vector3(lower, "min", body)
    upper = vector3(upper, "max", body)
    sizes = np.subtract(upper, lower)
    if np.any(sizes <= 0):
        bad = ", ".join(f"{AXIS_NAMES[a]}: {lower[a]:.6g}..{upper[a]:.6g}" for a in range(3)
                        if sizes[a] <= 0)
        raise GeometryError(f"{body}: max must exceed min along every axis (size > 0 m); "
                            f"degenerate extent {bad}")
    return lower, upper


def inside_range(coordinate, lower: float, upper: float):
    return (coordinate >= lower) & (coordinate <= upper)


def inside_envelope(x, y, z, lower, upper):
    return (inside_range(x, lower[0], upper[0]) & inside_range(y, lower[1], upper[1])
            & inside_range(z, lower[2], upper[2]))


class BaseBody:
    """Shared behaviour of every body (not instantiated directly)."""

    name: str
    material: str

    @property
    def label(self) -> str:
        """``"<Kind> '<name>'"``, the prefix of every message about this body."""
        return f"{type(self).__name__} '{self.name}'"

    def _init_common(self):
        if not self.name:
            object.__setattr__(self, "name", type(self).__name__.lower())
        if not isinstance(self.material, str) or not self.material:
            raise GeometryError(f"{self.label}: material must be a non-empty material name, "
                                f"got {self.material!r}")

    def _init_envelope(self):
        """Common checks plus a valid box envelope ``min < max`` (stored as float tuples)."""
        self._init_common()
        lower, upper = check_envelope(self.label, self.min, self.max)
        object.__setattr__(self, "min", lower)
        object.__setattr__(self, "max", upper)

    def bounding_box(self) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """Axis-aligned bounds ``((x0, y0, z0), (x1, y1, z1))`` [m]."""
        return self.min, self.max

    def breakpoints(self, axis: int | str) -> np.ndarray:
        """Coordinates [m] along ``axis`` that grid lines should snap to (sorted, unique)."""
        a = axis_index(axis)
        points = np.asarray(self._breakpoints(a), dtype=np.float64)
        # faces that coincide with the bounding box up to rounding are put exactly on it
        lower, upper = self.bounding_box()[0][a], self.bounding_box()[1][a]
        tolerance = 1e-9 * (upper - lower)
        points[np.abs(points - lower) <= tolerance] = lower
        points[np.abs(points - upper) <= tolerance] = upper
        return np.unique(points)

    def _breakpoints(self, axis: int):
        return [self.min[axis], self.max[axis]]


@dataclass(frozen=True)
class Box(BaseBody):
    """Axis-aligned rectangular block.

    Parameters
    ----------
    min, max : (3,) float
        Opposite corners [m], ``max > min`` along every axis.
    material : str
        Material name (keyword).
    name : str, optional
        Body name used in messages and reports (keyword; defaults to ``"box"``).
    """

    min: tuple[float, float, float]
    max: tuple[float, float, float]
    material: str = field(kw_only=True)
    name: str = field(default="", kw_only=True)

    def __post_init__(self):
        self._init_envelope()

    def contains(self, x, y, z):
        """True where ``(x, y, z)`` [m] lies in the box (faces included)."""
        return inside_envelope(x, y, z, self.min, self.max)

    def volume(self) -> float:
        """Volume [m^3]."""
        return float(np.prod(np.subtract(self.max, self.min)))


@dataclass(frozen=True)
class Cylinder(BaseBody):
    """Right circular cylinder aligned with a coordinate axis.

    Parameters
    ----------
    base_center : (3,) float
        Centre of the base disc [m].
    axis : {"x", "y", "z"}
        Direction of the cylinder axis; the cylinder extends from the base in the +axis direction.
    radius : float
        Radius [m], > 0.
    length : float
        Length along the axis [m], > 0.
    material, name : str
        Material name and body name (keywords).
    """

    base_center: tuple[float, float, float]
    axis: str
    radius: float
    length: float
    material: str = field(kw_only=True)
    name: str = field(default="", kw_only=True)

    def __post_init__(self):
        self._init_common()
        object.__setattr__(self, "base_center", vector3(self.base_center, "base_center",
                                                         self.label))
        if self.axis not in AXIS_NAMES:
            raise GeometryError(f"{self.label}: axis must be 'x', 'y' or 'z', got {self.axis!r}")
        for what in ("radius", "length"):
            value = getattr(self, what)
            if not np.isfinite(value) or value <= 0:
                raise GeometryError(f"{self.label}: {what} must be > 0 m, got {value!r}")
            object.__setattr__(self, what, float(value))

    @property
    def axis_number(self) -> int:
        """Index 0|1|2 of the cylinder axis."""
        return AXIS_NAMES.index(self.axis)

    @property
    def min(self) -> tuple[float, float, float]:
        """Lower corner of the bounding box [m]."""
        a = self.axis_number
        return tuple(c if i == a else c - self.radius for i, c in enumerate(self.base_center))

    @property
    def max(self) -> tuple[float, float, float]:
        """Upper corner of the bounding box [m]."""
        a = self.axis_number
        return tuple(c + self.length if i == a else c + self.radius
                     for i, c in enumerate(self.base_center))

    def _breakpoints(self, axis: int):
        c = self.base_center[axis]
        if axis == self.axis_number:
            return [c, c + self.length]
        return [c - self.radius, c, c + self.radius]

    def contains(self, x, y, z):
        """True where ``(x, y, z)`` [m] lies in the cylinder (surface included)."""
        coords = (x, y, z)
        a = self.axis_number
        u, v = (i for i in range(3) if i != a)
        du = coords[u] - self.base_center[u]
        dv = coords[v] - self.base_center[v]
        along = coords[a] - self.base_center[a]
        return (du * du + dv * dv <= self.radius ** 2) & (along >= 0.0) & (along <= self.length)

    def volume(self) -> float:
        """Volume pi r^2 L [m^3]."""
        return float(np.pi * self.radius ** 2 * self.length)
