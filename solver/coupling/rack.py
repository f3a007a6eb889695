"""The base rack solve: the network of a case's ``[network]`` section with cold-plate curves,
solved with its controls (used by the coupled rack and by the scenarios)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from solver.materials.registry import get_coolant
from solver.network.controls import solve_with_controls
from solver.network.graph import Network
from solver.network.hydraulics import HydraulicSolve
from solver.network.junctions import junctions_on
from solver.network.rack import build_network
from solver.network.solve import CoupledSolve
from solver.output.network import branch_table, coolant_entries, summarize

# the kind of unit (solver.progress.Stage) of one solve of the rack network: the coupling passes'
# network solves and the scenarios pool their measured costs under it
NETWORK_SOLVE = "network solve"

# ---------------------------------------------------------------------------------------------
# solving a rack
# ---------------------------------------------------------------------------------------------
@dataclass
class RackResult:
    """A solved rack: the built network, its solution, summary and component rows.

    Attributes
    ----------
    built : solver.network.rack.BuiltNetwork
    solution : solver.network.NetworkSolution
    summary : dict
        :func:`solver.output.network.summarize` output.
    components : list of dict
        :func:`solver.output.network.branch_table` rows.
    unserved : list of dict
        Plates cut off from the coolant (``name``, ``power`` [W]).
    """

    built: object
    solution: object
    summary: dict
    components: list
    unserved: list = field(default_factory=list)


def solve_settings(section) -> CoupledSolve:
    """The network solve settings of a ``NetworkSection``: first property guess, Newton
    tolerance and pump heat."""

    return CoupledSolve(initial_temperature=section.initial_temperature,
                        hydraulics=HydraulicSolve(rtol=section.rtol),
                        pump_heat=section.pump_heat)


def build_rack(section, coolant):
    """Build the network of a ``NetworkSection`` (densities from ``coolant`` at the first guess)."""

    return build_network(section, float(coolant.density(section.initial_temperature)), coolant)


def solve_rack(built, section, coolant, unserved=()) -> RackResult:
    """Solve a built rack network with its controls (as ``run_network_case`` does, no files).

    Parameters
    ----------
    built : BuiltNetwork
    section : NetworkSection
        For the facility fluid, initial temperature and Newton tolerance.
    coolant : solver.materials.Coolant
        The TCS coolant.
    unserved : sequence of dict
        Plates cut off by the scenario (carried into the result).
    """

    fluids = {"coolant": coolant, "facility": get_coolant(section.facility_fluid)}
    solution, reports = solve_with_controls(built.network, fluids, built.controls,
                                            solve_settings(section))
    summary = summarize(built, solution, reports)
    summary.update(coolant_entries(coolant))
    return RackResult(built, solution, summary, branch_table(solution), list(unserved))


def with_plate_curves(section, plate_curves: Mapping):
    """A copy of a rack ``NetworkSection`` whose plate groups take their dP and R curves from
    :class:`solver.coupling.PlateCurves` (by group name); power and count are kept."""
    if section.rack is None or not plate_curves:
        return section
    groups = []
    for group in section.rack.plates:
        curves = plate_curves.get(group.name)
        if curves is not None:
            data = curves.network_plate()
            update = {"flows": list(data["flows"]), "pressure_drops": list(data["pressure_drops"]),
                      "curve_temperatures": list(data["curve_temperatures"])}
            if "resistances" in data:
                update.update(resistance=None, resistance_flows=list(data["resistance_flows"]),
                              resistances=list(data["resistances"]))
            group = group.model_copy(update=update)
        groups.append(group)
    rack = section.rack.model_copy(update={"plates": groups})
    return section.model_copy(update={"rack": rack})


# ---------------------------------------------------------------------------------------------
# variants of a built rack (used by the scenarios)
# ---------------------------------------------------------------------------------------------
def rebuilt(built, branches=None, flow_boundaries=None, pressure_boundaries=None, nodes=None):
    """A copy of ``built`` with a new :class:`Network` (the original stays untouched)."""

    net = built.network
    branches = list(net.branches if branches is None else branches)
    network = Network(list(net.nodes if nodes is None else nodes), branches,
                      list(net.heat_exchangers), list(net.tanks),
                      list(net.pressure_boundaries if pressure_boundaries is None
                           else pressure_boundaries),
                      list(net.flow_boundaries if flow_boundaries is None else flow_boundaries),
                      junctions_on(net.junctions, [b.name for b in branches]))
    return replace(built, network=network, controls=list(built.controls),
                   tray_inlets=list(built.tray_inlets), plates=list(built.plates))
