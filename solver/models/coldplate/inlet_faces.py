"""The coolant side of the energy boundaries: inlet patches restricted to the faces where
coolant enters (the solid faces of an inlet rectangle stay adiabatic)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from solver.boundaries.flow import Inlet
from solver.boundaries.patches import Patch, side_axis


@dataclass(frozen=True, eq=False)
class FluidFacePatch(Patch):
    """A patch restricted to the faces whose boundary cell is fluid.

    An inlet rectangle usually spans fins or walls too; the energy equation must see the inlet
    temperature only where coolant enters (solid faces of the rectangle stay adiabatic).

    Parameters
    ----------
    fluid_faces : bool array
        Host mask over the side's faces, True where the adjacent cell is fluid.
    """

    fluid_faces: np.ndarray | None = None

    def face_mask(self, grid) -> np.ndarray:
        """The rectangle's faces whose adjacent cell is fluid (host bool, side face shape)."""
        return super().face_mask(grid) & self.fluid_faces


def energy_boundaries(boundaries, fluid: np.ndarray) -> list:
    """Boundaries for the energy equation: inlet patches restricted to fluid faces."""
    result = []
    for b in boundaries:
        # (ports on faces of the geometry find their coolant faces themselves)
        if isinstance(b, Inlet) and not b.patch.on_geometry:
            axis, is_max = side_axis(b.patch.side)
            layer = np.take(fluid, -1 if is_max else 0, axis=axis)
            b = replace(b, patch=FluidFacePatch(b.patch.side, b.patch.region,
                                                  fluid_faces=layer))
        result.append(b)
    return result
