"""Case schema of the settings sections: ``[case]``, ``[solver]`` (linear, flow, nonlinear),
``[grid]``, ``[output]``, ``[coolant]``, ``[materials]``, ``[coupling]``, ``[report]`` and
``[[scenarios]]``; shared value types (names, points, spacings)."""

from __future__ import annotations

from typing import Annotated, Literal

import annotated_types
from pydantic import (
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

from solver.case.errors import fail
from solver.units import (
    Duration,
    Length,
    Pressure,
    Section,
    Temperature,
    TemperatureDifference,
    Velocity,
    VolumetricFlow,
)

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$", max_length=80)]
"""Identifier for cases, bodies, chips, boundaries and materials: letters, digits, ``_ - .``."""


Point3 = tuple[Length, Length, Length]


Point2 = tuple[Length, Length]


Spacing = Length | tuple[Length, Length, Length]


Axis = Literal["x", "y", "z"]


Side = Literal["x_min", "x_max", "y_min", "y_max", "z_min", "z_max"]


AXES = ("x", "y", "z")


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
            raise fail(key, f"{where} must be > 0", value, "> 0 m")


def check_min_max(lo, hi, key: str = "max"):
    """Raise when ``hi`` does not exceed ``lo`` on every axis."""
    for axis, (a, b) in enumerate(zip(lo, hi, strict=True)):
        if not b > a:
            names = AXES if len(lo) == 3 else ("first", "second")
            raise fail(key, f"max must exceed min on every axis ({names[axis]}: "
                             f"max {b:.6g} m <= min {a:.6g} m)", list(hi), "max > min")


class CaseInfo(Section):
    """``[case]``: the case's name and description."""

    name: Name | None = Field(None, description="[-] case name, used for the results directory "
                                                  "<output.directory>/<name>/ (default: the case "
                                                  "file's stem)")
    description: str = Field("", description="[-] free text describing the case")


class LinearSection(Section):
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


class FlowTime(Section):
    """``[solver.flow.time]``: time stepping and averaging of ``mode = "time_averaged"``.

    Times are counted in flow-through times: the coolant volume over the volumetric flow.
    """

    cfl: float = Field(1.0, gt=0, le=20, description="[-] target Courant number max |u| dt/dx "
                                                     "of the adaptive time step")
    time_step: Duration | None = Field(None, gt=0, description="[s] fixed time step instead of "
                                                               "the Courant target")
    max_step_growth: float = Field(1.2, ge=1, lt=2.414, description="[-] largest ratio of two "
                                                                    "consecutive time steps")
    inner_iterations: int = Field(30, ge=1, description="[-] cap on the pressure-velocity "
                                                        "iterations of one time step")
    inner_tolerance: float = Field(1e-5, gt=0, description="[-] scaled continuity and momentum "
                                                           "residuals that end a time step")
    start_up: float = Field(2.0, ge=0, description="[-] flow-through times run before averaging")
    later_start_up: float = Field(1.0, ge=0, description="[-] start-up of the later flow-energy "
                                                         "passes (they start from the last "
                                                         "average)")
    min_average: float = Field(3.0, ge=0, description="[-] flow-through times averaged at least")
    max_flow_through_times: float = Field(30.0, gt=0, description="[-] flow-through times at "
                                                                  "most, start-up included")
    batches: int = Field(10, ge=2, description="[-] batches of the batch-means confidence "
                                               "interval of the mean pressure drop")
    average_tolerance: float = Field(0.01, gt=0, description="[-] averaging stops when the 95 % "
                                                             "interval of the mean pressure "
                                                             "drop is within this fraction of "
                                                             "it")

    @model_validator(mode="after")
    def _long_enough(self):
        if self.start_up + self.min_average > self.max_flow_through_times:
            raise fail("max_flow_through_times", "the run must hold the start-up and the "
                       "minimum averaging time", self.max_flow_through_times,
                       f">= start_up + min_average = {self.start_up + self.min_average}")
        return self


class FlowSection(Section):
    """``[solver.flow]``: steady incompressible flow (used when physics = "conjugate")."""

    scheme: Literal["upwind", "tvd", "van_leer", "minmod", "linear_upwind"] = Field(
        "tvd", description="[-] convection scheme: 'upwind' (first order), 'tvd' (bounded second "
                           "order, = 'van_leer'), 'minmod' (bounded, more diffusive), "
                           "'linear_upwind' (unbounded second order)")
    algorithm: Literal["simplec", "simple"] = Field("simplec", description="[-] pressure-velocity "
                                                                          "coupling")
    wall_gradient: Literal["linear", "quadratic"] = Field(
        "quadratic", description="[-] velocity gradient at no-slip walls: 'quadratic' (the "
                                 "parabola through the wall and the two nearest cells: second "
                                 "order at the wall, laminar friction on 4 cells across a "
                                 "channel as accurate as 'linear' on 8) or 'linear' (the "
                                 "nearest cell alone, as most finite-volume codes: friction "
                                 "low on coarse passages, -11 % between plates on 4 cells; on "
                                 "2 cells across a channel its steady iteration can settle "
                                 "where the quadratic one wanders, docs/coldplate.md)")
    method: Literal["auto", "multigrid", "single_grid"] = Field(
        "auto", description="[-] outer iteration: 'multigrid' (nonlinear multigrid, FAS cycles "
                            "over the pressure-velocity coupling: cycle counts that barely grow "
                            "with the grid; where the grid coarsens 8-fold without merging "
                            "coolant and solid cells, odd runs of cells agglomerated 3:1, "
                            "without ports on faces of the geometry or buoyancy), 'single_grid', "
                            "or 'auto' (multigrid where plain 2:1 coarsening reaches 8-fold, "
                            "for a domain with an outlet from 40,000 cells of the coolant's "
                            "bounding box, for a closed one at any size)")
    max_iterations: int = Field(1000, ge=1, description="[-] maximum outer (pressure-velocity) "
                                                        "iterations (with multigrid: of the "
                                                        "finest grid, 4 per cycle)")
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
    mode: Literal["steady", "time_averaged"] = Field(
        "steady", description="[-] 'steady' (the steady equations, converged) or "
                              "'time_averaged' (time-accurate BDF2 run, averaged once the "
                              "start-up has passed; for flows that are unsteady, e.g. wakes "
                              "behind pins)")
    time: FlowTime = Field(default_factory=FlowTime, description="[-] time stepping and "
                                                                 "averaging (mode = "
                                                                 "'time_averaged')")
    gravity: tuple[float, float, float] | None = Field(
        None, description="[m/s2] gravity vector for Boussinesq buoyancy in a conjugate case, "
                          "e.g. [0, 0, -9.81]: the force -rho beta (T - T_inlet) g, beta of the "
                          "coolant at the inlet temperature (from its density law, or "
                          "[materials.<name>] thermal_expansion); default: no buoyancy")

    @model_validator(mode="after")
    def _simplec_relaxation(self):
        if self.algorithm == "simplec" and self.relaxation.velocity >= 1.0:
            raise fail("relaxation.velocity", "SIMPLEC needs velocity under-relaxation below 1",
                        self.relaxation.velocity, "relaxation.velocity < 1 (or algorithm = "
                        "\"simple\")")
        return self


class NonlinearSection(Section):
    """``[solver.nonlinear]``: Picard iteration for temperature-dependent properties."""

    tolerance: TemperatureDifference = Field(1e-3, gt=0, description="[K] largest temperature "
                                                                     "change between Picard "
                                                                     "iterations at convergence")
    max_iterations: int = Field(20, ge=1, description="[-] maximum Picard iterations")
    early_pass_factor: float = Field(
        100.0, ge=1.0, description="[-] factor on the flow tolerances (residuals and pressure-drop "
                                 "monitor) of the flow-energy passes before the pass monitors "
                                 "settle, its square root on their energy solve's temperature "
                                 "tolerance; the passes after that converge fully (1: every "
                                 "pass converges fully)")


class SolverSection(Section):
    """``[solver]``: backend, precision, physics and the numerical settings."""

    backend: Literal["auto", "cpu", "gpu"] = Field(
        "auto", description="[-] 'auto' (GPU when CuPy and a device answer, else CPU), 'cpu', "
                            "'gpu'; the command line --backend overrides it")
    dtype: Literal["float64", "float32"] = Field(
        "float64", description="[-] floating-point precision of the fields; 'float32' "
                               "(float64 reductions) in conduction cases only")
    physics: Literal["conduction", "conjugate"] = Field(
        "conduction", description="[-] 'conduction' (solids only) or 'conjugate' (coolant flow "
                                  "and heat transfer in fluid and solids)")
    linear: LinearSection = Field(default_factory=LinearSection,
                                   description="[-] linear solver settings")
    flow: FlowSection = Field(default_factory=FlowSection, description="[-] flow settings")
    nonlinear: NonlinearSection = Field(default_factory=NonlinearSection,
                                         description="[-] Picard settings for k(T)")


class RefineRegion(Section):
    """``[[grid.refine]]``: a box inside which the grid spacing is limited further."""

    min: Point3 = Field(description="[m] lower corner (x, y, z)")
    max: Point3 = Field(description="[m] upper corner (x, y, z)")
    max_spacing: Spacing = Field(description="[m] largest cell width inside the box: one value "
                                             "or one per axis (x, y, z)")

    @model_validator(mode="after")
    def _ordered(self):
        check_min_max(self.min, self.max)
        _check_spacing(self.max_spacing)
        return self


class DomainBox(Section):
    """``[grid.domain]``: the computational box."""

    min: Point3 = Field(description="[m] lower corner (x, y, z)")
    max: Point3 = Field(description="[m] upper corner (x, y, z)")

    @model_validator(mode="after")
    def _ordered(self):
        check_min_max(self.min, self.max)
        return self


class GridSection(Section):
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
    study: str | None = Field(None, min_length=1,
                              description="[-] the grid-convergence study of this case and its "
                                          "result, e.g. \"benchmarks/coldplate_grid_study.py: R "
                                          "GCI 2.5 %, dp GCI 22 %\" (printed in the summary)")

    @model_validator(mode="after")
    def _spacings(self):
        _check_spacing(self.max_spacing)
        smallest = min(spacing_per_axis(self.max_spacing))
        if self.min_spacing > smallest:
            raise fail("min_spacing", "min_spacing exceeds max_spacing", self.min_spacing,
                        f"<= max_spacing = {smallest:.6g} m")
        return self


class OutputSection(Section):
    """``[output]``: what is written where."""

    directory: str = Field("results", min_length=1,
                           description="[-] results go to <directory>/<case name>/; written "
                                       "here: relative to the case file and inside its folder "
                                       "tree; not written: 'results' in the working directory "
                                       "(--output overrides both)")
    write_fields: bool = Field(True, description="[-] write VTK fields (.vtr/.vtm)")
    write_images: bool = Field(True, description="[-] render PNG images off-screen")
    checkpoint: bool = Field(True, description="[-] write checkpoints for --resume")
    checkpoint_seconds: Duration = Field(
        60.0, gt=0, description="[s] wall-clock time between checkpoints, besides those every "
                                "[solver.flow] checkpoint_interval iterations or [transient] "
                                "checkpoint_every steps and at each flow-energy pass "
                                "(whichever comes first); e.g. 60 or \"10 min\"")


class CoolantChoice(Section):
    """``[coolant]``: the coolant filling every fluid body (material = "coolant")."""

    name: str = Field("water", min_length=1,
                      description="[-] built-in coolant ('water', 'PG25', ...) or a "
                                  "[materials.<name>] with kind = 'coolant'; 'PG<n>'/'EG<n>' "
                                  "is n % glycol by mass, 'PG<n> %vol' by volume")
    basis: Literal["mass", "volume"] | None = Field(
        None, description="[-] concentration basis of a PG<n>/EG<n> name: 'mass' (the default) "
                          "or 'volume' (of glycol and water before mixing, as coolant data "
                          "sheets state it; converted with the densities of both at 20 C)")


class ConductivityTable(Section):
    """Temperature-dependent conductivity, interpolated linearly (held constant outside)."""

    temperatures: list[Temperature] = Field(min_length=2, description="[K] increasing "
                                                                      "temperatures")
    values: list[Annotated[float, annotated_types.Gt(0)]] = Field(
        min_length=2, description="[W/(m K)] conductivity at each temperature")

    @model_validator(mode="after")
    def _table(self):
        if len(self.values) != len(self.temperatures):
            raise fail("values", "values and temperatures differ in length", self.values,
                        f"{len(self.temperatures)} values")
        if any(b <= a for a, b in zip(self.temperatures, self.temperatures[1:], strict=False)):
            raise fail("temperatures", "temperatures must increase", self.temperatures,
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
    thermal_expansion: float | None = Field(
        None, ge=0, description="[1/K] volumetric thermal-expansion coefficient for buoyancy "
                                "([solver.flow] gravity); default: none (constant density)")


Material = Annotated[SolidMaterial | CoolantMaterial, Field(discriminator="kind")]


class CouplingSection(Section):
    """``[coupling]``: cold plates of a rack solved in 3D inside the network."""

    flows: list[VolumetricFlow] = Field(
        [0.5 / 60000, 1.0 / 60000, 1.5 / 60000, 2.5 / 60000], min_length=1,
        description="[m3/s] characterization flows of each plate case (curves kept in the user "
                    "cache, keyed by the plate's geometry and these flows, computed when "
                    "missing)")
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


class ReportSection(Section):
    """``[report]``: design-check thresholds (overriding solver.output.report.DesignLimits)."""

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
