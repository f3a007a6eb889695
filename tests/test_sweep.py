"""``coolsim sweep``: values, designs, the sweep reproducing separate runs exactly, resuming
without recomputing finished points, failures recorded, bad ``--set`` arguments refused."""

import csv
import json
from pathlib import Path

import pytest

import solver
import solver.api
from solver.case import CaseError, case_hash, load_case
from solver.cli import main
from solver.output.sweep import pareto_front
from solver.sweep import (
    design_points,
    evaluate,
    full_factorial,
    latin_hypercube,
    parse_set,
    parse_values,
    read_points_csv,
    run_sweep,
)

ROOT = Path(__file__).resolve().parents[1]
UNIT_CELL = ROOT / "cases" / "coldplate_unit_cell.toml"
# the unit cell on 1 mm cells (about 1 s a run), no pictures, fields or checkpoints
COARSE = {"grid.max_spacing": "1 mm", "output.write_images": False,
          "output.write_fields": False, "output.checkpoint": False}
COARSE_SETS = ["--set", "grid.max_spacing=1 mm", "--set", "output.write_images=false",
               "--set", "output.write_fields=false", "--set", "output.checkpoint=false"]
VELOCITY = "boundaries[inlet].velocity"


@pytest.fixture
def coarse_cell():
    return load_case(UNIT_CELL).with_changes(COARSE)


def _velocity_points(*speeds):
    return [{VELOCITY: f"{v} m/s"} for v in speeds]


def test_values_lists_and_ranges():
    assert parse_values("q", "0.5, 1, 1.5 L/min").values == ("0.5 L/min", "1 L/min",
                                                              "1.5 L/min")
    assert parse_values("q", "0.5 L/min, 30 mL").values == ("0.5 L/min", "30 mL")
    assert parse_values("n", "8, 12, 18").values == (8, 12, 18)
    assert parse_values("c", "water, PG25").values == ("water", "PG25")
    ranged = parse_values("q", "0.5:2.0:7 L/min")
    assert len(ranged.values) == 7
    assert ranged.values[0] == "0.5 L/min" and ranged.values[-1] == "2.0 L/min"
    assert ranged.values[1] == "0.75 L/min"
    assert parse_values("n", "4:16:4").values == (4, 8, 12, 16)
    assert parse_set("network.rack.trays=8").values == (8,)
    for bad in ("0.5:2.0 L/min", "0.5:2:0", "1, , 2", "a:b:3"):
        with pytest.raises(ValueError):
            parse_values("q", bad)


def test_full_factorial_and_csv_points(tmp_path):
    axes = [parse_values("a", "1, 2"), parse_values("b", "x, y, z")]
    points = full_factorial(axes)
    assert len(points) == 6
    assert points[:2] == [{"a": 1, "b": "x"}, {"a": 1, "b": "y"}]
    table = tmp_path / "points.csv"
    table.write_text("boundaries[inlet].velocity [m/s],coolant.name\n0.1,water\n0.25,PG25\n")
    assert read_points_csv(table) == [{VELOCITY: "0.1 m/s", "coolant.name": "water"},
                                      {VELOCITY: "0.25 m/s", "coolant.name": "PG25"}]


def test_latin_hypercube_puts_one_sample_in_each_stratum():
    """The defining property of a Latin hypercube (McKay, Beckman & Conover, Technometrics 21,
    1979): with N samples, each of the N equal intervals of every input holds exactly one."""
    axes = [parse_values("q", "0.5:2.5:2 L/min"), parse_values("t", "20:40:2 C")]
    samples = 10
    points = latin_hypercube(axes, samples, seed=3)
    for axis, low, high in (("q", 0.5, 2.5), ("t", 20.0, 40.0)):
        numbers = [float(p[axis].split()[0]) for p in points]
        strata = sorted(int((x - low) / (high - low) * samples) for x in numbers)
        assert strata == list(range(samples)), (axis, numbers)
    assert latin_hypercube(axes, samples, seed=3) == points  # the seed fixes the design


def test_pareto_front():
    pairs = [(1.0, 5.0), (2.0, 3.0), (3.0, 4.0), (4.0, 1.0), (2.0, 6.0)]
    assert pareto_front(pairs) == [0, 1, 3]


def test_sweep_reproduces_the_separate_runs_exactly(coarse_cell, tmp_path):
    """Each point of a sweep over the inlet flow gives the figures of the same case run on its
    own: the same case hash and the same numbers, to the last bit (same code, same inputs)."""
    speeds = (0.1, 0.2, 0.3)
    sweep = run_sweep(coarse_cell, _velocity_points(*speeds), tmp_path / "sweep", workers=1,
                      quiet=True)
    assert [r["status"] for r in sweep.records] == ["done"] * 3
    with open(tmp_path / "sweep" / "sweep.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for speed, record, row in zip(speeds, sweep.records, rows, strict=True):
        alone = solver.run(coarse_cell.with_changes({VELOCITY: f"{speed} m/s"}),
                           output=tmp_path / f"alone_{speed}")
        assert record["case_hash"] == case_hash(alone.case) == row["case_hash"]
        assert record["metrics"] == alone.metrics
        assert float(row["pressure_drop [Pa]"]) == alone.metrics["pressure_drop"]
        assert float(row["peak_temperature [C]"]) == alone.metrics["peak_temperature"]
        assert float(row[f"{VELOCITY} [m/s]"]) == speed
    # the flow does what it should: more flow, more pressure drop, cooler plate
    drops = [r["metrics"]["pressure_drop"] for r in sweep.records]
    peaks = [r["metrics"]["peak_temperature"] for r in sweep.records]
    assert drops == sorted(drops) and peaks == sorted(peaks, reverse=True)
    written = json.loads((tmp_path / "sweep" / "sweep.json").read_text())
    assert [p["inputs"][VELOCITY] for p in written["points"]] == list(speeds)
    for name in ("pressure_drop", "peak_temperature", "thermal_resistance",
                 "pareto_pressure_drop_peak_temperature"):
        assert (tmp_path / "sweep" / "images" / f"{name}.png").is_file()
    assert "## Points" in (tmp_path / "sweep" / "report.md").read_text()


def test_an_interrupted_sweep_recomputes_nothing_that_finished(coarse_cell, tmp_path,
                                                               monkeypatch):
    """Ctrl-C during the third point; the rerun solves only the third and fourth, and a sweep
    with one more value solves only that one."""
    real_run = solver.api.run
    calls = []

    def counted(case, *args, **kwargs):
        calls.append(case.boundaries[4].velocity)
        if len(calls) == 3 and interrupt:
            raise KeyboardInterrupt
        return real_run(case, *args, **kwargs)

    monkeypatch.setattr(solver.api, "run", counted)
    folder = tmp_path / "sweep"
    points = _velocity_points(0.1, 0.2, 0.3, 0.4)
    interrupt = True
    with pytest.raises(KeyboardInterrupt):
        run_sweep(coarse_cell, points, folder, workers=1, quiet=True)
    assert calls == [0.1, 0.2, 0.3]
    interrupt = False
    calls.clear()
    again = run_sweep(coarse_cell, points, folder, workers=1, quiet=True)
    assert calls == [0.3, 0.4]
    assert [r["status"] for r in again.records] == ["cached", "cached", "done", "done"]
    calls.clear()
    more = run_sweep(coarse_cell, _velocity_points(0.1, 0.2, 0.3, 0.4, 0.5), folder, workers=1,
                     quiet=True)
    assert calls == [0.5]
    assert more.ran == 1
    # a cached point reads back the figures it was solved with
    assert more.records[0]["metrics"] == again.records[0]["metrics"]


def test_a_failed_point_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    real_run = solver.api.run

    def failing(case, *args, **kwargs):
        if case.boundaries[4].velocity == 0.2:
            raise RuntimeError("diverged at iteration 3:\nresidual 1e30")
        return real_run(case, *args, **kwargs)

    monkeypatch.setattr(solver.api, "run", failing)
    folder = tmp_path / "sweep"
    code = main(["sweep", str(UNIT_CELL), "--set", f"{VELOCITY}=0.1, 0.2, 0.3 m/s",
                 *COARSE_SETS, "--workers", "1", "--quiet", "--output", str(folder)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [f"{UNIT_CELL}: point 2 failed: RuntimeError: diverged at "
                                "iteration 3: residual 1e30"]
    with open(folder / "sweep.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["status"] for r in rows] == ["done", "failed", "done"]
    assert rows[1]["error"] == "RuntimeError: diverged at iteration 3: residual 1e30"
    assert rows[1]["pressure_drop [Pa]"] == ""
    assert float(rows[2]["pressure_drop [Pa]"]) > float(rows[0]["pressure_drop [Pa]"])


@pytest.mark.parametrize(("arguments", "key"), [
    (["--set", f"{VELOCITY[:-2]}=0.1, 0.2 m/s"], "boundaries[inlet].veloci"),
    (["--set", f"{VELOCITY}=0.1, -0.2 m/s"], VELOCITY),
    (["--set", "boundaries[nozzle].velocity=0.1, 0.2 m/s"], "boundaries[nozzle].velocity"),
    (["--set", f"{VELOCITY}=0.1:0.2 m/s"], VELOCITY),
    (["--set", VELOCITY], VELOCITY),
    (["--set", f"{VELOCITY}=0.1:0.3:3 m/s", "--design", "lhs"], "--samples"),
    ([], "--set"),
])
def test_bad_set_arguments_give_one_line_and_exit_2(arguments, key, tmp_path, capsys):
    code = main(["sweep", str(UNIT_CELL), *arguments, "--output", str(tmp_path / "s")])
    out, err = capsys.readouterr()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"{UNIT_CELL}: {key}: "), err
    assert not (tmp_path / "s").exists()  # nothing ran, nothing written


def test_design_points_from_csv_crossed_with_set(tmp_path):
    table = tmp_path / "points.csv"
    table.write_text("coolant.name\nwater\nPG25\n")
    points, design = design_points([f"{VELOCITY}=0.1, 0.2 m/s"], table)
    assert points == [{"coolant.name": "water", VELOCITY: "0.1 m/s"},
                      {"coolant.name": "water", VELOCITY: "0.2 m/s"},
                      {"coolant.name": "PG25", VELOCITY: "0.1 m/s"},
                      {"coolant.name": "PG25", VELOCITY: "0.2 m/s"}]
    assert design["kind"] == "full factorial"
    with pytest.raises(CaseError, match="--from-csv"):
        design_points([], tmp_path / "missing.csv")


def test_points_on_two_dask_workers_match_the_serial_sweep(coarse_cell, tmp_path):
    """Two local Dask worker processes give the numbers of the serial sweep."""
    points = _velocity_points(0.15, 0.25)
    serial = run_sweep(coarse_cell, points, tmp_path / "serial", workers=1, quiet=True)
    parallel = run_sweep(coarse_cell, points, tmp_path / "dask", workers=2, quiet=True)
    assert [r["status"] for r in parallel.records] == ["done", "done"]
    assert [r["metrics"] for r in parallel.records] == [r["metrics"] for r in serial.records]


def test_evaluate_runs_a_changed_rack_once(tmp_path, monkeypatch):
    """One changed case as a sweep point (what a limit search calls per trial): the second call
    reads the finished rack back from its report.json."""
    real_run = solver.api.run
    calls = []

    def counted(case, *args, **kwargs):
        calls.append(case.network.rack.trays)
        return real_run(case, *args, **kwargs)

    monkeypatch.setattr(solver.api, "run", counted)
    rack = load_case(ROOT / "cases" / "rack_network.toml")
    first = evaluate(rack, {"network.rack.trays": 4}, tmp_path)
    second = evaluate(rack, {"network.rack.trays": 4}, tmp_path)
    assert calls == [4]
    assert (first["status"], second["status"]) == ("done", "cached")
    assert second["metrics"] == first["metrics"]
    assert first["units"]["pressure_drop"] == "Pa"
