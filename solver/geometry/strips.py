"""Strip arrays: fin arrays and channel arrays (parallel plates of solid or of coolant)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solver.geometry.primitives import (
    AXIS_NAMES,
    BaseBody,
    GeometryError,
    inside_envelope,
)


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


class _StripArray(BaseBody):
    """Shared behaviour of :class:`FinArray` and :class:`ChannelArray` (not instantiated directly).

    Both are ``count`` equal strips spread evenly across one horizontal axis of a box-shaped
    envelope, the first and last flush with the envelope faces (see :func:`_strip_offsets`).
    Subclasses say which axis (``_strip_axis``) and which width (``_strip_width``).
    """

    def _check_strips(self, axis_field: str, width_field: str, noun: str, preposition: str):
        """Validate envelope, axis, count and strip width; ``noun`` names the strips in messages."""
        self._init_envelope()
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
        inside = inside_envelope(x, y, z, self.min, self.max)
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
