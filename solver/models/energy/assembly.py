"""Assembly of the energy equation into a seven-point system: conduction (symmetric) and
conduction with convection (upwind, with the TVD deferred correction on the right side)."""

from __future__ import annotations

from collections.abc import Sequence

from solver.boundaries.patches import Boundary
from solver.models.energy.advection import advection_correction
from solver.models.energy.terms import (
    AXIS_NAMES,
    HI,
    LO,
    along_axis,
    cell_array,
    check_mass_flux,
    check_no_flow_into_empty,
    cut_port_faces,
    face_conductance,
    side_terms,
)
from solver.numerics.stencil import Stencil7

SCHEMES = ("upwind", "tvd")


def assemble(grid, conductivity, boundaries, heat_source, mass_flux=None, cp=None,
              scheme="upwind", temperature=None):
    xp = grid.backend.xp
    k = cell_array(grid, conductivity, "conductivity")
    source = cell_array(grid, heat_source if heat_source is not None else 0.0, "heat_source")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if scheme == "tvd" and mass_flux is not None and temperature is None:
        raise ValueError("the TVD scheme needs the previous temperature iterate (temperature=)")
    if temperature is not None:
        temperature = cell_array(grid, temperature, "temperature")
    # inputs must be finite: a NaN would otherwise surface deep inside the linear solver
    checks = [("conductivity", k), ("heat_source", source)]
    if mass_flux is not None:
        checks += [("specific_heat", cp)] + [(f"mass flux {a}", f)
                                             for a, f in zip(AXIS_NAMES, mass_flux, strict=True)]
    # every input check in one host transfer
    finite = grid.backend.to_host(xp.stack([xp.all(xp.isfinite(arr)) for _, arr in checks]
                                           + [xp.any(k < 0)]))
    for (what, _), ok in zip(checks, finite[:-1], strict=True):
        if not ok:
            raise ValueError(f"{what} contains NaN or inf values")
    if finite[-1]:
        raise ValueError("conductivity must be >= 0 (0 marks empty cells)")
    stencil = Stencil7.zeros_like(k)
    rhs = source * grid.cell_volumes()

    terms = side_terms(grid, k, boundaries, mass_flux, cp, scheme, temperature)
    ports = any(t.port is not None for t in terms.values())
    if mass_flux is not None:
        # port faces belong to their boundary terms: no interior flux across them
        if ports:
            mass_flux = tuple(cut_port_faces(grid, terms, f, axis)
                              for axis, f in enumerate(mass_flux))
        check_no_flow_into_empty(grid, k, mass_flux)
    for axis in range(3):
        lo, hi = along_axis(axis, LO), along_axis(axis, HI)
        minus = stencil.neighbour(f"{AXIS_NAMES[axis]}_minus")
        plus = stencil.neighbour(f"{AXIS_NAMES[axis]}_plus")
        # diffusion: symmetric harmonic conductances (none across port faces)
        g = face_conductance(grid, k, axis)
        if ports:
            g = cut_port_faces(grid, terms, g, axis, interior=True)
        plus[lo] += g
        minus[hi] += g
        stencil.diag[lo] += g
        stencil.diag[hi] += g
        if mass_flux is None:
            continue
        # advection: implicit first-order upwind, conservative form
        f = mass_flux[axis][along_axis(axis, slice(1, -1))]
        f_fwd = xp.maximum(f, 0.0) * cp[lo]
        f_bwd = xp.maximum(-f, 0.0) * cp[hi]
        stencil.diag[lo] += f_fwd
        plus[lo] += f_bwd
        minus[hi] += f_fwd
        stencil.diag[hi] += f_bwd
        if scheme == "tvd":
            correction = advection_correction(grid, temperature, mass_flux[axis], cp, axis, terms)
            rhs[lo] -= correction
            rhs[hi] += correction

    # boundary faces
    for t in terms.values():
        stencil.diag[t.slab] += t.coef
        rhs[t.slab] += t.src

    # identity rows for empty cells, scaled to the mean diagonal
    empty = k <= 0
    solid = ~empty
    n_solid = int(xp.count_nonzero(solid))
    if n_solid == 0:
        raise ValueError("no cell has a positive conductivity: nothing to solve")
    scale = float(xp.sum(xp.where(solid, stencil.diag, 0.0))) / n_solid or 1.0
    stencil.diag[...] = xp.where(empty, scale, stencil.diag)
    rhs = xp.where(empty, 0.0, rhs)
    return stencil, rhs, terms, k, source


def assemble_conduction(grid, conductivity, boundaries: Sequence[Boundary], heat_source=None):
    """Assemble steady heat conduction ``-div(k grad T) = S`` as a seven-point system.

    Parameters
    ----------
    grid : Grid
        The non-uniform Cartesian grid (carries the backend and dtype).
    conductivity : array (nx, ny, nz) or float
        [W/m/K] cell conductivities; 0 marks empty cells (identity rows).
    boundaries : sequence of Boundary
        Patches from :mod:`solver.boundaries`; later ones override earlier ones.
    heat_source : array (nx, ny, nz), float or None
        [W/m^3] volumetric heat generation (ignored in empty cells).

    Returns
    -------
    stencil : Stencil7
        Coefficients [W/K], symmetric.
    rhs : array (nx, ny, nz)
        [W] right-hand side.
    """
    stencil, rhs, *_ = assemble(grid, conductivity, boundaries, heat_source)
    return stencil, rhs


def assemble_energy(grid, conductivity, boundaries: Sequence[Boundary], heat_source, mass_flux,
                    specific_heat, scheme: str = "upwind", temperature=None):
    """Assemble steady advection-diffusion ``div(F cp T) - div(k grad T) = S``.

    Parameters
    ----------
    grid : Grid
        The grid.
    conductivity : array (nx, ny, nz) or float
        [W/m/K] conductivity of solid and fluid cells; 0 marks empty cells.
    boundaries : sequence of Boundary
        Patches; ``Inlet`` faces bring ``F cp T_inlet`` (the flow rate comes from
        ``mass_flux``; the Inlet's own velocity or flow is the flow solver's input),
        ``Outlet`` faces are zero-gradient. Inflow through any other face that is not fixed
        temperature takes the cell value (zero gradient).
    heat_source : array (nx, ny, nz), float or None
        [W/m^3] volumetric heat generation.
    mass_flux : tuple (Fx, Fy, Fz)
        [kg/s] face mass fluxes on the staggered faces, shapes (nx+1, ny, nz), (nx, ny+1, nz),
        (nx, ny, nz+1), positive along +axis, zero on faces of solid or empty cells.
    specific_heat : array (nx, ny, nz) or float
        [J/kg/K] specific heat of the cells (only fluid cells matter).
    scheme : {"upwind", "tvd"}
        First-order upwind, or van Leer limited second order by deferred correction.
    temperature : array (nx, ny, nz), optional
        [K] previous iterate; required for ``"tvd"``.

    Returns
    -------
    stencil : Stencil7
        Coefficients [W/K] (non-symmetric when there is flow).
    rhs : array (nx, ny, nz)
        [W] right-hand side, including the deferred correction.
    """
    flux = check_mass_flux(grid, mass_flux)
    cp = cell_array(grid, specific_heat, "specific_heat")
    stencil, rhs, *_ = assemble(grid, conductivity, boundaries, heat_source, flux, cp, scheme,
                                 temperature)
    return stencil, rhs
