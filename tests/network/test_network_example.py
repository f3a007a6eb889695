"""The documented rack example runs and reproduces the figures in its header.

``cases/rack_network.toml``: 18 trays x (4 GPU + 2 CPU) cold plates, U manifold, CDU with PG25,
facility water W32, pump flow and TCS supply temperature controls. Also checks the output files
(network.csv, network_summary.json, network.vtp, plots) and a Z-type and failed-pump variant.
"""

import csv
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest

from solver.case import NetworkSection
from solver.materials import get_coolant
from solver.output import PARALLEL_SPACING, load_network_result, rack_report
from solver.pipeline import run_network_case

CASE = Path(__file__).resolve().parents[2] / "cases" / "rack_network.toml"


def load_section(**rack_changes):
    data = tomllib.loads(CASE.read_text())
    data["network"]["rack"].update(rack_changes)
    return NetworkSection(**data["network"]), get_coolant(data["coolant"]["name"])


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    out = tmp_path_factory.mktemp("rack_network")
    section, coolant = load_section()
    return run_network_case(section, coolant, out, quiet=True), out


def test_example_figures(example):
    s, out = example
    assert s["total_heat"] == pytest.approx(82.8e3)
    assert all(c["met"] for c in s["controls"])
    assert s["tcs"]["flow_lpm"] == pytest.approx(124.2, rel=1e-5)
    assert s["tcs"]["lpm_per_kw"] == pytest.approx(1.5, rel=1e-5)
    assert s["tcs"]["supply_temperature"] - 273.15 == pytest.approx(36.0, abs=1e-3)
    assert s["tcs"]["delta_t"] == pytest.approx(9.95, abs=0.02)
    # the CDU rejects the chip power and the pumps' shaft power (all of it heats the coolant)
    assert s["pump_heat"] == pytest.approx(s["pump"]["shaft_power"], rel=1e-12)
    assert s["cdu"]["heat_rejected"] == pytest.approx(82.8e3 + s["pump_heat"], rel=1e-6)
    assert s["cdu"]["approach"] == pytest.approx(4.0, abs=1e-3)
    assert s["pump"]["speed"] == pytest.approx(0.624, abs=2e-3)
    assert s["pump"]["pressure_rise"] == pytest.approx(66.9e3, rel=5e-3)
    assert s["rack_differential_pressure"] == pytest.approx(32.2e3, rel=5e-3)
    assert s["facility"]["mass_flow"] == pytest.approx(1.64, rel=5e-3)
    assert s["facility"]["return_temperature"] - 273.15 == pytest.approx(44.1, abs=0.05)
    assert s["trays"]["min_over_mean"] == pytest.approx(0.995, abs=1e-3)
    assert s["trays"]["max_over_mean"] == pytest.approx(1.012, abs=1e-3)
    assert s["trays"]["lowest"] == "tray.17"
    assert s["plates"]["max_case_temperature"] - 273.15 == pytest.approx(60.0, abs=0.1)
    assert s["energy_balance_error"] < 1e-6
    assert s["mass_imbalance"] < 1e-10
    # design checks come from the rack report (solver.output.report.DesignLimits defaults)
    report = rack_report(*load_network_result(out))
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["flow_per_kw"]["passed"] and checks["tcs_temperature_rise"]["passed"]
    assert checks["cdu_approach"]["passed"]
    assert checks["plate_pressure_drop"]["value"] == pytest.approx(14.98e3, rel=0.01)


def test_example_output_files(example):
    s, out = example
    for name in ("network.csv", "network_summary.json", "network.vtp",
                 "images/network_branch_flows.png", "images/network_pump_curve.png"):
        assert (out / name).stat().st_size > 0
    with open(out / "network.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    header = rows[0].keys()
    for column in ("mass_flow [kg/s]", "velocity [m/s]", "reynolds [-]", "pressure_drop [Pa]",
                   "inlet_temperature [K]", "outlet_temperature [K]", "heat [W]", "friction_law"):
        assert column in header
    # every pipe says which friction law it used (the default, Churchill 1977)
    assert {r["friction_law"] for r in rows if r["kind"] == "pipe"} == {"churchill"}
    assert s["split_junctions"] == 36  # Crane take-off tees on both headers, 18 trays
    kinds = {r["kind"] for r in rows}
    assert {"pump", "cold_plate", "quick_disconnect", "pipe", "heat_exchanger_side",
            "node"} <= kinds
    summary = json.loads((out / "network_summary.json").read_text())
    assert summary["pump"]["flow_lpm"] == pytest.approx(s["pump"]["flow_lpm"])
    import pyvista as pv

    poly = pv.read(out / "network.vtp")
    # one line per component; each of the 6 parallel plates of a tray bends out through 2 points
    assert poly.n_cells == s["components"]
    assert poly.n_points == s["nodes"] + 2 * 6 * 18
    units = dict(zip(poly.field_data["array_names"], poly.field_data["array_units"],
                     strict=True))
    assert units == {"pressure": "Pa", "temperature": "K", "node_id": "1",
                     "mass_flow": "kg/s", "volume_flow": "m3/s", "pressure_drop": "Pa",
                     "inlet_temperature": "K", "outlet_temperature": "K", "heat": "W",
                     "component_id": "1", "kind_id": "1"}
    assert set(units) == set(poly.point_data.keys()) | set(poly.cell_data.keys())
    # names: field-data tables indexed by the integer id arrays (no string point/cell arrays)
    names = [str(poly.field_data["component_names"][i]) for i in poly.cell_data["component_id"]]
    assert names == [r["name"] for r in rows if r["type"] == "component"]
    kinds = [str(poly.field_data["component_kinds"][i]) for i in poly.cell_data["kind_id"]]
    assert kinds == [r["kind"] for r in rows if r["type"] == "component"]
    flows = {r["name"]: float(r["flow [m3/s]"]) for r in rows if r["type"] == "component"}
    np.testing.assert_allclose(poly.cell_data["volume_flow"], [flows[n] for n in names],
                               rtol=1e-9)  # SI m3/s, as network.csv
    node_ids = np.asarray(poly.point_data["node_id"])
    assert [str(poly.field_data["node_names"][i]) for i in node_ids[node_ids >= 0]] == [
        r["name"] for r in rows if r["type"] == "node"]
    assert all(poly[n].dtype.kind in "biuf" for n in units)
    # the parallel plates of a tray are distinct lines: only their two end nodes are shared
    plates = [i for i, n in enumerate(names) if n.startswith("tray.3.")
              and kinds[i] == "cold_plate"]
    cells = [poly.get_cell(i).point_ids for i in plates]
    assert all(len(c) == 4 and c[0] == cells[0][0] and c[-1] == cells[0][-1] for c in cells)
    middles = np.array([poly.points[c[1:3]].mean(axis=0) for c in cells])
    gaps = np.linalg.norm(middles[:, None] - middles[None], axis=-1)[np.triu_indices(6, 1)]
    assert gaps.min() == pytest.approx(PARALLEL_SPACING, rel=1e-9)
    assert not list(out.glob(".*tmp*"))  # atomic writes leave no temporary files


def test_z_manifold_and_failed_pump_variants(tmp_path):
    section, coolant = load_section(manifold="Z")
    z = run_network_case(section, coolant, tmp_path / "z", quiet=True, plots=False)
    # Z-type (parallel flow): the supply header's pressure recovery, carried by the Crane
    # take-off losses, favours the far end (Bajura & Jones 1976): flows rise along the header
    flows = z["trays"]["flows_lpm"]
    assert flows == sorted(flows)
    assert z["trays"]["min_over_mean"] > 0.97
    data = tomllib.loads(CASE.read_text())
    data["network"]["rack"]["cdu"]["pumps"]["running"] = 1  # N+1: one pump failed
    failed = run_network_case(NetworkSection(**data["network"]), coolant, tmp_path / "n",
                              quiet=True, plots=False)
    assert failed["pump"]["running"] == 1
    assert all(c["met"] for c in failed["controls"])  # the survivor speeds up
    assert failed["pump"]["speed"] > 0.624
