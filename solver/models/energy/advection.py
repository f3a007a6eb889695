"""Second-order (TVD) convection of heat by deferred correction: limited slopes and the
correction heat flow on interior faces."""

from __future__ import annotations

import numpy as np

from solver.models.energy.terms import AXIS_NAMES, HI, LO, SideTerms
from solver.numerics.limiters import van_leer
from solver.numerics.stencil import along_axis


def _limited_slopes(grid, temperature, axis: int, terms: dict[str, SideTerms]):
    """Van Leer (harmonic-mean) limited slope dT/dx [K/m] per cell along ``axis``.

    Ghost values at the domain ends are the face temperature on fixed-temperature/inlet faces
    (placed on the face) and the cell value elsewhere (zero slope there).
    """
    xp = grid.backend.xp
    lo_side, hi_side = f"{AXIS_NAMES[axis]}_min", f"{AXIS_NAMES[axis]}_max"
    ghosts = []
    for side in (lo_side, hi_side):
        t_side = terms[side]
        cell = temperature[t_side.slab]
        fixed_host = ~np.isnan(t_side.face_temperature)
        t_face = grid.backend.asarray(np.where(fixed_host, t_side.face_temperature, 0.0),
                                      dtype=grid.dtype)
        ghosts.append(xp.expand_dims(xp.where(grid.backend.asarray(fixed_host), t_face, cell),
                                     axis))
    padded = xp.concatenate([ghosts[0], temperature, ghosts[1]], axis=axis)
    faces = grid.faces[axis]
    coords = np.concatenate([faces[:1], grid.centers[axis], faces[-1:]])
    shape = [1, 1, 1]
    shape[axis] = coords.size - 1
    spacing = grid.backend.asarray(np.diff(coords).reshape(shape), dtype=grid.dtype)
    # one-sided slopes on the non-uniform spacing
    slope = xp.diff(padded, axis=axis) / spacing
    # at a port on a geometry face, as at a domain side: the inlet temperature on the face,
    # zero slope at an outlet (the cell beyond the port is no upstream value)
    for t_port in terms.values():
        if t_port.port is None or t_port.port[0] != axis:
            continue
        _, face, mask, is_max = t_port.port
        inner = face - 1 if is_max else face
        cell = temperature[along_axis(axis, inner)]
        fixed_host = ~np.isnan(t_port.face_temperature)
        t_face = grid.backend.asarray(np.where(fixed_host, t_port.face_temperature, 0.0),
                                      dtype=grid.dtype)
        half = 0.5 * float(grid.widths[axis][inner])
        towards = (t_face - cell) / half if is_max else (cell - t_face) / half
        value = xp.where(grid.backend.asarray(fixed_host), towards, 0.0)
        at_face = along_axis(axis, face)
        slope[at_face] = xp.where(grid.backend.asarray(mask), value, slope[at_face])
    return van_leer(xp, slope[along_axis(axis, LO)], slope[along_axis(axis, HI)])


def advection_correction(grid, temperature, mass_flux_axis, cp, axis, terms):
    """Deferred-correction heat flow [W] ``F cp (T_face^TVD - T_upwind)`` on interior faces."""
    xp = grid.backend.xp
    lo, hi = along_axis(axis, LO), along_axis(axis, HI)
    slope = _limited_slopes(grid, temperature, axis, terms)
    half = 0.5 * grid.width_array(axis)
    t_lo, t_hi = temperature[lo], temperature[hi]
    f = mass_flux_axis[along_axis(axis, slice(1, -1))]
    forward = f >= 0
    # MUSCL reconstruction from the upwind cell, clipped between the two cell values
    from_lo = t_lo + half[lo] * slope[lo]
    from_hi = t_hi - half[hi] * slope[hi]
    t_face = xp.clip(xp.where(forward, from_lo, from_hi), xp.minimum(t_lo, t_hi),
                     xp.maximum(t_lo, t_hi))
    t_up = xp.where(forward, t_lo, t_hi)
    cp_up = xp.where(forward, cp[lo], cp[hi])
    return f * cp_up * (t_face - t_up)
