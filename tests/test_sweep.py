"""``coolsim sweep``: values, designs, the sweep reproducing separate runs exactly, resuming
without recomputing finished points, failures recorded, bad ``--set`` arguments refused; scale-out:
a scheduler address, a rack on 2 workers, a worker killed mid-point, per-point time and memory."""

import csv
import json
import os
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


def _rows(folder):
    with open(Path(folder) / "sweep.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_each_point_records_its_time_and_peak_memory(coarse_cell, tmp_path):
    """sweep.csv gives every solved point its wall time [s], the peak resident memory of the
    process that ran it [MB] and what the point added to it [MB]; a point read back has none."""
    points = _velocity_points(0.1, 0.2)
    first = run_sweep(coarse_cell, points[:1], tmp_path / "s", workers=1, quiet=True)
    run_sweep(coarse_cell, points, tmp_path / "s", workers=1, quiet=True)
    rows = _rows(tmp_path / "s")
    assert [r["status"] for r in rows] == ["cached", "done"]
    solved = rows[1]
    assert float(solved["seconds [s]"]) > 0
    # the whole process (interpreter, NumPy, SciPy) is resident: tens of MB at least
    assert 30 < float(solved["peak_memory [MB]"]) < 64_000
    assert 0 <= float(solved["memory_rise [MB]"]) <= float(solved["peak_memory [MB]"])
    assert solved["worker_losses"] == "0"
    assert rows[0]["peak_memory [MB]"] == "" and rows[0]["memory_rise [MB]"] == ""
    assert first.records[0]["peak_memory"] > 30


def test_a_point_lost_with_its_workers_is_one_failed_line(coarse_cell, tmp_path, monkeypatch,
                                                          capsys):
    """The fast stand-in for a worker killed every time it runs point 2: completed_jobs hands
    back a JobLost for it (as it does after its retries); the sweep records it as failed with
    one line, counts the losses, keeps the other points and exits 1, no traceback."""
    import solver.distributed
    from solver.distributed import FinishedJob, JobLost

    def lost_second(function, items, **options):
        assert options["keep_going"] and options["retries"] == 1
        for position, item in enumerate(items):
            if position == 1:
                yield FinishedJob(1, JobLost(2, "tcp://127.0.0.1:1"), 2)
            else:
                yield FinishedJob(position, function(item), 1 if position == 2 else 0)

    monkeypatch.setattr(solver.distributed, "completed_jobs", lost_second)
    folder = tmp_path / "sweep"
    code = main(["sweep", str(UNIT_CELL), "--set", f"{VELOCITY}=0.1, 0.2, 0.3 m/s",
                 *COARSE_SETS, "--workers", "2", "--retries", "1", "--quiet",
                 "--output", str(folder)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.splitlines() == [f"{UNIT_CELL}: point 2 failed: JobLost: the worker running it "
                                "died 2 times, the last on tcp://127.0.0.1:1 (killed or out of "
                                "memory); given up"]
    rows = _rows(folder)
    assert [r["status"] for r in rows] == ["done", "failed", "done"]
    assert [r["worker_losses"] for r in rows] == ["0", "2", "1"]
    assert rows[1]["seconds [s]"] == "" and rows[1]["peak_memory [MB]"] == ""
    report = (folder / "report.md").read_text()
    assert "- point 3: its worker died 1 time(s); done" in report


def test_a_worker_killed_mid_point_loses_only_that_point(coarse_cell, tmp_path):
    """SIGKILL of the worker process running a point (2 local worker processes): the point runs
    again on the restarted worker, the sweep completes with every point present once and the
    numbers of the serial sweep, and only the killed point counts a worker loss."""
    import signal
    import threading
    import time

    from distributed import Client

    from solver.distributed import local_cluster

    points = _velocity_points(0.1, 0.2, 0.3)
    serial = run_sweep(coarse_cell, points, tmp_path / "serial", workers=1, quiet=True)
    killed = []
    with local_cluster(2) as cluster, Client(cluster) as client:
        pids = client.run(os.getpid)

        def kill_the_first_busy_worker():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                busy = [w for w, keys in client.processing().items() if keys]
                if busy:
                    killed.append(busy[0])
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    return
                time.sleep(0.02)

        killer = threading.Thread(target=kill_the_first_busy_worker)
        killer.start()
        sweep = run_sweep(coarse_cell, points, tmp_path / "killed", scheduler=client,
                          quiet=True)
        killer.join()
    assert len(killed) == 1
    rows = _rows(tmp_path / "killed")
    assert [r["point"] for r in rows] == ["1", "2", "3"]
    assert [r["status"] for r in rows] == ["done"] * 3
    assert sorted(r["worker_losses"] for r in rows) == ["0", "0", "1"]
    assert [r["metrics"] for r in sweep.records] == [r["metrics"] for r in serial.records]


def test_a_sweep_on_a_scheduler_address_matches_the_serial_sweep(coarse_cell, tmp_path,
                                                                   capsys):
    """``coolsim sweep --scheduler ADDRESS`` on a LocalCluster started here (2 worker
    processes): the figures of the serial sweep, to the last bit."""
    from distributed import LocalCluster

    serial = run_sweep(coarse_cell, _velocity_points(0.15, 0.25), tmp_path / "serial",
                       workers=1, quiet=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        code = main(["sweep", str(UNIT_CELL), "--set", f"{VELOCITY}=0.15, 0.25 m/s",
                     *COARSE_SETS, "--scheduler", cluster.scheduler_address, "--quiet",
                     "--output", str(tmp_path / "cluster")])
    assert code == 0, capsys.readouterr().err
    rows = _rows(tmp_path / "cluster")
    for row, record in zip(rows, serial.records, strict=True):
        assert row["status"] == "done"
        assert row["case_hash"] == record["case_hash"]
        assert float(row["pressure_drop [Pa]"]) == record["metrics"]["pressure_drop"]
        assert float(row["peak_temperature [C]"]) == record["metrics"]["peak_temperature"]


def test_a_rack_sweep_on_two_local_workers_matches_the_serial_sweep(tmp_path):
    """The network-only rack over its tray count on a LocalCluster of 2 workers: the serial
    figures exactly. The CDU holds 124.2 L/min whatever the trays (cases/rack_network.toml),
    so the flow per kW is 124.2 L/min over the trays' heat, 4.6 kW a tray (4 GPUs of 1 kW, 2
    CPUs of 300 W), to the control's tolerance (1e-5 relative); with fewer trays each takes
    more flow and the hottest GPU runs cooler."""
    rack = load_case(ROOT / "cases" / "rack_network.toml")
    points = [{"network.rack.trays": trays} for trays in (9, 18)]
    serial = run_sweep(rack, points, tmp_path / "serial", workers=1, quiet=True)
    parallel = run_sweep(rack, points, tmp_path / "dask", workers=2, quiet=True)
    assert [r["status"] for r in parallel.records] == ["done", "done"]
    assert [r["metrics"] for r in parallel.records] == [r["metrics"] for r in serial.records]
    assert all(r["peak_memory"] > 30 for r in parallel.records)
    for trays, record in zip((9, 18), parallel.records, strict=True):
        assert record["metrics"]["flow_per_kw"] == pytest.approx(124.2 / (trays * 4.6),
                                                                 rel=1e-5)
    peaks = [r["metrics"]["peak_temperature"] for r in parallel.records]
    assert peaks[0] < peaks[1]
