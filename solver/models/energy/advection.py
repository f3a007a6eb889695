"""Second-order (TVD) convection of heat by deferred correction: limited slopes and the
correction heat flow on interior faces."""

from __future__ import annotations

import numpy as np

from solver.models.energy.terms import AXIS_NAMES, HI, LO, SideTerms
from solver.numerics.limiters import van_leer
from solver.numerics.pointwise import Pointwise
from solver.numerics.stencil import along_axis


def _face_correction_host(slope_before, slope_face, slope_after, t_lo, t_hi, half_lo, half_hi,
                          flux, cp_lo, cp_hi, out):
    forward = flux >= 0
    # MUSCL reconstruction from the upwind cell, clipped between the two cell values
    from_lo = t_lo + half_lo * van_leer(np, slope_before, slope_face)
    from_hi = t_hi - half_hi * van_leer(np, slope_face, slope_after)
    t_face = np.clip(np.where(forward, from_lo, from_hi), np.minimum(t_lo, t_hi),
                     np.maximum(t_lo, t_hi))
    t_up = np.where(forward, t_lo, t_hi)
    cp_up = np.where(forward, cp_lo, cp_hi)
    out[...] = flux * cp_up * (t_face - t_up)


def _van_leer_cuda(a: str, b: str) -> str:
    """CUDA of :func:`solver.numerics.limiters.van_leer` of two slopes."""
    return f"({a} * {b} > (T)0 ? (T)2 * ({a} * {b}) / ({a} + {b}) : (T)0)"


# the face's deferred-correction heat flow in one pass: the limited slopes of the two cells
# beside the face (from the one-sided slopes before, at and after it) and the reconstruction
_FACE_CORRECTION = Pointwise(
    "energy_tvd_face_correction",
    "T slope_before, T slope_face, T slope_after, T t_lo, T t_hi, T half_lo, T half_hi, "
    "T flux, T cp_lo, T cp_hi", "T out",
    "const bool forward = flux >= (T)0;"
    f" const T from_lo = t_lo + half_lo * {_van_leer_cuda('slope_before', 'slope_face')};"
    f" const T from_hi = t_hi - half_hi * {_van_leer_cuda('slope_face', 'slope_after')};"
    " const T low = t_lo < t_hi ? t_lo : t_hi; const T high = t_lo < t_hi ? t_hi : t_lo;"
    " T t_face = forward ? from_lo : from_hi;"
    " t_face = t_face < low ? low : (t_face > high ? high : t_face);"
    " out = flux * (forward ? cp_lo : cp_hi) * (t_face - (forward ? t_lo : t_hi))",
    _face_correction_host)


def _one_sided_slopes(grid, temperature, axis: int, terms: dict[str, SideTerms]):
    """One-sided slopes dT/dx [K/m] between adjacent nodes along ``axis`` (``n + 1`` of them).

    Ghost values at the domain ends are the face temperature on fixed-temperature/inlet faces
    (placed on the face) and the cell value elsewhere (zero slope there).
    """
    xp = grid.backend.xp
    lo_side, hi_side = f"{AXIS_NAMES[axis]}_min", f"{AXIS_NAMES[axis]}_max"
    ghosts = []
    for side in (lo_side, hi_side):
        t_side = terms[side]
        cell = temperature[t_side.slab]
        ghost = (xp.where(t_side.fixed, t_side.face_value, cell) if t_side.has_fixed_faces
                 else cell)
        ghosts.append(xp.expand_dims(ghost, axis))
    padded = xp.concatenate([ghosts[0], temperature, ghosts[1]], axis=axis)
    # one-sided slopes on the non-uniform spacing
    slope = xp.diff(padded, axis=axis) / grid.node_spacing_array(axis)
    # at a port on a geometry face, as at a domain side: the inlet temperature on the face,
    # zero slope at an outlet (the cell beyond the port is no upstream value)
    for t_port in terms.values():
        if t_port.port is None or t_port.port[0] != axis:
            continue
        _, face, _, is_max = t_port.port
        value = 0.0
        if t_port.has_fixed_faces:
            inner = face - 1 if is_max else face
            cell = temperature[along_axis(axis, inner)]
            half = 0.5 * float(grid.widths[axis][inner])
            t_face = t_port.face_value
            towards = (t_face - cell) / half if is_max else (cell - t_face) / half
            value = xp.where(t_port.fixed, towards, 0.0)
        at_face = along_axis(axis, face)
        slope[at_face] = xp.where(t_port.port_mask, value, slope[at_face])
    return slope


def advection_correction(grid, temperature, mass_flux_axis, cp, axis, terms):
    """Deferred-correction heat flow [W] ``F cp (T_face^TVD - T_upwind)`` on interior faces:
    van Leer (harmonic-mean) limited slopes, MUSCL reconstruction from the upwind cell clipped
    between the two cell values (one pass, :data:`_FACE_CORRECTION`)."""
    xp = grid.backend.xp
    lo, hi = along_axis(axis, LO), along_axis(axis, HI)
    slope = _one_sided_slopes(grid, temperature, axis, terms)
    half = 0.5 * grid.width_array(axis)
    f = mass_flux_axis[along_axis(axis, slice(1, -1))]
    out = xp.empty(f.shape, dtype=temperature.dtype)
    n = slope.shape[axis]
    _FACE_CORRECTION(xp, slope[along_axis(axis, slice(0, n - 2))],
                     slope[along_axis(axis, slice(1, n - 1))], slope[along_axis(axis, slice(2, n))],
                     temperature[lo], temperature[hi], half[lo], half[hi], f, cp[lo], cp[hi], out)
    return out
