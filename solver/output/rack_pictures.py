"""Pictures of a solved rack: a labelled schematic of the rack loop coloured by flow deviation or
by temperature, and a cold plate's peak temperature in plan view (PNG, written atomically).

The schematic is drawn from the names :func:`solver.network.rack.build_network` gives a rack
(``supply_header.k``, ``tray.k.supply_hose``, ``tray.k.<group>.<i>``, ``cdu.pumps``,
``cdu.hx.hot``/``.cold``, ``facility.pipe``/``.valve``), not from the node positions: the
supply header on the left, the return header on the right, one row per tray from tray 0 at the
bottom, the plates of a tray side by side between its rails (in parallel) or in a chain (in
series), the CDU (pumps, heat exchanger) below and the facility water loop leaving it on the
right. Arrows point the way the coolant flows.

- ``images/rack_flow.png``: each tray (hoses, quick disconnects, rails) coloured by the
  deviation of its flow from the mean tray flow [%], each plate by the deviation of its flow from
  the mean flow of its plate group [%], on a diverging colour map centred on 0 and symmetric
  (at least +-1 %, so that a rack of near-equal trays stays pale instead of showing round-off
  as full colour); headers, CDU and facility lines grey, the key flows written beside them.
- ``images/rack_temperature.png``: every branch coloured by its coolant temperature, the mean
  of its inlet and outlet [C].
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from solver.output.figures import pyplot, save_figure
from solver.units import LPM, ZERO_CELSIUS

RETURN_X = 12.0  # schematic x of the return header (the supply header is at 0)
TRAY_IN_X, TRAY_OUT_X = 1.5, 10.5  # ends of a tray's quick disconnects (its rails)
PLATES_FROM, PLATES_TO = 2.3, 9.7  # span of the plate boxes in a tray row
RAIL = 0.3  # rail offset from the tray row (parallel plates hang between the rails)
CDU_Y = -2.0  # the CDU's coolant line
FACILITY_X = 15.5  # where the facility water enters and leaves
MIN_DEVIATION_SCALE = 1.0  # [%] smallest half-range of the deviation colour map
GREY = "0.45"


@dataclass
class RackSchematic:
    """Where each element of a rack is drawn (schematic units, tray pitch 1).

    Attributes
    ----------
    lines : dict
        Branch name -> points from its inlet to its outlet (headers, hoses, QDs, CDU, facility).
    trays : list of str
        Tray prefixes (``tray.0``, ...), bottom to top.
    tray_lines : dict
        Tray prefix -> ``(points, branch)`` of its hoses, rails and rungs, each coloured like
        the named branch: a rung like its plate, the rest like the tray (by flow) or like the
        tray's supply or return hose (by temperature).
    plates : dict
        Plate name -> box ``(x_centre, y_centre, width, height)``.
    tray_y : dict
        Tray prefix -> y of its row.
    u_type : bool
        The return leaves the bottom of the return header (U manifold), else its top (Z).
    """

    lines: dict = field(default_factory=dict)
    trays: list = field(default_factory=list)
    tray_lines: dict = field(default_factory=dict)
    plates: dict = field(default_factory=dict)
    tray_y: dict = field(default_factory=dict)
    u_type: bool = True

    @property
    def top(self) -> float:
        """y of the top tray."""
        return max(self.tray_y.values(), default=0.0)


def _tray_plates(network, tray: str) -> list:
    return [b for b in network.branches
            if b.kind == "cold_plate" and b.name.startswith(f"{tray}.")]


def rack_schematic(built) -> RackSchematic:
    """Lay out the rack of ``built`` (:class:`solver.network.rack.BuiltNetwork`).

    Raises
    ------
    ValueError
        When the network is not a rack (no trays or no CDU pumps).
    """
    net = built.network
    names = {b.name for b in net.branches}
    if not built.tray_inlets or "cdu.pumps" not in names:
        raise ValueError("the rack schematic needs a [network.rack] network (trays and a CDU)")
    s = RackSchematic()
    trays = [inlet.rsplit(".", 1)[0] for inlet in built.tray_inlets]
    for k, tray in enumerate(trays):
        y = float(k)
        s.trays.append(tray)
        s.tray_y[tray] = y
        s.lines[f"supply_header.{k}"] = [(0.0, y), (0.0, y + 1.0)]
        s.lines[f"return_header.{k}"] = [(RETURN_X, y), (RETURN_X, y + 1.0)]
        plates = _tray_plates(net, tray)
        pitch = (PLATES_TO - PLATES_FROM) / max(len(plates), 1)
        centres = [PLATES_FROM + (j + 0.5) * pitch for j in range(len(plates))]
        parallel = len({p.inlet for p in plates}) == 1 and len(plates) > 1
        supply, back = f"{tray}.supply_hose", f"{tray}.return_hose"
        lines = [([(0.0, y), (TRAY_IN_X, y)], supply), ([(TRAY_OUT_X, y), (RETURN_X, y)], back)]
        if parallel:
            # a ladder: the supply rail above the row, the return rail below, one rung a plate
            lines += [([(TRAY_IN_X, y), (TRAY_IN_X, y + RAIL), (centres[-1], y + RAIL)], supply),
                      ([(centres[0], y - RAIL), (TRAY_OUT_X, y - RAIL), (TRAY_OUT_X, y)], back)]
            lines += [([(x, y + RAIL), (x, y - RAIL)], plate.name)
                      for plate, x in zip(plates, centres, strict=True)]
            height = 0.9 * RAIL
        else:
            # a chain: each leg coloured like the plate it leaves
            stops = [TRAY_IN_X, *centres, TRAY_OUT_X]
            owners = [supply, *(p.name for p in plates[:-1]), back]
            lines += [([(a, y), (b, y)], owner)
                      for a, b, owner in zip(stops[:-1], stops[1:], owners, strict=True)]
            height = 0.9 * RAIL
        s.tray_lines[tray] = lines
        for plate, x in zip(plates, centres, strict=True):
            s.plates[plate.name] = (x, y, 0.5 * pitch, height)
    # the headers have one segment less than trays
    s.lines.pop(f"supply_header.{len(trays) - 1}")
    s.lines.pop(f"return_header.{len(trays) - 1}")
    top = s.top
    s.u_type = u_type = built.header_nodes[1] == "return.0"
    s.lines["cdu.supply_pipe"] = [(0.0, CDU_Y), (0.0, 0.0)]
    s.lines["cdu.return_pipe"] = ([(RETURN_X, 0.0), (RETURN_X, CDU_Y)] if u_type else
                                  [(RETURN_X, top), (RETURN_X + 1.0, top),
                                   (RETURN_X + 1.0, CDU_Y), (RETURN_X, CDU_Y)])
    s.lines["cdu.pumps"] = [(RETURN_X, CDU_Y), (8.0, CDU_Y)]
    s.lines["cdu.hx.hot"] = [(8.0, CDU_Y), (0.0, CDU_Y)]
    s.lines["cdu.hx.cold"] = [(3.0, CDU_Y - 1.0), (FACILITY_X, CDU_Y - 1.0)]
    feed = [(FACILITY_X, CDU_Y - 2.0), (2.2, CDU_Y - 2.0), (2.2, CDU_Y - 1.0), (3.0, CDU_Y - 1.0)]
    for name in ("facility.pipe", "facility.valve"):
        if name in names:
            s.lines[name] = feed
    return s


def tray_flow_deviation(built, solution) -> np.ndarray:
    """[%] Each tray's flow (its supply hose) against the mean tray flow, in tray order."""
    net = solution.network
    flows = np.array([solution.volumetric_flow[net.branch_index(n)] for n in built.tray_inlets])
    return 100.0 * (flows / flows.mean() - 1.0)


def plate_flow_deviation(solution) -> dict[str, float]:
    """[%] Each cold plate's flow against the mean flow of its plate group (``gpu``, ``cpu``:
    the part before the index of ``tray.k.<group>.<i>``), by plate name."""
    net = solution.network
    groups: dict[str, list] = {}
    for i, b in enumerate(net.branches):
        if b.kind == "cold_plate":
            groups.setdefault(b.name.split(".")[-2], []).append(
                (b.name, float(solution.volumetric_flow[i])))
    out = {}
    for members in groups.values():
        mean = float(np.mean([q for _, q in members]))
        out.update({name: 100.0 * (q / mean - 1.0) for name, q in members})
    return out


def _arrow(ax, points, colour, reverse: bool = False) -> None:
    """An arrowhead halfway along the longest leg of a polyline, pointing inlet -> outlet
    (outlet -> inlet when the flow runs backwards)."""
    legs = list(zip(points[:-1], points[1:], strict=True))
    start, end = max(legs, key=lambda leg: np.hypot(leg[1][0] - leg[0][0], leg[1][1] - leg[0][1]))
    start, end = np.asarray(start), np.asarray(end)
    if reverse:
        start, end = end, start
    middle = 0.5 * (start + end)
    step = 0.12 * (end - start) / max(np.linalg.norm(end - start), 1e-12)
    ax.annotate("", xy=middle + step, xytext=middle - step,
                arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 1.2,
                            "mutation_scale": 12}, zorder=5)


def _branch_values(solution, quantity: str):
    """Per branch: the colour value (mean temperature [C]) or None (flow picture: grey)."""
    if quantity == "temperature":
        return 0.5 * (solution.inlet_temperature + solution.outlet_temperature) - ZERO_CELSIUS
    return None


def _labels(ax, built, solution, s: RackSchematic, quantity: str) -> None:
    """Names of the parts and the figures an engineer looks for."""
    net = solution.network
    top = s.top
    step = 1 if len(s.trays) <= 24 else 2
    for tray in s.trays[::step]:
        ax.text(-0.35, s.tray_y[tray], tray.replace(".", " "), ha="right", va="center",
                fontsize=7)
    first = _tray_plates(net, s.trays[-1])
    for plate in first:
        x, _, _, _ = s.plates[plate.name]
        ax.text(x, top + 0.45, plate.name.split(".", 2)[-1], ha="center", va="bottom",
                fontsize=7, rotation=45)
    ax.text(0.0, top + 1.5, "supply\nheader", ha="center", va="bottom", fontsize=8)
    ax.text(RETURN_X, top + 1.5, "return\nheader", ha="center", va="bottom", fontsize=8)

    def flow(name):
        return abs(float(solution.volumetric_flow[net.branch_index(name)])) * LPM

    def celsius(node):
        return solution.temperature(node) - ZERO_CELSIUS

    pumps = net.branch("cdu.pumps")
    ax.add_patch(pyplot().Circle((10.0, CDU_Y), 0.38, facecolor="white", edgecolor="k",
                                 zorder=6))
    ax.text(10.0, CDU_Y, "P", ha="center", va="center", fontsize=9, zorder=7)
    ax.text(10.0, CDU_Y + 0.42, f"pumps {pumps.running}/{pumps.count} running, "
            f"{flow('cdu.pumps'):.1f} L/min", ha="center", va="bottom", fontsize=7)
    ax.add_patch(pyplot().Rectangle((2.6, CDU_Y - 1.35), 2.4, 1.7, facecolor="white",
                                    edgecolor="k", zorder=4))
    ax.plot([2.6, 5.0], [CDU_Y - 1.35, CDU_Y + 0.35], color="k", linewidth=0.8, zorder=4)
    ax.text(3.8, CDU_Y + 0.42, "heat exchanger", ha="center", va="bottom", fontsize=7)
    ax.add_patch(pyplot().Rectangle((-1.0, CDU_Y - 1.8), RETURN_X + (2.0 if s.u_type else 2.6),
                                    2.85, fill=False, linestyle="--", edgecolor="k", zorder=1))
    ax.text(-0.9, CDU_Y - 1.7, "CDU", ha="left", va="bottom", fontsize=10, weight="bold")
    if built.supply_node:
        ax.text(-0.2, -0.6, f"TCS supply {celsius(built.supply_node):.1f} C\n"
                f"{flow('cdu.supply_pipe'):.1f} L/min", ha="right", va="center", fontsize=7)
    if built.return_node:
        ax.text(RETURN_X + (1.2 if not s.u_type else 0.2), -0.6,
                f"TCS return {celsius(built.return_node):.1f} C", ha="left", va="center",
                fontsize=7)
    if built.facility_supply:
        ax.text(FACILITY_X + 0.2, CDU_Y - 2.0, f"facility water in\n"
                f"{celsius(built.facility_supply):.1f} C", ha="left", va="center", fontsize=7)
        ax.text(FACILITY_X + 0.2, CDU_Y - 1.0, f"facility water out\n"
                f"{celsius(built.facility_return):.1f} C", ha="left", va="center", fontsize=7)
    if quantity == "flow":
        deviation = tray_flow_deviation(built, solution)
        for tray, value in zip(s.trays, deviation, strict=True):
            ax.text(RETURN_X + 0.25, s.tray_y[tray], f"{value:+.2f} %", ha="left",
                    va="center", fontsize=6)


def plot_rack_network(built, solution, path, quantity: str = "temperature",
                      name: str = "rack") -> Path:
    """Draw the rack schematic coloured by ``quantity`` and write it as PNG (atomically).

    Parameters
    ----------
    built : solver.network.rack.BuiltNetwork
        The rack as built (tray inlets, pump, exchanger, supply and return nodes).
    solution : solver.network.NetworkSolution
    path : path-like
    quantity : {"temperature", "flow"}
        Coolant temperature [C] of every branch, or the flow deviation [%] of each tray from the
        mean tray flow and of each plate from the mean of its plate group.
    name : str
        Title (the case or scenario name).

    Returns
    -------
    Path
    """
    if quantity not in ("temperature", "flow"):
        raise ValueError(f"quantity must be 'temperature' or 'flow', got {quantity!r}")
    plt = pyplot()
    from matplotlib.collections import LineCollection, PatchCollection
    from matplotlib.colors import Normalize
    from matplotlib.patches import Rectangle

    net = solution.network
    s = rack_schematic(built)
    values = _branch_values(solution, quantity)
    if quantity == "temperature":
        tray_values = None  # the trays' lines take their hoses' temperatures
        plate_values = {p: values[net.branch_index(p)] for p in s.plates}
        shown = [values[net.branch_index(n)] for n in s.lines]
        norm = Normalize(min(shown + list(plate_values.values())),
                         max(shown + list(plate_values.values())))
        cmap, label = "inferno", "coolant temperature [C]\n(mean of inlet and outlet)"
    else:
        tray_values = list(tray_flow_deviation(built, solution))
        plate_values = plate_flow_deviation(solution)
        half = max(MIN_DEVIATION_SCALE, *np.abs(tray_values), *np.abs(list(plate_values.values())))
        norm = Normalize(-half, half)
        cmap = "RdBu"
        label = ("flow deviation [%]\ntrays: from the mean tray flow\n"
                 "plates: from the mean of their group")
    fig, ax = plt.subplots(figsize=(9.0, 3.0 + 0.42 * len(s.trays)))
    coloured, colours, grey = [], [], []
    for branch, points in s.lines.items():
        if values is None:
            grey.append(points)
        else:
            coloured.append(points)
            colours.append(values[net.branch_index(branch)])
    for k, tray in enumerate(s.trays):
        for points, branch in s.tray_lines[tray]:
            coloured.append(points)
            if branch in plate_values:
                colours.append(plate_values[branch])
            else:
                colours.append(tray_values[k] if values is None
                               else values[net.branch_index(branch)])
    ax.add_collection(LineCollection(grey, colors=GREY, linewidths=3.0, zorder=2))
    lines = LineCollection(coloured, array=np.asarray(colours), cmap=cmap, norm=norm,
                           linewidths=2.2, zorder=2)
    ax.add_collection(lines)
    boxes = PatchCollection([Rectangle((x - w / 2, y - h / 2), w, h)
                             for x, y, w, h in s.plates.values()],
                            array=np.asarray([plate_values[p] for p in s.plates]), cmap=cmap,
                            norm=norm, edgecolor="k", linewidths=0.4, zorder=3)
    ax.add_collection(boxes)
    flows = solution.volumetric_flow
    for branch, points in s.lines.items():
        if branch.startswith(("supply_header", "return_header")) and int(
                branch.split(".")[-1]) % 4:
            continue
        _arrow(ax, points, "k", reverse=flows[net.branch_index(branch)] < 0)
    for tray in s.trays:
        (supply, _), (back, _) = s.tray_lines[tray][:2]
        hose = net.branch_index(f"{tray}.supply_hose")
        _arrow(ax, supply, "k", reverse=flows[hose] < 0)
        _arrow(ax, back, "k", reverse=flows[hose] < 0)
    _labels(ax, built, solution, s, quantity)
    fig.colorbar(lines, ax=ax, label=label, fraction=0.035, pad=0.01, shrink=0.6)
    mean = float(np.mean([flows[net.branch_index(n)] for n in built.tray_inlets])) * LPM
    what = (f"flow deviation, mean tray flow {mean:.2f} L/min" if quantity == "flow"
            else "coolant temperature")
    ax.set_title(f"{name}: {what} ({len(s.trays)} trays, {len(s.plates)} cold plates)")
    ax.set_xlim(-2.6, FACILITY_X + 2.8)
    ax.set_ylim(CDU_Y - 2.3, s.top + 2.3)
    ax.set_aspect("equal")
    ax.axis("off")
    return save_figure(fig, path)


def write_rack_pictures(built, solution, images, name: str = "rack") -> dict[str, Path]:
    """Write ``rack_temperature.png`` and ``rack_flow.png`` (titled ``name``) into the folder
    ``images``; returns their paths as ``rack_temperature_png`` and ``rack_flow_png``."""
    images = Path(images)
    images.mkdir(parents=True, exist_ok=True)
    return {"rack_temperature_png": plot_rack_network(
                built, solution, images / "rack_temperature.png", "temperature", name),
            "rack_flow_png": plot_rack_network(built, solution, images / "rack_flow.png",
                                               "flow", name)}


def footprint_outline(mask: np.ndarray, x: np.ndarray, y: np.ndarray) -> list:
    """The cell faces between ``mask`` (nx, ny) and the rest, as segments on the face
    coordinates ``x`` (nx + 1), ``y`` (ny + 1)."""
    pad = np.pad(mask, 1)
    across_x = np.argwhere(pad[1:, 1:-1] != pad[:-1, 1:-1])  # face x[i] between cells i-1, i
    across_y = np.argwhere(pad[1:-1, 1:] != pad[1:-1, :-1])
    return ([[(x[i], y[j]), (x[i], y[j + 1])] for i, j in across_x]
            + [[(x[i], y[j]), (x[i + 1], y[j])] for i, j in across_y])


def plot_plate_temperature(fields: Mapping, path, title: str = "cold plate") -> Path:
    """Plan view (x-y) of a plate's peak temperature over z [C] from its cell fields.

    ``fields`` as :attr:`solver.coupling.OperatingPoint.fields` (``faces`` [m] and
    ``temperature`` [K], optionally ``material`` with -1 for empty cells, which are left blank).
    With ``material``, the footprint of the body holding the hottest cell (the die) is outlined.
    """
    plt = pyplot()
    from matplotlib.collections import LineCollection

    x, y, _ = (np.asarray(f, dtype=float) for f in fields["faces"])
    temperature = np.asarray(fields["temperature"], dtype=float) - ZERO_CELSIUS
    if "material" in fields:
        material = np.asarray(fields["material"])
        temperature = np.where(material >= 0, temperature, -np.inf)
    peak = temperature.max(axis=2)
    peak = np.ma.masked_invalid(np.where(np.isfinite(peak), peak, np.nan))
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    mesh = ax.pcolormesh(x * 1e3, y * 1e3, peak.T, cmap="inferno", shading="flat")
    if "material" in fields:
        die = material.flat[int(np.argmax(temperature))]
        ax.add_collection(LineCollection(footprint_outline((material == die).any(axis=2),
                                                           x * 1e3, y * 1e3),
                                         colors="cyan", linewidths=1.5,
                                         label="footprint of the hottest body"))
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.18), fontsize=8, frameon=False)
    ax.set_aspect("equal")
    ax.set_xlabel("x [mm]")
    ax.set_ylabel("y [mm]")
    ax.set_title(f"{title}: peak temperature over z")
    fig.colorbar(mesh, ax=ax, label="temperature [C]")
    return save_figure(fig, path)


__all__ = ["RackSchematic", "footprint_outline", "plate_flow_deviation", "plot_plate_temperature",
           "plot_rack_network", "rack_schematic", "tray_flow_deviation", "write_rack_pictures"]
