"""Every example case in cases/ runs (as `coolsim run` would) and its headline figures hold.

Pinned figures come from the case headers; the energy-balance bound is issue 2's (< 1e-6).
"""

from pathlib import Path

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
