"""Every example case in cases/ runs (as `coolsim run` would) and its headline figures hold.

Pinned figures come from the case headers; the energy-balance bound is issue 2's (< 1e-6).
"""

import json
from pathlib import Path

import numpy as np
import pytest

from solver.case import load_case
from solver.pipeline import run

CASES = Path(__file__).resolve().parents[1] / "cases"


def test_gpu_die_conduction_example(tmp_path):
    """1 kW die through TIM and lid: energy closes to 1e-6 and the die peaks near 90 C."""
    case = load_case(CASES / "gpu_die_conduction.toml")
    summary = run(case, backend="cpu", output=tmp_path, quiet=True)
    assert summary["energy_balance"]["relative_error"] < 1e-6
    assert summary["total_heat_W"] == pytest.approx(1000.0, rel=1e-12)
    die = summary["chips"]["gpu"]
    # header: peak about 90 C; 1 K band around the value measured on the committed grid
    assert die["max_temperature_C"] == pytest.approx(90.4, abs=1.0)
    assert die["margin_K"] > 0
    out = tmp_path / "gpu_die_conduction"
    for name in ("fields.vtr", "fields.vtk", "summary.json", "summary.txt"):
        assert (out / name).is_file(), name
    assert any((out / "images").glob("*.png"))


def test_rack_gpu_plate_pressure_drop_against_laminar_estimate(tmp_path):
    """The rack demo plate (cases/rack_gpu_plate.toml) with PG25 held at its 35 C properties, at
    1.5 L/min: its dP lies in the laminar estimate of benchmarks/demo_plate_laminar.py (Shah &
    London 1978 f Re for the 0.5 x 4 mm channels, entrance excess K(inf) 0.69..1.43, Weisbach
    contraction and Borda-Carnot expansion between plenums and channels; 589-615 Pa) once its
    f Re is that the solver gives on a straight duct with the plate's 4 x 4 cross-section cells
    (8 % below Shah & London on 4 cells with the quadratic wall gradient), within 2 % either
    side; the flow split among the 47 channels is computed by the plenums (not uniform)."""
    import importlib.util
    import tomllib

    from solver.materials import get_coolant
    from solver.units import ZERO_CELSIUS

    path = CASES.parent / "benchmarks" / "demo_plate_laminar.py"
    spec = importlib.util.spec_from_file_location("demo_plate_laminar", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    pg25 = get_coolant("PG25")
    density, viscosity = (float(f(ZERO_CELSIUS + 35.0)) for f in (pg25.density, pg25.viscosity))
    on_cells = bench.duct_friction_on_plate_cells(density, viscosity)
    low, high = bench.laminar_estimate(density, viscosity, on_cells)["estimate_Pa"]
    raw = bench.constant_property_case(tomllib.loads((CASES / "rack_gpu_plate.toml").read_text()),
                                       density, viscosity, pg25)
    flow, _ = bench.solve(raw, tmp_path)
    assert 0.98 * low < flow["pressure_drop_Pa"] < 1.02 * high
    assert flow["flow_split"]["channels"]["maldistribution"] > 1e-3


def test_rack_network_example_through_run(tmp_path):
    """The network-only rack case runs through `coolsim run`'s pipeline; header figures hold.

    Header of cases/rack_network.toml: 82.8 kW, 1.5 L/min/kW, CDU approach about 4 K; mass and
    energy balances close (issue 4: mass < 1e-10, energy < 1e-6 relative).
    """
    case = load_case(CASES / "rack_network.toml")
    summary = run(case, backend="cpu", output=tmp_path, quiet=True)
    assert summary["converged"]
    assert summary["total_heat"] == pytest.approx(82800.0)
    assert summary["tcs"]["lpm_per_kw"] == pytest.approx(1.5, rel=1e-3)
    assert summary["cdu"]["approach"] == pytest.approx(4.0, abs=0.05)
    assert abs(summary["mass_imbalance"]) < 1e-10
    assert abs(summary["energy_balance_error"]) < 1e-6
    assert summary["report"]["passed"], summary["report"]["checks"]
    assert (tmp_path / "rack_network" / "network.csv").is_file()


def _training_job(end=None):
    case = load_case(CASES / "gpu_plate_training_job.toml")
    if end is None:
        return case
    transient = case.transient.model_copy(update={"end": end, "fields_every": 0})
    output = case.output.model_copy(update={"write_images": False, "write_fields": False})
    return case.model_copy(update={"transient": transient, "output": output})


def test_gpu_plate_training_job_first_second_of_compute(tmp_path):
    """The training-job plate to 3 s (idle, then 1 s of compute): it starts from the 300 W
    steady state (50.9 C in the header), heats as soon as compute starts and is still below its
    1 kW steady peak (87.92 C) and its limit; the energy audit closes to 1e-9."""
    summary = run(_training_job(3.0), backend="cpu", output=tmp_path, quiet=True)
    entry = summary["transient"]
    gpu = entry["chips"]["gpu"]
    rows = np.genfromtxt(tmp_path / "gpu_plate_training_job" / "transient.csv",
                         delimiter=",", names=True)
    idle = rows["gpu_K"][0] - 273.15
    assert idle == pytest.approx(50.9, abs=0.1)
    assert np.ptp(rows["gpu_K"][rows["time_s"] <= 2.0]) < 1e-3  # steady while idle
    assert idle + 20.0 < gpu["final_temperature_K"] - 273.15 < 87.9
    assert gpu["time_to_limit_s"] is None
    assert entry["energy_audit_relative_error"] < 1e-9


@pytest.mark.slow
def test_gpu_plate_training_job_example(tmp_path):
    """The whole example (27 s): header figures (peak 87.92 C at the 1 kW steady value, never at
    the 95 C limit, 51.4 C after the 5 s checkpoint) within 0.05 K; picture and field series."""
    summary = run(_training_job(), backend="cpu", output=tmp_path, quiet=True)
    gpu = summary["transient"]["chips"]["gpu"]
    assert gpu["peak_temperature_K"] - 273.15 == pytest.approx(87.92, abs=0.05)
    assert gpu["time_to_limit_s"] is None
    folder = tmp_path / "gpu_plate_training_job"
    rows = np.genfromtxt(folder / "transient.csv", delimiter=",", names=True)
    at_22 = rows["gpu_K"][np.argmin(np.abs(rows["time_s"] - 22.0))] - 273.15
    assert at_22 == pytest.approx(51.4, abs=0.05)
    assert (folder / "images" / "transient.png").is_file()
    assert (folder / "transient.pvd").is_file()


@pytest.mark.slow
def test_rack_1mw_example_runs_its_scenarios_in_time(tmp_path):
    """cases/rack_1mw.toml (about 70 s on 2 cores): the header's design figures and scenario
    outcomes hold; every scenario's time series and picture is written."""
    case = load_case(CASES / "rack_1mw.toml")
    summary = run(case, backend="cpu", output=tmp_path, quiet=True)
    assert summary["total_heat"] == pytest.approx(996e3)
    assert summary["tcs"]["lpm_per_kw"] == pytest.approx(1.35, rel=1e-3)
    assert summary["cdu"]["approach"] == pytest.approx(4.0, abs=0.05)
    assert summary["report"]["passed"], summary["report"]["checks"]
    out = tmp_path / "rack_1mw"
    rows = {r["scenario"]: r for r in json.loads((out / "report.json").read_text())[
        "transient_scenarios"]}
    assert rows["pump trip, standby start"]["ride_through_s"] is None
    assert rows["all pumps lost"]["ride_through_s"] == pytest.approx(11.8, abs=0.2)
    assert rows["facility water lost"]["ride_through_s"] == pytest.approx(14.8, abs=0.2)
    assert rows["GPU plate 80 % blocked"]["ride_through_s"] == pytest.approx(10.3, abs=0.2)
    assert rows["checkpoint pattern"]["ride_through_s"] is None
    assert max(r["energy_balance_error"] for r in rows.values()) < 1e-9
    assert len(list((out / "transient").glob("*/timeseries.csv"))) == 6


def test_rack_1mw_pump_trip_rides_through(tmp_path):
    """The 1 MW rack's pump trip over its first 60 s (a few seconds): the remaining running
    unit and the standby, PI-driven, keep the TCS flow above 75 % and every chip below its
    85 C limit (header: hottest 61.68 C before, 64.55 C peak)."""
    from solver.pipeline import design_limits
    from solver.transient_scenarios import plate_fosters, run_transient_scenario

    case = load_case(CASES / "rack_1mw.toml")
    spec = case.scenarios[0].model_copy(update={"duration": 60.0})
    row = run_transient_scenario(case.network, case.coolant_material(), spec,
                                 design_limits(case),
                                 fosters=plate_fosters(case.network, case.resolve)).row
    assert row["initial_hottest_chip_temperature"] - 273.15 == pytest.approx(61.68, abs=0.01)
    assert row["peak_chip_temperature"] - 273.15 == pytest.approx(64.55, abs=0.05)
    assert row["ride_through_s"] is None and row["min_tcs_flow_fraction"] > 0.75
