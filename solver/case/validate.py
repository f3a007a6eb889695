"""Semantic checks that need the whole case and the files it names (before any solving):
unique names, known materials, readable meshes and power maps, chips on solids, boundaries
against the physics and the domain, coolant temperature range."""

from __future__ import annotations

from pathlib import Path

from solver.case.bodies import EQUATIONS, BoxLike, Chip, CylinderBody, MeshBody
from solver.case.errors import error_factory, name_list
from solver.case.locations import check_locations
from solver.case.power_map import load_power_map
from solver.case.schedules import schedule_from_table
from solver.case.schema import Case
from solver.case.sections import AXES
from solver.case.transient_scenarios import check_transient_scenarios
from solver.geometry.mesh import MeshSolid
from solver.geometry.primitives import GeometryError
from solver.materials.properties import UnknownMaterialError
from solver.materials.registry import (
    COOLANT_ALIASES,
    COOLANTS,
    SOLID_ALIASES,
    SOLIDS,
    get_coolant,
    glycol_basis,
    is_builtin_coolant,
    is_builtin_solid,
    is_glycol_name,
)
from solver.units import TEMPERATURE_UNITS


def validate_case(case: Case) -> None:
    """Semantic checks that need the whole case (and the files it names), before any solving.

    Raises
    ------
    CaseError
        For the first problem found.
    """
    err = error_factory(case.display_path or case.source_path, case.raw)
    check_locations(case, err)  # before any named file is opened
    solid_names = set(SOLIDS) - set(SOLID_ALIASES)
    coolant_names = set(COOLANTS) - set(COOLANT_ALIASES)
    user_solids = {n for n, m in case.materials.items() if m.kind == "solid"}
    user_coolants = {n for n, m in case.materials.items() if m.kind == "coolant"}

    def is_solid(name: str) -> bool:
        return name in user_solids or is_builtin_solid(name)

    def is_coolant(name: str) -> bool:
        return name in user_coolants or is_builtin_coolant(name)

    if not case.bodies and case.network is None:
        raise err("bodies", "nothing to solve: the case has no bodies and no network",
                  allowed="at least one [[bodies]] entry, or a [network] section")
    if case.bodies and case.network is not None:
        raise err("network", "a case is a cold plate ([[bodies]]) or a network, not both",
                  allowed="the plate in its own case file, named by a rack plate group "
                          "([[network.rack.plates]] case = \"plate.toml\")")

    # names: unique, user materials do not shadow built-ins
    for what, items in (("body", case.bodies), ("chip", case.chips),
                        ("boundary", case.boundaries)):
        seen: dict[str, int] = {}
        key = {"body": "bodies", "chip": "chips", "boundary": "boundaries"}[what]
        for i, item in enumerate(items):
            if item.name in seen:
                raise err(f"{key}[{i}].name",
                          f"duplicate {what} name (also {key}[{seen[item.name]}])",
                          item.name, f"a name not already used by another {what}")
            seen[item.name] = i
    for name in case.materials:
        if name == "coolant" or is_builtin_solid(name) or \
                is_builtin_coolant(name):
            raise err(f"materials.{name}", "user material shadows a built-in material name", name,
                      "a name that is not built in")

    # the coolant, and the basis of a glycol's concentration
    basis, stated = case.coolant.basis, glycol_basis(case.coolant.name)
    if basis is not None and (case.coolant.name in user_coolants
                              or not is_glycol_name(case.coolant.name)):
        raise err("coolant.basis", "a concentration basis applies to PG<n>/EG<n> glycol names "
                  f"only (coolant.name is {case.coolant.name!r})", basis,
                  "no basis for this coolant")
    if basis is not None and stated is not None and basis != stated:
        raise err("coolant.basis", f"contradicts coolant.name {case.coolant.name!r}, which "
                  f"states its concentration by {stated}", basis, f"'{stated}' or no basis")
    if is_glycol_name(case.coolant.name) and case.coolant.name not in user_coolants:
        try:
            get_coolant(case.coolant.name, basis=basis)
        except UnknownMaterialError:
            raise err("coolant.name", "glycol concentration outside the correlation's range",
                      case.coolant.name, "0-60 % glycol by mass (Melinder 2010), up to "
                      "about 59 % by volume") from None
    if not is_coolant(case.coolant.name):
        message = "is a solid, not a coolant" if is_solid(case.coolant.name) \
            else "unknown coolant"
        raise err("coolant.name", message, case.coolant.name,
                  name_list(coolant_names | user_coolants) + ", PG<n>, EG<n> (n % by mass)")

    check_transient_scenarios(case, err)

    # bodies: materials and geometry
    solids_text = "coolant, " + name_list(solid_names | user_solids)
    for i, body in enumerate(case.bodies):
        if body.is_fluid:
            continue
        if is_coolant(body.material) and not is_solid(body.material):
            raise err(f"bodies[{i}].material", "a coolant is not a solid; fluid regions use "
                      "material = \"coolant\" (the coolant is chosen in [coolant])",
                      body.material, solids_text)
        if not is_solid(body.material):
            raise err(f"bodies[{i}].material", "unknown material", body.material, solids_text)
    bounds = []
    for i, body in enumerate(case.bodies):
        bounds.append(_checked_body_bounds(case, i, body, err))
    if case.grid.domain is not None:
        lo, hi = case.grid.domain.min, case.grid.domain.max
        tol = 1e-9 * max(max(abs(v) for v in lo + hi), 1e-3)
        for i, box in enumerate(bounds):
            if box is None:
                continue
            for a, axis in enumerate(AXES):
                if box[0][a] < lo[a] - tol or box[1][a] > hi[a] + tol:
                    raise err(f"bodies[{i}]", f"body '{case.bodies[i].name}' extends outside "
                              f"the domain along {axis}",
                              f"{axis} from {box[0][a]:.6g} to {box[1][a]:.6g} m",
                              f"{axis} within [{lo[a]:.6g}, {hi[a]:.6g}] m (grid.domain)")

    # chips
    body_index = {b.name: i for i, b in enumerate(case.bodies)}
    for i, chip in enumerate(case.chips):
        if chip.body not in body_index:
            raise err(f"chips[{i}].body", "unknown body", chip.body, name_list(body_index))
        body = case.bodies[body_index[chip.body]]
        if body.is_fluid:
            raise err(f"chips[{i}].body", f"power on no solid: body '{chip.body}' is a coolant "
                      "region", chip.body,
                      name_list(b.name for b in case.bodies if not b.is_fluid) or "a solid body")
        box = bounds[body_index[chip.body]]
        if chip.footprint is not None and box is not None:
            for a in range(2):
                if chip.footprint.min[a] < box[0][a] - 1e-12 or \
                        chip.footprint.max[a] > box[1][a] + 1e-12:
                    raise err(f"chips[{i}].footprint", f"footprint extends beyond body "
                              f"'{chip.body}' along {AXES[a]}",
                              [list(chip.footprint.min), list(chip.footprint.max)],
                              f"{AXES[a]} within [{box[0][a]:.6g}, {box[1][a]:.6g}] m")
        if chip.case_body is not None:
            if chip.case_body not in body_index:
                raise err(f"chips[{i}].case_body", "unknown body", chip.case_body,
                          name_list(body_index))
            if case.bodies[body_index[chip.case_body]].is_fluid:
                raise err(f"chips[{i}].case_body", "the case surface must be on a solid body",
                          chip.case_body, name_list(b.name for b in case.bodies if not b.is_fluid))
        if chip.power_map is not None:
            _check_power_map(case, i, chip, err)

    # boundaries against the physics
    physics = case.solver.physics
    whole_side: dict[tuple[str, str], int] = {}
    for i, boundary in enumerate(case.boundaries):
        if physics == "conduction" and boundary.is_flow:
            raise err(f"boundaries[{i}].type", "flow boundary in a conduction case", boundary.type,
                      "temperature, heat_flux, convection, adiabatic, symmetry (or set "
                      "solver.physics = \"conjugate\")")
        if boundary.region is not None or boundary.port_plane is not None:
            continue
        # a later patch overrides an earlier one per equation: a second whole-side patch for
        # the same equation would silently void the first
        for equation in EQUATIONS[boundary.type]:
            j = whole_side.get((boundary.side, equation))
            if j is not None:
                raise err(f"boundaries[{i}].side", f"side already covered whole by "
                          f"boundaries[{j}] ({case.boundaries[j].type}) for the {equation} "
                          "equation", boundary.side, "a region on the side, or another side")
            whole_side[(boundary.side, equation)] = i
    _check_boundaries_in_domain(case, bounds, err)
    fluid = case.fluid_bodies
    if physics == "conduction" and fluid:
        i = case.bodies.index(fluid[0])
        raise err(f"bodies[{i}].material", "coolant region in a conduction case", "coolant",
                  "a solid material (or set solver.physics = \"conjugate\")")
    gravity = case.solver.flow.gravity
    if gravity is not None and physics == "conduction":
        raise err("solver.flow.gravity", "gravity acts on the coolant flow, and a conduction case "
                  "has none", list(gravity), 'no gravity, or solver.physics = "conjugate"')
    if gravity is not None and any(gravity) and not case.coolant_material().expands:
        raise err("solver.flow.gravity", f"buoyancy needs a thermal-expansion coefficient, but "
                  f"coolant '{case.coolant.name}' has a constant density", list(gravity),
                  f"[materials.{case.coolant.name}] thermal_expansion, or no gravity")
    if case.solver.dtype == "float32" and physics == "conjugate":
        # measured (cases/coldplate_unit_cell.toml in float32): the flow stalls at the
        # iteration limit and the thermal resistance is 10 % off
        raise err("solver.dtype", "float32 does not converge the coupled flow and energy "
                  "solve to engineering accuracy (the unit-cell example stalls with R 10 % "
                  "off); it serves conduction cases", "float32", '"float64"')
    mode = case.solver.flow.mode
    if mode != "steady" and physics == "conduction":
        raise err("solver.flow.mode", "a conduction case has no flow to run in time", mode,
                  '"steady", or solver.physics = "conjugate"')
    if mode != "steady" and gravity is not None and any(gravity):
        raise err("solver.flow.mode", "time-averaged flow with buoyancy needs the transient "
                  "energy equation, which this mode does not solve", mode,
                  '"steady" with gravity, or no gravity')
    if physics == "conjugate":
        if not fluid:
            raise err("bodies", "conjugate case without a coolant region",
                      allowed="at least one body with material = \"coolant\"")
        kinds = {b.type for b in case.boundaries}
        closed = not kinds & {"inlet", "outlet"}
        # a closed domain holds natural convection only: it needs gravity
        if not (closed and gravity is not None and any(gravity)):
            for needed in ("inlet", "outlet"):
                if needed not in kinds:
                    raise err("boundaries", f"conjugate case without an {needed}",
                              allowed=f"a [[boundaries]] entry with type = \"{needed}\" (or "
                                      "no inlet and no outlet with [solver.flow] gravity: "
                                      "natural convection in a closed domain)")
        _check_coolant_temperatures(case, err)
    if case.network is not None:
        _check_network_temperatures(case, err)
    if case.transient is not None:
        _check_transient(case, err)


def _check_transient(case: Case, err) -> None:
    """``[transient]`` runs a cold plate: conjugate, not closed, chips and inlets it names."""
    section = case.transient
    if case.solver.physics != "conjugate" or not case.bodies:
        raise err("transient", "a transient run follows the steady solve of a cold plate",
                  allowed='[solver] physics = "conjugate" with bodies (a rack in time: '
                          '[network.transient] and its scenarios)')
    if case.solver.flow.mode != "steady":
        raise err("transient", "the plate in time starts from the steady flow",
                  case.solver.flow.mode, '[solver.flow] mode = "steady"')
    chips = [c.name for c in case.chips]
    for name in section.chip_power:
        if name not in chips:
            raise err(f"transient.chip_power.{name}", "unknown chip", name,
                      name_list(chips) if chips else "no chips: add [[chips]]")
    inlets = [b for b in case.boundaries if b.type == "inlet"]
    for key in ("inlet_temperature", "inlet_flow"):
        if getattr(section, key) is not None and not inlets:
            raise err(f"transient.{key}", "the case has no inlet",
                      allowed="an inlet boundary, or no schedule")
    if section.inlet_temperature is not None:
        lowest, highest = schedule_from_table(section.inlet_temperature, TEMPERATURE_UNITS,
                                              "transient.inlet_temperature").extremes(section.end)
        lo, hi = getattr(case.coolant_material(), "valid_range", (0.0, float("inf")))
        if lowest < lo or highest > hi:
            raise err("transient.inlet_temperature", f"reaches {lowest - 273.15:.4g} C to "
                      f"{highest - 273.15:.4g} C, outside the valid range of coolant "
                      f"'{case.coolant.name}'",
                      allowed=f"{lo - 273.15:.4g} C to {hi - 273.15:.4g} C")


def plate_case_files(case: Case) -> dict[str, Path]:
    """The 3D cold-plate case file of each rack plate group that names one (group -> path)."""
    rack = case.network.rack if case.network is not None else None
    if rack is None:
        return {}
    return {g.name: case.resolve(g.case) for g in rack.plates if g.case}



def _check_boundaries_in_domain(case: Case, body_boxes, err) -> None:
    """Boundary regions must overlap their domain side; port planes must lie inside the domain."""
    if case.grid.domain is not None:
        lo, hi = tuple(case.grid.domain.min), tuple(case.grid.domain.max)
    else:
        boxes = [b for b in body_boxes if b is not None]
        if not boxes or len(boxes) != len(body_boxes):
            return
        lo = tuple(min(b[0][a] for b in boxes) for a in range(3))
        hi = tuple(max(b[1][a] for b in boxes) for a in range(3))
    for i, boundary in enumerate(case.boundaries):
        normal = AXES.index(boundary.side[0])
        tangential = [a for a in range(3) if a != normal]
        at = boundary.port_plane
        if at is not None and not lo[normal] < at < hi[normal]:
            raise err(f"boundaries[{i}].at", f"port plane is not inside the domain along "
                      f"{AXES[normal]}", at, f"strictly between {lo[normal]:.6g} and "
                      f"{hi[normal]:.6g} m (on the domain side itself: leave `at` out)")
        if boundary.region is not None:
            for k, a in enumerate(tangential):
                if boundary.region.max[k] <= lo[a] or boundary.region.min[k] >= hi[a]:
                    raise err(f"boundaries[{i}].region", f"region lies outside the domain side "
                              f"{boundary.side} along {AXES[a]}",
                              [list(boundary.region.min), list(boundary.region.max)],
                              f"{AXES[a]} overlapping [{lo[a]:.6g}, {hi[a]:.6g}] m")


def _check_power_map(case: Case, i: int, chip: Chip, err) -> None:
    """The power map must exist and be a grid of non-negative numbers with a positive sum."""
    path = case.resolve(chip.power_map)
    key = f"chips[{i}].power_map"
    if not path.is_file():
        what = ("power-map file not found" if not path.exists() else
                "the power map is a folder" if path.is_dir() else
                "the power map is not a regular file (a device, pipe or socket)")
        raise err(key, what, chip.power_map, f"a CSV file relative to {case.case_dir}")
    try:
        load_power_map(path)
    except OSError as error:
        raise err(key, f"cannot read the power map ({error.strerror or type(error).__name__})",
                  chip.power_map, "a readable CSV file") from None
    except ValueError as error:
        text = str(error).replace(str(path), chip.power_map)
        raise err(key, f"unreadable power map: {text}", chip.power_map,
                  "comma-separated rows of non-negative numbers with a positive sum") from None


def _check_coolant_temperatures(case: Case, err) -> None:
    """Inlet temperatures must lie in the coolant's valid range."""
    coolant = case.coolant_material()
    valid = getattr(coolant, "valid_range", None)
    if not valid:
        return
    lo, hi = valid
    for i, boundary in enumerate(case.boundaries):
        if boundary.type != "inlet":
            continue
        t = boundary.temperature
        if not lo <= t <= hi:
            raise err(f"boundaries[{i}].temperature", f"outside the valid range of coolant "
                      f"'{case.coolant.name}'", f"{t - 273.15:.6g} C",
                      f"{lo - 273.15:.6g} C to {hi - 273.15:.6g} C")


def _check_network_temperatures(case: Case, err) -> None:
    """The temperatures a ``[network]`` gives (fluid entering at boundaries, the facility supply,
    supply setpoints, the first property guess) must lie in the valid range of their loop's
    fluid: the technology loop's coolant, or the facility fluid on facility nodes."""
    section = case.network
    try:
        facility = get_coolant(section.facility_fluid)
    except UnknownMaterialError as error:
        raise err("network.facility_fluid", str(error), section.facility_fluid,
                  "a built-in coolant name") from None
    fluids = {"coolant": (case.coolant_material(), case.coolant.name),
              "facility": (facility, section.facility_fluid)}
    node_fluid = {n.name: n.fluid for n in section.nodes}
    given = [("network.initial_temperature", section.initial_temperature, "coolant")]
    for i, comp in enumerate(section.components):
        if comp.kind in ("pressure_boundary", "flow_boundary"):
            given.append((f"network.components[{i}].temperature", comp.temperature,
                          node_fluid.get(comp.node, "coolant")))
    for i, control in enumerate(section.controls):
        if control.temperature_setpoint is not None:
            given.append((f"network.controls[{i}].temperature_setpoint",
                          control.temperature_setpoint, node_fluid.get(control.node, "coolant")))
    rack = section.rack
    if rack is not None:
        key = ("network.rack.facility.supply_temperature" if rack.facility.water_class is None
               else "network.rack.facility.water_class")
        given.append((key, rack.facility.supply_kelvin(), "facility"))
        if rack.controls.supply_temperature is not None:
            given.append(("network.rack.controls.supply_temperature",
                          rack.controls.supply_temperature, "coolant"))
    for key, t, loop in given:
        fluid, name = fluids[loop]
        lo, hi = getattr(fluid, "valid_range", (0.0, float("inf")))
        if not lo <= t <= hi:
            raise err(key, f"outside the valid range of {loop} '{name}'", f"{t - 273.15:.6g} C",
                      f"{lo - 273.15:.6g} C to {hi - 273.15:.6g} C")


def body_bounds(body, case_dir: Path | None = None):
    """Axis-aligned bounding box ``((xmin, ymin, zmin), (xmax, ymax, zmax))`` of a body [m].

    Mesh bodies are read through :mod:`solver.geometry`; a missing or broken mesh raises
    :class:`solver.geometry.GeometryError`.
    """
    if isinstance(body, BoxLike):
        return tuple(body.min), tuple(body.max)
    if isinstance(body, CylinderBody):
        a = AXES.index(body.axis)
        lo = [c - body.radius for c in body.base_center]
        hi = [c + body.radius for c in body.base_center]
        lo[a] = body.base_center[a]
        hi[a] = body.base_center[a] + body.length
        return tuple(lo), tuple(hi)
    if isinstance(body, MeshBody):
        solid = MeshSolid(Path(case_dir or Path.cwd()) / body.file, body.material,
                          scale=body.scale, translate=tuple(body.translate), name=body.name)
        lo, hi = solid.bounding_box()
        return tuple(float(v) for v in lo), tuple(float(v) for v in hi)
    raise TypeError(f"unknown body type {type(body).__name__}")


def _checked_body_bounds(case: Case, i: int, body, err):
    """Bounding box of body ``i``; mesh files must exist and be watertight."""
    if not isinstance(body, MeshBody):
        return body_bounds(body)
    path = case.resolve(body.file)
    if not path.exists():
        raise err(f"bodies[{i}].file", "mesh file not found", body.file,
                  f"a mesh file (STL, OBJ, .msh, VTU) relative to {case.case_dir}")
    try:
        return body_bounds(body, case.case_dir)
    except GeometryError as error:
        text = str(error).replace(str(path), body.file)
        raise err(f"bodies[{i}].file", text, body.file,
                  "a closed (watertight), non-degenerate surface mesh") from None
