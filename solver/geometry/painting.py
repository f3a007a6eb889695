"""Painting bodies onto the grid: the cells a body covers, material ids (last painted wins),
painted volumes, and the breakpoints that the grid generator snaps to."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from solver.geometry.mesh import MeshSolid
from solver.geometry.pins import PinFinArray
from solver.geometry.primitives import Box, Cylinder, GeometryError
from solver.geometry.strips import ChannelArray, FinArray

Body = Box | Cylinder | FinArray | PinFinArray | ChannelArray | MeshSolid


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
