"""The fluid-solid interface as a VTK surface: on each face the wall heat flux [W/m2], the wall
temperature [K] and the heat-transfer coefficient [W/(m2 K)] on the local bulk temperature."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from solver.backend import to_host
from solver.output.vtk import FIELD_UNITS, set_units

#: Units of the arrays of ``wall_heat_flux.vtp``.
SURFACE_UNITS = {"normal_axis": "1", "area": "m2", "wall_heat_flux": FIELD_UNITS["wall_heat_flux"],
                 "wall_temperature": "K", "bulk_temperature": "K",
                 "heat_transfer_coefficient": "W/(m2 K)"}


def main_flow_axis(mass_flux) -> int:
    """The axis (0, 1, 2) whose faces carry the most mass flow: ``argmax sum |F_axis|``."""
    return int(np.argmax([np.abs(np.asarray(f)).sum() for f in mass_flux]))


def local_bulk_temperature(fluid, temperature, mass_flux) -> np.ndarray:
    """Local bulk (mixing-cup) temperature [K] of every coolant cell.

    The coolant is cut into slices normal to the main flow axis (:func:`main_flow_axis`); in
    each slice every connected coolant region (a channel's cross-section, or the whole
    section of a pin-fin field) gets ``T_b = sum(|m| T) / sum(|m|)`` over its cells, ``m`` the
    cell-centred mass flow along the axis (the mean of the two face fluxes [kg/s]); a region
    without flow along the axis gets its plain mean. Where the flow runs along the main axis
    this is the textbook bulk temperature (Incropera et al., *Fundamentals of Heat and Mass
    Transfer*, 6th ed., section 8.2.1); in plenums and turns, where it runs across, it is only a
    section average.

    Parameters
    ----------
    fluid : bool array (nx, ny, nz)
        Coolant cells.
    temperature : array (nx, ny, nz)
        [K] cell temperatures.
    mass_flux : tuple of three arrays
        [kg/s] face mass fluxes, shapes ``(nx+1, ny, nz)``, ``(nx, ny+1, nz)``, ``(nx, ny, nz+1)``.

    Returns
    -------
    ndarray (nx, ny, nz)
        The bulk temperature in coolant cells, 0 elsewhere.
    """
    fluid = np.asarray(fluid, dtype=bool)
    temperature = np.asarray(temperature, dtype=float)
    axis = main_flow_axis(mass_flux)
    flux = np.moveaxis(np.asarray(mass_flux[axis], dtype=float), axis, 0)
    weight = np.abs(0.5 * (flux[1:] + flux[:-1]))
    cells, t = np.moveaxis(fluid, axis, 0), np.moveaxis(temperature, axis, 0)
    bulk = np.zeros_like(t)
    for k in range(cells.shape[0]):
        regions, count = ndimage.label(cells[k])
        if count == 0:
            continue
        index = np.arange(1, count + 1)
        flow = ndimage.sum_labels(weight[k], regions, index)
        mixed = ndimage.sum_labels(weight[k] * t[k], regions, index)
        plain = ndimage.mean(t[k], regions, index)
        value = np.where(flow > 0, mixed / np.where(flow > 0, flow, 1.0), plain)
        bulk[k][regions > 0] = value[regions[regions > 0] - 1]
    return np.moveaxis(bulk, 0, axis)


def interface_surface(grid, solid, face_heat_flow=None, temperature=None, conductivity=None,
                      mass_flux=None):
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
    temperature, conductivity : arrays (nx, ny, nz), optional
        [K] and [W/(m K)] of the cells; with ``face_heat_flow`` they give the wall temperature.
    mass_flux : tuple of three arrays, optional
        [kg/s] face mass fluxes (:func:`local_bulk_temperature`); with the above they give the
        bulk temperature and the heat-transfer coefficient.

    Returns
    -------
    pyvista.PolyData
        One quad per interface face with cell data ``normal_axis`` (0, 1, 2), ``area`` [m2]
        and, with ``face_heat_flow``, ``wall_heat_flux`` q [W/m2] positive from solid to fluid;
        with ``temperature`` and ``conductivity`` also ``wall_temperature`` [K], the face
        temperature of the discrete conduction profile ``T_solid - q (d_solid / 2) / k_solid``
        (``d_solid`` the solid cell's width across the face); with ``mass_flux`` also
        ``bulk_temperature`` [K] (:func:`local_bulk_temperature` of the coolant cell at the
        face) and ``heat_transfer_coefficient`` h = q / (T_wall - T_bulk) [W/(m2 K)] (0 where
        the two temperatures agree to 1e-9 K). The adjacent coolant cell is not used as the
        reference: with it h would be the half-cell conductance 2 k_f / d_f whatever the flow.
        Units in the field data (:data:`SURFACE_UNITS`). Write it with :func:`write_polydata`
        (``ResultDirectory.interface``).
    """
    import pyvista as pv

    backend = getattr(grid, "backend", None)
    solid = np.asarray(to_host(solid, backend), dtype=bool)
    faces = tuple(np.asarray(f, dtype=np.float64) for f in grid.faces)
    points, quads, axes, areas, fluxes = [], [], [], [], []
    solid_cells, fluid_cells, solid_halves = [], [], []
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
        above = list(index)
        above[axis] = index[axis] + 1
        below, above = (np.ravel_multi_index(c, solid.shape) for c in (index, tuple(above)))
        solid_cells.append(np.where(lower[index], below, above))
        fluid_cells.append(np.where(lower[index], above, below))
        # half the solid cell's width across the face
        solid_halves.append(0.5 * np.diff(faces[axis])[np.where(lower[index], index[axis],
                                                                index[axis] + 1)])
    if not points:
        return pv.PolyData()
    surface = pv.PolyData(np.vstack(points), faces=np.vstack(quads).ravel())
    surface.cell_data["normal_axis"] = np.concatenate(axes)
    surface.cell_data["area"] = np.concatenate(areas)
    if face_heat_flow is not None:
        q = np.concatenate(fluxes)
        surface.cell_data["wall_heat_flux"] = q
        if temperature is not None and conductivity is not None:
            solid_cell, fluid_cell = np.concatenate(solid_cells), np.concatenate(fluid_cells)
            t = np.asarray(to_host(temperature, backend), dtype=np.float64).ravel()
            k = np.asarray(to_host(conductivity, backend), dtype=np.float64).ravel()
            wall = t[solid_cell] - q * np.concatenate(solid_halves) / k[solid_cell]
            surface.cell_data["wall_temperature"] = wall
            if mass_flux is not None:
                flux = tuple(np.asarray(to_host(f, backend)) for f in mass_flux)
                bulk = local_bulk_temperature(~solid, t.reshape(solid.shape),
                                              flux).ravel()[fluid_cell]
                difference = wall - bulk
                surface.cell_data["bulk_temperature"] = bulk
                surface.cell_data["heat_transfer_coefficient"] = np.divide(
                    q, difference, out=np.zeros_like(q), where=np.abs(difference) > 1e-9)
    set_units(surface, {name: SURFACE_UNITS[name] for name in surface.cell_data.keys()})
    return surface
