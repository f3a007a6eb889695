"""The fluid-solid interface as a VTK surface, with the wall heat flux on each face [W/m2]."""

from __future__ import annotations

import numpy as np

from solver.backend import to_host


def interface_surface(grid, solid, face_heat_flow=None):
    """Fluid-solid interface of a cell mask as a :class:`pyvista.PolyData` of quads.

    Parameters
    ----------
    grid : solver.grid.Grid
        The grid (face coordinates [m]).
    solid : bool array, shape (nx, ny, nz)
        True in solid cells, False in fluid cells (empty cells should be marked solid or
        excluded beforehand; only solid/fluid neighbour pairs inside the domain become faces).
    face_heat_flow : tuple of three arrays, optional
        Heat flow [W] through the interior faces along x, y, z, shapes ``(nx-1, ny, nz)``,
        ``(nx, ny-1, nz)``, ``(nx, ny, nz-1)``; entry ``[i, j, k]`` of the x array is the flow
        from cell ``(i, j, k)`` to ``(i+1, j, k)`` (positive along +x), likewise for y and z.

    Returns
    -------
    pyvista.PolyData
        One quad per interface face with cell data ``normal_axis`` (0, 1, 2), ``area`` [m^2]
        and, with ``face_heat_flow``, ``wall_heat_flux`` [W/m^2] positive from solid to fluid.
        Write it with :func:`write_polydata` (``ResultDirectory.interface``).
    """
    import pyvista as pv

    backend = getattr(grid, "backend", None)
    solid = np.asarray(to_host(solid, backend), dtype=bool)
    faces = tuple(np.asarray(f, dtype=np.float64) for f in grid.faces)
    points, quads, axes, areas, fluxes = [], [], [], [], []
    offset = 0
    for axis in range(3):
        lower = np.take(solid, np.arange(solid.shape[axis] - 1), axis=axis)
        upper = np.take(solid, np.arange(1, solid.shape[axis]), axis=axis)
        index = np.nonzero(lower != upper)
        n = index[0].size
        if n == 0:
            continue
        a, b = [c for c in range(3) if c != axis]
        position = faces[axis][index[axis] + 1]
        a0, a1 = faces[a][index[a]], faces[a][index[a] + 1]
        b0, b1 = faces[b][index[b]], faces[b][index[b] + 1]
        corners = np.empty((n, 4, 3))
        corners[:, :, axis] = position[:, None]
        corners[:, :, a] = np.stack([a0, a1, a1, a0], axis=1)
        corners[:, :, b] = np.stack([b0, b0, b1, b1], axis=1)
        points.append(corners.reshape(-1, 3))
        quads.append(np.hstack([np.full((n, 1), 4), offset + np.arange(4 * n).reshape(n, 4)]))
        offset += 4 * n
        area = (a1 - a0) * (b1 - b0)
        axes.append(np.full(n, axis, dtype=np.int32))
        areas.append(area)
        if face_heat_flow is not None:
            flow = np.asarray(to_host(face_heat_flow[axis], backend), dtype=np.float64)
            expected = tuple(m - 1 if c == axis else m for c, m in enumerate(solid.shape))
            if flow.shape != expected:
                raise ValueError(f"face_heat_flow[{axis}] has shape {flow.shape}; "
                                 f"expected {expected}")
            # +axis flow leaves the solid when the solid is the lower cell
            sign = np.where(lower[index], 1.0, -1.0)
            fluxes.append(sign * flow[index] / area)
    if not points:
        return pv.PolyData()
    surface = pv.PolyData(np.vstack(points), faces=np.vstack(quads).ravel())
    surface.cell_data["normal_axis"] = np.concatenate(axes)
    surface.cell_data["area"] = np.concatenate(areas)
    if face_heat_flow is not None:
        surface.cell_data["wall_heat_flux"] = np.concatenate(fluxes)
    return surface
