"""The pressure-correction operator of the SIMPLE(C) iteration (:mod:`solver.models.flow.simplec`):
continuity of the corrected face fluxes, one seven-point row per cell."""

from __future__ import annotations

import numpy as np

from solver.models.flow.staggered import INTERIOR, LOWER, UPPER, along_axis
from solver.numerics.pointwise import Pointwise, largest
from solver.numerics.stencil import Stencil7

_PAIRS = (("x_minus", "x_plus"), ("y_minus", "y_plus"), ("z_minus", "z_plus"))


def _port_link(link, fluid_lower, fluid_upper, out):
    out[...] = link * fluid_lower * fluid_upper


# a face's link, cut where either cell is an outlet port's ghost (fluid 0)
_PORT_LINK = Pointwise("pressure_port_link", "T link, T fluid_lower, T fluid_upper", "T out",
                       "out = link * fluid_lower * fluid_upper", _port_link)


def _floor_diagonal(scale, diag):
    diag += (diag <= 0.0) * np.where(scale > 0.0, 1e-9 * scale, 1.0)


# decoupled rows (solid, isolated cells) get 1e-9 of the largest diagonal (1 if none)
_FLOOR_DIAGONAL = Pointwise(
    "pressure_floor_diagonal", "T scale", "T diag",
    "diag += (T)(diag <= (T)0) * (scale > (T)0 ? (T)1e-9 * scale : (T)1)", _floor_diagonal)


def assemble_pressure_correction(xp, st: Stencil7, coefficients, fluid_f,
                                 cut_ghost_links: bool, own, scale) -> Stencil7:
    """Fill ``st`` (cell-shaped) with the operator of the face coefficients rho d A
    [kg/(s Pa)], one array per axis of the face shape; return it. ``own`` (cell-shaped) and
    ``scale`` (0-d) are scratch arrays: nothing here allocates, so the assembly can run inside
    a captured CUDA graph.

    ``cut_ghost_links``: outlet ports on faces of the geometry, whose ghost cells (solid,
    ``fluid_f`` 0) hold p' = 0: no link and no row there. Solid or isolated cells get
    decoupled rows (p' = 0) with a diagonal of 1e-9 of the largest, so multigrid aggregates
    mixing solid and fluid cells gain no artificial sink.
    """
    st.diag.fill(0.0)
    for a, c in enumerate(coefficients):
        minus, plus = (getattr(st, name) for name in _PAIRS[a])
        minus.fill(0.0)
        plus.fill(0.0)
        lower, upper = along_axis(a, LOWER), along_axis(a, UPPER)
        link = c[along_axis(a, INTERIOR)]
        if cut_ghost_links:
            _PORT_LINK(xp, link, fluid_f[lower], fluid_f[upper], minus[upper])
        else:
            xp.copyto(minus[upper], link)
        xp.copyto(plus[lower], minus[upper])
        xp.add(c[lower], c[upper], out=own)
        if cut_ghost_links:
            own *= fluid_f
        st.diag += own
    largest(xp, st.diag, out=scale)
    _FLOOR_DIAGONAL(xp, scale, st.diag)
    return st
