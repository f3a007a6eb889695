"""Where the coolant goes in a plate: the flow split among the channels of a channel group and
the inlet Reynolds number (host NumPy, evaluated once per solve for the summary)."""

from __future__ import annotations

import numpy as np

from solver.boundaries.flow import Inlet
from solver.boundaries.patches import side_axis
from solver.boundaries.ports import port_faces


def flow_split(grid, fluid: np.ndarray, channel_groups, mass_flux) -> dict:
    """Mass flow [kg/s] through each channel at the mid-plane of each channel group.

    Parameters
    ----------
    grid : solver.grid.Grid
    fluid : bool array (nx, ny, nz)
        Host mask of the coolant cells.
    channel_groups : sequence of dict
        ``{"name", "axis" (flow direction), "min", "max" [m]}`` envelopes.
    mass_flux : sequence of 3 host arrays
        [kg/s] face mass fluxes (Fx, Fy, Fz) on the full grid.

    Returns
    -------
    dict
        Per group: ``channel_mass_flow_kg_per_s`` (ordered along the stacking axis),
        ``maldistribution`` ((max - min) / mean), ``plane_position_m`` and ``axis``.
    """
    from scipy import ndimage

    out = {}
    for group in channel_groups:
        axis = group["axis"]
        lo, hi = np.asarray(group["min"]), np.asarray(group["max"])
        faces = grid.faces[axis]
        index = int(np.argmin(np.abs(faces - 0.5 * (lo[axis] + hi[axis]))))
        plane = np.take(mass_flux[axis], index, axis=axis)
        a, b = [c for c in range(3) if c != axis]
        ca, cb = grid.centers[a], grid.centers[b]
        inside = np.outer((ca > lo[a]) & (ca < hi[a]), (cb > lo[b]) & (cb < hi[b]))
        cell = min(index, grid.shape[axis] - 1)
        labels, count = ndimage.label(np.take(fluid, cell, axis=axis) & inside)
        # order channels along the in-plane axis (a) they are stacked on
        flows = [float(plane[labels == i].sum()) for i in range(1, count + 1)]
        centres = [float(np.mean(np.nonzero(labels == i)[0])) for i in range(1, count + 1)]
        flows = [f for _, f in sorted(zip(centres, flows, strict=True))]
        mean = np.mean(flows) if flows else 0.0
        out[group["name"]] = {
            "channel_mass_flow_kg_per_s": flows,
            "maldistribution": float((max(flows) - min(flows)) / mean) if mean else None,
            "plane_position_m": float(faces[index]), "axis": "xyz"[axis]}
    return out


def inlet_reynolds_number(grid, boundaries, fluid: np.ndarray, mass_flow: float,
                          density: float, viscosity: float) -> float | None:
    """Inlet Reynolds number ``rho U D_h / mu`` [-] on the fluid faces of the first inlet patch.

    ``D_h = 4 A / P`` with ``A`` the fluid face area and ``P`` the length of the outline of the
    fluid faces (several channels: the mean channel); symmetry planes are not mirrored.
    ``mass_flow`` [kg/s], ``density`` [kg/m3] and ``viscosity`` [Pa s] at the inlet; None
    without an inlet or with no fluid face on it.
    """
    for b in boundaries:
        if not isinstance(b, Inlet):
            continue
        axis, _ = side_axis(b.patch.side)
        if b.patch.on_geometry:
            faces = port_faces(grid, b.patch, fluid)[3]
        else:
            faces = b.patch.face_mask(grid)
        a, c = [d for d in range(3) if d != axis]
        wa, wc = grid.widths[a], grid.widths[c]
        area = np.outer(wa, wc)[faces].sum()
        if area <= 0:
            return None
        # outline: face edges between fluid and non-fluid (or the patch edge)
        padded = np.pad(faces, 1)
        across_a = (padded[1:, 1:-1] != padded[:-1, 1:-1]).sum(axis=0) @ wc
        across_c = (padded[1:-1, 1:] != padded[1:-1, :-1]).sum(axis=1) @ wa
        hydraulic_diameter = 4.0 * area / (across_a + across_c)
        velocity = mass_flow / (density * area)
        return float(density * velocity * hydraulic_diameter / viscosity)
    return None
