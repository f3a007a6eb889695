"""Second-order (TVD) convection of heat by deferred correction: limited slopes and the
correction heat flow on interior faces."""

from __future__ import annotations

import numba

from solver.models.energy.terms import AXIS_NAMES, HI, LO, SideTerms
from solver.numerics.pointwise import Pointwise
from solver.numerics.stencil import along_axis


def _signatures(arguments: int) -> list[str]:
    """Numba signatures of an elementwise function of ``arguments`` values, float64 and
    float32."""
    return [f"{real}({', '.join([real] * arguments)})" for real in ("float64", "float32")]


@numba.njit(cache=True, inline="always")
def _van_leer(a, b):
    """:func:`solver.numerics.limiters.van_leer` of two slopes (scalars)."""
    product = a * b
    return 2.0 * product / (a + b) if product > 0.0 else 0.0


@numba.njit(cache=True, inline="always")
def _reconstructed_face(slope_before, slope_face, slope_after, t_lo, t_hi, half_lo, half_hi,
                        flux):
    """(forward, face temperature, upwind temperature) of one face: MUSCL reconstruction from
    the upwind cell, clipped between the two cell values (:data:`_RECONSTRUCTED_FACE`)."""
    forward = flux >= 0.0
    from_lo = t_lo + half_lo * _van_leer(slope_before, slope_face)
    from_hi = t_hi - half_hi * _van_leer(slope_face, slope_after)
    low, high = min(t_lo, t_hi), max(t_lo, t_hi)
    t_face = from_lo if forward else from_hi
    t_face = low if t_face < low else (high if t_face > high else t_face)
    return forward, t_face, t_lo if forward else t_hi


# the host functions of the passes below: Numba ufuncs, one compiled loop over the faces
# without temporaries (NumPy expressions made a dozen passes and temporaries per call)
@numba.vectorize(_signatures(10), cache=True)
def _face_correction_host(slope_before, slope_face, slope_after, t_lo, t_hi, half_lo, half_hi,
                          flux, cp_lo, cp_hi):
    forward, t_face, t_up = _reconstructed_face(slope_before, slope_face, slope_after, t_lo,
                                                t_hi, half_lo, half_hi, flux)
    return flux * (cp_lo if forward else cp_hi) * (t_face - t_up)


@numba.vectorize(_signatures(8), cache=True)
def _limiter_fraction_host(slope_before, slope_face, slope_after, t_lo, t_hi, half_lo, half_hi,
                           flux):
    forward, t_face, t_up = _reconstructed_face(slope_before, slope_face, slope_after, t_lo,
                                                t_hi, half_lo, half_hi, flux)
    jump = (t_hi if forward else t_lo) - t_up
    return (t_face - t_up) / jump if jump != 0.0 else 0.0


@numba.vectorize(_signatures(6), cache=True)
def _frozen_correction_host(t_lo, t_hi, flux, cp_lo, cp_hi, fraction):
    forward = flux >= 0.0
    jump = t_hi - t_lo if forward else t_lo - t_hi
    return flux * (cp_lo if forward else cp_hi) * (fraction * jump)


def _van_leer_cuda(a: str, b: str) -> str:
    """CUDA of :func:`solver.numerics.limiters.van_leer` of two slopes."""
    return f"({a} * {b} > (T)0 ? (T)2 * ({a} * {b}) / ({a} + {b}) : (T)0)"


_SLOPE_INPUTS = "T slope_before, T slope_face, T slope_after, T t_lo, T t_hi, T half_lo, T half_hi"
# CUDA of _reconstructed_face: forward, t_face and t_up
_RECONSTRUCTED_FACE = (
    "const bool forward = flux >= (T)0;"
    f" const T from_lo = t_lo + half_lo * {_van_leer_cuda('slope_before', 'slope_face')};"
    f" const T from_hi = t_hi - half_hi * {_van_leer_cuda('slope_face', 'slope_after')};"
    " const T low = t_lo < t_hi ? t_lo : t_hi; const T high = t_lo < t_hi ? t_hi : t_lo;"
    " T t_face = forward ? from_lo : from_hi;"
    " t_face = t_face < low ? low : (t_face > high ? high : t_face);"
    " const T t_up = forward ? t_lo : t_hi;")

# the face's deferred-correction heat flow in one pass: the limited slopes of the two cells
# beside the face (from the one-sided slopes before, at and after it) and the reconstruction
_FACE_CORRECTION = Pointwise(
    "energy_tvd_face_correction", f"{_SLOPE_INPUTS}, T flux, T cp_lo, T cp_hi", "T out",
    _RECONSTRUCTED_FACE + " out = flux * (forward ? cp_lo : cp_hi) * (t_face - t_up)",
    _face_correction_host)

# the limiter's blending fraction (t_face - t_up) / (t_down - t_up), in [0, 1], 0 where equal
_LIMITER_FRACTION = Pointwise(
    "energy_tvd_limiter_fraction", f"{_SLOPE_INPUTS}, T flux", "T out",
    _RECONSTRUCTED_FACE + " const T jump = (forward ? t_hi : t_lo) - t_up;"
    " out = jump != (T)0 ? (t_face - t_up) / jump : (T)0",
    _limiter_fraction_host)

# the deferred correction with a frozen fraction: F cp_up fraction (t_down - t_up)
_FROZEN_CORRECTION = Pointwise(
    "energy_tvd_frozen_correction", "T t_lo, T t_hi, T flux, T cp_lo, T cp_hi, T fraction",
    "T out",
    "const bool forward = flux >= (T)0;"
    " const T jump = forward ? t_hi - t_lo : t_lo - t_hi;"
    " out = flux * (forward ? cp_lo : cp_hi) * (fraction * jump)",
    _frozen_correction_host)


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


def advection_correction(grid, temperature, mass_flux_axis, cp, axis, terms, fraction=None):
    """Deferred-correction heat flow [W] ``F cp (T_face^TVD - T_upwind)`` on interior faces:
    van Leer (harmonic-mean) limited slopes, MUSCL reconstruction from the upwind cell clipped
    between the two cell values (one pass, :data:`_FACE_CORRECTION`). With ``fraction`` (from
    :func:`limiter_fraction`) the limiter is frozen: ``F cp fraction (T_downwind - T_upwind)``,
    linear in the temperature."""
    xp = grid.backend.xp
    lo, hi = along_axis(axis, LO), along_axis(axis, HI)
    f = mass_flux_axis[along_axis(axis, slice(1, -1))]
    out = xp.empty(f.shape, dtype=temperature.dtype)
    if fraction is not None:
        _FROZEN_CORRECTION(xp, temperature[lo], temperature[hi], f, cp[lo], cp[hi], fraction,
                           out)
        return out
    _FACE_CORRECTION(xp, *_face_inputs(grid, temperature, f, axis, terms), cp[lo], cp[hi], out)
    return out


def limiter_fraction(grid, temperature, mass_flux_axis, axis, terms):
    """The TVD limiter's blending fraction on interior faces along ``axis`` at
    ``temperature`` [K]: ``(T_face - T_upwind) / (T_downwind - T_upwind)`` in [0, 1] (0 where
    the two cells are equal), to freeze the limiter (:func:`advection_correction`)."""
    xp = grid.backend.xp
    f = mass_flux_axis[along_axis(axis, slice(1, -1))]
    out = xp.empty(f.shape, dtype=temperature.dtype)
    _LIMITER_FRACTION(xp, *_face_inputs(grid, temperature, f, axis, terms), out)
    return out


def _face_inputs(grid, temperature, f, axis, terms) -> tuple:
    """The reconstruction's inputs on the interior faces along ``axis`` (slopes before, at
    and after each face, the two cell temperatures and half widths, the mass flux ``f``)."""
    lo, hi = along_axis(axis, LO), along_axis(axis, HI)
    slope = _one_sided_slopes(grid, temperature, axis, terms)
    half = 0.5 * grid.width_array(axis)
    n = slope.shape[axis]
    return (slope[along_axis(axis, slice(0, n - 2))], slope[along_axis(axis, slice(1, n - 1))],
            slope[along_axis(axis, slice(2, n))], temperature[lo], temperature[hi], half[lo],
            half[hi], f)
