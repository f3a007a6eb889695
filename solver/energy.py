"""Steady energy equation on the Cartesian grid: conduction in solids, advection-diffusion in fluid.

Discretisation (cell-centred finite volumes on the non-uniform tensor grid):

* **Diffusion.** The conductance of the face between cells P and N is the series (harmonic) value
  ``G = A / (d_P/k_P + d_N/k_N)`` with ``d`` the centre-to-face distances, so material interfaces
  that sit on grid faces are exact for 1-D series stacks. A fixed temperature acts through the half
  cell (``G = A k_P / d_P``); convection through the series resistance ``1/(1/h + d_P/k_P)``;
  a heat flux enters the right-hand side.
* **Empty cells** (conductivity 0, material id -1) carry no physics: their faces have zero
  conductance, and their rows are identity rows scaled to the mean diagonal (so Krylov and
  multigrid solvers see a well-scaled matrix). After a solve they are filled with the lowest
  temperature of the non-empty cells so that plots and statistics are unaffected; mask them by
  material id.
* **Advection** (:func:`assemble_energy`). Face mass fluxes ``F`` [kg/s] live on the staggered
  faces; the advective heat flow through a face is ``F cp T_face`` with ``cp`` of the upwind cell.
  First-order upwind is implicit. The bounded second-order scheme (``"tvd"``) reconstructs the
  face value from the upwind cell with a van Leer (harmonic-mean) limited slope on the
  non-uniform spacing, clipped to the two cells' values, and adds the difference to upwind by
  deferred correction from the previous ``temperature`` iterate.
* **Boundaries** follow :mod:`solver.boundaries`: later patches override earlier ones, uncovered
  faces are adiabatic, ``Inlet`` brings the advective inflow ``F cp T_inlet`` with no diffusive
  flux across the face (upstream plenum at ``T_inlet``; fixed temperature without mass fluxes),
  ``Outlet`` is zero-gradient (outflow at the upwind value, no diffusion).

Conservation: every interior face contributes the same flux to both cells (also with deferred
correction), so the sum of all cell equations is exactly "heat generated + heat through the
boundaries = 0". :func:`patch_heat_flows` evaluates the boundary flows with the very coefficients
used by the assembly, so the energy balance closes to the linear-solver residual.

Linear systems go to :mod:`solver.linear` (multigrid-preconditioned CG for conduction, flexible
GMRES with advection); the multigrid hierarchy is kept across TVD deferred-correction passes (only
the right-hand side changes) and rebuilt on each Picard pass for ``k(T)``. In float64 the balance
closes to about 1e-10; float32 grids reach about 1e-3 (round-off of ``T`` near 300 K).

All kernels are written against ``grid.backend.xp`` (NumPy or CuPy); the only host work is on
small per-side boundary masks. Units: SI (m, K, W, kg/s, J/kg/K).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from solver.boundaries import (
    SIDES,
    THERMAL_KINDS,
    Boundary,
    Convection,
    FixedTemperature,
    HeatFlux,
    Inlet,
    boundary_names,
    evaluate_face_value,
    face_owners,
    in_plane_axes,
    port_faces,
    side_axis,
)
from solver.linear import LinearSolve, Multigrid
from solver.operators import Stencil7, array_namespace

SCHEMES = ("upwind", "tvd")
_AXIS_NAMES = "xyz"


# ---------------------------------------------------------------------------------------------
# settings and results
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConductionSolve:
    """Settings of the non-linear (Picard / deferred-correction) loop around the linear solves.

    Parameters
    ----------
    linear : solver.linear.LinearSolve or None
        Linear-solver settings; ``None`` takes MG-preconditioned CG (conduction) or flexible GMRES
        (advection) with ``rtol = 1e-10``.
    tolerance : float
        [K] stop when the largest temperature change between outer iterations is below this.
        Used by temperature-dependent conductivity (Picard) and by the TVD deferred correction.
    max_iterations : int
        Maximum number of outer iterations.
    initial_temperature : float or None
        [K] starting field; ``None`` takes the mean of the boundary temperatures.
    relaxation : float
        Under-relaxation of the outer update ``T <- T + relaxation (T_new - T)``, in (0, 1].
        Values below 1 damp the limit cycles that limiter switching can cause in the TVD
        deferred correction.
    """

    linear: LinearSolve | None = None
    tolerance: float = 1e-4
    max_iterations: int = 50
    initial_temperature: float | None = None
    relaxation: float = 1.0

    def __post_init__(self):
        if not 0.0 < self.relaxation <= 1.0:
            raise ValueError(f"relaxation must be in (0, 1], got {self.relaxation}")
        if self.tolerance <= 0 or self.max_iterations < 1:
            raise ValueError("tolerance must be > 0 and max_iterations >= 1")


@dataclass
class ConductionResult:
    """Outcome of :func:`solve_conduction` or :func:`solve_energy`.

    Attributes
    ----------
    temperature : array (nx, ny, nz)
        [K] cell temperatures on the grid's backend.
    conductivity : array (nx, ny, nz)
        [W/m/K] conductivity used in the last assembly.
    energy_balance : dict
        ``heat_generated`` [W], ``patch_heat_flows`` {name: W into the domain},
        ``net_heat`` [W] (generated + all boundary flows), ``reference_heat`` [W] (total heat in),
        ``relative_imbalance`` = |net| / reference.
    linear_history : list of dict
        One entry per linear solve: iterations, converged, relative residual, method, residuals.
    outer_history : list of float
        [K] largest temperature change of each outer iteration.
    converged : bool
        True when the outer loop met its tolerance (always True for a single linear solve that
        converged).
    """

    temperature: object
    conductivity: object
    energy_balance: dict
    linear_history: list = field(default_factory=list)
    outer_history: list = field(default_factory=list)
    converged: bool = True


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------
def _index(axis: int, item) -> tuple:
    """Index tuple selecting ``item`` along ``axis`` and everything along the others."""
    idx = [slice(None)] * 3
    idx[axis] = item
    return tuple(idx)


_LO = slice(None, -1)
_HI = slice(1, None)


def _cell_array(grid, value, what: str):
    """A scalar or (nx, ny, nz) array as a backend array of the grid's dtype and cell shape."""
    xp = grid.backend.xp
    arr = grid.backend.asarray(value, dtype=grid.dtype)
    if arr.ndim == 0:
        return xp.full(grid.shape, float(arr), dtype=grid.dtype)
    if tuple(arr.shape) != grid.shape:
        raise ValueError(f"{what} must have the cell shape {grid.shape}, got {tuple(arr.shape)}")
    return arr


def _check_mass_flux(grid, mass_flux):
    shapes = [list(grid.shape) for _ in range(3)]
    for axis in range(3):
        shapes[axis][axis] += 1
    fluxes = []
    for axis, (flux, shape) in enumerate(zip(mass_flux, shapes, strict=True)):
        arr = grid.backend.asarray(flux, dtype=grid.dtype)
        if tuple(arr.shape) != tuple(shape):
            raise ValueError(f"mass flux along {_AXIS_NAMES[axis]} must have shape {tuple(shape)}, "
                             f"got {tuple(arr.shape)}")
        fluxes.append(arr)
    return tuple(fluxes)


def _check_no_flow_into_empty(grid, conductivity, mass_flux) -> None:
    """Mass must not cross faces of empty cells (their rows are identities)."""
    xp = grid.backend.xp
    for axis in range(3):
        empty = conductivity <= 0
        pad = [(0, 0)] * 3
        pad[axis] = (1, 0)
        before = xp.pad(empty, pad)
        pad[axis] = (0, 1)
        after = xp.pad(empty, pad)
        touching = before | after  # faces with an empty cell on either side
        if bool(xp.any(touching & (mass_flux[axis] != 0))):
            raise ValueError(f"non-zero mass flux on {_AXIS_NAMES[axis]}-faces of empty cells "
                             "(conductivity 0); fluxes must vanish outside the fluid")


# ---------------------------------------------------------------------------------------------
# boundary terms (shared by the assembly and the heat-flow report)
# ---------------------------------------------------------------------------------------------
@dataclass
class _SideTerms:
    """Per-side linearised boundary heat flow ``q_in = src - coef * T_P`` [W] on each face."""

    slab: tuple
    coef: object
    src: object
    owners: np.ndarray
    face_temperature: np.ndarray  # [K] on fixed-temperature/inlet faces, NaN elsewhere (host)
    port: tuple | None = None  # (axis, face index, host mask, is_max) of a port on a geometry face


def _advective_terms(xp, f_in, cp_p, face_t, scheme, t_p):
    """``(coef, src)`` of the advected heat ``F cp T`` through boundary faces [W/K, W].

    ``f_in`` [kg/s] is the mass flux into the domain per face, ``face_t`` [K] the face
    temperature on fixed-temperature/inlet faces (NaN elsewhere, host), ``t_p`` the cell
    temperatures (TVD only).
    """
    inflow = xp.maximum(f_in, 0.0) * cp_p
    outflow = xp.maximum(-f_in, 0.0) * cp_p
    fixed_host = ~np.isnan(face_t)
    fixed = xp.asarray(fixed_host)
    t_fixed = xp.asarray(np.where(fixed_host, face_t, 0.0), dtype=cp_p.dtype)
    # inflow brings the patch temperature, or the cell's own value (zero gradient)
    src = xp.where(fixed, inflow * t_fixed, 0.0)
    coef = -xp.where(fixed, 0.0, inflow)
    # outflow leaves at the upwind (cell) value ...
    coef = coef + outflow
    # ... corrected to the known face value on fixed-temperature faces (TVD)
    if scheme == "tvd" and t_p is not None:
        src = src - xp.where(fixed, outflow * (t_fixed - t_p), 0.0)
    return coef, src


def _side_terms(grid, conductivity, boundaries, mass_flux=None, cp=None, scheme="upwind",
                temperature=None) -> dict[str, _SideTerms]:
    xp = grid.backend.xp
    terms = {}
    for side in SIDES:
        axis, is_max = side_axis(side)
        slab = _index(axis, -1 if is_max else 0)
        a, b = in_plane_axes(side)
        owners = face_owners(grid, boundaries, side)
        area = grid.backend.asarray(np.outer(grid.widths[a], grid.widths[b]), dtype=grid.dtype)
        half = 0.5 * float(grid.widths[axis][-1 if is_max else 0])
        k_p = conductivity[slab]
        coef = xp.zeros_like(k_p)
        src = xp.zeros_like(k_p)
        face_t = np.full(owners.shape, np.nan)

        # diffusive exchange with the patch, one boundary kind at a time
        for index in np.unique(owners[owners >= 0]):
            bnd = boundaries[int(index)]
            mask_host = owners == index
            mask = grid.backend.asarray(mask_host)
            if isinstance(bnd, FixedTemperature | Inlet):
                t_b = evaluate_face_value(bnd.temperature, grid, side)
                face_t[mask_host] = t_b[mask_host]
                if isinstance(bnd, Inlet) and mass_flux is not None:
                    # inflow condition: the upstream plenum is at T_inlet, the heat crossing
                    # the face is the advected F cp T_inlet alone (no diffusion back out)
                    continue
                g = area * k_p / half
                coef += xp.where(mask, g, 0.0)
                src += xp.where(mask, g * grid.backend.asarray(t_b, dtype=grid.dtype), 0.0)
            elif isinstance(bnd, Convection):
                # series resistance 1/h + d/k between ambient and cell centre
                den = k_p + bnd.h * half
                g = area * bnd.h * k_p / xp.where(den > 0, den, 1.0)
                coef += xp.where(mask, g, 0.0)
                src += xp.where(mask, g * bnd.ambient_temperature, 0.0)
            elif isinstance(bnd, HeatFlux):
                q = grid.backend.asarray(evaluate_face_value(bnd.heat_flux, grid, side),
                                         dtype=grid.dtype)
                src += xp.where(mask & (k_p > 0), q * area, 0.0)
            # Adiabatic and Outlet: no diffusive flux

        # advective inflow/outflow through the side
        if mass_flux is not None:
            f_face = mass_flux[axis][slab]
            t_p = None if temperature is None else temperature[slab]
            d_coef, d_src = _advective_terms(xp, -f_face if is_max else f_face, cp[slab],
                                             face_t, scheme, t_p)
            coef += d_coef
            src += d_src
        terms[side] = _SideTerms(slab, coef, src, owners, face_t)
    if mass_flux is not None:
        terms.update(_port_terms(grid, boundaries, mass_flux, cp, scheme, temperature))
    return terms


def _port_terms(grid, boundaries, mass_flux, cp, scheme, temperature) -> dict[str, _SideTerms]:
    """Boundary terms of inlet and outlet ports on faces of the geometry.

    A port face sits between a coolant cell and a solid or empty cell; the coolant cell sees the
    port as a domain-side opening (inlet: ``F cp T_inlet``, no diffusion; outlet: outflow at the
    cell value) and the cell beyond sees nothing (:func:`_assemble` cuts the face).
    """
    xp = grid.backend.xp
    terms = {}
    for index, bnd in enumerate(boundaries):
        if not bnd.patch.on_geometry:  # only inlets and outlets can be
            continue
        axis, face, inner, mask = port_faces(grid, bnd.patch, cp > 0)
        _, is_max = side_axis(bnd.patch.side)
        slab = _index(axis, inner)
        face_t = np.full(mask.shape, np.nan)
        if isinstance(bnd, Inlet):
            face_t[mask] = evaluate_face_value(bnd.temperature, grid, bnd.patch.side)[mask]
        f_face = mass_flux[axis][_index(axis, face)]
        f_in = xp.where(xp.asarray(mask), -f_face if is_max else f_face, 0.0)
        t_p = None if temperature is None else temperature[slab]
        coef, src = _advective_terms(xp, f_in, cp[slab], face_t, scheme, t_p)
        terms[f"port_{index}"] = _SideTerms(slab, coef, src, np.where(mask, index, -1), face_t,
                                            (axis, face, mask, is_max))
    return terms


def _cut_port_faces(grid, terms, faces, axis: int, interior: bool = False):
    """A copy of ``faces`` (values on the faces normal to ``axis``: all of them, or only the
    interior ones) that is 0 on the faces of ports on geometry faces."""
    xp = grid.backend.xp
    faces = faces.copy()
    for t in terms.values():
        if t.port is None or t.port[0] != axis:
            continue
        _, face, mask, _ = t.port
        at = _index(axis, face - 1 if interior else face)
        faces[at] = xp.where(xp.asarray(mask), 0.0, faces[at])
    return faces


# ---------------------------------------------------------------------------------------------
# assembly
# ---------------------------------------------------------------------------------------------
def _face_conductance(grid, conductivity, axis: int):
    """Harmonic-mean conductances [W/K] of the interior faces normal to ``axis``."""
    xp = grid.backend.xp
    half = 0.5 * grid.width_array(axis)
    lo, hi = _index(axis, _LO), _index(axis, _HI)
    k_lo, k_hi = conductivity[lo], conductivity[hi]
    # A / (d_P/k_P + d_N/k_N) written without divisions by a zero conductivity
    den = half[lo] * k_hi + half[hi] * k_lo
    return grid.face_areas(axis) * k_lo * k_hi / xp.where(den > 0, den, 1.0)


def _limited_slopes(grid, temperature, axis: int, terms: dict[str, _SideTerms]):
    """Van Leer (harmonic-mean) limited slope dT/dx [K/m] per cell along ``axis``.

    Ghost values at the domain ends are the face temperature on fixed-temperature/inlet faces
    (placed on the face) and the cell value elsewhere (zero slope there).
    """
    xp = grid.backend.xp
    lo_side, hi_side = f"{_AXIS_NAMES[axis]}_min", f"{_AXIS_NAMES[axis]}_max"
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
        cell = temperature[_index(axis, inner)]
        fixed_host = ~np.isnan(t_port.face_temperature)
        t_face = grid.backend.asarray(np.where(fixed_host, t_port.face_temperature, 0.0),
                                      dtype=grid.dtype)
        half = 0.5 * float(grid.widths[axis][inner])
        towards = (t_face - cell) / half if is_max else (cell - t_face) / half
        value = xp.where(grid.backend.asarray(fixed_host), towards, 0.0)
        at_face = _index(axis, face)
        slope[at_face] = xp.where(grid.backend.asarray(mask), value, slope[at_face])
    back, fwd = slope[_index(axis, _LO)], slope[_index(axis, _HI)]
    prod = back * fwd
    total = back + fwd
    return xp.where(prod > 0, 2.0 * prod / xp.where(prod > 0, total, 1.0), 0.0)


def _advection_correction(grid, temperature, mass_flux_axis, cp, axis, terms):
    """Deferred-correction heat flow [W] ``F cp (T_face^TVD - T_upwind)`` on interior faces."""
    xp = grid.backend.xp
    lo, hi = _index(axis, _LO), _index(axis, _HI)
    slope = _limited_slopes(grid, temperature, axis, terms)
    half = 0.5 * grid.width_array(axis)
    t_lo, t_hi = temperature[lo], temperature[hi]
    f = mass_flux_axis[_index(axis, slice(1, -1))]
    forward = f >= 0
    # MUSCL reconstruction from the upwind cell, clipped between the two cell values
    from_lo = t_lo + half[lo] * slope[lo]
    from_hi = t_hi - half[hi] * slope[hi]
    t_face = xp.clip(xp.where(forward, from_lo, from_hi), xp.minimum(t_lo, t_hi),
                     xp.maximum(t_lo, t_hi))
    t_up = xp.where(forward, t_lo, t_hi)
    cp_up = xp.where(forward, cp[lo], cp[hi])
    return f * cp_up * (t_face - t_up)


def _assemble(grid, conductivity, boundaries, heat_source, mass_flux=None, cp=None,
              scheme="upwind", temperature=None):
    xp = grid.backend.xp
    k = _cell_array(grid, conductivity, "conductivity")
    source = _cell_array(grid, heat_source if heat_source is not None else 0.0, "heat_source")
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if scheme == "tvd" and mass_flux is not None and temperature is None:
        raise ValueError("the TVD scheme needs the previous temperature iterate (temperature=)")
    if temperature is not None:
        temperature = _cell_array(grid, temperature, "temperature")
    # inputs must be finite: a NaN would otherwise surface deep inside the linear solver
    checks = [("conductivity", k), ("heat_source", source)]
    if mass_flux is not None:
        checks += [("specific_heat", cp)] + [(f"mass flux {a}", f)
                                             for a, f in zip(_AXIS_NAMES, mass_flux, strict=True)]
    for what, arr in checks:
        if not bool(xp.all(xp.isfinite(arr))):
            raise ValueError(f"{what} contains NaN or inf values")
    if bool(xp.any(k < 0)):
        raise ValueError("conductivity must be >= 0 (0 marks empty cells)")
    stencil = Stencil7.zeros_like(k)
    rhs = source * grid.cell_volumes()

    terms = _side_terms(grid, k, boundaries, mass_flux, cp, scheme, temperature)
    ports = any(t.port is not None for t in terms.values())
    if mass_flux is not None:
        # port faces belong to their boundary terms: no interior flux across them
        if ports:
            mass_flux = tuple(_cut_port_faces(grid, terms, f, axis)
                              for axis, f in enumerate(mass_flux))
        _check_no_flow_into_empty(grid, k, mass_flux)
    for axis in range(3):
        lo, hi = _index(axis, _LO), _index(axis, _HI)
        minus = stencil.neighbour(f"{_AXIS_NAMES[axis]}_minus")
        plus = stencil.neighbour(f"{_AXIS_NAMES[axis]}_plus")
        # diffusion: symmetric harmonic conductances (none across port faces)
        g = _face_conductance(grid, k, axis)
        if ports:
            g = _cut_port_faces(grid, terms, g, axis, interior=True)
        plus[lo] += g
        minus[hi] += g
        stencil.diag[lo] += g
        stencil.diag[hi] += g
        if mass_flux is None:
            continue
        # advection: implicit first-order upwind, conservative form
        f = mass_flux[axis][_index(axis, slice(1, -1))]
        f_fwd = xp.maximum(f, 0.0) * cp[lo]
        f_bwd = xp.maximum(-f, 0.0) * cp[hi]
        stencil.diag[lo] += f_fwd
        plus[lo] += f_bwd
        minus[hi] += f_fwd
        stencil.diag[hi] += f_bwd
        if scheme == "tvd":
            correction = _advection_correction(grid, temperature, mass_flux[axis], cp, axis, terms)
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
    stencil, rhs, *_ = _assemble(grid, conductivity, boundaries, heat_source)
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
    flux = _check_mass_flux(grid, mass_flux)
    cp = _cell_array(grid, specific_heat, "specific_heat")
    stencil, rhs, *_ = _assemble(grid, conductivity, boundaries, heat_source, flux, cp, scheme,
                                 temperature)
    return stencil, rhs


# ---------------------------------------------------------------------------------------------
# heat flows and balance
# ---------------------------------------------------------------------------------------------
def _flows_from_terms(grid, temperature, boundaries, terms) -> dict[str, float]:
    xp = grid.backend.xp
    names = boundary_names(boundaries)
    flows: dict[str, float] = {}
    unassigned = 0.0
    for t in terms.values():
        # in float64 whatever the grid's precision: src and coef * T nearly cancel
        q = t.src.astype(xp.float64) - t.coef.astype(xp.float64) * temperature[t.slab].astype(
            xp.float64)
        for index in np.unique(t.owners):
            mask = grid.backend.asarray(t.owners == index)
            value = float(xp.sum(xp.where(mask, q, 0.0)))
            if index < 0:
                unassigned += value
            else:
                flows[names[int(index)]] = flows.get(names[int(index)], 0.0) + value
    for index, b in enumerate(boundaries):
        if isinstance(b, THERMAL_KINDS):
            flows.setdefault(names[index], 0.0)
    if unassigned != 0.0:
        flows["uncovered_faces"] = unassigned
    return flows


def patch_heat_flows(grid, temperature, conductivity, boundaries: Sequence[Boundary],
                     mass_flux=None, specific_heat=None, scheme: str = "upwind") -> dict:
    """Heat flow [W] into the domain through each patch, from the assembly's discrete fluxes.

    Includes the advected heat (``F cp T``) when ``mass_flux`` is given. Patches that own no face
    report 0; an ``"uncovered_faces"`` entry appears only when flow crosses faces no patch covers.

    Returns
    -------
    dict
        ``{name: W}`` with names from :func:`solver.boundaries.boundary_names`.
    """
    k = _cell_array(grid, conductivity, "conductivity")
    temperature = _cell_array(grid, temperature, "temperature")
    flux = cp = None
    if mass_flux is not None:
        flux = _check_mass_flux(grid, mass_flux)
        cp = _cell_array(grid, specific_heat, "specific_heat")
    terms = _side_terms(grid, k, boundaries, flux, cp, scheme, temperature)
    return _flows_from_terms(grid, temperature, boundaries, terms)


def energy_balance(grid, temperature, conductivity, boundaries, heat_source, mass_flux=None,
                   specific_heat=None, scheme="upwind") -> dict:
    """Global balance: heat generated [W], heat through each patch [W], relative imbalance."""
    xp = grid.backend.xp
    k = _cell_array(grid, conductivity, "conductivity")
    source = _cell_array(grid, heat_source if heat_source is not None else 0.0, "heat_source")
    generated = float(xp.sum(xp.where(k > 0, source * grid.cell_volumes(), 0.0)))
    flows = patch_heat_flows(grid, temperature, k, boundaries, mass_flux, specific_heat, scheme)
    return _balance(generated, flows)


# ---------------------------------------------------------------------------------------------
# solves
# ---------------------------------------------------------------------------------------------
def _linear_settings(settings: LinearSolve | None, symmetric: bool) -> LinearSolve:
    """MG-preconditioned CG (symmetric) or flexible GMRES (advective) with ``rtol = 1e-10`` by
    default; a ``"pcg"`` request on a non-symmetric system is switched to ``"fgmres"``."""
    if settings is None:
        return LinearSolve(method="pcg" if symmetric else "fgmres", rtol=1e-10)
    if not symmetric and settings.method == "pcg":
        return replace(settings, method="fgmres")
    return settings


def _linear_solve(multigrid: Multigrid, rhs, x0, settings: LinearSolve):
    """One multigrid-class solve (warm start ``x0``); returns x and a history entry (dict)."""
    # absolute floor near round-off of the equation's terms (warm starts make rtol too strict)
    xp = array_namespace(rhs)
    floor = 5.0 * float(np.finfo(rhs.dtype).eps) * float(
        xp.linalg.norm(multigrid.stencil.diag * x0))
    if settings.atol < floor:
        settings = replace(settings, atol=floor)
    residuals: list[float] = []
    x, info = multigrid.solve(rhs, x0, settings, residuals)
    return x, {**asdict(info), "residuals": residuals}


def _initial_temperature(boundaries, settings: ConductionSolve) -> float:
    if settings.initial_temperature is not None:
        return float(settings.initial_temperature)
    values = []
    for b in boundaries:
        if isinstance(b, FixedTemperature | Inlet) and not callable(b.temperature):
            values.append(float(b.temperature))
        elif isinstance(b, Convection):
            values.append(float(b.ambient_temperature))
    return float(np.mean(values)) if values else 300.0


def _report(progress, iteration: int, change: float, monitors: dict) -> None:
    if progress is None:
        return
    if hasattr(progress, "update"):
        progress.update(iteration, {"temperature_change_K": change}, monitors)
    else:
        progress(iteration, {"temperature_change_K": change}, monitors)


def _solve_thermal(grid, conductivity, boundaries, heat_source, settings, progress,
                   mass_flux=None, specific_heat=None, scheme="upwind", temperature=None):
    xp = grid.backend.xp
    flux = cp = None
    if mass_flux is not None:
        flux = _check_mass_flux(grid, mass_flux)
        cp = _cell_array(grid, specific_heat, "specific_heat")
    variable_k = callable(conductivity)
    iterative = variable_k or (flux is not None and scheme == "tvd")
    if temperature is None:
        temperature = grid.full(_initial_temperature(boundaries, settings))
    else:
        temperature = _cell_array(grid, temperature, "temperature").copy()
    k = _cell_array(grid, conductivity(temperature) if variable_k else conductivity,
                    "conductivity")

    linear_history, outer_history = [], []
    converged = False
    linear_settings = _linear_settings(settings.linear, symmetric=flux is None)
    multigrid = None
    for iteration in range(1, (settings.max_iterations if iterative else 1) + 1):
        stencil, rhs, terms, k, source = _assemble(grid, k, boundaries, heat_source, flux, cp,
                                                   scheme, temperature)
        if iteration == 1 and not any(bool(xp.any(t.coef > 0)) for t in terms.values()):
            raise ValueError("no fixed temperature, convection or inlet touches a conducting "
                             "cell: the steady temperature is not determined")
        # the hierarchy is rebuilt only when the matrix changes (k(T)); the TVD deferred
        # correction changes the right-hand side alone
        rebuild = multigrid is None or variable_k
        if rebuild:
            multigrid = Multigrid(stencil, linear_settings)
        new, entry = _linear_solve(multigrid, rhs, temperature, linear_settings)
        entry["setup_seconds"] = multigrid.setup_seconds if rebuild else 0.0
        linear_history.append(entry)
        if not bool(xp.all(xp.isfinite(new))):
            raise FloatingPointError("the temperature solve produced non-finite values; check "
                                     "conductivities, sources and boundary values for NaN/inf")
        linear_converged = bool(entry.get("converged", True))
        solid = k > 0
        change = float(xp.max(xp.where(solid, xp.abs(new - temperature), 0.0)))
        outer_history.append(change)
        # under-relaxed outer update; the converged field is the last linear solution itself
        done = iterative and change < settings.tolerance
        if done or not iterative or settings.relaxation == 1.0:
            temperature = new
        else:
            temperature = temperature + settings.relaxation * (new - temperature)
        _report(progress, iteration, change, {"max_temperature_K": float(xp.max(
            xp.where(solid, temperature, -xp.inf)))})
        if done:
            converged = linear_converged
            break
        if variable_k:
            k = _cell_array(grid, conductivity(temperature), "conductivity")
    if not iterative:
        converged = linear_converged

    # balance from the coefficients of the last assembly (closes to the linear residual)
    generated = float(xp.sum(xp.where(k > 0, source * grid.cell_volumes(), 0.0),
                             dtype=xp.float64))
    terms = _side_terms(grid, k, boundaries, flux, cp, scheme, temperature)
    flows = _flows_from_terms(grid, temperature, boundaries, terms)
    balance = _balance(generated, flows)
    # empty cells: fill with the lowest conducting-cell temperature
    solid = k > 0
    t_min = xp.min(xp.where(solid, temperature, xp.inf))
    temperature = xp.where(solid, temperature, t_min)
    return temperature, k, balance, linear_history, outer_history, converged


def _balance(generated: float, flows: Mapping[str, float]) -> dict:
    net = generated + sum(flows.values())
    heat_in = max(generated, 0.0) + sum(v for v in flows.values() if v > 0)
    heat_out = -min(generated, 0.0) - sum(v for v in flows.values() if v < 0)
    reference = max(heat_in, heat_out)
    return {
        "heat_generated": generated,
        "patch_heat_flows": dict(flows),
        "net_heat": net,
        "reference_heat": reference,
        "relative_imbalance": abs(net) / reference if reference > 0 else 0.0,
    }


def solve_conduction(grid, conductivity, boundaries: Sequence[Boundary], heat_source=None,
                     settings: ConductionSolve = ConductionSolve(), progress=None,
                     temperature=None) -> ConductionResult:
    """Solve steady heat conduction, with Picard iteration for temperature-dependent conductivity.

    Parameters
    ----------
    grid : Grid
        The grid.
    conductivity : array (nx, ny, nz), float, or callable
        [W/m/K] cell conductivities, or ``k(T)`` mapping a temperature field [K] to them (e.g.
        :func:`material_conductivity`); then ``k`` is re-evaluated and the system reassembled
        and re-solved (warm start) until the largest temperature change is below
        ``settings.tolerance``.
    boundaries : sequence of Boundary
        Patches; at least one fixed temperature or convection must touch a conducting cell.
    heat_source : array (nx, ny, nz), float or None
        [W/m^3] volumetric heat generation (see :func:`chip_heat_source`).
    settings : ConductionSolve
        Outer-loop and linear-solver settings.
    progress : solver.progress.Progress or callable, optional
        Receives ``(iteration, {"temperature_change_K": dT}, monitors)`` after each solve.
    temperature : array (nx, ny, nz), optional
        [K] initial field (warm start).

    Returns
    -------
    ConductionResult
    """
    out = _solve_thermal(grid, conductivity, boundaries, heat_source, settings, progress,
                         temperature=temperature)
    return ConductionResult(*out)


def solve_energy(grid, conductivity, boundaries: Sequence[Boundary], heat_source, mass_flux,
                 specific_heat, scheme: str = "upwind",
                 settings: ConductionSolve = ConductionSolve(relaxation=0.7), progress=None,
                 temperature=None) -> ConductionResult:
    """Solve steady advection-diffusion for a given mass-flux field (see :func:`assemble_energy`).

    Upwind needs one linear solve (plus Picard iterations for a callable conductivity); the TVD
    scheme iterates its deferred correction until the largest temperature change is below
    ``settings.tolerance`` [K]; the default under-relaxation 0.7 avoids limiter limit cycles.
    Parameters as in :func:`assemble_energy` and :func:`solve_conduction`; the energy balance
    includes the advected heat ``F cp T``.
    """
    out = _solve_thermal(grid, conductivity, boundaries, heat_source, settings, progress,
                         mass_flux, specific_heat, scheme, temperature)
    return ConductionResult(*out)


def material_conductivity(material_ids, materials: Mapping[int, object] | Sequence[object],
                          backend=None) -> Callable:
    """Conductivity field ``k(T)`` [W/m/K] from material ids and materials with ``conductivity(T)``.

    Parameters
    ----------
    material_ids : int array (nx, ny, nz)
        Material id per cell; -1 (or any id without a material) is empty (k = 0).
    materials : mapping id -> material, or sequence indexed by id
        Objects with a ``conductivity(T)`` method (T [K] array -> W/m/K).
    backend : Backend, optional
        Where the ids live; defaults to the array namespace of the temperature passed in.

    Returns
    -------
    callable
        ``k(T)`` taking a temperature field [K] and returning the conductivity field.
    """
    items = materials.items() if isinstance(materials, Mapping) else enumerate(materials)
    items = list(items)

    def conductivity(temperature):
        xp = array_namespace(temperature)
        ids = xp.asarray(material_ids)
        k = xp.zeros_like(temperature)
        # one pass per material, each vectorised over its cells
        for mid, material in items:
            mask = ids == mid
            k = xp.where(mask, xp.asarray(material.conductivity(temperature),
                                          dtype=temperature.dtype), k)
        return k

    del backend
    return conductivity


# ---------------------------------------------------------------------------------------------
# chip heat sources and power maps
# ---------------------------------------------------------------------------------------------
def load_power_map(path: str | Path) -> np.ndarray:
    """Read a power map: a CSV grid of non-negative relative weights over a chip footprint.

    The file holds one row per y-strip and one column per x-strip of equal size; the **first row
    is the lowest y** (the footprint's ``y0`` edge) and the first column the lowest x. Lines
    starting with ``#`` are comments. Only ratios matter (the chip power sets the total).

    Returns
    -------
    numpy.ndarray, shape (n_rows_y, n_columns_x)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"power map {path} not found")
    values = np.loadtxt(path, delimiter=",", comments="#", ndmin=2)
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise ValueError(f"power map {path} must be a non-empty grid of finite numbers")
    if np.any(values < 0) or values.sum() <= 0:
        raise ValueError(f"power map {path} needs non-negative weights with a positive sum")
    return values


def _overlaps(faces: np.ndarray, lo: float, hi: float, n: int) -> np.ndarray:
    """Length [m] of overlap of each cell [faces[i], faces[i+1]] with n equal strips of [lo, hi]."""
    edges = np.linspace(lo, hi, n + 1)
    left = np.maximum(faces[:-1, None], edges[None, :-1])
    right = np.minimum(faces[1:, None], edges[None, 1:])
    return np.clip(right - left, 0.0, None)


def chip_heat_source(grid, material_ids, body_id: int, power: float, footprint=None,
                     power_map=None):
    """Volumetric heat source [W/m^3] spreading ``power`` over a body inside a footprint.

    The power goes to the cells of material ``body_id`` whose x-y extent overlaps the footprint,
    in proportion to (overlapped x-y area x cell height), weighted by the power map when given.
    The discrete total ``sum(q * V)`` equals ``power`` exactly.

    Parameters
    ----------
    grid : Grid
        The grid.
    material_ids : int array (nx, ny, nz)
        Material id per cell (host or backend).
    body_id : int
        Material id of the heated body (e.g. the die).
    power : float
        [W] total power.
    footprint : ((x0, x1), (y0, y1)) or None
        [m] heated rectangle in plan; ``None`` means the whole domain plan.
    power_map : array (ny_map, nx_map), str or Path, optional
        Relative weights over the footprint (see :func:`load_power_map`); area-averaged onto cells.

    Returns
    -------
    array (nx, ny, nz)
        [W/m^3] on the grid's backend.
    """
    ids = material_ids.get() if hasattr(material_ids, "get") else np.asarray(material_ids)
    if footprint is None:
        footprint = (grid.bounds[0], grid.bounds[1])
    (x0, x1), (y0, y1) = footprint
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"chip footprint must have positive size, got {footprint}")
    if power_map is None:
        weights = np.ones((1, 1))
    elif isinstance(power_map, str | Path):
        weights = load_power_map(power_map)
    else:
        weights = np.asarray(power_map, dtype=np.float64)
        if weights.ndim != 2 or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError("power_map must be a 2-D grid of non-negative weights")
    # power-map weight integrated over each cell's plan overlap: Ox @ W^T @ Oy^T
    ox = _overlaps(grid.x_faces, x0, x1, weights.shape[1])
    oy = _overlaps(grid.y_faces, y0, y1, weights.shape[0])
    plan = ox @ weights.T @ oy.T
    share = plan[:, :, None] * grid.widths[2][None, None, :] * (ids == body_id)
    total = share.sum()
    if total <= 0:
        raise ValueError(f"chip power {power} W falls on no cell of body {body_id} inside the "
                         f"footprint {footprint}")
    volumes = np.multiply.outer(np.outer(grid.widths[0], grid.widths[1]), grid.widths[2])
    density = power * share / total / volumes
    return grid.backend.asarray(density, dtype=grid.dtype)
