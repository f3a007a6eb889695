"""Pin-fin arrays: round or square pins, in-line or staggered, between two plates."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solver.geometry.primitives import (
    AXIS_NAMES,
    BaseBody,
    GeometryError,
    inside_range,
)


@dataclass(frozen=True)
class PinFinArray(BaseBody):
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
        self._init_envelope()
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
        along = inside_range(coords[n], self.min[n], self.max[n])
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
