"""The case file: TOML schema, loading, validation with one-line errors, and the key reference.

A case is a TOML file read with :mod:`tomllib` (data only: nothing in it is executed) and validated
into a frozen, typed :class:`Case`. Quantities are SI floats inside the solver; the file may write a
plain number (taken as SI) or a string with an explicit unit (``"25 C"``, ``"1.5 L/min"``,
``"28 mm"``, ``"1 kW"``, see :mod:`solver.units`). Temperatures are kelvin inside the solver.

Validation has two passes, both before any solving:

1. the schema (pydantic models built on :class:`solver.units.Section`: unknown keys are errors,
   types, units, ranges and per-shape / per-boundary-type keys via discriminated unions);
2. a semantic pass (:func:`validate_case`): duplicate names, unknown materials, power on a fluid,
   geometry outside the domain, missing mesh or power-map files, non-watertight meshes, flow
   boundaries in a conduction case, coolant temperatures outside the coolant's valid range.

Every problem is raised as a :class:`CaseError` whose ``str()`` is one line::

    <file>: <key.path>: <message> (got <value>; allowed: <...>)

``python -m solver.case reference`` prints the Markdown key reference generated from the models
(committed as ``docs/case_reference.md``).

Conventions: the stack axis of a cold plate is z (chip footprints are x-y rectangles); a boundary
``region`` gives ``min``/``max`` in the two tangential axes of its side in x, y, z order (side
``x_min``: (y, z); ``y_min``: (x, z); ``z_min``: (x, y)).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import re
import sys
import tomllib
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types
from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    PrivateAttr,
    StringConstraints,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError, PydanticUndefined

from solver import units
from solver.io import hash_case
from solver.network.schema import NetworkSection
from solver.units import (
    HeatFlux,
    Length,
    MassFlow,
    Power,
    Pressure,
    Section,
    Temperature,
    TemperatureDifference,
    Velocity,
    VolumetricFlow,
)

__all__ = [
    "Case",
    "CaseError",
    "case_hash",
    "load_case",
    "validate_case",
    "reference_markdown",
    "body_bounds",
    "domain_bounds",
    "geometry_body",
    "boundary_conditions",
    "chip_footprint",
    "flow_settings",
]

# ---------------------------------------------------------------------------------------------
# errors
# ---------------------------------------------------------------------------------------------

_NOTHING = object()


class CaseError(ValueError):
    """A problem in a case file, reported as one line naming the file and the key path.

    Parameters
    ----------
    path : str or Path or None
        The case file.
    key_path : str or None
        Dotted key path inside the file (``bodies[2].max``, ``solver.linear.rtol``), or a
        ``line L, column C`` position for TOML syntax errors.
    message : str
        What is wrong.
    value : object, optional
        The offending value as written in the file.
    allowed : str, optional
        What would be accepted.
    """

    def __init__(self, path, key_path, message, value=_NOTHING, allowed=None):
        self.path = None if path is None else str(path)
        self.key_path = key_path
        self.message = message
        self.value = value
        self.allowed = allowed
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.path or "<case>"]
        if self.key_path:
            parts.append(self.key_path)
        text = ": ".join(parts) + ": " + self.message
        extra = []
        if self.value is not _NOTHING:
            extra.append(f"got {_show(self.value)}")
        if self.allowed:
            extra.append(f"allowed: {self.allowed}")
        if extra:
            text += " (" + "; ".join(extra) + ")"
        return " ".join(text.split())


def _show(value, limit: int = 80) -> str:
    """Render a case-file value compactly, the way it would be written in TOML."""
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = repr(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------------------
# common field types
# ---------------------------------------------------------------------------------------------

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$", max_length=80)]
"""Identifier for cases, bodies, chips, boundaries and materials: letters, digits, ``_ - .``."""

Point3 = tuple[Length, Length, Length]
Point2 = tuple[Length, Length]
Spacing = Length | tuple[Length, Length, Length]
Axis = Literal["x", "y", "z"]
Side = Literal["x_min", "x_max", "y_min", "y_max", "z_min", "z_max"]
AXES = ("x", "y", "z")


def _fail(key: str | None, message: str, value=_NOTHING, allowed: str | None = None):
    """Build an error for a model validator; ``key`` is appended to the error's key path."""
    ctx = {"key": key or "", "message": message, "allowed": allowed or ""}
    if value is not _NOTHING:
        ctx["value"] = _show(value)
    return PydanticCustomError("case_value", message, ctx)


def spacing_per_axis(spacing) -> tuple[float, float, float]:
    """A ``max_spacing`` value (one length or one per axis) as three lengths [m] (x, y, z)."""
    if isinstance(spacing, tuple | list):
        return tuple(float(s) for s in spacing)
    return (float(spacing),) * 3


def _check_spacing(spacing, key: str = "max_spacing"):
    """Raise unless every entry of a ``max_spacing`` value is positive."""
    for axis, value in zip(AXES, spacing_per_axis(spacing), strict=True):
        if not value > 0:
            where = key if not isinstance(spacing, tuple | list) else f"{key} ({axis})"
            raise _fail(key, f"{where} must be > 0", value, "> 0 m")


def _check_min_max(lo, hi, key: str = "max"):
    """Raise when ``hi`` does not exceed ``lo`` on every axis."""
    for axis, (a, b) in enumerate(zip(lo, hi, strict=True)):
        if not b > a:
            names = AXES if len(lo) == 3 else ("first", "second")
            raise _fail(key, f"max must exceed min on every axis ({names[axis]}: "
                             f"max {b:.6g} m <= min {a:.6g} m)", list(hi), "max > min")


# ---------------------------------------------------------------------------------------------
# [case], [solver], [grid], [output], [coolant]
# ---------------------------------------------------------------------------------------------


class CaseInfo(Section):
    """``[case]``: the case's name and description."""

    name: Name | None = Field(None, description="[-] case name, used for the results directory "
                                                  "<output.directory>/<name>/ (default: the case "
                                                  "file's stem)")
    description: str = Field("", description="[-] free text describing the case")


class LinearSettings(Section):
    """``[solver.linear]``: the linear solver for conduction, energy and pressure systems."""

    method: Literal["pcg", "bicgstab", "fgmres", "multigrid"] = Field(
        "pcg", description="[-] 'pcg' (multigrid-preconditioned conjugate gradients, symmetric "
                           "systems), 'fgmres' or 'bicgstab' (non-symmetric, e.g. energy with "
                           "convection; flexible GMRES never breaks down), 'multigrid' "
                           "(stand-alone V-cycles)")
    rtol: float = Field(1e-8, gt=0, lt=1, description="[-] relative residual reduction at which "
                                                       "a linear solve stops")
    max_iterations: int = Field(500, ge=1, description="[-] maximum iterations (or cycles) per "
                                                       "linear solve")


class FlowRelaxation(Section):
    """``[solver.flow.relaxation]``: under-relaxation factors of the pressure-velocity coupling."""

    velocity: float = Field(0.8, gt=0, le=1, description="[-] under-relaxation of the momentum "
                                                          "equations (< 1 for SIMPLEC)")
    pressure: float = Field(1.0, gt=0, le=1, description="[-] under-relaxation of the pressure "
                                                          "correction (1 for SIMPLEC, about 0.3 "
                                                          "for SIMPLE)")


class FlowTolerances(Section):
    """``[solver.flow.tolerances]``: normalised residuals at which the equations have converged."""

    continuity: float = Field(1e-6, gt=0, description="[-] normalised continuity (mass) residual")
    momentum: float = Field(1e-6, gt=0, description="[-] normalised momentum residual")
    energy: float = Field(1e-8, gt=0, description="[-] normalised energy residual")


class FlowMonitors(Section):
    """``[solver.flow.monitors]``: engineering monitors that must settle before a run stops.

    Each is the largest relative change over the last ``window`` iterations; temperatures are
    measured as the rise above the inlet temperature, so the tolerance does not depend on the
    temperature scale.
    """

    pressure_drop: float = Field(1e-4, gt=0, description="[-] relative change of the inlet-to-"
                                                          "outlet pressure drop")
    outlet_temperature: float = Field(1e-4, gt=0, description="[-] relative change of the outlet "
                                                               "bulk temperature rise over the "
                                                               "inlet")
    peak_temperature: float = Field(1e-4, gt=0, description="[-] relative change of the peak "
                                                             "temperature rise over the inlet")
    window: int = Field(20, ge=1, description="[-] iterations over which the changes are measured")


class FlowSettings(Section):
    """``[solver.flow]``: steady incompressible flow (used when physics = "conjugate")."""

    scheme: Literal["upwind", "tvd", "van_leer", "minmod", "linear_upwind"] = Field(
        "tvd", description="[-] convection scheme: 'upwind' (first order), 'tvd' (bounded second "
                           "order, = 'van_leer'), 'minmod' (bounded, more diffusive), "
                           "'linear_upwind' (unbounded second order)")
    algorithm: Literal["simplec", "simple"] = Field("simplec", description="[-] pressure-velocity "
                                                                          "coupling")
    max_iterations: int = Field(1000, ge=1, description="[-] maximum outer (pressure-velocity) "
                                                        "iterations")
    relaxation: FlowRelaxation = Field(default_factory=FlowRelaxation,
                                       description="[-] under-relaxation factors")
    tolerances: FlowTolerances = Field(default_factory=FlowTolerances,
                                       description="[-] residual tolerances")
    monitors: FlowMonitors = Field(default_factory=FlowMonitors,
                                   description="[-] engineering monitor tolerances")
    pressure_rtol: float = Field(1e-3, gt=0, lt=1, description="[-] relative tolerance of the "
                                                                "pressure-correction solve in "
                                                                "each outer iteration")
    pressure_max_iterations: int = Field(50, ge=1, description="[-] iteration cap of each "
                                                               "pressure-correction solve")
    checkpoint_interval: int = Field(200, ge=0, description="[-] outer iterations between "
                                                            "checkpoints (0: none)")
    gravity: tuple[float, float, float] | None = Field(
        None, description="[m/s2] gravity vector for Boussinesq buoyancy, e.g. [0, 0, -9.81] "
                          "(default: no buoyancy)")

    @model_validator(mode="after")
    def _simplec_relaxation(self):
        if self.algorithm == "simplec" and self.relaxation.velocity >= 1.0:
            raise _fail("relaxation.velocity", "SIMPLEC needs velocity under-relaxation below 1",
                        self.relaxation.velocity, "relaxation.velocity < 1 (or algorithm = "
                        "\"simple\")")
        return self


class NonlinearSettings(Section):
    """``[solver.nonlinear]``: Picard iteration for temperature-dependent properties."""

    tolerance: TemperatureDifference = Field(1e-3, gt=0, description="[K] largest temperature "
                                                                     "change between Picard "
                                                                     "iterations at convergence")
    max_iterations: int = Field(20, ge=1, description="[-] maximum Picard iterations")


class SolverSettings(Section):
    """``[solver]``: backend, precision, physics and the numerical settings."""

    backend: Literal["auto", "cpu", "gpu"] = Field(
        "auto", description="[-] 'auto' (GPU when CuPy and a device answer, else CPU), 'cpu', "
                            "'gpu'; the command line --backend overrides it")
    dtype: Literal["float64", "float32"] = Field("float64", description="[-] floating-point "
                                                                         "precision of the fields")
    physics: Literal["conduction", "conjugate"] = Field(
        "conduction", description="[-] 'conduction' (solids only) or 'conjugate' (coolant flow "
                                  "and heat transfer in fluid and solids)")
    linear: LinearSettings = Field(default_factory=LinearSettings,
                                   description="[-] linear solver settings")
    flow: FlowSettings = Field(default_factory=FlowSettings, description="[-] flow settings")
    nonlinear: NonlinearSettings = Field(default_factory=NonlinearSettings,
                                         description="[-] Picard settings for k(T)")


class RefineRegion(Section):
    """``[[grid.refine]]``: a box inside which the grid spacing is limited further."""

    min: Point3 = Field(description="[m] lower corner (x, y, z)")
    max: Point3 = Field(description="[m] upper corner (x, y, z)")
    max_spacing: Spacing = Field(description="[m] largest cell width inside the box: one value "
                                             "or one per axis (x, y, z)")

    @model_validator(mode="after")
    def _ordered(self):
        _check_min_max(self.min, self.max)
        _check_spacing(self.max_spacing)
        return self


class DomainBox(Section):
    """``[grid.domain]``: the computational box."""

    min: Point3 = Field(description="[m] lower corner (x, y, z)")
    max: Point3 = Field(description="[m] upper corner (x, y, z)")

    @model_validator(mode="after")
    def _ordered(self):
        _check_min_max(self.min, self.max)
        return self


class GridSettings(Section):
    """``[grid]``: the non-uniform Cartesian grid (lines snap to every body face)."""

    max_spacing: Spacing = Field(1e-3, description="[m] largest cell width: one value or one "
                                                   "per axis (x, y, z), e.g. "
                                                   "[\"1 mm\", \"0.1 mm\", \"0.25 mm\"]")
    min_spacing: Length = Field(1e-6, gt=0, description="[m] smallest cell width; geometry "
                                                         "faces closer than this are merged")
    growth_ratio: float = Field(1.2, gt=1, le=3, description="[-] largest ratio of neighbouring "
                                                              "cell widths")
    domain: DomainBox | None = Field(None, description="[m] computational box (default: the "
                                                        "bounding box of all bodies)")
    refine: list[RefineRegion] = Field(default_factory=list, description="[m] refinement boxes")

    @model_validator(mode="after")
    def _spacings(self):
        _check_spacing(self.max_spacing)
        smallest = min(spacing_per_axis(self.max_spacing))
        if self.min_spacing > smallest:
            raise _fail("min_spacing", "min_spacing exceeds max_spacing", self.min_spacing,
                        f"<= max_spacing = {smallest:.6g} m")
        return self


class OutputSettings(Section):
    """``[output]``: what is written where."""

    directory: str = Field("results", min_length=1,
                           description="[-] results go to <directory>/<case name>/; relative to "
                                       "the working directory (--output overrides it)")
    write_fields: bool = Field(True, description="[-] write VTK fields (.vtr/.vtm)")
    write_images: bool = Field(True, description="[-] render PNG images off-screen")
    checkpoint: bool = Field(True, description="[-] write checkpoints for --resume")


class CoolantChoice(Section):
    """``[coolant]``: the coolant filling every fluid body (material = "coolant")."""

    name: str = Field("water", min_length=1,
                      description="[-] built-in coolant ('water', 'PG25', ...) or a "
                                  "[materials.<name>] with kind = 'coolant'")


# ---------------------------------------------------------------------------------------------
# [materials.<name>]
# ---------------------------------------------------------------------------------------------


class ConductivityTable(Section):
    """Temperature-dependent conductivity, interpolated linearly (held constant outside)."""

    temperatures: list[Temperature] = Field(min_length=2, description="[K] increasing "
                                                                      "temperatures")
    values: list[Annotated[float, annotated_types.Gt(0)]] = Field(
        min_length=2, description="[W/(m K)] conductivity at each temperature")

    @model_validator(mode="after")
    def _table(self):
        if len(self.values) != len(self.temperatures):
            raise _fail("values", "values and temperatures differ in length", self.values,
                        f"{len(self.temperatures)} values")
        if any(b <= a for a, b in zip(self.temperatures, self.temperatures[1:], strict=False)):
            raise _fail("temperatures", "temperatures must increase", self.temperatures,
                        "strictly increasing")
        return self


def _number_or_table(value) -> str:
    return "table" if isinstance(value, dict) else "number"


Conductivity = Annotated[
    Annotated[float, Tag("number"), annotated_types.Gt(0)] | Annotated[ConductivityTable,
                                                                        Tag("table")],
    Discriminator(_number_or_table),
]


class SolidMaterial(Section):
    """``[materials.<name>]`` with kind = "solid"."""

    kind: Literal["solid"] = Field(description="[-] 'solid'")
    conductivity: Conductivity = Field(description="[W/(m K)] a number, or a table "
                                                   "{temperatures = [...], values = [...]}")
    density: float = Field(gt=0, description="[kg/m3] density")
    specific_heat: float = Field(gt=0, description="[J/(kg K)] specific heat capacity")


class CoolantMaterial(Section):
    """``[materials.<name>]`` with kind = "coolant" (constant properties)."""

    kind: Literal["coolant"] = Field(description="[-] 'coolant'")
    conductivity: float = Field(gt=0, description="[W/(m K)] thermal conductivity")
    density: float = Field(gt=0, description="[kg/m3] density")
    specific_heat: float = Field(gt=0, description="[J/(kg K)] specific heat capacity")
    viscosity: float = Field(gt=0, description="[Pa s] dynamic viscosity")


Material = Annotated[SolidMaterial | CoolantMaterial, Field(discriminator="kind")]


# ---------------------------------------------------------------------------------------------
# [[bodies]]
# ---------------------------------------------------------------------------------------------


class _Body(Section):
    name: Name = Field(description="[-] unique body name")
    material: str = Field(min_length=1, description="[-] a solid (built-in or [materials]) or "
                                                    "'coolant' for a fluid region")

    @property
    def is_fluid(self) -> bool:
        """True for a coolant region (material = "coolant")."""
        return self.material == "coolant"


class _BoxLike(_Body):
    min: Point3 = Field(description="[m] lower corner (x, y, z)")
    max: Point3 = Field(description="[m] upper corner (x, y, z)")

    def extent(self, axis: str) -> float:
        """Edge length [m] of the envelope along ``axis``."""
        i = AXES.index(axis)
        return self.max[i] - self.min[i]

    @model_validator(mode="after")
    def _ordered(self):
        _check_min_max(self.min, self.max)
        return self


class BoxBody(_BoxLike):
    """An axis-aligned box."""

    shape: Literal["box"] = Field(description="[-] 'box'")


class CylinderBody(_Body):
    """An axis-aligned circular cylinder (staircased on the Cartesian grid)."""

    shape: Literal["cylinder"] = Field(description="[-] 'cylinder'")
    base_center: Point3 = Field(description="[m] centre of the base disc (x, y, z)")
    axis: Axis = Field("z", description="[-] axis direction; the cylinder runs from base_center "
                                        "towards +axis")
    radius: Length = Field(gt=0, description="[m] radius")
    length: Length = Field(gt=0, description="[m] length along the axis")


class FinArrayBody(_BoxLike):
    """Parallel plate fins filling a box envelope, stacked along ``stack_axis``.

    ``count`` fins of ``thickness`` are spread evenly so that the outer fins touch the envelope
    faces (a single fin is centred); the gaps between fins keep what was painted before (paint a
    coolant box first).
    """

    shape: Literal["fin_array"] = Field(description="[-] 'fin_array'")
    count: int = Field(ge=1, description="[-] number of fins")
    thickness: Length = Field(gt=0, description="[m] fin thickness along stack_axis")
    stack_axis: Literal["x", "y"] = Field("y", description="[-] axis along which the fins are "
                                                           "stacked (normal to the fin plates)")

    @model_validator(mode="after")
    def _fits(self):
        span = self.extent(self.stack_axis)
        if self.count * self.thickness > span * (1 + 1e-9):
            raise _fail("thickness", f"{self.count} fins of this thickness do not fit in the "
                                     f"{span:.6g} m envelope along {self.stack_axis}",
                        self.thickness, f"count * thickness <= {span:.6g} m")
        return self


class PinFinArrayBody(_BoxLike):
    """A regular (optionally staggered) array of pins standing along ``axis`` in a box envelope.

    The pins span the envelope along ``axis``; in the plane normal to it (axes a, b = the two
    other axes in x, y, z order) their centres form a lattice of pitch (p_a, p_b), centred in the
    envelope. Only the pins are painted.
    """

    shape: Literal["pin_fin_array"] = Field(description="[-] 'pin_fin_array'")
    diameter: Length = Field(gt=0, description="[m] pin diameter (side length for square pins)")
    pitch: Point2 = Field(description="[m] centre-to-centre pitch (p_a, p_b) along the two "
                                      "in-plane axes in x, y, z order")
    axis: Axis = Field("z", description="[-] pin axis")
    pin_shape: Literal["round", "square"] = Field("round", description="[-] pin cross-section")
    staggered: bool = Field(False, description="[-] offset every other row by half a pitch")

    @model_validator(mode="after")
    def _fits(self):
        for a, pitch in enumerate(self.pitch):
            if not pitch > 0:
                raise _fail("pitch", "pitch must be positive", list(self.pitch), "> 0 m")
            if self.diameter > pitch:
                raise _fail("diameter", f"pins overlap: diameter exceeds pitch[{a}]",
                            self.diameter, f"<= {pitch:.6g} m")
        return self


class ChannelArrayBody(_BoxLike):
    """Straight parallel channels along ``direction`` (x or y) inside a box envelope.

    The body is the channels themselves (use material = "coolant" and paint it after the solid
    block it is cut into). They run through the whole envelope, span its full height in z, and are
    spread evenly across the other horizontal axis with the outer channels flush with the envelope
    faces.
    """

    shape: Literal["channel_array"] = Field(description="[-] 'channel_array'")
    count: int = Field(ge=1, description="[-] number of channels")
    width: Length = Field(gt=0, description="[m] channel width across the flow direction")
    direction: Literal["x", "y"] = Field("x", description="[-] flow direction along the channels")

    @model_validator(mode="after")
    def _fits(self):
        across = "y" if self.direction == "x" else "x"
        span = self.extent(across)
        if self.count * self.width > span * (1 + 1e-9):
            raise _fail("width", f"{self.count} channels of this width do not fit in the "
                                 f"{span:.6g} m envelope across the flow (along {across})",
                        self.width, f"count * width <= {span:.6g} m")
        return self


class MeshBody(_Body):
    """A solid read from a mesh file through meshio (STL, OBJ, Gmsh .msh, VTU); must be closed."""

    shape: Literal["mesh"] = Field(description="[-] 'mesh'")
    file: str = Field(min_length=1, description="[-] mesh file, relative to the case file")
    scale: float = Field(1.0, gt=0, description="[-] factor from file coordinates to metres "
                                                "(0.001 for a file in mm), applied before "
                                                "translate")
    translate: Point3 = Field((0.0, 0.0, 0.0), description="[m] offset added after scaling")


Body = Annotated[
    BoxBody | CylinderBody | FinArrayBody | PinFinArrayBody | ChannelArrayBody | MeshBody,
    Field(discriminator="shape"),
]
SHAPES = ("box", "cylinder", "fin_array", "pin_fin_array", "channel_array", "mesh")


# ---------------------------------------------------------------------------------------------
# [[chips]]
# ---------------------------------------------------------------------------------------------


class Footprint(Section):
    """An x-y rectangle."""

    min: Point2 = Field(description="[m] lower corner (x, y)")
    max: Point2 = Field(description="[m] upper corner (x, y)")

    @model_validator(mode="after")
    def _ordered(self):
        _check_min_max(self.min, self.max)
        return self


DEFAULT_CHIP_LIMIT = 95.0 + 273.15
"""Default ``max_temperature`` [K] of a chip: 95 C, a common throttling point of datacenter GPU and
CPU dies (their absolute junction limits are typically 100-105 C)."""


class Chip(Section):
    """``[[chips]]``: a heat source of given power inside a solid die body."""

    name: Name = Field(description="[-] unique chip name")
    body: str = Field(min_length=1, description="[-] the solid body (die) that dissipates the "
                                                "power")
    power: Power = Field(ge=0, description="[W] total dissipated power")
    footprint: Footprint | None = Field(None, description="[m] x-y rectangle of the die over which "
                                                          "the power is spread (default: the "
                                                          "whole die body)")
    power_map: str | None = Field(None, description="[-] CSV grid of non-negative relative power "
                                                    "density over the footprint, one row per "
                                                    "y-strip (first row = lowest y) and one "
                                                    "column per x-strip; path relative to the "
                                                    "case file; scaled to `power`")
    max_temperature: Temperature = Field(DEFAULT_CHIP_LIMIT, gt=0,
                                         description="[K] temperature limit for design checks "
                                                     "(default 95 C)")
    case_body: str | None = Field(None, description="[-] solid body whose face is the chip 'case' "
                                                    "for the thermal resistance R = (T_case - "
                                                    "T_inlet) / power, e.g. the lid (default: "
                                                    "the die body)")
    case_side: Side = Field("z_max", description="[-] face of case_body's bounding box on which "
                                                 "T_case is the area-weighted mean temperature")


# ---------------------------------------------------------------------------------------------
# [[boundaries]]
# ---------------------------------------------------------------------------------------------


class Region(Section):
    """A rectangle on a domain side, in the side's two tangential axes (x, y, z order)."""

    min: Point2 = Field(description="[m] lower corner in the two tangential axes")
    max: Point2 = Field(description="[m] upper corner in the two tangential axes")

    @model_validator(mode="after")
    def _ordered(self):
        _check_min_max(self.min, self.max)
        return self


class _Boundary(Section):
    name: Name = Field(description="[-] unique boundary name")
    side: Side = Field(description="[-] domain side: x_min, x_max, y_min, y_max, z_min, z_max")
    region: Region | None = Field(None, description="[m] part of the side (default: the whole "
                                                    "side); tangential axes in x, y, z order")

    @property
    def is_flow(self) -> bool:
        """True for the patch kinds that only make sense with coolant flow."""
        return self.type in FLOW_TYPES

    @property
    def port_plane(self) -> float | None:
        """[m] ``at`` of an inlet or outlet port on a face of the geometry, else None."""
        return getattr(self, "at", None)


class TemperatureBoundary(_Boundary):
    """Fixed temperature."""

    type: Literal["temperature"] = Field(description="[-] 'temperature'")
    temperature: Temperature = Field(gt=0, description="[K] surface temperature")


class HeatFluxBoundary(_Boundary):
    """Prescribed heat flux."""

    type: Literal["heat_flux"] = Field(description="[-] 'heat_flux'")
    heat_flux: HeatFlux = Field(description="[W/m2] heat flux into the domain (negative: out)")


class ConvectionBoundary(_Boundary):
    """Convective exchange q = h (T_ambient - T_surface)."""

    type: Literal["convection"] = Field(description="[-] 'convection'")
    h: float = Field(gt=0, description="[W/(m2 K)] heat-transfer coefficient")
    ambient_temperature: Temperature = Field(gt=0, description="[K] ambient (or coolant) "
                                                               "temperature")


class AdiabaticBoundary(_Boundary):
    """No heat flux (also the default of every side without a boundary)."""

    type: Literal["adiabatic"] = Field(description="[-] 'adiabatic'")


PORT_PLANE = ("[m] put the port on a face of the geometry inside the domain instead of on the "
              "domain side: the grid plane at this coordinate along the side's axis (e.g. the "
              "ceiling of a plenum under a lid, where a manifold port enters). `side` is then "
              "the side of the coolant the port is on, i.e. its outward normal ('z_max': a port "
              "in a ceiling, flow enters downward); the port covers the faces of `region` with "
              "coolant on that inner side and solid or nothing beyond. Default: on the domain "
              "side")


class InletBoundary(_Boundary):
    """Coolant inlet: exactly one of velocity, volumetric_flow, mass_flow, and a temperature."""

    type: Literal["inlet"] = Field(description="[-] 'inlet'")
    at: Length | None = Field(None, description=PORT_PLANE)
    velocity: Velocity | None = Field(None, gt=0, description="[m/s] uniform inflow velocity "
                                                              "normal to the patch")
    volumetric_flow: VolumetricFlow | None = Field(None, gt=0, description="[m3/s] flow rate "
                                                                           "(e.g. '1.5 L/min')")
    mass_flow: MassFlow | None = Field(None, gt=0, description="[kg/s] mass flow rate")
    temperature: Temperature = Field(gt=0, description="[K] inlet coolant temperature")

    @model_validator(mode="after")
    def _one_flow_spec(self):
        given = [k for k in FLOW_SPECS if getattr(self, k) is not None]
        if len(given) != 1:
            raise _fail(given[1] if len(given) > 1 else None,
                        f"an inlet needs exactly one flow specification, found {len(given)}"
                        + (f" ({', '.join(given)})" if given else ""),
                        allowed="exactly one of " + ", ".join(FLOW_SPECS))
        return self

    def flow_spec(self) -> tuple[str, float]:
        """``(kind, value)`` of the given flow specification, SI."""
        for key in FLOW_SPECS:
            if getattr(self, key) is not None:
                return key, getattr(self, key)
        raise AssertionError("validated inlet without a flow specification")


FLOW_SPECS = ("velocity", "volumetric_flow", "mass_flow")


class OutletBoundary(_Boundary):
    """Coolant outlet at a fixed static pressure."""

    type: Literal["outlet"] = Field(description="[-] 'outlet'")
    at: Length | None = Field(None, description=PORT_PLANE)
    pressure: Pressure = Field(0.0, description="[Pa] static (gauge) pressure")


class WallBoundary(_Boundary):
    """No-slip wall for the flow (thermally adiabatic)."""

    type: Literal["wall"] = Field(description="[-] 'wall'")


class SymmetryBoundary(_Boundary):
    """Symmetry plane: zero normal velocity, zero normal gradients, no heat flux."""

    type: Literal["symmetry"] = Field(description="[-] 'symmetry'")


Boundary = Annotated[
    TemperatureBoundary | HeatFluxBoundary | ConvectionBoundary | AdiabaticBoundary
    | InletBoundary | OutletBoundary | WallBoundary | SymmetryBoundary,
    Field(discriminator="type"),
]
FLOW_TYPES = ("inlet", "outlet", "wall")
# which equations each boundary type sets (solver.boundaries: wall/symmetry are thermally neutral)
_EQUATIONS = {"temperature": ("energy",), "heat_flux": ("energy",), "convection": ("energy",),
              "adiabatic": ("energy",), "inlet": ("energy", "flow"), "outlet": ("energy", "flow"),
              "wall": ("flow",), "symmetry": ("flow",)}


# ---------------------------------------------------------------------------------------------
# the coupled rack: [coupling], [report], [[scenarios]]
# ---------------------------------------------------------------------------------------------


class CouplingSettings(Section):
    """``[coupling]``: cold plates of a rack solved in 3D inside the network."""

    flows: list[VolumetricFlow] = Field(
        [0.5 / 60000, 1.0 / 60000, 1.5 / 60000, 2.5 / 60000], min_length=1,
        description="[m3/s] characterization flows of each plate case (curves stored next to "
                    "the plate case, keyed by its geometry hash, computed when missing)")
    every_plate: bool = Field(False, description="[-] 3D solve at every plate's operating "
                                                 "point (default: the hottest of each group)")
    flow_rtol: float = Field(1e-3, gt=0, description="[-] plate flow change between passes")
    temperature_tol: TemperatureDifference = Field(0.05, gt=0, description="[K] plate inlet "
                                                   "temperature change between passes")
    heat_rtol: float = Field(5e-3, gt=0, description="[-] heat removed by each 3D solve vs its "
                                                     "plate power")
    max_passes: int = Field(10, ge=1, description="[-] largest number of network + 3D passes")
    workers: int = Field(0, ge=0, description="[-] Dask local-cluster workers for the 3D solves "
                                              "(0: serial in this process)")
    scheduler: str = Field("", description="[-] Dask scheduler address (e.g. "
                                           "'tcp://head:8786'); overrides workers")


class ReportSettings(Section):
    """``[report]``: design-check thresholds (overriding solver.report.DesignLimits)."""

    room_dew_point: Temperature | None = Field(None, description="[K] room dew point "
                                               "(dew-point check skipped when absent)")
    dew_point_margin_min: TemperatureDifference = Field(
        2.0, ge=0, description="[K] smallest TCS supply margin above the dew point")
    water_class: Literal["W17", "W27", "W32", "W40", "W45", "W+"] | None = Field(
        None, description="[-] ASHRAE facility water class checked (default: the rack's "
                          "facility water_class)")
    chip_temperature_max: Temperature = Field(95.0 + 273.15, gt=0, description="[K] limit of "
                                              "chips without their own max_temperature")
    flow_per_kw_min: float = Field(1.25, ge=0, description="[L/min/kW] OCP flow per heat, low")
    flow_per_kw_max: float = Field(2.0, ge=0, description="[L/min/kW] OCP flow per heat, high")
    tcs_rise_min: TemperatureDifference = Field(8.0, ge=0, description="[K] TCS rise band, low")
    tcs_rise_max: TemperatureDifference = Field(12.0, ge=0, description="[K] TCS rise band, "
                                                "high")
    cdu_approach_min: TemperatureDifference = Field(3.0, ge=0, description="[K] CDU approach "
                                                    "band, low (notes only)")
    cdu_approach_max: TemperatureDifference = Field(5.0, ge=0, description="[K] CDU approach, "
                                                    "largest")
    plate_pressure_drop_max: Pressure = Field(20e3, gt=0, description="[Pa] largest cold-plate "
                                              "pressure drop")
    rack_pressure_drop_max: Pressure | None = Field(None, description="[Pa] rack pressure-drop "
                                                    "budget (not checked when absent)")
    channel_velocity_max: Velocity = Field(2.5, gt=0, description="[m/s] coolant velocity "
                                           "limit")
    heat_balance_tolerance: float = Field(0.005, gt=0, description="[-] chip power vs heat to "
                                                                   "facility water")

    @model_validator(mode="after")
    def _bands(self):
        for low, high in (("flow_per_kw_min", "flow_per_kw_max"),
                          ("tcs_rise_min", "tcs_rise_max"),
                          ("cdu_approach_min", "cdu_approach_max")):
            if getattr(self, low) > getattr(self, high):
                raise ValueError(f"report: {low} ({getattr(self, low):g}) is above {high} "
                                 f"({getattr(self, high):g})")
        return self


class _Scenario(Section):
    name: str = Field("", description="[-] label in the comparison (default: the kind)")


class PumpFailedScenario(_Scenario):
    """A CDU pump trip: ``failed`` running units stop."""

    kind: Literal["pump_failed"] = Field(description="[-] scenario kind")
    failed: int = Field(1, ge=1, description="[-] units that stop")
    pump: str = Field("", description="[-] pump component (default: the CDU pumps)")


class PlateBlockedScenario(_Scenario):
    """A cold plate partly blocked: dP(Q) x 1/(1-fraction)^2."""

    kind: Literal["plate_blocked"] = Field(description="[-] scenario kind")
    plate: str = Field("", description="[-] plate component, e.g. 'tray.5.gpu.2' (default: "
                                       "the first)")
    fraction: float = Field(0.5, ge=0, lt=1, description="[-] blocked fraction of the flow "
                                                         "area")


class FacilityOffsetScenario(_Scenario):
    """Facility water supply temperature raised by ``delta``."""

    kind: Literal["facility_offset"] = Field(description="[-] scenario kind")
    delta: TemperatureDifference = Field(5.0, description="[K] supply temperature change")


class PowerScaleScenario(_Scenario):
    """Chip powers multiplied by ``factor`` (all plates or the named ones)."""

    kind: Literal["power_scale"] = Field(description="[-] scenario kind")
    factor: float = Field(1.4, gt=0, description="[-] power factor")
    plates: list[str] = Field([], description="[-] plate components (default: all)")


class QdMissingScenario(_Scenario):
    """A quick disconnect left unconnected: what it alone fed gets no coolant."""

    kind: Literal["qd_missing"] = Field(description="[-] scenario kind")
    component: str = Field("", description="[-] quick-disconnect component (default: the "
                                           "first)")


ScenarioSpec = Annotated[
    PumpFailedScenario | PlateBlockedScenario | FacilityOffsetScenario | PowerScaleScenario
    | QdMissingScenario, Field(discriminator="kind")]


# ---------------------------------------------------------------------------------------------
# the case
# ---------------------------------------------------------------------------------------------


class Case(Section):
    """A validated case: every quantity SI, temperatures in kelvin.

    Build one with :func:`load_case`, which also runs the semantic checks of
    :func:`validate_case` and records :attr:`source_path`.
    """

    case: CaseInfo = Field(description="[-] name and description")
    solver: SolverSettings = Field(default_factory=SolverSettings, description="[-] solver "
                                                                               "settings")
    grid: GridSettings = Field(default_factory=GridSettings, description="[-] grid settings")
    materials: dict[Name, Material] = Field(default_factory=dict,
                                            description="[-] user-defined materials by name")
    coolant: CoolantChoice = Field(default_factory=CoolantChoice, description="[-] the coolant")
    bodies: list[Body] = Field(default_factory=list,
                               description="[-] geometry, painted in order (later bodies "
                                           "overwrite earlier ones); a case needs bodies, a "
                                           "[network], or both")
    chips: list[Chip] = Field(default_factory=list, description="[-] heat sources")
    boundaries: list[Boundary] = Field(default_factory=list,
                                       description="[-] boundary patches (sides without one are "
                                                   "adiabatic)")
    output: OutputSettings = Field(default_factory=OutputSettings, description="[-] output")
    network: NetworkSection | None = Field(
        None, description="[-] rack network: manifolds, CDU, facility water (docs/network.md)")
    coupling: CouplingSettings = Field(default_factory=CouplingSettings,
                                       description="[-] 3D cold plates inside the rack network "
                                                   "(plate groups with case = ...)")
    report: ReportSettings = Field(default_factory=ReportSettings,
                                   description="[-] design-check thresholds of the rack report")
    scenarios: list[ScenarioSpec] = Field(default_factory=list,
                                          description="[-] what-if variations of a rack, solved "
                                                      "and reported beside the design point")

    _source_path: Path | None = PrivateAttr(None)
    _display_path: str | None = PrivateAttr(None)
    _raw: dict | None = PrivateAttr(None)

    @property
    def source_path(self) -> Path | None:
        """The case file this case was read from (None when built in memory)."""
        return self._source_path

    @property
    def case_dir(self) -> Path:
        """Directory against which relative paths (meshes, power maps) are resolved."""
        return self._source_path.parent if self._source_path else Path.cwd()

    @property
    def name(self) -> str:
        """The case name: ``[case] name`` or the case file's stem."""
        if self.case.name:
            return self.case.name
        return self._source_path.stem if self._source_path else "case"

    def resolve(self, relative: str) -> Path:
        """Resolve a path written in the case file against :attr:`case_dir`."""
        path = Path(relative)
        return path if path.is_absolute() else self.case_dir / path

    def body(self, name: str):
        """The body called ``name`` (KeyError when absent)."""
        for body in self.bodies:
            if body.name == name:
                return body
        raise KeyError(name)

    @property
    def total_power(self) -> float:
        """Sum of chip powers [W]."""
        return float(sum(chip.power for chip in self.chips))

    @property
    def fluid_bodies(self) -> list:
        """Bodies filled with coolant."""
        return [b for b in self.bodies if b.is_fluid]

    def material(self, name: str):
        """The material object for ``name`` (a :class:`solver.materials.Solid` or ``Coolant``).

        User-defined ``[materials.<name>]`` come first, then the built-ins of
        :mod:`solver.materials`; ``"coolant"`` is the case's coolant.
        """
        materials = importlib.import_module("solver.materials")
        if name == "coolant":
            name = self.coolant.name
        spec = self.materials.get(name)
        if spec is None:
            if _is_builtin(materials, "get_coolant", name):
                return materials.get_coolant(name)
            return materials.get_solid(name)
        if spec.kind == "coolant":
            return materials.Coolant.constant(name, spec.density, spec.specific_heat,
                                              spec.viscosity, spec.conductivity)
        if isinstance(spec.conductivity, ConductivityTable):
            return materials.Solid.from_table(name, list(spec.conductivity.temperatures),
                                              list(spec.conductivity.values), spec.density,
                                              spec.specific_heat)
        return materials.Solid.constant(name, spec.conductivity, spec.density,
                                        spec.specific_heat)

    def coolant_material(self):
        """The :class:`solver.materials.Coolant` filling the fluid bodies."""
        return self.material("coolant")


# ---------------------------------------------------------------------------------------------
# loading and the schema error mapping
# ---------------------------------------------------------------------------------------------

_TOML_POSITION = re.compile(r"^(.*?)\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


def load_case(path: str | Path, check: bool = True) -> Case:
    """Read, validate and return the case in ``path``.

    Parameters
    ----------
    path : str or Path
        The TOML case file.
    check : bool
        Run the semantic pass :func:`validate_case` (default True).

    Returns
    -------
    Case

    Raises
    ------
    CaseError
        For unreadable files, TOML syntax errors (with line and column), schema errors (with the
        key path, the value and what is allowed) and semantic errors.
    """
    path = Path(path)
    if not path.is_file():
        raise CaseError(path, None, "case file not found" if not path.exists()
                        else "not a regular file")
    text = path.read_bytes().decode("utf-8", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = _TOML_POSITION.match(str(error))
        if match:
            if match.group(2):
                where = f"line {match.group(2)}, column {match.group(3)}"
            else:
                lines = text.splitlines() or [""]
                where = f"line {len(lines)}, column {len(lines[-1]) + 1} (end of file)"
            raise CaseError(path, where, f"invalid TOML: {match.group(1)}") from None
        raise CaseError(path, None, f"invalid TOML: {error}") from None
    case = case_from_dict(data, path)
    if check:
        validate_case(case)
    return case


def case_from_dict(data: dict, path: str | Path | None = None) -> Case:
    """Validate a parsed TOML mapping against the schema (no semantic pass).

    Parameters
    ----------
    data : dict
        The TOML document as read by :func:`tomllib.loads`.
    path : str or Path, optional
        The file it came from, for error messages and relative paths.

    Raises
    ------
    CaseError
        For the first schema violation.
    """
    try:
        case = Case.model_validate(data)
    except ValidationError as error:
        raise _case_error_from_validation(error, data, path) from None
    if path is not None:
        case._source_path = Path(path).resolve()
        case._display_path = str(path)
    case._raw = data
    return case


def _walk_location(loc: tuple, data, root=None) -> tuple[list, Any]:
    """Turn a pydantic error location into the user's key path and the value found there.

    Discriminated unions insert their tag (``'box'``, ``'inlet'``, ``'number'``) into the
    location; walking the schema alongside the data tells those apart from real keys (a tag can
    have the same spelling as a key, e.g. ``type = "temperature"`` and ``temperature = ...``).
    """
    path: list = []
    node = data
    found = True
    annotation: Any = root or Case
    for element in loc:
        unwrapped = _unwrap(annotation)
        if _is_union(unwrapped):
            # a union tag: not part of the user's path
            annotation = _union_member(unwrapped, element)
            continue
        path.append(element)
        annotation = _child_annotation(unwrapped, element)
        if found and isinstance(node, dict) and element in node:
            node = node[element]
        elif found and isinstance(node, list) and isinstance(element, int) \
                and 0 <= element < len(node):
            node = node[element]
        else:
            found = False
    return path, (node if found else _NOTHING)


def _child_annotation(annotation, element):
    """Annotation of ``element`` (a key or index) inside ``annotation`` (None if unknown)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        field = annotation.model_fields.get(element) if isinstance(element, str) else None
        return None if field is None else field.annotation
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    if origin is tuple and args and isinstance(element, int):
        return args[min(element, len(args) - 1)]
    return None


def _format_path(path: list) -> str:
    text = ""
    for element in path:
        if isinstance(element, int):
            text += f"[{element}]"
        else:
            text += ("." if text else "") + str(element)
    return text


def _annotation_at(loc: tuple, root=None):
    """The type annotation addressed by the raw pydantic error location ``loc`` (or None)."""
    current: Any = root or Case
    for element in loc:
        current = _unwrap(current)
        if _is_union(current):
            current = _union_member(current, element)
        else:
            current = _child_annotation(current, element)
        if current is None:
            return None
    return current


def _model_at(loc: tuple, root=None):
    """The pydantic model class addressed by the raw error location ``loc`` (or None)."""
    current = _unwrap(_annotation_at(loc, root))
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation):
    """Strip Annotated and Optional wrappers."""
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if _is_union(annotation):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation


def _is_union(annotation) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def _union_member(annotation, tag):
    """The member of a tagged union whose discriminator literal or Tag equals ``tag``."""
    for member in typing.get_args(annotation):
        if typing.get_origin(member) is Annotated:
            if any(isinstance(m, Tag) and m.tag == tag for m in member.__metadata__):
                return member
        model = _unwrap(member)
        if isinstance(model, type) and issubclass(model, BaseModel):
            for field in model.model_fields.values():
                if typing.get_origin(field.annotation) is Literal and \
                        tag in typing.get_args(field.annotation):
                    return model
    return None


_UNIT_MESSAGE = re.compile(r"^cannot read (.*) as an? (.*?); write a number in SI or "
                           r"'<number> <unit>' with unit one of: (.*)$")
_BOUND_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _field_at(loc: tuple, root=None):
    """The last pydantic field on the way to ``loc`` (union tags and array indexes skipped)."""
    annotation: Any = root or Case
    found = None
    for element in loc:
        unwrapped = _unwrap(annotation)
        if _is_union(unwrapped):
            annotation = _union_member(unwrapped, element)
            continue
        if isinstance(unwrapped, type) and issubclass(unwrapped, BaseModel):
            found = unwrapped.model_fields.get(element) if isinstance(element, str) else None
        annotation = _child_annotation(unwrapped, element)
        if annotation is None:
            break
    return found


def _case_error_from_validation(error: ValidationError, data, path, root=None) -> CaseError:
    """Map the first pydantic error to a :class:`CaseError` with the user's key path.

    ``root`` is the model ``data`` was validated against (default :class:`Case`).
    """
    first = error.errors(include_url=False)[0]
    kind, loc, ctx = first["type"], tuple(first["loc"]), first.get("ctx") or {}
    key_path, value = _walk_location(loc, data, root)
    field = _field_at(loc, root)
    unit = _unit(field.description or "") if field is not None else ""
    unit_suffix = f" {unit}" if unit and unit != "-" else ""
    if value is _NOTHING and kind not in ("missing", "union_tag_not_found", "extra_forbidden"):
        value = first.get("input", _NOTHING)
    message, allowed = first["msg"], None

    if kind == "extra_forbidden":
        model = _model_at(loc[:-1], root)
        message = "unknown key"
        if model is not None:
            allowed = ", ".join(model.model_fields)
            close = _close_match(str(loc[-1]), list(model.model_fields))
            if close:
                message = f"unknown key (did you mean '{close}'?)"
    elif kind == "missing" and key_path and isinstance(key_path[-1], int):
        # a fixed-length array with too few items
        array = _annotation_at(loc[:-1], root)
        count = len(typing.get_args(_unwrap(array))) if array is not None else None
        key_path, value = key_path[:-1], _lookup(data, key_path[:-1])
        message = "too few values"
        allowed = f"exactly {count} values" if count else None
    elif kind == "missing":
        is_table = _models_in(field.annotation) if field is not None else []
        message = "missing required table" if is_table else "missing required key"
        allowed = _type_text(field) if field is not None and not is_table else None
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = ctx.get("discriminator", "").strip("'")
        key_path = [*key_path, tag]
        value = _lookup(data, key_path)
        allowed = _expected_tags(loc, tag, root) or ctx.get("expected_tags")
        message = f"missing required key '{tag}'" if kind == "union_tag_not_found" \
            else f"unknown {tag}"
    elif kind == "literal_error":
        message, allowed = "not an allowed value", ctx.get("expected")
    elif kind in _BOUND_ERRORS:
        message = "out of range"
        bound = next(iter(ctx.values()), "")
        allowed = (_range_text(field) if field is not None else f"{bound}") + unit_suffix
    elif kind in ("too_short", "too_long"):
        message = "wrong number of values"
        array = _unwrap(field.annotation) if field is not None else None
        if typing.get_origin(array) is tuple:
            allowed = f"exactly {len(typing.get_args(array))} values"
        else:
            allowed = _range_text(field) if field is not None else None
    elif kind == "value_error":
        text = str(ctx.get("error", message))
        match = _UNIT_MESSAGE.match(text)
        if match:
            message = f"cannot read as a {match.group(2)}"
            allowed = f"a number (SI) or '<number> <unit>' with unit one of {match.group(3)}"
        elif text.startswith("expected a") and field is not None:
            message, allowed = "wrong type", _type_text(field)
        else:
            message = text
    elif kind == "case_value":
        if ctx.get("key"):
            key_path = [*key_path, *ctx["key"].split(".")]
            value = _lookup(data, key_path)
        message = ctx.get("message", message)
        allowed = ctx.get("allowed") or None
        if "value" in ctx and value is _NOTHING:
            value = ctx["value"]
    elif kind == "string_pattern_mismatch":
        message = "not a valid name"
        allowed = "letters, digits, '_', '-', '.' (not starting with '-' or '.')"
    elif kind.endswith(("_type", "_parsing")) or kind == "int_from_float":
        message = "wrong type"
        allowed = _type_text(field) if field is not None else _TYPE_WORDS.get(
            kind.split("_")[0], kind.split("_")[0])
        if field is not None and typing.get_origin(_unwrap(field.annotation)) in (tuple, list) \
                and isinstance(loc[-1], int):
            allowed = _describe(typing.get_args(_unwrap(field.annotation))[0])
    return CaseError(path, _format_path(key_path) or None, message, value, allowed)


_TYPE_WORDS = {"float": "a number", "int": "an integer", "bool": "true or false",
               "string": "a string", "dict": "a table", "list": "an array", "tuple": "an array",
               "model": "a table"}


def _lookup(data, key_path: list):
    node = data
    for element in key_path:
        if isinstance(element, int) and isinstance(node, list) and 0 <= element < len(node):
            node = node[element]
        elif isinstance(node, dict) and element in node:
            node = node[element]
        else:
            return _NOTHING
    return node


def _expected_tags(loc: tuple, tag: str, root=None) -> str | None:
    """The allowed values of the discriminator ``tag`` of the union at ``loc``."""
    annotation = _unwrap(_annotation_at(loc, root))
    if not _is_union(annotation):
        return None
    values = []
    for member in typing.get_args(annotation):
        model = _unwrap(member)
        member_field = getattr(model, "model_fields", {}).get(tag)
        if member_field is not None and typing.get_origin(member_field.annotation) is Literal:
            values.extend(typing.get_args(member_field.annotation))
    return ", ".join(f'"{v}"' for v in values) or None


def _close_match(word: str, candidates: list[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.7)
    return matches[0] if matches else None


# ---------------------------------------------------------------------------------------------
# the semantic pass
# ---------------------------------------------------------------------------------------------


def _materials_module():
    """:mod:`solver.materials`, or None while it is not installed (checks then skip built-ins)."""
    if importlib.util.find_spec("solver.materials") is None:
        return None
    return importlib.import_module("solver.materials")


def _geometry_module():
    if importlib.util.find_spec("solver.geometry") is None:
        return None
    return importlib.import_module("solver.geometry")


def validate_case(case: Case) -> None:
    """Semantic checks that need the whole case (and the files it names), before any solving.

    Raises
    ------
    CaseError
        For the first problem found.
    """
    err = _error_factory(case._display_path or case.source_path, case._raw)
    materials = _materials_module()
    solid_names = _canonical(materials, "SOLIDS", "SOLID_ALIASES")
    coolant_names = _canonical(materials, "COOLANTS", "COOLANT_ALIASES")
    user_solids = {n for n, m in case.materials.items() if m.kind == "solid"}
    user_coolants = {n for n, m in case.materials.items() if m.kind == "coolant"}

    def is_solid(name: str) -> bool:
        return name in user_solids or _is_builtin(materials, "get_solid", name)

    def is_coolant(name: str) -> bool:
        return name in user_coolants or _is_builtin(materials, "get_coolant", name)

    if not case.bodies and case.network is None:
        raise err("bodies", "nothing to solve: the case has no bodies and no network",
                  allowed="at least one [[bodies]] entry, or a [network] section")
    _check_rack_plates(case, err)

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
        if name == "coolant" or _is_builtin(materials, "get_solid", name) or \
                _is_builtin(materials, "get_coolant", name):
            raise err(f"materials.{name}", "user material shadows a built-in material name", name,
                      "a name that is not built in")

    # the coolant (names are checked only when solver.materials is available)
    if materials is not None and not is_coolant(case.coolant.name):
        message = "is a solid, not a coolant" if is_solid(case.coolant.name) \
            else "unknown coolant"
        raise err("coolant.name", message, case.coolant.name,
                  _names(coolant_names | user_coolants) + ", PG<n>, EG<n> (n % by mass)")

    # bodies: materials and geometry
    solids_text = "coolant, " + _names(solid_names | user_solids)
    for i, body in enumerate(case.bodies):
        if body.is_fluid or materials is None:
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
            raise err(f"chips[{i}].body", "unknown body", chip.body, _names(body_index))
        body = case.bodies[body_index[chip.body]]
        if body.is_fluid:
            raise err(f"chips[{i}].body", f"power on no solid: body '{chip.body}' is a coolant "
                      "region", chip.body,
                      _names(b.name for b in case.bodies if not b.is_fluid) or "a solid body")
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
                          _names(body_index))
            if case.bodies[body_index[chip.case_body]].is_fluid:
                raise err(f"chips[{i}].case_body", "the case surface must be on a solid body",
                          chip.case_body, _names(b.name for b in case.bodies if not b.is_fluid))
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
        for equation in _EQUATIONS[boundary.type]:
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
    if physics == "conjugate":
        if not fluid:
            raise err("bodies", "conjugate case without a coolant region",
                      allowed="at least one body with material = \"coolant\"")
        kinds = {b.type for b in case.boundaries}
        for needed in ("inlet", "outlet"):
            if needed not in kinds:
                raise err("boundaries", f"conjugate case without an {needed}",
                          allowed=f"a [[boundaries]] entry with type = \"{needed}\"")
        _check_coolant_temperatures(case, err)


def plate_case_files(case: Case) -> dict[str, Path]:
    """The 3D cold-plate case file of each rack plate group that names one (group -> path)."""
    rack = case.network.rack if case.network is not None else None
    if rack is None:
        return {}
    return {g.name: case.resolve(g.case) for g in rack.plates if g.case}


def _check_rack_plates(case: Case, err) -> None:
    """Scenarios need a network; plate-group case files exist and are conjugate cold plates."""
    if case.scenarios and case.network is None:
        raise err("scenarios", "scenarios vary a rack network, but the case has no [network]",
                  allowed="a [network] section, or no [[scenarios]]")
    if case.network is None or case.network.rack is None:
        return
    for i, group in enumerate(case.network.rack.plates):
        if not group.case:
            continue
        key = f"network.rack.plates[{i}].case"
        path = case.resolve(group.case)
        if not path.is_file():
            raise err(key, f"cold-plate case file not found ({path})", group.case,
                      "a TOML case file, relative to this case")
        plate = load_case(path)
        if plate.solver.physics != "conjugate":
            raise err(key, f"plate case {plate.name!r} has physics "
                           f"{plate.solver.physics!r}", group.case,
                      'a conjugate cold-plate case ([solver] physics = "conjugate")')
        if plate.coolant.name.lower() != case.coolant.name.lower():
            raise err(key, f"plate case {plate.name!r} uses coolant {plate.coolant.name!r} but "
                           f"the rack loop runs {case.coolant.name!r}", group.case,
                      "the same [coolant] name in both cases")


def _canonical(materials, registry: str, aliases: str) -> set[str]:
    """Built-in material names without their aliases (empty without solver.materials)."""
    names = set(getattr(materials, registry, {}) or {})
    return names - set(getattr(materials, aliases, {}) or {})


def _is_builtin(materials, getter: str, name: str) -> bool:
    """True when ``solver.materials.<getter>(name)`` knows the material."""
    if materials is None:
        return False
    try:
        getattr(materials, getter)(name)
    except materials.UnknownMaterialError:
        return False
    return True


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


def _available(module_name: str) -> bool:
    """True when ``module_name`` is imported already or can be imported."""
    if module_name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(module_name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _check_power_map(case: Case, i: int, chip: Chip, err) -> None:
    """The power map must exist and be a grid of non-negative numbers with a positive sum."""
    path = case.resolve(chip.power_map)
    key = f"chips[{i}].power_map"
    if not path.is_file():
        raise err(key, "power-map file not found", chip.power_map,
                  f"a CSV file relative to {case.case_dir}")
    if importlib.util.find_spec("solver.energy") is None:
        return
    energy = importlib.import_module("solver.energy")
    try:
        energy.load_power_map(path)
    except ValueError as error:
        text = str(error).replace(str(path), chip.power_map)
        raise err(key, f"unreadable power map: {text}", chip.power_map,
                  "comma-separated rows of non-negative numbers with a positive sum") from None


def case_error(case: Case, key: str, message: str, value=_NOTHING, allowed=None) -> CaseError:
    """A :class:`CaseError` for a problem found after validation (e.g. against the grid), with
    the value shown as written in the case file."""
    return _error_factory(case._display_path or case.source_path, case._raw)(
        key, message, value, allowed)


def _error_factory(path, raw=None):
    """``err(key, message, value, allowed)`` building CaseErrors for one case.

    When the key names a value in the file (not a whole array item), the value is shown as the
    user wrote it (``"150 C"``), not in SI.
    """
    def err(key, message, value=_NOTHING, allowed=None):
        if raw is not None and value is not _NOTHING and key and not key.endswith("]"):
            written = _lookup(raw, _parse_key_path(key))
            if written is not _NOTHING:
                value = written
        return CaseError(path, key, message, value, allowed)
    return err


def _parse_key_path(key: str) -> list:
    """``"bodies[2].max"`` -> ``["bodies", 2, "max"]``."""
    parts: list = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", key):
        parts.append(int(index) if index else name)
    return parts


def _names(names) -> str:
    names = sorted(set(names))
    return ", ".join(names) if names else "(none)"


def _check_coolant_temperatures(case: Case, err) -> None:
    """Inlet temperatures must lie in the coolant's valid range."""
    if _materials_module() is None:
        return
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


def body_bounds(body, case_dir: Path | None = None):
    """Axis-aligned bounding box ``((xmin, ymin, zmin), (xmax, ymax, zmax))`` of a body [m].

    Mesh bodies are read through :mod:`solver.geometry` (None when it is not installed); a
    missing or broken mesh raises :class:`solver.geometry.GeometryError`.
    """
    if isinstance(body, _BoxLike):
        return tuple(body.min), tuple(body.max)
    if isinstance(body, CylinderBody):
        a = AXES.index(body.axis)
        lo = [c - body.radius for c in body.base_center]
        hi = [c + body.radius for c in body.base_center]
        lo[a] = body.base_center[a]
        hi[a] = body.base_center[a] + body.length
        return tuple(lo), tuple(hi)
    if isinstance(body, MeshBody):
        if _geometry_module() is None:
            return None
        lo, hi = geometry_body(body, case_dir).bounding_box()
        return tuple(float(v) for v in lo), tuple(float(v) for v in hi)
    raise TypeError(f"unknown body type {type(body).__name__}")


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
    geometry = importlib.import_module("solver.geometry")
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
    bc = importlib.import_module("solver.boundaries")
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
    """``[solver.flow]`` as :class:`solver.flow.FlowSettings`.

    ``"tvd"`` maps to van Leer; the flow solver's single residual tolerance is the smaller of the
    continuity and momentum tolerances (the energy tolerance and the monitors are applied by the
    conjugate driver).
    """
    flow = importlib.import_module("solver.flow")
    settings = case.solver.flow
    scheme = "van_leer" if settings.scheme == "tvd" else settings.scheme
    return flow.FlowSettings(
        convection=scheme, algorithm=settings.algorithm,
        relax_velocity=settings.relaxation.velocity, relax_pressure=settings.relaxation.pressure,
        max_iterations=settings.max_iterations,
        tolerance=min(settings.tolerances.continuity, settings.tolerances.momentum),
        pressure_rtol=settings.pressure_rtol,
        pressure_max_iterations=settings.pressure_max_iterations)


def chip_footprint(case: Case, chip: Chip):
    """The chip's heated rectangle ``((x0, x1), (y0, y1))`` [m] (default: its body's plan).

    This is the ``footprint`` argument of :func:`solver.energy.chip_heat_source`.
    """
    if chip.footprint is not None:
        return tuple(zip(chip.footprint.min, chip.footprint.max, strict=True))
    lo, hi = body_bounds(case.body(chip.body), case.case_dir)
    return (lo[0], hi[0]), (lo[1], hi[1])


def _checked_body_bounds(case: Case, i: int, body, err):
    """Bounding box of body ``i``; mesh files must exist and be watertight."""
    if not isinstance(body, MeshBody):
        return body_bounds(body)
    path = case.resolve(body.file)
    if not path.is_file():
        raise err(f"bodies[{i}].file", "mesh file not found", body.file,
                  f"a mesh file (STL, OBJ, .msh, VTU) relative to {case.case_dir}")
    geometry = _geometry_module()
    if geometry is None:
        return None
    try:
        return body_bounds(body, case.case_dir)
    except geometry.GeometryError as error:
        text = str(error).replace(str(path), body.file)
        raise err(f"bodies[{i}].file", text, body.file,
                  "a closed (watertight), non-degenerate surface mesh") from None


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


# ---------------------------------------------------------------------------------------------
# hashing
# ---------------------------------------------------------------------------------------------

_HASH_SCOPES = {
    # what fixes the flow field and the grid: used for characterization curves
    "geometry": ("grid", "materials", "coolant", "bodies", "solver"),
    # everything that changes the solution: used for checkpoints
    "full": ("grid", "materials", "coolant", "bodies", "solver", "chips", "boundaries",
             "network"),
}


def case_hash(case: Case, scope: Literal["full", "geometry"] = "full") -> str:
    """SHA-256 of the parts of a case that determine its solution.

    Parameters
    ----------
    case : Case
    scope : {"full", "geometry"}
        ``"geometry"``: grid, materials, coolant, bodies (with the content of mesh files),
        solver settings, and the layout that fixes a cold plate's curves: chip bodies,
        footprints, case faces and power-map contents, and the types, sides and regions of the
        boundary patches (not their values: flow, inlet temperature and chip power are what
        characterization varies or scales); for characterization curves. ``"full"`` adds chips,
        boundaries and the network (all values), for checkpoints.
        The backend choice, the output settings and the name/description never
        enter the hash.

    Returns
    -------
    str
        64 hexadecimal digits.
    """
    if scope not in _HASH_SCOPES:
        raise ValueError(f"scope must be one of {tuple(_HASH_SCOPES)}, got {scope!r}")
    data = case.model_dump(mode="json", include=set(_HASH_SCOPES[scope]))
    data["solver"].pop("backend", None)
    files = {}
    for body in case.bodies:
        if isinstance(body, MeshBody):
            files[body.file] = _file_digest(case.resolve(body.file))
    if scope == "geometry":
        # what fixes the curves beyond the flow field: chip footprints and power-map shapes
        # (powers scale), and where the patches are (their values are what gets varied)
        data["layout"] = {
            "chips": [{"name": c.name, "body": c.body, "case_body": c.case_body,
                       "case_side": c.case_side,
                       "footprint": None if c.footprint is None
                       else c.footprint.model_dump(mode="json")} for c in case.chips],
            "patches": [{"type": b.type, "side": b.side,
                         "region": None if b.region is None else b.region.model_dump(mode="json")}
                        for b in case.boundaries]}
    for chip in case.chips:
        if chip.power_map:
            files[chip.power_map] = _file_digest(case.resolve(chip.power_map))
    data["files"] = files
    return hash_case(data)


def _file_digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


# ---------------------------------------------------------------------------------------------
# the key reference
# ---------------------------------------------------------------------------------------------

_UNIT_TYPES = {
    "length": units.Length, "temperature": units.Temperature,
    "temperature difference": units.TemperatureDifference,
    "volumetric flow": units.VolumetricFlow, "mass flow": units.MassFlow,
    "pressure": units.Pressure, "power": units.Power, "velocity": units.Velocity,
    "heat flux": units.HeatFlux,
}
_UNIT_TABLES = {
    "length": units.LENGTH_UNITS, "temperature": units.TEMPERATURE_UNITS,
    "temperature difference": units.TEMPERATURE_DIFFERENCE_UNITS,
    "volumetric flow": units.VOLUMETRIC_FLOW_UNITS, "mass flow": units.MASS_FLOW_UNITS,
    "pressure": units.PRESSURE_UNITS, "power": units.POWER_UNITS,
    "velocity": units.VELOCITY_UNITS, "heat flux": units.HEAT_FLUX_UNITS,
}


def _validator_ids() -> dict[int, str]:
    ids = {}
    for word, annotated in _UNIT_TYPES.items():
        for meta in typing.get_args(annotated)[1:]:
            ids[id(meta)] = word
    return ids


def _unit(description: str) -> str:
    match = re.match(r"^\[([^\]]*)\]", description)
    return match.group(1) if match else ""


def _describe(annotation, metadata=()) -> str:
    """Human words for a field type ("length", "one of 'a', 'b'", "array of 3 lengths")."""
    ids = _validator_ids()
    for meta in metadata:
        if id(meta) in ids:
            return ids[id(meta)]
    if typing.get_origin(annotation) is Annotated:
        args = typing.get_args(annotation)
        return _describe(args[0], args[1:])
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return ("" if len(args) == 1 else "one of ") + ", ".join(f'"{a}"' for a in args)
    if _is_union(annotation):
        members = [a for a in args if a is not type(None)]
        words = [_describe(m) for m in members]
        return " or ".join(words)
    if origin is tuple:
        inner = {_describe(a) for a in args}
        word = inner.pop() if len(inner) == 1 else "value"
        return f"array of {len(args)} {_plural(word)}"
    if origin is list:
        return f"array of {_plural(_describe(args[0]))}"
    if origin is dict:
        return f"tables of {_describe(args[1])}"
    if annotation is float:
        return "number"
    if annotation is int:
        return "integer"
    if annotation is bool:
        return "boolean"
    if annotation is str:
        return "string"
    if annotation is Any:
        return "table"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    return str(annotation)


def _plural(word: str) -> str:
    if word.endswith("table") or word.startswith("one of"):
        return word + ("s" if word.endswith("table") else "")
    return word + "s" if not word.endswith("s") else word


def _type_text(field) -> str:
    word = _describe(field.annotation, field.metadata)
    if word in _UNIT_TABLES:
        unit = _unit(field.description or "")
        return (f"{word}: a number in {unit} or '<number> <unit>' with unit one of "
                f"{', '.join(_UNIT_TABLES[word])}")
    return word


def _range_text(field) -> str:
    parts = []
    for meta in field.metadata:
        for attr, symbol in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="),
                             ("min_length", "length >="), ("max_length", "length <=")):
            value = getattr(meta, attr, None)
            if value is not None:
                parts.append(f"{symbol} {value:g}" if isinstance(value, float)
                             else f"{symbol} {value}")
    return ", ".join(parts)


def _default_text(field) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        value = field.default_factory()
        if isinstance(value, BaseModel):
            return "(table)"
        return _show(value)
    value = field.default
    if value is None:
        return "none"
    if value is PydanticUndefined:
        return ""
    if isinstance(value, float) and "[K]" in (field.description or "") and value > 200:
        return f"{value:g} ({value - 273.15:g} C)"
    if isinstance(value, float):
        return f"{value:g}"
    return _show(value)


def _models_in(annotation):
    """Model classes reachable from an annotation, with the tag they carry (if a union member)."""
    found = []
    if typing.get_origin(annotation) is Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    for arg in typing.get_args(annotation):
        found.extend(_models_in(arg))
    return found


def _section_title(path: str, model) -> str:
    tag = next((f'{name} = "{typing.get_args(f.annotation)[0]}"'
                for name, f in model.model_fields.items()
                if typing.get_origin(f.annotation) is Literal and name in ("shape", "type", "kind")
                and len(typing.get_args(f.annotation)) == 1), None)
    return f"`{path}`" + (f" with {tag}" if tag else "")


def reference_markdown() -> str:
    """The Markdown reference of every case-file key, generated from the models."""
    lines = [
        "# Case file reference",
        "",
        "<!-- generated by `python -m solver.case reference`; do not edit by hand -->",
        "",
        "A case is a TOML file (data only; nothing in it is executed). Quantities are SI numbers, "
        "or strings",
        "with an explicit unit: `\"25 C\"`, `\"1.5 L/min\"`, `\"28 mm\"`, `\"1 kW\"`, "
        "`\"20 kPa\"`. Unknown keys are errors.",
        "Every error names the file, the key path, the value and what is allowed, on one line; "
        "`coolsim check CASE`",
        "validates a case without solving it.",
        "",
        "Units accepted in strings:",
        "",
    ]
    for word, table in _UNIT_TABLES.items():
        lines.append(f"- {word}: " + ", ".join(f"`{u}`" for u in table))
    lines += [
        "",
        "Conventions: the stack axis of a cold plate is z (chip footprints are x-y rectangles); a "
        "boundary `region`",
        "gives `min`/`max` in the two tangential axes of its side in x, y, z order. Bodies are "
        "painted in order,",
        "later bodies overwriting earlier ones. Sides without a boundary are adiabatic (and "
        "no-slip walls for the flow).",
        "",
    ]
    seen = set()

    def section(path: str, model) -> None:
        if (path, model) in seen:
            return
        seen.add((path, model))
        doc = (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else ""
        lines.extend([f"## {_section_title(path, model)}", "", doc, "",
                      "| key | type | unit | default | range | description |",
                      "|---|---|---|---|---|---|"])
        children = []
        fields = sorted(model.model_fields.items(),
                        key=lambda item: item[0] not in ("shape", "type", "kind"))
        for name, field in fields:
            description = field.description or ""
            text = re.sub(r"^\[[^\]]*\]\s*", "", description).replace("|", "\\|")
            text = text.replace("<", "\\<")
            lines.append(f"| `{name}` | {_describe(field.annotation, field.metadata)} | "
                         f"{_unit(description)} | {_default_text(field)} | {_range_text(field)} | "
                         f"{text} |")
            for child in _models_in(field.annotation):
                origin = typing.get_origin(_unwrap(field.annotation))
                if origin is list:
                    child_path = f"{path}.{name}[]" if path else f"{name}[]"
                elif origin is dict:
                    child_path = f"{path}.{name}.<name>" if path else f"{name}.<name>"
                else:
                    child_path = f"{path}.{name}" if path else name
                children.append((child_path, child))
        lines.append("")
        for child_path, child in children:
            section(child_path, child)

    for name, field in Case.model_fields.items():
        for model in _models_in(field.annotation):
            origin = typing.get_origin(_unwrap(field.annotation))
            path = f"{name}[]" if origin is list else f"{name}.<name>" if origin is dict else name
            section(path, model)
    return "\n".join(lines).rstrip() + "\n"


def _main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m solver.case",
                                     description="Case-file tools.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("reference", help="print the Markdown key reference")
    args = parser.parse_args(argv)
    if args.command == "reference":
        sys.stdout.write(reference_markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
