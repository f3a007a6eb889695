"""Set-up: the only place that turns a :class:`~solver.case.Case` into solver objects: grid,
geometry bodies, boundary conditions, flow and cold-plate settings, solid model, the rack
network section, and case variants at another flow, inlet temperature or power."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from solver import boundaries as bc
from solver import geometry
from solver.backend import Backend
from solver.boundaries.patches import SIDES, side_axis
from solver.boundaries.ports import port_faces
from solver.boundaries.thermal import face_owners
from solver.case.bodies import (
    BoxBody,
    ChannelArrayBody,
    Chip,
    CylinderBody,
    FinArrayBody,
    MeshBody,
    PinFinArrayBody,
)
from solver.case.errors import case_error
from solver.case.hashing import case_hash
from solver.case.network import NetworkSection
from solver.case.power_map import load_power_map
from solver.case.schema import Case
from solver.case.sections import spacing_per_axis
from solver.case.validate import body_bounds
from solver.grid import generation as meshing
from solver.grid.grid import Grid
from solver.models.coldplate.model import ColdPlate
from solver.models.coldplate.monitors import ColdPlateSettings, MonitorSettings
from solver.models.conduction import SolidModel
from solver.models.energy.sources import chip_cells, chip_heat_source
from solver.models.flow.settings import FlowSettings
from solver.models.flow.time_stepping import TimeSettings


def geometry_body(body, case_dir: Path | None = None):
    """The :mod:`solver.geometry` object for a case body (SI metres).

    Parameters
    ----------
    body : BoxBody, CylinderBody, FinArrayBody, PinFinArrayBody, ChannelArrayBody or MeshBody
        A validated case body; its ``material`` name is passed through unchanged (``"coolant"``
        for fluid regions).
    case_dir : Path, optional
        Directory that relative mesh paths are resolved against (default: working directory).

    Returns
    -------
    solver.geometry.Box, Cylinder, FinArray, PinFinArray, ChannelArray or MeshSolid

    Raises
    ------
    solver.geometry.GeometryError
        For a mesh file that is missing, unreadable, not watertight or degenerate.
    """
    common = {"material": body.material, "name": body.name}
    if isinstance(body, BoxBody):
        return geometry.Box(tuple(body.min), tuple(body.max), **common)
    if isinstance(body, CylinderBody):
        return geometry.Cylinder(tuple(body.base_center), body.axis, body.radius, body.length,
                                 **common)
    if isinstance(body, FinArrayBody):
        return geometry.FinArray(tuple(body.min), tuple(body.max), body.count, body.thickness,
                                 stack_axis=body.stack_axis, **common)
    if isinstance(body, PinFinArrayBody):
        return geometry.PinFinArray(tuple(body.min), tuple(body.max), body.diameter,
                                    tuple(body.pitch), axis=body.axis, shape=body.pin_shape,
                                    staggered=body.staggered, **common)
    if isinstance(body, ChannelArrayBody):
        return geometry.ChannelArray(tuple(body.min), tuple(body.max), body.count, body.width,
                                     direction=body.direction, **common)
    if isinstance(body, MeshBody):
        path = Path(body.file)
        if not path.is_absolute():
            path = (case_dir or Path.cwd()) / path
        return geometry.MeshSolid(path, body.material, scale=body.scale,
                                  translate=tuple(body.translate), name=body.name)
    raise TypeError(f"unknown body type {type(body).__name__}")


def boundary_conditions(case: Case) -> list:
    """The case's boundaries as :mod:`solver.boundaries` objects, in file order.

    File order matters: where patches overlap, later ones override earlier ones (per equation).

    Returns
    -------
    list of solver.boundaries.FixedTemperature, HeatFlux, Convection, Adiabatic, Inlet, Outlet,
    Wall or Symmetry
    """
    result = []
    for boundary in case.boundaries:
        region = None
        if boundary.region is not None:
            region = tuple(zip(boundary.region.min, boundary.region.max, strict=True))
        patch = bc.Patch(boundary.side, region, boundary.port_plane)
        name = {"name": boundary.name}
        kind = boundary.type
        if kind == "temperature":
            result.append(bc.FixedTemperature(patch, boundary.temperature, **name))
        elif kind == "heat_flux":
            result.append(bc.HeatFlux(patch, boundary.heat_flux, **name))
        elif kind == "convection":
            result.append(bc.Convection(patch, boundary.h, boundary.ambient_temperature, **name))
        elif kind == "adiabatic":
            result.append(bc.Adiabatic(patch, **name))
        elif kind == "inlet":
            result.append(bc.Inlet(patch, velocity=boundary.velocity,
                                   volumetric_flow=boundary.volumetric_flow,
                                   mass_flow=boundary.mass_flow,
                                   temperature=boundary.temperature, **name))
        elif kind == "outlet":
            result.append(bc.Outlet(patch, boundary.pressure, **name))
        elif kind == "wall":
            result.append(bc.Wall(patch, **name))
        elif kind == "symmetry":
            result.append(bc.Symmetry(patch, **name))
        else:
            raise TypeError(f"unknown boundary type {kind!r}")
    return result


def flow_settings(case: Case):
    """``[solver.flow]`` as :class:`solver.models.flow.FlowSettings`.

    ``"tvd"`` maps to van Leer; the flow solver's single residual tolerance is the smaller of the
    continuity and momentum tolerances (the energy tolerance and the monitors are applied by the
    conjugate driver).
    """
    settings = case.solver.flow
    scheme = "van_leer" if settings.scheme == "tvd" else settings.scheme
    return FlowSettings(
        convection=scheme, algorithm=settings.algorithm, method=settings.method,
        relax_velocity=settings.relaxation.velocity, relax_pressure=settings.relaxation.pressure,
        max_iterations=settings.max_iterations,
        tolerance=min(settings.tolerances.continuity, settings.tolerances.momentum),
        pressure_rtol=settings.pressure_rtol,
        pressure_max_iterations=settings.pressure_max_iterations,
        wall_gradient=settings.wall_gradient)


def chip_footprint(case: Case, chip: Chip):
    """The chip's heated rectangle ``((x0, x1), (y0, y1))`` [m] (default: its body's plan).

    This is the ``footprint`` argument of :func:`solver.models.energy.chip_heat_source`.
    """
    if chip.footprint is not None:
        return tuple(zip(chip.footprint.min, chip.footprint.max, strict=True))
    lo, hi = body_bounds(case.body(chip.body), case.case_dir)
    return (lo[0], hi[0]), (lo[1], hi[1])


def domain_bounds(case: Case):
    """The computational box ``(min, max)`` [m]: ``[grid.domain]`` or the bodies' bounding box."""
    if case.grid.domain is not None:
        return tuple(case.grid.domain.min), tuple(case.grid.domain.max)
    boxes = [b for b in (body_bounds(body, case.case_dir) for body in case.bodies) if b]
    if not boxes:
        return None
    lo = tuple(min(b[0][a] for b in boxes) for a in range(3))
    hi = tuple(max(b[1][a] for b in boxes) for a in range(3))
    return lo, hi


def with_inlet_flow(case, flow: float):
    """A copy of ``case`` whose (every) inlet boundary prescribes the volumetric ``flow``."""
    boundaries = []
    found = False
    for b in case.boundaries:
        if b.type == "inlet":
            b = b.model_copy(update={"velocity": None, "mass_flow": None,
                                     "volumetric_flow": float(flow)})
            found = True
        boundaries.append(b)
    if not found:
        raise ValueError(f"case {case.name!r} has no inlet boundary to set the flow on")
    return case.model_copy(update={"boundaries": boundaries})


def case_at(case, inlet_temperature: float, power: float):
    """``case`` with its inlets at ``inlet_temperature`` [K], chip powers scaled to ``power``."""
    total = sum(c.power for c in case.chips)
    scale = power / total if total > 0 else 0.0
    chips = [c.model_copy(update={"power": c.power * scale}) for c in case.chips]
    boundaries = [b.model_copy(update={"temperature": float(inlet_temperature)})
                  if b.type == "inlet" else b for b in case.boundaries]
    return case.model_copy(update={"chips": chips, "boundaries": boundaries})


def network_section(case):
    """The ``[network]`` section of a case as :class:`solver.case.network.NetworkSection`."""

    if case.network is None:
        raise ValueError(f"case {case.name!r} has no [network] section")
    if isinstance(case.network, NetworkSection):
        return case.network
    return NetworkSection.model_validate(case.network)


def build_grid(case: Case, bodies: list, backend: Backend) -> Grid:
    """Non-uniform grid snapped to every body face, with the case's spacing and grading.

    ``max_spacing`` (of the grid and of each refinement box) is one length or one per axis.
    """
    lo, hi = domain_bounds(case)
    refinements = [(tuple(r.min), tuple(r.max), spacing_per_axis(r.max_spacing))
                   for r in case.grid.refine]
    breakpoints = geometry.collect_breakpoints(bodies)
    # chip footprint edges become grid lines too, so the heated area is resolved exactly
    for chip in case.chips:
        if chip.footprint is not None:
            for axis in (0, 1):
                extra = [chip.footprint.min[axis], chip.footprint.max[axis]]
                breakpoints[axis] = np.union1d(breakpoints[axis], extra)
    # so do the planes of ports on faces of the geometry
    for boundary in case.boundaries:
        if boundary.port_plane is not None:
            axis = "xyz".index(boundary.side[0])
            breakpoints[axis] = np.union1d(breakpoints[axis], [boundary.port_plane])
    return meshing.generate_grid(
        tuple(zip(lo, hi, strict=True)), breakpoints,
        max_spacing=spacing_per_axis(case.grid.max_spacing), refinements=refinements,
        growth_ratio=case.grid.growth_ratio, min_spacing=case.grid.min_spacing,
        backend=backend, dtype=np.dtype(case.solver.dtype))


def grid_report(case: Case, grid: Grid) -> dict:
    """The grid report (cells, spacing, memory) with the per-cell array count of the case's
    physics (conduction or conjugate flow); see :func:`solver.grid.generation.grid_report`."""
    arrays = (meshing.CONJUGATE_FLOW_ARRAYS if case.solver.physics == "conjugate"
              else meshing.CONDUCTION_ARRAYS)
    return meshing.grid_report(grid, arrays_per_cell=arrays)


def paint_bodies(grid, bodies) -> np.ndarray:
    """Index of the body owning each cell (later bodies win), -1 where none (host int32)."""
    # each body gets its own id (geometry.paint keys ids by material)
    body_ids = np.full(grid.shape, -1, dtype=np.int32)
    for i, body in enumerate(bodies):
        body_ids[geometry.body_mask(grid, body)] = i
    return body_ids


def fluid_cells(case: Case, body_ids: np.ndarray) -> np.ndarray:
    """True in the cells of the case's coolant bodies (``body_ids`` from :func:`paint_bodies`
    or a solid model)."""
    return np.isin(body_ids, [i for i, b in enumerate(case.bodies) if b.is_fluid])


def check_ports(case: Case, grid, body_ids: np.ndarray) -> None:
    """Every inlet and outlet must open onto coolant: a port on a face of the geometry (``at``)
    covers faces with coolant on its inner side and solid or nothing beyond; one on a domain side
    keeps faces of its own (a later inlet or outlet on the same faces overrides it) and some of
    them in front of coolant cells. Otherwise a :class:`~solver.case.CaseError` naming it."""

    fluid = fluid_cells(case, body_ids)
    patches = boundary_conditions(case)
    owners = {side: face_owners(grid, patches, side, kinds=bc.FLOW_KINDS) for side in SIDES}
    for i, (boundary, patch) in enumerate(zip(case.boundaries, patches, strict=True)):
        if boundary.type not in ("inlet", "outlet"):
            continue
        if boundary.port_plane is not None:
            if not port_faces(grid, patch.patch, fluid)[3].any():
                axis = boundary.side[0]
                raise case_error(
                    case, f"boundaries[{i}].at",
                    f"no face of the plane {axis} = {boundary.at:.6g} m inside `region` has "
                    f"coolant on the port's inner side (opposite to side = {boundary.side}) and "
                    "solid or nothing beyond", boundary.at,
                    "the plane of a coolant face, e.g. a plenum ceiling with "
                    f"side = \"{axis}_max\"")
            continue
        key = f"boundaries[{i}].region" if boundary.region is not None else f"boundaries[{i}].side"
        value = boundary.region.model_dump() if boundary.region is not None else boundary.side
        own = owners[boundary.side] == i
        if not own.any():
            later = sorted(set(owners[boundary.side][patch.patch.face_mask(grid)].ravel()) - {-1})
            over = ", ".join(f"boundaries[{j}] ({case.boundaries[j].type} "
                             f"'{case.boundaries[j].name}')" for j in later)
            raise case_error(case, key, f"{boundary.type} '{boundary.name}' keeps no face of its "
                             f"own on {boundary.side}: {over or 'a later patch'} covers the same "
                             "faces", value, "inlet and outlet on different faces")
        axis, is_max = side_axis(boundary.side)
        if not (own & np.take(fluid, -1 if is_max else 0, axis=axis)).any():
            raise case_error(case, key, f"{boundary.type} '{boundary.name}' covers no coolant face "
                             f"on {boundary.side}: every face of it lies in front of solid or "
                             "empty cells", value, "a region over coolant cells of that side")


def check_chips(case: Case, grid, bodies: list, body_ids: np.ndarray) -> None:
    """Every chip must heat cells of its body on the grid: a body painted over by later bodies,
    or thinner than the grid resolves, leaves its chip no cell, a
    :class:`~solver.case.CaseError` naming the chip. ``bodies`` are the geometry bodies
    (:func:`geometry_body`), ``body_ids`` from :func:`paint_bodies`."""
    names = [b.name for b in case.bodies]
    for i, chip in enumerate(case.chips):
        index = names.index(chip.body)
        if chip_cells(grid, body_ids, index, chip_footprint(case, chip)).any():
            continue
        alone = geometry.body_mask(grid, bodies[index])
        if not alone.any():
            lo, hi = body_bounds(case.bodies[index], case.case_dir)
            thin = min(h - l for l, h in zip(lo, hi, strict=True))
            why = (f"body '{chip.body}' gets no cell on the grid: at {thin:.3g} m it is thinner "
                   "than the grid resolves")
        else:
            later = [names[j] for j in range(index + 1, len(names))
                     if (alone & (body_ids == j)).any()]
            why = (f"every cell of body '{chip.body}' under the chip is painted over by the "
                   f"later {'body' if len(later) == 1 else 'bodies'} "
                   f"{', '.join(repr(n) for n in later)}")
        raise case_error(case, f"chips[{i}].body", f"chip '{chip.name}' heats no cell: {why}",
                         allowed="a body that keeps cells under the chip (later bodies paint "
                                 "over earlier ones)")


def build_solid_model(case: Case, backend: Backend) -> SolidModel:
    """Geometry, grid, body ids, materials and chip heat sources for ``case``."""
    bodies = [geometry_body(body, case.case_dir) for body in case.bodies]
    grid = build_grid(case, bodies, backend)
    body_ids = paint_bodies(grid, bodies)
    check_ports(case, grid, body_ids)
    check_chips(case, grid, bodies, body_ids)
    names = [b.name for b in case.bodies]
    materials = [case.material(b.material) for b in case.bodies]

    heat_source = grid.zeros()
    chip_masks = {}
    for chip in case.chips:
        body_id = names.index(chip.body)
        footprint = None
        if chip.footprint is not None:
            footprint = ((chip.footprint.min[0], chip.footprint.max[0]),
                         (chip.footprint.min[1], chip.footprint.max[1]))
        power_map = load_power_map(case.resolve(chip.power_map)) if chip.power_map else None
        source = chip_heat_source(grid, body_ids, body_id, chip.power, footprint, power_map)
        heat_source += source
        chip_masks[chip.name] = backend.to_host(source) > 0
    return SolidModel(grid, body_ids, names, materials, heat_source, chip_masks,
                      boundary_conditions(case),
                      chip_powers={chip.name: chip.power for chip in case.chips},
                      chip_limits={chip.name: chip.max_temperature for chip in case.chips})


def settings_from_case(case) -> ColdPlateSettings:
    """``[solver.flow]`` and ``[solver.nonlinear]`` of a case as :class:`ColdPlateSettings`.

    The flow scheme names map to the energy equation as: ``upwind`` -> upwind, any bounded or
    second-order scheme -> TVD (van Leer limited).
    """
    f = case.solver.flow
    m = f.monitors
    return ColdPlateSettings(
        flow=flow_settings(case),
        energy_scheme="upwind" if f.scheme == "upwind" else "tvd",
        continuity_tolerance=f.tolerances.continuity, momentum_tolerance=f.tolerances.momentum,
        energy_rtol=min(f.tolerances.energy, 1e-8),
        temperature_tolerance=case.solver.nonlinear.tolerance,
        monitors=MonitorSettings(m.pressure_drop, m.outlet_temperature, m.peak_temperature,
                                 m.window),
        max_passes=case.solver.nonlinear.max_iterations,
        early_pass_factor=case.solver.nonlinear.early_pass_factor,
        checkpoint_interval=f.checkpoint_interval if case.output.checkpoint else 0,
        gravity=None if f.gravity is None else tuple(f.gravity),
        time=time_settings(f.time) if f.mode == "time_averaged" else None)


def time_settings(section) -> TimeSettings:
    """``[solver.flow.time]`` as :class:`~solver.models.flow.TimeSettings`."""
    return TimeSettings(**section.model_dump())


# ---------------------------------------------------------------------------------------------
# cold plates
# ---------------------------------------------------------------------------------------------
def _channel_groups(case) -> list[dict]:
    groups = []
    for body in case.bodies:
        shape = getattr(body, "shape", None)
        if shape == "channel_array":
            axis = "xyz".index(body.direction)
        elif shape == "fin_array":
            axis = 1 - "xy".index(body.stack_axis)
        else:
            continue
        groups.append({"name": body.name, "axis": axis, "min": tuple(body.min),
                       "max": tuple(body.max)})
    return groups


def from_case(case, model, settings: ColdPlateSettings | None = None) -> ColdPlate:
    """A :class:`ColdPlate` for a validated case and its
    :class:`~solver.models.conduction.SolidModel`.
    """
    chips = []
    for chip in case.chips:
        body = chip.case_body or chip.body
        chips.append({"name": chip.name, "power": float(chip.power),
                      "case_body_id": model.body_names.index(body), "case_side": chip.case_side})
    return ColdPlate(model, settings or settings_from_case(case), chips, _channel_groups(case))


def cache_root() -> Path:
    """Where coolsim keeps what it can compute again but would rather reuse (plate curves and
    thermal impedances): ``$COOLSIM_CACHE``, else ``$XDG_CACHE_HOME/coolsim``, else
    ``~/.cache/coolsim``; never inside the case folders."""
    if os.environ.get("COOLSIM_CACHE"):
        return Path(os.environ["COOLSIM_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "coolsim"


def plate_cache(case) -> Path:
    """The cache folder of a plate case's geometry: ``<cache>/plates/<stem>-<geometry hash16>``
    (:func:`cache_root`)."""
    stem = case.source_path.stem if case.source_path is not None else case.name
    return cache_root() / "plates" / f"{stem}-{case_hash(case, scope='geometry')[:16]}"


def curves_path(case, flows) -> Path:
    """Where the curves of ``case`` characterized at ``flows`` [m3/s] are stored:
    ``<plate cache>/curves-<flows hash12>.json`` (one file per set of flows, so curves at other
    flows never replace them)."""
    text = ",".join(f"{q:.9e}" for q in sorted(float(q) for q in flows))
    return plate_cache(case) / f"curves-{hashlib.sha256(text.encode()).hexdigest()[:12]}.json"
