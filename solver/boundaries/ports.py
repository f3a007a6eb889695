"""Ports on a face of the geometry: the faces that an inlet or outlet patch with a plane position
covers."""

from __future__ import annotations

import numpy as np

from solver.boundaries.patches import Patch, side_axis


def port_faces(grid, patch: Patch, fluid) -> tuple[int, int, int, np.ndarray]:
    """The faces of a port on a face of the geometry (``patch.position`` given).

    Parameters
    ----------
    grid : Grid
    patch : Patch
        A patch with ``position``; ``side`` is the side of the coolant the port is on.
    fluid : bool array (nx, ny, nz)
        True in coolant cells (host or device; only two layers are copied to the host).

    Returns
    -------
    axis, face, inner, mask
        The plane's axis, its face index along that axis, the index of the cell layer on the
        coolant side, and a host bool mask of the side's face shape: faces in ``region`` with
        coolant on the inner side and a solid or empty cell on the outer side.
    """
    axis, is_max = side_axis(patch.side)
    face = patch.plane_index(grid)
    inner, outer = (face - 1, face) if is_max else (face, face - 1)
    fluid = grid.backend.to_host(fluid)  # host or device mask; set-up work on the host
    wet = np.take(fluid, inner, axis=axis).astype(bool)
    beyond = np.take(fluid, outer, axis=axis).astype(bool)
    return axis, face, inner, patch.face_mask(grid) & wet & ~beyond
