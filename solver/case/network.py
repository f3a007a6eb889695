"""The ``[network]`` case-file section: explicit node/component lists and/or a rack builder.

Numbers are SI; strings with units are accepted where the field type says so
(``"1.5 L/min"``, ``"20 kPa"``, ``"32 C"``). Components are a discriminated union on ``kind``::

    [[network.nodes]]
    name = "a"
    position = [0.0, 0.0, 0.0]

    [[network.components]]
    kind = "pipe"
    name = "p1"
    inlet = "a"
    outlet = "b"
    length = "2 m"
    diameter = "20 mm"

or the common rack topology::

    [network.rack]
    trays = 18
    manifold = "U"
    ...

Both may be given; the explicit lists are then added to the rack's network (for extra piping).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from solver.case.errors import fail
from solver.case.network_transient import FosterSpec, NetworkTransientSection
from solver.units import (
    ZERO_CELSIUS,
    Length,
    MassFlow,
    Power,
    Pressure,
    Section,
    Temperature,
    VolumetricFlow,
)

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]


class NodeSection(Section):
    """One ``[[network.nodes]]`` entry."""

    name: str = Field(description="[-] unique node name")
    position: tuple[float, float, float] = Field((0.0, 0.0, 0.0),
                                                 description="[m] x, y, z for the VTK picture")
    fluid: Literal["coolant", "facility"] = Field(
        "coolant", description="[-] which loop's fluid fills the node")


class _Branch(Section):
    name: str = Field(description="[-] unique component name")
    inlet: str = Field(description="[-] inlet node (positive flow leaves it)")
    outlet: str = Field(description="[-] outlet node")


class PipeSection(_Branch):
    """Straight pipe or hose (Darcy-Weisbach)."""

    kind: Literal["pipe"] = Field("pipe", description="[-] component kind")
    length: Length = Field(description="[m] pipe length")
    diameter: Length = Field(description="[m] inner diameter")
    roughness: Length = Field(1.5e-6, description="[m] absolute wall roughness")
    elevation_change: Length = Field(0.0, description="[m] outlet height minus inlet height")
    minor_loss: NonNegative = Field(0.0, description="[-] sum of loss coefficients K")
    friction: Literal["churchill", "colebrook"] | None = Field(
        None, description="[-] Darcy friction law; default: [network] friction")
    momentum_coefficient: float = Field(0.0, description="[-] header momentum kappa "
                                        "(-beta_d dividing, +beta_c combining)")
    momentum_partner: str = Field("", description="[-] neighbouring header pipe of the "
                                  "momentum term")


class FittingSection(_Branch):
    """Fitting with a loss coefficient (constant, 2-K or 3-K)."""

    kind: Literal["fitting"] = Field("fitting", description="[-] component kind")
    diameter: Length = Field(description="[m] reference diameter")
    k: NonNegative = Field(0.0, description="[-] constant loss coefficient")
    k1: NonNegative = Field(0.0, description="[-] 2-K/3-K laminar constant K1")
    k_inf: NonNegative = Field(0.0, description="[-] 2-K/3-K constant K_inf")
    k_d: NonNegative = Field(0.0, description="[-] 3-K diameter constant K_d")
    method: Literal["constant", "2K", "3K"] = Field("constant", description="[-] K model")
    nominal_size: Positive | None = Field(
        None, description="[in] nominal pipe size of the 3-K method (Darby 2001); default: the "
                          "NPS whose schedule-40 bore is nearest to diameter")


class TeeSection(Section):
    """Tee or header junction: three legs meeting at a hub.

    ``model = "constant"``: one K per leg on its own velocity, by direction (``k_run``,
    ``k_branch_dividing``, ``k_branch_combining``); ``"crane"``: Crane TP-410 (2009) losses that
    follow the flow split and the branch-to-run area ratio (solver.network.junctions).
    """

    kind: Literal["tee"] = Field("tee", description="[-] component kind")
    name: str = Field(description="[-] tee name; legs are '<name>.run_in', '.run_out', '.branch'")
    run_in: str = Field(description="[-] node on the upstream run side")
    run_out: str = Field(description="[-] node on the downstream run side")
    branch: str = Field(description="[-] node on the branch side")
    diameter: Length = Field(description="[m] run diameter")
    branch_diameter: Length | None = Field(None, description="[m] branch diameter")
    k_run: NonNegative = Field(0.2, description="[-] run loss coefficient (per leg)")
    k_branch_dividing: NonNegative = Field(1.0, description="[-] loss into the branch")
    k_branch_combining: NonNegative = Field(1.0, description="[-] loss from the branch")
    position: tuple[float, float, float] | None = Field(None, description="[m] hub position")
    model: Literal["constant", "crane"] = Field(
        "constant", description="[-] junction losses: constant K per leg, or Crane TP-410 "
                                "(2009) K of the flow split and area ratio")
    angle: Annotated[float, Field(gt=0, le=90)] = Field(
        90.0, description="[deg] branch angle to the run (crane model; 90 tee, 30-60 wye)")

    @model_validator(mode="after")
    def _constant_keys_only_with_constant(self):
        if self.model != "constant":
            for key in ("k_run", "k_branch_dividing", "k_branch_combining"):
                if key in self.model_fields_set:
                    raise fail(key, f"is a constant-K setting; model '{self.model}' computes "
                               "the losses from the flow split", allowed="model = 'constant' "
                               "or no k_* keys")
        return self


class QuickDisconnectSection(_Branch):
    """Quick disconnect: Kv, Cv, or a rated dp-flow point."""

    kind: Literal["quick_disconnect"] = Field("quick_disconnect", description="[-] component kind")
    kv: Positive | None = Field(None, description="[m3/h] flow coefficient at 1 bar")
    cv: Positive | None = Field(None, description="[gpm] flow coefficient at 1 psi")
    rated_flow: VolumetricFlow | None = Field(None, description="[m3/s] rated flow")
    rated_pressure_drop: Pressure | None = Field(None, description="[Pa] dp at rated flow")
    exponent: Positive = Field(2.0, description="[-] exponent of the rated-point law")
    flows: list[VolumetricFlow] | None = Field(None, description="[m3/s] dP-flow curve flows "
                                               "(fitted dp = c Q^n)")
    pressure_drops: list[Pressure] | None = Field(None, description="[Pa] dP at those flows")
    diameter: Length = Field(0.0064, description="[m] bore (velocity output)")


class ValveSection(_Branch):
    """Valve with Kv, opening and characteristic."""

    kind: Literal["valve"] = Field("valve", description="[-] component kind")
    kv_max: Positive = Field(description="[m3/h] flow coefficient fully open")
    opening: Annotated[float, Field(ge=0, le=1)] = Field(1.0, description="[-] stroke 0..1")
    characteristic: Literal["linear", "equal_percentage", "quick_opening"] = Field(
        "linear", description="[-] inherent characteristic")
    rangeability: Positive = Field(50.0, description="[-] equal-percentage rangeability")
    diameter: Length = Field(0.02, description="[m] port diameter (velocity output)")


class CheckValveSection(_Branch):
    """Check (non-return) valve."""

    kind: Literal["check_valve"] = Field("check_valve", description="[-] component kind")
    kv: Positive = Field(description="[m3/h] forward flow coefficient")
    reverse_leak: Positive = Field(1e-4, description="[-] reverse Kv / forward Kv")
    diameter: Length = Field(0.02, description="[m] port diameter (velocity output)")


class PumpSection(_Branch):
    """Pump group: datasheet curve of one pump, N+1 units in parallel, speed."""

    kind: Literal["pump"] = Field("pump", description="[-] component kind")
    flows: list[VolumetricFlow] = Field(description="[m3/s] datasheet flows of one pump")
    pressures: list[Pressure] | None = Field(None, description="[Pa] pressure rise at those "
                                             "flows")
    heads: list[Length] | None = Field(None, description="[m] head at those flows (instead "
                                       "of pressures; converted with the coolant density)")
    efficiencies: list[float] | None = Field(None, description="[-] efficiency at those flows")
    speed: Positive = Field(1.0, description="[-] relative speed")
    count: Annotated[int, Field(ge=1)] = Field(1, description="[-] installed pumps")
    running: Annotated[int, Field(ge=0)] | None = Field(None, description="[-] running pumps "
                                                        "(default: all installed)")


def _curve_temperatures_field():
    return Field([], description="[K] mean coolant temperature of each dP point (one value: all "
                                 "of them); dP then follows the coolant's viscosity and density "
                                 "at the operating temperature (default: none, the curve is "
                                 "used as given; a characterized case fills it)")


def _check_curve_temperatures(section):
    """One-line error unless ``curve_temperatures`` is empty, one value or one per dP point."""
    if section.curve_temperatures and len(section.curve_temperatures) not in (
            1, len(section.flows)):
        raise fail("curve_temperatures", "give one temperature, or one per dP point",
                   section.curve_temperatures,
                   "1 value" if len(section.flows) <= 1 else f"1 or {len(section.flows)} values")


class ColdPlateSection(_Branch):
    """Cold plate: dP(Q) curve, R(Q) curve or fixed R, power."""

    kind: Literal["cold_plate"] = Field("cold_plate", description="[-] component kind")
    flows: list[VolumetricFlow] = Field(description="[m3/s] dP curve flows")
    pressure_drops: list[Pressure] = Field(description="[Pa] dP at those flows")
    exponent: Positive = Field(1.85, description="[-] dP exponent for a one-point curve")
    power: Power = Field(0.0, description="[W] chip heat load")
    resistance: Positive | None = Field(None, description="[K/W] fixed case-to-inlet R")
    resistance_flows: list[VolumetricFlow] = Field([], description="[m3/s] R(Q) curve flows")
    resistances: list[float] = Field([], description="[K/W] R at those flows")
    curve_temperatures: list[Temperature] = _curve_temperatures_field()

    @model_validator(mode="after")
    def _curve_temperatures(self):
        _check_curve_temperatures(self)
        return self


class HeatLoadSection(_Branch):
    """Heat load with a quadratic dp law."""

    kind: Literal["heat_load"] = Field("heat_load", description="[-] component kind")
    power: Power = Field(description="[W] heat added to the coolant")
    rated_flow: VolumetricFlow = Field(1e-3, description="[m3/s] rated flow")
    rated_pressure_drop: Pressure = Field(1.0, description="[Pa] dp at rated flow")


class HeatExchangerSection(Section):
    """Counterflow plate heat exchanger between a hot (TCS) and cold (facility) stream."""

    kind: Literal["heat_exchanger"] = Field("heat_exchanger", description="[-] component kind")
    name: str = Field(description="[-] exchanger name; sides are '<name>.hot' and '<name>.cold'")
    hot_inlet: str = Field(description="[-] hot-stream inlet node")
    hot_outlet: str = Field(description="[-] hot-stream outlet node")
    cold_inlet: str = Field(description="[-] cold-stream inlet node")
    cold_outlet: str = Field(description="[-] cold-stream outlet node")
    ua: Positive = Field(description="[W/K] conductance at the rated flows")
    rated_hot_flow: VolumetricFlow = Field(description="[m3/s] hot flow for ua and dp")
    rated_cold_flow: VolumetricFlow = Field(description="[m3/s] cold flow for ua and dp")
    hot_pressure_drop: Pressure = Field(3e4, description="[Pa] hot dp at rated flow")
    cold_pressure_drop: Pressure = Field(3e4, description="[Pa] cold dp at rated flow")
    pressure_exponent: Positive = Field(1.8, description="[-] dp flow exponent")
    ua_exponent: NonNegative = Field(0.7, description="[-] film coefficient flow exponent")


class ExpansionTankSection(Section):
    """Expansion tank: pressure reference of a closed loop."""

    kind: Literal["expansion_tank"] = Field("expansion_tank", description="[-] component kind")
    name: str = Field(description="[-] name")
    node: str = Field(description="[-] node whose pressure is held")
    pressure: Pressure = Field(1.5e5, description="[Pa] held gauge pressure")


class PressureBoundarySection(Section):
    """Fixed pressure (and inflow temperature) at a node."""

    kind: Literal["pressure_boundary"] = Field("pressure_boundary",
                                               description="[-] component kind")
    name: str = Field(description="[-] name")
    node: str = Field(description="[-] node")
    pressure: Pressure = Field(description="[Pa] gauge pressure")
    temperature: Temperature = Field(300.0, description="[K] temperature of entering fluid")


class FlowBoundarySection(Section):
    """Fixed flow into the network at a node (facility supply)."""

    kind: Literal["flow_boundary"] = Field("flow_boundary", description="[-] component kind")
    name: str = Field(description="[-] name")
    node: str = Field(description="[-] node")
    flow: VolumetricFlow | None = Field(None, description="[m3/s] volumetric flow in")
    mass_flow: MassFlow | None = Field(None, description="[kg/s] mass flow in")
    temperature: Temperature = Field(300.0, description="[K] temperature of entering fluid")

    @model_validator(mode="after")
    def _one_flow(self):
        if (self.flow is None) == (self.mass_flow is None):
            raise ValueError(f"flow boundary '{self.name}': give exactly one of flow, mass_flow")
        return self


ComponentSection = Annotated[
    PipeSection | FittingSection | TeeSection | QuickDisconnectSection | ValveSection
    | CheckValveSection | PumpSection | ColdPlateSection | HeatLoadSection | HeatExchangerSection
    | ExpansionTankSection | PressureBoundarySection | FlowBoundarySection,
    Field(discriminator="kind")]


class ControlSection(Section):
    """A control: pump speed to a dp or flow setpoint, or facility actuator to a supply T."""

    kind: Literal["pump_speed", "supply_temperature"] = Field(description="[-] control kind")
    name: str = Field("control", description="[-] name")
    pump: str = Field("", description="[-] pump component (pump_speed)")
    target: Literal["differential_pressure", "flow"] = Field(
        "differential_pressure", description="[-] measured quantity (pump_speed)")
    pressure_setpoint: Pressure | None = Field(None, description="[Pa] dp setpoint")
    flow_setpoint: VolumetricFlow | None = Field(None, description="[m3/s] flow setpoint")
    high_node: str = Field("", description="[-] high-pressure node of the dp")
    low_node: str = Field("", description="[-] low-pressure node of the dp")
    component: str = Field("", description="[-] component whose flow is measured")
    min_speed: Positive = Field(0.2, description="[-] lowest relative pump speed")
    max_speed: Positive = Field(1.2, description="[-] highest relative pump speed")
    node: str = Field("", description="[-] supply temperature sensor node")
    temperature_setpoint: Temperature | None = Field(None, description="[K] supply temperature")
    valve: str = Field("", description="[-] facility valve actuator")
    min_opening: Annotated[float, Field(gt=0, le=1)] = Field(
        0.05, description="[-] smallest valve opening the control may use (a closed facility "
                          "valve leaves the heat nowhere to go)")
    flow_boundary: str = Field("", description="[-] facility flow-boundary actuator")
    min_flow: VolumetricFlow = Field(0.0, description="[m3/s] facility flow range, low end")
    max_flow: VolumetricFlow = Field(1e-2, description="[m3/s] facility flow range, high end")


class PlateGroupSection(Section):
    """Identical cold plates on every tray (e.g. 4 GPU plates)."""

    name: str = Field(description="[-] group name, e.g. 'gpu'")
    count: Annotated[int, Field(ge=1)] = Field(1, description="[-] plates per tray")
    power: Power = Field(description="[W] heat load per plate")
    case: str | None = Field(
        None, description="[-] 3D cold-plate case file (relative to the rack case, inside its "
                          "folder tree) whose "
                          "characterization curves replace flows/pressure_drops/resistances, "
                          "and which is solved at the plate's operating point (coupled rack)")
    flows: list[VolumetricFlow] = Field([], description="[m3/s] dP curve flows (required "
                                        "without case)")
    pressure_drops: list[Pressure] = Field([], description="[Pa] dP at those flows")
    exponent: Positive = Field(1.85, description="[-] dP exponent for a one-point curve")
    resistance: Positive | None = Field(None, description="[K/W] fixed case-to-inlet R")
    resistance_flows: list[VolumetricFlow] = Field([], description="[m3/s] R(Q) curve flows")
    resistances: list[float] = Field([], description="[K/W] R at those flows")
    curve_temperatures: list[Temperature] = _curve_temperatures_field()
    trays: list[Annotated[int, Field(ge=0)]] = Field([], description="[-] trays carrying "
                                                     "this group, 0 = bottom (default: every "
                                                     "tray; e.g. switch trays)")
    foster: FosterSpec | None = Field(None, description="[-] thermal impedance of one plate as "
                                      "a Foster network (transient scenarios)")
    thermal_impedance: str | None = Field(
        None, description="[-] JSON file (relative to the case, inside its folder tree) with "
                          "the plate's Foster network "
                          "{resistances_K_per_W = [...], time_constants_s = [...]}, as "
                          "solver.numerics.FosterNetwork.describe() writes it")

    @model_validator(mode="after")
    def _curve_or_case(self):
        if self.foster is not None and self.thermal_impedance is not None:
            raise fail("thermal_impedance", "give foster or thermal_impedance, not both",
                       self.thermal_impedance, "one of foster, thermal_impedance")
        _check_curve_temperatures(self)
        if self.case is None and not (self.flows and self.pressure_drops):
            raise ValueError(f"plate group '{self.name}': give flows and pressure_drops, or "
                             "case (a 3D cold-plate case file)")
        return self


class QuickDisconnectSpec(Section):
    """Quick disconnect used on every tray hose (supply and return)."""

    kv: Positive | None = Field(None, description="[m3/h] flow coefficient at 1 bar")
    cv: Positive | None = Field(None, description="[gpm] flow coefficient at 1 psi")
    rated_flow: VolumetricFlow | None = Field(None, description="[m3/s] rated flow")
    rated_pressure_drop: Pressure | None = Field(None, description="[Pa] dp at rated flow")
    exponent: Positive = Field(2.0, description="[-] exponent of the rated-point law")
    flows: list[VolumetricFlow] | None = Field(None, description="[m3/s] dP-flow curve flows "
                                               "(fitted dp = c Q^n)")
    pressure_drops: list[Pressure] | None = Field(None, description="[Pa] dP at those flows")
    diameter: Length = Field(0.0064, description="[m] bore")


class PumpSpec(Section):
    """CDU pump group."""

    flows: list[VolumetricFlow] = Field(description="[m3/s] datasheet flows of one pump")
    pressures: list[Pressure] | None = Field(None, description="[Pa] pressure rise at those "
                                             "flows")
    heads: list[Length] | None = Field(None, description="[m] head at those flows (instead "
                                       "of pressures; converted with the coolant density)")
    efficiencies: list[float] | None = Field(None, description="[-] efficiency at those flows")
    count: Annotated[int, Field(ge=1)] = Field(2, description="[-] installed pumps (N+1)")
    running: Annotated[int, Field(ge=0)] | None = Field(None, description="[-] running pumps")
    speed: Positive = Field(1.0, description="[-] relative speed")


class ExchangerSpec(Section):
    """CDU liquid-to-liquid counterflow plate heat exchanger."""

    ua: Positive = Field(description="[W/K] conductance at the rated flows")
    rated_hot_flow: VolumetricFlow = Field(description="[m3/s] TCS flow for ua and dp")
    rated_cold_flow: VolumetricFlow = Field(description="[m3/s] facility flow for ua and dp")
    hot_pressure_drop: Pressure = Field(3e4, description="[Pa] TCS dp at rated flow")
    cold_pressure_drop: Pressure = Field(3e4, description="[Pa] facility dp at rated flow")
    pressure_exponent: Positive = Field(1.8, description="[-] dp flow exponent")
    ua_exponent: NonNegative = Field(0.7, description="[-] film coefficient flow exponent")


class CduSpec(Section):
    """Coolant distribution unit: pumps, heat exchanger, expansion tank, rack piping."""

    pumps: PumpSpec = Field(description="[-] pump group")
    heat_exchanger: ExchangerSpec = Field(description="[-] heat exchanger")
    tank_pressure: Pressure = Field(1.5e5, description="[Pa] expansion tank gauge pressure")
    pipe_length: Length = Field(2.0, description="[m] CDU-to-rack pipe length, each way")
    pipe_diameter: Length = Field(0.04, description="[m] CDU-to-rack pipe diameter")
    pipe_minor_loss: NonNegative = Field(3.0, description="[-] K of elbows and valves each way")


WATER_CLASSES = {"W17": 17.0, "W27": 27.0, "W32": 32.0, "W40": 40.0, "W45": 45.0}


class FacilitySpec(Section):
    """Facility water: ASHRAE class or explicit supply temperature; fixed flow or fixed dp."""

    water_class: Literal["W17", "W27", "W32", "W40", "W45"] | None = Field(
        None, description="[-] ASHRAE class; supply temperature = class number in C")
    supply_temperature: Temperature | None = Field(None, description="[K] supply temperature")
    flow: VolumetricFlow | None = Field(None, description="[m3/s] facility flow (fixed)")
    pressure_difference: Pressure | None = Field(
        None, description="[Pa] supply-return pressure difference (flow then follows)")
    valve_kv: Positive = Field(40.0, description="[m3/h] facility control valve Kv (dp mode)")

    @model_validator(mode="after")
    def _check(self):
        if (self.water_class is None) == (self.supply_temperature is None):
            raise ValueError("facility: give exactly one of water_class, supply_temperature")
        if (self.flow is None) == (self.pressure_difference is None):
            raise ValueError("facility: give exactly one of flow, pressure_difference")
        return self

    def supply_kelvin(self) -> float:
        """Facility supply temperature [K]."""
        if self.supply_temperature is not None:
            return self.supply_temperature
        return WATER_CLASSES[self.water_class] + ZERO_CELSIUS


class RackControlSpec(Section):
    """Rack-level controls (all optional)."""

    pump_target: Literal["none", "differential_pressure", "flow"] = Field(
        "none", description="[-] pump speed control target")
    pressure_setpoint: Pressure | None = Field(None, description="[Pa] rack header dp setpoint")
    flow_setpoint: VolumetricFlow | None = Field(None, description="[m3/s] TCS flow setpoint")
    supply_temperature: Temperature | None = Field(None, description="[K] TCS supply setpoint")
    min_speed: Positive = Field(0.3, description="[-] lowest relative pump speed")
    max_speed: Positive = Field(1.2, description="[-] highest relative pump speed")
    min_facility_flow: VolumetricFlow = Field(1e-4, description="[m3/s] facility flow low end")
    max_facility_flow: VolumetricFlow = Field(1e-2, description="[m3/s] facility flow high end")


class RackSection(Section):
    """``[network.rack]``: N trays between supply and return headers, a CDU and facility water."""

    trays: Annotated[int, Field(ge=1)] = Field(description="[-] number of compute trays")
    manifold: Literal["U", "Z"] = Field("U", description="[-] U: return exits at the supply "
                                        "end (reverse flow); Z: at the far end (parallel flow)")
    tray_pitch: Length = Field(0.0889, description="[m] vertical spacing of trays (2U)")
    header_diameter: Length = Field(0.04, description="[m] header inner diameter")
    header_roughness: Length = Field(1.5e-6, description="[m] header roughness")
    header_junctions: Literal["crane", "constant"] = Field(
        "crane", description="[-] header take-off tees: Crane TP-410 (2009) losses that follow "
                             "the flow split (default), or constant K (header_run_loss, "
                             "tee_branch_loss, header_momentum_*)")
    friction: Literal["churchill", "colebrook"] | None = Field(
        None, description="[-] Darcy friction law of the rack's pipes and hoses; default: "
                          "[network] friction")
    header_run_loss: NonNegative = Field(0.2, description="[-] tee run K per header segment")
    header_momentum_dividing: NonNegative = Field(
        0.0, description="[-] supply-header momentum coefficient beta_d (pressure recovery as "
                         "the header slows; 1 = momentum theory, 0.5 = Bernoulli, 0 = off)")
    header_momentum_combining: NonNegative = Field(
        0.0, description="[-] return-header momentum coefficient beta_c (pressure spent "
                         "accelerating the merged flow; 1 = momentum theory, 0 = off)")
    branch_diameter: Length = Field(0.0095, description="[m] tray hose inner diameter")
    branch_length: Length = Field(0.6, description="[m] tray hose length, each way")
    branch_roughness: Length = Field(1e-5, description="[m] hose roughness")
    tee_branch_loss: NonNegative = Field(1.0, description="[-] tee branch K, each way")
    quick_disconnect: QuickDisconnectSpec = Field(description="[-] tray quick disconnects")
    arrangement: Literal["parallel", "series"] = Field(
        "parallel", description="[-] how the plates of a tray are connected")
    plates: list[PlateGroupSection] = Field(description="[-] plate groups on every tray")
    cdu: CduSpec = Field(description="[-] coolant distribution unit")
    facility: FacilitySpec = Field(description="[-] facility water")
    controls: RackControlSpec = Field(default_factory=RackControlSpec,
                                      description="[-] controls")

    @model_validator(mode="after")
    def _constant_junction_keys(self):
        if self.header_junctions == "constant":
            return self
        for key in ("header_run_loss", "tee_branch_loss", "header_momentum_dividing",
                    "header_momentum_combining"):
            if key in self.model_fields_set:
                raise fail(key, f"is a constant-K header setting; header_junctions "
                           f"'{self.header_junctions}' takes the tee losses and the header's "
                           "pressure recovery from the flow split", allowed="header_junctions "
                           "= 'constant' or no such key")
        return self

    @model_validator(mode="after")
    def _every_tray_cooled(self):
        for j, group in enumerate(self.plates):
            for k, tray in enumerate(group.trays):
                if tray >= self.trays:
                    raise fail(f"plates[{j}].trays[{k}]", "no such tray", tray,
                               f"0 to {self.trays - 1}")
        for tray in range(self.trays):
            if not any(not g.trays or tray in g.trays for g in self.plates):
                raise fail("plates", f"tray {tray} carries no plate group", allowed="plate "
                           "groups whose trays cover every tray")
        return self


class NetworkSection(Section):
    """``[network]``: explicit lists and/or a rack builder, plus controls and solver settings."""

    nodes: list[NodeSection] = Field([], description="[-] explicit nodes")
    components: list[ComponentSection] = Field([], description="[-] explicit components")
    controls: list[ControlSection] = Field([], description="[-] explicit controls")
    rack: RackSection | None = Field(None, description="[-] rack builder")
    facility_fluid: str = Field("water", description="[-] facility-water coolant name")
    friction: Literal["churchill", "colebrook"] = Field(
        "churchill", description="[-] default Darcy friction law of pipes: Churchill (1977), "
                                 "one formula for all regimes, or laminar 64/Re + Colebrook "
                                 "(1939)")
    initial_temperature: Temperature = Field(308.15, description="[K] first property guess")
    rtol: Positive = Field(1e-11, description="[-] Newton tolerance (scaled residual)")
    pump_heat: bool = Field(True, description="[-] add each pump's shaft power Q dP / eta to "
                                              "the coolant at the pump (dry motor: its own "
                                              "losses go to the air)")
    transient: NetworkTransientSection = Field(
        default_factory=NetworkTransientSection,
        description="[-] time integration of the transient [[scenarios]]")

    @model_validator(mode="after")
    def _needs_content(self):
        if self.rack is None and not self.components:
            raise ValueError("network: give [network.rack] or [[network.components]]")
        return self
