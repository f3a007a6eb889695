"""One momentum component on the staggered grid: coefficients, deferred-correction TVD
convection, boundary conditions and the red-black relaxation of its equation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from solver.boundaries.flow import INLET, OUTLET, WALL
from solver.models.flow.staggered import (
    FIRST,
    INTERIOR,
    LAST,
    LOWER,
    UPPER,
    along_axis,
    half_widths,
    pad_edge,
    pad_zero,
)
from solver.numerics.cuda import THREADS, launch_blocks
from solver.numerics.graphs import keep_in_place
from solver.numerics.pointwise import Pointwise
from solver.numerics.stencil import NEIGHBOURS, Stencil7

if TYPE_CHECKING:  # annotations only: the module above imports this one
    from solver.models.flow.simplec import FlowSolver


def _under_relax(phi, alpha, diag, rhs):
    diag /= alpha
    rhs += (1.0 - alpha) * diag * phi


# implicit under-relaxation by alpha (identity rows stay consistent)
_UNDER_RELAX = Pointwise("under_relax", "T phi, T alpha", "T diag, T rhs",
                         "diag = diag / alpha; rhs += ((T)1 - alpha) * diag * phi",
                         _under_relax)


def _correction_simplec(area, active, diag, xm, xp, ym, yp, zm, zp, d):
    d[...] = area * active / (diag - xm - xp - ym - yp - zm - zp)


def _correction_simple(area, active, diag, d):
    d[...] = area * active / diag


# velocity-correction coefficient d = A / (a_P - sum a_nb) (SIMPLEC) or A / a_P (SIMPLE)
_CORRECTION_SIMPLEC = Pointwise(
    "correction_simplec", "T area, T active, T diag, T xm, T xp, T ym, T yp, T zm, T zp", "T d",
    "d = area * active / (diag - xm - xp - ym - yp - zm - zp)", _correction_simplec)
_CORRECTION_SIMPLE = Pointwise("correction_simple", "T area, T active, T diag", "T d",
                               "d = area * active / diag", _correction_simple)


# the convection schemes of the deferred correction -F (phi_face_TVD - phi_face_upwind), by
# their index in the kernel momentum_tvd_correction (numerics/kernels/convection.cu)
TVD_SCHEMES = ("van_leer", "minmod", "linear_upwind")


def _fixed_faces(*arrays):
    fixed, active, (own_active, own_fixed, rhs, diag, *couplings) = (
        arrays[:6], arrays[6:12], arrays[12:])
    for coupling, value, mask in zip(couplings, fixed, active, strict=True):
        rhs += coupling * value
        coupling *= mask
    np.copyto(diag, 1.0, where=~own_active)
    np.copyto(rhs, own_fixed, where=~own_active)


# couplings to fixed faces (inlets, walls) move to the right-hand side; the fixed faces
# themselves become identity rows holding their value
_FIXED_FACES = Pointwise(
    "fixed_faces", ", ".join([f"T fixed_{n}" for n in NEIGHBOURS]
                             + [f"T active_{n}" for n in NEIGHBOURS]
                             + ["bool own_active", "T own_fixed"]),
    ", ".join(["T rhs", "T diag"] + [f"T {n}" for n in NEIGHBOURS]),
    " ".join(f"rhs += {n} * fixed_{n}; {n} *= active_{n};" for n in NEIGHBOURS)
    + " if (!own_active) { diag = (T)1; rhs = own_fixed; }",
    _fixed_faces)


def _add_links(plus, minus, diag):
    diag += plus
    diag += minus


# the links along the component's own axis into the diagonal (``plus`` is zero on the last
# layer, ``minus`` on the first)
_ADD_LINKS = Pointwise("add_links", "T plus, T minus", "T diag", "diag = (diag + plus) + minus",
                       _add_links)


def _add_cross_links(plus, wall_lower, minus, wall_upper, diag):
    diag += plus + wall_lower
    diag += minus + wall_upper


# the links across the axis and the wall diffusion of both sides into the diagonal (cell
# aligned: zero beyond the last face above and the first face below)
_ADD_CROSS_LINKS = Pointwise(
    "add_cross_links", "T plus, T wall_lower, T minus, T wall_upper", "T diag",
    "diag = (diag + (plus + wall_lower)) + (minus + wall_upper)", _add_cross_links)


def _upwind(x: str) -> str:
    """CUDA for ``max(x, 0)`` (the upwind part of a face mass flux)."""
    return f"({x} > (T)0 ? {x} : (T)0)"


def _cross_links(face_flux, link_plus, link_minus, keep_lower, keep_upper, plus, minus):
    plus[...] = (link_plus + np.maximum(-face_flux, 0.0)) * keep_lower
    minus[...] = (link_minus + np.maximum(face_flux, 0.0)) * keep_upper


def _links_cuda(link_plus: str, link_minus: str, lower: str, upper: str) -> str:
    """CUDA of :func:`_cross_links`: upwind + diffusion, kept by the masks of each side."""
    return (f"plus = ({link_plus} + {_upwind('-face_flux')}) * {lower};"
            f" minus = ({link_minus} + {_upwind('face_flux')}) * {upper}")


# links across the component's axis (none into solid: the wall is then half a cell off); the
# diffusion of each side's link holds the quadratic wall gradient's pull (wall_factors)
_CROSS_LINKS = Pointwise(
    "momentum_cross_links",
    "T face_flux, T link_plus, T link_minus, T keep_lower, T keep_upper", "T plus, T minus",
    _links_cuda("link_plus", "link_minus", "keep_lower", "keep_upper"), _cross_links)


def _own_links(flux_lower, flux_upper, diffusion, fluid, face_flux, plus, minus):
    face_flux[...] = 0.5 * (flux_lower + flux_upper)
    _cross_links(face_flux, diffusion, diffusion, fluid, fluid, plus, minus)


# links along the component's own axis: the face flux, then the links as across the axis
# with the fluid mask on both sides (no link through an outlet port's ghost)
_OWN_LINKS = Pointwise(
    "momentum_own_links", "T flux_lower, T flux_upper, T diffusion, T fluid",
    "T face_flux, T plus, T minus",
    "face_flux = (T)0.5 * (flux_lower + flux_upper); "
    + _links_cuda("diffusion", "diffusion", "fluid", "fluid"), _own_links)


def _backflow(outward, phi, diag):
    diag += np.maximum(-outward * phi, 0.0)


# reverse flow through a pressure outlet enters from the outlet's total pressure: the ghost
# pressure is p_out - rho u^2 / 2 there, i.e. the force rho |u| u A / 2 against the inflow,
# implicit in the diagonal (``outward`` = +-rho A / 2, signed along the outward normal); outflow
# is unchanged (the usual pressure-outlet treatment of backflow, as Fluent's default and
# OpenFOAM's totalPressure). Without it a backflow face's equation keeps only its viscous link
# and the steady iteration lets reverse flow grow without bound.
_BACKFLOW = Pointwise("outlet_backflow", "T outward, T phi", "T diag",
                      f"diag += {_upwind('-outward * phi')}", _backflow)


def _cross_diagonal_ports(link, wall, face_flux, sign, keep, diag):
    diag += link + wall
    diag += np.maximum(sign * face_flux, 0.0) * (1.0 - keep)


# one side of the faces across the axis with inlet ports: link + wall diffusion and the
# inflow through a port, which brings zero tangential momentum (sign -1 on the lower side,
# +1 on the upper)
_CROSS_DIAGONAL_PORTS = Pointwise(
    "momentum_cross_diagonal_ports", "T link, T wall, T face_flux, T sign, T keep", "T diag",
    f"diag += link + wall; diag += {_upwind('sign * face_flux')} * ((T)1 - keep)",
    _cross_diagonal_ports)


def _side(diffusion, inlet, nodes, sign, speed, diag, rhs):
    diag += diffusion + inlet * np.maximum(sign * nodes, 0.0)
    rhs += diffusion * speed


# a domain side across the axis: no-slip at the wall velocity with inflow, or zero shear
_SIDE = Pointwise(
    "momentum_side", "T diffusion, T inlet, T nodes, T sign, T speed", "T diag, T rhs",
    f"diag += diffusion + inlet * {_upwind('sign * nodes')}; rhs += diffusion * speed",
    _side)


def _face_average(lower, upper, out):
    out[...] = 0.5 * (lower + upper)


# mean of two neighbouring values (cross-axis fluxes onto the component's nodes)
_FACE_AVERAGE = Pointwise("face_average", "T lower, T upper", "T out",
                          "out = (T)0.5 * (lower + upper)", _face_average)


def wall_geometry(xp, widths, centers, d: int, active, walls_below, walls_above, line,
                  quadratic: bool) -> dict:
    """Where and how the wall shear across axis ``d`` is taken (see :func:`wall_factors`).

    A node whose wall lies half a cell off (``delta1 = w / 2``) takes the wall's velocity
    gradient either from itself alone, ``u1 / delta1`` (``"linear"``: first order at the wall),
    or (``quadratic``) from the parabola through the wall, itself and the next node away from
    the wall at ``delta2 = delta1 + s`` (``s`` the node spacing), where that node is an unknown
    too (two or more cells across the passage): ``du/dn = c1 u1 - c2 u2`` with
    ``c1 = delta2 / (delta1 s)`` and ``c2 = delta1 / (delta2 s)``, exact for a parabolic
    profile (plane Poiseuille flow).

    ``widths``, ``centers``: the cells along ``d`` [m]; ``active``: the component's unknown
    nodes; ``walls_below`` / ``walls_above``: pairs of (the interior faces with a shearing wall
    beyond, seen from the wall's upper / lower node; the first / last layer's no-slip side:
    a wall, or an inlet's zero tangential velocity). Returns the node masks
    ``quadratic_above`` / ``quadratic_below`` (a wall above / below taken quadratically) and
    the lines ``half`` (``delta1``), ``step_below`` / ``step_above`` (``s`` to the node below
    / above) [m].
    """
    n = len(widths)
    step = np.diff(centers)
    first = along_axis(d, FIRST)
    geometry = {"half": line(0.5 * widths, d),
                "step_below": line(np.concatenate([[1.0], step]), d),
                "step_above": line(np.concatenate([step, [1.0]]), d)}
    if not quadratic or n < 2:
        geometry["quadratic_above"] = geometry["quadratic_below"] = None
        return geometry
    layer = active[first]  # the side walls' masks cover one layer
    inner, side = walls_below
    below = xp.concatenate([xp.broadcast_to(side, layer.shape), inner], axis=d)
    inner, side = walls_above
    above = xp.concatenate([inner, xp.broadcast_to(side, layer.shape)], axis=d)
    none = xp.zeros_like(layer)
    # the parabola only where the node and its neighbour away from the wall are unknowns
    geometry["quadratic_above"] = above & active & xp.concatenate(
        [none, active[along_axis(d, LOWER)]], axis=d)
    geometry["quadratic_below"] = below & active & xp.concatenate(
        [active[along_axis(d, UPPER)], none], axis=d)
    return geometry


def wall_factors(xp, geometry: dict, side: str, area):
    """The wall's diagonal and pull factors [m] of the nodes with a wall ``side`` ("above" or
    "below") of them, per :func:`wall_geometry`: the node's equation gets ``mu area (c1 - c2)``
    on its diagonal beside its link sum (``mu area / delta1`` where linear) and
    ``mu area c2`` added to its link away from the wall (zero where linear): the links stay
    positive and, as ``c1 > c2``, the row diagonally dominant."""
    half = geometry["half"]
    quadratic = geometry[f"quadratic_{side}"]
    linear = area / half
    if quadratic is None:
        return linear, None
    step = geometry["step_below" if side == "above" else "step_above"]
    far = half + step
    diagonal = xp.where(quadratic, area * (half + far) / (half * far), linear)
    pull = xp.where(quadratic, area * half / (far * step), 0.0)
    return diagonal, pull


class Component:
    """Geometry, masks and work arrays of the momentum equation of one velocity component."""

    def __init__(self, solver: FlowSolver, axis: int):
        grid, xp = solver.grid, solver.xp
        self.xp = xp
        self.axis = a = axis
        shape = list(grid.shape)
        shape[a] += 1
        self.shape = tuple(shape)
        line = solver.broadcast_line
        widths, centers, faces = grid.widths, grid.centers, grid.faces
        others = [d for d in range(3) if d != a]
        fluid = solver.fluid

        # unknown faces: both neighbours fluid; boundary faces only on pressure outlets
        fluid_pad = pad_zero(xp, fluid, a)
        self.active = fluid_pad[along_axis(a, LOWER)] & fluid_pad[along_axis(a, UPPER)]
        self.fixed = xp.zeros(self.shape, dtype=solver.dtype)
        # openings normal to this axis (domain sides and ports): outlet faces are unknowns,
        # inlet faces fixed at the inflow velocity (signed along +axis)
        outlets = []
        for opening in solver.conditions.openings(a):
            layer = along_axis(a, slice(opening.face, opening.face + 1))
            inner = opening.face - 1 if opening.is_max else opening.face
            wet = fluid[along_axis(a, slice(inner, inner + 1))]
            outlet = xp.asarray(np.expand_dims(opening.kind == OUTLET, a)) & wet
            self.active[layer] |= outlet
            if bool(xp.any(outlet)):
                outlets.append((layer, outlet, 1.0 if opening.is_max else -1.0))
            inlet = np.expand_dims(opening.kind == INLET, a)
            inflow = np.expand_dims(opening.inflow_velocity, a)
            signed = xp.asarray(-inflow if opening.is_max else inflow, dtype=solver.dtype)
            self.fixed[layer] = xp.where(xp.asarray(inlet), signed, self.fixed[layer])
        self.outlet_pressure = {
            is_max: xp.asarray(np.expand_dims(solver.conditions.sides[side].pressure, a),
                               dtype=solver.dtype)
            for is_max, side in ((False, f"{'xyz'[a]}_min"), (True, f"{'xyz'[a]}_max"))}
        self.active_f = self.active.astype(solver.dtype)
        # the cell pressure [Pa] with the outlet pressure beyond both ends of the axis (the
        # interior refreshed before each assembly)
        self.pressure_padded = xp.concatenate(
            [self.outlet_pressure[False], xp.zeros(grid.shape, dtype=solver.dtype),
             self.outlet_pressure[True]], axis=a)

        # pressure-force area and control volume
        self.area = line(widths[others[0]], others[0]) * line(widths[others[1]], others[1])
        half = line(half_widths(widths[a]), a)
        if solver.has_outlet_ports:
            # an outlet port's control volume ends at the port, as on a domain side
            fluid_half = pad_zero(xp, solver.fluid_f * line(0.5 * widths[a], a), a)
            half = xp.where(self.active, fluid_half[along_axis(a, LOWER)]
                            + fluid_half[along_axis(a, UPPER)], half)
        self.volume = half * self.area
        # per outlet layer: rho A / 2 signed along the outward normal on its outlet faces
        area = xp.broadcast_to(self.area, self.shape)
        self.backflow = [(layer, xp.where(outlet, 0.5 * sign * solver.density * area[layer],
                                          0.0).astype(solver.dtype))
                         for layer, outlet, sign in outlets]

        # per direction: geometry of the viscous coefficients and the convection stencil
        self.directions = []
        solid = ~fluid
        solid_node = pad_edge(xp, solid, a)
        solid_node = solid_node[along_axis(a, LOWER)] & solid_node[along_axis(a, UPPER)]
        for d in range(3):
            shear_node = solid_node
            if d != a and solver.has_outlet_ports:
                # beyond an outlet port (normal d) there is no wall: zero shear, as on a side
                ghost = pad_edge(xp, solver.outlet_ghosts[d], a)
                shear_node = solid_node & ~(ghost[along_axis(a, LOWER)]
                                            & ghost[along_axis(a, UPPER)])
            info = {"axis": d}
            if d == a:
                b, c = others
                info["g"] = (line(widths[b], b) * line(widths[c], c)) / line(widths[a], a)
                node_x = faces[a]
                face_x = centers[a]
            else:
                c = 3 - a - d
                cross = half * line(widths[c], c)

                def at(s, cross=cross, d=d):
                    # nodes along d (a per-node cross section with outlet ports, else a line)
                    return cross[along_axis(d, s)] if cross.shape[d] == self.shape[d] else cross

                info["g"] = 0.5 * (at(LOWER) + at(UPPER)) / line(np.diff(centers[d]), d)
                # a solid layer beyond the face: wall half a cell from the node
                info["wall_lower"] = solid_node[along_axis(d, UPPER)]
                info["wall_upper"] = solid_node[along_axis(d, LOWER)]
                info["keep_lower"] = (~info["wall_lower"]).astype(solver.dtype)
                info["keep_upper"] = (~info["wall_upper"]).astype(solver.dtype)
                info["shear_lower"] = shear_node[along_axis(d, UPPER)]
                info["shear_upper"] = shear_node[along_axis(d, LOWER)]
                for tag, side in (("min", f"{'xyz'[d]}_min"), ("max", f"{'xyz'[d]}_max")):
                    cond = solver.conditions.sides[side]
                    kind = np.expand_dims(cond.kind, d)
                    noslip = (kind == WALL) | (kind == INLET)
                    inlet = kind == INLET
                    speed = np.expand_dims(cond.wall_velocity[a], d) * noslip
                    info[f"noslip_{tag}"] = self._to_nodes(xp, noslip, a, np.logical_or, solver)
                    info[f"inlet_{tag}"] = self._to_nodes(xp, inlet, a, np.logical_or, solver)
                    info[f"wall_speed_{tag}"] = self._to_nodes(xp, speed, a, None, solver)
                info["wall_area"] = at(slice(None))
                info["walls"] = wall_geometry(
                    xp, widths[d], centers[d], d, self.active,
                    (info["shear_upper"], info["noslip_min"] > 0),
                    (info["shear_lower"], info["noslip_max"] > 0), line,
                    quadratic=solver.settings.wall_gradient == "quadratic")
                node_x = centers[d]
                face_x = faces[d][1:-1]
            # node and face coordinates for the TVD correction (mirrored ghost nodes)
            step_lo = node_x[1] - node_x[0] if node_x.size > 1 else widths[d][0]
            step_hi = node_x[-1] - node_x[-2] if node_x.size > 1 else widths[d][-1]
            pad = np.concatenate([[node_x[0] - step_lo], node_x, [node_x[-1] + step_hi]])
            info["x_lower"] = line(pad[1:-2], d)
            info["x_upper"] = line(pad[2:-1], d)
            info["x_lower2"] = line(pad[:-3], d)
            info["x_upper2"] = line(pad[3:], d)
            info["x_face"] = line(face_x, d)
            if d == a and (solver.has_outlet_ports or solver.has_inlet_ports):
                fluid_edge = pad_edge(xp, fluid, a)
                info["fluid_before"] = fluid_edge[along_axis(a, slice(None, -2))]
                info["fluid_after"] = fluid_edge[along_axis(a, slice(2, None))]
            if d != a:
                # across the flow a node inside solid is no upwind value (wall half a cell off):
                # the correction falls back to upwind there, as on a cropped boundary
                info["usable"] = pad_edge(xp, self.active_f, d)
            self.directions.append(info)

        # neighbour masks: couplings to fixed faces move to the right-hand side
        self.neighbour_active = {}
        self.neighbour_fixed = {}
        fixed_only = xp.where(self.active, 0.0, self.fixed)
        for name in NEIGHBOURS:
            d, offset = {"x_minus": (0, -1), "x_plus": (0, 1), "y_minus": (1, -1),
                         "y_plus": (1, 1), "z_minus": (2, -1), "z_plus": (2, 1)}[name]
            lower, upper = along_axis(d, LOWER), along_axis(d, UPPER)
            dst, src = (upper, lower) if offset < 0 else (lower, upper)
            mask = xp.zeros(self.shape, dtype=solver.dtype)
            value = xp.zeros(self.shape, dtype=solver.dtype)
            mask[dst] = self.active_f[src]
            value[dst] = fixed_only[src]
            self.neighbour_active[name] = mask
            self.neighbour_fixed[name] = value

        self.residual = xp.zeros(self.shape, dtype=solver.dtype)  # b - A u of the assembly

        # the diagonal and the right-hand side in one block: cleared by one pass per assembly
        self._accumulated = xp.zeros((2, *self.shape), dtype=solver.dtype)
        self.stencil = Stencil7(self._accumulated[0], *(xp.zeros(self.shape, dtype=solver.dtype)
                                                        for _ in range(6)))
        self.rhs = self._accumulated[1]
        self.d_coefficient = xp.zeros(self.shape, dtype=solver.dtype)
        self.d_frozen = xp.zeros(self.shape, dtype=solver.dtype)

    def set_cross_viscosity(self, info, mu_nodes) -> None:
        """The viscous couplings across the axis of ``info`` for the viscosity ``mu_nodes``
        [Pa s] at the component's nodes: the links of each face (``link_plus`` from its lower
        node, ``link_minus`` from its upper node), the wall diffusion of the interior walls and
        of the domain sides (:func:`wall_factors`) [kg/s]."""
        xp, d = self.xp, info["axis"]
        lower, upper = along_axis(d, LOWER), along_axis(d, UPPER)
        mu_lower, mu_upper = mu_nodes[lower], mu_nodes[upper]
        area, walls = info["wall_area"], info["walls"]
        above, pull_above = wall_factors(xp, walls, "above", area)
        below, pull_below = wall_factors(xp, walls, "below", area)
        diffusion = 0.5 * (mu_lower + mu_upper) * info["g"]
        first, last = along_axis(d, FIRST), along_axis(d, LAST)
        wall_lower = xp.where(info["shear_lower"], mu_lower * above[lower], 0.0)
        wall_upper = xp.where(info["shear_upper"], mu_upper * below[upper], 0.0)
        values = {
            "link_plus": diffusion if pull_above is None else (
                diffusion + mu_lower * pull_below[lower]),
            "link_minus": diffusion if pull_above is None else (
                diffusion + mu_upper * pull_above[upper]),
            "wall_lower_diffusion": wall_lower, "wall_upper_diffusion": wall_upper,
            # the same on the cells beside the wall faces (the diagonal's wall terms)
            "walls_cells_lower": pad_zero(xp, wall_lower, d)[along_axis(d, UPPER)],
            "walls_cells_upper": pad_zero(xp, wall_upper, d)[along_axis(d, LOWER)],
            "diffusion_min": info["noslip_min"] * mu_nodes[first] * below[first],
            "diffusion_max": info["noslip_max"] * mu_nodes[last] * above[last]}
        for key, value in values.items():
            keep_in_place(info, key, value)

    @staticmethod
    def _to_nodes(xp, cell_values, a, combine, solver):
        """Side values of the cells (f-1, f) combined onto the face nodes along axis ``a``."""
        pad = np.concatenate([np.take(cell_values, [0], axis=a), cell_values,
                              np.take(cell_values, [-1], axis=a)], axis=a)
        lower = np.take(pad, np.arange(pad.shape[a] - 1), axis=a)
        upper = np.take(pad, np.arange(1, pad.shape[a]), axis=a)
        if combine is None:
            values = 0.5 * (lower + upper)
        else:
            values = combine(lower, upper)
        return xp.asarray(values, dtype=solver.dtype)

    def add_backflow_resistance(self, phi) -> None:
        """Reverse flow [m/s] through outlet faces enters from the outlet's total pressure:
        ``rho |u| A / 2`` onto those faces' diagonal (outflow is untouched)."""
        for layer, outward in self.backflow:
            _BACKFLOW(self.xp, outward, phi[layer], self.stencil.diag[layer])

    def under_relax(self, phi, alpha: float) -> None:
        """Under-relax the assembled equation of ``phi`` [m/s] implicitly by ``alpha``."""
        _UNDER_RELAX(self.xp, phi, alpha, self.stencil.diag, self.rhs)

    def sweep_arguments(self, phi) -> tuple:
        """The arguments of one field of ``rbgs_residual_colour`` (kernels/smoothers.cu)."""
        st = self.stencil
        return (st.diag, *(st.neighbour(name) for name in NEIGHBOURS), self.rhs, self.active_f,
                phi)

    def store_correction(self, simplec: bool) -> None:
        """The velocity-correction coefficient ``d_coefficient`` [m^2 s/kg] of the relaxed
        equation (SIMPLEC or SIMPLE)."""
        st = self.stencil
        if simplec:
            _CORRECTION_SIMPLEC(self.xp, self.area, self.active_f, st.diag,
                                *(st.neighbour(name) for name in NEIGHBOURS), self.d_coefficient)
        else:
            _CORRECTION_SIMPLE(self.xp, self.area, self.active_f, st.diag, self.d_coefficient)

    def deferred_correction(self, phi, info, face_flux, scheme: str, kernels) -> None:
        """Add ``-F (phi_face_TVD - phi_face_upwind)`` of ``scheme`` along ``info``'s axis to
        the right-hand side, for the face mass fluxes ``face_flux`` [kg/s]: one
        ``momentum_tvd_correction`` kernel call of ``kernels`` (the compiled kernels), each
        cell gathering the corrections of its two faces (the fluxes across the axis read from
        the face nodes, offset by one). A node across a ghost cell (beyond a port) is no
        upwind value: zero slope there (``fluid_before`` / ``fluid_after``); across the flow a
        node in solid neither (``usable``)."""
        xp, d = self.xp, info["axis"]
        if "kernel_arguments" not in info:
            masks = "fluid_before" in info
            no_mask = xp.ones(1, dtype=bool)
            info["kernel_arguments"] = (
                xp.ascontiguousarray(info["fluid_before"]) if masks else no_mask,
                xp.ascontiguousarray(info["fluid_after"]) if masks else no_mask,
                info.get("usable", xp.ones(1, dtype=phi.dtype)),
                *(xp.ascontiguousarray(info[name]).ravel()
                  for name in ("x_lower", "x_upper", "x_lower2", "x_upper2", "x_face")),
                int(masks), int("usable" in info))
        before, after, usable, *lines, masks, has_usable = info["kernel_arguments"]
        flux, offset = (face_flux, 0) if d == self.axis else (info["nodes"], 1)
        cells = int(np.prod(self.shape))
        kernels["momentum_tvd_correction"](
            launch_blocks(cells), (THREADS,),
            (phi, xp.ascontiguousarray(flux), before, after, usable, *lines, self.rhs,
             *(np.int32(n) for n in self.shape), np.int32(d), np.int32(offset),
             np.int32(masks), np.int32(has_usable), np.int32(TVD_SCHEMES.index(scheme))))

    def clear(self) -> None:
        """Zero the diagonal and the right-hand side before an assembly (the couplings are
        written, not accumulated)."""
        self._accumulated.fill(0.0)

    def move_fixed_faces(self) -> None:
        """Move the couplings to fixed faces (inlets, walls) to the right-hand side and make
        the fixed faces identity rows holding their values."""
        st = self.stencil
        _FIXED_FACES(self.xp, *(self.neighbour_fixed[n] for n in NEIGHBOURS),
                     *(self.neighbour_active[n] for n in NEIGHBOURS), self.active, self.fixed,
                     self.rhs, st.diag, *(st.neighbour(n) for n in NEIGHBOURS))

    def links(self, info, mass_flux, fluid, inlet_ports: bool):
        """Upwind + diffusion couplings along ``info``'s axis into the stencil (its couplings
        zeroed first), their sum into the diagonal, the side conditions across the axis;
        returns the face mass fluxes [kg/s]. ``mass_flux``: the cell-face fluxes per axis;
        ``fluid``: 1 on fluid cells, 0 beyond outlet ports' ghosts (or the scalar 1)."""
        xp, a, d = self.xp, self.axis, info["axis"]
        st, diag, rhs = self.stencil, self.stencil.diag, self.rhs
        # every coupling inside the grid is written below; those beyond it (the last layer of
        # ``plus``, the first of ``minus``) stay zero from the allocation
        minus, plus = st.neighbour(NEIGHBOURS[2 * d]), st.neighbour(NEIGHBOURS[2 * d + 1])
        lower, upper = along_axis(d, LOWER), along_axis(d, UPPER)
        if d == a:
            flux = mass_flux[a]
            face_flux = info.get("face_flux")
            if face_flux is None:
                face_flux = info["face_flux"] = xp.empty(plus[lower].shape, dtype=diag.dtype)
            _OWN_LINKS(xp, flux[lower], flux[upper], info["diffusion"], fluid, face_flux,
                       plus[lower], minus[upper])
            _ADD_LINKS(xp, plus, minus, diag)
            return face_flux
        padded = info.get("flux_padded")
        if padded is None:  # the flux across d, zero beyond both ends of the component's axis
            padded = info["flux_padded"] = pad_zero(xp, mass_flux[d], a)
            info["nodes"] = xp.empty(self.shape[:d] + (self.shape[d] + 1,) + self.shape[d + 1:],
                                     dtype=diag.dtype)
        else:
            xp.copyto(padded[along_axis(a, INTERIOR)], mass_flux[d])
        nodes = info["nodes"]
        _FACE_AVERAGE(xp, padded[along_axis(a, LOWER)], padded[along_axis(a, UPPER)], nodes)
        face_flux = nodes[along_axis(d, INTERIOR)]
        _CROSS_LINKS(xp, face_flux, info["link_plus"], info["link_minus"], info["keep_lower"],
                     info["keep_upper"], plus[lower], minus[upper])
        if inlet_ports:
            _CROSS_DIAGONAL_PORTS(xp, plus[lower], info["wall_lower_diffusion"], face_flux,
                                  -1.0, info["keep_lower"], diag[lower])
            _CROSS_DIAGONAL_PORTS(xp, minus[upper], info["wall_upper_diffusion"], face_flux,
                                  1.0, info["keep_upper"], diag[upper])
        else:
            _ADD_CROSS_LINKS(xp, plus, info["walls_cells_lower"], minus,
                             info["walls_cells_upper"], diag)
        first, last = along_axis(d, FIRST), along_axis(d, LAST)
        _SIDE(xp, info["diffusion_min"], info["inlet_min"], nodes[first], 1.0,
              info["wall_speed_min"], diag[first], rhs[first])
        _SIDE(xp, info["diffusion_max"], info["inlet_max"], nodes[last], -1.0,
              info["wall_speed_max"], diag[last], rhs[last])
        return face_flux


def relax_components(components, velocities, alpha: float, sweeps: int, simplec: bool,
                     kernels) -> None:
    """Under-relax the assembled momentum equations by ``alpha``, run ``sweeps`` red-black
    sweeps on each velocity component [m/s] (each colour update solves its rows exactly; fixed
    faces keep their values) and store the velocity-correction coefficients. ``kernels``: the
    compiled kernels, one ``rbgs_residual_colour`` call per colour sweeping all three
    components (they are independent)."""
    for comp, phi in zip(components, velocities, strict=True):
        comp.under_relax(phi, alpha)
    arguments = [a for comp, phi in zip(components, velocities, strict=True)
                 for a in comp.sweep_arguments(phi)]
    sizes = [np.int32(n) for comp in components for n in comp.shape]
    cells = sum(int(np.prod(comp.shape)) for comp in components)
    for _ in range(sweeps):
        for colour in (0, 1):
            kernels["rbgs_residual_colour"](launch_blocks(cells), (THREADS,),
                                            (*arguments, *sizes, np.int32(colour)))
    for comp in components:
        comp.store_correction(simplec)
