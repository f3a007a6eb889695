"""The pressure-correction operator of the SIMPLE(C) iteration (:mod:`solver.models.flow.simplec`):
continuity of the corrected face fluxes, one seven-point row per cell."""

from __future__ import annotations

from solver.models.flow.staggered import INTERIOR, LOWER, UPPER, along_axis
from solver.numerics.stencil import Stencil7

_PAIRS = (("x_minus", "x_plus"), ("y_minus", "y_plus"), ("z_minus", "z_plus"))


def assemble_pressure_correction(xp, st: Stencil7, coefficients, fluid_f,
                                 cut_ghost_links: bool) -> Stencil7:
    """Fill ``st`` (cell-shaped) with the operator of the face coefficients rho d A
    [kg/(s Pa)], one array per axis of the face shape; return it.

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
        link = c[along_axis(a, INTERIOR)]
        own = c[along_axis(a, LOWER)] + c[along_axis(a, UPPER)]
        if cut_ghost_links:
            link = link * fluid_f[along_axis(a, LOWER)] * fluid_f[along_axis(a, UPPER)]
            own = own * fluid_f
        minus[along_axis(a, UPPER)] = link
        plus[along_axis(a, LOWER)] = link
        st.diag += own
    scale = xp.max(st.diag)  # stays on the device
    st.diag += (st.diag <= 0.0) * xp.where(scale > 0.0, 1e-9 * scale, 1.0)
    return st
