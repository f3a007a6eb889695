"""``[transient]`` of a cold-plate case through ``coolsim run`` (solver.transient_run): case
errors, results written, the limit crossing, checkpoint and resume."""

import copy
import signal
import tomllib
from pathlib import Path

import numpy as np
import pytest

from solver.case import CaseError, case_from_dict
from solver.case.validate import validate_case
from solver.models.coldplate.transient import PlateTransient
from solver.output.atomic import read_json
from solver.output.checkpoint import STOP, Interrupted, load_checkpoint
from solver.output.results import ResultDirectory
from solver.pipeline import run

PLATE = Path(__file__).resolve().parent / "models" / "data" / "small_chip_plate.toml"
RAW = tomllib.loads(PLATE.read_text())


def _case(transient, output=None):
    raw = copy.deepcopy(RAW)
    raw["transient"] = transient
    raw["output"] = output or {"write_images": False, "write_fields": False, "checkpoint": True}
    case = case_from_dict(raw, PLATE)
    validate_case(case)
    return case


def _rows(folder):
    return np.genfromtxt(folder / "small_chip_plate" / "transient.csv", delimiter=",",
                         names=True)


def _stopped_and_resumed(transient, stop_at, tmp_path, monkeypatch, signalled=False):
    """Run ``transient`` whole, then again stopped after step ``stop_at`` and resumed; returns
    both summaries and both runs' CSV rows. The stop is Ctrl-C (KeyboardInterrupt, no handler)
    or, ``signalled``, the stop request of the command line's SIGTERM handler, answered after
    the step. The checkpoint left by the stop holds step ``stop_at``."""
    whole = run(_case(transient), backend="cpu", output=tmp_path / "whole", quiet=True)
    original = PlateTransient.run

    def stopped(self, steps, progress=None, checkpoint=None, every=0, history=None):
        def stop(energy, history_now, due):
            if signalled and history_now.steps == stop_at:
                STOP.request(signal.SIGTERM)
            checkpoint(energy, history_now, due)
            if history_now.steps == stop_at:
                raise KeyboardInterrupt
        return original(self, steps, progress, stop, every, history)

    monkeypatch.setattr(PlateTransient, "run", stopped)
    with pytest.raises(KeyboardInterrupt) as interrupt:
        run(_case(transient), backend="cpu", output=tmp_path / "cut", quiet=True)
    assert isinstance(interrupt.value, Interrupted)
    assert (interrupt.value.exit_code == 143) == signalled
    # the stop kept the last step done, also between checkpoints
    _, metadata = load_checkpoint(
        ResultDirectory(tmp_path / "cut", "small_chip_plate").transient_checkpoint)
    assert metadata["steps"] == stop_at
    monkeypatch.setattr(PlateTransient, "run", original)
    resumed = run(_case(transient), backend="cpu", output=tmp_path / "cut", quiet=True,
                  resume=True)
    return whole, resumed, _rows(tmp_path / "whole"), _rows(tmp_path / "cut")


@pytest.mark.parametrize("transient, key, allowed", [
    ({"end": "5 s", "chip_power": {"cpu": "10 W"}}, "transient.chip_power.cpu", "die"),
    ({"end": "5 s", "chip_power": {"die": {"kind": "pulse"}}}, "transient.chip_power.die.kind",
     "square_wave"),
    ({"end": "5 s", "chip_power": {"die": {"kind": "step", "before": "1 W", "after": "2 W"}}},
     "transient.chip_power.die.time", "kind, before, after, time"),
    ({"end": "1 s", "initial_step": "2 s"}, "transient.initial_step", "<= end"),
    ({"end": "5 s", "inlet_temperature": {"kind": "ramp", "start_value": "30 C",
                                          "end_value": "1 kW", "duration": "1 s"}},
     "transient.inlet_temperature.end_value", "K, C"),
    ({"end": "5 s", "start": "cold"}, "transient.start", "steady"),
])
def test_bad_transient_sections_name_the_key(transient, key, allowed):
    with pytest.raises(CaseError) as error:
        _case(transient)
    text = str(error.value)
    assert key in text and allowed in text and "small_chip_plate.toml" in text


def test_transient_needs_a_cold_plate():
    raw = copy.deepcopy(RAW)
    raw["solver"]["physics"] = "conduction"
    raw["bodies"] = [b for b in raw["bodies"] if b["material"] != "coolant"]
    raw["boundaries"] = [{"name": "base", "type": "temperature", "side": "z_max",
                          "temperature": "30 C"}]
    raw["transient"] = {"end": "5 s"}
    with pytest.raises(CaseError, match="transient: a transient run follows the steady solve"):
        validate_case(case_from_dict(raw, PLATE))


def test_power_step_run_writes_series_and_finds_the_limit_crossing(tmp_path):
    """Idle 10 W (steady start) to 60 W at 1 s: the die passes its 95 C limit on the way to its
    new steady state. The summary's crossing time lies between the CSV records that straddle the
    limit, the CSV holds the power schedule, the pictures and the field series exist, and the
    energy audit closes to 1e-6."""
    case = _case({"end": "8 s", "fields_every": 25, "chip_power": {
        "die": {"kind": "step", "before": "10 W", "after": "60 W", "time": "1 s"}}},
        {"write_images": True, "write_fields": True, "checkpoint": False})
    summary = run(case, backend="cpu", output=tmp_path, quiet=True)
    entry = summary["transient"]
    folder = tmp_path / "small_chip_plate"
    rows = np.genfromtxt(folder / "transient.csv", delimiter=",", names=True)
    t, die, power = rows["time_s"], rows["die_K"], rows["die_power_W"]
    assert t[0] == 0.0 and t[-1] == pytest.approx(8.0)
    assert np.all(power[t < 1.0] == 10.0) and np.all(power[t >= 1.0] == 60.0)
    chip = entry["chips"]["die"]
    limit = chip["limit_temperature_K"]
    assert limit == pytest.approx(368.15)
    crossing = chip["time_to_limit_s"]
    i = int(np.argmax(die >= limit))
    assert die[i - 1] < limit <= die[i] and t[i - 1] <= crossing <= t[i]
    assert chip["peak_temperature_K"] == pytest.approx(die.max())
    assert entry["energy_audit_relative_error"] < 1e-6
    assert (folder / "images" / "transient.png").stat().st_size > 10_000
    pvd = (folder / "transient.pvd").read_text()
    assert pvd.count("<DataSet") == len(list((folder / "transient").glob("*.vtr"))) >= 2
    assert read_json(folder / "summary.json")["transient"]["steps"] == entry["steps"]


@pytest.mark.parametrize("signalled", [False, True], ids=["ctrl_c", "sigterm"])
def test_an_interrupted_run_resumes_from_its_checkpoint(signalled, tmp_path, monkeypatch):
    """A run stopped after step 33 (between checkpoints every 10 steps) by Ctrl-C or by SIGTERM
    resumes from step 33: its records before the stop are kept, and every record after it, the
    step sequence included, equals the uninterrupted run's exactly (tolerance 0: the checkpoint
    holds the step controller's last step and the starting field of the heat capacities)."""
    transient = {"end": "6 s", "checkpoint_every": 10, "chip_power": {
        "die": {"kind": "ramp", "start_value": "10 W", "end_value": "50 W", "start": "0.5 s",
                "duration": "2 s"}}}
    whole, resumed, whole_rows, rows = _stopped_and_resumed(transient, 33, tmp_path,
                                                            monkeypatch, signalled)
    assert rows["time_s"][0] == 0.0 and np.all(np.diff(rows["time_s"]) > 0)
    assert resumed["transient"]["steps"] == whole["transient"]["steps"] > 33
    assert np.array_equal(rows, whole_rows)
    a, b = (s["transient"]["chips"]["die"]["final_temperature_K"] for s in (whole, resumed))
    assert a == b


def test_checkpoints_land_on_the_breakpoints_of_the_inputs(tmp_path, monkeypatch):
    """With neither the step count (every 1000 steps) nor the clock (1 h) due, the transient
    writes its checkpoints where the ramp of the chip power starts and ends (0.5 s, 2.5 s)."""
    saved = []
    monkeypatch.setattr("solver.transient_run.save_checkpoint",
                        lambda path, arrays, metadata, backend: saved.append(metadata["time"]))
    case = _case({"end": "3 s", "checkpoint_every": 1000, "chip_power": {
        "die": {"kind": "ramp", "start_value": "10 W", "end_value": "50 W", "start": "0.5 s",
                "duration": "2 s"}}},
        {"write_images": False, "write_fields": False, "checkpoint": True,
         "checkpoint_seconds": "1 h"})
    run(case, backend="cpu", output=tmp_path, quiet=True)
    assert saved == pytest.approx([0.5, 2.5], rel=1e-12)


def test_error_controlled_run_from_the_case_file(tmp_path):
    """``tolerance = "0.01 K"`` in [transient] switches to error-controlled steps: 10 to 60 steps
    to 4 s (measured 35; a fine run takes 286), and the final die temperature agrees with the
    fine run (1 ms steps growing by 1.05 to 20 ms) within 5 tolerances (measured 0.016 K)."""
    step = {"die": {"kind": "step", "before": "10 W", "after": "50 W", "time": "1 s"}}
    adaptive = run(_case({"end": "4 s", "tolerance": "0.01 K", "growth": 2.0, "max_step": "1 s",
                          "chip_power": step}), backend="cpu", output=tmp_path / "a",
                   quiet=True)["transient"]
    fine = run(_case({"end": "4 s", "initial_step": "1 ms", "growth": 1.05, "max_step": "0.02 s",
                      "chip_power": step}), backend="cpu", output=tmp_path / "f",
               quiet=True)["transient"]
    assert 10 <= adaptive["steps"] <= 60
    a, f = (r["chips"]["die"]["final_temperature_K"] for r in (adaptive, fine))
    assert a == pytest.approx(f, abs=5 * 0.01)


def test_time_accurate_flow_from_the_case_file_checkpoints_and_resumes(tmp_path, monkeypatch):
    """``flow = "time-accurate"``: the flow halved at 0.5 s is stepped in time (flow steps taken
    and recorded in the summary) under error-controlled energy steps (steps taken again restore
    the flow of their start); a run stopped by Ctrl-C after step 13 (between checkpoints every
    4 steps) keeps that step in its checkpoint, flow state included, and resumed repeats every
    record of the uninterrupted run exactly (tolerance 0)."""
    transient = {"end": "2 s", "tolerance": "0.01 K", "growth": 2.0, "checkpoint_every": 4,
                 "flow": "time-accurate", "inlet_flow": {
                     "kind": "step", "before": "0.2 L/min", "after": "0.1 L/min",
                     "time": "0.5 s"}}
    whole, resumed, whole_rows, rows = _stopped_and_resumed(transient, 13, tmp_path,
                                                            monkeypatch)
    entry = whole["transient"]
    assert entry["flow"] == "time-accurate" and entry["flow_steps"] > 10
    flow = rows["inlet_mass_flow_kg_per_s"]
    assert flow[-1] == pytest.approx(0.5 * flow[0], rel=1e-12)
    a, b = (s["transient"]["chips"]["die"]["final_temperature_K"] for s in (whole, resumed))
    assert a == b and np.array_equal(rows, whole_rows)
