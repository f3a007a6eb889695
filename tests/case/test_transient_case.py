"""Scenarios in time in a rack case: ``[network.transient]``, the transient ``[[scenarios]]``
kinds, schedule tables (:mod:`solver.case.schedules`) and Foster data of plate groups; every
bad input is a one-line error naming the file, the key and what is allowed, before solving."""

import json
import sys
from pathlib import Path

import pytest

from solver.case import CaseError, load_case
from solver.case.schedules import ScheduleError, schedule_from_table
from solver.schedules import Constant, Ramp, SquareWave, Step, Table
from solver.units import TEMPERATURE_UNITS, VOLUMETRIC_FLOW_UNITS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from transient_racks import write_small_rack  # noqa: E402

SCENARIOS = """
[[scenarios]]
kind = "pump_trip"
name = "trip"
time = "30 s"

[[scenarios]]
kind = "pumps_lost"

[[scenarios]]
kind = "facility_loss"

[scenarios.supply_temperature]         # a schedule table may also be a sub-table
kind = "ramp"
start_value = "32 C"
end_value = "40 C"
start = "1 min"
duration = "2 min"

[[scenarios]]
kind = "power_step"
power = { kind = "square_wave", low = 0.3, high = 1.0, period = "60 s", duty = 0.8 }
groups = ["gpu"]

[[scenarios]]
kind = "plate_blocking"
plate = "tray.1.gpu.3"
fraction = 0.5

[[scenarios]]
kind = "pump_failed"
"""


def test_transient_scenarios_and_settings_are_read_in_si(tmp_path):
    path = write_small_rack(tmp_path, scenarios=SCENARIOS, transient_extra=(
        'rotor_inertia = 0.05\nstart_delay = "2 s"\nplate_heat_capacity = 300.0'))
    case = load_case(path)
    kinds = [s.kind for s in case.scenarios]
    assert kinds == ["pump_trip", "pumps_lost", "facility_loss", "power_step",
                     "plate_blocking", "pump_failed"]
    assert case.scenarios[0].time == 30.0 and case.scenarios[0].standby_start
    settings = case.network.transient
    assert (settings.duration, settings.time_step, settings.rotor_inertia,
            settings.start_delay, settings.plate_heat_capacity) == (60.0, 0.25, 0.05, 2.0, 300.0)
    ramp = schedule_from_table(case.scenarios[2].supply_temperature, TEMPERATURE_UNITS)
    assert ramp == Ramp(305.15, 313.15, 60.0, 120.0)
    assert schedule_from_table(case.scenarios[3].power, None) == SquareWave(0.3, 1.0, 60.0, 0.8)


def test_schedule_tables_give_si_schedules():
    assert schedule_from_table("1.5 L/min", VOLUMETRIC_FLOW_UNITS) == Constant(2.5e-5)
    assert schedule_from_table({"kind": "step", "before": "100 L/min", "after": 0,
                                "time": "0.5 min"}, VOLUMETRIC_FLOW_UNITS) == Step(
        100 / 60000, 0.0, 30.0)
    table = schedule_from_table({"kind": "table", "times": ["0 s", "1 min"],
                                 "values": ["30 C", "40 C"]}, TEMPERATURE_UNITS)
    assert table == Table((0.0, 60.0), (303.15, 313.15))
    assert schedule_from_table({"kind": "constant", "value": 0.5}, None) == Constant(0.5)


@pytest.mark.parametrize(("value", "key", "allowed"), [
    ({"kind": "sine"}, "power.kind", '"step"'),
    ({"kind": "step", "before": 0.3, "after": 1.0}, "power.time", "kind, before, after, time"),
    ({"kind": "step", "before": 0.3, "after": 1.0, "time": "10 parsecs"}, "power.time",
     "unit one of s, ms"),
    ({"kind": "step", "before": 0.3, "after": 1.0, "time": 1, "tme": 2}, "power.tme",
     "kind, before, after, time"),
    ({"kind": "ramp", "start_value": 0, "end_value": 1, "duration": -1}, "power",
     "a valid ramp schedule"),
])
def test_schedule_errors_name_the_key_and_what_is_allowed(value, key, allowed):
    with pytest.raises(ScheduleError) as info:
        schedule_from_table(value, None, "power")
    assert str(info.value).startswith(key) and allowed in str(info.value)


def _error(tmp_path, **options) -> str:
    with pytest.raises(CaseError) as info:
        load_case(write_small_rack(tmp_path, **options))
    text = str(info.value)
    assert "\n" not in text and text.startswith(str(tmp_path / "small_rack.toml"))
    return text


@pytest.mark.parametrize(("scenarios", "key", "allowed"), [
    ('[[scenarios]]\nkind = "pump_explodes"', "scenarios[0].kind", '"pump_trip"'),
    ('[[scenarios]]\nkind = "power_step"\npower = { kind = "step", before = 0.3, after = 1, '
     'time = "5 parsecs" }', "scenarios[0].power.time", "unit one of s, ms"),
    ('[[scenarios]]\nkind = "power_step"\npower = { kind = "pulse" }',
     "scenarios[0].power.kind", '"square_wave"'),
    ('[[scenarios]]\nkind = "power_step"\npower = 1.0\ngroups = ["tpu"]',
     "scenarios[0].groups[0]", "gpu, cpu"),
    ('[[scenarios]]\nkind = "plate_blocking"\nplate = "tray.9.gpu.0"', "scenarios[0].plate",
     "tray.0.gpu.0"),
    ('[[scenarios]]\nkind = "plate_blocking"\nfraction = 1.0', "scenarios[0].fraction", "< 1"),
    ('[[scenarios]]\nkind = "facility_loss"\nflow = "fast"', "scenarios[0].flow",
     "unit one of m3/s, L/min"),
    ('[[scenarios]]\nkind = "pump_trip"\nstandby = true', "scenarios[0].standby",
     "standby_start"),
])
def test_bad_transient_scenarios_are_one_line_errors(tmp_path, scenarios, key, allowed):
    text = _error(tmp_path, scenarios="\n" + scenarios + "\n")
    assert f": {key}: " in text and allowed in text


def test_bad_transient_settings_and_foster_data_are_one_line_errors(tmp_path):
    text = _error(tmp_path, transient_extra="ramp_rate = -1")
    assert "network.transient.ramp_rate" in text and "> 0" in text
    text = _error(tmp_path, dt=120.0)
    assert "network.transient.time_step" in text and "<= duration" in text
    text = _error(tmp_path, gpu_extra="foster = { resistances = [0.01, 0.01], "
                                      "time_constants = [1.0] }")
    assert "network.rack.plates[0].foster.time_constants" in text and "2 values" in text
    text = _error(tmp_path, gpu_extra='thermal_impedance = "nowhere.json"')
    assert "network.rack.plates[0].thermal_impedance" in text and "resistances_K_per_W" in text
    (tmp_path / "bad.json").write_text(json.dumps({"resistances_K_per_W": [0.01]}))
    text = _error(tmp_path, gpu_extra='thermal_impedance = "bad.json"')
    assert "no resistances_K_per_W and time_constants_s" in text
    text = _error(tmp_path, gpu_extra="trays = [0, 7]")
    assert "network.rack.plates[0].trays[1]" in text and "0 to 2" in text


def test_a_thermal_impedance_file_is_read_relative_to_the_case(tmp_path):
    (tmp_path / "gpu_zth.json").write_text(json.dumps(
        {"resistances_K_per_W": [0.005, 0.015], "time_constants_s": [0.3, 4.0], "terms": 2}))
    case = load_case(write_small_rack(tmp_path, gpu_extra='thermal_impedance = "gpu_zth.json"'))
    assert case.network.rack.plates[0].thermal_impedance == "gpu_zth.json"


def test_a_scenario_in_time_needs_a_rack(tmp_path):
    path = write_small_rack(tmp_path, scenarios='\n[[scenarios]]\nkind = "pumps_lost"\n')
    text = path.read_text()
    start = text.index("[network.rack]")
    network = ('[[network.nodes]]\nname = "a"\n[[network.nodes]]\nname = "b"\n'
               '[[network.components]]\nkind = "pipe"\nname = "p"\ninlet = "a"\noutlet = "b"\n'
               'length = 1.0\ndiameter = 0.01\n\n')
    path.write_text(text[:start] + network + text[text.index("[[scenarios]]"):])
    with pytest.raises(CaseError) as info:
        load_case(path)
    assert "scenarios[0].kind" in str(info.value) and "[network.rack]" in str(info.value)
