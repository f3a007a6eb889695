"""What-if scenarios of a rack: variations solved with the network and reported side by side.

A scenario changes the built rack network (:class:`solver.network.rack.BuiltNetwork`) before it
is solved; the design point is the unchanged network. Kinds:

==========================  ===================================================================
``pump_failed``             ``failed`` pump units of the CDU group stop (running - failed)
``plate_blocked``           a cold plate partly blocked: its dP curve scaled by 1/(1-f)^2 (the
                            same flow through a fraction 1-f of the flow area; R(Q) unchanged)
``facility_offset``         facility water supply temperature + ``delta`` [K] (e.g. +5 K)
``power_scale``             chip powers x ``factor`` (e.g. 1.4), all plates or named ones
``qd_missing``              a quick disconnect left unconnected: its branch carries no flow, so
                            every component that was only reachable through it is cut off
                            (self-sealing couplings); its plates get no coolant
==========================  ===================================================================

:func:`run_scenarios` solves the design point and each scenario (network-only, cold plates from
their dP and R curves, optionally replaced by :class:`solver.coupling.PlateCurves`), builds a
:func:`solver.output.report.rack_report` for each, and a comparison table; :func:`write_scenarios`
writes ``scenarios.md``/``scenarios.json`` and one report folder per scenario.

Units: SI (K, Pa, m3/s, W).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from solver.coupling.rack import (
    NETWORK_SOLVE,
    RackResult,
    build_rack,
    rebuilt,
    solve_rack,
    with_plate_curves,
)
from solver.network.errors import NetworkError
from solver.output.atomic import atomic_write_text, write_json
from solver.output.rack_pictures import plot_rack_network
from solver.output.report import DesignLimits, rack_report, write_report
from solver.progress import format_duration
from solver.units import ZERO_CELSIUS


@dataclass(frozen=True)
class Scenario:
    """Base of every variation: a name and :meth:`apply` to a built network."""

    name: str = ""

    @property
    def label(self) -> str:
        """Name shown in reports."""
        return self.name or self.kind

    kind = "scenario"

    def apply(self, built):
        """Return ``(modified BuiltNetwork, unserved plates)``; the input is not changed."""
        raise NotImplementedError


@dataclass(frozen=True)
class PumpFailure(Scenario):
    """``failed`` running units of the pump group stop (default: the CDU pumps, one unit)."""

    failed: int = 1
    pump: str = ""
    kind = "pump_failed"

    def apply(self, built):
        name = self.pump or built.pump
        branches = []
        for b in built.network.branches:
            if b.name == name:
                if b.running < self.failed:
                    raise ValueError(f"pump '{name}' has only {b.running} running unit(s)")
                b = replace(b, running=b.running - self.failed)
            branches.append(b)
        return rebuilt(built, branches), []


@dataclass(frozen=True)
class PlateBlockage(Scenario):
    """Cold plate ``plate`` blocked by ``fraction`` f: dP(Q) x 1/(1-f)^2 (R(Q) unchanged)."""

    plate: str = ""
    fraction: float = 0.5
    kind = "plate_blocked"

    def __post_init__(self):
        if not 0.0 <= self.fraction < 1.0:
            raise ValueError(f"blocked fraction must be in [0, 1), got {self.fraction}")

    def apply(self, built):
        target = self.plate or (built.plates[0] if built.plates else "")
        factor = 1.0 / (1.0 - self.fraction) ** 2
        branches, found = [], False
        for b in built.network.branches:
            if b.name == target and b.kind == "cold_plate":
                b = replace(b, pressure_drops=tuple(p * factor for p in b.pressure_drops))
                found = True
            branches.append(b)
        if not found:
            raise ValueError(f"no cold plate named '{target}'")
        return rebuilt(built, branches), []


@dataclass(frozen=True)
class FacilityOffset(Scenario):
    """Facility water supply ``delta`` [K] warmer (every facility-side boundary)."""

    delta: float = 5.0
    kind = "facility_offset"

    def apply(self, built):
        fluid = {n.name: n.fluid for n in built.network.nodes}

        def shifted(boundary):
            if fluid.get(boundary.node) == "facility":
                return replace(boundary, temperature=boundary.temperature + self.delta)
            return boundary

        flows = [shifted(b) for b in built.network.flow_boundaries]
        pressures = [shifted(b) for b in built.network.pressure_boundaries]
        return rebuilt(built, flow_boundaries=flows, pressure_boundaries=pressures), []


@dataclass(frozen=True)
class PowerScale(Scenario):
    """Chip powers x ``factor`` (all cold plates and heat loads, or those in ``plates``)."""

    factor: float = 1.4
    plates: tuple = ()
    kind = "power_scale"

    def apply(self, built):
        branches = []
        for b in built.network.branches:
            if b.kind in ("cold_plate", "heat_load") and (not self.plates or b.name in self.plates):
                b = replace(b, power=b.power * self.factor)
            branches.append(b)
        return rebuilt(built, branches), []


@dataclass(frozen=True)
class QuickDisconnectMissing(Scenario):
    """Quick disconnect ``component`` not connected: the part of the loop fed only through it
    is cut off (default: the first tray's supply QD)."""

    component: str = ""
    kind = "qd_missing"

    def apply(self, built):
        net = built.network
        target = self.component or next(
            (b.name for b in net.branches if b.kind == "quick_disconnect"), "")
        if target not in {b.name for b in net.branches}:
            raise ValueError(f"no component named '{target}'")
        kept = [b for b in net.branches if b.name != target]
        dead = _dead_nodes(net, kept)
        branches = [b for b in kept if b.inlet not in dead and b.outlet not in dead]
        unserved = [{"name": b.name, "power": b.power} for b in kept
                    if (b.inlet in dead or b.outlet in dead) and b.kind in ("cold_plate",
                                                                            "heat_load")]
        nodes = [n for n in net.nodes if n.name not in dead]
        out = rebuilt(built, branches, nodes=nodes)
        names = {b.name for b in branches}
        out.plates = [p for p in out.plates if p in names]
        out.tray_inlets = [t for t in out.tray_inlets if t in names]
        return out, unserved


def _dead_nodes(net, branches) -> set:
    """Nodes that can carry no flow once ``branches`` remain: those cut off from every pump and
    boundary by a bridge (a branch whose removal splits the graph)."""
    boundary = {b.node for b in list(net.flow_boundaries) + list(net.pressure_boundaries)}
    pumps = {n for b in branches if b.kind == "pump" for n in (b.inlet, b.outlet)}
    ground = "__ground__"
    edges = [(b.inlet, b.outlet) for b in branches] + [(n, ground) for n in boundary]
    nodes = {n.name for n in net.nodes} | {ground}

    def components(skip: int):
        parent = {n: n for n in nodes}

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for i, (u, v) in enumerate(edges):
            if i != skip:
                parent[find(u)] = find(v)
        return find

    dead = set()
    live = boundary | pumps | {ground}
    for i, (u, v) in enumerate(edges[:len(branches)]):
        find = components(i)
        if find(u) == find(v):
            continue  # not a bridge
        for side in (u, v):
            members = {n for n in nodes if find(n) == find(side)}
            if not members & live:
                dead |= members
    # nodes left with no branch at all
    touched = {n for u, v in edges for n in (u, v)}
    dead |= nodes - touched - {ground}
    return dead


SCENARIO_KINDS = {cls.kind: cls for cls in (PumpFailure, PlateBlockage, FacilityOffset,
                                            PowerScale, QuickDisconnectMissing)}


def scenario_from_dict(data: Mapping) -> Scenario:
    """A scenario from a table such as ``{kind = "power_scale", factor = 1.4}``.

    Keys: ``kind`` (``pump_failed``, ``plate_blocked``, ``facility_offset``, ``power_scale``,
    ``qd_missing``), ``name``, and the kind's parameters (``failed``, ``pump``; ``plate``,
    ``fraction``; ``delta`` [K]; ``factor``, ``plates``; ``component``).
    """
    data = dict(data)
    kind = data.pop("kind", None)
    if kind not in SCENARIO_KINDS:
        raise ValueError(f"scenario kind {kind!r} unknown (known: {', '.join(SCENARIO_KINDS)})")
    if "plates" in data:
        data["plates"] = tuple(data["plates"])
    try:
        return SCENARIO_KINDS[kind](**data)
    except TypeError as error:
        raise ValueError(f"scenario {kind}: {error}") from None


def load_scenarios(path) -> list[Scenario]:
    """The ``[[scenarios]]`` tables of a TOML file."""
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    return [scenario_from_dict(s) for s in data.get("scenarios", [])]


def standard_scenarios() -> list[Scenario]:
    """The five variations of issue 5: pump trip, a plate half blocked, facility +5 K,
    power x1.4, the first tray's supply QD missing."""
    return [PumpFailure(name="one pump failed"),
            PlateBlockage(name="first plate 50% blocked", fraction=0.5),
            FacilityOffset(name="facility water +5 K", delta=5.0),
            PowerScale(name="power x1.4", factor=1.4),
            QuickDisconnectMissing(name="a QD missing")]


# ---------------------------------------------------------------------------------------------
# a study: design point and scenarios
# ---------------------------------------------------------------------------------------------
@dataclass
class ScenarioOutcome:
    """One solved variation: its rack result and report, or the reason it could not be solved."""

    label: str
    scenario: Scenario | None
    result: RackResult | None
    report: dict | None
    error: str = ""


def comparison_row(outcome: ScenarioOutcome) -> dict:
    """Headline figures of one outcome for the side-by-side table (SI and L/min)."""
    row = {"scenario": outcome.label, "solved": outcome.report is not None,
           "error": outcome.error}
    report = outcome.report
    if report is None:
        return row
    tcs = report.get("tcs") or {}
    pump = report.get("pump") or {}
    served = [p for p in report["plates"] if p["coolant"]]
    chips = [c for c in report["chips"] if c["temperature"] is not None]
    hottest = max(chips, key=lambda c: c["temperature"]) if chips else None
    row.update({
        "tcs_flow_lpm": tcs.get("flow_lpm"),
        "tcs_supply_temperature": tcs.get("supply_temperature"),
        "tcs_delta_t": tcs.get("delta_t"), "pump_flow_lpm": pump.get("flow_lpm"),
        "pump_speed": pump.get("speed"), "pump_running": pump.get("running"),
        "min_plate_flow_lpm": min(p["flow_lpm"] for p in served) if served else None,
        "hottest_chip": hottest["name"] if hottest else None,
        "hottest_chip_temperature": hottest["temperature"] if hottest else None,
        "worst_margin": min((c["margin"] for c in chips), default=None),
        "unserved_plates": len(report["plates"]) - len(served),
        "failed_checks": [c["name"] for c in report["checks"] if c["passed"] is False],
        "passed": report["passed"]})
    return row


@dataclass
class ScenarioStudy:
    """Design point and scenarios, each with its report, and the comparison table."""

    design: ScenarioOutcome
    outcomes: list

    @property
    def comparison(self) -> list[dict]:
        """One :func:`comparison_row` per outcome, design point first."""
        return [comparison_row(o) for o in [self.design, *self.outcomes]]

    def outcome(self, label: str) -> ScenarioOutcome:
        """The outcome called ``label``."""
        for o in [self.design, *self.outcomes]:
            if o.label == label:
                return o
        raise KeyError(label)


def run_scenarios(section, coolant, scenarios: Sequence[Scenario] | None = None,
                  limits: DesignLimits | None = None, plate_curves: Mapping | None = None,
                  name: str = "rack", progress=None) -> ScenarioStudy:
    """Solve the design point and each scenario and report them.

    Parameters
    ----------
    section : solver.case.network.NetworkSection
        The rack (``[network]``).
    coolant : solver.materials.Coolant
        TCS coolant.
    scenarios : sequence of Scenario, optional
        Default :func:`standard_scenarios`.
    limits : DesignLimits, optional
        Thresholds of the design checks.
    plate_curves : mapping group or plate name -> PlateCurves, optional
        Characterized plates: they replace the rack plate groups' curves in the network and give
        per-chip temperatures in the reports.
    name : str
        Title of the reports.
    progress : solver.progress.RunProgress, optional
        The run's progress: the design point and each scenario are units of the level
        ``"scenario"`` (kind :data:`solver.coupling.rack.NETWORK_SOLVE`), with a line each.

    Returns
    -------
    ScenarioStudy
        A scenario whose network cannot be solved (a pump with no running unit, say) is kept
        with its error message, not dropped.
    """

    scenarios = standard_scenarios() if scenarios is None else list(scenarios)
    limits = limits or DesignLimits()
    section = with_plate_curves(section, plate_curves or {})
    built = build_rack(section, coolant)

    def solve(number, label, scenario):
        if progress:
            progress.begin("scenario", number, count=len(scenarios) + 1, kind=NETWORK_SOLVE)
        try:
            variant, unserved = (built, []) if scenario is None else scenario.apply(built)
            result = solve_rack(variant, section, coolant, unserved)
        except (NetworkError, ValueError, ArithmeticError) as error:
            outcome = ScenarioOutcome(label, scenario, None, None, " ".join(str(error).split()))
        else:
            report = rack_report(result.summary, result.components, limits, plate_curves,
                                 result.unserved, name=f"{name}: {label}")
            outcome = ScenarioOutcome(label, scenario, result, report)
        if progress:
            seconds = progress.end("scenario")
            progress.message(f"scenario {number}/{len(scenarios) + 1}: {label} "
                             f"{'solved' if outcome.result is not None else 'not solvable'} in "
                             f"{format_duration(seconds)} | {progress.status()}")
        return outcome

    design = solve(1, "design point", None)
    return ScenarioStudy(design, [solve(number, s.label, s)
                                  for number, s in enumerate(scenarios, start=2)])


def _c(value) -> str:
    return "-" if value is None else f"{value - ZERO_CELSIUS:.2f}"


def _n(value, spec=".3g") -> str:
    return "-" if value is None else format(value, spec)


def format_comparison(study: ScenarioStudy) -> str:
    """Markdown table of the design point and the scenarios side by side."""
    lines = ["# Scenarios", "",
             "| scenario | TCS flow [L/min] | pump speed | running | min plate flow [L/min] | "
             "TCS supply [C] | TCS dT [K] | hottest chip [C] | worst margin [K] | "
             "no coolant | failed checks |",
             "|" + "---|" * 11]
    for row in study.comparison:
        if not row["solved"]:
            lines.append(f"| {row['scenario']} | not solved: {row['error']} |" + " |" * 9)
            continue
        lines.append(
            f"| {row['scenario']} | {_n(row['tcs_flow_lpm'], '.1f')} | "
            f"{_n(row['pump_speed'], '.3f')} | {_n(row['pump_running'], 'd')} | "
            f"{_n(row['min_plate_flow_lpm'], '.3f')} | {_c(row['tcs_supply_temperature'])} | "
            f"{_n(row['tcs_delta_t'], '.2f')} | {_c(row['hottest_chip_temperature'])} | "
            f"{_n(row['worst_margin'], '.2f')} | {row['unserved_plates']} | "
            f"{', '.join(row['failed_checks']) or 'none'} |")
    lines.append("")
    return "\n".join(lines)


def _folder(label: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in label).strip("_").lower() or "scenario"


def write_scenarios(directory, study: ScenarioStudy) -> dict[str, Path]:
    """Write ``scenarios.md``, ``scenarios.json`` and ``<scenario>/report.{md,json}`` with its
    chip chart and ``images/rack_temperature.png``."""

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": atomic_write_text(directory / "scenarios.md",
                                           format_comparison(study)),
             "json": write_json(directory / "scenarios.json", study.comparison)}

    for outcome in [study.design, *study.outcomes]:
        if outcome.report is not None:
            folder = directory / _folder(outcome.label)
            (folder / "images").mkdir(parents=True, exist_ok=True)
            # the picture first: the report embeds every picture of its folder
            plot_rack_network(outcome.result.built, outcome.result.solution,
                              folder / "images" / "rack_temperature.png", "temperature",
                              outcome.label)
            paths[outcome.label] = write_report(folder, outcome.report)["markdown"]
    return paths
