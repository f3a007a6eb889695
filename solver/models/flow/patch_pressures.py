"""Pressures on the inlets and outlets of a flow: the area-weighted static pressure (the inlet
face value extrapolated from the first two cells), the flow-weighted total pressure and the
first cells' pressure, read one cell layer at a time (this runs every outer iteration)."""

from __future__ import annotations

import numpy as np

from solver.boundaries.flow import OUTLET
from solver.models.flow.staggered import along_axis


def patch_pressures(solver, kind: int):
    """Area-weighted static, flow-weighted total pressure [Pa], flow [kg/s] and area-weighted
    first-cell pressure [Pa] over the openings of ``kind`` (INLET or OUTLET) of ``solver`` (a
    FlowSolver); None when it has none."""
    xp = solver.xp
    to_host = solver.grid.backend.to_host
    area_sum = static_sum = cell_sum = total_sum = flow_sum = 0.0
    def layer(array, index, axis):
        # one cell layer to the host (this runs every iteration: no whole-array copies)
        return to_host(xp.take(array, index, axis=axis))

    for opening in solver.conditions.openings():
        faces = opening.kind == kind
        if not np.any(faces):
            continue
        axis, face = opening.axis, opening.face
        # the fluid cell at the opening and the next one inward
        inner, step = (face - 1, -1) if opening.is_max else (face, 1)
        fluid = layer(solver.fluid, inner, axis)
        faces = faces & fluid
        areas = np.outer(*(solver.grid.widths[d] for d in range(3) if d != axis))
        p_cell = layer(solver.pressure, inner, axis)
        second = inner + step
        if kind == OUTLET:
            p_face = opening.pressure
        elif 0 <= second < solver.grid.shape[axis]:
            # linear extrapolation of the two cells next to the opening
            p_next = layer(solver.pressure, second, axis)
            w0, w1 = solver.grid.widths[axis][inner], solver.grid.widths[axis][second]
            p_face = p_cell + (p_cell - p_next) * (0.5 * w0) / (0.5 * (w0 + w1))
            p_face = np.where(fluid & layer(solver.fluid, second, axis), p_face, p_cell)
        else:
            p_face = p_cell
        flux = to_host(solver.mass_flux[axis][along_axis(axis, slice(face, face + 1))]).reshape(
            p_cell.shape)
        normal = flux / (solver.density * areas)
        speed2 = normal**2 + _tangential_speed2(solver, inner, axis, layer)
        total = p_face + 0.5 * solver.density * speed2
        flow = np.abs(flux[faces])
        area_sum += areas[faces].sum()
        static_sum += (p_face * np.ones_like(p_cell))[faces] @ areas[faces]
        cell_sum += p_cell[faces] @ areas[faces]
        total_sum += total[faces] @ flow
        flow_sum += flow.sum()
    if area_sum == 0.0:
        return None
    total = total_sum / flow_sum if flow_sum > 0 else np.nan
    return static_sum / area_sum, total, flow_sum, cell_sum / area_sum


def _tangential_speed2(solver, index: int, axis: int, layer):
    """Squared cell-centred velocity along the two other axes [m2/s2] on cell layer ``index``
    normal to ``axis`` (host), read from the face velocities of that layer only."""
    total = 0.0
    for d, u in enumerate(solver.velocity):
        if d == axis:
            continue
        faces = layer(u, index, axis)  # the layer's faces normal to d
        position = d if d < axis else d - 1
        n = faces.shape[position] - 1
        centre = 0.5 * (np.take(faces, np.arange(n), axis=position)
                        + np.take(faces, np.arange(1, n + 1), axis=position))
        total = total + centre**2
    return total
