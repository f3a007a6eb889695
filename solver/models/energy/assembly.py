"""Assembly of the energy equation into a seven-point system: conduction (symmetric) and
conduction with convection (upwind, with the TVD deferred correction on the right side)."""

from __future__ import annotations

from collections.abc import Sequence

from solver.boundaries.patches import Boundary
from solver.models.energy.advection import advection_correction, limiter_fraction
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
from solver.numerics.stencil import NEIGHBOURS, Stencil7

SCHEMES = ("upwind", "tvd")


def check_inputs(grid, conductivity, heat_source=None, mass_flux=None, cp=None) -> None:
    """Raise ``ValueError`` on a non-finite input or a negative conductivity (every check in
    one host transfer): a NaN would otherwise surface deep inside the linear solver."""
    xp = grid.backend.xp
    checks = [("conductivity", conductivity)]
    if heat_source is not None:
        checks.append(("heat_source", heat_source))
    if mass_flux is not None:
        checks += [("specific_heat", cp)] + [(f"mass flux {a}", f)
                                             for a, f in zip(AXIS_NAMES, mass_flux, strict=True)]
    finite = grid.backend.to_host(xp.stack([xp.all(xp.isfinite(arr)) for _, arr in checks]
                                           + [xp.any(conductivity < 0)]))
    for (what, _), ok in zip(checks, finite[:-1], strict=True):
        if not ok:
            raise ValueError(f"{what} contains NaN or inf values")
    if finite[-1]:
        raise ValueError("conductivity must be >= 0 (0 marks empty cells)")


def interior_mass_flux(grid, terms, mass_flux) -> tuple:
    """[kg/s] the face mass fluxes (Fx, Fy, Fz) with the faces of ports on geometry faces cut:
    port faces belong to their boundary terms, so no interior flux crosses them."""
    if not any(t.port is not None for t in terms.values()):
        return tuple(mass_flux)
    return tuple(cut_port_faces(grid, terms, f, axis) for axis, f in enumerate(mass_flux))


def freeze_limiter(grid, temperature, mass_flux, terms) -> tuple:
    """The TVD limiter's blending fractions per axis at ``temperature`` [K]
    (:func:`~solver.models.energy.advection.limiter_fraction`, on the interior faces of
    :func:`interior_mass_flux`), for assemblies whose deferred correction is then linear in
    the temperature (``limiter_fractions`` of :func:`assemble`)."""
    flux = interior_mass_flux(grid, terms, mass_flux)
    temperature = cell_array(grid, temperature, "temperature")
    return tuple(limiter_fraction(grid, temperature, flux[axis], axis, terms)
                 for axis in range(3))


def energy_operator(grid, conductivity, terms, mass_flux=None, cp=None, solid_cells=None,
                    out: Stencil7 | None = None):
    """The seven-point operator [W/K] of conduction (with upwind convection when ``mass_flux``
    is given) and the boundary terms ``terms`` (:func:`side_terms`), with identity rows scaled
    to the mean diagonal in empty cells; returns it and the mass fluxes with the faces of ports
    on geometry faces cut (the interior fluxes the TVD correction uses). ``solid_cells``: the
    number of conducting cells, when known (else counted: a host transfer); ``out``: a
    stencil of the grid's shape to write the operator into (its arrays overwritten)."""
    xp = grid.backend.xp
    if out is None:
        stencil = Stencil7.zeros_like(conductivity)
    else:
        stencil = out
        for array in (stencil.diag, *(stencil.neighbour(name) for name in NEIGHBOURS)):
            array.fill(0.0)
    ports = any(t.port is not None for t in terms.values())
    if mass_flux is not None:
        mass_flux = interior_mass_flux(grid, terms, mass_flux)
        check_no_flow_into_empty(grid, conductivity, mass_flux)
    for axis in range(3):
        lo, hi = along_axis(axis, LO), along_axis(axis, HI)
        minus = stencil.neighbour(f"{AXIS_NAMES[axis]}_minus")
        plus = stencil.neighbour(f"{AXIS_NAMES[axis]}_plus")
        # diffusion: symmetric harmonic conductances (none across port faces)
        g = face_conductance(grid, conductivity, axis)
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
    # boundary faces
    for t in terms.values():
        stencil.diag[t.slab] += t.coef
    # identity rows for empty cells, scaled to the mean diagonal
    empty = conductivity <= 0
    solid = ~empty
    n_solid = int(xp.count_nonzero(solid)) if solid_cells is None else solid_cells
    if n_solid == 0:
        raise ValueError("no cell has a positive conductivity: nothing to solve")
    scale = xp.sum(xp.where(solid, stencil.diag, 0.0)) / n_solid  # on the device
    stencil.diag[...] = xp.where(empty, xp.where(scale != 0.0, scale, 1.0), stencil.diag)
    return stencil, mass_flux


def right_side(grid, empty, volumes, source, terms, sources, mass_flux=None, cp=None,
               scheme="upwind", temperature=None, limiter_fractions=None):
    """[W] the right side: heat generated (``source`` [W/m3] in cells of ``volumes`` [m3]),
    the TVD deferred correction at ``temperature`` [K] (with ``mass_flux`` cut at ports,
    :func:`energy_operator`; the limiter frozen at ``limiter_fractions`` when given,
    :func:`freeze_limiter`) and the boundary ``sources`` [W] of ``terms`` (those that add
    heat); 0 in the ``empty`` cells."""
    xp = grid.backend.xp
    rhs = source * volumes
    if mass_flux is not None and scheme == "tvd":
        for axis in range(3):
            correction = advection_correction(
                grid, temperature, mass_flux[axis], cp, axis, terms,
                None if limiter_fractions is None else limiter_fractions[axis])
            rhs[along_axis(axis, LO)] -= correction
            rhs[along_axis(axis, HI)] += correction
    for t, src in zip(terms.values(), sources, strict=True):
        if t.adds_heat:
            rhs[t.slab] += src
    return xp.where(empty, 0.0, rhs)


def assemble(grid, conductivity, boundaries, heat_source, mass_flux=None, cp=None,
              scheme="upwind", temperature=None, limiter_fractions=None):
    """The seven-point system of the energy equation: operator [W/K], right side [W], the
    boundary terms, the conductivity and the heat source as backend arrays
    (``limiter_fractions``: a frozen TVD limiter, :func:`freeze_limiter`)."""
    k = cell_array(grid, conductivity, "conductivity")
    source = cell_array(grid, heat_source if heat_source is not None else 0.0, "heat_source")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if scheme == "tvd" and mass_flux is not None and temperature is None:
        raise ValueError("the TVD scheme needs the previous temperature iterate (temperature=)")
    if temperature is not None:
        temperature = cell_array(grid, temperature, "temperature")
    check_inputs(grid, k, source, mass_flux, cp)
    terms = side_terms(grid, k, boundaries, mass_flux, cp, scheme, temperature)
    stencil, mass_flux = energy_operator(grid, k, terms, mass_flux, cp)
    rhs = right_side(grid, k <= 0, grid.cell_volumes(), source, terms,
                     [t.src for t in terms.values()], mass_flux, cp, scheme, temperature,
                     limiter_fractions)
    return stencil, rhs, terms, k, source


def _operator_kinds(boundaries) -> list:
    """What of ``boundaries`` the operator depends on: each one's kind, patch and
    heat-transfer coefficient (temperatures and heat fluxes touch the right side only)."""
    return [(type(b), b.patch, getattr(b, "h", None)) for b in boundaries]


def _same_arrays(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


class KeptAssembly:
    """The energy system of a grid kept between solves whose inputs change little: the operator
    and the boundary terms are assembled once and kept; only the right side is evaluated for
    each heat source and temperature (the TVD deferred correction), from the kept device
    arrays, with no host transfer.

    The operator is assembled again, into the same arrays, when the conductivity or the
    mass-flux arrays are other objects than the last ones, or a boundary's kind, patch or
    heat-transfer coefficient changed; the boundary terms alone when only a boundary value
    changed (an inlet temperature). The input checks run at each new operator.

    Parameters
    ----------
    grid : Grid
    cp : array or None
        [J/kg/K] specific heat of the cells (with convection).
    scheme : {"upwind", "tvd"}
        Convection scheme.
    """

    def __init__(self, grid, cp=None, scheme: str = "upwind"):
        if scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
        self.grid, self.cp, self.scheme = grid, cp, scheme
        self.stencil: Stencil7 | None = None
        self.terms: dict | None = None
        self.version = 0  # counts the operators assembled
        self._inputs = None  # (conductivity, mass flux, boundaries) of the kept terms
        self._flux = self._empty = None
        self._volumes = grid.cell_volumes()
        self._uploads: dict = {}  # of the boundaries' terms (terms.side_terms' ``kept``)
        self._solid_cells = None  # (conductivity, its number of conducting cells)

    def prepare(self, conductivity, boundaries, mass_flux=None, cp=None) -> Stencil7:
        """The operator [W/K] for ``conductivity`` [W/m/K] (cell array), ``boundaries`` and
        ``mass_flux`` [kg/s] (checked face arrays or ``None``), kept or assembled again (into
        the arrays of the kept one: :attr:`stencil` stays the same object); ``cp``
        [J/kg/K]: another specific-heat array than the assembly's, which it then takes."""
        if cp is not None and cp is not self.cp:
            self.cp = cp
            if self._inputs is not None:  # a new operator, the boundaries' uploads kept
                self._inputs = (None, None, self._inputs[2])
        boundaries = list(boundaries)
        k, flux, before = self._inputs or (None, None, None)
        same_arrays = conductivity is k and _same_arrays(mass_flux, flux)
        if same_arrays and boundaries == before:
            return self.stencil
        new_operator = not (same_arrays and _operator_kinds(boundaries)
                            == _operator_kinds(before))
        if boundaries != before:
            self._uploads = {}
        grid = self.grid
        if new_operator:
            check_inputs(grid, conductivity, None, mass_flux, self.cp)
        self.terms = side_terms(grid, conductivity, boundaries, mass_flux, self.cp, self.scheme,
                                kept=self._uploads)
        if new_operator:
            if self._solid_cells is None or self._solid_cells[0] is not conductivity:
                self._solid_cells = (conductivity, int(grid.backend.xp.count_nonzero(
                    conductivity > 0)))
            self.stencil, self._flux = energy_operator(grid, conductivity, self.terms,
                                                       mass_flux, self.cp, self._solid_cells[1],
                                                       out=self.stencil)
            self._empty = conductivity <= 0
            self.version += 1
        self._inputs = (conductivity, mass_flux, boundaries)
        return self.stencil

    def right_side(self, source, temperature=None, limiter_fractions=None):
        """[W] the right side for the heat ``source`` [W/m3] and (TVD) the ``temperature`` [K]
        of the deferred correction (the limiter frozen at ``limiter_fractions`` when given,
        :func:`freeze_limiter`), with the operator of the last :meth:`prepare`."""
        xp = self.grid.backend.xp
        if self.scheme == "tvd" and self._flux is not None and temperature is None:
            raise ValueError("the TVD scheme needs the previous temperature iterate")
        sources = [t.source(xp, temperature) if t.adds_heat else None
                   for t in self.terms.values()]
        return right_side(self.grid, self._empty, self._volumes, source, self.terms, sources,
                          self._flux, self.cp, self.scheme, temperature, limiter_fractions)


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
