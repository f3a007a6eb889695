"""Network results: per-component/node table, summary, VTK polylines and plots.

All files are written atomically through :mod:`solver.output` (temporary file in the same folder,
then ``os.replace``):

- ``network.csv``: one row per component (flow, velocity, Re, dp, inlet and outlet pressure,
  T in/out, heat, properties, plate R) and per node (pressure, temperature, boundary flow);
  :func:`branch_table`;
- ``network_summary.json``: pump operating point, power and heat into the coolant
  (``pump_heat``: the shaft power, see :mod:`solver.network.thermal`), CDU approach and heat
  rejected,
  facility return temperature, maldistribution, L/min per kW, TCS dT, controls;
- ``network.vtp``: the network as VTK lines (one cell per branch, parallel branches drawn side
  by side) with point and cell data in SI units (:func:`network_polydata`);
- ``images/network_branch_flows.png`` and ``images/network_pump_curve.png``;
- for a rack, ``images/rack_flow.png`` and ``images/rack_temperature.png``
  (:mod:`solver.output.rack_pictures`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from solver.network.graph import FlowBoundary, Network
from solver.network.hydraulics import solve_hydraulics
from solver.network.junctions import junctions_on
from solver.network.ranges import curve_extrapolations
from solver.output.atomic import write_csv, write_json
from solver.output.figures import pyplot, save_figure
from solver.output.rack_pictures import write_rack_pictures
from solver.output.vtk import set_name_table, set_units, write_polydata
from solver.units import LPM


def branch_table(solution):
    """Rows (dicts, SI units) of ``network.csv``: one per component, then one per node.

    A component row has its kind, inlet and outlet nodes, mass and volume flow, velocity,
    Reynolds number, pressure drop (inlet minus outlet pressure, pumps negative), the pressures
    at its inlet and outlet nodes, inlet and outlet temperature, heat into the coolant, the
    density and viscosity its law used, and for a cold plate its thermal resistance and case
    temperature. A node row has its pressure and (mixed) temperature, and
    ``boundary_mass_flow``, the flow entering the network there from outside: a flow
    boundary's fixed flow, or, at a node whose pressure a tank or pressure boundary holds, the
    flow that reference supplies (named in ``boundary``), so that the flows of the
    components into and out of every node and its ``boundary_mass_flow`` balance.
    """
    net = solution.network
    rows = []
    q = solution.volumetric_flow
    compiled = net.compile()
    # net inflow from the components at each node; a fixed-pressure node's reference supplies
    # the rest, a free node's is its fixed injection
    into_node = compiled.incidence @ solution.mass_flow
    boundary_flow = np.where(compiled.fixed, -into_node, compiled.injection) + 0.0  # no -0.0
    boundaries = {}
    for ref in (*net.tanks, *net.pressure_boundaries, *net.flow_boundaries):
        boundaries.setdefault(ref.node, []).append(ref.name)
    for i, b in enumerate(net.branches):
        area, diameter = b.flow_area, b.hydraulic_diameter
        velocity = q[i] / area if area else float("nan")
        reynolds = (abs(solution.mass_flow[i]) * diameter / (area * solution.viscosity[i])
                    if area and diameter else float("nan"))
        row = {"type": "component", "name": b.name, "kind": b.kind, "inlet": b.inlet,
               "outlet": b.outlet, "mass_flow": solution.mass_flow[i], "flow": q[i],
               "flow_lpm": q[i] * LPM, "velocity": velocity, "reynolds": reynolds,
               "pressure_drop": solution.pressure_drop[i],
               "inlet_temperature": solution.inlet_temperature[i],
               "outlet_temperature": solution.outlet_temperature[i],
               "heat": solution.heat[i], "pressure": float("nan"), "temperature": float("nan"),
               "inlet_pressure": solution.pressure[compiled.inlet[i]],
               "outlet_pressure": solution.pressure[compiled.outlet[i]],
               "density": solution.density[i], "viscosity": solution.viscosity[i],
               "thermal_resistance": float("nan"), "case_temperature": float("nan"),
               "friction_law": getattr(b, "friction", "")}
        if b.kind == "cold_plate":
            row["thermal_resistance"] = b.thermal_resistance(q[i])
            row["case_temperature"] = (solution.inlet_temperature[i]
                                       + row["thermal_resistance"] * b.power)
        rows.append(row)
    for n_i, node in enumerate(net.nodes):
        rows.append({"type": "node", "name": node.name, "kind": "node", "inlet": "",
                     "outlet": "", "pressure": solution.pressure[n_i],
                     "temperature": solution.node_temperature[n_i],
                     "boundary_mass_flow": float(boundary_flow[n_i]),
                     "boundary": " ".join(boundaries.get(node.name, ())), "friction_law": ""})
    return rows


CSV_UNITS = {"mass_flow": "kg/s", "flow": "m3/s", "flow_lpm": "L/min", "velocity": "m/s",
             "reynolds": "-", "pressure_drop": "Pa", "inlet_temperature": "K",
             "outlet_temperature": "K", "heat": "W", "pressure": "Pa", "temperature": "K",
             "inlet_pressure": "Pa", "outlet_pressure": "Pa", "density": "kg/m3",
             "viscosity": "Pa s", "thermal_resistance": "K/W", "case_temperature": "K",
             "boundary_mass_flow": "kg/s"}


def system_curve(solution, pump_name, flows):
    """Pressure the rest of the loop needs [Pa] at each pump flow [m3/s] (system curve).

    The pump branch is replaced by a fixed flow injected at its outlet (and drawn at its inlet
    when that node's pressure is free), with the converged densities and viscosities.
    """
    net = solution.network
    i = net.branch_index(pump_name)
    pump = net.branches[i]
    rest = [j for j in range(len(net.branches)) if j != i]
    rho = solution.density[rest]
    mu = solution.viscosity[rest]
    out = []
    inlet_fixed = any(t.node == pump.inlet for t in list(net.tanks) + list(net.pressure_boundaries))
    x0 = None
    for q in flows:
        m = float(q * solution.density[i])
        bounds = [FlowBoundary("system_curve.out", pump.outlet, m)]
        if not inlet_fixed:
            bounds.append(FlowBoundary("system_curve.in", pump.inlet, -m))
        probe = Network(net.nodes, [net.branches[j] for j in rest], net.heat_exchangers,
                        net.tanks, net.pressure_boundaries,
                        list(net.flow_boundaries) + bounds,
                        junctions_on(net.junctions, [net.branches[j].name for j in rest]))
        result = solve_hydraulics(probe, rho, mu, x0=x0)
        c = probe.compile()
        x0 = np.concatenate([result.mass_flow, result.pressure[~c.fixed]])
        out.append(float(result.pressure[probe.node_index(pump.outlet)]
                         - result.pressure[probe.node_index(pump.inlet)]))
    return np.array(out)


def layout_positions(network):
    """Node positions [m] (nn, 3): from the case, or a circle layout when all are at the origin."""
    pos = np.array([n.position for n in network.nodes], dtype=float)
    if np.allclose(pos, 0.0):
        angle = np.linspace(0.0, 2.0 * np.pi, len(pos), endpoint=False)
        pos = np.column_stack([np.cos(angle), np.sin(angle), np.zeros_like(angle)])
    return pos


#: Units of the arrays of ``network.vtp`` (SI), recorded in its field data.
NETWORK_UNITS = {"pressure": "Pa", "temperature": "K", "node_id": "1", "mass_flow": "kg/s",
                 "volume_flow": "m3/s", "pressure_drop": "Pa", "inlet_temperature": "K",
                 "outlet_temperature": "K", "heat": "W", "component_id": "1", "kind_id": "1"}

#: [m] default distance between the lines of branches that join the same two nodes.
PARALLEL_SPACING = 0.05

#: [-] where along a parallel branch its line bends out to its offset and back.
BEND = 0.2


def parallel_offsets(network, positions, spacing: float = PARALLEL_SPACING) -> np.ndarray:
    """Sideways offset [m] (nb, 3) of each branch's line so that branches joining the same two
    nodes (parallel plates) are drawn side by side instead of on one line.

    The ``n`` branches of a node pair get offsets ``(j - (n - 1) / 2) spacing``, ``j = 0..n-1``
    in the order of the network, along the horizontal normal of the line (``z`` up: ``z x d``;
    ``x`` for a vertical line); a branch alone between its nodes gets 0.
    """
    c = network.compile()
    offsets = np.zeros((len(network.branches), 3))
    pairs: dict = {}
    for i, (a, b) in enumerate(zip(c.inlet, c.outlet, strict=True)):
        pairs.setdefault(frozenset((int(a), int(b))), []).append(i)
    for members in pairs.values():
        if len(members) < 2:
            continue
        first = members[0]
        direction = positions[c.outlet[first]] - positions[c.inlet[first]]
        normal = np.cross([0.0, 0.0, 1.0], direction)
        if np.linalg.norm(normal) < 1e-12 * max(np.linalg.norm(direction), 1e-30):
            normal = np.array([1.0, 0.0, 0.0])
        normal /= np.linalg.norm(normal)
        for j, i in enumerate(members):
            offsets[i] = (j - 0.5 * (len(members) - 1)) * spacing * normal
    return offsets


def network_polydata(solution, spacing: float = PARALLEL_SPACING):
    """The network as :class:`pyvista.PolyData` lines with point (node) and cell (branch) data.

    Points ``0..nn-1`` are the nodes (``layout_positions``), one line cell per branch in the
    network's order. A branch that shares both nodes with another (parallel plates) is drawn
    offset sideways by :func:`parallel_offsets` (``spacing`` [m]): its line bends out at
    :data:`BEND` of its length and back, through two extra points after the nodes, so that
    each branch is its own visible line. Arrays (units in :data:`NETWORK_UNITS`, recorded in
    the field data by :func:`~solver.output.vtk.set_units`): point data ``pressure``,
    ``temperature`` and ``node_id`` (-1 on bend points, whose pressure and temperature are
    interpolated linearly from the branch's inlet to its outlet, as ParaView does along a
    line); cell data ``mass_flow``, ``volume_flow``, ``pressure_drop``, ``inlet_temperature``,
    ``outlet_temperature``, ``heat``, ``component_id`` (the branch index, the row order of
    ``network.csv``) and ``kind_id``. The names are field-data string arrays indexed by the
    ids (:func:`~solver.output.vtk.set_name_table`): ``node_names``, ``component_names`` and
    ``component_kinds``.
    """
    import pyvista as pv

    net = solution.network
    c = net.compile()
    nodes = layout_positions(net)
    offsets = parallel_offsets(net, nodes, spacing)
    points = [nodes]
    pressure = [np.asarray(solution.pressure, dtype=float)]
    temperature = [np.asarray(solution.node_temperature, dtype=float)]
    node_ids = [np.arange(len(nodes))]
    lines = []
    count = len(nodes)
    for i, (a, b) in enumerate(zip(c.inlet, c.outlet, strict=True)):
        if not offsets[i].any():
            lines.append([2, a, b])
            continue
        fractions = np.array([BEND, 1.0 - BEND])
        points.append(nodes[a] + fractions[:, None] * (nodes[b] - nodes[a]) + offsets[i])
        pressure.append(pressure[0][a] + fractions * (pressure[0][b] - pressure[0][a]))
        t_in, t_out = solution.inlet_temperature[i], solution.outlet_temperature[i]
        temperature.append(t_in + fractions * (t_out - t_in))
        node_ids.append(np.full(2, -1))
        lines.append([4, a, count, count + 1, b])
        count += 2
    poly = pv.PolyData(np.vstack(points), lines=np.concatenate(lines))
    poly.point_data["pressure"] = np.concatenate(pressure)
    poly.point_data["temperature"] = np.concatenate(temperature)
    poly.point_data["node_id"] = np.concatenate(node_ids).astype(np.int32)
    poly.cell_data["mass_flow"] = solution.mass_flow
    poly.cell_data["volume_flow"] = solution.volumetric_flow
    poly.cell_data["pressure_drop"] = solution.pressure_drop
    poly.cell_data["inlet_temperature"] = solution.inlet_temperature
    poly.cell_data["outlet_temperature"] = solution.outlet_temperature
    poly.cell_data["heat"] = solution.heat
    poly.cell_data["component_id"] = np.arange(len(net.branches), dtype=np.int32)
    kinds = sorted({b.kind for b in net.branches})
    poly.cell_data["kind_id"] = np.array([kinds.index(b.kind) for b in net.branches],
                                         dtype=np.int32)
    set_name_table(poly, "node_id", "node_names", [n.name for n in net.nodes])
    set_name_table(poly, "component_id", "component_names", [b.name for b in net.branches])
    set_name_table(poly, "kind_id", "component_kinds", kinds)
    set_units(poly, NETWORK_UNITS)
    return poly


def friction_laws(network):
    """Pipes per Darcy friction law, ``{"churchill": [names], "colebrook": [names]}``."""
    laws = {}
    for b in network.branches:
        if b.kind == "pipe":
            laws.setdefault(b.friction, []).append(b.name)
    return laws


def coolant_entries(coolant) -> dict:
    """Summary entries naming the loop's coolant: ``coolant`` (name), ``coolant_description``
    and, for a glycol, ``coolant_concentration`` (basis, mass and volume fractions)."""
    return {"coolant": getattr(coolant, "name", str(coolant)),
            "coolant_description": getattr(coolant, "description", ""),
            "coolant_concentration": getattr(coolant, "concentration", None)}


def summarize(built, solution, reports):
    """Summary dict (SI, plus a few convenience L/min figures) of a solved rack network."""
    net = solution.network
    q = solution.volumetric_flow
    summary = {"converged": True,
               "newton_iterations": [len(h) - 1 for h in solution.newton_histories],
               "newton_residuals_last_solve": solution.newton_histories[-1],
               "picard_iterations": solution.iterations,
               "energy_balance_error": solution.energy_balance_error,
               "mass_imbalance": solution.mass_imbalance(),
               "components": len(net.branches), "nodes": len(net.nodes),
               "friction_laws": friction_laws(net),
               "split_junctions": len(net.junctions),
               "warnings": curve_extrapolations(net, q)}
    total_heat = float(sum(b.heat_input for b in net.branches))
    summary["total_heat"] = total_heat
    summary["pump_heat"] = solution.pump_heat
    if built.pump:
        i = net.branch_index(built.pump)
        pump = net.branches[i]
        rise = -float(solution.pressure_drop[i])
        hydraulic = rise * float(q[i])
        eta = pump.efficiency(q[i])
        summary["pump"] = {"name": pump.name, "flow": float(q[i]), "flow_lpm": float(q[i] * LPM),
                           "pressure_rise": rise, "speed": pump.speed, "running": pump.running,
                           "count": pump.count, "hydraulic_power": hydraulic,
                           "efficiency": eta, "shaft_power": hydraulic / eta,
                           "heat_to_coolant": float(solution.heat[i])}
    if solution.exchangers:
        hx = next((x for x in solution.exchangers if x.name == built.exchanger),
                  solution.exchangers[0])
        summary["cdu"] = {"exchanger": hx.name, "heat_rejected": hx.heat,
                          "approach": hx.approach, "effectiveness": hx.effectiveness,
                          "ntu": hx.ntu, "capacity_ratio": hx.capacity_ratio,
                          "conductance": hx.conductance}
        summary["facility"] = {"supply_temperature": hx.cold_in,
                               "return_temperature": hx.cold_out,
                               "mass_flow": hx.cold_flow}
    if built.supply_node and built.return_node:
        t_s = solution.temperature(built.supply_node)
        t_r = solution.temperature(built.return_node)
        names = {b.name for b in net.branches}
        if "cdu.supply_pipe" in names:
            tcs_flow = float(q[net.branch_index("cdu.supply_pipe")])
        elif built.exchanger and f"{built.exchanger}.hot" in names:
            tcs_flow = float(q[net.branch_index(f"{built.exchanger}.hot")])
        else:
            tcs_flow = float("nan")
        summary["tcs"] = {"supply_temperature": t_s, "return_temperature": t_r,
                          "delta_t": t_r - t_s, "flow": tcs_flow, "flow_lpm": tcs_flow * LPM,
                          "lpm_per_kw": tcs_flow * LPM / (total_heat / 1e3)
                          if total_heat > 0 else float("nan")}
    if built.header_nodes:
        hi, lo = built.header_nodes
        summary["rack_differential_pressure"] = (solution.node_pressure(hi)
                                                 - solution.node_pressure(lo))
    if built.tray_inlets:
        flows = np.array([q[net.branch_index(n)] for n in built.tray_inlets])
        mean = float(flows.mean())
        summary["trays"] = {"flows_lpm": (flows * LPM).tolist(),
                            "min_over_mean": float(flows.min() / mean),
                            "max_over_mean": float(flows.max() / mean),
                            "lowest": built.tray_inlets[int(flows.argmin())].split(".sup")[0],
                            "highest": built.tray_inlets[int(flows.argmax())].split(".sup")[0]}
    if built.plates:
        cases, plate_flows, factors = [], [], []
        for name in built.plates:
            i = net.branch_index(name)
            b = net.branches[i]
            cases.append(solution.inlet_temperature[i] + b.thermal_resistance(q[i]) * b.power)
            plate_flows.append(q[i])
            factors.append(b.property_factor(solution.density[i], solution.viscosity[i]))
        k = int(np.argmax(cases))
        summary["plates"] = {"count": len(cases), "max_case_temperature": float(cases[k]),
                             "hottest": built.plates[k],
                             "min_flow_lpm": float(min(plate_flows) * LPM),
                             "max_flow_lpm": float(max(plate_flows) * LPM),
                             "pressure_drop_correction": {
                                 "min": float(min(factors)), "max": float(max(factors)),
                                 "hottest": float(factors[k]),
                                 "law": "dP = c (rho/rho_0)^(n-1) (mu/mu_0)^(2-n) Q^n, "
                                        "rho_0, mu_0 at the curve's temperatures"}}
    summary["controls"] = [{"name": r.name, "setpoint": r.setpoint, "achieved": r.achieved,
                            "actuator": r.actuator, "met": r.met, "message": r.message}
                           for r in reports]
    return summary


def plot_branch_flows(built, solution, path):
    """Bar chart of tray (or all branch) flows [L/min] with the mean."""
    plt = pyplot()

    net = solution.network
    names = built.tray_inlets or [b.name for b in net.branches]
    flows = np.array([solution.volumetric_flow[net.branch_index(n)] for n in names]) * LPM
    labels = [n.split(".supply_hose")[0] for n in names]
    fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(names)), 4.0))
    ax.bar(range(len(flows)), flows, color="tab:blue")
    ax.axhline(flows.mean(), color="k", linestyle="--", label=f"mean {flows.mean():.3g} L/min")
    ax.set_xticks(range(len(flows)), labels, rotation=90, fontsize=7)
    ax.set_ylabel("flow [L/min]")
    ax.set_title("Branch flows")
    ax.legend()
    save_figure(fig, path)


def plot_pump_curve(built, solution, path):
    """Pump group curve, system curve and operating point."""
    plt = pyplot()

    net = solution.network
    i = net.branch_index(built.pump)
    pump = net.branches[i]
    q_op = float(solution.volumetric_flow[i])
    dp_op = -float(solution.pressure_drop[i])
    q_max = max(pump.runout_flow(), 1.3 * q_op)
    q = np.linspace(0.0, q_max, 60)
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    ax.plot(q * LPM, pump.pressure_rise(q) / 1e3, label=f"pumps ({pump.running} running, "
            f"speed {pump.speed:.3f})")
    q_sys = np.linspace(0.05 * q_op, min(q_max, 1.5 * q_op), 12)
    ax.plot(q_sys * LPM, system_curve(solution, built.pump, q_sys) / 1e3, label="system")
    ax.plot([q_op * LPM], [dp_op / 1e3], "ko", label=f"operating point {q_op * LPM:.4g} L/min, "
            f"{dp_op / 1e3:.4g} kPa")
    ax.set_xlabel("flow [L/min]")
    ax.set_ylabel("pressure rise [kPa]")
    ax.set_ylim(bottom=0.0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    save_figure(fig, path)


def write_outputs(built, solution, summary, output_dir, plots=True):
    """Write network.csv, network_summary.json, network.vtp and the plots (the rack pictures
    titled with the name of ``output_dir``, the case's result folder); returns the paths."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"csv": write_csv(out / "network.csv", branch_table(solution), CSV_UNITS),
             "summary": write_json(out / "network_summary.json", summary),
             "vtp": write_polydata(out / "network.vtp", network_polydata(solution))}
    if plots:
        images = out / "images"
        images.mkdir(exist_ok=True)
        paths["branch_flows_png"] = images / "network_branch_flows.png"
        plot_branch_flows(built, solution, paths["branch_flows_png"])
        if built.pump:
            paths["pump_curve_png"] = images / "network_pump_curve.png"
            plot_pump_curve(built, solution, paths["pump_curve_png"])
        if built.tray_inlets:
            paths.update(write_rack_pictures(built, solution, images, out.name))
    return paths


FRICTION_NAMES = {"churchill": "Churchill (1977)", "colebrook": "laminar 64/Re + Colebrook (1939)"}


def format_network_summary(summary) -> str:
    """Readable text block of a network summary: flows in L/min, temperatures in C, kPa, kW."""

    def celsius(kelvin):
        return f"{kelvin - 273.15:.2f} C"

    described = (f" ({summary['coolant_description']})"
                 if summary.get("coolant_description") else "")
    lines = [f"network: {summary['components']} components, {summary['nodes']} nodes, "
             f"coolant {summary['coolant']}{described}, heat load "
             f"{summary['total_heat'] / 1e3:.2f} kW"]
    pump = summary.get("pump")
    if pump:
        lines.append(f"  pump       {pump['name']}: {pump['flow_lpm']:.1f} L/min at "
                     f"{pump['pressure_rise'] / 1e3:.1f} kPa, speed {pump['speed']:.3f}, "
                     f"{pump['running']}/{pump['count']} running, "
                     f"shaft {pump['shaft_power']:.0f} W, "
                     f"{pump['heat_to_coolant']:.0f} W of it heating the coolant")
    cdu = summary.get("cdu")
    if cdu:
        lines.append(f"  CDU        {cdu['exchanger']}: "
                     f"{cdu['heat_rejected'] / 1e3:.2f} kW rejected, "
                     f"approach {cdu['approach']:.2f} K, effectiveness {cdu['effectiveness']:.3f}")
    tcs = summary.get("tcs")
    if tcs:
        lines.append(f"  TCS        supply {celsius(tcs['supply_temperature'])}, return "
                     f"{celsius(tcs['return_temperature'])}, rise {tcs['delta_t']:.2f} K, "
                     f"{tcs['flow_lpm']:.1f} L/min = {tcs['lpm_per_kw']:.2f} L/min/kW")
    facility = summary.get("facility")
    if facility:
        lines.append(f"  facility   supply {celsius(facility['supply_temperature'])}, return "
                     f"{celsius(facility['return_temperature'])}, {facility['mass_flow']:.3f} kg/s")
    trays = summary.get("trays")
    if trays:
        lines.append(f"  trays      flow min/mean {trays['min_over_mean']:.3f} "
                     f"({trays['lowest']}), "
                     f"max/mean {trays['max_over_mean']:.3f} ({trays['highest']})")
    plates = summary.get("plates")
    if plates:
        lines.append(f"  plates     {plates['count']}, hottest case "
                     f"{celsius(plates['max_case_temperature'])} ({plates['hottest']}), flow "
                     f"{plates['min_flow_lpm']:.2f}..{plates['max_flow_lpm']:.2f} L/min")
        correction = plates.get("pressure_drop_correction")
        if correction:
            lines.append(f"  plate dP   x {correction['min']:.4f}..{correction['max']:.4f} for "
                         "the coolant's viscosity and density at the operating temperature "
                         "vs. the curves' (1: curves without a temperature)")
    laws = summary.get("friction_laws")
    if laws:
        lines.append("  friction   " + ", ".join(f"{FRICTION_NAMES[law]} for {len(names)} pipes"
                                              for law, names in sorted(laws.items())))
    if summary.get("split_junctions"):
        lines.append(f"  junctions  {summary['split_junctions']} tees with Crane TP-410 (2009) "
                     "losses of the flow split")
    for control in summary.get("controls", []):
        lines.append(f"  control    {control['name']}: {control['message']}")
    lines.append(f"  balance    mass {summary['mass_imbalance']:.1e}, energy "
                 f"{summary['energy_balance_error']:.1e} (relative)")
    lines += [f"  warning    {note}" for note in summary.get("warnings") or ()]
    return "\n".join(lines)
