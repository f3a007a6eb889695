"""Build a :class:`~solver.network.graph.Network` from the ``[network]`` case section.

The rack builder lays out the common direct-to-chip topology::

    CDU: tank -- pump group -- HX hot side -- supply pipe --> supply header (bottom to top)
         tray k: header tee -- hose -- QD -- plates (parallel or series) -- QD -- hose -- tee
         return header (U: back down to the bottom, Z: on to the top) -- return pipe --> tank
    facility water: supply (class temperature; fixed flow or fixed dp with a valve) -- HX cold side

Node positions (metres, z up) are generated so the network can be drawn: headers are vertical
at x = 0 (supply) and x = 0.6 (return), tray k at height ``k * tray_pitch``, the CDU below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from solver.network.components import (
    BRANCH_KINDS,
    ColdPlate,
    HeatExchanger,
    HeatExchangerSide,
    Pipe,
    Pump,
    QuickDisconnect,
    TeeLeg,
    Valve,
    fit_power_law,
)
from solver.network.controls import PumpSpeedControl, SupplyTemperatureControl
from solver.network.errors import NetworkError
from solver.network.graph import ExpansionTank, FlowBoundary, Network, Node, PressureBoundary
from solver.network.junctions import Junction
from solver.network.laws import GRAVITY

DESIGN_DENSITY = 1000.0  # [kg/m3] converts case volumetric flows of boundaries to mass flows


@dataclass
class BuiltNetwork:
    """A network with its controls and the names the outputs need."""

    network: Network
    controls: list = field(default_factory=list)
    tray_inlets: list = field(default_factory=list)  # first branch of each tray (its flow)
    plates: list = field(default_factory=list)  # cold plate names
    pump: str = ""
    exchanger: str = ""
    supply_node: str = ""  # TCS supply (after the CDU)
    return_node: str = ""  # TCS return (before the CDU)
    header_nodes: tuple = ()  # (supply header inlet, return header outlet)
    facility_supply: str = ""
    facility_return: str = ""


def _explicit(section, built, density, coolant):
    """Add the explicit nodes and components of ``section`` to ``built``."""
    net = built.network
    for n in section.nodes:
        net.nodes.append(Node(n.name, tuple(n.position), n.fluid))
    known = {n.name for n in net.nodes}
    for comp in section.components:
        data = comp.model_dump()
        kind = data.pop("kind")
        if kind == "expansion_tank":
            net.tanks.append(ExpansionTank(**data))
        elif kind == "pressure_boundary":
            net.pressure_boundaries.append(PressureBoundary(**data))
        elif kind == "flow_boundary":
            flow = data.pop("flow")
            mass = data.pop("mass_flow")
            data["mass_flow"] = mass if mass is not None else flow * density
            net.flow_boundaries.append(FlowBoundary(**data))
        elif kind == "tee":
            _tee(comp, net, known)
        elif kind == "pipe":
            data["friction"] = data["friction"] or section.friction
            net.branches.append(Pipe(**data))
        elif kind == "heat_exchanger":
            hot = HeatExchangerSide(f"{comp.name}.hot", comp.hot_inlet, comp.hot_outlet,
                                    comp.rated_hot_flow, comp.hot_pressure_drop,
                                    comp.pressure_exponent, "hot", comp.name)
            cold = HeatExchangerSide(f"{comp.name}.cold", comp.cold_inlet, comp.cold_outlet,
                                     comp.rated_cold_flow, comp.cold_pressure_drop,
                                     comp.pressure_exponent, "cold", comp.name)
            net.branches += [hot, cold]
            net.heat_exchangers.append(HeatExchanger(
                comp.name, hot, cold, comp.ua, comp.rated_hot_flow * density,
                comp.rated_cold_flow * density, comp.ua_exponent))
            if not built.exchanger:
                built.exchanger = comp.name
                built.supply_node = built.supply_node or comp.hot_outlet
                built.return_node = built.return_node or comp.hot_inlet
        elif kind == "pump":
            if data["running"] is None:
                data["running"] = data["count"]
            data["pressures"] = _pump_pressures(comp.name, data["flows"], data["pressures"],
                                                data.pop("heads"), density)
            data["flows"] = tuple(data["flows"])
            if data["efficiencies"] is not None:
                data["efficiencies"] = tuple(data["efficiencies"])
            net.branches.append(Pump(**data))
            built.pump = built.pump or comp.name
        elif kind == "quick_disconnect":
            net.branches.append(QuickDisconnect(**_qd_arguments(comp.name, data)))
        elif kind in BRANCH_KINDS:
            if kind == "cold_plate":
                data.update(_curve_reference(data["flows"], data.pop("curve_temperatures"),
                                             coolant))
            for key in ("flows", "pressure_drops", "resistance_flows", "resistances"):
                if key in data:
                    data[key] = tuple(data[key])
            net.branches.append(BRANCH_KINDS[kind](**data))
            if kind == "cold_plate":
                built.plates.append(comp.name)
        else:  # pragma: no cover - the schema's discriminated union prevents this
            raise NetworkError(f"component '{comp.name}': unknown kind '{kind}'")
    for ctl in section.controls:
        built.controls.append(_control(ctl, density))


def _tee(comp, net, known):
    """Add an explicit tee: a hub node, three legs and, for a split-dependent model, a
    :class:`~solver.network.junctions.Junction` at the hub (the legs then carry no own K)."""
    hub = f"{comp.name}.hub"
    if hub not in known:
        pos = comp.position or _position_of(net, comp.branch)
        fluid = next((n.fluid for n in net.nodes if n.name == comp.branch), "coolant")
        net.nodes.append(Node(hub, tuple(pos), fluid))
        known.add(hub)
    bd = comp.branch_diameter or comp.diameter
    constant = comp.model == "constant"
    k_run = comp.k_run if constant else 0.0
    k_div = comp.k_branch_dividing if constant else 0.0
    k_com = comp.k_branch_combining if constant else 0.0
    legs = (f"{comp.name}.run_in", f"{comp.name}.run_out", f"{comp.name}.branch")
    net.branches += [TeeLeg(legs[0], comp.run_in, hub, comp.diameter, k_run, k_run),
                     TeeLeg(legs[1], comp.run_out, hub, comp.diameter, k_run, k_run),
                     TeeLeg(legs[2], comp.branch, hub, bd, k_div, k_com)]
    if not constant:
        net.junctions.append(Junction(comp.name, hub, *legs, comp.diameter, bd, comp.angle))


def _control(ctl, density):
    if ctl.kind == "pump_speed":
        setpoint = ctl.pressure_setpoint if ctl.target == "differential_pressure" \
            else ctl.flow_setpoint
        if setpoint is None:
            raise NetworkError(f"control '{ctl.name}': give the setpoint for target "
                               f"'{ctl.target}'")
        return PumpSpeedControl(ctl.name, ctl.pump, ctl.target, setpoint, ctl.high_node,
                                ctl.low_node, ctl.component, ctl.min_speed, ctl.max_speed)
    if ctl.temperature_setpoint is None:
        raise NetworkError(f"control '{ctl.name}': give temperature_setpoint")
    if ctl.valve:
        return SupplyTemperatureControl(ctl.name, ctl.node, ctl.temperature_setpoint,
                                        valve=ctl.valve, min_value=ctl.min_opening,
                                        max_value=1.0)
    return SupplyTemperatureControl(ctl.name, ctl.node, ctl.temperature_setpoint,
                                    flow_boundary=ctl.flow_boundary,
                                    min_value=ctl.min_flow * density,
                                    max_value=ctl.max_flow * density)


def _qd_arguments(name, data):
    """Quick-disconnect keyword arguments; a dP-flow curve becomes a fitted rated point."""
    data = dict(data)
    flows, drops = data.pop("flows", None), data.pop("pressure_drops", None)
    if flows is not None or drops is not None:
        if flows is None or drops is None:
            raise NetworkError(f"component '{name}': give both flows and pressure_drops")
        c, n = fit_power_law(name, flows, drops, data.get("exponent", 2.0), rising=True)
        data.update(rated_flow=float(flows[-1]), rated_pressure_drop=c * float(flows[-1]) ** n,
                    exponent=n)
    return data


def _pump_pressures(name, flows, pressures, heads, density):
    """Datasheet pressure rises [Pa] from pressures or heads [m]."""
    if (pressures is None) == (heads is None):
        raise NetworkError(f"component '{name}': give exactly one of pressures or heads")
    if pressures is not None:
        return tuple(pressures)
    return tuple(density * GRAVITY * h for h in heads)


def _position_of(net, name):
    for n in net.nodes:
        if n.name == name:
            return n.position
    return (0.0, 0.0, 0.0)


def _header_junctions(rack):
    """Crane junctions at every take-off of the two headers (tray 0 at the header inlet).

    A supply node joins the segment below (the CDU supply pipe at tray 0), the segment above
    (none at the top: the last take-off is a turn into the hose) and the tray's supply hose;
    return nodes likewise, with the CDU return pipe at the exit end (tray 0 for U, the top for Z).
    """
    n = rack.trays
    d_run, d_side = rack.header_diameter, rack.branch_diameter
    out = []
    for k in range(n):
        below = f"supply_header.{k - 1}" if k > 0 else "cdu.supply_pipe"
        above = f"supply_header.{k}" if k < n - 1 else ""
        out.append(Junction(f"supply.{k}", f"supply.{k}", below, above,
                            f"tray.{k}.supply_hose", d_run, d_side))
        if rack.manifold == "U":
            below = f"return_header.{k - 1}" if k > 0 else "cdu.return_pipe"
            above = f"return_header.{k}" if k < n - 1 else ""
        else:
            below = f"return_header.{k - 1}" if k > 0 else ""
            above = f"return_header.{k}" if k < n - 1 else "cdu.return_pipe"
        out.append(Junction(f"return.{k}", f"return.{k}", below, above,
                            f"tray.{k}.return_hose", d_run, d_side))
    return out


def _rack(rack, built, density, friction, coolant):
    """Add the rack topology to ``built``; ``friction`` names the pipes' friction law,
    ``coolant`` the loop's coolant (the plates' curve-temperature correction)."""
    net = built.network
    n_trays = rack.trays
    pitch = rack.tray_pitch
    x_supply, x_return = 0.0, 0.6
    top = (n_trays - 1) * pitch

    def node(name, x, y, z, fluid="coolant"):
        net.nodes.append(Node(name, (x, y, z), fluid))
        return name

    # headers: supply enters at the bottom (tray 0); U returns at the bottom, Z at the top
    for k in range(n_trays):
        node(f"supply.{k}", x_supply, 0.0, k * pitch)
        node(f"return.{k}", x_return, 0.0, k * pitch)
    # constant junctions: a tee run K per header segment, optional momentum terms (a dividing
    # segment recovers pressure with its downstream neighbour, a combining segment spends it
    # with its upstream neighbour); Crane junctions carry both in their split-dependent K
    constant = rack.header_junctions == "constant"
    beta_d, beta_c = ((rack.header_momentum_dividing, rack.header_momentum_combining)
                      if constant else (0.0, 0.0))
    run_loss = rack.header_run_loss if constant else 0.0
    take_off_loss = rack.tee_branch_loss if constant else 0.0
    last = n_trays - 2
    for k in range(n_trays - 1):
        net.branches.append(Pipe(f"supply_header.{k}", f"supply.{k}", f"supply.{k + 1}",
                                 pitch, rack.header_diameter, rack.header_roughness, pitch,
                                 run_loss, friction, momentum_coefficient=-beta_d,
                                 momentum_partner=f"supply_header.{k + 1}"
                                 if k < last else ""))
        if rack.manifold == "U":
            net.branches.append(Pipe(f"return_header.{k}", f"return.{k + 1}", f"return.{k}",
                                     pitch, rack.header_diameter, rack.header_roughness, -pitch,
                                     run_loss, friction, momentum_coefficient=beta_c,
                                     momentum_partner=f"return_header.{k + 1}"
                                     if k < last else ""))
        else:
            net.branches.append(Pipe(f"return_header.{k}", f"return.{k}", f"return.{k + 1}",
                                     pitch, rack.header_diameter, rack.header_roughness, pitch,
                                     run_loss, friction, momentum_coefficient=beta_c,
                                     momentum_partner=f"return_header.{k - 1}"
                                     if k > 0 else ""))
    if not constant:
        net.junctions += _header_junctions(rack)
    qd = rack.quick_disconnect.model_dump()
    for k in range(n_trays):
        # plate groups on this tray (a group lists its trays, or is on every tray)
        plates = [(g, i) for g in rack.plates if not getattr(g, "trays", ()) or k in g.trays
                  for i in range(g.count)]
        if not plates:
            raise NetworkError(f"rack: tray {k} carries no plate group")
        z = k * pitch
        a = node(f"tray.{k}.hose_in", 0.1, 0.0, z)
        b = node(f"tray.{k}.in", 0.15, 0.0, z)
        c = node(f"tray.{k}.out", 0.45, 0.0, z)
        d = node(f"tray.{k}.hose_out", 0.5, 0.0, z)
        half = rack.branch_length
        net.branches += [
            Pipe(f"tray.{k}.supply_hose", f"supply.{k}", a, half, rack.branch_diameter,
                 rack.branch_roughness, 0.0, take_off_loss, friction),
            QuickDisconnect(f"tray.{k}.supply_qd", a, b, **_qd_arguments("quick_disconnect", qd))]
        built.tray_inlets.append(f"tray.{k}.supply_hose")
        if rack.arrangement == "parallel":
            for g, i in plates:
                name = f"tray.{k}.{g.name}.{i}"
                net.branches.append(_plate(name, b, c, g, coolant))
                built.plates.append(name)
        else:
            prev = b
            for j, (g, i) in enumerate(plates):
                nxt = c if j == len(plates) - 1 else node(
                    f"tray.{k}.between.{j}", 0.15 + 0.3 * (j + 1) / len(plates), 0.0, z)
                name = f"tray.{k}.{g.name}.{i}"
                net.branches.append(_plate(name, prev, nxt, g, coolant))
                built.plates.append(name)
                prev = nxt
        net.branches += [
            QuickDisconnect(f"tray.{k}.return_qd", c, d, **_qd_arguments("quick_disconnect", qd)),
            Pipe(f"tray.{k}.return_hose", d, f"return.{k}", half, rack.branch_diameter,
                 rack.branch_roughness, 0.0, take_off_loss, friction)]
    # CDU below the rack: tank at the pump suction
    cdu = rack.cdu
    zc = -0.6
    node("cdu.return", 0.6, 0.0, zc)
    node("cdu.pump_out", 0.3, 0.0, zc - 0.2)
    node("cdu.supply", 0.0, 0.0, zc)
    ret_exit = "return.0" if rack.manifold == "U" else f"return.{n_trays - 1}"
    ret_rise = zc - (0.0 if rack.manifold == "U" else top)
    pumps = cdu.pumps
    running = pumps.count if pumps.running is None else pumps.running
    net.branches += [
        Pipe("cdu.supply_pipe", "cdu.supply", "supply.0", cdu.pipe_length, cdu.pipe_diameter,
             1.5e-6, -zc, cdu.pipe_minor_loss, friction),
        Pipe("cdu.return_pipe", ret_exit, "cdu.return", cdu.pipe_length, cdu.pipe_diameter,
             1.5e-6, ret_rise, cdu.pipe_minor_loss, friction),
        Pump("cdu.pumps", "cdu.return", "cdu.pump_out", tuple(pumps.flows),
             _pump_pressures("cdu.pumps", pumps.flows, pumps.pressures, pumps.heads, density),
             tuple(pumps.efficiencies) if pumps.efficiencies else None,
             pumps.speed, pumps.count, running)]
    hx = cdu.heat_exchanger
    hot = HeatExchangerSide("cdu.hx.hot", "cdu.pump_out", "cdu.supply", hx.rated_hot_flow,
                            hx.hot_pressure_drop, hx.pressure_exponent, "hot", "cdu.hx")
    # facility water
    fac = rack.facility
    node("facility.supply", 1.0, 0.0, zc - 0.4, "facility")
    node("facility.hx_in", 0.8, 0.0, zc - 0.4, "facility")
    node("facility.return", 1.0, 0.0, zc - 0.2, "facility")
    cold = HeatExchangerSide("cdu.hx.cold", "facility.hx_in", "facility.return",
                             hx.rated_cold_flow, hx.cold_pressure_drop, hx.pressure_exponent,
                             "cold", "cdu.hx")
    net.branches += [hot, cold]
    net.heat_exchangers.append(HeatExchanger("cdu.hx", hot, cold, hx.ua,
                                             hx.rated_hot_flow * density,
                                             hx.rated_cold_flow * DESIGN_DENSITY,
                                             hx.ua_exponent))
    net.tanks.append(ExpansionTank("cdu.tank", "cdu.return", cdu.tank_pressure))
    t_fac = fac.supply_kelvin()
    if fac.flow is not None:
        net.branches.append(Pipe("facility.pipe", "facility.supply", "facility.hx_in", 2.0,
                                 0.05, 1.5e-6, 0.0, 2.0, friction))
        net.flow_boundaries.append(FlowBoundary("facility.supply", "facility.supply",
                                                fac.flow * DESIGN_DENSITY, t_fac))
        net.pressure_boundaries.append(PressureBoundary("facility.return", "facility.return",
                                                        2e5, t_fac))
    else:
        net.branches.append(Valve("facility.valve", "facility.supply", "facility.hx_in",
                                  fac.valve_kv, 1.0, "equal_percentage"))
        net.pressure_boundaries += [
            PressureBoundary("facility.supply", "facility.supply", 2e5 + fac.pressure_difference,
                             t_fac),
            PressureBoundary("facility.return", "facility.return", 2e5, t_fac)]
    built.pump = "cdu.pumps"
    built.exchanger = "cdu.hx"
    built.supply_node = "cdu.supply"
    built.return_node = "cdu.return"
    built.header_nodes = ("supply.0", ret_exit)
    built.facility_supply = "facility.supply"
    built.facility_return = "facility.return"
    ctl = rack.controls
    if ctl.pump_target == "differential_pressure":
        if ctl.pressure_setpoint is None:
            raise NetworkError("rack controls: pump_target 'differential_pressure' needs "
                               "pressure_setpoint")
        built.controls.append(PumpSpeedControl("pump_dp", "cdu.pumps", "differential_pressure",
                                               ctl.pressure_setpoint, "supply.0", ret_exit,
                                               min_speed=ctl.min_speed,
                                               max_speed=ctl.max_speed))
    elif ctl.pump_target == "flow":
        if ctl.flow_setpoint is None:
            raise NetworkError("rack controls: pump_target 'flow' needs flow_setpoint")
        built.controls.append(PumpSpeedControl("pump_flow", "cdu.pumps", "flow",
                                               ctl.flow_setpoint, component="cdu.supply_pipe",
                                               min_speed=ctl.min_speed,
                                               max_speed=ctl.max_speed))
    if ctl.supply_temperature is not None:
        if fac.flow is not None:
            built.controls.append(SupplyTemperatureControl(
                "supply_temperature", "cdu.supply", ctl.supply_temperature,
                flow_boundary="facility.supply",
                min_value=ctl.min_facility_flow * DESIGN_DENSITY,
                max_value=ctl.max_facility_flow * DESIGN_DENSITY))
        else:
            built.controls.append(SupplyTemperatureControl(
                "supply_temperature", "cdu.supply", ctl.supply_temperature,
                valve="facility.valve", min_value=0.05, max_value=1.0))


def _curve_reference(flows, curve_temperatures, coolant) -> dict:
    """A cold plate's reference densities and viscosities: the coolant at the curve's
    temperatures (one for every point, or one per point); none without both."""
    if not curve_temperatures or coolant is None:
        return {}
    temperatures = list(curve_temperatures)
    temperatures *= len(flows) if len(temperatures) == 1 else 1
    return {"reference_densities": tuple(float(coolant.density(t)) for t in temperatures),
            "reference_viscosities": tuple(float(coolant.viscosity(t)) for t in temperatures)}


def _plate(name, inlet, outlet, group, coolant):
    return ColdPlate(name, inlet, outlet, tuple(group.flows), tuple(group.pressure_drops),
                     group.exponent, group.power, group.resistance,
                     tuple(group.resistance_flows), tuple(group.resistances),
                     **_curve_reference(group.flows, group.curve_temperatures, coolant))


def build_network(section, coolant_density=DESIGN_DENSITY, coolant=None) -> BuiltNetwork:
    """Build the network described by a :class:`~solver.case.network.NetworkSection`.

    Parameters
    ----------
    section : NetworkSection
    coolant_density : float
        [kg/m3] used only to turn volumetric boundary flows and exchanger rated flows of the
        coolant loop into mass flows (the solve itself uses temperature-dependent density).
    coolant : Coolant, optional
        The loop's coolant: the density and viscosity at a plate group's ``curve_temperatures``
        make its dP curve follow the operating temperature
        (:class:`~solver.network.components.ColdPlate`); without it no correction.

    Returns
    -------
    BuiltNetwork
    """
    built = BuiltNetwork(Network())
    if section.rack is not None:
        _rack(section.rack, built, coolant_density, section.rack.friction or section.friction,
              coolant)
    _explicit(section, built, coolant_density, coolant)
    return built


__all__ = ["BuiltNetwork", "build_network"]
