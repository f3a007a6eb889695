"""Rack report and design checks on the example rack (cases/rack_network.toml).

The example's design point (see its header): 124.2 L/min = 1.50 L/min/kW, TCS supply 36.0 C,
dT 9.95 K, approach 4.0 K, hottest GPU case 60.0 C, facility W32, rack header dP 32.2 kPa,
largest plate dP 15.0 kPa, fastest coolant 2.33 m/s in the 8 mm QD bores. Each check is then
driven over its threshold either physically (a different network) or by a threshold change,
and must flip to FAIL with the numbers behind it.
"""

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from solver.case import load_case
from solver.coupling import PlateCurves, build_rack, solve_rack
from solver.output import (
    DesignLimits,
    format_report,
    load_network_result,
    rack_report,
    write_report,
)
from solver.output.html_report import with_pictures
from solver.setup import network_section
from solver.units import LPM, ZERO_CELSIUS

CASE = Path(__file__).resolve().parents[2] / "cases" / "rack_network.toml"


@pytest.fixture(scope="module")
def rack():
    case = load_case(CASE)
    section = network_section(case)
    coolant = case.coolant_material()
    return section, coolant, solve_rack(build_rack(section, coolant), section, coolant)


def _checks(report):
    return {c["name"]: c for c in report["checks"]}


FULL = DesignLimits(water_class="W32", room_dew_point=18.0 + ZERO_CELSIUS,
                    rack_pressure_drop_max=50e3)


def test_design_point_passes_every_check(rack):
    _, _, result = rack
    report = rack_report(result.summary, result.components, FULL)
    checks = _checks(report)
    assert report["passed"]
    assert all(c["passed"] is True for c in checks.values()), checks
    assert checks["chip_limits"]["value"] == pytest.approx(60.0, abs=0.1)
    assert checks["flow_per_kw"]["value"] == pytest.approx(1.50, abs=1e-3)
    assert checks["tcs_temperature_rise"]["value"] == pytest.approx(9.95, abs=0.01)
    assert checks["cdu_approach"]["value"] == pytest.approx(4.0, abs=0.01)
    assert checks["plate_pressure_drop"]["value"] == pytest.approx(14.98e3, rel=0.01)
    assert checks["rack_pressure_drop"]["value"] == pytest.approx(32.2e3, rel=0.01)
    assert checks["facility_water_class"]["value"] == pytest.approx(32.0, abs=1e-6)
    assert checks["dew_point_margin"]["value"] == pytest.approx(18.0, abs=0.01)
    assert checks["heat_balance"]["value"] < 1e-9
    assert 2.0 < checks["channel_velocity"]["value"] < 2.5
    assert len(report["chips"]) == 18 * 6 and len(report["plates"]) == 18 * 6
    assert report["limits"]["flow_per_kw_min"] == 1.25  # thresholds echoed


def test_optional_checks_skip_without_data(rack):
    _, _, result = rack
    checks = _checks(rack_report(result.summary, result.components))
    for name in ("rack_pressure_drop", "facility_water_class", "dew_point_margin"):
        assert checks[name]["passed"] is None


@pytest.mark.parametrize("limits, failing", [
    (replace(FULL, chip_temperature_max=55.0 + ZERO_CELSIUS), "chip_limits"),
    (replace(FULL, chip_limits={"tray.17.gpu.0": 59.0 + ZERO_CELSIUS}), "chip_limits"),
    (replace(FULL, flow_per_kw_min=1.6, flow_per_kw_max=2.0), "flow_per_kw"),
    (replace(FULL, tcs_rise_min=10.0, tcs_rise_max=12.0), "tcs_temperature_rise"),
    (replace(FULL, cdu_approach_min=2.0, cdu_approach_max=3.5), "cdu_approach"),
    (replace(FULL, plate_pressure_drop_max=10e3), "plate_pressure_drop"),
    (replace(FULL, rack_pressure_drop_max=30e3), "rack_pressure_drop"),
    (replace(FULL, channel_velocity_max=1.5), "channel_velocity"),
    (replace(FULL, water_class="W27"), "facility_water_class"),
    (replace(FULL, room_dew_point=35.0 + ZERO_CELSIUS), "dew_point_margin"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_each_check_fails_past_its_threshold(rack, limits, failing):
    _, _, result = rack
    report = rack_report(result.summary, result.components, limits)
    checks = _checks(report)
    assert checks[failing]["passed"] is False, checks[failing]
    assert not report["passed"]
    others = [n for n, c in checks.items() if c["passed"] is False and n != failing]
    assert not others, others


def test_approach_below_band_passes_with_a_note(rack):
    _, _, result = rack
    check = _checks(rack_report(result.summary, result.components,
                                replace(FULL, cdu_approach_min=4.5)))["cdu_approach"]
    assert check["passed"] is True and "below the typical" in check["detail"]


def test_low_flow_fails_flow_per_kw_and_rise_physically(rack):
    """Halving the pump flow setpoint: 0.75 L/min/kW and about 20 K rise (energy balance)."""
    section, coolant, _ = rack
    controls = section.rack.controls.model_copy(update={"flow_setpoint": 62.1 / LPM})
    low = section.model_copy(update={"rack": section.rack.model_copy(
        update={"controls": controls})})
    result = solve_rack(build_rack(low, coolant), low, coolant)
    checks = _checks(rack_report(result.summary, result.components, FULL))
    assert checks["flow_per_kw"]["passed"] is False
    assert checks["flow_per_kw"]["value"] == pytest.approx(0.75, rel=1e-3)
    assert checks["tcs_temperature_rise"]["passed"] is False
    assert 19.0 < checks["tcs_temperature_rise"]["value"] < 21.5
    assert checks["heat_balance"]["passed"] is True


def test_chip_temperatures_from_curves(rack):
    """GPU plates with a two-chip curve: per-chip case and peak temperatures, powers scaled to
    the plate's 1 kW, and the limit check on the peak."""
    _, _, result = rack
    flows = np.array([0.5, 1.0, 1.5, 2.0]) / LPM
    r_case = 0.008 + 2e-5 * flows**-0.8
    curves = PlateCurves(flows, 3e9 * flows**1.85, {"die": r_case, "hbm": 0.5 * r_case},
                         np.full(4, 320.0), 308.15, {"die": 800.0, "hbm": 200.0},
                         {"die": 1.5 * r_case, "hbm": 0.6 * r_case})
    report = rack_report(result.summary, result.components, FULL, {"gpu": curves})
    chips = {c["name"]: c for c in report["chips"]}
    die = chips["tray.17.gpu.0/die"]
    plate = next(p for p in report["plates"] if p["name"] == "tray.17.gpu.0")
    q = plate["flow"]
    r = 0.008 + 2e-5 * q**-0.8
    assert die["power"] == pytest.approx(800.0)
    assert die["case_temperature"] == pytest.approx(plate["inlet_temperature"] + r * 800.0,
                                                    rel=1e-6)
    assert die["basis"] == "peak"
    assert die["temperature"] == pytest.approx(plate["inlet_temperature"] + 1.5 * r * 800.0,
                                               rel=1e-6)
    assert "tray.0.cpu.0" in chips  # plates without curves keep the network's R
    tight = replace(FULL, chip_limits={"die": die["temperature"] - 1.0})
    assert _checks(rack_report(result.summary, result.components, tight,
                               {"gpu": curves}))["chip_limits"]["passed"] is False


def test_headline_names_failing_scenarios(rack):
    """A design point that passes still reads PASS, and the headline names the steady scenarios
    that fail (the design point is the first comparison row)."""
    from solver.output.report import headline

    section, coolant, result = rack
    report = rack_report(result.summary, result.components, FULL)
    assert headline(report).startswith("**PASS**: all design checks pass (")
    report["scenarios"] = [{"scenario": "design", "passed": True},
                           {"scenario": "power_x1_4", "passed": False},
                           {"scenario": "pump_trip", "passed": True},
                           {"scenario": "valve", "passed": None, "error": "did not converge"}]
    assert headline(report).endswith("; scenarios that fail: power_x1_4, valve (see Scenarios)")
    assert format_report(report).splitlines()[2] == headline(report)


def test_every_threshold_has_a_report_row():
    """A new DesignLimits field cannot reach report.md as a bare repr: each has a labelled row
    (the per-chip limits are one summary row)."""
    from dataclasses import fields

    from solver.output.report import _THRESHOLDS

    assert {f.name for f in fields(DesignLimits)} - {"chip_limits"} == set(_THRESHOLDS)


def test_written_report_and_reading_network_files(rack, tmp_path):
    section, coolant, result = rack
    from solver.pipeline import run_network_case

    run_network_case(section, coolant, tmp_path / "net", quiet=True, plots=False)
    summary, rows = load_network_result(tmp_path / "net")
    from_files = rack_report(summary, rows, FULL)
    direct = rack_report(result.summary, result.components, FULL)
    for a, b in zip(from_files["checks"], direct["checks"], strict=True):
        assert a["passed"] == b["passed"]
        if a["value"] is not None:
            assert a["value"] == pytest.approx(b["value"], rel=1e-6, abs=1e-12)
    paths = write_report(tmp_path / "out", from_files)
    data = json.loads(paths["json"].read_text())
    assert data["passed"] is True and len(data["checks"]) == 11
    text = paths["markdown"].read_text()
    assert "## Design checks" in text and "| chip_limits | PASS |" in text
    # report.md: the report of the data as written, and its pictures
    assert "## Thresholds used" in text
    # thresholds read in C, kPa, L/min/kW and % with the case key, never as a Python repr
    assert "| chip limit (chips without max_temperature) | 95.0 C | [report] " \
           "chip_temperature_max |" in text
    assert "| rack pressure-drop budget | 50 kPa | [report] rack_pressure_drop_max |" in text
    assert "| room dew point | 18.0 C | [report] room_dew_point |" in text
    assert "| chip power vs heat to facility water | 0.5 % |" in text
    assert "chip_limits =" not in text and "e+04" not in text
    assert text == with_pictures(format_report(data), tmp_path / "out")
    assert "![chip temperatures](images/chip_temperatures.png)" in text
    png = paths["chip_temperatures_png"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
