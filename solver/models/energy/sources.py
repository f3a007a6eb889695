"""Heat sources and conductivity fields: chip powers on their footprints (uniform or from a
CSV power map) and the cell conductivity of painted materials [W/m/K]."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from solver.backend import array_namespace, to_host


def material_conductivity(material_ids, materials: Mapping[int, object] | Sequence[object],
                          backend=None) -> Callable:
    """Conductivity field ``k(T)`` [W/m/K] from material ids and materials with ``conductivity(T)``.

    Parameters
    ----------
    material_ids : int array (nx, ny, nz)
        Material id per cell; -1 (or any id without a material) is empty (k = 0).
    materials : mapping id -> material, or sequence indexed by id
        Objects with a ``conductivity(T)`` method (T [K] array -> W/m/K).
    backend : Backend, optional
        Where the ids live; defaults to the array namespace of the temperature passed in.

    Returns
    -------
    callable
        ``k(T)`` taking a temperature field [K] and returning the conductivity field.
    """
    items = materials.items() if isinstance(materials, Mapping) else enumerate(materials)
    items = list(items)

    def conductivity(temperature):
        xp = array_namespace(temperature)
        ids = xp.asarray(material_ids)
        k = xp.zeros_like(temperature)
        # one pass per material, each vectorised over its cells
        for mid, material in items:
            mask = ids == mid
            k = xp.where(mask, xp.asarray(material.conductivity(temperature),
                                          dtype=temperature.dtype), k)
        return k

    del backend
    return conductivity


# ---------------------------------------------------------------------------------------------
# chip heat sources
# ---------------------------------------------------------------------------------------------
def _overlaps(faces: np.ndarray, lo: float, hi: float, n: int) -> np.ndarray:
    """Length [m] of overlap of each cell [faces[i], faces[i+1]] with n equal strips of [lo, hi]."""
    edges = np.linspace(lo, hi, n + 1)
    left = np.maximum(faces[:-1, None], edges[None, :-1])
    right = np.minimum(faces[1:, None], edges[None, 1:])
    return np.clip(right - left, 0.0, None)


def chip_cells(grid, material_ids, body_id: int, footprint=None) -> np.ndarray:
    """Host bool mask (nx, ny, nz) of the cells :func:`chip_heat_source` heats: cells of body
    ``body_id`` whose x-y extent overlaps ``footprint`` ((x0, x1), (y0, y1)) [m] (None: the whole
    domain plan)."""
    if footprint is None:
        footprint = (grid.bounds[0], grid.bounds[1])
    (x0, x1), (y0, y1) = footprint
    plan = np.outer(_overlaps(grid.x_faces, x0, x1, 1)[:, 0] > 0,
                    _overlaps(grid.y_faces, y0, y1, 1)[:, 0] > 0)
    return plan[:, :, None] & (to_host(material_ids) == body_id)


def chip_heat_source(grid, material_ids, body_id: int, power: float, footprint=None,
                     power_map=None):
    """Volumetric heat source [W/m^3] spreading ``power`` over a body inside a footprint.

    The power goes to the cells of material ``body_id`` whose x-y extent overlaps the footprint,
    in proportion to (overlapped x-y area x cell height), weighted by the power map when given.
    The discrete total ``sum(q * V)`` equals ``power`` exactly.

    Parameters
    ----------
    grid : Grid
        The grid.
    material_ids : int array (nx, ny, nz)
        Material id per cell (host or backend).
    body_id : int
        Material id of the heated body (e.g. the die).
    power : float
        [W] total power.
    footprint : ((x0, x1), (y0, y1)) or None
        [m] heated rectangle in plan; ``None`` means the whole domain plan.
    power_map : array (ny_map, nx_map), optional
        Relative weights over the footprint (see :func:`solver.case.load_power_map`);
        area-averaged onto cells.

    Returns
    -------
    array (nx, ny, nz)
        [W/m^3] on the grid's backend.
    """
    ids = to_host(material_ids)
    if footprint is None:
        footprint = (grid.bounds[0], grid.bounds[1])
    (x0, x1), (y0, y1) = footprint
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"chip footprint must have positive size, got {footprint}")
    if power_map is None:
        weights = np.ones((1, 1))
    else:
        weights = np.asarray(power_map, dtype=np.float64)
        if weights.ndim != 2 or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError("power_map must be a 2-D grid of non-negative weights")
    # power-map weight integrated over each cell's plan overlap: Ox @ W^T @ Oy^T
    ox = _overlaps(grid.x_faces, x0, x1, weights.shape[1])
    oy = _overlaps(grid.y_faces, y0, y1, weights.shape[0])
    plan = ox @ weights.T @ oy.T
    share = plan[:, :, None] * grid.widths[2][None, None, :] * (ids == body_id)
    total = share.sum()
    if total <= 0:
        raise ValueError(f"chip power {power} W falls on no cell of body {body_id} inside the "
                         f"footprint {footprint}")
    volumes = np.multiply.outer(np.outer(grid.widths[0], grid.widths[1]), grid.widths[2])
    density = power * share / total / volumes
    return grid.backend.asarray(density, dtype=grid.dtype)
