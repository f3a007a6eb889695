"""Limit searches on a rack: the operating limits at which the hottest chip meets its limit.

Each question varies one quantity of the solved rack (network with cold-plate curves, as the
scenarios: :mod:`solver.scenarios`) and finds by root-finding where the smallest chip margin
(limit - temperature [K], :func:`solver.output.report.rack_report`) equals the margin asked for:

===========================  ===================================================================
``minimum_flow``             the lowest coolant flow that keeps every chip within its limit: the
                             CDU pump speed [-] (its speed control taken off; other controls,
                             e.g. the TCS supply temperature, stay), or every coolant flow
                             boundary scaled [-] in a network without a pump. Answered as the
                             TCS flow [m3/s] and per kW of chip power.
``warmest_facility_supply``  the warmest facility water supply [K] (every facility boundary
                             shifted together, at the design flows and controls), with the
                             warmest ASHRAE W-class that supply admits.
``maximum_power``            the largest chip power per plate [W] of one plate group (all of its
                             plates scaled together; the others keep their power).
===========================  ===================================================================

The search starts at the design point, steps away from it until the margin changes sign (the
bracket), then closes the bracket with Brent's method (:func:`scipy.optimize.brentq`) to the
stated tolerance on the varied quantity. A network that cannot be solved at a trial value (a
pump that cannot deliver, coolant outside its property data) counts as failing there, and the
answer then says the limit is where the model stops being solvable. Each answer keeps its
bracket, tolerance, number of network solves and the chip that limits it.

Units: SI (K, W, m3/s); speeds and scale factors [-].
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from scipy.optimize import brentq

from solver.backend import get_backend
from solver.case.network import WATER_CLASSES
from solver.case.validate import plate_case_files
from solver.coupling.rack import build_rack, rebuilt, solve_rack, with_plate_curves
from solver.network.controls import PumpSpeedControl
from solver.network.errors import NetworkError
from solver.output.atomic import atomic_write_text, write_json
from solver.output.report import DesignLimits, rack_report
from solver.pipeline import couple_case, design_limits
from solver.progress import format_duration
from solver.scenarios import FacilityOffset, PowerScale
from solver.setup import network_section
from solver.units import LPM, ZERO_CELSIUS

QUESTIONS = ("minimum_flow", "warmest_facility_supply", "maximum_power")
PLATE_QUESTIONS = ("minimum_flow", "warmest_inlet", "maximum_power")
# the output of each 3D trial of a plate search (its summary is what the search reads)
TRIAL_OUTPUT = {"output.write_fields": False, "output.write_images": False,
                "output.checkpoint": False}


@dataclass(frozen=True)
class Trial:
    """One network solve of a search: the varied value and what it gave.

    Attributes
    ----------
    value : float
        The varied quantity (pump speed or flow factor [-], facility supply [K], power per
        plate [W]).
    margin : float or None
        [K] smallest chip margin (limit - temperature); None when the network was not solvable.
    chip : str
        The chip with that margin ("" when not solvable).
    flow : float or None
        [m3/s] TCS (pump) flow, or the total coolant boundary flow without a pump.
    plate_flow : float or None
        [m3/s] flow of the plate of ``chip`` (its mass flow over the density at its mean
        temperature, as the network defines it).
    error : str
        Why the network could not be solved ("" when it was).
    warnings : tuple of str
        The network's warnings there (curves or pump data extrapolated).
    """

    value: float
    margin: float | None
    chip: str = ""
    flow: float | None = None
    plate_flow: float | None = None
    error: str = ""
    warnings: tuple = ()


@dataclass
class LimitAnswer:
    """The answer to one question.

    Attributes
    ----------
    question : str
        One of :data:`QUESTIONS`.
    quantity : str
        What was varied, in words, with its unit.
    value : float or None
        The limit (in ``quantity``'s unit); None when none lies in the searched range.
    status : str
        ``found``, ``passes_everywhere`` (no limit up to the end of the range),
        ``fails_everywhere`` (even the most favourable end fails), ``solvable_edge`` (the limit
        is where the network stops being solvable).
    bracket : tuple of float
        (passing, failing) values around the limit after the search.
    tolerance : float
        Absolute tolerance on ``value``.
    design_value : float
        The varied quantity at the design point.
    design_margin : float or None
        [K] smallest chip margin at the design point.
    chip : str
        The chip that reaches its limit at ``value``.
    flow : float or None
        [m3/s] TCS flow at ``value``.
    plate_flow : float or None
        [m3/s] flow of the limiting chip's plate at ``value``.
    power : float
        [W] total chip power at the design point.
    water_class : str or None
        ``warmest_facility_supply`` only: the warmest ASHRAE class whose supply the rack takes.
    trials : list of Trial
        Every network solve, in order.
    note : str
        Why the search ended as it did (solvable edge, range end).
    warnings : tuple of str
        The network's warnings at the answer (e.g. plate curves extrapolated there).
    """

    question: str
    quantity: str
    value: float | None
    status: str
    bracket: tuple
    tolerance: float
    design_value: float
    design_margin: float | None
    chip: str = ""
    flow: float | None = None
    plate_flow: float | None = None
    power: float = 0.0
    water_class: str | None = None
    trials: list = None
    note: str = ""
    warnings: tuple = ()

    @property
    def evaluations(self) -> int:
        """Number of network solves of the search."""
        return len(self.trials or ())

    def as_dict(self) -> dict:
        """JSON-ready dictionary (SI units)."""
        out = asdict(self)
        out["evaluations"] = self.evaluations
        out["bracket"] = list(self.bracket)
        return out


@dataclass(frozen=True)
class _Knob:
    """A varied quantity: how it changes the built network and where to search."""

    question: str
    quantity: str
    apply: Callable  # (built, value) -> (built, unserved)
    design: float
    low: float  # searched range
    high: float
    tolerance: float
    rising_margin: bool  # True: margin grows with the value (answer = smallest passing)


# ---------------------------------------------------------------------------------------------
# evaluating the rack at one value
# ---------------------------------------------------------------------------------------------
def _worst_chip(report: Mapping) -> tuple[float, str, float | None]:
    """The smallest chip margin [K] of a rack report, its chip and its plate's flow [m3/s]; a
    chip without coolant counts as -inf."""
    worst, chip, plate = math.inf, "", ""
    for c in report["chips"]:
        margin = -math.inf if c["margin"] is None else c["margin"]
        if margin < worst:
            worst, chip, plate = margin, c["name"], c["plate"]
    flow = next((p["flow"] for p in report["plates"] if p["name"] == plate), None)
    return worst, chip, flow


def _flow(result, built, coolant) -> float | None:
    """[m3/s] TCS or pump flow, else the coolant entering through flow boundaries (at each
    boundary's temperature)."""
    for key in ("tcs", "pump"):
        entry = result.summary.get(key) or {}
        if entry.get("flow") is not None:
            return float(entry["flow"])
    fluid = {n.name: n.fluid for n in built.network.nodes}
    flows = [b.mass_flow / float(coolant.density(b.temperature))
             for b in built.network.flow_boundaries
             if fluid.get(b.node) == "coolant" and b.mass_flow > 0]
    return sum(flows) if flows else None


def _evaluator(section, coolant, limits: DesignLimits, plate_curves, built, knob: _Knob):
    """``trial(value) -> Trial``: the rack solved with the knob at ``value``."""

    def trial(value: float) -> Trial:
        try:
            variant, unserved = knob.apply(built, value)
            result = solve_rack(variant, section, coolant, unserved)
        except (NetworkError, ValueError, ArithmeticError) as error:
            return Trial(value, None, error=" ".join(str(error).split()))
        report = rack_report(result.summary, result.components, limits, plate_curves,
                             result.unserved)
        margin, chip, plate_flow = _worst_chip(report)
        if not math.isfinite(margin) and margin > 0:
            return Trial(value, None, error="no chips in the rack")
        return Trial(value, margin, chip, _flow(result, variant, coolant), plate_flow,
                     warnings=tuple(result.summary.get("warnings") or ()))

    return trial


# ---------------------------------------------------------------------------------------------
# the search
# ---------------------------------------------------------------------------------------------
def _passes(t: Trial, margin: float) -> bool:
    return t.margin is not None and t.margin >= margin


def _search(trial: Callable[[float], Trial], knob: _Knob, margin: float,
            steps: int = 6) -> tuple[Trial, Trial | None, Trial | None, list[Trial]]:
    """Bracket the limit from the design point: steps of 1/32, 1/16 ... 1 of the way to the
    end of the range (toward failing when the design passes, toward passing when it fails).
    Returns ``(design, passing, failing, trials)``; ``passing`` or ``failing`` is None when the
    range holds no value of that kind."""
    trials = [trial(knob.design)]
    design = trials[0]
    fail_end = knob.low if knob.rising_margin else knob.high
    pass_end = knob.high if knob.rising_margin else knob.low
    design_passes = _passes(design, margin)
    target = fail_end if design_passes else pass_end
    previous = design
    for k in range(steps):
        t = trial(knob.design + (target - knob.design) * 2.0 ** (k + 1 - steps))
        trials.append(t)
        if _passes(t, margin) != design_passes:
            return (design, previous, t, trials) if design_passes else \
                (design, t, previous, trials)
        previous = t
    return (design, previous, None, trials) if design_passes else \
        (design, None, previous, trials)


def _close(trial, passing: Trial, failing: Trial, margin: float, tolerance: float,
           trials: list) -> tuple[Trial, Trial, bool]:
    """Shrink a (passing, failing) bracket to ``tolerance``: bisection while the failing end
    is not solvable, then Brent's method. Returns the final pair and whether the failing end
    is a solvable edge (the model could not be solved beyond it)."""
    bracket = {"passing": passing, "failing": failing}

    def run(value: float) -> Trial:
        t = trial(value)
        trials.append(t)
        # monotone margin: the nearest passing and failing values keep bracketing the limit
        bracket["passing" if _passes(t, margin) else "failing"] = t
        return t

    while (bracket["failing"].margin is None
           and abs(bracket["failing"].value - bracket["passing"].value) > tolerance):
        run(0.5 * (bracket["passing"].value + bracket["failing"].value))
    if bracket["failing"].margin is None:
        return bracket["passing"], bracket["failing"], True

    def excess(value: float) -> float:
        """[K] margin beyond the one asked; an unsolvable value inside a solvable bracket
        counts as failing by a wide margin."""
        t = run(value)
        return (-1e3 if t.margin is None else t.margin) - margin

    if abs(bracket["failing"].value - bracket["passing"].value) > tolerance:
        brentq(excess, bracket["passing"].value, bracket["failing"].value, xtol=tolerance)
    return bracket["passing"], bracket["failing"], False


def find_limit(trial: Callable[[float], Trial], knob: _Knob, margin: float = 0.0,
               power: float = 0.0) -> LimitAnswer:
    """Answer one question: bracket from the design point, then close the bracket."""
    design, passing, failing, trials = _search(trial, knob, margin)

    def answer(at: Trial, value, status: str, bracket: tuple, note: str) -> LimitAnswer:
        return LimitAnswer(question=knob.question, quantity=knob.quantity, value=value,
                           status=status, bracket=bracket, tolerance=knob.tolerance,
                           design_value=knob.design, design_margin=design.margin,
                           chip=at.chip, flow=at.flow, plate_flow=at.plate_flow, power=power,
                           trials=trials, note=note, warnings=at.warnings)

    if failing is None:
        return answer(passing, None, "passes_everywhere", (passing.value, passing.value),
                      "every chip within its limit up to the end of the range searched")
    if passing is None:
        return answer(failing, None, "fails_everywhere", (failing.value, failing.value),
                      "a chip exceeds its limit up to the end of the range searched: "
                      f"{failing.error or 'hottest ' + failing.chip}")
    passing, failing, edge = _close(trial, passing, failing, margin, knob.tolerance, trials)
    if edge:
        return answer(passing, passing.value, "solvable_edge", (passing.value, failing.value),
                      f"the network cannot be solved beyond the bracket: {failing.error}")
    return answer(passing, passing.value, "found", (passing.value, failing.value), "")


# ---------------------------------------------------------------------------------------------
# the questions on a rack
# ---------------------------------------------------------------------------------------------
def _pump_knob(built, design_speed: float | None) -> _Knob:
    """Pump speed from ``design_speed`` (the design point's, set by its speed control; the
    control is taken off), or the coolant flow boundaries scaled."""
    net = built.network
    if built.pump:
        speed_controls = [c for c in built.controls
                          if isinstance(c, PumpSpeedControl) and c.pump == built.pump]
        design = design_speed or net.branch(built.pump).speed
        high = max([c.max_speed for c in speed_controls] + [design])

        def apply(b, value):
            out = rebuilt(b)
            out.controls = [c for c in out.controls if c not in speed_controls]
            out.network.replace_branch(b.pump, speed=float(value))
            return out, []

        return _Knob("minimum_flow", "CDU pump speed [-]", apply, design, 0.02 * design, high,
                     1e-3 * design, rising_margin=True)
    fluid = {n.name: n.fluid for n in net.nodes}

    def apply(b, value):
        flows = [replace(f, mass_flow=f.mass_flow * value) if fluid.get(f.node) == "coolant"
                 else f for f in b.network.flow_boundaries]
        return rebuilt(b, flow_boundaries=flows), []

    return _Knob("minimum_flow", "coolant flow factor [-]", apply, 1.0, 0.01, 10.0, 1e-4,
                 rising_margin=True)


def _design_facility_supply(built) -> float | None:
    """[K] facility supply temperature at the design point (the first facility boundary)."""
    fluid = {n.name: n.fluid for n in built.network.nodes}
    for b in [*built.network.flow_boundaries, *built.network.pressure_boundaries]:
        if fluid.get(b.node) == "facility":
            return float(b.temperature)
    return None


def _facility_knob(built) -> _Knob | None:
    design = _design_facility_supply(built)
    if design is None:
        return None

    def apply(b, value):
        return FacilityOffset(delta=value - design).apply(b)

    # 5 C (chilled water) to 70 C: beyond ASHRAE W+ practice and most coolant data
    return _Knob("warmest_facility_supply", "facility supply temperature [K]", apply, design,
                 ZERO_CELSIUS + 5.0, ZERO_CELSIUS + 70.0, 0.02, rising_margin=False)


def plate_groups(built) -> dict[str, list[str]]:
    """Cold plates of a built rack by group, from their names (``tray.3.gpu.0`` -> ``gpu``;
    plates of an explicit network are each their own group)."""
    groups: dict[str, list[str]] = {}
    for plate in built.plates:
        groups.setdefault(plate.split(".")[-2] if plate.count(".") >= 2 else plate,
                          []).append(plate)
    return groups


def _power_knob(built, group: str | None, groups: Mapping) -> _Knob | None:
    """Power per plate of ``group`` (default: the group of the most powerful plate)."""
    power = {b.name: b.power for b in built.network.branches if b.kind == "cold_plate"}
    if not power:
        return None
    if group is None:
        group = max(groups, key=lambda g: max(power[p] for p in groups[g]))
    if group not in groups:
        raise ValueError(f"no plate group '{group}' (groups: {', '.join(sorted(groups))})")
    plates = tuple(groups[group])
    design = max(power[p] for p in plates)

    def apply(b, value):
        return PowerScale(factor=value / design, plates=plates).apply(b)

    return _Knob("maximum_power", f"power per '{group}' plate [W]", apply, design,
                 0.05 * design, 20.0 * design, 1e-3 * design, rising_margin=False)


def water_class_for(supply: float) -> str | None:
    """The warmest ASHRAE W-class whose supply (its number in C) is at most ``supply`` [K]."""
    admitted = [name for name, celsius in WATER_CLASSES.items()
                if celsius + ZERO_CELSIUS <= supply + 1e-9]
    return max(admitted, key=WATER_CLASSES.get) if admitted else None


def find_limits(section, coolant, limits: DesignLimits | None = None,
                plate_curves: Mapping | None = None, questions: Sequence[str] = QUESTIONS,
                margin: float = 0.0, group: str | None = None,
                say: Callable[[str], None] | None = None) -> list[LimitAnswer]:
    """Answer the limit questions on a rack network.

    Parameters
    ----------
    section : solver.case.network.NetworkSection
        The rack (``[network]``).
    coolant : solver.materials.Coolant
        TCS coolant.
    limits : DesignLimits, optional
        Chip limits (the other thresholds are not searched).
    plate_curves : mapping group or plate name -> PlateCurves, optional
        Characterized plates (as :func:`solver.scenarios.run_scenarios`).
    questions : sequence of str
        Subset of :data:`QUESTIONS`.
    margin : float
        [K] margin each chip must keep below its limit.
    group : str, optional
        Plate group of ``maximum_power`` (default: the most powerful plates).
    say : callable, optional
        Takes one progress line per question (solves, time, answer).

    Returns
    -------
    list of LimitAnswer
        One per question the network can answer (no facility boundary: no
        ``warmest_facility_supply``).
    """
    unknown = set(questions) - set(QUESTIONS)
    if unknown:
        raise ValueError(f"unknown limit question(s) {', '.join(sorted(unknown))} "
                         f"(known: {', '.join(QUESTIONS)})")
    limits = limits or DesignLimits()
    section = with_plate_curves(section, plate_curves or {})
    built = build_rack(section, coolant)
    total = sum(b.power for b in built.network.branches if b.kind in ("cold_plate", "heat_load"))
    groups = plate_groups(built)
    answers = []
    for number, question in enumerate(questions, start=1):
        start = time.perf_counter()
        if question == "minimum_flow":
            speed = None
            if built.pump:  # the speed its control sets at the design point
                speed = (solve_rack(built, section, coolant).summary.get("pump") or {}).get(
                    "speed")
            knob = _pump_knob(built, speed)
        elif question == "warmest_facility_supply":
            knob = _facility_knob(built)
        else:
            knob = _power_knob(built, group, groups)
        if knob is None:
            continue
        trial = _evaluator(section, coolant, limits, plate_curves, built, knob)
        answer = find_limit(trial, knob, margin, total)
        if question == "warmest_facility_supply":
            answer.water_class = water_class_for(answer.value if answer.value is not None
                                                 else answer.bracket[0])
        answers.append(answer)
        if say:
            say(f"limit {number}/{len(questions)}: {question.replace('_', ' ')}: "
                f"{_limit_text(answer)} after {answer.evaluations} network solves in "
                f"{format_duration(time.perf_counter() - start)}")
    return answers


# ---------------------------------------------------------------------------------------------
# text
# ---------------------------------------------------------------------------------------------
def _value_text(answer: LimitAnswer) -> str:
    v = answer.value
    if answer.question in ("warmest_facility_supply", "warmest_inlet"):
        text = f"{v - ZERO_CELSIUS:.2f} C (+-{answer.tolerance:g} K)"
        if answer.question == "warmest_inlet":
            return text
        return text + (f", admits {answer.water_class}" if answer.water_class else
                       ", below every ASHRAE W-class")
    if answer.question == "maximum_power":
        return f"{v:.1f} W per plate (+-{answer.tolerance:.2g} W)"
    if answer.quantity.endswith("[m3/s]"):  # a plate's inlet flow
        text = f"{v * LPM:.4g} L/min (+-{answer.tolerance * LPM:.2g} L/min)"
    else:
        text = f"{answer.quantity.split(' [')[0]} {v:.4g} (+-{answer.tolerance:.2g})"
        if answer.flow is not None:
            text += f": {answer.flow * LPM:.2f} L/min"
    if answer.flow is not None and answer.power > 0:
        text += f" = {answer.flow * LPM / (answer.power / 1e3):.3f} L/min/kW"
    if answer.plate_flow is not None and not answer.quantity.endswith("[m3/s]"):
        text += f"; limiting plate {answer.plate_flow * LPM:.3f} L/min"
    return text


def _plain(answer: LimitAnswer, value: float) -> str:
    """A value of the varied quantity: C for temperatures, L/min for flows, else 5 digits."""
    if answer.question in ("warmest_facility_supply", "warmest_inlet"):
        return f"{value - ZERO_CELSIUS:.2f} C"
    if answer.quantity.endswith("[m3/s]"):
        return f"{value * LPM:.4g} L/min"
    return f"{value:.5g}"


def _limit_text(answer: LimitAnswer) -> str:
    """The answer in words, or its status when there is no value."""
    text = _value_text(answer) if answer.value is not None else \
        answer.status.replace("_", " ")
    if answer.warnings:
        text += " (with extrapolated data: see the warnings)"
    return text


def format_limits(answers: Sequence[LimitAnswer], margin: float = 0.0,
                  model: str = "the rack network with its plate curves") -> str:
    """Markdown table of the answers: limit, limiting chip, bracket, solves; ``model`` says
    what each trial solves."""
    lines = ["# Operating limits", "",
             f"Every chip within its limit{f' less {margin:g} K' if margin else ''}; one "
             f"quantity varied at a time from the design point (root-finding on {model}).", "",
             "| question | limit | limiting chip | design value | bracket | solves | note |",
             "|---|---|---|---|---|---|---|"]
    for a in answers:
        lines.append(f"| {a.question.replace('_', ' ')} | {_limit_text(a)} | {a.chip or '-'} | "
                     f"{_plain(a, a.design_value)} | "
                     f"{' - '.join(_plain(a, b) for b in a.bracket)} | {a.evaluations} | "
                     f"{a.note or '-'} |")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# the questions on one cold plate (each trial a 3D solve)
# ---------------------------------------------------------------------------------------------
def _plate_trial(case, knob_changes: Callable[[float], dict], folder: Path, backend):
    """``trial(value) -> Trial``: the plate case with ``knob_changes(value)`` solved in 3D as a
    point of ``folder`` (:func:`solver.sweep.evaluate`: a value solved before is read back)."""
    from solver.sweep import evaluate

    def trial(value: float) -> Trial:
        # a trial keeps its summary and tables; fields, pictures and checkpoints are left out
        record = evaluate(case, {**knob_changes(value), **TRIAL_OUTPUT}, folder, backend)
        metrics = record.get("metrics") or {}
        if record["status"] == "failed":
            return Trial(value, None, error=record.get("error", "the solve failed"))
        if metrics.get("converged") is False:
            return Trial(value, None, error="the flow or energy solve did not converge")
        margins = {k.split(".")[1]: v for k, v in metrics.items()
                   if k.startswith("chip.") and k.endswith(".margin") and v is not None}
        if not margins:
            return Trial(value, None, error="no chip temperatures in the result")
        chip = min(margins, key=margins.get)
        flow = metrics.get("volumetric_flow")
        flow = None if flow is None else flow / LPM
        return Trial(value, float(margins[chip]), chip, flow, flow)

    return trial


def _single_inlet(case):
    """The plate's one inlet boundary (None when it has none or several)."""
    inlets = [b for b in case.boundaries if b.type == "inlet"]
    return inlets[0] if len(inlets) == 1 else None


def plate_limits(case, folder, backend=None, questions: Sequence[str] = PLATE_QUESTIONS,
                 margin: float = 0.0, say: Callable[[str], None] | None = None
                 ) -> list[LimitAnswer]:
    """Answer :data:`PLATE_QUESTIONS` on a conjugate cold-plate case, each trial one 3D solve
    kept under ``folder/points`` (read back when asked again).

    ``minimum_flow`` varies the inlet's volumetric flow [m3/s] (the case's velocity or mass flow
    replaced by it), ``warmest_inlet`` its temperature [K], ``maximum_power`` every chip's power
    in proportion (the answer is the total [W]). The criterion is each chip's peak temperature
    against its ``max_temperature`` less ``margin`` [K].

    Raises
    ------
    ValueError
        An unknown question, a plate without chips, an inlet question on a plate without
        exactly one inlet.
    """
    unknown = set(questions) - set(PLATE_QUESTIONS)
    if unknown:
        raise ValueError(f"unknown limit question(s) {', '.join(sorted(unknown))} for a plate "
                         f"(known: {', '.join(PLATE_QUESTIONS)})")
    if not case.chips:
        raise ValueError("limits: the plate has no [[chips]] (the limits are chip "
                         "temperatures)")
    inlet = _single_inlet(case)
    if inlet is None and set(questions) & {"minimum_flow", "warmest_inlet"}:
        raise ValueError("limits: minimum_flow and warmest_inlet need exactly one inlet "
                         "boundary")
    folder = Path(folder)
    total = sum(chip.power for chip in case.chips)

    def powers(value):
        return {f"chips[{chip.name}].power": chip.power * value / total for chip in case.chips}

    knobs = {}
    if inlet is not None:
        design = _plate_trial(case, lambda value: {}, folder, backend)(0.0)
        flow = design.flow
        if flow is None:
            raise ValueError(f"limits: the design point of the plate cannot be solved: "
                             f"{design.error}")
        key = f"boundaries[{inlet.name}]"
        knobs["minimum_flow"] = (_Knob("minimum_flow", "inlet flow [m3/s]", None, flow,
                                       flow / 50.0, 10.0 * flow, 1e-3 * flow, True),
                                 lambda value: {f"{key}.volumetric_flow": value})
        knobs["warmest_inlet"] = (_Knob("warmest_inlet", "inlet temperature [K]", None,
                                        inlet.temperature, ZERO_CELSIUS + 5.0,
                                        ZERO_CELSIUS + 70.0, 0.02, False),
                                  lambda value: {f"{key}.temperature": value})
    knobs["maximum_power"] = (_Knob("maximum_power", "total chip power [W]", None, total,
                                    0.05 * total, 20.0 * total, 1e-3 * total, False), powers)
    answers = []
    for number, question in enumerate(questions, start=1):
        start = time.perf_counter()
        knob, changes = knobs[question]
        # the design value itself is the unchanged case (its hash, its folder)
        trial = _plate_trial(case, lambda value, changes=changes, knob=knob:
                             {} if value == knob.design else changes(value), folder, backend)
        answer = find_limit(trial, knob, margin, total)
        answers.append(answer)
        if say:
            say(f"limit {number}/{len(questions)}: {question.replace('_', ' ')}: "
                f"{_limit_text(answer)} after {answer.evaluations} 3D solves in "
                f"{format_duration(time.perf_counter() - start)}")
    return answers


# ---------------------------------------------------------------------------------------------
# a case
# ---------------------------------------------------------------------------------------------
def case_limits(case, folder, backend=None, questions: Sequence[str] | None = None,
                margin: float = 0.0, group: str | None = None,
                quiet: bool = False) -> tuple[list[LimitAnswer], str]:
    """The limit answers of a case and what each trial solved (for :func:`format_limits`).

    A case with a ``[network]``: a coupled rack (plate groups naming a 3D ``case``) is coupled
    first and searched with its 3D-corrected plate curves and the plate cases' chip limits, as
    its scenarios are; a network rack with its own curves (:func:`find_limits`). A conjugate
    cold plate: each trial a 3D solve under ``folder/points`` (:func:`plate_limits`).
    ``questions`` defaults to every question of the kind.

    Raises
    ------
    ValueError
        A case that is neither, or a question the kind does not answer.
    """
    say = None if quiet else _stderr_line
    if case.network is None:
        if not case.bodies or case.solver.physics != "conjugate":
            raise ValueError("limits: the case is neither a rack or network (no [network]) nor "
                             "a conjugate cold plate")
        return (plate_limits(case, Path(folder), backend, questions or PLATE_QUESTIONS, margin,
                             say), "3D solves of the plate")
    limits = design_limits(case)
    curves = None
    if plate_case_files(case):
        coupled, _, _ = couple_case(case, get_backend(backend or case.solver.backend), quiet)
        curves, limits = coupled.scenario_curves(), coupled.with_chip_limits(limits)
    return (find_limits(network_section(case), case.coolant_material(), limits, curves,
                        questions or QUESTIONS, margin, group, say),
            "the rack network with its plate curves")


def _stderr_line(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def write_limits(directory, answers: Sequence[LimitAnswer], margin: float = 0.0,
                 model: str = "the rack network with its plate curves") -> dict:
    """Write ``limits.md`` (the table and the warnings at each answer) and ``limits.json``
    (every answer with its trials, SI units) into ``directory``; returns their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    text = format_limits(answers, margin, model)
    notes = [f"- {a.question.replace('_', ' ')}: {w}" for a in answers for w in a.warnings]
    if notes:
        text += "\nWarnings at the answers:\n\n" + "\n".join(notes) + "\n"
    return {"markdown": atomic_write_text(directory / "limits.md", text),
            "json": write_json(directory / "limits.json",
                               {"margin": margin, "model": model,
                                "answers": [a.as_dict() for a in answers]})}
