"""Scenarios on the example rack: each variation changes what physics says it must.

The example (cases/rack_network.toml) holds its TCS flow with a pump-speed control and its
supply temperature with the facility flow. Where a control would hide the effect (a pump trip
at fixed speed), the test also runs the rack without that control.
"""

import textwrap
from pathlib import Path

import numpy as np
import pytest

from solver.case import load_case
from solver.coupling import PlateCurves, build_rack, solve_rack
from solver.output import DesignLimits
from solver.scenarios import (
    FacilityOffset,
    PlateBlockage,
    PowerScale,
    PumpFailure,
    QuickDisconnectMissing,
    format_comparison,
    load_scenarios,
    run_scenarios,
    scenario_from_dict,
    standard_scenarios,
    write_scenarios,
)
from solver.setup import network_section
from solver.units import LPM, ZERO_CELSIUS

CASE = Path(__file__).resolve().parents[1] / "cases" / "rack_network.toml"

LIMITS = DesignLimits(water_class="W32", room_dew_point=18.0 + ZERO_CELSIUS)


@pytest.fixture(scope="module")
def example():
    case = load_case(CASE)
    return network_section(case), case.coolant_material()


@pytest.fixture(scope="module")
def study(example):
    section, coolant = example
    return run_scenarios(section, coolant, limits=LIMITS, name="example")


def _row(study, label):
    return next(r for r in study.comparison if r["scenario"] == label)


def _fixed_speed(section, speed=0.6):
    """The example without pump-speed control, pumps at a fixed relative speed."""
    rack = section.rack
    pumps = rack.cdu.pumps.model_copy(update={"speed": speed})
    cdu = rack.cdu.model_copy(update={"pumps": pumps})
    controls = rack.controls.model_copy(update={"pump_target": "none"})
    return section.model_copy(update={"rack": rack.model_copy(
        update={"cdu": cdu, "controls": controls})})


def test_design_point_passes(study):
    row = _row(study, "design point")
    assert row["passed"] and row["failed_checks"] == []
    assert row["tcs_flow_lpm"] == pytest.approx(124.2, rel=1e-4)


def test_pump_trip_at_fixed_speed_lowers_flow_and_heats_chips(example):
    section, coolant = example
    fixed = _fixed_speed(section)
    study = run_scenarios(fixed, coolant, [PumpFailure(name="trip")], LIMITS)
    design, trip = _row(study, "design point"), _row(study, "trip")
    assert trip["pump_running"] == 1 and design["pump_running"] == 2
    # 118.5 -> 98.9 L/min on the example's flat pump curve
    assert trip["tcs_flow_lpm"] < 0.9 * design["tcs_flow_lpm"]
    assert trip["min_plate_flow_lpm"] < design["min_plate_flow_lpm"]
    assert trip["hottest_chip_temperature"] > design["hottest_chip_temperature"] + 1.0
    assert trip["tcs_delta_t"] > design["tcs_delta_t"]
    # with one pump at this speed the loop falls below the OCP flow per kW (1.19 L/min/kW)
    # and the TCS rise leaves its band: both checks fail, the design point passes
    assert design["failed_checks"] == []
    assert {"flow_per_kw", "tcs_temperature_rise"} <= set(trip["failed_checks"])


def test_pump_trip_with_flow_control_speeds_up_the_remaining_pump(study):
    design, trip = _row(study, "design point"), _row(study, "one pump failed")
    assert trip["pump_running"] == 1
    assert trip["tcs_flow_lpm"] == pytest.approx(design["tcs_flow_lpm"], rel=1e-4)
    assert trip["pump_speed"] > design["pump_speed"] * 1.1


def test_both_pumps_failed_is_reported_not_dropped(example):
    section, coolant = example
    study = run_scenarios(section, coolant, [PumpFailure(name="all pumps", failed=2)], LIMITS)
    row = _row(study, "all pumps")
    assert not row["solved"] and row["error"]
    assert "all pumps" in format_comparison(study)


def test_blocked_plate_loses_flow_and_gets_hotter(study):
    design, blocked = study.design.report, study.outcome("first plate 50% blocked").report
    name = "tray.0.gpu.0"
    before = next(p for p in design["plates"] if p["name"] == name)
    after = next(p for p in blocked["plates"] if p["name"] == name)
    # dP x 4 on a dP ~ Q^1.85 plate at about the same available pressure: Q falls by ~4^(1/1.85)
    assert after["flow"] < 0.55 * before["flow"]
    assert after["case_temperature"] > before["case_temperature"] + 5.0
    sibling = next(p for p in blocked["plates"] if p["name"] == "tray.0.gpu.1")
    assert sibling["flow"] > before["flow"]  # its tray neighbours take the flow it lost


def test_facility_water_five_kelvin_warmer(study):
    design, warm = _row(study, "design point"), _row(study, "facility water +5 K")
    report = study.outcome("facility water +5 K").report
    assert report["facility"]["supply_temperature"] == pytest.approx(37.0 + ZERO_CELSIUS, abs=1e-6)
    assert warm["tcs_supply_temperature"] > design["tcs_supply_temperature"] + 1.0
    assert warm["hottest_chip_temperature"] > design["hottest_chip_temperature"] + 1.0
    assert "facility_water_class" in warm["failed_checks"]  # 37 C is above W32
    assert "controls" in warm["failed_checks"]  # the 36 C TCS supply cannot be held


def test_power_times_1_4(study):
    design, hot = _row(study, "design point"), _row(study, "power x1.4")
    report = study.outcome("power x1.4").report
    assert report["total_power"] == pytest.approx(1.4 * 82.8e3, rel=1e-9)
    assert report["cdu"]["heat_rejected"] == pytest.approx(1.4 * 82.8e3 + report["pump_heat"],
                                                           rel=1e-6)
    # same flow, 1.4 x the heat: the TCS rise scales by 1.4 (cp nearly constant)
    assert hot["tcs_delta_t"] == pytest.approx(1.4 * design["tcs_delta_t"], rel=0.01)
    assert {"flow_per_kw", "tcs_temperature_rise"} <= set(hot["failed_checks"])
    assert hot["hottest_chip_temperature"] > design["hottest_chip_temperature"] + 5.0


def test_missing_quick_disconnect_starves_its_tray(study):
    row = _row(study, "a QD missing")
    report = study.outcome("a QD missing").report
    starved = [p["name"] for p in report["plates"] if not p["coolant"]]
    assert sorted(starved) == sorted([f"tray.0.gpu.{i}" for i in range(4)]
                                     + [f"tray.0.cpu.{i}" for i in range(2)])
    assert row["unserved_plates"] == 6
    assert {"chip_limits", "heat_balance"} <= set(row["failed_checks"])
    # the other 17 trays share the flow: each gets more than at the design point
    design = _row(study, "design point")
    assert row["min_plate_flow_lpm"] > design["min_plate_flow_lpm"]


def test_power_scale_on_named_plates_only(example):
    section, coolant = example
    built = build_rack(section, coolant)
    variant, _ = PowerScale(factor=2.0, plates=("tray.3.gpu.1",)).apply(built)
    powers = {b.name: b.power for b in variant.network.branches if b.kind == "cold_plate"}
    assert powers["tray.3.gpu.1"] == 2000.0 and powers["tray.3.gpu.0"] == 1000.0
    original = {b.name: b.power for b in built.network.branches if b.kind == "cold_plate"}
    assert original["tray.3.gpu.1"] == 1000.0  # the input network is not changed


def test_scenarios_from_toml(tmp_path):
    path = tmp_path / "what_if.toml"
    path.write_text(textwrap.dedent("""
        [[scenarios]]
        kind = "pump_failed"
        name = "trip"

        [[scenarios]]
        kind = "plate_blocked"
        plate = "tray.5.gpu.2"
        fraction = 0.3

        [[scenarios]]
        kind = "facility_offset"
        delta = 5.0

        [[scenarios]]
        kind = "power_scale"
        factor = 1.4

        [[scenarios]]
        kind = "qd_missing"
        component = "tray.2.return_qd"
    """))
    scenarios = load_scenarios(path)
    assert [type(s) for s in scenarios] == [PumpFailure, PlateBlockage, FacilityOffset,
                                            PowerScale, QuickDisconnectMissing]
    assert scenarios[1].fraction == 0.3 and scenarios[0].label == "trip"
    assert scenarios[2].label == "facility_offset"
    with pytest.raises(ValueError, match="unknown"):
        scenario_from_dict({"kind": "earthquake"})
    with pytest.raises(ValueError, match="fraction"):
        PlateBlockage(fraction=1.0)
    with pytest.raises(ValueError, match="scenario power_scale"):
        scenario_from_dict({"kind": "power_scale", "factr": 2})


def test_plate_curves_replace_the_group_curves(example):
    """Characterized GPU plates with twice the example's resistance: hotter chips, same flows
    where the dP curve is the same."""
    section, coolant = example
    gpu = section.rack.plates[0]
    flows = np.array(gpu.resistance_flows)
    resistances = 2.0 * np.array(gpu.resistances)
    dp = np.interp(flows, np.array(gpu.flows), np.array(gpu.pressure_drops))
    curves = PlateCurves(flows, dp, {"gpu": resistances}, np.full(flows.size, 320.0), 308.15,
                         {"gpu": 1000.0})
    plain = run_scenarios(section, coolant, [], LIMITS)
    curved = run_scenarios(section, coolant, [], LIMITS, plate_curves={"gpu": curves})
    t_plain = _row(plain, "design point")["hottest_chip_temperature"]
    t_curved = _row(curved, "design point")["hottest_chip_temperature"]
    rise = t_plain - (36.0 + ZERO_CELSIUS)
    assert t_curved - (36.0 + ZERO_CELSIUS) == pytest.approx(2.0 * rise, rel=0.1)


def test_written_comparison(study, tmp_path):
    paths = write_scenarios(tmp_path, study)
    text = paths["markdown"].read_text()
    for s in standard_scenarios():
        assert s.label in text
    assert (tmp_path / "design_point" / "report.md").is_file()
    assert (tmp_path / "a_qd_missing" / "report.json").is_file()


def test_solve_rack_does_not_touch_the_built_network(example):
    section, coolant = example
    built = build_rack(section, coolant)
    n = len(built.network.branches)
    QuickDisconnectMissing(component="tray.0.supply_qd").apply(built)
    assert len(built.network.branches) == n
    result = solve_rack(built, section, coolant)
    assert result.summary["tcs"]["flow_lpm"] == pytest.approx(124.2, rel=1e-4)
    assert LPM == 60000.0


def test_cli_scenarios(tmp_path, capsys):
    from solver import cli

    what_if = tmp_path / "what_if.toml"
    what_if.write_text('[[scenarios]]\nkind = "power_scale"\nname = "spike"\nfactor = 1.4\n')
    code = cli.main(["scenarios", str(CASE), "--scenarios", str(what_if), "--output",
                     str(tmp_path / "out"), "--dew-point", "18 C", "--rack-dp-budget", "50 kPa"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "| design point |" in out.out and "| spike |" in out.out
    assert (tmp_path / "out" / "spike" / "report.md").is_file()
    report = (tmp_path / "out" / "design_point" / "report.md").read_text()
    assert "| dew_point_margin | PASS |" in report
    assert "| facility_water_class | PASS |" in report  # W32 from the case
    assert cli.main(["scenarios", str(CASE), "--dew-point", "18 parsecs"]) == 2
