"""Case schema of the geometry: bodies (boxes, cylinders, fin/pin/channel arrays, meshes), chips
and boundary patches, as they appear in ``[[bodies]]``, ``[[chips]]`` and ``[[boundaries]]``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    Field,
    model_validator,
)

from solver.case.errors import fail
from solver.case.sections import AXES, Axis, Name, Point2, Point3, Side, check_min_max
from solver.units import (
    ZERO_CELSIUS,
    HeatFluxDensity,
    Length,
    MassFlow,
    Power,
    Pressure,
    Section,
    Temperature,
    Velocity,
    VolumetricFlow,
)


class BaseBody(Section):
    name: Name = Field(description="[-] unique body name")
    material: str = Field(min_length=1, description="[-] a solid (built-in or [materials]) or "
                                                    "'coolant' for a fluid region")

    @property
    def is_fluid(self) -> bool:
        """True for a coolant region (material = "coolant")."""
        return self.material == "coolant"


class BoxLike(BaseBody):
    min: Point3 = Field(description="[m] lower corner (x, y, z)")
    max: Point3 = Field(description="[m] upper corner (x, y, z)")

    def extent(self, axis: str) -> float:
        """Edge length [m] of the envelope along ``axis``."""
        i = AXES.index(axis)
        return self.max[i] - self.min[i]

    @model_validator(mode="after")
    def _ordered(self):
        check_min_max(self.min, self.max)
        return self


class BoxBody(BoxLike):
    """An axis-aligned box."""

    shape: Literal["box"] = Field(description="[-] 'box'")


class CylinderBody(BaseBody):
    """An axis-aligned circular cylinder (staircased on the Cartesian grid)."""

    shape: Literal["cylinder"] = Field(description="[-] 'cylinder'")
    base_center: Point3 = Field(description="[m] centre of the base disc (x, y, z)")
    axis: Axis = Field("z", description="[-] axis direction; the cylinder runs from base_center "
                                        "towards +axis")
    radius: Length = Field(gt=0, description="[m] radius")
    length: Length = Field(gt=0, description="[m] length along the axis")


class FinArrayBody(BoxLike):
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
            raise fail("thickness", f"{self.count} fins of this thickness do not fit in the "
                                     f"{span:.6g} m envelope along {self.stack_axis}",
                        self.thickness, f"count * thickness <= {span:.6g} m")
        return self


class PinFinArrayBody(BoxLike):
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
                raise fail("pitch", "pitch must be positive", list(self.pitch), "> 0 m")
            if self.diameter > pitch:
                raise fail("diameter", f"pins overlap: diameter exceeds pitch[{a}]",
                            self.diameter, f"<= {pitch:.6g} m")
        return self


class ChannelArrayBody(BoxLike):
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
            raise fail("width", f"{self.count} channels of this width do not fit in the "
                                 f"{span:.6g} m envelope across the flow (along {across})",
                        self.width, f"count * width <= {span:.6g} m")
        return self


class MeshBody(BaseBody):
    """A solid read from a mesh file through meshio (STL, OBJ, Gmsh .msh, VTU); must be closed."""

    shape: Literal["mesh"] = Field(description="[-] 'mesh'")
    file: str = Field(min_length=1, description="[-] mesh file, relative to the case file and "
                                                "inside its folder tree (--allow-outside "
                                                "lifts that)")
    scale: float = Field(1.0, gt=0, description="[-] factor from file coordinates to metres "
                                                "(0.001 for a file in mm), applied before "
                                                "translate")
    translate: Point3 = Field((0.0, 0.0, 0.0), description="[m] offset added after scaling")


Body = Annotated[
    BoxBody | CylinderBody | FinArrayBody | PinFinArrayBody | ChannelArrayBody | MeshBody,
    Field(discriminator="shape"),
]


SHAPES = ("box", "cylinder", "fin_array", "pin_fin_array", "channel_array", "mesh")


class Footprint(Section):
    """An x-y rectangle."""

    min: Point2 = Field(description="[m] lower corner (x, y)")
    max: Point2 = Field(description="[m] upper corner (x, y)")

    @model_validator(mode="after")
    def _ordered(self):
        check_min_max(self.min, self.max)
        return self


DEFAULT_CHIP_LIMIT = 95.0 + ZERO_CELSIUS
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
                                                    "case file, inside its folder tree; scaled "
                                                    "to `power`")
    max_temperature: Temperature = Field(DEFAULT_CHIP_LIMIT, gt=0,
                                         description="[K] temperature limit for design checks "
                                                     "(default 95 C)")
    case_body: str | None = Field(None, description="[-] solid body whose face is the chip 'case' "
                                                    "for the thermal resistance R = (T_case - "
                                                    "T_inlet) / power, e.g. the lid (default: "
                                                    "the die body)")
    case_side: Side = Field("z_max", description="[-] face of case_body's bounding box on which "
                                                 "T_case is the area-weighted mean temperature")


class Region(Section):
    """A rectangle on a domain side, in the side's two tangential axes (x, y, z order)."""

    min: Point2 = Field(description="[m] lower corner in the two tangential axes")
    max: Point2 = Field(description="[m] upper corner in the two tangential axes")

    @model_validator(mode="after")
    def _ordered(self):
        check_min_max(self.min, self.max)
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
    heat_flux: HeatFluxDensity = Field(
        description="[W/m2] heat flux into the domain (negative: out)")


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
            raise fail(given[1] if len(given) > 1 else None,
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
    """Coolant outlet at a fixed static pressure (reverse flow, where a recirculation reaches
    the outlet, enters from rest at it: the static pressure there is its value less rho u^2 / 2)."""

    type: Literal["outlet"] = Field(description="[-] 'outlet'")
    at: Length | None = Field(None, description=PORT_PLANE)
    pressure: Pressure = Field(0.0, description="[Pa] static (gauge) pressure of the outflow; "
                                                "the total pressure of any backflow")


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
EQUATIONS = {"temperature": ("energy",), "heat_flux": ("energy",), "convection": ("energy",),
              "adiabatic": ("energy",), "inlet": ("energy", "flow"), "outlet": ("energy", "flow"),
              "wall": ("flow",), "symmetry": ("flow",)}
