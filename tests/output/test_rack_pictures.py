"""Rack pictures: the schematic's layout and the flow deviations it is coloured by, the chip bars'
order and base, the coupling convergence picture.

The rack is the example ``cases/rack_network.toml`` (18 trays x 4 GPU + 2 CPU plates in parallel,
U manifold). The numbers are checked, not the pixels: each deviation against the tray flows the
network summary reports (:func:`solver.output.network.summarize`, an independent computation of
min/mean and max/mean), the layout against the rack's topology; the PNGs only for being written.
"""

import random
import tomllib
from pathlib import Path

import numpy as np
import pytest

from solver.case import NetworkSection
from solver.coupling import build_rack, solve_rack
from solver.materials import get_coolant
from solver.output import write_outputs
from solver.output.chip_pictures import bar_base, chip_order, plot_chip_temperatures
from solver.output.convergence import plot_coupling_convergence
from solver.output.rack_pictures import (
    RETURN_X,
    footprint_outline,
    plate_flow_deviation,
    plot_plate_temperature,
    plot_rack_network,
    rack_schematic,
    tray_flow_deviation,
)
from solver.units import ZERO_CELSIUS

CASE = Path(__file__).resolve().parents[2] / "cases" / "rack_network.toml"


def _section(**rack_changes):
    data = tomllib.loads(CASE.read_text())
    data["network"]["rack"].update(rack_changes)
    return NetworkSection(**data["network"]), get_coolant(data["coolant"]["name"])


@pytest.fixture(scope="module")
def rack():
    section, coolant = _section()
    return solve_rack(build_rack(section, coolant), section, coolant)


def _is_png(path, smallest=10_000):
    data = Path(path).read_bytes()
    return data.startswith(b"\x89PNG") and len(data) > smallest


def test_tray_deviation_matches_the_summary(rack):
    deviation = tray_flow_deviation(rack.built, rack.solution)
    trays = rack.summary["trays"]
    assert deviation.shape == (18,)
    # deviations from the mean sum to zero; the extremes are the summary's min/mean, max/mean
    assert abs(deviation.sum()) < 1e-9
    assert deviation.min() == pytest.approx(100.0 * (trays["min_over_mean"] - 1.0), abs=1e-9)
    assert deviation.max() == pytest.approx(100.0 * (trays["max_over_mean"] - 1.0), abs=1e-9)
    # the U rack's top tray (farthest from the inlet) gets the least flow: 0.995 of the mean
    assert int(np.argmin(deviation)) == 17
    assert deviation[17] == pytest.approx(-0.5, abs=0.1)
    flows = np.array(trays["flows_lpm"])
    np.testing.assert_allclose(deviation, 100.0 * (flows / flows.mean() - 1.0), atol=1e-9)


def test_plate_deviation_is_from_the_mean_of_its_group(rack):
    deviation = plate_flow_deviation(rack.solution)
    net = rack.solution.network
    assert len(deviation) == 108
    for group, count in (("gpu", 72), ("cpu", 36)):
        names = [n for n in deviation if n.split(".")[-2] == group]
        assert len(names) == count
        flows = np.array([rack.solution.volumetric_flow[net.branch_index(n)] for n in names])
        assert abs(sum(deviation[n] for n in names)) < 1e-9
        np.testing.assert_allclose([deviation[n] for n in names],
                                   100.0 * (flows / flows.mean() - 1.0), atol=1e-9)
    # a GPU plate (about 1.5 L/min) and a CPU plate (about 0.5 L/min) of one tray: each near 0 %
    # against its own group, far apart against one mean
    assert abs(deviation["tray.0.gpu.0"]) < 2.0 and abs(deviation["tray.0.cpu.0"]) < 2.0


def test_parallel_plates_sit_side_by_side(rack):
    s = rack_schematic(rack.built)
    assert s.trays == [f"tray.{k}" for k in range(18)]
    assert [s.tray_y[t] for t in s.trays] == sorted(s.tray_y.values())
    for tray in s.trays:
        boxes = [box for name, box in s.plates.items() if name.startswith(f"{tray}.")]
        assert len(boxes) == 6
        xs = sorted(box[0] for box in boxes)
        widths = [box[2] for box in boxes]
        # one row, no two boxes overlapping: the gap between centres exceeds the box width
        assert {box[1] for box in boxes} == {s.tray_y[tray]}
        assert min(np.diff(xs)) > max(widths)
    # every line belongs to a branch of the network, headers one segment less than trays
    names = {b.name for b in rack.solution.network.branches}
    assert set(s.lines) <= names
    assert sum(n.startswith("supply_header") for n in s.lines) == 17
    assert {"cdu.pumps", "cdu.hx.hot", "cdu.hx.cold", "cdu.supply_pipe",
            "cdu.return_pipe"} <= set(s.lines)
    # each branch is drawn from its inlet to its outlet: the U return leaves at the bottom
    assert s.lines["cdu.return_pipe"][0] == (RETURN_X, 0.0)


def test_z_rack_returns_from_the_top_and_series_plates_chain():
    section, coolant = _section(manifold="Z", arrangement="series")
    s = rack_schematic(build_rack(section, coolant))
    assert s.lines["cdu.return_pipe"][0] == (RETURN_X, s.top) and not s.u_type
    boxes = [box for name, box in s.plates.items() if name.startswith("tray.3.")]
    assert len({box[1] for box in boxes}) == 1 and len({box[0] for box in boxes}) == 6


def test_rack_pictures_are_written(rack, tmp_path):
    paths = write_outputs(rack.built, rack.solution, dict(rack.summary), tmp_path)
    for key in ("rack_flow_png", "rack_temperature_png"):
        assert paths[key].parent == tmp_path / "images" and _is_png(paths[key], 30_000), key
    with pytest.raises(ValueError, match="temperature' or 'flow"):
        plot_rack_network(rack.built, rack.solution, tmp_path / "x.png", "pressure")


def _chip(plate, temperature, kind_from_curves=None, limit=95.0):
    name = f"{plate}/{kind_from_curves}" if kind_from_curves else plate
    t = None if temperature is None else temperature + ZERO_CELSIUS
    return {"name": name, "chip": kind_from_curves or plate, "plate": plate,
            "source": "curves" if kind_from_curves else "network", "temperature": t,
            "limit": limit + ZERO_CELSIUS, "margin": None if t is None else limit - temperature}


def _chips(temperatures):
    plates = [f"tray.{k}.{g}.{i}" for k in range(12) for g, n in (("gpu", 4), ("cpu", 2))
              for i in range(n)]
    return [_chip(p, t, "gpu" if ".gpu." in p else None)
            for p, t in zip(plates, temperatures, strict=True)]


def test_chip_order_is_by_tray_then_name_never_by_temperature():
    rng = random.Random(3)
    first = _chips([60.0 + rng.random() for _ in range(72)])
    second = _chips([90.0 - rng.random() * 30 for _ in range(72)])
    rng.shuffle(second)
    order = [c["name"] for c in chip_order(first)]
    assert order == [c["name"] for c in chip_order(second)]
    # tray 10 after tray 9 (numbers compared as numbers), gpu.0..3 then cpu.0..1 by name
    trays = [int(n.split(".")[1]) for n in order]
    assert trays == sorted(trays)
    assert order[:6] == ["tray.0.cpu.0", "tray.0.cpu.1", "tray.0.gpu.0/gpu", "tray.0.gpu.1/gpu",
                         "tray.0.gpu.2/gpu", "tray.0.gpu.3/gpu"]


def test_chip_bars_start_at_the_coolant_supply(tmp_path):
    chips = _chips([60.0] * 70 + [None, 101.0])
    report = {"name": "test rack", "chips": chips,
              "tcs": {"supply_temperature": 36.0 + ZERO_CELSIUS}}
    assert bar_base(report) == pytest.approx(36.0)
    no_tcs = {"name": "x", "chips": chips, "plates": [
        {"inlet_temperature": 40.0 + ZERO_CELSIUS}, {"inlet_temperature": 38.5 + ZERO_CELSIUS},
        {"inlet_temperature": None}]}
    assert bar_base(no_tcs) == pytest.approx(38.5)
    assert bar_base({"name": "x", "chips": chips}) == 0.0
    assert _is_png(plot_chip_temperatures(report, tmp_path / "chips.png"))


def test_coupling_convergence_picture(tmp_path):
    history = [{"pass": 1, "flow_change": None, "inlet_temperature_change": float("inf"),
                "heat_mismatch": 7e-5},
               {"pass": 2, "flow_change": 4e-4, "inlet_temperature_change": 0.02,
                "heat_mismatch": 6e-5},
               {"pass": 3, "flow_change": 2e-6, "inlet_temperature_change": 1e-4,
                "heat_mismatch": 6e-5}]
    path = plot_coupling_convergence(history, tmp_path / "coupling_convergence.png", "rack",
                                     {"flow_change": 1e-3, "inlet_temperature_change": 0.05,
                                      "heat_mismatch": 5e-3})
    assert _is_png(path)


def test_plate_map_outlines_the_hottest_body(tmp_path):
    # a 2 x 3 cell die in a 5 x 5 plan on 1 mm cells: its outline is its 10 mm perimeter, on faces
    faces = np.arange(6.0)
    mask = np.zeros((5, 5), bool)
    mask[1:3, 1:4] = True
    segments = np.array(footprint_outline(mask, faces, faces))
    assert len(segments) == 10
    assert np.linalg.norm(segments[:, 1] - segments[:, 0], axis=1).sum() == pytest.approx(10.0)
    assert set(segments[..., 0].ravel()) == {1.0, 2.0, 3.0}
    assert set(segments[..., 1].ravel()) == {1.0, 2.0, 3.0, 4.0}
    # the picture: the die (id 0) under a copper plate (id 1), hottest in the die
    x = np.linspace(0.0, 0.05, 11)
    z = np.linspace(0.0, 0.004, 5)
    material = np.ones((10, 10, 4), int)
    material[3:7, 3:7, 0] = 0
    temperature = np.where(material == 0, 360.0, 320.0)
    path = plot_plate_temperature({"faces": (x, x, z), "temperature": temperature,
                                   "material": material}, tmp_path / "plate.png", "plate")
    assert _is_png(path)
