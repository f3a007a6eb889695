"""Warnings where the network reads its component curves beyond their data
(solver.network.ranges): a fitted curve is exact only between its points."""

import numpy as np
from transient_networks import PLATE_FLOW, cooling_loop

from solver.network.ranges import curve_extrapolations
from solver.units import LPM


def _flows(net, plate_lpm, pump_flow):
    flows = np.zeros(len(net.branches))
    for i, b in enumerate(net.branches):
        if b.kind == "cold_plate":
            flows[i] = plate_lpm[b.name] / LPM
        elif b.kind == "pump":
            flows[i] = pump_flow
    return flows


def test_plates_and_pumps_beyond_their_data_are_named_with_the_numbers():
    """The loop's plates carry R(Q) data at 0.4..2.4 L/min and a dP point at 1.5 L/min; its
    pump's datasheet ends at 4 x 1.5 L/min = 6 L/min. Inside: silent. One plate at 3 L/min and
    one at 0.2 L/min: one warning naming both counts and the farthest (0.2 L/min is 50 % below
    0.4, 3 L/min 25 % above 2.4); the pump at 7.5 L/min: 25 % beyond."""
    net = cooling_loop(plates=2)
    inside = _flows(net, {"plate.0": 1.5, "plate.1": 2.4}, 3.0 / LPM)
    assert curve_extrapolations(net, inside) == []
    outside = _flows(net, {"plate.0": 3.0, "plate.1": 0.2}, 7.5 / LPM)
    plate_note, pump_note = curve_extrapolations(net, outside)
    assert plate_note.startswith("2 of 2 cold plates run outside the flows of their curves")
    assert "farthest plate.1: 0.2 L/min against data at 0.4..2.4 L/min" in plate_note
    assert pump_note.startswith("pump pump.0 runs past its datasheet: 7.5 L/min per pump")
    assert "data up to 6 L/min (25 % beyond" in pump_note
    assert 4 * PLATE_FLOW * LPM == 6.0


def test_the_1mw_rack_pumps_run_past_their_datasheet(tmp_path):
    """The 1 MW example (steady, its scenarios left out): two running pumps at speed 0.707
    deliver 1353 L/min, 956.9 L/min per pump at datasheet speed (affinity laws), past the
    datasheet's last point at 900 L/min; the network summary and the rack report say so."""
    import tomllib
    from pathlib import Path

    from solver.case import case_from_dict
    from solver.pipeline import run

    path = Path(__file__).resolve().parents[2] / "cases" / "rack_1mw.toml"
    raw = tomllib.loads(path.read_text())
    raw.pop("scenarios", None)
    raw["output"] = {"write_images": False}
    summary = run(case_from_dict(raw, path), output=tmp_path, quiet=True)
    (note,) = [w for w in summary["warnings"] if w.startswith("pump")]
    assert "956.9 L/min per pump" in note and "against data up to 900 L/min" in note
    # and the rack report carries it under its own heading
    report = (tmp_path / "rack_1mw" / "report.md").read_text()
    assert f"## Warnings\n\n- {note}" in report
