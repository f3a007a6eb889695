"""Limit searches (solver.limits): analytic answers on a one-plate network, and the example rack
against a bracketing sweep of the same quantity.

The one-plate network is a fixed coolant flow through a cold plate with the network's
case-to-inlet model (``T_case = T_in + R P``, solver/network/components.py), so each limit has a
closed form:
- maximum power, fixed R: P* = (T_lim - T_in) / R;
- warmest supply (the plate fed with facility-loop water), fixed R: T_in* = T_lim - R P;
- minimum flow, R(Q) = a Q^b through two points: Q* = ((T_lim - T_in) / (a P))^(1/b), Q the
  plate's volumetric flow (its mass flow over the density at its mean temperature).
Each answer must lie within the search's stated tolerance of the closed form.
"""

from pathlib import Path

import numpy as np
import pytest
from channel_plate import channel_plate_case  # tests/ on the path

from solver.case import NetworkSection, load_case
from solver.coupling import build_rack, solve_rack
from solver.limits import find_limits, format_limits, water_class_for
from solver.materials import get_coolant
from solver.output import DesignLimits
from solver.scenarios import FacilityOffset, PowerScale
from solver.setup import network_section
from solver.units import LPM, ZERO_CELSIUS

T_IN = 30.0 + ZERO_CELSIUS  # [K]
Q = 1.5 / LPM  # [m3/s]
POWER = 1000.0  # [W]
R_POINTS = ((1.0 / LPM, 0.04), (4.0 / LPM, 0.02))  # [m3/s], [K/W]: R = a Q^b
LIMIT = 95.0 + ZERO_CELSIUS  # [K] default chip limit
R_FIXED = 0.03  # [K/W]


def _law():
    (q1, r1), (q2, r2) = R_POINTS
    b = np.log(r2 / r1) / np.log(q2 / q1)
    return r1 / q1 ** b, b


def one_plate(fluid: str = "coolant", fixed: bool = False) -> NetworkSection:
    """A flow boundary, one cold plate and a pressure boundary; ``fluid`` fills both nodes;
    the plate's R is :data:`R_FIXED` when ``fixed``, else the R(Q) law of :data:`R_POINTS`."""
    thermal = ({"resistance": R_FIXED} if fixed else
               {"resistance_flows": [q for q, _ in R_POINTS],
                "resistances": [r for _, r in R_POINTS]})
    return NetworkSection(
        nodes=[{"name": "in", "fluid": fluid}, {"name": "out", "fluid": fluid}],
        components=[
            {"kind": "flow_boundary", "name": "supply", "node": "in", "flow": Q,
             "temperature": T_IN},
            {"kind": "cold_plate", "name": "gpu", "inlet": "in", "outlet": "out",
             "flows": [1.0 / LPM, 2.0 / LPM], "pressure_drops": [5e3, 15e3], "power": POWER,
             **thermal},
            {"kind": "pressure_boundary", "name": "drain", "node": "out", "pressure": 2e5,
             "temperature": T_IN}])


WATER = get_coolant("water")


def test_maximum_power_is_the_analytic_one():
    answer, = find_limits(one_plate(fixed=True), WATER, questions=["maximum_power"])
    exact = (LIMIT - T_IN) / R_FIXED
    assert answer.status == "found"
    # the answer is the passing end of a (passing, failing) bracket within the tolerance
    # (1e-3 of the design power), both ends solved with the network
    assert answer.tolerance == pytest.approx(1e-3 * POWER)
    assert answer.bracket[0] <= exact * (1 + 1e-12) and exact <= answer.bracket[1] * (1 + 1e-12)
    assert abs(answer.value - exact) <= answer.tolerance
    assert answer.chip.startswith("gpu")


def test_minimum_flow_is_the_analytic_one():
    a, b = _law()
    answer, = find_limits(one_plate(), WATER, questions=["minimum_flow"])
    exact = ((LIMIT - T_IN) / (a * POWER)) ** (1.0 / b)
    assert answer.status == "found"
    # the knob is the boundary flow factor (tolerance 1e-4 of the design flow Q)
    assert abs(answer.plate_flow - exact) <= answer.tolerance * Q
    assert answer.plate_flow >= exact * (1 - 1e-12)  # the passing end


def test_warmest_supply_is_the_analytic_one_and_names_its_class():
    answer, = find_limits(one_plate("facility", fixed=True), WATER,
                          questions=["warmest_facility_supply"])
    exact = LIMIT - R_FIXED * POWER
    assert answer.status == "found"
    assert abs(answer.value - exact) <= answer.tolerance
    assert answer.value <= exact + 1e-9
    assert answer.water_class == water_class_for(exact) == "W45"  # 65 C


def test_required_margin_shifts_the_limit_by_its_temperature():
    """Asking for a 5 K margin is the same as a limit 5 K lower: P* falls by 5 K / R."""
    answer, = find_limits(one_plate(fixed=True), WATER, questions=["maximum_power"],
                          margin=5.0)
    exact = (LIMIT - 5.0 - T_IN) / R_FIXED
    assert abs(answer.value - exact) <= answer.tolerance


def test_a_limit_beyond_the_range_or_the_model_is_said_so():
    """No limit in the range searched (70 C facility water with a 200 C chip limit), a limit
    below it (a chip limit 1 K above the inlet), and a limit where the water would boil (20x
    the power at a 1000 C limit) are each said so, not answered with a number that is not
    one."""
    warm = DesignLimits(chip_temperature_max=200.0 + ZERO_CELSIUS)
    answer, = find_limits(one_plate("facility", fixed=True), WATER, warm,
                          questions=["warmest_facility_supply"])
    assert answer.value is None and answer.status == "passes_everywhere"
    assert answer.bracket[0] == pytest.approx(70.0 + ZERO_CELSIUS)
    hot = DesignLimits(chip_temperature_max=T_IN + 1.0)
    answer, = find_limits(one_plate(fixed=True), WATER, hot, questions=["maximum_power"])
    assert answer.value is None and answer.status == "fails_everywhere"
    boiling = DesignLimits(chip_temperature_max=1000.0 + ZERO_CELSIUS)
    answer, = find_limits(one_plate(fixed=True), WATER, boiling, questions=["maximum_power"])
    assert answer.status == "solvable_edge" and "valid range" in answer.note
    # the last solvable power heats the water to its 100 C data limit: P = m cp (100 C - T_in)
    m_cp = Q * float(WATER.density(T_IN)) * float(WATER.specific_heat(T_IN + 35.0))
    assert answer.value == pytest.approx(m_cp * 70.0, rel=0.01)


def test_water_classes():
    assert water_class_for(ZERO_CELSIUS + 31.9) == "W27"
    assert water_class_for(ZERO_CELSIUS + 32.0) == "W32"
    assert water_class_for(ZERO_CELSIUS + 50.0) == "W45"
    assert water_class_for(ZERO_CELSIUS + 10.0) is None


def test_unknown_question_is_refused():
    with pytest.raises(ValueError, match="unknown limit question"):
        find_limits(one_plate(), WATER, questions=["coldest_room"])


CASE = Path(__file__).resolve().parents[1] / "cases" / "rack_network.toml"


def _margin(section, coolant, scenario) -> float:
    """Smallest chip margin [K] of the example rack with ``scenario`` applied."""
    from solver.output import rack_report

    built = build_rack(section, coolant)
    variant, unserved = scenario.apply(built)
    result = solve_rack(variant, section, coolant, unserved)
    report = rack_report(result.summary, result.components, DesignLimits(), None, unserved)
    return min(c["margin"] for c in report["chips"])


def test_rack_power_limit_agrees_with_a_bracketing_sweep():
    """On the example rack the maximum GPU power lies between two swept power scales that pass
    and fail, each solved on its own as a scenario would be."""
    case = load_case(CASE)
    section, coolant = network_section(case), case.coolant_material()
    answer, = find_limits(section, coolant, questions=["maximum_power"], group="gpu")
    assert answer.status == "found"
    design = answer.design_value
    plates = tuple(p for p in build_rack(section, coolant).plates if ".gpu." in p)
    below = PowerScale(factor=(answer.value - 5 * answer.tolerance) / design, plates=plates)
    above = PowerScale(factor=(answer.value + 5 * answer.tolerance) / design, plates=plates)
    assert _margin(section, coolant, below) > 0.0 > _margin(section, coolant, above)
    text = format_limits([answer])
    assert "maximum power" in text and answer.chip in text


def test_rack_facility_limit_agrees_with_a_bracketing_sweep():
    """The example rack holds its TCS supply at 36 C with the facility flow: with the
    facility's chip limit lowered to 75 C the warmest facility supply is found, and a sweep of
    the supply on either side of it passes and fails."""
    case = load_case(CASE)
    section, coolant = network_section(case), case.coolant_material()
    limits = DesignLimits(chip_temperature_max=75.0 + ZERO_CELSIUS)
    answer, = find_limits(section, coolant, limits, questions=["warmest_facility_supply"])
    assert answer.status == "found"
    design = answer.design_value

    def margin(supply):
        from solver.output import rack_report

        built = build_rack(section, coolant)
        variant, _ = FacilityOffset(delta=supply - design).apply(built)
        result = solve_rack(variant, section, coolant)
        report = rack_report(result.summary, result.components, limits)
        return min(c["margin"] for c in report["chips"])

    assert margin(answer.value - 5 * answer.tolerance) > 0.0
    assert margin(answer.value + 5 * answer.tolerance) < 0.0




ONE_PLATE_CASE = """
[case]
name = "one_plate"

[coolant]
name = "water"

[[network.nodes]]
name = "in"

[[network.nodes]]
name = "out"

[[network.components]]
kind = "flow_boundary"
name = "supply"
node = "in"
flow = "1.5 L/min"
temperature = "30 C"

[[network.components]]
kind = "cold_plate"
name = "gpu"
inlet = "in"
outlet = "out"
flows = ["1 L/min", "2 L/min"]
pressure_drops = ["5 kPa", "15 kPa"]
power = "1 kW"
resistance = 0.03

[[network.components]]
kind = "pressure_boundary"
name = "drain"
node = "out"
pressure = "200 kPa"
temperature = "30 C"
"""


def test_command_line_answers_and_writes_its_table(tmp_path, capsys):
    """``coolsim limits`` on a one-plate network case: the closed-form power limit in the
    printed table and in limits.json; a bad question or a case without a network: one line,
    exit 2."""
    import json

    from solver.cli import main

    case = tmp_path / "one_plate.toml"
    case.write_text(ONE_PLATE_CASE)
    out = tmp_path / "limits"
    assert main(["limits", str(case), "--questions", "maximum_power", "--margin", "5 K",
                 "--output", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    exact = (LIMIT - 5.0 - T_IN) / R_FIXED
    data = json.loads((out / "limits.json").read_text())
    answer, = data["answers"]
    assert data["margin"] == 5.0 and abs(answer["value"] - exact) <= answer["tolerance"]
    assert f"{answer['value']:.1f} W per plate" in printed
    assert (out / "limits.md").read_text().startswith("# Operating limits")

    assert main(["limits", str(case), "--questions", "coldest_room"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "coldest_room" in err[0] and err[0].startswith(str(case))
    conduction = tmp_path / "box.toml"
    from box_case import box_case

    conduction.write_text(box_case())
    assert main(["limits", str(conduction)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "neither a rack" in err[0]





def test_plate_limits_agree_with_separate_3d_runs(tmp_path):
    """On a small conjugate plate (a copper base under a flat channel, 160 cells) each trial is
    a 3D solve: the maximum power lies between two separately solved cases that pass and fail
    5 tolerances on either side, and the warmest inlet is the limit less the design point's
    peak rise (40 K at 35 C): the rise changes only through the water's properties over the
    5 K between them, within 2 % of the rise (water's viscosity falls 10 % and its
    conductivity rises 1 % from 35 to 40 C, IAPWS; the rise is mostly conduction and the
    channel's laminar convection)."""
    from solver.limits import TRIAL_OUTPUT, plate_limits
    from solver.sweep import evaluate

    path = tmp_path / "plate.toml"
    path.write_text(channel_plate_case(power="10 W", spacing="2 mm", limit="80 C"))
    case = load_case(path)
    power, inlet = plate_limits(case, tmp_path / "limits", questions=["maximum_power",
                                                                         "warmest_inlet"])
    assert power.status == inlet.status == "found"

    def margin(changes):
        record = evaluate(case, {**changes, **TRIAL_OUTPUT}, tmp_path / "check")
        return record["metrics"]["chip.gpu.margin"]

    assert margin({"chips[gpu].power": power.value - 5 * power.tolerance}) > 0.0
    assert margin({"chips[gpu].power": power.value + 5 * power.tolerance}) < 0.0
    design = margin({})
    rise = (80.0 + ZERO_CELSIUS - design) - (35.0 + ZERO_CELSIUS)
    assert abs(inlet.value - (80.0 + ZERO_CELSIUS - rise)) < 0.02 * rise
    assert inlet.design_value == pytest.approx(35.0 + ZERO_CELSIUS)
