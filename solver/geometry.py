"""Solid and fluid regions of a cold plate, and how they become material ids on the grid.

Every body is a frozen value object in SI metres with a ``name`` (used in messages and to find a
body's cells later), a ``material`` (a material *name*, resolved by :mod:`solver.materials`) and
four methods:

``bounding_box()``
    ``((x0, y0, z0), (x1, y1, z1))`` [m].
``breakpoints(axis)``
    Coordinates [m] along ``axis`` (``0|1|2`` or ``"x"|"y"|"z"``) that grid lines must snap to:
    box faces, fin and pin faces, channel walls. Pass them to
    :func:`solver.meshing.generate_grid` so every flat face lies exactly on a grid line.
``contains(x, y, z)``
    Vectorised host-NumPy inside test on broadcastable coordinate arrays (cell centres), returning
    a boolean array of the broadcast shape. For the primitives, points exactly on a face count
    as inside; for mesh solids a point on the surface falls on one side, decided consistently.
``volume()``
    Analytic volume [m^3] (for meshes: the enclosed volume of the surface).

Primitives: :class:`Box`, :class:`Cylinder`, :class:`FinArray`, :class:`PinFinArray`,
:class:`ChannelArray`; surfaces from files: :class:`MeshSolid` (STL, OBJ, Gmsh ``.msh``, VTU/VTK,
read with meshio, checked for watertightness). :func:`paint` turns an ordered list of bodies into an
``int32`` material-id array (later bodies overwrite earlier ones, ``-1`` where nothing is painted);
:func:`body_mask` gives the cells of one body (e.g. "the die's cells" for a chip power).

Staircase representation: a cell belongs to a body when its *centre* is inside. Faces that are
grid lines (after snapping to the breakpoints) are therefore represented exactly; curved faces
(cylinders, round pins, meshes) are staircased and their painted volume converges to the analytic
one at first order in the cell size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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


def _vector3(value, what: str, body: str) -> tuple[float, float, float]:
    array = np.asarray(value, dtype=np.float64)
    if array.shape != (3,) or not np.all(np.isfinite(array)):
        raise GeometryError(f"{body}: {what} must be three finite numbers (x, y, z) [m], "
                            f"got {value!r}")
    return tuple(float(v) for v in array)


def _check_envelope(body: str, lower, upper) -> tuple[tuple, tuple]:
    lower = _vector3(lower, "min", body)
    upper = _vector3(upper, "max", body)
    sizes = np.subtract(upper, lower)
    if np.any(sizes <= 0):
        bad = ", ".join(f"{AXIS_NAMES[a]}: {lower[a]:.6g}..{upper[a]:.6g}" for a in range(3)
                        if sizes[a] <= 0)
        raise GeometryError(f"{body}: max must exceed min along every axis (size > 0 m); "
                            f"degenerate extent {bad}")
    return lower, upper


def _inside_range(coordinate, lower: float, upper: float):
    return (coordinate >= lower) & (coordinate <= upper)


def _inside_envelope(x, y, z, lower, upper):
    return (_inside_range(x, lower[0], upper[0]) & _inside_range(y, lower[1], upper[1])
            & _inside_range(z, lower[2], upper[2]))


def _strip_offsets(length: float, count: int, thickness: float) -> np.ndarray:
    """Start offsets of ``count`` strips of ``thickness`` spread evenly over ``length``.

    The first strip starts at 0 and the last ends at ``length`` (flush with the envelope); one
    strip is centred.
    """
    if count == 1:
        return np.array([0.5 * (length - thickness)])
    pitch = (length - thickness) / (count - 1)
    return np.arange(count) * pitch


def _strip_faces(lower: float, upper: float, count: int, thickness: float) -> np.ndarray:
    """Both faces of every strip [m]; the outer faces equal ``lower`` and ``upper`` exactly."""
    starts = lower + _strip_offsets(upper - lower, count, thickness)
    ends = starts + thickness
    if count > 1:
        starts[0], ends[-1] = lower, upper
    return np.concatenate([starts, ends])


def _in_strips(s, length: float, count: int, thickness: float):
    """Is local coordinate ``s`` (0..length) inside one of the evenly spread strips?"""
    if count == 1:
        start = 0.5 * (length - thickness)
        return (s >= start) & (s <= start + thickness)
    pitch = (length - thickness) / (count - 1)
    index = np.clip(np.floor(s / pitch), 0, count - 1)
    local = s - index * pitch
    return (s >= 0.0) & (s <= length) & (local <= thickness)


class _Body:
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
class Box(_Body):
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
        self._init_common()
        lower, upper = _check_envelope(self.label, self.min, self.max)
        object.__setattr__(self, "min", lower)
        object.__setattr__(self, "max", upper)

    def contains(self, x, y, z):
        """True where ``(x, y, z)`` [m] lies in the box (faces included)."""
        return _inside_envelope(x, y, z, self.min, self.max)

    def volume(self) -> float:
        """Volume [m^3]."""
        return float(np.prod(np.subtract(self.max, self.min)))


@dataclass(frozen=True)
class Cylinder(_Body):
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
        object.__setattr__(self, "base_center", _vector3(self.base_center, "base_center",
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


class _StripArray(_Body):
    """Shared behaviour of :class:`FinArray` and :class:`ChannelArray` (not instantiated directly).

    Both are ``count`` equal strips spread evenly across one horizontal axis of a box-shaped
    envelope, the first and last flush with the envelope faces (see :func:`_strip_offsets`).
    Subclasses say which axis (``_strip_axis``) and which width (``_strip_width``).
    """

    def _check_strips(self, axis_field: str, width_field: str, noun: str, preposition: str):
        """Validate envelope, axis, count and strip width; ``noun`` names the strips in messages."""
        self._init_common()
        lower, upper = _check_envelope(self.label, self.min, self.max)
        object.__setattr__(self, "min", lower)
        object.__setattr__(self, "max", upper)
        axis_name = getattr(self, axis_field)
        if axis_name not in ("x", "y"):
            raise GeometryError(f"{self.label}: {axis_field} must be 'x' or 'y', "
                                f"got {axis_name!r}")
        if int(self.count) != self.count or self.count < 1:
            raise GeometryError(f"{self.label}: count must be an integer >= 1, got {self.count!r}")
        object.__setattr__(self, "count", int(self.count))
        width = getattr(self, width_field)
        if not np.isfinite(width) or width <= 0:
            raise GeometryError(f"{self.label}: {width_field} must be > 0 m, got {width!r}")
        object.__setattr__(self, width_field, float(width))
        extent = self._strip_extent
        if self.count * self._strip_width > extent * (1 + 1e-12):
            raise GeometryError(
                f"{self.label}: {self.count} {noun} of {self._strip_width:.6g} m do not fit in the "
                f"{extent:.6g} m envelope {preposition} {axis_name} (count * {width_field} = "
                f"{self.count * self._strip_width:.6g} m); reduce count or {width_field} or widen "
                "the envelope")

    @property
    def _strip_axis(self) -> int:
        raise NotImplementedError

    @property
    def _strip_width(self) -> float:
        raise NotImplementedError

    @property
    def _strip_extent(self) -> float:
        """Envelope extent along the strip axis [m]."""
        a = self._strip_axis
        return self.max[a] - self.min[a]

    @property
    def _strip_gap(self) -> float:
        """Clear distance between neighbouring strips [m] (0 for a single strip)."""
        if self.count == 1:
            return 0.0
        return (self._strip_extent - self.count * self._strip_width) / (self.count - 1)

    def _breakpoints(self, axis: int):
        if axis != self._strip_axis:
            return [self.min[axis], self.max[axis]]
        return np.concatenate([_strip_faces(self.min[axis], self.max[axis], self.count,
                                            self._strip_width), [self.min[axis], self.max[axis]]])

    def contains(self, x, y, z):
        """True where ``(x, y, z)`` [m] lies inside a strip (a fin or a channel; faces included)."""
        coords = (x, y, z)
        a = self._strip_axis
        inside = _inside_envelope(x, y, z, self.min, self.max)
        return inside & _in_strips(coords[a] - self.min[a], self._strip_extent, self.count,
                                   self._strip_width)

    def volume(self) -> float:
        """Total volume of the strips (fins or channels) [m^3]."""
        sizes = np.subtract(self.max, self.min)
        sizes[self._strip_axis] = self._strip_width
        return float(self.count * np.prod(sizes))


@dataclass(frozen=True)
class FinArray(_StripArray):
    """Parallel plate fins in a box-shaped envelope.

    ``count`` plates of ``thickness`` normal to ``stack_axis`` fill the envelope along the two
    other axes. They are spread evenly along ``stack_axis`` with the first and last fin flush with
    the envelope faces (fin pitch ``(L - thickness) / (count - 1)``; a single fin is centred). Only
    the fins are painted; the gaps keep whatever was painted before (typically the coolant).

    Parameters
    ----------
    min, max : (3,) float
        Envelope corners [m].
    count : int
        Number of fins, >= 1.
    thickness : float
        Fin thickness along ``stack_axis`` [m]; ``count * thickness <= L`` (envelope length along
        ``stack_axis``).
    stack_axis : {"x", "y"}
        Axis along which the fins are stacked (the fin normal).
    material, name : str
        Material name and body name (keywords).
    """

    min: tuple[float, float, float]
    max: tuple[float, float, float]
    count: int
    thickness: float
    stack_axis: str = "x"
    material: str = field(kw_only=True)
    name: str = field(default="", kw_only=True)

    def __post_init__(self):
        self._check_strips("stack_axis", "thickness", "fins", "along")

    @property
    def _strip_axis(self) -> int:
        return AXIS_NAMES.index(self.stack_axis)

    @property
    def _strip_width(self) -> float:
        return self.thickness

    @property
    def envelope_length(self) -> float:
        """Envelope length along ``stack_axis`` [m]."""
        return self._strip_extent

    @property
    def gap(self) -> float:
        """Clear gap between neighbouring fins [m] (0 for a single fin)."""
        return self._strip_gap


@dataclass(frozen=True)
class ChannelArray(_StripArray):
    """Straight parallel channels of one width in a box-shaped envelope.

    ``count`` channels of ``width`` run along ``direction`` through the whole envelope (and its full
    height in z). They are spread evenly across the other horizontal axis with the first and last
    channel flush with the envelope faces, like :class:`FinArray`; only the channels are painted
    (with ``material``, typically the coolant), the walls in between keep what was painted before.
    Put the envelope where the channels are; the outer side walls belong to the surrounding body.

    Parameters
    ----------
    min, max : (3,) float
        Envelope corners [m].
    count : int
        Number of channels, >= 1.
    width : float
        Channel width across the flow direction [m]; ``count * width <= W`` (envelope width).
    direction : {"x", "y"}
        Flow direction of the channels.
    material, name : str
        Material name and body name (keywords).
    """

    min: tuple[float, float, float]
    max: tuple[float, float, float]
    count: int
    width: float
    direction: str = "x"
    material: str = field(kw_only=True)
    name: str = field(default="", kw_only=True)

    def __post_init__(self):
        self._check_strips("direction", "width", "channels", "across")

    @property
    def across_axis(self) -> int:
        """Index of the horizontal axis across the channels."""
        return 1 if self.direction == "x" else 0

    @property
    def _strip_axis(self) -> int:
        return self.across_axis

    @property
    def _strip_width(self) -> float:
        return self.width

    @property
    def envelope_width(self) -> float:
        """Envelope extent across the channels [m]."""
        return self._strip_extent

    @property
    def wall_thickness(self) -> float:
        """Thickness of the walls between channels [m] (0 for a single channel)."""
        return self._strip_gap


@dataclass(frozen=True)
class PinFinArray(_Body):
    """Array of round or square pins standing along ``axis`` in a box-shaped envelope.

    The pins span the envelope along ``axis``. In the plane normal to ``axis`` (in-plane axes
    ``a, b`` = the two other axes in x, y, z order: (x, y) for ``axis="z"``, (x, z) for ``"y"``,
    (y, z) for ``"x"``) the pin centres form a rectangular lattice of pitch ``(p_a, p_b)``; as many
    whole pins as fit are placed and the pattern is centred in the envelope. ``staggered=True``
    shifts every other row (along ``b``) by ``p_a / 2`` and places its pins midway between those of
    the regular rows (one pin fewer per staggered row). Only the pins are painted.

    Parameters
    ----------
    min, max : (3,) float
        Envelope corners [m].
    diameter : float
        Pin diameter (round) or side (square) [m], ``0 < diameter <= min(p_a, p_b)``.
    pitch : (2,) float
        Centre-to-centre pitch along the in-plane axes ``(p_a, p_b)`` [m].
    axis : {"x", "y", "z"}
        Pin axis (default "z").
    shape : {"round", "square"}
        Pin cross-section; square pins are aligned with the grid axes.
    staggered : bool
        Staggered (True) or in-line (False) arrangement.
    material, name : str
        Material name and body name (keywords).
    """

    min: tuple[float, float, float]
    max: tuple[float, float, float]
    diameter: float
    pitch: tuple[float, float]
    axis: str = "z"
    shape: str = "round"
    staggered: bool = False
    material: str = field(kw_only=True)
    name: str = field(default="", kw_only=True)

    def __post_init__(self):
        self._init_common()
        lower, upper = _check_envelope(self.label, self.min, self.max)
        object.__setattr__(self, "min", lower)
        object.__setattr__(self, "max", upper)
        if self.axis not in AXIS_NAMES:
            raise GeometryError(f"{self.label}: axis must be 'x', 'y' or 'z', got {self.axis!r}")
        if self.shape not in ("round", "square"):
            raise GeometryError(f"{self.label}: shape must be 'round' or 'square', "
                                f"got {self.shape!r}")
        pitch = np.asarray(self.pitch, dtype=np.float64)
        if pitch.shape != (2,) or not np.all(np.isfinite(pitch)) or np.any(pitch <= 0):
            raise GeometryError(f"{self.label}: pitch must be two numbers > 0 m (p_a, p_b), "
                                f"got {self.pitch!r}")
        object.__setattr__(self, "pitch", (float(pitch[0]), float(pitch[1])))
        d = self.diameter
        if not np.isfinite(d) or d <= 0:
            raise GeometryError(f"{self.label}: diameter must be > 0 m, got {d!r}")
        object.__setattr__(self, "diameter", float(d))
        if d > min(self.pitch) * (1 + 1e-12):
            raise GeometryError(f"{self.label}: diameter {d:.6g} m exceeds the pitch "
                                f"{self.pitch}; pins would overlap")
        a, b = self.plane_axes
        for axis, what in ((a, "a"), (b, "b")):
            if d > (self.max[axis] - self.min[axis]) * (1 + 1e-12):
                raise GeometryError(f"{self.label}: no pin of diameter {d:.6g} m fits across the "
                                    f"envelope along {AXIS_NAMES[axis]} (in-plane axis {what})")

    @property
    def plane_axes(self) -> tuple[int, int]:
        """In-plane axes ``(a, b)`` normal to the pin axis, in x, y, z order."""
        n = AXIS_NAMES.index(self.axis)
        a, b = (i for i in range(3) if i != n)
        return a, b

    def _lattice(self, axis: int, pitch: float) -> tuple[float, int]:
        """First pin centre [m] and pin count of a centred row along ``axis``."""
        length = self.max[axis] - self.min[axis]
        count = int(np.floor((length - self.diameter) / pitch * (1 + 1e-12))) + 1
        first = self.min[axis] + 0.5 * (length - (count - 1) * pitch)
        return first, count

    def pin_centers(self) -> np.ndarray:
        """Pin centres ``(n, 2)`` in the in-plane axes ``(a, b)`` [m]."""
        a, b = self.plane_axes
        (a0, na), (b0, nb) = self._lattice(a, self.pitch[0]), self._lattice(b, self.pitch[1])
        centers = []
        for j in range(nb):
            if self.staggered and j % 2 == 1:
                row = a0 + (np.arange(na - 1) + 0.5) * self.pitch[0]
            else:
                row = a0 + np.arange(na) * self.pitch[0]
            centers.append(np.column_stack([row, np.full(row.size, b0 + j * self.pitch[1])]))
        return np.concatenate(centers) if centers else np.zeros((0, 2))

    @property
    def pin_count(self) -> int:
        """Number of pins."""
        return len(self.pin_centers())

    def _breakpoints(self, axis: int):
        points = [self.min[axis], self.max[axis]]
        a, b = self.plane_axes
        if axis in (a, b):
            centres = np.unique(self.pin_centers()[:, 0 if axis == a else 1])
            points = np.concatenate([points, centres - 0.5 * self.diameter,
                                     centres + 0.5 * self.diameter])
        return points

    def _in_pin(self, da, db):
        r = 0.5 * self.diameter
        if self.shape == "round":
            return da * da + db * db <= r * r
        return (np.abs(da) <= r) & (np.abs(db) <= r)

    def _in_sublattice(self, ua, ub, a_first, a_count, b_first, b_count, b_pitch):
        """Inside a pin of one rectangular sub-lattice (nearest-centre test; pins never overlap)."""
        if a_count < 1 or b_count < 1:
            return np.zeros(np.broadcast_shapes(np.shape(ua), np.shape(ub)), dtype=bool)
        i = np.clip(np.rint((ua - a_first) / self.pitch[0]), 0, a_count - 1)
        j = np.clip(np.rint((ub - b_first) / b_pitch), 0, b_count - 1)
        return self._in_pin(ua - (a_first + i * self.pitch[0]), ub - (b_first + j * b_pitch))

    def contains(self, x, y, z):
        """True where ``(x, y, z)`` [m] lies inside a pin (surface included)."""
        coords = (x, y, z)
        n = AXIS_NAMES.index(self.axis)
        a, b = self.plane_axes
        ua, ub = coords[a], coords[b]
        (a0, na), (b0, nb) = self._lattice(a, self.pitch[0]), self._lattice(b, self.pitch[1])
        along = _inside_range(coords[n], self.min[n], self.max[n])
        if not self.staggered:
            plane = self._in_sublattice(ua, ub, a0, na, b0, nb, self.pitch[1])
        else:
            # even rows: the regular lattice; odd rows: shifted by half a pitch, one pin fewer
            even = self._in_sublattice(ua, ub, a0, na, b0, (nb + 1) // 2, 2 * self.pitch[1])
            odd = self._in_sublattice(ua, ub, a0 + 0.5 * self.pitch[0], na - 1,
                                      b0 + self.pitch[1], nb // 2, 2 * self.pitch[1])
            plane = even | odd
        return plane & along

    def volume(self) -> float:
        """Total pin volume [m^3]."""
        n = AXIS_NAMES.index(self.axis)
        height = self.max[n] - self.min[n]
        d = self.diameter
        area = np.pi * d * d / 4 if self.shape == "round" else d * d
        return float(self.pin_count * area * height)


# ---------------------------------------------------------------------------------------------
# Triangulated surfaces read from mesh files
# ---------------------------------------------------------------------------------------------

# faces of linear volume cells in VTK/meshio vertex order (wound outward later, by geometry)
_VOLUME_CELL_FACES = {
    "tetra": [(0, 2, 1), (0, 1, 3), (1, 2, 3), (2, 0, 3)],
    "hexahedron": [(0, 3, 2, 1), (4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6),
                   (3, 0, 4, 7)],
    "wedge": [(0, 2, 1), (3, 4, 5), (0, 1, 4, 3), (1, 2, 5, 4), (2, 0, 3, 5)],
    "pyramid": [(0, 3, 2, 1), (0, 1, 4), (1, 2, 4), (2, 3, 4), (3, 0, 4)],
}
_VOLUME_CORNERS = {"tetra": 4, "tetra10": 4, "hexahedron": 8, "hexahedron20": 8,
                   "hexahedron27": 8, "wedge": 6, "wedge15": 6, "pyramid": 5, "pyramid13": 5}
_SURFACE_CORNERS = {"triangle": 3, "triangle6": 3, "triangle7": 3, "quad": 4, "quad8": 4,
                    "quad9": 4}
_IGNORED_CELLS = ("vertex", "line", "line3", "polyline")
# file extension -> meshio format module
_MESH_READERS = {".stl": "stl", ".obj": "obj", ".msh": "gmsh", ".vtu": "vtu", ".vtk": "vtk",
                 ".ply": "ply", ".off": "off"}


def _fan(polygons: np.ndarray) -> np.ndarray:
    """Split ``(n, k)`` convex polygons into ``(n * (k - 2), 3)`` fan triangles."""
    k = polygons.shape[1]
    tris = [polygons[:, [0, i, i + 1]] for i in range(1, k - 1)]
    return np.stack(tris, axis=1).reshape(-1, 3)


def _cell_faces(kind: str, cells: np.ndarray, points: np.ndarray) -> list[np.ndarray]:
    """Faces of linear volume cells, each wound to point away from its cell's centroid.

    Winding by geometry (not by the vertex-order convention) makes the result independent of
    the convention of the file format (VTK and Gmsh order wedges differently) and of inverted
    cells; it assumes convex cells, as finite-element meshes have.
    """
    centroid = points[cells].mean(axis=1)
    faces = []
    for face in _VOLUME_CELL_FACES[kind.rstrip("0123456789")]:
        vertices = cells[:, face]
        corners = points[vertices]
        # Newell-style normal of the (possibly quadrilateral) face, summed over its fan
        normal = sum(np.cross(corners[:, i] - corners[:, 0], corners[:, i + 1] - corners[:, 0])
                     for i in range(1, len(face) - 1))
        outward = np.einsum("ij,ij->i", normal, corners.mean(axis=1) - centroid) >= 0
        faces.append(np.where(outward[:, None], vertices, vertices[:, ::-1]))
    return faces


@dataclass(frozen=True, eq=False)
class TriangleSurface:
    """A closed triangulated surface: vertices ``(n, 3)`` [m] and triangles ``(m, 3)`` indices.

    Built by :func:`read_surface`, which checks that the surface bounds a solid.
    """

    points: np.ndarray
    triangles: np.ndarray

    @property
    def corners(self) -> np.ndarray:
        """Triangle corner coordinates ``(m, 3, 3)`` [m]."""
        return self.points[self.triangles]

    def signed_volume(self) -> float:
        """Enclosed volume [m^3] by the divergence theorem (> 0 for outward normals)."""
        p = self.corners
        return float(np.einsum("ij,ij->i", p[:, 0], np.cross(p[:, 1], p[:, 2])).sum() / 6.0)

    def contains(self, x, y, z) -> np.ndarray:
        """Inside test by ray parity along +z for broadcastable coordinates [m]."""
        return _ray_parity_inside(self.points, self.triangles, x, y, z)


def _row_keys(rows: np.ndarray) -> np.ndarray:
    """One sortable scalar per row, equal exactly when the rows are equal (fast unique)."""
    rows = np.ascontiguousarray(rows)
    return rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()


def _merge_vertices(points: np.ndarray, triangles: np.ndarray, tolerance: float):
    """Merge vertices closer than ``tolerance`` [m]; return compacted points and triangles.

    Exact duplicates (every STL corner is stored once per triangle) are merged first by sorting;
    the remaining vertices are clustered with a k-d tree (clusters are connected components of
    the "closer than tolerance" graph; each takes the position of its lowest-numbered vertex).
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    points = points + 0.0  # -0.0 -> 0.0, so equal coordinates have equal bits
    _, first, exact = np.unique(_row_keys(points), return_index=True, return_inverse=True)
    points = points[first]
    triangles = exact.reshape(-1)[triangles]
    n = len(points)
    if tolerance > 0:
        pairs = cKDTree(points).query_pairs(tolerance, output_type="ndarray")
    else:
        pairs = np.zeros((0, 2), dtype=np.int64)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    representative = np.full(label.max() + 1, n, dtype=np.int64)
    np.minimum.at(representative, label, np.arange(n))
    triangles = representative[label][triangles]
    used, inverse = np.unique(triangles, return_inverse=True)
    return points[used], inverse.reshape(triangles.shape)


def _read_cells(path: Path, body: str):
    """Points and triangles of the surface (or volume boundary) stored in a mesh file."""
    import meshio

    suffix = path.suffix.lower()
    if suffix not in _MESH_READERS:
        raise GeometryError(f"{body}: mesh file '{path}' has an unsupported extension "
                            f"'{suffix}'; use one of {sorted(_MESH_READERS)}")
    # the per-format readers raise instead of printing and exiting like meshio.read does
    reader = getattr(meshio, _MESH_READERS[suffix]).read
    try:
        with np.errstate(over="ignore"):  # meshio's binary-STL size probe overflows on ASCII files
            mesh = reader(str(path))
    except Exception as error:  # meshio raises many kinds for unreadable files
        detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        raise GeometryError(
            f"{body}: cannot read mesh file '{path}' as {_MESH_READERS[suffix]} with meshio "
            f"({detail}); is the file complete and in that format?"
        ) from error
    points = np.asarray(mesh.points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] < 3:
        points = np.column_stack([points, np.zeros((len(points), 3 - points.shape[1]))])
    volume_faces, surface_tris, unsupported = [], [], []
    for block in mesh.cells:
        kind, data = block.type, np.asarray(block.data)
        if kind in _VOLUME_CORNERS:
            volume_faces.extend(_cell_faces(kind, data[:, :_VOLUME_CORNERS[kind]], points))
        elif kind in _SURFACE_CORNERS:
            surface_tris.append(_fan(data[:, :_SURFACE_CORNERS[kind]]))
        elif kind.startswith("polygon"):
            surface_tris.append(_fan(data))
        elif kind not in _IGNORED_CELLS:
            unsupported.append(kind)
    if unsupported:
        raise GeometryError(f"{body}: mesh file '{path}' holds unsupported cell types "
                            f"{sorted(set(unsupported))}; use triangles, quads, polygons or "
                            "linear tetra/hexahedron/wedge/pyramid cells")
    if volume_faces:
        # volume mesh: keep the faces that belong to exactly one cell (the boundary)
        by_size: dict[int, list[np.ndarray]] = {}
        for faces in volume_faces:
            by_size.setdefault(faces.shape[1], []).append(faces)
        triangles = []
        for faces in by_size.values():
            faces = np.concatenate(faces)
            key = np.sort(faces, axis=1)
            _, inverse, counts = np.unique(_row_keys(key), return_inverse=True,
                                           return_counts=True)
            triangles.append(_fan(faces[counts[inverse.ravel()] == 1]))
        return points[:, :3], np.concatenate(triangles), "volume boundary"
    if not surface_tris:
        raise GeometryError(f"{body}: mesh file '{path}' contains no triangles, polygons or volume "
                            "cells; export the solid as a closed surface (e.g. binary STL)")
    return points[:, :3], np.concatenate(surface_tris), "surface"


def read_surface(path: str | Path, scale: float = 1.0, translate=(0.0, 0.0, 0.0),
                 merge_tolerance: float | None = None, body: str = "MeshSolid") -> TriangleSurface:
    """Read a closed surface from a mesh file and check that it bounds a solid.

    Parameters
    ----------
    path : str or Path
        STL, OBJ, Gmsh ``.msh``, VTU/VTK, or any format meshio reads. Surface cells (triangles,
        quads, polygons; split into fan triangles) are used directly; if the file holds volume
        cells (tetra, hexahedron, wedge, pyramid) the boundary surface of the volume mesh is
        extracted instead (faces that belong to exactly one cell) and surface cells are ignored.
    scale : float
        Factor applied to the file's coordinates first (e.g. 1e-3 for a file in millimetres).
    translate : (3,) float
        Offset [m] added after scaling.
    merge_tolerance : float, optional
        Vertices closer than this [m] are merged (the one documented repair: STL stores each
        triangle's corners separately, and exporters round). Default ``1e-9`` times the bounding
        box diagonal. Holes are never filled.
    body : str
        Body label used in messages.

    Returns
    -------
    TriangleSurface

    Raises
    ------
    GeometryError
        Missing or unreadable file; surface not watertight (an edge not shared by exactly two
        triangles); degenerate (zero-area) triangles; inconsistent orientation; zero volume.
        A surface whose normals all point inwards (negative volume) is accepted and flipped.
    """
    path = Path(path)
    if not path.is_file():
        raise GeometryError(f"{body}: mesh file '{path}' does not exist (looked in "
                            f"'{path.resolve().parent}'); check the path, which is relative to "
                            "the working directory or the case file")
    points, triangles, origin = _read_cells(path, body)
    points = points * float(scale) + np.asarray(translate, dtype=np.float64)
    if len(triangles) < 4:
        raise GeometryError(f"{body}: mesh file '{path}' has only {len(triangles)} triangles; a "
                            "closed solid needs at least 4")
    diagonal = float(np.linalg.norm(np.ptp(points[np.unique(triangles)], axis=0)))
    tolerance = 1e-9 * diagonal if merge_tolerance is None else float(merge_tolerance)
    points, triangles = _merge_vertices(points, triangles, tolerance)
    where = f"{body}: mesh file '{path}' ({origin}, {len(triangles)} triangles)"

    # degenerate triangles: repeated corners after merging, or zero area
    corners = points[triangles]
    area = 0.5 * np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0],
                                         corners[:, 2] - corners[:, 0]), axis=1)
    degenerate = ((triangles[:, 0] == triangles[:, 1]) | (triangles[:, 1] == triangles[:, 2])
                  | (triangles[:, 2] == triangles[:, 0]) | (area <= 1e-12 * diagonal ** 2))
    if np.any(degenerate):
        first = np.flatnonzero(degenerate)[:5].tolist()
        raise GeometryError(
            f"{where}: {int(degenerate.sum())} degenerate (zero-area) triangles, e.g. triangles "
            f"{first} (after merging vertices closer than {tolerance:.3g} m); remove them in the "
            "mesh tool (e.g. 'remove degenerate faces') and re-export")

    # watertight: every undirected edge shared by exactly two triangles
    directed = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    undirected = np.sort(directed, axis=1)
    n_points = np.int64(len(points))
    _, edge_counts = np.unique(undirected[:, 0] * n_points + undirected[:, 1], return_counts=True)
    open_edges = int(np.sum(edge_counts == 1))
    shared_edges = int(np.sum(edge_counts > 2))
    if open_edges or shared_edges:
        raise GeometryError(
            f"{where} is not watertight: {open_edges} edges belong to only one triangle (holes "
            f"or open boundaries) and {shared_edges} edges to three or more (non-manifold), out "
            f"of {len(edge_counts)} edges; a solid needs every edge shared by exactly two "
            f"triangles. Close the surface in the CAD or mesh tool and export it as a solid; "
            f"coolsim only merges vertices closer than {tolerance:.3g} m (merge_tolerance) and "
            "does not fill holes")

    # consistent orientation: each directed edge appears once (its twin runs the other way)
    _, directed_counts = np.unique(directed[:, 0] * n_points + directed[:, 1],
                                   return_counts=True)
    flipped = int(np.sum(directed_counts > 1))
    if flipped:
        raise GeometryError(
            f"{where}: inconsistent triangle orientation at {flipped} edges (neighbouring "
            "triangles wound in the same direction); re-export with consistent outward normals "
            "(e.g. 'recalculate normals outside')")

    surface = TriangleSurface(points, triangles)
    volume = surface.signed_volume()
    if abs(volume) <= 1e-9 * diagonal ** 3:
        raise GeometryError(f"{where}: encloses no volume ({volume:.3g} m^3); is it a flat "
                            "sheet or are coordinates in the wrong unit (see scale)?")
    if volume < 0:
        # all normals inward: the same solid, wound the other way
        surface = TriangleSurface(points, triangles[:, ::-1].copy())
    return surface


def _edge_function(p, q, x, y):
    """Twice the signed area of (p, q, point): > 0 when the point is left of p -> q.

    ``p, q`` are ``(n, 2)`` endpoints; the value is computed with the endpoints in a canonical
    (lexicographic) order and its sign flipped afterwards, so two triangles sharing an edge get
    bit-identical values and an exactly-on-edge point is decided consistently.
    """
    swap = (p[:, 0] > q[:, 0]) | ((p[:, 0] == q[:, 0]) & (p[:, 1] > q[:, 1]))
    lo = np.where(swap[:, None], q, p)
    hi = np.where(swap[:, None], p, q)
    value = (hi[:, 0] - lo[:, 0]) * (y - lo[:, 1]) - (hi[:, 1] - lo[:, 1]) * (x - lo[:, 0])
    return np.where(swap, -value, value)


def _owns_edge(p, q):
    """Tie rule for points exactly on an edge of a counter-clockwise triangle.

    Equivalent to nudging the point by (-eps, +eps^2): the edge owns it when it runs upward in y,
    or along +x when horizontal. Two triangles on either side of an edge traverse it in opposite
    directions, so exactly one of them owns it. This is the rasterisers' "top-left" fill rule
    (Pineda, "A parallel algorithm for polygon rasterization", SIGGRAPH 1988), a special case of
    simulation of simplicity (Edelsbrunner and Muecke, ACM Trans. Graphics 9, 1990).
    """
    dx, dy = q[:, 0] - p[:, 0], q[:, 1] - p[:, 1]
    return (dy > 0) | ((dy == 0) & (dx > 0))


def _column_pairs_lattice(tri_lo, tri_hi, xs, ys):
    """(triangle, column) candidate pairs for columns on the lattice ``xs x ys``."""
    i0 = np.searchsorted(xs, tri_lo[:, 0], side="left")
    i1 = np.searchsorted(xs, tri_hi[:, 0], side="right")
    j0 = np.searchsorted(ys, tri_lo[:, 1], side="left")
    j1 = np.searchsorted(ys, tri_hi[:, 1], side="right")
    ni, nj = np.maximum(i1 - i0, 0), np.maximum(j1 - j0, 0)
    counts = ni * nj
    total = int(counts.sum())
    tri = np.repeat(np.arange(len(tri_lo)), counts)
    local = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    nj_t = nj[tri]
    ii = i0[tri] + local // np.maximum(nj_t, 1)
    jj = j0[tri] + local % np.maximum(nj_t, 1)
    return tri, ii * len(ys) + jj


def _ray_parity_inside(points, triangles, x, y, z) -> np.ndarray:
    """Inside test for a closed surface by counting crossings of a +z ray from each point.

    Work is organised by (x, y) columns: each triangle is tested only against the columns inside
    its (x, y) bounding box, so the cost is O(points log points + crossings). On a tensor grid of
    cell centres the columns form a lattice and the test is exact (ties decided consistently).
    """
    x, y, z = (np.asarray(v, dtype=np.float64) for v in (x, y, z))
    shape = np.broadcast_shapes(x.shape, y.shape, z.shape)
    xy_shape = np.broadcast_shapes(x.shape, y.shape)
    cx = np.broadcast_to(x, xy_shape).ravel()
    cy = np.broadcast_to(y, xy_shape).ravel()
    xs, ix = np.unique(cx, return_inverse=True)
    ys, iy = np.unique(cy, return_inverse=True)

    corners = points[triangles]
    tri_lo, tri_hi = corners[:, :, :2].min(axis=1), corners[:, :, :2].max(axis=1)
    if len(xs) * len(ys) <= 8 * cx.size + 1024:
        tri, lattice_column = _column_pairs_lattice(tri_lo, tri_hi, xs, ys)
        column_of_query = ix.ravel() * len(ys) + iy.ravel()
        n_columns = len(xs) * len(ys)
        px, py = xs[lattice_column // len(ys)], ys[lattice_column % len(ys)]
        column = lattice_column
    else:
        # scattered points: every point is its own column, culled by x only
        order = np.argsort(cx)
        sx = cx[order]
        i0 = np.searchsorted(sx, tri_lo[:, 0], side="left")
        i1 = np.searchsorted(sx, tri_hi[:, 0], side="right")
        counts = np.maximum(i1 - i0, 0)
        tri = np.repeat(np.arange(len(triangles)), counts)
        local = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        column = order[i0[tri] + local]
        px, py = cx[column], cy[column]
        keep = (py >= tri_lo[tri, 1]) & (py <= tri_hi[tri, 1])
        tri, column, px, py = tri[keep], column[keep], px[keep], py[keep]
        column_of_query = np.arange(cx.size)
        n_columns = cx.size

    # 2D point-in-triangle with consistent tie-breaking, then the z of the crossing
    a, b, c = corners[tri, 0], corners[tri, 1], corners[tri, 2]
    w_c = _edge_function(a[:, :2], b[:, :2], px, py)  # opposite corner c
    w_a = _edge_function(b[:, :2], c[:, :2], px, py)
    w_b = _edge_function(c[:, :2], a[:, :2], px, py)
    orientation = _edge_function(a[:, :2], b[:, :2], c[:, 0], c[:, 1])
    ccw = orientation > 0
    sign = np.where(ccw, 1.0, -1.0)
    w_a, w_b, w_c = sign * w_a, sign * w_b, sign * w_c

    def owned(p, q):
        return np.where(ccw, _owns_edge(p[:, :2], q[:, :2]), _owns_edge(q[:, :2], p[:, :2]))

    hit = ((orientation != 0)
           & ((w_c > 0) | ((w_c == 0) & owned(a, b)))
           & ((w_a > 0) | ((w_a == 0) & owned(b, c)))
           & ((w_b > 0) | ((w_b == 0) & owned(c, a))))
    total = w_a + w_b + w_c
    z_cross = (w_a * a[:, 2] + w_b * b[:, 2] + w_c * c[:, 2])[hit] / total[hit]
    cross_column = column[hit]

    # tensor-grid fast path: z varies along the last axis only, the same sorted z in every column
    z_row = z.reshape(-1)
    if (z.ndim == len(shape) == len(xy_shape) > 0 and xy_shape[-1] == 1
            and all(n == 1 for n in z.shape[:-1]) and np.all(np.diff(z_row) > 0)):
        nz = z_row.size
        # a crossing flips the parity of every point at or above it in its column
        level = np.searchsorted(z_row, z_cross, side="left")
        keep = level < nz
        toggles = np.zeros(n_columns * nz, dtype=np.uint8)
        np.bitwise_xor.at(toggles, cross_column[keep] * nz + level[keep], 1)
        parity = np.bitwise_xor.accumulate(toggles.reshape(n_columns, nz), axis=1)
        return parity[column_of_query].reshape(shape).astype(bool)

    # general case: sort crossings and points by (column, z) and count crossings below each point
    query_column = np.broadcast_to(column_of_query.reshape(xy_shape), shape).ravel()
    query_z = np.broadcast_to(z, shape).ravel()
    n_cross = cross_column.size
    all_column = np.concatenate([cross_column, query_column])
    all_z = np.concatenate([z_cross, query_z])
    is_crossing = np.concatenate([np.ones(n_cross, dtype=np.int64),
                                  np.zeros(query_z.size, dtype=np.int64)])
    order = np.lexsort((1 - is_crossing, all_z, all_column))
    below_or_at = np.cumsum(is_crossing[order])
    per_column = np.bincount(cross_column, minlength=n_columns)
    before_column = np.cumsum(per_column) - per_column
    count = np.empty(all_z.size, dtype=np.int64)
    count[order] = below_or_at
    query_count = count[n_cross:] - before_column[query_column]
    return (query_count % 2 == 1).reshape(shape)


@dataclass(frozen=True)
class MeshSolid(_Body):
    """A solid bounded by a closed surface read from a mesh file (via meshio).

    The file is read and checked when the body is created (see :func:`read_surface` for the
    formats, the checks and the vertex-merging repair), so a bad file fails at ``coolsim check``.
    Cell centres are classified by ray parity along z columns, exact on tensor grids.

    Parameters
    ----------
    path : str or Path
        Mesh file (STL, OBJ, Gmsh ``.msh``, VTU/VTK surface or volume).
    material : str
        Material name.
    scale : float
        Factor applied to the file's coordinates (1e-3 for a file in mm).
    translate : (3,) float
        Offset [m] added after scaling.
    merge_tolerance : float, optional
        Vertex merge distance [m]; default 1e-9 x bounding-box diagonal.
    name : str, optional
        Body name (keyword; defaults to the file stem).
    """

    path: Path
    material: str
    scale: float = 1.0
    translate: tuple[float, float, float] = (0.0, 0.0, 0.0)
    merge_tolerance: float | None = None
    name: str = field(default="", kw_only=True)
    surface: TriangleSurface = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "path", Path(self.path))
        if not self.name:
            object.__setattr__(self, "name", self.path.stem)
        self._init_common()
        object.__setattr__(self, "translate", _vector3(self.translate, "translate", self.label))
        if not np.isfinite(self.scale) or self.scale <= 0:
            raise GeometryError(f"{self.label}: scale must be > 0, got {self.scale!r}")
        surface = read_surface(self.path, self.scale, self.translate, self.merge_tolerance,
                               body=self.label)
        object.__setattr__(self, "surface", surface)

    @property
    def min(self) -> tuple[float, float, float]:
        """Lower corner of the bounding box [m]."""
        return tuple(float(v) for v in self.surface.points.min(axis=0))

    @property
    def max(self) -> tuple[float, float, float]:
        """Upper corner of the bounding box [m]."""
        return tuple(float(v) for v in self.surface.points.max(axis=0))

    def _breakpoints(self, axis: int):
        # bounding box plus every flat face normal to the axis (all three corners on one plane)
        corners = self.surface.corners[:, :, axis]
        flat = corners[(corners[:, 0] == corners[:, 1]) & (corners[:, 1] == corners[:, 2]), 0]
        return np.concatenate([[self.min[axis], self.max[axis]], flat])

    def contains(self, x, y, z):
        """True where ``(x, y, z)`` [m] lies inside the closed surface."""
        return self.surface.contains(x, y, z)

    def volume(self) -> float:
        """Enclosed volume [m^3]."""
        return self.surface.signed_volume()


Body = Box | Cylinder | FinArray | PinFinArray | ChannelArray | MeshSolid


# ---------------------------------------------------------------------------------------------
# Painting bodies onto a grid
# ---------------------------------------------------------------------------------------------

def _index_range(centres: np.ndarray, lower: float, upper: float) -> slice:
    return slice(int(np.searchsorted(centres, lower, side="left")),
                 int(np.searchsorted(centres, upper, side="right")))


def body_mask(grid, body) -> np.ndarray:
    """Cells of ``grid`` whose centre lies inside ``body``.

    Parameters
    ----------
    grid : solver.grid.Grid
    body : Box, Cylinder, FinArray, PinFinArray, ChannelArray or MeshSolid

    Returns
    -------
    numpy.ndarray of bool, shape (nx, ny, nz)
        Host array; only the cells inside the body's bounding box are tested.
    """
    mask = np.zeros(grid.shape, dtype=bool)
    lower, upper = body.bounding_box()
    block = tuple(_index_range(c, lo, hi) for c, lo, hi in zip(grid.centers, lower, upper,
                                                                  strict=True))
    if any(s.stop <= s.start for s in block):
        return mask
    xc, yc, zc = (c[s] for c, s in zip(grid.centers, block, strict=True))
    inside = body.contains(xc[:, None, None], yc[None, :, None], zc[None, None, :])
    mask[block] = np.broadcast_to(inside, mask[block].shape)
    return mask


def material_index_for(bodies: Iterable) -> dict[str, int]:
    """Material ids ``0, 1, ...`` in order of first appearance among ``bodies``."""
    index: dict[str, int] = {}
    for body in bodies:
        index.setdefault(body.material, len(index))
    return index


def paint(grid, bodies: Sequence, material_index: Mapping[str, int] | None = None) -> np.ndarray:
    """Material id of every cell, painting ``bodies`` in order (later ones overwrite earlier).

    Parameters
    ----------
    grid : solver.grid.Grid
    bodies : sequence of bodies
    material_index : dict str -> int, optional
        Id of each material name; default :func:`material_index_for` (ids by first appearance).

    Returns
    -------
    numpy.ndarray of int32, shape (nx, ny, nz)
        Host array of material ids, ``-1`` where no body covers the cell centre. Move it to the
        device with ``grid.backend.asarray`` if needed.

    Raises
    ------
    GeometryError
        A body's material has no id in ``material_index``.
    """
    index = material_index_for(bodies) if material_index is None else material_index
    ids = np.full(grid.shape, -1, dtype=np.int32)
    for body in bodies:
        if body.material not in index:
            raise GeometryError(f"{body.label}: material '{body.material}' has no id in the "
                                f"material index (known: {sorted(index)})")
        ids[body_mask(grid, body)] = index[body.material]
    return ids


def collect_breakpoints(bodies: Iterable) -> list[np.ndarray]:
    """Breakpoints of all ``bodies`` per axis ``[x, y, z]`` [m] (sorted, unique)."""
    bodies = list(bodies)
    return [np.unique(np.concatenate([[]] + [b.breakpoints(a) for b in bodies])) for a in range(3)]


def painted_volumes(grid, ids: np.ndarray, material_index: Mapping[str, int]) -> dict[str, float]:
    """Volume [m^3] painted with each material."""
    volumes = np.broadcast_to(grid.backend.to_host(grid.cell_volumes()), grid.shape)
    return {name: float(volumes[ids == i].sum()) for name, i in material_index.items()}
