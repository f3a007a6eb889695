"""summary.json and the printed summary: statistics per body and chip, balance, formatting."""

import json

import numpy as np
import pytest

from solver.grid import Grid
from solver.models.temperature_stats import body_temperature_stats, chip_temperature_stats
from solver.output import ResultDirectory
from solver.output import summary as S


@pytest.fixture
def stacked(backend):
    """Two-layer stack on a stretched grid: a hot 'die' layer (k = 0) over a cooler 'base'."""
    grid = Grid(np.array([0.0, 0.01, 0.03]), np.array([0.0, 0.02]),
                np.array([0.0, 0.001, 0.004]), backend=backend)
    temperature = np.array([[[350.0, 310.0]], [[360.0, 320.0]]])  # (2, 1, 2) [K]
    ids = np.array([[[1, 0]], [[1, 0]]], dtype=np.int32)
    return grid, backend.asarray(temperature), backend.asarray(ids)


def test_body_and_chip_stats_volume_weighted(stacked):
    grid, temperature, ids = stacked
    volumes = grid.cell_volumes()
    bodies = body_temperature_stats(temperature, ids, ["base", "die", "unused"], volumes)
    assert set(bodies) == {"base", "die"}
    die = bodies["die"]
    # widths x: 0.01, 0.02 -> weights 1:2, so mean = (350 + 2*360)/3 (exact arithmetic)
    assert die["mean_temperature_K"] == pytest.approx((350 + 2 * 360) / 3, rel=1e-14)
    assert die["max_temperature_K"] == 360.0 and die["min_temperature_K"] == 350.0
    assert die["max_temperature_C"] == pytest.approx(86.85, abs=1e-12)
    assert die["volume_m3"] == pytest.approx(0.03 * 0.02 * 0.001, rel=1e-14)
    chips = chip_temperature_stats(temperature, {"gpu": ids == 1, "none": ids == 7}, volumes,
                                     powers={"gpu": 1000.0})
    assert set(chips) == {"gpu"} and chips["gpu"]["power_W"] == 1000.0
    assert chips["gpu"]["mean_temperature_K"] == pytest.approx(die["mean_temperature_K"])


def test_energy_balance_entry():
    entry = S.energy_balance(1000.0, {"wetted": 999.0, "sides": 0.5})
    assert entry["heat_generated_W"] == 1000.0 and entry["heat_in_W"] == 1000.0
    assert entry["heat_out_total_W"] == pytest.approx(999.5)
    assert entry["imbalance_W"] == pytest.approx(0.5)
    assert entry["relative_error"] == pytest.approx(5e-4)
    # heat brought in by a patch (flux on the bottom) counts as heat in
    entry = S.energy_balance(0.0, {"bottom_flux": -100.0, "wetted": 100.0})
    assert entry["heat_in_W"] == 100.0 and entry["relative_error"] == 0.0
    assert S.energy_balance(0.0, {})["relative_error"] is None


def test_energy_balance_from_solver_flips_patch_sign():
    balance = {"heat_generated": 1000.0, "patch_heat_flows": {"wetted": -999.9, "sides": 0.0}}
    entry = S.energy_balance_from_solver(balance)
    assert entry["heat_out_W"] == {"wetted": 999.9, "sides": -0.0}
    assert entry["relative_error"] == pytest.approx(1e-4)


def test_solver_entry_from_histories():
    history = [{"method": "pcg", "iterations": 20, "converged": True, "relative_residual": 1e-9,
                "residuals": list(np.logspace(0, -9, 2000)), "seconds": 0.5}] * 2
    entry = S.solver_entry(history, outer_history=[1.0, 1e-3], max_linear_residuals=100)
    assert entry["iterations"] == 40 and entry["outer_iterations"] == 2
    assert entry["converged"] is True and entry["final_residual"] == 1e-9
    assert len(entry["residual_history"]) == 100 and entry["residual_history"][-1] == 1e-9


def _summary(grid=None, backend=None):
    return S.build_summary(
        case_name="gpu_die", backend=backend, grid=grid,
        bodies={"die": {"max_temperature_K": 358.15, "mean_temperature_K": 348.15,
                        "min_temperature_K": 340.0, "volume_m3": 7.8e-7}},
        chips={"gpu0": {"power_W": 1000.0, "max_temperature_K": 358.15,
                        "mean_temperature_K": 348.15}},
        energy=S.energy_balance(1000.0, {"wetted_face": 999.9999}),
        solver={"method": "pcg+multigrid", "converged": True, "iterations": 12,
                "final_residual": 3e-9, "residual_history": np.array([1.0, 0.1, 3e-9])},
        timings={"setup": 0.1, "solve": 1.234},
        flow={"pressure_drop_Pa": 12345.0, "thermal_resistance_K_per_W": 0.0213,
              "outlet_temperature_K": 310.15},
        materials=[{"id": 0, "name": "copper", "kind": "solid"}],
    )


def test_format_summary_contains_key_figures(backend):
    grid = Grid.uniform((0.04, 0.04, 0.005), (8, 8, 4), backend=backend)
    text = S.format_summary(_summary(grid, backend))
    for expected in ("gpu_die", "8 x 8 x 4 = 256 cells", "die", "85.00", "75.00", "gpu0",
                     "1000.0", "out: wetted_face [W]", "1.00e-07", "12.345", "0.0213",
                     "37.00", "converged after 12 iterations", "solve 1.23 s"):
        assert expected in text, expected
    # columns aligned: the body table header and its row have the same width layout
    lines = text.splitlines()
    header = next(line for line in lines if line.strip().startswith("body"))
    row = lines[lines.index(header) + 1]
    assert header.index("T max [C]") + len("T max [C]") == row.index("85.00") + len("85.00")


def test_write_summary_json_schema(tmp_path):
    result = ResultDirectory(tmp_path, "gpu_die")
    json_path, text_path = S.write_summary(result, _summary())
    data = json.loads(json_path.read_text())
    assert data["schema"] == "coolsim-summary" and data["schema_version"] == S.SCHEMA_VERSION
    assert data["case"]["name"] == "gpu_die"
    assert data["total_heat_W"] == 1000.0
    assert data["solver"]["residual_history"] == [1.0, 0.1, 3e-9]
    assert data["flow"]["outlet_temperature_C"] == pytest.approx(37.0)
    assert data["materials"][0]["kind"] == "solid"
    assert S.read_summary(result.path) == data
    assert "gpu_die" in text_path.read_text()


def test_chip_limits_and_margin_shown_when_present():
    summary = _summary()
    summary["chips"]["gpu0"].update(limit_temperature_K=368.15, margin_K=10.0)
    text = S.format_summary(summary)
    assert "limit [C]" in text and "margin [K]" in text
    row = next(line for line in text.splitlines() if line.strip().startswith("gpu0"))
    assert row.split()[-2:] == ["95.00", "10.00"]


def test_verdict_fails_on_a_limit_reached_in_time_and_is_na_without_limits():
    """A chip under its limit at the steady state that reaches it during [transient] fails the
    plate; chips without a limit give no verdict."""
    from solver.output.summary import summary_verdict

    chips = {"die": {"max_temperature_K": 360.0, "limit_temperature_K": 368.15,
                     "margin_K": 8.15}}
    assert summary_verdict({"chips": chips})["status"] == "PASS"
    timed = {"chips": chips, "transient": {"chips": {"die": {"time_to_limit_s": 2.5}}}}
    verdict = summary_verdict(timed)
    assert verdict == {"status": "FAIL",
                       "reasons": ["chip die reaches its limit at t = 2.5 s in time"]}
    assert summary_verdict({"chips": {"die": {"max_temperature_K": 360.0}}})["status"] == "n/a"
