"""``solver.run(case)``: the :class:`solver.api.Result` holds the figures the run wrote
(``summary.json``, ``report.json``) with their units, the files and the tables."""

import json
from pathlib import Path

import pandas
import pytest

import solver
from solver.api import Result, finished_case_hash, headline_metrics
from solver.case import case_hash, load_case
from solver.preflight import check_case

ROOT = Path(__file__).resolve().parents[1]
COARSE = {"grid.max_spacing": "1 mm", "output.write_images": False,
          "output.write_fields": False, "output.checkpoint": False}


def test_a_plate_result_holds_the_summary_figures_with_units(tmp_path):
    case = load_case(ROOT / "cases" / "coldplate_unit_cell.toml").with_changes(COARSE)
    result = solver.run(case, output=tmp_path)
    assert isinstance(result, Result)
    assert result.folder == tmp_path / "coldplate_unit_cell"
    summary = json.loads((result.folder / "summary.json").read_text())
    flow = summary["flow"]
    assert result.metrics["pressure_drop"] == flow["pressure_drop_Pa"]
    assert result.units["pressure_drop"] == "Pa"
    assert result.metrics["thermal_resistance"] == flow["thermal_resistance_K_per_W"]
    assert result.units["thermal_resistance"] == "K/W"
    assert result.metrics["peak_temperature"] == flow["peak_temperature_C"]
    assert result.units["peak_temperature"] == "C"
    assert result.metrics["verdict"] == summary["verdict"]["status"]
    assert result.summary["case"]["hash"] == case_hash(case) == finished_case_hash(result.folder)
    assert {"summary.json", "history.csv", "report.md"} <= set(result.files)
    history = result.table("history")
    assert isinstance(history, pandas.DataFrame)
    assert "continuity" in history.columns and len(history) > 0
    with pytest.raises(FileNotFoundError, match="history"):
        result.table("network")
    table = result.metric_table()
    assert list(table.columns) == ["metric", "value", "unit"]
    assert headline_metrics(result.folder) == (result.metrics, result.units)


def test_a_rack_result_holds_the_design_checks(tmp_path):
    case = load_case(ROOT / "cases" / "rack_network.toml").with_changes({"network.rack.trays": 4})
    check_case(case)
    result = solver.run(case, output=tmp_path)
    report = json.loads((result.folder / "report.json").read_text())
    assert result.metrics["pressure_drop"] == report["rack_differential_pressure"]
    assert result.units["pressure_drop"] == "Pa"
    checks = {c["name"]: c for c in report["checks"]}
    assert result.metrics["peak_temperature"] == checks["chip_limits"]["value"]
    assert result.metrics["flow_per_kw"] == checks["flow_per_kw"]["value"]
    assert result.units["flow_per_kw"] == "L/min/kW"
    assert result.metrics["check.flow_per_kw"] == ("PASS" if checks["flow_per_kw"]["passed"]
                                                   else "FAIL")
    assert result.passed is report["passed"]
    chips = result.chips
    assert len(chips) == 4 * 6  # 4 trays of 4 GPU and 2 CPU plates
    hottest = chips["temperature [C]"].max()
    assert hottest == pytest.approx(checks["chip_limits"]["value"], abs=1e-9)
    assert "network" in result.tables
    assert len(result.table("network")) > 0
