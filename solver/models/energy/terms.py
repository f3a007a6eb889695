"""Face and boundary terms of the energy equation: face conductances, the boundary coefficients
of every patch on a side or a port, and the advective inflow and outflow terms."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solver.boundaries.flow import Inlet
from solver.boundaries.patches import SIDES, evaluate_face_value, in_plane_axes, side_axis
from solver.boundaries.ports import port_faces
from solver.boundaries.thermal import Convection, FixedTemperature, HeatFlux, face_owners
from solver.numerics.stencil import along_axis

AXIS_NAMES = "xyz"


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------
LO = slice(None, -1)


HI = slice(1, None)


def cell_array(grid, value, what: str):
    """A scalar or (nx, ny, nz) array as a backend array of the grid's dtype and cell shape."""
    xp = grid.backend.xp
    arr = grid.backend.asarray(value, dtype=grid.dtype)
    if arr.ndim == 0:
        return xp.full(grid.shape, float(arr), dtype=grid.dtype)
    if tuple(arr.shape) != grid.shape:
        raise ValueError(f"{what} must have the cell shape {grid.shape}, got {tuple(arr.shape)}")
    return arr


def check_mass_flux(grid, mass_flux):
    shapes = [list(grid.shape) for _ in range(3)]
    for axis in range(3):
        shapes[axis][axis] += 1
    fluxes = []
    for axis, (flux, shape) in enumerate(zip(mass_flux, shapes, strict=True)):
        arr = grid.backend.asarray(flux, dtype=grid.dtype)
        if tuple(arr.shape) != tuple(shape):
            raise ValueError(f"mass flux along {AXIS_NAMES[axis]} must have shape {tuple(shape)}, "
                             f"got {tuple(arr.shape)}")
        fluxes.append(arr)
    return tuple(fluxes)


def check_no_flow_into_empty(grid, conductivity, mass_flux) -> None:
    """Mass must not cross faces of empty cells (their rows are identities)."""
    xp = grid.backend.xp
    empty = conductivity <= 0
    wrong = []
    for axis in range(3):
        pad = [(0, 0)] * 3
        pad[axis] = (1, 0)
        before = xp.pad(empty, pad)
        pad[axis] = (0, 1)
        after = xp.pad(empty, pad)
        touching = before | after  # faces with an empty cell on either side
        wrong.append(xp.any(touching & (mass_flux[axis] != 0)))
    for axis, bad in enumerate(grid.backend.to_host(xp.stack(wrong))):  # one host transfer
        if bad:
            raise ValueError(f"non-zero mass flux on {AXIS_NAMES[axis]}-faces of empty cells "
                             "(conductivity 0); fluxes must vanish outside the fluid")


# ---------------------------------------------------------------------------------------------
# boundary terms (shared by the assembly and the heat-flow report)
# ---------------------------------------------------------------------------------------------
@dataclass
class SideTerms:
    """Per-side linearised boundary heat flow ``q_in = src - coef * T_P`` [W] on each face.

    With convection the advective parts are kept on the device (uploaded once), so that the
    right side can be evaluated at another temperature (the TVD correction on fixed-temperature
    faces) without host transfers: :meth:`source`.
    """

    slab: tuple
    coef: object
    src: object
    owners: np.ndarray
    face_temperature: np.ndarray  # [K] on fixed-temperature/inlet faces, NaN elsewhere (host)
    port: tuple | None = None  # (axis, face index, host mask, is_max) of a port on a geometry face
    fixed: object = None  # device mask of the fixed-temperature/inlet faces (with convection)
    face_value: object = None  # [K] device face temperature there, 0 elsewhere
    port_mask: object = None  # device mask of a port's faces
    diffusive_src: object = None  # [W] src of the diffusive exchange alone (domain sides)
    inflow_src: object = None  # [W] heat advected in through fixed-temperature faces
    outflow: object = None  # [W/K] F cp leaving through each face (TVD only)
    adds_heat: bool = True  # False: src is 0 on every face (known on the host)

    @property
    def has_fixed_faces(self) -> bool:
        """True when some face has a fixed (patch or inlet) temperature."""
        return not np.all(np.isnan(self.face_temperature))

    def source(self, xp, temperature):
        """[W] ``src`` with the TVD face correction evaluated at ``temperature`` [K] (the
        kept ``src`` where no outflow meets a fixed-temperature face)."""
        if self.outflow is None or not self.has_fixed_faces:
            return self.src
        tvd = xp.where(self.fixed, self.outflow * (self.face_value - temperature[self.slab]),
                       0.0)
        advected = self.inflow_src - tvd
        return advected if self.diffusive_src is None else self.diffusive_src + advected


def _kept(kept: dict | None, key, make, *args):
    """``make(*args)``, made once per ``key`` when the caller keeps ``kept`` (host-to-device
    copies of the boundaries' masks and values, valid while the boundaries stay the same)."""
    if kept is None:
        return make(*args)
    if key not in kept:
        kept[key] = make(*args)
    return kept[key]


def _advective_terms(grid, f_in, cp_p, face_t, scheme, t_p, kept=None, key=()):
    """``(coef, src, parts)`` of the advected heat ``F cp T`` through boundary faces
    [W/K, W]; ``parts`` are the :class:`SideTerms` fields that re-evaluate ``src``.

    ``f_in`` [kg/s] is the mass flux into the domain per face, ``face_t`` [K] the face
    temperature on fixed-temperature/inlet faces (NaN elsewhere, host), ``t_p`` the cell
    temperatures (TVD only; ``None``: ``src`` without the TVD face correction); ``kept`` and
    ``key``: see :func:`_kept`.
    """
    xp = grid.backend.xp
    inflow = xp.maximum(f_in, 0.0) * cp_p
    outflow = xp.maximum(-f_in, 0.0) * cp_p
    fixed_host = ~np.isnan(face_t)
    fixed = _kept(kept, (*key, "fixed"), xp.asarray, fixed_host)
    t_fixed = _kept(kept, (*key, "face_value"), xp.asarray, np.where(fixed_host, face_t, 0.0),
                    cp_p.dtype)
    # inflow brings the patch temperature, or the cell's own value (zero gradient)
    src = xp.where(fixed, inflow * t_fixed, 0.0)
    coef = -xp.where(fixed, 0.0, inflow)
    # outflow leaves at the upwind (cell) value ...
    coef = coef + outflow
    parts = {"fixed": fixed, "face_value": t_fixed, "inflow_src": src,
             "outflow": outflow if scheme == "tvd" else None}
    # ... corrected to the known face value on fixed-temperature faces (TVD)
    if scheme == "tvd" and t_p is not None:
        src = src - xp.where(fixed, outflow * (t_fixed - t_p), 0.0)
    return coef, src, parts


def side_terms(grid, conductivity, boundaries, mass_flux=None, cp=None, scheme="upwind",
                temperature=None, kept: dict | None = None) -> dict[str, SideTerms]:
    """The boundary terms of every domain side and port (:class:`SideTerms`) for the
    conductivity [W/m/K], mass fluxes [kg/s] and cp [J/kg/K] given, with the TVD face correction
    at ``temperature`` [K] when given; ``kept``: a dict the caller keeps while ``boundaries``
    stay the same, holding what was copied to the device (masks, face values) for the next
    call."""
    xp = grid.backend.xp
    asarray = grid.backend.asarray
    terms = {}
    for side in SIDES:
        axis, is_max = side_axis(side)
        slab = along_axis(axis, -1 if is_max else 0)
        a, b = in_plane_axes(side)
        owners = face_owners(grid, boundaries, side)
        area = _kept(kept, (side, "area"), asarray, np.outer(grid.widths[a], grid.widths[b]),
                     grid.dtype)
        half = 0.5 * float(grid.widths[axis][-1 if is_max else 0])
        k_p = conductivity[slab]
        coef = xp.zeros_like(k_p)
        src = xp.zeros_like(k_p)
        face_t = np.full(owners.shape, np.nan)
        parts = {}
        exchange = False  # some face exchanges heat with its patch

        # diffusive exchange with the patch, one boundary kind at a time
        for index in np.unique(owners[owners >= 0]):
            bnd = boundaries[int(index)]
            mask_host = owners == index
            mask = _kept(kept, (side, int(index), "mask"), asarray, mask_host)
            if isinstance(bnd, FixedTemperature | Inlet):
                t_b = evaluate_face_value(bnd.temperature, grid, side)
                face_t[mask_host] = t_b[mask_host]
                if isinstance(bnd, Inlet) and mass_flux is not None:
                    # inflow condition: the upstream plenum is at T_inlet, the heat crossing
                    # the face is the advected F cp T_inlet alone (no diffusion back out)
                    continue
                exchange = True
                g = area * k_p / half
                coef += xp.where(mask, g, 0.0)
                t_device = _kept(kept, (side, int(index), "temperature"), asarray, t_b,
                                 grid.dtype)
                src += xp.where(mask, g * t_device, 0.0)
            elif isinstance(bnd, Convection):
                # series resistance 1/h + d/k between ambient and cell centre
                exchange = True
                den = k_p + bnd.h * half
                g = area * bnd.h * k_p / xp.where(den > 0, den, 1.0)
                coef += xp.where(mask, g, 0.0)
                src += xp.where(mask, g * bnd.ambient_temperature, 0.0)
            elif isinstance(bnd, HeatFlux):
                exchange = True
                q = _kept(kept, (side, int(index), "heat_flux"), asarray,
                          evaluate_face_value(bnd.heat_flux, grid, side), grid.dtype)
                src += xp.where(mask & (k_p > 0), q * area, 0.0)
            # Adiabatic and Outlet: no diffusive flux

        # advective inflow/outflow through the side
        if mass_flux is not None:
            f_face = mass_flux[axis][slab]
            t_p = None if temperature is None else temperature[slab]
            d_coef, d_src, parts = _advective_terms(grid, -f_face if is_max else f_face,
                                                    cp[slab], face_t, scheme, t_p, kept, (side,))
            coef += d_coef
            parts["diffusive_src"] = src
            src = src + d_src
        adds_heat = exchange or (mass_flux is not None and not np.all(np.isnan(face_t)))
        terms[side] = SideTerms(slab, coef, src, owners, face_t, adds_heat=adds_heat, **parts)
    if mass_flux is not None:
        terms.update(_port_terms(grid, boundaries, mass_flux, cp, scheme, temperature, kept))
    return terms


def _port_terms(grid, boundaries, mass_flux, cp, scheme, temperature,
                kept=None) -> dict[str, SideTerms]:
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
        axis, face, inner, mask = _kept(kept, (index, "port_faces"), port_faces, grid,
                                        bnd.patch, cp > 0)
        _, is_max = side_axis(bnd.patch.side)
        slab = along_axis(axis, inner)
        face_t = np.full(mask.shape, np.nan)
        if isinstance(bnd, Inlet):
            face_t[mask] = evaluate_face_value(bnd.temperature, grid, bnd.patch.side)[mask]
        f_face = mass_flux[axis][along_axis(axis, face)]
        port_mask = _kept(kept, (index, "port_mask"), xp.asarray, mask)
        f_in = xp.where(port_mask, -f_face if is_max else f_face, 0.0)
        t_p = None if temperature is None else temperature[slab]
        coef, src, parts = _advective_terms(grid, f_in, cp[slab], face_t, scheme, t_p, kept,
                                            (index,))
        terms[f"port_{index}"] = SideTerms(slab, coef, src, np.where(mask, index, -1), face_t,
                                            (axis, face, mask, is_max), port_mask=port_mask,
                                            adds_heat=isinstance(bnd, Inlet), **parts)
    return terms


def cut_port_faces(grid, terms, faces, axis: int, interior: bool = False):
    """A copy of ``faces`` (values on the faces normal to ``axis``: all of them, or only the
    interior ones) that is 0 on the faces of ports on geometry faces."""
    xp = grid.backend.xp
    faces = faces.copy()
    for t in terms.values():
        if t.port is None or t.port[0] != axis:
            continue
        face = t.port[1]
        at = along_axis(axis, face - 1 if interior else face)
        faces[at] = xp.where(t.port_mask, 0.0, faces[at])
    return faces


# ---------------------------------------------------------------------------------------------
# face conductances
# ---------------------------------------------------------------------------------------------
def face_conductance(grid, conductivity, axis: int):
    """Harmonic-mean conductances [W/K] of the interior faces normal to ``axis``."""
    xp = grid.backend.xp
    half = 0.5 * grid.width_array(axis)
    lo, hi = along_axis(axis, LO), along_axis(axis, HI)
    k_lo, k_hi = conductivity[lo], conductivity[hi]
    # A / (d_P/k_P + d_N/k_N) written without divisions by a zero conductivity
    den = half[lo] * k_hi + half[hi] * k_lo
    return grid.face_areas(axis) * k_lo * k_hi / xp.where(den > 0, den, 1.0)
